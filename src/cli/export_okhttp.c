/* pinshim export --format okhttp: a CertificatePinner.Builder() expression.
 * OkHttp accepts the union of the pins of every pattern that matches a host,
 * where pinshim picks one entry: most of this file finds the entries whose
 * pattern would widen what another entry enforces. */
#include "config.h"
#include "export.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Does pinshim refuse every key but this entry's pins for a host it governs? */
static bool enforces_pins(const struct exporter *x, const struct host_entry *e)
{
    return e && e->tofu == TOFU_NONE && !export_expired(x, e) && policy_effective_mode(x->p, e) == MODE_ENFORCE;
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
    if ((e->kind == NAME_WILDCARD || e->include_subdomains) && !export_is_ip(e) && ml + pl < HOST_MAX)
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
            export_skip(x, b,
                        "OkHttp accepts the pins of every pattern that matches a host, so for %s%s%s it would also "
                        "accept these pins, which the entry at line %d (\"%s\") does not list",
                        probe ? "the names below " : "", probe ? host + strlen(PROBE) : host, on_port, w->line,
                        w->name);
        }
    }
    return;
oom:
    export_skip_all_oom(x);
}

static void okhttp_union(struct exporter *x)
{
    const struct policy *p = x->p;
    size_t *sorted = export_sorted_indices(p, true);
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
        export_skip_all_oom(x);
    }
    for (size_t h = 0; h < nh; h++)
        free(hosts[h]);
    free(near.v);
    free(ports.v);
    free(hosts);
    free(used);
    free(sorted);
}

static void refuse(struct exporter *x, size_t i, enum mode mode)
{
    export_refuse_report_or_expired(x, i, mode);
}

static void wildcard_note(struct exporter *x, size_t i)
{
    const struct host_entry *e = &x->p->entries[i];
    if (e->kind == NAME_WILDCARD && e->include_subdomains)
        export_note(x, i, "written as \"**.%s\", which also pins %s itself (stricter)", e->match_key, e->match_key);
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
            if (export_repeated_pin(e, k))
                continue;
            pin_format(&e->pins[k], buf);
            printf(", ");
            quoted_string(buf);
        }
        printf(")\n");
    }
    printf("    .build()\n");
}

const struct export_format export_okhttp = {
    .name = "okhttp",
    .title = "OkHttp",
    .refuse = refuse,
    .whole_policy = okhttp_union,
    .no_ports = true,
    .no_expiry = true,
    .extra_notes = wildcard_note,
    .write = write_okhttp,
};
