/* GnuTLS's answers about its certificates (gnutls_cert.h).  Pins are the
 * SHA-256 (gnutls_hash_fast) of the SubjectPublicKeyInfo found in the DER
 * (der.h), and expiry is read from the DER too: no object is made for those.
 * The rest (names, issuer links) imports the certificate once. */
#include "config.h"
#include "gnutls_cert.h"
#include "der.h"
#include <string.h>

static struct gnutls_cert *g(const struct cert *c)
{
    return (struct gnutls_cert *)c; /* NOLINT: ours, its cached answers are filled in lazily */
}

int gnutls_pin_of_der(const unsigned char *der, size_t len, struct pin *out)
{
    const unsigned char *spki;
    size_t spki_len;
    if (der_cert_spki(der, len, &spki, &spki_len) != 0)
        return -1;
    return gnu.gnutls_hash_fast(GNUTLS_DIG_SHA256, spki, spki_len, out->hash) == 0 ? 0 : -1;
}

void gnutls_cert_of_der(struct gnutls_cert *c, const gnutls_datum_t *der)
{
    memset(c, 0, sizeof *c);
    c->der = der->data;
    c->der_len = der->size;
}

int gnutls_cert_of_crt(struct gnutls_cert *c, gnutls_x509_crt_t crt)
{
    gnutls_datum_t der = { NULL, 0 };
    memset(c, 0, sizeof *c);
    if (gnu.gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) != 0)
        return -1;
    c->der = der.data;
    c->der_len = der.size;
    return 0;
}

void gnutls_cert_free_copy(struct gnutls_cert *c)
{
    gnutls_cert_clear(c);
    if (c->der)
        (*gnu.free_fn)((void *)c->der); /* NOLINT: our own copy, const only for the core */
    c->der = NULL;
}

static bool be32_at(const unsigned char *d, size_t size, size_t at, size_t *out)
{
    if (at > size || size - at < 4)
        return false;
    *out = (size_t)d[at] << 24 | (size_t)d[at + 1] << 16 | (size_t)d[at + 2] << 8 | (size_t)d[at + 3];
    return true;
}

int gnutls_packed_session_leaf(const unsigned char *data, size_t size, const unsigned char **der, size_t *len)
{
    const size_t magic_base = 0xfadebadd, v37 = 0x030700;
    size_t magic, part, n, at;
    const unsigned char *spki;
    size_t spki_len;

    /* magic, time, expiry; then the credentials type: 1, a certificate */
    if (!data || !be32_at(data, size, 0, &magic) || magic < magic_base + v37 || magic > magic_base + v37 + 0xff ||
        size < 13 || data[12] != GNUTLS_CRD_CERTIFICATE)
        return -1;
    /* the certificate part: its size, the DH key's bits, prime, generator,
     * public key (each length-prefixed), the number of certificates */
    if (!be32_at(data, size, 13, &part) || part > size - 17)
        return -1;
    size_t end = 17 + part;
    at = 21;
    for (int i = 0; i < 3; i++) {
        if (!be32_at(data, end, at, &n) || n > end - at - 4)
            return -1;
        at += 4 + n;
    }
    if (!be32_at(data, end, at, &n) || n == 0)
        return -1;
    at += 4;
    if (!be32_at(data, end, at, &n) || n == 0 || n > end - at - 4)
        return -1;
    at += 4;
    /* a certificate's own DER, and nothing around it */
    if (der_cert_spki(data + at, n, &spki, &spki_len) != 0)
        return -1;
    *der = data + at;
    *len = n;
    return 0;
}

void gnutls_cert_clear(struct gnutls_cert *c)
{
    if (c->crt)
        gnu.gnutls_x509_crt_deinit(c->crt);
    c->crt = NULL;
}

static gnutls_x509_crt_t crt_of(struct gnutls_cert *c)
{
    if (c->crt || !c->der)
        return c->crt;
    gnutls_datum_t d = { (unsigned char *)c->der, c->der_len }; /* NOLINT: GnuTLS's datum is not const */
    if (gnu.gnutls_x509_crt_init(&c->crt) != 0)
        return c->crt = NULL;
    if (gnu.gnutls_x509_crt_import(c->crt, &d, GNUTLS_X509_FMT_DER) != 0) {
        gnu.gnutls_x509_crt_deinit(c->crt);
        c->crt = NULL;
    }
    return c->crt;
}

static int op_pin(const struct cert *cc, struct pin *out)
{
    struct gnutls_cert *c = g(cc);
    if (!c->pin_known) {
        c->pin_rc = c->der ? gnutls_pin_of_der(c->der, c->der_len, &c->pin) : -1;
        c->pin_known = true;
    }
    if (c->pin_rc == 0)
        *out = c->pin;
    return c->pin_rc;
}

/* The memo's key: the SHA-1 of the whole certificate, as OpenSSL's (its
 * second-preimage resistance is what an identity needs). */
static int op_fingerprint(const struct cert *cc, unsigned char out[PIN_LEN])
{
    const struct gnutls_cert *c = g(cc);
    unsigned char md[20];
    if (!c->der || gnu.gnutls_hash_fast(GNUTLS_DIG_SHA1, c->der, c->der_len, md) != 0)
        return -1;
    memset(out, 0, PIN_LEN);
    memcpy(out, md, sizeof md);
    return 0;
}

static bool op_issued(const struct cert *child, const struct cert *parent)
{
    gnutls_x509_crt_t c = crt_of(g(child)), p = crt_of(g(parent));
    unsigned status = 0;
    if (!c || !p || gnu.gnutls_x509_crt_check_issuer(c, p) != 1)
        return false;
    /* The parent as the only trusted certificate: its key must verify the
     * child's signature (validity dates are not this question). */
    return gnu.gnutls_x509_crt_verify(c, &p, 1,
                                      GNUTLS_VERIFY_DISABLE_TIME_CHECKS | GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS |
                                          GNUTLS_VERIFY_ALLOW_ANY_X509_V1_CA_CRT,
                                      &status) == 0 &&
           status == 0;
}

static bool op_self_issued(const struct cert *cc)
{
    gnutls_x509_crt_t c = crt_of(g(cc));
    return c && gnu.gnutls_x509_crt_check_issuer(c, c) == 1;
}

static void dn_text(gnutls_x509_crt_t crt, bool issuer, char *out, size_t cap)
{
    gnutls_datum_t dn = { NULL, 0 };
    out[0] = '\0';
    int rc = issuer ? gnu.gnutls_x509_crt_get_issuer_dn3(crt, &dn, 0) : gnu.gnutls_x509_crt_get_dn3(crt, &dn, 0);
    if (rc != 0 || !dn.data)
        return;
    size_t n = dn.size < cap - 1 ? dn.size : cap - 1;
    memcpy(out, dn.data, n);
    out[n] = '\0';
    (*gnu.free_fn)(dn.data);
}

/* notAfter read from the DER when it has the usual form (importing the
 * certificate costs more than the rest of a resumed TLS 1.2 handshake);
 * GnuTLS's own reading otherwise. */
static time_t op_not_after(const struct cert *cc)
{
    struct gnutls_cert *c = g(cc);
    if (!c->not_after) {
        time_t t = (time_t)-1;
        if (!c->der || der_cert_not_after(c->der, c->der_len, &t) != 0) {
            gnutls_x509_crt_t crt = crt_of(c);
            t = crt ? gnu.gnutls_x509_crt_get_expiration_time(crt) : (time_t)-1;
        }
        c->not_after = t == (time_t)-1 ? 0 : t;
    }
    return c->not_after;
}

static void op_describe(const struct cert *cc, struct cert_info *out)
{
    gnutls_x509_crt_t crt = crt_of(g(cc));
    out->subject[0] = out->issuer[0] = out->not_after[0] = '\0';
    if (!crt)
        return;
    dn_text(crt, false, out->subject, sizeof out->subject);
    dn_text(crt, true, out->issuer, sizeof out->issuer);
    time_t t = op_not_after(cc);
    struct tm tm;
    if (t && gmtime_r(&t, &tm))
        strftime(out->not_after, sizeof out->not_after, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

const struct cert_ops gnutls_cert_ops = {
    .pin = op_pin,
    .fingerprint = op_fingerprint,
    .issued = op_issued,
    .self_issued = op_self_issued,
    .describe = op_describe,
    .not_after = op_not_after,
};
