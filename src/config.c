/* Config file (libconfig syntax, DESIGN 2) -> struct policy.  Every error names
 * FILE:LINE; the first one makes the whole policy fail closed.  The library
 * stops there; `pinshim check` passes a sink (policy_load_all) and the loader
 * goes on to the next setting, so that one run reports every error. */
#include "config.h"
#include "input.h"
#include "policy.h"
#include "arena.h"
#include "lcfg.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int policy_index(struct policy *p);   /* policy.c */

#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR "/var"
#endif

#define MESSAGE_MAX 1024
#define CONFIG_MAX_BYTES (64L * 1024 * 1024)

struct loader {
    struct policy *p;
    const char *path;
    const struct policy_sink *sink; /* NULL: stop at the first error */
    unsigned nerrors;
    char error[MESSAGE_MAX];        /* the first error, "FILE:LINE: message" */
    char message[MESSAGE_MAX];      /* the latest, without "FILE:LINE: " */
};

/* After an error: stop, unless a sink collects every error.  Then the load
 * goes on with the next key, pin or host entry; the policy fails all the
 * same (load_with looks at nerrors). */
static int stop(const struct loader *l)
{
    return l->nerrors > 0 && !l->sink;
}

static int fail(struct loader *l, const config_setting_t *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* libconfig records an array element's line only after reading the token that
 * follows it, so the last element of a list written over several lines gets
 * the line of the closing bracket.  Look for the element's text between its
 * parent's line and that one. */
static int element_line(const char *file, const config_setting_t *at)
{
    int line = (int)config_setting_source_line(at);
    const config_setting_t *parent = config_setting_parent(at);
    int first = parent ? (int)config_setting_source_line(parent) : line;
    const char *text = config_setting_type(at) == CONFIG_TYPE_STRING ? config_setting_get_string(at) : NULL;
    const size_t bufsize = 4096;
    int found = line, n = 0;
    FILE *f;

    if (!text || !*text || !parent || !config_setting_is_aggregate(parent) ||
        config_setting_type(parent) == CONFIG_TYPE_GROUP || first >= line)
        return line;
    char *buf = malloc(bufsize); /* not on the stack: DESIGN 6 */
    char why[200];
    if (!buf || !(f = input_open(file, CONFIG_MAX_BYTES, why, sizeof why))) {
        free(buf);
        return line;
    }
    while (fgets(buf, (int)bufsize, f) && ++n <= line)
        if (n >= first && strstr(buf, text))
            found = n; /* the last mention before the recorded line */
    fclose(f);
    free(buf);
    return found;
}

/* Records an error: the first one, as "FILE:LINE: message", is the policy's;
 * each one goes to the sink if there is one.  Returns -1. */
static int fail(struct loader *l, const config_setting_t *at, const char *fmt, ...)
{
    va_list ap;
    const char *file = at && config_setting_source_file(at) ? config_setting_source_file(at) : l->path;
    int line = at ? element_line(file, at) : 0;
    va_start(ap, fmt);
    vsnprintf(l->message, sizeof l->message, fmt, ap);
    va_end(ap);
    if (l->nerrors++ == 0) {
        int n = line > 0 ? snprintf(l->error, sizeof l->error, "%s:%d: ", file, line)
                         : snprintf(l->error, sizeof l->error, "%s: ", file);
        if (n < 0 || (size_t)n >= sizeof l->error)
            n = 0;
        snprintf(l->error + n, sizeof l->error - (size_t)n, "%s", l->message);
    }
    if (l->sink && l->sink->error)
        l->sink->error(l->sink->ctx, file, line > 0 ? line : 0, l->message);
    return -1;
}

static struct policy *policy_new(const char *path)
{
    struct policy *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->arena = arena_new();
    if (!p->arena) {
        free(p);
        return NULL;
    }
    p->mode = MODE_ENFORCE;
    p->log_stderr = LOG_STDERR_FAILURES;
    p->log_syslog = true;
    p->warn_days = WARN_DAYS_DEFAULT;
    p->state_path = LOCALSTATEDIR "/lib/pinshim/tofu.state";
    p->path = arena_strdup(p->arena, path ? path : "(none)");
    if (!p->path) {
        policy_free(p);
        return NULL;
    }
    return p;
}

struct policy *policy_failed(const char *path, const char *message)
{
    struct policy *p = policy_new(path);
    if (!p)
        return NULL;
    p->error = arena_strdup(p->arena, message);
    if (!p->error) {
        policy_free(p);
        return NULL;
    }
    return p;
}

static int get_bool(struct loader *l, const config_setting_t *group, const char *key, bool *out)
{
    const config_setting_t *s = config_setting_get_member(group, key);
    if (!s)
        return 0;
    if (config_setting_type(s) != CONFIG_TYPE_BOOL)
        return fail(l, s, "%s must be true or false", key);
    *out = config_setting_get_bool(s) != 0;
    return 0;
}

/* log.stderr: true, false or "all". */
static int get_stderr(struct loader *l, const config_setting_t *group, enum log_stderr *out)
{
    const config_setting_t *s = config_setting_get_member(group, "stderr");
    if (!s)
        return 0;
    if (config_setting_type(s) == CONFIG_TYPE_BOOL)
        *out = config_setting_get_bool(s) ? LOG_STDERR_FAILURES : LOG_STDERR_NONE;
    else if (config_setting_type(s) == CONFIG_TYPE_STRING && strcmp(config_setting_get_string(s), "all") == 0)
        *out = LOG_STDERR_ALL;
    else
        return fail(l, s, "stderr must be true, false or \"all\"");
    return 0;
}

/* A string member; *out stays unchanged when absent. */
static int get_string(struct loader *l, const config_setting_t *group, const char *key, const char **out,
                      const config_setting_t **where)
{
    const config_setting_t *s = config_setting_get_member(group, key);
    if (!s)
        return 0;
    if (config_setting_type(s) != CONFIG_TYPE_STRING)
        return fail(l, s, "%s must be a string", key);
    *out = config_setting_get_string(s);
    if (where)
        *where = s;
    return 0;
}

static int get_mode(struct loader *l, const config_setting_t *group, enum mode *out)
{
    const char *text = NULL;
    const config_setting_t *at = NULL;
    if (get_string(l, group, "mode", &text, &at) != 0)
        return -1;
    if (!text)
        return 0;
    *out = mode_from_text(text);
    if (*out == MODE_INHERIT)
        return fail(l, at, "mode must be \"enforce\", \"report\" or \"off\", not \"%s\"", text);
    return 0;
}

/* "YYYY-MM-DD" -> the first second (UTC) of the following day. */
static int parse_date(const char *text, time_t *out)
{
    struct tm tm = { 0 };
    /* Exactly ten characters, digits where digits belong: sscanf's %d would
     * also take "+027", "-027" or " 6" (a year 27 entry expires at once). */
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? text[i] != '-' : !(text[i] >= '0' && text[i] <= '9'))
            return -1;
    if (text[10] != '\0')
        return -1;
    int y = (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 + (text[3] - '0');
    int m = (text[5] - '0') * 10 + (text[6] - '0');
    int d = (text[8] - '0') * 10 + (text[9] - '0');
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    time_t t = timegm(&tm);
    if (t == (time_t)-1 || tm.tm_year != y - 1900 || tm.tm_mon != m - 1 || tm.tm_mday != d)
        return -1;
    *out = t + (time_t)24 * 60 * 60;
    return 0;
}

static int load_log(struct loader *l, const config_setting_t *root)
{
    const config_setting_t *log = config_setting_get_member(root, "log");
    const char *verdicts = NULL, *json = NULL;
    const config_setting_t *at = NULL;
    if (!log)
        return 0;
    if (config_setting_type(log) != CONFIG_TYPE_GROUP)
        return fail(l, log, "log must be a group: log = { ... };");
    if (get_stderr(l, log, &l->p->log_stderr) && stop(l))
        return -1;
    if (get_bool(l, log, "syslog", &l->p->log_syslog) && stop(l))
        return -1;
    if (get_string(l, log, "json", &json, &at) && stop(l))
        return -1;
    if (json) {
        if (json[0] != '/') {
            if (fail(l, at, "log.json must be an absolute path") && stop(l))
                return -1;
        } else if (!(l->p->json_path = arena_strdup(l->p->arena, json))) {
            return fail(l, at, "out of memory");
        }
    }
    if (get_string(l, log, "verdicts", &verdicts, &at) && stop(l))
        return -1;
    if (verdicts) {
        if (strcmp(verdicts, "all") == 0)
            l->p->log_all_verdicts = true;
        else if (strcmp(verdicts, "failures") == 0)
            l->p->log_all_verdicts = false;
        else
            return fail(l, at, "log.verdicts must be \"failures\" or \"all\", not \"%s\"", verdicts);
    }
    return 0;
}

static int get_warn_days(struct loader *l, const config_setting_t *group, int *out)
{
    const config_setting_t *s = config_setting_get_member(group, "warn_days");
    if (!s)
        return 0;
    if (config_setting_type(s) != CONFIG_TYPE_INT)
        return fail(l, s, "warn_days must be a number of days");
    int v = config_setting_get_int(s);
    if (v < 0 || v > 3650)
        return fail(l, s, "warn_days must be between 0 and 3650, not %d", v);
    *out = v;
    return 0;
}

/* `name`: the entry's name for messages (e->name is NULL when the name is
 * wrong); `tofu_given`: the entry has a tofu key, even a wrong one. */
static int load_pins(struct loader *l, const config_setting_t *group, struct host_entry *e, const char *name,
                     bool tofu_given)
{
    const config_setting_t *pins = config_setting_get_member(group, "pins");
    if (!pins && tofu_given)
        return 0; /* learned on first use (or the tofu key's error said it) */
    if (pins && e->tofu != TOFU_NONE)
        return fail(l, pins, "host \"%s\" has both tofu and pins: use one or the other", name);
    if (!pins)
        return fail(l, group, "host \"%s\" has no pins (or tofu = \"leaf\" / \"chain\")", name);
    if (config_setting_type(pins) != CONFIG_TYPE_ARRAY && config_setting_type(pins) != CONFIG_TYPE_LIST)
        return fail(l, pins, "pins must be a list of strings: pins = [ \"sha256/...\" ];");
    int n = config_setting_length(pins);
    if (n <= 0)
        return fail(l, pins, "host \"%s\" has an empty pin list", name);
    struct pin *out = arena_alloc(l->p->arena, (size_t)n * sizeof *out);
    if (!out)
        return fail(l, pins, "out of memory");
    unsigned before = l->nerrors;
    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(pins, (unsigned)i);
        const char *why;
        if (config_setting_type(s) != CONFIG_TYPE_STRING) {
            if (fail(l, s, "pins must be strings") && stop(l))
                return -1;
            continue;
        }
        const char *text = config_setting_get_string(s);
        if (pin_parse(text, &out[i], &why) != 0 && fail(l, s, "bad pin \"%s\": %s", text, why) && stop(l))
            return -1;
    }
    if (l->nerrors != before)
        return -1;
    e->pins = out;
    e->npins = (size_t)n;
    return 0;
}

static int load_entry(struct loader *l, const config_setting_t *group, struct host_entry *e)
{
    const char *name = NULL, *expires = NULL;
    const config_setting_t *at = NULL;
    char norm[HOST_MAX];
    int kind = -1;

    if (config_setting_type(group) != CONFIG_TYPE_GROUP)
        return fail(l, group, "each host must be a group: { name = \"...\"; pins = [ ... ]; }");
    e->line = (int)config_setting_source_line(group);
    e->mode = MODE_INHERIT;
    e->warn_days = -1;
    if (get_string(l, group, "name", &name, &at) != 0) {
        if (stop(l))
            return -1;
    } else if (!name) {
        if (fail(l, group, "host entry without a name") && stop(l))
            return -1;
    } else if ((kind = host_normalize(name, norm)) < 0) {
        if (fail(l, at, "\"%s\" is not a host name, '*.' wildcard or IP address", name) && stop(l))
            return -1;
    } else {
        e->kind = (enum name_kind)kind;
        e->name = arena_strdup(l->p->arena, norm);
        if (!e->name)
            return fail(l, at, "out of memory");
        e->match_key = kind == NAME_WILDCARD ? e->name + 2 : e->name;
    }
    /* The rest is checked with a wrong name too (only for `pinshim check`). */
    const char *shown = e->name ? e->name : name ? name : "(no name)";

    const char *tofu = NULL;
    bool tofu_given = get_string(l, group, "tofu", &tofu, &at) != 0; /* there, but not a string */
    if (tofu_given && stop(l))
        return -1;
    tofu_given = tofu_given || tofu;
    if (tofu) {
        if (strcmp(tofu, "leaf") == 0)
            e->tofu = TOFU_LEAF;
        else if (strcmp(tofu, "chain") == 0)
            e->tofu = TOFU_CHAIN;
        else if (fail(l, at, "tofu must be \"leaf\" or \"chain\", not \"%s\"", tofu) && stop(l))
            return -1;
        if (e->tofu != TOFU_NONE && kind == NAME_WILDCARD &&
            fail(l, at, "tofu needs one host: it cannot be used with the wildcard %s", shown) && stop(l))
            return -1;
    }
    if (get_warn_days(l, group, &e->warn_days) && stop(l))
        return -1;

    if (get_bool(l, group, "include_subdomains", &e->include_subdomains) && stop(l))
        return -1;
    if (get_mode(l, group, &e->mode) && stop(l))
        return -1;
    if ((kind == NAME_IPV4 || kind == NAME_IPV6) && e->include_subdomains &&
        fail(l, group, "include_subdomains makes no sense for the IP address %s", shown) && stop(l))
        return -1;

    const config_setting_t *port = config_setting_get_member(group, "port");
    if (port) {
        if (config_setting_type(port) != CONFIG_TYPE_INT) {
            if (fail(l, port, "port must be a number") && stop(l))
                return -1;
        } else {
            int v = config_setting_get_int(port);
            if (v < 1 || v > 65535) {
                if (fail(l, port, "port must be between 1 and 65535, not %d", v) && stop(l))
                    return -1;
            } else {
                e->port = v;
            }
        }
    }
    if (get_string(l, group, "expires", &expires, &at) && stop(l))
        return -1;
    if (expires) {
        if (parse_date(expires, &e->expires_at) != 0) {
            if (fail(l, at, "expires must be a date YYYY-MM-DD, not \"%s\"", expires) && stop(l))
                return -1;
        } else if (!(e->expires_text = arena_strdup(l->p->arena, expires))) {
            return fail(l, at, "out of memory");
        }
    }
    return load_pins(l, group, e, shown, tofu_given);
}

static int load_hosts(struct loader *l, const config_setting_t *root)
{
    const config_setting_t *hosts = config_setting_get_member(root, "hosts");
    if (!hosts)
        return 0;
    if (config_setting_type(hosts) != CONFIG_TYPE_LIST)
        return fail(l, hosts, "hosts must be a list of groups: hosts = ( { ... }, { ... } );");
    int n = config_setting_length(hosts);
    if (n <= 0)
        return 0;
    l->p->entries = calloc((size_t)n, sizeof *l->p->entries);
    if (!l->p->entries)
        return fail(l, hosts, "out of memory");
    for (int i = 0; i < n; i++) {
        if (load_entry(l, config_setting_get_elem(hosts, (unsigned)i), &l->p->entries[i]) != 0 && stop(l))
            return -1;
        l->p->nentries++;
    }
    if (l->nerrors)
        return -1; /* the policy fails: no index */
    if (policy_index(l->p) != 0)
        return fail(l, hosts, "out of memory");
    return 0;
}

static int load_programs(struct loader *l, const config_setting_t *root)
{
    const config_setting_t *list = config_setting_get_member(root, "programs");
    if (!list)
        return 0;
    if (config_setting_type(list) != CONFIG_TYPE_ARRAY && config_setting_type(list) != CONFIG_TYPE_LIST)
        return fail(l, list, "programs must be a list of paths or globs: programs = [ \"/usr/bin/curl\" ];");
    int n = config_setting_length(list);
    if (n <= 0)
        return fail(l, list, "programs is empty: remove it to cover every program");
    l->p->programs = arena_alloc(l->p->arena, (size_t)n * sizeof *l->p->programs);
    if (!l->p->programs)
        return fail(l, list, "out of memory");
    unsigned before = l->nerrors;
    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(list, (unsigned)i);
        if (config_setting_type(s) != CONFIG_TYPE_STRING || config_setting_get_string(s)[0] != '/') {
            if (fail(l, s, "each program must be an absolute path or glob, like \"/usr/bin/curl\"") && stop(l))
                return -1;
            continue;
        }
        if (!(l->p->programs[i] = arena_strdup(l->p->arena, config_setting_get_string(s))))
            return fail(l, s, "out of memory");
    }
    if (l->nerrors != before)
        return -1;
    l->p->nprograms = (size_t)n;
    return 0;
}

static int load_root(struct loader *l, const config_setting_t *root)
{
    const char *unpinned = NULL;
    const config_setting_t *at = NULL;
    if (get_mode(l, root, &l->p->mode) && stop(l))
        return -1;
    if (get_string(l, root, "unpinned", &unpinned, &at) && stop(l))
        return -1;
    if (unpinned) {
        if (strcmp(unpinned, "block") == 0)
            l->p->unpinned_block = true;
        else if (strcmp(unpinned, "allow") == 0)
            l->p->unpinned_block = false;
        else if (fail(l, at, "unpinned must be \"allow\" or \"block\", not \"%s\"", unpinned) && stop(l))
            return -1;
    }
    if (get_warn_days(l, root, &l->p->warn_days) && stop(l))
        return -1;
    const char *state = NULL;
    if (get_string(l, root, "state", &state, &at) && stop(l))
        return -1;
    if (state) {
        if (state[0] != '/') {
            if (fail(l, at, "state must be an absolute path") && stop(l))
                return -1;
        } else if (!(l->p->state_path = arena_strdup(l->p->arena, state))) {
            return fail(l, at, "out of memory");
        }
    }
    if (load_programs(l, root) && stop(l))
        return -1;
    if (load_log(l, root) && stop(l))
        return -1;
    if (load_hosts(l, root) && stop(l))
        return -1;
    return l->nerrors ? -1 : 0;
}

/* libconfig 1.5 reads an @include'd file with the same scanner, which calls
 * exit() when reading fails: `@include "somedir"` (or `@include ""`, the
 * config's own directory) ended the host program at its first handshake with
 * "input in flex scanner failed", and a FIFO or a device would hang it or
 * never end.  So before libconfig reads anything, every @include line of the
 * file and of the files it includes must name a regular file of a sane size,
 * or nothing at all (libconfig then says it cannot open it).  Resolved as
 * libconfig does: the include directory + "/" + the name, always.  Lines are
 * taken as @include lines even inside a comment or a string (stricter, never
 * laxer, than libconfig).  Returns 0, or -1 with the error in l->error. */
#define INCLUDE_DEPTH_MAX 10
/* The buffers of one level of check_includes: on the heap, as everything a
 * config load keeps (a TLS client thread may run on 32 KiB, DESIGN 6). */
struct include_scan {
    char name[4096], full[8192];
    char why[200];
};

static int scan_includes(struct loader *l, FILE *f, const char *file, const char *dir, int depth,
                         struct include_scan *b);

static int check_includes(struct loader *l, FILE *f, const char *file, const char *dir, int depth)
{
    struct include_scan *b = malloc(sizeof *b);
    if (!b) {
        snprintf(l->error, sizeof l->error, "%.900s: no memory to read the config", file);
        return -1;
    }
    int rc = scan_includes(l, f, file, dir, depth, b);
    free(b);
    return rc;
}

static int scan_includes(struct loader *l, FILE *f, const char *file, const char *dir, int depth,
                         struct include_scan *b)
{
    char *name = b->name, *line = NULL;
    size_t cap = 0;
    int lineno = 0, rc = 0;

    /* Whole lines, however long: an @include cut in two by a read buffer
     * would pass unseen here and be followed by libconfig. */
    while (rc == 0 && getline(&line, &cap, f) > 0) {
        const char *p = line + strspn(line, " \t");
        lineno++;
        if (strncmp(p, "@include", 8) != 0 || (p[8] != ' ' && p[8] != '\t'))
            continue;
        p += 8 + strspn(p + 8, " \t");
        if (*p++ != '"')
            continue;
        size_t n = 0;
        for (; *p && *p != '"' && n + 1 < sizeof b->name; p++) {
            if (*p == '\\' && (p[1] == '\\' || p[1] == '"')) {
                p++;
            } else if (*p == '\\' || *p == '\n') {
                snprintf(l->error, sizeof l->error,
                         "%s:%d: an @include name must be on one line, with no escape but \\\\ and \\\"", file,
                         lineno);
                rc = -1;
                break;
            }
            name[n++] = *p;
        }
        name[n] = '\0';
        if (rc != 0)
            break;
        if (*p != '"') {
            snprintf(l->error, sizeof l->error, "%s:%d: an @include name must end on its line", file, lineno);
            rc = -1;
            break;
        }
        char *full = b->full;
        if (snprintf(full, sizeof b->full, "%s%s%s", dir ? dir : "", dir ? "/" : "", name) >= (int)sizeof b->full) {
            snprintf(l->error, sizeof l->error, "%s:%d: @include \"%.300s\": the path is too long", file, lineno, name);
            rc = -1;
            break;
        }
        FILE *inc = input_open_trusted(full, CONFIG_MAX_BYTES, b->why, sizeof b->why);
        if (!inc) {
            if (errno == EPERM) {
                snprintf(l->error, sizeof l->error, "%.400s: %s", full, b->why);
                rc = -1;
            } else if (errno == EINVAL || errno == EFBIG) {
                snprintf(l->error, sizeof l->error, "%s:%d: @include \"%.300s\": %s", file, lineno, name, b->why);
                rc = -1;
            }
            continue; /* else libconfig says it: "cannot open include file" */
        }
        if (depth + 1 < INCLUDE_DEPTH_MAX) /* else libconfig: "include file nesting too deep" */
            rc = check_includes(l, inc, name, dir, depth + 1);
        fclose(inc);
    }
    free(line);
    return rc;
}

/* policy_load's own state, on the heap (DESIGN 6: small stacks). */
struct load_work {
    struct loader l;
    char dir[4096];
};

static struct policy *load_with(const char *path, struct load_work *w);

struct policy *policy_load(const char *path)
{
    return policy_load_all(path, NULL);
}

struct policy *policy_load_all(const char *path, const struct policy_sink *sink)
{
    if (!path || !*path)
        return policy_failed("(none)", "no config file: set PINSHIM_CONFIG");
    struct load_work *w = malloc(sizeof *w); /* not calloc: 6 KiB to clear for nothing */
    if (!w)
        return NULL;
    w->l.p = NULL;
    w->l.sink = sink;
    w->l.nerrors = 0;
    w->l.error[0] = '\0';
    struct policy *p = load_with(path, w);
    free(w);
    return p;
}

static struct policy *load_with(const char *path, struct load_work *w)
{
    struct loader *lp = &w->l;
    config_t cfg;
    FILE *f;

    lp->path = path;
    /* The library opens libconfig now, not at the program's start (lcfg.h). */
    char why[300];
    if (lcfg_bind(why, sizeof why) != 0) {
        snprintf(lp->error, sizeof lp->error, "%s: %s", path, why);
        return policy_failed(path, lp->error);
    }
    /* Opened here, not by libconfig, for the O_CLOEXEC and a clear errno;
     * non-blocking, and only a regular file of a sane size: libconfig's
     * scanner calls exit() when reading fails (a directory, EIO), and a FIFO
     * would hang the program at open(). */
    f = input_open_trusted(path, CONFIG_MAX_BYTES, why, sizeof why);
    if (!f) {
        if (errno == EPERM)
            snprintf(lp->error, sizeof lp->error, "%s: %s", path, why);
        else
            snprintf(lp->error, sizeof lp->error, "%s: cannot read the config: %s", path, why);
        return policy_failed(path, lp->error);
    }
    config_init(&cfg);
    /* @include paths are relative to the config's own directory. */
    const char *slash = strrchr(path, '/');
    if (slash && (size_t)(slash - path) < sizeof w->dir) {
        memcpy(w->dir, path, (size_t)(slash - path));
        w->dir[slash - path] = '\0';
        config_set_include_dir(&cfg, w->dir[0] ? w->dir : "/");
    }
    const char *dir = slash && (size_t)(slash - path) < sizeof w->dir ? (w->dir[0] ? w->dir : "/") : NULL;
    if (check_includes(lp, f, path, dir, 0) != 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        if (!lp->error[0])
            snprintf(lp->error, sizeof lp->error, "%s: cannot read the config: %s", path, strerror(errno));
        config_destroy(&cfg);
        fclose(f);
        return policy_failed(path, lp->error);
    }
    int ok = config_read(&cfg, f);
    fclose(f);
    if (!ok) {
        const char *file = config_error_file(&cfg) ? config_error_file(&cfg) : path;
        snprintf(lp->error, sizeof lp->error, "%s:%d: %s", file, config_error_line(&cfg),
                 config_error_text(&cfg) ? config_error_text(&cfg) : "invalid config");
        config_destroy(&cfg);
        return policy_failed(path, lp->error);
    }
    lp->p = policy_new(path);
    if (!lp->p) {
        config_destroy(&cfg);
        return NULL;
    }
    if (load_root(lp, config_root_setting(&cfg)) != 0 || lp->nerrors) {
        config_destroy(&cfg);
        policy_free(lp->p);
        return policy_failed(path, lp->error);
    }
    config_destroy(&cfg);
    return lp->p;
}
