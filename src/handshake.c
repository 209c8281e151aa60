#include "config.h"
#include "handshake.h"
#include "block.h"
#include "judge.h"
#include "log.h"
#include "observe.h"
#include "ossl.h"
#include "peer.h"
#include "report.h"
#include "runtime.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static void log_verdict(const struct policy *p, const struct host_entry *entry, const struct peer *who,
                        enum mode mode, const struct judgement *j, bool blocked, X509 *const *served,
                        int nserved)
{
    struct cert_info chain[CHAIN_MAX];
    char (*known)[PIN_TEXT_MAX] = NULL;
    char matched[PIN_TEXT_MAX];
    struct log_targets where = { p->log_stderr, p->log_syslog, p->json_path };
    struct event ev = { 0 };

    /* A config that could not be read cannot say where to log: stderr. */
    if (p->error) {
        where.to_stderr = true;
        where.to_syslog = true;
    }
    for (int i = 0; i < nserved && i < CHAIN_MAX; i++)
        cert_describe(served[i], &chain[i]);
    if (entry && entry->npins > 0 && (known = calloc(entry->npins, sizeof *known)) != NULL)
        for (size_t i = 0; i < entry->npins; i++)
            pin_format(&entry->pins[i], known[i]);
    if (j->matched >= 0)
        pin_format(&j->counted[j->matched], matched);

    ev.time = time(NULL);
    ev.program = runtime_program();
    ev.pid = (long)getpid();
    ev.host = who->host[0] ? who->host : NULL;
    ev.port = who->port;
    ev.peer = who->addr[0] ? who->addr : NULL;
    ev.mode = mode_text(mode);
    ev.verdict = verdict_text(j->verdict);
    ev.action = blocked ? "blocked" : "allowed";
    ev.matched_pin = j->matched >= 0 ? matched : NULL;
    ev.nknown = known ? entry->npins : 0;
    ev.known = (const char (*)[PIN_TEXT_MAX])known;
    ev.nchain = (size_t)(nserved < CHAIN_MAX ? nserved : CHAIN_MAX);
    ev.chain = chain;
    ev.reason = j->reason;
    log_event(&where, &ev, blocked ? LOG_ERR : j->verdict == VERDICT_PASS ? LOG_INFO : LOG_WARNING);
    free(known);
}

static bool judge_with(const struct policy *p, SSL *s, int io_fd);

bool handshake_allowed(SSL *s, int io_fd)
{
    const struct policy *p = runtime_acquire();
    if (!p)
        return false; /* no memory for a policy: fail closed */
    bool allowed = !runtime_covers_program(p) || judge_with(p, s, io_fd);
    runtime_release(p);
    return allowed;
}

static bool judge_with(const struct policy *p, SSL *s, int io_fd)
{
    const struct host_entry *entry = NULL;
    struct peer who;
    struct judgement j;
    enum mode mode;
    struct observed seen;

    peer_identify(s, io_fd, &who);
    if (!p->error && who.host[0])
        entry = policy_lookup(p, who.host, who.port);
    mode = policy_effective_mode(p, entry);
    if (mode == MODE_OFF && !p->error)
        return true;
    if (!entry && !p->error && !p->log_all_verdicts && !p->unpinned_block && (who.host[0] || !p->has_ip_entries))
        return true; /* unpinned, allowed, not logged: nothing to look at */

    observe_handshake(s, &seen);
    judge_chain(entry, &seen.in, time(NULL), &j);

    if (p->error) {
        j.verdict = VERDICT_ERROR;
        snprintf(j.reason, sizeof j.reason, "%s", p->error);
    } else if (!who.host[0] && p->has_ip_entries) {
        /* IP-literal entries exist and the peer is unknown: never fail open. */
        j.verdict = VERDICT_ERROR;
        snprintf(j.reason, sizeof j.reason,
                 "neither a host name nor the peer address of this connection is known");
    }

    bool blocked = j.verdict == VERDICT_ERROR ||
                   (mode == MODE_ENFORCE &&
                    (j.verdict == VERDICT_FAIL || (j.verdict == VERDICT_UNPINNED && p->unpinned_block)));
    bool worth_telling = blocked || p->log_all_verdicts ||
                         (j.verdict != VERDICT_PASS && j.verdict != VERDICT_UNPINNED) ||
                         (j.verdict == VERDICT_UNPINNED && p->unpinned_block);
    if (worth_telling)
        log_verdict(p, entry, &who, mode, &j, blocked, seen.served, seen.in.nserved);
    if (blocked) {
        char what[600], port[16] = "";
        if (who.port)
            snprintf(port, sizeof port, ":%d", who.port);
        snprintf(what, sizeof what, "%s%s: %s", who.host[0] ? who.host : "unknown host", port, j.reason);
        block_connection(s, what);
    }
    observed_release(&seen);
    return !blocked;
}
