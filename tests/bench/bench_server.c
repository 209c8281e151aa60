/*
 * bench_server.c - the TLS server of scripts/bench (not a test).
 *
 * One thread, one connection at a time, on 127.0.0.1 and a port the OS picks
 * (written to --port-file).  Per connection: the TLS handshake, then the
 * client's first byte says what it wants:
 *   'h'           one byte back ('k'), then wait for the client's close
 *   'd' + 8 bytes that many bytes of data back (download), then wait for close
 *   'u' + 8 bytes read that many bytes (upload), answer 'k', wait for close
 *   'G' ("GET ")  a small HTTP/1.1 response with Connection: close (curl)
 * Every socket has a 10 s receive/send timeout and the whole server ends by
 * itself after --lifetime seconds (SIGALRM), so nothing can hang.
 *
 * usage: bench_server --cert CHAIN.pem --key KEY.pem --port-file F [--lifetime S]
 */
#define _GNU_SOURCE 1

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

static void die(const char *what)
{
    fprintf(stderr, "bench_server: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

static int read_full(SSL *ssl, unsigned char *buf, int n)
{
    int got = 0;
    while (got < n) {
        int r = SSL_read(ssl, buf + got, n - got);
        if (r <= 0)
            return -1;
        got += r;
    }
    return 0;
}

static uint64_t get_u64(const unsigned char *b)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | b[i];
    return v;
}

static void serve(SSL *ssl)
{
    static unsigned char buf[1 << 16];
    unsigned char cmd;

    if (SSL_accept(ssl) != 1 || read_full(ssl, &cmd, 1) != 0)
        return;
    if (cmd == 'h') {
        if (SSL_write(ssl, "k", 1) != 1)
            return;
    } else if (cmd == 'd' || cmd == 'u') {
        unsigned char len[8];
        if (read_full(ssl, len, 8) != 0)
            return;
        uint64_t left = get_u64(len);
        if (cmd == 'd') {
            memset(buf, 'x', sizeof buf);
            while (left > 0) {
                int chunk = left < 16384 ? (int)left : 16384;
                if (SSL_write(ssl, buf, chunk) != chunk)
                    return;
                left -= (uint64_t)chunk;
            }
        } else {
            while (left > 0) {
                int r = SSL_read(ssl, buf, left < sizeof buf ? (int)left : (int)sizeof buf);
                if (r <= 0)
                    return;
                left -= (uint64_t)r;
            }
            if (SSL_write(ssl, "k", 1) != 1)
                return;
        }
    } else if (cmd == 'G') {
        /* Read the request up to its blank line. */
        char req[8192];
        size_t used = 0;
        req[used++] = 'G';
        while (used < sizeof req - 1) {
            int r = SSL_read(ssl, req + used, (int)(sizeof req - 1 - used));
            if (r <= 0)
                return;
            used += (size_t)r;
            req[used] = '\0';
            if (strstr(req, "\r\n\r\n"))
                break;
        }
        static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";
        if (SSL_write(ssl, resp, (int)sizeof resp - 1) != (int)sizeof resp - 1)
            return;
        SSL_shutdown(ssl);
        return;
    } else {
        return;
    }
    /* Wait for the client's close_notify or EOF. */
    while (SSL_read(ssl, buf, sizeof buf) > 0)
        ;
}

int main(int argc, char **argv)
{
    const char *cert = NULL, *key = NULL, *port_file = NULL;
    int lifetime = 900;

    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--cert"))
            cert = argv[i + 1];
        else if (!strcmp(argv[i], "--key"))
            key = argv[i + 1];
        else if (!strcmp(argv[i], "--port-file"))
            port_file = argv[i + 1];
        else if (!strcmp(argv[i], "--lifetime"))
            lifetime = atoi(argv[i + 1]);
        else
            die("usage: bench_server --cert F --key F --port-file F [--lifetime S]");
    }
    if (!cert || !key || !port_file)
        die("usage: bench_server --cert F --key F --port-file F [--lifetime S]");
    signal(SIGPIPE, SIG_IGN);
    alarm((unsigned)lifetime);

    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
        die("cannot load the certificate or key");
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* One TLS 1.3 ticket per full handshake is enough for resumption. */
    SSL_CTX_set_num_tickets(ctx, 1);

    int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = 0 };
    socklen_t salen = sizeof sa;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(ls, 128) != 0 ||
        getsockname(ls, (struct sockaddr *)&sa, &salen) != 0)
        die("cannot listen on 127.0.0.1");

    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f) != 0 || rename(tmp, port_file) != 0)
        die("cannot write the port file");

    for (;;) {
        int fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            die("accept failed");
        }
        struct timeval tv = { 10, 0 };
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        SSL *ssl = SSL_new(ctx);
        if (ssl && SSL_set_fd(ssl, fd) == 1)
            serve(ssl);
        SSL_free(ssl);
        ERR_clear_error();
        close(fd);
    }
}
