/* Editing /etc/ld.so.preload's text (preload_list.h). */
#include "preload_list.h"
#include <stdlib.h>
#include <string.h>

static const char separators[] = " \t:";

bool preload_is_pinshim(const char *name, size_t len)
{
    static const char base[] = "libpinshim.so";
    size_t n = sizeof base - 1;
    return len >= n && memcmp(name + len - n, base, n) == 0 && (len == n || name[len - n - 1] == '/');
}

struct out {
    char *buf;
    size_t len, cap;
    bool failed;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->failed)
        return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = (o->len + n + 1) * 2;
        char *b = realloc(o->buf, cap);
        if (!b) {
            o->failed = true;
            return;
        }
        o->buf = b;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static char *finish(struct out *o)
{
    if (!o->failed && !o->buf)
        put(o, "", 0);
    if (o->failed) {
        free(o->buf);
        return NULL;
    }
    return o->buf;
}

/* One line (without its newline) into `o`, pinshim's entries taken out;
 * returns how many were.  A line that held nothing but pinshim entries (and
 * white space) is dropped whole, newline included: *keep says. */
static unsigned filter_line(struct out *o, const char *line, size_t len, bool *keep)
{
    unsigned removed = 0, kept = 0;
    for (size_t i = 0; i < len;) {
        size_t n = strcspn(line + i, separators);
        if (i + n > len)
            n = len - i;
        if (n > 0) {
            if (preload_is_pinshim(line + i, n))
                removed++;
            else
                kept++;
        }
        i += n ? n : 1;
    }
    *keep = true;
    if (!removed) {
        put(o, line, len);
        return 0;
    }
    if (!kept) {
        *keep = false;
        return removed;
    }
    bool first = true;
    for (size_t i = 0; i < len;) {
        size_t n = strcspn(line + i, separators);
        if (i + n > len)
            n = len - i;
        if (n > 0 && !preload_is_pinshim(line + i, n)) {
            if (!first)
                put(o, " ", 1);
            put(o, line + i, n);
            first = false;
        }
        i += n ? n : 1;
    }
    return removed;
}

/* Whether `word` is one of the names in `text`. */
static bool has_word(const char *text, const char *word)
{
    size_t wl = strlen(word);
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, " \t\n:");
        if (n == wl && memcmp(p, word, n) == 0)
            return true;
        p += n ? n : 1;
    }
    return false;
}

char *preload_remove(const char *text, unsigned *removed)
{
    struct out o = { 0 };
    *removed = 0;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        bool keep;
        *removed += filter_line(&o, p, len, &keep);
        if (keep && nl)
            put(&o, "\n", 1);
        p += len + (nl ? 1 : 0);
    }
    return finish(&o);
}

char *preload_add(const char *text, const char *entry, bool *already)
{
    unsigned removed;
    char *rest = preload_remove(text, &removed);
    if (!rest)
        return NULL;
    *already = false;
    if (removed == 1 && has_word(text, entry)) {
        free(rest);
        *already = true;
        return strdup(text);
    }
    struct out o = { 0 };
    put(&o, rest, strlen(rest));
    if (o.len > 0 && o.buf[o.len - 1] != '\n')
        put(&o, "\n", 1);
    put(&o, entry, strlen(entry));
    put(&o, "\n", 1);
    free(rest);
    return finish(&o);
}
