/* `pinshim report --json`: the tally as one JSON document (field names are
 * documented in pinshim(1) and stay stable). */
#include "config.h"
#include "cli.h"
#include "json_out.h"
#include "report_view.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void time_member(struct json_out *j, const char *key, time_t when)
{
    char buf[32];
    if (!when) {
        jo_null(j, key);
        return;
    }
    tally_time_text(when, buf, sizeof buf);
    jo_string(j, key, buf);
}

static void names(struct json_out *j, const char *key, const struct tally_names *n)
{
    jo_array(j, key);
    for (size_t i = 0; i < n->n; i++) {
        jo_object(j, NULL);
        jo_string(j, "name", n->name[i]);
        jo_int(j, "events", (long long)n->events[i]);
        jo_end(j);
    }
    jo_end(j);
}

/* {events, first, last, programs, other_programs_events} */
static void episode(struct json_out *j, const char *key, unsigned long events, time_t first, time_t last,
                    const struct tally_names *who)
{
    jo_object(j, key);
    jo_int(j, "events", (long long)events);
    time_member(j, "first", first);
    time_member(j, "last", last);
    names(j, "programs", who);
    jo_int(j, "other_programs_events", (long long)who->more_events);
    jo_end(j);
}

static void key(struct json_out *j, const struct tally_key *k, bool serving, int used)
{
    jo_object(j, NULL);
    jo_string(j, "pin", k->pin);
    jo_string(j, "subject", k->subject);
    jo_string(j, "issuer", k->issuer);
    jo_string(j, "role", k->depth == 0 ? "leaf" : "ca");
    jo_int(j, "depth", k->depth);
    time_member(j, "not_after", k->not_after);
    time_member(j, "first_seen", k->first);
    time_member(j, "last_seen", k->last);
    jo_int(j, "events", (long long)k->events);
    jo_int(j, "matched", (long long)k->matched);
    jo_int(j, "unmatched", (long long)k->unmatched);
    jo_bool(j, "serving_now", serving);
    names(j, "programs", &k->programs);
    jo_int(j, "other_programs_events", (long long)k->programs.more_events);
    jo_array(j, "timeline");
    for (int i = 0; i < used; i++)
        jo_int(j, NULL, k->buckets[i]);
    jo_end(j);
    jo_end(j);
}

static void host(struct json_out *j, const struct tally *t, const struct tally_host *h, const struct report_opts *o)
{
    char verdict[600];
    int used = tally_columns_used(t);
    jo_object(j, NULL);
    jo_string(j, "host", h->name);
    jo_int(j, "port", h->port);
    jo_string(j, "state", tally_state_name(tally_host_state(h)));
    tally_verdict_text(h, verdict, sizeof verdict);
    jo_string(j, "verdict", verdict);
    time_member(j, "first", h->first);
    time_member(j, "last", h->last);
    jo_int(j, "events", (long long)h->events);
    jo_object(j, "by_verdict");
    for (int v = 0; v < TV_N; v++) {
        if (!h->by[v][TA_ALLOWED] && !h->by[v][TA_BLOCKED])
            continue;
        jo_object(j, tally_verdict_name(v));
        jo_int(j, "allowed", (long long)h->by[v][TA_ALLOWED]);
        jo_int(j, "blocked", (long long)h->by[v][TA_BLOCKED]);
        jo_end(j);
    }
    jo_end(j);
    jo_object(j, "modes");
    jo_int(j, "enforce", (long long)h->mode_events[0]);
    jo_int(j, "report", (long long)h->mode_events[1]);
    jo_int(j, "other", (long long)h->mode_events[2]);
    jo_end(j);
    episode(j, "would_block", h->would_block, h->would_block_first, h->would_block_last, &h->would_block_programs);
    episode(j, "blocked", h->blocked, h->blocked_first, h->blocked_last, &h->blocked_programs);
    names(j, "programs", &h->programs);
    jo_int(j, "other_programs_events", (long long)h->programs.more_events);
    jo_array(j, "known_pins");
    for (size_t i = 0; i < h->nknown; i++)
        jo_string(j, NULL, h->known[i]);
    jo_end(j);
    time_member(j, "earliest_expiry", h->earliest_expiry);
    if (h->earliest_expiry)
        jo_int(j, "days_to_expiry", tally_days(o->now, h->earliest_expiry));
    else
        jo_null(j, "days_to_expiry");
    jo_array(j, "keys");
    for (size_t i = 0; i < h->nkeys; i++) {
        bool serving = false;
        for (size_t c = 0; c < h->nlast_chain; c++)
            serving = serving || h->last_chain[c] == (int)i;
        key(j, &h->keys[i], serving, used);
    }
    jo_end(j);
    jo_int(j, "other_keys_events", (long long)h->other_keys);
    jo_array(j, "timeline");
    for (int i = 0; i < used; i++) {
        jo_object(j, NULL);
        jo_int(j, "ok", h->timeline[i][TALLY_OK]);
        jo_int(j, "would_block", h->timeline[i][TALLY_WOULD_BLOCK]);
        jo_int(j, "blocked", h->timeline[i][TALLY_BLOCKED]);
        jo_end(j);
    }
    jo_end(j);
    jo_end(j);
}

int report_write_json(FILE *out, const struct tally *t, const struct report_opts *o)
{
    (void)out; /* jo_finish writes the document to stdout, whole */
    struct tally_host **hosts = tally_sorted(t);
    if (!hosts) {
        cli_error("%s", strerror(ENOMEM));
        return EX_OSERR;
    }
    struct json_out j = { 0 };
    jo_object(&j, NULL);
    jo_int(&j, "version", 1);
    time_member(&j, "now", o->now);
    jo_array(&j, "inputs");
    for (size_t i = 0; i < o->ninputs; i++)
        jo_string(&j, NULL, o->inputs[i]);
    jo_end(&j);
    jo_int(&j, "lines", (long long)o->lines);
    jo_int(&j, "records", (long long)t->records);
    jo_int(&j, "skipped", (long long)o->skipped);
    jo_int(&j, "events", (long long)t->events);
    time_member(&j, "first", t->records ? t->first : 0);
    time_member(&j, "last", t->records ? t->last : 0);
    names(&j, "machines", &t->machines);
    names(&j, "uncovered", &t->uncovered);
    jo_object(&j, "timeline");
    time_member(&j, "start", t->width ? t->t0 : 0);
    jo_int(&j, "column_seconds", (long long)t->width);
    jo_int(&j, "columns", tally_columns_used(t));
    jo_end(&j);
    jo_array(&j, "hosts");
    for (size_t i = 0; i < t->nhosts; i++)
        host(&j, t, hosts[i], o);
    jo_end(&j);
    jo_end(&j);
    free(hosts);
    return jo_finish(&j);
}
