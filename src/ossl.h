/* The OpenSSL functions pinshim calls, as one table of pointers.
 *
 * The preload library must not link libssl or libcrypto (DESIGN 6): a library
 * linked to libcrypto.so.3 and loaded into an OpenSSL 1.1.1 program would hand
 * 1.1.1 objects to 3.x code.  So every OpenSSL call in the shared code goes
 * through `ossl`, which the library fills at run time from the libssl the
 * program already uses (ossl_runtime.c) and the command and the unit tests fill
 * from the OpenSSL they link (ossl_linked.c).  Only functions whose ABI is the
 * same in 1.1.1 and 3.x are listed; the few that differ by name or shape have
 * their own members with a comment. */
#ifndef PINSHIM_OSSL_H
#define PINSHIM_OSSL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/evp.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>
#include <openssl/sha.h>

/* The functions whose shape is the same in 1.1.1 and 3.x and that every
 * supported libssl has: the binding fails without any of them.  One list,
 * read by the table below and by both bindings. */
#define OSSL_REQUIRED_FUNCTIONS(X)                                                                    \
    /* the calls the library interposes: the real ones */                                            \
    X(SSL_connect) X(SSL_do_handshake) X(SSL_read) X(SSL_write) X(SSL_read_ex) X(SSL_write_ex)       \
    X(SSL_peek) X(SSL_peek_ex) X(SSL_write_early_data) X(SSL_clear)                        \
    X(SSL_set_info_callback) X(SSL_get_info_callback) X(SSL_CTX_set_cert_verify_callback)             \
    X(X509_verify_cert) X(X509_STORE_CTX_set_default) X(X509_VERIFY_PARAM_move_peername)            \
    /* libssl: state and peer of a connection */                                                     \
    X(SSL_is_server) X(SSL_is_init_finished) X(SSL_in_before) X(SSL_get_servername)                  \
    X(SSL_get0_peername) X(SSL_get_fd) X(SSL_get_rbio) X(SSL_get_verify_result)    \
    X(SSL_set_verify_result) X(SSL_get0_verified_chain) X(SSL_get_peer_cert_chain)                   \
    X(SSL_session_reused) X(SSL_get_ex_data) X(SSL_set_ex_data) X(SSL_get_verify_mode)               \
    X(SSL_get_verify_callback) X(SSL_set_verify) X(SSL_set_shutdown) X(SSL_get_session)              \
    X(SSL_set_session) X(SSL_SESSION_get0_peer) X(SSL_SESSION_is_resumable) X(SSL_get_SSL_CTX)       \
    X(SSL_CTX_get_info_callback) X(SSL_CTX_get_ex_data) X(SSL_CTX_set_ex_data)                       \
    X(SSL_get_ex_data_X509_STORE_CTX_idx) X(OpenSSL_version) X(SSL_ctrl) X(SSL_get_ciphers)           \
    X(SSL_CIPHER_get_auth_nid) X(SSL_get_security_callback) X(SSL_set_security_callback)             \
    X(SSL_get_security_level)                                                                        \
    /* libcrypto: verification in progress */                                                        \
    X(X509_STORE_CTX_get_ex_data) X(X509_STORE_CTX_set_ex_data) X(X509_STORE_CTX_get_verify_cb)      \
    X(X509_STORE_CTX_set_verify_cb) X(X509_STORE_CTX_get_error) X(X509_STORE_CTX_set_error)          \
    X(X509_STORE_CTX_get0_cert) X(X509_STORE_CTX_get0_untrusted) X(X509_STORE_CTX_get0_chain)        \
    X(X509_STORE_CTX_get0_param) X(X509_VERIFY_PARAM_get0_peername)                                  \
    /* libcrypto: certificates, keys, hashes, errors */                                              \
    X(CRYPTO_get_ex_new_index) X(OPENSSL_sk_num) X(OPENSSL_sk_value) X(X509_get_X509_PUBKEY)         \
    X(i2d_X509_PUBKEY) X(X509_PUBKEY_get0_param) X(X509_ALGOR_get0) X(OBJ_length) X(OBJ_get0_data)   \
    X(X509_check_issued) X(X509_check_purpose) X(X509_verify) X(X509_get0_pubkey) X(X509_digest)     \
    X(X509_get_subject_name) X(X509_get_issuer_name) X(X509_NAME_print_ex) X(X509_get0_notAfter)     \
    X(ASN1_TIME_to_tm) X(X509_free) X(BIO_new) X(BIO_s_mem) X(BIO_ctrl) X(BIO_free) X(EVP_Digest)     \
    X(EVP_sha256) X(EVP_sha1) X(ERR_set_mark) X(ERR_pop_to_mark) X(ERR_clear_error)

/* A declaration, not an expression: the name cannot be parenthesised. */
#define OSSL_FN(name) __typeof__(name) *name; /* NOLINT(bugprone-macro-parentheses) */

struct ossl_api {
    OSSL_REQUIRED_FUNCTIONS(OSSL_FN)

    /* SSL_get1_peer_certificate in 3.x, SSL_get_peer_certificate in 1.1.1. */
    X509 *(*SSL_get1_peer_cert)(const SSL *);
    /* 3.x only; NULL in 1.1.1 (then SSL_get0_peername is the fallback). */
    OSSL_FN(X509_VERIFY_PARAM_get0_host)
    /* 3.x only (kernel TLS); NULL in 1.1.1.  ssize_t: 3.x's ossl_ssize_t. */
    ssize_t (*SSL_sendfile)(SSL *s, int fd, off_t offset, size_t size, int flags);

    /* SHA-256 without EVP: no provider fetch and no allocation per hash
     * (EVP_Digest costs ~10k instructions for a 91-byte key in 3.0).  Exported
     * by 1.1.1 and 3.x (deprecated there, not gone); NULL: EVP_Digest. */
    int (*SHA256_Init)(SHA256_CTX *c);
    int (*SHA256_Update)(SHA256_CTX *c, const void *data, size_t len);
    int (*SHA256_Final)(unsigned char *md, SHA256_CTX *c);

    /* Pushing an error: ERR_new + ERR_set_debug + ERR_set_error in 3.x,
     * ERR_put_error (a macro name in 3.x headers, hence _fn) + ERR_add_error_data in 1.1.1.  Either trio may be NULL. */
    void (*ERR_new)(void);
    void (*ERR_set_debug)(const char *file, int line, const char *func);
    void (*ERR_set_error)(int lib, int reason, const char *fmt, ...);
    void (*ERR_put_error_fn)(int lib, int func, int reason, const char *file, int line);
    void (*ERR_add_error_data)(int num, ...);
};

extern struct ossl_api ossl;

/* Fill `ossl` from the OpenSSL this program was linked with (command, tests). */
void ossl_bind_linked(void);

/* The address ranges of the bound libssl and of its libcrypto (their calls
 * into an interposed function are libssl's own, route.c), and the
 * library's own. */
struct ossl_ranges {
    uintptr_t ssl_lo, ssl_hi, crypto_lo, crypto_hi, self_lo, self_hi;
    const char *ssl_soname, *crypto_soname;   /* in the libraries' own tables; NULL: unknown */
};

/* Fill `ossl` from the libssl already loaded in this process.  `self` is any
 * address inside the caller's object, so that a lookup that finds the shim's
 * own wrappers is refused.  Returns 0; -2 when no libssl is loaded (yet); -1
 * when the one loaded cannot be bound; both with a reason in `why` (then
 * `ranges` still holds the library's own range). */
int ossl_bind_runtime(const void *self, struct ossl_ranges *ranges, char *why, size_t whylen);

#endif
