/* pinshim check: is a config valid (the library's own loader says), and what
 * in it is probably a mistake (warnings). */
#include "config.h"
#include "cli.h"
#include "json_out.h"
#include "keytypo.h"
#include "policy.h"
#include <errno.h>
#include <getopt.h>
#include <libconfig.h>
#include <libpsl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int check_run(const char *path, const char *shown, int strict, int json);

static void usage(FILE *out)
{
    fprintf(out,
            "usage: pinshim check [--strict] [--json] [-c CONF | CONF]\n"
            "\n"
            "Load a config exactly as libpinshim.so does and report what is wrong with it.\n"
            "CONF defaults to $PINSHIM_CONFIG, else %s/pinshim.conf; '-' reads it from\n"
            "standard input (named so in messages).\n"
            "\n"
            "Every error the loader finds is printed as FILE:LINE: ..., in file order (the\n"
            "config, then its @include'd files); with such a config the library refuses\n"
            "every TLS connection, naming the first.  A config that cannot be read, a bad\n"
            "@include or a libconfig syntax error is the only error: nothing past it is read.\n"
            "Warnings, each FILE:LINE: warning: ..., do not stop the config from working:\n"
            "  - an entry with a single pin (no backup pin);\n"
            "  - pins that expired, or expire within warn_days (default %d) days;\n"
            "  - a host name listed twice for the same port;\n"
            "  - a pin listed twice in one entry;\n"
            "  - a name that is a public suffix (com, co.uk, github.io) or a wildcard\n"
            "    directly under one (*.co.uk), after the Public Suffix List without its\n"
            "    default '*' rule (so single labels like localhost are not suffixes);\n"
            "  - include_subdomains on such a name;\n"
            "  - a key the library does not know (the library ignores it);\n"

            "  - the config or an included file owned by another user than root, or\n"
            "    writable by group or others: privileged programs refuse it;\n"
            "  - trust on first use with a state that cannot be written.\n"            "One error is check's alone: an unknown key that is a likely typo of a known\n"
            "key of its group (one edit away, two for keys longer than 4 letters, case\n"
            "ignored), FILE:LINE: error: unknown key \"mdoe\": did you mean \"mode\"?\n"
            "The library ignores it too, so the config runs without it: apply and\n"
            "enable refuse such a config.\n"
            "Errors and warnings go to stderr; a summary line goes to stdout:\n"
            "  CONF: N hosts, N pins, N errors, N warnings\n"
            "or, when the library would refuse the config (its warnings are not shown):\n"
            "  CONF: N errors: the library refuses every TLS connection with this config\n"
            "\n"
            "Options:\n"
            "  -c, --config CONF  the config to check\n"
            "      --strict       exit 1 on warnings too\n"
            "      --json         instead of the summary line, one JSON object on stdout:\n"
            "                     {config, hosts, pins, errors, warnings}; each error and\n"
            "                     warning {file, line, message} (line null when unknown;\n"
            "                     hosts and pins null when the config has an error);\n"
            "                     the findings still go to stderr too\n"
            "  -h, --help         this help\n"
            "\n"
            "Exit status: 0 valid (warnings allowed); 1 invalid (or warnings with\n"
            "--strict); 64 usage; 66 the config cannot be read.\n",
            SYSCONFDIR, WARN_DAYS_DEFAULT);
}

/* ------------------------------------------------------------ findings --- */

struct finding {
    const char *file;        /* not owned, unless it is `own_file` */
    int line;
    size_t seq;
    char *text;
    int error;               /* an error (exit 1), not a warning */
    int loader;              /* the library's loader's error: printed as the library logs it */
    char *own_file;
};

struct findings {
    size_t n, cap;
    struct finding *v;
    int oom;
    int errors_only;         /* the config has an error: warnings are not collected */
};

static void add_at(struct findings *f, int error, const char *file, int line, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));
static void warn_at(struct findings *f, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void error_at(struct findings *f, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void warn_at(struct findings *f, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_at(f, 0, file, line, fmt, ap);
    va_end(ap);
}

static void error_at(struct findings *f, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_at(f, 1, file, line, fmt, ap);
    va_end(ap);
}

/* Room for one more finding: 0, or -1 (out of memory, noted). */
static int make_room(struct findings *f)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        struct finding *v = realloc(f->v, cap * sizeof *v);
        if (!v) {
            f->oom = 1;
            return -1;
        }
        f->v = v;
        f->cap = cap;
    }
    return 0;
}

static void add_at(struct findings *f, int error, const char *file, int line, const char *fmt, va_list ap)
{
    char *text = NULL;
    if ((f->errors_only && !error) || make_room(f) != 0)
        return;
    int rc = vasprintf(&text, fmt, ap);
    if (rc < 0) {
        f->oom = 1;
        return;
    }
    f->v[f->n] = (struct finding){ .file = file, .line = line, .seq = f->n, .text = text, .error = error };
    f->n++;
}

/* The loader's sink (policy_load_all): each error of the config, with the
 * file's name copied (it lives in the loader's config tree). */
static void loader_error(void *ctx, const char *file, int line, const char *message)
{
    struct findings *f = ctx;
    if (make_room(f) != 0)
        return;
    char *text = strdup(message), *own = strdup(file);
    if (!text || !own) {
        free(text);
        free(own);
        f->oom = 1;
        return;
    }
    f->v[f->n] = (struct finding){
        .file = own, .line = line, .seq = f->n, .text = text, .error = 1, .loader = 1, .own_file = own,
    };
    f->n++;
}

static const char *main_file;    /* for sorting: the config itself first */

static int finding_cmp(const void *a, const void *b)
{
    const struct finding *x = a, *y = b;
    int xm = strcmp(x->file, main_file) == 0, ym = strcmp(y->file, main_file) == 0;
    if (xm != ym)
        return ym - xm;
    int c = strcmp(x->file, y->file);
    if (c)
        return c;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* One line whatever a config holds: control bytes become '?'. */
static void print_line_part(FILE *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, out);
}

/* `pinshim apply` checks a copy staged beside the live config: its
 * messages name the file the user gave (`shown_as`), not the copy. */
static const char *checked_path, *shown_as;

static void put_line(FILE *out, const char *s)
{
    size_t real_len = checked_path ? strlen(checked_path) : 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (real_len && shown_as && strncmp((const char *)p, checked_path, real_len) == 0) {
            print_line_part(out, shown_as);
            p += real_len - 1;
            continue;
        }
        fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, out);
    }
    fputc('\n', out);
}

/* One write per line: stderr is unbuffered, and a config with thousands of
 * errors would otherwise cost a write() per character. */
static void print_line(FILE *out, const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem) {
        put_line(out, s);
        return;
    }
    put_line(mem, s);
    if (fclose(mem) == 0)
        fwrite(buf, 1, len, out);
    else
        put_line(out, s);
    free(buf);
}

/* ------------------------------------------------------------- helpers --- */

static const char *file_of(const config_setting_t *s, const char *path)
{
    const char *f = s ? config_setting_source_file(s) : NULL;
    return f ? f : path;
}

static int line_of(const config_setting_t *s, int fallback)
{
    int line = s ? (int)config_setting_source_line(s) : 0;
    return line > 0 ? line : fallback;
}

/* An unknown key is ignored by the library (an upgrade must not fail closed
 * on a key a newer version added); check calls a likely typo of a known key
 * an error, any other unknown key a warning. */
static void unknown_keys(struct findings *f, const config_setting_t *group, const char *const *known,
                         const char *where, const char *path)
{
    int n = config_setting_length(group);
    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
        const char *name = s ? config_setting_name(s) : NULL;
        size_t k;
        if (!name)
            continue;
        for (k = 0; known[k]; k++)
            if (strcmp(name, known[k]) == 0)
                break;
        if (known[k])
            continue;
        const char *best = NULL;
        size_t best_d = 3;
        for (k = 0; known[k]; k++) {
            size_t d = key_distance(name, known[k]);
            if (d < best_d || (d == best_d && best && key_likely_typo(d, known[k]) && !key_likely_typo(d, best))) {
                best_d = d;
                best = known[k];
            }
        }
        if (best && key_likely_typo(best_d, best))
            error_at(f, file_of(s, path), line_of(s, 0), "unknown key \"%s\"%s: did you mean \"%s\"?", name, where,
                     best);
        else if (best)
            warn_at(f, file_of(s, path), line_of(s, 0), "unknown key \"%s\"%s is ignored; did you mean \"%s\"?", name,
                    where, best);
        else
            warn_at(f, file_of(s, path), line_of(s, 0), "unknown key \"%s\"%s is ignored", name, where);
    }
}

static const char *const top_keys[] = { "mode", "unpinned", "log", "hosts", "state", "warn_days", "programs", NULL };
static const char *const log_keys[] = { "stderr", "syslog", "json", "verdicts", NULL };
static const char *const host_keys[] = { "name",     "include_subdomains", "pins", "expires", "mode",
                                         "port",     "tofu",               "warn_days", NULL };

/* ------------------------------------------------------ public suffixes --- */

static int is_suffix(const psl_ctx_t *psl, const char *name)
{
    return psl && psl_is_public_suffix2(psl, name, PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE) != 0;
}

/* A wildcard "*.BASE" is "directly under" a public suffix when BASE is one,
 * or when the names it stands for are (a wildcard rule such as *.ck). */
static int wildcard_under_suffix(const psl_ctx_t *psl, const char *base)
{
    char probe[HOST_MAX + 32];
    if (is_suffix(psl, base))
        return 1;
    snprintf(probe, sizeof probe, "pinshim-probe.%s", base);
    return is_suffix(psl, probe);
}

static void suffix_checks(struct findings *f, const psl_ctx_t *psl, const struct host_entry *e,
                          const config_setting_t *g, const char *path)
{
    const config_setting_t *name = g ? config_setting_get_member(g, "name") : NULL;
    const config_setting_t *incl = g ? config_setting_get_member(g, "include_subdomains") : NULL;
    const char *file = file_of(name ? name : g, path);

    if (e->kind == NAME_DNS) {
        if (!is_suffix(psl, e->name))
            return;
        if (e->include_subdomains)
            warn_at(f, file_of(incl, path), line_of(incl, e->line),
                    "include_subdomains on the public suffix \"%s\" pins every site registered under it", e->name);
        else
            warn_at(f, file, line_of(name, e->line),
                    "\"%s\" is a public suffix (like com or co.uk), not a site: a pin for it is almost certainly "
                    "a mistake",
                    e->name);
    } else if (e->kind == NAME_WILDCARD) {
        if (!wildcard_under_suffix(psl, e->match_key))
            return;
        if (e->include_subdomains)
            warn_at(f, file_of(incl, path), line_of(incl, e->line),
                    "include_subdomains on the wildcard \"%s\", directly under the public suffix \"%s\", pins "
                    "every site registered under it",
                    e->name, e->match_key);
        else
            warn_at(f, file, line_of(name, e->line),
                    "the wildcard \"%s\" is directly under the public suffix \"%s\": it matches every domain "
                    "registered there",
                    e->name, e->match_key);
    }
}

/* --------------------------------------------------------- entry checks --- */

struct pin_at {
    const struct pin *pin;
    size_t index;
};

static int pin_at_cmp(const void *a, const void *b)
{
    const struct pin_at *x = a, *y = b;
    int c = memcmp(x->pin->hash, y->pin->hash, PIN_LEN);
    if (c)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Duplicate pins (sorted, so a long list stays cheap); returns the number of
 * distinct pins. */
static size_t pin_checks(struct findings *f, const struct host_entry *e, const config_setting_t *g, const char *path)
{
    const config_setting_t *pins = g ? config_setting_get_member(g, "pins") : NULL;
    struct pin_at *v = calloc(e->npins, sizeof *v);
    size_t distinct = e->npins;
    if (!v) {
        f->oom = 1;
        return distinct;
    }
    for (size_t i = 0; i < e->npins; i++)
        v[i] = (struct pin_at){ &e->pins[i], i };
    qsort(v, e->npins, sizeof *v, pin_at_cmp);
    for (size_t i = 1; i < e->npins; i++) {
        if (memcmp(v[i].pin->hash, v[i - 1].pin->hash, PIN_LEN) != 0)
            continue;
        /* the first of a run of equal pins */
        size_t first = i - 1;
        while (first > 0 && memcmp(v[first - 1].pin->hash, v[i].pin->hash, PIN_LEN) == 0)
            first--;
        const config_setting_t *dup = pins ? config_setting_get_elem(pins, (unsigned)v[i].index) : NULL;
        const config_setting_t *orig = pins ? config_setting_get_elem(pins, (unsigned)v[first].index) : NULL;
        char text[PIN_TEXT_MAX];
        pin_format(v[i].pin, text);
        warn_at(f, file_of(dup ? dup : g, path), line_of(dup, e->line),
                "host \"%s\" lists the pin %s twice (first at line %d)", e->name, text, line_of(orig, e->line));
        distinct--;
    }
    free(v);
    return distinct;
}

static void expiry_check(struct findings *f, const struct policy *p, const struct host_entry *e,
                         const config_setting_t *g, const char *path, time_t now)
{
    const config_setting_t *s = g ? config_setting_get_member(g, "expires") : NULL;
    if (!e->expires_at)
        return;
    const char *file = file_of(s ? s : g, path);
    int line = line_of(s, e->line);
    if (now >= e->expires_at) {
        warn_at(f, file, line,
                "the pins of host \"%s\" expired on %s: the entry is no longer enforced (verdict \"expired\")",
                e->name, e->expires_text);
        return;
    }
    int warn_days = policy_warn_days(p, e);
    time_t left = e->expires_at - now;
    if (left > (time_t)warn_days * 86400)
        return;
    long days = (long)(left / 86400);
    if (days == 0)
        warn_at(f, file, line, "the pins of host \"%s\" expire at the end of today (%s, UTC)", e->name,
                e->expires_text);
    else
        warn_at(f, file, line, "the pins of host \"%s\" expire on %s, in %ld day%s", e->name, e->expires_text, days,
                days == 1 ? "" : "s");
}

static const struct host_entry *sort_entries;

static int entry_cmp(const void *a, const void *b)
{
    const struct host_entry *x = &sort_entries[*(const size_t *)a], *y = &sort_entries[*(const size_t *)b];
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    if (x->port != y->port)
        return x->port < y->port ? -1 : 1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static void duplicate_hosts(struct findings *f, const struct policy *p, const config_setting_t *hosts,
                            const char *path)
{
    size_t *order = calloc(p->nentries ? p->nentries : 1, sizeof *order);
    if (!order) {
        f->oom = 1;
        return;
    }
    for (size_t i = 0; i < p->nentries; i++)
        order[i] = i;
    sort_entries = p->entries;
    qsort(order, p->nentries, sizeof *order, entry_cmp);
    size_t first = 0;
    for (size_t i = 1; i < p->nentries; i++) {
        const struct host_entry *a = &p->entries[order[first]], *b = &p->entries[order[i]];
        if (strcmp(a->name, b->name) != 0 || a->port != b->port) {
            first = i;
            continue;
        }
        const config_setting_t *g = hosts ? config_setting_get_elem(hosts, (unsigned)order[i]) : NULL;
        const config_setting_t *name = g ? config_setting_get_member(g, "name") : NULL;
        char port[32] = "";
        if (b->port)
            snprintf(port, sizeof port, " (port %d)", b->port);
        warn_at(f, file_of(name ? name : g, path), line_of(name, b->line),
                "host \"%s\"%s is listed twice (first at line %d): only one entry can govern a name and port",
                b->name, port, a->line);
    }
    free(order);
}

/* ---------------------------------------------------------------- run ---- */

/* The config tree, read as policy_load reads it (include dir = the config's
 * dir), for what the policy does not keep: line numbers of members, unknown
 * keys.  NULL when it cannot be read (then only the policy's lines are used). */
static int read_tree(config_t *cfg, const char *path)
{
    FILE *fp = fopen(path, "re");
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!fp)
        return -1;
    config_init(cfg);
    if (slash && (size_t)(slash - path) < sizeof dir) {
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = '\0';
        config_set_include_dir(cfg, dir[0] ? dir : "/");
    }
    int ok = config_read(cfg, fp);
    fclose(fp);
    if (!ok) {
        config_destroy(cfg);
        return -1;
    }
    return 0;
}

static void check_policy(struct findings *f, const struct policy *p, const config_setting_t *root, const char *path)
{
    const config_setting_t *hosts = root ? config_setting_get_member(root, "hosts") : NULL;
    time_t now = time(NULL);

    /* psl_latest: the system's newest list (publicsuffix package), else the
     * one built into libpsl. */
    psl_ctx_t *latest = psl_latest(NULL);
    const psl_ctx_t *psl = latest ? latest : psl_builtin();
    if (!psl)
        warn_at(f, path, 0, "no Public Suffix List available (libpsl): names were not checked against it");

    if (hosts && (config_setting_type(hosts) != CONFIG_TYPE_LIST || (size_t)config_setting_length(hosts) != p->nentries))
        hosts = NULL;
    for (size_t i = 0; i < p->nentries; i++) {
        const struct host_entry *e = &p->entries[i];
        const config_setting_t *g = hosts ? config_setting_get_elem(hosts, (unsigned)i) : NULL;
        if (g && line_of(g, 0) != e->line)
            g = NULL; /* not the group this entry came from: use the entry's line only */
        if (e->tofu == TOFU_NONE && e->npins > 0) {
            size_t distinct = pin_checks(f, e, g, path);
            if (distinct == 1) {
                const config_setting_t *pins = g ? config_setting_get_member(g, "pins") : NULL;
                warn_at(f, file_of(pins ? pins : g, path), line_of(pins, e->line),
                        "host \"%s\" has a single pin: add a backup pin (a spare key, or the issuing CA's key), "
                        "or the next key change locks every client out",
                        e->name);
            }
        }
        expiry_check(f, p, e, g, path, now);
        suffix_checks(f, psl, e, g, path);
        if (g)
            unknown_keys(f, g, host_keys, " in a host entry", path);
    }
    duplicate_hosts(f, p, hosts, path);
    if (root) {
        unknown_keys(f, root, top_keys, "", path);
        const config_setting_t *log = config_setting_get_member(root, "log");
        if (log && config_setting_type(log) == CONFIG_TYPE_GROUP)
            unknown_keys(f, log, log_keys, " in log", path);
    }
    psl_free(latest);
}

/* A config the loader refused: check's own errors, likely typos of known
 * keys, over the whole tree (there are no host entries to go by). */
static void typo_checks(struct findings *f, const config_setting_t *root, const char *path)
{
    const config_setting_t *log = config_setting_get_member(root, "log");
    const config_setting_t *hosts = config_setting_get_member(root, "hosts");
    unknown_keys(f, root, top_keys, "", path);
    if (log && config_setting_type(log) == CONFIG_TYPE_GROUP)
        unknown_keys(f, log, log_keys, " in log", path);
    if (!hosts || config_setting_type(hosts) != CONFIG_TYPE_LIST)
        return;
    for (int i = 0; i < config_setting_length(hosts); i++) {
        const config_setting_t *g = config_setting_get_elem(hosts, (unsigned)i);
        if (g && config_setting_type(g) == CONFIG_TYPE_GROUP)
            unknown_keys(f, g, host_keys, " in a host entry", path);
    }
}

/* Files only another user could have written make privileged programs
 * (root's, setuid ones) refuse the config (DESIGN 6): say so whoever runs
 * check.  `file`: the config, or a file it includes. */
static void permission_check(struct findings *f, const char *file)
{
    struct stat st;
    if (stat(file, &st) != 0)
        return;
    if (st.st_uid != 0)
        warn_at(f, file, 0,
                "owned by uid %ld, not root: privileged programs (root's, setuid ones) that do not run as "
                "uid %ld refuse it as 'unsafe owner/permissions'",
                (long)st.st_uid, (long)st.st_uid);
    if (st.st_mode & 022)
        warn_at(f, file, 0,
                "writable by %s (mode %04o): privileged programs refuse it as 'unsafe owner/permissions'",
                (st.st_mode & 002) ? "others" : "its group", (unsigned)(st.st_mode & 07777));
}

/* Each file the tree's settings came from, once: the config and its
 * @includes that define something. */
static void permission_checks(struct findings *f, const config_setting_t *s, const char *path, const char **seen,
                              size_t *nseen, size_t max)
{
    const char *file = s ? config_setting_source_file(s) : NULL;
    if (file && strcmp(file, path) != 0) {
        size_t i = 0;
        while (i < *nseen && strcmp(seen[i], file) != 0)
            i++;
        if (i == *nseen && *nseen < max) {
            seen[(*nseen)++] = file;
            permission_check(f, file);
        }
    }
    for (int i = 0; s && config_setting_is_aggregate(s) && i < config_setting_length(s); i++)
        permission_checks(f, config_setting_get_elem(s, (unsigned)i), path, seen, nseen, max);
}

/* Trust on first use needs a state it can write: a folder that is not
 * there, or that this user cannot write, learns nothing. */
static void state_check(struct findings *f, const struct policy *p, const char *path)
{
    bool tofu = false;
    for (size_t i = 0; i < p->nentries && !tofu; i++)
        tofu = p->entries[i].tofu != TOFU_NONE;
    if (!tofu || !p->state_path)
        return;
    char dir[4096];
    int there = cli_state_folder(p->state_path, dir, sizeof dir);
    if (there == 0)
        warn_at(f, path, 0, "the state %s cannot be written: its folder %s is missing: trust on first use learns "
                "nothing (make install, or the package, creates it)", p->state_path, dir);
    else if (there == 1 && access(dir, W_OK) != 0 && access(p->state_path, W_OK) != 0)
        warn_at(f, path, 0, "the state %s cannot be written by uid %ld: its programs judge against the records "
                "there but learn nothing", p->state_path, (long)geteuid());
}

static int run(int argc, char **argv)
{
    static const struct option options[] = {
        { "config", required_argument, NULL, 'c' },
        { "strict", no_argument, NULL, 'S' },
        { "json", no_argument, NULL, 'J' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *explicit = NULL;
    int strict = 0, json = 0, c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":c:h", options, NULL)) != -1) {
        switch (c) {
        case 'c':
            explicit = optarg;
            break;
        case 'S':
            strict = 1;
            break;
        case 'J':
            json = 1;
            break;
        case 'h':
            return cli_usage(&cmd_check, EX_OK);
        default:
            cli_bad_option("check", c, argv);
            return EX_USAGE;
        }
    }
    if (optind < argc) {
        if (explicit || argc - optind > 1) {
            cli_error("one config only (try: pinshim check --help)");
            return EX_USAGE;
        }
        explicit = argv[optind];
    }
    if (explicit && strcmp(explicit, "-") == 0) {
        char tmp[PATH_MAX];
        int err = cli_stdin_file(tmp, sizeof tmp);
        if (err) {
            cli_error("standard input: %s", err == EFBIG ? "too large" : strerror(err));
            return EX_NOINPUT;
        }
        int rc = check_run(tmp, "standard input", strict, json);
        unlink(tmp);
        return rc;
    }
    return check_run(cli_config_path(explicit), NULL, strict, json);
}

int check_config(const char *path, const char *shown, int strict)
{
    return check_run(path, shown, strict, 0);
}

/* A file name as messages show it: the file the user gave, not apply's copy
 * or standard input's temporary file. */
static const char *shown_file(const char *file)
{
    return checked_path && shown_as && strcmp(file, checked_path) == 0 ? shown_as : file;
}

/* The loader's error "FILE:LINE: message" or "FILE: message" as the JSON
 * document's {file, line, message}. */
static void json_error(struct json_out *j, const char *error, const char *path)
{
    const char *sep = strstr(error, ": ");
    char *file = sep ? strndup(error, (size_t)(sep - error)) : NULL;
    long line = 0;
    if (file) {
        char *colon = strrchr(file, ':'), *end = NULL;
        if (colon && colon[1]) {
            line = strtol(colon + 1, &end, 10);
            if (*end == '\0' && line > 0)
                *colon = '\0';
            else
                line = 0;
        }
    }
    jo_object(j, NULL);
    jo_string(j, "file", shown_file(file ? file : path));
    if (line > 0)
        jo_int(j, "line", line);
    else
        jo_null(j, "line");
    jo_string(j, "message", sep ? sep + 2 : error);
    jo_end(j);
    free(file);
}

/* A config that cannot be read at all, or that libconfig cannot parse: the
 * loader's one error, as it was before there was a list of them. */
static int check_unreadable(const struct policy *p, const char *path, const char *name, int json)
{
    /* A config that is there but wrong is a finding of check (exit 1),
     * not the EX_CONFIG of the other commands. */
    int rc = cli_config_exit(path) == EX_NOINPUT ? EX_NOINPUT : 1;
    print_line(stderr, p->error);
    if (json) {
        struct json_out j = { 0 };
        jo_object(&j, NULL);
        jo_string(&j, "config", name);
        jo_null(&j, "hosts");
        jo_null(&j, "pins");
        jo_array(&j, "errors");
        json_error(&j, p->error, path);
        jo_end(&j);
        jo_array(&j, "warnings");
        jo_end(&j);
        int wrc = jo_finish(&j);
        rc = wrc != EX_OK ? wrc : rc;
    } else {
        printf("%s: 1 error: the library refuses every TLS connection with this config\n", name);
    }
    return rc;
}

static int check_run(const char *path, const char *shown, int strict, int json)
{
    checked_path = shown ? path : NULL;
    shown_as = shown;
    const char *name = shown ? shown : path;

    /* Every error of the loader, not only the first (the library's). */
    struct findings f = { 0 };
    const struct policy_sink sink = { loader_error, &f };
    struct policy *p = policy_load_all(path, &sink);
    if (!p) {
        cli_error("out of memory");
        for (size_t i = 0; i < f.n; i++) {
            free(f.v[i].text);
            free(f.v[i].own_file);
        }
        free(f.v);
        return EX_OSERR;
    }
    if (p->error && f.n == 0) {
        int rc = check_unreadable(p, path, name, json);
        free(f.v);
        policy_free(p);
        return rc;
    }
    /* With an error, the library refuses the config: its warnings wait. */
    int failed = p->error != NULL;
    f.errors_only = failed;

    config_t cfg;
    int have_tree = read_tree(&cfg, path) == 0;
    if (failed) {
        if (have_tree)
            typo_checks(&f, config_root_setting(&cfg), path);
    } else {
        check_policy(&f, p, have_tree ? config_root_setting(&cfg) : NULL, path);
        permission_check(&f, path);
        if (have_tree) {
            const char *seen[64];
            size_t nseen = 0;
            permission_checks(&f, config_root_setting(&cfg), path, seen, &nseen, sizeof seen / sizeof seen[0]);
        }
        state_check(&f, p, path);
    }

    main_file = path;
    if (f.n > 1) /* f.v is NULL when there is nothing to sort */
        qsort(f.v, f.n, sizeof *f.v, finding_cmp);
    struct json_out j = { 0 };
    if (json) {
        jo_object(&j, NULL);
        jo_string(&j, "config", name);
    }
    for (size_t i = 0; i < f.n; i++) {
        char *line = NULL;
        /* The loader's errors as the library logs them; check's own with their kind. */
        const char *kind = f.v[i].loader ? "" : f.v[i].error ? "error: " : "warning: ";
        int rc = f.v[i].line > 0 ? asprintf(&line, "%s:%d: %s%s", f.v[i].file, f.v[i].line, kind, f.v[i].text)
                                 : asprintf(&line, "%s: %s%s", f.v[i].file, kind, f.v[i].text);
        if (rc >= 0) {
            print_line(stderr, line);
            free(line);
        }
    }
    size_t npins = 0, nerrors = 0;
    for (size_t i = 0; i < p->nentries; i++)
        npins += p->entries[i].npins;
    for (size_t i = 0; i < f.n; i++)
        nerrors += f.v[i].error ? 1 : 0;
    size_t nwarnings = f.n - nerrors;
    if (json) {
        if (failed) {
            jo_null(&j, "hosts");
            jo_null(&j, "pins");
        } else {
            jo_int(&j, "hosts", (long long)p->nentries);
            jo_int(&j, "pins", (long long)npins);
        }
        for (int want = 1; want >= 0; want--) {
            jo_array(&j, want ? "errors" : "warnings");
            for (size_t i = 0; i < f.n; i++) {
                if (f.v[i].error != want)
                    continue;
                jo_object(&j, NULL);
                jo_string(&j, "file", shown_file(f.v[i].file));
                if (f.v[i].line > 0)
                    jo_int(&j, "line", f.v[i].line);
                else
                    jo_null(&j, "line");
                jo_string(&j, "message", f.v[i].text);
                jo_end(&j);
            }
            jo_end(&j);
        }
    }
    for (size_t i = 0; i < f.n; i++) {
        free(f.v[i].text);
        free(f.v[i].own_file);
    }
    if (!json && failed)
        printf("%s: %zu error%s: the library refuses every TLS connection with this config\n", name, nerrors,
               nerrors == 1 ? "" : "s");
    else if (!json)
        printf("%s: %zu host%s, %zu pin%s, %zu error%s, %zu warning%s\n", name, p->nentries,
               p->nentries == 1 ? "" : "s", npins, npins == 1 ? "" : "s", nerrors, nerrors == 1 ? "" : "s", nwarnings,
               nwarnings == 1 ? "" : "s");
    int status = f.oom ? EX_OSERR : (nerrors > 0 || (strict && nwarnings > 0)) ? 1 : EX_OK;
    if (f.oom)
        cli_error("out of memory: some findings are missing");
    if (json) {
        int wrc = jo_finish(&j);
        status = wrc != EX_OK ? wrc : status;
    } else if (fflush(stdout) != 0 && status == EX_OK) {
        status = EX_IOERR;
    }
    free(f.v);
    if (have_tree)
        config_destroy(&cfg);
    policy_free(p);
    return status;
}

const struct command cmd_check = {
    "check",
    "check a config: errors as FILE:LINE, warnings for likely mistakes",
    usage,
    run,
};
