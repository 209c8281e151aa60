/* JSON formatting: json_string, report_json and report_line on arbitrary
 * strings.  The input is cut at 0x00 bytes into up to 14 strings (the fields
 * of an event and of two served certificates); the first 8 bytes give the
 * numbers.
 *
 * Invariants: every output is valid JSON by a strict parser (minijson.c:
 * UTF-8, escapes, no raw control bytes); a string that was valid UTF-8 comes
 * back unchanged when decoded, any other comes back with U+FFFD for the bad
 * bytes and nothing else lost; the JSON report is one line holding one object
 * whose fields decode to what went in; the stderr report is one line without
 * control bytes. */
#include "config.h"
#include "fuzz.h"
#include "minijson.h"
#include "ossl.h"
#include "report.h"

#define NFIELDS 14

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    ossl_bind_linked();
    return 0;
}

static struct mj *parse(const struct text *t, size_t len)
{
    char err[256];
    FUZZ_ASSERT(!t->failed && t->buf, "no output");
    FUZZ_ASSERT(strlen(t->buf) == t->len, "a NUL inside the output");
    struct mj *v = mj_parse(t->buf, len, err, sizeof err);
    FUZZ_ASSERT(v != NULL, "not valid JSON (%s): %s", err, t->buf);
    return v;
}

/* How many U+FFFD json_string puts in place of invalid bytes: one per byte
 * that does not start a valid sequence. */
static void check_string(const char *s)
{
    struct text t = { 0 };
    json_string(&t, s);
    struct mj *v = parse(&t, t.len);
    FUZZ_ASSERT(v->type == MJ_STRING, "not a string: %s", t.buf);
    size_t n = strlen(s);
    if (utf8_valid((const unsigned char *)s, n))
        FUZZ_ASSERT(v->len == n && memcmp(v->str, s, n) == 0, "valid UTF-8 changed: %s", t.buf);
    else
        FUZZ_ASSERT(v->len >= n / 4, "too much lost: %zu bytes from %zu", v->len, n);
    /* Nothing but the string: every byte outside \uXXXX escapes is printable. */
    for (size_t i = 0; i < t.len; i++)
        FUZZ_ASSERT((unsigned char)t.buf[i] >= 0x20 && t.buf[i] != 0x7f, "raw byte 0x%02x",
                    (unsigned char)t.buf[i]);
    mj_free(v);
    text_free(&t);
}

static void expect(const struct mj *obj, const char *key, const char *value)
{
    const struct mj *m = mj_get(obj, key);
    FUZZ_ASSERT(m != NULL, "no \"%s\"", key);
    if (!value) {
        FUZZ_ASSERT(m->type == MJ_NULL, "\"%s\" is not null", key);
        return;
    }
    FUZZ_ASSERT(m->type == MJ_STRING, "\"%s\" is not a string", key);
    if (utf8_valid((const unsigned char *)value, strlen(value)))
        FUZZ_ASSERT(strcmp(m->str, value) == 0, "\"%s\" is \"%s\", not \"%s\"", key, m->str, value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8 || size > 16384)
        return 0;
    uint64_t num;
    memcpy(&num, data, 8);
    char *all = malloc(size - 8 + 1);
    if (!all)
        abort();
    memcpy(all, data + 8, size - 8);
    all[size - 8] = '\0';

    /* Fields cut at NUL bytes; missing ones are NULL. */
    const char *f[NFIELDS] = { 0 };
    size_t at = 0;
    for (int i = 0; i < NFIELDS && at <= size - 8; i++) {
        f[i] = all + at;
        at += strlen(all + at) + 1;
    }
    for (int i = 0; i < NFIELDS; i++)
        if (f[i])
            check_string(f[i]);

    struct cert_info chain[2];
    memset(chain, 0, sizeof chain);
    for (int c = 0; c < 2; c++) {
        snprintf(chain[c].subject, sizeof chain[c].subject, "%s", f[8 + 3 * c] ? f[8 + 3 * c] : "");
        snprintf(chain[c].issuer, sizeof chain[c].issuer, "%s", f[9 + 3 * c] ? f[9 + 3 * c] : "");
        snprintf(chain[c].pin, sizeof chain[c].pin, "%s", f[10 + 3 * c] ? f[10 + 3 * c] : "");
        snprintf(chain[c].not_after, sizeof chain[c].not_after, "%s", f[4] ? f[4] : "");
    }
    char known[2][PIN_TEXT_MAX];
    snprintf(known[0], sizeof known[0], "%s", f[6] ? f[6] : "");
    snprintf(known[1], sizeof known[1], "%s", f[7] ? f[7] : "");
    struct event ev = {
        /* any second from 1970 to 9999 (RFC 3339 has four-digit years) */
        .time = (time_t)(num % 253402300800ULL),
        .program = f[0], .pid = (long)(num >> 16), .host = f[1], .port = (int)(num >> 40) % 70000 - 1000,
        .peer = f[2], .mode = f[3] ? f[3] : "enforce", .verdict = "fail", .action = (num & 1) ? "blocked" : "allowed",
        .matched_pin = f[5], .nknown = (num >> 1) % 3, .known = known, .nchain = (num >> 3) % 3, .chain = chain,
        .reason = f[4], .warning = (num & 4) ? f[3] : NULL, .repeat = (unsigned long)(num >> 20) % 5,
    };

    struct text t = { 0 };
    report_json(&ev, &t);
    FUZZ_ASSERT(t.len > 0 && t.buf[t.len - 1] == '\n', "the JSON line does not end in a newline");
    FUZZ_ASSERT(memchr(t.buf, '\n', t.len - 1) == NULL, "a newline inside the JSON line: %s", t.buf);
    struct mj *v = parse(&t, t.len - 1);
    FUZZ_ASSERT(v->type == MJ_OBJECT, "not an object: %s", t.buf);
    expect(v, "program", ev.program);
    expect(v, "host", ev.host);
    expect(v, "peer", ev.peer);
    expect(v, "mode", ev.mode);
    expect(v, "matched_pin", ev.matched_pin);
    expect(v, "reason", ev.reason);
    const struct mj *time = mj_get(v, "time");
    FUZZ_ASSERT(time && time->type == MJ_STRING && time->len == 20, "time is not RFC 3339: %s", t.buf);
    const struct mj *kp = mj_get(v, "known_pins"), *sc = mj_get(v, "served_chain");
    FUZZ_ASSERT(kp && kp->type == MJ_ARRAY && kp->n == ev.nknown, "known_pins");
    FUZZ_ASSERT(sc && sc->type == MJ_ARRAY && sc->n == ev.nchain, "served_chain");
    for (size_t i = 0; i < ev.nchain; i++) {
        expect(sc->items[i], "subject", chain[i].subject);
        expect(sc->items[i], "issuer", chain[i].issuer);
        expect(sc->items[i], "not_after", chain[i].not_after[0] ? chain[i].not_after : NULL);
    }
    const struct mj *rep = mj_get(v, "repeat");
    FUZZ_ASSERT(ev.repeat > 1 ? rep && rep->type == MJ_NUMBER && rep->number == (double)ev.repeat : rep == NULL,
                "repeat");
    mj_free(v);
    text_free(&t);

    report_line(&ev, &t);
    FUZZ_ASSERT(t.len > 0 && t.buf[t.len - 1] == '\n', "the stderr line does not end in a newline");
    FUZZ_ASSERT(strncmp(t.buf, "pinshim: ", 9) == 0, "the stderr line does not start with pinshim:");
    for (size_t i = 0; i + 1 < t.len; i++)
        FUZZ_ASSERT((unsigned char)t.buf[i] >= 0x20 && t.buf[i] != 0x7f, "byte 0x%02x in the stderr line: %s",
                    (unsigned char)t.buf[i], t.buf);
    text_free(&t);
    free(all);
    return 0;
}
