/* What a client handshake showed, as the neutral core takes it: the
 * presented chain, the verified chain (when verification succeeded with
 * nothing overridden), whether the session was resumed, and the
 * verification's result.  Each TLS library's observer fills it
 * (ossl_observe.h for OpenSSL), also for `pinshim probe/audit`, so the
 * library and the command judge exactly the same input. */
#ifndef PINSHIM_OBSERVE_H
#define PINSHIM_OBSERVE_H

#include <stdbool.h>
#include "judge.h"

struct observed {
    const struct cert *served[CHAIN_MAX];
    const struct cert *verified[VERIFIED_MAX];
    long verify_result;      /* VERIFY_OK when the chain verified */
    struct chain_input in;   /* points into this struct */
    /* What the observer holds until the judgement is over (a reference on
     * the leaf, copies of certificates), and how it lets go. */
    void *owned;
    void (*release)(struct observed *o);
};

static inline void observed_release(struct observed *o)
{
    if (o->release)
        o->release(o);
    o->release = NULL;
    o->owned = NULL;
}

#endif
