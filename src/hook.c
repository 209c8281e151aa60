/* The interposed libssl entry points.  Every call is passed to the real
 * libssl; the judgement itself is given at certificate verification
 * (verify_hook.c).  What this file adds:
 *
 * - SSL_clear, which libssl itself calls when any handshake starts, whatever
 *   drove it: forget the last verdict, give back what a refusal changed, and
 *   vet the session the client is about to offer (session.c);
 * - at that start, when a session is about to be offered: our info callback
 *   on the object (the program's own stays in force, chained), which judges
 *   a handshake that finished without a verification (a resumption) even
 *   when libssl's internals or functions taken with dlsym drove it;
 * - the handshake calls and the reads and writes, as the backstop: they judge
 *   a finished handshake that has no verdict yet, and fail on a refused one.
 *   Results <= 0 pass through for non-blocking retries.
 *
 * A handshake is judged once, when it has really finished
 * (SSL_is_init_finished: SSL_connect returns 1 after only sending early data,
 * and that is not finished).  Calls libssl makes to itself pass straight
 * through; calls from objects that use another libssl go to theirs
 * (route.h). */
#include "config.h"
#include "block.h"
#include "conn.h"
#include "handshake.h"
#include "ossl_handshake.h"
#include "ossl_observe.h"
#include "net_hook.h"
#include "ossl.h"
#include "route.h"
#include "runtime.h"
#include "session.h"
#include "suites.h"
#include <stdio.h>
#include <stdlib.h>

#define EXPORT __attribute__((visibility("default")))

/* The caller's own function when it is not ours to judge (a foreign libssl,
 * or none could be bound): said once as `uncovered`. */
static void *foreign(const void *caller, enum route_fn fn)
{
    char what[160];
    route_foreign_library(caller, what, sizeof what);
    runtime_uncovered(what, true);
    return route_foreign_fn(caller, fn);
}

#define ROUTE(fn, type, args, fail)                                                              \
    const void *caller = __builtin_return_address(0);                                            \
    enum route_kind kind = runtime_ready() ? route_of(caller) : ROUTE_FOREIGN;               \
    if (kind == ROUTE_FOREIGN) {                                                                 \
        __typeof__(type) real = (__typeof__(type))foreign(caller, FN_##fn);                                              \
        return real ? real args : fail; /* NOLINT(bugprone-macro-parentheses): args is a list */ \
    }


/* Judge a finished client handshake that has no verdict yet (a resumption,
 * or a verification pinshim did not see).  false: refused (made dead). */
/* A resumption of the session vetted when this handshake started, under the
 * same policy: it passed then, and nothing it is judged by has changed. */
static bool vetted_resumption(SSL *s, const struct conn_state *c)
{
    if (!c || !c->vetted_session || ossl.SSL_session_reused(s) != 1 || ossl.SSL_get_session(s) != c->vetted_session)
        return false;
    const struct policy *p = runtime_acquire();
    bool same = p && runtime_generation(p) == c->vetted_generation;
    runtime_release(p);
    return same;
}

static bool judge_finished(SSL *s, struct conn_state *c)
{
    if (!runtime_in_scope() || vetted_resumption(s, c))
        return true;
    struct judge_work *w = handshake_work_new();
    if (!w) {
        block_connection(s, c, "no memory to judge this connection", false);
        return false;
    }
    observe_handshake(s, &w->seen);
    const char *checked = NULL;
    if (!w->seen.in.resumed && w->seen.in.nverified > 0)
        checked = ossl.SSL_get0_peername(s);
    bool allowed = ossl_handshake_judge(s, c, w, checked, net_last_socket());
    if (c)
        c->flags |= CONN_JUDGED;
    if (!allowed)
        block_connection(s, c, w->why, false);
    handshake_work_free(w);
    return allowed;
}

/* After a call that may have finished the handshake returned `r`. */
static int after_handshake(SSL *s, int r)
{
    if (r != 1 || ossl.SSL_is_server(s))
        return r;
    struct conn_state *c = conn_obtain(s);
    if (c && (c->flags & CONN_REFUSED)) {
        block_again(s);
        return -1;
    }
    if (!ossl.SSL_is_init_finished(s) || (c && (c->flags & CONN_JUDGED)))
        return r;
    return judge_finished(s, c) ? r : -1;
}

static int handshake_call(SSL *s, int (*real)(SSL *))
{
    const struct conn_state *c = conn_get(s);
    if (c && (c->flags & CONN_REFUSED) && !ossl.SSL_in_before(s)) {
        block_again(s);
        return -1;
    }
    return after_handshake(s, real(s));
}

EXPORT int SSL_connect(SSL *s)
{
    ROUTE(SSL_connect, int (*)(SSL *), (s), -1)
    return kind == ROUTE_INTERNAL ? ossl.SSL_connect(s) : handshake_call(s, ossl.SSL_connect);
}

EXPORT int SSL_do_handshake(SSL *s)
{
    ROUTE(SSL_do_handshake, int (*)(SSL *), (s), -1)
    /* libssl calls it itself for SSL_connect and for an SSL BIO's
     * BIO_do_handshake: judging there too covers the BIO's resumptions. */
    return handshake_call(s, ossl.SSL_do_handshake);
}

/* Before application data moves: 1 to go on, else the value to return. */
static int io_gate(SSL *s)
{
    if (ossl.SSL_is_server(s))
        return 1;
    const struct conn_state *c = conn_get(s);
    if (c && (c->flags & CONN_REFUSED)) {
        block_again(s);
        return -1;
    }
    if (!ossl.SSL_is_init_finished(s)) {
        /* The call would run the handshake itself (openssl s_client's
         * first write): run it here, so it is judged before a byte moves. */
        int r = handshake_call(s, ossl.SSL_do_handshake);
        return r == 1 ? 1 : r;
    }
    if (c && (c->flags & CONN_JUDGED))
        return 1;
    return after_handshake(s, 1);
}

#define IO_WRAPPER(ret, name, params, args, fail)                 \
    EXPORT ret name params                                        \
    {                                                             \
        ROUTE(name, ret(*) params, args, fail) /* NOLINT(bugprone-macro-parentheses) */ \
        if (kind == ROUTE_INTERNAL)                               \
            return ossl.name args;                                \
        int g = io_gate(s);                                       \
        if (g <= 0)                                               \
            return (fail) == 0 ? 0 : g;                           \
        return ossl.name args;                                    \
    }

IO_WRAPPER(int, SSL_read, (SSL *s, void *buf, int num), (s, buf, num), -1)
IO_WRAPPER(int, SSL_peek, (SSL *s, void *buf, int num), (s, buf, num), -1)
IO_WRAPPER(int, SSL_write, (SSL *s, const void *buf, int num), (s, buf, num), -1)
IO_WRAPPER(int, SSL_read_ex, (SSL *s, void *buf, size_t num, size_t *n), (s, buf, num, n), 0)
IO_WRAPPER(int, SSL_peek_ex, (SSL *s, void *buf, size_t num, size_t *n), (s, buf, num, n), 0)
IO_WRAPPER(int, SSL_write_ex, (SSL *s, const void *buf, size_t num, size_t *n), (s, buf, num, n), 0)

/* Kernel TLS (3.x): the same gate; the shutdown flags of a refused
 * connection stop it inside libssl too. */
EXPORT ossl_ssize_t SSL_sendfile(SSL *s, int fd, off_t offset, size_t size, int flags)
{
    ROUTE(SSL_sendfile, ossl_ssize_t(*)(SSL *, int, off_t, size_t, int), (s, fd, offset, size, flags), -1)
    if (!ossl.SSL_sendfile)
        return -1;
    if (kind != ROUTE_INTERNAL) {
        int g = io_gate(s);
        if (g <= 0)
            return g;
    }
    return ossl.SSL_sendfile(s, fd, offset, size, flags);
}

/* Early data rides on the session before the server has shown anything: the
 * session is vetted first (the real call starts the handshake, whose
 * SSL_clear would vet it too, but then too late to fail cleanly). */
EXPORT int SSL_write_early_data(SSL *s, const void *buf, size_t num, size_t *written)
{
    ROUTE(SSL_write_early_data, int (*)(SSL *, const void *, size_t, size_t *), (s, buf, num, written), 0)
    if (kind != ROUTE_INTERNAL && !ossl.SSL_is_server(s) && ossl.SSL_in_before(s) && runtime_in_scope()) {
        struct conn_state *c = conn_obtain(s);
        if (c)
            conn_handshake_starts(s, c);
        if (session_vet(s, c, -1))
            block_explain("the session to resume would not pass the pins (or cannot be checked against "
                          "them): not offered, so no early data can be sent");
    }
    return ossl.SSL_write_early_data(s, buf, num, written);
}

/* ---- the info callback ---- */

/* A handshake finished: judged now if nothing judged it yet. */
static void info_done(SSL *s, struct conn_state *c)
{
    if (c && !(c->flags & (CONN_JUDGED | CONN_REFUSED)) && !ossl.SSL_is_server(s))
        judge_finished(s, c);
}

/* Ours, when the program has an info callback of its own on the SSL. */
static void info_callback(const SSL *cs, int where, int ret)
{
    SSL *s = (SSL *)cs; /* libssl hands its own object; judging reads and marks it */
    struct conn_state *c = conn_get(s);
    info_cb_fn app = c && (c->flags & CONN_INFO_OURS) ? c->app_info_cb : NULL;
    if (!app)
        app = ossl.SSL_CTX_get_info_callback(ossl.SSL_get_SSL_CTX(s));
    if (where & SSL_CB_HANDSHAKE_DONE)
        info_done(s, c);
    if (app)
        app(cs, where, ret);
}

/* Ours, when the program has none on the SSL (nearly always): the state is
 * looked up only when the handshake is done, not at each of its steps. */
static void info_callback_ctx(const SSL *cs, int where, int ret)
{
    SSL *s = (SSL *)cs;
    if (where & SSL_CB_HANDSHAKE_DONE)
        info_done(s, conn_get(s));
    info_cb_fn app = ossl.SSL_CTX_get_info_callback(ossl.SSL_get_SSL_CTX(s));
    if (app)
        app(cs, where, ret);
}

static bool ours(info_cb_fn cb)
{
    return cb == info_callback || cb == info_callback_ctx;
}

/* Our info callback on `s` (the variant that fits), the program's own
 * (SSL-level) one kept in `c`. */
static void put_info_callback(SSL *s, struct conn_state *c, info_cb_fn app)
{
    c->app_info_cb = ours(app) ? NULL : app;
    ossl.SSL_set_info_callback(s, c->app_info_cb ? info_callback : info_callback_ctx);
    c->flags |= CONN_INFO_OURS;
}

/* Our info callback on `s`, the program's own (SSL-level) kept and called
 * from ours; an SSL_CTX-level one is called when it has none. */
static void watch_handshake(SSL *s, struct conn_state *c)
{
    if (c->flags & CONN_INFO_OURS)
        return;
    put_info_callback(s, c, ossl.SSL_get_info_callback(s));
}

/* ---- handshakes starting: SSL_clear ---- */

EXPORT int SSL_clear(SSL *s)
{
    ROUTE(SSL_clear, int (*)(SSL *), (s), 0)
    int r = ossl.SSL_clear(s);
    if (r != 1 || !s)
        return r;
    struct conn_state *c = conn_get(s);
    /* Inside SSL_new the object is half made (no BIO yet, no ex_data):
     * nothing to note then. */
    if (!c && ossl.SSL_get_rbio(s))
        c = conn_obtain(s);
    if (!c)
        return r;
    conn_handshake_starts(s, c);
    /* libssl calls SSL_clear when a handshake starts, before the ClientHello:
     * the session about to be offered is vetted there, whatever drove the
     * handshake.  The program's own SSL_clear comes before it sets the next
     * session and name: nothing to vet yet. */
    if (kind == ROUTE_INTERNAL && !ossl.SSL_is_server(s) && ossl.SSL_in_before(s) && runtime_in_scope()) {
        int io_fd = net_last_socket();
        session_vet(s, c, io_fd);
        suites_restrict(s, c, io_fd);
        /* A handshake that shows no certificate to verify (a resumption;
         * anonymous DH or a pre-shared key, in a client that allows them)
         * never reaches X509_verify_cert, and one driven through an SSL BIO
         * or functions taken with dlsym crosses none of our gates: our info
         * callback, which libssl calls however the handshake was driven,
         * judges it when it is done.  A full one is judged at verification
         * already and is not judged again. */
        watch_handshake(s, c);
    }
    return r;
}

EXPORT void SSL_set_info_callback(SSL *s, info_cb_fn cb)
{
    const void *caller = __builtin_return_address(0);
    if (!runtime_ready() || route_of(caller) == ROUTE_FOREIGN) {
        void (*real)(SSL *, info_cb_fn) = (void (*)(SSL *, info_cb_fn))foreign(caller, FN_SSL_set_info_callback);
        if (real)
            real(s, cb);
        return;
    }
    struct conn_state *c = conn_get(s);
    if (c && (c->flags & CONN_INFO_OURS)) {
        put_info_callback(s, c, cb);
        return;
    }
    ossl.SSL_set_info_callback(s, cb);
}

EXPORT info_cb_fn SSL_get_info_callback(const SSL *s)
{
    ROUTE(SSL_get_info_callback, info_cb_fn(*)(const SSL *), (s), NULL)
    const struct conn_state *c = conn_get(s);
    if (c && (c->flags & CONN_INFO_OURS))
        return c->app_info_cb;
    return ossl.SSL_get_info_callback(s);
}
