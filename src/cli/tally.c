/* The sums of `pinshim report`: see tally.h. */
#include "config.h"
#include "tally.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Host lookup: open addressing over (name, port), grown at half full. */
struct host_index {
    struct tally_host **slot;
    size_t cap;
};

static uint64_t host_hash(const char *name, int port)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return (h ^ (uint64_t)port) * 1099511628211ULL;
}

void tally_init(struct tally *t)
{
    memset(t, 0, sizeof *t);
}

static void names_free(struct tally_names *n)
{
    for (size_t i = 0; i < n->n; i++)
        free(n->name[i]);
    memset(n, 0, sizeof *n);
}

static void host_free(struct tally_host *h)
{
    free(h->name);
    names_free(&h->would_block_programs);
    names_free(&h->blocked_programs);
    names_free(&h->programs);
    free(h->known);
    for (size_t i = 0; i < h->nkeys; i++) {
        free(h->keys[i].subject);
        free(h->keys[i].issuer);
        names_free(&h->keys[i].programs);
    }
    free(h->keys);
    free(h);
}

void tally_free(struct tally *t)
{
    for (size_t i = 0; i < t->nhosts; i++)
        host_free(t->hosts[i]);
    free(t->hosts);
    struct host_index *ix = t->index;
    if (ix)
        free(ix->slot);
    free(ix);
    names_free(&t->machines);
    names_free(&t->uncovered);
    memset(t, 0, sizeof *t);
}

static bool names_add(struct tally *t, struct tally_names *n, const char *name, unsigned long events)
{
    for (size_t i = 0; i < n->n; i++) {
        if (strcmp(n->name[i], name) == 0) {
            n->events[i] += events;
            return true;
        }
    }
    if (n->n == TALLY_NAMES) {
        /* Full: the list keeps the names that sort first, whatever order the
         * records came in (the parsing threads vary it).  A name kept at the
         * end was never pushed out, so its count is whole. */
        size_t last = 0;
        for (size_t i = 1; i < n->n; i++)
            if (strcmp(n->name[i], n->name[last]) > 0)
                last = i;
        if (strcmp(name, n->name[last]) > 0) {
            n->more_events += events;
            return true;
        }
        char *copy = strdup(name);
        if (!copy) {
            t->failed = true;
            return false;
        }
        n->more_events += n->events[last];
        free(n->name[last]);
        n->name[last] = copy;
        n->events[last] = events;
        return true;
    }
    if (!(n->name[n->n] = strdup(name))) {
        t->failed = true;
        return false;
    }
    n->events[n->n++] = events;
    return true;
}

static bool index_put(struct host_index *ix, struct tally_host *h)
{
    size_t i = host_hash(h->name, h->port) & (ix->cap - 1);
    while (ix->slot[i])
        i = (i + 1) & (ix->cap - 1);
    ix->slot[i] = h;
    return true;
}

static struct tally_host *host_of(struct tally *t, const char *name, int port)
{
    struct host_index *ix = t->index;
    if (!ix) {
        if (!(ix = calloc(1, sizeof *ix)) || !(ix->slot = calloc(64, sizeof *ix->slot))) {
            free(ix);
            return NULL;
        }
        ix->cap = 64;
        t->index = ix;
    }
    size_t i = host_hash(name, port) & (ix->cap - 1);
    for (; ix->slot[i]; i = (i + 1) & (ix->cap - 1))
        if (ix->slot[i]->port == port && strcmp(ix->slot[i]->name, name) == 0)
            return ix->slot[i];

    if (t->nhosts == t->hosts_cap) {
        size_t cap = t->hosts_cap ? t->hosts_cap * 2 : 16;
        struct tally_host **hosts = realloc(t->hosts, cap * sizeof *hosts);
        if (!hosts)
            return NULL;
        t->hosts = hosts;
        t->hosts_cap = cap;
    }
    if ((t->nhosts + 1) * 2 > ix->cap) {
        struct host_index bigger = { calloc(ix->cap * 2, sizeof *ix->slot), ix->cap * 2 };
        if (!bigger.slot)
            return NULL;
        for (size_t k = 0; k < ix->cap; k++)
            if (ix->slot[k])
                index_put(&bigger, ix->slot[k]);
        free(ix->slot);
        *ix = bigger;
    }
    struct tally_host *h = calloc(1, sizeof *h);
    if (!h || !(h->name = strdup(name))) {
        free(h);
        return NULL;
    }
    h->port = port;
    index_put(ix, h);
    t->hosts[t->nhosts++] = h;
    return h;
}

static long long floor_div(long long a, long long b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* Moves every host's and key's columns onto the axis (t0, width), which
 * covers every record so far: each old column falls into exactly one new
 * column, since both t0 are multiples of the old width and the widths are
 * powers of two (the same width: a shift). */
static void remap(struct tally *t, time_t t0, time_t width)
{
    int to[TALLY_BUCKETS];
    for (int i = 0; i < TALLY_BUCKETS; i++) {
        long long n = ((long long)t->t0 + (long long)i * t->width - t0) / width;
        /* only empty columns can fall outside: the new axis covers every record */
        to[i] = n < 0 || n >= TALLY_BUCKETS ? -1 : (int)n;
    }
    for (size_t k = 0; k < t->nhosts; k++) {
        struct tally_host *h = t->hosts[k];
        uint32_t line[TALLY_BUCKETS][TALLY_CLASSES];
        memset(line, 0, sizeof line);
        for (int i = 0; i < TALLY_BUCKETS; i++)
            for (int c = 0; c < TALLY_CLASSES && to[i] >= 0; c++)
                line[to[i]][c] += h->timeline[i][c];
        memcpy(h->timeline, line, sizeof line);
        for (size_t n = 0; n < h->nkeys; n++) {
            uint32_t keyline[TALLY_BUCKETS];
            memset(keyline, 0, sizeof keyline);
            for (int i = 0; i < TALLY_BUCKETS; i++)
                if (to[i] >= 0)
                    keyline[to[i]] += h->keys[n].buckets[i];
            memcpy(h->keys[n].buckets, keyline, sizeof keyline);
        }
    }
    t->t0 = t0;
    t->width = width;
}

/* The column of `when`, the axis widened first when it falls outside. */
static int column_of(struct tally *t, time_t when)
{
    if (t->width == 0) {
        t->t0 = when;
        t->width = 1;
    }
    if (when < t->t0 || when >= t->t0 + (time_t)TALLY_BUCKETS * t->width) {
        time_t lo = when < t->first ? when : t->first, hi = when > t->last ? when : t->last;
        /* the same width moved to the left when that is enough, else wider */
        long long width = t->width, t0 = floor_div(lo, width) * width;
        while (hi >= t0 + (long long)TALLY_BUCKETS * width) {
            width *= 2;
            t0 = floor_div(lo, width) * width;
        }
        remap(t, (time_t)t0, (time_t)width);
    }
    return (int)((when - t->t0) / t->width);
}

static struct tally_key *key_of(struct tally *t, struct tally_host *h, const char *pin, int depth)
{
    for (size_t i = 0; i < h->nkeys; i++)
        if (strcmp(h->keys[i].pin, pin) == 0)
            return &h->keys[i];
    if (h->nkeys == TALLY_KEYS_MAX || strlen(pin) >= TALLY_PIN_MAX)
        return NULL;
    if (h->nkeys == h->keys_cap) {
        size_t cap = h->keys_cap ? h->keys_cap * 2 : 4;
        struct tally_key *keys = realloc(h->keys, cap * sizeof *keys);
        if (!keys) {
            t->failed = true;
            return NULL;
        }
        h->keys = keys;
        h->keys_cap = cap;
    }
    struct tally_key *k = &h->keys[h->nkeys++];
    memset(k, 0, sizeof *k);
    strcpy(k->pin, pin);
    k->depth = depth;
    return k;
}

/* The verdicts as the library logs them (judge.c, runtime.c), and "other"
 * for anything else. */
static const char *const verdict_names[TV_N] = {
    [TV_PASS] = "pass", [TV_FAIL] = "fail", [TV_EXPIRED] = "expired", [TV_UNPINNED] = "unpinned",
    [TV_ERROR] = "error", [TV_UNCOVERED] = "uncovered", [TV_OTHER] = "other",
};

const char *tally_verdict_name(enum tally_verdict v)
{
    return verdict_names[v];
}

const char *tally_state_name(enum tally_state s)
{
    static const char *const names[] = {
        [TS_READY] = "ready", [TS_WOULD_BREAK] = "would_break", [TS_BLOCKING] = "blocking",
        [TS_UNPINNED] = "unpinned",
    };
    return names[s];
}

static int verdict_index(const char *v)
{
    for (int i = 0; i < TV_OTHER; i++)
        if (strcmp(v, verdict_names[i]) == 0)
            return i;
    return TV_OTHER;
}

static void span(time_t *first, time_t *last, time_t when)
{
    if (*first == 0 || when < *first)
        *first = when;
    if (when > *last)
        *last = when;
}

static void add_chain(struct tally *t, struct tally_host *h, const struct tally_record *r, const char *label,
                      int col, bool unmatched)
{
    /* the latest record's chain; between records of the same second, the one
     * whose leaf pin sorts last, so the answer does not depend on the order
     * the parsing threads added them */
    bool latest = r->time > h->last_chain_time ||
                  (r->time == h->last_chain_time &&
                   (h->nlast_chain == 0 || (r->nchain > 0 && h->last_chain[0] >= 0 &&
                                            strcmp(r->chain[0].pin, h->keys[h->last_chain[0]].pin) >= 0)));
    if (latest) {
        h->nlast_chain = 0;
        h->last_chain_time = r->time;
        h->earliest_expiry = 0;
    }
    for (size_t i = 0; i < r->nchain; i++) {
        struct tally_key *k = key_of(t, h, r->chain[i].pin, (int)i);
        if (latest) {
            h->last_chain[h->nlast_chain++] = k ? (int)(k - h->keys) : -1;
            time_t na = r->chain[i].not_after;
            if (na && (!h->earliest_expiry || na < h->earliest_expiry))
                h->earliest_expiry = na;
        }
        if (!k) {
            h->other_keys += r->repeat;
            continue;
        }
        /* the names of the earliest record that served the key */
        bool earliest = !k->events || r->time < k->first;
        if ((earliest || !k->subject) && r->chain[i].subject) {
            free(k->subject);
            if (!(k->subject = strdup(r->chain[i].subject)))
                t->failed = true;
        }
        if ((earliest || !k->issuer) && r->chain[i].issuer) {
            free(k->issuer);
            if (!(k->issuer = strdup(r->chain[i].issuer)))
                t->failed = true;
        }
        if ((int)i < k->depth)
            k->depth = (int)i;
        if (r->chain[i].not_after > k->not_after)
            k->not_after = r->chain[i].not_after;
        span(&k->first, &k->last, r->time);
        k->events += r->repeat;
        if (r->matched_pin && strcmp(r->matched_pin, k->pin) == 0)
            k->matched += r->repeat;
        if (unmatched)
            k->unmatched += r->repeat;
        names_add(t, &k->programs, label, r->repeat);
        k->buckets[col] += (uint32_t)r->repeat;
    }
}

static void set_known(struct tally *t, struct tally_host *h, const struct tally_record *r)
{
    if (r->time < h->known_time ||
        (r->time == h->known_time && h->nknown > 0 && (r->nknown == 0 || strcmp(r->known[0], h->known[0]) < 0)))
        return;
    if (r->nknown > h->nknown || !h->known) {
        char(*known)[TALLY_PIN_MAX] = realloc(h->known, (r->nknown ? r->nknown : 1) * sizeof *known);
        if (!known) {
            t->failed = true;
            return;
        }
        h->known = known;
    }
    h->nknown = 0;
    for (size_t i = 0; i < r->nknown; i++)
        if (strlen(r->known[i]) < TALLY_PIN_MAX)
            strcpy(h->known[h->nknown++], r->known[i]);
    h->known_time = r->time;
}

bool tally_add(struct tally *t, const struct tally_record *r)
{
    char label[512];
    const char *program = r->program ? r->program : "?";
    if (r->machine)
        snprintf(label, sizeof label, "%s:%s", r->machine, program);
    else
        snprintf(label, sizeof label, "%s", program);

    t->records++;
    t->events += r->repeat;
    if (r->machine)
        names_add(t, &t->machines, r->machine, r->repeat);
    int verdict = verdict_index(r->verdict);
    if (verdict == TV_UNCOVERED) {
        /* a process, not a connection: no host to put it under */
        names_add(t, &t->uncovered, label, r->repeat);
        span(&t->first, &t->last, r->time);
        return !t->failed;
    }

    struct tally_host *h = host_of(t, r->host ? r->host : "(unknown host)", r->port);
    if (!h) {
        t->failed = true;
        return false;
    }
    int col = column_of(t, r->time);
    span(&t->first, &t->last, r->time);
    span(&h->first, &h->last, r->time);

    bool blocked = r->action && strcmp(r->action, "blocked") == 0;
    bool would_block = !blocked && (verdict == TV_FAIL || verdict == TV_ERROR);
    h->events += r->repeat;
    h->by[verdict][blocked ? TA_BLOCKED : TA_ALLOWED] += r->repeat;
    int mode = !r->mode ? 2 : strcmp(r->mode, "enforce") == 0 ? 0 : strcmp(r->mode, "report") == 0 ? 1 : 2;
    h->mode_events[mode] += r->repeat;
    h->timeline[col][blocked ? TALLY_BLOCKED : would_block ? TALLY_WOULD_BLOCK : TALLY_OK] += (uint32_t)r->repeat;
    names_add(t, &h->programs, label, r->repeat);
    if (would_block) {
        h->would_block += r->repeat;
        span(&h->would_block_first, &h->would_block_last, r->time);
        names_add(t, &h->would_block_programs, label, r->repeat);
    }
    if (blocked) {
        h->blocked += r->repeat;
        span(&h->blocked_first, &h->blocked_last, r->time);
        names_add(t, &h->blocked_programs, label, r->repeat);
    }
    if (r->nknown > 0 || verdict != TV_UNPINNED)
        set_known(t, h, r);
    add_chain(t, h, r, label, col, verdict == TV_FAIL || verdict == TV_EXPIRED);
    return !t->failed;
}

static int by_events(const void *a, const void *b, void *arg)
{
    const struct tally_names *n = arg;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    if (n->events[x] != n->events[y])
        return n->events[x] > n->events[y] ? -1 : 1;
    return strcmp(n->name[x], n->name[y]);
}

static void names_sort(struct tally_names *n)
{
    size_t order[TALLY_NAMES] = { 0 };
    char *name[TALLY_NAMES] = { NULL };
    unsigned long events[TALLY_NAMES] = { 0 };
    for (size_t i = 0; i < n->n; i++)
        order[i] = i;
    qsort_r(order, n->n, sizeof order[0], by_events, n);
    for (size_t i = 0; i < n->n; i++) {
        name[i] = n->name[order[i]];
        events[i] = n->events[order[i]];
    }
    memcpy(n->name, name, n->n * sizeof name[0]);
    memcpy(n->events, events, n->n * sizeof events[0]);
}

static int key_order(const void *a, const void *b)
{
    const struct tally_key *x = a, *y = b;
    if (x->depth != y->depth)
        return x->depth - y->depth;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return strcmp(x->pin, y->pin);
}

void tally_finish(struct tally *t)
{
    names_sort(&t->machines);
    names_sort(&t->uncovered);
    for (size_t i = 0; i < t->nhosts; i++) {
        struct tally_host *h = t->hosts[i];
        names_sort(&h->programs);
        names_sort(&h->would_block_programs);
        names_sort(&h->blocked_programs);
        char last[TALLY_CHAIN_MAX][TALLY_PIN_MAX];
        for (size_t c = 0; c < h->nlast_chain; c++)
            strcpy(last[c], h->last_chain[c] >= 0 ? h->keys[h->last_chain[c]].pin : "");
        if (h->nkeys)
            qsort(h->keys, h->nkeys, sizeof h->keys[0], key_order);
        for (size_t c = 0; c < h->nlast_chain; c++) {
            h->last_chain[c] = -1;
            for (size_t k = 0; k < h->nkeys && last[c][0]; k++)
                if (strcmp(h->keys[k].pin, last[c]) == 0)
                    h->last_chain[c] = (int)k;
        }
        for (size_t k = 0; k < h->nkeys; k++)
            names_sort(&h->keys[k].programs);
    }
}

enum tally_state tally_host_state(const struct tally_host *h)
{
    if (h->would_block > 0)
        return TS_WOULD_BREAK;
    if (h->blocked > 0)
        return TS_BLOCKING;
    if (h->by[TV_UNPINNED][TA_ALLOWED] + h->by[TV_UNPINNED][TA_BLOCKED] == h->events)
        return TS_UNPINNED;
    return TS_READY;
}

static int state_rank(enum tally_state s)
{
    return s == TS_WOULD_BREAK ? 0 : s == TS_BLOCKING ? 1 : s == TS_UNPINNED ? 2 : 3;
}

static int by_rank(const void *a, const void *b)
{
    const struct tally_host *x = *(struct tally_host *const *)a, *y = *(struct tally_host *const *)b;
    int rx = state_rank(tally_host_state(x)), ry = state_rank(tally_host_state(y));
    if (rx != ry)
        return rx - ry;
    if (x->events != y->events)
        return x->events > y->events ? -1 : 1;
    int c = strcmp(x->name, y->name);
    return c ? c : x->port - y->port;
}

struct tally_host **tally_sorted(const struct tally *t)
{
    struct tally_host **all = malloc((t->nhosts ? t->nhosts : 1) * sizeof *all);
    if (!all)
        return NULL;
    if (t->nhosts)
        memcpy(all, t->hosts, t->nhosts * sizeof *all);
    qsort(all, t->nhosts, sizeof *all, by_rank);
    return all;
}

void tally_time_text(time_t when, char *buf, size_t len)
{
    struct tm tm;
    if (!gmtime_r(&when, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, len, "?");
}

long tally_days(time_t now, time_t when)
{
    return (long)floor_div((long long)when - now, 86400);
}

/* "curl, git, web1:wget and 2 more": the names without their folders. */
static void names_text(const struct tally_names *n, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n->n && used < len; i++) {
        const char *name = n->name[i], *colon = strchr(name, ':'), *slash = strrchr(name, '/');
        int w;
        if (slash && (!colon || slash > colon))
            w = colon ? snprintf(buf + used, len - used, "%s%.*s:%s", i ? ", " : "", (int)(colon - name), name,
                                 slash + 1)
                      : snprintf(buf + used, len - used, "%s%s", i ? ", " : "", slash + 1);
        else
            w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", name);
        used += w > 0 ? (size_t)w : 0;
    }
    if (n->more_events && used < len)
        snprintf(buf + used, len - used, " and others (%lu connections)", n->more_events);
}

void tally_verdict_text(const struct tally_host *h, char *buf, size_t len)
{
    char who[400], since[32];
    switch (tally_host_state(h)) {
    case TS_WOULD_BREAK:
        names_text(&h->would_block_programs, who, sizeof who);
        tally_time_text(h->would_block_first, since, sizeof since);
        snprintf(buf, len, "would break %lu connection%s from %s since %s", h->would_block,
                 h->would_block == 1 ? "" : "s", who, since);
        break;
    case TS_BLOCKING:
        names_text(&h->blocked_programs, who, sizeof who);
        tally_time_text(h->blocked_first, since, sizeof since);
        snprintf(buf, len, "enforced, and blocking: %lu connection%s refused from %s since %s", h->blocked,
                 h->blocked == 1 ? "" : "s", who, since);
        break;
    case TS_UNPINNED:
        snprintf(buf, len, "unpinned: no entry for this host (see --suggest)");
        break;
    default:
        snprintf(buf, len, "ready to enforce");
        break;
    }
}

int tally_columns_used(const struct tally *t)
{
    if (t->width == 0)
        return 0;
    long long n = ((long long)t->last - t->t0) / t->width + 1;
    return n < 1 ? 1 : n > TALLY_BUCKETS ? TALLY_BUCKETS : (int)n;
}
