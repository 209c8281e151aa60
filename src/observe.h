/* What a finished client handshake showed, read off the SSL object: the
 * presented chain, the verified chain (when verification said OK), whether the
 * session was resumed.  Shared by the library and `pinshim probe/audit`, so
 * both judge exactly the same input. */
#ifndef PINSHIM_OBSERVE_H
#define PINSHIM_OBSERVE_H

#include <openssl/ssl.h>
#include "judge.h"

struct observed {
    X509 *served[CHAIN_MAX];
    X509 *verified[VERIFIED_MAX];
    X509 *leaf;              /* a reference of ours: observed_release() frees it */
    long verify_result;
    struct chain_input in;   /* points into this struct */
};

void observe_handshake(SSL *s, struct observed *out);
void observed_release(struct observed *o);

#endif
