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
#include <dlfcn.h>
#include <link.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct ossl_api ossl;

static const char *const libssl_names[] = { "libssl.so.3", "libssl.so.1.1", "libssl.so" };

/* The address range of the loaded object that holds `addr`, found by walking
 * the loaded objects' program headers once: dladdr() per symbol searched the
 * whole symbol table of libcrypto for each and cost 2 ms per process (issue 6). */
struct range {
    uintptr_t addr, lo, hi;
};

static int find_range(struct dl_phdr_info *info, size_t size, void *data)
{
    struct range *r = data;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    bool holds = false;
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t a = info->dlpi_addr + ph->p_vaddr, b = a + ph->p_memsz;
        holds = holds || (r->addr >= a && r->addr < b);
        lo = a < lo ? a : lo;
        hi = b > hi ? b : hi;
    }
    if (!holds)
        return 0;
    r->lo = lo;
    r->hi = hi;
    return 1;
}

static bool range_of(const void *addr, uintptr_t *lo, uintptr_t *hi)
{
    struct range r = { (uintptr_t)addr, 0, 0 };
    if (!addr || dl_iterate_phdr(find_range, &r) == 0)
        return false;
    *lo = r.lo;
    *hi = r.hi;
    return true;
}

static int is_self(const void *sym, const struct ossl_ranges *own)
{
    return sym && (uintptr_t)sym >= own->self_lo && (uintptr_t)sym < own->self_hi;
}

static void *find_libssl(const struct ossl_ranges *self, char *why, size_t whylen)
{
    void *sym = dlsym(RTLD_NEXT, "SSL_get_verify_result");
    if (sym && !is_self(sym, self)) {
        Dl_info info;
        if (dladdr(sym, &info) && info.dli_fname) {
            void *h = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
            if (h)
                return h;
        }
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

int ossl_bind_runtime(const void *self_address, struct ossl_ranges *ranges, char *why, size_t whylen)
{
    memset(ranges, 0, sizeof *ranges);
    if (!range_of(self_address, &ranges->self_lo, &ranges->self_hi)) {
        snprintf(why, whylen, "cannot find the library's own mapping");
        return -1;
    }
    const struct ossl_ranges *self = ranges;
    void *h = find_libssl(self, why, whylen);
    const char *missing = NULL;
    if (!h)
        return -1;

#define OPTIONAL(member, name) (ossl.member = (__typeof__(ossl.member))dlsym(h, name))
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
    if (!range_of((const void *)ossl.SSL_connect, &ranges->ssl_lo, &ranges->ssl_hi) ||
        !range_of((const void *)ossl.X509_verify_cert, &ranges->crypto_lo, &ranges->crypto_hi)) {
        snprintf(why, whylen, "cannot find libssl's mapping");
        memset(&ossl, 0, sizeof ossl);
        return -1;
    }
    return 0;
}
