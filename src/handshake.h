/* One finished client handshake: identify the peer, judge its chain against
 * the policy, act (block or allow) and log.  The path hook -> judge -> act ->
 * log, with hook.c on one side and judge.c / block.c / log.c on the other. */
#ifndef PINSHIM_HANDSHAKE_H
#define PINSHIM_HANDSHAKE_H

#include <stdbool.h>
#include <openssl/ssl.h>

#include "policy.h"

/* What the library keeps per SSL object (in its ex_data slot). */
enum { CONN_JUDGED = 1, CONN_REFUSED = 2 };
struct conn_state {
    unsigned flags;
    bool sni_known;          /* sni below was read when the handshake started */
    char sni[HOST_MAX];      /* the name the client set for this handshake ("" none) */
};

/* true: the connection may be used; false: it was refused (the error is on
 * the queue and the verify result set).  `c` may be NULL (nothing noted). */
bool handshake_allowed(SSL *s, const struct conn_state *c, int io_fd);

#endif
