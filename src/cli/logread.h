/* `pinshim report`'s inputs: the log lines pinshim writes, in every form they
 * travel in, handed to the tally one record at a time (streaming: nothing is
 * kept per line).  A line is one of:
 *   - the JSON log's object, as the library writes it (DESIGN 5);
 *   - a syslog file's line whose message is "@cee: " and that object
 *     (log.syslog = "json"), or whose message is the object itself (rsyslog's
 *     imfile forwarding the JSON log): "TIME HOSTNAME TAG: ...", the client's
 *     HOSTNAME kept as the record's machine;
 *   - `journalctl -o json`'s object, whose MESSAGE is "@cee: {...}" (its
 *     _HOSTNAME kept as the machine).
 * Every other line (the human syslog line, blank lines, other programs) is
 * counted as skipped.  Files may be gzip'd (read through zlib, which also
 * reads plain files). */
#ifndef PINSHIM_LOGREAD_H
#define PINSHIM_LOGREAD_H

#include <stdbool.h>
#include "tally.h"

struct logread_counts {
    unsigned long lines;       /* lines read */
    unsigned long records;     /* pinshim records among them */
    unsigned long skipped;     /* lines that were none */
};

/* Reads `path` ("-": standard input) to its end into `t`.  Returns 0, or an
 * exit status (EX_NOINPUT cannot open, EX_DATAERR a damaged gzip stream, after
 * the records before the damage were counted; EX_OSERR out of memory) with
 * the reason said on stderr. */
int logread_input(const char *path, struct tally *t, struct logread_counts *counts);

/* One line (no newline needed) into `t`: true when it was a record.  For
 * tests, and used by logread_input. */
bool logread_line(const char *line, size_t len, struct tally *t);

/* "2026-12-06T23:00:00Z" and RFC 3339 with a fraction or an offset, into
 * *out (UTC): false when it is none. */
bool logread_time(const char *s, time_t *out);

#endif
