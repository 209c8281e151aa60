/* In-memory certificates for the unit tests (see testpki.h).  Everything here
 * calls the linked OpenSSL directly, never pinshim's code, so that the tests
 * compare pinshim's answers with independently computed ones. */
#include "config.h"
#include "testpki.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/x509v3.h>

static void die(const char *what)
{
    fprintf(stderr, "testpki: %s failed\n", what);
    ERR_print_errors_fp(stderr);
    abort();
}

#define NEED(expr)             \
    do {                       \
        if (!(expr))           \
            die(#expr);        \
    } while (0)

EVP_PKEY *pki_key(void)
{
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
    NEED(ctx);
    NEED(EVP_PKEY_keygen_init(ctx) == 1);
    NEED(EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx, NID_X9_62_prime256v1) == 1);
    NEED(EVP_PKEY_keygen(ctx, &key) == 1);
    EVP_PKEY_CTX_free(ctx);
    return key;
}

/* SKID by RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
static ASN1_OCTET_STRING *key_id(X509 *cert)
{
    const unsigned char *bits;
    int nbits;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    ASN1_OCTET_STRING *id = ASN1_OCTET_STRING_new();
    NEED(id);
    NEED(X509_PUBKEY_get0_param(NULL, &bits, &nbits, NULL, X509_get_X509_PUBKEY(cert)) == 1);
    NEED(EVP_Digest(bits, (size_t)nbits, md, &mdlen, EVP_sha1(), NULL) == 1);
    NEED(ASN1_OCTET_STRING_set(id, md, (int)mdlen) == 1);
    return id;
}

static X509 *reread(X509 *cert)
{
    unsigned char *der = NULL;
    const unsigned char *p;
    int len = i2d_X509(cert, &der);
    NEED(len > 0);
    p = der;
    X509 *copy = d2i_X509(NULL, &p, len);
    NEED(copy);
    OPENSSL_free(der);
    X509_free(cert);
    return copy;
}

X509 *pki_cert(const struct pki_spec *s)
{
    static long counter = 1000;
    time_t now = time(NULL);
    X509 *cert = X509_new();
    X509_NAME *name = X509_NAME_new();
    EVP_PKEY *signer = s->issuer ? s->signer : (s->signer ? s->signer : s->key);

    NEED(cert && name && s->key && signer);
    NEED(X509_set_version(cert, 2) == 1);
    NEED(ASN1_INTEGER_set(X509_get_serialNumber(cert), s->serial ? s->serial : counter++) == 1);
    if (s->org)
        NEED(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)s->org, -1, -1, 0) == 1);
    NEED(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)s->cn, -1, -1, 0) == 1);
    NEED(X509_set_subject_name(cert, name) == 1);
    if (s->issuer_name)
        NEED(X509_set_issuer_name(cert, (X509_NAME *)s->issuer_name) == 1);
    else if (s->issuer)
        NEED(X509_set_issuer_name(cert, X509_get_subject_name(s->issuer)) == 1);
    else
        NEED(X509_set_issuer_name(cert, name) == 1);
    X509_NAME_free(name);
    NEED(ASN1_TIME_set(X509_getm_notBefore(cert), s->not_before ? s->not_before : now - 86400));
    NEED(ASN1_TIME_set(X509_getm_notAfter(cert), s->not_after ? s->not_after : now + 365 * 86400));
    NEED(X509_set_pubkey(cert, s->key) == 1);

    /* basicConstraints (critical), keyUsage (critical), SKID, AKID */
    BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
    NEED(bc);
    bc->ca = s->ca ? 0xff : 0;
    NEED(X509_add1_ext_i2d(cert, NID_basic_constraints, bc, 1, 0) == 1);
    BASIC_CONSTRAINTS_free(bc);

    ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
    NEED(ku);
    if (s->ca) {
        NEED(ASN1_BIT_STRING_set_bit(ku, 5, 1) == 1); /* keyCertSign */
        NEED(ASN1_BIT_STRING_set_bit(ku, 6, 1) == 1); /* cRLSign */
    } else {
        NEED(ASN1_BIT_STRING_set_bit(ku, 0, 1) == 1); /* digitalSignature */
    }
    NEED(X509_add1_ext_i2d(cert, NID_key_usage, ku, 1, 0) == 1);
    ASN1_BIT_STRING_free(ku);

    ASN1_OCTET_STRING *skid = key_id(cert);
    NEED(X509_add1_ext_i2d(cert, NID_subject_key_identifier, skid, 0, 0) == 1);

    AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
    NEED(akid);
    X509 *from = s->akid_from ? s->akid_from : s->issuer;
    if (from) {
        const ASN1_OCTET_STRING *id = X509_get0_subject_key_id(from);
        NEED(id);
        akid->keyid = ASN1_OCTET_STRING_dup(id);
    } else {
        akid->keyid = ASN1_OCTET_STRING_dup(skid);
    }
    NEED(akid->keyid);
    NEED(X509_add1_ext_i2d(cert, NID_authority_key_identifier, akid, 0, 0) == 1);
    AUTHORITY_KEYID_free(akid);
    ASN1_OCTET_STRING_free(skid);

    NEED(X509_sign(cert, signer, EVP_sha256()) > 0);
    return reread(cert);
}

void pki_init(struct testpki *k)
{
    memset(k, 0, sizeof *k);
    k->root_key = pki_key();
    k->int_key = pki_key();
    k->leaf_key = pki_key();
    k->leaf2_key = pki_key();
    k->evil_key = pki_key();
    k->evil_leaf_key = pki_key();

    k->root = pki_cert(&(struct pki_spec){ .cn = "Pinshim Test Root", .org = "Pinshim Test", .key = k->root_key,
                                           .ca = true });
    k->intermediate = pki_cert(&(struct pki_spec){ .cn = "Pinshim Test Intermediate", .org = "Pinshim Test",
                                                   .key = k->int_key, .issuer = k->root,
                                                   .signer = k->root_key, .ca = true });
    k->leaf = pki_cert(&(struct pki_spec){ .cn = "leaf.example.com", .org = "Pinshim Test", .key = k->leaf_key,
                                           .issuer = k->intermediate, .signer = k->int_key });
    k->leaf2 = pki_cert(&(struct pki_spec){ .cn = "leaf2.example.com", .org = "Pinshim Test",
                                            .key = k->leaf2_key, .issuer = k->intermediate,
                                            .signer = k->int_key });
    k->evil_root = pki_cert(&(struct pki_spec){ .cn = "Evil Root", .org = "Mallory", .key = k->evil_key,
                                                .ca = true });
    /* Everything the genuine intermediate would have put in it, except the
     * signature: only a signature check tells them apart. */
    k->evil_leaf = pki_cert(&(struct pki_spec){ .cn = "leaf.example.com", .org = "Pinshim Test",
                                                .key = k->evil_leaf_key, .issuer = k->evil_root,
                                                .signer = k->evil_key,
                                                .issuer_name = X509_get_subject_name(k->intermediate),
                                                .akid_from = k->intermediate });
    k->evil_leaf2 = pki_cert(&(struct pki_spec){ .cn = "leaf.example.com", .org = "Pinshim Test",
                                                 .key = k->evil_leaf_key, .issuer = k->evil_root,
                                                 .signer = k->evil_key });
}

void pki_free(struct testpki *k)
{
    X509 *certs[] = { k->root, k->intermediate, k->leaf, k->leaf2, k->evil_root, k->evil_leaf, k->evil_leaf2 };
    EVP_PKEY *keys[] = { k->root_key, k->int_key, k->leaf_key, k->leaf2_key, k->evil_key, k->evil_leaf_key };
    for (size_t i = 0; i < sizeof certs / sizeof *certs; i++)
        X509_free(certs[i]);
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        EVP_PKEY_free(keys[i]);
    memset(k, 0, sizeof *k);
}

void pki_pin_of_key(EVP_PKEY *key, struct pin *out)
{
    unsigned char *der = NULL;
    unsigned int n = 0;
    int len = i2d_PUBKEY(key, &der);
    NEED(len > 0);
    NEED(EVP_Digest(der, (size_t)len, out->hash, &n, EVP_sha256(), NULL) == 1 && n == 32);
    OPENSSL_free(der);
}

void pki_pin_of_x509(X509 *cert, struct pin *out)
{
    EVP_PKEY *key = X509_get0_pubkey(cert);
    NEED(key);
    pki_pin_of_key(key, out);
}

void pki_pin_text(const unsigned char hash[32], char *out)
{
    memcpy(out, "sha256/", 7);
    NEED(EVP_EncodeBlock((unsigned char *)out + 7, hash, 32) == 44);
}

time_t pki_time(int year, int mon, int mday, int hour, int min, int sec)
{
    struct tm tm = { 0 };
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = mday;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    return timegm(&tm);
}
