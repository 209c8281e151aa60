#include "config.h"
#include "runtime.h"
#include "log.h"
#include "memo.h"
#include "ossl.h"
#include "report.h"
#include "route.h"
#include <syslog.h>
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <stddef.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

/* How often the config file's identity is looked at. */
#define CHECK_INTERVAL_NS 1000000000LL

/* What the constructor writes and reads lives in .data, not .bss or .rodata:
 * the page it lands on is one the dynamic loader has already written
 * (relocations), so a program that never makes a TLS call pays no page fault
 * for it.  On a VM a fault costs 15-20 us, a tenth of what /bin/true takes to
 * start (issue 6).  Names are arrays for the same reason: a literal would sit
 * in .rodata.  A path too long for the inline buffer goes to the heap. */
#define LOAD_TIME_DATA __attribute__((section(".data")))
static char config_env[] = "PINSHIM_CONFIG";
static char mode_env[] = "PINSHIM_MODE";
static char default_config[] = SYSCONFDIR "/pinshim.conf";
static char config_path_inline[256] LOAD_TIME_DATA;
static char *config_path = config_path_inline;
static char mode_override[16] LOAD_TIME_DATA;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static atomic_bool bound;
/* The binding found no libssl at all: see bind_late(). */
static atomic_bool no_libssl_yet;
static _Atomic unsigned long long loads_at_last_try;
static pthread_mutex_t bind_lock = PTHREAD_MUTEX_INITIALIZER;
static int ssl_index = -1, ssl_ctx_index = -1, verify_ssl_index = -1;
static char exe_path[PATH_MAX];
static char library[64];             /* "openssl 3.0.19" */
static char bind_failure[256];       /* why no libssl could be bound */
static atomic_bool uncovered_told;

/* What identifies a version of the config file: an edit in place changes the
 * size or times, a replacement by rename the inode. */
struct file_id {
    bool exists;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
};

struct snapshot {
    atomic_long refs;          /* one for being current, one per handshake using it */
    struct policy *policy;
    bool covers_program;
    unsigned long generation;  /* each snapshot its own number, never reused */
};

static atomic_ulong generations;

/* `current` changes only under `current_lock`, which is held just long enough
 * to take a reference: never while judging, parsing or logging. */
static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static struct snapshot *current;

static atomic_llong next_check_ns;
/* The process has chrooted: the config path is not looked at any more. */
static atomic_bool jailed;
static atomic_flag reloading = ATOMIC_FLAG_INIT;
static struct file_id loaded_id;    /* the file behind `current` (or the last one tried) */

/* Taken at load time because some programs clear the environment or change
 * directory before their first handshake (nginx workers keep only TZ).
 * secure_getenv: ignored under setuid/setgid. */
/* The inline buffer, or the heap when the path is longer. */
static char *path_buffer(size_t size)
{
    return size <= sizeof config_path_inline ? config_path_inline : malloc(size);
}

/* A relative PINSHIM_CONFIG names a file in the directory the program started
 * in.  Its own function keeps the PATH_MAX buffer off the common path's stack. */
static __attribute__((noinline)) char *under_working_directory(const char *path)
{
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return NULL;
    size_t size = strlen(cwd) + 1 + strlen(path) + 1;
    char *out = path_buffer(size);
    if (out)
        snprintf(out, size, "%s/%s", cwd, path);
    return out;
}

__attribute__((constructor)) static void capture_environment(void)
{
    const char *path = secure_getenv(config_env);
    const char *mode = secure_getenv(mode_env);
    char *copy = NULL;
    if (!path || !*path)
        path = default_config;
    if (path[0] != '/')
        copy = under_working_directory(path);
    if (!copy && (copy = path_buffer(strlen(path) + 1)) != NULL)
        memcpy(copy, path, strlen(path) + 1);
    if (copy)
        config_path = copy; /* else it stays "": policy_load reports "no config file" */
    if (mode && strlen(mode) < sizeof mode_override)
        memcpy(mode_override, mode, strlen(mode) + 1);
}

static long long monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static struct file_id identify(const char *path)
{
    struct file_id id = { 0 };
    struct stat st;
    if (path[0] && stat(path, &st) == 0) {
        id.exists = true;
        id.dev = st.st_dev;
        id.ino = st.st_ino;
        id.size = st.st_size;
        id.mtime = st.st_mtim;
        id.ctime = st.st_ctim;
    }
    return id;
}

static bool same_file(const struct file_id *a, const struct file_id *b)
{
    return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
           a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

static struct policy *load_policy(void)
{
    struct policy *p = policy_load(config_path[0] ? config_path : NULL);
#ifdef __GLIBC__
    /* libconfig's tree of a big config (about 1 KB a host) has been freed,
     * but glibc keeps those pages in the program's RSS: give them back. */
    if (p && p->nentries >= 1000)
        malloc_trim(0);
#endif
    if (!p || !mode_override[0])
        return p;
    enum mode m = mode_from_text(mode_override);
    if (m != MODE_INHERIT) {
        p->mode = m;
    } else if (!p->error) {
        char message[80];
        snprintf(message, sizeof message, "PINSHIM_MODE must be enforce, report or off, not \"%s\"",
                 mode_override);
        policy_free(p);
        p = policy_failed(config_path, message);
    }
    return p;
}

/* The program's real path, read when a policy first lists `programs` (a
 * system call and a libc binding fewer at every other first handshake).
 * Callers are serialised: initialise() and the `reloading` flag. */
static const char *executable(void)
{
    static bool read_once;
    if (!read_once) {
        ssize_t n = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
        exe_path[n > 0 ? n : 0] = '\0';
        read_once = true;
    }
    return exe_path[0] ? exe_path : NULL;
}

static struct snapshot *snapshot_new(struct policy *p)
{
    struct snapshot *s = malloc(sizeof *s);
    if (!s) {
        policy_free(p);
        return NULL;
    }
    atomic_init(&s->refs, 1);
    s->policy = p;
    p->owner = s;
    s->covers_program = p->nprograms == 0 || policy_covers_program(p, executable());
    s->generation = atomic_fetch_add(&generations, 1) + 1;
    return s;
}

unsigned long runtime_generation(const struct policy *p)
{
    return ((const struct snapshot *)p->owner)->generation;
}

static void snapshot_put(struct snapshot *s)
{
    if (s && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1) {
        policy_free(s->policy);
        free(s);
    }
}

static void maybe_reload(void);

/* Whether the current snapshot covers this program: read without a lock by
 * the hot paths that only ask that (runtime_in_scope). */
static atomic_bool covers_now;

static void publish(struct snapshot *s)
{
    pthread_mutex_lock(&current_lock);
    struct snapshot *old = current;
    current = s;
    atomic_store_explicit(&covers_now, s->covers_program, memory_order_release);
    pthread_mutex_unlock(&current_lock);
    snapshot_put(old);
}


/* "pinshim: " what1 what2 on stderr and syslog, as the policy says.  The line
 * is built on the heap: a config path can be PATH_MAX long and a handshake
 * thread's stack 32 KiB (DESIGN 6). */
static void complain(const struct policy *p, const char *what1, const char *what2)
{
    struct log_targets where = { true, true, NULL, false };
    struct text line = { 0 };
    if (p && !p->error) {
        where.to_stderr = p->log_stderr != LOG_STDERR_NONE;
        where.to_syslog = p->log_syslog;
    }
    text_add(&line, "pinshim: ", 9);
    text_add(&line, what1, strlen(what1));
    text_add(&line, what2, strlen(what2));
    text_add(&line, "\n", 1);
    if (line.buf)
        log_message(&where, line.buf);
    text_free(&line);
}

/* Called by at most one thread at a time (the `reloading` flag). */
static void reload_if_changed(void)
{
    struct file_id id = identify(config_path);

    if (same_file(&id, &loaded_id))
        return;
    loaded_id = id;
    /* `current` cannot change under us: only this function replaces it. */
    const struct policy *good = current && !current->policy->error ? current->policy : NULL;
    if (!id.exists && good) {
        complain(good, config_path, ": the config file is gone; keeping the last good policy");
        return;
    }
    /* An editor that truncates before writing can be caught in between: an
     * empty file never replaces a working policy. */
    if (good && id.size == 0) {
        complain(good, config_path, ": the config file is empty; keeping the last good policy");
        return;
    }
    struct policy *p = load_policy();
    if (!p)
        return;
    if (p->error && good) {
        complain(good, p->error, "; keeping the last good policy");
        policy_free(p);
        return;
    }
    struct snapshot *s = snapshot_new(p);
    if (s)
        publish(s);
}

static void maybe_reload(void)
{
    /* After chroot the path names nothing (every look would say "the config
     * file is gone"), or a file inside the jail that whoever owns the jail
     * may write: the policy loaded before is kept, and a new one takes a
     * restart of the program. */
    if (atomic_load_explicit(&jailed, memory_order_relaxed))
        return;
    long long now = monotonic_ns();
    if (now < atomic_load_explicit(&next_check_ns, memory_order_relaxed))
        return;
    if (atomic_flag_test_and_set_explicit(&reloading, memory_order_acquire))
        return; /* another thread is looking */
    atomic_store_explicit(&next_check_ns, now + CHECK_INTERVAL_NS, memory_order_relaxed);
    reload_if_changed();
    atomic_flag_clear_explicit(&reloading, memory_order_release);
}

const struct policy *runtime_acquire(void)
{
    struct snapshot *s;
    maybe_reload();
    pthread_mutex_lock(&current_lock);
    s = current;
    if (s)
        atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&current_lock);
    return s ? s->policy : NULL;
}

void runtime_release(const struct policy *p)
{
    if (p)
        snapshot_put((struct snapshot *)p->owner);
}

bool runtime_covers_program(const struct policy *p)
{
    return ((const struct snapshot *)p->owner)->covers_program;
}

static void before_fork(void)
{
    pthread_mutex_lock(&current_lock);
}

static void after_fork_in_parent(void)
{
    pthread_mutex_unlock(&current_lock);
}

static void after_fork_in_child(void)
{
    pthread_mutex_unlock(&current_lock);
    /* A thread that was reloading is gone in the child. */
    atomic_flag_clear(&reloading);
    memo_after_fork();
}

/* The per-SSL state (struct conn_state) dies with its SSL.  SSL_dup would
 * copy the pointer: the copy starts with no state instead. */
static void conn_state_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    (void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
    free(ptr);
}

/* 1.1.1 declares from_d as void *, 3.x as void **; both pass &ptr. */
static int conn_state_dup(CRYPTO_EX_DATA *to, const CRYPTO_EX_DATA *from, void **from_d, int idx, long argl,
                          void *argp)
{
    (void)to, (void)from, (void)idx, (void)argl, (void)argp;
    *(void **)from_d = NULL;
    return 1;
}

/* A cert-verify callback record (SSL_CTX, verify_hook.c) is not copied
 * either. */
static int no_dup(CRYPTO_EX_DATA *to, const CRYPTO_EX_DATA *from, void **from_d, int idx, long argl, void *argp)
{
    (void)to, (void)from, (void)idx, (void)argl, (void)argp;
    *(void **)from_d = NULL;
    return 1;
}

static void free_record(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    (void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
    free(ptr);
}

/* "OpenSSL 3.0.19 27 Jan 2026" -> "openssl 3.0.19" (DESIGN 5: `library`). */
static void name_library(void)
{
    const char *v = ossl.OpenSSL_version(0 /* OPENSSL_VERSION */);
    const char *num = v ? strchr(v, ' ') : NULL;
    size_t n = num ? strcspn(num + 1, " ") : 0;
    if (n > 0 && n < 40)
        snprintf(library, sizeof library, "openssl %.*s", (int)n, num + 1);
    else
        snprintf(library, sizeof library, "openssl");
}

/* Bind libssl and make the indices; true when bound. */
static bool bind_openssl(void)
{
    struct ossl_ranges ranges;
    char why[200];
    int rc = ossl_bind_runtime((const void *)&bind_openssl, &ranges, why, sizeof why);
    bool ok = rc == 0;
    if (ok && ssl_index < 0) {
        /* SSL_get_ex_new_index is a macro over this (DESIGN 9). */
        ssl_index = ossl.CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL, 0, NULL, NULL, conn_state_dup,
                                                 conn_state_free);
        verify_ssl_index = ossl.SSL_get_ex_data_X509_STORE_CTX_idx();
    }
    if (ok && (ssl_index < 0 || verify_ssl_index < 0)) {
        ok = false;
        snprintf(why, sizeof why, "no ex_data index");
    }
    atomic_store(&no_libssl_yet, rc == -2);
    if (!ok)
        snprintf(bind_failure, sizeof bind_failure, "%s", why);
    route_init(&ranges, ok);
    return ok;
}

static void initialise(void)
{
    bool ok = bind_openssl();

    /* The policy is read even when no libssl could be bound: it says whether
     * this program is in scope and where to say that it is not covered. */
    loaded_id = identify(config_path);
    struct policy *p = load_policy();
    struct snapshot *s = p ? snapshot_new(p) : NULL;
    if (!s) {
        static const char oom[] = "pinshim: out of memory loading the config\n";
        (void)!write(STDERR_FILENO, oom, sizeof oom - 1);
        return;
    }
    current = s;
    atomic_store(&covers_now, s->covers_program);
    atomic_store(&next_check_ns, monotonic_ns() + CHECK_INTERVAL_NS);
    pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child);
    atomic_store(&bound, ok);
}

/* Everything the handshake path reads from the filesystem is read here, while
 * it is still in sight: the policy and its @includes, libconfig, libssl (its
 * binding opens no file, dlopen RTLD_NOLOAD, as does GnuTLS's) and the
 * program's path when `programs` asks for it (snapshot_new).  Only the TOFU
 * state is read later; inside a jail it is an unusable state (one warning,
 * a first use allowed). */
void runtime_before_chroot(struct log_kit *kit)
{
    pthread_once(&once, initialise);
    const struct policy *p = runtime_acquire(); /* a pending reload is done now */
    log_keep_open(kit, p && (p->log_syslog || p->error), p ? p->json_path : NULL);
    runtime_release(p);
}

void runtime_after_chroot(struct log_kit *kit, bool ok)
{
    if (ok)
        atomic_store(&jailed, true);
    log_jailed(kit, ok);
}

/* glibc's count of objects loaded so far: it moves only when one is. */
static int count_loads(struct dl_phdr_info *info, size_t size, void *data)
{
    if (size >= offsetof(struct dl_phdr_info, dlpi_adds) + sizeof info->dlpi_adds)
        *(unsigned long long *)data = info->dlpi_adds;
    return 1; /* the first object tells */
}

/* No libssl was loaded when the binding was first tried (a program that
 * used libcrypto alone before it opened libssl): tried again whenever an
 * object has been loaded since the last try. */
static bool bind_late(void)
{
    unsigned long long adds = 0;
    dl_iterate_phdr(count_loads, &adds);
    if (adds == atomic_load(&loads_at_last_try))
        return false;
    pthread_mutex_lock(&bind_lock);
    if (!atomic_load(&bound) && atomic_load(&no_libssl_yet)) {
        atomic_store(&loads_at_last_try, adds);
        if (bind_openssl())
            atomic_store_explicit(&bound, true, memory_order_release);
    }
    pthread_mutex_unlock(&bind_lock);
    return atomic_load_explicit(&bound, memory_order_acquire);
}

bool runtime_ready(void)
{
    pthread_once(&once, initialise);
    if (atomic_load_explicit(&bound, memory_order_acquire))
        return true;
    return atomic_load(&no_libssl_yet) && current && bind_late();
}

bool runtime_covers(void)
{
    pthread_once(&once, initialise);
    if (!current)
        return false;
    maybe_reload(); /* a program outside `programs` must notice being put in */
    return atomic_load_explicit(&covers_now, memory_order_acquire);
}

bool runtime_in_scope(void)
{
    return runtime_ready() && runtime_covers();
}

void runtime_uncovered(const char *what, bool why_unbound)
{
    if (atomic_exchange(&uncovered_told, true))
        return;
    pthread_once(&once, initialise);
    const struct policy *p = runtime_acquire();
    if (!p)
        return;
    if (runtime_covers_program(p) && policy_effective_mode(p, NULL) != MODE_OFF) {
        const char *failure = why_unbound ? bind_failure : "";
        struct log_targets where = { p->log_stderr != LOG_STDERR_NONE || p->error, p->log_syslog || p->error, p->json_path,
                                     p->log_syslog_json };
        struct text reason = { 0 };
        text_printf(&reason, "this process does TLS with %s, which pinshim cannot judge%s%s: its connections are not pinned",
                    what && *what ? what : "a TLS library", failure[0] ? " (" : "", failure);
        if (failure[0])
            text_add(&reason, ")", 1);
        struct event ev = { 0 };
        ev.time = time(NULL);
        ev.program = runtime_program();
        ev.pid = (long)getpid();
        ev.mode = mode_text(p->mode);
        ev.verdict = "uncovered";
        ev.action = "allowed";
        ev.reason = reason.buf ? reason.buf : "this process does TLS pinshim cannot judge";
        ev.library = what && *what ? what : NULL;
        log_event(&where, &ev, LOG_WARNING);
        text_free(&reason);
    }
    runtime_release(p);
}

bool runtime_uncovered_told(void)
{
    return atomic_load_explicit(&uncovered_told, memory_order_relaxed);
}

static pthread_once_t library_once = PTHREAD_ONCE_INIT;

const char *runtime_library(void)
{
    if (!atomic_load(&bound))
        return NULL;
    pthread_once(&library_once, name_library); /* for the log only: not at start-up */
    return library[0] ? library : NULL;
}

/* Only programs that replace verification need it: registered then (an
 * index makes every SSL_CTX_new of the program dearer). */
static pthread_once_t ssl_ctx_once = PTHREAD_ONCE_INIT;

static void make_ssl_ctx_index(void)
{
    ssl_ctx_index = ossl.CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL_CTX, 0, NULL, NULL, no_dup, free_record);
}

int runtime_ssl_ctx_index(void)
{
    pthread_once(&ssl_ctx_once, make_ssl_ctx_index);
    return ssl_ctx_index;
}

int runtime_verify_ssl_index(void)
{
    return verify_ssl_index;
}

int runtime_ssl_index(void)
{
    return ssl_index;
}

const char *runtime_program(void)
{
    extern char *program_invocation_short_name;
    return program_invocation_short_name ? program_invocation_short_name : "?";
}
