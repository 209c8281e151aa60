/* Chain judgement from arbitrary DER: the input is split into certificates
 * with d2i_X509 in a loop (up to CHAIN_MAX + 2 of them), then counted with
 * chain_count_linked and judged with judge_chain against a fixed entry, as a
 * full handshake (unverified, or with the certificates taken as the verified
 * chain) and then as a resumption of the same leaf.  Each certificate is also
 * described (cert_describe) and the report_json line must be valid JSON.
 *
 * The first input byte chooses: bits 0-3 the certificate whose key is pinned
 * (15: none), bit 4 an expired entry, bit 5 "verification said OK".
 *
 * Invariants: the counted chain starts with the leaf, each certificate in it
 * really issued the previous one (names and signature, checked here again),
 * none appears twice and no key counts twice; verdicts agree with the pins;
 * a resumption never counts a key the full handshake did not count. */
#include "config.h"
#include <openssl/x509.h>
#include "fuzz.h"
#include "judge.h"
#include "minijson.h"
#include "ossl.h"
#include "ossl_cert.h"
#include "report.h"

#define MAX_CERTS (CHAIN_MAX + 2)

static struct pin fixed_pin; /* a pin nothing has: the entry always has one */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    ossl_bind_linked();
    memset(fixed_pin.hash, 0xa5, PIN_LEN);
    return 0;
}

static bool has_pin(const struct pin *set, int n, const struct pin *p)
{
    for (int i = 0; i < n; i++)
        if (memcmp(set[i].hash, p->hash, PIN_LEN) == 0)
            return true;
    return false;
}

static void check_linked(X509 *const *served, int nserved)
{
    X509 *out[CHAIN_MAX];
    struct pin pins[CHAIN_MAX];
    int n = chain_count_linked(&ossl_cert_ops, (const struct cert *const *)served, nserved, (const struct cert **)out, CHAIN_MAX);
    FUZZ_ASSERT(n >= 0 && n <= CHAIN_MAX && n <= nserved, "%d counted of %d", n, nserved);
    FUZZ_ASSERT(nserved == 0 || n >= 1, "the leaf does not count");
    if (n > 0)
        FUZZ_ASSERT(out[0] == served[0], "the first counted certificate is not the leaf");
    for (int i = 0; i < n; i++) {
        int at = -1;
        for (int k = 0; k < nserved && k < CHAIN_MAX; k++)
            if (served[k] == out[i])
                at = k;
        FUZZ_ASSERT(at >= 0, "counted certificate %d was not presented (in the first %d)", i, CHAIN_MAX);
        for (int k = 0; k < i; k++)
            FUZZ_ASSERT(out[k] != out[i], "certificate %d counted twice", at);
        if (pin_of_cert(out[i], &pins[i]) == 0)
            FUZZ_ASSERT(!has_pin(pins, i, &pins[i]), "the key of certificate %d counted twice", at);
        if (i > 0) {
            /* CVE-2016-2402: only a real issuer counts. */
            EVP_PKEY *key = X509_get0_pubkey(out[i]);
            FUZZ_ASSERT(X509_check_issued(out[i], out[i - 1]) == X509_V_OK, "certificate %d did not issue %d", i,
                        i - 1);
            FUZZ_ASSERT(key && X509_verify(out[i - 1], key) == 1, "certificate %d's signature is not by %d", i - 1,
                        i);
        }
    }
}

static void check_judgement(const struct judgement *j, const struct host_entry *e)
{
    FUZZ_ASSERT(j->ncounted >= 0 && j->ncounted <= VERIFIED_MAX, "ncounted %d", j->ncounted);
    FUZZ_ASSERT(j->matched >= -1 && j->matched < j->ncounted, "matched %d of %d", j->matched, j->ncounted);
    FUZZ_ASSERT(memchr(j->reason, '\0', sizeof j->reason) && j->reason[0], "no reason");
    for (int i = 0; i < j->ncounted; i++)
        FUZZ_ASSERT(!has_pin(j->counted, i, &j->counted[i]), "pin %d counted twice", i);
    bool any = false;
    for (int i = 0; i < j->ncounted; i++)
        any = any || has_pin(e->pins, (int)e->npins, &j->counted[i]);
    switch (j->verdict) {
    case VERDICT_PASS:
        FUZZ_ASSERT(j->matched >= 0 && has_pin(e->pins, (int)e->npins, &j->counted[j->matched]),
                    "pass without a matching pin");
        break;
    case VERDICT_FAIL:
        FUZZ_ASSERT(!any && j->matched == -1, "fail although a counted key is pinned");
        break;
    case VERDICT_EXPIRED:
        FUZZ_ASSERT(e->expires_at != 0, "expired without an expiry");
        break;
    default:
        FUZZ_ASSERT(false, "verdict %s for a pinned host", verdict_text(j->verdict));
    }
}

static void check_report(X509 *const *certs, int n, const struct judgement *j)
{
    struct cert_info info[MAX_CERTS];
    char known[2][PIN_TEXT_MAX];
    for (int i = 0; i < n; i++) {
        cert_describe(&ossl_cert_ops, ossl_cert(certs[i]), &info[i]);
        FUZZ_ASSERT(memchr(info[i].subject, '\0', sizeof info[i].subject) &&
                        memchr(info[i].issuer, '\0', sizeof info[i].issuer) &&
                        memchr(info[i].pin, '\0', sizeof info[i].pin) &&
                        memchr(info[i].not_after, '\0', sizeof info[i].not_after),
                    "cert_describe left a field without a NUL");
    }
    pin_format(&fixed_pin, known[0]);
    pin_format(&j->counted[0], known[1]);
    struct event ev = {
        .time = 1700000000, .program = "fuzz", .pid = 1, .host = "host.example", .port = 443,
        .peer = "192.0.2.1:443", .mode = "enforce", .verdict = verdict_text(j->verdict),
        .action = j->verdict == VERDICT_PASS ? "allowed" : "blocked",
        .matched_pin = j->matched >= 0 ? known[1] : NULL, .nknown = 2, .known = known,
        .nchain = (size_t)n, .chain = info, .reason = j->reason,
    };
    struct text t = { 0 };
    report_json(&ev, &t);
    FUZZ_ASSERT(!t.failed && t.len > 0 && t.buf[t.len - 1] == '\n', "no JSON line");
    FUZZ_ASSERT(memchr(t.buf, '\n', t.len - 1) == NULL, "a newline inside the JSON line");
    char err[256];
    struct mj *v = mj_parse(t.buf, t.len - 1, err, sizeof err);
    FUZZ_ASSERT(v && v->type == MJ_OBJECT, "not a JSON object (%s): %s", err, t.buf);
    const struct mj *chain = mj_get(v, "served_chain");
    FUZZ_ASSERT(chain && chain->type == MJ_ARRAY && chain->n == (size_t)n, "served_chain has not %d items", n);
    mj_free(v);
    text_free(&t);
    report_line(&ev, &t);
    FUZZ_ASSERT(!t.failed && t.len > 0 && t.buf[t.len - 1] == '\n', "no stderr line");
    for (size_t i = 0; i + 1 < t.len; i++)
        FUZZ_ASSERT((unsigned char)t.buf[i] >= 0x20 && t.buf[i] != 0x7f, "byte 0x%02x in the stderr line",
                    (unsigned char)t.buf[i]);
    text_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    X509 *certs[MAX_CERTS];
    int n = 0;
    if (size < 1)
        return 0;
    unsigned flags = data[0];
    const unsigned char *p = data + 1, *end = data + size;
    while (p < end && n < MAX_CERTS) {
        X509 *x = d2i_X509(NULL, &p, (long)(end - p));
        if (!x)
            break;
        certs[n++] = x;
    }

    struct pin pins[2] = { fixed_pin, fixed_pin };
    int which = (int)(flags & 15);
    if (which < n && pin_of_cert(certs[which], &pins[1]) != 0)
        pins[1] = fixed_pin;
    struct host_entry e = {
        .name = "host.example", .match_key = "host.example", .kind = NAME_DNS, .mode = MODE_INHERIT,
        .warn_days = -1, .npins = 2, .pins = pins, .next_same_key = UINT32_MAX, .expires_at = 0,
    };
    time_t now = 1700000000;
    if (flags & 16) {
        e.expires_at = now - 1;
        e.expires_text = "2023-11-13";
    }

    check_linked(certs, n);

    struct chain_input full = { .ops = &ossl_cert_ops, .served = (const struct cert *const *)certs, .nserved = n };
    if (flags & 32) {
        full.verified = (const struct cert *const *)certs;
        full.nverified = n;
    }
    struct judgement jf, jr;
    judge_chain(&e, &full, now, &jf);
    check_judgement(&jf, &e);
    if (n > 0)
        check_report(certs, n, &jf);

    /* The same leaf resumed: only the leaf (as a session from i2d/d2i keeps)
     * and the whole presented list. */
    for (int k = 0; k < 2; k++) {
        struct chain_input res = { .ops = &ossl_cert_ops, .served = (const struct cert *const *)certs,
                                   .nserved = k == 0 && n > 0 ? 1 : n, .resumed = true };
        judge_chain(&e, &res, now, &jr);
        check_judgement(&jr, &e);
        if (jf.ncounted > 1) {
            /* judge_chain remembered this leaf's chain just now (up to MEMO_PINS keys). */
            for (int i = 0; i < jr.ncounted; i++)
                FUZZ_ASSERT(has_pin(jf.counted, jf.ncounted, &jr.counted[i]),
                            "a resumption counts key %d that the full handshake did not", i);
            if (jr.verdict == VERDICT_PASS)
                FUZZ_ASSERT(jf.verdict == VERDICT_PASS, "a resumption passes where the full handshake failed");
        }
    }

    /* An unpinned host. */
    judge_chain(NULL, &full, now, &jr);
    FUZZ_ASSERT(jr.verdict == VERDICT_UNPINNED && jr.entry == NULL, "no entry but verdict %s",
                verdict_text(jr.verdict));
    for (int i = 0; i < n; i++)
        X509_free(certs[i]);
    return 0;
}
