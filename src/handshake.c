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
#include "tofu.h"
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static void log_verdict(const struct policy *p, const struct host_entry *entry, const struct peer *who,
                        enum mode mode, const struct judgement *j, bool blocked, X509 *const *served,
                        int nserved, const char *warning)
{
    struct cert_info chain[CHAIN_MAX];
    char (*known)[PIN_TEXT_MAX] = NULL;
    char matched[PIN_TEXT_MAX];
    struct log_targets where = { p->log_stderr, p->log_syslog, p->json_path };
    struct event ev = { 0 };
    size_t nchain = (size_t)(nserved < CHAIN_MAX ? nserved : CHAIN_MAX);

    /* A config that could not be read cannot say where to log: stderr. */
    if (p->error) {
        where.to_stderr = true;
        where.to_syslog = true;
    }
    ev.time = time(NULL);
    ev.host = who->host[0] ? who->host : NULL;
    ev.mode = mode_text(mode);
    ev.verdict = verdict_text(j->verdict);
    ev.action = blocked ? "blocked" : "allowed";
    ev.warning = warning;
    ev.nchain = nchain;
    ev.chain = chain;
    /* What identifies a repeat first: a repeat is only counted, and the
     * chain's names (most of the cost of an event) are never printed. */
    for (size_t i = 0; i < nchain; i++)
        cert_describe_pin(served[i], &chain[i]);
    if (log_repeat(&ev))
        return;
    for (size_t i = 0; i < nchain; i++)
        cert_describe_rest(served[i], &chain[i]);
    if (entry && entry->npins > 0 && (known = calloc(entry->npins, sizeof *known)) != NULL)
        for (size_t i = 0; i < entry->npins; i++)
            pin_format(&entry->pins[i], known[i]);
    if (j->matched >= 0)
        pin_format(&j->counted[j->matched], matched);

    ev.program = runtime_program();
    ev.pid = (long)getpid();
    ev.port = who->port;
    ev.peer = who->addr[0] ? who->addr : NULL;
    ev.matched_pin = j->matched >= 0 ? matched : NULL;
    ev.nknown = known ? entry->npins : 0;
    ev.known = (const char (*)[PIN_TEXT_MAX])known;
    ev.reason = j->reason;
    log_event(&where, &ev, blocked ? LOG_ERR : j->verdict == VERDICT_PASS ? LOG_INFO : LOG_WARNING);
    free(known);
}

static bool judge_with(const struct policy *p, SSL *s, const struct conn_state *c, int io_fd, char *why,
                       size_t whylen);

/* Early warnings (issue 5): at most once per host per process per day.  A
 * set of (host hash, day) that grows as needed; the lock is taken only on the
 * rare handshakes that have something to warn about. */
struct warned {
    uint64_t host;
    long day;
};

static pthread_mutex_t warned_lock = PTHREAD_MUTEX_INITIALIZER;
static struct warned *warned;
static size_t warned_cap, warned_used;
static pthread_once_t warned_fork_once = PTHREAD_ONCE_INIT;

/* The child may inherit the lock from a thread that does not exist there. */
static void warned_after_fork(void)
{
    pthread_mutex_init(&warned_lock, NULL);
}

static void warned_register_fork(void)
{
    pthread_atfork(NULL, NULL, warned_after_fork);
}

static bool warned_insert(struct warned *table, size_t cap, uint64_t host, long day, bool *fresh)
{
    for (size_t i = host & (cap - 1);; i = (i + 1) & (cap - 1)) {
        if (table[i].host == host) {
            *fresh = table[i].day != day;
            table[i].day = day;
            return false;
        }
        if (table[i].host == 0) {
            table[i].host = host;
            table[i].day = day;
            *fresh = true;
            return true;
        }
    }
}

static bool first_warning_today(const char *host, time_t now)
{
    uint64_t h = 1469598103934665603ULL;
    bool fresh = false;
    for (const char *c = host; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211ULL;
    if (h == 0)
        h = 1; /* 0 marks an empty slot */
    pthread_once(&warned_fork_once, warned_register_fork);
    pthread_mutex_lock(&warned_lock);
    if ((warned_used + 1) * 2 > warned_cap) {
        size_t cap = warned_cap ? warned_cap * 2 : 64;
        struct warned *grown = calloc(cap, sizeof *grown);
        if (grown) {
            for (size_t i = 0; i < warned_cap; i++) {
                bool ignored;
                if (warned[i].host)
                    warned_insert(grown, cap, warned[i].host, warned[i].day, &ignored);
            }
            free(warned);
            warned = grown;
            warned_cap = cap;
        }
    }
    if (warned_cap > 0 && (warned_used + 1) * 2 <= warned_cap)
        warned_used += warned_insert(warned, warned_cap, h, (long)(now / 86400), &fresh);
    else
        fresh = true; /* no memory for the set: warn rather than stay silent */
    pthread_mutex_unlock(&warned_lock);
    return fresh;
}

static void expiry_warning(const struct policy *p, const struct host_entry *e, const char *host,
                           const struct judgement *j, time_t now, char *warning, size_t wlen)
{
    int days = policy_warn_days(p, e);
    time_t horizon = now + (time_t)days * 86400;
    char when[32];
    struct tm tm;
    X509 *cert = j->matched >= 0 ? j->counted_cert[j->matched] : NULL;
    const ASN1_TIME *t = cert ? ossl.X509_get0_notAfter(cert) : NULL;

    if (days <= 0 || !e)
        return;
    if (t && ossl.ASN1_TIME_to_tm(t, &tm) == 1 && timegm(&tm) <= horizon) {
        if (!first_warning_today(host, now))
            return;
        strftime(when, sizeof when, "%Y-%m-%d", &tm);
        snprintf(warning, wlen, "the pinned certificate expires on %s, in %ld day(s)", when,
                 (long)((timegm(&tm) - now + 86399) / 86400));
    } else if (e->expires_at && e->expires_at - 1 <= horizon) {
        if (!first_warning_today(host, now))
            return;
        snprintf(warning, wlen, "the pin set expires on %s, in %ld day(s): renew the pins",
                 e->expires_text ? e->expires_text : "?", (long)((e->expires_at - now + 86399) / 86400));
    }
}

bool handshake_allowed(SSL *s, const struct conn_state *c, int io_fd)
{
    const struct policy *p = runtime_acquire();
    if (!p)
        return false; /* no memory for a policy: fail closed */
    /* What OpenSSL pushes on the error queue while we look (a forged
     * signature, say) is ours to drop: the program must see its own errors
     * and, on a block, ours first (curl reports the first). */
    char why[600] = "";
    ossl.ERR_set_mark();
    bool allowed = !runtime_covers_program(p) || judge_with(p, s, c, io_fd, why, sizeof why);
    ossl.ERR_pop_to_mark();
    runtime_release(p);
    if (!allowed)
        block_connection(s, why);
    return allowed;
}

static bool judge_with(const struct policy *p, SSL *s, const struct conn_state *c, int io_fd, char *why,
                       size_t whylen)
{
    const struct host_entry *entry = NULL;
    struct peer who;
    struct judgement j;
    enum mode mode;
    struct observed seen;

    /* The peer's address costs a system call: taken here only when there is
     * no name or an entry depends on the port; else only for a verdict that
     * is told (below). */
    peer_identify_name(s, c && c->sni_known ? c->sni : NULL, &who);
    bool have_address = !who.host[0] || p->has_port_entries;
    if (have_address)
        peer_identify_address(s, io_fd, &who);
    if (!p->error && who.host[0])
        entry = policy_lookup(p, who.host, who.port);
    mode = policy_effective_mode(p, entry);
    if (mode == MODE_OFF && !p->error)
        return true;
    if (!entry && !p->error && !p->log_all_verdicts && !p->unpinned_block && (who.host[0] || !p->has_ip_entries))
        return true; /* unpinned, allowed, not logged: nothing to look at */

    time_t now = time(NULL);
    char warning[400] = "";
    struct tofu_view tofu; /* `judged` may point into it until the log is written */
    const struct host_entry *judged = entry;

    observe_handshake(s, &seen);
    if (entry && entry->tofu != TOFU_NONE && !p->error) {
        judged = tofu_resolve(p, entry, who.host, &seen.in, seen.verify_result, now, true, &tofu);
        /* What is known is enforced; a state file problem is only told. */
        if (tofu.outcome == TOFU_UNREADABLE)
            snprintf(warning, sizeof warning, "cannot read the trust-on-first-use state: %s", tofu.why);
        else if (tofu.outcome == TOFU_UNWRITABLE)
            snprintf(warning, sizeof warning, "cannot record the pins learned on first use: %s", tofu.why);
    }
    judge_chain(judged, &seen.in, now, &j);
    if (j.verdict == VERDICT_PASS && !warning[0])
        expiry_warning(p, judged, who.host, &j, now, warning, sizeof warning);

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
    bool worth_telling = blocked || p->log_all_verdicts || warning[0] ||
                         (j.verdict != VERDICT_PASS && j.verdict != VERDICT_UNPINNED) ||
                         (j.verdict == VERDICT_UNPINNED && p->unpinned_block);
    if ((worth_telling || blocked) && !have_address)
        peer_identify_address(s, io_fd, &who);
    if (worth_telling)
        log_verdict(p, judged, &who, mode, &j, blocked, seen.served, seen.in.nserved,
                    warning[0] ? warning : NULL);
    if (blocked) {
        char port[16] = "";
        if (who.port)
            snprintf(port, sizeof port, ":%d", who.port);
        snprintf(why, whylen, "%s%s: %s", who.host[0] ? who.host : "unknown host", port, j.reason);
    }
    observed_release(&seen);
    return !blocked;
}
