/* Anonymous cipher suites (aNULL, TLS 1.2 and older: no certificate, so any
 * man in the middle can serve one) are not offered where pinning is enforced
 * (suites.c).  A handshake authenticated by a pre-shared key or SRP shows no
 * certificate either; it is refused when it finishes, which a first
 * SSL_write that drove it through an SSL BIO or a dlsym'd function has
 * already passed (to a peer that holds the secret). */
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
