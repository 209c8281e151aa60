/* GnuTLS client sessions judged (DESIGN 12): hook -> judge -> act for
 * libgnutls 3.7, bound at run time in processes that have it loaded.
 *
 * Where the verdict is given, inside the handshake:
 *  - gnutls_certificate_verify_peers{,2,3}: a session-level verifier (apt's,
 *    gnutls_session_set_verify_cert's) calls them through libgnutls's symbol
 *    table; the chain is judged right after GnuTLS verified it, with the
 *    verified path read from GnuTLS's verify output callback, and a refusal
 *    adds GNUTLS_CERT_INVALID to the status, so the verifier fails the
 *    handshake and gnutls_session_get_verify_cert_status says so;
 *  - a verify function of ours on the session (wrapping the program's) and on
 *    the certificate credentials when they are attached (wrapping the
 *    program's): clients that verify only after the handshake (wget,
 *    libcurl-gnutls) or not at all are judged there, and a refusal fails the
 *    handshake with GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
 *  - gnutls_handshake's end: a handshake no verify function saw (a resumed
 *    session, a pre-shared key) is judged there (the backstop);
 *  - gnutls_session_set_data: a session the program wants to resume is held
 *    back until its handshake starts, then offered only when its leaf would
 *    pass under the policy of that moment (DESIGN 3.5); else the handshake
 *    is a full one, judged like any other, never refused for want of a
 *    chain;
 *  - the record calls refuse on a refused session, whatever calls them.
 * Server sessions are never judged. */
#include "config.h"
#include "gnutls_api.h"
#include "gnutls_cert.h"
#include "gnutls_state.h"
#include "handshake.h"
#include "net_hook.h"
#include "runtime.h"
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))
#define THREAD_LOCAL __thread __attribute__((tls_model("initial-exec")))

/* ---- binding ---- */

static pthread_once_t bind_once = PTHREAD_ONCE_INIT;
static bool bound;
static char version[64];
static char bind_failure[200];

static void do_bind(void)
{
    bound = gnutls_bind_runtime((const void *)&do_bind, version, sizeof version, bind_failure,
                                sizeof bind_failure) == 0;
}

static const char *library_name(void)
{
    return version[0] ? version : NULL;
}

/* Bound, and the program in scope (a policy is loaded on the way). */
static bool judging(void)
{
    pthread_once(&bind_once, do_bind);
    if (!bound)
        return false;
    return runtime_covers();
}

/* The real function.  When binding failed (a libgnutls lacking a function),
 * the next object's, passing everything through untouched as for any
 * library pinshim cannot judge; and when libgnutls is not in the global
 * scope (opened RTLD_LOCAL, its functions taken with dlsym, as Wine does),
 * its own: its internal calls (gnutls_record_send calls gnutls_record_send2)
 * come here through its PLT all the same. */
#define REAL(name) (ready() ? gnu.name : (__typeof__(gnu.name))next_symbol(#name))

struct symbol_query {
    const char *name;
    void *fn;
};

static int find_libgnutls(struct dl_phdr_info *info, size_t size, void *data)
{
    struct symbol_query *q = data;
    (void)size;
    const char *path = info->dlpi_name ? info->dlpi_name : "";
    const char *slash = strrchr(path, '/');
    if (strncmp(slash ? slash + 1 : path, "libgnutls.so.", 13) != 0)
        return 0;
    void *h = dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
    if (!h)
        return 0;
    q->fn = dlsym(h, q->name); /* its own scope: libgnutls and its dependencies */
    dlclose(h);
    return q->fn != NULL;
}

static void *next_symbol(const char *name)
{
    struct symbol_query q = { name, dlsym(RTLD_NEXT, name) };
    if (!q.fn)
        dl_iterate_phdr(find_libgnutls, &q);
    return q.fn;
}

static bool ready(void)
{
    pthread_once(&bind_once, do_bind);
    return bound;
}

/* ---- what the session showed ---- */

/* The verified path, as GnuTLS's verify output callback reports it while it
 * verifies: one (certificate, issuer) pair a link, top of the chain first,
 * each certificate a copy of its DER (hashed only if the judgement asks for
 * its pin).  Per thread: the callback is not told the session. */
#define PATH_MAX_PAIRS 32
struct path_record {
    int n;
    gnutls_verify_output_function *app;   /* the program's own, called too */
    struct {
        gnutls_x509_crt_t cert, issuer;   /* identities only: GnuTLS frees them after */
        struct gnutls_cert c, i;          /* own the DER copies (path_free) */
        unsigned status;
    } pairs[PATH_MAX_PAIRS];
};

/* Only what is used is initialised: the pairs are written as they come. */
static struct path_record *path_new(gnutls_verify_output_function *app)
{
    struct path_record *r = malloc(sizeof *r);
    if (r) {
        r->n = 0;
        r->app = app;
    }
    return r;
}

static void path_free(struct path_record *r)
{
    for (int k = 0; r && k < r->n; k++) {
        gnutls_cert_free_copy(&r->pairs[k].c);
        gnutls_cert_free_copy(&r->pairs[k].i);
    }
    free(r);
}
static THREAD_LOCAL struct path_record *t_path;

static int output_callback(gnutls_x509_crt_t cert, gnutls_x509_crt_t issuer, gnutls_x509_crl_t crl,
                           unsigned int verification_output)
{
    struct path_record *r = t_path;
    if (r && !crl && cert && issuer && r->n < PATH_MAX_PAIRS) {
        int k = r->n++;
        r->pairs[k].cert = cert;
        r->pairs[k].issuer = issuer;
        r->pairs[k].status = verification_output;
        gnutls_cert_of_crt(&r->pairs[k].c, cert);
        gnutls_cert_of_crt(&r->pairs[k].i, issuer);
    }
    return r && r->app ? r->app(cert, issuer, crl, verification_output) : 0;
}

struct observation {
    struct gnutls_cert served[CHAIN_MAX];
    int nserved;
    struct gnutls_cert path[PATH_MAX_PAIRS + 1];
    int npath;
};

static void release_observation(struct observed *o)
{
    struct observation *g = o->owned;
    for (int i = 0; i < g->nserved; i++)
        gnutls_cert_clear(&g->served[i]);
    for (int i = 0; i < g->npath; i++)
        gnutls_cert_clear(&g->path[i]); /* their DER is the path record's */
    free(g);
}

/* The verified path in order, leaf first: the leaf is the certificate that
 * issued nothing; each next one is the issuer of the one before. */
static int order_path(const struct path_record *r, struct gnutls_cert *out, int max)
{
    int at = -1, n = 0;
    for (int i = 0; i < r->n && at < 0; i++) {
        bool issuer_of_some = false;
        for (int k = 0; k < r->n; k++)
            issuer_of_some = issuer_of_some || r->pairs[k].issuer == r->pairs[i].cert;
        if (!issuer_of_some)
            at = i;
    }
    while (at >= 0 && n < max - 1) {
        out[n++] = r->pairs[at].c;
        int next = -1;
        for (int k = 0; k < r->n && next < 0; k++)
            if (r->pairs[k].cert == r->pairs[at].issuer)
                next = k;
        if (next < 0 || next == at) {
            /* the top: its issuer is the trust anchor (unless self-issued) */
            if (r->pairs[at].issuer != r->pairs[at].cert)
                out[n++] = r->pairs[at].i;
            break;
        }
        at = next;
    }
    return n;
}

/* Judge the session now.  `verified`: GnuTLS verified the chain with no
 * error (then `path` holds the verified path); `status`: its status. */
static bool judge_session(gnutls_session_t session, struct gnutls_state *st, bool verified, unsigned status,
                          const struct path_record *path)
{
    struct observation *g = malloc(sizeof *g); /* filled up to nserved and npath */
    struct judge_work *w = g ? handshake_work_new() : NULL;
    if (!w) {
        free(g);
        gstate_refuse(st);
        return false; /* fail closed */
    }
    g->nserved = g->npath = 0;
    unsigned n = 0;
    const gnutls_datum_t *peers = gnu.gnutls_certificate_type_get(session) == GNUTLS_CRT_X509
                                      ? gnu.gnutls_certificate_get_peers(session, &n)
                                      : NULL;
    for (unsigned i = 0; peers && i < n && g->nserved < CHAIN_MAX; i++)
        gnutls_cert_of_der(&g->served[g->nserved++], &peers[i]);
    if (verified && path)
        g->npath = order_path(path, g->path, (int)(sizeof g->path / sizeof g->path[0]));

    struct observed *o = &w->seen;
    memset(&o->in, 0, sizeof o->in);
    for (int i = 0; i < g->nserved; i++)
        o->served[i] = gnutls_cert_ref(&g->served[i]);
    for (int i = 0; i < g->npath && i < VERIFIED_MAX; i++)
        o->verified[i] = gnutls_cert_ref(&g->path[i]);
    o->owned = g;
    o->release = release_observation;
    o->in.ops = &gnutls_cert_ops;
    o->in.served = o->served;
    o->in.nserved = g->nserved;
    o->in.resumed = gnu.gnutls_session_is_resumed(session) != 0;
    o->in.verified = g->npath > 0 && !o->in.resumed ? o->verified : NULL;
    o->in.nverified = o->in.verified ? g->npath : 0;
    o->verify_result = verified ? VERIFY_OK : (long)(status ? status : GNUTLS_CERT_INVALID);

    /* The transport is the socket, or a pointer of the program's (its own
     * push and pull, as libldap's): read as a number, a pointer is no small
     * descriptor, and one that is no socket of a peer is passed over. */
    int fd = gnu.gnutls_transport_get_int(session);
    struct handshake_id id = {
        .sni = st->sni[0] ? st->sni : NULL,
        .checked = st->checked[0] ? st->checked : NULL,
        .fd = fd >= 0 && fd < (1 << 20) ? fd : -1,
        .io_fd = net_recent_socket(),
        .library = library_name,
    };
    bool allowed = handshake_judge(&id, w);
    handshake_work_free(w);
    st->flags |= GS_JUDGED;
    if (!allowed)
        gstate_refuse(st);
    return allowed;
}

/* ---- the verify functions ---- */

/* Verification with the judgement after it; `call` runs the real one. */
struct verify_call {
    int which;                     /* 0: verify_peers, 2: verify_peers2, 3: verify_peers3 */
    gnutls_typed_vdata_st *data;
    unsigned elements;
    const char *hostname;
};

/* A session whose gnutls_init pinshim did not see: libgnutls opened with
 * RTLD_LOCAL and its functions taken with dlsym (Wine does so).  Its
 * verification still comes here, through libgnutls's own calls (the
 * in-handshake verifier of gnutls_session_set_verify_cert, verify_peers3
 * calling verify_peers).  It is a client's when it presents no certificate
 * of its own: a server verifying a client's has sent its own first.  Its
 * gnutls_deinit will not be seen either, and its address may come back for
 * another session: the entry holds the handshake's client random, and a
 * new one starts afresh. */
static struct gnutls_state *adopt(gnutls_session_t session, struct gnutls_state *st)
{
    gnutls_datum_t client = { NULL, 0 }, server = { NULL, 0 };
    gnu.gnutls_session_get_random(session, &client, &server);
    if (!client.data || client.size != sizeof st->client_random)
        return st && !(st->flags & GS_ADOPTED) ? st : NULL;
    if (st && (!(st->flags & GS_ADOPTED) || memcmp(st->client_random, client.data, client.size) == 0))
        return st;
    if (gnu.gnutls_certificate_get_ours(session) || !gstate_add(session))
        return NULL;
    st = gstate_get(session);
    if (st) {
        st->flags = GS_ADOPTED;
        memcpy(st->client_random, client.data, client.size);
    }
    return st;
}

static int verify_and_judge(gnutls_session_t session, const struct verify_call *v, unsigned int *status)
{
    struct gnutls_state *st = judging() ? gstate_get(session) : NULL;
    if (judging() && (!st || (st->flags & GS_ADOPTED)))
        st = adopt(session, st);
    if (st && v->which == 2 && (st->flags & GS_VERIFIED_EARLY) && !(st->flags & GS_IN_HANDSHAKE) &&
        !st->app_output) {
        st->flags &= ~(unsigned)GS_VERIFIED_EARLY; /* once: a later call verifies afresh */
        *status = st->verify_status | ((st->flags & GS_REFUSED) ? GNUTLS_CERT_INVALID : 0);
        return st->verify_ret;
    }
    if (!st) {
        if (v->which == 3)
            return REAL(gnutls_certificate_verify_peers3)(session, v->hostname, status);
        if (v->which == 2)
            return REAL(gnutls_certificate_verify_peers2)(session, status);
        return REAL(gnutls_certificate_verify_peers)(session, v->data, v->elements, status);
    }
    const char *host = v->hostname;
    for (unsigned i = 0; !host && v->data && i < v->elements; i++)
        if (v->data[i].type == GNUTLS_DT_DNS_HOSTNAME)
            host = (const char *)v->data[i].data;
    if (host && *host) {
        snprintf(st->checked, sizeof st->checked, "%s", host);
        st->flags &= ~(unsigned)GS_VETTED; /* vetted under other names, maybe */
    }

    struct path_record *r = path_new(st->app_output), *outer = t_path;
    if (r) {
        t_path = r;
        gnu.gnutls_session_set_verify_output_function(session, output_callback);
    }
    int ret;
    if (v->which == 3)
        ret = gnu.gnutls_certificate_verify_peers3(session, v->hostname, status);
    else if (v->which == 2)
        ret = gnu.gnutls_certificate_verify_peers2(session, status);
    else
        ret = gnu.gnutls_certificate_verify_peers(session, v->data, v->elements, status);
    if (r) {
        gnu.gnutls_session_set_verify_output_function(session, st->app_output);
        t_path = outer;
    }
    if (ret == 0 && !(st->flags & GS_JUDGED))
        judge_session(session, st, *status == 0, *status, r);
    path_free(r);
    if (st->flags & GS_REFUSED)
        *status |= GNUTLS_CERT_INVALID;
    return ret;
}

EXPORT int gnutls_certificate_verify_peers2(gnutls_session_t session, unsigned int *status)
{
    struct verify_call v = { .which = 2 };
    return verify_and_judge(session, &v, status);
}

EXPORT int gnutls_certificate_verify_peers3(gnutls_session_t session, const char *hostname, unsigned int *status)
{
    struct verify_call v = { .which = 3, .hostname = hostname };
    return verify_and_judge(session, &v, status);
}

EXPORT int gnutls_certificate_verify_peers(gnutls_session_t session, gnutls_typed_vdata_st *data,
                                           unsigned int elements, unsigned int *status)
{
    struct verify_call v = { .which = 0, .data = data, .elements = elements };
    return verify_and_judge(session, &v, status);
}

/* A handshake no verification judged yet: verify now, to judge. */
/* The program's own gnutls_certificate_verify_peers2 after this handshake
 * (wget's, libcurl-gnutls's) asks exactly what this asked: its answer is
 * kept for that one call, which would otherwise verify the chain a second
 * time (about half of a full handshake's instructions). */
static void judge_in_handshake(gnutls_session_t session, struct gnutls_state *st)
{
    unsigned status = 0;
    struct verify_call v = { .which = 2 };
    int ret = verify_and_judge(session, &v, &status);
    if (ret != 0 && !(st->flags & GS_JUDGED))
        judge_session(session, st, false, status, NULL);
    st->verify_ret = ret;
    st->verify_status = status;
    st->flags |= GS_VERIFIED_EARLY;
}

static int session_verify(gnutls_session_t session)
{
    struct gnutls_state *st = gstate_get(session);
    gnutls_certificate_verify_function *app = st ? st->app_verify : NULL;
    int ret = app ? app(session) : 0;
    if (st && !(st->flags & GS_JUDGED))
        judge_in_handshake(session, st);
    if (st && (st->flags & GS_REFUSED))
        return GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
    return ret;
}

static int cred_verify(gnutls_session_t session)
{
    void *cred = NULL;
    gnutls_certificate_verify_function *app = NULL;
    if (gnu.gnutls_credentials_get(session, GNUTLS_CRD_CERTIFICATE, &cred) == 0 && cred)
        app = gcred_app(cred);
    struct gnutls_state *st = gstate_get(session);
    int ret = app ? app(session) : 0;
    if (st && !(st->flags & GS_JUDGED))
        judge_in_handshake(session, st);
    if (st && (st->flags & GS_REFUSED))
        return GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
    return ret;
}

/* ---- sessions and credentials ---- */

EXPORT int gnutls_init(gnutls_session_t *session, unsigned int flags)
{
    int ret = REAL(gnutls_init)(session, flags);
    if (ret == 0 && session && !(flags & GNUTLS_SERVER) && judging())
        gstate_add(*session);
    return ret;
}

EXPORT void gnutls_deinit(gnutls_session_t session)
{
    if (ready())
        gstate_drop(session);
    REAL(gnutls_deinit)(session);
}

EXPORT int gnutls_credentials_set(gnutls_session_t session, gnutls_credentials_type_t type, void *cred)
{
    int ret = REAL(gnutls_credentials_set)(session, type, cred);
    struct gnutls_state *st = ret == 0 && type == GNUTLS_CRD_CERTIFICATE && cred && ready() ? gstate_get(session) : NULL;
    if (st) {
        st->flags &= ~(unsigned)GS_VERIFIED_EARLY; /* other trust: verify afresh */
        if (gcred_wrap(cred))
            gnu.gnutls_certificate_set_verify_function(cred, cred_verify);
    }
    return ret;
}

EXPORT void gnutls_certificate_set_verify_function(gnutls_certificate_credentials_t cred,
                                                   gnutls_certificate_verify_function *func)
{
    bool ours_on = false;
    if (ready() && func != cred_verify)
        gcred_set_app(cred, func, &ours_on);
    if (!ours_on)
        REAL(gnutls_certificate_set_verify_function)(cred, func);
}

EXPORT void gnutls_certificate_free_credentials(gnutls_certificate_credentials_t cred)
{
    if (ready())
        gcred_drop(cred);
    REAL(gnutls_certificate_free_credentials)(cred);
}

EXPORT void gnutls_session_set_verify_function(gnutls_session_t session, gnutls_certificate_verify_function *func)
{
    struct gnutls_state *st = ready() ? gstate_get(session) : NULL;
    if (!st) {
        REAL(gnutls_session_set_verify_function)(session, func);
        return;
    }
    st->app_verify = func == session_verify ? NULL : func;
    st->flags |= GS_OWN_VERIFY;
    gnu.gnutls_session_set_verify_function(session, session_verify);
}

EXPORT void gnutls_session_set_verify_output_function(gnutls_session_t session, gnutls_verify_output_function *func)
{
    struct gnutls_state *st = ready() ? gstate_get(session) : NULL;
    if (st)
        st->app_output = func == output_callback ? NULL : func;
    REAL(gnutls_session_set_verify_output_function)(session, func);
}

EXPORT void gnutls_session_set_verify_cert(gnutls_session_t session, const char *hostname, unsigned flags)
{
    struct gnutls_state *st = ready() ? gstate_get(session) : NULL;
    if (st && hostname) {
        snprintf(st->checked, sizeof st->checked, "%s", hostname);
        st->flags &= ~(unsigned)GS_VETTED;
    }
    REAL(gnutls_session_set_verify_cert)(session, hostname, flags);
    /* libgnutls sets its verifier through gnutls_session_set_verify_function,
     * ours when that call reaches us; when it does not, the verifier's own
     * call to gnutls_certificate_verify_peers* is judged. */
}

EXPORT void gnutls_session_set_verify_cert2(gnutls_session_t session, gnutls_typed_vdata_st *data,
                                            unsigned elements, unsigned flags)
{
    struct gnutls_state *st = ready() ? gstate_get(session) : NULL;
    for (unsigned i = 0; st && data && i < elements; i++)
        if (data[i].type == GNUTLS_DT_DNS_HOSTNAME && data[i].data) {
            snprintf(st->checked, sizeof st->checked, "%s", (const char *)data[i].data);
            st->flags &= ~(unsigned)GS_VETTED;
        }
    REAL(gnutls_session_set_verify_cert2)(session, data, elements, flags);
}

EXPORT int gnutls_server_name_set(gnutls_session_t session, gnutls_server_name_type_t type, const void *name,
                                  size_t name_length)
{
    int ret = REAL(gnutls_server_name_set)(session, type, name, name_length);
    struct gnutls_state *st = ret == 0 && type == GNUTLS_NAME_DNS && name && ready() ? gstate_get(session) : NULL;
    if (st) {
        size_t n = name_length < sizeof st->sni ? name_length : 0; /* too long: no valid name */
        memcpy(st->sni, name, n);
        st->sni[n] = '\0';
        st->flags &= ~(unsigned)GS_VETTED;
    }
    return ret;
}

EXPORT unsigned int gnutls_session_get_verify_cert_status(gnutls_session_t session)
{
    unsigned r = REAL(gnutls_session_get_verify_cert_status)(session);
    struct gnutls_state *st = ready() && gstate_any_refused() ? gstate_get(session) : NULL;
    if (st && (st->flags & GS_REFUSED))
        r = (r == (unsigned)-1 ? 0 : r) | GNUTLS_CERT_INVALID;
    return r;
}

/* ---- a session to resume (DESIGN 3.5) ---- */

/* Would a resumption of the session whose leaf is `der` pass now, under the
 * names the client has given so far?  *generation: see
 * handshake_resumption_passes. */
static bool session_would_pass(gnutls_session_t session, const struct gnutls_state *st, const unsigned char *der,
                               size_t der_len, unsigned long *generation)
{
    struct gnutls_cert leaf;
    gnutls_datum_t d = { (unsigned char *)der, (unsigned)der_len }; /* NOLINT: GnuTLS's datum is not const */
    gnutls_cert_of_der(&leaf, &d);
    int fd = gnu.gnutls_transport_get_int(session);
    struct handshake_id id = {
        .sni = st->sni[0] ? st->sni : NULL,
        .checked = st->checked[0] ? st->checked : NULL,
        .fd = fd >= 0 && fd < (1 << 20) ? fd : -1,
        .io_fd = net_recent_socket(),
        .library = library_name,
    };
    bool passes = handshake_resumption_passes(&id, &gnutls_cert_ops, gnutls_cert_ref(&leaf), generation);
    gnutls_cert_clear(&leaf);
    return passes;
}

/* Its resumption, if the handshake resumes it, needs no second look under
 * policy snapshot `generation` (0: it does), as long as the names it passed
 * under stay: setting one clears GS_VETTED. */
static void mark_vetted(struct gnutls_state *st, unsigned long generation)
{
    st->flags = generation ? st->flags | GS_VETTED : st->flags & ~(unsigned)GS_VETTED;
    st->vetted_generation = generation;
}

/* A session the program sets to resume is offered to the server only when
 * its leaf (the first certificate in the packed data) would pass.  When the
 * client has named its server already (libcurl, gnutls-cli set the SNI
 * first), that is asked now, and a session that passes goes to libgnutls at
 * once.  Otherwise it is held back until the handshake starts, when the
 * names are in: libgnutls has no call that takes back a session once set.
 * Data whose leaf cannot be read (a pre-shared key, another packing) goes to
 * libgnutls at once, as before: its resumption is judged when it finishes. */
EXPORT int gnutls_session_set_data(gnutls_session_t session, const void *session_data, size_t session_data_size)
{
    struct gnutls_state *st = judging() ? gstate_get(session) : NULL;
    const unsigned char *der;
    size_t der_len;
    if (!st || (st->flags & (GS_IN_HANDSHAKE | GS_ADOPTED)) || !session_data ||
        gnutls_packed_session_leaf(session_data, session_data_size, &der, &der_len) != 0)
        return REAL(gnutls_session_set_data)(session, session_data, session_data_size);
    unsigned long generation = 0;
    if ((st->sni[0] || st->checked[0]) && session_would_pass(session, st, der, der_len, &generation)) {
        free(st->offered);
        st->offered = NULL;
        int ret = gnu.gnutls_session_set_data(session, session_data, session_data_size);
        mark_vetted(st, ret == 0 ? generation : 0);
        return ret;
    }
    /* Not given to libgnutls now: what it would answer, asked of a session
     * of our own; the program's stays untouched. */
    gnutls_session_t probe;
    if (gnu.gnutls_init(&probe, GNUTLS_CLIENT) != 0)
        return gnu.gnutls_session_set_data(session, session_data, session_data_size);
    int ret = gnu.gnutls_session_set_data(probe, session_data, session_data_size);
    gnu.gnutls_deinit(probe);
    if (ret != 0 || st->sni[0] || st->checked[0])
        return ret; /* refused by libgnutls, or by the pins: a full handshake */
    unsigned char *copy = malloc(session_data_size);
    if (!copy)
        return gnu.gnutls_session_set_data(session, session_data, session_data_size);
    memcpy(copy, session_data, session_data_size);
    free(st->offered);
    st->offered = copy;
    st->offered_size = session_data_size;
    return 0;
}

/* The handshake starts (or early data is about to be sent): the held-back
 * session is given to libgnutls when it would pass, else dropped. */
static void offer_or_drop(gnutls_session_t session, struct gnutls_state *st)
{
    unsigned char *data = st->offered;
    size_t size = st->offered_size;
    const unsigned char *der;
    size_t der_len;
    unsigned long generation = 0;
    st->offered = NULL;
    st->offered_size = 0;
    if (gnutls_packed_session_leaf(data, size, &der, &der_len) == 0 &&
        session_would_pass(session, st, der, der_len, &generation) &&
        gnu.gnutls_session_set_data(session, data, size) == 0) /* failing: a full handshake */
        mark_vetted(st, generation);
    free(data);
}

/* A resumption of the session vetted when this handshake started, under the
 * same policy snapshot: it passed then, and nothing it is judged by has
 * changed. */
static bool vetted_resumption(gnutls_session_t session, const struct gnutls_state *st)
{
    if (!(st->flags & GS_VETTED) || !gnu.gnutls_session_is_resumed(session))
        return false;
    const struct policy *p = runtime_acquire();
    bool same = p && runtime_generation(p) == st->vetted_generation;
    runtime_release(p);
    return same;
}

/* ---- the handshake and the records ---- */

EXPORT int gnutls_handshake(gnutls_session_t session)
{
    struct gnutls_state *st = ready() ? gstate_get(session) : NULL;
    if (!st)
        return REAL(gnutls_handshake)(session);
    if (st->flags & GS_REFUSED)
        return GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
    if (!(st->flags & GS_IN_HANDSHAKE)) {
        st->flags = (st->flags & ~(unsigned)(GS_JUDGED | GS_VERIFIED_EARLY)) | GS_IN_HANDSHAKE;
        if (st->offered)
            offer_or_drop(session, st);
    }
    int ret = gnu.gnutls_handshake(session);
    if (ret == 0 || gnu.gnutls_error_is_fatal(ret))
        st->flags &= ~(unsigned)GS_IN_HANDSHAKE;
    if (ret == 0 && !(st->flags & GS_JUDGED) && runtime_covers()) {
        if (vetted_resumption(session, st))
            st->flags |= GS_JUDGED;
        else
            judge_session(session, st, false, 0, NULL); /* no verification saw it: resumed, or no certificate */
    }
    if (ret == 0)
        st->flags &= ~(unsigned)GS_VETTED; /* spoken for this handshake only */
    if (st->flags & GS_REFUSED)
        return GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
    return ret;
}

static bool refused(gnutls_session_t session)
{
    if (!gstate_any_refused() || !ready())
        return false;
    const struct gnutls_state *st = gstate_get(session);
    return st && (st->flags & GS_REFUSED);
}

/* gnutls_record_send2 is reached from a program that takes libgnutls's
 * functions with dlsym too: libgnutls's gnutls_record_send jumps to it
 * through its PLT (our gnutls_record_send does not).  The session may then
 * be one pinshim never saw begin: a client's (adopt) with a certificate
 * handshake behind it and no verdict is judged now, on the presented chain,
 * before its first byte. */
static bool unseen_send_refused(gnutls_session_t session)
{
    if (!judging())
        return false;
    struct gnutls_state *st = gstate_get(session);
    if (st && !(st->flags & GS_ADOPTED))
        return st->flags & GS_REFUSED;
    unsigned n = 0;
    if (gnu.gnutls_certificate_type_get(session) != GNUTLS_CRT_X509 || !gnu.gnutls_certificate_get_peers(session, &n) ||
        n == 0)
        return false;
    st = adopt(session, st);
    if (st && !(st->flags & GS_JUDGED))
        judge_session(session, st, false, 0, NULL);
    return st && (st->flags & GS_REFUSED);
}

EXPORT ssize_t gnutls_record_send(gnutls_session_t session, const void *data, size_t data_size)
{
    if (refused(session))
        return GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
    if (ready()) /* what libgnutls's own gnutls_record_send does, without the trip back through here */
        return gnu.gnutls_record_send2(session, data, data_size, 0, 0);
    return REAL(gnutls_record_send)(session, data, data_size);
}

EXPORT ssize_t gnutls_record_send2(gnutls_session_t session, const void *data, size_t data_size, size_t pad,
                                   unsigned flags)
{
    if (refused(session) || unseen_send_refused(session))
        return GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
    return REAL(gnutls_record_send2)(session, data, data_size, pad, flags);
}

EXPORT ssize_t gnutls_record_send_range(gnutls_session_t session, const void *data, size_t data_size,
                                        const gnutls_range_st *range)
{
    if (refused(session))
        return GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
    return REAL(gnutls_record_send_range)(session, data, data_size, range);
}

EXPORT ssize_t gnutls_record_send_early_data(gnutls_session_t session, const void *data, size_t length)
{
    if (refused(session))
        return GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
    /* Early data rides on the session: only on one that would pass. */
    struct gnutls_state *st = ready() ? gstate_get(session) : NULL;
    if (st && st->offered && !(st->flags & GS_IN_HANDSHAKE))
        offer_or_drop(session, st);
    return REAL(gnutls_record_send_early_data)(session, data, length);
}

EXPORT ssize_t gnutls_record_send_file(gnutls_session_t session, int fd, off_t *offset, size_t count)
{
    if (refused(session))
        return GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
    ssize_t (*real)(gnutls_session_t, int, off_t *, size_t) =
        ready() ? gnu.gnutls_record_send_file
                : (ssize_t(*)(gnutls_session_t, int, off_t *, size_t))next_symbol("gnutls_record_send_file");
    return real ? real(session, fd, offset, count) : GNUTLS_E_UNIMPLEMENTED_FEATURE;
}

EXPORT int gnutls_record_uncork(gnutls_session_t session, unsigned int flags)
{
    if (refused(session))
        return GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
    return REAL(gnutls_record_uncork)(session, flags);
}

EXPORT ssize_t gnutls_record_recv(gnutls_session_t session, void *data, size_t data_size)
{
    if (refused(session))
        return GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
    return REAL(gnutls_record_recv)(session, data, data_size);
}

EXPORT ssize_t gnutls_record_recv_seq(gnutls_session_t session, void *data, size_t data_size, unsigned char *seq)
{
    if (refused(session))
        return GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
    return REAL(gnutls_record_recv_seq)(session, data, data_size, seq);
}

EXPORT ssize_t gnutls_record_recv_packet(gnutls_session_t session, gnutls_packet_t *packet)
{
    if (refused(session))
        return GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
    return REAL(gnutls_record_recv_packet)(session, packet);
}
