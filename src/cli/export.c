/* pinshim export: the rules and helpers every format shares.  What a format
 * cannot express is never silently widened or dropped: each such entry gets
 * a warning and is either skipped or exported stricter (see export.h). */
#include "config.h"
#include "export.h"
#include "cli.h"
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct warning {
    int line;
    size_t seq;
    char *text;
};

static void vwarn_entry(struct exporter *x, const struct host_entry *e, const char *what, const char *fmt, va_list ap)
{
    char msg[1024], *text = NULL;
    vsnprintf(msg, sizeof msg, fmt, ap);
    x->warned++;
    if (asprintf(&text, "%s:%d: host \"%s\"%s: %s", x->path, e->line, e->name, what, msg) < 0)
        text = NULL;
    if (x->nwarnings == x->capwarnings) {
        size_t cap = x->capwarnings ? 2 * x->capwarnings : 16;
        struct warning *w = realloc(x->warnings, cap * sizeof *w);
        if (!w) {
            /* no room to sort: say it now */
            cli_warning("%s", text ? text : msg);
            free(text);
            return;
        }
        x->warnings = w;
        x->capwarnings = cap;
    }
    x->warnings[x->nwarnings] = (struct warning){ e->line, x->nwarnings, text };
    x->nwarnings++;
}

static int warning_cmp(const void *a, const void *b)
{
    const struct warning *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void export_print_warnings(struct exporter *x)
{
    if (x->nwarnings > 1) /* x->warnings is NULL when there is none */
        qsort(x->warnings, x->nwarnings, sizeof *x->warnings, warning_cmp);
    for (size_t i = 0; i < x->nwarnings; i++) {
        if (x->warnings[i].text)
            cli_warning("%s", x->warnings[i].text);
        free(x->warnings[i].text);
    }
    free(x->warnings);
    x->warnings = NULL;
}

void export_skip(struct exporter *x, size_t i, const char *fmt, ...)
{
    va_list ap;
    if (!x->keep[i])
        return;
    x->keep[i] = false;
    va_start(ap, fmt);
    vwarn_entry(x, &x->p->entries[i], " not exported", fmt, ap);
    va_end(ap);
}

void export_note(struct exporter *x, size_t i, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwarn_entry(x, &x->p->entries[i], "", fmt, ap);
    va_end(ap);
}

void export_skip_all_oom(struct exporter *x)
{
    for (size_t i = 0; i < x->p->nentries; i++)
        export_skip(x, i, "out of memory while comparing the entries");
}

bool export_is_ip(const struct host_entry *e)
{
    return e->kind == NAME_IPV4 || e->kind == NAME_IPV6;
}

bool export_expired(const struct exporter *x, const struct host_entry *e)
{
    return e->expires_at && x->now >= e->expires_at;
}

static int hash_cmp(const void *a, const void *b)
{
    return memcmp(a, b, PIN_LEN);
}

size_t export_distinct_pins(const struct host_entry *e)
{
    if (e->npins < 2)
        return e->npins;
    unsigned char(*h)[PIN_LEN] = malloc(e->npins * PIN_LEN);
    if (!h)
        return e->npins;
    for (size_t i = 0; i < e->npins; i++)
        memcpy(h[i], e->pins[i].hash, PIN_LEN);
    qsort(h, e->npins, PIN_LEN, hash_cmp);
    size_t n = 1;
    for (size_t i = 1; i < e->npins; i++)
        if (memcmp(h[i], h[i - 1], PIN_LEN) != 0)
            n++;
    free(h);
    return n;
}

/* Was pin k of e listed before (so it is written once)? */
bool export_repeated_pin(const struct host_entry *e, size_t k)
{
    for (size_t j = 0; j < k; j++)
        if (memcmp(e->pins[j].hash, e->pins[k].hash, PIN_LEN) == 0)
            return true;
    return false;
}

bool export_refuse_wildcard_or_ip(struct exporter *x, size_t i)
{
    const struct host_entry *e = &x->p->entries[i];
    if (e->kind == NAME_WILDCARD) {
        export_skip(x, i, "%s has no one-label wildcard (includeSubdomains would be wider)", x->format->title);
        return true;
    }
    if (export_is_ip(e)) {
        export_skip(x, i, "%s pins host names, not IP addresses", x->format->title);
        return true;
    }
    return false;
}

bool export_refuse_report_or_expired(struct exporter *x, size_t i, enum mode mode)
{
    const struct host_entry *e = &x->p->entries[i];
    if (mode == MODE_REPORT) {
        export_skip(x, i, "%s has no report-only mode (enforcing would block what the config only reports)",
                    x->format->title);
        return true;
    }
    if (export_expired(x, e)) {
        export_skip(x, i, "it expired on %s and %s has no expiry (exporting would enforce stale pins)",
                    e->expires_text, x->format->title);
        return true;
    }
    return false;
}

/* qsort has no context argument: the entries and key of the current sort. */
static const struct host_entry *sorting;
static bool sort_by_key;     /* match_key, else name */

static int index_cmp(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    const char *x = sort_by_key ? sorting[i].match_key : sorting[i].name;
    const char *y = sort_by_key ? sorting[j].match_key : sorting[j].name;
    int c = strcmp(x, y);
    if (c)
        return c;
    return i < j ? -1 : i > j;
}

/* Sorted rather than compared pair by pair: configs can be long. */
size_t *export_sorted_indices(const struct policy *p, bool by_key)
{
    size_t *v = malloc((p->nentries ? p->nentries : 1) * sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < p->nentries; i++)
        v[i] = i;
    sorting = p->entries;
    sort_by_key = by_key;
    qsort(v, p->nentries, sizeof *v, index_cmp);
    return v;
}

/* Keep one entry per name (the one for every port, else the first), skip the
 * rest. */
void export_one_per_name(struct exporter *x)
{
    const struct policy *p = x->p;
    size_t *v = export_sorted_indices(p, false);
    if (!v) {
        export_skip_all_oom(x);
        return;
    }
    for (size_t start = 0, end; start < p->nentries; start = end) {
        const char *name = p->entries[v[start]].name;
        size_t win = SIZE_MAX;
        for (end = start; end < p->nentries && strcmp(p->entries[v[end]].name, name) == 0; end++) {
            size_t i = v[end];
            if (!x->keep[i])
                continue;
            if (win == SIZE_MAX || (p->entries[i].port == 0 && p->entries[win].port != 0))
                win = i;
        }
        for (size_t k = start; k < end; k++)
            if (v[k] != win && x->keep[v[k]])
                export_skip(x, v[k],
                            "%s has one entry per name and no ports; the entry at line %d is exported instead",
                            x->format->title, p->entries[win].line);
    }
    free(v);
}

void export_choose(struct exporter *x)
{
    const struct policy *p = x->p;
    const struct export_format *f = x->format;

    for (size_t i = 0; i < p->nentries; i++) {
        const struct host_entry *e = &p->entries[i];
        enum mode mode = policy_effective_mode(p, e);
        x->keep[i] = true;
        if (e->tofu != TOFU_NONE)
            export_skip(x, i, "it learns its pins on first use (tofu): there are no pins to export");
        else if (mode == MODE_OFF)
            export_skip(x, i, "its mode is off: nothing is pinned");
        else
            f->refuse(x, i, mode);
    }
    if (f->whole_policy)
        f->whole_policy(x);

    /* Exported, but changed (stricter) */
    for (size_t i = 0; i < p->nentries; i++) {
        const struct host_entry *e = &p->entries[i];
        if (!x->keep[i])
            continue;
        if (e->port && f->no_ports)
            export_note(x, i, "%s has no ports: the pins apply on every port, not only %d (stricter)", f->title,
                        e->port);
        if (e->expires_at && f->no_expiry)
            export_note(x, i, "%s has no expiry date: the pins stay in force after %s (stricter)", f->title,
                        e->expires_text);
        if (f->extra_notes)
            f->extra_notes(x, i);
    }
}

/* ------------------------------------------------------------- output --- */

const char *export_b64(const struct host_entry *e, size_t k, char buf[PIN_TEXT_MAX])
{
    pin_format(&e->pins[k], buf);
    return buf + 7;
}

void export_xml_escaped(const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", stdout); break;
        case '<': fputs("&lt;", stdout); break;
        case '>': fputs("&gt;", stdout); break;
        case '"': fputs("&quot;", stdout); break;
        case '\'': fputs("&apos;", stdout); break;
        default: putchar(*s); break;
        }
    }
}
