/* GnuTLS's certificates for the neutral core (cert.h).  A certificate is
 * either one the peer presented (its DER, as gnutls_certificate_get_peers
 * hands it out, valid while the session lives) or one met on the verified
 * path while GnuTLS verified the chain (a copy of its DER, taken then:
 * GnuTLS frees those objects when verification returns).  Either way its
 * pin and expiry are read from the DER when first asked for. */
#ifndef PINSHIM_GNUTLS_CERT_H
#define PINSHIM_GNUTLS_CERT_H

#include <stdbool.h>
#include <time.h>
#include "cert.h"
#include "gnutls_api.h"

struct gnutls_cert {
    const unsigned char *der;   /* NULL: unreadable (no pin) */
    unsigned der_len;
    gnutls_x509_crt_t crt;      /* imported when first needed; freed by gnutls_cert_clear() */
    bool pin_known;
    int pin_rc;
    struct pin pin;
    time_t not_after;           /* 0: unknown yet (or unreadable) */
};

extern const struct cert_ops gnutls_cert_ops;

static inline const struct cert *gnutls_cert_ref(const struct gnutls_cert *c)
{
    return (const struct cert *)c;
}

/* A presented certificate. */
void gnutls_cert_of_der(struct gnutls_cert *c, const gnutls_datum_t *der);

/* A certificate met on the verified path: a copy of its DER, taken now (the
 * object is GnuTLS's and short-lived), freed by gnutls_cert_free_copy().
 * 0, or -1 when it cannot be read (then it has no pin). */
int gnutls_cert_of_crt(struct gnutls_cert *c, gnutls_x509_crt_t crt);
void gnutls_cert_free_copy(struct gnutls_cert *c);

/* The pin of a certificate's DER (SHA-256 of its SubjectPublicKeyInfo). */
int gnutls_pin_of_der(const unsigned char *der, size_t len, struct pin *out);

void gnutls_cert_clear(struct gnutls_cert *c);

/* The leaf certificate inside session data as libgnutls 3.7 packs it
 * (gnutls_session_get_data2): the packing's magic (0xfadebadd plus the
 * version, 3.7.x), its time and expiry, the credentials type (certificate),
 * the size of the certificate part, Diffie-Hellman numbers, the number of
 * certificates, then each one's length and DER.  0 with *der (pointing into
 * `data`) and *len set, or -1 when `data` is not shaped like that (another
 * packing, a session without a certificate): nothing is known of its leaf.
 * Pure. */
int gnutls_packed_session_leaf(const unsigned char *data, size_t size, const unsigned char **der, size_t *len);

#endif
