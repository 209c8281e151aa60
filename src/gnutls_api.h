/* The GnuTLS functions pinshim calls, as one table of pointers, like ossl.h
 * for OpenSSL: the library links no TLS library (DESIGN 6); `gnu` is filled
 * at run time from the libgnutls the program has loaded (gnutls_bind.c).
 * GnuTLS 3.7 (Debian 12's libgnutls30); the headers are only for the types. */
#ifndef PINSHIM_GNUTLS_API_H
#define PINSHIM_GNUTLS_API_H

#include <stdbool.h>
#include <stdint.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>

#define GNUTLS_REQUIRED_FUNCTIONS(X)                                                                  \
    /* the calls the library interposes: the real ones */                                            \
    X(gnutls_init) X(gnutls_deinit) X(gnutls_credentials_set) X(gnutls_handshake)                    \
    X(gnutls_certificate_set_verify_function) X(gnutls_session_set_verify_function)                 \
    X(gnutls_session_set_verify_output_function) X(gnutls_session_set_verify_cert)                  \
    X(gnutls_session_set_verify_cert2) X(gnutls_certificate_verify_peers)                           \
    X(gnutls_certificate_verify_peers2) X(gnutls_certificate_verify_peers3)                         \
    X(gnutls_session_get_verify_cert_status) X(gnutls_record_send) X(gnutls_record_send2)           \
    X(gnutls_record_send_range) X(gnutls_record_recv) X(gnutls_record_recv_seq)                     \
    X(gnutls_record_recv_packet) X(gnutls_record_uncork) X(gnutls_record_send_early_data)           \
    X(gnutls_server_name_set) X(gnutls_session_set_data)                                             \
    /* a session: its peer, its name, its state */                                                   \
    X(gnutls_certificate_get_peers) X(gnutls_certificate_type_get) X(gnutls_session_is_resumed)      \
    X(gnutls_transport_get_int) X(gnutls_check_version)                   \
    X(gnutls_session_get_flags) X(gnutls_credentials_get) X(gnutls_error_is_fatal)                   \
    X(gnutls_certificate_free_credentials) X(gnutls_certificate_get_ours) X(gnutls_session_get_random) \
    /* certificates */                                                                               \
    X(gnutls_x509_crt_init) X(gnutls_x509_crt_deinit) X(gnutls_x509_crt_import)                      \
    X(gnutls_x509_crt_get_dn3) X(gnutls_x509_crt_get_issuer_dn3)                                     \
    X(gnutls_x509_crt_get_expiration_time) X(gnutls_x509_crt_check_issuer) X(gnutls_x509_crt_verify) \
    X(gnutls_x509_crt_export2) X(gnutls_pubkey_init) X(gnutls_pubkey_deinit)                         \
    X(gnutls_pubkey_import_x509) X(gnutls_pubkey_export2) X(gnutls_hash_fast)

#define GNUTLS_FN(name) __typeof__(name) *name; /* NOLINT(bugprone-macro-parentheses) */

struct gnutls_api {
    GNUTLS_REQUIRED_FUNCTIONS(GNUTLS_FN)
    /* Optional: 3.7 has it, for KTLS; NULL when absent. */
    ssize_t (*gnutls_record_send_file)(gnutls_session_t session, int fd, off_t *offset, size_t count);
    /* A variable in libgnutls (the allocator's free), not a function. */
    gnutls_free_function *free_fn;
};

extern struct gnutls_api gnu;

/* Fill `gnu` from the libgnutls loaded in this process.  `self`: an address
 * inside the library itself (a lookup that finds our own wrapper is refused).
 * 0; -2 when no libgnutls is loaded; -1 when the one loaded lacks a function
 * (`why` says which).  `version` receives "gnutls 3.7.9". */
int gnutls_bind_runtime(const void *self, char *version, size_t vlen, char *why, size_t whylen);

#endif
