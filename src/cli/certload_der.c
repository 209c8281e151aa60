/* DER input: one object after another, each tried with every parser of the
 * table below in its order (certificate, CSR, SubjectPublicKeyInfo, private
 * keys, PKCS#1 RSA public key, PKCS#7; a PKCS#12 archive is named and
 * refused).  A parser must consume a whole object. */
#include "config.h"
#include "certload_int.h"
#include <sysexits.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

/* A parser: the object at *pp (len bytes left) parsed, added and *pp
 * advanced past it (CERTLOAD_OK), -1 when it is not of this kind, or an
 * error.  `type` is the table's (traditional private keys: EVP_PKEY_*). */
typedef int der_try(struct reader *r, const unsigned char **pp, long len, int type);

static int der_cert(struct reader *r, const unsigned char **pp, long len, int type)
{
    const unsigned char *p = *pp;
    X509 *cert = d2i_X509(NULL, &p, len);
    (void)type;
    if (!cert)
        return -1;
    *pp = p;
    return certload_add_cert(r, cert);
}

static int der_csr(struct reader *r, const unsigned char **pp, long len, int type)
{
    const unsigned char *p = *pp;
    X509_REQ *req = d2i_X509_REQ(NULL, &p, len);
    (void)type;
    if (!req)
        return -1;
    *pp = p;
    return certload_add_csr(r, req);
}

static int der_spki(struct reader *r, const unsigned char **pp, long len, int type)
{
    const unsigned char *p = *pp;
    EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, len);
    (void)type;
    if (!pk)
        return -1;
    *pp = p;
    return certload_add_pkey(r, pk, KEY_PUBKEY, 0);
}

/* EncryptedPrivateKeyInfo has the shape of a DigestInfo: look at the
 * algorithm too.  Refused, or (not a password-based one) left to the next. */
static int der_encrypted_pkcs8(struct reader *r, const unsigned char **pp, long len, int type)
{
    const unsigned char *p = *pp;
    X509_SIG *sig = d2i_X509_SIG(NULL, &p, len);
    (void)type;
    if (!sig)
        return -1;
    const X509_ALGOR *alg = NULL;
    const ASN1_OBJECT *oid = NULL;
    X509_SIG_get0(sig, &alg, NULL);
    if (alg)
        X509_ALGOR_get0(&oid, NULL, NULL, alg);
    int pbe = oid && EVP_PBE_find(EVP_PBE_TYPE_OUTER, OBJ_obj2nid(oid), NULL, NULL, NULL);
    X509_SIG_free(sig);
    return pbe ? certload_encrypted_key(r) : -1;
}

static int der_pkcs8(struct reader *r, const unsigned char **pp, long len, int type)
{
    const unsigned char *p = *pp;
    PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, len);
    (void)type;
    if (!p8)
        return -1;
    PKCS8_PRIV_KEY_INFO_free(p8);
    const unsigned char *start = *pp;
    *pp = p;
    return certload_add_pkcs8(r, start, (long)(p - start));
}

static int der_traditional(struct reader *r, const unsigned char **pp, long len, int type)
{
    const unsigned char *p = *pp;
    EVP_PKEY *pk = d2i_PrivateKey(type, NULL, &p, len);
    if (!pk)
        return -1;
    *pp = p;
    return certload_add_pkey(r, pk, KEY_PRIVKEY, 0);
}

static int der_pkcs1_public(struct reader *r, const unsigned char **pp, long len, int type)
{
    const unsigned char *p = *pp;
    EVP_PKEY *pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, len);
    (void)type;
    if (!pk)
        return -1;
    *pp = p;
    return certload_add_pkey(r, pk, KEY_PUBKEY, 1);
}

static int der_pkcs7(struct reader *r, const unsigned char **pp, long len, int type)
{
    const unsigned char *p = *pp;
    PKCS7 *p7 = d2i_PKCS7(NULL, &p, len);
    (void)type;
    if (!p7)
        return -1;
    *pp = p;
    return certload_add_pkcs7(r, p7);
}

static int der_pkcs12(struct reader *r, const unsigned char **pp, long len, int type)
{
    const unsigned char *p = *pp;
    PKCS12 *p12 = d2i_PKCS12(NULL, &p, len);
    (void)type;
    if (!p12)
        return -1;
    PKCS12_free(p12);
    return certload_failf(r, EX_DATAERR,
                          "a PKCS#12 (.p12/.pfx) archive: extract the certificate first (openssl pkcs12 -nokeys)");
}

/* Tried in this order, which is kept: an object two parsers would take goes
 * to the first.  `name` says what each one reads. */
static const struct der_parser {
    const char *name;
    der_try *try_parse;
    int type;
} der_parsers[] = {
    { "certificate", der_cert, 0 },
    { "certificate request", der_csr, 0 },
    { "SubjectPublicKeyInfo", der_spki, 0 },
    { "encrypted PKCS#8 private key", der_encrypted_pkcs8, 0 },
    { "PKCS#8 private key", der_pkcs8, 0 },
    { "RSA private key", der_traditional, EVP_PKEY_RSA },
    { "EC private key", der_traditional, EVP_PKEY_EC },
    { "DSA private key", der_traditional, EVP_PKEY_DSA },
    { "PKCS#1 RSA public key", der_pkcs1_public, 0 },
    { "PKCS#7", der_pkcs7, 0 },
    { "PKCS#12", der_pkcs12, 0 },
};

/* One DER object at *pp (len bytes left): parsed and added, *pp advanced.
 * Returns CERTLOAD_OK, -1 when no parser takes it, or an error. */
static int der_object(struct reader *r, const unsigned char **pp, long len)
{
    for (size_t i = 0; i < sizeof der_parsers / sizeof der_parsers[0]; i++) {
        ERR_clear_error();
        int rc = der_parsers[i].try_parse(r, pp, len, der_parsers[i].type);
        if (rc != -1)
            return rc;
    }
    ERR_clear_error();
    return -1;
}

int certload_read_der(struct reader *r, const unsigned char *buf, size_t len)
{
    const unsigned char *p = buf, *end = buf + len;
    while (p < end) {
        const unsigned char *before = p;
        int rc = der_object(r, &p, (long)(end - p));
        if (rc == -1) {
            if (r->out->n == r->first)
                return certload_failf(
                    r, EX_DATAERR,
                    "not a certificate, public key, CSR or private key (PEM or DER) that pinshim can read");
            return certload_failf(r, EX_DATAERR, "unreadable data after %zu object(s), at byte %zu",
                                  r->out->n - r->first, (size_t)(before - buf));
        }
        if (rc != CERTLOAD_OK)
            return rc;
        if (p <= before) /* a parser that consumed nothing: never loop */
            return certload_failf(r, EX_DATAERR, "unreadable data at byte %zu", (size_t)(before - buf));
    }
    return CERTLOAD_OK;
}
