/* What is kept of each certificate, public key, CSR, private key and PKCS#7
 * structure once parsed (see certload_int.h): its pin, key type, names,
 * notAfter.  Private keys are reduced to their public half at once. */
#include "config.h"
#include "certload_int.h"
#include "ossl_cert.h"
#include "report.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

int certload_encrypted_key(struct reader *r)
{
    return certload_failf(r, EX_DATAERR,
                          "the private key is encrypted and pinshim asks for no password: "
                          "pin its certificate, or its public key (openssl pkey -pubout)");
}

static char *name_text(const X509_NAME *name)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data = NULL, *out = NULL;
    long n;
    if (!b)
        return NULL;
    if (name && X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0) {
        n = BIO_get_mem_data(b, &data);
        if (n >= 0 && (out = malloc((size_t)n + 1)) != NULL) {
            memcpy(out, data ? data : "", (size_t)n);
            out[n] = '\0';
        }
    }
    BIO_free(b);
    return out;
}

static void describe_pkey(EVP_PKEY *pk, char *out, size_t len)
{
    int nid = EVP_PKEY_base_id(pk);
    int bits = EVP_PKEY_bits(pk);
    const char *name;
    char group[64] = "";

    switch (nid) {
    case EVP_PKEY_RSA: name = "RSA"; break;
    case EVP_PKEY_RSA_PSS: name = "RSA-PSS"; break;
    case EVP_PKEY_DSA: name = "DSA"; break;
    case EVP_PKEY_EC: name = "EC"; break;
    case EVP_PKEY_ED25519: name = "Ed25519"; break;
    case EVP_PKEY_ED448: name = "Ed448"; break;
    default: name = nid != NID_undef && OBJ_nid2sn(nid) ? OBJ_nid2sn(nid) : "unknown"; break;
    }
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    size_t glen = 0;
    if (nid == EVP_PKEY_EC && !EVP_PKEY_get_group_name(pk, group, sizeof group, &glen))
        group[0] = '\0';
#endif
    ERR_clear_error();
    if (bits > 0 && group[0])
        snprintf(out, len, "%s %d bits (%s)", name, bits, group);
    else if (bits > 0)
        snprintf(out, len, "%s %d bits", name, bits);
    else
        snprintf(out, len, "%s", name);
}

static struct loaded_key *new_key(struct reader *r, enum key_kind kind)
{
    struct loaded *l = r->out;
    if (l->n - r->first >= CERTLOAD_MAX_ITEMS)
        return NULL;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        struct loaded_key *k = realloc(l->keys, cap * sizeof *k);
        if (!k)
            return NULL;
        l->keys = k;
        l->cap = cap;
    }
    struct loaded_key *k = &l->keys[l->n++];
    memset(k, 0, sizeof *k);
    k->kind = kind;
    return k;
}

static int too_many(struct reader *r)
{
    if (r->out->n - r->first >= CERTLOAD_MAX_ITEMS)
        return certload_failf(r, EX_DATAERR, "more than %d certificates and keys", CERTLOAD_MAX_ITEMS);
    return certload_failf(r, EX_OSERR, "out of memory");
}

/* The pin of a public key: SHA-256 of its DER SubjectPublicKeyInfo, as
 * `openssl pkey -pubin -outform DER` writes it. */
static int pkey_pin(EVP_PKEY *pk, struct pin *out)
{
    unsigned char *der = NULL;
    int len = i2d_PUBKEY(pk, &der);
    int rc = len > 0 ? pin_of_spki_der(der, (size_t)len, out) : -1;
    OPENSSL_free(der);
    return rc;
}

/* Takes ownership of `pk`. */
int certload_add_pkey(struct reader *r, EVP_PKEY *pk, enum key_kind kind, int pkcs1)
{
    struct loaded_key *k = new_key(r, kind);
    if (!k) {
        EVP_PKEY_free(pk);
        return too_many(r);
    }
    if (pkey_pin(pk, &k->pin) != 0) {
        EVP_PKEY_free(pk);
        r->out->n--;
        return certload_failf(r, EX_DATAERR, "a %s whose public key cannot be encoded", key_kind_text(kind));
    }
    describe_pkey(pk, k->key_type, sizeof k->key_type);
    k->pkcs1 = pkcs1;
    if (kind == KEY_PRIVKEY)
        r->out->private_keys++;
    EVP_PKEY_free(pk);
    return CERTLOAD_OK;
}

/* Takes ownership of `cert`. */
int certload_add_cert(struct reader *r, X509 *cert)
{
    struct cert_info info;
    struct loaded_key *k = new_key(r, KEY_CERT);
    if (!k) {
        X509_free(cert);
        return too_many(r);
    }
    k->cert = cert;
    if (pin_of_cert(cert, &k->pin) != 0) {
        /* k stays in the list: certload_buffer's cleanup frees the cert. */
        return certload_failf(r, EX_DATAERR, "a certificate whose public key cannot be read");
    }
    cert_describe(&ossl_cert_ops, ossl_cert(cert), &info);
    strcpy(k->not_after, info.not_after);
    k->subject = name_text(X509_get_subject_name(cert));
    k->issuer = name_text(X509_get_issuer_name(cert));
    EVP_PKEY *pk = X509_get0_pubkey(cert);
    if (pk)
        describe_pkey(pk, k->key_type, sizeof k->key_type);
    else
        snprintf(k->key_type, sizeof k->key_type, "unknown");
    if (!k->subject || !k->issuer)
        return certload_failf(r, EX_OSERR, "out of memory");
    return CERTLOAD_OK;
}

/* Takes ownership of `req`. */
int certload_add_csr(struct reader *r, X509_REQ *req)
{
    EVP_PKEY *pk = X509_REQ_get_pubkey(req);
    if (!pk) {
        X509_REQ_free(req);
        return certload_failf(r, EX_DATAERR, "a certificate request whose public key cannot be read");
    }
    char *subject = name_text(X509_REQ_get_subject_name(req));
    X509_REQ_free(req);
    int rc = certload_add_pkey(r, pk, KEY_CSR, 0);
    if (rc != CERTLOAD_OK) {
        free(subject);
        return rc;
    }
    r->out->keys[r->out->n - 1].subject = subject;
    if (!subject)
        return certload_failf(r, EX_OSERR, "out of memory");
    return CERTLOAD_OK;
}

/* Takes ownership of `p7`: its certificates, in order. */
int certload_add_pkcs7(struct reader *r, PKCS7 *p7)
{
    STACK_OF(X509) *certs = NULL;
    int rc = CERTLOAD_OK;
    if (PKCS7_type_is_signed(p7) && p7->d.sign)
        certs = p7->d.sign->cert;
    else if (PKCS7_type_is_signedAndEnveloped(p7) && p7->d.signed_and_enveloped)
        certs = p7->d.signed_and_enveloped->cert;
    if (!certs || sk_X509_num(certs) == 0) {
        PKCS7_free(p7);
        return certload_failf(r, EX_DATAERR, "a PKCS#7 structure without certificates");
    }
    for (int i = 0; i < sk_X509_num(certs) && rc == CERTLOAD_OK; i++) {
        X509 *c = sk_X509_value(certs, i);
        if (!X509_up_ref(c)) {
            rc = certload_failf(r, EX_OSERR, "out of memory");
            break;
        }
        rc = certload_add_cert(r, c);
    }
    PKCS7_free(p7);
    return rc;
}

int certload_add_pkcs8(struct reader *r, const unsigned char *der, long len)
{
    const unsigned char *p = der;
    PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, len);
    EVP_PKEY *pk = p8 ? EVP_PKCS82PKEY(p8) : NULL;
    PKCS8_PRIV_KEY_INFO_free(p8);
    if (!pk)
        return certload_failf(r, EX_DATAERR, "a damaged or unsupported PKCS#8 private key");
    return certload_add_pkey(r, pk, KEY_PRIVKEY, 0);
}
