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
#include <time.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/evp.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/sha.h>

/* A declaration, not an expression: the name cannot be parenthesised. */
#define OSSL_FN(name) __typeof__(name) *name /* NOLINT(bugprone-macro-parentheses) */

struct ossl_api {
    /* The calls the shim interposes: the real ones. */
    OSSL_FN(SSL_connect);
    OSSL_FN(SSL_do_handshake);
    OSSL_FN(SSL_read);
    OSSL_FN(SSL_write);
    OSSL_FN(SSL_read_ex);
    OSSL_FN(SSL_write_ex);
    OSSL_FN(SSL_peek);
    OSSL_FN(SSL_peek_ex);

    /* libssl: state and peer of a connection. */
    OSSL_FN(SSL_is_server);
    OSSL_FN(SSL_is_init_finished);
    OSSL_FN(SSL_in_before);
    OSSL_FN(SSL_get_servername);
    OSSL_FN(SSL_get0_peername);
    OSSL_FN(SSL_get0_param);
    OSSL_FN(SSL_get_fd);
    OSSL_FN(SSL_get_verify_result);
    OSSL_FN(SSL_set_verify_result);
    OSSL_FN(SSL_get0_verified_chain);
    OSSL_FN(SSL_get_peer_cert_chain);
    OSSL_FN(SSL_session_reused);
    OSSL_FN(SSL_get_ex_data);
    OSSL_FN(SSL_set_ex_data);
    OSSL_FN(SSL_get_version);
    /* SSL_get1_peer_certificate in 3.x, SSL_get_peer_certificate in 1.1.1. */
    X509 *(*SSL_get1_peer_cert)(const SSL *);
    /* 3.x only; NULL in 1.1.1 (then SSL_get0_peername is the fallback). */
    OSSL_FN(X509_VERIFY_PARAM_get0_host);

    /* libcrypto */
    OSSL_FN(CRYPTO_get_ex_new_index);
    OSSL_FN(OPENSSL_sk_num);
    OSSL_FN(OPENSSL_sk_value);
    OSSL_FN(X509_get_X509_PUBKEY);
    OSSL_FN(i2d_X509_PUBKEY);
    OSSL_FN(i2d_X509);
    OSSL_FN(X509_check_issued);
    OSSL_FN(X509_verify);
    OSSL_FN(X509_get0_pubkey);
    OSSL_FN(X509_get_subject_name);
    OSSL_FN(X509_get_issuer_name);
    OSSL_FN(X509_NAME_print_ex);
    OSSL_FN(X509_get0_notAfter);
    OSSL_FN(ASN1_TIME_to_tm);
    OSSL_FN(X509_free);
    OSSL_FN(BIO_new);
    OSSL_FN(BIO_s_mem);
    OSSL_FN(BIO_ctrl);
    OSSL_FN(BIO_free);
    OSSL_FN(EVP_Digest);
    OSSL_FN(EVP_sha256);
    OSSL_FN(EVP_EncodeBlock);
    OSSL_FN(EVP_DecodeBlock);
    OSSL_FN(ERR_peek_error);
    OSSL_FN(ERR_set_mark);
    OSSL_FN(ERR_pop_to_mark);

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

/* Fill `ossl` from the libssl already loaded in this process.  `self` is any
 * address inside the caller's object, so that a lookup that finds the shim's
 * own wrappers is refused.  Returns 0, or -1 with a reason in `why`. */
int ossl_bind_runtime(const void *self, char *why, size_t whylen);

#endif
