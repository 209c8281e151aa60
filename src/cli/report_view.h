/* The views of `pinshim report`: each writes one tally in one form.  A table
 * of writers (cmd_report.c), one small file each: report_text.c (the
 * terminal table), report_json.c (--json), report_html.c (--html FILE),
 * report_suggest.c (--suggest). */
#ifndef PINSHIM_REPORT_VIEW_H
#define PINSHIM_REPORT_VIEW_H

#include <stdio.h>
#include <time.h>
#include "tally.h"

struct report_opts {
    time_t now;                /* "today": --now, else the clock */
    const char *const *inputs; /* the files read ("-" for stdin), for the header */
    size_t ninputs;
    unsigned long lines, skipped; /* lines read, and those that were no pinshim record */
};

/* Each returns 0, or an exit status (EX_IOERR when `out` could not be
 * written), having said why on stderr. */
int report_write_text(FILE *out, const struct tally *t, const struct report_opts *o);
int report_write_json(FILE *out, const struct tally *t, const struct report_opts *o);
int report_write_html(FILE *out, const struct tally *t, const struct report_opts *o);
int report_write_suggest(FILE *out, const struct tally *t, const struct report_opts *o);

/* `s` ("?" when NULL) on one line of a terminal or a config comment: the
 * strings of the logs are anyone's, and a control byte (ESC, a newline)
 * would move the terminal or end the comment; each becomes '?'. */
void report_put_plain(FILE *out, const char *s);

#endif
