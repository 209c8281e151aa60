/* See minijson.h.  Written for the tests, independently of report.c. */
#include "config.h"
#include "minijson.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t need;
        unsigned char lo = 0x80, hi = 0xbf;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            need = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2;
            if (c == 0xe0)
                lo = 0xa0; /* no overlong */
            if (c == 0xed)
                hi = 0x9f; /* no surrogates */
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3;
            if (c == 0xf0)
                lo = 0x90;
            if (c == 0xf4)
                hi = 0x8f; /* <= U+10FFFF */
        } else {
            return false;
        }
        if (i + need >= n)
            return false; /* truncated */
        if (s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t k = 2; k <= need; k++)
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
        i += need + 1;
    }
    return true;
}

struct parser {
    const unsigned char *s;
    size_t len, pos;
    char *err;
    size_t errlen;
    int depth;
};

static struct mj *failf(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static struct mj *failf(struct parser *p, const char *fmt, ...)
{
    if (p->err && p->errlen && !p->err[0]) {
        char what[200];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        snprintf(p->err, p->errlen, "at byte %zu: %s", p->pos, what);
    }
    return NULL;
}

static void skip_ws(struct parser *p)
{
    while (p->pos < p->len &&
           (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

static struct mj *new_value(enum mj_type t)
{
    struct mj *v = calloc(1, sizeof *v);
    if (!v)
        abort();
    v->type = t;
    return v;
}

struct buf {
    char *b;
    size_t len, cap;
};

static void put(struct buf *b, const void *data, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->b = realloc(b->b, b->cap);
        if (!b->b)
            abort();
    }
    memcpy(b->b + b->len, data, n);
    b->len += n;
    b->b[b->len] = '\0';
}

static void put_code_point(struct buf *b, unsigned long cp)
{
    unsigned char o[4];
    size_t n;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        o[0] = (unsigned char)(0xc0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        o[0] = (unsigned char)(0xe0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        o[0] = (unsigned char)(0xf0 | (cp >> 18));
        o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        o[3] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    put(b, o, n);
}

static int hex4(struct parser *p, unsigned long *out)
{
    unsigned long v = 0;
    if (p->pos + 4 > p->len)
        return -1;
    for (int i = 0; i < 4; i++) {
        unsigned char c = p->s[p->pos + (size_t)i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned long)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned long)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned long)(c - 'A' + 10);
        else
            return -1;
    }
    p->pos += 4;
    *out = v;
    return 0;
}

/* At the opening quote. */
static int parse_string(struct parser *p, struct buf *out)
{
    p->pos++;
    for (;;) {
        if (p->pos >= p->len)
            return failf(p, "unterminated string"), -1;
        unsigned char c = p->s[p->pos];
        if (c == '"') {
            p->pos++;
            if (!out->b)
                put(out, "", 0);
            return 0;
        }
        if (c < 0x20)
            return failf(p, "raw control byte 0x%02x in a string", c), -1;
        if (c == '\\') {
            p->pos++;
            if (p->pos >= p->len)
                return failf(p, "unterminated escape"), -1;
            char e = (char)p->s[p->pos++];
            const char *simple = strchr("\"\\/bfnrt", e);
            if (e && simple) {
                static const char map[] = "\"\\/\b\f\n\r\t";
                put(out, &map[simple - "\"\\/bfnrt"], 1);
                continue;
            }
            if (e != 'u')
                return failf(p, "bad escape \\%c", e), -1;
            unsigned long cp, lo;
            if (hex4(p, &cp) != 0)
                return failf(p, "bad \\u escape"), -1;
            if (cp >= 0xdc00 && cp <= 0xdfff)
                return failf(p, "lone low surrogate \\u%04lx", cp), -1;
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (p->pos + 2 > p->len || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
                    return failf(p, "lone high surrogate \\u%04lx", cp), -1;
                p->pos += 2;
                if (hex4(p, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff)
                    return failf(p, "bad surrogate pair"), -1;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            put_code_point(out, cp);
            continue;
        }
        /* raw bytes: one whole UTF-8 sequence */
        size_t n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
        if (p->pos + n > p->len || !utf8_valid(p->s + p->pos, n))
            return failf(p, "invalid UTF-8 in a string"), -1;
        put(out, p->s + p->pos, n);
        p->pos += n;
    }
}

static struct mj *parse_value(struct parser *p);

static struct mj *parse_number(struct parser *p)
{
    size_t start = p->pos;
    if (p->pos < p->len && p->s[p->pos] == '-')
        p->pos++;
    if (p->pos >= p->len)
        return failf(p, "bad number");
    if (p->s[p->pos] == '0') {
        p->pos++;
    } else if (p->s[p->pos] >= '1' && p->s[p->pos] <= '9') {
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
            p->pos++;
    } else {
        return failf(p, "bad number");
    }
    if (p->pos < p->len && p->s[p->pos] == '.') {
        p->pos++;
        if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
            return failf(p, "bad fraction");
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
            p->pos++;
    }
    if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        p->pos++;
        if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
            p->pos++;
        if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
            return failf(p, "bad exponent");
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
            p->pos++;
    }
    char tmp[64];
    size_t n = p->pos - start;
    if (n >= sizeof tmp)
        n = sizeof tmp - 1;
    memcpy(tmp, p->s + start, n);
    tmp[n] = '\0';
    struct mj *v = new_value(MJ_NUMBER);
    v->number = strtod(tmp, NULL);
    return v;
}

static bool literal(struct parser *p, const char *word)
{
    size_t n = strlen(word);
    if (p->pos + n <= p->len && memcmp(p->s + p->pos, word, n) == 0) {
        p->pos += n;
        return true;
    }
    return false;
}

static struct mj *parse_container(struct parser *p, bool object)
{
    struct mj *v = new_value(object ? MJ_OBJECT : MJ_ARRAY);
    char close = object ? '}' : ']';
    p->pos++;
    if (++p->depth > 64) {
        mj_free(v);
        return failf(p, "nested too deep");
    }
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        p->depth--;
        return v;
    }
    for (;;) {
        struct buf key = { 0 };
        skip_ws(p);
        if (object) {
            if (p->pos >= p->len || p->s[p->pos] != '"') {
                mj_free(v);
                return failf(p, "expected a key");
            }
            if (parse_string(p, &key) != 0) {
                mj_free(v);
                return NULL;
            }
            for (size_t i = 0; i < v->n; i++) {
                if (strcmp(v->keys[i], key.b) == 0) {
                    failf(p, "duplicate key \"%s\"", key.b);
                    free(key.b);
                    mj_free(v);
                    return NULL;
                }
            }
            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':') {
                free(key.b);
                mj_free(v);
                return failf(p, "expected ':'");
            }
            p->pos++;
        }
        struct mj *item = parse_value(p);
        if (!item) {
            free(key.b);
            mj_free(v);
            return NULL;
        }
        v->items = realloc(v->items, (v->n + 1) * sizeof *v->items);
        v->keys = realloc(v->keys, (v->n + 1) * sizeof *v->keys);
        if (!v->items || !v->keys)
            abort();
        v->items[v->n] = item;
        v->keys[v->n] = key.b;
        v->n++;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == close) {
            p->pos++;
            p->depth--;
            return v;
        }
        mj_free(v);
        return failf(p, "expected ',' or '%c'", close);
    }
}

static struct mj *parse_value(struct parser *p)
{
    skip_ws(p);
    if (p->pos >= p->len)
        return failf(p, "unexpected end");
    unsigned char c = p->s[p->pos];
    if (c == '{' || c == '[')
        return parse_container(p, c == '{');
    if (c == '"') {
        struct buf b = { 0 };
        if (parse_string(p, &b) != 0) {
            free(b.b);
            return NULL;
        }
        struct mj *v = new_value(MJ_STRING);
        v->str = b.b;
        v->len = b.len;
        return v;
    }
    if (c == '-' || (c >= '0' && c <= '9'))
        return parse_number(p);
    if (literal(p, "true") || literal(p, "false")) {
        struct mj *v = new_value(MJ_BOOL);
        v->boolean = p->s[p->pos - 1] == 'e' && p->s[p->pos - 2] == 'u';
        return v;
    }
    if (literal(p, "null"))
        return new_value(MJ_NULL);
    return failf(p, "unexpected byte 0x%02x", c);
}

struct mj *mj_parse(const char *text, size_t len, char *err, size_t errlen)
{
    struct parser p = { (const unsigned char *)text, len, 0, err, errlen, 0 };
    if (err && errlen)
        err[0] = '\0';
    if (!utf8_valid(p.s, len))
        return failf(&p, "the text is not valid UTF-8");
    struct mj *v = parse_value(&p);
    if (!v)
        return NULL;
    skip_ws(&p);
    if (p.pos != len) {
        mj_free(v);
        return failf(&p, "trailing bytes after the value");
    }
    return v;
}

void mj_free(struct mj *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++) {
        mj_free(v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
    free(v);
}

const struct mj *mj_get(const struct mj *obj, const char *key)
{
    if (!obj || obj->type != MJ_OBJECT)
        return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (strcmp(obj->keys[i], key) == 0)
            return obj->items[i];
    return NULL;
}
