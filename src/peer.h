/* Who is on the other end of a client handshake: the host name the client
 * asked for (SNI, else the name it checks, else the peer's IP) and the peer's
 * address and port. */
#ifndef PINSHIM_PEER_H
#define PINSHIM_PEER_H

#include <stdbool.h>
#include <openssl/ssl.h>
#include "policy.h"

struct peer {
    char host[HOST_MAX];     /* normalised; empty when nothing is known */
    bool host_from_address;  /* host is the peer's IP literal (no name given) */
    int port;                /* 0: unknown */
    char addr[64];           /* "ip:port" or "[ip6]:port"; empty when unknown */
};

/* `sni`: the name the client set when the handshake started ("" for none),
 * or NULL when not noted (then SSL_get_servername, which after a TLS 1.2
 * resumption answers from the session).  `io_fd`: the socket this thread used
 * inside the handshake call (-1 if none), for clients whose BIO hides the
 * descriptor (curl). */
void peer_identify(SSL *s, const char *sni, int io_fd, struct peer *out);

/* The same in two steps, because the address costs a system call
 * (getpeername) that a passing handshake usually does not need (issue 6):
 * peer_identify_name fills `host` from the names only (port and addr stay
 * unknown); peer_identify_address adds port and addr and, when no name was
 * found, takes the peer's IP as the host.  Both together = peer_identify. */
void peer_identify_name(SSL *s, const char *sni, struct peer *out);
void peer_identify_address(SSL *s, int io_fd, struct peer *out);

#endif
