#include "config.h"
#include "observe.h"
#include "ossl.h"
#include <string.h>

static int stack_to_array(STACK_OF(X509) *sk, X509 **out, int max)
{
    int n = 0;
    if (!sk)
        return 0;
    int total = ossl.OPENSSL_sk_num((const OPENSSL_STACK *)sk);
    for (int i = 0; i < total && n < max; i++) {
        X509 *x = ossl.OPENSSL_sk_value((const OPENSSL_STACK *)sk, i);
        if (x)
            out[n++] = x;
    }
    return n;
}

void observe_handshake(SSL *s, struct observed *o)
{
    int nserved, nverified = 0;

    memset(o, 0, sizeof *o);
    o->leaf = ossl.SSL_get1_peer_cert(s);
    nserved = stack_to_array(ossl.SSL_get_peer_cert_chain(s), o->served, CHAIN_MAX);
    if (o->leaf && (nserved == 0 || o->served[0] != o->leaf)) {
        /* A session restored from DER keeps the leaf only. */
        if (nserved == 0)
            nserved = 1;
        o->served[0] = o->leaf;
    }
    o->in.resumed = ossl.SSL_session_reused(s) == 1;
    o->verify_result = ossl.SSL_get_verify_result(s);
    /* A resumed session says OK from the session but has no verified chain. */
    if (!o->in.resumed && o->verify_result == X509_V_OK)
        nverified = stack_to_array(ossl.SSL_get0_verified_chain(s), o->verified, VERIFIED_MAX);
    o->in.served = o->served;
    o->in.nserved = nserved;
    o->in.verified = nverified ? o->verified : NULL;
    o->in.nverified = nverified;
}

void observed_release(struct observed *o)
{
    if (o->leaf)
        ossl.X509_free(o->leaf);
    o->leaf = NULL;
}
