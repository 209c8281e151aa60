/* Who is on the other end of a client handshake (DESIGN 3.1): the names it
 * is judged by and the peer's address and port.
 *
 * Names: the SNI name; the name the chain verified against when the client
 * asked for one to be checked; when the client gave neither, the name it
 * resolved for this socket (sockname.h) and the peer's IP address.  Every
 * name is normalised (a numeric spelling becomes its address); a name no
 * entry can have is kept for the log only. */
#ifndef PINSHIM_PEER_H
#define PINSHIM_PEER_H

#include <stdbool.h>
#include "policy.h"

#define PEER_NAMES_MAX 4

struct peer_name {
    char host[HOST_MAX];     /* normalised, or as given when not a valid name */
    bool valid;              /* entries can match it */
    bool from_address;       /* the peer's IP: the client gave no name */
};

struct peer {
    int nnames;
    struct peer_name names[PEER_NAMES_MAX];
    bool address_looked;     /* peer_address() ran */
    int port;                /* 0: unknown */
    char addr[64];           /* "ip:port" or "[ip6]:port"; empty when unknown */
};

/* The names the client gave: `sni` (NULL or "" for none) and `checked` (the
 * host name the chain verified against, or NULL). */
void peer_names(const char *sni, const char *checked, struct peer *out);

/* Port and address of the peer (a system call: only when needed, issue 6)
 * and, when the client gave no name, the resolved name and the IP address as
 * names.  `fd`: the session's own socket (-1: its BIO hides it, as curl's
 * does); `io_fd`: a socket this thread used in the handshake (-1 if none). */
void peer_address(int fd, int io_fd, struct peer *out);

#endif
