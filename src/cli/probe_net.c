/* The bounded network part of one probe: connect (non-blocking, poll) and
 * handshake (non-blocking, poll), one deadline for both. */
#include "config.h"
#include "probe_net.h"
#include "cli.h"
#include <openssl/err.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *errtext(int e, char *buf, size_t len)
{
    /* GNU strerror_r (AC_USE_SYSTEM_EXTENSIONS): thread-safe, returns the text. */
    return strerror_r(e, buf, len);
}

long probe_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int remaining(long deadline)
{
    long left = deadline - probe_now_ms();
    return left > 0 ? (int)left : 0;
}

static void addr_text(const struct sockaddr *sa, socklen_t len, char *out, size_t outlen)
{
    char host[INET6_ADDRSTRLEN], serv[8];
    if (getnameinfo(sa, len, host, sizeof host, serv, sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(out, outlen, "?");
        return;
    }
    snprintf(out, outlen, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, serv);
}

/* Wait for `events` on fd until the deadline: 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, long deadline)
{
    struct pollfd pfd = { .fd = fd, .events = events };
    for (;;) {
        int left = remaining(deadline);
        if (left == 0)
            return 0;
        int r = poll(&pfd, 1, left);
        if (r > 0)
            return 1;
        if (r == 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

/* A connected non-blocking socket to one of the addresses, or -1 with
 * out->error set. */
int probe_connect_any(const char *host, int port, long deadline, double timeout_s, struct probe_result *out)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV }, *list, *ai;
    char portstr[8], ebuf[128], where[80];
    int r, fd = -1;

    snprintf(portstr, sizeof portstr, "%d", port);
    r = getaddrinfo(host, portstr, &hints, &list);
    if (r != 0) {
        snprintf(out->error, sizeof out->error, "cannot resolve %s: %s", host,
                 r == EAI_SYSTEM ? errtext(errno, ebuf, sizeof ebuf) : gai_strerror(r));
        return -1;
    }
    snprintf(out->error, sizeof out->error, "cannot connect to %s port %d", host, port);
    for (ai = list; ai; ai = ai->ai_next) {
        addr_text(ai->ai_addr, ai->ai_addrlen, where, sizeof where);
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            snprintf(out->error, sizeof out->error, "connect to %s: %s", where, errtext(errno, ebuf, sizeof ebuf));
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        if (errno == EINPROGRESS) {
            int w = wait_fd(fd, POLLOUT, deadline), soerr = 0;
            socklen_t slen = sizeof soerr;
            if (w == 0) {
                snprintf(out->error, sizeof out->error, "connect to %s: timed out after %g s", where, timeout_s);
                close(fd);
                fd = -1;
                break;             /* no time left for another address */
            }
            if (w < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) != 0)
                soerr = errno;
            if (soerr == 0)
                break;
            errno = soerr;
        }
        snprintf(out->error, sizeof out->error, "connect to %s: %s", where, errtext(errno, ebuf, sizeof ebuf));
        close(fd);
        fd = -1;
    }
    if (fd >= 0) {
        snprintf(out->connected_to, sizeof out->connected_to, "%s", where);
        out->error[0] = '\0';
    }
    freeaddrinfo(list);
    return fd;
}

/* The first matching --connect-to rule, as curl applies them. */
void probe_apply_connect_to(const struct probe_config *cfg, const char *host, int port, const char **chost,
                            int *cport)
{
    *chost = host;
    *cport = port;
    for (size_t i = 0; i < cfg->nconnect_to; i++) {
        const struct connect_to *c = &cfg->connect_to[i];
        if ((c->host[0] && strcmp(c->host, host) != 0) || (c->port && c->port != port))
            continue;
        if (c->addr[0])
            *chost = c->addr;
        if (c->addr_port)
            *cport = c->addr_port;
        return;
    }
}

int probe_handshake(SSL *ssl, int fd, long deadline, double timeout_s, struct probe_result *out)
{
    char ebuf[200];
    ERR_clear_error();
    for (;;) {
        int r = SSL_connect(ssl);
        if (r == 1)
            return 0;
        int e = SSL_get_error(ssl, r), w;
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            w = wait_fd(fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
            if (w > 0)
                continue;
            if (w == 0)
                snprintf(out->error, sizeof out->error, "TLS handshake with %s: timed out after %g s",
                         out->connected_to, timeout_s);
            else
                snprintf(out->error, sizeof out->error, "TLS handshake with %s: %s", out->connected_to,
                         errtext(errno, ebuf, sizeof ebuf));
        } else if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
            int saved = errno;
            snprintf(out->error, sizeof out->error, "TLS handshake with %s: %s", out->connected_to,
                     saved && r < 0 ? errtext(saved, ebuf, sizeof ebuf)
                                    : "the server closed the connection");
        } else if (e == SSL_ERROR_ZERO_RETURN) {
            snprintf(out->error, sizeof out->error, "TLS handshake with %s: the server closed the connection",
                     out->connected_to);
        } else {
            snprintf(out->error, sizeof out->error, "TLS handshake with %s failed: %s", out->connected_to,
                     cli_ssl_error(ebuf, sizeof ebuf));
        }
        ERR_clear_error();
        return -1;
    }
}
