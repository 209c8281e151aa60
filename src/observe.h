/* What a client handshake showed: the presented chain, the verified chain
 * (when verification succeeded with nothing overridden), whether the session
 * was resumed.  Read off the SSL object once the handshake finished, or off
 * the X509_STORE_CTX while the chain is being verified (the library judges
 * there, DESIGN 3.6).  Shared by the library and `pinshim probe/audit`, so
 * both judge exactly the same input. */
#ifndef PINSHIM_OBSERVE_H
#define PINSHIM_OBSERVE_H

#include <stdbool.h>
#include <openssl/ssl.h>
#include "judge.h"

struct observed {
    X509 *served[CHAIN_MAX];
    X509 *verified[VERIFIED_MAX];
    X509 *leaf;              /* a reference of ours: observed_release() frees it */
    long verify_result;
    struct chain_input in;   /* points into this struct */
};

/* After the handshake (SSL_get_verify_result, SSL_get0_verified_chain). */
void observe_handshake(SSL *s, struct observed *out);

/* During verification: `verified` says whether X509_verify_cert succeeded
 * with no error that a callback of the program overrode; `error` is the
 * verification's result to report (X509_V_OK when verified). */
void observe_verification(X509_STORE_CTX *ctx, bool verified, long error, struct observed *out);

void observed_release(struct observed *o);

#endif
