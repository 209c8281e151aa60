/*
 * path_client.c - every way a program can drive an OpenSSL client handshake
 * and send bytes, for the pinshim integration tests (issue 10: "no way around
 * the judgement").  Each --path takes one road to the server; the test runs
 * it against the genuine server (it must pass and deliver) and against a
 * man-in-the-middle (the server must receive nothing).
 *
 *   plain            SSL_connect, SSL_write
 *   early-data       SSL_write_early_data with a saved session (--sess-in),
 *                    then SSL_write (TLS 1.3)
 *   bio-implicit     BIO_new_ssl_connect + BIO_puts, no BIO_do_connect
 *   bio-handshake    BIO_do_connect; then BIO_puts whatever it said
 *   dlsym-handshake  SSL_do_handshake and SSL_write taken with dlsym from a
 *                    dlopen()ed libssl (as .NET and Qt do)
 *   dlsym-implicit   the dlsym'd SSL_write runs the handshake
 *   after-refusal    SSL_connect (refused), then every write path anyway:
 *                    dlsym'd SSL_write and SSL_write_ex, an SSL BIO's
 *                    BIO_puts, SSL_write, SSL_write_early_data
 *   clear-reuse      one SSL object: --port first, SSL_clear, then --port2,
 *                    each handshake run by SSL_write (implicit)
 *   verify-cb-clear  a verify callback that clears every error
 *   cert-verify-clear  SSL_CTX_set_cert_verify_callback calling
 *                    X509_verify_cert, then clearing the error
 *   cert-verify-own  a cert-verify callback that accepts without verifying
 *   dlsym-own-verify the same callback set, and SSL_new, SSL_connect and
 *                    SSL_write called, through functions taken with dlsym
 *                    (.NET's way: nothing passes through the symbols a
 *                    preloaded library can replace but libssl's own calls)
 *   nested           inside the verify callback of a connection to --port, a
 *                    second connection to --port2 sends --send
 *   longjmp          the verify callback of a connection to --port leaves by
 *                    longjmp; then a connection to --port2 sends --send
 *   small-stack      `plain` in a thread with a 32 KiB stack
 *
 * Names: --sni NAME|none (SNI), --check-host NAME (SSL_set1_host), --host
 * NAME|ADDR (what is resolved and connected to).  Trust: --cafile F
 * (SSL_VERIFY_PEER) or --insecure (SSL_VERIFY_NONE).
 *
 * Output, one line per step:
 *   handshake conn=N result=ok|refused verify=V reused=R reason="..."
 *   write conn=N via=HOW result=ok|failed bytes=B reason="..."
 * Exit status: 0 every handshake and write succeeded; 2 something was
 * refused and no byte was written after a refusal; 4 a write succeeded on a
 * connection whose handshake had been refused (what must never happen);
 * 1 usage or setup error.  alarm(--deadline) bounds the run.
 *
 * API present in OpenSSL 1.1.1 and 3.x only: the tests build it against both.
 */
#define _GNU_SOURCE 1

#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#if OPENSSL_VERSION_NUMBER >= 0x30000000L
#define LIBSSL_SONAME "libssl.so.3"
#else
#define LIBSSL_SONAME "libssl.so.1.1"
#endif

static struct {
    const char *path, *host, *port, *port2, *sni, *check_host, *cafile, *send, *sess_in, *sess_out, *psk, *ciphers;
    int insecure, tls, deadline, early_capable;
} o = { .host = "127.0.0.1", .sni = NULL, .send = "ping\n", .deadline = 60 };

static SSL_CTX *ctx;
static int status;          /* worst outcome so far: 0, 2, 4 */
static int conn_no;

static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "path_client: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(1);
}

static void worst(int s)
{
    if (s > status)
        status = s;
}

/* The first error on the queue (with its data) on one line, then clear. */
static void first_error(char *buf, size_t n)
{
    const char *data = NULL;
    int flags = 0;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    unsigned long e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags);
#else
    unsigned long e = ERR_get_error_line_data(NULL, NULL, &data, &flags);
#endif
    char text[256] = "none";
    if (e)
        ERR_error_string_n(e, text, sizeof text);
    snprintf(buf, n, "%s%s%s", text, data && (flags & ERR_TXT_STRING) && *data ? ": " : "",
             data && (flags & ERR_TXT_STRING) ? data : "");
    for (char *p = buf; *p; p++)
        if (*p == '"' || *p == '\n' || *p == '\\')
            *p = '_';
    ERR_clear_error();
}

static int tcp_connect(const char *port)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(o.host, port, &hints, &res);
    if (rc != 0)
        die("getaddrinfo %s: %s", o.host, gai_strerror(rc));
    int fd = -1;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        struct timeval tv = { 10, 0 };
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        die("cannot connect to %s port %s", o.host, port);
    return fd;
}

/* An SSL object on a fresh connection to `port`, with the names set. */
static SSL *new_ssl(SSL_CTX *c, const char *port, const char *sni, int *fd_out)
{
    SSL *s = SSL_new(c);
    if (!s)
        die("SSL_new failed");
    int fd = tcp_connect(port);
    SSL_set_fd(s, fd);
    SSL_set_connect_state(s);
    if (sni && !SSL_set_tlsext_host_name(s, sni))
        die("SSL_set_tlsext_host_name failed");
    if (o.check_host && !SSL_set1_host(s, o.check_host))
        die("SSL_set1_host failed");
    if (fd_out)
        *fd_out = fd;
    return s;
}

static void report_handshake(SSL *s, int ok)
{
    char why[700] = "";
    if (!ok)
        first_error(why, sizeof why);
    printf("handshake conn=%d result=%s verify=%ld reused=%d reason=\"%s\"\n", conn_no, ok ? "ok" : "refused",
           SSL_get_verify_result(s), SSL_session_reused(s) ? 1 : 0, why);
    if (!ok)
        worst(2);
}

/* A write attempt; `refused`: this connection's handshake failed before. */
static void report_write(const char *via, int n, int refused)
{
    char why[700] = "";
    if (n <= 0)
        first_error(why, sizeof why);
    printf("write conn=%d via=%s result=%s bytes=%d reason=\"%s\"\n", conn_no, via, n > 0 ? "ok" : "failed",
           n > 0 ? n : 0, why);
    if (n > 0 && refused)
        worst(4);
    else if (n <= 0)
        worst(2);
}

static int ssl_write_all(SSL *s)
{
    ERR_clear_error();
    return SSL_write(s, o.send, (int)strlen(o.send));
}

static void finish(SSL *s, int fd)
{
    SSL_shutdown(s);
    SSL_free(s);
    close(fd);
}

static void save_session(SSL *s)
{
    if (!o.sess_out)
        return;
    SSL_SESSION *sess = SSL_get1_session(s);
    if (!sess)
        die("no session to save");
    /* --early-capable: the saved session claims the server accepts early
     * data, so that SSL_write_early_data uses it (the test servers do not
     * issue early-data tickets; a man-in-the-middle cannot use the session
     * either way). */
    if (o.early_capable && !SSL_SESSION_set_max_early_data(sess, 16384))
        die("SSL_SESSION_set_max_early_data failed");
    FILE *f = fopen(o.sess_out, "w");
    if (!f || !PEM_write_SSL_SESSION(f, sess))
        die("cannot write %s", o.sess_out);
    fclose(f);
    SSL_SESSION_free(sess);
}

static void load_session(SSL *s)
{
    if (!o.sess_in)
        return;
    FILE *f = fopen(o.sess_in, "r");
    if (!f)
        die("cannot open %s", o.sess_in);
    SSL_SESSION *sess = PEM_read_SSL_SESSION(f, NULL, NULL, NULL);
    fclose(f);
    if (!sess || !SSL_set_session(s, sess))
        die("%s: not a usable session", o.sess_in);
    SSL_SESSION_free(sess);
}

/* ---- the paths ---- */

static void path_plain(void)
{
    int fd;
    SSL *s = new_ssl(ctx, o.port, o.sni, &fd);
    load_session(s);
    conn_no++;
    ERR_clear_error();
    int ok = SSL_connect(s) == 1;
    report_handshake(s, ok);
    report_write("SSL_write", ssl_write_all(s), !ok);
    if (ok) {
        char buf[256];
        SSL_read(s, buf, sizeof buf); /* lets a TLS 1.3 ticket arrive */
        save_session(s);
    }
    finish(s, fd);
}

static void path_early_data(void)
{
    int fd;
    SSL *s = new_ssl(ctx, o.port, o.sni, &fd);
    load_session(s);
    conn_no++;
    size_t written = 0;
    ERR_clear_error();
    int early = SSL_write_early_data(s, o.send, strlen(o.send), &written);
    char why[700] = "";
    if (!early)
        first_error(why, sizeof why);
    printf("early conn=%d result=%s bytes=%zu reason=\"%s\"\n", conn_no, early ? "ok" : "failed", written, why);
    /* The program carries on as s_client does: its next write finishes the
     * handshake (a full one, if the server would not take the session). */
    int n = ssl_write_all(s);
    int finished = SSL_is_init_finished(s);
    report_handshake(s, finished);
    report_write("SSL_write", n, !finished);
    finish(s, fd);
}

static void path_bio(int explicit_handshake)
{
    BIO *b = BIO_new_ssl_connect(ctx);
    SSL *s = NULL;
    char target[300];
    if (!b || BIO_get_ssl(b, &s) != 1 || !s)
        die("BIO_new_ssl_connect failed");
    snprintf(target, sizeof target, "%s:%s", o.host, o.port);
    BIO_set_conn_hostname(b, target);
    if (o.sni && !SSL_set_tlsext_host_name(s, o.sni))
        die("SSL_set_tlsext_host_name failed");
    if (o.check_host && !SSL_set1_host(s, o.check_host))
        die("SSL_set1_host failed");
    conn_no++;
    int refused = 0;
    ERR_clear_error();
    if (explicit_handshake) {
        int ok = BIO_do_connect(b) == 1;
        report_handshake(s, ok);
        refused = !ok;
    }
    int n = BIO_puts(b, o.send);
    if (!explicit_handshake)
        report_handshake(s, SSL_is_init_finished(s));
    report_write("BIO_puts", n, refused || !SSL_is_init_finished(s));
    BIO_free_all(b);
}

typedef int (*ssl_fn)(SSL *);
typedef int (*ssl_write_fn)(SSL *, const void *, int);
typedef int (*ssl_write_ex_fn)(SSL *, const void *, size_t, size_t *);

static void *libssl_handle(void)
{
    void *h = dlopen(LIBSSL_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        die("dlopen %s: %s", LIBSSL_SONAME, dlerror());
    return h;
}

static void path_dlsym(int implicit)
{
    void *h = libssl_handle();
    ssl_fn do_handshake = (ssl_fn)dlsym(h, "SSL_do_handshake");
    ssl_write_fn write_fn = (ssl_write_fn)dlsym(h, "SSL_write");
    if (!do_handshake || !write_fn)
        die("dlsym failed");
    int fd;
    SSL *s = new_ssl(ctx, o.port, o.sni, &fd);
    conn_no++;
    ERR_clear_error();
    int ok = 1;
    if (!implicit) {
        ok = do_handshake(s) == 1;
        report_handshake(s, ok);
    }
    int n = write_fn(s, o.send, (int)strlen(o.send));
    if (implicit)
        report_handshake(s, SSL_is_init_finished(s));
    report_write("dlsym:SSL_write", n, !ok || !SSL_is_init_finished(s));
    finish(s, fd);
    dlclose(h);
}

typedef SSL *(*ssl_new_fn)(SSL_CTX *);
typedef void (*set_cert_verify_fn)(SSL_CTX *, int (*)(X509_STORE_CTX *, void *), void *);

static int cert_verify_own_cb(X509_STORE_CTX *x, void *arg);

static void path_dlsym_own_verify(void)
{
    void *h = libssl_handle();
    ssl_new_fn new_fn = (ssl_new_fn)dlsym(h, "SSL_new");
    set_cert_verify_fn set_verify_fn = (set_cert_verify_fn)dlsym(h, "SSL_CTX_set_cert_verify_callback");
    ssl_fn connect_fn = (ssl_fn)dlsym(h, "SSL_connect");
    ssl_write_fn write_fn = (ssl_write_fn)dlsym(h, "SSL_write");
    if (!new_fn || !set_verify_fn || !connect_fn || !write_fn)
        die("dlsym failed");
    set_verify_fn(ctx, cert_verify_own_cb, NULL);
    SSL *s = new_fn(ctx);
    if (!s)
        die("SSL_new failed");
    int fd = tcp_connect(o.port);
    SSL_set_fd(s, fd);
    if (o.sni && !SSL_set_tlsext_host_name(s, o.sni))
        die("SSL_set_tlsext_host_name failed");
    conn_no++;
    ERR_clear_error();
    int ok = connect_fn(s) == 1;
    report_handshake(s, ok);
    ERR_clear_error();
    report_write("dlsym:SSL_write", write_fn(s, o.send, (int)strlen(o.send)), !ok);
    finish(s, fd);
    dlclose(h);
}

static void path_after_refusal(void)
{
    void *h = libssl_handle();
    ssl_write_fn write_fn = (ssl_write_fn)dlsym(h, "SSL_write");
    ssl_write_ex_fn write_ex_fn = (ssl_write_ex_fn)dlsym(h, "SSL_write_ex");
    if (!write_fn || !write_ex_fn)
        die("dlsym failed");
    int fd;
    SSL *s = new_ssl(ctx, o.port, o.sni, &fd);
    conn_no++;
    ERR_clear_error();
    int ok = SSL_connect(s) == 1;
    report_handshake(s, ok);
    int refused = !ok;
    /* Whatever SSL_connect said, every road to the wire is tried. */
    ERR_clear_error();
    report_write("dlsym:SSL_write", write_fn(s, o.send, (int)strlen(o.send)), refused);
    size_t w = 0;
    ERR_clear_error();
    int r = write_ex_fn(s, o.send, strlen(o.send), &w);
    report_write("dlsym:SSL_write_ex", r == 1 ? (int)w : 0, refused);
    BIO *b = BIO_new(BIO_f_ssl());
    if (!b)
        die("BIO_new failed");
    BIO_set_ssl(b, s, BIO_NOCLOSE);
    ERR_clear_error();
    report_write("BIO_puts", BIO_puts(b, o.send), refused);
    BIO_free(b);
    report_write("SSL_write", ssl_write_all(s), refused);
    size_t early = 0;
    ERR_clear_error();
    report_write("SSL_write_early_data", SSL_write_early_data(s, o.send, strlen(o.send), &early) == 1 ? (int)early : 0,
                 refused);
    finish(s, fd);
    dlclose(h);
}

static void path_clear_reuse(void)
{
    if (!o.port2)
        die("clear-reuse needs --port2");
    const char *ports[2] = { o.port, o.port2 };
    SSL *s = SSL_new(ctx);
    if (!s)
        die("SSL_new failed");
    for (int i = 0; i < 2; i++) {
        if (i > 0 && !SSL_clear(s))
            die("SSL_clear failed");
        int fd = tcp_connect(ports[i]);
        SSL_set_fd(s, fd);
        SSL_set_connect_state(s);
        if (o.sni && !SSL_set_tlsext_host_name(s, o.sni))
            die("SSL_set_tlsext_host_name failed");
        conn_no++;
        int n = ssl_write_all(s);
        int finished = SSL_is_init_finished(s);
        report_handshake(s, finished && n > 0);
        report_write("SSL_write", n, !finished);
        if (finished && n > 0) {
            char buf[256];
            SSL_read(s, buf, sizeof buf);
            SSL_shutdown(s);
        }
        ERR_clear_error();
        close(fd);
    }
    SSL_free(s);
}

static int clear_errors_cb(int ok, X509_STORE_CTX *x)
{
    if (!ok)
        X509_STORE_CTX_set_error(x, X509_V_OK);
    return 1;
}

static int cert_verify_clear_cb(X509_STORE_CTX *x, void *arg)
{
    (void)arg;
    X509_verify_cert(x);
    X509_STORE_CTX_set_error(x, X509_V_OK);
    return 1;
}

static int cert_verify_own_cb(X509_STORE_CTX *x, void *arg)
{
    (void)x, (void)arg;
    return 1; /* "I checked it my own way" */
}

/* nested: the second connection, made inside the first one's callback */
static int nested_done;

static void second_connection(void)
{
    SSL_CTX *c2 = SSL_CTX_new(TLS_client_method());
    if (!c2)
        die("SSL_CTX_new failed");
    SSL_CTX_set_verify(c2, SSL_VERIFY_NONE, NULL);
    if (o.tls == 12)
        SSL_CTX_set_max_proto_version(c2, TLS1_2_VERSION);
    else if (o.tls == 13)
        SSL_CTX_set_min_proto_version(c2, TLS1_3_VERSION);
    int fd;
    SSL *s = new_ssl(c2, o.port2, o.sni, &fd);
    conn_no++;
    ERR_clear_error();
    int ok = SSL_connect(s) == 1;
    report_handshake(s, ok);
    report_write("SSL_write", ssl_write_all(s), !ok);
    finish(s, fd);
    SSL_CTX_free(c2);
}

static int nested_cb(int ok, X509_STORE_CTX *x)
{
    (void)x;
    if (!nested_done) {
        nested_done = 1;
        second_connection();
    }
    return ok;
}

static jmp_buf escape;

static int longjmp_cb(int ok, X509_STORE_CTX *x)
{
    (void)ok, (void)x;
    longjmp(escape, 1); /* an interpreter raising an error */
}

static void path_nested(void)
{
    if (!o.port2)
        die("nested needs --port2");
    SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(ctx), nested_cb);
    int fd;
    SSL *s = new_ssl(ctx, o.port, o.sni, &fd);
    conn_no++;
    int my_no = conn_no;
    ERR_clear_error();
    int ok = SSL_connect(s) == 1;
    int inner_no = conn_no;
    conn_no = my_no;
    report_handshake(s, ok);
    report_write("SSL_write", ssl_write_all(s), !ok);
    conn_no = inner_no;
    finish(s, fd);
}

static void path_longjmp(void)
{
    if (!o.port2)
        die("longjmp needs --port2");
    SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(ctx), longjmp_cb);
    int fd;
    SSL *s = new_ssl(ctx, o.port, o.sni, &fd);
    conn_no++;
    if (setjmp(escape) == 0) {
        SSL_connect(s);
        die("the verify callback did not run");
    }
    printf("handshake conn=%d result=abandoned reason=\"left its verify callback by longjmp\"\n", conn_no);
    /* The object is abandoned mid-handshake, as an interpreter would leave
     * it; the socket goes. */
    close(fd);
    ERR_clear_error();
    SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(ctx), NULL);
    o.port = o.port2;
    path_plain();
}

static void *small_stack_thread(void *arg)
{
    (void)arg;
    path_plain();
    return NULL;
}

static void path_small_stack(void)
{
    pthread_attr_t a;
    pthread_t t;
    pthread_attr_init(&a);
    if (pthread_attr_setstacksize(&a, 32 * 1024) != 0)
        die("pthread_attr_setstacksize failed");
    if (pthread_create(&t, &a, small_stack_thread, NULL) != 0)
        die("pthread_create failed");
    pthread_join(t, NULL);
    pthread_attr_destroy(&a);
}

/* The client's identity "Client_identity" (s_server's default) and the key. */
static unsigned int psk_client_cb(SSL *s, const char *hint, char *identity, unsigned int max_identity,
                                  unsigned char *psk, unsigned int max_psk)
{
    long len = 0;
    unsigned char *key = OPENSSL_hexstr2buf(o.psk, &len);
    (void)s;
    (void)hint;
    if (!key || len <= 0 || (unsigned long)len > max_psk ||
        snprintf(identity, max_identity, "Client_identity") >= (int)max_identity) {
        OPENSSL_free(key);
        return 0;
    }
    memcpy(psk, key, (size_t)len);
    OPENSSL_free(key);
    return (unsigned int)len;
}

static void usage(void)
{
    fprintf(stderr, "usage: path_client --path PATH --port N [--port2 N] [--host H] [--sni NAME|none]\n"
                    "        [--check-host NAME] (--cafile F | --insecure) [--tls 1.2|1.3] [--send DATA]\n"
                    "        [--sess-in F] [--sess-out F [--early-capable]] [--deadline SECS]\n"
                    "        [--ciphers LIST] [--psk HEXKEY]   (LIST \"aNULL:@SECLEVEL=0\": anonymous suites)\n");
    exit(1);
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        { "path", required_argument, NULL, 'P' },    { "host", required_argument, NULL, 'H' },
        { "port", required_argument, NULL, 'p' },    { "port2", required_argument, NULL, 'q' },
        { "sni", required_argument, NULL, 's' },     { "check-host", required_argument, NULL, 'c' },
        { "cafile", required_argument, NULL, 'C' },  { "insecure", no_argument, NULL, 'k' },
        { "tls", required_argument, NULL, 't' },     { "send", required_argument, NULL, 'd' },
        { "sess-in", required_argument, NULL, 'i' }, { "sess-out", required_argument, NULL, 'o' },
        { "early-capable", no_argument, NULL, 'e' }, { "deadline", required_argument, NULL, 'D' },
        { "ciphers", required_argument, NULL, 'a' }, { "psk", required_argument, NULL, 'K' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'P': o.path = optarg; break;
        case 'H': o.host = optarg; break;
        case 'p': o.port = optarg; break;
        case 'q': o.port2 = optarg; break;
        case 's': o.sni = strcmp(optarg, "none") ? optarg : NULL; break;
        case 'c': o.check_host = optarg; break;
        case 'C': o.cafile = optarg; break;
        case 'k': o.insecure = 1; break;
        case 't': o.tls = !strcmp(optarg, "1.2") ? 12 : !strcmp(optarg, "1.3") ? 13 : 0; break;
        case 'd': o.send = optarg; break;
        case 'i': o.sess_in = optarg; break;
        case 'o': o.sess_out = optarg; break;
        case 'e': o.early_capable = 1; break;
        case 'D': o.deadline = atoi(optarg); break;
        case 'a': o.ciphers = optarg; break;
        case 'K': o.psk = optarg; break;
        default: usage();
        }
    }
    if (optind != argc || !o.path || !o.port || (!o.cafile == !o.insecure))
        usage();
    alarm((unsigned)(o.deadline > 0 ? o.deadline : 60));
    setvbuf(stdout, NULL, _IOLBF, 0);

    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx)
        die("SSL_CTX_new failed");
    if (o.tls == 12) {
        SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
        SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
    } else if (o.tls == 13) {
        SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    }
    /* Handshakes with no certificate at all: anonymous suites (TLS 1.2,
     * "aNULL:@SECLEVEL=0") or a pre-shared key (TLS 1.2 PSK suites, TLS 1.3
     * external PSK). */
    if (o.ciphers && SSL_CTX_set_cipher_list(ctx, o.ciphers) != 1)
        die("no cipher suites in %s", o.ciphers);
    if (o.psk) {
        SSL_CTX_set_psk_client_callback(ctx, psk_client_cb);
        if (o.tls == 12 && SSL_CTX_set_cipher_list(ctx, "PSK") != 1)
            die("no PSK cipher suites");
    }
    if (o.cafile) {
        if (SSL_CTX_load_verify_locations(ctx, o.cafile, NULL) != 1)
            die("cannot load %s", o.cafile);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    }

    if (!strcmp(o.path, "plain"))
        path_plain();
    else if (!strcmp(o.path, "early-data"))
        path_early_data();
    else if (!strcmp(o.path, "bio-implicit"))
        path_bio(0);
    else if (!strcmp(o.path, "bio-handshake"))
        path_bio(1);
    else if (!strcmp(o.path, "dlsym-handshake"))
        path_dlsym(0);
    else if (!strcmp(o.path, "dlsym-implicit"))
        path_dlsym(1);
    else if (!strcmp(o.path, "dlsym-own-verify"))
        path_dlsym_own_verify();
    else if (!strcmp(o.path, "after-refusal"))
        path_after_refusal();
    else if (!strcmp(o.path, "clear-reuse"))
        path_clear_reuse();
    else if (!strcmp(o.path, "verify-cb-clear")) {
        SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(ctx), clear_errors_cb);
        path_plain();
    } else if (!strcmp(o.path, "cert-verify-clear")) {
        SSL_CTX_set_cert_verify_callback(ctx, cert_verify_clear_cb, NULL);
        path_plain();
    } else if (!strcmp(o.path, "cert-verify-own")) {
        SSL_CTX_set_cert_verify_callback(ctx, cert_verify_own_cb, NULL);
        path_plain();
    } else if (!strcmp(o.path, "nested"))
        path_nested();
    else if (!strcmp(o.path, "longjmp"))
        path_longjmp();
    else if (!strcmp(o.path, "small-stack"))
        path_small_stack();
    else
        usage();
    SSL_CTX_free(ctx);
    return status;
}
