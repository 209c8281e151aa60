/* gnutls_dlsym: a GnuTLS client that links no libgnutls: it opens
 * libgnutls.so.30 with dlopen(RTLD_LOCAL) and takes every function from
 * that handle with dlsym, as Wine's schannel does.  None of its calls is
 * pinshim's; only libgnutls's own calls through its PLT (its in-handshake
 * verifier calling gnutls_certificate_verify_peers, verify_peers3 calling
 * verify_peers, gnutls_record_send jumping to gnutls_record_send2) are.
 *
 * usage: gnutls_dlsym PORT CAFILE SNI MODE [MESSAGE]
 *   MODE: none (no verification), handshake (gnutls_session_set_verify_cert
 *   with SNI as the host name), after (gnutls_certificate_verify_peers3 after
 *   the handshake; stops on a failure), tolerant (the same, but sends anyway)
 * Connects to 127.0.0.1:PORT, sends MESSAGE (default "hello"), reads the reply.
 * Prints one line per step; exit 0 when the message was sent, 1 when a step
 * failed, 2 on a usage or set-up error. */
#include <gnutls/gnutls.h>
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TAKE(name)                                                                  \
    __typeof__(name) *p_##name = (__typeof__(name) *)dlsym(h, #name);               \
    if (!p_##name) {                                                                \
        fprintf(stderr, "gnutls_dlsym: no %s in libgnutls\n", #name);               \
        return 2;                                                                   \
    }

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: gnutls_dlsym PORT CAFILE SNI none|handshake|after|tolerant [MESSAGE]\n");
        return 2;
    }
    const char *cafile = argv[2], *sni = argv[3], *mode = argv[4], *msg = argc > 5 ? argv[5] : "hello";
    void *h = dlopen("libgnutls.so.30", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "gnutls_dlsym: %s\n", dlerror());
        return 2;
    }
    TAKE(gnutls_global_init) TAKE(gnutls_init) TAKE(gnutls_set_default_priority)
    TAKE(gnutls_certificate_allocate_credentials) TAKE(gnutls_certificate_set_x509_trust_file)
    TAKE(gnutls_credentials_set) TAKE(gnutls_server_name_set) TAKE(gnutls_session_set_verify_cert)
    TAKE(gnutls_transport_set_int2) TAKE(gnutls_handshake) TAKE(gnutls_record_send) TAKE(gnutls_record_recv)
    TAKE(gnutls_certificate_verify_peers3) TAKE(gnutls_strerror) TAKE(gnutls_bye) TAKE(gnutls_deinit)
    TAKE(gnutls_certificate_free_credentials) TAKE(gnutls_record_set_timeout)

    p_gnutls_global_init();
    gnutls_certificate_credentials_t cred;
    gnutls_session_t s;
    if (p_gnutls_certificate_allocate_credentials(&cred) < 0 ||
        p_gnutls_certificate_set_x509_trust_file(cred, cafile, GNUTLS_X509_FMT_PEM) <= 0 ||
        p_gnutls_init(&s, GNUTLS_CLIENT) < 0 || p_gnutls_set_default_priority(s) < 0 ||
        p_gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred) < 0 ||
        p_gnutls_server_name_set(s, GNUTLS_NAME_DNS, sni, strlen(sni)) < 0) {
        fprintf(stderr, "gnutls_dlsym: set-up failed\n");
        return 2;
    }
    if (strcmp(mode, "handshake") == 0)
        p_gnutls_session_set_verify_cert(s, sni, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1])) };
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        perror("gnutls_dlsym: connect");
        return 2;
    }
    p_gnutls_transport_set_int2(s, fd, fd);
    p_gnutls_record_set_timeout(s, 10000);
    int r, tries = 0;
    do
        r = p_gnutls_handshake(s);
    while ((r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) && ++tries < 100);
    if (r < 0) {
        printf("handshake failed: %s\n", p_gnutls_strerror(r));
        return 1;
    }
    printf("handshake ok\n");
    if (strcmp(mode, "after") == 0 || strcmp(mode, "tolerant") == 0) {
        unsigned status = 0;
        r = p_gnutls_certificate_verify_peers3(s, sni, &status);
        printf("verify_peers3 %d status 0x%x\n", r, status);
        if ((r < 0 || status != 0) && strcmp(mode, "after") == 0)
            return 1;
    }
    ssize_t n = p_gnutls_record_send(s, msg, strlen(msg));
    if (n < 0) {
        printf("send failed: %s\n", p_gnutls_strerror((int)n));
        return 1;
    }
    printf("sent %zd\n", n);
    char buf[256];
    ssize_t got = p_gnutls_record_recv(s, buf, sizeof buf - 1);
    printf("read %zd\n", got);
    p_gnutls_bye(s, GNUTLS_SHUT_RDWR);
    p_gnutls_deinit(s);
    p_gnutls_certificate_free_credentials(cred);
    close(fd);
    return 0;
}
