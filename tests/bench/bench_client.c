/*
 * bench_client.c - the TLS client of scripts/bench (not a test).
 *
 * A plain OpenSSL client, the same with or without the shim preloaded.
 * After --warmup connections (the shim loads its config on the first one),
 * it times --count connections in bench_loop() (callgrind collects only
 * there: --toggle-collect=bench_loop) and prints one line:
 *
 *   ns_per_op=N cpu_ns_per_op=N rss_kb=N maxrss_kb=N first_ns=N reused=N
 *
 * first_ns is the first warm-up connection (config load included); rss_kb
 * is VmRSS after the loop.
 *
 * Kinds (--kind):
 *   full     each connection: TCP, full handshake (verify the chain and the
 *            name), one byte each way, close_notify
 *   resume   the same, every connection resuming the previous one's session
 *   down     one connection: the handshake, then --bytes from the server
 *            (SSL_read); timed from the request to the last byte
 *   up       one connection: --bytes to the server (SSL_write), then its 'k'
 *
 * usage: bench_client --port P --cafile F --sni NAME [--tls 1.2|1.3]
 *                     [--kind full|resume|down|up] [--count N] [--warmup N]
 *                     [--bytes N]
 * --ab N (with full or resume): afterwards, N pairs of connections in one
 * process, one of each pair through the calls the program links (SSL_connect,
 * SSL_write, SSL_read: the shim's when it is preloaded) and the other
 * through libssl's own functions (dlsym on libssl's handle: the shim is
 * bypassed), in alternating order, each connection timed on its own; prints
 *   ab_direct_ns=N ab_linked_ns=N ab_ratio=R ab_p25=R ab_p75=R
 * (medians; ab_ratio is the median of linked/direct over the pairs).  With
 * --kind down or up the same is done per 1 MiB block of the transfer.  Without a
 * preload both sides are the same code: an A/A run shows the method's noise.
 * (Since the shim judges inside libssl, at certificate verification, the
 * "direct" side of a handshake pair goes through the shim too: --ab now only
 * measures the shim's wrappers.  Handshakes are compared with --lockstep.)
 *
 * --lockstep IN OUT (with full or resume): the --count connections taken in
 * turns with another bench_client: before each, one byte is read from the
 * FIFO IN; after it, one is written to OUT.  Two processes, one without and
 * one with the shim, whose FIFOs are crossed, then alternate connection by
 * connection, so whatever else the machine does hits both alike; prints
 *   lockstep_ns=T1,T2,...  (each connection's time, in order)
 * for tests/bench/lockstep.py to pair.
 *
 * Exit 0 when every connection worked; 1 otherwise (a refusal included).
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1

#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "ab_summary.h"

static SSL_CTX *ctx;
static int port;
static const char *sni;
static SSL_SESSION *session;
static int resume;
static uint64_t bytes;
static unsigned char buf[1 << 16];
static long reused;

/* The connection's calls: `linked` = the program's own symbols (interposed
 * when the shim is preloaded), `direct` = libssl's functions. */
struct calls {
    int (*handshake)(SSL *);
    int (*write)(SSL *, const void *, int);
    int (*read)(SSL *, void *, int);
};
static int linked_connect(SSL *s) { return SSL_connect(s); }
static int linked_write(SSL *s, const void *b, int n) { return SSL_write(s, b, n); }
static int linked_read(SSL *s, void *b, int n) { return SSL_read(s, b, n); }
static const struct calls linked = { linked_connect, linked_write, linked_read };
static struct calls direct;
static int (*real_do_handshake)(SSL *);
static int direct_connect(SSL *s)
{
    SSL_set_connect_state(s);
    return real_do_handshake(s);
}
static const struct calls *use = &linked;

static void fail(const char *what)
{
    fprintf(stderr, "bench_client: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

static long long now_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int tcp(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    struct timeval tv = { 10, 0 };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0)
        fail("socket");
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        fail("cannot connect to 127.0.0.1");
    return fd;
}

static SSL *open_tls(int fd)
{
    SSL *ssl = SSL_new(ctx);
    if (!ssl || SSL_set_fd(ssl, fd) != 1 || SSL_set_tlsext_host_name(ssl, sni) != 1 || SSL_set1_host(ssl, sni) != 1)
        fail("SSL setup");
    if (resume && session && SSL_set_session(ssl, session) != 1)
        fail("SSL_set_session");
    if (use->handshake(ssl) != 1)
        fail("handshake failed (or refused)");
    reused += SSL_session_reused(ssl) == 1;
    return ssl;
}

static void close_tls(SSL *ssl, int fd)
{
    if (resume) {
        SSL_SESSION *s = SSL_get1_session(ssl);
        if (session)
            SSL_SESSION_free(session);
        session = s;
    }
    SSL_shutdown(ssl);
    SSL_free(ssl);
    close(fd);
}

static void read_exact(SSL *ssl, uint64_t n)
{
    while (n > 0) {
        int r = use->read(ssl, buf, n < sizeof buf ? (int)n : (int)sizeof buf);
        if (r <= 0)
            fail("read failed");
        n -= (uint64_t)r;
    }
}

static void one_handshake(void)
{
    int fd = tcp();
    SSL *ssl = open_tls(fd);
    if (use->write(ssl, "h", 1) != 1)
        fail("write failed");
    read_exact(ssl, 1);
    close_tls(ssl, fd);
}

static void request(SSL *ssl, char cmd, uint64_t n)
{
    unsigned char req[9];
    req[0] = (unsigned char)cmd;
    for (int i = 0; i < 8; i++)
        req[1 + i] = (unsigned char)(n >> (56 - 8 * i));
    if (SSL_write(ssl, req, sizeof req) != (int)sizeof req)
        fail("write failed");
}

/* callgrind counts a transfer here (--toggle-collect=bench_transfer). */
__attribute__((noinline)) void bench_transfer(SSL *ssl, char kind);
__attribute__((noinline)) void bench_transfer(SSL *ssl, char kind)
{
    request(ssl, kind, bytes);
    if (kind == 'd') {
        read_exact(ssl, bytes);
    } else {
        uint64_t left = bytes;
        memset(buf, 'y', sizeof buf);
        while (left > 0) {
            int chunk = left < 16384 ? (int)left : 16384;
            if (SSL_write(ssl, buf, chunk) != chunk)
                fail("write failed");
            left -= (uint64_t)chunk;
        }
        read_exact(ssl, 1);
    }
}

static int lock_in = -1, lock_out = -1;
static char *lockstep_text;

static void lockstep_loop(int count)
{
    size_t cap = (size_t)count * 21 + 32, len = 0;
    lockstep_text = malloc(cap);
    if (!lockstep_text)
        fail("out of memory");
    len += (size_t)snprintf(lockstep_text, cap, " lockstep_ns=");
    for (int i = 0; i < count; i++) {
        char token;
        if (read(lock_in, &token, 1) != 1)
            fail("--lockstep: the other side is gone");
        long long t = now_ns(CLOCK_MONOTONIC);
        one_handshake();
        t = now_ns(CLOCK_MONOTONIC) - t;
        len += (size_t)snprintf(lockstep_text + len, cap - len, "%s%lld", i ? "," : "", t);
        if (write(lock_out, "x", 1) != 1)
            fail("--lockstep: the other side is gone");
    }
}

/* Everything callgrind counts (--toggle-collect=bench_loop). */
__attribute__((noinline)) void bench_loop(int count);
__attribute__((noinline)) void bench_loop(int count)
{
    for (int i = 0; i < count; i++)
        one_handshake();
}

static void bind_direct(void)
{
    static const char *const names[] = { "libssl.so.3", "libssl.so.1.1" };
    void *h = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !h; i++)
        h = dlopen(names[i], RTLD_LAZY | RTLD_NOLOAD);
    if (!h)
        fail("--ab: libssl is not loaded under a known name");
    real_do_handshake = (int (*)(SSL *))dlsym(h, "SSL_do_handshake");
    direct.handshake = direct_connect;
    direct.write = (int (*)(SSL *, const void *, int))dlsym(h, "SSL_write");
    direct.read = (int (*)(SSL *, void *, int))dlsym(h, "SSL_read");
    if (!real_do_handshake || !direct.write || !direct.read)
        fail("--ab: libssl lacks SSL_do_handshake, SSL_write or SSL_read");
}

static char ab_text[512]; /* printed after the other figures */

/* Pairs of (direct, linked) times, alternating which goes first. */
static void ab_report(long long *d, long long *l, int n)
{
    ab_text[0] = ' ';
    if (ab_summary(d, l, n, ab_text + 1, sizeof ab_text - 1) != 0)
        fail("out of memory");
}

/* `pairs` pairs of one unit of work, one through each side (the order
 * swapping from pair to pair), each timed alone; then the figures. */
static void ab_pairs(int pairs, void (*work)(SSL *), SSL *ssl)
{
    long long *d = calloc((size_t)pairs, sizeof *d), *l = calloc((size_t)pairs, sizeof *l);
    if (!d || !l)
        fail("out of memory");
    for (int i = 0; i < pairs; i++) {
        for (int k = 0; k < 2; k++) {
            bool is_direct = (k == 0) == (i % 2 == 0);
            use = is_direct ? &direct : &linked;
            long long t = now_ns(CLOCK_MONOTONIC);
            work(ssl);
            t = now_ns(CLOCK_MONOTONIC) - t;
            (is_direct ? d : l)[i] = t;
        }
    }
    use = &linked;
    ab_report(d, l, pairs);
    free(d);
    free(l);
}

#define AB_BLOCK ((uint64_t)1 << 20)

static void handshake_unit(SSL *unused)
{
    (void)unused;
    one_handshake();
}

static void read_block(SSL *ssl)
{
    read_exact(ssl, AB_BLOCK);
}

/* 1 MiB in 16 KiB writes. */
static void write_block(SSL *ssl)
{
    for (uint64_t done = 0; done < AB_BLOCK; done += 16384)
        if (use->write(ssl, buf, 16384) != 16384)
            fail("write failed");
}

static void ab_handshakes(int pairs)
{
    ab_pairs(pairs, handshake_unit, NULL);
}

/* One download, read in 1 MiB blocks, alternately through each side. */
static void ab_download(SSL *ssl, uint64_t total)
{
    int pairs = (int)(total / AB_BLOCK / 2);
    if (pairs < 1)
        fail("--ab with down: --bytes must be 2 MiB or more");
    request(ssl, 'd', (uint64_t)pairs * 2 * AB_BLOCK);
    ab_pairs(pairs, read_block, ssl);
}

/* One upload, written in 1 MiB blocks, alternately through each side; then
 * the server's 'k'. */
static void ab_upload(SSL *ssl, uint64_t total)
{
    int pairs = (int)(total / AB_BLOCK / 2);
    if (pairs < 1)
        fail("--ab with up: --bytes must be 2 MiB or more");
    request(ssl, 'u', (uint64_t)pairs * 2 * AB_BLOCK);
    memset(buf, 'y', sizeof buf);
    ab_pairs(pairs, write_block, ssl);
    read_exact(ssl, 1);
}

static long rss_kb(void)
{
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "re");
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

int main(int argc, char **argv)
{
    const char *cafile = NULL, *kind = "full";
    int tls = 13, count = 100, warmup = 2, ab = 0;

    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--port"))
            port = atoi(v);
        else if (!strcmp(k, "--cafile"))
            cafile = v;
        else if (!strcmp(k, "--sni"))
            sni = v;
        else if (!strcmp(k, "--tls"))
            tls = !strcmp(v, "1.2") ? 12 : 13;
        else if (!strcmp(k, "--kind"))
            kind = v;
        else if (!strcmp(k, "--count"))
            count = atoi(v);
        else if (!strcmp(k, "--warmup"))
            warmup = atoi(v);
        else if (!strcmp(k, "--ab"))
            ab = atoi(v);
        else if (!strcmp(k, "--bytes"))
            bytes = strtoull(v, NULL, 10);
        else if (!strcmp(k, "--lockstep") && i + 2 < argc) {
            /* O_RDWR: opening a FIFO so never waits for the other side. */
            lock_in = open(v, O_RDWR | O_CLOEXEC);
            lock_out = open(argv[i + 2], O_RDWR | O_CLOEXEC);
            if (lock_in < 0 || lock_out < 0)
                fail("--lockstep: cannot open the FIFOs");
            i++;
        }
        else
            fail("unknown option");
    }
    if (!port || !cafile || !sni || count <= 0 || warmup < 1)
        fail("usage: bench_client --port P --cafile F --sni NAME [--tls 1.2|1.3] [--kind K] [--count N]");
    alarm(600);
    signal(SIGPIPE, SIG_IGN);

    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx || SSL_CTX_load_verify_locations(ctx, cafile, NULL) != 1)
        fail("cannot load the CA file");
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_min_proto_version(ctx, tls == 12 ? TLS1_2_VERSION : TLS1_3_VERSION);
    SSL_CTX_set_max_proto_version(ctx, tls == 12 ? TLS1_2_VERSION : TLS1_3_VERSION);
    /* Sessions are kept by hand (resume), never by the context. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    resume = !strcmp(kind, "resume");

    long long t0 = now_ns(CLOCK_MONOTONIC), first = 0;
    for (int i = 0; i < warmup; i++) {
        one_handshake();
        if (i == 0)
            first = now_ns(CLOCK_MONOTONIC) - t0;
    }

    if (ab > 0)
        bind_direct();
    long long wall, cpu;
    reused = 0;
    if (!strcmp(kind, "full") || resume) {
        long long c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
        t0 = now_ns(CLOCK_MONOTONIC);
        if (lock_in >= 0)
            lockstep_loop(count);
        else
            bench_loop(count);
        wall = now_ns(CLOCK_MONOTONIC) - t0;
        cpu = now_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
        if (resume && session && !SSL_SESSION_is_resumable(session))
            fail("the session is not resumable");
    } else if (!strcmp(kind, "down") || !strcmp(kind, "up")) {
        int fd = tcp();
        SSL *ssl = open_tls(fd);
        long long c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
        t0 = now_ns(CLOCK_MONOTONIC);
        if (ab > 0 && kind[0] == 'd')
            ab_download(ssl, bytes);
        else if (ab > 0)
            ab_upload(ssl, bytes);
        else
            bench_transfer(ssl, kind[0] == 'd' ? 'd' : 'u');
        wall = now_ns(CLOCK_MONOTONIC) - t0;
        cpu = now_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
        close_tls(ssl, fd);
        count = 1;
    } else {
        fail("--kind: full, resume, down or up");
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("ns_per_op=%lld cpu_ns_per_op=%lld rss_kb=%ld maxrss_kb=%ld first_ns=%lld reused=%ld", wall / count,
           cpu / count, rss_kb(), ru.ru_maxrss, first, reused);
    if (ab > 0 && (!strcmp(kind, "full") || resume))
        ab_handshakes(ab);
    printf("%s%s\n", ab_text, lockstep_text ? lockstep_text : "");
    return 0;
}
