#include "config.h"
#include "peer.h"
#include "ossl.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* Address of a connected socket; v4-mapped IPv6 addresses become IPv4 so an
 * entry for 127.0.0.1 matches a dual-stack socket too. */
static int socket_peer(int fd, char ip[INET6_ADDRSTRLEN], int *port)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &in->sin_addr, ip, INET6_ADDRSTRLEN);
        *port = ntohs(in->sin_port);
        return AF_INET;
    }
    if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
        *port = ntohs(in6->sin6_port);
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
            inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], ip, INET6_ADDRSTRLEN);
            return AF_INET;
        }
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, INET6_ADDRSTRLEN);
        return AF_INET6;
    }
    return -1;
}

static const char *requested_name(SSL *s, const char *sni)
{
    const char *name = sni ? sni : ossl.SSL_get_servername(s, TLSEXT_NAMETYPE_host_name);
    if (name && *name)
        return name;
    if (ossl.X509_VERIFY_PARAM_get0_host) {
        X509_VERIFY_PARAM *param = ossl.SSL_get0_param(s);
        name = param ? ossl.X509_VERIFY_PARAM_get0_host(param, 0) : NULL;
        if (name && *name)
            return name;
    }
    name = ossl.SSL_get0_peername(s);
    return name && *name ? name : NULL;
}

void peer_identify_name(SSL *s, const char *sni, struct peer *out)
{
    const char *name;

    memset(out, 0, sizeof *out);
    name = requested_name(s, sni);
    if (name && host_normalize(name, out->host) < 0) {
        /* Not a name any entry can have: keep it for the log, match nothing. */
        snprintf(out->host, sizeof out->host, "%s", name);
    }
}

void peer_identify_address(SSL *s, int io_fd, struct peer *out)
{
    char ip[INET6_ADDRSTRLEN];
    int family, fd;

    fd = ossl.SSL_get_fd(s);
    family = socket_peer(fd, ip, &out->port);
    if (family < 0 && io_fd >= 0 && io_fd != fd)
        family = socket_peer(io_fd, ip, &out->port);
    if (family == AF_INET)
        snprintf(out->addr, sizeof out->addr, "%s:%d", ip, out->port);
    else if (family == AF_INET6)
        snprintf(out->addr, sizeof out->addr, "[%s]:%d", ip, out->port);
    if (!out->host[0] && family >= 0) {
        snprintf(out->host, sizeof out->host, "%s", ip);
        out->host_from_address = true;
    }
}

void peer_identify(SSL *s, const char *sni, int io_fd, struct peer *out)
{
    peer_identify_name(s, sni, out);
    peer_identify_address(s, io_fd, out);
}
