/* Where verdicts go: stderr, syslog (LOG_AUTHPRIV, ident "pinshim") and the
 * JSON lines file.  Each line is one write(2); nothing is ever written to
 * stdout; a sink that fails is skipped without a sound. */
#ifndef PINSHIM_LOG_H
#define PINSHIM_LOG_H

#include <stdbool.h>
#include "report.h"

struct log_targets {
    bool to_stderr;
    bool to_syslog;
    const char *json_path;   /* NULL: none */
};

void log_event(const struct log_targets *where, const struct event *ev, int syslog_priority);

/* A plain message (config errors): stderr and syslog. */
void log_message(const struct log_targets *where, const char *line);

#endif
