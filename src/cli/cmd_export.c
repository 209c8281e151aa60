/* pinshim export: the policy in the pinning formats of other platforms.
 *
 * What a target cannot express is never silently widened or dropped: each
 * entry that cannot be exported faithfully gets a warning and is either
 * skipped or exported in a form that pins no fewer connections and accepts no
 * key the config would refuse (stricter, never wider).  The rules per target
 * are in the --help text below. */
#include "config.h"
#include "cli.h"
#include "policy.h"
#include <errno.h>
#include <getopt.h>
#include <libpsl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum target { T_ANDROID, T_TRUSTKIT, T_OKHTTP, T_CURL, T_HPKP };

static const char *const target_names[] = { "android", "trustkit", "okhttp", "curl", "hpkp" };
static const char *const target_titles[] = { "Android", "TrustKit", "OkHttp", "curl", "HPKP" };

#define HPKP_MAX_AGE_DEFAULT 5184000L /* 60 days */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: pinshim export --format FORMAT [OPTION]... [-c CONF | CONF]\n"
            "\n"
            "Write the pins of a config in another platform's format on stdout.\n"
            "CONF defaults to $PINSHIM_CONFIG, else %s/pinshim.conf.\n"
            "\n"
            "Formats:\n"
            "  android   Android network_security_config.xml: a <domain-config> per entry\n"
            "            with <pin-set expiration=...> and includeSubdomains.\n"
            "  trustkit  TrustKit's TSKConfiguration as an XML plist (Info.plist):\n"
            "            TSKPinnedDomains with TSKPublicKeyHashes, TSKIncludeSubdomains,\n"
            "            TSKEnforcePinning (false in report mode), TSKExpirationDate;\n"
            "            TSKSwizzleNetworkDelegates is set to true.\n"
            "  okhttp    an OkHttp CertificatePinner.Builder() expression (Kotlin or Java):\n"
            "            .add(\"host\", \"sha256/...\"), \"*.\" for a one-label wildcard,\n"
            "            \"**.host\" for include_subdomains.\n"
            "  curl      one line per entry: host[:port] --pinnedpubkey 'sha256//..;sha256//..'\n"
            "            (a wildcard or include_subdomains entry is written with its name;\n"
            "            the line applies to every host it covers).  curl compares only\n"
            "            the server's own key, so CA pins never match there (stricter).\n"
            "  hpkp      per entry a comment line and the header the host should send:\n"
            "            Public-Key-Pins: pin-sha256=\"..\"; ...; max-age=N[; includeSubDomains]\n"
            "            (Public-Key-Pins-Report-Only in report mode).\n"
            "\n"
            "What a format cannot say (each case: a warning on stderr, FILE:LINE):\n"
            "  every format  entries with mode off, or that learn their pins (tofu), are\n"
            "                skipped: there is nothing to pin.\n"
            "  android       a one-label wildcard has no equivalent (includeSubdomains\n"
            "                would be wider): skipped.  IP literals: skipped.  Report mode\n"
            "                does not exist: skipped (enforcing would block what the config\n"
            "                only reports).  A port: dropped, the pins then hold on every\n"
            "                port (stricter).  Several entries for one name: the one for\n"
            "                every port (else the first) is exported, the others skipped.\n"
            "  trustkit      wildcards and IP literals: skipped.  Fewer than two distinct\n"
            "                pins: skipped (TrustKit insists on a backup pin).  Names TrustKit\n"
            "                refuses at start-up (a public suffix, a name under a top-level\n"
            "                domain the Public Suffix List does not know, like .test):\n"
            "                skipped.  Ports and several entries for one name: as android.\n"
            "  okhttp        no expiry: the pins stay in force after the date (stricter);\n"
            "                an entry already expired is skipped.  No report mode: skipped.\n"
            "                A port: dropped (stricter).  \"*.x\" with include_subdomains\n"
            "                becomes \"**.x\", which also pins x itself (stricter).  OkHttp\n"
            "                accepts the union of the pins of every pattern that matches a\n"
            "                host: an entry whose pattern would add its pins to a host that\n"
            "                another entry pins to other keys is skipped.\n"
            "  curl          no expiry, no report mode: as for okhttp.\n"
            "  hpkp          IP literals: skipped.  Fewer than two distinct pins: skipped\n"
            "                (RFC 7469 requires a backup pin).  No expiry: max-age applies\n"
            "                after the date (stricter); already expired: skipped.  A port:\n"
            "                dropped (stricter).  Several entries for one name: as android.\n"
            "Whatever the format, the global mode of the config applies, not $PINSHIM_MODE.\n"
            "\n"
            "Options:\n"
            "  -f, --format FORMAT   android, trustkit, okhttp, curl or hpkp (required)\n"
            "  -c, --config CONF     the config to export\n"
            "      --max-age SECONDS hpkp: max-age (default %ld, 60 days)\n"
            "      --report-uri URI  hpkp: add report-uri=\"URI\"\n"
            "      --strict          exit 1 when an entry was skipped or changed\n"
            "  -h, --help            this help\n"
            "\n"
            "Exit status: 0 exported (warnings allowed); 1 no entry could be exported, or\n"
            "warnings with --strict; 64 usage; 66 the config cannot be read; 78 the\n"
            "config is invalid (its error is printed as FILE:LINE: ...).\n",
            SYSCONFDIR, HPKP_MAX_AGE_DEFAULT);
}

struct warning {
    int line;
    size_t seq;
    char *text;
};

struct exporter {
    const struct policy *p;
    const char *path;
    enum target target;
    time_t now;
    bool *keep;              /* per entry: exported */
    size_t warned;             /* every warning, for --strict */
    size_t nwarnings, capwarnings;
    struct warning *warnings;  /* printed sorted by line */
    long max_age;
    const char *report_uri;
    const psl_ctx_t *psl;      /* TrustKit's name rules; NULL: not checked */
};

static void vwarn_entry(struct exporter *x, const struct host_entry *e, const char *what, const char *fmt, va_list ap)
{
    char msg[1024], *text = NULL;
    vsnprintf(msg, sizeof msg, fmt, ap);
    x->warned++;
    if (asprintf(&text, "%s:%d: host \"%s\"%s: %s", x->path, e->line, e->name, what, msg) < 0)
        text = NULL;
    if (x->nwarnings == x->capwarnings) {
        size_t cap = x->capwarnings ? 2 * x->capwarnings : 16;
        struct warning *w = realloc(x->warnings, cap * sizeof *w);
        if (!w) {
            /* no room to sort: say it now */
            cli_warning("%s", text ? text : msg);
            free(text);
            return;
        }
        x->warnings = w;
        x->capwarnings = cap;
    }
    x->warnings[x->nwarnings] = (struct warning){ e->line, x->nwarnings, text };
    x->nwarnings++;
}

static int warning_cmp(const void *a, const void *b)
{
    const struct warning *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void print_warnings(struct exporter *x)
{
    if (x->nwarnings > 1) /* x->warnings is NULL when there is none */
        qsort(x->warnings, x->nwarnings, sizeof *x->warnings, warning_cmp);
    for (size_t i = 0; i < x->nwarnings; i++) {
        if (x->warnings[i].text)
            cli_warning("%s", x->warnings[i].text);
        free(x->warnings[i].text);
    }
    free(x->warnings);
    x->warnings = NULL;
}

/* The entry is not exported, and says why. */
static void skip(struct exporter *x, size_t i, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void skip(struct exporter *x, size_t i, const char *fmt, ...)
{
    va_list ap;
    if (!x->keep[i])
        return;
    x->keep[i] = false;
    va_start(ap, fmt);
    vwarn_entry(x, &x->p->entries[i], " not exported", fmt, ap);
    va_end(ap);
}

/* The entry is exported, changed as said (never wider). */
static void note(struct exporter *x, size_t i, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void note(struct exporter *x, size_t i, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwarn_entry(x, &x->p->entries[i], "", fmt, ap);
    va_end(ap);
}

static bool is_ip(const struct host_entry *e)
{
    return e->kind == NAME_IPV4 || e->kind == NAME_IPV6;
}

static int hash_cmp(const void *a, const void *b)
{
    return memcmp(a, b, PIN_LEN);
}

static size_t distinct_pins(const struct host_entry *e)
{
    if (e->npins < 2)
        return e->npins;
    unsigned char(*h)[PIN_LEN] = malloc(e->npins * PIN_LEN);
    if (!h)
        return e->npins;
    for (size_t i = 0; i < e->npins; i++)
        memcpy(h[i], e->pins[i].hash, PIN_LEN);
    qsort(h, e->npins, PIN_LEN, hash_cmp);
    size_t n = 1;
    for (size_t i = 1; i < e->npins; i++)
        if (memcmp(h[i], h[i - 1], PIN_LEN) != 0)
            n++;
    free(h);
    return n;
}

/* Was pin k of e listed before (so it is written once)? */
static bool repeated_pin(const struct host_entry *e, size_t k)
{
    for (size_t j = 0; j < k; j++)
        if (memcmp(e->pins[j].hash, e->pins[k].hash, PIN_LEN) == 0)
            return true;
    return false;
}

static bool pin_subset(const struct host_entry *a, const struct host_entry *b)
{
    for (size_t i = 0; i < a->npins; i++) {
        size_t j;
        for (j = 0; j < b->npins; j++)
            if (memcmp(a->pins[i].hash, b->pins[j].hash, PIN_LEN) == 0)
                break;
        if (j == b->npins)
            return false;
    }
    return true;
}

static bool expired(const struct exporter *x, const struct host_entry *e)
{
    return e->expires_at && x->now >= e->expires_at;
}

/* ------------------------------------------------------------- choices --- */

static const char *target_name(enum target t)
{
    return target_titles[t];
}

/* Entry indices sorted by a string of the entry (then by index), for
 * grouping and range lookups without comparing every pair. */
static const struct host_entry *sorting;
static bool sort_by_key;     /* match_key, else name */

static int index_cmp(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    const char *x = sort_by_key ? sorting[i].match_key : sorting[i].name;
    const char *y = sort_by_key ? sorting[j].match_key : sorting[j].name;
    int c = strcmp(x, y);
    if (c)
        return c;
    return i < j ? -1 : i > j;
}

static size_t *sorted_indices(const struct policy *p, bool by_key)
{
    size_t *v = malloc((p->nentries ? p->nentries : 1) * sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < p->nentries; i++)
        v[i] = i;
    sorting = p->entries;
    sort_by_key = by_key;
    qsort(v, p->nentries, sizeof *v, index_cmp);
    return v;
}

static void skip_all_oom(struct exporter *x)
{
    for (size_t i = 0; i < x->p->nentries; i++)
        skip(x, i, "out of memory while comparing the entries");
}

/* Targets that know neither ports nor two entries for one name: keep one
 * entry per name (the one for every port, else the first), skip the rest. */
static void one_per_name(struct exporter *x)
{
    const struct policy *p = x->p;
    size_t *v = sorted_indices(p, false);
    if (!v) {
        skip_all_oom(x);
        return;
    }
    for (size_t start = 0, end; start < p->nentries; start = end) {
        const char *name = p->entries[v[start]].name;
        size_t win = SIZE_MAX;
        for (end = start; end < p->nentries && strcmp(p->entries[v[end]].name, name) == 0; end++) {
            size_t i = v[end];
            if (!x->keep[i])
                continue;
            if (win == SIZE_MAX || (p->entries[i].port == 0 && p->entries[win].port != 0))
                win = i;
        }
        for (size_t k = start; k < end; k++)
            if (v[k] != win && x->keep[v[k]])
                skip(x, v[k], "%s has one entry per name and no ports; the entry at line %d is exported instead",
                     target_name(x->target), p->entries[win].line);
    }
    free(v);
}

/* OkHttp patterns: exact, "*.base" (one label), "**.base" (base and below). */
enum pat { PAT_EXACT, PAT_ONE, PAT_ANY };

static enum pat okhttp_pattern(const struct host_entry *e, const char **base)
{
    *base = e->match_key;
    if (e->kind == NAME_WILDCARD)
        return e->include_subdomains ? PAT_ANY : PAT_ONE;
    return e->include_subdomains ? PAT_ANY : PAT_EXACT;
}

static bool ends_with_label(const char *host, const char *base, size_t *prefix)
{
    size_t hl = strlen(host), bl = strlen(base);
    if (hl <= bl + 1 || strcmp(host + hl - bl, base) != 0 || host[hl - bl - 1] != '.')
        return false;
    *prefix = hl - bl - 1;
    return true;
}

static bool okhttp_matches(const struct host_entry *e, const char *host)
{
    const char *base;
    size_t prefix;
    switch (okhttp_pattern(e, &base)) {
    case PAT_EXACT:
        return strcmp(host, base) == 0;
    case PAT_ONE:
        return ends_with_label(host, base, &prefix) && memchr(host, '.', prefix) == NULL;
    case PAT_ANY:
        return strcmp(host, base) == 0 || ends_with_label(host, base, &prefix);
    }
    return false;
}

/* Does pinshim refuse every key but this entry's pins for a host it governs? */
static bool enforces_pins(const struct exporter *x, const struct host_entry *e)
{
    return e && e->tofu == TOFU_NONE && !expired(x, e) && policy_effective_mode(x->p, e) == MODE_ENFORCE;
}

/* Hosts where OkHttp's union of matching patterns could differ from the
 * entry pinshim picks: the names of the entries and one made-up name below
 * each wildcard and include_subdomains entry. */
#define PROBE "pinshim-probe."

static size_t probe_hosts(const struct host_entry *e, char out[3][HOST_MAX])
{
    size_t n = 0, ml = strlen(e->match_key), pl = strlen(PROBE);
    /* a wildcard's base: "**." (wildcard with include_subdomains) covers it */
    snprintf(out[n++], HOST_MAX, "%s", e->kind == NAME_WILDCARD ? e->match_key : e->name);
    if ((e->kind == NAME_WILDCARD || e->include_subdomains) && !is_ip(e) && ml + pl < HOST_MAX)
        snprintf(out[n++], HOST_MAX, "%s%s", PROBE, e->match_key);
    if (e->kind == NAME_WILDCARD && e->include_subdomains && ml + 2 * pl < HOST_MAX)
        snprintf(out[n++], HOST_MAX, "%s%s%s", PROBE, PROBE, e->match_key);
    return n;
}

static int host_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The range of `sorted` (by match_key) whose key is `key`. */
static void key_range(const struct policy *p, const size_t *sorted, const char *key, size_t *from, size_t *to)
{
    size_t lo = 0, hi = p->nentries;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(p->entries[sorted[mid]].match_key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *from = lo;
    while (lo < p->nentries && strcmp(p->entries[sorted[lo]].match_key, key) == 0)
        lo++;
    *to = lo;
}

struct idxlist {
    size_t n, cap;
    size_t *v;
};

static int idx_push(struct idxlist *l, size_t i)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 32;
        size_t *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = i;
    return 0;
}

/* B is skipped when its pattern matches a host h whose governing entry W (on
 * some port) enforces other pins: OkHttp would accept B's pins at h.  Whether
 * B is skipped depends only on B and on pinshim's choice of W, so one pass is
 * enough.  Only entries keyed by h or by a parent of h can match or govern h. */
static void union_at(struct exporter *x, const size_t *sorted, const char *host, int other_port,
                     struct idxlist *near, struct idxlist *ports)
{
    const struct policy *p = x->p;
    near->n = ports->n = 0;
    for (const char *key = host; key; key = strchr(key, '.') ? strchr(key, '.') + 1 : NULL) {
        size_t from, to;
        key_range(p, sorted, key, &from, &to);
        for (size_t k = from; k < to; k++)
            if (idx_push(near, sorted[k]) != 0)
                goto oom;
    }
    for (size_t k = 0; k < near->n; k++)
        if (p->entries[near->v[k]].port && idx_push(ports, (size_t)p->entries[near->v[k]].port) != 0)
            goto oom;
    if (idx_push(ports, (size_t)other_port) != 0)
        goto oom;
    for (size_t pi = 0; pi < ports->n; pi++) {
        const struct host_entry *w = policy_lookup(p, host, (int)ports->v[pi]);
        if (!enforces_pins(x, w))
            continue;
        for (size_t k = 0; k < near->n; k++) {
            size_t b = near->v[k];
            const struct host_entry *eb = &p->entries[b];
            if (!x->keep[b] || eb == w || !okhttp_matches(eb, host) || pin_subset(eb, w))
                continue;
            char on_port[32] = "";
            if (w->port)
                snprintf(on_port, sizeof on_port, " on port %d", w->port);
            bool probe = strncmp(host, PROBE, strlen(PROBE)) == 0;
            skip(x, b,
                 "OkHttp accepts the pins of every pattern that matches a host, so for %s%s%s it would also "
                 "accept these pins, which the entry at line %d (\"%s\") does not list",
                 probe ? "the names below " : "", probe ? host + strlen(PROBE) : host, on_port, w->line, w->name);
        }
    }
    return;
oom:
    skip_all_oom(x);
}

static void okhttp_union(struct exporter *x)
{
    const struct policy *p = x->p;
    size_t *sorted = sorted_indices(p, true);
    char **hosts = calloc((p->nentries ? p->nentries : 1) * 3, sizeof *hosts);
    unsigned char *used = calloc(65536, 1);
    struct idxlist near = { 0 }, ports = { 0 };
    size_t nh = 0;
    bool oom = !sorted || !hosts || !used;

    for (size_t i = 0; i < p->nentries && !oom; i++) {
        char probe[3][HOST_MAX];
        size_t n = probe_hosts(&p->entries[i], probe);
        for (size_t k = 0; k < n && !oom; k++)
            oom = !(hosts[nh++] = strdup(probe[k]));
        used[p->entries[i].port & 0xffff] = 1;
    }
    if (!oom) {
        /* a port no entry names: "any other port" */
        int other = 1;
        while (other < 65535 && used[other])
            other++;
        qsort(hosts, nh, sizeof *hosts, host_cmp);
        for (size_t h = 0; h < nh; h++)
            if (h == 0 || strcmp(hosts[h], hosts[h - 1]) != 0)
                union_at(x, sorted, hosts[h], other, &near, &ports);
    } else {
        skip_all_oom(x);
    }
    for (size_t h = 0; h < nh; h++)
        free(hosts[h]);
    free(near.v);
    free(ports.v);
    free(hosts);
    free(used);
    free(sorted);
}

/* TrustKit refuses (an exception at start-up) a domain that is not under a
 * known registry of the Public Suffix List, or is a registry itself (its
 * GetRegistryLength() is 0). */
static bool trustkit_name_refused(struct exporter *x, size_t i)
{
    const struct host_entry *e = &x->p->entries[i];
    const char *tld = strrchr(e->name, '.');
    tld = tld ? tld + 1 : e->name;
    if (!x->psl)
        return false;
    if (psl_is_public_suffix2(x->psl, e->name, PSL_TYPE_ICANN | PSL_TYPE_NO_STAR_RULE)) {
        skip(x, i, "TrustKit refuses a public suffix as a pinned domain");
        return true;
    }
    if (!psl_is_public_suffix2(x->psl, tld, PSL_TYPE_ICANN | PSL_TYPE_NO_STAR_RULE)) {
        skip(x, i, "TrustKit refuses names outside the Public Suffix List (unknown top-level domain \"%s\")", tld);
        return true;
    }
    return false;
}

static void choose(struct exporter *x)
{
    const struct policy *p = x->p;
    enum target t = x->target;

    for (size_t i = 0; i < p->nentries; i++) {
        const struct host_entry *e = &p->entries[i];
        enum mode mode = policy_effective_mode(p, e);
        x->keep[i] = true;
        if (e->tofu != TOFU_NONE) {
            skip(x, i, "it learns its pins on first use (tofu): there are no pins to export");
            continue;
        }
        if (mode == MODE_OFF) {
            skip(x, i, "its mode is off: nothing is pinned");
            continue;
        }
        switch (t) {
        case T_ANDROID:
        case T_TRUSTKIT:
            if (e->kind == NAME_WILDCARD)
                skip(x, i, "%s has no one-label wildcard (includeSubdomains would be wider)", target_name(t));
            else if (is_ip(e))
                skip(x, i, "%s pins host names, not IP addresses", target_name(t));
            else if (t == T_ANDROID && mode == MODE_REPORT)
                skip(x, i, "Android has no report-only mode (enforcing would block what the config only reports)");
            else if (t == T_TRUSTKIT && trustkit_name_refused(x, i))
                ; /* said why */
            else if (t == T_TRUSTKIT && distinct_pins(e) < 2)
                skip(x, i, "TrustKit requires at least two pins (a backup pin); the entry has one");
            break;
        case T_OKHTTP:
        case T_CURL:
            if (mode == MODE_REPORT)
                skip(x, i, "%s has no report-only mode (enforcing would block what the config only reports)",
                     target_name(t));
            else if (expired(x, e))
                skip(x, i, "it expired on %s and %s has no expiry (exporting would enforce stale pins)",
                     e->expires_text, target_name(t));
            break;
        case T_HPKP:
            if (is_ip(e))
                skip(x, i, "HPKP pins host names; user agents ignore it from IP addresses");
            else if (distinct_pins(e) < 2)
                skip(x, i, "HPKP requires at least two pins (a backup pin, RFC 7469); the entry has one");
            else if (expired(x, e))
                skip(x, i, "it expired on %s and HPKP has no expiry date (exporting would enforce stale pins)",
                     e->expires_text);
            break;
        }
    }
    if (t == T_ANDROID || t == T_TRUSTKIT || t == T_HPKP)
        one_per_name(x);
    if (t == T_OKHTTP)
        okhttp_union(x);

    /* Exported, but changed (stricter) */
    for (size_t i = 0; i < p->nentries; i++) {
        const struct host_entry *e = &p->entries[i];
        if (!x->keep[i])
            continue;
        if (e->port && t != T_CURL)
            note(x, i, "%s has no ports: the pins apply on every port, not only %d (stricter)", target_name(t),
                 e->port);
        if (e->expires_at && (t == T_OKHTTP || t == T_CURL || t == T_HPKP))
            note(x, i, "%s has no expiry date: the pins stay in force after %s (stricter)", target_name(t),
                 e->expires_text);
        if (t == T_OKHTTP && e->kind == NAME_WILDCARD && e->include_subdomains)
            note(x, i, "written as \"**.%s\", which also pins %s itself (stricter)", e->match_key, e->match_key);
    }
}

/* -------------------------------------------------------------- writers --- */

static void xml_escaped(const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", stdout); break;
        case '<': fputs("&lt;", stdout); break;
        case '>': fputs("&gt;", stdout); break;
        case '"': fputs("&quot;", stdout); break;
        case '\'': fputs("&apos;", stdout); break;
        default: putchar(*s); break;
        }
    }
}

static void quoted_string(const char *s) /* a Java/Kotlin string literal */
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\' || *s == '$')
            putchar('\\');
        putchar(*s);
    }
    putchar('"');
}

/* The base64 of pin k ("sha256/" dropped). */
static const char *b64(const struct host_entry *e, size_t k, char buf[PIN_TEXT_MAX])
{
    pin_format(&e->pins[k], buf);
    return buf + 7;
}

static void write_android(const struct exporter *x)
{
    const struct policy *p = x->p;
    char buf[PIN_TEXT_MAX];
    printf("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
           "<!-- network_security_config.xml written by pinshim export -->\n"
           "<network-security-config>\n");
    for (size_t i = 0; i < p->nentries; i++) {
        const struct host_entry *e = &p->entries[i];
        if (!x->keep[i])
            continue;
        printf("    <!-- config line %d -->\n", e->line);
        printf("    <domain-config>\n");
        printf("        <domain includeSubdomains=\"%s\">", e->include_subdomains ? "true" : "false");
        xml_escaped(e->name);
        printf("</domain>\n");
        if (e->expires_text) {
            printf("        <pin-set expiration=\"");
            xml_escaped(e->expires_text);
            printf("\">\n");
        } else {
            printf("        <pin-set>\n");
        }
        for (size_t k = 0; k < e->npins; k++)
            if (!repeated_pin(e, k))
                printf("            <pin digest=\"SHA-256\">%s</pin>\n", b64(e, k, buf));
        printf("        </pin-set>\n");
        printf("    </domain-config>\n");
    }
    printf("</network-security-config>\n");
}

static void write_trustkit(const struct exporter *x)
{
    const struct policy *p = x->p;
    char buf[PIN_TEXT_MAX];
    printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
           "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
           "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
           "<plist version=\"1.0\">\n"
           "<dict>\n"
           "\t<key>TSKConfiguration</key>\n"
           "\t<dict>\n"
           "\t\t<key>TSKSwizzleNetworkDelegates</key>\n"
           "\t\t<true/>\n"
           "\t\t<key>TSKPinnedDomains</key>\n"
           "\t\t<dict>\n");
    for (size_t i = 0; i < p->nentries; i++) {
        const struct host_entry *e = &p->entries[i];
        if (!x->keep[i])
            continue;
        printf("\t\t\t<key>");
        xml_escaped(e->name);
        printf("</key>\n\t\t\t<dict>\n");
        printf("\t\t\t\t<key>TSKEnforcePinning</key>\n\t\t\t\t<%s/>\n",
               policy_effective_mode(p, e) == MODE_REPORT ? "false" : "true");
        printf("\t\t\t\t<key>TSKIncludeSubdomains</key>\n\t\t\t\t<%s/>\n", e->include_subdomains ? "true" : "false");
        if (e->expires_text) {
            printf("\t\t\t\t<key>TSKExpirationDate</key>\n\t\t\t\t<string>");
            xml_escaped(e->expires_text);
            printf("</string>\n");
        }
        printf("\t\t\t\t<key>TSKPublicKeyHashes</key>\n\t\t\t\t<array>\n");
        for (size_t k = 0; k < e->npins; k++)
            if (!repeated_pin(e, k))
                printf("\t\t\t\t\t<string>%s</string>\n", b64(e, k, buf));
        printf("\t\t\t\t</array>\n\t\t\t</dict>\n");
    }
    printf("\t\t</dict>\n\t</dict>\n</dict>\n</plist>\n");
}

static void write_okhttp(const struct exporter *x)
{
    const struct policy *p = x->p;
    char buf[PIN_TEXT_MAX];
    printf("// OkHttp CertificatePinner written by pinshim export (Kotlin or Java expression)\n"
           "CertificatePinner.Builder()\n");
    for (size_t i = 0; i < p->nentries; i++) {
        const struct host_entry *e = &p->entries[i];
        const char *base;
        char pattern[HOST_MAX + 4];
        if (!x->keep[i])
            continue;
        switch (okhttp_pattern(e, &base)) {
        case PAT_EXACT: snprintf(pattern, sizeof pattern, "%s", base); break;
        case PAT_ONE: snprintf(pattern, sizeof pattern, "*.%s", base); break;
        case PAT_ANY: snprintf(pattern, sizeof pattern, "**.%s", base); break;
        }
        printf("    .add(");
        quoted_string(pattern);
        for (size_t k = 0; k < e->npins; k++) {
            if (repeated_pin(e, k))
                continue;
            pin_format(&e->pins[k], buf);
            printf(", ");
            quoted_string(buf);
        }
        printf(")\n");
    }
    printf("    .build()\n");
}

static void write_curl(const struct exporter *x)
{
    const struct policy *p = x->p;
    char buf[PIN_TEXT_MAX];
    for (size_t i = 0; i < p->nentries; i++) {
        const struct host_entry *e = &p->entries[i];
        if (!x->keep[i])
            continue;
        if (e->kind == NAME_IPV6)
            printf("[%s]", e->name);
        else
            printf("%s", e->name);
        if (e->port)
            printf(":%d", e->port);
        printf(" --pinnedpubkey '");
        const char *sep = "";
        for (size_t k = 0; k < e->npins; k++) {
            if (repeated_pin(e, k))
                continue;
            printf("%ssha256//%s", sep, b64(e, k, buf));
            sep = ";";
        }
        printf("'\n");
    }
}

static void write_hpkp(const struct exporter *x)
{
    const struct policy *p = x->p;
    char buf[PIN_TEXT_MAX];
    for (size_t i = 0; i < p->nentries; i++) {
        const struct host_entry *e = &p->entries[i];
        if (!x->keep[i])
            continue;
        bool report = policy_effective_mode(p, e) == MODE_REPORT;
        if (e->kind == NAME_WILDCARD)
            printf("# each host %s %s (config line %d) sends:\n", e->include_subdomains ? "below" : "one label below",
                   e->match_key, e->line);
        else
            printf("# %s%s (config line %d) sends:\n", e->name, e->include_subdomains ? " and its subdomains" : "",
                   e->line);
        printf("%s:", report ? "Public-Key-Pins-Report-Only" : "Public-Key-Pins");
        for (size_t k = 0; k < e->npins; k++)
            if (!repeated_pin(e, k))
                printf(" pin-sha256=\"%s\";", b64(e, k, buf));
        printf(" max-age=%ld", x->max_age);
        if (e->include_subdomains)
            printf("; includeSubDomains");
        if (x->report_uri)
            printf("; report-uri=\"%s\"", x->report_uri);
        printf("\n");
    }
}

/* ---------------------------------------------------------------- run ---- */

static int parse_target(const char *s, enum target *out)
{
    for (size_t i = 0; i < sizeof target_names / sizeof target_names[0]; i++)
        if (strcmp(s, target_names[i]) == 0) {
            *out = (enum target)i;
            return 0;
        }
    return -1;
}

static int run(int argc, char **argv)
{
    enum { OPT_MAX_AGE = 256, OPT_REPORT_URI, OPT_STRICT };
    static const struct option options[] = {
        { "format", required_argument, NULL, 'f' },
        { "config", required_argument, NULL, 'c' },
        { "max-age", required_argument, NULL, OPT_MAX_AGE },
        { "report-uri", required_argument, NULL, OPT_REPORT_URI },
        { "strict", no_argument, NULL, OPT_STRICT },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct exporter x = { .max_age = HPKP_MAX_AGE_DEFAULT };
    const char *explicit = NULL;
    bool have_target = false, strict = false;
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:f:c:h", options, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (parse_target(optarg, &x.target) != 0) {
                cli_error("export: unknown format \"%s\" (android, trustkit, okhttp, curl or hpkp)", optarg);
                return EX_USAGE;
            }
            have_target = true;
            break;
        case 'c':
            explicit = optarg;
            break;
        case OPT_MAX_AGE: {
            char *end;
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || v < 0 || v > 0x7fffffffL) {
                cli_error("export: --max-age takes a number of seconds, not \"%s\"", optarg);
                return EX_USAGE;
            }
            x.max_age = v;
            break;
        }
        case OPT_REPORT_URI:
            if (!*optarg || strpbrk(optarg, "\"\\ \t\r\n;")) {
                cli_error("export: --report-uri takes a URI without quotes, spaces or ';'");
                return EX_USAGE;
            }
            x.report_uri = optarg;
            break;
        case OPT_STRICT:
            strict = true;
            break;
        case 'h':
            return cli_usage(&cmd_export, EX_OK);
        default:
            cli_bad_option("export", c, argv);
            return EX_USAGE;
        }
    }
    if (optind < argc) {
        if (explicit || argc - optind > 1) {
            cli_error("export: one config only (try: pinshim export --help)");
            return EX_USAGE;
        }
        explicit = argv[optind];
    }
    if (!have_target) {
        cli_error("export: --format is required: android, trustkit, okhttp, curl or hpkp");
        return EX_USAGE;
    }
    if ((x.report_uri || x.max_age != HPKP_MAX_AGE_DEFAULT) && x.target != T_HPKP) {
        cli_error("export: --max-age and --report-uri are for --format hpkp");
        return EX_USAGE;
    }
    x.path = cli_config_path(explicit);

    struct policy *p = policy_load(x.path);
    if (!p) {
        cli_error("export: out of memory");
        return EX_OSERR;
    }
    if (p->error) {
        FILE *probe = fopen(x.path, "re");
        int readable = probe != NULL;
        if (probe)
            fclose(probe);
        cli_error("%s", p->error);
        policy_free(p);
        return readable ? EX_CONFIG : EX_NOINPUT;
    }
    x.p = p;
    x.now = time(NULL);
    x.keep = calloc(p->nentries ? p->nentries : 1, sizeof *x.keep);
    if (!x.keep) {
        cli_error("export: out of memory");
        policy_free(p);
        return EX_OSERR;
    }
    psl_ctx_t *latest = NULL;
    if (x.target == T_TRUSTKIT) {
        latest = psl_latest(NULL);
        x.psl = latest ? latest : psl_builtin();
    }
    choose(&x);
    psl_free(latest);
    x.psl = NULL;

    size_t exported = 0;
    for (size_t i = 0; i < p->nentries; i++)
        exported += x.keep[i];
    print_warnings(&x);
    if (x.target == T_HPKP && !x.report_uri)
        for (size_t i = 0; i < p->nentries; i++)
            if (x.keep[i] && policy_effective_mode(p, &p->entries[i]) == MODE_REPORT) {
                cli_warning("%s: Public-Key-Pins-Report-Only reports nothing without a report-uri (--report-uri)",
                            x.path);
                x.warned++;
                break;
            }

    switch (x.target) {
    case T_ANDROID: write_android(&x); break;
    case T_TRUSTKIT: write_trustkit(&x); break;
    case T_OKHTTP: write_okhttp(&x); break;
    case T_CURL: write_curl(&x); break;
    case T_HPKP: write_hpkp(&x); break;
    }

    int status = EX_OK;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("export: cannot write the output");
        status = EX_IOERR;
    } else if (p->nentries > 0 && exported == 0) {
        cli_error("export: none of the %zu entries of %s can be exported for %s", p->nentries, x.path,
                  target_name(x.target));
        status = 1;
    } else if (strict && x.warned > 0) {
        status = 1;
    }
    free(x.keep);
    policy_free(p);
    return status;
}

const struct command cmd_export = {
    "export",
    "write the pins for Android, TrustKit, OkHttp, curl or HPKP",
    usage,
    run,
};
