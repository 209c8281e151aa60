#include "config.h"
#include "handshake.h"
#include "judge.h"
#include "log.h"
#include "observe.h"
#include "peer.h"
#include "report.h"
#include "runtime.h"
#include "tofu.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

/* One work area per thread, kept for the thread's next handshake: judging
 * never nests (it runs after the real call returned, and calls nothing of the
 * program's), and a 15 KiB malloc and free per handshake made the program's
 * own allocations dearer (issue 10: SSL_new's cost grew by a fifth). */
static __thread __attribute__((tls_model("initial-exec"))) struct judge_work *t_work;
static __thread __attribute__((tls_model("initial-exec"))) bool t_work_busy;
static pthread_key_t work_key;
static pthread_once_t work_once = PTHREAD_ONCE_INIT;
static bool work_key_ok;

static void work_release(void *w)
{
    free(w);
}

static void make_work_key(void)
{
    work_key_ok = pthread_key_create(&work_key, work_release) == 0;
}

/* The first thread to judge takes this one: most programs make their TLS
 * connections from one thread, and pay no allocation and no thread key. */
static struct judge_work first_work;
static atomic_flag first_work_taken = ATOMIC_FLAG_INIT;

struct judge_work *handshake_work_new(void)
{
    struct judge_work *w = NULL;
    if (!t_work && !t_work_busy && !atomic_flag_test_and_set(&first_work_taken))
        t_work = &first_work;
    if (!t_work_busy && t_work) {
        w = t_work;
    } else if (!t_work_busy) {
        pthread_once(&work_once, make_work_key);
        w = malloc(sizeof *w);
        if (w && work_key_ok && pthread_setspecific(work_key, w) == 0)
            t_work = w;
    } else {
        w = malloc(sizeof *w); /* cannot happen (see above); still correct */
    }
    if (!w)
        return NULL;
    if (w == t_work)
        t_work_busy = true;
    w->seen.release = NULL;
    w->seen.owned = NULL;
    return w;
}

void handshake_work_free(struct judge_work *w)
{
    if (!w)
        return;
    observed_release(&w->seen);
    if (w == t_work)
        t_work_busy = false;
    else
        free(w);
}

static void log_verdict(const struct policy *p, const struct host_entry *entry, const char *host,
                        const struct peer *who, enum mode mode, const struct judgement *j, bool blocked,
                        const struct chain_input *in, const char *library, const char *warning, bool loud)
{
    char (*known)[PIN_TEXT_MAX] = NULL;
    char matched[PIN_TEXT_MAX];
    /* stderr (DESIGN 5): by default only what is loud -- a refusal, a failure
     * allowed by report mode, an error; passes, expired entries and expiry
     * warnings go to syslog and the JSON log only. */
    struct log_targets where = { p->log_stderr == LOG_STDERR_ALL || (p->log_stderr == LOG_STDERR_FAILURES && loud),
                                 p->log_syslog, p->json_path, p->log_syslog_json };
    struct event ev = { 0 };
    size_t nchain = (size_t)(in->nserved < CHAIN_MAX ? in->nserved : CHAIN_MAX);
    /* Heap: 16 certificates' names are 18 KiB (DESIGN 6, small stacks). */
    struct cert_info *chain = nchain ? malloc(nchain * sizeof *chain) : NULL;

    if (nchain && !chain)
        nchain = 0;
    /* A config that could not be read cannot say where to log: stderr. */
    if (p->error) {
        where.to_stderr = true;
        where.to_syslog = true;
    }
    ev.time = time(NULL);
    ev.host = host && host[0] ? host : NULL;
    ev.mode = mode_text(mode);
    ev.verdict = verdict_text(j->verdict);
    ev.action = blocked ? "blocked" : "allowed";
    ev.warning = warning;
    ev.nchain = nchain;
    ev.chain = chain;
    /* What identifies a repeat first: a repeat is only counted, and the
     * chain's names (most of the cost of an event) are never printed. */
    for (size_t i = 0; i < nchain; i++)
        cert_describe_pin(in->ops, in->served[i], &chain[i]);
    if (log_repeat(&ev)) {
        free(chain);
        return;
    }
    for (size_t i = 0; i < nchain; i++)
        cert_describe_rest(in->ops, in->served[i], &chain[i]);
    if (entry && entry->npins > 0 && (known = calloc(entry->npins, sizeof *known)) != NULL)
        for (size_t i = 0; i < entry->npins; i++)
            pin_format(&entry->pins[i], known[i]);
    if (j->matched >= 0)
        pin_format(&j->counted[j->matched], matched);

    ev.program = runtime_program();
    ev.library = library;
    ev.pid = (long)getpid();
    ev.port = who->port;
    ev.peer = who->addr[0] ? who->addr : NULL;
    ev.matched_pin = j->matched >= 0 ? matched : NULL;
    ev.nknown = known ? entry->npins : 0;
    ev.known = (const char (*)[PIN_TEXT_MAX])known;
    ev.reason = j->reason;
    log_event(&where, &ev, blocked ? LOG_ERR : j->verdict == VERDICT_PASS ? LOG_INFO : LOG_WARNING);
    free(known);
    free(chain);
}

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
    const struct cert *cert = j->matched >= 0 ? j->counted_cert[j->matched] : NULL;

    if (days <= 0 || !e)
        return;
    time_t t = cert ? j->ops->not_after(cert) : 0;
    if (t && t <= horizon && gmtime_r(&t, &tm)) {
        if (!first_warning_today(host, now))
            return;
        strftime(when, sizeof when, "%Y-%m-%d", &tm);
        snprintf(warning, wlen, "the pinned certificate expires on %s, in %ld day(s)", when,
                 (long)((t - now + 86399) / 86400));
    } else if (e->expires_at && e->expires_at - 1 <= horizon) {
        if (!first_warning_today(host, now))
            return;
        snprintf(warning, wlen, "the pin set expires on %s, in %ld day(s): renew the pins",
                 e->expires_text ? e->expires_text : "?", (long)((e->expires_at - now + 86399) / 86400));
    }
}

/* The verdict of one name of the connection. */
struct name_verdict {
    const struct host_entry *judged;  /* the entry judged by (TOFU: with its learned pins) */
    enum mode mode;
    bool blocked;
    bool worth_telling;
    bool loud;  /* for stderr by default: refused, failed, an error (DESIGN 5) */
};

static int rank(const struct name_verdict *v, const struct judgement *j)
{
    if (v->blocked)
        return 3;
    if (j->verdict != VERDICT_PASS && j->verdict != VERDICT_UNPINNED)
        return 2;
    return j->verdict == VERDICT_PASS ? 1 : 0;
}

/* prefix + tail into out (both may live in the same work struct). */
static void compose(char *out, size_t outlen, const char *prefix, const char *tail)
{
    size_t a = strlen(prefix), b = strlen(tail);
    if (a >= outlen)
        a = outlen - 1;
    memcpy(out, prefix, a);
    if (b > outlen - 1 - a)
        b = outlen - 1 - a;
    memmove(out + a, tail, b);
    out[a + b] = '\0';
}

/* Judge the connection as `host` under `entry` (NULL: no entry). */
static void judge_name(const struct policy *p, const struct host_entry *entry, const char *host,
                       const struct chain_input *in, long verify_result, time_t now, struct judgement *j,
                       struct tofu_view *tofu, char *warning, size_t wlen, struct name_verdict *v)
{
    v->judged = entry;
    v->mode = policy_effective_mode(p, entry);
    warning[0] = '\0';
    bool tofu_trouble = false;
    if (entry && entry->tofu != TOFU_NONE && !p->error) {
        v->judged = tofu_resolve(p, entry, host, in, verify_result, now, true, tofu);
        /* What is known is enforced; a state file problem is only told. */
        tofu_trouble = tofu->outcome == TOFU_UNREADABLE || tofu->outcome == TOFU_UNWRITABLE;
        if (tofu->outcome == TOFU_UNREADABLE)
            compose(warning, wlen, "cannot read the trust-on-first-use state: ", tofu->why);
        else if (tofu->outcome == TOFU_UNWRITABLE)
            compose(warning, wlen, "cannot record the pins learned on first use: ", tofu->why);
    }
    judge_chain(v->judged, in, now, j);
    if (j->verdict == VERDICT_PASS && !warning[0])
        expiry_warning(p, v->judged, host, j, now, warning, wlen);
    if (p->error) {
        j->verdict = VERDICT_ERROR;
        snprintf(j->reason, sizeof j->reason, "%s", p->error);
    }
    v->blocked = j->verdict == VERDICT_ERROR ||
                 (v->mode == MODE_ENFORCE &&
                  (j->verdict == VERDICT_FAIL || (j->verdict == VERDICT_UNPINNED && p->unpinned_block)));
    v->worth_telling = v->blocked || p->log_all_verdicts || warning[0] ||
                       (j->verdict != VERDICT_PASS && j->verdict != VERDICT_UNPINNED) ||
                       (j->verdict == VERDICT_UNPINNED && p->unpinned_block);
    /* A TOFU state that cannot be read or written is pinshim's own trouble:
     * an error, told like one even on a connection that passed. */
    v->loud = v->blocked || tofu_trouble || j->verdict == VERDICT_FAIL || j->verdict == VERDICT_ERROR ||
              (j->verdict == VERDICT_UNPINNED && p->unpinned_block);
}

static bool judge_with(const struct policy *p, const struct handshake_id *id, struct judge_work *w)
{
    const struct host_entry *entries[PEER_NAMES_MAX] = { NULL };
    int nentries = 0;
    struct peer *who = &w->who;

    /* The peer's address costs a system call: taken here only when the
     * client gave no name (then the address names it) or an entry depends
     * on the port; else only for a verdict that is told (below). */
    peer_names(id->sni, id->checked, who);
    if (who->nnames == 0 || p->has_port_entries)
        peer_address(id->fd, id->io_fd, who);
    int noff = 0;
    if (!p->error) {
        for (int i = 0; i < who->nnames; i++) {
            if (!who->names[i].valid || !(entries[i] = policy_lookup(p, who->names[i].host, who->port)))
                continue;
            if (policy_effective_mode(p, entries[i]) == MODE_OFF) {
                entries[i] = NULL; /* "off": this name asks for nothing */
                noff++;
            } else {
                nentries++;
            }
        }
    }
    if (!p->error && nentries == 0 && noff > 0)
        return true;
    if (!p->error && nentries == 0) {
        /* Unpinned: allowed and not logged unless the policy says otherwise. */
        if (policy_effective_mode(p, NULL) == MODE_OFF)
            return true;
        if (!p->log_all_verdicts && !p->unpinned_block && (who->nnames > 0 || !p->has_ip_entries))
            return true;
    }

    time_t now = time(NULL);
    const struct chain_input *in = &w->seen.in;
    struct name_verdict best = { 0 }, v;
    int best_i = -1, best_slot = 0, best_rank = -1;
    for (int i = 0; i < who->nnames || (i == 0 && who->nnames == 0); i++) {
        /* With entries, only the names that have one are judged (DESIGN
         * 3.1); without any, the first name is judged as unpinned. */
        if (nentries > 0 && !entries[i])
            continue;
        if (nentries == 0 && i > 0)
            break;
        int slot = best_i < 0 ? 0 : 1 - best_slot;
        const char *host = who->nnames > 0 ? who->names[i].host : "";
        judge_name(p, entries[i], host, in, w->seen.verify_result, now, &w->j[slot], &w->tofu[slot],
                   w->warning[slot], sizeof w->warning[slot], &v);
        int r = rank(&v, &w->j[slot]);
        if (r > best_rank) {
            best = v;
            best_i = i;
            best_slot = slot;
            best_rank = r;
        }
        if (r == 3)
            break; /* a refusal by any one name refuses */
    }
    struct judgement *j = &w->j[best_slot];
    const char *host = who->nnames > 0 ? who->names[best_i].host : "";
    if (!p->error && who->nnames == 0 && p->has_ip_entries) {
        /* IP-literal entries exist and the peer is unknown: never fail open. */
        j->verdict = VERDICT_ERROR;
        snprintf(j->reason, sizeof j->reason, "neither a host name nor the peer address of this connection is known");
        best.blocked = true;
        best.worth_telling = true;
        best.loud = true;
    }
    if (best.worth_telling) {
        peer_address(id->fd, id->io_fd, who);
        log_verdict(p, best.judged, host, who, best.mode, j, best.blocked, &w->seen.in, id->library ? id->library() : NULL,
                    w->warning[best_slot][0] ? w->warning[best_slot] : NULL, best.loud);
    }
    if (best.blocked) {
        char port[16] = "";
        if (who->port)
            snprintf(port, sizeof port, ":%d", who->port);
        snprintf(w->why, sizeof w->why, "%s%s: %s", host[0] ? host : "unknown host", port, j->reason);
    }
    return !best.blocked;
}

struct resumption_work {
    struct peer who;
    struct judgement j;
    struct tofu_view tofu;
};

static bool resumption_passes(const struct policy *p, const struct handshake_id *id, const struct cert_ops *ops,
                              const struct cert *leaf, struct resumption_work *w)
{
    const struct cert *served[1] = { leaf };
    struct chain_input in = { .ops = ops, .served = served, .nserved = 1, .resumed = true };
    time_t now = time(NULL);

    if (p->error)
        return false; /* refused anyway: let the full handshake say why */
    peer_names(id->sni, id->checked, &w->who);
    if (w->who.nnames == 0 || p->has_port_entries)
        peer_address(id->fd, id->io_fd, &w->who);
    for (int i = 0; i < w->who.nnames; i++) {
        if (!w->who.names[i].valid)
            continue;
        const struct host_entry *e = policy_lookup(p, w->who.names[i].host, w->who.port);
        /* Only a refusal needs a full handshake instead: under report (or
         * off) the resumption goes ahead and is judged when it finishes. */
        if (!e || policy_effective_mode(p, e) != MODE_ENFORCE)
            continue;
        if (e->tofu != TOFU_NONE)
            e = tofu_resolve(p, e, w->who.names[i].host, &in, VERIFY_OK, now, false, &w->tofu);
        judge_chain(e, &in, now, &w->j);
        if (w->j.verdict != VERDICT_PASS && w->j.verdict != VERDICT_EXPIRED)
            return false;
    }
    return true;
}

bool handshake_resumption_passes(const struct handshake_id *id, const struct cert_ops *ops, const struct cert *leaf,
                                 unsigned long *vetted_generation)
{
    *vetted_generation = 0;
    const struct policy *p = runtime_acquire();
    if (!p)
        return false;
    bool passes = true;
    if (runtime_covers_program(p)) {
        /* On the heap: a TLS client thread may run on a 32 KiB stack.  Not
         * zeroed (7k instructions a resumption): each part is set before use. */
        struct resumption_work *w = malloc(sizeof *w);
        passes = w && resumption_passes(p, id, ops, leaf, w);
        free(w);
        if (passes && !p->log_all_verdicts)
            *vetted_generation = runtime_generation(p);
    }
    runtime_release(p);
    return passes;
}

bool handshake_judge(const struct handshake_id *id, struct judge_work *w)
{
    const struct policy *p = runtime_acquire();
    w->why[0] = '\0';
    if (!p) {
        snprintf(w->why, sizeof w->why, "no memory for the policy");
        return false; /* fail closed */
    }
    bool allowed = !runtime_covers_program(p) || judge_with(p, id, w);
    runtime_release(p);
    return allowed;
}
