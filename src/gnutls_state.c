/* Per-session and per-credentials state for GnuTLS (gnutls_state.h).  A
 * small open-addressing table under one mutex: it is looked up once or twice
 * per handshake, and by the record gates only while a refused session
 * exists.  Entries are allocated one by one, so a pointer handed out stays
 * valid while the table grows. */
#include "config.h"
#include "gnutls_state.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct table {
    void **keys;
    void **values;
    size_t cap, n;     /* cap: a power of two; tombstones count in n */
};

#define TOMBSTONE ((void *)1)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct table sessions, creds;
static atomic_long refused_alive;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

/* A thread of the parent may have held the lock at fork(): not in the child. */
static void after_fork_in_child(void)
{
    pthread_mutex_init(&lock, NULL);
}

static void register_fork(void)
{
    pthread_atfork(NULL, NULL, after_fork_in_child);
}

static size_t slot_of(const void *key, size_t cap)
{
    uintptr_t h = (uintptr_t)key;
    h ^= h >> 17;
    h *= 0x9e3779b97f4a7c15ULL;
    return (size_t)(h >> 20) & (cap - 1);
}

static void **find(struct table *t, const void *key)
{
    if (!t->cap)
        return NULL;
    for (size_t i = slot_of(key, t->cap), k = 0; k < t->cap; i = (i + 1) & (t->cap - 1), k++) {
        if (t->keys[i] == key)
            return &t->values[i];
        if (!t->keys[i])
            return NULL;
    }
    return NULL;
}

static bool grow(struct table *t)
{
    size_t cap = t->cap ? t->cap * 2 : 64;
    void **keys = calloc(cap, sizeof *keys), **values = calloc(cap, sizeof *values);
    if (!keys || !values) {
        free(keys);
        free(values);
        return false;
    }
    size_t n = 0;
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->keys[i] || t->keys[i] == TOMBSTONE)
            continue;
        size_t j = slot_of(t->keys[i], cap);
        while (keys[j])
            j = (j + 1) & (cap - 1);
        keys[j] = t->keys[i];
        values[j] = t->values[i];
        n++;
    }
    free(t->keys);
    free(t->values);
    t->keys = keys;
    t->values = values;
    t->cap = cap;
    t->n = n;
    return true;
}

static bool put(struct table *t, void *key, void *value)
{
    if ((t->n + 1) * 4 > t->cap * 3 && !grow(t))
        return false;
    size_t i = slot_of(key, t->cap);
    while (t->keys[i] && t->keys[i] != TOMBSTONE)
        i = (i + 1) & (t->cap - 1);
    if (!t->keys[i])
        t->n++;
    t->keys[i] = key;
    t->values[i] = value;
    return true;
}

static void *take(struct table *t, const void *key)
{
    void **v = find(t, key);
    if (!v)
        return NULL;
    void *value = *v;
    size_t i = (size_t)(v - t->values);
    t->keys[i] = TOMBSTONE;
    t->values[i] = NULL;
    return value;
}

bool gstate_add(gnutls_session_t session)
{
    pthread_once(&fork_once, register_fork);
    struct gnutls_state *st = calloc(1, sizeof *st);
    if (!st)
        return false;
    st->session = session;
    pthread_mutex_lock(&lock);
    struct gnutls_state *old = take(&sessions, session); /* a session freed without gnutls_deinit */
    bool ok = put(&sessions, session, st);
    pthread_mutex_unlock(&lock);
    if (old && (old->flags & GS_REFUSED))
        atomic_fetch_sub(&refused_alive, 1);
    if (old)
        free(old->offered);
    free(old);
    if (!ok)
        free(st);
    return ok;
}

struct gnutls_state *gstate_get(gnutls_session_t session)
{
    pthread_mutex_lock(&lock);
    void **v = find(&sessions, session);
    struct gnutls_state *st = v ? *v : NULL;
    pthread_mutex_unlock(&lock);
    return st;
}

void gstate_drop(gnutls_session_t session)
{
    pthread_mutex_lock(&lock);
    struct gnutls_state *st = take(&sessions, session);
    pthread_mutex_unlock(&lock);
    if (st && (st->flags & GS_REFUSED))
        atomic_fetch_sub(&refused_alive, 1);
    if (st)
        free(st->offered);
    free(st);
}

void gstate_refuse(struct gnutls_state *st)
{
    if (!(st->flags & GS_REFUSED))
        atomic_fetch_add(&refused_alive, 1);
    st->flags |= GS_REFUSED | GS_JUDGED;
}

bool gstate_any_refused(void)
{
    return atomic_load_explicit(&refused_alive, memory_order_relaxed) > 0;
}

/* ---- credentials ---- */

struct cred_state {
    gnutls_certificate_verify_function *app;
    bool ours_on;
};

void gcred_set_app(gnutls_certificate_credentials_t cred, gnutls_certificate_verify_function *fn, bool *ours_on)
{
    pthread_mutex_lock(&lock);
    void **v = find(&creds, cred);
    struct cred_state *cs = v ? *v : NULL;
    if (!cs && (cs = calloc(1, sizeof *cs)) != NULL && !put(&creds, cred, cs)) {
        free(cs);
        cs = NULL;
    }
    if (cs)
        cs->app = fn;
    *ours_on = cs && cs->ours_on;
    pthread_mutex_unlock(&lock);
}

bool gcred_wrap(gnutls_certificate_credentials_t cred)
{
    bool first = false;
    pthread_mutex_lock(&lock);
    void **v = find(&creds, cred);
    struct cred_state *cs = v ? *v : NULL;
    if (!cs && (cs = calloc(1, sizeof *cs)) != NULL && !put(&creds, cred, cs)) {
        free(cs);
        cs = NULL;
    }
    if (cs && !cs->ours_on)
        first = cs->ours_on = true;
    pthread_mutex_unlock(&lock);
    return first;
}

gnutls_certificate_verify_function *gcred_app(gnutls_certificate_credentials_t cred)
{
    pthread_mutex_lock(&lock);
    void **v = find(&creds, cred);
    const struct cred_state *cs = v ? *v : NULL;
    gnutls_certificate_verify_function *fn = cs ? cs->app : NULL;
    pthread_mutex_unlock(&lock);
    return fn;
}

void gcred_drop(gnutls_certificate_credentials_t cred)
{
    pthread_mutex_lock(&lock);
    struct cred_state *cs = take(&creds, cred);
    pthread_mutex_unlock(&lock);
    free(cs);
}
