/* `pinshim report --html FILE`: one self-contained HTML5 page of a tally (see
 * report_view.h).  Inline CSS and inline SVG only: no script, no external
 * asset, nothing fetched; every fact is in the static DOM, with data-*
 * attributes for tests and tools.  The page is also well-formed XML (every
 * element closed, only the five XML entities), so `xmllint --noout` checks it.
 *
 * Every string that came from a log (host names, subjects, issuers, program
 * and machine names, pins, input file names) is attacker-influenced: each
 * goes through html_text(), which escapes the five markup characters and
 * replaces control characters and invalid UTF-8 with U+FFFD. */
#include "config.h"
#include "cli.h"
#include "report_view.h"
#include "tally.h"
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The output, with the first write error kept (errno value, 0: none). */
struct page {
    FILE *out;
    int err;
};

static void failed(struct page *p)
{
    if (!p->err)
        p->err = errno ? errno : EIO;
}

static void put(struct page *p, const char *s)
{
    if (p->err)
        return;
    errno = 0;
    if (fputs(s, p->out) == EOF)
        failed(p);
}

static void putf(struct page *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct page *p, const char *fmt, ...)
{
    va_list ap;

    if (p->err)
        return;
    errno = 0;
    va_start(ap, fmt);
    int n = vfprintf(p->out, fmt, ap);
    va_end(ap);
    if (n < 0)
        failed(p);
}

static void put_bytes(struct page *p, const char *s, size_t n)
{
    if (p->err || n == 0)
        return;
    errno = 0;
    if (fwrite(s, 1, n, p->out) != n)
        failed(p);
}

/* The UTF-8 sequence at s (not at its NUL): its length, 1 for a byte that
 * starts none; *allowed false when it is invalid or overlong, a surrogate,
 * past U+10FFFF, a control character (C0 but tab, newline and return; DEL;
 * C1) or U+FFFE/U+FFFF, which neither HTML nor XML allows. */
static size_t utf8_seq(const unsigned char *s, bool *allowed)
{
    unsigned c = s[0];
    uint32_t cp;
    size_t n;

    *allowed = false;
    if (c < 0x80) {
        *allowed = (c >= 0x20 && c != 0x7f) || c == '\t' || c == '\n' || c == '\r';
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 1;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
            return 1;
        cp = (cp << 6) | (s[i] & 0x3fu);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 1;
    *allowed = !((cp >= 0x80 && cp <= 0x9f) || cp == 0xfffe || cp == 0xffff);
    return n; /* a disallowed character is replaced whole */
}

/* s as HTML text or attribute value (double or single quoted): at most `max`
 * characters (0: all), then an ellipsis.  NULL writes `absent`. */
static void html_text_max(struct page *p, const char *s, size_t max, const char *absent)
{
    const unsigned char *u = (const unsigned char *)(s ? s : absent);
    size_t chars = 0;

    while (*u) {
        if (max && chars == max) {
            put(p, "\xe2\x80\xa6"); /* ... */
            return;
        }
        size_t run = 0, n = 0;
        bool allowed = false;
        /* the longest run needing no escape, written at once */
        while (u[run] && (!max || chars < max)) {
            n = utf8_seq(u + run, &allowed);
            if (!allowed || u[run] == '&' || u[run] == '<' || u[run] == '>' || u[run] == '"' || u[run] == '\'')
                break;
            run += n;
            chars++;
        }
        put_bytes(p, (const char *)u, run);
        u += run;
        if (!*u || (max && chars == max))
            continue;
        switch (*u) {
        case '&': put(p, "&amp;"); break;
        case '<': put(p, "&lt;"); break;
        case '>': put(p, "&gt;"); break;
        case '"': put(p, "&quot;"); break;
        case '\'': put(p, "&#39;"); break;
        default: put(p, "\xef\xbf\xbd"); break; /* U+FFFD for what is no allowed character */
        }
        u += allowed ? 1 : n;
        chars++;
    }
}

static void html_text(struct page *p, const char *s)
{
    html_text_max(p, s, 0, "");
}

/* ------------------------------------------------------------ words ---- */

static const char *const state_label[] = {
    [TS_READY] = "ready", [TS_WOULD_BREAK] = "would break", [TS_BLOCKING] = "blocking", [TS_UNPINNED] = "unpinned",
};
static const char *const class_word[TALLY_CLASSES] = {
    [TALLY_OK] = "ok", [TALLY_WOULD_BLOCK] = "would-block", [TALLY_BLOCKED] = "blocked",
};
static const char *const class_label[TALLY_CLASSES] = {
    [TALLY_OK] = "ok", [TALLY_WOULD_BLOCK] = "would block", [TALLY_BLOCKED] = "blocked",
};

/* The colours of the served keys, in row order (none of them the green,
 * amber and red of the connection classes). */
static const char *const key_colour[] = {
    "#1f6fb4", "#8e44ad", "#0f9aa8", "#8c564b", "#d6489b", "#5d6d1e", "#393b79", "#4b6bd6", "#b8860b", "#2c3e50",
};
#define NCOLOURS (sizeof key_colour / sizeof key_colour[0])

/* The colours of a host's keys, in row order: each key's own (a hash of its
 * pin, so that one key has one colour on every host), unless an earlier row
 * of the host has it: then the next free one.  Two rows share a colour only
 * past NCOLOURS keys. */
static void key_colours(const struct tally_host *h, const size_t *idx, size_t nk, const char **colour)
{
    bool used[NCOLOURS] = { false };
    size_t nused = 0;

    for (size_t r = 0; r < nk; r++) {
        uint32_t hash = 2166136261u; /* FNV-1a */
        for (const unsigned char *c = (const unsigned char *)h->keys[idx[r]].pin; *c; c++)
            hash = (hash ^ *c) * 16777619u;
        size_t i = hash % NCOLOURS;
        if (nused == NCOLOURS) {
            memset(used, 0, sizeof used);
            nused = 0;
        }
        while (used[i])
            i = (i + 1) % NCOLOURS;
        used[i] = true;
        nused++;
        colour[r] = key_colour[i];
    }
}

static void put_time(struct page *p, time_t t)
{
    char buf[32];

    if (!t) {
        put(p, "unknown");
        return;
    }
    tally_time_text(t, buf, sizeof buf);
    put(p, "<time datetime=\"");
    html_text(p, buf);
    put(p, "\">");
    html_text(p, buf);
    put(p, "</time>");
}

/* "curl (3), git (1), + others (2)": names with their events, or `none`. */
static void put_names(struct page *p, const struct tally_names *nm, const char *none)
{
    if (nm->n == 0 && nm->more_events == 0) {
        put(p, "<span class=\"none\">");
        html_text(p, none);
        put(p, "</span>");
        return;
    }
    for (size_t i = 0; i < nm->n && i < TALLY_NAMES; i++) {
        put(p, i ? ", <span class=\"name\">" : "<span class=\"name\">");
        html_text(p, nm->name[i]);
        putf(p, "</span>&#160;(%lu)", nm->events[i]);
    }
    if (nm->more_events) /* the names past TALLY_NAMES: only their events were counted */
        putf(p, "%s<span class=\"more\" data-more-events=\"%lu\">+ others (%lu)</span>", nm->n ? ", " : "",
             nm->more_events, nm->more_events);
}

static bool pin_known(const struct tally_host *h, const char *pin)
{
    for (size_t i = 0; i < h->nknown; i++)
        if (strcmp(h->known[i], pin) == 0)
            return true;
    return false;
}

/* The host's keys in timeline order: leaves first, then CAs by depth; within
 * a depth by first seen, then pin.  Into idx (at most TALLY_KEYS_MAX). */
static size_t key_order(const struct tally_host *h, size_t *idx)
{
    size_t n = h->nkeys < TALLY_KEYS_MAX ? h->nkeys : TALLY_KEYS_MAX;

    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        const struct tally_key *k = &h->keys[i];
        while (j > 0) {
            const struct tally_key *o = &h->keys[idx[j - 1]];
            if (o->depth < k->depth || (o->depth == k->depth && (o->first < k->first ||
                                                                 (o->first == k->first && strcmp(o->pin, k->pin) <= 0))))
                break;
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = i;
    }
    return n;
}

/* ------------------------------------------------------------- style ---- */

static const char style[] =
    ":root{--ok:#2e8b3d;--wb:#e08a00;--bl:#c62828;--fg:#1d232a;--mute:#5f6b76;--line:#d9dee3;--bg:#fff;"
    "--soft:#f4f6f8}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
    "color:var(--fg);background:var(--bg)}\n"
    "header.page,main{max-width:1240px;margin:0 auto;padding:0 20px}\n"
    "header.page{padding-top:18px;border-bottom:1px solid var(--line)}\n"
    "h1{font-size:22px;margin:0 0 8px}h2{font-size:18px;margin:0 0 6px}h3{font-size:15px;margin:14px 0 6px}\n"
    "dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0 0 14px}\n"
    "dl.facts dt{color:var(--mute)}dl.facts dd{margin:0}\n"
    ".warn{background:#fdecea;border:1px solid var(--bl);padding:6px 10px;border-radius:4px}\n"
    "table{border-collapse:collapse;margin:4px 0 10px}\n"
    "th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}\n"
    "th{background:var(--soft);font-weight:600}\n"
    "td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    "code,.pin{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:12px;word-break:break-all}\n"
    ".badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;color:#fff;"
    "vertical-align:middle;white-space:nowrap}\n"
    ".st-ready{background:var(--ok)}.st-would_break{background:var(--wb)}.st-blocking{background:var(--bl)}"
    ".st-unpinned{background:var(--mute)}\n"
    "tr.st-row-would_break td:first-child{border-left:4px solid var(--wb)}"
    "tr.st-row-blocking td:first-child{border-left:4px solid var(--bl)}"
    "tr.st-row-ready td:first-child{border-left:4px solid var(--ok)}"
    "tr.st-row-unpinned td:first-child{border-left:4px solid var(--mute)}\n"
    "section.host{border-top:2px solid var(--line);padding:14px 0 6px;margin-top:14px}\n"
    "p.verdict{font-size:15px;margin:4px 0 10px}\n"
    ".none{color:var(--mute);font-style:italic}.more{color:var(--mute)}\n"
    ".yes{color:var(--ok);font-weight:600}.no{color:var(--bl);font-weight:600}\n"
    ".expired{color:var(--bl);font-weight:600}.soon{color:var(--wb);font-weight:600}\n"
    "figure.timeline{margin:6px 0 10px;overflow-x:auto}\n"
    "figure.timeline svg{display:block;max-width:100%;height:auto;font-family:inherit}\n"
    "figure.timeline figcaption{color:var(--mute);font-size:12px}\n"
    "svg .lbl{font-size:12px;fill:var(--fg)}svg .lbl-pin{font-size:11px;fill:var(--mute);"
    "font-family:ui-monospace,'DejaVu Sans Mono',monospace}\n"
    "svg .tick{font-size:11px;fill:var(--mute)}svg .lane{fill:var(--soft)}svg .axis{stroke:var(--mute)}\n"
    "svg .c-ok{fill:var(--ok)}svg .c-would-block{fill:var(--wb)}svg .c-blocked{fill:var(--bl)}\n"
    "svg .pinned{fill:var(--ok);font-weight:600}svg .notpinned{fill:var(--bl);font-weight:600}\n"
    ".swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;"
    "vertical-align:baseline}\n"
    "footer{max-width:1240px;margin:20px auto;padding:0 20px;color:var(--mute);font-size:12px}\n";

/* ------------------------------------------------------------ header ---- */

static void put_header(struct page *p, const struct tally *t, const struct report_opts *o)
{
    char now[32];

    tally_time_text(o->now, now, sizeof now);
    put(p, "<header class=\"page\" id=\"report\" data-generated=\"");
    html_text(p, now);
    putf(p, "\" data-lines=\"%lu\" data-records=\"%lu\" data-events=\"%lu\" data-skipped=\"%lu\" data-hosts=\"%zu\">\n",
         o->lines, t->records, t->events, o->skipped, t->nhosts);
    put(p, "<h1>pinshim report</h1>\n<dl class=\"facts\">\n<dt>Generated</dt><dd>");
    put_time(p, o->now);
    put(p, "</dd>\n<dt>Inputs</dt><dd class=\"inputs\">");
    if (o->ninputs == 0)
        put(p, "<span class=\"none\">none</span>");
    for (size_t i = 0; i < o->ninputs; i++) {
        put(p, i ? ", <code class=\"input\">" : "<code class=\"input\">");
        if (o->inputs[i] && strcmp(o->inputs[i], "-") == 0)
            put(p, "standard input");
        else
            html_text(p, o->inputs[i]);
        put(p, "</code>");
    }
    put(p, "</dd>\n<dt>Records from</dt><dd class=\"range\">");
    if (t->records) {
        put_time(p, t->first);
        put(p, " to ");
        put_time(p, t->last);
    } else {
        put(p, "<span class=\"none\">no records</span>");
    }
    putf(p, "</dd>\n<dt>Counts</dt><dd class=\"counts\">%lu lines read, %lu records, %lu events "
            "(a record may stand for repeated events), %lu lines skipped (not pinshim records)</dd>\n",
         o->lines, t->records, t->events, o->skipped);
    put(p, "<dt>Machines</dt><dd class=\"machines\">");
    put_names(p, &t->machines, "unknown (no machine names in the records)");
    put(p, "</dd>\n");
    if (t->uncovered.n || t->uncovered.more_events) {
        put(p, "<dt>Not judged</dt><dd class=\"uncovered\">");
        put_names(p, &t->uncovered, "");
        put(p, " <span class=\"more\">(programs whose TLS pinshim cannot judge: enforcing does not protect "
               "them)</span></dd>\n");
    }
    put(p, "</dl>\n");
    if (t->failed)
        put(p, "<p class=\"warn\" id=\"incomplete\">Memory ran out while reading: these sums are incomplete.</p>\n");
    put(p, "</header>\n");
}

/* ----------------------------------------------------------- summary ---- */

static void put_expiry(struct page *p, const struct tally_host *h, time_t now, bool cell)
{
    if (!h->earliest_expiry) {
        if (cell)
            put(p, "<td class=\"num expiry\" data-days=\"\"><span class=\"none\">unknown</span></td>");
        else
            put(p, "<span class=\"none\">unknown</span>");
        return;
    }
    long d = tally_days(now, h->earliest_expiry);
    const char *cls = d < 0 ? "expired" : d < 30 ? "soon" : "";
    if (cell)
        putf(p, "<td class=\"num expiry\" data-days=\"%ld\">", d);
    putf(p, "<span class=\"%s\">%ld</span>", cls, d);
    if (cell)
        put(p, "</td>");
}

static void host_attrs(struct page *p, const struct tally_host *h)
{
    put(p, " data-host=\"");
    html_text(p, h->name);
    putf(p, "\" data-port=\"%d\" data-state=\"%s\" data-events=\"%lu\" data-would-block=\"%lu\" data-blocked=\"%lu\"",
         h->port, tally_state_name(tally_host_state(h)), h->events, h->would_block, h->blocked);
}

static void put_hostport(struct page *p, const struct tally_host *h)
{
    html_text(p, h->name);
    if (h->port)
        putf(p, ":%d", h->port);
}

static void put_summary(struct page *p, struct tally_host *const *hs, size_t n, const struct report_opts *o)
{
    char verdict[1024];

    put(p, "<section id=\"summary\">\n<h2>Hosts</h2>\n");
    if (n == 0) {
        put(p, "<p class=\"none\">No pinshim records in the input.</p>\n</section>\n");
        return;
    }
    size_t by_state[TS_UNPINNED + 1] = { 0 };
    for (size_t i = 0; i < n; i++)
        by_state[tally_host_state(hs[i])]++;
    putf(p, "<p class=\"states\" data-ready=\"%zu\" data-would-break=\"%zu\" data-blocking=\"%zu\" "
            "data-unpinned=\"%zu\">%zu hosts: <span class=\"badge st-ready\">%zu ready</span> "
            "<span class=\"badge st-would_break\">%zu would break</span> "
            "<span class=\"badge st-blocking\">%zu blocking</span> "
            "<span class=\"badge st-unpinned\">%zu unpinned</span></p>\n",
         by_state[TS_READY], by_state[TS_WOULD_BREAK], by_state[TS_BLOCKING], by_state[TS_UNPINNED], n,
         by_state[TS_READY], by_state[TS_WOULD_BREAK], by_state[TS_BLOCKING], by_state[TS_UNPINNED]);
    put(p, "<table class=\"summary\">\n<thead><tr><th>Host</th><th>State</th><th>Verdict</th>"
           "<th class=\"num\">Events</th><th class=\"num\">Would block</th><th class=\"num\">Blocked</th>"
           "<th class=\"num\">Days to earliest expiry</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < n; i++) {
        const struct tally_host *h = hs[i];
        enum tally_state st = tally_host_state(h);
        tally_verdict_text(h, verdict, sizeof verdict);
        putf(p, "<tr class=\"host-row st-row-%s\"", tally_state_name(st));
        host_attrs(p, h);
        putf(p, "><td><a href=\"#host-%zu\">", i + 1);
        put_hostport(p, h);
        putf(p, "</a></td><td><span class=\"badge st-%s\">%s</span></td><td class=\"verdict\">", tally_state_name(st),
             state_label[st]);
        html_text(p, verdict);
        putf(p, "</td><td class=\"num events\" data-events=\"%lu\">%lu</td>"
                "<td class=\"num would-block\" data-would-block=\"%lu\">%lu</td>"
                "<td class=\"num blocked\" data-blocked=\"%lu\">%lu</td>",
             h->events, h->events, h->would_block, h->would_block, h->blocked, h->blocked);
        put_expiry(p, h, o->now, true);
        put(p, "</tr>\n");
    }
    put(p, "</tbody>\n</table>\n</section>\n");
}

/* ---------------------------------------------------------- timeline ---- */

#define TL_LABEL_W 330.0 /* the labels, left of the plot */
#define TL_PLOT_W 840.0  /* the columns */
#define TL_RIGHT 16.0
#define TL_TOP 8.0
#define TL_ROW_H 18.0
#define TL_ROW_GAP 6.0
#define TL_CONN_H 44.0
#define TL_AXIS_H 40.0

static void put_tick(struct page *p, const struct tally *t, int col, int ncols, double y)
{
    char buf[32];
    double x = TL_LABEL_W + TL_PLOT_W * col / ncols;
    const char *anchor = col == 0 ? "start" : col == ncols ? "end" : "middle";

    tally_time_text(tally_column_start(t, col), buf, sizeof buf);
    char *tee = strchr(buf, 'T');
    if (tee)
        *tee = '\0';
    putf(p, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x, y, x, y + 5);
    putf(p, "<text class=\"tick\" data-col=\"%d\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", col, x, y + 17, anchor);
    html_text(p, buf);
    putf(p, "<tspan x=\"%.1f\" dy=\"13\">", x);
    html_text(p, tee ? tee + 1 : "");
    put(p, "</tspan></text>\n");
}

static void put_timeline(struct page *p, const struct tally *t, const struct tally_host *h, const size_t *idx,
                         size_t nk, const char *const *colours)
{
    int ncols = tally_columns_used(t);

    if (t->width <= 0 || ncols <= 0) {
        put(p, "<p class=\"none\">No time axis: no records with a time.</p>\n");
        return;
    }
    if (ncols > TALLY_BUCKETS)
        ncols = TALLY_BUCKETS;
    double cw = TL_PLOT_W / ncols;
    double rows_h = (double)nk * (TL_ROW_H + TL_ROW_GAP);
    double conn_y = TL_TOP + rows_h;
    double axis_y = conn_y + TL_CONN_H + 4;
    double height = axis_y + TL_AXIS_H;
    double width = TL_LABEL_W + TL_PLOT_W + TL_RIGHT;
    char from[32], to[32];

    tally_time_text(tally_column_start(t, 0), from, sizeof from);
    tally_time_text(tally_column_start(t, ncols), to, sizeof to);
    putf(p, "<figure class=\"timeline\" data-columns=\"%d\" data-t0=\"%lld\" data-width=\"%lld\">\n", ncols,
         (long long)t->t0, (long long)t->width);
    /* no xmlns: the HTML parser puts <svg> in the SVG namespace, and the page
     * names no URL at all */
    putf(p, "<svg role=\"img\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\">\n",
         width, height, width, height);
    put(p, "<title>Served keys and connections over time for ");
    put_hostport(p, h);
    put(p, "</title>\n");

    for (size_t r = 0; r < nk; r++) {
        const struct tally_key *k = &h->keys[idx[r]];
        int first = -1, last = -1;
        for (int i = 0; i < ncols; i++) {
            if (k->buckets[i] > 0) {
                if (first < 0)
                    first = i;
                last = i;
            }
        }
        const char *colour = colours[r];
        double y = TL_TOP + (double)r * (TL_ROW_H + TL_ROW_GAP);
        bool known = pin_known(h, k->pin);

        put(p, "<g class=\"key-row\" data-pin=\"");
        html_text(p, k->pin);
        putf(p, "\" data-depth=\"%d\" data-first-col=\"%d\" data-last-col=\"%d\" data-events=\"%lu\" "
                "data-pinned=\"%s\" data-colour=\"%s\">\n",
             k->depth, first, last, k->events, known ? "yes" : "no", colour);
        put(p, "<title>");
        html_text(p, k->subject);
        put(p, " \xe2\x80\x94 ");
        html_text(p, k->pin);
        putf(p, " \xe2\x80\x94 %lu events</title>\n", k->events);
        putf(p, "<rect class=\"lane\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", TL_LABEL_W, y, TL_PLOT_W,
             TL_ROW_H);
        putf(p, "<rect x=\"4\" y=\"%.1f\" width=\"10\" height=\"10\" rx=\"2\" fill=\"%s\"/>", y + 4, colour);
        putf(p, "<text class=\"lbl\" x=\"20\" y=\"%.1f\">", y + 13);
        html_text_max(p, k->subject, 22, "(no subject)");
        put(p, " <tspan class=\"lbl-pin\">");
        /* the pin's first characters (after "sha256/") */
        html_text_max(p, strncmp(k->pin, "sha256/", 7) == 0 ? k->pin + 7 : k->pin, 8, "");
        put(p, "</tspan></text>");
        if (known || k->depth == 0) /* an unpinned CA is the usual case: said in the table only */
            putf(p, "<text class=\"%s\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\">%s</text>",
                 known ? "pinned" : "notpinned", TL_LABEL_W - 6, y + 13, known ? "pinned" : "not pinned");
        put(p, "\n");
        if (first >= 0) /* a faint band from the first column to the last */
            putf(p, "<rect class=\"span\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
                    "fill-opacity=\"0.25\"/>",
                 TL_LABEL_W + first * cw, y + 3, (last - first + 1) * cw, TL_ROW_H - 6, colour);
        for (int i = 0; i < ncols; i++) {
            if (k->buckets[i] == 0)
                continue;
            putf(p, "<rect class=\"cell\" data-col=\"%d\" data-events=\"%lu\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
                    "height=\"%.1f\" fill=\"%s\"><title>%lu events</title></rect>",
                 i, (unsigned long)k->buckets[i], TL_LABEL_W + i * cw, y, cw, TL_ROW_H, colour,
                 (unsigned long)k->buckets[i]);
        }
        put(p, "\n</g>\n");
    }

    /* the host's connections per column, stacked by class */
    unsigned long sum[TALLY_CLASSES] = { 0 }, top = 0;
    for (int i = 0; i < ncols; i++) {
        unsigned long col = 0;
        for (int c = 0; c < TALLY_CLASSES; c++) {
            col += h->timeline[i][c];
            sum[c] += h->timeline[i][c];
        }
        if (col > top)
            top = col;
    }
    putf(p, "<g class=\"conn-row\" data-ok=\"%lu\" data-would-block=\"%lu\" data-blocked=\"%lu\" data-max=\"%lu\">\n",
         sum[TALLY_OK], sum[TALLY_WOULD_BLOCK], sum[TALLY_BLOCKED], top);
    putf(p, "<rect class=\"lane\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", TL_LABEL_W, conn_y,
         TL_PLOT_W, TL_CONN_H);
    putf(p, "<text class=\"lbl\" x=\"20\" y=\"%.1f\">connections (highest column: %lu)</text>", conn_y + 16, top);
    putf(p, "<text class=\"lbl\" x=\"20\" y=\"%.1f\"><tspan class=\"c-ok\">\xe2\x96\xa0</tspan> ok "
            "<tspan class=\"c-would-block\">\xe2\x96\xa0</tspan> would block "
            "<tspan class=\"c-blocked\">\xe2\x96\xa0</tspan> blocked</text>\n",
         conn_y + 34);
    for (int i = 0; top && i < ncols; i++) {
        double base = conn_y + TL_CONN_H;
        for (int c = 0; c < TALLY_CLASSES; c++) {
            uint32_t v = h->timeline[i][c];
            if (!v)
                continue;
            double hgt = TL_CONN_H * (double)v / (double)top;
            if (hgt < 1.5)
                hgt = 1.5;
            base -= hgt;
            putf(p, "<rect class=\"conn c-%s\" data-col=\"%d\" data-class=\"%s\" data-count=\"%lu\" x=\"%.2f\" "
                    "y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"><title>%lu %s</title></rect>",
                 class_word[c], i, class_word[c], (unsigned long)v, TL_LABEL_W + i * cw, base, cw, hgt,
                 (unsigned long)v, class_label[c]);
        }
    }
    put(p, "\n</g>\n");

    /* the axis: a few ticks at column boundaries */
    put(p, "<g class=\"time-axis\">\n");
    putf(p, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", TL_LABEL_W, axis_y,
         TL_LABEL_W + TL_PLOT_W, axis_y);
    int nticks = ncols < 6 ? ncols : 6;
    for (int k = 0; k <= nticks; k++)
        put_tick(p, t, ncols * k / nticks, ncols, axis_y);
    put(p, "</g>\n</svg>\n<figcaption>");
    putf(p, "%d columns of %lld s from ", ncols, (long long)t->width);
    html_text(p, from);
    put(p, " to ");
    html_text(p, to);
    put(p, " (the same axis for every host). A row per served key: a cell where the key was served. "
           "The bottom row: connections per column by class.</figcaption>\n</figure>\n");
}

/* ------------------------------------------------------------- hosts ---- */

static void put_by(struct page *p, const struct tally_host *h)
{
    put(p, "<table class=\"by\">\n<thead><tr><th>Verdict</th><th class=\"num\">allowed</th>"
           "<th class=\"num\">blocked</th></tr></thead>\n<tbody>\n");
    for (int v = 0; v < TV_N; v++) {
        if (!h->by[v][TA_ALLOWED] && !h->by[v][TA_BLOCKED])
            continue;
        putf(p, "<tr data-verdict=\"%s\"><td>%s</td><td class=\"num\" data-action=\"allowed\" data-count=\"%lu\">%lu</td>"
                "<td class=\"num\" data-action=\"blocked\" data-count=\"%lu\">%lu</td></tr>\n",
             tally_verdict_name(v), tally_verdict_name(v), h->by[v][TA_ALLOWED], h->by[v][TA_ALLOWED], h->by[v][TA_BLOCKED],
             h->by[v][TA_BLOCKED]);
    }
    put(p, "</tbody>\n</table>\n");
}

static void put_known(struct page *p, const struct tally_host *h)
{
    put(p, "<h3>Pins of the entry</h3>\n");
    if (h->nknown == 0) {
        put(p, "<p class=\"none known\">None logged (no entry matched this host).</p>\n");
        return;
    }
    put(p, "<p class=\"known-when\">As the latest record logged them (");
    put_time(p, h->known_time);
    put(p, "):</p>\n<ul class=\"known\">\n");
    for (size_t i = 0; i < h->nknown; i++) {
        const struct tally_key *served = NULL;
        for (size_t k = 0; k < h->nkeys; k++)
            if (strcmp(h->keys[k].pin, h->known[i]) == 0)
                served = &h->keys[k];
        put(p, "<li class=\"pin\" data-pin=\"");
        html_text(p, h->known[i]);
        put(p, "\"><code>");
        html_text(p, h->known[i]);
        put(p, "</code> ");
        if (served) {
            putf(p, "served in %lu events, the pin matched in %lu, last ", served->events, served->matched);
            put_time(p, served->last);
        } else {
            put(p, "<span class=\"none\">never served in these records</span>");
        }
        put(p, "</li>\n");
    }
    put(p, "</ul>\n");
}

static void put_keys(struct page *p, const struct tally_host *h, const size_t *idx, size_t nk,
                     const char *const *colours)
{
    put(p, "<h3>Served keys</h3>\n");
    if (nk == 0) {
        put(p, "<p class=\"none\">No served certificates in these records.</p>\n");
        return;
    }
    put(p, "<table class=\"keys\">\n<thead><tr><th>Pin</th><th>Subject</th><th>Role</th><th>First seen</th>"
           "<th>Last seen</th><th class=\"num\">Events</th><th class=\"num\">Matched</th><th>Pinned</th>"
           "<th>Programs</th><th>Not after</th></tr></thead>\n<tbody>\n");
    for (size_t r = 0; r < nk; r++) {
        const struct tally_key *k = &h->keys[idx[r]];
        bool known = pin_known(h, k->pin);
        put(p, "<tr class=\"key\" data-pin=\"");
        html_text(p, k->pin);
        putf(p, "\" data-depth=\"%d\" data-events=\"%lu\" data-matched=\"%lu\"><td><span class=\"swatch\" "
                "style=\"background:%s\"></span><code class=\"pin\">",
             k->depth, k->events, k->matched, colours[r]);
        html_text(p, k->pin);
        put(p, "</code></td><td class=\"subject\">");
        html_text_max(p, k->subject, 0, "(none)");
        if (k->issuer) {
            put(p, "<br/><span class=\"more\">issuer: ");
            html_text(p, k->issuer);
            put(p, "</span>");
        }
        if (k->depth == 0)
            put(p, "</td><td>leaf</td><td>");
        else
            putf(p, "</td><td>CA (depth %d)</td><td>", k->depth);
        put_time(p, k->first);
        put(p, "</td><td>");
        put_time(p, k->last);
        putf(p, "</td><td class=\"num\">%lu</td><td class=\"num\">%lu</td><td class=\"%s\">%s</td><td>", k->events,
             k->matched, known ? "yes" : "no", known ? "yes" : "no");
        put_names(p, &k->programs, "none");
        put(p, "</td><td>");
        put_time(p, k->not_after);
        put(p, "</td></tr>\n");
    }
    put(p, "</tbody>\n</table>\n");
    if (h->other_keys)
        putf(p, "<p class=\"more other-keys\" data-events=\"%lu\">%lu more events served keys past the first %d "
                "(not shown).</p>\n",
             h->other_keys, h->other_keys, TALLY_KEYS_MAX);
}

static void put_host(struct page *p, const struct tally *t, const struct tally_host *h, size_t n,
                     const struct report_opts *o)
{
    char verdict[1024];
    size_t idx[TALLY_KEYS_MAX];
    const char *colours[TALLY_KEYS_MAX];
    size_t nk = key_order(h, idx);
    enum tally_state st = tally_host_state(h);

    tally_verdict_text(h, verdict, sizeof verdict);
    putf(p, "<section class=\"host\" id=\"host-%zu\"", n);
    host_attrs(p, h);
    put(p, ">\n<h2>");
    put_hostport(p, h);
    putf(p, " <span class=\"badge st-%s\">%s</span></h2>\n<p class=\"verdict\">", tally_state_name(st), state_label[st]);
    html_text(p, verdict);
    putf(p, "</p>\n<dl class=\"facts\">\n<dt>Events</dt><dd>%lu (", h->events);
    put_time(p, h->first);
    put(p, " to ");
    put_time(p, h->last);
    putf(p, ")</dd>\n<dt>Modes</dt><dd>%lu enforce, %lu report, %lu other</dd>\n", h->mode_events[0],
         h->mode_events[1], h->mode_events[2]);
    putf(p, "<dt>Would block</dt><dd class=\"would-block\" data-count=\"%lu\">%lu", h->would_block, h->would_block);
    if (h->would_block) {
        put(p, " (");
        put_time(p, h->would_block_first);
        put(p, " to ");
        put_time(p, h->would_block_last);
        put(p, ") from ");
        put_names(p, &h->would_block_programs, "unknown programs");
    }
    putf(p, "</dd>\n<dt>Blocked</dt><dd class=\"blocked\" data-count=\"%lu\">%lu", h->blocked, h->blocked);
    if (h->blocked) {
        put(p, " (");
        put_time(p, h->blocked_first);
        put(p, " to ");
        put_time(p, h->blocked_last);
        put(p, ") from ");
        put_names(p, &h->blocked_programs, "unknown programs");
    }
    put(p, "</dd>\n<dt>Programs</dt><dd class=\"programs\">");
    put_names(p, &h->programs, "unknown");
    put(p, "</dd>\n<dt>Earliest expiry</dt><dd>");
    if (h->earliest_expiry) {
        put_time(p, h->earliest_expiry);
        put(p, " (");
        put_expiry(p, h, o->now, false);
        put(p, " days), of the chain served last");
    } else {
        put(p, "<span class=\"none\">unknown</span>");
    }
    put(p, "</dd>\n</dl>\n<h3>Events by verdict and action</h3>\n");
    put_by(p, h);
    put_known(p, h);
    put(p, "<h3>Timeline</h3>\n");
    key_colours(h, idx, nk, colours);
    put_timeline(p, t, h, idx, nk, colours);
    put_keys(p, h, idx, nk, colours);
    put(p, "</section>\n");
}

/* -------------------------------------------------------------- page ---- */

int report_write_html(FILE *out, const struct tally *t, const struct report_opts *o)
{
    struct page pg = { out, 0 };
    struct page *p = &pg;
    struct tally_host **hs = NULL;

    if (t->nhosts) {
        hs = tally_sorted(t);
        if (!hs) {
            cli_error("out of memory");
            return EX_OSERR;
        }
    }
    put(p, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
           "<meta name=\"generator\" content=\"pinshim " PACKAGE_VERSION "\"/>\n<title>pinshim report</title>\n<style>\n");
    put(p, style);
    put(p, "</style>\n</head>\n<body>\n");
    put_header(p, t, o);
    put(p, "<main>\n");
    put_summary(p, hs, t->nhosts, o);
    for (size_t i = 0; i < t->nhosts; i++)
        put_host(p, t, hs[i], i + 1, o);
    put(p, "</main>\n<footer>Written by <code>pinshim report --html</code>. Self-contained: no scripts, "
           "nothing loaded from elsewhere.</footer>\n</body>\n</html>\n");
    free(hs);
    if (!pg.err) {
        errno = 0;
        if (fflush(out) == EOF || ferror(out))
            failed(p);
    }
    if (pg.err) {
        cli_error("cannot write the HTML page: %s", strerror(pg.err));
        return EX_IOERR;
    }
    return 0;
}
