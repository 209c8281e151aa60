/* Judgement (DESIGN 3): which certificates count, their pins, the verdict.
 * Pure: no SSL object, no I/O; the certificates come in as arrays. */
#ifndef PINSHIM_JUDGE_H
#define PINSHIM_JUDGE_H

#include <stdbool.h>
#include <time.h>
#include "cert.h"
#include "pin.h"
#include "policy.h"

enum verdict { VERDICT_PASS, VERDICT_FAIL, VERDICT_EXPIRED, VERDICT_UNPINNED, VERDICT_ERROR };

const char *verdict_text(enum verdict v);

/* More certificates than this in one chain are not looked at (a real chain has
 * 2-4; OkHttp stops at 9 signers). */
#define CHAIN_MAX 16

/* A verified chain counts whole (DESIGN 3), however deep: OpenSSL's default
 * verify depth (100) lets 101 certificates through. */
#define VERIFIED_MAX 101

/* A verification result that says the chain verified (OpenSSL's X509_V_OK;
 * a GnuTLS status with no bit set). */
#define VERIFY_OK 0

/* What a finished handshake showed. */
struct chain_input {
    const struct cert_ops *ops;          /* the TLS library's answers about the certificates below */
    const struct cert *const *verified;  /* the verified chain when verification said OK, else NULL */
    int nverified;
    const struct cert *const *served;    /* the presented chain, leaf first (may be only the leaf) */
    int nserved;
    bool resumed;            /* an abbreviated handshake: no verified chain exists */
};

struct judgement {
    enum verdict verdict;
    const struct host_entry *entry;     /* NULL: unpinned or error */
    int ncounted;                       /* certificates whose pins count */
    struct pin counted[VERIFIED_MAX];
    const struct cert *counted_cert[VERIFIED_MAX]; /* the certificate of each pin; NULL when remembered */
    const struct cert_ops *ops;         /* the library's answers about counted_cert */
    int matched;                        /* index into counted, or -1 */
    char reason[256];
};

/* The presented certificates that count when nothing was verified: the leaf,
 * then each certificate that really issued the previous one (names/key ids and
 * a valid signature), found anywhere in the presented list, each used once. An
 * attacker's leaf followed by a genuine intermediate counts only the leaf.
 * Returns how many were written to `out` (at most `max`). */
int chain_count_linked(const struct cert_ops *ops, const struct cert *const *served, int nserved,
                       const struct cert **out, int max);

/* Judge one handshake against `entry` (NULL: no entry matched) at time `now`.
 * Resumed sessions are judged on the leaf plus what an earlier full handshake
 * of this process showed for the same leaf (memo.h). */
void judge_chain(const struct host_entry *entry, const struct chain_input *in, time_t now,
                 struct judgement *out);

#endif
