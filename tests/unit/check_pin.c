/* pin.c: the two text forms, rejected texts, formatting, certificate pins. */
#include "config.h"
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include "ossl.h"
#include "ossl_cert.h"
#include "der.h"
#include "pin.h"
#include "testpki.h"

static struct testpki pki;

static void pki_setup(void)
{
    pki_init(&pki);
}

static void pki_teardown(void)
{
    pki_free(&pki);
}

static void b64(const unsigned char *data, int len, char *out)
{
    EVP_EncodeBlock((unsigned char *)out, data, len);
}

/* ---- the two accepted forms ---- */

START_TEST(test_both_forms_same_bytes)
{
    struct pin want, a, b;
    char text[64], curl[80];
    const char *why = NULL;

    pki_pin_of_key(pki.leaf_key, &want);
    pki_pin_text(want.hash, text);
    snprintf(curl, sizeof curl, "sha256//%s", text + 7);

    memset(&a, 0xaa, sizeof a);
    memset(&b, 0x55, sizeof b);
    ck_assert_int_eq(pin_parse(text, &a, &why), 0);
    ck_assert_int_eq(pin_parse(curl, &b, &why), 0);
    ck_assert_mem_eq(a.hash, want.hash, PIN_LEN);
    ck_assert_mem_eq(b.hash, want.hash, PIN_LEN);
}
END_TEST

/* A hash whose first byte is >= 0xfc has a base64 text that starts with '/',
 * so its OkHttp form begins "sha256//" like curl's form.  The two are told
 * apart by length (44 characters after "sha256/" or after "sha256//").
 * REGRESSION (was a bug, fixed) (src/pin.c pin_parse): the "sha256//" prefix is tried first and
 * the OkHttp form of such a pin (about 1 pin in 64) is rejected as "not valid
 * base64". */
START_TEST(test_okhttp_form_starting_with_slash)
{
    static const unsigned char firsts[] = { 0xfc, 0xfd, 0xfe, 0xff };
    unsigned char hash = firsts[_i];
    struct pin want, got, got_curl;
    char text[64], curl[80];
    const char *why = "(none)";

    memset(want.hash, 0x11, PIN_LEN);
    want.hash[0] = hash;
    pki_pin_text(want.hash, text);
    ck_assert_msg(strncmp(text, "sha256//", 8) == 0, "test premise: %s starts with sha256//", text);
    snprintf(curl, sizeof curl, "sha256//%s", text + 7);

    ck_assert_msg(pin_parse(curl, &got_curl, &why) == 0, "curl form %s rejected: %s", curl, why);
    ck_assert_mem_eq(got_curl.hash, want.hash, PIN_LEN);
    ck_assert_msg(pin_parse(text, &got, &why) == 0, "REGRESSION (was a bug, fixed) (pin_parse): OkHttp form %s rejected: %s", text, why);
    ck_assert_mem_eq(got.hash, want.hash, PIN_LEN);
}
END_TEST

/* ---- rejected texts ---- */

enum kind { PREFIX, BASE64, LENGTH };

static void expect_reject(const char *text, enum kind kind)
{
    struct pin out, before;
    const char *why = NULL;
    memset(&out, 0x5a, sizeof out);
    before = out;
    int rc = pin_parse(text, &out, &why);
    ck_assert_msg(rc == -1, "pin_parse accepted \"%s\" (rc %d)", text, rc);
    ck_assert_msg(why != NULL && why[0] != '\0', "no reason for \"%s\"", text);
    ck_assert_msg(memcmp(&out, &before, sizeof out) == 0, "rejected \"%s\" but wrote the output", text);
    switch (kind) {
    case PREFIX:
        ck_assert_msg(strstr(why, "sha256/") != NULL, "reason for \"%s\" does not name sha256/: %s", text, why);
        break;
    case BASE64:
        ck_assert_msg(strstr(why, "base64") != NULL, "reason for \"%s\" does not say base64: %s", text, why);
        break;
    case LENGTH:
        ck_assert_msg(strstr(why, "32") != NULL, "reason for \"%s\" does not give the length: %s", text, why);
        break;
    }
}

/* A valid 44-character base64 text of 32 bytes, as the base of bad variants. */
static void good_b64(char out[45])
{
    unsigned char h[PIN_LEN];
    for (int i = 0; i < PIN_LEN; i++)
        h[i] = (unsigned char)(i * 7 + 3);
    b64(h, PIN_LEN, out);
    ck_assert_uint_eq(strlen(out), 44);
    ck_assert_int_eq(out[43], '=');
    ck_assert_int_ne(out[42], '=');
}

START_TEST(test_reject_prefix)
{
    char g[45], t[128];
    good_b64(g);
    const char *prefixes[] = { "", "sha1/", "SHA256/", "Sha256/", "sha256:", "sha256=", "sha-256/", "sha384/",
                               " sha256/", "sha256\\", "256/", "sha256 /" };
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
        snprintf(t, sizeof t, "%s%s", prefixes[i], g);
        expect_reject(t, PREFIX);
    }
    expect_reject("", PREFIX);
    expect_reject("sha256", PREFIX);
    /* a SHA-1 pin in the old HPKP-style form */
    unsigned char h20[20] = { 1, 2, 3 };
    char s20[40];
    b64(h20, 20, s20);
    snprintf(t, sizeof t, "sha1/%s", s20);
    expect_reject(t, PREFIX);
}
END_TEST

START_TEST(test_reject_bad_base64)
{
    char g[45], t[128], v[64];
    good_b64(g);

    /* illegal characters, one at a time, in the middle of a valid text */
    const char bad[] = { '-', '_', '!', '.', ' ', '\t', '\n', '*', '"', '\\', '%', '~', (char)0xc3 };
    for (size_t i = 0; i < sizeof bad; i++) {
        strcpy(v, g);
        v[20] = bad[i];
        snprintf(t, sizeof t, "sha256/%s", v);
        expect_reject(t, BASE64);
        snprintf(t, sizeof t, "sha256//%s", v);
        expect_reject(t, BASE64);
    }
    /* '=' in the middle */
    strcpy(v, g);
    v[10] = '=';
    snprintf(t, sizeof t, "sha256/%s", v);
    expect_reject(t, BASE64);
    /* padding followed by data */
    snprintf(t, sizeof t, "sha256/%.42s=A", g);
    expect_reject(t, BASE64);
    /* three '=' */
    snprintf(t, sizeof t, "sha256/%.41s===", g);
    expect_reject(t, BASE64);
    /* missing padding: 43 characters */
    snprintf(t, sizeof t, "sha256/%.43s", g);
    expect_reject(t, BASE64);
    /* an extra '=' */
    snprintf(t, sizeof t, "sha256/%s=", g);
    expect_reject(t, BASE64);
    /* trailing and leading white space */
    snprintf(t, sizeof t, "sha256/%s ", g);
    expect_reject(t, BASE64);
    snprintf(t, sizeof t, "sha256/ %s", g);
    expect_reject(t, BASE64);
    snprintf(t, sizeof t, "sha256/%s\n", g);
    expect_reject(t, BASE64);
}
END_TEST

START_TEST(test_reject_wrong_length)
{
    unsigned char h[64];
    char s[100], t[128];
    static const int lengths[] = { 0, 1, 16, 20, 30, 31, 33, 34, 48, 64 };
    for (int i = 0; i < 64; i++)
        h[i] = (unsigned char)(0x40 + i);
    for (size_t i = 0; i < sizeof lengths / sizeof *lengths; i++) {
        int n = lengths[i];
        b64(h, n, s);
        snprintf(t, sizeof t, "sha256/%s", s);
        expect_reject(t, LENGTH);
        snprintf(t, sizeof t, "sha256//%s", s);
        expect_reject(t, LENGTH);
    }
    /* 31 and 33 bytes take 44 characters like 32 ("==" / no padding) */
    b64(h, 31, s);
    ck_assert_uint_eq(strlen(s), 44);
    b64(h, 33, s);
    ck_assert_uint_eq(strlen(s), 44);
}
END_TEST

/* "=" alone, "==" padding on a 32-byte length, 42 characters + "==" */
START_TEST(test_reject_bad_padding)
{
    char g[45], t[128];
    good_b64(g);
    snprintf(t, sizeof t, "sha256/%.42s==", g);
    struct pin out;
    const char *why = NULL;
    ck_assert_int_eq(pin_parse(t, &out, &why), -1);
    ck_assert_ptr_nonnull(why);
    ck_assert_int_eq(pin_parse("sha256/====", &out, &why), -1);
    ck_assert_int_eq(pin_parse("sha256/=", &out, &why), -1);
    ck_assert_int_eq(pin_parse("sha256//=", &out, &why), -1);
    ck_assert_int_eq(pin_parse("sha256///", &out, &why), -1);
}
END_TEST

/* ---- formatting ---- */

START_TEST(test_format_round_trip)
{
    for (int round = 0; round < 200; round++) {
        struct pin p, back;
        char text[PIN_TEXT_MAX + 8], want[64];
        const char *why = NULL;
        if (round == 0)
            memset(p.hash, 0, PIN_LEN);
        else if (round == 1)
            memset(p.hash, 0xff, PIN_LEN);
        else
            ck_assert_int_eq(RAND_bytes(p.hash, PIN_LEN), 1);
        memset(text, 'X', sizeof text);
        pin_format(&p, text);
        ck_assert_int_eq(text[PIN_TEXT_MAX - 1], '\0');
        ck_assert_int_eq(text[PIN_TEXT_MAX], 'X'); /* stays inside PIN_TEXT_MAX */
        ck_assert_uint_eq(strlen(text), 51);
        pki_pin_text(p.hash, want);
        ck_assert_str_eq(text, want);
        if (p.hash[0] >= 0xfc)
            continue; /* "sha256//...": see test_okhttp_form_starting_with_slash */
        ck_assert_msg(pin_parse(text, &back, &why) == 0, "%s: %s", text, why);
        ck_assert_mem_eq(back.hash, p.hash, PIN_LEN);
    }
}
END_TEST

/* ---- pins of certificates ---- */

START_TEST(test_pin_of_cert_independent)
{
    X509 *certs[] = { pki.root, pki.intermediate, pki.leaf, pki.leaf2, pki.evil_leaf };
    EVP_PKEY *keys[] = { pki.root_key, pki.int_key, pki.leaf_key, pki.leaf2_key, pki.evil_leaf_key };
    for (size_t i = 0; i < sizeof certs / sizeof *certs; i++) {
        struct pin got, want;
        memset(&got, 0, sizeof got);
        pki_pin_of_key(keys[i], &want);
        ck_assert_int_eq(pin_of_cert(certs[i], &got), 0);
        ck_assert_mem_eq(got.hash, want.hash, PIN_LEN);
    }
    /* different keys, different pins; the attacker's leaf has its own */
    struct pin a, b;
    ck_assert_int_eq(pin_of_cert(pki.leaf, &a), 0);
    ck_assert_int_eq(pin_of_cert(pki.evil_leaf, &b), 0);
    ck_assert(memcmp(a.hash, b.hash, PIN_LEN) != 0);
}
END_TEST

/* pin_of_cert hashes the SubjectPublicKeyInfo from the pieces OpenSSL holds
 * (algorithm, parameters, key bits) instead of re-encoding it: the same
 * bytes as i2d_PUBKEY for every shape of parameters: NULL (RSA), an OID (EC
 * named curves), absent (Ed25519, Ed448, X25519), a SEQUENCE (RSA-PSS with
 * restrictions, EC with explicit parameters). */
static EVP_PKEY *key_of(const char *alg, const char *param)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);
    EVP_PKEY *k = NULL;
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(EVP_PKEY_keygen_init(c), 1);
    if (strcmp(alg, "RSA") == 0 || strcmp(alg, "RSA-PSS") == 0)
        ck_assert_int_gt(EVP_PKEY_CTX_set_rsa_keygen_bits(c, 1024), 0);
    if (strcmp(alg, "RSA-PSS") == 0 && param)
        ck_assert_int_gt(EVP_PKEY_CTX_set_rsa_pss_keygen_md_name(c, param, NULL), 0);
    if (strcmp(alg, "EC") == 0) {
        ck_assert_int_gt(EVP_PKEY_CTX_set_group_name(c, "P-384"), 0);
        if (param)
            ck_assert_int_gt(EVP_PKEY_CTX_set_ec_param_enc(c, OPENSSL_EC_EXPLICIT_CURVE), 0);
    }
    ck_assert_int_eq(EVP_PKEY_keygen(c, &k), 1);
    EVP_PKEY_CTX_free(c);
    return k;
}

START_TEST(test_pin_of_cert_key_shapes)
{
    static const struct { const char *alg, *param; } shapes[] = {
        { "RSA", NULL }, { "RSA-PSS", NULL }, { "RSA-PSS", "SHA256" }, { "EC", NULL }, { "EC", "explicit" },
        { "ED25519", NULL }, { "ED448", NULL }, { "X25519", NULL },
    };
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        EVP_PKEY *k = key_of(shapes[i].alg, shapes[i].param);
        X509 *cert = pki_cert(&(struct pki_spec){ .cn = "shape.example.com", .key = k, .issuer = pki.intermediate,
                                                   .signer = pki.int_key });
        struct pin got, want;
        memset(&got, 0, sizeof got);
        pki_pin_of_x509(cert, &want);
        ck_assert_msg(pin_of_cert(cert, &got) == 0, "%s %s: no pin", shapes[i].alg, shapes[i].param ? shapes[i].param : "");
        ck_assert_msg(memcmp(got.hash, want.hash, PIN_LEN) == 0, "%s %s: pin differs from i2d_PUBKEY's",
                      shapes[i].alg, shapes[i].param ? shapes[i].param : "");
        X509_free(cert);
        EVP_PKEY_free(k);
    }
}
END_TEST

/* der_cert_spki (for libraries that hand out DER): the SubjectPublicKeyInfo
 * found in the certificate's own bytes is the one i2d_PUBKEY writes, for
 * every shape of key; anything not shaped like a certificate is refused. */
static void check_der_spki(X509 *cert, const char *what)
{
    unsigned char *der = NULL, *spki_want = NULL;
    int len = i2d_X509(cert, &der);
    int want_len = i2d_PUBKEY(X509_get0_pubkey(cert), &spki_want);
    const unsigned char *spki = NULL;
    size_t spki_len = 0;
    ck_assert_int_gt(len, 0);
    ck_assert_int_gt(want_len, 0);
    ck_assert_msg(der_cert_spki(der, (size_t)len, &spki, &spki_len) == 0, "%s: no SPKI found", what);
    ck_assert_msg(spki_len == (size_t)want_len && memcmp(spki, spki_want, spki_len) == 0,
                  "%s: SPKI differs from i2d_PUBKEY's", what);
    /* Cut anywhere before the SPKI's end, it is refused, never read past. */
    size_t end = (size_t)(spki - der) + spki_len;
    for (size_t cut = 0; cut < end; cut += 7) {
        unsigned char *copy = malloc(cut ? cut : 1);
        memcpy(copy, der, cut);
        ck_assert_msg(der_cert_spki(copy, cut, &spki, &spki_len) != 0, "%s cut at %zu: accepted", what, cut);
        free(copy);
    }
    OPENSSL_free(der);
    OPENSSL_free(spki_want);
}

START_TEST(test_der_cert_spki)
{
    check_der_spki(pki.root, "root");
    check_der_spki(pki.intermediate, "intermediate");
    check_der_spki(pki.leaf, "leaf");
    static const struct { const char *alg, *param; } shapes[] = {
        { "RSA", NULL }, { "RSA-PSS", "SHA256" }, { "EC", "explicit" }, { "ED25519", NULL }, { "ED448", NULL },
    };
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        EVP_PKEY *k = key_of(shapes[i].alg, shapes[i].param);
        X509 *cert = pki_cert(&(struct pki_spec){ .cn = "shape.example.com", .key = k, .issuer = pki.intermediate,
                                                   .signer = pki.int_key });
        check_der_spki(cert, shapes[i].alg);
        X509_free(cert);
        EVP_PKEY_free(k);
    }
    /* Not a certificate. */
    const unsigned char *spki;
    size_t spki_len;
    static const unsigned char junk[][8] = {
        { 0x02, 0x01, 0x00 },                         /* an INTEGER */
        { 0x30, 0x03, 0x02, 0x01, 0x00 },             /* a SEQUENCE holding no SEQUENCE */
        { 0x30, 0x84, 0xff, 0xff, 0xff, 0xff },       /* a length beyond the input */
        { 0x30, 0x80, 0x30, 0x80, 0x00, 0x00 },       /* BER's indefinite length */
    };
    for (size_t i = 0; i < sizeof junk / sizeof *junk; i++)
        ck_assert_int_ne(der_cert_spki(junk[i], sizeof junk[i], &spki, &spki_len), 0);
    ck_assert_int_ne(der_cert_spki(NULL, 0, &spki, &spki_len), 0);
}
END_TEST

/* der_cert_not_after: the notAfter of the certificate's own bytes, in both
 * of RFC 5280's forms (UTCTime up to 2049, GeneralizedTime from 2050), leap
 * days included; any other form is left to the TLS library (-1). */
static int not_after_of(X509 *cert, time_t *out)
{
    unsigned char *der = NULL;
    int len = i2d_X509(cert, &der);
    ck_assert_int_gt(len, 0);
    int rc = der_cert_not_after(der, (size_t)len, out);
    /* Cut anywhere, it is refused, never read past. */
    for (int cut = 0; cut < len; cut += 5) {
        time_t ignored;
        unsigned char *copy = malloc(cut ? (size_t)cut : 1);
        memcpy(copy, der, (size_t)cut);
        ck_assert_msg(der_cert_not_after(copy, (size_t)cut, &ignored) != 0, "cut at %d: accepted", cut);
        free(copy);
    }
    OPENSSL_free(der);
    return rc;
}

START_TEST(test_der_cert_not_after)
{
    const time_t when[] = {
        pki_time(2028, 2, 29, 12, 0, 0),  pki_time(2049, 12, 31, 23, 59, 59), pki_time(2050, 1, 1, 0, 0, 0),
        pki_time(2000, 2, 29, 23, 59, 59), pki_time(2100, 3, 1, 0, 0, 0),    pki_time(2038, 1, 19, 3, 14, 8),
        pki_time(1985, 6, 15, 10, 20, 30), pki_time(2400, 2, 29, 1, 2, 3),    pki_time(9999, 12, 31, 23, 59, 59),
    };
    for (size_t i = 0; i < sizeof when / sizeof *when; i++) {
        X509 *cert = pki_cert(&(struct pki_spec){ .cn = "expiry.example.com", .key = pki.leaf_key,
                                                   .issuer = pki.intermediate, .signer = pki.int_key,
                                                   .not_before = pki_time(1980, 1, 1, 0, 0, 0), .not_after = when[i] });
        time_t got = 0;
        ck_assert_int_eq(not_after_of(cert, &got), 0);
        ck_assert_msg(got == when[i], "case %zu: %lld, not %lld", i, (long long)got, (long long)when[i]);
        X509_free(cert);
    }
    time_t got = 0;
    ck_assert_int_eq(not_after_of(pki.leaf, &got), 0);
    ck_assert_int_eq(ASN1_TIME_cmp_time_t(X509_get0_notAfter(pki.leaf), got), 0);
    /* Forms RFC 5280 does not allow: no seconds, a zone offset, a fraction;
     * and a UTCTime before 1970. */
    static const struct { const char *text; int type; } odd[] = {
        { "3001010000Z", V_ASN1_UTCTIME },          { "300101000000+0100", V_ASN1_UTCTIME },
        { "20300101000000.5Z", V_ASN1_GENERALIZEDTIME }, { "600101000000Z", V_ASN1_UTCTIME },
        { "19600101000000Z", V_ASN1_GENERALIZEDTIME },   { "301301000000Z", V_ASN1_UTCTIME },
    };
    for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
        X509 *cert = pki_cert(&(struct pki_spec){ .cn = "odd.example.com", .key = pki.leaf_key,
                                                   .issuer = pki.intermediate, .signer = pki.int_key });
        ASN1_TIME *t = ASN1_TIME_new();
        ck_assert_ptr_nonnull(t);
        /* Set as given, without OpenSSL's checks. */
        ck_assert_int_eq(ASN1_STRING_set(t, odd[i].text, (int)strlen(odd[i].text)), 1);
        t->type = odd[i].type;
        ck_assert_int_eq(X509_set1_notAfter(cert, t), 1);
        ck_assert_int_gt(X509_sign(cert, pki.int_key, EVP_sha256()), 0); /* re-encoded */
        unsigned char *der = NULL;
        int len = i2d_X509(cert, &der);
        ck_assert_ptr_nonnull(memmem(der, (size_t)(len > 0 ? len : 0), odd[i].text, strlen(odd[i].text)));
        OPENSSL_free(der);
        ck_assert_msg(not_after_of(cert, &got) != 0, "%s: accepted", odd[i].text);
        ASN1_TIME_free(t);
        X509_free(cert);
    }
    ck_assert_int_ne(der_cert_not_after(NULL, 0, &got), 0);
}
END_TEST

START_TEST(test_pin_of_spki_der)
{
    unsigned char *der = NULL;
    int len = i2d_PUBKEY(pki.int_key, &der);
    struct pin got, want;
    ck_assert_int_gt(len, 0);
    ck_assert_int_eq(pin_of_spki_der(der, (size_t)len, &got), 0);
    pki_pin_of_key(pki.int_key, &want);
    ck_assert_mem_eq(got.hash, want.hash, PIN_LEN);
    OPENSSL_free(der);
}
END_TEST

/* The same key in two certificates has one pin; the pin is of the key only. */
START_TEST(test_pin_same_key_other_cert)
{
    X509 *again = pki_cert(&(struct pki_spec){ .cn = "other.example.net", .key = pki.leaf_key,
                                                .issuer = pki.root, .signer = pki.root_key });
    struct pin a, b;
    ck_assert_int_eq(pin_of_cert(pki.leaf, &a), 0);
    ck_assert_int_eq(pin_of_cert(again, &b), 0);
    ck_assert_mem_eq(a.hash, b.hash, PIN_LEN);
    X509_free(again);
}
END_TEST

/* The identity of a certificate: SHA-1 of its DER, zero-padded (pin.h). */
static void fingerprint_of(X509 *cert, unsigned char out[32])
{
    unsigned char *der = NULL;
    unsigned int n = 0;
    int len = i2d_X509(cert, &der);
    ck_assert_int_gt(len, 0);
    memset(out, 0, 32);
    ck_assert_int_eq(EVP_Digest(der, (size_t)len, out, &n, EVP_sha1(), NULL), 1);
    ck_assert_uint_eq(n, 20);
    OPENSSL_free(der);
}

START_TEST(test_cert_fingerprint)
{
    unsigned char got[PIN_LEN], want[PIN_LEN], other[PIN_LEN];
    ck_assert_int_eq(cert_fingerprint(pki.leaf, got), 0);
    fingerprint_of(pki.leaf, want);
    ck_assert_mem_eq(got, want, PIN_LEN);
    ck_assert_int_eq(cert_fingerprint(pki.evil_leaf2, other), 0);
    ck_assert(memcmp(got, other, PIN_LEN) != 0);

    /* a certificate larger than the 4 KiB stack buffer */
    X509 *big = pki_cert(&(struct pki_spec){ .cn = "big.example.com", .key = pki.leaf_key, .issuer = pki.root,
                                              .signer = pki.root_key });
    ASN1_IA5STRING *comment = ASN1_IA5STRING_new();
    char *filler = malloc(9000);
    ck_assert_ptr_nonnull(filler);
    memset(filler, 'z', 8999);
    filler[8999] = '\0';
    ck_assert_int_eq(ASN1_STRING_set(comment, filler, -1), 1);
    ck_assert_int_eq(X509_add1_ext_i2d(big, NID_netscape_comment, comment, 0, 0), 1);
    ck_assert_int_gt(X509_sign(big, pki.root_key, EVP_sha256()), 0);
    ck_assert_int_gt(i2d_X509(big, NULL), 9000);
    ck_assert_int_eq(cert_fingerprint(big, got), 0);
    fingerprint_of(big, want);
    ck_assert_mem_eq(got, want, PIN_LEN);
    ASN1_IA5STRING_free(comment);
    free(filler);
    X509_free(big);
}
END_TEST

static Suite *pin_suite(void)
{
    Suite *s = suite_create("pin");
    TCase *tc = tcase_create("parse");
    tcase_add_unchecked_fixture(tc, pki_setup, pki_teardown);
    tcase_add_test(tc, test_both_forms_same_bytes);
    tcase_add_loop_test(tc, test_okhttp_form_starting_with_slash, 0, 4);
    tcase_add_test(tc, test_reject_prefix);
    tcase_add_test(tc, test_reject_bad_base64);
    tcase_add_test(tc, test_reject_wrong_length);
    tcase_add_test(tc, test_reject_bad_padding);
    tcase_add_test(tc, test_format_round_trip);
    suite_add_tcase(s, tc);

    tc = tcase_create("cert");
    tcase_add_unchecked_fixture(tc, pki_setup, pki_teardown);
    tcase_add_test(tc, test_pin_of_cert_independent);
    tcase_add_test(tc, test_pin_of_cert_key_shapes);
    tcase_add_test(tc, test_pin_of_spki_der);
    tcase_add_test(tc, test_der_cert_spki);
    tcase_add_test(tc, test_der_cert_not_after);
    tcase_add_test(tc, test_pin_same_key_other_cert);
    tcase_add_test(tc, test_cert_fingerprint);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    ossl_bind_linked();
    SRunner *sr = srunner_create(pin_suite());
    srunner_run_all(sr, CK_VERBOSE);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
