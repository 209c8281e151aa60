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
    /* log.syslog = "json": a verdict goes to syslog as "@cee: " and the JSON
     * object of the JSON log (CEE, what rsyslog's mmjsonparse reads), or as
     * the human line when that datagram would not fit whole. */
    bool syslog_json;
};

void log_event(const struct log_targets *where, const struct event *ev, int syslog_priority);

/* True when an event with ev's key (host, verdict, action, mode, warning and
 * the chain's pins; nothing else of `ev` is read) falls in an open coalescing
 * window: it has been counted, and there is nothing to write.  Lets the
 * caller skip building the rest of a repeated event (names of the chain). */
bool log_repeat(const struct event *ev);

/* Around chroot(2) (DESIGN 6): log_keep_open opens, while the paths are
 * still in sight, a socket connected to /dev/log (to_syslog) and the JSON
 * log (json_path, when not NULL) into `kit`; log_jailed then keeps them for
 * every later event when the chroot succeeded (`jailed`), else closes them.
 * Once kept, later chroots keep nothing more. */
struct log_kit {
    int syslog_fd, json_fd;
    char *json_path;
};
void log_keep_open(struct log_kit *kit, bool to_syslog, const char *json_path);
void log_jailed(struct log_kit *kit, bool jailed);

/* A plain message (config errors): stderr and syslog, the human line in
 * every syslog form. */
void log_message(const struct log_targets *where, const char *line);

#endif
