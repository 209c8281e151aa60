/*
 * late_ssl.c - a program that uses libcrypto alone first (it verifies a
 * certificate), and only then opens libssl with dlopen and takes every
 * function of it with dlsym, to make a TLS connection: the order of a plugin
 * host, or of an interpreter that imports its TLS module late.  pinshim's
 * first look finds no libssl; the connection must still be judged.
 *
 *   late_ssl PORT SNI CAFILE DATA [global]
 *       connect to 127.0.0.1:PORT (verifying with CAFILE), send DATA.  By
 *       default libssl is opened RTLD_LOCAL and its functions are taken from
 *       its handle; `global` opens it RTLD_GLOBAL and takes them by
 *       dlsym(RTLD_DEFAULT), the way a language runtime's FFI does.
 * Prints "handshake result=ok|refused verify=N" and "write result=ok|failed";
 * exit 0 all ok, 2 refused and nothing written, 4 written after a refusal.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#if OPENSSL_VERSION_NUMBER >= 0x30000000L
#define LIBSSL_SONAME "libssl.so.3"
#else
#define LIBSSL_SONAME "libssl.so.1.1"
#endif

#define TAKE(name) __typeof__(name) *p_##name = (__typeof__(name) *)dlsym(h, #name)

int main(int argc, char **argv)
{
    if (argc != 5 && !(argc == 6 && strcmp(argv[5], "global") == 0)) {
        fprintf(stderr, "usage: late_ssl PORT SNI CAFILE DATA [global]\n");
        return 1;
    }
    alarm(30);
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* 1. libcrypto alone: verify the CA file's first certificate against itself. */
    FILE *f = fopen(argv[3], "r");
    X509 *ca = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *xs = X509_STORE_CTX_new();
    if (!ca || !store || !xs || X509_STORE_add_cert(store, ca) != 1 || X509_STORE_CTX_init(xs, store, ca, NULL) != 1) {
        fprintf(stderr, "late_ssl: cannot set up the verification\n");
        return 1;
    }
    printf("libcrypto verify=%d\n", X509_verify_cert(xs));
    X509_STORE_CTX_free(xs);
    X509_STORE_free(store);
    X509_free(ca);

    /* 2. libssl, late, and only through dlsym. */
    int global = argc == 6;
    void *lib = dlopen(LIBSSL_SONAME, RTLD_NOW | (global ? RTLD_GLOBAL : RTLD_LOCAL));
    if (!lib) {
        fprintf(stderr, "late_ssl: %s\n", dlerror());
        return 1;
    }
    void *h = global ? RTLD_DEFAULT : lib;
    TAKE(TLS_client_method);
    TAKE(SSL_CTX_new);
    TAKE(SSL_CTX_load_verify_locations);
    TAKE(SSL_CTX_set_verify);
    TAKE(SSL_new);
    TAKE(SSL_set_fd);
    TAKE(SSL_ctrl);
    TAKE(SSL_connect);
    TAKE(SSL_write);
    TAKE(SSL_get_verify_result);
    if (!p_TLS_client_method || !p_SSL_CTX_new || !p_SSL_CTX_load_verify_locations || !p_SSL_CTX_set_verify ||
        !p_SSL_new || !p_SSL_set_fd || !p_SSL_ctrl || !p_SSL_connect || !p_SSL_write || !p_SSL_get_verify_result) {
        fprintf(stderr, "late_ssl: dlsym failed\n");
        return 1;
    }
    SSL_CTX *ctx = p_SSL_CTX_new(p_TLS_client_method());
    if (!ctx || p_SSL_CTX_load_verify_locations(ctx, argv[3], NULL) != 1)
        return 1;
    p_SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1])) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        return 1;
    SSL *s = p_SSL_new(ctx);
    p_SSL_set_fd(s, fd);
    p_SSL_ctrl(s, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, argv[2]);
    int ok = p_SSL_connect(s) == 1;
    printf("handshake result=%s verify=%ld\n", ok ? "ok" : "refused", p_SSL_get_verify_result(s));
    int n = p_SSL_write(s, argv[4], (int)strlen(argv[4]));
    printf("write result=%s\n", n > 0 ? "ok" : "failed");
    close(fd);
    return n > 0 ? (ok ? 0 : 4) : (ok ? 3 : 2);
}
