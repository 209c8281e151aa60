/* One client handshake: identify the peer, judge its chain against the policy
 * for every name it is judged by, and log.  The path hook -> judge -> act ->
 * log, with the hooks (verify_hook.c at certificate verification, hook.c for
 * resumptions and as the backstop) on one side and judge.c / block.c / log.c
 * on the other. */
#ifndef PINSHIM_HANDSHAKE_H
#define PINSHIM_HANDSHAKE_H

#include <stdbool.h>
#include <openssl/ssl.h>

#include "conn.h"
#include "judge.h"
#include "observe.h"
#include "peer.h"
#include "tofu.h"

/* Everything one judgement needs, on the heap: a TLS client thread may run
 * on a 32 KiB stack, deep inside libssl (DESIGN 6). */
struct judge_work {
    struct observed seen;             /* the caller fills it (observe.h) */
    struct peer who;
    struct judgement j[2];            /* the deciding name's and a scratch one */
    struct tofu_view tofu[2];
    char warning[2][400];
    char why[800];                    /* on refusal: "host:port: reason" */
};

struct judge_work *handshake_work_new(void);
void handshake_work_free(struct judge_work *w);

/* Judge the handshake `w->seen` describes.  `checked`: the host name the
 * chain verified against (the client asked for it to be checked), or NULL.
 * `io_fd`: the socket the handshake's bytes came over when the SSL does not
 * say (-1: unknown).  true: allowed; false: refused, `w->why` says why (the
 * caller acts, block.h).  Logs the verdict when it is worth telling. */
bool handshake_judge(SSL *s, const struct conn_state *c, struct judge_work *w, const char *checked, int io_fd);

#endif
