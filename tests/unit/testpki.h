/* A small PKI made in memory with the OpenSSL API, for the unit tests: EC P-256
 * keys, root CA -> intermediate CA -> leaf with proper names, key identifiers,
 * basicConstraints and keyUsage, each signed by the right key; a second leaf;
 * and the certificates of an attacker (CVE-2016-2402: a leaf whose issuer NAME
 * and authority key id are those of the genuine intermediate, signed by the
 * attacker's key). Every certificate is re-read from its DER, as a handshake
 * would present it. */
#ifndef PINSHIM_TESTPKI_H
#define PINSHIM_TESTPKI_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "pin.h"

struct pki_spec {
    const char *cn;             /* subject CN */
    const char *org;            /* subject O; NULL: none */
    EVP_PKEY *key;              /* the subject's key (public part goes in the certificate) */
    X509 *issuer;               /* NULL: self-signed (issuer = subject, signed by key) */
    EVP_PKEY *signer;           /* signs the certificate; NULL: issuer's own key is not known, so required unless self-signed */
    const X509_NAME *issuer_name; /* overrides the issuer name (default: issuer's subject) */
    X509 *akid_from;            /* AKID keyid copied from this certificate's SKID (default: issuer) */
    bool ca;
    time_t not_before;          /* 0: now - 1 day */
    time_t not_after;           /* 0: now + 365 days */
    long serial;                /* 0: a counter */
};

struct testpki {
    EVP_PKEY *root_key, *int_key, *leaf_key, *leaf2_key, *evil_key, *evil_leaf_key;
    X509 *root;          /* CN=Pinshim Test Root, self-signed */
    X509 *intermediate;  /* CN=Pinshim Test Intermediate, issued by root */
    X509 *leaf;          /* CN=leaf.example.com, issued by intermediate */
    X509 *leaf2;         /* CN=leaf2.example.com, another key, issued by intermediate */
    X509 *evil_root;     /* CN=Evil Root, self-signed by evil_key */
    X509 *evil_leaf;     /* CN=leaf.example.com, issuer name and AKID of the genuine
                          * intermediate, signed by evil_key (CVE-2016-2402) */
    X509 *evil_leaf2;    /* CN=leaf.example.com, honestly issued by evil_root */
};

/* A new EC P-256 key; aborts on failure. */
EVP_PKEY *pki_key(void);

/* A certificate as described; aborts on failure. */
X509 *pki_cert(const struct pki_spec *spec);

/* Builds the whole set; aborts on failure. */
void pki_init(struct testpki *pki);
void pki_free(struct testpki *pki);

/* The SHA-256 of i2d_PUBKEY(key), computed with EVP_Digest: independent of pin.c. */
void pki_pin_of_key(EVP_PKEY *key, struct pin *out);
/* Same, for a certificate's key (X509_get0_pubkey + i2d_PUBKEY). */
void pki_pin_of_x509(X509 *cert, struct pin *out);
/* "sha256/" + base64 of 32 bytes, with EVP_EncodeBlock: independent of pin.c.
 * out has at least 52 bytes. */
void pki_pin_text(const unsigned char hash[32], char *out);

/* A UTC time from its parts (timegm). */
time_t pki_time(int year, int mon, int mday, int hour, int min, int sec);

#endif
