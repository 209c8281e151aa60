/* What the library keeps per GnuTLS client session and per certificate
 * credentials (GnuTLS has no ex_data: a table keyed by the pointer, made at
 * gnutls_init, dropped at gnutls_deinit).  Server sessions get no entry:
 * they are never judged (DESIGN 4). */
#ifndef PINSHIM_GNUTLS_STATE_H
#define PINSHIM_GNUTLS_STATE_H

#include <stdbool.h>
#include "gnutls_api.h"
#include "policy.h"

enum {
    GS_JUDGED = 1,          /* this handshake has its verdict */
    GS_REFUSED = 2,         /* ... and it refused: the session is dead */
    GS_IN_HANDSHAKE = 4,    /* gnutls_handshake began and has not finished */
    GS_OWN_VERIFY = 8,      /* our session-level verify function is on it; the program's is app_verify */
    GS_ADOPTED = 16,        /* its gnutls_init was not seen: taken in at verification (gnutls_hook.c) */
    GS_VERIFIED_EARLY = 32, /* verified in this handshake for the judgement: verify_ret/verify_status */
    GS_VETTED = 64,         /* the session offered at this handshake's start passed under vetted_generation */
};

struct gnutls_state {
    gnutls_session_t session;
    unsigned flags;
    gnutls_certificate_verify_function *app_verify;   /* GS_OWN_VERIFY: the program's (or auto-verify) */
    gnutls_verify_output_function *app_output;         /* the program's verify output function, or NULL */
    char checked[HOST_MAX];  /* the host name the client asked to be checked ("" none) */
    char sni[HOST_MAX];      /* the SNI name it set ("" none): libgnutls tells a client nothing back */
    unsigned char client_random[32]; /* GS_ADOPTED: the handshake it was taken in for */
    int verify_ret;          /* GS_VERIFIED_EARLY: what gnutls_certificate_verify_peers2 answered */
    unsigned verify_status;
    unsigned char *offered;  /* a session the program set to resume, held back until its handshake
                              * starts (DESIGN 3.5: offered only when it would pass), malloc'd */
    size_t offered_size;
    unsigned long vetted_generation;
};

/* Make the entry of a new client session (false: no memory). */
bool gstate_add(gnutls_session_t session);

/* The entry of `session`, or NULL (a server session, or unknown).  The
 * pointer stays valid until gstate_drop(session). */
struct gnutls_state *gstate_get(gnutls_session_t session);

void gstate_drop(gnutls_session_t session);

/* A refusal: counted, so that the record gates look sessions up only while
 * some refused one exists. */
void gstate_refuse(struct gnutls_state *st);
bool gstate_any_refused(void);

/* Certificate credentials: the program's own verify function (the one set
 * through gnutls_certificate_set_verify_function), and whether ours is on
 * them in its place. */
void gcred_set_app(gnutls_certificate_credentials_t cred, gnutls_certificate_verify_function *fn, bool *ours_on);
/* Ours goes on `cred` (once); the program's is kept. */
bool gcred_wrap(gnutls_certificate_credentials_t cred);
gnutls_certificate_verify_function *gcred_app(gnutls_certificate_credentials_t cred);
/* The credentials are freed: a new one may get the same address. */
void gcred_drop(gnutls_certificate_credentials_t cred);

#endif
