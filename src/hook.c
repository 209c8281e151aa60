/* The interposed entry points.  Every call is passed to the real libssl; what
 * this file adds is: once a client handshake completes, ask handshake.c for a
 * verdict before the program can send a byte, and make a refused connection
 * stay refused.
 *
 * - SSL_connect calls SSL_do_handshake through the PLT: a per-thread depth
 *   lets only the outermost call judge (DESIGN 9).
 * - Reads and writes may start the handshake (openssl s_client): they finish
 *   it and judge first.  Results <= 0 pass through for non-blocking retries.
 * - Each SSL carries two flags in its ex_data slot: judged, refused.  A new
 *   handshake (SSL_in_before, e.g. after SSL_clear) clears them. */
#include "config.h"
#include "handshake.h"
#include "block.h"
#include "ossl.h"
#include "runtime.h"
#include <stdio.h>
#include <stdlib.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

/* initial-exec: no __tls_get_addr call on every SSL call, and no dependency
 * on the dynamic loader's TLS code (the library is preloaded, so its few
 * bytes of TLS always fit in the static TLS block). */
#define THREAD_LOCAL __thread __attribute__((tls_model("initial-exec")))
static THREAD_LOCAL int t_depth;   /* inside a real SSL call */
static THREAD_LOCAL int t_io_fd;   /* socket used inside it, for BIOs that hide theirs */

/* The fast path reads the flags only; NULL means "nothing known yet". */
static struct conn_state *state_of(const SSL *s)
{
    return ossl.SSL_get_ex_data(s, runtime_ssl_index());
}

static unsigned flags_of(const SSL *s)
{
    const struct conn_state *c = state_of(s);
    return c ? c->flags : 0;
}

static void set_flags(SSL *s, unsigned f)
{
    struct conn_state *c = state_of(s);
    if (!c && f == 0)
        return;
    if (!c) {
        c = calloc(1, sizeof *c);
        if (!c || !ossl.SSL_set_ex_data(s, runtime_ssl_index(), c)) {
            free(c);
            return;
        }
    }
    c->flags = f;
}

/* A new handshake: forget the last one, and note the name this client asked
 * for now.  After a TLS 1.2 resumption SSL_get_servername answers with the
 * name stored in the session, which may be another host's. */
static void handshake_starts(SSL *s)
{
    struct conn_state *c = state_of(s);
    if (!c) {
        c = calloc(1, sizeof *c);
        if (!c || !ossl.SSL_set_ex_data(s, runtime_ssl_index(), c)) {
            free(c);
            return;
        }
    }
    const char *sni = ossl.SSL_get_servername(s, TLSEXT_NAMETYPE_host_name);
    c->flags = 0;
    c->sni_known = true;
    snprintf(c->sni, sizeof c->sni, "%s", sni ? sni : "");
}

static int refuse(SSL *s)
{
    block_connection(s, "this connection was refused earlier");
    return -1;
}

/* After a real handshake call returned `r`: judge once when it completed. */
static int after_handshake(SSL *s, int r)
{
    if (r != 1 || ossl.SSL_is_server(s))
        return r;
    unsigned f = flags_of(s);
    if (f & CONN_REFUSED)
        return -1; /* the error was pushed when it was refused */
    if (f & CONN_JUDGED)
        return r;
    if (handshake_allowed(s, state_of(s), t_io_fd)) {
        set_flags(s, CONN_JUDGED);
        return r;
    }
    set_flags(s, CONN_JUDGED | CONN_REFUSED);
    return -1;
}

static int real_handshake(SSL *s, int (*real)(SSL *))
{
    if (ossl.SSL_in_before(s))
        handshake_starts(s);
    else if (flags_of(s) & CONN_REFUSED)
        return refuse(s);
    t_depth++;
    t_io_fd = -1;
    int r = real(s);
    t_depth--;
    return after_handshake(s, r);
}

EXPORT int SSL_connect(SSL *s)
{
    if (!runtime_ready())
        return -1;
    if (t_depth > 0)
        return ossl.SSL_connect(s);
    return real_handshake(s, ossl.SSL_connect);
}

EXPORT int SSL_do_handshake(SSL *s)
{
    if (!runtime_ready())
        return -1;
    if (t_depth > 0)
        return ossl.SSL_do_handshake(s);
    return real_handshake(s, ossl.SSL_do_handshake);
}

/* Before application data moves: 1 to go on, else the value to return. */
static int io_gate(SSL *s)
{
    unsigned f = flags_of(s);
    if (f & CONN_JUDGED)
        return f & CONN_REFUSED ? refuse(s) : 1;
    if (ossl.SSL_is_server(s))
        return 1;
    if (ossl.SSL_is_init_finished(s))
        return after_handshake(s, 1);
    return real_handshake(s, ossl.SSL_do_handshake);
}

#define IO_WRAPPER(ret, name, params, args, fail)   \
    EXPORT ret name params                          \
    {                                               \
        if (!runtime_ready())                       \
            return fail;                            \
        if (t_depth > 0)                            \
            return ossl.name args;                  \
        int g = io_gate(s);                         \
        if (g <= 0)                                 \
            return (fail) == 0 ? 0 : g;             \
        t_depth++;                                  \
        ret r = ossl.name args;                     \
        t_depth--;                                  \
        return r;                                   \
    }

IO_WRAPPER(int, SSL_read, (SSL *s, void *buf, int num), (s, buf, num), -1)
IO_WRAPPER(int, SSL_peek, (SSL *s, void *buf, int num), (s, buf, num), -1)
IO_WRAPPER(int, SSL_write, (SSL *s, const void *buf, int num), (s, buf, num), -1)
IO_WRAPPER(int, SSL_read_ex, (SSL *s, void *buf, size_t num, size_t *n), (s, buf, num, n), 0)
IO_WRAPPER(int, SSL_peek_ex, (SSL *s, void *buf, size_t num, size_t *n), (s, buf, num, n), 0)
IO_WRAPPER(int, SSL_write_ex, (SSL *s, const void *buf, size_t num, size_t *n), (s, buf, num, n), 0)

/* Socket calls made inside a handshake tell which descriptor it runs on when
 * the SSL's BIO does not (curl 7.88: SSL_get_fd is -1).  Outside an SSL call
 * they only pass through. */
#define REAL(name) \
    static __typeof__(name) *real_##name; \
    __typeof__(name) *fn_##name = __atomic_load_n(&real_##name, __ATOMIC_RELAXED); \
    if (!fn_##name) { \
        fn_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name); \
        __atomic_store_n(&real_##name, fn_##name, __ATOMIC_RELAXED); \
    }

EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    REAL(send)
    if (t_depth > 0)
        t_io_fd = fd;
    if (!fn_send)
        return syscall(SYS_sendto, fd, buf, len, flags, NULL, 0);
    return fn_send(fd, buf, len, flags);
}

EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    REAL(recv)
    if (t_depth > 0)
        t_io_fd = fd;
    if (!fn_recv)
        return syscall(SYS_recvfrom, fd, buf, len, flags, NULL, NULL);
    return fn_recv(fd, buf, len, flags);
}

EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to, socklen_t tolen)
{
    REAL(sendto)
    if (t_depth > 0)
        t_io_fd = fd;
    if (!fn_sendto)
        return syscall(SYS_sendto, fd, buf, len, flags, to, tolen);
    return fn_sendto(fd, buf, len, flags, to, tolen);
}

EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from, socklen_t *fromlen)
{
    REAL(recvfrom)
    if (t_depth > 0)
        t_io_fd = fd;
    if (!fn_recvfrom)
        return syscall(SYS_recvfrom, fd, buf, len, flags, from, fromlen);
    return fn_recvfrom(fd, buf, len, flags, from, fromlen);
}

EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    REAL(sendmsg)
    if (t_depth > 0)
        t_io_fd = fd;
    if (!fn_sendmsg)
        return syscall(SYS_sendmsg, fd, msg, flags);
    return fn_sendmsg(fd, msg, flags);
}

EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
    REAL(recvmsg)
    if (t_depth > 0)
        t_io_fd = fd;
    if (!fn_recvmsg)
        return syscall(SYS_recvmsg, fd, msg, flags);
    return fn_recvmsg(fd, msg, flags);
}
