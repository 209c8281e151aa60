/* Pins: parsing the two text forms, formatting, and computing a certificate's
 * pin.  Hashing and base64 come from OpenSSL through `ossl`. */
#include "config.h"
#include "pin.h"
#include "ossl.h"
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* base64 of 32 bytes: 43 characters and one '=' */
#define PIN_B64_LEN 44

static int is_b64_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

int pin_parse(const char *text, struct pin *out, const char **why)
{
    const char *b64;
    size_t len, data;
    unsigned char buf[PIN_B64_LEN];

    /* "sha256//" is curl's prefix, but an OkHttp-form pin whose base64 starts
     * with '/' (a hash whose first byte is 0xfc or more) looks the same: the
     * length after the prefix decides. */
    if (strncmp(text, "sha256/", 7) != 0) {
        *why = "a pin must start with sha256/ (or curl's sha256//)";
        return -1;
    }
    b64 = text + 7;
    if (b64[0] == '/' && strlen(b64) != PIN_B64_LEN)
        b64++;
    len = strlen(b64);
    for (data = 0; data < len && is_b64_char((unsigned char)b64[data]); data++)
        ;
    for (size_t i = data; i < len; i++) {
        if (b64[i] != '=') {
            *why = "the pin is not valid base64";
            return -1;
        }
    }
    if (len % 4 != 0 || len - data > 2) {
        *why = "the pin is not valid base64";
        return -1;
    }
    if (len != PIN_B64_LEN || data != PIN_B64_LEN - 1) {
        *why = "a pin must be the base64 of 32 bytes (a SHA-256 hash)";
        return -1;
    }
    /* EVP_DecodeBlock counts the padding as output bytes: 44 characters give 33. */
    if (ossl.EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)len) != PIN_LEN + 1) {
        *why = "the pin is not valid base64";
        return -1;
    }
    memcpy(out->hash, buf, PIN_LEN);
    return 0;
}

void pin_format(const struct pin *p, char out[PIN_TEXT_MAX])
{
    static const char prefix[] = "sha256/";
    /* The prefix without its NUL: EVP_EncodeBlock writes the 44 characters
     * after it and the terminating NUL. */
    memcpy(out, prefix, sizeof prefix - 1);
    ossl.EVP_EncodeBlock((unsigned char *)out + sizeof prefix - 1, p->hash, PIN_LEN);
}

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

/* SHA-256 of a certificate's DER encoding (`whole`) or of its public key's
 * (SubjectPublicKeyInfo).  i2d into a buffer of ours: nothing allocated by
 * OpenSSL to free with its allocator, which may not be the one this object
 * would call. */
static int hash_encoding(X509 *cert, bool whole, unsigned char out[PIN_LEN])
{
    X509_PUBKEY *pk = whole ? NULL : ossl.X509_get_X509_PUBKEY(cert);
    unsigned char stackbuf[4096], *der, *p;
    struct pin h;
    int len, rc;

    if (!whole && !pk)
        return -1;
    len = whole ? ossl.i2d_X509(cert, NULL) : ossl.i2d_X509_PUBKEY(pk, NULL);
    if (len <= 0)
        return -1;
    der = (size_t)len <= sizeof stackbuf ? stackbuf : malloc((size_t)len);
    if (!der)
        return -1;
    p = der;
    rc = (whole ? ossl.i2d_X509(cert, &p) : ossl.i2d_X509_PUBKEY(pk, &p)) == len &&
                 pin_of_spki_der(der, (size_t)len, &h) == 0
             ? 0
             : -1;
    if (rc == 0)
        memcpy(out, h.hash, PIN_LEN);
    if (der != stackbuf)
        free(der);
    return rc;
}

int pin_of_cert(X509 *cert, struct pin *out)
{
    return hash_encoding(cert, false, out->hash);
}

int cert_fingerprint(X509 *cert, unsigned char out[PIN_LEN])
{
    return hash_encoding(cert, true, out);
}
