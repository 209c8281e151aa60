/* OpenSSL's certificates for the neutral core (cert.h): an X509 * is passed
 * as a `struct cert *` with these operations. */
#ifndef PINSHIM_OSSL_CERT_H
#define PINSHIM_OSSL_CERT_H

#include <stddef.h>
#include <openssl/x509.h>
#include "cert.h"

extern const struct cert_ops ossl_cert_ops;

static inline const struct cert *ossl_cert(const X509 *c)
{
    return (const struct cert *)c;
}

static inline X509 *ossl_x509(const struct cert *c)
{
    return (X509 *)c; /* NOLINT: the certificate is OpenSSL's; its calls take no const */
}

/* The pin of a DER SubjectPublicKeyInfo (SHA-256 from libcrypto). */
int pin_of_spki_der(const unsigned char *der, size_t len, struct pin *out);

/* The pin of a certificate's public key.  Returns 0 or -1. */
int pin_of_cert(X509 *cert, struct pin *out);

/* The identity of one certificate: its SHA-1 (the digest OpenSSL 3.x already
 * holds for it), zero-padded to PIN_LEN bytes. */
int cert_fingerprint(X509 *cert, unsigned char out[PIN_LEN]);

#endif
