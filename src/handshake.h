/* One finished client handshake: identify the peer, judge its chain against
 * the policy, act (block or allow) and log.  The path hook -> judge -> act ->
 * log, with hook.c on one side and judge.c / block.c / log.c on the other. */
#ifndef PINSHIM_HANDSHAKE_H
#define PINSHIM_HANDSHAKE_H

#include <stdbool.h>
#include <openssl/ssl.h>

/* true: the connection may be used; false: it was refused (the error is on
 * the queue and the verify result set). */
bool handshake_allowed(SSL *s, int io_fd);

#endif
