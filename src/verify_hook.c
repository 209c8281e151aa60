/* Judging at certificate verification (DESIGN 3.6): libssl verifies a
 * server's chain by calling X509_verify_cert through its symbol table,
 * whatever drove the handshake (SSL_connect, an implicit read or write, an
 * SSL BIO, functions the program took with dlsym, a reused SSL after
 * SSL_clear, a renegotiation).  The verdict is given there, and a refusal
 * fails the verification: libssl sends an alert and ends the handshake
 * before the client's Finished, also for a client that verifies nothing
 * (block.c switches it to SSL_VERIFY_PEER for that).
 *
 * "Verified" means verified with no error overridden (DESIGN 3.2): the
 * program's verify callback is wrapped for the length of the call, and an
 * error reported to it makes the chain unverified for pinshim, whatever the
 * callback answered or cleared.
 *
 * A program that replaces verification with its own callback
 * (SSL_CTX_set_cert_verify_callback) gets that callback wrapped too: its
 * verdict is followed by ours, inside the handshake. */
#include "config.h"
#include "block.h"
#include "conn.h"
#include "handshake.h"
#include "ossl_handshake.h"
#include "ossl_observe.h"
#include "net_hook.h"
#include "observe.h"
#include "ossl.h"
#include "route.h"
#include "runtime.h"
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))
/* The client SSL a store context verifies for, or NULL (a server verifying a
 * client certificate, or a verification that is no TLS handshake's). */
static SSL *client_of(X509_STORE_CTX *ctx)
{
    SSL *s = ossl.X509_STORE_CTX_get_ex_data(ctx, runtime_verify_ssl_index());
    return s && !ossl.SSL_is_server(s) ? s : NULL;
}

/* Judge the chain `ctx` holds for client `s`.  true: allowed; false: refused
 * (the connection is already made dead, block.c).  `in_verification`: the
 * verification's answer is still to be read by libssl (block.h). */
static bool judge_verification(SSL *s, X509_STORE_CTX *ctx, bool verified, long error, int io_fd,
                               bool in_verification)
{
    struct conn_state *c = conn_obtain(s);
    struct judge_work *w = handshake_work_new();
    bool allowed;
    if (!w) {
        block_connection(s, c, "no memory to judge this connection", true);
        return false;
    }
    observe_verification(ctx, verified, error, &w->seen);
    const char *checked = NULL;
    if (verified) {
        /* The host name the chain verified against (the client asked for it
         * with SSL_set1_host or SSL_add1_host): a name it is judged by too. */
        X509_VERIFY_PARAM *param = ossl.X509_STORE_CTX_get0_param(ctx);
        checked = param ? ossl.X509_VERIFY_PARAM_get0_peername(param) : NULL;
    }
    allowed = ossl_handshake_judge(s, c, w, checked, io_fd);
    if (c)
        c->flags |= CONN_JUDGED;
    if (!allowed) {
        /* Ours must be the first error the program sees (curl reports the
         * first).  What the verification pushed (a bad signature's ASN.1
         * error, say) goes: libssl clears it anyway when the handshake goes
         * on, and a handshake call starts with an empty queue. */
        ossl.ERR_clear_error();
        block_connection(s, c, w->why, in_verification);
        ossl.X509_STORE_CTX_set_error(ctx, X509_V_ERR_APPLICATION_VERIFICATION);
    }
    handshake_work_free(w);
    return allowed;
}


/* ---- verifications pinshim did not see ----
 *
 * libssl brackets every verification of a peer's chain with two calls into
 * libcrypto: X509_STORE_CTX_set_default(ctx, "ssl_server") before (a client
 * verifying a server) and X509_VERIFY_PARAM_move_peername(s->param, param)
 * after, while the store context still holds the chain.  A program that
 * replaced verification with its own callback, set with a function it took
 * by dlsym (as .NET does), never reaches X509_verify_cert nor our
 * trampoline: the bracket tells, and the chain is judged there, unverified
 * for pinshim.  A refusal there can no longer fail the verification; the
 * shutdown flags (block.c) end the handshake at its next read, before the
 * client's Finished in TLS 1.3, and stop every write. */
#define OPEN_MAX 8
struct open_verification {
    X509_STORE_CTX *ctx;
    const X509_VERIFY_PARAM *param;
    /* While X509_verify_cert runs on it: the program's verify callback, which
     * ours wraps, and whether any check failed whatever that callback said. */
    X509_STORE_CTX_verify_cb app_cb;
    int first_error;
    bool error_seen;
    bool seen;                        /* judged (or left to libssl) by the hooks above */
};
/* Per thread, by value: a callback that leaves by longjmp leaves a stale
 * entry, never a dangling pointer; entries are found again by their store
 * context, never held across a call that may push or drop others. */
static __thread __attribute__((tls_model("initial-exec"))) struct open_verification t_open[OPEN_MAX];
static __thread __attribute__((tls_model("initial-exec"))) int t_nopen;

static int open_find(const X509_STORE_CTX *ctx)
{
    for (int i = t_nopen - 1; i >= 0; i--)
        if (t_open[i].ctx == ctx)
            return i;
    return -1;
}

static int open_push(X509_STORE_CTX *ctx)
{
    const X509_VERIFY_PARAM *param = ossl.X509_STORE_CTX_get0_param(ctx);
    /* What a callback left by longjmp abandoned, and what shares an address
     * with this one, goes first. */
    int n = 0;
    for (int i = 0; i < t_nopen; i++)
        if (t_open[i].ctx != ctx && t_open[i].param != param)
            t_open[n++] = t_open[i];
    if (n == OPEN_MAX) {
        memmove(&t_open[0], &t_open[1], (OPEN_MAX - 1) * sizeof t_open[0]);
        n--;
    }
    t_open[n] = (struct open_verification){ .ctx = ctx, .param = param };
    t_nopen = n + 1;
    return n;
}

static void open_seen(X509_STORE_CTX *ctx)
{
    int i = open_find(ctx);
    if (i < 0)
        i = open_push(ctx);
    t_open[i].seen = true;
}

/* The wrapper of the program's verify callback, for the length of one
 * X509_verify_cert call. */
static int frame_callback(int ok, X509_STORE_CTX *ctx)
{
    int i = open_find(ctx);
    if (i < 0)
        return ok; /* cannot happen while the wrapper is set */
    if (!ok && !t_open[i].error_seen) {
        t_open[i].error_seen = true;
        t_open[i].first_error = ossl.X509_STORE_CTX_get_error(ctx);
    }
    X509_STORE_CTX_verify_cb app = t_open[i].app_cb;
    return app ? app(ok, ctx) : ok; /* t_open may change in there: nothing read after */
}

EXPORT int X509_STORE_CTX_set_default(X509_STORE_CTX *ctx, const char *name)
{
    const void *caller = __builtin_return_address(0);
    enum route_kind kind = runtime_ready() ? route_of(caller) : ROUTE_FOREIGN;
    if (kind == ROUTE_FOREIGN) {
        int (*real)(X509_STORE_CTX *, const char *) =
            (int (*)(X509_STORE_CTX *, const char *))route_foreign_fn(caller, FN_X509_STORE_CTX_set_default);
        return real ? real(ctx, name) : 0;
    }
    int r = ossl.X509_STORE_CTX_set_default(ctx, name);
    if (r == 1 && kind == ROUTE_INTERNAL && ctx && name && strcmp(name, "ssl_server") == 0 && client_of(ctx))
        open_push(ctx);
    return r;
}

EXPORT void X509_VERIFY_PARAM_move_peername(X509_VERIFY_PARAM *to, X509_VERIFY_PARAM *from)
{
    const void *caller = __builtin_return_address(0);
    enum route_kind kind = runtime_ready() ? route_of(caller) : ROUTE_FOREIGN;
    if (kind == ROUTE_FOREIGN) {
        void (*real)(X509_VERIFY_PARAM *, X509_VERIFY_PARAM *) = (void (*)(X509_VERIFY_PARAM *, X509_VERIFY_PARAM *))
            route_foreign_fn(caller, FN_X509_VERIFY_PARAM_move_peername);
        if (real)
            real(to, from);
        return;
    }
    if (from && kind == ROUTE_INTERNAL) {
        for (int i = t_nopen - 1; i >= 0; i--) {
            if (t_open[i].param != from)
                continue;
            struct open_verification v = t_open[i];
            t_nopen = i; /* closed, with anything a longjmp left above it */
            SSL *s = v.seen ? NULL : client_of(v.ctx);
            if (s && runtime_in_scope()) {
                long error = ossl.X509_STORE_CTX_get_error(v.ctx);
                judge_verification(s, v.ctx, false, error != X509_V_OK ? error : X509_V_ERR_UNSPECIFIED,
                                   net_last_socket(), false);
            }
            break;
        }
    }
    ossl.X509_VERIFY_PARAM_move_peername(to, from);
}

EXPORT int X509_verify_cert(X509_STORE_CTX *ctx)
{
    const void *caller = __builtin_return_address(0);
    if (!runtime_ready() || route_of(caller) == ROUTE_FOREIGN) {
        int (*real)(X509_STORE_CTX *) = (int (*)(X509_STORE_CTX *))route_foreign_fn(caller, FN_X509_verify_cert);
        return real ? real(ctx) : -1;
    }
    SSL *s = ctx ? client_of(ctx) : NULL;
    if (!s || !runtime_in_scope())
        return ossl.X509_verify_cert(ctx);
    open_seen(ctx);

    /* Taken before the program's callbacks run (they may make connections
     * of their own): the socket the certificate just came over. */
    int io_fd = net_last_socket();
    struct conn_state *c = conn_get(s);
    if (c && (c->flags & CONN_FORCED_VERIFY))
        conn_handshake_starts(s, c); /* a renegotiation: give back the verify mode */

    int i = open_find(ctx);
    X509_STORE_CTX_verify_cb app_cb = ossl.X509_STORE_CTX_get_verify_cb(ctx);
    t_open[i].app_cb = app_cb;
    t_open[i].error_seen = false;
    t_open[i].first_error = X509_V_OK;
    ossl.X509_STORE_CTX_set_verify_cb(ctx, frame_callback);
    int rv = ossl.X509_verify_cert(ctx);
    ossl.X509_STORE_CTX_set_verify_cb(ctx, app_cb);
    long error = ossl.X509_STORE_CTX_get_error(ctx);
    /* Found again: the callbacks may have pushed and dropped entries.  Gone
     * (more than OPEN_MAX nested verifications): count it as an error. */
    i = open_find(ctx);
    bool error_seen = i < 0 || t_open[i].error_seen;
    int first_error = i < 0 ? X509_V_ERR_UNSPECIFIED : t_open[i].first_error;
    bool verified = rv > 0 && !error_seen && error == X509_V_OK;

    /* A failed verification that libssl itself will refuse (the client
     * verifies, and libssl called us) needs no verdict of ours: the client
     * sees OpenSSL's own reason.  A program's cert-verify callback may still
     * override the failure (it called us): that one is judged. */
    if (rv <= 0 && route_of(caller) == ROUTE_INTERNAL && ossl.SSL_get_verify_mode(s) != SSL_VERIFY_NONE)
        return rv;
    if (!verified && error_seen)
        error = first_error;
    if (!judge_verification(s, ctx, verified, error, io_fd, true))
        return 0;
    return rv;
}

/* ---- a program's own verification (SSL_CTX_set_cert_verify_callback) ---- */

typedef int (*cert_verify_fn)(X509_STORE_CTX *, void *);

struct app_verify {
    cert_verify_fn cb;
    void *arg;
};

static int app_verify_trampoline(X509_STORE_CTX *ctx, void *arg)
{
    const struct app_verify *app = arg;
    SSL *s = client_of(ctx);
    struct conn_state *c = s ? conn_obtain(s) : NULL;
    open_seen(ctx);
    /* Did the program's callback have our hook judge the chain (it called
     * X509_verify_cert)?  The flag says, set afresh for this verification. */
    if (c)
        c->flags &= ~(unsigned)(CONN_JUDGED | CONN_REFUSED);
    int rv = app->cb(ctx, app->arg);
    if (!s || !runtime_in_scope())
        return rv;
    if (c && (c->flags & CONN_REFUSED)) {
        /* Refused inside; the callback's answer does not change that. */
        ossl.X509_STORE_CTX_set_error(ctx, X509_V_ERR_APPLICATION_VERIFICATION);
        return 0;
    }
    if (c && (c->flags & CONN_JUDGED))
        return rv;
    if (rv <= 0 && ossl.SSL_get_verify_mode(s) != SSL_VERIFY_NONE)
        return rv; /* the program refuses on its own */
    /* The program decided alone: for pinshim the chain is unverified, and
     * only the presented certificates that really signed each other count. */
    long error = ossl.X509_STORE_CTX_get_error(ctx);
    if (!judge_verification(s, ctx, false, error != X509_V_OK ? error : X509_V_ERR_UNSPECIFIED,
                            net_last_socket(), true))
        return 0;
    return rv;
}

EXPORT void SSL_CTX_set_cert_verify_callback(SSL_CTX *ctx, cert_verify_fn cb, void *arg)
{
    const void *caller = __builtin_return_address(0);
    if (!runtime_ready() || route_of(caller) == ROUTE_FOREIGN) {
        void (*real)(SSL_CTX *, cert_verify_fn, void *) =
            (void (*)(SSL_CTX *, cert_verify_fn, void *))route_foreign_fn(caller, FN_SSL_CTX_set_cert_verify_callback);
        if (real)
            real(ctx, cb, arg);
        return;
    }
    if (!ctx || runtime_ssl_ctx_index() < 0) {
        ossl.SSL_CTX_set_cert_verify_callback(ctx, cb, arg);
        return;
    }
    /* The record lives in the SSL_CTX's ex_data, freed with it (runtime.c);
     * a record set before is replaced, and freed here. */
    struct app_verify *old = ossl.SSL_CTX_get_ex_data(ctx, runtime_ssl_ctx_index());
    struct app_verify *app = cb ? malloc(sizeof *app) : NULL;
    if (app) {
        app->cb = cb;
        app->arg = arg;
    }
    if (!app || ossl.SSL_CTX_set_ex_data(ctx, runtime_ssl_ctx_index(), app) != 1) {
        /* None to wrap (cb NULL), or no room to: the program's callback
         * alone; the backstop judges after the handshake (hook.c). */
        free(app);
        ossl.SSL_CTX_set_cert_verify_callback(ctx, cb, arg);
        if (ossl.SSL_CTX_set_ex_data(ctx, runtime_ssl_ctx_index(), NULL) == 1)
            free(old);
        return;
    }
    ossl.SSL_CTX_set_cert_verify_callback(ctx, app_verify_trampoline, app);
    free(old);
}
