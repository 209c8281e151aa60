/* `pinshim report`: what the log lines add up to, per server host.  Pure:
 * records in (already parsed, see logread.h), sums out; no I/O, no TLS
 * library.  State is per host and per served key, never per line, so a log
 * of any length is read in bounded memory.
 *
 * Time is one shared axis for all hosts: TALLY_BUCKETS columns of `width`
 * seconds from `t0`.  It starts at one second a column and doubles (merging
 * neighbours) whenever a record falls outside, so a log of minutes and a log
 * of a year both fill the columns, and the order of the input files does not
 * matter. */
#ifndef PINSHIM_TALLY_H
#define PINSHIM_TALLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TALLY_BUCKETS 96
#define TALLY_NAMES 8          /* programs kept per list; the rest counted in `more` */
#define TALLY_PIN_MAX 64       /* "sha256/" + 44 base64 characters, and a NUL */
#define TALLY_CHAIN_MAX 8      /* certificates kept per served chain */
#define TALLY_KEYS_MAX 64      /* served keys kept per host; the rest in `other_keys` */

/* One log line, as logread.c hands it over.  Strings are the reader's (valid
 * until the next record); NULL when absent. */
struct tally_record {
    time_t time;
    const char *machine;       /* the syslog/journal hostname of the client, NULL: unknown */
    const char *program;
    const char *host;
    int port;                  /* 0: unknown */
    const char *mode;          /* "enforce", "report", ... */
    const char *verdict;       /* pass fail expired unpinned error uncovered */
    const char *action;        /* allowed blocked */
    const char *matched_pin;
    size_t nknown;
    const char *known[16];     /* the entry's pins, as logged (the first 16) */
    size_t nchain;
    struct {
        const char *subject, *issuer, *pin;
        time_t not_after;      /* 0: unknown */
    } chain[TALLY_CHAIN_MAX];
    unsigned long repeat;      /* events this line stands for (>= 1) */
};

/* A list of names (programs) with counts: the TALLY_NAMES distinct names
 * that sort first (so the same whatever the order of the records), then only
 * a count of the others' events. */
struct tally_names {
    char *name[TALLY_NAMES];
    unsigned long events[TALLY_NAMES];
    size_t n;
    unsigned long more_events; /* events of the names not kept ("+N more") */
};

enum tally_class { TALLY_OK, TALLY_WOULD_BLOCK, TALLY_BLOCKED, TALLY_CLASSES };

struct tally_key {
    char pin[TALLY_PIN_MAX];
    char *subject, *issuer;    /* from the first record that served it */
    int depth;                 /* lowest chain position seen: 0 the leaf, 1 its issuer, ... */
    time_t not_after;          /* the latest seen for this key */
    time_t first, last;
    unsigned long events;      /* events whose served chain had this key */
    unsigned long matched;     /* events where it was the matched pin */
    unsigned long unmatched;   /* events it was served in that matched no pin (fail/expired) */
    struct tally_names programs;
    uint32_t buckets[TALLY_BUCKETS]; /* events per column that served it */
};

enum tally_verdict { TV_PASS, TV_FAIL, TV_EXPIRED, TV_UNPINNED, TV_ERROR, TV_UNCOVERED, TV_OTHER, TV_N };
enum tally_action { TA_ALLOWED, TA_BLOCKED, TA_N };

/* What the host's record says about enforcing. */
enum tally_state {
    TS_READY,          /* every event passed (or would have, enforced) */
    TS_WOULD_BREAK,    /* allowed events that enforce would have blocked */
    TS_BLOCKING,       /* enforced already, and refusing connections */
    TS_UNPINNED,       /* no entry matched this host: nothing to enforce yet */
};

struct tally_host {
    char *name;                /* as logged; "(unknown host)" when absent */
    int port;
    time_t first, last;
    unsigned long events;
    unsigned long by[TV_N][TA_N];
    unsigned long mode_events[3];      /* enforce, report, other */
    uint32_t timeline[TALLY_BUCKETS][TALLY_CLASSES];
    /* allowed events that enforce would have blocked (verdict fail or error
     * with action allowed): how many, since when, from which programs */
    unsigned long would_block;
    time_t would_block_first, would_block_last;
    struct tally_names would_block_programs;
    unsigned long blocked;
    time_t blocked_first, blocked_last;
    struct tally_names blocked_programs;
    struct tally_names programs;       /* every program that connected */
    /* the pins of the entry, as the latest record logged them */
    char (*known)[TALLY_PIN_MAX];
    size_t nknown;
    time_t known_time;
    /* the latest record's chain, as indices into keys[] (-1: not kept) */
    int last_chain[TALLY_CHAIN_MAX];
    size_t nlast_chain;
    time_t last_chain_time;
    time_t earliest_expiry;            /* the earliest not_after of that chain, 0 unknown */
    struct tally_key *keys;
    size_t nkeys, keys_cap;
    unsigned long other_keys;          /* events of keys past TALLY_KEYS_MAX */
};

struct tally {
    struct tally_host **hosts;         /* in order of first appearance; see tally_sorted */
    size_t nhosts, hosts_cap;
    void *index;                       /* host lookup (tally.c) */
    time_t t0, width;                  /* the time axis; width 0 until the first record */
    time_t first, last;
    unsigned long records, events;     /* lines counted, and the events they stand for */
    struct tally_names machines;       /* the clients' hostnames, when the input carried them */
    struct tally_names uncovered;      /* programs pinshim said it cannot judge (verdict uncovered) */
    bool failed;                       /* out of memory: the sums are incomplete */
};

void tally_init(struct tally *t);
void tally_free(struct tally *t);

/* Adds one record.  Returns false when memory ran out (t->failed set too). */
bool tally_add(struct tally *t, const struct tally_record *r);

/* After the last tally_add: every list in a fixed order (names by events,
 * then name; keys leaf first, then by first seen), so a report does not depend
 * on the order the records were added in.  Before any view. */
void tally_finish(struct tally *t);

/* The hosts sorted for showing: those that would break first, then blocking,
 * unpinned, ready; within each by events, most first.  A new array (free it);
 * NULL when out of memory. */
struct tally_host **tally_sorted(const struct tally *t);

enum tally_state tally_host_state(const struct tally_host *h);

/* "pass", "fail", ... "other"; "ready", "would_break", "blocking",
 * "unpinned": the words every view uses for them. */
const char *tally_verdict_name(enum tally_verdict v);
const char *tally_state_name(enum tally_state s);

/* The host's verdict in words: "ready to enforce", "would break 12 connections
 * from curl, git since 2026-12-01", "blocking: 3 connections refused from ...
 * since ...", "unpinned: no entry for this host".  Into buf. */
void tally_verdict_text(const struct tally_host *h, char *buf, size_t len);

/* Whole days from `now` to `when` (negative: past), rounded down. */
long tally_days(time_t now, time_t when);

/* "2026-12-01T10:00:00Z" (RFC 3339 UTC), into buf of at least 21 bytes. */
void tally_time_text(time_t t, char *buf, size_t len);

/* The start of column i. */
static inline time_t tally_column_start(const struct tally *t, int i)
{
    return t->t0 + (time_t)i * t->width;
}

/* Columns that hold time, from 0: those up to the one of t->last. */
int tally_columns_used(const struct tally *t);

#endif
