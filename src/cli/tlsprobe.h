/* One TLS client handshake made by the command (`probe`, `audit`): connect
 * with a bounded time, complete the handshake without aborting on a failed
 * verification, then observe and judge it exactly as the library would
 * (observe.h, judge.h, policy_lookup). */
#ifndef PINSHIM_TLSPROBE_H
#define PINSHIM_TLSPROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <openssl/ssl.h>
#include "judge.h"
#include "policy.h"
#include "report.h"
#include "tofu.h"

/* Default bound of one probe (connect + handshake), in milliseconds. */
#define PROBE_TIMEOUT_MS 10000

/* `--connect-to HOST:PORT:ADDR:PORT` as curl reads it: when the requested host
 * and port match, connect to ADDR:PORT instead.  An empty field matches any
 * host/port (first two) or keeps the requested one (last two).  IPv6
 * addresses are written in brackets. */
struct connect_to {
    char host[HOST_MAX];     /* normalised; "" any host */
    int port;                /* 0: any port */
    char addr[HOST_MAX];     /* "" keep the requested host */
    int addr_port;           /* 0: keep the requested port */
};

/* Returns 0, or -1 with a reason in `why`. */
int connect_to_parse(const char *spec, struct connect_to *out, char *why, size_t whylen);

/* "HOST", "HOST:PORT", "[V6]", "[V6]:PORT" or a bare IPv6 address.  `host`
 * gets the normalised name (HOST_MAX bytes), `port` the port or
 * `default_port`.  Returns the name kind (policy.h) or -1 with a reason. */
int hostport_parse(const char *text, int default_port, char *host, int *port, char *why, size_t whylen);

/* Seconds ("10", "2.5") -> milliseconds; -1 when invalid. */
int timeout_parse(const char *text);

/* What every probe of one run shares.  The SSL_CTX may be used by several
 * threads at once. */
struct probe_config {
    SSL_CTX *ctx;
    int timeout_ms;
    const struct connect_to *connect_to;
    size_t nconnect_to;
    const struct policy *policy;     /* NULL: no judgement */
};

/* A client SSL_CTX that verifies against the system store, or only `cafile`,
 * but never aborts a handshake on a failed verification.  NULL with a reason
 * in `why` on failure. */
SSL_CTX *probe_ctx_new(const char *cafile, char *why, size_t whylen);

struct probe_target {
    const char *host;        /* normalised (hostport_parse) */
    int port;
    const char *servername;  /* NULL: the host; never sent for an IP literal */
};

enum cert_role { ROLE_LEAF, ROLE_INTERMEDIATE, ROLE_ROOT };
const char *cert_role_text(enum cert_role r);

struct probe_cert {
    struct cert_info info;
    enum cert_role role;
    bool linked;             /* counts under the unverified rule (judge.h chain_count_linked) */
};

struct probe_result {
    bool handshake_ok;       /* false: `error` says why */
    char error[320];
    char connected_to[80];   /* "ip:port" / "[ip6]:port" of the peer, "" when never connected */
    char sni[HOST_MAX];      /* "" when none was sent */
    char judged_host[HOST_MAX];  /* the host the library would judge */
    int judged_port;
    char version[16];        /* "TLSv1.3" */

    int nserved;
    struct probe_cert served[CHAIN_MAX];
    int nextra;              /* verified-chain certificates the server did not send (trust store) */
    struct probe_cert extra[CHAIN_MAX];

    long verify_result;
    bool verified;
    char verify_error[160];  /* X509_verify_cert_error_string */

    bool leaf_expiry_known;
    time_t leaf_not_after;

    /* Only with a policy. */
    bool judged;
    const struct host_entry *entry;  /* the policy's entry for the host (NULL: none) */
    struct judgement judgement;      /* .entry may be tofu_entry below */
    char matched_pin[PIN_TEXT_MAX];  /* "" when none */
    char note[400];                  /* trust on first use: what was judged ("" otherwise) */
    struct tofu_view tofu;           /* learned pins (read only: a probe never records) */
};

/* Connect, handshake, observe, judge.  Returns 0 when the handshake completed
 * (whatever the verification and the verdict), -1 when the host was not
 * reachable or the handshake failed (out->error). */
int probe_run(const struct probe_config *cfg, const struct probe_target *t, struct probe_result *out);

/* Whole days from `now` until `t`, rounded down (negative once past). */
long days_until(time_t t, time_t now);

#endif
