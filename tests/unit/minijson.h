/* A strict little JSON parser for the tests: RFC 8259 grammar, the input must be
 * valid UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF), no
 * raw control characters in strings, \u escapes must not leave a lone
 * surrogate, no duplicate keys.  Strings are decoded to UTF-8. */
#ifndef PINSHIM_MINIJSON_H
#define PINSHIM_MINIJSON_H

#include <stdbool.h>
#include <stddef.h>

enum mj_type { MJ_NULL, MJ_BOOL, MJ_NUMBER, MJ_STRING, MJ_ARRAY, MJ_OBJECT };

struct mj {
    enum mj_type type;
    bool boolean;
    double number;
    char *str;           /* MJ_STRING: decoded, NUL-terminated (may hold NULs: see len) */
    size_t len;
    size_t n;            /* MJ_ARRAY / MJ_OBJECT: number of items */
    struct mj **items;
    char **keys;         /* MJ_OBJECT: decoded keys */
};

/* NULL when `text` (len bytes) is not exactly one valid JSON value (white
 * space around it allowed); then `err` says why and where. */
struct mj *mj_parse(const char *text, size_t len, char *err, size_t errlen);
void mj_free(struct mj *v);

/* Member of an object, or NULL. */
const struct mj *mj_get(const struct mj *obj, const char *key);

/* Strict UTF-8 check (RFC 3629). */
bool utf8_valid(const unsigned char *s, size_t n);

#endif
