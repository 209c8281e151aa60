/* What the library keeps per SSL object (its ex_data slot): the judgement of
 * the handshake in progress or last finished, the refusal, and what pinshim
 * changed on the object and must give back.  A new handshake (SSL_clear,
 * which libssl itself calls when any handshake starts) starts afresh. */
#ifndef PINSHIM_CONN_H
#define PINSHIM_CONN_H

#include <stdbool.h>
#include <openssl/ssl.h>
#include "policy.h"

enum {
    CONN_JUDGED = 1,        /* this handshake has its verdict */
    CONN_REFUSED = 2,       /* ... and it refused: the connection is dead */
    CONN_FORCED_VERIFY = 4, /* SSL_VERIFY_PEER was set to make libssl fail the handshake */
    CONN_INFO_OURS = 8,     /* our info callback is installed; the program's is app_info_cb */
    CONN_SEC_OURS = 16,     /* our security callback is installed (suites.h); the program's is app_sec_cb */
};

typedef void (*info_cb_fn)(const SSL *s, int where, int ret);
typedef int (*sec_cb_fn)(const SSL *s, const SSL_CTX *ctx, int op, int bits, int nid, void *other, void *ex);

struct conn_state {
    unsigned flags;
    int app_verify_mode;      /* the verify mode to give back (CONN_FORCED_VERIFY) */
    info_cb_fn app_info_cb;   /* CONN_INFO_OURS: the program's own, or NULL */
    sec_cb_fn app_sec_cb;     /* CONN_SEC_OURS: the one ours asks after its own question */
    /* The session vetted at this handshake's start, passed under policy
     * snapshot `vetted_generation`: its resumption needs no second look. */
    const SSL_SESSION *vetted_session;
    unsigned long vetted_generation;
    bool sni_known;           /* sni below was read when the handshake started */
    char sni[HOST_MAX];       /* the name the client set for this handshake ("" none) */
};

/* The state of `s`, or NULL when it has none. */
struct conn_state *conn_get(const SSL *s);

/* The state of `s`, made when missing; NULL only without memory.  Only for an
 * SSL object that is fully made (not inside SSL_new). */
struct conn_state *conn_obtain(SSL *s);

/* A handshake starts on `s`: forget the last verdict and give back what
 * pinshim changed (the verify mode, the security callback); note the name
 * the client set now.
 * After a TLS 1.2 resumption SSL_get_servername answers with the name stored
 * in the session, which may be another host's. */
void conn_handshake_starts(SSL *s, struct conn_state *c);

#endif
