/* cli/tally.c and cli/logread.c: `pinshim report`'s reading and sums,
 * without files: times, the forms a record travels in, the time axis that
 * widens as records come in any order, and the bounds (names, keys). */
#include "config.h"
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/logread.h"
#include "cli/tally.h"

/* logread.c says why it stops on stderr through cli_error (main.c's): here
 * the last message is kept for the assertions. */
static char said[512];
void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(said, sizeof said, fmt, ap);
    va_end(ap);
}

#define PIN_A "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
#define PIN_B "sha256/BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA="
#define PIN_CA "sha256/CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCA="

/* One line as the library writes it. */
static const char *record(char *buf, size_t len, const char *time, const char *host, const char *verdict,
                          const char *action, const char *leaf, const char *extra)
{
    snprintf(buf, len,
             "{\"time\":\"%s\",\"program\":\"curl\",\"pid\":7,\"host\":\"%s\",\"port\":443,\"peer\":\"127.0.0.1:443\","
             "\"mode\":\"report\",\"verdict\":\"%s\",\"action\":\"%s\",\"matched_pin\":%s,\"known_pins\":[\"" PIN_A
             "\"],\"served_chain\":[{\"subject\":\"CN=%s\",\"issuer\":\"CN=CA\",\"pin\":\"%s\",\"not_after\":"
             "\"2027-01-01T00:00:00Z\"},{\"subject\":\"CN=CA\",\"issuer\":\"CN=Root\",\"pin\":\"" PIN_CA
             "\",\"not_after\":\"2030-01-01T00:00:00Z\"}],\"reason\":\"r\",\"library\":\"openssl 3.0.17\"%s}",
             time, host, verdict, action, strcmp(verdict, "pass") == 0 ? "\"" PIN_A "\"" : "null", host, leaf,
             extra ? extra : "");
    return buf;
}

static bool add(struct tally *t, const char *line)
{
    return logread_line(line, strlen(line), t);
}

START_TEST(times)
{
    time_t t;
    ck_assert(logread_time("1970-01-01T00:00:00Z", &t) && t == 0);
    ck_assert(logread_time("2026-12-06T23:00:00Z", &t) && t == 1796598000);
    ck_assert(logread_time("2024-02-29T12:00:00Z", &t) && t == 1709208000);     /* a leap day */
    ck_assert(logread_time("2026-12-06T23:00:00.123456+01:00", &t) && t == 1796598000 - 3600);
    ck_assert(logread_time("2026-12-06T23:00:00-05:30", &t) && t == 1796598000 + 5 * 3600 + 1800);
    ck_assert(logread_time("2100-03-01T00:00:00Z", &t) && t == 4107542400);
    ck_assert(!logread_time("2026-12-06 23:00:00Z", &t));
    ck_assert(!logread_time("2026-13-06T23:00:00Z", &t));
    ck_assert(!logread_time("2026-12-06T24:00:00Z", &t));
    ck_assert(!logread_time("2026-12-06T23:00:00", &t));      /* no zone: not RFC 3339 */
    ck_assert(!logread_time("2026-12-06T23:00:00Zjunk", &t));
    ck_assert(!logread_time("1969-12-31T23:59:59Z", &t));
    ck_assert(!logread_time("", &t));
    ck_assert(!logread_time(NULL, &t));
    /* every day of four years against timegm */
    for (time_t d = 1704067200; d < 1704067200 + 4 * 366 * 86400; d += 86400 + 3661) {
        struct tm tm;
        char s[32];
        gmtime_r(&d, &tm);
        strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%SZ", &tm);
        ck_assert_msg(logread_time(s, &t) && t == d, "%s", s);
    }
}
END_TEST

START_TEST(forms)
{
    struct tally t;
    char rec[2048], line[4096];
    tally_init(&t);
    record(rec, sizeof rec, "2026-12-06T10:00:00Z", "a.test", "pass", "allowed", PIN_A, NULL);
    ck_assert(add(&t, rec));
    snprintf(line, sizeof line, "2026-12-06T10:00:01.5+00:00 web1 pinshim[7]: @cee: %s", rec);
    ck_assert(add(&t, line));
    snprintf(line, sizeof line, "Dec  6 10:00:02 web2 pinshim-json: %s\n", rec);
    ck_assert(add(&t, line));
    snprintf(line, sizeof line, "<38>Dec  6 10:00:02 web3 pinshim[7]:@cee:%s", rec);
    ck_assert(add(&t, line));
    /* journalctl -o json: the record is the MESSAGE, the machine _HOSTNAME */
    char esc[3000];
    size_t n = 0;
    for (const char *p = rec; *p && n < sizeof esc - 3; p++) {
        if (*p == '"' || *p == '\\')
            esc[n++] = '\\';
        esc[n++] = *p;
    }
    esc[n] = '\0';
    snprintf(line, sizeof line, "{\"_HOSTNAME\":\"web4\",\"MESSAGE\":\"@cee: %s\"}", esc);
    ck_assert(add(&t, line));
    /* not records */
    ck_assert(!add(&t, ""));
    ck_assert(!add(&t, "   \n"));
    ck_assert(!add(&t, "Dec  6 10:00:02 web1 pinshim[7]: allowed a.test:443 in curl[7]: verdict pass"));
    ck_assert(!add(&t, "{\"_HOSTNAME\":\"web4\",\"MESSAGE\":\"allowed a.test\"}"));
    ck_assert(!add(&t, "{\"time\":\"2026-12-06T10:00:00Z\"}"));           /* no verdict */
    ck_assert(!add(&t, "{\"verdict\":\"pass\",\"time\":\"yesterday\"}"));  /* no time */
    ck_assert(!add(&t, "{\"verdict\":\"pass\",\"time\":\"2026-12-06T10:00:00Z\""));  /* cut short */
    ck_assert(!add(&t, "[1,2,3]"));
    tally_finish(&t);
    ck_assert_uint_eq(t.records, 5);
    ck_assert_uint_eq(t.nhosts, 1);
    ck_assert_uint_eq(t.hosts[0]->events, 5);
    ck_assert_uint_eq(t.machines.n, 4);
    ck_assert_str_eq(t.machines.name[0], "web1");
    ck_assert_str_eq(t.machines.name[3], "web4");
    ck_assert_uint_eq(t.hosts[0]->programs.n, 5);   /* curl, web1:curl ... web4:curl */
    tally_free(&t);
}
END_TEST

START_TEST(sums_and_verdicts)
{
    struct tally t;
    char rec[2048], words[600];
    tally_init(&t);
    add(&t, record(rec, sizeof rec, "2026-12-01T10:00:00Z", "a.test", "pass", "allowed", PIN_A, NULL));
    add(&t, record(rec, sizeof rec, "2026-12-02T10:00:00Z", "a.test", "fail", "allowed", PIN_B, ",\"repeat\":9"));
    add(&t, record(rec, sizeof rec, "2026-12-03T10:00:00Z", "b.test", "fail", "blocked", PIN_B, NULL));
    add(&t, record(rec, sizeof rec, "2026-12-03T10:00:00Z", "c.test", "pass", "allowed", PIN_A, NULL));
    add(&t, record(rec, sizeof rec, "2026-12-03T10:00:00Z", "d.test", "unpinned", "allowed", PIN_A, NULL));
    tally_finish(&t);
    ck_assert_uint_eq(t.events, 13);
    struct tally_host **h = tally_sorted(&t);
    ck_assert_ptr_nonnull(h);
    ck_assert_str_eq(h[0]->name, "a.test");
    ck_assert_int_eq(tally_host_state(h[0]), TS_WOULD_BREAK);
    ck_assert_uint_eq(h[0]->would_block, 9);
    tally_verdict_text(h[0], words, sizeof words);
    ck_assert_str_eq(words, "would break 9 connections from curl since 2026-12-02T10:00:00Z");
    ck_assert_int_eq(tally_host_state(h[1]), TS_BLOCKING);
    tally_verdict_text(h[1], words, sizeof words);
    ck_assert_str_eq(words, "enforced, and blocking: 1 connection refused from curl since 2026-12-03T10:00:00Z");
    ck_assert_int_eq(tally_host_state(h[2]), TS_UNPINNED);
    ck_assert_int_eq(tally_host_state(h[3]), TS_READY);
    tally_verdict_text(h[3], words, sizeof words);
    ck_assert_str_eq(words, "ready to enforce");
    /* a.test's keys: leaf A (1, matched), leaf B (9, unmatched), the CA (10); the latest chain is B's */
    ck_assert_uint_eq(h[0]->nkeys, 3);
    ck_assert_str_eq(h[0]->keys[0].pin, PIN_A);
    ck_assert_uint_eq(h[0]->keys[0].matched, 1);
    ck_assert_str_eq(h[0]->keys[1].pin, PIN_B);
    ck_assert_uint_eq(h[0]->keys[1].unmatched, 9);
    ck_assert_str_eq(h[0]->keys[2].pin, PIN_CA);
    ck_assert_uint_eq(h[0]->keys[2].events, 10);
    ck_assert_int_eq(h[0]->keys[2].depth, 1);
    ck_assert_str_eq(h[0]->keys[h[0]->last_chain[0]].pin, PIN_B);
    ck_assert_int_eq(tally_days(1796515200 /* 2026-12-06 */, h[0]->earliest_expiry), 26);
    free(h);
    tally_free(&t);
}
END_TEST

/* Records a year apart, then one before them all: the axis widens and every
 * event stays in the column of its time. */
START_TEST(axis_widens)
{
    static const char *const when[] = {
        "2026-01-01T00:00:00Z", "2026-01-01T00:00:05Z", "2026-07-01T00:00:00Z",
        "2026-12-31T23:59:59Z", "2024-03-01T12:00:00Z",
    };
    struct tally t;
    char rec[2048];
    tally_init(&t);
    for (size_t i = 0; i < sizeof when / sizeof when[0]; i++) {
        add(&t, record(rec, sizeof rec, when[i], "a.test", "pass", "allowed", PIN_A, NULL));
        unsigned long sum = 0;
        for (int c = 0; c < TALLY_BUCKETS; c++)
            sum += t.hosts[0]->timeline[c][TALLY_OK];
        ck_assert_uint_eq(sum, i + 1);
        for (size_t k = 0; k <= i; k++) {
            time_t at;
            logread_time(when[k], &at);
            ck_assert(at >= t.t0 && at < t.t0 + (time_t)TALLY_BUCKETS * t.width);
        }
        ck_assert_int_eq(t.t0 % t.width, 0);
    }
    ck_assert_int_le(tally_columns_used(&t), TALLY_BUCKETS);
    tally_free(&t);
}
END_TEST

START_TEST(bounds)
{
    struct tally t;
    char rec[2048], pin[64], prog[64], line[2200];
    tally_init(&t);
    for (int i = 0; i < 100; i++) {
        snprintf(pin, sizeof pin, "sha256/%043d=", i);
        record(rec, sizeof rec, "2026-12-01T10:00:00Z", "a.test", "fail", "allowed", pin, NULL);
        snprintf(prog, sizeof prog, "\"program\":\"prog%02d\"", i);
        char *p = strstr(rec, "\"program\":\"curl\"");
        snprintf(line, sizeof line, "%.*s%s%s", (int)(p - rec), rec, prog, p + strlen("\"program\":\"curl\""));
        ck_assert(add(&t, line));
    }
    tally_finish(&t);
    struct tally_host *h = t.hosts[0];
    ck_assert_uint_eq(h->events, 100);
    ck_assert_uint_eq(h->nkeys, TALLY_KEYS_MAX);
    ck_assert_uint_eq(h->other_keys, 100 - (TALLY_KEYS_MAX - 1));   /* the CA is one of the kept keys */
    ck_assert_uint_eq(h->programs.n, TALLY_NAMES);
    ck_assert_uint_eq(h->programs.more_events, 100 - TALLY_NAMES);
    /* the names that sort first, whole counts, whatever the order they came in */
    for (size_t i = 0; i < TALLY_NAMES; i++) {
        char want[16];
        snprintf(want, sizeof want, "prog%02zu", i);
        ck_assert_str_eq(h->programs.name[i], want);
        ck_assert_uint_eq(h->programs.events[i], 1);
    }
    tally_free(&t);

    /* the same records backwards: the same list */
    tally_init(&t);
    for (int i = 99; i >= 0; i--) {
        snprintf(pin, sizeof pin, "sha256/%043d=", i);
        record(rec, sizeof rec, "2026-12-01T10:00:00Z", "a.test", "fail", "allowed", pin, NULL);
        snprintf(prog, sizeof prog, "\"program\":\"prog%02d\"", i);
        char *p = strstr(rec, "\"program\":\"curl\"");
        snprintf(line, sizeof line, "%.*s%s%s", (int)(p - rec), rec, prog, p + strlen("\"program\":\"curl\""));
        ck_assert(add(&t, line));
        if (i % 3 == 0)  /* a second connection of every third program */
            ck_assert(add(&t, line));
    }
    tally_finish(&t);
    h = t.hosts[0];
    ck_assert_uint_eq(h->programs.n, TALLY_NAMES);
    unsigned long kept = 0;
    for (size_t i = 0; i < TALLY_NAMES; i++) {
        char want[16];
        snprintf(want, sizeof want, "prog%02zu", i);
        int found = 0;
        for (size_t k = 0; k < TALLY_NAMES; k++)
            if (strcmp(h->programs.name[k], want) == 0) {
                found = 1;
                ck_assert_uint_eq(h->programs.events[k], i % 3 == 0 ? 2 : 1);
            }
        ck_assert_msg(found, "%s not kept", want);
        kept += i % 3 == 0 ? 2 : 1;
    }
    ck_assert_uint_eq(h->programs.more_events, h->events - kept);
    tally_free(&t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tally");
    TCase *tc = tcase_create("tally");
    tcase_add_test(tc, times);
    tcase_add_test(tc, forms);
    tcase_add_test(tc, sums_and_verdicts);
    tcase_add_test(tc, axis_widens);
    tcase_add_test(tc, bounds);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_VERBOSE);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
