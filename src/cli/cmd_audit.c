/* pinshim audit: probe every exact-name entry of the config (a few at a time)
 * and show, per host, the verdict the library would give today and how long
 * the leaf and the pin set have left.  Entries it cannot probe (wildcards) are
 * rows too, with the reason, and change nothing in the exit status. */
#include "config.h"
#include "cli.h"
#include "json_out.h"
#include "tlsprobe.h"
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_CONNECT_TO 64
#define MAX_JOBS 256
#define DEFAULT_JOBS 4

static void usage(FILE *out)
{
    fprintf(out,
            "usage: pinshim audit [OPTION]... [CONF]\n"
            "\n"
            "Probe every exact-name and IP-literal entry of the config (an include_subdomains\n"
            "entry as its own name) on the entry's port, else 443, and judge what the server\n"
            "sends by exactly the library's rule.  Prints one row per entry: host, port,\n"
            "verdict (pass, fail, expired, unreachable), the pin that matched, days until\n"
            "the leaf certificate expires, days until the entry's pin set expires (- for\n"
            "never).  A wildcard entry (*.example.com) cannot be probed, since audit cannot\n"
            "know which names exist under it: its row says \"not probed (wildcard)\" (port -\n"
            "when it applies to every port), and it does not change the exit status.\n"
            "\n"
            "The config is CONF or -c CONF, else $PINSHIM_CONFIG, else %s/pinshim.conf;\n"
            "'-' reads it from standard input (named so in messages).\n"
            "\n"
            "Options:\n"
            "  -c, --config=CONF        the config to audit\n"
            "  -j, --jobs=N             probe at most N hosts at once (default %d)\n"
            "      --timeout=SECONDS    bound per host for connect + handshake (default %d)\n"
            "      --cafile=FILE        verify against the CA certificates in FILE instead of\n"
            "                           the system trust store\n"
            "      --connect-to=HOST:PORT:ADDR:PORT\n"
            "                           like curl: probe ADDR:PORT for HOST:PORT (name, SNI\n"
            "                           and port judged stay HOST:PORT); may be repeated\n"
            "      --json               one JSON object on stdout instead of the table:\n"
            "                           {config, results: [{host, port, verdict,\n"
            "                           matched_pin, leaf_days_left, pins_days_left,\n"
            "                           error}]}, a result per row of the table (null\n"
            "                           where the table shows -; error: the row's note)\n"
            "  -h, --help               show this help\n"
            "\n"
            "Exit status: 0 every host passed (expired pin sets pass, with a note), 1 a pin\n"
            "check failed, 69 a host was unreachable and none failed, 64 usage, 66 the\n"
            "config or the CA file cannot be read, 78 the config is invalid.\n",
            SYSCONFDIR, DEFAULT_JOBS, PROBE_TIMEOUT_MS / 1000);
}

struct row {
    const struct host_entry *entry;
    int port;                 /* 0: not probed and every port (shown as -) */
    const char *skipped;      /* not probed: the verdict column; NULL: probed */
    bool reachable;
    enum verdict verdict;
    const struct host_entry *governing;   /* what policy_lookup chose */
    char matched[PIN_TEXT_MAX];
    bool leaf_known;
    long leaf_days;
    bool verified;
    char note[800];
};

struct audit {
    const struct probe_config *cfg;
    struct row *rows;
    size_t nrows;             /* every entry, in config order */
    struct row **todo;        /* the rows to probe */
    size_t ntodo;
    atomic_size_t next;
    pthread_mutex_t lock;      /* progress line */
    size_t done;
    bool progress;
};

static void probe_row(const struct probe_config *cfg, struct row *row, struct probe_result *r)
{
    struct probe_target t = { .host = row->entry->name, .port = row->port };
    if (probe_run(cfg, &t, r) != 0) {
        snprintf(row->note, sizeof row->note, "%s", r->error);
        return;
    }
    row->reachable = true;
    row->verdict = r->judgement.verdict;
    row->governing = r->entry;
    snprintf(row->matched, sizeof row->matched, "%s", r->matched_pin);
    row->leaf_known = r->leaf_expiry_known;
    if (r->leaf_expiry_known)
        row->leaf_days = days_until(r->leaf_not_after, time(NULL));
    row->verified = r->verified;
    if (row->verdict != VERDICT_PASS)
        snprintf(row->note, sizeof row->note, "%s", r->judgement.reason);
    else if (!r->verified)
        snprintf(row->note, sizeof row->note, "the chain did not verify: %s", r->verify_error);
    if (r->note[0]) {
        size_t n = strlen(row->note);
        snprintf(row->note + n, sizeof row->note - n, "%s%s", n ? "; " : "", r->note);
    }
}

static void *worker(void *arg)
{
    struct audit *a = arg;
    struct probe_result *r = malloc(sizeof *r);
    for (;;) {
        size_t i = atomic_fetch_add(&a->next, 1);
        if (i >= a->ntodo)
            break;
        if (r)
            probe_row(a->cfg, a->todo[i], r);
        else
            snprintf(a->todo[i]->note, sizeof a->todo[i]->note, "out of memory");
        if (a->progress) {
            pthread_mutex_lock(&a->lock);
            a->done++;
            fprintf(stderr, "\rpinshim audit: %zu/%zu hosts probed", a->done, a->ntodo);
            pthread_mutex_unlock(&a->lock);
        }
    }
    free(r);
    return NULL;
}

static void run_all(struct audit *a, int jobs)
{
    pthread_t tid[MAX_JOBS];
    int n = 0;
    if ((size_t)jobs > a->ntodo)
        jobs = (int)a->ntodo;
    for (; n < jobs; n++)
        if (pthread_create(&tid[n], NULL, worker, a) != 0)
            break;
    if (n == 0)
        worker(a);            /* no thread at all: probe one by one here */
    for (int i = 0; i < n; i++)
        pthread_join(tid[i], NULL);
    if (a->progress)
        fprintf(stderr, "\r\033[K");
}

static const char *row_verdict(const struct row *r)
{
    if (r->skipped)
        return r->skipped;
    return r->reachable ? verdict_text(r->verdict) : "unreachable";
}

/* The exit status of an audit (DESIGN 11): 1 any pin failure, 69 some host
 * unreachable and none failed, else 0; rows not probed count for nothing. */
static int audit_status(const struct audit *a)
{
    bool unreachable = false;
    for (size_t i = 0; i < a->nrows; i++) {
        const struct row *r = &a->rows[i];
        if (r->skipped)
            continue;
        if (!r->reachable)
            unreachable = true;
        else if (r->verdict != VERDICT_EXPIRED && r->verdict != VERDICT_PASS)
            return 1;
    }
    return unreachable ? EX_UNAVAILABLE : EX_OK;
}

static int print_table(const struct audit *a, time_t now)
{
    int wh = 4, wv = 7, wp = 11;
    int nfail = 0, nunreach = 0, nexpired = 0, nskipped = 0;

    for (size_t i = 0; i < a->nrows; i++) {
        const struct row *r = &a->rows[i];
        int l = (int)strlen(r->entry->name);
        wh = l > wh ? l : wh;
        l = (int)strlen(row_verdict(r));
        wv = l > wv ? l : wv;
        l = (int)strlen(r->matched);
        wp = l > wp ? l : wp;
    }
    printf("%-*s  %5s  %-*s  %-*s  %9s  %9s\n", wh, "HOST", "PORT", wv, "VERDICT", wp, "MATCHED PIN", "LEAF DAYS",
           "PINS DAYS");
    for (size_t i = 0; i < a->nrows; i++) {
        const struct row *r = &a->rows[i];
        char leaf[24] = "-", pins[24] = "-", port[16] = "-";
        if (r->leaf_known)
            snprintf(leaf, sizeof leaf, "%ld", r->leaf_days);
        if (r->entry->expires_at)
            snprintf(pins, sizeof pins, "%ld", days_until(r->entry->expires_at, now));
        if (r->port)
            snprintf(port, sizeof port, "%d", r->port);
        printf("%-*s  %5s  %-*s  %-*s  %9s  %9s\n", wh, r->entry->name, port, wv, row_verdict(r), wp,
               r->matched[0] ? r->matched : "-", leaf, pins);
        if (r->skipped)
            nskipped++;
        else if (!r->reachable)
            nunreach++;
        else if (r->verdict == VERDICT_EXPIRED)
            nexpired++;
        else if (r->verdict != VERDICT_PASS)
            nfail++;
    }

    bool header = false;
    for (size_t i = 0; i < a->nrows; i++) {
        const struct row *r = &a->rows[i];
        const char *v6 = strchr(r->entry->name, ':') ? "[" : "", *v6r = *v6 ? "]" : "";
        if (!r->note[0] && (!r->governing || r->governing == r->entry))
            continue;
        if (!header)
            printf("\nnotes:\n");
        header = true;
        if (!r->port) {       /* not probed, every port */
            printf("  %s (line %d): %s: %s\n", r->entry->name, r->entry->line, row_verdict(r), r->note);
            continue;
        }
        printf("  %s%s%s:%d (line %d): %s: %s\n", v6, r->entry->name, v6r, r->port, r->entry->line,
               row_verdict(r), r->note[0] ? r->note : "ok");
        if (r->governing && r->governing != r->entry)
            printf("  %s%s%s:%d (line %d): clients are judged by the entry at line %d instead\n", v6,
                   r->entry->name, v6r, r->port, r->entry->line, r->governing->line);
    }
    printf("\n%zu host%s: %zu passed, %d failed, %d expired (not enforced), %d unreachable\n", a->ntodo,
           a->ntodo == 1 ? "" : "s", a->ntodo - (size_t)(nfail + nunreach + nexpired), nfail, nexpired,
           nunreach);
    if (nskipped)
        printf("%d wildcard entr%s not probed (not counted above; probe a name it covers with "
               "'pinshim probe')\n",
               nskipped, nskipped == 1 ? "y" : "ies");
    if (nexpired)
        printf("expired pin sets are allowed but logged loudly: renew their pins and expiry dates\n");
    return audit_status(a);
}

/* --json: the table's rows as a document, with the table's exit status. */
static int print_json(const struct audit *a, const char *path, time_t now)
{
    struct json_out j = { 0 };
    jo_object(&j, NULL);
    jo_string(&j, "config", path);
    jo_array(&j, "results");
    for (size_t i = 0; i < a->nrows; i++) {
        const struct row *r = &a->rows[i];
        jo_object(&j, NULL);
        jo_string(&j, "host", r->entry->name);
        if (r->port)
            jo_int(&j, "port", r->port);
        else
            jo_null(&j, "port"); /* a wildcard of no port: not probed, every port */
        jo_string(&j, "verdict", row_verdict(r));
        jo_string(&j, "matched_pin", r->matched[0] ? r->matched : NULL);
        if (r->leaf_known)
            jo_int(&j, "leaf_days_left", r->leaf_days);
        else
            jo_null(&j, "leaf_days_left");
        if (r->entry->expires_at)
            jo_int(&j, "pins_days_left", days_until(r->entry->expires_at, now));
        else
            jo_null(&j, "pins_days_left");
        jo_string(&j, "error", r->note[0] ? r->note : NULL);
        jo_end(&j);
    }
    jo_end(&j);

    int wrc = jo_finish(&j);
    return wrc != EX_OK ? wrc : audit_status(a);
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "jobs", required_argument, NULL, 'j' },
        { "timeout", required_argument, NULL, 't' },
        { "cafile", required_argument, NULL, 'A' },
        { "connect-to", required_argument, NULL, 'T' },
        { "help", no_argument, NULL, 'h' },
        { "json", no_argument, NULL, 'J' },
        { NULL, 0, NULL, 0 },
    };
    struct connect_to *rules = NULL;
    bool json = false;
    struct probe_config cfg = { .timeout_ms = PROBE_TIMEOUT_MS };
    struct audit a = { .cfg = &cfg };
    const char *conf = NULL, *cafile = NULL, *path;
    char why[400], *end;
    struct policy *policy;
    int opt, jobs = DEFAULT_JOBS, rc = EX_USAGE;
    long v;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":c:j:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': conf = optarg; break;
        case 'A': cafile = optarg; break;
        case 'J': json = true; break;
        case 'j':
            errno = 0;
            v = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || v < 1 || v > MAX_JOBS) {
                cli_error("--jobs \"%s\": expected a number from 1 to %d", optarg, MAX_JOBS);
                goto usage_out;
            }
            jobs = (int)v;
            break;
        case 't':
            if ((cfg.timeout_ms = timeout_parse(optarg)) < 0) {
                cli_error("--timeout \"%s\": expected seconds, more than 0 and at most 3600", optarg);
                goto usage_out;
            }
            break;
        case 'T':
            if (!rules && !(rules = calloc(MAX_CONNECT_TO, sizeof *rules))) {
                cli_error("out of memory");
                return EX_OSERR;
            }
            if (cfg.nconnect_to == MAX_CONNECT_TO) {
                cli_error("at most %d --connect-to", MAX_CONNECT_TO);
                goto usage_out;
            }
            if (connect_to_parse(optarg, &rules[cfg.nconnect_to], why, sizeof why) != 0) {
                cli_error("%s", why);
                goto usage_out;
            }
            cfg.nconnect_to++;
            break;
        case 'h':
            free(rules);
            return cli_usage(&cmd_audit, EX_OK);
        default:
            cli_bad_option("audit", opt, argv);
            goto usage_out;
        }
    }
    cfg.connect_to = rules;
    if (optind < argc) {
        if (conf || optind + 1 < argc) {
            cli_error("one config only (try 'pinshim audit --help')");
            goto usage_out;
        }
        conf = argv[optind];
    }

    struct cli_conf cc;
    if ((rc = cli_conf_open(&cc, conf)) != 0) {
        free(rules);
        return rc;
    }
    path = cc.shown;
    policy = policy_load(cc.path);
    if (!policy) {
        cli_error("out of memory");
        cli_conf_close(&cc);
        free(rules);
        return EX_OSERR;
    }
    if (policy->error) {
        cli_conf_error(&cc, policy->error);
        rc = cli_config_exit(cc.path);
        cli_conf_close(&cc);
        goto out;
    }
    cli_conf_close(&cc); /* loaded: the copy of standard input is done with */
    cfg.policy = policy;

    if (!(a.rows = calloc(policy->nentries ? policy->nentries : 1, sizeof *a.rows)) ||
        !(a.todo = calloc(policy->nentries ? policy->nentries : 1, sizeof *a.todo))) {
        cli_error("out of memory");
        rc = EX_OSERR;
        goto out;
    }
    /* Every entry is a row, in config order; a wildcard is not probed (which
     * names exist under it is not for audit to know) and says so. */
    for (size_t i = 0; i < policy->nentries; i++) {
        const struct host_entry *e = &policy->entries[i];
        struct row *row = &a.rows[a.nrows++];
        row->entry = e;
        if (e->kind == NAME_WILDCARD) {
            row->port = e->port;
            row->skipped = "not probed (wildcard)";
            snprintf(row->note, sizeof row->note,
                     "audit cannot know which names exist under %s; probe one with 'pinshim probe NAME%s'",
                     e->match_key, e->port ? ":PORT" : "");
            continue;
        }
        row->port = e->port ? e->port : 443;
        a.todo[a.ntodo++] = row;
    }
    if (a.nrows == 0) {
        cli_warning("%s has no entry to probe", path);
        rc = json ? print_json(&a, path, time(NULL)) : EX_OK;
        goto out;
    }

    signal(SIGPIPE, SIG_IGN);
    if (!(cfg.ctx = probe_ctx_new(cafile, why, sizeof why))) {
        cli_error("%s", why);
        rc = EX_NOINPUT;
        goto out;
    }
    atomic_init(&a.next, 0);
    pthread_mutex_init(&a.lock, NULL);
    a.progress = a.ntodo > 0 && isatty(STDERR_FILENO) == 1;
    run_all(&a, jobs);
    pthread_mutex_destroy(&a.lock);

    if (json) {
        rc = print_json(&a, path, time(NULL));
        goto out;
    }
    rc = print_table(&a, time(NULL));
    if (fflush(stdout) != 0) {
        cli_error("cannot write the output");
        rc = EX_IOERR;
    }
out:
    SSL_CTX_free(cfg.ctx);
    free(a.todo);
    free(a.rows);
    policy_free(policy);
    free(rules);
    return rc;
usage_out:
    free(rules);
    return EX_USAGE;
}

const struct command cmd_audit = { "audit", "probe every pinned host of a config and judge it", usage, run };
