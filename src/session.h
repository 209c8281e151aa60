/* Vetting a session before it is offered (DESIGN 3.5, session.c). */
#ifndef PINSHIM_SESSION_H
#define PINSHIM_SESSION_H

#include <stdbool.h>
#include <openssl/ssl.h>
#include "conn.h"

/* Before the ClientHello of client `s`: when the session it would offer
 * would not pass the current pins, drop it (the handshake is then a full
 * one, judged at verification).  true: dropped.  `c` may be NULL. */
bool session_vet(SSL *s, struct conn_state *c, int io_fd);

#endif
