/* A session the client is about to offer (DESIGN 3.5).  A resumption carries
 * no chain; its leaf is judged against the current pins, with what a full
 * handshake of this process showed for that leaf (memo.h).  A session that
 * would not pass that way (its leaf matches no pin and nothing is known of
 * its chain, say a session saved by another process and CA pins only; or
 * the pins changed since) is not offered: it is dropped before the
 * ClientHello, and the full handshake that follows decides.  So early data,
 * which rides on the session, only ever goes to a session that passes. */
#include "config.h"
#include "session.h"
#include "judge.h"
#include "ossl.h"
#include "ossl_cert.h"
#include "ossl_handshake.h"
#include "peer.h"
#include "runtime.h"
#include "tofu.h"
#include <stdlib.h>
#include <string.h>

struct vet_work {
    struct peer who;
    struct judgement j;
    struct tofu_view tofu;
};

/* Would the session with leaf `leaf` pass for every name it is judged by? */
static bool session_passes(const struct policy *p, SSL *s, const struct conn_state *c, X509 *leaf, int io_fd,
                           struct vet_work *w)
{
    const struct cert *served[1] = { ossl_cert(leaf) };
    struct chain_input in = { .ops = &ossl_cert_ops, .served = served, .nserved = 1, .resumed = true };
    time_t now = time(NULL);

    if (p->error)
        return false; /* refused anyway: let the full handshake say why */
    struct handshake_id id;
    ossl_handshake_id(s, c, NULL, io_fd, &id);
    peer_names(id.sni, NULL, &w->who);
    if (w->who.nnames == 0 || p->has_port_entries)
        peer_address(id.fd, id.io_fd, &w->who);
    for (int i = 0; i < w->who.nnames; i++) {
        if (!w->who.names[i].valid)
            continue;
        const struct host_entry *e = policy_lookup(p, w->who.names[i].host, w->who.port);
        if (!e || policy_effective_mode(p, e) == MODE_OFF)
            continue;
        if (e->tofu != TOFU_NONE)
            e = tofu_resolve(p, e, w->who.names[i].host, &in, X509_V_OK, now, false, &w->tofu);
        judge_chain(e, &in, now, &w->j);
        if (w->j.verdict != VERDICT_PASS && w->j.verdict != VERDICT_EXPIRED)
            return false;
    }
    return true;
}

bool session_vet(SSL *s, struct conn_state *c, int io_fd)
{
    SSL_SESSION *sess = ossl.SSL_get_session(s);
    if (!sess || !ossl.SSL_SESSION_is_resumable(sess))
        return false;
    X509 *leaf = ossl.SSL_SESSION_get0_peer(sess);
    if (!leaf)
        return false; /* a pre-shared key, no certificate: judged when it finishes */
    const struct policy *p = runtime_acquire();
    if (!p)
        return false;
    bool drop = false;
    if (runtime_covers_program(p)) {
        struct vet_work *w = malloc(sizeof *w);
        ossl.ERR_set_mark();
        drop = !w || !session_passes(p, s, c, leaf, io_fd, w);
        ossl.ERR_pop_to_mark();
        free(w);
        if (c && !drop && !p->log_all_verdicts) {
            /* Resumed under this very policy, it passes as it did here;
             * verdicts = "all" wants it logged when it finishes. */
            c->vetted_session = sess;
            c->vetted_generation = runtime_generation(p);
        }
    }
    runtime_release(p);
    if (drop)
        ossl.SSL_set_session(s, NULL);
    return drop;
}
