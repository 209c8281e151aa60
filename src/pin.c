/* Pins: parsing and formatting the two text forms.  A certificate's pin is
 * its TLS library's to compute (cert.h).  Base64 is done here: the text forms
 * are needed to read a config in a process whose TLS library pinshim cannot
 * bind (DESIGN 4: it must still honour `programs` and say `uncovered`), and
 * GnuTLS processes have no libcrypto to borrow it from. */
#include "config.h"
#include "pin.h"
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
