/* Certificates, public keys, CSRs and private keys -> pins (see certload.h).
 *
 * PEM input is read block by block and each block is parsed by its label
 * (certload_pem.c); anything else is taken as DER, one object after another,
 * each tried with every parser in turn (certload_der.c).  What is kept of each
 * certificate, key and CSR is in certload_keys.c.  Here: the entry points, the
 * roles of certificates, the messages.  Private keys are reduced to their
 * public half at once; no password is ever asked for: an encrypted key is an
 * error. */
#include "config.h"
#include "certload_int.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <openssl/err.h>
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

int certload_failf(struct reader *r, int code, const char *fmt, ...)
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
        return certload_failf(&r, EX_DATAERR, "nothing in it (0 bytes)");
    if (len > (size_t)CERTLOAD_MAX_BYTES)
        return certload_failf(&r, EX_DATAERR, "larger than %u MiB: not a certificate, key or CSR",
                     CERTLOAD_MAX_BYTES / (1024 * 1024));
    if (contains(buf, len, "-----BEGIN "))
        rc = certload_read_pem(&r, buf, len);
    if (rc == -1)
        rc = certload_read_der(&r, buf, len);
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
        return certload_failf(&r, EX_NOINPUT, "cannot open: %s", strerror(errno));
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
                rc = certload_failf(&r, EX_OSERR, "out of memory");
                goto done;
            }
            buf = b;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f)) {
                rc = certload_failf(&r, EX_NOINPUT, "cannot read: %s", strerror(errno));
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
