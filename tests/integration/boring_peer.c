/*
 * boring_peer.c - a TLS client or server built against BoringSSL (Debian's
 * android-libboringssl), a libssl pinshim cannot bind: it has no
 * SSL_in_before, SSL_read_ex or OPENSSL_sk_num.  The integration tests run it
 * preloaded to show that such a program keeps all its TLS, client and server
 * side, and that pinshim says it is not covered (DESIGN 4, 12).
 *
 *   boring_peer client PORT SNI DATA   connect to 127.0.0.1:PORT, send DATA,
 *                                      print "client ok" and what came back
 *   boring_peer server CHAIN KEY PORTFILE   serve one connection on
 *                                      127.0.0.1 (port written to PORTFILE),
 *                                      print "server got: DATA"
 * Exit 0 on success; alarm(30) bounds it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

static int fail(const char *what)
{
    fprintf(stderr, "boring_peer: %s\n", what);
    ERR_print_errors_fp(stderr);
    return 1;
}

static int client(int port, const char *sni, const char *data)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    if (!ctx)
        return fail("SSL_CTX_new");
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        return fail("connect");
    SSL *s = SSL_new(ctx);
    if (!s)
        return fail("SSL_new");
    SSL_set_fd(s, fd);
    SSL_set_tlsext_host_name(s, sni);
    if (SSL_connect(s) != 1)
        return fail("SSL_connect");
    if (SSL_write(s, data, (int)strlen(data)) != (int)strlen(data))
        return fail("SSL_write");
    char buf[256];
    int n = SSL_read(s, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    printf("client ok: %s\n", buf);
    SSL_shutdown(s);
    SSL_free(s);
    close(fd);
    SSL_CTX_free(ctx);
    return 0;
}

static int server(const char *chain, const char *key, const char *portfile)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, chain) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
        return fail("server context");
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = 0 };
    socklen_t len = sizeof sa;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(ls, 1) != 0 ||
        getsockname(ls, (struct sockaddr *)&sa, &len) != 0)
        return fail("listen");
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", portfile);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return fail("port file");
    fprintf(f, "%d\n", ntohs(sa.sin_port));
    fclose(f);
    rename(tmp, portfile);
    int fd = accept(ls, NULL, NULL);
    if (fd < 0)
        return fail("accept");
    SSL *s = SSL_new(ctx);
    if (!s)
        return fail("SSL_new");
    SSL_set_fd(s, fd);
    if (SSL_accept(s) != 1)
        return fail("SSL_accept");
    char buf[256];
    int n = SSL_read(s, buf, sizeof buf - 1);
    if (n <= 0)
        return fail("SSL_read");
    buf[n] = '\0';
    SSL_write(s, "bye\n", 4);
    printf("server got: %s\n", buf);
    SSL_shutdown(s);
    SSL_free(s);
    close(fd);
    close(ls);
    SSL_CTX_free(ctx);
    return 0;
}

int main(int argc, char **argv)
{
    alarm(30);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 5 && strcmp(argv[1], "client") == 0)
        return client(atoi(argv[2]), argv[3], argv[4]);
    if (argc == 5 && strcmp(argv[1], "server") == 0)
        return server(argv[2], argv[3], argv[4]);
    fprintf(stderr, "usage: boring_peer client PORT SNI DATA | server CHAIN KEY PORTFILE\n");
    return 1;
}
