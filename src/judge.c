/* Chain -> counted certificates -> SPKI pins -> verdict. */
#include "config.h"
#include "judge.h"
#include "memo.h"
#include <stdio.h>
#include <string.h>

const char *verdict_text(enum verdict v)
{
    switch (v) {
    case VERDICT_PASS: return "pass";
    case VERDICT_FAIL: return "fail";
    case VERDICT_EXPIRED: return "expired";
    case VERDICT_UNPINNED: return "unpinned";
    default: return "error";
    }
}

int chain_count_linked(const struct cert_ops *ops, const struct cert *const *served, int nserved,
                       const struct cert **out, int max)
{
    bool used[CHAIN_MAX] = { false };
    struct pin pins[CHAIN_MAX];
    bool has_pin[CHAIN_MAX];
    int n = 0;

    if (nserved <= 0 || max <= 0 || !served[0])
        return 0;
    if (nserved > CHAIN_MAX)
        nserved = CHAIN_MAX;
    for (int i = 0; i < nserved; i++)
        has_pin[i] = served[i] && ops->pin(served[i], &pins[i]) == 0;
    /* A key counts once, however often (and in whatever certificates) it is
     * presented: mark every presented copy of a counted key as used. */
#define COUNT(k)                                                                               \
    do {                                                                                       \
        out[n++] = served[k];                                                                  \
        for (int c = 0; c < nserved; c++)                                                      \
            if (c == (k) || (has_pin[c] && has_pin[k] && memcmp(pins[c].hash, pins[k].hash, PIN_LEN) == 0)) \
                used[c] = true;                                                                \
    } while (0)
    COUNT(0);
    while (n < max) {
        const struct cert *child = out[n - 1];
        int found = -1;
        /* A self-signed certificate ends the chain: it issued itself. */
        if (ops->self_issued(child))
            break;
        for (int i = 1; i < nserved && found < 0; i++)
            if (!used[i] && served[i] && ops->issued(child, served[i]))
                found = i;
        if (found < 0)
            break;
        COUNT(found);
    }
#undef COUNT
    return n;
}

static void add_pin(struct judgement *j, const struct pin *p, const struct cert *cert)
{
    for (int i = 0; i < j->ncounted; i++)
        if (memcmp(j->counted[i].hash, p->hash, PIN_LEN) == 0)
            return;
    if (j->ncounted < VERIFIED_MAX) {
        j->counted_cert[j->ncounted] = cert;
        j->counted[j->ncounted++] = *p;
    }
}

static void add_certs(struct judgement *j, const struct cert *const *certs, int n)
{
    for (int i = 0; i < n && i < VERIFIED_MAX; i++) {
        struct pin p;
        if (certs[i] && j->ops->pin(certs[i], &p) == 0)
            add_pin(j, &p, certs[i]);
    }
}

static int find_match(const struct host_entry *e, const struct judgement *j)
{
    for (int i = 0; i < j->ncounted; i++)
        for (size_t k = 0; k < e->npins; k++)
            if (memcmp(j->counted[i].hash, e->pins[k].hash, PIN_LEN) == 0)
                return i;
    return -1;
}

/* With only the leaf counted: whether the entry pins the leaf's own key,
 * which makes the verdict pass whatever else would count. */
static bool leaf_decides(const struct host_entry *e, const struct judgement *j)
{
    return e && j->ncounted == 1 && find_match(e, j) == 0;
}

void judge_chain(const struct host_entry *entry, const struct chain_input *in, time_t now,
                 struct judgement *out)
{
    const struct cert *linked[CHAIN_MAX];
    const char *basis;

    memset(out, 0, sizeof *out);
    out->entry = entry;
    out->ops = in->ops;
    out->matched = -1;

    if (in->verified && in->nverified > 0 && !in->resumed) {
        /* In chain order, and only until a key matches: the verdict is pass
         * whatever else would count (with CA pins the root is never hashed,
         * with a leaf pin nothing but the leaf).  The memo then holds the
         * keys up to the match: enough for a resumption to pass, and a
         * session whose record matches nothing is not offered but replaced
         * by a full handshake (DESIGN 3.5), never refused. */
        for (int i = 0; i < in->nverified && i < VERIFIED_MAX; i++) {
            add_certs(out, in->verified + i, 1);
            if (entry && out->ncounted > 0 && find_match(entry, out) == out->ncounted - 1)
                break;
        }
        basis = "verified chain";
    } else if (in->resumed && in->nserved > 0 && in->served[0]) {
        /* A resumed session (DESIGN 3.5): its leaf, plus the keys that a full
         * handshake of this process counted for this very leaf (memo). */
        struct pin remembered[MEMO_PINS];
        int m = 0;
        add_certs(out, in->served, 1);
        /* When the entry pins the leaf itself the verdict is pass whatever
         * else counts: no memo lookup (a hash of the whole certificate). */
        bool leaf_pinned = leaf_decides(entry, out);
        if (!leaf_pinned)
            m = memo_recall(in->ops, in->served[0], remembered, MEMO_PINS);
        /* Remembered keys stand for the chain: whatever signed the leaf has
         * the key that full handshake counted, so the presented chain's
         * signatures are checked again (a signature verification per
         * resumption) only without a record, or with one that may have been
         * cut at MEMO_PINS. */
        int n = 0;
        if (!leaf_pinned && (m == 0 || m >= MEMO_PINS)) {
            n = chain_count_linked(in->ops, in->served, in->nserved, linked, CHAIN_MAX);
            add_certs(out, linked, n);
        }
        for (int i = 0; i < m; i++)
            add_pin(out, &remembered[i], NULL);
        basis = m > 0   ? "resumed session, chain remembered from a full handshake"
                : n > 1 ? "resumed session, presented chain, signatures checked"
                        : "resumed session, leaf only";
    } else {
        int n = chain_count_linked(in->ops, in->served, in->nserved, linked, CHAIN_MAX);
        add_certs(out, linked, n);
        basis = n > 1 ? "presented chain, signatures checked" : "leaf only";
    }
    out->matched = entry ? find_match(entry, out) : -1;
    /* A full handshake teaches what chain this leaf came with, for
     * resumptions.  Not when the entry pins the leaf's own key: a resumption
     * then passes on the leaf alone, and after a reload that unpins it, the
     * presented chain is checked again instead.  (The memo's key is a
     * SHA-256 of the whole certificate: a third of the shim's work in a full
     * handshake.)  A verified chain stops at such a leaf (one key counted); a
     * presented one counts the leaf first. */
    if (!in->resumed && in->nserved > 0 && in->served[0] && out->ncounted > 1 &&
        !(out->matched == 0 && out->counted_cert[0] == in->served[0]))
        memo_remember(in->ops, in->served[0], out->counted, out->ncounted);

    if (!entry) {
        out->verdict = VERDICT_UNPINNED;
        snprintf(out->reason, sizeof out->reason, "no pin entry for this host");
        return;
    }
    if (entry->expires_at && now >= entry->expires_at) {
        out->verdict = VERDICT_EXPIRED;
        snprintf(out->reason, sizeof out->reason, "the pin set expired on %s and is not enforced",
                 entry->expires_text ? entry->expires_text : "its expiry date");
        return;
    }
    if (out->ncounted == 0) {
        out->verdict = VERDICT_FAIL;
        snprintf(out->reason, sizeof out->reason, "no certificate could be read from the handshake");
    } else if (out->matched >= 0) {
        out->verdict = VERDICT_PASS;
        snprintf(out->reason, sizeof out->reason, "certificate %d of the %s matches a pin", out->matched,
                 basis);
    } else if (entry->tofu != TOFU_NONE && entry->npins == 0) {
        out->verdict = VERDICT_FAIL;
        snprintf(out->reason, sizeof out->reason, "no pins learned yet for this host, and trust on first use "
                                                  "learns only from a full handshake whose chain verified");
    } else {
        out->verdict = VERDICT_FAIL;
        snprintf(out->reason, sizeof out->reason, "none of the %d key(s) of the %s matches the %zu pin(s)",
                 out->ncounted, basis, entry->npins);
    }
}
