/* Inside certload (see certload.h): the state of one file being read and the
 * helpers its parts share.  certload.c has the entry points and the roles,
 * certload_pem.c the PEM labels, certload_der.c the DER parsers tried in
 * turn, certload_keys.c what is kept of each certificate, key and CSR. */
#ifndef PINSHIM_CERTLOAD_INT_H
#define PINSHIM_CERTLOAD_INT_H

#include <stddef.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include "certload.h"

/* One file being read. */
struct reader {
    const char *name;        /* for messages */
    struct loaded *out;
    size_t first;            /* index of this file's first key in out */
    char *err;
    size_t errlen;
};

/* "<name>: <message>" into r->err, as one line; returns `code`. */
int certload_failf(struct reader *r, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The refusal of an encrypted private key (EX_DATAERR). */
int certload_encrypted_key(struct reader *r);

/* Each adds one key (a PKCS#7 structure: its certificates) to r->out and
 * takes ownership of its argument; CERTLOAD_OK or an error. */
int certload_add_pkey(struct reader *r, EVP_PKEY *pk, enum key_kind kind, int pkcs1);
int certload_add_cert(struct reader *r, X509 *cert);
int certload_add_csr(struct reader *r, X509_REQ *req);
int certload_add_pkcs7(struct reader *r, PKCS7 *p7);
/* A DER PKCS#8 PrivateKeyInfo of `len` bytes (not taken). */
int certload_add_pkcs8(struct reader *r, const unsigned char *der, long len);

/* CERTLOAD_OK when at least one PEM block was read, -1 when there is none
 * (then the input is tried as DER), or an error. */
int certload_read_pem(struct reader *r, const unsigned char *buf, size_t len);
/* The input as DER objects one after another: CERTLOAD_OK or an error. */
int certload_read_der(struct reader *r, const unsigned char *buf, size_t len);

#endif
