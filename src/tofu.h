/* Trust on first use: the state file of learned pins (DESIGN 10).
 *
 * One record per host, one line per record:
 *     HOST KIND PIN[,PIN...] LEARNED_UNIX_TIME
 * The file is only ever replaced whole (write a temporary file, rename), so a
 * reader without a lock sees either the old or the new version; writers
 * serialise on flock(2) of "STATE.lock", re-read under the lock and never
 * overwrite a record another process learned first. */
#ifndef PINSHIM_TOFU_H
#define PINSHIM_TOFU_H

#include <stddef.h>
#include <time.h>
#include "judge.h"
#include "policy.h"

struct tofu_record {
    char host[HOST_MAX];
    enum tofu kind;
    int npins;
    struct pin pins[CHAIN_MAX];
    time_t learned;
};

/* 1: found; 0: no record (or no state file yet); -1: unreadable (why set). */
int tofu_lookup(const char *state, const char *host, struct tofu_record *out, char *why, size_t whylen);

/* Record `rec` unless the host already has a record, which then replaces
 * *rec.  Returns 1 learned, 0 an earlier record exists (in *rec), -1 error. */
int tofu_learn(const char *state, struct tofu_record *rec, char *why, size_t whylen);

/* Remove a host's record: 1 removed, 0 none, -1 error. */
int tofu_forget(const char *state, const char *host, char *why, size_t whylen);

/* Set a host's record to `rec` (replacing any): 0 or -1. */
int tofu_set(const char *state, const struct tofu_record *rec, char *why, size_t whylen);

/* Every record, in file order: returns the count (records malloc'd in *out,
 * free() it), or -1. */
int tofu_list(const char *state, struct tofu_record **out, char *why, size_t whylen);

const char *tofu_kind_text(enum tofu k);

/* How a TOFU entry was resolved for one handshake. */
enum tofu_outcome {
    TOFU_KNOWN,          /* judged by the recorded pins */
    TOFU_UNREADABLE,     /* the state could not be read (why): nothing known, nothing written;
                            a verified full handshake is judged by its own pins */
    TOFU_NOTHING_YET,    /* no record, and this handshake cannot be learned from */
    TOFU_LEARNABLE,      /* no record; these pins would be learned (learn = false) */
    TOFU_LEARNED,        /* no record; these pins were recorded now */
    TOFU_UNWRITABLE,     /* no record; these pins are used but could not be recorded (why) */
};

struct tofu_view {
    enum tofu_outcome outcome;
    struct tofu_record rec;     /* the pins `entry` points to */
    struct host_entry entry;    /* the TOFU entry with those pins */
    char why[300];
};

/* The entry a TOFU host is judged by (DESIGN 10): its recorded pins; with no
 * record, the pins of this handshake when it is a full one whose chain
 * verified (and, with `learn`, they are recorded); else no pins at all, which
 * fails.  The library and `pinshim probe/audit` both judge through this. */
const struct host_entry *tofu_resolve(const struct policy *p, const struct host_entry *e, const char *host,
                                      const struct chain_input *in, long verify_result, time_t now, bool learn,
                                      struct tofu_view *v);

#endif
