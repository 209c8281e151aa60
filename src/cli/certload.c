/* Certificates, public keys, CSRs and private keys -> pins (see certload.h).
 *
 * PEM input is read block by block and each block is parsed by its label;
 * anything else is taken as DER, one object after another, each tried with
 * every parser in turn (certificate, CSR, SubjectPublicKeyInfo, private keys,
 * PKCS#1 RSA public key, PKCS#7).  A parser must consume a whole object.
 * Private keys are reduced to their public half at once; no password is ever
 * asked for: an encrypted key is an error. */
#include "config.h"
#include "certload.h"
#include "ossl_cert.h"
#include "report.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

const char *key_kind_text(enum key_kind k)
{
    switch (k) {
    case KEY_CERT: return "certificate";
    case KEY_PUBKEY: return "public key";
    case KEY_CSR: return "csr";
    case KEY_PRIVKEY: return "private key";
    }
    return "?";
}

const char *certload_display_name(const char *path)
{
    return strcmp(path, "-") == 0 ? "standard input" : path;
}

/* One file being read. */
struct reader {
    const char *name;        /* for messages */
    struct loaded *out;
    size_t first;            /* index of this file's first key in out */
    char *err;
    size_t errlen;
};

static int failf(struct reader *r, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int failf(struct reader *r, int code, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(r->err, r->errlen, "%s: ", r->name);
    if (n < 0 || (size_t)n >= r->errlen)
        n = 0;
    va_start(ap, fmt);
    vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    /* A line, whatever a file name holds. */
    for (char *c = r->err; *c; c++)
        if ((unsigned char)*c < 0x20)
            *c = '?';
    ERR_clear_error();
    return code;
}

/* Never asked for: an encrypted key is refused, not decrypted. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

static int encrypted_key(struct reader *r)
{
    return failf(r, EX_DATAERR,
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
        return failf(r, EX_DATAERR, "more than %d certificates and keys", CERTLOAD_MAX_ITEMS);
    return failf(r, EX_OSERR, "out of memory");
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
static int add_pkey(struct reader *r, EVP_PKEY *pk, enum key_kind kind, int pkcs1)
{
    struct loaded_key *k = new_key(r, kind);
    if (!k) {
        EVP_PKEY_free(pk);
        return too_many(r);
    }
    if (pkey_pin(pk, &k->pin) != 0) {
        EVP_PKEY_free(pk);
        r->out->n--;
        return failf(r, EX_DATAERR, "a %s whose public key cannot be encoded", key_kind_text(kind));
    }
    describe_pkey(pk, k->key_type, sizeof k->key_type);
    k->pkcs1 = pkcs1;
    if (kind == KEY_PRIVKEY)
        r->out->private_keys++;
    EVP_PKEY_free(pk);
    return CERTLOAD_OK;
}

/* Takes ownership of `cert`. */
static int add_cert(struct reader *r, X509 *cert)
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
        return failf(r, EX_DATAERR, "a certificate whose public key cannot be read");
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
        return failf(r, EX_OSERR, "out of memory");
    return CERTLOAD_OK;
}

/* Takes ownership of `req`. */
static int add_csr(struct reader *r, X509_REQ *req)
{
    EVP_PKEY *pk = X509_REQ_get_pubkey(req);
    if (!pk) {
        X509_REQ_free(req);
        return failf(r, EX_DATAERR, "a certificate request whose public key cannot be read");
    }
    char *subject = name_text(X509_REQ_get_subject_name(req));
    X509_REQ_free(req);
    int rc = add_pkey(r, pk, KEY_CSR, 0);
    if (rc != CERTLOAD_OK) {
        free(subject);
        return rc;
    }
    r->out->keys[r->out->n - 1].subject = subject;
    if (!subject)
        return failf(r, EX_OSERR, "out of memory");
    return CERTLOAD_OK;
}

/* Takes ownership of `p7`: its certificates, in order. */
static int add_pkcs7(struct reader *r, PKCS7 *p7)
{
    STACK_OF(X509) *certs = NULL;
    int rc = CERTLOAD_OK;
    if (PKCS7_type_is_signed(p7) && p7->d.sign)
        certs = p7->d.sign->cert;
    else if (PKCS7_type_is_signedAndEnveloped(p7) && p7->d.signed_and_enveloped)
        certs = p7->d.signed_and_enveloped->cert;
    if (!certs || sk_X509_num(certs) == 0) {
        PKCS7_free(p7);
        return failf(r, EX_DATAERR, "a PKCS#7 structure without certificates");
    }
    for (int i = 0; i < sk_X509_num(certs) && rc == CERTLOAD_OK; i++) {
        X509 *c = sk_X509_value(certs, i);
        if (!X509_up_ref(c)) {
            rc = failf(r, EX_OSERR, "out of memory");
            break;
        }
        rc = add_cert(r, c);
    }
    PKCS7_free(p7);
    return rc;
}

static int private_pkcs8(struct reader *r, const unsigned char *der, long len)
{
    const unsigned char *p = der;
    PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, len);
    EVP_PKEY *pk = p8 ? EVP_PKCS82PKEY(p8) : NULL;
    PKCS8_PRIV_KEY_INFO_free(p8);
    if (!pk)
        return failf(r, EX_DATAERR, "a damaged or unsupported PKCS#8 private key");
    return add_pkey(r, pk, KEY_PRIVKEY, 0);
}

/* ------------------------------------------------------------------ PEM --- */

/* Labels of no interest, skipped quietly (EC PARAMETERS comes with
 * `openssl ecparam -genkey`). */
static int quiet_label(const char *label)
{
    return strcmp(label, "EC PARAMETERS") == 0 || strcmp(label, "DH PARAMETERS") == 0 ||
           strcmp(label, "X9.42 DH PARAMETERS") == 0 || strcmp(label, "DSA PARAMETERS") == 0 ||
           strcmp(label, "X509 CRL") == 0 || strcmp(label, "PARAMETERS") == 0;
}

static int pem_block(struct reader *r, int index, const char *label, const char *header, unsigned char *data,
                     long len)
{
    const unsigned char *p = data;
    int traditional = 0;

    if (strcmp(label, PEM_STRING_X509) == 0 || strcmp(label, PEM_STRING_X509_OLD) == 0) {
        X509 *c = d2i_X509(NULL, &p, len);
        if (!c)
            return failf(r, EX_DATAERR, "PEM block %d (%s) is not a valid certificate", index, label);
        return add_cert(r, c);
    }
    if (strcmp(label, PEM_STRING_X509_TRUSTED) == 0) {
        X509 *c = d2i_X509_AUX(NULL, &p, len);
        if (!c)
            return failf(r, EX_DATAERR, "PEM block %d (%s) is not a valid certificate", index, label);
        return add_cert(r, c);
    }
    if (strcmp(label, PEM_STRING_X509_REQ) == 0 || strcmp(label, PEM_STRING_X509_REQ_OLD) == 0) {
        X509_REQ *q = d2i_X509_REQ(NULL, &p, len);
        if (!q)
            return failf(r, EX_DATAERR, "PEM block %d (%s) is not a valid certificate request", index, label);
        return add_csr(r, q);
    }
    if (strcmp(label, PEM_STRING_PUBLIC) == 0) {
        EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, len);
        if (!pk)
            return failf(r, EX_DATAERR, "PEM block %d (%s) is not a valid or supported public key", index, label);
        return add_pkey(r, pk, KEY_PUBKEY, 0);
    }
    if (strcmp(label, PEM_STRING_RSA_PUBLIC) == 0) {
        EVP_PKEY *pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, len);
        if (!pk)
            return failf(r, EX_DATAERR, "PEM block %d (%s) is not a valid PKCS#1 RSA public key", index, label);
        return add_pkey(r, pk, KEY_PUBKEY, 1);
    }
    if (strcmp(label, PEM_STRING_PKCS8) == 0)
        return encrypted_key(r);
    if (strcmp(label, PEM_STRING_PKCS8INF) == 0)
        return private_pkcs8(r, data, len);
    if (strcmp(label, PEM_STRING_RSA) == 0)
        traditional = EVP_PKEY_RSA;
    else if (strcmp(label, PEM_STRING_ECPRIVATEKEY) == 0)
        traditional = EVP_PKEY_EC;
    else if (strcmp(label, PEM_STRING_DSA) == 0)
        traditional = EVP_PKEY_DSA;
    if (traditional || strcmp(label, "ANY PRIVATE KEY") == 0) {
        /* "Proc-Type: 4,ENCRYPTED": decrypting would need a password. */
        EVP_CIPHER_INFO cipher;
        long n = len;
        if (!PEM_get_EVP_CIPHER_INFO((char *)header, &cipher))
            return failf(r, EX_DATAERR, "PEM block %d (%s) has a damaged header", index, label);
        if (!PEM_do_header(&cipher, data, &n, no_password, NULL))
            return encrypted_key(r);
        EVP_PKEY *pk = traditional ? d2i_PrivateKey(traditional, NULL, &p, n) : d2i_AutoPrivateKey(NULL, &p, n);
        if (!pk)
            return failf(r, EX_DATAERR, "PEM block %d (%s) is not a valid private key", index, label);
        return add_pkey(r, pk, KEY_PRIVKEY, 0);
    }
    if (strcmp(label, PEM_STRING_PKCS7) == 0 || strcmp(label, PEM_STRING_PKCS7_SIGNED) == 0 ||
        strcmp(label, "CMS") == 0) {
        PKCS7 *p7 = d2i_PKCS7(NULL, &p, len);
        if (!p7)
            return failf(r, EX_DATAERR, "PEM block %d (%s) is not a valid PKCS#7 structure", index, label);
        return add_pkcs7(r, p7);
    }
    return -1; /* not ours */
}

/* Returns CERTLOAD_OK when at least one block was read (keys or not), -1
 * when there is no PEM block at all (then the input is tried as DER). */
static int read_pem(struct reader *r, const unsigned char *buf, size_t len)
{
    BIO *bio = BIO_new_mem_buf(buf, (int)len);
    char skipped[160] = "";
    int index = 0, rc = CERTLOAD_OK;

    if (!bio)
        return failf(r, EX_OSERR, "out of memory");
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
            rc = failf(r, EX_DATAERR, "PEM block %d is damaged (%s)", index + 1,
                       ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "unreadable");
            break;
        }
        index++;
        int one = pem_block(r, index, label, header, data, dlen);
        if (one == -1 && !quiet_label(label)) {
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
        return failf(r, EX_DATAERR, "no certificate, public key, CSR or private key among its PEM blocks%s%s%s",
                     skipped[0] ? " (found: " : "", skipped, skipped[0] ? ")" : "");
    return CERTLOAD_OK;
}

/* ------------------------------------------------------------------ DER --- */

/* One DER object at *pp (len bytes left): parsed and added, *pp advanced.
 * Returns CERTLOAD_OK, -1 when no parser takes it, or an error. */
static int der_object(struct reader *r, const unsigned char **pp, long len)
{
    const unsigned char *p;
    static const int traditional[] = { EVP_PKEY_RSA, EVP_PKEY_EC, EVP_PKEY_DSA };

#define TRY(expr) (ERR_clear_error(), p = *pp, (expr))
    X509 *cert;
    if ((cert = TRY(d2i_X509(NULL, &p, len))) != NULL) {
        *pp = p;
        return add_cert(r, cert);
    }
    X509_REQ *req;
    if ((req = TRY(d2i_X509_REQ(NULL, &p, len))) != NULL) {
        *pp = p;
        return add_csr(r, req);
    }
    EVP_PKEY *pk;
    if ((pk = TRY(d2i_PUBKEY(NULL, &p, len))) != NULL) {
        *pp = p;
        return add_pkey(r, pk, KEY_PUBKEY, 0);
    }
    X509_SIG *sig;
    if ((sig = TRY(d2i_X509_SIG(NULL, &p, len))) != NULL) {
        /* EncryptedPrivateKeyInfo has the shape of a DigestInfo: look at the
         * algorithm too. */
        const X509_ALGOR *alg = NULL;
        const ASN1_OBJECT *oid = NULL;
        X509_SIG_get0(sig, &alg, NULL);
        if (alg)
            X509_ALGOR_get0(&oid, NULL, NULL, alg);
        int pbe = oid && EVP_PBE_find(EVP_PBE_TYPE_OUTER, OBJ_obj2nid(oid), NULL, NULL, NULL);
        X509_SIG_free(sig);
        if (pbe)
            return encrypted_key(r);
    }
    PKCS8_PRIV_KEY_INFO *p8;
    if ((p8 = TRY(d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, len))) != NULL) {
        PKCS8_PRIV_KEY_INFO_free(p8);
        const unsigned char *start = *pp;
        *pp = p;
        return private_pkcs8(r, start, (long)(p - start));
    }
    for (size_t i = 0; i < sizeof traditional / sizeof traditional[0]; i++) {
        if ((pk = TRY(d2i_PrivateKey(traditional[i], NULL, &p, len))) != NULL) {
            *pp = p;
            return add_pkey(r, pk, KEY_PRIVKEY, 0);
        }
    }
    if ((pk = TRY(d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, len))) != NULL) {
        *pp = p;
        return add_pkey(r, pk, KEY_PUBKEY, 1);
    }
    PKCS7 *p7;
    if ((p7 = TRY(d2i_PKCS7(NULL, &p, len))) != NULL) {
        *pp = p;
        return add_pkcs7(r, p7);
    }
    PKCS12 *p12;
    if ((p12 = TRY(d2i_PKCS12(NULL, &p, len))) != NULL) {
        PKCS12_free(p12);
        return failf(r, EX_DATAERR,
                     "a PKCS#12 (.p12/.pfx) archive: extract the certificate first (openssl pkcs12 -nokeys)");
    }
#undef TRY
    ERR_clear_error();
    return -1;
}

static int read_der(struct reader *r, const unsigned char *buf, size_t len)
{
    const unsigned char *p = buf, *end = buf + len;
    while (p < end) {
        const unsigned char *before = p;
        int rc = der_object(r, &p, (long)(end - p));
        if (rc == -1) {
            if (r->out->n == r->first)
                return failf(r, EX_DATAERR,
                             "not a certificate, public key, CSR or private key (PEM or DER) that pinshim can read");
            return failf(r, EX_DATAERR, "unreadable data after %zu object(s), at byte %zu",
                         r->out->n - r->first, (size_t)(before - buf));
        }
        if (rc != CERTLOAD_OK)
            return rc;
        if (p <= before) /* a parser that consumed nothing: never loop */
            return failf(r, EX_DATAERR, "unreadable data at byte %zu", (size_t)(before - buf));
    }
    return CERTLOAD_OK;
}

/* ---------------------------------------------------------------- roles --- */

static int self_signed(X509 *c)
{
    EVP_PKEY *pk = X509_get0_pubkey(c);
    int rc = pk && X509_NAME_cmp(X509_get_subject_name(c), X509_get_issuer_name(c)) == 0 &&
             X509_verify(c, pk) == 1;
    ERR_clear_error();
    return rc;
}

/* Did `parent` sign `child`?  Names first (cheap), then the signature. */
static int issued(X509 *parent, X509 *child)
{
    if (parent == child || X509_NAME_cmp(X509_get_subject_name(parent), X509_get_issuer_name(child)) != 0)
        return 0;
    EVP_PKEY *pk = X509_get0_pubkey(parent);
    int rc = pk && X509_verify(child, pk) == 1;
    ERR_clear_error();
    return rc;
}

/* Self-signed: root.  Signed another certificate of the same file, or a CA
 * certificate (basicConstraints CA:TRUE): intermediate.  Else: leaf. */
static void assign_roles(struct loaded *l, size_t first)
{
    for (size_t i = first; i < l->n; i++) {
        struct loaded_key *k = &l->keys[i];
        if (k->kind != KEY_CERT)
            continue;
        if (self_signed(k->cert)) {
            k->role = "root";
            continue;
        }
        k->role = (X509_get_extension_flags(k->cert) & EXFLAG_CA) ? "intermediate" : "leaf";
        for (size_t j = first; j < l->n && strcmp(k->role, "leaf") == 0; j++)
            if (l->keys[j].kind == KEY_CERT && issued(k->cert, l->keys[j].cert))
                k->role = "intermediate";
    }
    ERR_clear_error();
}

/* ---------------------------------------------------------------- entry --- */

static void free_key(struct loaded_key *k)
{
    free(k->subject);
    free(k->issuer);
    X509_free(k->cert);
    memset(k, 0, sizeof *k);
}

static int contains(const unsigned char *buf, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    return len >= n && memmem(buf, len, needle, n) != NULL;
}

int certload_buffer(const unsigned char *buf, size_t len, const char *name, struct loaded *out, char *err,
                    size_t errlen)
{
    struct reader r = { .name = name, .out = out, .first = out->n, .err = err, .errlen = errlen };
    int private_before = out->private_keys;
    int rc = -1;

    err[0] = '\0';
    if (len == 0)
        return failf(&r, EX_DATAERR, "nothing in it (0 bytes)");
    if (len > (size_t)CERTLOAD_MAX_BYTES)
        return failf(&r, EX_DATAERR, "larger than %u MiB: not a certificate, key or CSR",
                     CERTLOAD_MAX_BYTES / (1024 * 1024));
    if (contains(buf, len, "-----BEGIN "))
        rc = read_pem(&r, buf, len);
    if (rc == -1)
        rc = read_der(&r, buf, len);
    if (rc == CERTLOAD_OK)
        assign_roles(out, r.first);
    else {
        while (out->n > r.first)
            free_key(&out->keys[--out->n]);
        out->private_keys = private_before;
    }
    ERR_clear_error();
    return rc;
}

int certload_file(const char *path, struct loaded *out, char *err, size_t errlen)
{
    const char *name = certload_display_name(path);
    struct reader r = { .name = name, .out = out, .err = err, .errlen = errlen };
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rbe");
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc;

    if (!f)
        return failf(&r, EX_NOINPUT, "cannot open: %s", strerror(errno));
    /* Read at most one byte more than allowed: enough to know it is too big. */
    for (;;) {
        if (len == cap) {
            if (cap > (size_t)CERTLOAD_MAX_BYTES)
                break;
            size_t ncap = cap ? cap * 2 : (size_t)64 * 1024;
            if (ncap > (size_t)CERTLOAD_MAX_BYTES + 1)
                ncap = (size_t)CERTLOAD_MAX_BYTES + 1;
            unsigned char *b = realloc(buf, ncap);
            if (!b) {
                rc = failf(&r, EX_OSERR, "out of memory");
                goto done;
            }
            buf = b;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f)) {
                rc = failf(&r, EX_NOINPUT, "cannot read: %s", strerror(errno));
                goto done;
            }
            break;
        }
    }
    rc = certload_buffer(buf, len, name, out, err, errlen);
done:
    if (f != stdin)
        fclose(f);
    free(buf);
    return rc;
}

void certload_free(struct loaded *l)
{
    for (size_t i = 0; i < l->n; i++)
        free_key(&l->keys[i]);
    free(l->keys);
    memset(l, 0, sizeof *l);
}
