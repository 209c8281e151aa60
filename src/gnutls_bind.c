/* `gnu` bound at run time to the libgnutls the program has loaded (only in
 * processes that have one: a GnuTLS client, or a program whose libcurl is
 * libcurl-gnutls).  The functions are read from libgnutls's own symbol table
 * (elf_lookup.h), never taken from the global scope, where the names are
 * pinshim's own wrappers. */
#include "config.h"
#include "gnutls_api.h"
#include "elf_lookup.h"
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gnutls_api gnu;

static const char *const libgnutls_names[] = { "libgnutls.so.30" };

static bool inside(const void *p, const struct loaded_object *o)
{
    return o && (uintptr_t)p >= o->lo && (uintptr_t)p < o->hi;
}

int gnutls_bind_runtime(const void *self, char *version, size_t vlen, char *why, size_t whylen)
{
    struct loaded_set *set = malloc(sizeof *set);
    if (!set) {
        snprintf(why, whylen, "no memory");
        return -1;
    }
    loaded_snapshot(set);
    const struct loaded_object *own = loaded_holding(set, self);
    void *h = NULL;
    for (size_t i = 0; i < sizeof libgnutls_names / sizeof libgnutls_names[0] && !h; i++)
        h = dlopen(libgnutls_names[i], RTLD_LAZY | RTLD_NOLOAD);
    if (!h) {
        free(set);
        snprintf(why, whylen, "no libgnutls is loaded in this process");
        return -2;
    }
    struct elf_scope scope;
    elf_scope_open(h, set, NULL, &scope); /* on failure, lookups are dlsym's */
    struct gnutls_api t;
    const char *missing = NULL;
    memset(&t, 0, sizeof t);
#define LOOKUP(name) elf_scope_lookup_hashed(&scope, name, ELF_HASH_LITERAL(name))
#define REQ(name)                                                                  \
    do {                                                                           \
        t.name = (__typeof__(t.name))LOOKUP(#name);                                \
        if ((!t.name || inside((const void *)t.name, own)) && !missing)            \
            missing = #name;                                                       \
    } while (0);
    GNUTLS_REQUIRED_FUNCTIONS(REQ)
    t.gnutls_record_send_file = (__typeof__(t.gnutls_record_send_file))LOOKUP("gnutls_record_send_file");
    if (inside((const void *)t.gnutls_record_send_file, own))
        t.gnutls_record_send_file = NULL;
    t.free_fn = (gnutls_free_function *)LOOKUP("gnutls_free");
#undef REQ
#undef LOOKUP
    free(set);
    if (!missing && !t.free_fn)
        missing = "gnutls_free";
    if (missing) {
        snprintf(why, whylen, "libgnutls lacks %s", missing);
        return -1; /* the handle stays open: nothing else would use it */
    }
    const char *v = t.gnutls_check_version(NULL);
    snprintf(version, vlen, "gnutls %s", v ? v : "?");
    gnu = t;
    return 0;
}
