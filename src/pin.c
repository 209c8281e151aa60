/* Pins: parsing the two text forms, formatting, and computing a certificate's
 * pin.  Hashing comes from the process's own TLS library through `ossl`.
 * Base64 is done here: the text forms are needed to read a config in a
 * process whose TLS library pinshim cannot bind (DESIGN 4: it must still
 * honour `programs` and say `uncovered`), and GnuTLS processes have no
 * libcrypto to borrow it from. */
#include "config.h"
#include "pin.h"
#include "ossl.h"
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* base64 of 32 bytes: 43 characters and one '=' */
#define PIN_B64_LEN 44

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Each byte's base64 value plus one; 0: not base64.  A table: a config of
 * many pins reads 44 characters a pin (the sample config: 20 pins). */
static const unsigned char b64_table[256] = {
    ['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8,
    ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16,
    ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
    ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
    ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
    ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
    ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
    ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
};

static int b64_value(unsigned char c)
{
    return (int)b64_table[c] - 1;
}

/* 43 base64 characters and '=' -> 32 bytes.  The last character's two spare
 * bits are ignored, as OpenSSL's decoder (used before) ignored them. */
static int b64_decode_pin(const char *b64, unsigned char out[PIN_LEN])
{
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;
    for (size_t i = 0; i < PIN_B64_LEN - 1; i++) {
        int v = b64_value((unsigned char)b64[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(acc >> bits);
        }
    }
    return n == PIN_LEN ? 0 : -1;
}

int pin_parse(const char *text, struct pin *out, const char **why)
{
    const char *b64;
    size_t len, data;

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
    for (data = 0; data < len && b64_value((unsigned char)b64[data]) >= 0; data++)
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
    if (b64_decode_pin(b64, out->hash) != 0) {
        *why = "the pin is not valid base64";
        return -1;
    }
    return 0;
}

void pin_format(const struct pin *p, char out[PIN_TEXT_MAX])
{
    static const char prefix[] = "sha256/";
    char *o = out + sizeof prefix - 1;
    memcpy(out, prefix, sizeof prefix - 1);
    for (size_t i = 0; i < PIN_LEN; i += 3) {
        uint32_t v = (uint32_t)p->hash[i] << 16;
        if (i + 1 < PIN_LEN)
            v |= (uint32_t)p->hash[i + 1] << 8;
        if (i + 2 < PIN_LEN)
            v |= p->hash[i + 2];
        *o++ = b64_alphabet[(v >> 18) & 63];
        *o++ = b64_alphabet[(v >> 12) & 63];
        *o++ = i + 1 < PIN_LEN ? b64_alphabet[(v >> 6) & 63] : '=';
        *o++ = i + 2 < PIN_LEN ? b64_alphabet[v & 63] : '=';
    }
    *o = '\0';
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
