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

/* Our own object's address range, to tell a lookup that lands in it (the
 * wrappers: calling one would recurse forever).  Found once by walking the
 * loaded objects' program headers: dladdr() per symbol searched the whole
 * symbol table of libcrypto for each and cost 2 ms per process (issue 6). */
struct range {
    uintptr_t self, lo, hi;
};

static int find_own_range(struct dl_phdr_info *info, size_t size, void *data)
{
    struct range *r = data;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    bool mine = false;
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t a = info->dlpi_addr + ph->p_vaddr, b = a + ph->p_memsz;
        mine = mine || (r->self >= a && r->self < b);
        lo = a < lo ? a : lo;
        hi = b > hi ? b : hi;
    }
    if (!mine)
        return 0;
    r->lo = lo;
    r->hi = hi;
    return 1;
}

static int is_self(const void *sym, const struct range *own)
{
    return sym && (uintptr_t)sym >= own->lo && (uintptr_t)sym < own->hi;
}

static void *find_libssl(const struct range *self, char *why, size_t whylen)
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

int ossl_bind_runtime(const void *self_address, char *why, size_t whylen)
{
    struct range own = { (uintptr_t)self_address, 0, 0 };
    const struct range *self = &own;
    if (dl_iterate_phdr(find_own_range, &own) == 0) {
        snprintf(why, whylen, "cannot find the library's own mapping");
        return -1;
    }
    void *h = find_libssl(self, why, whylen);
    const char *missing = NULL;
    if (!h)
        return -1;

#define OPTIONAL(member, name) (ossl.member = (__typeof__(ossl.member))dlsym(h, name))
#define REQUIRED(member, name) \
    do { if (!OPTIONAL(member, name) || is_self((const void *)ossl.member, self)) \
             if (!missing) missing = name; } while (0)
#define REQ(name) REQUIRED(name, #name)

    REQ(SSL_connect);
    REQ(SSL_do_handshake);
    REQ(SSL_read);
    REQ(SSL_write);
    REQ(SSL_read_ex);
    REQ(SSL_write_ex);
    REQ(SSL_peek);
    REQ(SSL_peek_ex);
    REQ(SSL_is_server);
    REQ(SSL_is_init_finished);
    REQ(SSL_in_before);
    REQ(SSL_get_servername);
    REQ(SSL_get0_peername);
    REQ(SSL_get0_param);
    REQ(SSL_get_fd);
    REQ(SSL_get_verify_result);
    REQ(SSL_set_verify_result);
    REQ(SSL_get0_verified_chain);
    REQ(SSL_get_peer_cert_chain);
    REQ(SSL_session_reused);
    REQ(SSL_get_ex_data);
    REQ(SSL_set_ex_data);
    REQ(SSL_get_version);
    if (!OPTIONAL(SSL_get1_peer_cert, "SSL_get1_peer_certificate"))
        REQUIRED(SSL_get1_peer_cert, "SSL_get_peer_certificate");
    OPTIONAL(X509_VERIFY_PARAM_get0_host, "X509_VERIFY_PARAM_get0_host");

    REQ(CRYPTO_get_ex_new_index);
    REQ(OPENSSL_sk_num);
    REQ(OPENSSL_sk_value);
    REQ(X509_get_X509_PUBKEY);
    REQ(i2d_X509_PUBKEY);
    REQ(i2d_X509);
    REQ(X509_check_issued);
    REQ(X509_verify);
    REQ(X509_get0_pubkey);
    REQ(X509_get_subject_name);
    REQ(X509_get_issuer_name);
    REQ(X509_NAME_print_ex);
    REQ(X509_get0_notAfter);
    REQ(ASN1_TIME_to_tm);
    REQ(X509_free);
    REQ(BIO_new);
    REQ(BIO_s_mem);
    REQ(BIO_ctrl);
    REQ(BIO_free);
    REQ(EVP_Digest);
    REQ(EVP_sha256);
    REQ(EVP_EncodeBlock);
    REQ(EVP_DecodeBlock);
    REQ(ERR_peek_error);
    REQ(ERR_set_mark);
    REQ(ERR_pop_to_mark);
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
        return -1;
    }
    return 0;
}
