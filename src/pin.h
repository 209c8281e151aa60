/* A pin: the SHA-256 of a DER SubjectPublicKeyInfo, written `sha256/BASE64`. */
#ifndef PINSHIM_PIN_H
#define PINSHIM_PIN_H

#include <stddef.h>
#include <openssl/x509.h>

#define PIN_LEN 32
/* "sha256/" + 44 base64 characters + NUL */
#define PIN_TEXT_MAX 52

struct pin {
    unsigned char hash[PIN_LEN];
};

/* Parse `sha256/B64` or `sha256//B64` (curl's form).  Returns 0, or -1 with a
 * human reason in `why` (static text). */
int pin_parse(const char *text, struct pin *out, const char **why);

/* Format as `sha256/B64` into `out` (PIN_TEXT_MAX bytes). */
void pin_format(const struct pin *p, char out[PIN_TEXT_MAX]);

/* The pin of a DER SubjectPublicKeyInfo. */
int pin_of_spki_der(const unsigned char *der, size_t len, struct pin *out);

/* The pin of a certificate's public key.  Returns 0 or -1. */
int pin_of_cert(X509 *cert, struct pin *out);

/* The identity of one certificate: its SHA-1 (the digest OpenSSL 3.x already
 * holds for it), zero-padded to PIN_LEN bytes. */
int cert_fingerprint(X509 *cert, unsigned char out[PIN_LEN]);

#endif
