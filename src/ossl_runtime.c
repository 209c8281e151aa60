/* `ossl` bound at run time to the libssl the host program already uses.
 *
 * Order (DESIGN 6, 9): dlsym(RTLD_NEXT) finds libssl when it is in the global
 * scope (curl, openssl, socat); Python loads _ssl RTLD_LOCAL, so RTLD_NEXT finds
 * nothing and the libssl already in the process is opened with RTLD_NOLOAD.
 * Every other symbol, libcrypto's included, is then taken from that libssl's
 * own handle, whose lookup scope is libssl and its dependencies: the libcrypto
 * that libssl itself uses, never another version. */
#include "config.h"
#include "ossl.h"
#include "elf_lookup.h"
#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct ossl_api ossl;

static const char *const libssl_names[] = { "libssl.so.3", "libssl.so.1.1", "libssl.so" };

static int bind_from(const struct loaded_set *set, const void *self_address, struct ossl_ranges *ranges,
                     char *why, size_t whylen);

static int is_self(const void *sym, const struct ossl_ranges *own)
{
    return sym && (uintptr_t)sym >= own->self_lo && (uintptr_t)sym < own->self_hi;
}

static void *find_libssl(const struct loaded_set *set, const struct ossl_ranges *self, char *why, size_t whylen)
{
    void *sym = dlsym(RTLD_NEXT, "SSL_get_verify_result");
    if (sym && !is_self(sym, self)) {
        const struct loaded_object *o = loaded_holding(set, sym);
        void *h = o && o->name[0] ? dlopen(o->name, RTLD_LAZY | RTLD_NOLOAD) : NULL;
        if (h)
            return h;
    }
    for (size_t i = 0; i < sizeof libssl_names / sizeof libssl_names[0]; i++) {
        void *h = dlopen(libssl_names[i], RTLD_LAZY | RTLD_NOLOAD);
        if (!h)
            continue;
        sym = dlsym(h, "SSL_get_verify_result");
        if (sym && !is_self(sym, self))
            return h;
        dlclose(h);
    }
    snprintf(why, whylen, "no libssl is loaded in this process");
    return NULL;
}

/* The range of the object holding `addr` into lo/hi; false: none. */
static bool range_of(const struct loaded_set *set, const void *addr, uintptr_t *lo, uintptr_t *hi)
{
    const struct loaded_object *o = loaded_holding(set, addr);
    if (!o)
        return false;
    *lo = o->lo;
    *hi = o->hi;
    return true;
}

int ossl_bind_runtime(const void *self_address, struct ossl_ranges *ranges, char *why, size_t whylen)
{
    memset(ranges, 0, sizeof *ranges);
    /* One walk of the loaded objects answers every question below. */
    struct loaded_set *set = malloc(sizeof *set);
    if (!set) {
        snprintf(why, whylen, "no memory");
        return -1;
    }
    loaded_snapshot(set);
    int rc = bind_from(set, self_address, ranges, why, whylen);
    free(set);
    return rc;
}

static int bind_from(const struct loaded_set *set, const void *self_address, struct ossl_ranges *ranges,
                     char *why, size_t whylen)
{
    if (!range_of(set, self_address, &ranges->self_lo, &ranges->self_hi)) {
        snprintf(why, whylen, "cannot find the library's own mapping");
        return -1;
    }
    const struct ossl_ranges *self = ranges;
    void *h = find_libssl(set, self, why, whylen);
    const char *missing = NULL;
    struct elf_scope scope;
    if (!h)
        return -2;
    elf_scope_open(h, set, "libcrypto.so", &scope); /* on failure, lookups are dlsym's */

#define OPTIONAL(member, name) \
    (ossl.member = (__typeof__(ossl.member))elf_scope_lookup_hashed(&scope, name, ELF_HASH_LITERAL(name)))
#define REQUIRED(member, name) \
    do { if (!OPTIONAL(member, name) || is_self((const void *)ossl.member, self)) \
             if (!missing) missing = name; } while (0)
#define REQ(name) REQUIRED(name, #name);

    OSSL_REQUIRED_FUNCTIONS(REQ)
    if (!OPTIONAL(SSL_get1_peer_cert, "SSL_get1_peer_certificate"))
        REQUIRED(SSL_get1_peer_cert, "SSL_get_peer_certificate");
    OPTIONAL(X509_VERIFY_PARAM_get0_host, "X509_VERIFY_PARAM_get0_host");
    if (OPTIONAL(SSL_sendfile, "SSL_sendfile") && is_self((const void *)ossl.SSL_sendfile, self))
        ossl.SSL_sendfile = NULL;
    if (!OPTIONAL(SHA256_Init, "SHA256_Init") || !OPTIONAL(SHA256_Update, "SHA256_Update") ||
        !OPTIONAL(SHA256_Final, "SHA256_Final"))
        ossl.SHA256_Init = NULL;

    OPTIONAL(ERR_new, "ERR_new");
    OPTIONAL(ERR_set_debug, "ERR_set_debug");
    OPTIONAL(ERR_set_error, "ERR_set_error");
    if (!ossl.ERR_new || !ossl.ERR_set_debug || !ossl.ERR_set_error) {
        ossl.ERR_new = NULL;
        REQUIRED(ERR_put_error_fn, "ERR_put_error");
        REQUIRED(ERR_add_error_data, "ERR_add_error_data");
    }
#undef REQ
#undef REQUIRED
#undef OPTIONAL
    /* The handle stays open: libssl is in use by the program for its lifetime. */
    if (missing) {
        snprintf(why, whylen, "libssl lacks %s", missing);
        memset(&ossl, 0, sizeof ossl);
        return -1;
    }
    ranges->ssl_soname = scope.n > 0 ? scope.objects[0].soname : NULL;
    ranges->crypto_soname = scope.n > 1 ? scope.objects[1].soname : NULL;
    if (!range_of(set, (const void *)ossl.SSL_connect, &ranges->ssl_lo, &ranges->ssl_hi) ||
        !range_of(set, (const void *)ossl.X509_verify_cert, &ranges->crypto_lo, &ranges->crypto_hi)) {
        snprintf(why, whylen, "cannot find libssl's mapping");
        memset(&ossl, 0, sizeof ossl);
        return -1;
    }
    return 0;
}
