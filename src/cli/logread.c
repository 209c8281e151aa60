/* Log lines in, tally records out: see logread.h for the forms read. */
#include "config.h"
#include "logread.h"
#include "cli.h"
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <zlib.h>

/* Lines are handed to the parsing threads in blocks of whole lines.  A line
 * longer than a block is no pinshim record (the library writes a few KiB at
 * most): it is skipped whole, without holding it. */
#define BLOCK_BYTES ((size_t)1024 * 1024)
#define QUEUE_BLOCKS 4         /* blocks read ahead: memory stays bounded */
#define PARSERS 2              /* json-c is most of the time: two threads parse */

/* Two decimal digits at s, or -1. */
static int two(const char *s)
{
    return isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) ? (s[0] - '0') * 10 + (s[1] - '0') : -1;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's
 * days_from_civil): timegm(3) through the TZ machinery is the slow part of a
 * line otherwise. */
static long long days_from_civil(long long y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool logread_time(const char *s, time_t *out)
{
    if (!s || strlen(s) < 20)
        return false;
    int c1 = two(s), c2 = two(s + 2), mon = two(s + 5), mday = two(s + 8), hour = two(s + 11), min = two(s + 14),
        sec = two(s + 17);
    if (c1 < 0 || c2 < 0 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
        s[16] != ':')
        return false;
    int year = c1 * 100 + c2;
    if (mon < 1 || mon > 12 || mday < 1 || mday > 31 || hour < 0 || hour > 23 || min < 0 || min > 59 || sec < 0 ||
        sec > 60 || year < 1970)
        return false;
    int n = 19;
    const char *p = s + n;
    if (*p == '.')
        for (p++; isdigit((unsigned char)*p); p++)
            ;
    long offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
               p[3] == ':' && isdigit((unsigned char)p[4]) && isdigit((unsigned char)p[5])) {
        offset = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600L + ((p[4] - '0') * 10 + (p[5] - '0')) * 60L;
        if (*p == '-')
            offset = -offset;
        p += 6;
    } else {
        return false;
    }
    if (*p && *p != '"')
        return false;
    time_t t = (time_t)(days_from_civil(year, mon, mday) * 86400 + hour * 3600L + min * 60L + sec);
    *out = t - offset;
    return true;
}

static const char *member_string(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static long member_int(json_object *o, const char *key, long absent)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
        return absent;
    int64_t n = json_object_get_int64(v);
    return n < 0 ? absent : n > 0x7fffffff ? 0x7fffffff : (long)n;
}

/* What one parsing thread needs: its own tokener (json-c's is not shared),
 * and the lock around the tally when several threads add to it. */
struct parser {
    json_tokener *tok;
    pthread_mutex_t *lock;
};

/* The library's JSON object (DESIGN 5) into the tally. */
static bool add_object(struct parser *ps, json_object *o, const char *machine, struct tally *t)
{
    struct tally_record r;
    memset(&r, 0, sizeof r);
    r.verdict = member_string(o, "verdict");
    if (!r.verdict || !logread_time(member_string(o, "time"), &r.time))
        return false;
    r.machine = machine;
    r.program = member_string(o, "program");
    r.host = member_string(o, "host");
    long port = member_int(o, "port", 0);
    r.port = port > 65535 ? 0 : (int)port;
    r.mode = member_string(o, "mode");
    r.action = member_string(o, "action");
    r.matched_pin = member_string(o, "matched_pin");
    long repeat = member_int(o, "repeat", 1);
    r.repeat = repeat < 1 ? 1 : (unsigned long)repeat;

    json_object *a;
    if (json_object_object_get_ex(o, "known_pins", &a) && json_object_is_type(a, json_type_array)) {
        size_t n = json_object_array_length(a);
        for (size_t i = 0; i < n && r.nknown < sizeof r.known / sizeof r.known[0]; i++) {
            json_object *v = json_object_array_get_idx(a, i);
            if (json_object_is_type(v, json_type_string))
                r.known[r.nknown++] = json_object_get_string(v);
        }
    }
    if (json_object_object_get_ex(o, "served_chain", &a) && json_object_is_type(a, json_type_array)) {
        size_t n = json_object_array_length(a);
        for (size_t i = 0; i < n && r.nchain < TALLY_CHAIN_MAX; i++) {
            json_object *c = json_object_array_get_idx(a, i);
            const char *pin = json_object_is_type(c, json_type_object) ? member_string(c, "pin") : NULL;
            if (!pin)
                break; /* the positions after a hole would be wrong */
            r.chain[r.nchain].pin = pin;
            r.chain[r.nchain].subject = member_string(c, "subject");
            r.chain[r.nchain].issuer = member_string(c, "issuer");
            if (!logread_time(member_string(c, "not_after"), &r.chain[r.nchain].not_after))
                r.chain[r.nchain].not_after = 0;
            r.nchain++;
        }
    }
    if (ps->lock)
        pthread_mutex_lock(ps->lock);
    tally_add(t, &r);
    if (ps->lock)
        pthread_mutex_unlock(ps->lock);
    return true;
}

static json_object *parse(struct parser *ps, const char *s, size_t len)
{
    json_tokener_reset(ps->tok);
    json_object *o = len <= 0x7fffffff ? json_tokener_parse_ex(ps->tok, s, (int)len) : NULL;
    if (o && !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        o = NULL;
    }
    return o;
}

/* "@cee: {...}", "@cee:{...}": the object's text, else NULL. */
static const char *after_cee(const char *s, const char *end)
{
    if (end - s < 5 || memcmp(s, "@cee:", 5) != 0)
        return NULL;
    for (s += 5; s < end && (*s == ' ' || *s == '\t'); s++)
        ;
    return s < end && *s == '{' ? s : NULL;
}

/* The client's hostname in a syslog file's header before `msg`: the second
 * word after an RFC 3339 time, the fourth after "Mmm dd hh:mm:ss". */
static size_t header_machine(const char *line, const char *msg, const char **name)
{
    const char *word[4] = { NULL };
    size_t wlen[4] = { 0 }, n = 0;
    const char *p = line;
    if (*p == '<') { /* a raw "<PRI>" */
        const char *close = memchr(p, '>', (size_t)(msg - p));
        p = close ? close + 1 : p;
    }
    while (p < msg && n < 4) {
        while (p < msg && *p == ' ')
            p++;
        const char *w = p;
        while (p < msg && *p != ' ')
            p++;
        if (p > w) {
            word[n] = w;
            wlen[n++] = (size_t)(p - w);
        }
    }
    int at = -1;
    if (n >= 3 && isdigit((unsigned char)word[0][0]) && memchr(word[0], 'T', wlen[0]))
        at = 1;
    else if (n >= 4 && wlen[0] == 3 && isalpha((unsigned char)word[0][0]) && memchr(word[2], ':', wlen[2]))
        at = 3;
    if (at < 0 || word[at][wlen[at] - 1] == ':')
        return 0;
    *name = word[at];
    return wlen[at];
}

static bool parse_line(struct parser *ps, const char *line, size_t len, struct tally *t)
{
    const char *end = line + len, *p = line;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    while (end > p && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
        end--;
    if (p == end)
        return false;

    char machine[256];
    const char *json = NULL;
    machine[0] = '\0';
    if (*p == '{') {
        json = p;
    } else {
        /* a syslog file's line: the message is the object, or @cee: and it */
        const char *cee = memmem(p, (size_t)(end - p), "@cee:", 5);
        const char *msg = cee;
        if (cee)
            json = after_cee(cee, end);
        else if ((msg = memmem(p, (size_t)(end - p), ": {", 3)))
            json = msg += 2;
        if (!json)
            return false;
        const char *name;
        size_t n = header_machine(p, msg, &name);
        if (n > 0 && n < sizeof machine) {
            memcpy(machine, name, n);
            machine[n] = '\0';
        }
    }

    json_object *o = parse(ps, json, (size_t)(end - json));
    if (!o)
        return false;
    bool added = false;
    const char *message = member_string(o, "MESSAGE");
    if (message) {
        /* journalctl -o json: the record is in MESSAGE */
        const char *host = member_string(o, "_HOSTNAME");
        const char *inner = after_cee(message, message + strlen(message));
        json_object *r = inner ? parse(ps, inner, strlen(inner)) : NULL;
        if (r) {
            added = add_object(ps, r, host, t);
            json_object_put(r);
        }
    } else {
        added = add_object(ps, o, machine[0] ? machine : NULL, t);
    }
    json_object_put(o);
    return added;
}


bool logread_line(const char *line, size_t len, struct tally *t)
{
    struct parser ps = { json_tokener_new(), NULL };
    if (!ps.tok)
        return false;
    bool added = parse_line(&ps, line, len, t);
    json_tokener_free(ps.tok);
    return added;
}

/* Blocks of whole lines, from the reading thread to the parsing ones. */
struct block {
    char *text;
    size_t len;
};

struct queue {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    struct block slot[QUEUE_BLOCKS];
    size_t head, count;
    bool done;                 /* no more blocks will come */
    pthread_mutex_t tally_lock;
    struct tally *t;
    unsigned long lines, records;
};

static bool queue_put(struct queue *q, struct block b)
{
    pthread_mutex_lock(&q->lock);
    while (q->count == QUEUE_BLOCKS)
        pthread_cond_wait(&q->changed, &q->lock);
    q->slot[(q->head + q->count++) % QUEUE_BLOCKS] = b;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
    return true;
}

static bool queue_take(struct queue *q, struct block *b)
{
    pthread_mutex_lock(&q->lock);
    while (q->count == 0 && !q->done)
        pthread_cond_wait(&q->changed, &q->lock);
    bool got = q->count > 0;
    if (got) {
        *b = q->slot[q->head];
        q->head = (q->head + 1) % QUEUE_BLOCKS;
        q->count--;
        pthread_cond_broadcast(&q->changed);
    }
    pthread_mutex_unlock(&q->lock);
    return got;
}

static void *parse_blocks(void *arg)
{
    struct queue *q = arg;
    struct parser ps = { json_tokener_new(), &q->tally_lock };
    struct block b;
    unsigned long lines = 0, records = 0;
    while (queue_take(q, &b)) {
        for (size_t at = 0; at < b.len;) {
            const char *nl = memchr(b.text + at, '\n', b.len - at);
            size_t len = nl ? (size_t)(nl - (b.text + at)) : b.len - at;
            lines++;
            if (ps.tok && parse_line(&ps, b.text + at, len, q->t))
                records++;
            else if (!ps.tok) {
                pthread_mutex_lock(&q->tally_lock);
                q->t->failed = true;
                pthread_mutex_unlock(&q->tally_lock);
            }
            at += len + 1;
        }
        free(b.text);
    }
    json_tokener_free(ps.tok);
    pthread_mutex_lock(&q->tally_lock);
    q->lines += lines;
    q->records += records;
    pthread_mutex_unlock(&q->tally_lock);
    return NULL;
}

/* Reads `in` in blocks and queues their whole lines; the part of a line at a
 * block's end goes into the next block.  Returns the number of lines skipped
 * for their length, or -1 when out of memory. */
static long read_blocks(gzFile in, struct queue *q)
{
    char *buf = malloc(BLOCK_BYTES);
    size_t fill = 0;
    long skipped = 0;
    bool in_long_line = false;
    if (!buf)
        return -1;
    for (;;) {
        int n = gzread(in, buf + fill, (unsigned)(BLOCK_BYTES - fill));
        if (n <= 0)
            break;
        fill += (size_t)n;
        size_t start = 0;
        if (in_long_line) {     /* the rest of a line too long to hold */
            char *nl = memchr(buf, '\n', fill);
            if (!nl) {
                fill = 0;
                continue;
            }
            start = (size_t)(nl - buf) + 1;
            in_long_line = false;
        }
        char *last = fill > start ? memrchr(buf + start, '\n', fill - start) : NULL;
        if (!last) {
            if (fill == BLOCK_BYTES && start == 0) {
                skipped++;
                in_long_line = true;
                fill = 0;
            } else if (start > 0) {
                memmove(buf, buf + start, fill - start);
                fill -= start;
            }
            continue;
        }
        size_t whole = (size_t)(last - buf) + 1;
        char *next = malloc(BLOCK_BYTES);
        if (!next) {
            free(buf);
            return -1;
        }
        memcpy(next, buf + whole, fill - whole);
        queue_put(q, (struct block){ memmove(buf, buf + start, whole - start), whole - start });
        buf = next;
        fill -= whole;
    }
    if (fill > 0 && !in_long_line)
        queue_put(q, (struct block){ buf, fill });   /* the last line, without a newline */
    else
        free(buf);
    return skipped;
}

int logread_input(const char *path, struct tally *t, struct logread_counts *counts)
{
    bool is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? dup(STDIN_FILENO) : -1;
    errno = 0;
    gzFile in = is_stdin ? (fd >= 0 ? gzdopen(fd, "rb") : NULL) : gzopen(path, "rb");
    const char *shown = is_stdin ? "standard input" : path;
    if (!in) {
        int e = errno ? errno : ENOMEM;
        if (fd >= 0)
            close(fd);
        cli_error("%s: %s", shown, strerror(e));
        return e == ENOMEM ? EX_OSERR : EX_NOINPUT;
    }
    gzbuffer(in, 256 * 1024);

    struct queue q;
    memset(&q, 0, sizeof q);
    pthread_mutex_init(&q.lock, NULL);
    pthread_cond_init(&q.changed, NULL);
    pthread_mutex_init(&q.tally_lock, NULL);
    q.t = t;
    pthread_t parser[PARSERS];
    int nparsers = 0;
    while (nparsers < PARSERS && pthread_create(&parser[nparsers], NULL, parse_blocks, &q) == 0)
        nparsers++;

    long skipped_long = nparsers > 0 ? read_blocks(in, &q) : -1;
    pthread_mutex_lock(&q.lock);
    q.done = true;
    pthread_cond_broadcast(&q.changed);
    pthread_mutex_unlock(&q.lock);
    for (int i = 0; i < nparsers; i++)
        pthread_join(parser[i], NULL);

    int status = 0;
    if (skipped_long < 0) {
        t->failed = true;
    } else {
        int zerr;
        const char *why = gzerror(in, &zerr);
        if (zerr != Z_OK) {
            cli_error("%s: %s (the records before it are counted)", shown,
                      zerr == Z_ERRNO ? strerror(errno) : why ? why : "unreadable");
            status = zerr == Z_MEM_ERROR ? EX_OSERR : zerr == Z_ERRNO ? EX_IOERR : EX_DATAERR;
        }
        counts->lines += (unsigned long)skipped_long;
        counts->skipped += (unsigned long)skipped_long;
    }
    counts->lines += q.lines;
    counts->records += q.records;
    counts->skipped += q.lines - q.records;
    gzclose(in);
    pthread_mutex_destroy(&q.lock);
    pthread_cond_destroy(&q.changed);
    pthread_mutex_destroy(&q.tally_lock);
    if (t->failed && !status) {
        cli_error("out of memory: the sums are incomplete");
        status = EX_OSERR;
    }
    return status;
}
