/*
 * bench_gnutls_client.c - the GnuTLS client of scripts/bench (not a test).
 *
 * bench_client.c's twin on libgnutls (and nothing of OpenSSL), with the same
 * command line and output, so scripts/bench, tests/bench/lockstep.py and
 * tests/bench/summarize.py drive both alike.  After --warmup connections
 * (the shim loads its config on the first one), it times --count
 * connections in bench_loop() (callgrind collects only there:
 * --toggle-collect=bench_loop) and prints one line:
 *
 *   ns_per_op=N cpu_ns_per_op=N rss_kb=N maxrss_kb=N first_ns=N reused=N
 *
 * Kinds (--kind):
 *   full     each connection: TCP, full handshake, one byte each way (the
 *            server's reply read, so a TLS 1.3 ticket is in), close_notify
 *   resume   the same, every connection resuming the previous one's session
 *            (gnutls_session_get_data2 after the reply, then
 *            gnutls_session_set_data on the next)
 *
 * Verification (--verify):
 *   in       in the handshake: gnutls_session_set_verify_cert with the --sni
 *            name, as apt does (the default)
 *   after    after the handshake, as wget and libcurl-gnutls do:
 *            gnutls_certificate_verify_peers2, then the leaf's name checked
 *            against --sni (gnutls_x509_crt_check_hostname2); a failure ends
 *            the run
 * Either way the chain is verified against --cafile only.
 *
 * --lockstep IN OUT: the --count connections taken in turns with another
 * client, as bench_client --lockstep (one byte read from the FIFO IN before
 * each, one written to OUT after it); prints lockstep_ns=T1,T2,...
 *
 * usage: bench_gnutls_client --port P --cafile F --sni NAME [--tls 1.2|1.3]
 *                            [--kind full|resume] [--verify in|after]
 *                            [--count N] [--warmup N] [--lockstep IN OUT]
 *
 * Exit 0 when every connection worked (and, with resume, every timed one
 * resumed); 1 otherwise (a refusal included).  Sockets time out after 10 s
 * and alarm(600) bounds the run.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1

#include <arpa/inet.h>
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

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

static gnutls_certificate_credentials_t cred;
static const char *prio;
static int port;
static const char *sni;
static bool resume, verify_after;
static gnutls_datum_t session_data;
static long reused;

static void fail(const char *what, int ret)
{
    if (ret)
        fprintf(stderr, "bench_gnutls_client: %s: %s (%s)\n", what, gnutls_strerror(ret),
                gnutls_strerror_name(ret) ? gnutls_strerror_name(ret) : "?");
    else
        fprintf(stderr, "bench_gnutls_client: %s\n", what);
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
        fail("socket", 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        fail("cannot connect to 127.0.0.1", 0);
    return fd;
}

/* On a blocking socket GNUTLS_E_AGAIN means a timeout, except that a TLS 1.3
 * ticket arriving before the data makes gnutls_record_recv say it once:
 * a bounded number of tries. */
static ssize_t recv_some(gnutls_session_t s, void *buf, size_t len)
{
    ssize_t r = GNUTLS_E_AGAIN;
    for (int i = 0; i < 16 && (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED); i++)
        r = gnutls_record_recv(s, buf, len);
    return r;
}

static void one_handshake(void)
{
    gnutls_session_t s;
    int fd = tcp(), ret;
    char c;

    if ((ret = gnutls_init(&s, GNUTLS_CLIENT)) != 0 || (ret = gnutls_priority_set_direct(s, prio, NULL)) != 0 ||
        (ret = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred)) != 0 ||
        (ret = gnutls_server_name_set(s, GNUTLS_NAME_DNS, sni, strlen(sni))) != 0)
        fail("session setup", ret);
    if (!verify_after)
        gnutls_session_set_verify_cert(s, sni, 0);
    if (resume && session_data.size && (ret = gnutls_session_set_data(s, session_data.data, session_data.size)) != 0)
        fail("gnutls_session_set_data", ret);
    gnutls_transport_set_int(s, fd);
    ret = GNUTLS_E_INTERRUPTED;
    for (int i = 0; i < 16 && (ret == GNUTLS_E_INTERRUPTED || ret == GNUTLS_E_AGAIN); i++)
        ret = gnutls_handshake(s);
    if (ret != 0)
        fail("handshake failed (or refused)", ret);
    if (verify_after) {
        unsigned status = 0;
        if ((ret = gnutls_certificate_verify_peers2(s, &status)) != 0 || status != 0)
            fail("gnutls_certificate_verify_peers2: the chain did not verify", ret);
        unsigned n = 0;
        const gnutls_datum_t *peers = gnutls_certificate_get_peers(s, &n);
        gnutls_x509_crt_t leaf;
        if (!peers || n == 0 || gnutls_x509_crt_init(&leaf) != 0)
            fail("no peer certificate", 0);
        if (gnutls_x509_crt_import(leaf, &peers[0], GNUTLS_X509_FMT_DER) != 0 ||
            !gnutls_x509_crt_check_hostname2(leaf, sni, 0))
            fail("the leaf is not for the --sni name", 0);
        gnutls_x509_crt_deinit(leaf);
    }
    reused += gnutls_session_is_resumed(s) != 0;
    if (gnutls_record_send(s, "h", 1) != 1)
        fail("write failed", 0);
    if ((ret = (int)recv_some(s, &c, 1)) != 1)
        fail("read failed", ret < 0 ? ret : 0);
    if (resume) {
        gnutls_free(session_data.data);
        session_data.data = NULL;
        session_data.size = 0;
        if ((ret = gnutls_session_get_data2(s, &session_data)) != 0)
            fail("gnutls_session_get_data2", ret);
    }
    gnutls_bye(s, GNUTLS_SHUT_WR);
    gnutls_deinit(s);
    close(fd);
}

static int lock_in = -1, lock_out = -1;
static char *lockstep_text;

static void lockstep_loop(int count)
{
    size_t cap = (size_t)count * 21 + 32, len = 0;
    lockstep_text = malloc(cap);
    if (!lockstep_text)
        fail("out of memory", 0);
    len += (size_t)snprintf(lockstep_text, cap, " lockstep_ns=");
    for (int i = 0; i < count; i++) {
        char token;
        if (read(lock_in, &token, 1) != 1)
            fail("--lockstep: the other side is gone", 0);
        long long t = now_ns(CLOCK_MONOTONIC);
        one_handshake();
        t = now_ns(CLOCK_MONOTONIC) - t;
        len += (size_t)snprintf(lockstep_text + len, cap - len, "%s%lld", i ? "," : "", t);
        if (write(lock_out, "x", 1) != 1)
            fail("--lockstep: the other side is gone", 0);
    }
}

/* Everything callgrind counts (--toggle-collect=bench_loop). */
__attribute__((noinline)) void bench_loop(int count);
__attribute__((noinline)) void bench_loop(int count)
{
    for (int i = 0; i < count; i++)
        one_handshake();
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
    const char *cafile = NULL, *kind = "full", *verify = "in";
    int tls = 13, count = 100, warmup = 2, ret;

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
        else if (!strcmp(k, "--verify"))
            verify = v;
        else if (!strcmp(k, "--count"))
            count = atoi(v);
        else if (!strcmp(k, "--warmup"))
            warmup = atoi(v);
        else if (!strcmp(k, "--lockstep") && i + 2 < argc) {
            /* O_RDWR: opening a FIFO so never waits for the other side. */
            lock_in = open(v, O_RDWR | O_CLOEXEC);
            lock_out = open(argv[i + 2], O_RDWR | O_CLOEXEC);
            if (lock_in < 0 || lock_out < 0)
                fail("--lockstep: cannot open the FIFOs", 0);
            i++;
        } else
            fail("unknown option", 0);
    }
    if (!port || !cafile || !sni || count <= 0 || count > 1000000 || warmup < 1 || warmup > 1000)
        fail("usage: bench_gnutls_client --port P --cafile F --sni NAME [--tls 1.2|1.3] [--kind full|resume]"
             " [--verify in|after] [--count N] [--warmup N] [--lockstep IN OUT]",
             0);
    if (strcmp(kind, "full") && strcmp(kind, "resume"))
        fail("--kind: full or resume", 0);
    if (strcmp(verify, "in") && strcmp(verify, "after"))
        fail("--verify: in or after", 0);
    resume = !strcmp(kind, "resume");
    verify_after = !strcmp(verify, "after");
    prio = tls == 12 ? "NORMAL:-VERS-ALL:+VERS-TLS1.2" : "NORMAL:-VERS-ALL:+VERS-TLS1.3";
    alarm(600);
    signal(SIGPIPE, SIG_IGN);

    if ((ret = gnutls_global_init()) != 0 || (ret = gnutls_certificate_allocate_credentials(&cred)) != 0)
        fail("GnuTLS initialisation", ret);
    if (gnutls_certificate_set_x509_trust_file(cred, cafile, GNUTLS_X509_FMT_PEM) <= 0)
        fail("cannot load the CA file", 0);

    long long t0 = now_ns(CLOCK_MONOTONIC), first = 0;
    for (int i = 0; i < warmup; i++) {
        one_handshake();
        if (i == 0)
            first = now_ns(CLOCK_MONOTONIC) - t0;
    }

    reused = 0;
    long long c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
    t0 = now_ns(CLOCK_MONOTONIC);
    if (lock_in >= 0)
        lockstep_loop(count);
    else
        bench_loop(count);
    long long wall = now_ns(CLOCK_MONOTONIC) - t0;
    long long cpu = now_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
    if (resume && reused != count)
        fail("not every timed connection resumed its session", 0);
    if (!resume && reused != 0)
        fail("a full handshake resumed a session", 0);

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("ns_per_op=%lld cpu_ns_per_op=%lld rss_kb=%ld maxrss_kb=%ld first_ns=%lld reused=%ld%s\n", wall / count,
           cpu / count, rss_kb(), ru.ru_maxrss, first, reused, lockstep_text ? lockstep_text : "");
    gnutls_free(session_data.data);
    gnutls_certificate_free_credentials(cred);
    gnutls_global_deinit();
    return 0;
}
