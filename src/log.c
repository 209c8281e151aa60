#include "config.h"
#include "log.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* write(2) until done.  A pipe whose reader is gone must not kill the host
 * program: SIGPIPE is blocked in this thread for the write, and one that our
 * write raised is taken back off the pending set before unblocking. */
static void write_all(int fd, const char *buf, size_t len)
{
    sigset_t pipe_only, old, pending;
    bool raised = false, was_pending;

    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
    sigpending(&pending);
    was_pending = sigismember(&pending, SIGPIPE) == 1;
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EPIPE)
            raised = true;
        if (n <= 0)
            break;
        buf += n;
        len -= (size_t)n;
    }
    if (raised && !was_pending) {
        const struct timespec zero = { 0, 0 };
        sigtimedwait(&pipe_only, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* What fd 2 was when the library was loaded.  A program that closed its stderr
 * may have had something else opened onto descriptor 2 since: a data file, a
 * pipe or a socket of its own (even its TLS connection).  Only the file that
 * was stderr at load time is written to; when fd 2 was closed then, nothing. */
#define LOAD_TIME_DATA __attribute__((section(".data"))) /* why: runtime.c */
static struct stat stderr_at_load LOAD_TIME_DATA;
static bool stderr_open_at_load LOAD_TIME_DATA;

__attribute__((constructor)) static void note_stderr(void)
{
    stderr_open_at_load = fstat(STDERR_FILENO, &stderr_at_load) == 0;
}

static bool stderr_is_safe(void)
{
    struct stat now;
    if (!stderr_open_at_load || fstat(STDERR_FILENO, &now) != 0)
        return false;
    return now.st_dev == stderr_at_load.st_dev && now.st_ino == stderr_at_load.st_ino &&
           (now.st_mode & S_IFMT) == (stderr_at_load.st_mode & S_IFMT);
}

static void write_stderr(const char *buf, size_t len)
{
    if (stderr_is_safe())
        write_all(STDERR_FILENO, buf, len);
}

/* A process that chroots (DESIGN 6) loses sight of /dev/log and of the JSON
 * log's path: what it opened of them just before (log_keep_open) is kept and
 * used from then on.  Daemons often close every descriptor after chroot, and
 * the number may then be reused by the program: a kept descriptor is used
 * only while it is still the file it was (device, inode and type, as for
 * stderr), else forgotten -- never closed, it is not ours any more -- and
 * each event goes back to opening the path.  Published (fd >= 0) only after
 * the chroot succeeded, and never changed again but to -1. */
struct kept {
    _Atomic int fd;
    dev_t dev;
    ino_t ino;
    mode_t type;
};
static struct kept kept_syslog = { -1, 0, 0, 0 }, kept_json = { -1, 0, 0, 0 };
static char *kept_json_path; /* set before kept_json.fd is published */

/* The kept descriptor, or -1 when there is none or it is not ours any more. */
static int kept_fd(struct kept *k)
{
    int fd = atomic_load_explicit(&k->fd, memory_order_acquire);
    struct stat now;
    if (fd < 0)
        return -1;
    if (fstat(fd, &now) == 0 && now.st_dev == k->dev && now.st_ino == k->ino && (now.st_mode & S_IFMT) == k->type)
        return fd;
    atomic_compare_exchange_strong(&k->fd, &fd, -1);
    return -1;
}

static int open_json(const char *path)
{
    /* O_NONBLOCK: a FIFO without a reader fails instead of hanging the host. */
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW, 0640);
}

/* A datagram socket connected to /dev/log, or -1. */
static int open_syslog(void)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Our own datagram to /dev/log, not syslog(3): openlog() would change the
 * host program's ident and options, and its socket would outlive our use.
 * The message is `msg` without a trailing newline, cut to fit the datagram;
 * `cee`: "@cee: " before it (a JSON object), and never cut: a message that
 * does not fit whole is not sent, and false is returned. */
static bool send_syslog(int priority, const char *msg, size_t len, bool cee)
{
    char buf[8192];
    if (len > 0 && msg[len - 1] == '\n')
        len--;
    if (len > sizeof buf)
        len = sizeof buf; /* longer than the datagram anyway: the rest is never read */
    int n = cee ? snprintf(buf, sizeof buf, "<%d>pinshim[%ld]: @cee: %.*s", LOG_AUTHPRIV | priority, (long)getpid(),
                           (int)len, msg)
                : snprintf(buf, sizeof buf, "<%d>pinshim[%ld]: %.*s", LOG_AUTHPRIV | priority, (long)getpid(),
                           (int)len, msg);
    if (n <= 0 || (cee && (size_t)n >= sizeof buf))
        return false;
    int fd = kept_fd(&kept_syslog);
    bool own = fd < 0;
    if (own && (fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
        return true; /* nowhere to send it: the human line would not go either */
    struct sockaddr_un addr = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };
    size_t out = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
    if (own)
        (void)sendto(fd, buf, out, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&addr, sizeof addr);
    else
        (void)send(fd, buf, out, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (own)
        close(fd);
    return true;
}

static void append_json(const char *path, const char *line, size_t len)
{
    const char *kept_path = atomic_load_explicit(&kept_json.fd, memory_order_acquire) >= 0 ? kept_json_path : NULL;
    int fd = kept_path && strcmp(kept_path, path) == 0 ? kept_fd(&kept_json) : -1;
    if (fd >= 0) {
        write_all(fd, line, len);
        return;
    }
    if ((fd = open_json(path)) < 0)
        return;
    write_all(fd, line, len);
    close(fd);
}

/* fd's identity into k; false (fd closed) when it has none. */
static bool note(struct kept *k, int fd)
{
    struct stat st;
    if (fd < 0)
        return false;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return false;
    }
    k->dev = st.st_dev;
    k->ino = st.st_ino;
    k->type = st.st_mode & S_IFMT;
    return true;
}

/* Set by the first chroot that succeeded. */
static atomic_bool jailed_once;

void log_keep_open(struct log_kit *kit, bool to_syslog, const char *json_path)
{
    kit->syslog_fd = kit->json_fd = -1;
    kit->json_path = NULL;
    /* Inside a jail already, the paths name files of the jail's owner. */
    if (atomic_load(&jailed_once))
        return;
    if (to_syslog)
        kit->syslog_fd = open_syslog();
    if (json_path && (kit->json_path = strdup(json_path)) != NULL && (kit->json_fd = open_json(json_path)) < 0) {
        free(kit->json_path);
        kit->json_path = NULL;
    }
}

void log_jailed(struct log_kit *kit, bool jailed)
{
    /* Two chroots at once in two threads: the first to get here keeps its set. */
    if (jailed && !atomic_exchange(&jailed_once, true)) {
        if (note(&kept_syslog, kit->syslog_fd))
            atomic_store_explicit(&kept_syslog.fd, kit->syslog_fd, memory_order_release);
        if (note(&kept_json, kit->json_fd)) {
            kept_json_path = kit->json_path;
            atomic_store_explicit(&kept_json.fd, kit->json_fd, memory_order_release);
        } else {
            free(kit->json_path);
        }
        return;
    }
    if (kit->syslog_fd >= 0)
        close(kit->syslog_fd);
    if (kit->json_fd >= 0)
        close(kit->json_fd);
    free(kit->json_path);
}

/* Coalescing (issue 5): identical events (host, verdict, action, served
 * chain) within a window are one line: the first at once, the rest counted and
 * written as one line with "repeat" when the window has closed (seen at the
 * next event) or the process exits.  Summing repeat over all lines gives the
 * exact number of events; a child after fork() reports only its own. */
#define WINDOW_SECONDS 60
#define PENDING_MAX 128

struct pending {
    uint64_t key;
    time_t opened;
    unsigned long count;        /* repeats not yet written */
    char *json;                 /* the first event's JSON line, without "}\n" */
    char *line;                 /* its stderr line, without "\n" */
    char *json_path;            /* copied: the policy it came from may be gone */
    int priority;
    bool to_stderr, to_syslog, syslog_json;
};

static pthread_mutex_t pending_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pending pending[PENDING_MAX];
static size_t npending;
/* Set (under the lock) when a first repeat is counted: a process that never
 * logged a repeat leaves without touching the lock (start-up cost, issue 6). */
static bool ever_pending LOAD_TIME_DATA;

static uint64_t mix(uint64_t h, const char *s)
{
    for (; s && *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h * 1099511628211ULL;
}

static uint64_t event_key(const struct event *ev)
{
    uint64_t h = 1469598103934665603ULL;
    h = mix(h, ev->host);
    h = mix(h, ev->verdict);
    h = mix(h, ev->action);
    h = mix(h, ev->mode);
    h = mix(h, ev->warning);
    for (size_t i = 0; i < ev->nchain; i++)
        h = mix(h, ev->chain[i].pin);
    return h;
}

/* syslog_json: syslog gets "@cee: " and the JSON object when there is one
 * and it fits whole, else the human line. */
static void emit(bool to_stderr, bool to_syslog, bool syslog_json, const char *json_path, int priority,
                 const char *line, size_t line_len, const char *json, size_t json_len)
{
    if (line && to_stderr)
        write_stderr(line, line_len);
    if (to_syslog && !(syslog_json && json && send_syslog(priority, json, json_len, true)) && line)
        (void)send_syslog(priority, line + 9, line_len - 9, false); /* without "pinshim: " */
    if (json && json_path)
        append_json(json_path, json, json_len);
}

static void free_pending(struct pending *p)
{
    free(p->json);
    free(p->line);
    free(p->json_path);
    memset(p, 0, sizeof *p);
}

/* Write the repeats of one window as one line, and forget the window. */
static void close_window(struct pending *p)
{
    if (p->count > 0) {
        struct text line = { 0 }, json = { 0 };
        if (p->line)
            text_printf(&line, "%s [%lu more times within %d s]\n", p->line, p->count, WINDOW_SECONDS);
        if (p->json)
            text_printf(&json, "%s,\"repeat\":%lu}\n", p->json, p->count);
        emit(p->to_stderr, p->to_syslog, p->syslog_json, p->json_path, p->priority, line.buf, line.len,
             json.failed ? NULL : json.buf, json.len);
        text_free(&line);
        text_free(&json);
    }
    free_pending(p);
}

static void close_expired(time_t now)
{
    for (size_t i = 0; i < npending;) {
        if (now - pending[i].opened >= WINDOW_SECONDS || now < pending[i].opened) {
            close_window(&pending[i]);
            pending[i] = pending[--npending];
            memset(&pending[npending], 0, sizeof pending[npending]);
        } else {
            i++;
        }
    }
}

static char *copy_without_tail(const struct text *t, size_t tail)
{
    if (!t->buf || t->failed || t->len < tail)
        return NULL;
    char *c = malloc(t->len - tail + 1);
    if (c) {
        memcpy(c, t->buf, t->len - tail);
        c[t->len - tail] = '\0';
    }
    return c;
}

static pthread_once_t fork_handler_once = PTHREAD_ONCE_INIT;
static void register_fork_handler(void);

/* With pending_lock held: close the windows that ended; count the event
 * when its window is open. */
static bool counted_locked(uint64_t key, time_t now)
{
    close_expired(now);
    for (size_t i = 0; i < npending; i++) {
        if (pending[i].key == key) {
            pending[i].count++;
            return true;
        }
    }
    return false;
}

bool log_repeat(const struct event *ev)
{
    /* No window was ever opened: nothing to look up (and no lock). */
    if (!__atomic_load_n(&ever_pending, __ATOMIC_ACQUIRE))
        return false;
    uint64_t key = event_key(ev);
    pthread_mutex_lock(&pending_lock);
    bool counted = counted_locked(key, ev->time);
    pthread_mutex_unlock(&pending_lock);
    return counted;
}

void log_event(const struct log_targets *where, const struct event *ev, int syslog_priority)
{
    struct text line = { 0 }, json = { 0 };
    uint64_t key = event_key(ev);
    time_t now = ev->time;
    /* The JSON object is wanted by the JSON log, and by syslog = "json". */
    bool want_json = where->json_path || (where->syslog_json && where->to_syslog);

    pthread_once(&fork_handler_once, register_fork_handler);
    pthread_mutex_lock(&pending_lock);
    if (counted_locked(key, now)) {
        pthread_mutex_unlock(&pending_lock);
        return;
    }
    if (where->to_stderr || where->to_syslog)
        report_line(ev, &line);
    if (want_json)
        report_json(ev, &json);
    if (npending == PENDING_MAX) {
        /* Full: the oldest window closes early, its count is not lost. */
        size_t oldest = 0;
        for (size_t i = 1; i < npending; i++)
            if (pending[i].opened < pending[oldest].opened)
                oldest = i;
        close_window(&pending[oldest]);
        pending[oldest] = pending[--npending];
        memset(&pending[npending], 0, sizeof pending[npending]);
    }
    struct pending *p = &pending[npending];
    p->key = key;
    p->opened = now;
    p->count = 0;
    p->to_stderr = where->to_stderr;
    p->to_syslog = where->to_syslog;
    p->syslog_json = where->syslog_json;
    p->priority = syslog_priority;
    p->line = copy_without_tail(&line, 1);
    p->json = want_json ? copy_without_tail(&json, 2) : NULL;
    p->json_path = where->json_path ? strdup(where->json_path) : NULL;
    if ((!line.buf || p->line) && (!want_json || p->json) && (!where->json_path || p->json_path)) {
        npending++;
        __atomic_store_n(&ever_pending, true, __ATOMIC_RELEASE);
    } else
        free_pending(p); /* no memory to remember it: every repeat is then written in full */
    emit(where->to_stderr, where->to_syslog, where->syslog_json, where->json_path, syslog_priority, line.buf,
         line.len, json.failed ? NULL : json.buf, json.len);
    pthread_mutex_unlock(&pending_lock);
    text_free(&line);
    text_free(&json);
}

/* At a normal exit every counted repeat is written. */
__attribute__((destructor)) static void flush_at_exit(void)
{
    if (!__atomic_load_n(&ever_pending, __ATOMIC_ACQUIRE))
        return;
    pthread_mutex_lock(&pending_lock);
    while (npending > 0)
        close_window(&pending[--npending]);
    pthread_mutex_unlock(&pending_lock);
}

/* The child starts with no pending repeats: they are the parent's to report.
 * Its copy of the lock may be held by a thread that does not exist here. */
static void forget_pending_in_child(void)
{
    pthread_mutex_init(&pending_lock, NULL);
    for (size_t i = 0; i < npending; i++)
        free_pending(&pending[i]);
    npending = 0;
}

static void register_fork_handler(void)
{
    pthread_atfork(NULL, NULL, forget_pending_in_child);
}

void log_message(const struct log_targets *where, const char *msg)
{
    size_t len = strlen(msg);
    if (where->to_stderr)
        write_stderr(msg, len);
    if (where->to_syslog && len > 9 && strncmp(msg, "pinshim: ", 9) == 0)
        (void)send_syslog(LOG_ERR, msg + 9, len - 9, false);
}
