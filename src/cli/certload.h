/* Reading the keys of a file for `pinshim pin`: certificates (PEM, DER, PEM
 * bundles, PKCS#7), public keys (SubjectPublicKeyInfo, PKCS#1 RSA), CSRs and
 * private keys (PKCS#8, traditional), each reduced to the pin of its public
 * key.  The format is found by trying parsers on the bytes, never from the
 * file name.  Nothing here prints: failures come back as one line of text. */
#ifndef PINSHIM_CERTLOAD_H
#define PINSHIM_CERTLOAD_H

#include <stddef.h>
#include <openssl/x509.h>
#include "pin.h"

/* Larger inputs are refused: no certificate, key or bundle is this big. */
#define CERTLOAD_MAX_BYTES (16u * 1024 * 1024)
/* More certificates and keys than this in one file are refused. */
#define CERTLOAD_MAX_ITEMS 4096

enum key_kind { KEY_CERT, KEY_PUBKEY, KEY_CSR, KEY_PRIVKEY };

/* "certificate", "public key", "csr", "private key" */
const char *key_kind_text(enum key_kind k);

struct loaded_key {
    enum key_kind kind;
    struct pin pin;
    char key_type[40];       /* "RSA 2048 bits", "EC 256 bits", ... */
    char *subject;           /* certificates and CSRs (RFC 2253), else NULL */
    char *issuer;            /* certificates, else NULL */
    char not_after[32];      /* certificates: RFC 3339 UTC, else "" */
    const char *role;        /* certificates: "leaf", "intermediate" or "root", else NULL */
    int pkcs1;               /* a PKCS#1 RSA public key, re-encoded as SubjectPublicKeyInfo */
    X509 *cert;              /* certificates: the certificate (owned) */
};

struct loaded {
    size_t n, cap;
    struct loaded_key *keys;
    int private_keys;        /* how many of the keys came from private keys */
};

/* Status codes (sysexits values) */
#define CERTLOAD_OK 0

/* Read `path` ("-": standard input) and append its keys to `out` (zeroed by
 * the caller before the first call).  Returns CERTLOAD_OK, EX_NOINPUT (the
 * file cannot be opened or read), EX_DATAERR (empty, too large, not a
 * certificate/key/CSR, an encrypted private key, damaged) or EX_OSERR (out of
 * memory), with a one-line reason naming the file in `err`.  On failure
 * nothing of this file is kept in `out`. */
int certload_file(const char *path, struct loaded *out, char *err, size_t errlen);

/* The same on bytes in memory; `name` is used in messages. */
int certload_buffer(const unsigned char *buf, size_t len, const char *name, struct loaded *out, char *err,
                    size_t errlen);

void certload_free(struct loaded *l);

/* How a path is named in messages: "standard input" for "-". */
const char *certload_display_name(const char *path);

#endif
