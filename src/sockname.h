/* The name a client resolved for a socket (DESIGN 3.1): a client that sends
 * no SNI and checks no name (`openssl s_client -connect localhost:PORT`) is
 * still judged by the name it asked the resolver for.  getaddrinfo answers
 * per thread; connect() ties the answer's name to the socket when it connects
 * to one of the answer's addresses.  No TLS library here. */
#ifndef PINSHIM_SOCKNAME_H
#define PINSHIM_SOCKNAME_H

#include <stdbool.h>
#include <sys/socket.h>
#include "policy.h"

/* This thread asked the resolver for `name` and got these addresses
 * (AF_INET / AF_INET6 sockaddrs; others are skipped). */
void sockname_resolved(const char *name, const struct sockaddr *const *addrs, int naddrs);

/* Socket `fd` is connecting to `to`: it takes the name of this thread's last
 * answer that holds the address, or none. */
void sockname_connecting(int fd, const struct sockaddr *to, socklen_t len);

/* The name tied to `fd`, if `peer` (its getpeername address) is still the
 * address it was tied for.  `out` has HOST_MAX bytes. */
bool sockname_lookup(int fd, const struct sockaddr *peer, char *out);

#endif
