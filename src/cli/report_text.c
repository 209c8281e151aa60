/* `pinshim report`'s terminal view: a table of hosts, then per host its
 * verdict, counts, keys and a timeline of one character per column, so a key
 * rotation shows as one key's row ending where the next one's starts. */
#include "config.h"
#include "cli.h"
#include "report_view.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void report_put_plain(FILE *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : "?"); *p; p++)
        fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, out);
}

static void put_names(FILE *out, const struct tally_names *n)
{
    for (size_t i = 0; i < n->n; i++) {
        fputs(i ? ", " : "", out);
        report_put_plain(out, n->name[i]);
        fprintf(out, " (%lu)", n->events[i]);
    }
    if (n->more_events)
        fprintf(out, "%sothers (%lu)", n->n ? ", " : "", n->more_events);
}

static void expiry_text(const struct tally_host *h, time_t now, char *buf, size_t len)
{
    if (!h->earliest_expiry)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%ld d", tally_days(now, h->earliest_expiry));
}

static const char *role(int depth)
{
    return depth == 0 ? "leaf" : "CA";
}

static void timeline_row(FILE *out, const uint32_t *col, size_t stride, int used, char mark)
{
    for (int i = 0; i < used; i++)
        fputc(col[(size_t)i * stride] ? mark : '.', out);
}

static void host_detail(FILE *out, const struct tally *t, const struct tally_host *h, const struct report_opts *o)
{
    char verdict[600], a[32], b[32];
    tally_verdict_text(h, verdict, sizeof verdict);
    fputc('\n', out);
    report_put_plain(out, h->name);
    fprintf(out, ":%d: ", h->port);
    report_put_plain(out, verdict);
    fputc('\n', out);

    tally_time_text(h->first, a, sizeof a);
    tally_time_text(h->last, b, sizeof b);
    fprintf(out, "  seen         %s .. %s, %lu connection%s (enforce %lu, report %lu, other %lu)\n", a, b, h->events,
            h->events == 1 ? "" : "s", h->mode_events[0], h->mode_events[1], h->mode_events[2]);
    fputs("  verdicts    ", out);
    for (int v = 0; v < TV_N; v++)
        if (h->by[v][TA_ALLOWED] + h->by[v][TA_BLOCKED])
            fprintf(out, " %s %lu allowed, %lu blocked;", tally_verdict_name(v), h->by[v][TA_ALLOWED], h->by[v][TA_BLOCKED]);
    fputc('\n', out);
    if (h->would_block) {
        tally_time_text(h->would_block_first, a, sizeof a);
        tally_time_text(h->would_block_last, b, sizeof b);
        fprintf(out, "  would block  %lu, %s .. %s: ", h->would_block, a, b);
        put_names(out, &h->would_block_programs);
        fputc('\n', out);
    }
    if (h->blocked) {
        tally_time_text(h->blocked_first, a, sizeof a);
        tally_time_text(h->blocked_last, b, sizeof b);
        fprintf(out, "  blocked      %lu, %s .. %s: ", h->blocked, a, b);
        put_names(out, &h->blocked_programs);
        fputc('\n', out);
    }
    fputs("  programs     ", out);
    put_names(out, &h->programs);
    fputc('\n', out);
    fputs("  entry pins  ", out);
    if (!h->nknown)
        fputs(" (none)", out);
    for (size_t i = 0; i < h->nknown; i++) {
        fputc(' ', out);
        report_put_plain(out, h->known[i]);
    }
    fputc('\n', out);
    if (h->earliest_expiry) {
        tally_time_text(h->earliest_expiry, a, sizeof a);
        fprintf(out, "  expiry       %s (%ld days), the earliest of the chain served last\n", a,
                tally_days(o->now, h->earliest_expiry));
    }

    int used = tally_columns_used(t);
    tally_time_text(t->t0, a, sizeof a);
    tally_time_text(tally_column_start(t, used), b, sizeof b);
    fprintf(out, "  keys served  (timeline %s .. %s, a column is %lld s; # served, . not)\n", a, b,
            (long long)t->width);
    for (size_t i = 0; i < h->nkeys; i++) {
        const struct tally_key *k = &h->keys[i];
        fputs("    ", out);
        timeline_row(out, k->buckets, 1, used, '#');
        fprintf(out, "  %s %s ", role(k->depth), k->pin);
        report_put_plain(out, k->subject);
        fputc('\n', out);
        tally_time_text(k->first, a, sizeof a);
        tally_time_text(k->last, b, sizeof b);
        fprintf(out, "    %*s  first %s, last %s, %lu connection%s, matched %lu", used, "", a, b, k->events,
                k->events == 1 ? "" : "s", k->matched);
        if (k->not_after) {
            tally_time_text(k->not_after, a, sizeof a);
            fprintf(out, ", not after %s", a);
        }
        fprintf(out, "\n    %*s  programs: ", used, "");
        put_names(out, &k->programs);
        fputc('\n', out);
    }
    if (h->other_keys)
        fprintf(out, "    (%lu connections served further keys, past the %d kept per host)\n", h->other_keys,
                TALLY_KEYS_MAX);
    fputs("    ", out);
    for (int i = 0; i < used; i++) {
        const uint32_t *c = h->timeline[i];
        fputc(c[TALLY_BLOCKED] ? 'B' : c[TALLY_WOULD_BLOCK] ? '!' : c[TALLY_OK] ? '+' : '.', out);
    }
    fputs("  connections: + allowed, ! would block if enforced, B blocked\n", out);
}

int report_write_text(FILE *out, const struct tally *t, const struct report_opts *o)
{
    char a[32], b[32], verdict[600], expiry[32];
    struct tally_host **hosts = tally_sorted(t);
    if (!hosts) {
        cli_error("%s", strerror(ENOMEM));
        return EX_OSERR;
    }
    fprintf(out, "pinshim report: %zu input%s, %lu lines, %lu records (%lu connections), %lu lines skipped",
            o->ninputs, o->ninputs == 1 ? "" : "s", o->lines, t->records, t->events, o->skipped);
    if (t->records) {
        tally_time_text(t->first, a, sizeof a);
        tally_time_text(t->last, b, sizeof b);
        fprintf(out, "\n  from %s to %s", a, b);
    }
    if (t->machines.n) {
        fputs("; machines: ", out);
        put_names(out, &t->machines);
    }
    fputc('\n', out);
    if (t->nhosts) {
        fprintf(out, "\n%-32s %8s %8s %8s %8s %8s %7s  %s\n", "HOST:PORT", "CONNS", "PASS", "FAIL", "WOULD-BLK",
                "BLOCKED", "EXPIRY", "VERDICT");
        for (size_t i = 0; i < t->nhosts; i++) {
            const struct tally_host *h = hosts[i];
            char name[300];
            snprintf(name, sizeof name, "%s:%d", h->name, h->port);
            for (char *p = name; *p; p++)
                *p = (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p;
            tally_verdict_text(h, verdict, sizeof verdict);
            expiry_text(h, o->now, expiry, sizeof expiry);
            fprintf(out, "%-32s %8lu %8lu %8lu %9lu %8lu %7s  ", name, h->events,
                    h->by[TV_PASS][TA_ALLOWED] + h->by[TV_PASS][TA_BLOCKED],
                    h->by[TV_FAIL][TA_ALLOWED] + h->by[TV_FAIL][TA_BLOCKED], h->would_block, h->blocked, expiry);
            report_put_plain(out, verdict);
            fputc('\n', out);
        }
    }
    if (t->uncovered.n) {
        fputs("\nnot covered (pinshim could not judge their TLS): ", out);
        put_names(out, &t->uncovered);
        fputc('\n', out);
    }
    for (size_t i = 0; i < t->nhosts; i++)
        host_detail(out, t, hosts[i], o);
    free(hosts);
    if (fflush(out) != 0 || ferror(out)) {
        cli_error("cannot write the report: %s", strerror(errno));
        return EX_IOERR;
    }
    return 0;
}
