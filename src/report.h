/* Verdict -> words: the JSON line (DESIGN 5, after RFC 7469's report) and the
 * human stderr line.  Formatting is pure; log.c writes. */
#ifndef PINSHIM_REPORT_H
#define PINSHIM_REPORT_H

#include <stddef.h>
#include <time.h>
#include "cert.h"
#include "pin.h"

struct event {
    time_t time;
    const char *program;
    long pid;
    const char *host;        /* NULL: unknown */
    int port;                /* 0: unknown */
    const char *peer;        /* "ip:port" / "[ip6]:port", NULL: unknown */
    const char *mode;
    const char *verdict;
    const char *action;      /* "allowed" / "blocked" */
    const char *matched_pin; /* NULL: none */
    size_t nknown;
    const char (*known)[PIN_TEXT_MAX];
    size_t nchain;
    const struct cert_info *chain;
    const char *reason;
    const char *library;     /* "openssl 3.0.19", "gnutls 3.7.9"; NULL: unknown */
    const char *warning;     /* NULL: none (an early expiry warning on a pass) */
    unsigned long repeat;    /* events this line stands for; 0 or 1: one */
};

/* A growable text buffer; on allocation failure it keeps what fits and sets
 * `failed`, so a report is cut short rather than lost. */
struct text {
    char *buf;
    size_t len, cap;
    int failed;
};

void text_free(struct text *t);
void text_add(struct text *t, const char *s, size_t n);
void text_printf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append `s` as a JSON string literal (quotes included): control bytes escaped,
 * invalid UTF-8 replaced by U+FFFD. */
void json_string(struct text *t, const char *s);

/* One JSON object and a newline. */
void report_json(const struct event *ev, struct text *out);

/* One line of plain words and a newline, "pinshim: ..." */
void report_line(const struct event *ev, struct text *out);

/* Subject, issuer, pin and notAfter of a certificate, from its library. */
void cert_describe(const struct cert_ops *ops, const struct cert *cert, struct cert_info *out);
/* The same in two steps: the pin (all a repeat's coalescing key needs, see
 * log_repeat), then the names and the date (the costly part: name printing). */
void cert_describe_pin(const struct cert_ops *ops, const struct cert *cert, struct cert_info *out);
void cert_describe_rest(const struct cert_ops *ops, const struct cert *cert, struct cert_info *out);

/* RFC 3339 UTC, "2026-11-24T15:20:00Z"; buf has 32 bytes. */
void format_time(time_t t, char *buf);

#endif
