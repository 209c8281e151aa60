/* The --json documents of the `pinshim` command (probe, audit, check, tofu
 * list, covers): one JSON object per run on stdout, built in memory and
 * written at once, so a run that fails half-way writes no half document.
 * Strings go through the library's json_string (report.c): quotes,
 * backslashes and control bytes escaped, invalid UTF-8 as U+FFFD. */
#ifndef PINSHIM_JSON_OUT_H
#define PINSHIM_JSON_OUT_H

#include <stdbool.h>
#include "report.h"

#define JSON_OUT_DEPTH 16

struct json_out {
    struct text t;
    int depth;
    bool first[JSON_OUT_DEPTH];   /* nothing written yet at this depth */
    char close[JSON_OUT_DEPTH];   /* '}' or ']' */
};

/* `key` names the member inside an object; NULL inside an array (or for
 * the document itself). */
void jo_object(struct json_out *j, const char *key);
void jo_array(struct json_out *j, const char *key);
void jo_end(struct json_out *j);                 /* closes the innermost object or array */
void jo_string(struct json_out *j, const char *key, const char *value);  /* NULL: null */
void jo_int(struct json_out *j, const char *key, long long value);
void jo_bool(struct json_out *j, const char *key, bool value);
void jo_null(struct json_out *j, const char *key);

/* Writes the document and a newline to stdout, flushes, frees.  Returns 0,
 * or the exit status for the failure (EX_OSERR out of memory, EX_IOERR
 * cannot write), said on stderr. */
int jo_finish(struct json_out *j);

#endif
