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

#endif
