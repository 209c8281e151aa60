/*
 * gnutls_client.c - a small GnuTLS client (and server) for the pinshim
 * integration tests (t_gnutls_api.sh, t_gnutls_policy.sh).
 *
 * It gives GnuTLS every name a client can give (SNI, the verify hostname,
 * a name it resolves, only the peer's address), verifies in the handshake
 * (gnutls_session_set_verify_cert), after it (gnutls_certificate_verify_peers3,
 * as libcurl and libldap do) or not at all, resumes sessions, runs many
 * handshakes from many threads, and forks.  One line per handshake:
 *
 *   handshake who=main sni=good.test result=ok reused=0 version=TLS1.3
 *   handshake who=main sni=bad.test result=refused ret=-348 err=GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR
 *
 * --status-after-refusal then prints what the verification status calls say
 * about the refused session; --write-after-refusal tries to send anyway.
 *
 * --serve PORTFILE --cert CHAIN --key KEY: a GnuTLS server on 127.0.0.1 (port
 * chosen by the OS, written to PORTFILE) that echoes one line per connection;
 * with --cafile it asks for a client certificate and verifies it with
 * gnutls_certificate_verify_peers3 (server sessions are never judged).
 *
 * --interval SECS makes each --threads worker wait that long (fractions
 * allowed) after each handshake, and --stop-file F stops the workers once F
 * exists: one process that keeps connecting while a test changes its config.
 *
 * --chroot DIR shuts the client in DIR (chroot, then chdir "/") once the
 * credentials are loaded and before it connects, as chrooting daemons do
 * (give --host as an address: no resolver files in there).
 *
 * Exit status: 0 every handshake (and every requested write/read) succeeded;
 * 2 a handshake was refused; 3 handshakes succeeded but a later write or read
 * failed; 1 usage or setup error.  Every socket has SO_RCVTIMEO/SO_SNDTIMEO,
 * every loop is bounded, and alarm(--deadline) bounds the whole run.
 */
#define _GNU_SOURCE 1

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

struct opts {
    const char *host;
    const char *port;
    const char *sni;          /* NULL: no SNI */
    const char *verify_host;  /* the name verification checks; NULL: none */
    int verify_host_is_sni;   /* --verify-host sni: the SNI name of each connection */
    const char *cafile;
    int insecure;
    int verify_after;         /* verify with gnutls_certificate_verify_peers3 after the handshake */
    int tolerant;             /* --verify-after: go on when it fails */
    int tls;                  /* 0 any, 12, 13 */
    const char *send;
    int read_reply;
    int write_after_refusal;
    int status_after_refusal;
    int resume;
    const char *pause_file;   /* --resume: wait for this file between the two connections */
    int threads;
    int count;
    char **hosts;
    int nhosts;
    int do_fork;
    int timeout;
    int deadline;
    int quiet;
    double interval;          /* --threads: seconds each worker waits after a handshake */
    const char *stop_file;    /* --threads: the workers stop once this file exists */
    const char *client_cert;
    const char *client_key;
    const char *chroot_dir;   /* chroot() there before the first connection */
    /* server */
    const char *serve;        /* port file */
    const char *cert;
    const char *key;
    int serve_conns;
};

static struct opts o;
static gnutls_certificate_credentials_t xcred;
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

static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "gnutls_client: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(1);
}

static void set_timeouts(int fd)
{
    struct timeval tv;
    tv.tv_sec = o.timeout;
    tv.tv_usec = 0;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* TCP connect to --host (resolved with getaddrinfo: a name given there is
 * "the name the client resolved") with a timeout; -1 with err set. */
static int tcp_connect(char *err, size_t errlen)
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
        if (rc < 0 && errno == EINPROGRESS) {
            p.fd = fd;
            p.events = POLLOUT;
            p.revents = 0;
            if (poll(&p, 1, o.timeout * 1000) <= 0 ||
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr != 0) {
                snprintf(err, errlen, "connect: %s", soerr ? strerror(soerr) : "timeout");
                close(fd);
                fd = -1;
                continue;
            }
            rc = 0;
        }
        if (rc < 0) {
            snprintf(err, errlen, "connect: %s", strerror(errno));
            close(fd);
            fd = -1;
            continue;
        }
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        break;
    }
    freeaddrinfo(res);
    return fd;
}

static const char *priority(void)
{
    switch (o.tls) {
    case 12: return "NORMAL:-VERS-ALL:+VERS-TLS1.2";
    case 13: return "NORMAL:-VERS-ALL:+VERS-TLS1.3";
    default: return "NORMAL";
    }
}

static const char *version_name(gnutls_session_t s)
{
    const char *v = gnutls_protocol_get_name(gnutls_protocol_get_version(s));
    return v ? v : "-";
}

/* The whole handshake on a blocking socket: GNUTLS_E_AGAIN there means
 * the socket timed out, so only GNUTLS_E_INTERRUPTED is tried again. */
static int handshake(gnutls_session_t s)
{
    int ret = GNUTLS_E_INTERRUPTED;
    for (int i = 0; i < 100 && ret == GNUTLS_E_INTERRUPTED; i++)
        ret = gnutls_handshake(s);
    return ret;
}

static ssize_t send_all(gnutls_session_t s, const char *buf, size_t len)
{
    ssize_t r = GNUTLS_E_INTERRUPTED;
    for (int i = 0; i < 100 && r == GNUTLS_E_INTERRUPTED; i++)
        r = gnutls_record_send(s, buf, len);
    return r;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A TLS 1.3 session ticket arriving before the data makes
 * gnutls_record_recv return GNUTLS_E_AGAIN once even on a blocking socket:
 * call again, within --timeout seconds (a socket timeout also says AGAIN). */
static ssize_t recv_some(gnutls_session_t s, char *buf, size_t len)
{
    double end = now() + o.timeout;
    ssize_t r = GNUTLS_E_AGAIN;
    for (int i = 0; i < 1000 && (r == GNUTLS_E_INTERRUPTED || r == GNUTLS_E_AGAIN); i++) {
        r = gnutls_record_recv(s, buf, len);
        if (r == GNUTLS_E_AGAIN && now() >= end)
            break;
    }
    return r;
}

static void first_line(char *dst, size_t n, const char *s, size_t len)
{
    size_t i = 0;
    for (; i < len && i + 1 < n && s[i] != '\n' && s[i] != '\r'; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[i] = (c == '"' || c == '\\' || c < 0x20 || c == 0x7f) ? '_' : (char)c;
    }
    dst[i] = '\0';
}

/*
 * One connection: TCP, handshake, optional verification after it, optional
 * write and read.  sess_in: session data to resume (size 0: none);
 * sess_out: the session of this connection (caller frees .data).
 */
static int one(const char *sni, gnutls_datum_t *sess_in, gnutls_datum_t *sess_out, struct counts *c, int report)
{
    char err[256], line[256], rbuf[4096], payload[512];
    const char *sni_shown = sni ? sni : "-";
    const char *vhost = o.verify_host_is_sni ? sni : o.verify_host;
    gnutls_session_t s;
    int fd, ret, ok, verify_refused = 0;
    unsigned status = 0;

    fd = tcp_connect(err, sizeof(err));
    if (fd < 0) {
        out("handshake who=%s sni=%s result=error stage=tcp reason=\"%s\"\n", who, sni_shown, err);
        c->error++;
        return 0;
    }
    if (gnutls_init(&s, GNUTLS_CLIENT) < 0)
        die("gnutls_init failed");
    if (gnutls_priority_set_direct(s, priority(), NULL) < 0)
        die("gnutls_priority_set_direct(%s) failed", priority());
    if (gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, xcred) < 0)
        die("gnutls_credentials_set failed");
    if (sni && gnutls_server_name_set(s, GNUTLS_NAME_DNS, sni, strlen(sni)) < 0)
        die("gnutls_server_name_set(%s) failed", sni);
    if (o.cafile && !o.verify_after)
        gnutls_session_set_verify_cert(s, vhost, 0);
    if (sess_in && sess_in->size > 0 && gnutls_session_set_data(s, sess_in->data, sess_in->size) < 0)
        die("gnutls_session_set_data failed");
    gnutls_transport_set_int(s, fd);
    gnutls_handshake_set_timeout(s, (unsigned)o.timeout * 1000);

    ret = handshake(s);
    ok = ret == 0;
    if (ok && o.verify_after) {
        int vr = gnutls_certificate_verify_peers3(s, vhost, &status);
        out("verify who=%s sni=%s result=%s ret=%d status=0x%x\n", who, sni_shown,
            vr == 0 && status == 0 ? "ok" : "failed", vr, status);
        if ((vr != 0 || status != 0) && !o.tolerant) {
            /* the client's own refusal: the handshake had succeeded */
            ok = 0;
            verify_refused = 1;
            c->refused++;
            out("handshake who=%s sni=%s result=refused ret=0 err=verify-failed stage=verify-after "
                "status=0x%x\n", who, sni_shown, status);
        }
    }
    if (ok) {
        c->ok++;
        if (report)
            out("handshake who=%s sni=%s result=ok reused=%d version=%s\n", who, sni_shown,
                gnutls_session_is_resumed(s) ? 1 : 0, version_name(s));
    } else if (!verify_refused) {
        const char *name = gnutls_strerror_name(ret);
        c->refused++;
        if (ret == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR)
            c->pinblock++;
        out("handshake who=%s sni=%s result=refused ret=%d err=%s reason=\"%s\"\n", who, sni_shown, ret,
            name ? name : "?", gnutls_strerror(ret));
    }
    if (!ok && o.status_after_refusal) {
        unsigned st3 = 0, st2 = 0, sst;
        int r3 = gnutls_certificate_verify_peers3(s, vhost, &st3);
        int r2 = gnutls_certificate_verify_peers2(s, &st2);
        sst = gnutls_session_get_verify_cert_status(s);
        out("status who=%s sni=%s verify_peers3=%d/0x%x verify_peers2=%d/0x%x session_status=0x%x\n", who,
            sni_shown, r3, st3, r2, st2, sst);
    }

    if (o.send)
        snprintf(payload, sizeof(payload), "%s", o.send);
    else
        snprintf(payload, sizeof(payload), "probe %s %s\n", sni_shown, who);
    if (ok || o.write_after_refusal) {
        ssize_t r = send_all(s, payload, strlen(payload));
        if (r > 0) {
            if (report)
                out("write who=%s sni=%s result=ok bytes=%zd\n", who, sni_shown, r);
        } else {
            out("write who=%s sni=%s result=failed ret=%zd err=%s\n", who, sni_shown, r,
                gnutls_strerror_name((int)r) ? gnutls_strerror_name((int)r) : "?");
            if (ok)
                c->io_failed++;
        }
    }
    /* Reading the reply also takes in a TLS 1.3 ticket, which the server
     * sends before any reply: --resume reads before it asks for the session. */
    if ((ok && (o.read_reply || o.resume)) || (!ok && o.write_after_refusal)) {
        ssize_t r = recv_some(s, rbuf, sizeof(rbuf) - 1);
        if (r > 0) {
            first_line(line, sizeof(line), rbuf, (size_t)r);
            if (report)
                out("read who=%s sni=%s result=ok bytes=%zd data=\"%s\"\n", who, sni_shown, r, line);
        } else {
            out("read who=%s sni=%s result=failed ret=%zd err=%s\n", who, sni_shown, r,
                gnutls_strerror_name((int)r) ? gnutls_strerror_name((int)r) : "?");
            if (ok)
                c->io_failed++;
        }
    }
    if (sess_out) {
        sess_out->data = NULL;
        sess_out->size = 0;
        if (ok && gnutls_session_get_data2(s, sess_out) < 0) {
            sess_out->data = NULL;
            sess_out->size = 0;
        }
    }
    if (ok)
        gnutls_bye(s, GNUTLS_SHUT_WR);
    gnutls_deinit(s);
    close(fd);
    return ok;
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

/* ---- threads ---- */

static pthread_mutex_t sh_lock = PTHREAD_MUTEX_INITIALIZER;
static long sh_next;
static struct counts *per_host;

static void pause_interval(void)
{
    struct timespec ts;
    if (o.interval <= 0)
        return;
    ts.tv_sec = (time_t)o.interval;
    ts.tv_nsec = (long)((o.interval - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void *worker(void *arg)
{
    (void)arg;
    for (;;) {
        struct counts c;
        struct stat st;
        long i;
        int h;

        if (o.stop_file && stat(o.stop_file, &st) == 0)
            break;
        pthread_mutex_lock(&sh_lock);
        i = sh_next < o.count ? sh_next++ : -1;
        pthread_mutex_unlock(&sh_lock);
        if (i < 0)
            break;
        h = (int)(i % o.nhosts);
        memset(&c, 0, sizeof(c));
        one(o.hosts[h], NULL, NULL, &c, !o.quiet);
        pthread_mutex_lock(&sh_lock);
        per_host[h].ok += c.ok;
        per_host[h].refused += c.refused;
        per_host[h].pinblock += c.pinblock;
        per_host[h].error += c.error;
        per_host[h].io_failed += c.io_failed;
        pthread_mutex_unlock(&sh_lock);
        pause_interval();
    }
    return NULL;
}

static int run_threads(void)
{
    struct counts total;
    pthread_t *t = calloc((size_t)o.threads, sizeof(*t));

    per_host = calloc((size_t)o.nhosts, sizeof(*per_host));
    if (!t || !per_host)
        die("out of memory");
    for (int i = 0; i < o.threads; i++)
        if (pthread_create(&t[i], NULL, worker, NULL) != 0)
            die("pthread_create failed");
    for (int i = 0; i < o.threads; i++)
        pthread_join(t[i], NULL);
    memset(&total, 0, sizeof(total));
    for (int i = 0; i < o.nhosts; i++) {
        struct counts *c = &per_host[i];
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
    free(per_host);
    return exit_code(&total);
}

/* ---- fork ---- */

static void round_of_hosts(struct counts *c)
{
    if (o.nhosts == 0)
        one(o.sni, NULL, NULL, c, 1);
    for (int i = 0; i < o.nhosts; i++)
        one(o.hosts[i], NULL, NULL, c, 1);
}

static int run_fork(void)
{
    struct counts parent, child;
    int status = 0, rc_child;
    pid_t pid;

    memset(&parent, 0, sizeof(parent));
    memset(&child, 0, sizeof(child));
    who = "parent";
    /* a handshake before the fork: whatever the library set up is inherited */
    one(o.nhosts ? o.hosts[0] : o.sni, NULL, NULL, &parent, 1);
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
        exit(exit_code(&child)); /* exit, not _exit: the library's exit handlers run */
    }
    if (waitpid(pid, &status, 0) != pid)
        die("waitpid: %s", strerror(errno));
    if (WIFEXITED(status)) {
        rc_child = WEXITSTATUS(status);
    } else {
        out("child result=crashed signal=%d\n", WIFSIGNALED(status) ? WTERMSIG(status) : -1);
        rc_child = 1;
    }
    out("child exit=%d\n", rc_child);
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

static void wait_for_file(const char *path)
{
    struct stat st;
    out("paused who=%s waiting for %s\n", who, path);
    for (int i = 0; i < o.deadline * 20; i++) {
        if (stat(path, &st) == 0)
            return;
        usleep(50000);
    }
    die("%s did not appear", path);
}

static int run_single(void)
{
    struct counts c;
    gnutls_datum_t sess = { NULL, 0 };

    memset(&c, 0, sizeof(c));
    if (one(o.sni, NULL, o.resume ? &sess : NULL, &c, 1) && o.resume) {
        if (sess.size == 0) {
            out("resume result=nosession\n");
            c.error++;
        } else {
            if (o.pause_file)
                wait_for_file(o.pause_file);
            who = "resume";
            one(o.sni, &sess, NULL, &c, 1);
        }
    }
    gnutls_free(sess.data);
    return exit_code(&c);
}

/* ---- server ---- */

static int run_server(void)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    char tmp[4096], buf[4096], line[256];
    int lfd, served = 0;
    FILE *f;

    lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0)
        die("socket: %s", strerror(errno));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;
    if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 16) < 0 ||
        getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0)
        die("bind/listen 127.0.0.1: %s", strerror(errno));
    snprintf(tmp, sizeof(tmp), "%s.tmp", o.serve);
    f = fopen(tmp, "w");
    if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f) != 0 || rename(tmp, o.serve) != 0)
        die("cannot write %s", o.serve);

    while (served < o.serve_conns) {
        struct pollfd p = { lfd, POLLIN, 0 };
        gnutls_session_t s;
        ssize_t r;
        int fd, ret;

        if (poll(&p, 1, o.deadline * 1000) <= 0)
            die("no connection within %d s", o.deadline);
        fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        served++;
        set_timeouts(fd);
        if (gnutls_init(&s, GNUTLS_SERVER) < 0 || gnutls_priority_set_direct(s, priority(), NULL) < 0 ||
            gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, xcred) < 0)
            die("server session set-up failed");
        if (o.cafile)
            gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
        gnutls_transport_set_int(s, fd);
        gnutls_handshake_set_timeout(s, (unsigned)o.timeout * 1000);
        ret = handshake(s);
        if (ret < 0) {
            out("served conn=%d result=handshake-failed err=%s\n", served, gnutls_strerror_name(ret));
        } else {
            if (o.cafile) {
                unsigned st = 0;
                int vr = gnutls_certificate_verify_peers3(s, NULL, &st);
                out("served conn=%d client-cert verify=%d status=0x%x\n", served, vr, st);
            }
            r = recv_some(s, buf, sizeof(buf) - 1);
            if (r > 0) {
                first_line(line, sizeof(line), buf, (size_t)r);
                snprintf(tmp, sizeof(tmp), "echo: %s\n", line);
                send_all(s, tmp, strlen(tmp));
                out("served conn=%d result=ok version=%s got=\"%s\"\n", served, version_name(s), line);
            } else {
                out("served conn=%d result=read-failed err=%s\n", served,
                    gnutls_strerror_name((int)r) ? gnutls_strerror_name((int)r) : "?");
            }
            gnutls_bye(s, GNUTLS_SHUT_WR);
        }
        gnutls_deinit(s);
        close(fd);
    }
    close(lfd);
    return 0;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: gnutls_client --port N [--host ADDR|NAME] [--sni NAME|none] [--verify-host NAME|sni]\n"
            "        (--cafile F [--verify-after [--tolerant]] | --insecure) [--tls 1.2|1.3|any]\n"
            "        [--client-cert CHAIN --client-key KEY]\n"
            "        [--send STR] [--read] [--write-after-refusal] [--status-after-refusal]\n"
            "        [--resume [--pause-file F]]\n"
            "        [--threads T --count N --hosts h1,h2 [--interval SECS] [--stop-file F]] [--quiet]\n"
            "        [--fork [--hosts h1,h2]]\n"
            "        [--timeout SECS] [--deadline SECS] [--chroot DIR]\n"
            "       gnutls_client --serve PORTFILE --cert CHAIN --key KEY [--cafile F] [--conns N]\n"
            "       gnutls_client --lib-version\n");
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
        { "verify-host", required_argument, NULL, 'V' },
        { "cafile", required_argument, NULL, 'C' },
        { "insecure", no_argument, NULL, 'k' },
        { "verify-after", no_argument, NULL, 'A' },
        { "tolerant", no_argument, NULL, 'T' },
        { "tls", required_argument, NULL, 'v' },
        { "client-cert", required_argument, NULL, 'c' },
        { "client-key", required_argument, NULL, 'K' },
        { "send", required_argument, NULL, 'd' },
        { "read", no_argument, NULL, 'r' },
        { "write-after-refusal", no_argument, NULL, 'W' },
        { "status-after-refusal", no_argument, NULL, 'S' },
        { "resume", no_argument, NULL, 'R' },
        { "pause-file", required_argument, NULL, 'P' },
        { "threads", required_argument, NULL, 't' },
        { "count", required_argument, NULL, 'n' },
        { "hosts", required_argument, NULL, 'h' },
        { "fork", no_argument, NULL, 'f' },
        { "timeout", required_argument, NULL, 'w' },
        { "deadline", required_argument, NULL, 'D' },
        { "quiet", no_argument, NULL, 'q' },
        { "interval", required_argument, NULL, 'i' },
        { "stop-file", required_argument, NULL, 'Z' },
        { "serve", required_argument, NULL, 'L' },
        { "cert", required_argument, NULL, 'e' },
        { "key", required_argument, NULL, 'y' },
        { "conns", required_argument, NULL, 'N' },
        { "lib-version", no_argument, NULL, 'l' },
        { "chroot", required_argument, NULL, 'J' },
        { "help", no_argument, NULL, '?' },
        { NULL, 0, NULL, 0 },
    };
    int c, rc;

    o.host = "127.0.0.1";
    o.timeout = 10;
    o.deadline = 60;
    o.serve_conns = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'H': o.host = optarg; break;
        case 'p': o.port = optarg; break;
        case 's': o.sni = strcmp(optarg, "none") ? optarg : NULL; break;
        case 'V':
            if (!strcmp(optarg, "sni"))
                o.verify_host_is_sni = 1;
            else
                o.verify_host = optarg;
            break;
        case 'C': o.cafile = optarg; break;
        case 'k': o.insecure = 1; break;
        case 'A': o.verify_after = 1; break;
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
        case 'c': o.client_cert = optarg; break;
        case 'K': o.client_key = optarg; break;
        case 'd': o.send = optarg; break;
        case 'r': o.read_reply = 1; break;
        case 'W': o.write_after_refusal = 1; break;
        case 'S': o.status_after_refusal = 1; break;
        case 'R': o.resume = 1; break;
        case 'P': o.pause_file = optarg; break;
        case 't': o.threads = atoi(optarg); break;
        case 'n': o.count = atoi(optarg); break;
        case 'h': split_hosts(optarg); break;
        case 'f': o.do_fork = 1; break;
        case 'w': o.timeout = atoi(optarg); break;
        case 'D': o.deadline = atoi(optarg); break;
        case 'q': o.quiet = 1; break;
        case 'i': o.interval = atof(optarg); break;
        case 'Z': o.stop_file = optarg; break;
        case 'L': o.serve = optarg; break;
        case 'e': o.cert = optarg; break;
        case 'y': o.key = optarg; break;
        case 'N': o.serve_conns = atoi(optarg); break;
        case 'J': o.chroot_dir = optarg; break;
        case 'l':
            printf("%s\n", gnutls_check_version(NULL));
            return 0;
        default: usage();
        }
    }
    if (optind != argc)
        usage();
    if (o.timeout <= 0)
        o.timeout = 10;
    if (o.deadline <= 0)
        o.deadline = 60;
    alarm((unsigned)o.deadline);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (gnutls_certificate_allocate_credentials(&xcred) < 0)
        die("gnutls_certificate_allocate_credentials failed");

    if (o.serve) {
        if (!o.cert || !o.key)
            die("--serve needs --cert and --key");
        if (gnutls_certificate_set_x509_key_file(xcred, o.cert, o.key, GNUTLS_X509_FMT_PEM) < 0)
            die("cannot load %s / %s", o.cert, o.key);
        if (o.cafile && gnutls_certificate_set_x509_trust_file(xcred, o.cafile, GNUTLS_X509_FMT_PEM) <= 0)
            die("cannot load CA file %s", o.cafile);
        rc = run_server();
        gnutls_certificate_free_credentials(xcred);
        return rc;
    }

    if (!o.port)
        usage();
    if (!o.cafile && !o.insecure)
        die("give --cafile FILE (verify) or --insecure");
    if (o.cafile && o.insecure)
        die("--cafile and --insecure exclude each other");
    if (o.threads > 0 && (o.count <= 0 || o.nhosts == 0))
        die("--threads needs --count N and --hosts LIST");
    if (o.cafile && gnutls_certificate_set_x509_trust_file(xcred, o.cafile, GNUTLS_X509_FMT_PEM) <= 0)
        die("cannot load CA file %s", o.cafile);
    if (o.client_cert &&
        gnutls_certificate_set_x509_key_file(xcred, o.client_cert, o.client_key ? o.client_key : o.client_cert,
                                             GNUTLS_X509_FMT_PEM) < 0)
        die("cannot load the client certificate %s", o.client_cert);
    if (o.chroot_dir && (chroot(o.chroot_dir) != 0 || chdir("/") != 0))
        die("chroot %s: %s", o.chroot_dir, strerror(errno));

    if (o.threads > 0)
        rc = run_threads();
    else if (o.do_fork)
        rc = run_fork();
    else
        rc = run_single();
    gnutls_certificate_free_credentials(xcred);
    return rc;
}
