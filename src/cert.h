/* A certificate as the library-neutral core sees it (DESIGN 12): a handle of
 * the TLS library that holds it (OpenSSL's X509, a GnuTLS certificate) and
 * that library's answers about it.  The judgement, the memo, the reports and
 * trust on first use name no TLS library: each backend hands them its
 * certificates with a `struct cert_ops` (ossl_cert.h for OpenSSL). */
#ifndef PINSHIM_CERT_H
#define PINSHIM_CERT_H

#include <stdbool.h>
#include <time.h>
#include "pin.h"

/* Never defined: each backend casts its own certificate type to it. */
struct cert;

struct cert_info {
    char subject[512];
    char issuer[512];
    char pin[PIN_TEXT_MAX];
    char not_after[32];      /* RFC 3339, or empty when unreadable */
};

struct cert_ops {
    /* The pin of the certificate's SubjectPublicKeyInfo: 0, or -1. */
    int (*pin)(const struct cert *c, struct pin *out);
    /* Its identity for the resumption memo: a digest of the whole
     * certificate (second-preimage resistant), zero-padded: 0, or -1. */
    int (*fingerprint)(const struct cert *c, unsigned char out[PIN_LEN]);
    /* Did `parent` issue `child`: its names (or key ids) match and its key
     * verifies the child's signature. */
    bool (*issued)(const struct cert *child, const struct cert *parent);
    /* Self-issued (names match): a chain ends there. */
    bool (*self_issued)(const struct cert *c);
    /* Subject and issuer (RFC 2253 text) and notAfter (RFC 3339) into `out`;
     * the pin is not touched. */
    void (*describe)(const struct cert *c, struct cert_info *out);
    /* notAfter as a time; 0 when unreadable. */
    time_t (*not_after)(const struct cert *c);
};

#endif
