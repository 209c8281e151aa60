/* OpenSSL's answers about its certificates (cert.h), for the library and for
 * the command, which both judge OpenSSL's X509 objects.  Hashing comes from
 * the process's own libcrypto through `ossl`. */
#include "config.h"
#include "ossl_cert.h"
#include "ossl.h"
#include <stdlib.h>
#include <string.h>

int pin_of_spki_der(const unsigned char *der, size_t len, struct pin *out)
{
    unsigned int n = 0;
    if (ossl.SHA256_Init) {
        SHA256_CTX c;
        return ossl.SHA256_Init(&c) == 1 && ossl.SHA256_Update(&c, der, len) == 1 &&
                       ossl.SHA256_Final(out->hash, &c) == 1
                   ? 0
                   : -1;
    }
    if (!ossl.EVP_Digest(der, len, out->hash, &n, ossl.EVP_sha256(), NULL) || n != PIN_LEN)
        return -1;
    return 0;
}

/* A DER tag and length into `out` (at most 6 bytes); returns their size. */
static size_t der_header(unsigned char tag, size_t len, unsigned char *out)
{
    size_t n = 0;
    out[n++] = tag;
    if (len < 0x80) {
        out[n++] = (unsigned char)len;
    } else if (len <= 0xff) {
        out[n++] = 0x81;
        out[n++] = (unsigned char)len;
    } else if (len <= 0xffff) {
        out[n++] = 0x82;
        out[n++] = (unsigned char)(len >> 8);
        out[n++] = (unsigned char)len;
    } else {
        out[n++] = 0x83;
        out[n++] = (unsigned char)(len >> 16);
        out[n++] = (unsigned char)(len >> 8);
        out[n++] = (unsigned char)len;
    }
    return n;
}

/* The SubjectPublicKeyInfo's DER hashed from the pieces OpenSSL already holds
 * (algorithm OID, its parameters, the key's bit string), with no
 * re-encoding: i2d_X509_PUBKEY costs ~8k instructions, this a few hundred
 * plus the hash (issue 10).  The same bytes as i2d_X509_PUBKEY (the unit
 * tests compare both on RSA, RSA-PSS, EC and Ed25519 keys).  -1: a shape it
 * does not know (the caller re-encodes). */
static int spki_hash_pieces(X509_PUBKEY *pk, struct pin *out)
{
    ASN1_OBJECT *alg_obj = NULL;
    const unsigned char *key = NULL;
    int keylen = 0, ptype = 0;
    X509_ALGOR *alg = NULL;
    const void *pval = NULL;
    const ASN1_OBJECT *oid;
    const unsigned char *param = NULL;
    size_t paramlen = 0;
    unsigned char param_head[8], oid_head[8], alg_head[8], bits_head[8], spki_head[8];
    static const unsigned char null_param[2] = { 0x05, 0x00 };

    if (!ossl.SHA256_Init || !ossl.X509_PUBKEY_get0_param || !ossl.X509_ALGOR_get0 ||
        ossl.X509_PUBKEY_get0_param(&alg_obj, &key, &keylen, &alg, pk) != 1 || !alg || !key || keylen < 0)
        return -1;
    ossl.X509_ALGOR_get0(&oid, &ptype, &pval, alg);
    int oidlen = oid ? ossl.OBJ_length(oid) : 0;
    const unsigned char *oiddata = oid ? ossl.OBJ_get0_data(oid) : NULL;
    if (oidlen <= 0 || !oiddata)
        return -1;
    size_t param_headlen = 0;
    switch (ptype) {
    case V_ASN1_UNDEF:
        break;
    case V_ASN1_NULL:
        param = null_param;
        paramlen = sizeof null_param;
        break;
    case V_ASN1_OBJECT: {
        const ASN1_OBJECT *curve = pval;
        int l = curve ? ossl.OBJ_length(curve) : 0;
        param = curve ? ossl.OBJ_get0_data(curve) : NULL;
        if (l <= 0 || !param)
            return -1;
        paramlen = (size_t)l;
        param_headlen = der_header(0x06, paramlen, param_head);
        break;
    }
    case V_ASN1_SEQUENCE: {
        /* An ASN1_TYPE of type SEQUENCE holds its whole encoding. */
        const ASN1_STRING *seq = pval;
        if (!seq || seq->length <= 0 || !seq->data)
            return -1;
        param = seq->data;
        paramlen = (size_t)seq->length;
        break;
    }
    default:
        return -1;
    }
    size_t oid_headlen = der_header(0x06, (size_t)oidlen, oid_head);
    size_t alg_content = oid_headlen + (size_t)oidlen + param_headlen + paramlen;
    size_t alg_headlen = der_header(0x30, alg_content, alg_head);
    size_t bits_content = 1 + (size_t)keylen; /* a key's bit string has 0 unused bits */
    size_t bits_headlen = der_header(0x03, bits_content, bits_head);
    size_t spki_content = alg_headlen + alg_content + bits_headlen + bits_content;
    size_t spki_headlen = der_header(0x30, spki_content, spki_head);
    static const unsigned char no_unused_bits = 0;

    /* A key of ordinary size (EC, Ed25519, RSA up to 1024 bits) is hashed in
     * one piece: each SHA256_Update costs a few hundred instructions. */
    unsigned char one[256];
    size_t total = spki_headlen + spki_content;
    if (total <= sizeof one) {
        size_t n = 0;
#define PUT(p, l) (memcpy(one + n, (p), (l)), n += (l))
        PUT(spki_head, spki_headlen);
        PUT(alg_head, alg_headlen);
        PUT(oid_head, oid_headlen);
        PUT(oiddata, (size_t)oidlen);
        if (param_headlen)
            PUT(param_head, param_headlen);
        if (paramlen)
            PUT(param, paramlen);
        PUT(bits_head, bits_headlen);
        PUT(&no_unused_bits, 1);
        if (keylen)
            PUT(key, (size_t)keylen);
#undef PUT
        return n == total ? pin_of_spki_der(one, n, out) : -1;
    }
    SHA256_CTX c;
    int ok = ossl.SHA256_Init(&c) == 1 && ossl.SHA256_Update(&c, spki_head, spki_headlen) == 1 &&
             ossl.SHA256_Update(&c, alg_head, alg_headlen) == 1 &&
             ossl.SHA256_Update(&c, oid_head, oid_headlen) == 1 &&
             ossl.SHA256_Update(&c, oiddata, (size_t)oidlen) == 1 &&
             (param_headlen == 0 || ossl.SHA256_Update(&c, param_head, param_headlen) == 1) &&
             (paramlen == 0 || ossl.SHA256_Update(&c, param, paramlen) == 1) &&
             ossl.SHA256_Update(&c, bits_head, bits_headlen) == 1 &&
             ossl.SHA256_Update(&c, &no_unused_bits, 1) == 1 &&
             (keylen == 0 || ossl.SHA256_Update(&c, key, (size_t)keylen) == 1) &&
             ossl.SHA256_Final(out->hash, &c) == 1;
    return ok ? 0 : -1;
}

/* The re-encoding way: i2d into a heap buffer of ours (nothing allocated by
 * OpenSSL to free with its allocator, which may not be the one this object
 * would call; nothing big on the stack, DESIGN 6). */
static int spki_hash_encoded(X509_PUBKEY *pk, struct pin *out)
{
    int len = ossl.i2d_X509_PUBKEY(pk, NULL);
    if (len <= 0)
        return -1;
    unsigned char *der = malloc((size_t)len), *p = der;
    if (!der)
        return -1;
    int rc = ossl.i2d_X509_PUBKEY(pk, &p) == len && pin_of_spki_der(der, (size_t)len, out) == 0 ? 0 : -1;
    free(der);
    return rc;
}

int pin_of_cert(X509 *cert, struct pin *out)
{
    X509_PUBKEY *pk = ossl.X509_get_X509_PUBKEY(cert);
    if (!pk)
        return -1;
    return spki_hash_pieces(pk, out) == 0 ? 0 : spki_hash_encoded(pk, out);
}

/* OpenSSL 3.x keeps the SHA-1 of each certificate it has looked at
 * (X509_check_purpose fills the cache, verification already did) and
 * X509_digest hands that copy out; 1.1.1 computes it.  SHA-1's second-preimage
 * resistance is what an identity needs: nobody can make another certificate
 * with a given one's digest. */
int cert_fingerprint(X509 *cert, unsigned char out[PIN_LEN])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    ossl.X509_check_purpose(cert, -1, 0);
    if (ossl.X509_digest(cert, ossl.EVP_sha1(), md, &n) != 1 || n != 20)
        return -1;
    memset(out, 0, PIN_LEN);
    memcpy(out, md, n);
    return 0;
}

static X509 *x(const struct cert *c)
{
    return (X509 *)c; /* NOLINT: OpenSSL's calls take no const */
}

static int op_pin(const struct cert *c, struct pin *out)
{
    return pin_of_cert(x(c), out);
}

static int op_fingerprint(const struct cert *c, unsigned char out[PIN_LEN])
{
    return cert_fingerprint(x(c), out);
}

static bool op_issued(const struct cert *child, const struct cert *parent)
{
    EVP_PKEY *key;
    if (ossl.X509_check_issued(x(parent), x(child)) != X509_V_OK)
        return false;
    key = ossl.X509_get0_pubkey(x(parent));
    return key && ossl.X509_verify(x(child), key) == 1;
}

static bool op_self_issued(const struct cert *c)
{
    return ossl.X509_check_issued(x(c), x(c)) == X509_V_OK;
}

static void name_text(const X509_NAME *name, char *out, size_t cap)
{
    BIO *b = ossl.BIO_new(ossl.BIO_s_mem());
    char *data = NULL;
    long n;
    out[0] = '\0';
    if (!b)
        return;
    if (name && ossl.X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0) {
        n = ossl.BIO_ctrl(b, BIO_CTRL_INFO, 0, &data);
        if (n > 0 && data) {
            size_t len = (size_t)n < cap - 1 ? (size_t)n : cap - 1;
            memcpy(out, data, len);
            out[len] = '\0';
        }
    }
    ossl.BIO_free(b);
}

static bool not_after_tm(const struct cert *c, struct tm *tm)
{
    const ASN1_TIME *t = ossl.X509_get0_notAfter(x(c));
    return t && ossl.ASN1_TIME_to_tm(t, tm) == 1;
}

static void op_describe(const struct cert *c, struct cert_info *out)
{
    struct tm tm;
    name_text(ossl.X509_get_subject_name(x(c)), out->subject, sizeof out->subject);
    name_text(ossl.X509_get_issuer_name(x(c)), out->issuer, sizeof out->issuer);
    out->not_after[0] = '\0';
    if (not_after_tm(c, &tm))
        strftime(out->not_after, sizeof out->not_after, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static time_t op_not_after(const struct cert *c)
{
    struct tm tm;
    return not_after_tm(c, &tm) ? timegm(&tm) : 0;
}

const struct cert_ops ossl_cert_ops = {
    .pin = op_pin,
    .fingerprint = op_fingerprint,
    .issued = op_issued,
    .self_issued = op_self_issued,
    .describe = op_describe,
    .not_after = op_not_after,
};
