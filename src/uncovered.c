/* Who is not covered (DESIGN 12): a TLS library pinshim cannot judge, found
 * among the objects the process has loaded, is said once as `uncovered`
 * (runtime_uncovered).  NSS's libssl3.so, mbed TLS, wolfSSL and a GnuTLS of
 * another soname never call into pinshim, so only their being loaded shows;
 * nor does an OpenSSL or GnuTLS linked into the program itself, which shows
 * when the program exports its functions (as node does).  A libssl that is
 * not the bound one is told by route.c when it calls in.
 *
 * Looked at when the process connects an internet socket, and only when the
 * loader has loaded something since the last look: one dl_iterate_phdr
 * call that stops at the first object when nothing changed. */
#include "config.h"
#include "uncovered.h"
#include "elf_lookup.h"
#include "runtime.h"
#include <link.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* The loader's count of loaded objects at the last look (0: none yet). */
static _Atomic unsigned long long looked_at;

struct look {
    unsigned long long last, adds;
    int index;
    bool judgeable;            /* a libssl or the libgnutls pinshim can bind is loaded */
    struct loaded_object program;
    char what[256];
};

/* Whether `s` starts with `prefix`: most names differ within a few bytes,
 * and a program's first connection walks every loaded object's name. */
static inline bool starts(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++)
        if (*s != *prefix)
            return false;
    return true;
}

/* The library `name` (a file name) is, when pinshim cannot judge it. */
static const char *unjudgeable(const char *name)
{
    if (!starts(name, "lib"))
        return NULL;
    switch (name[3]) {
    case 's': return starts(name + 4, "sl3.so") && !name[10] ? "NSS" : NULL;
    case 'm': return starts(name + 4, "bedtls.so") ? "mbed TLS" : NULL;
    case 'w': return starts(name + 4, "olfssl.so") ? "wolfSSL" : NULL;
    case 'g': return starts(name + 4, "nutls.so.") && !(starts(name + 13, "30") && !name[15]) ? "GnuTLS" : NULL;
    default: return NULL;
    }
}

/* A libssl, or the libgnutls pinshim binds. */
static bool judgeable(const char *name)
{
    return starts(name, "libssl.so") || (starts(name, "libgnutls.so.30") && !name[15]);
}

static int visit(struct dl_phdr_info *info, size_t size, void *data)
{
    struct look *l = data;
    if (l->index++ == 0) {
        if (size < offsetof(struct dl_phdr_info, dlpi_subs))
            return 1; /* no counter: an old loader, nothing to compare */
        l->adds = info->dlpi_adds;
        if (l->adds == l->last)
            return 1;
        /* The first object is the program. */
        l->program.name = "";
        l->program.base = info->dlpi_addr;
        for (int i = 0; i < info->dlpi_phnum; i++)
            if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
                l->program.dynamic = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
        return 0;
    }
    const char *path = info->dlpi_name ? info->dlpi_name : "";
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    l->judgeable = l->judgeable || judgeable(name);
    const char *lib = l->what[0] ? NULL : unjudgeable(name);
    if (lib)
        snprintf(l->what, sizeof l->what, "%s (%s)", lib, path);
    return 0;
}

void uncovered_look(void)
{
    if (runtime_uncovered_told())
        return;
    struct look l;
    l.last = atomic_load_explicit(&looked_at, memory_order_relaxed);
    l.adds = 0;
    l.index = 0;
    l.judgeable = false;
    l.program.dynamic = NULL;
    l.what[0] = '\0';
    dl_iterate_phdr(visit, &l);
    if (l.adds == 0 || l.adds == l.last)
        return;
    atomic_store_explicit(&looked_at, l.adds, memory_order_relaxed);
    /* A program that links a libssl or libgnutls and also exports functions
     * of that name is not one worth the lookups (the one-shot client pays
     * for them); one that links neither and exports them has its own. */
    if (!l.what[0] && !l.judgeable && l.program.dynamic) {
        if (elf_object_defines(&l.program, "SSL_do_handshake", ELF_HASH_LITERAL("SSL_do_handshake")))
            snprintf(l.what, sizeof l.what, "an OpenSSL linked into the program");
        else if (elf_object_defines(&l.program, "gnutls_handshake", ELF_HASH_LITERAL("gnutls_handshake")))
            snprintf(l.what, sizeof l.what, "a GnuTLS linked into the program");
    }
    if (l.what[0])
        runtime_uncovered(l.what, false);
}
