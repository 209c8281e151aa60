#include "config.h"
#include "tofu.h"
#include "input.h"
#include <errno.h>
#include <time.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* A state file larger than this is not ours. */
#define STATE_MAX (16 * 1024 * 1024)

const char *tofu_kind_text(enum tofu k)
{
    return k == TOFU_LEAF ? "leaf" : k == TOFU_CHAIN ? "chain" : "none";
}

static int parse_line(char *line, struct tofu_record *r)
{
    char *save = NULL, *host, *kind, *pins, *when, *tok;
    memset(r, 0, sizeof *r);
    host = strtok_r(line, " \t\n", &save);
    kind = strtok_r(NULL, " \t\n", &save);
    pins = strtok_r(NULL, " \t\n", &save);
    when = strtok_r(NULL, " \t\n", &save);
    if (!host || !kind || !pins || strlen(host) >= sizeof r->host)
        return -1;
    strcpy(r->host, host);
    r->kind = strcmp(kind, "leaf") == 0 ? TOFU_LEAF : strcmp(kind, "chain") == 0 ? TOFU_CHAIN : TOFU_NONE;
    if (r->kind == TOFU_NONE)
        return -1;
    for (tok = strtok_r(pins, ",", &save); tok && r->npins < CHAIN_MAX; tok = strtok_r(NULL, ",", &save)) {
        const char *why;
        if (pin_parse(tok, &r->pins[r->npins], &why) != 0)
            return -1;
        r->npins++;
    }
    r->learned = when ? (time_t)strtoll(when, NULL, 10) : 0;
    return r->npins > 0 ? 0 : -1;
}

/* All records of the file; a missing file is an empty list. */
static int read_all(const char *state, struct tofu_record **out, char *why, size_t whylen)
{
    char err[200];
    FILE *f = input_open_trusted(state, STATE_MAX, err, sizeof err); /* a FIFO cannot hang us */
    struct tofu_record *list = NULL, r;
    int n = 0, cap = 0;
    char line[4096];

    *out = NULL;
    if (!f) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0; /* no state file can be there: nothing learned yet */
        snprintf(why, whylen, "%s: %s%s", state, err,
                 errno == EFBIG ? ", not a pinshim state file" : errno == EPERM ? ": not trusted" : "");
        return -1;
    }
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n' || parse_line(line, &r) != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            struct tofu_record *grown = realloc(list, (size_t)cap * sizeof *list);
            if (!grown) {
                free(list);
                fclose(f);
                snprintf(why, whylen, "out of memory");
                return -1;
            }
            list = grown;
        }
        list[n++] = r;
    }
    fclose(f);
    *out = list;
    return n;
}

int tofu_list(const char *state, struct tofu_record **out, char *why, size_t whylen)
{
    return read_all(state, out, why, whylen);
}

int tofu_lookup(const char *state, const char *host, struct tofu_record *out, char *why, size_t whylen)
{
    struct tofu_record *all;
    int n = read_all(state, &all, why, whylen), found = 0;
    for (int i = 0; i < n && !found; i++) {
        if (strcmp(all[i].host, host) == 0) {
            *out = all[i];
            found = 1;
        }
    }
    free(all);
    return n < 0 ? -1 : found;
}

static int write_record(FILE *f, const struct tofu_record *r)
{
    char text[PIN_TEXT_MAX];
    fprintf(f, "%s %s ", r->host, tofu_kind_text(r->kind));
    for (int i = 0; i < r->npins; i++) {
        pin_format(&r->pins[i], text);
        fprintf(f, "%s%s", i ? "," : "", text);
    }
    return fprintf(f, " %lld\n", (long long)r->learned) < 0 ? -1 : 0;
}

/* Replace the file with `list` (skipping index `skip`, then adding `extra`). */
static int write_all(const char *state, const struct tofu_record *list, int n, int skip,
                     const struct tofu_record *extra, char *why, size_t whylen)
{
    char tmp[PATH_MAX];
    int fd, rc = 0;
    FILE *f;

    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", state, (long)getpid()) >= (int)sizeof tmp) {
        snprintf(why, whylen, "%s: path too long", state);
        return -1;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0 || !(f = fdopen(fd, "w"))) {
        snprintf(why, whylen, "cannot write %s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    fprintf(f, "# pinshim trust-on-first-use records: HOST KIND PINS LEARNED (manage with pinshim tofu)\n");
    for (int i = 0; i < n && rc == 0; i++)
        if (i != skip)
            rc = write_record(f, &list[i]);
    if (rc == 0 && extra)
        rc = write_record(f, extra);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0)
        rc = -1;
    if (fclose(f) != 0)
        rc = -1;
    if (rc == 0 && rename(tmp, state) != 0)
        rc = -1;
    if (rc != 0) {
        snprintf(why, whylen, "cannot write %s: %s", state, strerror(errno));
        unlink(tmp);
    }
    return rc;
}

/* How long a writer waits for the lock: its holders keep it for a read and
 * a rename, and a first use must not hang on one that keeps it forever. */
#define LOCK_WAIT_MS 1000
#define LOCK_POLL_MS 5

/* The writers' lock: a file beside the state, since the state itself is
 * replaced by rename.  0600, so that no other user can open it to hold it
 * (flock works on a read-only descriptor); an older one left 0644 is made
 * 0600 by its owner.  The wait is bounded: then the caller goes on as if
 * the state were unusable. */
static int lock_state(const char *state, char *why, size_t whylen)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s.lock", state) >= (int)sizeof path) {
        snprintf(why, whylen, "%s: path too long", state);
        return -1;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0600);
    if (fd < 0) {
        snprintf(why, whylen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, whylen, "cannot use %s: not a regular file", path);
        close(fd);
        return -1;
    }
    if ((st.st_mode & 077) && st.st_uid == geteuid())
        (void)fchmod(fd, 0600);
    for (int waited = 0; flock(fd, LOCK_EX | LOCK_NB) != 0; waited += LOCK_POLL_MS) {
        if ((errno != EWOULDBLOCK && errno != EINTR) || waited >= LOCK_WAIT_MS) {
            snprintf(why, whylen, "cannot lock %s: %s", path,
                     errno == EWOULDBLOCK ? "held by another process for over 1 s" : strerror(errno));
            close(fd);
            return -1;
        }
        struct timespec pause = { 0, LOCK_POLL_MS * 1000000L };
        nanosleep(&pause, NULL);
    }
    return fd;
}

static void unlock_state(int fd)
{
    flock(fd, LOCK_UN);
    close(fd);
}

static int find(const struct tofu_record *list, int n, const char *host)
{
    for (int i = 0; i < n; i++)
        if (strcmp(list[i].host, host) == 0)
            return i;
    return -1;
}

int tofu_learn(const char *state, struct tofu_record *rec, char *why, size_t whylen)
{
    struct tofu_record *all;
    int lock = lock_state(state, why, whylen), rc;
    if (lock < 0)
        return -1;
    int n = read_all(state, &all, why, whylen);
    if (n < 0) {
        rc = -1;
    } else {
        int i = all ? find(all, n, rec->host) : -1;
        if (i >= 0) {
            *rec = all[i];
            rc = 0;
        } else {
            rc = write_all(state, all, n, -1, rec, why, whylen) == 0 ? 1 : -1;
        }
    }
    free(all);
    unlock_state(lock);
    return rc;
}

int tofu_forget(const char *state, const char *host, char *why, size_t whylen)
{
    struct tofu_record *all;
    int lock = lock_state(state, why, whylen), rc = 0;
    if (lock < 0)
        return -1;
    int n = read_all(state, &all, why, whylen);
    int i = n > 0 ? find(all, n, host) : -1;
    if (n < 0)
        rc = -1;
    else if (i >= 0)
        rc = write_all(state, all, n, i, NULL, why, whylen) == 0 ? 1 : -1;
    free(all);
    unlock_state(lock);
    return rc;
}

int tofu_set(const char *state, const struct tofu_record *rec, char *why, size_t whylen)
{
    struct tofu_record *all;
    int lock = lock_state(state, why, whylen), rc;
    if (lock < 0)
        return -1;
    int n = read_all(state, &all, why, whylen);
    rc = n < 0 ? -1 : write_all(state, all, n, find(all, n, rec->host), rec, why, whylen);
    free(all);
    unlock_state(lock);
    return rc;
}

const struct host_entry *tofu_resolve(const struct policy *p, const struct host_entry *e, const char *host,
                                      const struct chain_input *in, long verify_result, time_t now, bool learn,
                                      struct tofu_view *v)
{
    memset(v, 0, sizeof *v);
    v->entry = *e;
    v->entry.pins = NULL;
    v->entry.npins = 0;
    int found = tofu_lookup(p->state_path, host, &v->rec, v->why, sizeof v->why);
    if (found == 1 && v->rec.kind == e->tofu) {
        v->outcome = TOFU_KNOWN;
        v->entry.pins = v->rec.pins;
        v->entry.npins = (size_t)v->rec.npins;
        return &v->entry;
    }
    /* Learn only from a full handshake whose chain verified.  When the state
     * cannot be read nothing is known, and nothing is written either: a
     * verified chain is then judged as a first use would be. */
    if (in->resumed || verify_result != VERIFY_OK || in->nverified == 0) {
        v->outcome = found < 0 ? TOFU_UNREADABLE : TOFU_NOTHING_YET;
        return &v->entry;
    }
    memset(&v->rec, 0, sizeof v->rec);
    snprintf(v->rec.host, sizeof v->rec.host, "%s", host);
    v->rec.kind = e->tofu;
    v->rec.learned = now;
    for (int i = 0; i < in->nverified && v->rec.npins < CHAIN_MAX; i++) {
        if (in->ops->pin(in->verified[i], &v->rec.pins[v->rec.npins]) == 0)
            v->rec.npins++;
        if (e->tofu == TOFU_LEAF)
            break;
    }
    if (found < 0)
        v->outcome = TOFU_UNREADABLE;
    else if (!learn)
        v->outcome = TOFU_LEARNABLE;
    else if (tofu_learn(p->state_path, &v->rec, v->why, sizeof v->why) < 0)
        v->outcome = TOFU_UNWRITABLE;
    else
        v->outcome = TOFU_LEARNED; /* or another process's record, now in v->rec */
    v->entry.pins = v->rec.pins;
    v->entry.npins = (size_t)v->rec.npins;
    return &v->entry;
}
