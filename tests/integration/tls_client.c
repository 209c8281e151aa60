/*
 * tls_client.c - a small OpenSSL TLS client for the pinshim integration tests.
 *
 * It drives the handshake in the ways real programs do (SSL_connect,
 * SSL_do_handshake, implicitly through the first SSL_write/SSL_read/SSL_peek,
 * a non-blocking select loop), resumes sessions, runs many handshakes from
 * many threads, and forks, and prints one line per handshake:
 *
 *   handshake who=main sni=good.test result=ok reused=0 version=TLSv1.3
 *   handshake who=main sni=bad.test result=refused err=1 verify=50 reason="..."
 *
 * It uses only API present in both OpenSSL 1.1.1 and 3.x, so the same file
 * builds against either (the pinshim tests build it against both).
 *
 * --reuse-ssl runs the --hosts names one after the other on ONE SSL object
 * (SSL_clear in between); --clearenv empties the environment before the
 * first handshake, as nginx workers do; --chroot DIR shuts the client in DIR
 * (chroot, then chdir "/") once the CA file is read and before it connects,
 * as Postfix's smtp client does (give --host as an address: no resolver
 * files in there).  --close-fds then closes every descriptor from 3 up, as
 * such daemons do, and fills the low numbers with socket pairs; at the end
 * it prints "stray bytes=N", what anything wrote into them.
 *
 * Exit status: 0 every handshake (and every requested write/read) succeeded;
 * 2 a handshake was refused; 3 handshakes succeeded but a later write or read
 * failed; 1 usage or setup error (cannot connect, bad option, ...).
 * Every socket has SO_RCVTIMEO/SO_SNDTIMEO and the whole run is bounded by
 * alarm(--deadline), so nothing hangs.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

enum mode {
    MODE_CONNECT,
    MODE_DO_HANDSHAKE,
    MODE_IMPLICIT,   /* first SSL_write runs the handshake (s_client style) */
    MODE_WRITE_EX,   /* first SSL_write_ex runs it */
    MODE_READ,       /* first SSL_read runs it (server must speak first: --greet) */
    MODE_READ_EX,
    MODE_PEEK,
    MODE_NONBLOCKING /* non-blocking socket, select loop around SSL_connect */
};

static const char *mode_names[] = {
    "connect", "do_handshake", "implicit", "write_ex", "read", "read_ex", "peek", "nonblocking"
};

struct opts {
    const char *host;
    const char *port;
    const char *sni;        /* NULL: no SNI */
    const char *set1host;
    const char *cafile;
    int insecure;
    int tolerant;           /* verify, but let the handshake go on when it fails */
    int tls;                /* 0 any, 12, 13 */
    enum mode mode;
    const char *send;
    int read_reply;
    int write_after_refusal;
    int resume;
    const char *sess_in;
    const char *sess_out;
    int threads;
    int count;
    char **hosts;
    int nhosts;
    int do_fork;
    int timeout;
    int deadline;
    int quiet;              /* threads mode: only the summary */
    int reuse_ssl;          /* one SSL object for every host of --hosts (SSL_clear) */
    int clear_env;          /* clearenv() before the first handshake */
    const char *chroot_dir; /* chroot() there before the first connection */
    int close_fds;          /* then close 3.. and fill the numbers (--close-fds) */
};

static struct opts o;
static SSL_CTX *ctx;
static SSL *reused_ssl; /* --reuse-ssl: one SSL object, SSL_clear between handshakes */
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *who = "main";

struct counts {
    long ok, refused, pinblock, error, io_failed;
};

static void out(const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&out_lock);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fflush(stdout);
    pthread_mutex_unlock(&out_lock);
}

/* --close-fds: what a daemon does after chroot (closefrom), then numbers
 * reused by the program: socket pairs, so that a write into either end can
 * be read at the other. */
#define NPAIRS 16
static int pairs[NPAIRS][2];

static void close_and_fill(void)
{
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
    for (int i = 0; i < NPAIRS; i++)
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pairs[i]) != 0)
            pairs[i][0] = pairs[i][1] = -1;
}

static long stray_bytes(void)
{
    char buf[4096];
    long n = 0;
    for (int i = 0; i < NPAIRS; i++)
        for (int e = 0; e < 2; e++) {
            ssize_t r;
            int rounds = 0;
            while (pairs[i][e] >= 0 && rounds++ < 64 && (r = read(pairs[i][e], buf, sizeof buf)) > 0)
                n += r;
        }
    return n;
}

static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "tls_client: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(1);
}

/* Copy s into dst (size n) with quotes, backslashes and control characters
 * replaced, so a reason fits on one line between double quotes. */
static void sanitize(char *dst, size_t n, const char *s)
{
    size_t i = 0;
    if (n == 0)
        return;
    for (; s && *s && i + 1 < n; s++) {
        unsigned char c = (unsigned char)*s;
        dst[i++] = (c == '"' || c == '\\' || c < 0x20 || c == 0x7f) ? '_' : (char)c;
    }
    dst[i] = '\0';
}

/* The first error of this thread's queue, with its data text, then clear. */
static void first_error(char *buf, size_t n)
{
    char text[512] = "";
    char line[1024];
    const char *data = NULL;
    int flags = 0;
    unsigned long e;

#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags);
#else
    e = ERR_get_error_line_data(NULL, NULL, &data, &flags);
#endif
    if (e == 0) {
        snprintf(buf, n, "none");
        return;
    }
    ERR_error_string_n(e, text, sizeof(text));
    if (data && (flags & ERR_TXT_STRING) && *data)
        snprintf(line, sizeof(line), "%s: %s", text, data);
    else
        snprintf(line, sizeof(line), "%s", text);
    /* Later entries may carry the words (e.g. a pinning message pushed
     * after a generic one): append their data too. */
    for (int k = 0; k < 8; k++) {
        data = NULL;
        flags = 0;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
        e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags);
#else
        e = ERR_get_error_line_data(NULL, NULL, &data, &flags);
#endif
        if (e == 0)
            break;
        ERR_error_string_n(e, text, sizeof(text));
        size_t l = strlen(line);
        if (l + 4 < sizeof(line))
            snprintf(line + l, sizeof(line) - l, " | %s%s%s", text,
                     (data && (flags & ERR_TXT_STRING) && *data) ? ": " : "",
                     (data && (flags & ERR_TXT_STRING)) ? data : "");
    }
    ERR_clear_error();
    sanitize(buf, n, line);
}

static void set_timeouts(int fd)
{
    struct timeval tv;
    tv.tv_sec = o.timeout;
    tv.tv_usec = 0;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* TCP connect with a timeout; returns a blocking socket (or non-blocking
 * when nonblock), -1 on failure with a message in err. */
static int tcp_connect(int nonblock, char *err, size_t errlen)
{
    struct addrinfo hints, *res = NULL, *ai;
    int fd = -1, rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(o.host, o.port, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "getaddrinfo %s: %s", o.host, gai_strerror(rc));
        return -1;
    }
    snprintf(err, errlen, "no address for %s", o.host);
    for (ai = res; ai; ai = ai->ai_next) {
        struct pollfd p;
        int soerr = 0;
        socklen_t sl = sizeof(soerr);

        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            snprintf(err, errlen, "socket: %s", strerror(errno));
            continue;
        }
        set_timeouts(fd);
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (rc < 0 && errno != EINPROGRESS) {
            snprintf(err, errlen, "connect: %s", strerror(errno));
            close(fd);
            fd = -1;
            continue;
        }
        if (rc < 0) {
            p.fd = fd;
            p.events = POLLOUT;
            p.revents = 0;
            rc = poll(&p, 1, o.timeout * 1000);
            if (rc <= 0) {
                snprintf(err, errlen, "connect: timeout");
                close(fd);
                fd = -1;
                continue;
            }
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr != 0) {
                snprintf(err, errlen, "connect: %s", strerror(soerr ? soerr : errno));
                close(fd);
                fd = -1;
                continue;
            }
        }
        if (!nonblock)
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        break;
    }
    freeaddrinfo(res);
    return fd;
}

/* Wait (bounded) until fd is ready for what SSL asks; 0 ok, -1 timeout. */
static int wait_io(int fd, int sslerr)
{
    fd_set rfds, wfds;
    struct timeval tv;
    FD_ZERO(&rfds);
    FD_ZERO(&wfds);
    if (sslerr == SSL_ERROR_WANT_READ)
        FD_SET(fd, &rfds);
    else
        FD_SET(fd, &wfds);
    tv.tv_sec = o.timeout;
    tv.tv_usec = 0;
    return select(fd + 1, &rfds, &wfds, NULL, &tv) > 0 ? 0 : -1;
}

static const char *payload(void)
{
    return o.send ? o.send : "ping\n";
}

/* Run the first I/O call of the chosen mode.  Returns 1 when the handshake
 * (and, for write modes, the write) succeeded; *ret gets the raw return. */
static int drive(SSL *ssl, int fd, int *ret, int *wrote, int *readn, char *rbuf, size_t rlen)
{
    size_t n = 0;
    int r;

    *wrote = -1;
    *readn = -1;
    switch (o.mode) {
    case MODE_CONNECT:
        r = SSL_connect(ssl);
        *ret = r;
        return r == 1;
    case MODE_DO_HANDSHAKE:
        SSL_set_connect_state(ssl);
        r = SSL_do_handshake(ssl);
        *ret = r;
        return r == 1;
    case MODE_IMPLICIT:
        SSL_set_connect_state(ssl);
        r = SSL_write(ssl, payload(), (int)strlen(payload()));
        *ret = r;
        if (r > 0)
            *wrote = r;
        return r > 0;
    case MODE_WRITE_EX:
        SSL_set_connect_state(ssl);
        r = SSL_write_ex(ssl, payload(), strlen(payload()), &n);
        *ret = r;
        if (r == 1)
            *wrote = (int)n;
        return r == 1;
    case MODE_READ:
        SSL_set_connect_state(ssl);
        r = SSL_read(ssl, rbuf, (int)rlen - 1);
        *ret = r;
        if (r > 0) {
            *readn = r;
            rbuf[r] = '\0';
        }
        return r > 0;
    case MODE_READ_EX:
        SSL_set_connect_state(ssl);
        r = SSL_read_ex(ssl, rbuf, rlen - 1, &n);
        *ret = r;
        if (r == 1) {
            *readn = (int)n;
            rbuf[n] = '\0';
        }
        return r == 1;
    case MODE_PEEK:
        SSL_set_connect_state(ssl);
        r = SSL_peek(ssl, rbuf, (int)rlen - 1);
        *ret = r;
        if (r > 0) {
            *readn = r;
            rbuf[r] = '\0';
        }
        return r > 0;
    case MODE_NONBLOCKING:
        for (int loops = 0; loops < 10000; loops++) {
            int e;
            r = SSL_connect(ssl);
            *ret = r;
            if (r == 1)
                return 1;
            e = SSL_get_error(ssl, r);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                return 0;
            if (wait_io(fd, e) < 0) {
                /* leave a recognisable error in the queue */
                return 0;
            }
        }
        return 0;
    }
    return 0;
}

/* Blocking-style write of the whole payload (loops on WANT_* for the
 * non-blocking socket).  Returns bytes written or <= 0. */
static int write_all(SSL *ssl, int fd, const char *buf, int len, int *err)
{
    for (int loops = 0; loops < 10000; loops++) {
        int r = SSL_write(ssl, buf, len);
        if (r > 0)
            return r;
        *err = SSL_get_error(ssl, r);
        if ((*err == SSL_ERROR_WANT_READ || *err == SSL_ERROR_WANT_WRITE) && o.mode == MODE_NONBLOCKING) {
            if (wait_io(fd, *err) < 0)
                return r;
            continue;
        }
        return r;
    }
    return -1;
}

static int read_some(SSL *ssl, int fd, char *buf, int len, int *err)
{
    for (int loops = 0; loops < 10000; loops++) {
        int r = SSL_read(ssl, buf, len);
        if (r > 0)
            return r;
        *err = SSL_get_error(ssl, r);
        if ((*err == SSL_ERROR_WANT_READ || *err == SSL_ERROR_WANT_WRITE) && o.mode == MODE_NONBLOCKING) {
            if (wait_io(fd, *err) < 0)
                return r;
            continue;
        }
        return r;
    }
    return -1;
}

static void first_line(char *dst, size_t n, const char *s)
{
    char tmp[256];
    size_t i = 0;
    for (; s[i] && s[i] != '\n' && s[i] != '\r' && i + 1 < sizeof(tmp); i++)
        tmp[i] = s[i];
    tmp[i] = '\0';
    sanitize(dst, n, tmp);
}

enum outcome { OUT_OK, OUT_REFUSED, OUT_ERROR };

/*
 * One connection: TCP, TLS handshake in the chosen mode, optional write and
 * read.  *sess_io: in = session to resume (may be NULL), out = the session
 * of this connection (caller frees).  Returns an outcome and updates c.
 */
static enum outcome one(const char *sni, SSL_SESSION **sess_io, struct counts *c, int report)
{
    char err[256], reason[1024], rbuf[4096], line[256];
    int fd, ret = 0, wrote = -1, readn = -1, ok, e;
    SSL *ssl;
    enum outcome res;
    int nonblock = o.mode == MODE_NONBLOCKING;
    const char *sni_shown = sni ? sni : "-";

    fd = tcp_connect(nonblock, err, sizeof(err));
    if (fd < 0) {
        out("handshake who=%s sni=%s result=error stage=tcp reason=\"%s\"\n", who, sni_shown, err);
        c->error++;
        return OUT_ERROR;
    }
    if (reused_ssl) {
        ssl = reused_ssl;
        if (!SSL_clear(ssl))
            die("SSL_clear failed");
    } else {
        ssl = SSL_new(ctx);
    }
    if (!ssl)
        die("SSL_new failed");
    SSL_set_fd(ssl, fd);
    if (sni && !SSL_set_tlsext_host_name(ssl, sni))
        die("SSL_set_tlsext_host_name(%s) failed", sni);
    if (o.set1host && !SSL_set1_host(ssl, o.set1host))
        die("SSL_set1_host(%s) failed", o.set1host);
    if (sess_io && *sess_io && !SSL_set_session(ssl, *sess_io))
        die("SSL_set_session failed");

    ERR_clear_error();
    ok = drive(ssl, fd, &ret, &wrote, &readn, rbuf, sizeof(rbuf));
    if (ok) {
        res = OUT_OK;
        c->ok++;
        if (report)
            out("handshake who=%s sni=%s result=ok reused=%d version=%s mode=%s\n", who, sni_shown,
                SSL_session_reused(ssl) ? 1 : 0, SSL_get_version(ssl), mode_names[o.mode]);
        if (wrote >= 0)
            out("write who=%s sni=%s result=ok bytes=%d\n", who, sni_shown, wrote);
        if (readn >= 0) {
            first_line(line, sizeof(line), rbuf);
            out("read who=%s sni=%s result=ok bytes=%d data=\"%s\"\n", who, sni_shown, readn, line);
        }
    } else {
        long v;
        e = SSL_get_error(ssl, ret);
        v = SSL_get_verify_result(ssl);
        first_error(reason, sizeof(reason));
        res = OUT_REFUSED;
        c->refused++;
        if (e == SSL_ERROR_SSL && v == X509_V_ERR_APPLICATION_VERIFICATION)
            c->pinblock++;
        out("handshake who=%s sni=%s result=refused ret=%d err=%d verify=%ld mode=%s reason=\"%s\"\n",
            who, sni_shown, ret, e, v, mode_names[o.mode], reason);
    }

    /* Application data after the handshake. */
    if ((ok || o.write_after_refusal) && o.send && wrote < 0) {
        int werr = 0, r;
        ERR_clear_error();
        r = write_all(ssl, fd, o.send, (int)strlen(o.send), &werr);
        if (r > 0) {
            out("write who=%s sni=%s result=ok bytes=%d\n", who, sni_shown, r);
        } else {
            first_error(reason, sizeof(reason));
            out("write who=%s sni=%s result=failed ret=%d err=%d reason=\"%s\"\n", who, sni_shown, r, werr,
                reason);
            if (ok)
                c->io_failed++;
        }
    }
    if ((ok && (o.read_reply || o.resume) && readn < 0) || (!ok && o.write_after_refusal)) {
        int rerr = 0, r;
        ERR_clear_error();
        r = read_some(ssl, fd, rbuf, (int)sizeof(rbuf) - 1, &rerr);
        if (r > 0) {
            rbuf[r] = '\0';
            first_line(line, sizeof(line), rbuf);
            out("read who=%s sni=%s result=ok bytes=%d data=\"%s\"\n", who, sni_shown, r, line);
        } else {
            first_error(reason, sizeof(reason));
            out("read who=%s sni=%s result=failed ret=%d err=%d reason=\"%s\"\n", who, sni_shown, r, rerr,
                reason);
            if (ok)
                c->io_failed++;
        }
    }

    if (sess_io) {
        if (*sess_io)
            SSL_SESSION_free(*sess_io);
        *sess_io = ok ? SSL_get1_session(ssl) : NULL;
    }
    if (ok)
        SSL_shutdown(ssl); /* one close_notify, no waiting for the peer's */
    ERR_clear_error();
    if (ssl != reused_ssl)
        SSL_free(ssl);
    close(fd);
    return res;
}

/* ---- threads mode ---- */

struct shared {
    pthread_mutex_t lock;
    long next;
    struct counts *per_host; /* nhosts */
};

static struct shared sh = { PTHREAD_MUTEX_INITIALIZER, 0, NULL };

static void *worker(void *arg)
{
    (void)arg;
    for (;;) {
        long i;
        struct counts c;
        int h;

        pthread_mutex_lock(&sh.lock);
        i = sh.next < o.count ? sh.next++ : -1;
        pthread_mutex_unlock(&sh.lock);
        if (i < 0)
            break;
        h = (int)(i % o.nhosts);
        memset(&c, 0, sizeof(c));
        one(strcmp(o.hosts[h], "none") ? o.hosts[h] : NULL, NULL, &c, !o.quiet);
        pthread_mutex_lock(&sh.lock);
        sh.per_host[h].ok += c.ok;
        sh.per_host[h].refused += c.refused;
        sh.per_host[h].pinblock += c.pinblock;
        sh.per_host[h].error += c.error;
        sh.per_host[h].io_failed += c.io_failed;
        pthread_mutex_unlock(&sh.lock);
    }
    return NULL;
}

static int exit_code(const struct counts *c)
{
    if (c->error)
        return 1;
    if (c->refused)
        return 2;
    if (c->io_failed)
        return 3;
    return 0;
}

static int run_threads(void)
{
    pthread_t *t;
    struct counts total;
    int i;

    sh.per_host = calloc((size_t)o.nhosts, sizeof(*sh.per_host));
    t = calloc((size_t)o.threads, sizeof(*t));
    if (!sh.per_host || !t)
        die("out of memory");
    for (i = 0; i < o.threads; i++)
        if (pthread_create(&t[i], NULL, worker, NULL) != 0)
            die("pthread_create failed");
    for (i = 0; i < o.threads; i++)
        pthread_join(t[i], NULL);
    memset(&total, 0, sizeof(total));
    for (i = 0; i < o.nhosts; i++) {
        struct counts *c = &sh.per_host[i];
        out("summary sni=%s ok=%ld refused=%ld pinblock=%ld error=%ld io_failed=%ld\n", o.hosts[i], c->ok,
            c->refused, c->pinblock, c->error, c->io_failed);
        total.ok += c->ok;
        total.refused += c->refused;
        total.pinblock += c->pinblock;
        total.error += c->error;
        total.io_failed += c->io_failed;
    }
    out("summary total ok=%ld refused=%ld pinblock=%ld error=%ld io_failed=%ld\n", total.ok, total.refused,
        total.pinblock, total.error, total.io_failed);
    free(t);
    free(sh.per_host);
    return exit_code(&total);
}

/* ---- fork mode ---- */

static void round_of_hosts(struct counts *c)
{
    if (o.nhosts == 0) {
        one(o.sni, NULL, c, 1);
        return;
    }
    for (int i = 0; i < o.nhosts; i++)
        one(strcmp(o.hosts[i], "none") ? o.hosts[i] : NULL, NULL, c, 1);
}

static int run_fork(void)
{
    struct counts parent, child;
    pid_t pid;
    int status = 0, rc_child;

    memset(&parent, 0, sizeof(parent));
    memset(&child, 0, sizeof(child));
    who = "parent";
    one(o.sni ? o.sni : (o.nhosts ? o.hosts[0] : NULL), NULL, &parent, 1);
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        who = "child";
        round_of_hosts(&child);
        out("summary who=child ok=%ld refused=%ld pinblock=%ld error=%ld\n", child.ok, child.refused,
            child.pinblock, child.error);
        fflush(stdout);
        _exit(exit_code(&child));
    }
    if (waitpid(pid, &status, 0) != pid)
        die("waitpid: %s", strerror(errno));
    if (WIFEXITED(status))
        rc_child = WEXITSTATUS(status);
    else {
        out("child result=crashed signal=%d\n", WIFSIGNALED(status) ? WTERMSIG(status) : -1);
        rc_child = 1;
    }
    out("child exit=%d\n", rc_child);
    /* The parent goes on working after the fork. */
    round_of_hosts(&parent);
    out("summary who=parent ok=%ld refused=%ld pinblock=%ld error=%ld\n", parent.ok, parent.refused,
        parent.pinblock, parent.error);
    if (rc_child == 1 || exit_code(&parent) == 1)
        return 1;
    if (rc_child == 2 || exit_code(&parent) == 2)
        return 2;
    return rc_child ? rc_child : exit_code(&parent);
}

/* ---- single / resume ---- */

static int run_single(void)
{
    struct counts c;
    SSL_SESSION *sess = NULL;
    enum outcome r;

    memset(&c, 0, sizeof(c));
    if (o.reuse_ssl) {
        /* One SSL object for every name of --hosts, SSL_clear() between
         * handshakes: a verdict (or a block) must not stick to the object. */
        reused_ssl = SSL_new(ctx);
        if (!reused_ssl)
            die("SSL_new failed");
        for (int i = 0; i < o.nhosts; i++)
            one(strcmp(o.hosts[i], "none") ? o.hosts[i] : NULL, NULL, &c, 1);
        SSL_free(reused_ssl);
        reused_ssl = NULL;
        return exit_code(&c);
    }
    if (o.sess_in) {
        FILE *f = fopen(o.sess_in, "r");
        if (!f)
            die("cannot open %s: %s", o.sess_in, strerror(errno));
        sess = PEM_read_SSL_SESSION(f, NULL, NULL, NULL);
        fclose(f);
        if (!sess)
            die("%s: not a PEM SSL session", o.sess_in);
    }
    r = one(o.sni, &sess, &c, 1);
    if (o.resume && r == OUT_OK) {
        if (!sess) {
            out("resume result=nosession\n");
            c.error++;
        } else {
            who = "resume";
            r = one(o.sni, &sess, &c, 1);
        }
    }
    if (o.sess_out && sess) {
        FILE *f = fopen(o.sess_out, "w");
        if (!f || !PEM_write_SSL_SESSION(f, sess))
            die("cannot write session to %s", o.sess_out);
        fclose(f);
    }
    if (sess)
        SSL_SESSION_free(sess);
    return exit_code(&c);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: tls_client --port N [--host ADDR] [--sni NAME|none] [--set1-host NAME]\n"
            "        (--cafile F [--tolerant] | --insecure) [--tls 1.2|1.3]\n"
            "        [--mode connect|do_handshake|implicit|write_ex|read|read_ex|peek|nonblocking]\n"
            "        [--send STR] [--read] [--write-after-refusal]\n"
            "        [--resume] [--sess-in F] [--sess-out F]\n"
            "        [--threads T --count N --hosts h1,h2] [--quiet] [--fork [--hosts h1,h2]]\n"
            "        [--reuse-ssl --hosts h1,h2] [--clearenv] [--chroot DIR [--close-fds]]\n"
            "        [--timeout SECS] [--deadline SECS]\n");
    exit(1);
}

static void split_hosts(const char *list)
{
    char *copy = strdup(list), *save = NULL, *tok;
    int n = 1;
    for (const char *p = list; *p; p++)
        n += *p == ',';
    o.hosts = calloc((size_t)n, sizeof(char *));
    if (!copy || !o.hosts)
        die("out of memory");
    o.nhosts = 0;
    for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        o.hosts[o.nhosts++] = tok;
    if (o.nhosts == 0)
        die("--hosts: empty list");
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        { "host", required_argument, NULL, 'H' },
        { "port", required_argument, NULL, 'p' },
        { "sni", required_argument, NULL, 's' },
        { "set1-host", required_argument, NULL, 'S' },
        { "cafile", required_argument, NULL, 'C' },
        { "insecure", no_argument, NULL, 'k' },
        { "tolerant", no_argument, NULL, 'T' },
        { "tls", required_argument, NULL, 'v' },
        { "mode", required_argument, NULL, 'm' },
        { "send", required_argument, NULL, 'd' },
        { "read", no_argument, NULL, 'r' },
        { "write-after-refusal", no_argument, NULL, 'W' },
        { "resume", no_argument, NULL, 'R' },
        { "sess-in", required_argument, NULL, 'i' },
        { "sess-out", required_argument, NULL, 'o' },
        { "threads", required_argument, NULL, 't' },
        { "count", required_argument, NULL, 'n' },
        { "hosts", required_argument, NULL, 'h' },
        { "fork", no_argument, NULL, 'f' },
        { "timeout", required_argument, NULL, 'w' },
        { "deadline", required_argument, NULL, 'D' },
        { "quiet", no_argument, NULL, 'q' },
        { "reuse-ssl", no_argument, NULL, 'U' },
        { "clearenv", no_argument, NULL, 'E' },
        { "chroot", required_argument, NULL, 'J' },
        { "close-fds", no_argument, NULL, 'X' },
        { "help", no_argument, NULL, '?' },
        { NULL, 0, NULL, 0 },
    };
    int c, rc;

    o.host = "127.0.0.1";
    o.timeout = 10;
    o.deadline = 120;
    o.threads = 0;
    o.count = 0;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'H': o.host = optarg; break;
        case 'p': o.port = optarg; break;
        case 's': o.sni = strcmp(optarg, "none") ? optarg : NULL; break;
        case 'S': o.set1host = optarg; break;
        case 'C': o.cafile = optarg; break;
        case 'k': o.insecure = 1; break;
        case 'T': o.tolerant = 1; break;
        case 'v':
            if (!strcmp(optarg, "1.2"))
                o.tls = 12;
            else if (!strcmp(optarg, "1.3"))
                o.tls = 13;
            else if (!strcmp(optarg, "any"))
                o.tls = 0;
            else
                die("--tls: 1.2, 1.3 or any");
            break;
        case 'm': {
            size_t k;
            for (k = 0; k < sizeof(mode_names) / sizeof(mode_names[0]); k++)
                if (!strcmp(optarg, mode_names[k]))
                    break;
            if (k == sizeof(mode_names) / sizeof(mode_names[0]))
                die("--mode: unknown mode %s", optarg);
            o.mode = (enum mode)k;
            break;
        }
        case 'd': o.send = optarg; break;
        case 'r': o.read_reply = 1; break;
        case 'W': o.write_after_refusal = 1; break;
        case 'R': o.resume = 1; break;
        case 'i': o.sess_in = optarg; break;
        case 'o': o.sess_out = optarg; break;
        case 't': o.threads = atoi(optarg); break;
        case 'n': o.count = atoi(optarg); break;
        case 'h': split_hosts(optarg); break;
        case 'f': o.do_fork = 1; break;
        case 'w': o.timeout = atoi(optarg); break;
        case 'D': o.deadline = atoi(optarg); break;
        case 'q': o.quiet = 1; break;
        case 'U': o.reuse_ssl = 1; break;
        case 'E': o.clear_env = 1; break;
        case 'J': o.chroot_dir = optarg; break;
        case 'X': o.close_fds = 1; break;
        default: usage();
        }
    }
    if (optind != argc || !o.port)
        usage();
    if (!o.cafile && !o.insecure)
        die("give --cafile FILE (verify) or --insecure");
    if (o.cafile && o.insecure)
        die("--cafile and --insecure exclude each other");
    if (o.timeout <= 0)
        o.timeout = 10;
    if (o.threads > 0 && (o.count <= 0 || o.nhosts == 0))
        die("--threads needs --count N and --hosts LIST");
    if (o.resume && o.mode == MODE_NONBLOCKING)
        die("--resume is not supported with --mode nonblocking");
    if (o.reuse_ssl && (o.nhosts == 0 || o.threads > 0 || o.do_fork || o.resume))
        die("--reuse-ssl needs --hosts LIST and no --threads/--fork/--resume");
    if (o.deadline > 0)
        alarm((unsigned)o.deadline);
    /* Like nginx workers: the environment is gone before the first
     * handshake (the library must have kept PINSHIM_CONFIG at load time). */
    if (o.clear_env && clearenv() != 0)
        die("clearenv failed");

    OPENSSL_init_ssl(0, NULL);
    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx)
        die("SSL_CTX_new failed");
    if (o.tls == 12) {
        SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
        SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
    } else if (o.tls == 13) {
        SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
        SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
    }
    if (o.cafile) {
        if (SSL_CTX_load_verify_locations(ctx, o.cafile, NULL) != 1)
            die("cannot load CA file %s", o.cafile);
        /* --tolerant: OpenSSL still verifies and records the result
         * (SSL_get_verify_result) but does not abort, like curl -k. */
        SSL_CTX_set_verify(ctx, o.tolerant ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (o.chroot_dir && (chroot(o.chroot_dir) != 0 || chdir("/") != 0))
        die("chroot %s: %s", o.chroot_dir, strerror(errno));
    if (o.close_fds)
        close_and_fill();

    if (o.threads > 0)
        rc = run_threads();
    else if (o.do_fork)
        rc = run_fork();
    else
        rc = run_single();
    if (o.close_fds)
        out("stray bytes=%ld\n", stray_bytes());
    SSL_CTX_free(ctx);
    return rc;
}
