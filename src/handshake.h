/* One client handshake: identify the peer, judge its chain against the policy
 * for every name it is judged by, and log.  The path hook -> judge -> act ->
 * log, with the hooks (verify_hook.c at certificate verification, hook.c for
 * resumptions and as the backstop) on one side and judge.c / block.c / log.c
 * on the other. */
#ifndef PINSHIM_HANDSHAKE_H
#define PINSHIM_HANDSHAKE_H

#include <stdbool.h>

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

/* Who the client meant, as its TLS library's glue read it off the session. */
struct handshake_id {
    const char *sni;         /* the SNI name set for this handshake; NULL: none */
    const char *checked;     /* the host name the chain verified against (the client asked
                              * for it to be checked); NULL: none */
    int fd;                  /* the session's own socket; -1: its I/O layer hides it */
    int io_fd;               /* the socket this thread last moved bytes on; -1: none */
    /* "openssl 3.0.19", "gnutls 3.7.9" for the log (NULL: unknown), asked
     * only when a record is written: naming it is a snprintf. */
    const char *(*library)(void);
};

/* Judge the handshake `w->seen` describes, for the client `id`.  true:
 * allowed; false: refused, `w->why` says why (the caller acts).  Logs the
 * verdict when it is worth telling. */
bool handshake_judge(const struct handshake_id *id, struct judge_work *w);

/* Would a resumption of a session whose leaf is `leaf` be let through, for
 * every name of `id` whose entry is enforced, under the current policy
 * (DESIGN 3.5: its leaf, and what a full handshake of this process showed
 * for that leaf)?  false: do not offer that session; the full handshake that
 * follows decides.  A config error: false.  *vetted_generation: the policy
 * snapshot it passed under, when its resumption needs no second look under
 * that same snapshot (not when verdicts = "all" wants it logged); else 0. */
bool handshake_resumption_passes(const struct handshake_id *id, const struct cert_ops *ops, const struct cert *leaf,
                                 unsigned long *vetted_generation);

#endif
