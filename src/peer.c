#include "config.h"
#include "peer.h"
#include "sockname.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* Address of a connected socket; v4-mapped IPv6 addresses become IPv4 so an
 * entry for 127.0.0.1 matches a dual-stack socket too. */
static int socket_peer(int fd, struct sockaddr_storage *ss, char ip[INET6_ADDRSTRLEN], int *port)
{
    socklen_t len = sizeof *ss;
    if (fd < 0 || getpeername(fd, (struct sockaddr *)ss, &len) != 0)
        return -1;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &in->sin_addr, ip, INET6_ADDRSTRLEN);
        *port = ntohs(in->sin_port);
        return AF_INET;
    }
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
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

static bool is_stream(int fd)
{
    int type = 0;
    socklen_t len = sizeof type;
    return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM;
}

static void add_name(struct peer *p, const char *name, bool from_address)
{
    char norm[HOST_MAX];
    if (!name || !*name || p->nnames >= PEER_NAMES_MAX)
        return;
    /* An address from inet_ntop is in its canonical form already. */
    bool valid = from_address ? snprintf(norm, sizeof norm, "%s", name) < (int)sizeof norm
                              : host_normalize(name, norm) >= 0;
    if (!valid)
        snprintf(norm, sizeof norm, "%s", name); /* kept for the log, matches nothing */
    for (int i = 0; i < p->nnames; i++)
        if (strcmp(p->names[i].host, norm) == 0)
            return;
    struct peer_name *n = &p->names[p->nnames++];
    memcpy(n->host, norm, sizeof norm);
    n->valid = valid;
    n->from_address = from_address;
}

void peer_names(const char *sni, const char *checked, struct peer *out)
{
    out->nnames = 0;
    out->address_looked = false;
    out->port = 0;
    out->addr[0] = '\0';
    add_name(out, sni, false);
    add_name(out, checked, false);
}

void peer_address(int fd, int io_fd, struct peer *out)
{
    char ip[INET6_ADDRSTRLEN];
    struct sockaddr_storage ss;
    int family;

    if (out->address_looked)
        return;
    out->address_looked = true;
    family = socket_peer(fd, &ss, ip, &out->port);
    if (family < 0 && io_fd >= 0 && io_fd != fd && is_stream(io_fd)) {
        /* Only a stream: the thread's last datagram socket may be the
         * resolver's, connected to the name server. */
        fd = io_fd;
        family = socket_peer(fd, &ss, ip, &out->port);
    }
    if (family == AF_INET)
        snprintf(out->addr, sizeof out->addr, "%s:%d", ip, out->port);
    else if (family == AF_INET6)
        snprintf(out->addr, sizeof out->addr, "[%s]:%d", ip, out->port);
    if (out->nnames > 0 || family < 0)
        return;
    /* No name from the client: the name it resolved for this very socket,
     * and the address itself (IP-literal entries). */
    char resolved[HOST_MAX];
    if (sockname_lookup(fd, (const struct sockaddr *)&ss, resolved))
        add_name(out, resolved, false);
    add_name(out, ip, true);
}
