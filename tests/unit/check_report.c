/* report.c: JSON strings from hostile bytes, the JSON line (DESIGN 5), the
 * stderr line, certificate descriptions.  Every JSON output is checked with a
 * strict parser (minijson.c) and, when python3 is there, with Python's. */
#include "config.h"
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "minijson.h"
#include "ossl.h"
#include "ossl_cert.h"
#include "report.h"
#include "testpki.h"

#define FFFD "\xef\xbf\xbd"

static struct testpki pki;

static void pki_setup(void)
{
    pki_init(&pki);
}

static void pki_teardown(void)
{
    pki_free(&pki);
}

/* json_string(s) as a fresh NUL-terminated string (caller frees). */
static char *json_of(const char *s)
{
    struct text t = { 0 };
    json_string(&t, s);
    ck_assert_int_eq(t.failed, 0);
    ck_assert_ptr_nonnull(t.buf);
    ck_assert_uint_eq(strlen(t.buf), t.len);
    return t.buf;
}

/* Parses `json` as one JSON string value and returns it decoded (caller frees). */
static char *decode_string(const char *json)
{
    char err[256];
    struct mj *v = mj_parse(json, strlen(json), err, sizeof err);
    ck_assert_msg(v != NULL, "not valid JSON (%s): %.300s", err, json);
    ck_assert_int_eq(v->type, MJ_STRING);
    ck_assert_msg(utf8_valid((const unsigned char *)v->str, v->len), "decoded value is not UTF-8");
    char *s = v->str;
    v->str = NULL;
    mj_free(v);
    return s;
}

/* Raw bytes of a JSON text: no control byte (all escaped). */
static void assert_no_raw_controls(const char *json, const char *what)
{
    for (const unsigned char *p = (const unsigned char *)json; *p; p++)
        ck_assert_msg(*p >= 0x20 && *p != 0x7f, "raw byte 0x%02x in the JSON of %s: %.300s", *p, what, json);
}

/* ---- json_string ---- */

START_TEST(test_json_quotes_backslash)
{
    static const char *const inputs[] = {
        "",
        "plain",
        "\"",
        "\\",
        "\\\"",
        "\"\\\"\\\\\"",
        "a\"b\\c",
        "trailing backslash\\",
        "CN=\"Evil, Inc.\",O=\\\"x\\\"",
        "/slashes/ are fine",
        "\\u0041 is not an escape here",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
        char *json = json_of(inputs[i]);
        assert_no_raw_controls(json, inputs[i]);
        char *back = decode_string(json);
        ck_assert_str_eq(back, inputs[i]);
        free(back);
        free(json);
    }
}
END_TEST

/* Every control byte 0x01-0x1f and 0x7f, alone and between letters. */
START_TEST(test_json_every_control_byte)
{
    int b = _i == 0x20 ? 0x7f : _i;
    char in[8];
    in[0] = 'a';
    in[1] = (char)b;
    in[2] = 'b';
    in[3] = (char)b;
    in[4] = '\0';
    char *json = json_of(in);
    assert_no_raw_controls(json, "a control byte");
    char *back = decode_string(json);
    ck_assert_msg(strcmp(back, in) == 0, "byte 0x%02x: %s decodes differently", b, json);
    free(back);
    free(json);

    in[0] = (char)b;
    in[1] = '\0';
    json = json_of(in);
    assert_no_raw_controls(json, "a control byte");
    back = decode_string(json);
    ck_assert_str_eq(back, in);
    free(back);
    free(json);
}
END_TEST

/* Runs of U+FFFD collapsed to one: how many replacements an invalid sequence
 * gets is a choice (one per byte or one per maximal subpart), where they are
 * is not. */
static char *collapse_fffd(const char *s)
{
    char *out = malloc(strlen(s) + 1), *o = out;
    ck_assert_ptr_nonnull(out);
    while (*s) {
        if (strncmp(s, FFFD, 3) == 0) {
            memcpy(o, FFFD, 3);
            o += 3;
            while (strncmp(s, FFFD, 3) == 0)
                s += 3;
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    return out;
}

static const struct {
    const char *in, *want; /* want: decoded, runs of U+FFFD collapsed */
} bad_utf8[] = {
    { "a\x80" "b", "a" FFFD "b" },                        /* lone continuation */
    { "\xbf", FFFD },
    { "x\x80\x80\x80y", "x" FFFD "y" },
    { "a\xc0\xaf" "b", "a" FFFD "b" },                    /* overlong '/' */
    { "\xc1\xbf", FFFD },                                 /* overlong */
    { "\xe0\x80\xaf", FFFD },                             /* overlong, 3 bytes */
    { "\xf0\x80\x80\xaf", FFFD },                         /* overlong, 4 bytes */
    { "s\xed\xa0\x80t", "s" FFFD "t" },                   /* surrogate U+D800 */
    { "\xed\xbf\xbf", FFFD },                             /* surrogate U+DFFF */
    { "\xed\xa0\xbd\xed\xb8\x80", FFFD },                 /* CESU-8 pair */
    { "ab\xe2\x82", "ab" FFFD },                          /* truncated at the end */
    { "ab\xc3", "ab" FFFD },
    { "ab\xf0\x9f\x98", "ab" FFFD },
    { "\xe2\x82x", FFFD "x" },                            /* truncated, then ASCII kept */
    { "\xc3(", FFFD "(" },
    { "\xf0\x9f\x98\"", FFFD "\"" },                      /* truncated, then a quote */
    { "\xe2\\", FFFD "\\" },                              /* truncated, then a backslash */
    { "\xc3\n", FFFD "\n" },                              /* truncated, then a newline */
    { "\xff", FFFD },
    { "\xfe\xff", FFFD },
    { "a\xff" "b\xfe" "c", "a" FFFD "b" FFFD "c" },
    { "\xf5\x80\x80\x80", FFFD },                         /* beyond U+10FFFF */
    { "\xf4\x90\x80\x80", FFFD },                         /* U+110000 */
    { "\xf8\x88\x80\x80\x80", FFFD },                     /* 5-byte form */
    { "\xc3\xa9\xff\xc3\xa9", "\xc3\xa9" FFFD "\xc3\xa9" }, /* valid around invalid */
    { "\"\xc0\n\\\x01", "\"" FFFD "\n\\\x01" },
};

START_TEST(test_json_invalid_utf8)
{
    const char *in = bad_utf8[_i].in;
    char *json = json_of(in);
    assert_no_raw_controls(json, "invalid UTF-8");
    ck_assert_msg(utf8_valid((const unsigned char *)json, strlen(json)), "output is not UTF-8: %.300s", json);
    char *back = decode_string(json);
    ck_assert_msg(strstr(back, FFFD) != NULL, "case %d: no U+FFFD in %s", _i, json);
    char *got = collapse_fffd(back);
    ck_assert_msg(strcmp(got, bad_utf8[_i].want) == 0, "case %d: %s decodes to the wrong text", _i, json);
    free(got);
    free(back);
    free(json);
}
END_TEST

START_TEST(test_json_valid_multibyte_kept)
{
    static const char *const inputs[] = {
        "caf\xc3\xa9",                      /* U+00E9 */
        "\xc2\x80 \xdf\xbf",                /* U+0080, U+07FF */
        "\xe4\xb8\xad\xe6\x96\x87",         /* CJK */
        "\xe0\xa0\x80 \xef\xbf\xbf",        /* U+0800, U+FFFF */
        "\xed\x9f\xbf \xee\x80\x80",        /* U+D7FF, U+E000 around the surrogates */
        FFFD,                               /* a real U+FFFD */
        "\xf0\x9f\x98\x80",                 /* U+1F600 */
        "\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf", /* U+10000, U+10FFFF */
        "CN=M\xc3\xbcller GmbH,O=\xe6\xb5\x8b\xe8\xaf\x95",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
        char want[256];
        snprintf(want, sizeof want, "\"%s\"", inputs[i]);
        char *json = json_of(inputs[i]);
        ck_assert_msg(strcmp(json, want) == 0, "valid UTF-8 %zu changed: %s", i, json);
        char *back = decode_string(json);
        ck_assert_str_eq(back, inputs[i]);
        free(back);
        free(json);
    }
}
END_TEST

START_TEST(test_json_null_and_append)
{
    char *json = json_of(NULL);
    ck_assert_str_eq(json, "\"\"");
    free(json);

    struct text t = { 0 };
    text_add(&t, "[", 1);
    json_string(&t, "a\"");
    text_add(&t, ",", 1);
    json_string(&t, "b\n");
    text_add(&t, "]", 1);
    char err[128];
    struct mj *v = mj_parse(t.buf, t.len, err, sizeof err);
    ck_assert_msg(v != NULL, "%s: %s", err, t.buf);
    ck_assert_int_eq(v->type, MJ_ARRAY);
    ck_assert_uint_eq(v->n, 2);
    ck_assert_str_eq(v->items[0]->str, "a\"");
    ck_assert_str_eq(v->items[1]->str, "b\n");
    mj_free(v);
    text_free(&t);
}
END_TEST

START_TEST(test_json_long_hostile)
{
    /* 64 KiB of every byte value 1..255, repeated: one string, valid JSON */
    size_t n = 65536;
    char *in = malloc(n + 1);
    ck_assert_ptr_nonnull(in);
    for (size_t i = 0; i < n; i++)
        in[i] = (char)(1 + i % 255);
    in[n] = '\0';
    char *json = json_of(in);
    assert_no_raw_controls(json, "all bytes");
    char *back = decode_string(json);
    /* the ASCII part survives in place: the first 127 bytes */
    ck_assert_int_eq(memcmp(back, in, 127), 0);
    free(back);
    free(json);
    free(in);
}
END_TEST

/* Python's json module, reading the raw bytes as strict UTF-8. */
static const char *python3(void)
{
    const char *env = getenv("PYTHON3");
    if (env && access(env, X_OK) == 0)
        return env;
    if (access("/usr/bin/python3", X_OK) == 0)
        return "/usr/bin/python3";
    return NULL;
}

START_TEST(test_json_python_agrees)
{
    const char *py = python3();
    if (!py) {
        fprintf(stderr, "test_json_python_agrees: no python3, only the built-in JSON check ran\n");
        return;
    }
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "%s -c 'import json,sys\n"
             "for line in sys.stdin.buffer.read().split(b\"\\n\")[:-1]:\n"
             "    json.loads(line.decode(\"utf-8\", \"strict\"))\n'",
             py);
    FILE *f = popen(cmd, "w");
    ck_assert_ptr_nonnull(f);
    for (int b = 1; b < 256; b++) {
        char in[4] = { 'x', (char)b, 'y', 0 };
        char *json = json_of(in);
        fprintf(f, "%s\n", json);
        free(json);
    }
    for (size_t i = 0; i < sizeof bad_utf8 / sizeof *bad_utf8; i++) {
        char *json = json_of(bad_utf8[i].in);
        fprintf(f, "%s\n", json);
        free(json);
    }
    ck_assert_int_eq(pclose(f), 0);
}
END_TEST

/* ---- the JSON line ---- */

struct sample {
    struct cert_info chain[3];
    char known[2][PIN_TEXT_MAX];
    struct event ev;
};

#define HOSTILE_SUBJECT "CN=\"quoted\\\" \\evil\nsecond line\r\t\x1b[31m,O=M\xc3\xbcller"

static void sample_event(struct sample *s)
{
    memset(s, 0, sizeof *s);
    cert_describe(&ossl_cert_ops, ossl_cert(pki.leaf), &s->chain[0]);
    cert_describe(&ossl_cert_ops, ossl_cert(pki.intermediate), &s->chain[1]);
    cert_describe(&ossl_cert_ops, ossl_cert(pki.root), &s->chain[2]);
    snprintf(s->chain[0].subject, sizeof s->chain[0].subject, "%s", HOSTILE_SUBJECT);
    memcpy(s->known[0], s->chain[2].pin, PIN_TEXT_MAX);
    memcpy(s->known[1], "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 52);
    s->ev = (struct event){
        .time = 1700000000,
        .program = "/usr/bin/cu\"rl",
        .pid = 4242,
        .host = "api.example.com",
        .port = 443,
        .peer = "192.0.2.10:443",
        .mode = "enforce",
        .verdict = "fail",
        .action = "blocked",
        .matched_pin = NULL,
        .nknown = 2,
        .known = (const char(*)[PIN_TEXT_MAX])s->known,
        .nchain = 3,
        .chain = s->chain,
        .reason = "none of the 3 key(s) \"matched\"\n\\ really",
    };
}

/* report_json as a parsed object; checks the one-line shape on the way. */
static struct mj *json_line(const struct event *ev, char **raw)
{
    struct text t = { 0 };
    char err[256];
    report_json(ev, &t);
    ck_assert_int_eq(t.failed, 0);
    ck_assert_ptr_nonnull(t.buf);
    ck_assert_uint_gt(t.len, 2);
    ck_assert_msg(t.buf[t.len - 1] == '\n', "the JSON line does not end in a newline");
    ck_assert_msg(memchr(t.buf, '\n', t.len - 1) == NULL, "newline inside the JSON line: %.1000s", t.buf);
    t.buf[t.len - 1] = '\0';
    assert_no_raw_controls(t.buf, "the JSON line");
    struct mj *v = mj_parse(t.buf, t.len - 1, err, sizeof err);
    ck_assert_msg(v != NULL, "the JSON line does not parse (%s): %.1000s", err, t.buf);
    ck_assert_int_eq(v->type, MJ_OBJECT);
    if (raw)
        *raw = t.buf;
    else
        free(t.buf);
    return v;
}

static const char *str_member(const struct mj *o, const char *key)
{
    const struct mj *m = mj_get(o, key);
    ck_assert_msg(m != NULL, "member \"%s\" missing", key);
    ck_assert_msg(m->type == MJ_STRING, "member \"%s\" is not a string", key);
    return m->str;
}

START_TEST(test_report_json_all_fields)
{
    struct sample s;
    sample_event(&s);
    struct mj *v = json_line(&s.ev, NULL);

    ck_assert_str_eq(str_member(v, "time"), "2023-11-14T22:13:20Z");
    ck_assert_str_eq(str_member(v, "program"), "/usr/bin/cu\"rl");
    const struct mj *pid = mj_get(v, "pid");
    ck_assert_ptr_nonnull(pid);
    ck_assert_int_eq(pid->type, MJ_NUMBER);
    ck_assert(pid->number == 4242);
    ck_assert_str_eq(str_member(v, "host"), "api.example.com");
    const struct mj *port = mj_get(v, "port");
    ck_assert_ptr_nonnull(port);
    ck_assert_int_eq(port->type, MJ_NUMBER);
    ck_assert(port->number == 443);
    ck_assert_str_eq(str_member(v, "peer"), "192.0.2.10:443");
    ck_assert_str_eq(str_member(v, "mode"), "enforce");
    ck_assert_str_eq(str_member(v, "verdict"), "fail");
    ck_assert_str_eq(str_member(v, "action"), "blocked");
    const struct mj *matched = mj_get(v, "matched_pin");
    ck_assert_msg(matched != NULL, "matched_pin missing (must be null when none)");
    ck_assert_int_eq(matched->type, MJ_NULL);

    const struct mj *known = mj_get(v, "known_pins");
    ck_assert_ptr_nonnull(known);
    ck_assert_int_eq(known->type, MJ_ARRAY);
    ck_assert_uint_eq(known->n, 2);
    ck_assert_int_eq(known->items[0]->type, MJ_STRING);
    ck_assert_str_eq(known->items[0]->str, s.known[0]);
    ck_assert_str_eq(known->items[1]->str, s.known[1]);

    const struct mj *chain = mj_get(v, "served_chain");
    ck_assert_ptr_nonnull(chain);
    ck_assert_int_eq(chain->type, MJ_ARRAY);
    ck_assert_uint_eq(chain->n, 3);
    for (size_t i = 0; i < 3; i++) {
        const struct mj *c = chain->items[i];
        ck_assert_int_eq(c->type, MJ_OBJECT);
        ck_assert_str_eq(str_member(c, "subject"), s.chain[i].subject);
        ck_assert_str_eq(str_member(c, "issuer"), s.chain[i].issuer);
        ck_assert_str_eq(str_member(c, "pin"), s.chain[i].pin);
        ck_assert_str_eq(str_member(c, "not_after"), s.chain[i].not_after);
    }
    ck_assert_str_eq(str_member(chain->items[0], "subject"), HOSTILE_SUBJECT);
    ck_assert_str_eq(str_member(v, "reason"), s.ev.reason);

    /* exactly the fields of DESIGN 5 */
    static const char *const fields[] = { "time", "program", "pid", "host", "port", "peer", "mode",
                                          "verdict", "action", "matched_pin", "known_pins", "served_chain",
                                          "reason" };
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        ck_assert_msg(mj_get(v, fields[i]) != NULL, "field %s missing", fields[i]);
    mj_free(v);
}
END_TEST

START_TEST(test_report_json_matched_and_empty)
{
    struct sample s;
    sample_event(&s);
    s.ev.matched_pin = s.known[0];
    s.ev.verdict = "pass";
    s.ev.action = "allowed";
    struct mj *v = json_line(&s.ev, NULL);
    ck_assert_str_eq(str_member(v, "matched_pin"), s.known[0]);
    ck_assert_str_eq(str_member(v, "verdict"), "pass");
    mj_free(v);

    /* nothing known, nothing served */
    s.ev.nknown = 0;
    s.ev.nchain = 0;
    s.ev.matched_pin = NULL;
    s.ev.reason = "";
    v = json_line(&s.ev, NULL);
    const struct mj *known = mj_get(v, "known_pins"), *chain = mj_get(v, "served_chain");
    ck_assert(known && known->type == MJ_ARRAY && known->n == 0);
    ck_assert(chain && chain->type == MJ_ARRAY && chain->n == 0);
    ck_assert_int_eq(mj_get(v, "matched_pin")->type, MJ_NULL);
    ck_assert_str_eq(str_member(v, "reason"), "");
    mj_free(v);
}
END_TEST

/* Invalid UTF-8 and control bytes in every string field still give one
 * parseable line. */
START_TEST(test_report_json_hostile_everywhere)
{
    struct sample s;
    sample_event(&s);
    const char *bad = "\xc0\xaf\n\"\\\x7f\xed\xa0\x80\xe2\x82";
    for (size_t i = 0; i < 3; i++) {
        snprintf(s.chain[i].subject, sizeof s.chain[i].subject, "%s", bad);
        snprintf(s.chain[i].issuer, sizeof s.chain[i].issuer, "%s", bad);
    }
    s.ev.program = bad;
    s.ev.host = bad;
    s.ev.peer = bad;
    s.ev.reason = bad;
    s.ev.mode = bad;
    s.ev.verdict = bad;
    s.ev.action = bad;
    s.ev.matched_pin = bad;
    char *raw = NULL;
    struct mj *v = json_line(&s.ev, &raw);
    ck_assert_msg(utf8_valid((unsigned char *)raw, strlen(raw)), "line not UTF-8: %s", raw);
    const char *h = str_member(v, "host");
    char *c = collapse_fffd(h);
    ck_assert_str_eq(c, FFFD "\n\"\\\x7f" FFFD);
    free(c);
    mj_free(v);
    free(raw);
}
END_TEST

/* A subject and reason longer than any fixed buffer of report.c. */
START_TEST(test_report_json_long_fields)
{
    struct sample s;
    sample_event(&s);
    char reason[5000];
    memset(reason, 'r', sizeof reason - 1);
    reason[sizeof reason - 1] = '\0';
    reason[100] = '"';
    s.ev.reason = reason;
    memset(s.chain[1].subject, 'S', sizeof s.chain[1].subject - 1);
    s.chain[1].subject[sizeof s.chain[1].subject - 1] = '\0';
    struct mj *v = json_line(&s.ev, NULL);
    ck_assert_str_eq(str_member(v, "reason"), reason);
    ck_assert_str_eq(str_member(mj_get(v, "served_chain")->items[1], "subject"), s.chain[1].subject);
    mj_free(v);
}
END_TEST

/* ---- the stderr line ---- */

static char *line_of(const struct event *ev)
{
    struct text t = { 0 };
    report_line(ev, &t);
    ck_assert_int_eq(t.failed, 0);
    ck_assert_ptr_nonnull(t.buf);
    ck_assert_msg(t.len > 0 && t.buf[t.len - 1] == '\n', "no newline at the end: %.1000s", t.buf);
    for (size_t i = 0; i + 1 < t.len; i++)
        ck_assert_msg((unsigned char)t.buf[i] >= 0x20 && (unsigned char)t.buf[i] != 0x7f,
                      "control byte 0x%02x at %zu in the stderr line: %.1000s", (unsigned char)t.buf[i], i, t.buf);
    return t.buf;
}

START_TEST(test_report_line_one_line)
{
    struct sample s;
    sample_event(&s);
    s.ev.host = "api.example.com\nFAKE: pinshim: allowed";
    s.ev.peer = "192.0.2.10:443\r\n";
    s.ev.program = "prog\n";
    s.ev.matched_pin = "sha256/x\ny";
    char *line = line_of(&s.ev);
    ck_assert_msg(strncmp(line, "pinshim: ", 9) == 0, "%s", line);
    ck_assert_ptr_eq(strchr(line, '\n'), line + strlen(line) - 1);
    ck_assert_ptr_null(strchr(line, '\r'));
    free(line);
}
END_TEST

/* Found by tests/fuzz/fuzz_json.c: the verdict and the mode went into the
 * stderr line raw.  Both are fixed words today, but the line keeps its promise
 * (one line, no control byte) whatever the event holds. */
START_TEST(test_report_line_every_field_plain)
{
    struct sample s;
    sample_event(&s);
    s.ev.mode = "\xf4\x90\x80\x07\xae";
    s.ev.verdict = "fail\nFAKE: pinshim: allowed";
    char *line = line_of(&s.ev);
    ck_assert_ptr_eq(strchr(line, '\n'), line + strlen(line) - 1);
    ck_assert_ptr_nonnull(strstr(line, "verdict fail?FAKE"));
    free(line);
    s.ev.mode = NULL;
    s.ev.verdict = NULL;
    line = line_of(&s.ev);
    free(line);
}
END_TEST

START_TEST(test_report_line_facts)
{
    struct sample s;
    sample_event(&s);
    s.ev.matched_pin = s.known[0];
    char *line = line_of(&s.ev);
    const char *facts[] = { "BLOCKED", "api.example.com:443", "192.0.2.10:443", "[4242]", "fail", "enforce",
                            "none of the 3 key(s)", s.known[0], s.known[1], s.chain[1].subject,
                            s.chain[1].pin, s.chain[2].pin };
    for (size_t i = 0; i < sizeof facts / sizeof *facts; i++)
        ck_assert_msg(strstr(line, facts[i]) != NULL, "\"%s\" missing from: %s", facts[i], line);
    free(line);

    s.ev.action = "allowed";
    s.ev.verdict = "pass";
    line = line_of(&s.ev);
    ck_assert_ptr_null(strstr(line, "BLOCKED"));
    ck_assert_ptr_nonnull(strstr(line, "allowed"));
    ck_assert_ptr_nonnull(strstr(line, "pass"));
    free(line);

    /* unknown host, port and peer, nothing served */
    s.ev.host = NULL;
    s.ev.port = 0;
    s.ev.peer = NULL;
    s.ev.nchain = 0;
    s.ev.nknown = 0;
    s.ev.matched_pin = NULL;
    line = line_of(&s.ev);
    free(line);
}
END_TEST

/* ---- certificate descriptions ---- */

START_TEST(test_cert_describe)
{
    struct cert_info ci;
    char want_pin[64];
    struct pin p;

    cert_describe(&ossl_cert_ops, ossl_cert(pki.leaf), &ci);
    ck_assert_str_eq(ci.subject, "CN=leaf.example.com,O=Pinshim Test");
    ck_assert_str_eq(ci.issuer, "CN=Pinshim Test Intermediate,O=Pinshim Test");
    pki_pin_of_key(pki.leaf_key, &p);
    pki_pin_text(p.hash, want_pin);
    ck_assert_str_eq(ci.pin, want_pin);

    cert_describe(&ossl_cert_ops, ossl_cert(pki.root), &ci);
    ck_assert_str_eq(ci.subject, "CN=Pinshim Test Root,O=Pinshim Test");
    ck_assert_str_eq(ci.issuer, ci.subject);
    pki_pin_of_key(pki.root_key, &p);
    pki_pin_text(p.hash, want_pin);
    ck_assert_str_eq(ci.pin, want_pin);
}
END_TEST

START_TEST(test_cert_describe_not_after)
{
    static const struct {
        int y, mo, d, h, mi, s;
        const char *want;
    } when[] = {
        { 2031, 5, 17, 12, 34, 56, "2031-05-17T12:34:56Z" },  /* UTCTime */
        { 2049, 12, 31, 23, 59, 59, "2049-12-31T23:59:59Z" }, /* last UTCTime */
        { 2050, 1, 1, 0, 0, 0, "2050-01-01T00:00:00Z" },      /* GeneralizedTime */
        { 2061, 1, 2, 3, 4, 5, "2061-01-02T03:04:05Z" },
        { 1999, 2, 28, 8, 0, 1, "1999-02-28T08:00:01Z" },
    };
    for (size_t i = 0; i < sizeof when / sizeof *when; i++) {
        time_t t = pki_time(when[i].y, when[i].mo, when[i].d, when[i].h, when[i].mi, when[i].s);
        X509 *c = pki_cert(&(struct pki_spec){ .cn = "time.example.com", .key = pki.leaf_key,
                                                .issuer = pki.intermediate, .signer = pki.int_key,
                                                .not_before = t - 86400 * 400, .not_after = t });
        struct cert_info ci;
        cert_describe(&ossl_cert_ops, ossl_cert(c), &ci);
        ck_assert_str_eq(ci.not_after, when[i].want);
        X509_free(c);
    }
}
END_TEST

/* A certificate whose CN holds quotes, commas, a newline and UTF-8: the
 * description is one line and survives the JSON line. */
START_TEST(test_cert_describe_hostile_subject)
{
    X509 *c = pki_cert(&(struct pki_spec){ .cn = "evil \"CN\", with\nnewline \\ M\xc3\xbcller",
                                            .org = "O=x+y;z<>", .key = pki.leaf_key,
                                            .issuer = pki.intermediate, .signer = pki.int_key });
    struct cert_info ci;
    cert_describe(&ossl_cert_ops, ossl_cert(c), &ci);
    ck_assert_ptr_null(strchr(ci.subject, '\n'));
    ck_assert_msg(strstr(ci.subject, "CN=") == ci.subject, "%s", ci.subject);
    ck_assert_msg(strstr(ci.subject, ",O=") != NULL, "%s", ci.subject);

    struct sample s;
    sample_event(&s);
    s.chain[0] = ci;
    struct mj *v = json_line(&s.ev, NULL);
    ck_assert_str_eq(str_member(mj_get(v, "served_chain")->items[0], "subject"), ci.subject);
    mj_free(v);
    char *line = line_of(&s.ev);
    free(line);
    X509_free(c);
}
END_TEST

START_TEST(test_format_time)
{
    char buf[32];
    format_time(0, buf);
    ck_assert_str_eq(buf, "1970-01-01T00:00:00Z");
    format_time(1700000000, buf);
    ck_assert_str_eq(buf, "2023-11-14T22:13:20Z");
    format_time(951782400, buf); /* a leap day */
    ck_assert_str_eq(buf, "2000-02-29T00:00:00Z");
    format_time(253402300799, buf);
    ck_assert_str_eq(buf, "9999-12-31T23:59:59Z");
}
END_TEST

START_TEST(test_text_printf_long)
{
    struct text t = { 0 };
    char big[3000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    text_add(&t, "<", 1);
    text_printf(&t, "%s|%d", big, 77);
    text_printf(&t, "%s", "");
    ck_assert_uint_eq(t.len, 1 + 2999 + 3);
    ck_assert_uint_eq(strlen(t.buf), t.len);
    ck_assert_int_eq(t.buf[0], '<');
    ck_assert_str_eq(t.buf + 3000, "|77");
    text_free(&t);
    ck_assert_ptr_null(t.buf);
}
END_TEST

static Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("json_string");
    tcase_add_test(tc, test_json_quotes_backslash);
    tcase_add_loop_test(tc, test_json_every_control_byte, 1, 0x21); /* 0x20 stands for 0x7f */
    tcase_add_loop_test(tc, test_json_invalid_utf8, 0, (int)(sizeof bad_utf8 / sizeof *bad_utf8));
    tcase_add_test(tc, test_json_valid_multibyte_kept);
    tcase_add_test(tc, test_json_null_and_append);
    tcase_add_test(tc, test_json_long_hostile);
    tcase_add_test(tc, test_json_python_agrees);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);

    tc = tcase_create("lines");
    tcase_add_unchecked_fixture(tc, pki_setup, pki_teardown);
    tcase_add_test(tc, test_report_json_all_fields);
    tcase_add_test(tc, test_report_json_matched_and_empty);
    tcase_add_test(tc, test_report_json_hostile_everywhere);
    tcase_add_test(tc, test_report_json_long_fields);
    tcase_add_test(tc, test_report_line_one_line);
    tcase_add_test(tc, test_report_line_every_field_plain);
    tcase_add_test(tc, test_report_line_facts);
    suite_add_tcase(s, tc);

    tc = tcase_create("describe");
    tcase_add_unchecked_fixture(tc, pki_setup, pki_teardown);
    tcase_add_test(tc, test_cert_describe);
    tcase_add_test(tc, test_cert_describe_not_after);
    tcase_add_test(tc, test_cert_describe_hostile_subject);
    tcase_add_test(tc, test_format_time);
    tcase_add_test(tc, test_text_printf_long);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    ossl_bind_linked();
    SRunner *sr = srunner_create(report_suite());
    srunner_run_all(sr, CK_VERBOSE);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
