#include "config.h"
#include "ossl_observe.h"
#include "ossl.h"
#include "ossl_cert.h"
#include <string.h>

static int stack_to_array(STACK_OF(X509) *sk, const struct cert **out, int max)
{
    int n = 0;
    if (!sk)
        return 0;
    int total = ossl.OPENSSL_sk_num((const OPENSSL_STACK *)sk);
    for (int i = 0; i < total && n < max; i++) {
        X509 *x = ossl.OPENSSL_sk_value((const OPENSSL_STACK *)sk, i);
        if (x)
            out[n++] = ossl_cert(x);
    }
    return n;
}

/* The leaf first, then the rest of what the peer presented (a presented
 * chain that repeats the leaf, as libssl's client-side one does, keeps it
 * once). */
static int served_with_leaf(X509 *leaf, STACK_OF(X509) *sk, const struct cert **out)
{
    int n = stack_to_array(sk, out, CHAIN_MAX);
    if (leaf && (n == 0 || out[0] != ossl_cert(leaf))) {
        /* A session restored from DER keeps the leaf only. */
        if (n == 0)
            n = 1;
        out[0] = ossl_cert(leaf);
    }
    return n;
}

static void release_leaf(struct observed *o)
{
    if (o->owned)
        ossl.X509_free(o->owned);
}

void observe_handshake(SSL *s, struct observed *o)
{
    int nserved, nverified = 0;

    memset(&o->in, 0, sizeof o->in);
    X509 *leaf = ossl.SSL_get1_peer_cert(s);
    o->owned = leaf;
    o->release = release_leaf;
    nserved = served_with_leaf(leaf, ossl.SSL_get_peer_cert_chain(s), o->served);
    o->in.resumed = ossl.SSL_session_reused(s) == 1;
    o->verify_result = ossl.SSL_get_verify_result(s);
    /* A resumed session says OK from the session but has no verified chain. */
    if (!o->in.resumed && o->verify_result == X509_V_OK)
        nverified = stack_to_array(ossl.SSL_get0_verified_chain(s), o->verified, VERIFIED_MAX);
    o->in.ops = &ossl_cert_ops;
    o->in.served = o->served;
    o->in.nserved = nserved;
    o->in.verified = nverified ? o->verified : NULL;
    o->in.nverified = nverified;
}

void observe_verification(X509_STORE_CTX *ctx, bool verified, long error, struct observed *o)
{
    int nverified = 0;

    memset(&o->in, 0, sizeof o->in);
    o->owned = NULL; /* the store context's, not ours */
    o->release = NULL;
    X509 *leaf = ossl.X509_STORE_CTX_get0_cert(ctx);
    int nserved = served_with_leaf(leaf, ossl.X509_STORE_CTX_get0_untrusted(ctx), o->served);
    o->verify_result = verified ? X509_V_OK : (error != X509_V_OK ? error : X509_V_ERR_UNSPECIFIED);
    if (verified)
        nverified = stack_to_array(ossl.X509_STORE_CTX_get0_chain(ctx), o->verified, VERIFIED_MAX);
    o->in.ops = &ossl_cert_ops;
    o->in.served = o->served;
    o->in.nserved = nserved;
    o->in.verified = nverified ? o->verified : NULL;
    o->in.nverified = nverified;
}
