/* The socket calls the library watches (no TLS library here):
 * - the resolver's answers and connect(), for the name a client resolved for
 *   a socket (sockname.h, DESIGN 3.1);
 * - which socket a thread last moved bytes on, for clients whose BIO hides
 *   the descriptor (curl 7.88: SSL_get_fd is -1): read right before a
 *   handshake's certificate is judged, it is the socket that certificate came
 *   over.
 * - connect() to an internet address, for the TLS libraries pinshim cannot
 *   judge (uncovered.h);
 * Every call passes through; the real functions are found with
 * dlsym(RTLD_NEXT) on first use. */
#include "config.h"
#include "net_hook.h"
#include "sockname.h"
#include "uncovered.h"
#include "policy.h"
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))
#define THREAD_LOCAL __thread __attribute__((tls_model("initial-exec")))

static THREAD_LOCAL int t_last_fd = -1;
/* The socket this thread last connected, and whether that came after its
 * last send or receive (a TLS library that moves its bytes with read and
 * write, as libldap's transport does, is seen only connecting). */
static THREAD_LOCAL int t_connected_fd = -1;
static THREAD_LOCAL bool t_connect_newer;

int net_last_socket(void)
{
    return t_last_fd;
}

int net_recent_socket(void)
{
    return t_connect_newer || t_last_fd < 0 ? t_connected_fd : t_last_fd;
}

#define REAL(name) \
    static __typeof__(name) *real_##name; \
    __typeof__(name) *fn_##name = __atomic_load_n(&real_##name, __ATOMIC_RELAXED); \
    if (!fn_##name) { \
        fn_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name); \
        __atomic_store_n(&real_##name, fn_##name, __ATOMIC_RELAXED); \
    }

/* A name worth remembering: not an address already (then the address is
 * the name, and it is judged as such). */
static int is_name(const char *node)
{
    char norm[HOST_MAX];
    if (!node || !*node || strchr(node, ':'))
        return 0;
    /* Most lookups of a client that sends no SNI are of an address: told
     * apart here for a few instructions.  A name has a letter outside a hex
     * number ("0x7f000001" is an address). */
    bool letter = false;
    for (const char *c = node; *c; c++)
        if ((*c >= 'g' && *c <= 'z') || (*c >= 'G' && *c <= 'Z' && *c != 'X') || *c == '-' || *c == '_')
            letter = true;
    if (!letter && strspn(node, "0123456789.") == strlen(node))
        return 0;
    return host_normalize(node, norm) == NAME_DNS;
}

EXPORT int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res)
{
    REAL(getaddrinfo)
    if (!fn_getaddrinfo)
        return EAI_SYSTEM;
    int r = fn_getaddrinfo(node, service, hints, res);
    if (r == 0 && res && *res && is_name(node)) {
        const struct sockaddr *addrs[16];
        int n = 0;
        for (const struct addrinfo *ai = *res; ai && n < 16; ai = ai->ai_next)
            if (ai->ai_addr)
                addrs[n++] = ai->ai_addr;
        sockname_resolved(node, addrs, n);
    }
    return r;
}

/* gethostbyname and friends: legacy clients still use them. */
static void remember_hostent(const char *name, const struct hostent *h)
{
    if (!h || !h->h_addr_list || !is_name(name))
        return;
    struct sockaddr_in6 store[16]; /* room for either family, small on the stack */
    const struct sockaddr *addrs[16];
    int n = 0;
    for (int i = 0; h->h_addr_list[i] && n < 16; i++) {
        struct sockaddr_in6 *ss = &store[n];
        __builtin_memset(ss, 0, sizeof *ss);
        if (h->h_addrtype == AF_INET && h->h_length == 4) {
            struct sockaddr_in *in = (struct sockaddr_in *)ss;
            in->sin_family = AF_INET;
            __builtin_memcpy(&in->sin_addr, h->h_addr_list[i], 4);
        } else if (h->h_addrtype == AF_INET6 && h->h_length == 16) {
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
            in6->sin6_family = AF_INET6;
            __builtin_memcpy(&in6->sin6_addr, h->h_addr_list[i], 16);
        } else {
            continue;
        }
        addrs[n] = (const struct sockaddr *)ss;
        n++;
    }
    sockname_resolved(name, addrs, n);
}

EXPORT struct hostent *gethostbyname(const char *name)
{
    REAL(gethostbyname)
    struct hostent *h = fn_gethostbyname ? fn_gethostbyname(name) : NULL;
    remember_hostent(name, h);
    return h;
}

EXPORT struct hostent *gethostbyname2(const char *name, int af)
{
    REAL(gethostbyname2)
    struct hostent *h = fn_gethostbyname2 ? fn_gethostbyname2(name, af) : NULL;
    remember_hostent(name, h);
    return h;
}

EXPORT int gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t buflen,
                           struct hostent **result, int *h_errnop)
{
    REAL(gethostbyname_r)
    if (!fn_gethostbyname_r)
        return ENOSYS;
    int r = fn_gethostbyname_r(name, ret, buf, buflen, result, h_errnop);
    if (r == 0 && result)
        remember_hostent(name, *result);
    return r;
}

EXPORT int gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf, size_t buflen,
                            struct hostent **result, int *h_errnop)
{
    REAL(gethostbyname2_r)
    if (!fn_gethostbyname2_r)
        return ENOSYS;
    int r = fn_gethostbyname2_r(name, af, ret, buf, buflen, result, h_errnop);
    if (r == 0 && result)
        remember_hostent(name, *result);
    return r;
}

EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    REAL(connect)
    sockname_connecting(fd, addr, len);
    /* A connection that may carry TLS: is it TLS pinshim cannot judge? */
    if (addr && len >= sizeof addr->sa_family && (addr->sa_family == AF_INET || addr->sa_family == AF_INET6))
        uncovered_look();
    t_connected_fd = fd;
    t_connect_newer = true;
    if (!fn_connect)
        return (int)syscall(SYS_connect, fd, addr, len);
    return fn_connect(fd, addr, len);
}

EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    REAL(send)
    t_last_fd = fd;
    t_connect_newer = false;
    if (!fn_send)
        return syscall(SYS_sendto, fd, buf, len, flags, NULL, 0);
    return fn_send(fd, buf, len, flags);
}

EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    REAL(recv)
    t_last_fd = fd;
    t_connect_newer = false;
    if (!fn_recv)
        return syscall(SYS_recvfrom, fd, buf, len, flags, NULL, NULL);
    return fn_recv(fd, buf, len, flags);
}

EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to, socklen_t tolen)
{
    REAL(sendto)
    t_last_fd = fd;
    t_connect_newer = false;
    if (!fn_sendto)
        return syscall(SYS_sendto, fd, buf, len, flags, to, tolen);
    return fn_sendto(fd, buf, len, flags, to, tolen);
}

EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from, socklen_t *fromlen)
{
    REAL(recvfrom)
    t_last_fd = fd;
    t_connect_newer = false;
    if (!fn_recvfrom)
        return syscall(SYS_recvfrom, fd, buf, len, flags, from, fromlen);
    return fn_recvfrom(fd, buf, len, flags, from, fromlen);
}

EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    REAL(sendmsg)
    t_last_fd = fd;
    t_connect_newer = false;
    if (!fn_sendmsg)
        return syscall(SYS_sendmsg, fd, msg, flags);
    return fn_sendmsg(fd, msg, flags);
}

EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
    REAL(recvmsg)
    t_last_fd = fd;
    t_connect_newer = false;
    if (!fn_recvmsg)
        return syscall(SYS_recvmsg, fd, msg, flags);
    return fn_recvmsg(fd, msg, flags);
}
