/* PEM input, block by block: each block goes to the handler of its label (the
 * table below).  Labels of no interest are skipped, quietly or named in the
 * message when nothing else was found. */
#include "config.h"
#include "certload_int.h"
#include <string.h>
#include <sysexits.h>
#include <stdio.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

/* One PEM block, as PEM_read_bio gives it. */
struct pem_block {
    int index;               /* 1 for the first block */
    const char *label;
    const char *header;
    unsigned char *data;
    long len;
    int type;                /* traditional private keys: EVP_PKEY_*, 0 for any */
};

/* Never asked for: an encrypted key is refused, not decrypted. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

static int pem_cert(struct reader *r, const struct pem_block *b)
{
    const unsigned char *p = b->data;
    X509 *c = d2i_X509(NULL, &p, b->len);
    if (!c)
        return certload_failf(r, EX_DATAERR, "PEM block %d (%s) is not a valid certificate", b->index, b->label);
    return certload_add_cert(r, c);
}

static int pem_trusted_cert(struct reader *r, const struct pem_block *b)
{
    const unsigned char *p = b->data;
    X509 *c = d2i_X509_AUX(NULL, &p, b->len);
    if (!c)
        return certload_failf(r, EX_DATAERR, "PEM block %d (%s) is not a valid certificate", b->index, b->label);
    return certload_add_cert(r, c);
}

static int pem_csr(struct reader *r, const struct pem_block *b)
{
    const unsigned char *p = b->data;
    X509_REQ *q = d2i_X509_REQ(NULL, &p, b->len);
    if (!q)
        return certload_failf(r, EX_DATAERR, "PEM block %d (%s) is not a valid certificate request", b->index,
                              b->label);
    return certload_add_csr(r, q);
}

static int pem_spki(struct reader *r, const struct pem_block *b)
{
    const unsigned char *p = b->data;
    EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, b->len);
    if (!pk)
        return certload_failf(r, EX_DATAERR, "PEM block %d (%s) is not a valid or supported public key", b->index,
                              b->label);
    return certload_add_pkey(r, pk, KEY_PUBKEY, 0);
}

static int pem_pkcs1_public(struct reader *r, const struct pem_block *b)
{
    const unsigned char *p = b->data;
    EVP_PKEY *pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, b->len);
    if (!pk)
        return certload_failf(r, EX_DATAERR, "PEM block %d (%s) is not a valid PKCS#1 RSA public key", b->index,
                              b->label);
    return certload_add_pkey(r, pk, KEY_PUBKEY, 1);
}

static int pem_encrypted_pkcs8(struct reader *r, const struct pem_block *b)
{
    (void)b;
    return certload_encrypted_key(r);
}

static int pem_pkcs8(struct reader *r, const struct pem_block *b)
{
    return certload_add_pkcs8(r, b->data, b->len);
}

/* RSA, EC, DSA PRIVATE KEY (b->type) and ANY PRIVATE KEY (0). */
static int pem_traditional(struct reader *r, const struct pem_block *b)
{
    /* "Proc-Type: 4,ENCRYPTED": decrypting would need a password. */
    EVP_CIPHER_INFO cipher;
    const unsigned char *p = b->data;
    long n = b->len;
    if (!PEM_get_EVP_CIPHER_INFO((char *)b->header, &cipher))
        return certload_failf(r, EX_DATAERR, "PEM block %d (%s) has a damaged header", b->index, b->label);
    if (!PEM_do_header(&cipher, b->data, &n, no_password, NULL))
        return certload_encrypted_key(r);
    EVP_PKEY *pk = b->type ? d2i_PrivateKey(b->type, NULL, &p, n) : d2i_AutoPrivateKey(NULL, &p, n);
    if (!pk)
        return certload_failf(r, EX_DATAERR, "PEM block %d (%s) is not a valid private key", b->index, b->label);
    return certload_add_pkey(r, pk, KEY_PRIVKEY, 0);
}

static int pem_pkcs7(struct reader *r, const struct pem_block *b)
{
    const unsigned char *p = b->data;
    PKCS7 *p7 = d2i_PKCS7(NULL, &p, b->len);
    if (!p7)
        return certload_failf(r, EX_DATAERR, "PEM block %d (%s) is not a valid PKCS#7 structure", b->index,
                              b->label);
    return certload_add_pkcs7(r, p7);
}

/* The labels read.  `handle` NULL: of no interest, skipped quietly (EC
 * PARAMETERS comes with `openssl ecparam -genkey`).  Any other label is
 * skipped and named if the file has nothing else. */
static const struct pem_label {
    const char *label;
    int (*handle)(struct reader *r, const struct pem_block *b);
    int type;
} pem_labels[] = {
    { PEM_STRING_X509, pem_cert, 0 },
    { PEM_STRING_X509_OLD, pem_cert, 0 },
    { PEM_STRING_X509_TRUSTED, pem_trusted_cert, 0 },
    { PEM_STRING_X509_REQ, pem_csr, 0 },
    { PEM_STRING_X509_REQ_OLD, pem_csr, 0 },
    { PEM_STRING_PUBLIC, pem_spki, 0 },
    { PEM_STRING_RSA_PUBLIC, pem_pkcs1_public, 0 },
    { PEM_STRING_PKCS8, pem_encrypted_pkcs8, 0 },
    { PEM_STRING_PKCS8INF, pem_pkcs8, 0 },
    { PEM_STRING_RSA, pem_traditional, EVP_PKEY_RSA },
    { PEM_STRING_ECPRIVATEKEY, pem_traditional, EVP_PKEY_EC },
    { PEM_STRING_DSA, pem_traditional, EVP_PKEY_DSA },
    { "ANY PRIVATE KEY", pem_traditional, 0 },
    { PEM_STRING_PKCS7, pem_pkcs7, 0 },
    { PEM_STRING_PKCS7_SIGNED, pem_pkcs7, 0 },
    { "CMS", pem_pkcs7, 0 },
    { "EC PARAMETERS", NULL, 0 },
    { "DH PARAMETERS", NULL, 0 },
    { "X9.42 DH PARAMETERS", NULL, 0 },
    { "DSA PARAMETERS", NULL, 0 },
    { "X509 CRL", NULL, 0 },
    { "PARAMETERS", NULL, 0 },
};

static const struct pem_label *find_label(const char *label)
{
    for (size_t i = 0; i < sizeof pem_labels / sizeof pem_labels[0]; i++)
        if (strcmp(label, pem_labels[i].label) == 0)
            return &pem_labels[i];
    return NULL;
}

int certload_read_pem(struct reader *r, const unsigned char *buf, size_t len)
{
    BIO *bio = BIO_new_mem_buf(buf, (int)len);
    char skipped[160] = "";
    int index = 0, rc = CERTLOAD_OK;

    if (!bio)
        return certload_failf(r, EX_OSERR, "out of memory");
    for (;;) {
        char *label = NULL, *header = NULL;
        unsigned char *data = NULL;
        long dlen = 0;
        ERR_clear_error();
        if (!PEM_read_bio(bio, &label, &header, &data, &dlen)) {
            unsigned long e = ERR_peek_last_error();
            if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
                ERR_clear_error();
                break; /* no further block */
            }
            rc = certload_failf(r, EX_DATAERR, "PEM block %d is damaged (%s)", index + 1,
                                ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "unreadable");
            break;
        }
        index++;
        const struct pem_label *known = find_label(label);
        int one = -1; /* not ours */
        if (known && known->handle) {
            const struct pem_block b = { index, label, header, data, dlen, known->type };
            one = known->handle(r, &b);
        } else if (!known) {
            size_t used = strlen(skipped);
            if (used + strlen(label) + 3 < sizeof skipped)
                snprintf(skipped + used, sizeof skipped - used, "%s%s", used ? ", " : "", label);
        }
        OPENSSL_free(label);
        OPENSSL_free(header);
        OPENSSL_free(data);
        if (one != -1 && one != CERTLOAD_OK) {
            rc = one;
            break;
        }
    }
    BIO_free(bio);
    if (rc != CERTLOAD_OK)
        return rc;
    if (index == 0)
        return -1;
    if (r->out->n == r->first)
        return certload_failf(r, EX_DATAERR,
                              "no certificate, public key, CSR or private key among its PEM blocks%s%s%s",
                              skipped[0] ? " (found: " : "", skipped, skipped[0] ? ")" : "");
    return CERTLOAD_OK;
}
