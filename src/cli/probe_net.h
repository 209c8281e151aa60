/* The bounded network part of one probe (tlsprobe.c): connect and handshake
 * under one deadline.  Internal to the command's probe code. */
#ifndef PINSHIM_PROBE_NET_H
#define PINSHIM_PROBE_NET_H

#include <openssl/ssl.h>
#include "tlsprobe.h"

/* A monotonic clock in milliseconds, for deadlines. */
long probe_now_ms(void);

/* The first matching --connect-to rule, as curl applies them: `chost` and
 * `cport` get where to connect for `host`:`port`. */
void probe_apply_connect_to(const struct probe_config *cfg, const char *host, int port, const char **chost,
                            int *cport);

/* A connected non-blocking socket to one of the addresses of `host`, or -1
 * with out->error set; out->connected_to names the peer. */
int probe_connect_any(const char *host, int port, long deadline, double timeout_s, struct probe_result *out);

/* SSL_connect until done or the deadline: 0, or -1 with out->error set. */
int probe_handshake(SSL *ssl, int fd, long deadline, double timeout_s, struct probe_result *out);

#endif
