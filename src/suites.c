/* Anonymous cipher suites (suites.h).
 *
 * An anonymous suite (aNULL: ADH, AECDH) shows no certificate, so nothing is
 * verified and nothing can be pinned, and any man in the middle can serve
 * it.  A client that allows them (a cipher list with "aNULL" at security
 * level 0) would finish such a handshake with a pinned host, and one driven
 * through an SSL BIO or functions taken with dlsym would send its first
 * bytes before any gate of ours could refuse.  So they are not offered where
 * such a handshake would be refused: libssl asks its security callback about
 * every suite it would offer (and about the one the server picks), and ours
 * says no to these, then asks the one it replaced.
 *
 * PSK and SRP suites show no certificate either, but prove a secret that a
 * man in the middle does not have: such a handshake is judged (and refused)
 * when it finishes, like a TLS 1.3 external PSK.  Holding them back too
 * would put the callback on nearly every handshake (OpenSSL's default list
 * names PSK suites, which libssl drops only later when the program set no
 * PSK callback), and it is asked hundreds of times a handshake.
 *
 * The callback is installed only on a connection that would be refused if
 * it finished with no certificate (an enforced entry; report mode changes
 * nothing) and whose cipher list holds an anonymous suite, which takes
 * security level 0 or a security callback of the program's own: nearly
 * never.  A handshake normally pays for two calls to see that. */
#include "config.h"
#include "suites.h"
#include "block.h"
#include "ossl.h"
#include "ossl_handshake.h"
#include "peer.h"
#include "route.h"
#include "runtime.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

/* The last callback ours replaced (nearly always libssl's default): asked
 * when an object carries ours without our state (a copy made by SSL_dup). */
static _Atomic(sec_cb_fn) last_replaced;

static bool anonymous(const SSL_CIPHER *c)
{
    return c && ossl.SSL_CIPHER_get_auth_nid(c) == NID_auth_null;
}

static int security_callback(const SSL *s, const SSL_CTX *ctx, int op, int bits, int nid, void *other, void *ex)
{
    if ((op & SSL_SECOP_OTHER_TYPE) == SSL_SECOP_OTHER_CIPHER && anonymous(other))
        return 0;
    const struct conn_state *c = conn_get(s);
    sec_cb_fn app = c && (c->flags & CONN_SEC_OURS) ? c->app_sec_cb : atomic_load(&last_replaced);
    /* None at all (cannot be): saying yes to every other question would
     * loosen the program's security level. */
    return app && app != security_callback ? app(s, ctx, op, bits, nid, other, ex) : 0;
}

/* Does the cipher list of `s` hold an anonymous suite?  `others`:
 * whether it holds any other that can be used (a TLS 1.3 suite only when
 * TLS 1.3 is allowed). */
static bool offers_anonymous(SSL *s, bool *others)
{
    const STACK_OF(SSL_CIPHER) *list = ossl.SSL_get_ciphers(s);
    int n = list ? ossl.OPENSSL_sk_num((const OPENSSL_STACK *)list) : 0;
    long max = ossl.SSL_ctrl(s, SSL_CTRL_GET_MAX_PROTO_VERSION, 0, NULL);
    bool tls13 = max == 0 || max >= TLS1_3_VERSION;
    bool any = false;
    *others = false;
    for (int i = 0; i < n; i++) {
        const SSL_CIPHER *c = ossl.OPENSSL_sk_value((const OPENSSL_STACK *)list, i);
        int auth = c ? ossl.SSL_CIPHER_get_auth_nid(c) : NID_undef;
        if (auth == NID_auth_null)
            any = true;
        else if (auth != NID_auth_any || tls13)
            *others = true;
    }
    return any;
}

/* Would this connection be refused if it finished with no certificate?
 * The same rules as the judgement's (handshake.c): an entry of any of its
 * names that is enforced and not expired, or none and `unpinned = "block"`.
 * Report mode changes nothing, so it offers what the client offers. */
static bool refuses_anonymous(const struct policy *p, SSL *s, const struct conn_state *c, int io_fd,
                             struct peer *who)
{
    if (p->error)
        return true; /* refused anyway: offer nothing that hides a key */
    struct handshake_id id;
    ossl_handshake_id(s, c, NULL, io_fd, &id);
    peer_names(id.sni, NULL, who);
    if (who->nnames == 0 || p->has_port_entries)
        peer_address(id.fd, id.io_fd, who);
    time_t now = time(NULL);
    bool any_entry = false;
    for (int i = 0; i < who->nnames; i++) {
        if (!who->names[i].valid)
            continue;
        const struct host_entry *e = policy_lookup(p, who->names[i].host, who->port);
        if (!e)
            continue;
        enum mode m = policy_effective_mode(p, e);
        any_entry = any_entry || m != MODE_OFF;
        if (m == MODE_ENFORCE && !(e->expires_at && now >= e->expires_at))
            return true;
    }
    return !any_entry && p->unpinned_block && policy_effective_mode(p, NULL) == MODE_ENFORCE;
}

void suites_restrict(SSL *s, struct conn_state *c, int io_fd)
{
    if (c->flags & CONN_SEC_OURS)
        return;
    /* TLS 1.3 only: every suite there is fine (and the scan is skipped). */
    if (ossl.SSL_ctrl(s, SSL_CTRL_GET_MIN_PROTO_VERSION, 0, NULL) >= TLS1_3_VERSION)
        return;
    /* libssl's own callback refuses anonymous suites at every security
     * level above 0 (ssl_security_default_callback, 1.1.1 and 3.x): then
     * none can be offered, and the list need not be read. */
    if (ossl.SSL_get_security_level(s) >= 1 && route_in_libssl((const void *)ossl.SSL_get_security_callback(s)))
        return;
    const struct policy *p = runtime_acquire();
    if (!p)
        return;
    bool others;
    if (runtime_covers_program(p) && (p->nentries > 0 || p->unpinned_block || p->error) &&
        offers_anonymous(s, &others)) {
        struct peer *who = malloc(sizeof *who);
        if (!who || refuses_anonymous(p, s, c, io_fd, who)) {
            if (!others)
                block_explain("anonymous cipher suites (no certificate) are not offered where pinning is "
                              "enforced, and this client allows no other");
            c->app_sec_cb = ossl.SSL_get_security_callback(s);
            if (c->app_sec_cb)
                atomic_store(&last_replaced, c->app_sec_cb);
            ossl.SSL_set_security_callback(s, security_callback);
            c->flags |= CONN_SEC_OURS;
        }
        free(who);
    }
    runtime_release(p);
}

void suites_give_back(SSL *s, struct conn_state *c)
{
    if (!(c->flags & CONN_SEC_OURS))
        return;
    if (ossl.SSL_get_security_callback(s) == security_callback)
        ossl.SSL_set_security_callback(s, c->app_sec_cb);
    c->app_sec_cb = NULL;
    c->flags &= ~(unsigned)CONN_SEC_OURS;
}
