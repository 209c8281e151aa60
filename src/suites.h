/* Cipher suites that show no certificate (anonymous, PSK, SRP; TLS 1.2 and
 * older) are not offered on a connection to a pinned name (suites.c).
 * Limit: a TLS 1.3 external PSK (SSL_set_psk_use_session_callback, or the
 * PSK client callback) needs no suite of its own; such a handshake shows no
 * certificate and is refused when it finishes, which a first SSL_write that
 * drove it through an SSL BIO or a dlsym'd function has already passed. */
#ifndef PINSHIM_SUITES_H
#define PINSHIM_SUITES_H

#include <openssl/ssl.h>
#include "conn.h"

/* At the start of client `s`'s handshake, before the ClientHello.  `io_fd`:
 * the socket last used by this thread, for a BIO that hides its own. */
void suites_restrict(SSL *s, struct conn_state *c, int io_fd);

/* Put back the program's security callback (a new handshake starts). */
void suites_give_back(SSL *s, struct conn_state *c);

#endif
