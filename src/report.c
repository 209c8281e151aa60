#include "config.h"
#include "report.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void text_free(struct text *t)
{
    free(t->buf);
    t->buf = NULL;
    t->len = t->cap = 0;
}

static int text_reserve(struct text *t, size_t more)
{
    if (t->failed)
        return -1;
    if (t->len + more + 1 <= t->cap)
        return 0;
    size_t cap = t->cap ? t->cap : 512;
    while (cap < t->len + more + 1)
        cap *= 2;
    char *b = realloc(t->buf, cap);
    if (!b) {
        t->failed = 1;
        return -1;
    }
    t->buf = b;
    t->cap = cap;
    return 0;
}

void text_add(struct text *t, const char *s, size_t n)
{
    if (text_reserve(t, n) != 0)
        return;
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

void text_printf(struct text *t, const char *fmt, ...)
{
    va_list ap;
    char small[256];
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        text_add(t, small, (size_t)n);
        return;
    }
    if (text_reserve(t, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(t->buf + t->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when invalid. */
static size_t utf8_sequence(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return (s[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
            return 0;
        if (c == 0xe0 && s[1] < 0xa0)
            return 0; /* overlong */
        if (c == 0xed && s[1] >= 0xa0)
            return 0; /* surrogates */
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
            return 0;
        if (c == 0xf0 && s[1] < 0x90)
            return 0;
        if (c == 0xf4 && s[1] >= 0x90)
            return 0;
        return 4;
    }
    return 0;
}

void json_string(struct text *t, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    text_add(t, "\"", 1);
    while (*p) {
        unsigned char c = *p;
        size_t n;
        if (c == '"' || c == '\\') {
            char esc[2] = { '\\', (char)c };
            text_add(t, esc, 2);
            p++;
        } else if (c < 0x20 || c == 0x7f) {
            const char *named = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
            if (named)
                text_add(t, named, 2);
            else
                text_printf(t, "\\u%04x", c);
            p++;
        } else if ((n = utf8_sequence(p)) > 0) {
            text_add(t, (const char *)p, n);
            p += n;
        } else {
            text_add(t, "\\ufffd", 6);
            p++;
        }
    }
    text_add(t, "\"", 1);
}

void format_time(time_t t, char *buf)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        strcpy(buf, "1970-01-01T00:00:00Z");
}

static void json_key_string(struct text *t, const char *key, const char *value)
{
    text_printf(t, ",\"%s\":", key);
    if (value)
        json_string(t, value);
    else
        text_add(t, "null", 4);
}

void report_json(const struct event *ev, struct text *out)
{
    char when[32];
    format_time(ev->time, when);
    text_printf(out, "{\"time\":\"%s\"", when);
    json_key_string(out, "program", ev->program);
    text_printf(out, ",\"pid\":%ld", ev->pid);
    json_key_string(out, "host", ev->host);
    if (ev->port > 0)
        text_printf(out, ",\"port\":%d", ev->port);
    else
        text_add(out, ",\"port\":null", 12);
    json_key_string(out, "peer", ev->peer);
    json_key_string(out, "mode", ev->mode);
    json_key_string(out, "verdict", ev->verdict);
    json_key_string(out, "action", ev->action);
    json_key_string(out, "matched_pin", ev->matched_pin);
    text_add(out, ",\"known_pins\":[", 15);
    for (size_t i = 0; i < ev->nknown; i++) {
        if (i)
            text_add(out, ",", 1);
        json_string(out, ev->known[i]);
    }
    text_add(out, "],\"served_chain\":[", 18);
    for (size_t i = 0; i < ev->nchain; i++) {
        const struct cert_info *c = &ev->chain[i];
        text_add(out, i ? ",{\"subject\":" : "{\"subject\":", i ? 12 : 11);
        json_string(out, c->subject);
        json_key_string(out, "issuer", c->issuer);
        json_key_string(out, "pin", c->pin);
        json_key_string(out, "not_after", c->not_after[0] ? c->not_after : NULL);
        text_add(out, "}", 1);
    }
    text_add(out, "]", 1);
    json_key_string(out, "reason", ev->reason);
    json_key_string(out, "library", ev->library);
    if (ev->warning)
        json_key_string(out, "warning", ev->warning);
    if (ev->repeat > 1)
        text_printf(out, ",\"repeat\":%lu", ev->repeat);
    text_add(out, "}\n", 2);
}

/* A stderr line stays one line whatever a certificate says. */
static void plain(struct text *t, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : "?"); *p; p++) {
        char c = (char)((*p < 0x20 || *p == 0x7f) ? '?' : *p);
        text_add(t, &c, 1);
    }
}

void report_line(const struct event *ev, struct text *out)
{
    text_add(out, "pinshim: ", 9);
    if (ev->verdict && strcmp(ev->verdict, "uncovered") == 0) {
        /* Not a connection: the process as a whole (DESIGN 12). */
        text_add(out, "NOT COVERED: ", 13);
        plain(out, ev->program);
        text_printf(out, "[%ld]: ", ev->pid);
        plain(out, ev->reason);
        text_add(out, "\n", 1);
        return;
    }
    plain(out, ev->action && strcmp(ev->action, "blocked") == 0 ? "BLOCKED" : "allowed");
    text_add(out, " ", 1);
    plain(out, ev->host ? ev->host : "(unknown host)");
    if (ev->port > 0)
        text_printf(out, ":%d", ev->port);
    if (ev->peer) {
        text_add(out, " (", 2);
        plain(out, ev->peer);
        text_add(out, ")", 1);
    }
    text_add(out, " in ", 4);
    plain(out, ev->program);
    text_printf(out, "[%ld]: verdict ", ev->pid);
    plain(out, ev->verdict);
    text_add(out, ", mode ", 7);
    plain(out, ev->mode);
    text_add(out, ": ", 2);
    plain(out, ev->reason);
    if (ev->warning) {
        text_add(out, "; WARNING: ", 11);
        plain(out, ev->warning);
    }
    if (ev->repeat > 1)
        text_printf(out, " [%lu times]", ev->repeat);
    if (ev->matched_pin) {
        text_add(out, "; matched ", 10);
        plain(out, ev->matched_pin);
    }
    if (ev->nchain > 0) {
        text_add(out, "; served ", 9);
        for (size_t i = 0; i < ev->nchain; i++) {
            if (i)
                text_add(out, ", ", 2);
            plain(out, ev->chain[i].subject);
            text_add(out, " ", 1);
            plain(out, ev->chain[i].pin);
        }
    }
    if (ev->nknown > 0) {
        text_add(out, "; pins ", 7);
        for (size_t i = 0; i < ev->nknown; i++) {
            if (i)
                text_add(out, ", ", 2);
            plain(out, ev->known[i]);
        }
    }
    text_add(out, "\n", 1);
}

void cert_describe_pin(const struct cert_ops *ops, const struct cert *cert, struct cert_info *out)
{
    struct pin p;
    memset(out, 0, sizeof *out);
    if (ops->pin(cert, &p) == 0)
        pin_format(&p, out->pin);
}

void cert_describe_rest(const struct cert_ops *ops, const struct cert *cert, struct cert_info *out)
{
    ops->describe(cert, out);
}

void cert_describe(const struct cert_ops *ops, const struct cert *cert, struct cert_info *out)
{
    cert_describe_pin(ops, cert, out);
    cert_describe_rest(ops, cert, out);
}
