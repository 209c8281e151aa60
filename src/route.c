/* Caller routing (route.h).  A small cache of object address ranges; an
 * object is examined once (dl_iterate_phdr, dlopen RTLD_NOLOAD, dlsym) and
 * never forgotten.  The RTLD_NOLOAD handle kept for it holds a reference, so
 * the object stays mapped and its range can never be handed to another
 * object: objects that call TLS functions are few and are rarely unloaded. */
#include "config.h"
#include "route.h"
#include "elf_lookup.h"
#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUTE_SLOTS 32

static const char *const fn_names[FN_COUNT] = {
    "SSL_connect", "SSL_do_handshake", "SSL_read", "SSL_write", "SSL_read_ex", "SSL_write_ex",
    "SSL_peek", "SSL_peek_ex", "SSL_write_early_data", "SSL_sendfile", "SSL_clear",
    "SSL_set_info_callback", "SSL_get_info_callback", "SSL_CTX_set_cert_verify_callback",
    "X509_verify_cert", "X509_STORE_CTX_set_default", "X509_VERIFY_PARAM_move_peername",
};

struct object {
    uintptr_t lo, hi;
    _Atomic enum route_kind kind;        /* changes once, from foreign, if libssl is bound late */
    void *handle;                        /* foreign: the object's own handle, or NULL (main program) */
    _Atomic(void *) fns[FN_COUNT];       /* foreign: its functions, looked up when first needed */
    char library[128];                   /* foreign: the TLS library it uses */
};

static struct ossl_ranges ranges;
static atomic_bool bound;
static struct object objects[ROUTE_SLOTS];
static atomic_int nobjects;              /* entries [0, nobjects) are complete */
static pthread_mutex_t add_lock = PTHREAD_MUTEX_INITIALIZER;
/* The last object looked up, per thread: the same caller calls again. */
static __thread __attribute__((tls_model("initial-exec"))) int t_last = -1;

/* A thread of the parent may have held the lock at fork(): not in the child. */
static void after_fork_in_child(void)
{
    pthread_mutex_init(&add_lock, NULL);
}

static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void register_fork(void)
{
    pthread_atfork(NULL, NULL, after_fork_in_child);
}

static void reclassify(int i);

void route_init(const struct ossl_ranges *r, bool is_bound)
{
    static bool initialised; /* calls are serialised by runtime.c */
    pthread_once(&fork_once, register_fork);
    if (!initialised) {
        initialised = true;
        ranges = *r;
        atomic_store_explicit(&bound, is_bound, memory_order_release);
        return;
    }
    if (!is_bound || atomic_load(&bound))
        return;
    /* Bound late (runtime.c: libssl was loaded after the first look).  The
     * objects seen before were all taken for foreign: looked at again.  One
     * added meanwhile either is counted here or sees `bound` (add_object). */
    pthread_mutex_lock(&add_lock);
    ranges.ssl_lo = r->ssl_lo; /* the own range, read meanwhile, stays as it was */
    ranges.ssl_hi = r->ssl_hi;
    ranges.crypto_lo = r->crypto_lo;
    ranges.crypto_hi = r->crypto_hi;
    ranges.ssl_soname = r->ssl_soname;
    ranges.crypto_soname = r->crypto_soname;
    atomic_store_explicit(&bound, true, memory_order_release);
    int n = atomic_load_explicit(&nobjects, memory_order_acquire);
    pthread_mutex_unlock(&add_lock);
    for (int i = 0; i < n; i++)
        reclassify(i);
}

static bool in(uintptr_t a, uintptr_t lo, uintptr_t hi)
{
    return a >= lo && a < hi;
}

struct finding {
    uintptr_t addr, lo, hi;
    const char *name;        /* the loader's own copy: valid while the object is loaded */
    bool main_program;
    bool links_bound;        /* its DT_NEEDED names the bound libssl or libcrypto */
};

static bool same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* Does the object link the bound libssl (or its libcrypto) itself?  Then
 * its calls are the bound library's, whatever its scope holds, and no
 * lookup is needed to tell. */
static bool links_bound(const struct dl_phdr_info *info)
{
    const ElfW(Dyn) *dyn = NULL;
    for (int i = 0; i < info->dlpi_phnum && !dyn; i++)
        if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
            dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
    if (!dyn)
        return false;
    const char *strtab = NULL;
    for (const ElfW(Dyn) *d = dyn; d->d_tag != DT_NULL; d++)
        if (d->d_tag == DT_STRTAB)
            strtab = (const char *)(d->d_un.d_ptr < info->dlpi_addr ? info->dlpi_addr + d->d_un.d_ptr : d->d_un.d_ptr);
    if (!strtab)
        return false;
    for (const ElfW(Dyn) *d = dyn; d->d_tag != DT_NULL; d++)
        if (d->d_tag == DT_NEEDED &&
            (same(strtab + d->d_un.d_val, ranges.ssl_soname) || same(strtab + d->d_un.d_val, ranges.crypto_soname)))
            return true;
    return false;
}

static int find_object(struct dl_phdr_info *info, size_t size, void *data)
{
    struct finding *f = data;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    bool holds = false;
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t a = info->dlpi_addr + ph->p_vaddr, b = a + ph->p_memsz;
        holds = holds || in(f->addr, a, b);
        lo = a < lo ? a : lo;
        hi = b > hi ? b : hi;
    }
    if (!holds)
        return 0;
    f->lo = lo;
    f->hi = hi;
    /* The first object dl_iterate_phdr reports is the program; its name is "". */
    f->main_program = !info->dlpi_name || !info->dlpi_name[0];
    f->links_bound = atomic_load(&bound) && links_bound(info);
    f->name = info->dlpi_name ? info->dlpi_name : "";
    return 1;
}

static bool is_self(const void *p)
{
    return p && in((uintptr_t)p, ranges.self_lo, ranges.self_hi);
}

/* `name` as the object behind `handle` finds it (NULL handle: the program,
 * whose scope starts with the preloaded libraries: the next one after us). */
static void *own_symbol(void *handle, const char *name)
{
    void *p = handle ? dlsym(handle, name) : NULL;
    if (!p || is_self(p))
        p = dlsym(RTLD_NEXT, name);
    return is_self(p) ? NULL : p;
}

static void library_name(const void *fn, char *out, size_t outlen)
{
    Dl_info info;
    out[0] = '\0';
    if (fn && dladdr(fn, &info) && info.dli_fname)
        snprintf(out, outlen, "%s", info.dli_fname);
}

/* Which libssl does this object call?  The one its own lookup scope finds;
 * the bound one means its SSL objects are ours to judge.  An object with no
 * libssl in its scope got the function some other way (a pointer from
 * dlsym(RTLD_DEFAULT), libffi): the process's libssl, the bound one, is the
 * one it means.  `library`, when not NULL, receives the file name of a
 * foreign one.  No lock held: the lookups take the loader's. */
static enum route_kind classify(void *handle, const struct finding *f, char *library, size_t liblen)
{
    bool is_bound = atomic_load_explicit(&bound, memory_order_acquire);
    void *probe = f->links_bound ? NULL : own_symbol(handle, "SSL_get_verify_result");
    if (!probe && !f->links_bound)
        probe = own_symbol(handle, "X509_verify_cert");
    bool ours = is_bound && (f->links_bound || !probe || in((uintptr_t)probe, ranges.ssl_lo, ranges.ssl_hi) ||
                             in((uintptr_t)probe, ranges.crypto_lo, ranges.crypto_hi));
    if (!ours && library)
        library_name(probe, library, liblen);
    return ours ? ROUTE_PROGRAM : ROUTE_FOREIGN;
}

/* The object at objects[i] looked at again now that libssl is bound. */
static void reclassify(int i)
{
    struct finding f = { .addr = objects[i].lo };
    if (dl_iterate_phdr(find_object, &f) != 0)
        atomic_store(&objects[i].kind, classify(objects[i].handle, &f, NULL, 0));
}

/* Examine the object holding `ret` and add it; -1 when it cannot be told
 * (then the caller counts as foreign with no functions of its own known). */
static int add_object(uintptr_t ret)
{
    struct finding found = { .addr = ret }, *f = &found;
    char library[sizeof objects[0].library] = "";
    if (dl_iterate_phdr(find_object, f) == 0)
        return -1;
    bool was_bound = atomic_load_explicit(&bound, memory_order_acquire);
    /* RTLD_NOLOAD: a reference, so the range stays this object's.  Two
     * threads adding the same object take two: harmless. */
    void *handle = f->main_program ? NULL : dlopen(f->name, RTLD_LAZY | RTLD_NOLOAD);
    enum route_kind kind = classify(handle, f, library, sizeof library);

    int idx = -1;
    pthread_mutex_lock(&add_lock);
    int n = atomic_load_explicit(&nobjects, memory_order_acquire);
    for (int i = 0; i < n && idx < 0; i++)
        if (in(ret, objects[i].lo, objects[i].hi))
            idx = i; /* another thread added it meanwhile */
    if (idx < 0 && n < ROUTE_SLOTS) {
        struct object *o = &objects[n];
        memset(o, 0, sizeof *o);
        o->lo = f->lo;
        o->hi = f->hi;
        o->handle = handle;
        atomic_store(&o->kind, kind);
        memcpy(o->library, library, sizeof o->library);
        atomic_store_explicit(&nobjects, n + 1, memory_order_release);
        idx = n;
    }
    bool bound_meanwhile = !was_bound && atomic_load(&bound);
    pthread_mutex_unlock(&add_lock);
    if (idx == n && bound_meanwhile)
        reclassify(idx); /* route_init's pass may have missed it */
    return idx;
}

static int object_index(const void *ret)
{
    uintptr_t a = (uintptr_t)ret;
    int last = t_last;
    int n = atomic_load_explicit(&nobjects, memory_order_acquire);
    if (last >= 0 && last < n && in(a, objects[last].lo, objects[last].hi))
        return last;
    for (int i = 0; i < n; i++)
        if (in(a, objects[i].lo, objects[i].hi))
            return t_last = i;
    int i = add_object(a);
    if (i >= 0)
        t_last = i;
    return i;
}

bool route_in_libssl(const void *p)
{
    return atomic_load_explicit(&bound, memory_order_acquire) && in((uintptr_t)p, ranges.ssl_lo, ranges.ssl_hi);
}

enum route_kind route_of(const void *ret)
{
    uintptr_t a = (uintptr_t)ret;
    if (atomic_load_explicit(&bound, memory_order_acquire) && (in(a, ranges.ssl_lo, ranges.ssl_hi) || in(a, ranges.crypto_lo, ranges.crypto_hi)))
        return ROUTE_INTERNAL;
    int i = object_index(ret);
    return i >= 0 ? atomic_load_explicit(&objects[i].kind, memory_order_relaxed) : ROUTE_FOREIGN;
}

void *route_foreign_fn(const void *ret, enum route_fn fn)
{
    int i = object_index(ret);
    if (i < 0)
        return own_symbol(NULL, fn_names[fn]);
    void *p = atomic_load_explicit(&objects[i].fns[fn], memory_order_acquire);
    if (!p) {
        p = own_symbol(objects[i].handle, fn_names[fn]);
        atomic_store_explicit(&objects[i].fns[fn], p, memory_order_release);
    }
    return p;
}

void route_foreign_library(const void *ret, char *out, size_t outlen)
{
    int i = object_index(ret);
    snprintf(out, outlen, "%s", i >= 0 ? objects[i].library : "");
}
