/* OpenSSL's side of judging one client handshake: who the client meant, read
 * off its SSL object, handed to the neutral handshake_judge(). */
#ifndef PINSHIM_OSSL_HANDSHAKE_H
#define PINSHIM_OSSL_HANDSHAKE_H

#include <stdbool.h>
#include <openssl/ssl.h>
#include "conn.h"
#include "handshake.h"

/* The SNI name (the one noted when the handshake started: after a TLS 1.2
 * resumption SSL_get_servername answers with the session's, maybe another
 * host's), the checked name and the sockets.  `c` may be NULL. */
void ossl_handshake_id(SSL *s, const struct conn_state *c, const char *checked, int io_fd,
                       struct handshake_id *out);

/* handshake_judge() for `s`; what OpenSSL pushes on the error queue while
 * pinshim looks (a forged signature, say) is dropped: the program must see
 * its own errors and, on a block, pinshim's first (curl reports the first). */
bool ossl_handshake_judge(SSL *s, const struct conn_state *c, struct judge_work *w, const char *checked,
                          int io_fd);

#endif
