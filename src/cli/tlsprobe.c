/* One bounded TLS client handshake, observed and judged with the library's
 * code: connect and handshake (probe_net.c, one deadline for both),
 * observe_handshake(), policy_lookup() + judge_chain().  The arguments are
 * read in probe_args.c. */
#include "config.h"
#include "tlsprobe.h"
#include "probe_net.h"
#include "cli.h"
#include "ossl_observe.h"
#include "ossl_cert.h"
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------ results ---- */

long days_until(time_t t, time_t now)
{
    double d = difftime(t, now);
    long secs = (long)d;
    return secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
}

const char *cert_role_text(enum cert_role r)
{
    switch (r) {
    case ROLE_LEAF: return "leaf";
    case ROLE_ROOT: return "root";
    default: return "intermediate";
    }
}

/* ---------------------------------------------------------------- ctx ---- */

SSL_CTX *probe_ctx_new(const char *cafile, char *why, size_t whylen)
{
    char err[200];
    SSL_CTX *ctx;

    ERR_clear_error();
    if (cafile) {
        FILE *f = fopen(cafile, "re");
        if (!f) {
            snprintf(why, whylen, "%s: %s", cafile, strerror(errno));
            return NULL;
        }
        fclose(f);
    }
    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        snprintf(why, whylen, "cannot set up TLS: %s", cli_ssl_error(err, sizeof err));
        return NULL;
    }
    /* Verify, but let the handshake finish so the result can be reported:
     * the verify result is read afterwards. */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    if (cafile) {
        if (SSL_CTX_load_verify_locations(ctx, cafile, NULL) != 1) {
            snprintf(why, whylen, "%s: no usable CA certificate in it (%s)", cafile,
                     cli_ssl_error(err, sizeof err));
            SSL_CTX_free(ctx);
            return NULL;
        }
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        snprintf(why, whylen, "cannot load the system trust store: %s", cli_ssl_error(err, sizeof err));
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* -------------------------------------------------------- observation ---- */

static bool self_signed(X509 *x)
{
    return X509_check_issued(x, x) == X509_V_OK;
}

static void describe(X509 *x, enum cert_role role, struct probe_cert *out)
{
    cert_describe(&ossl_cert_ops, ossl_cert(x), &out->info);
    out->role = role;
}

static void read_chain(const struct observed *o, struct probe_result *out)
{
    const struct cert *linked[CHAIN_MAX];
    int nlinked = chain_count_linked(o->in.ops, o->in.served, o->in.nserved, linked, CHAIN_MAX);

    out->nserved = o->in.nserved;
    for (int i = 0; i < o->in.nserved; i++) {
        X509 *x = ossl_x509(o->served[i]);
        describe(x, i == 0 ? ROLE_LEAF : self_signed(x) ? ROLE_ROOT : ROLE_INTERMEDIATE, &out->served[i]);
        for (int k = 0; k < nlinked; k++)
            if (linked[k] == ossl_cert(x))
                out->served[i].linked = true;
    }
    /* What verification added: normally the root from the trust store. */
    for (int i = 0; i < o->in.nverified; i++) {
        X509 *x = ossl_x509(o->verified[i]);
        bool served = false;
        for (int k = 0; k < o->in.nserved && !served; k++)
            served = X509_cmp(x, ossl_x509(o->served[k])) == 0;
        if (!served && out->nextra < CHAIN_MAX)
            describe(x, i == 0 ? ROLE_LEAF : self_signed(x) ? ROLE_ROOT : ROLE_INTERMEDIATE,
                     &out->extra[out->nextra++]);
    }
    if (o->in.nserved > 0) {
        const ASN1_TIME *t = X509_get0_notAfter(ossl_x509(o->served[0]));
        struct tm tm;
        if (t && ASN1_TIME_to_tm(t, &tm) == 1) {
            out->leaf_not_after = timegm(&tm);
            out->leaf_expiry_known = true;
        }
    }
}

/* A trust-on-first-use entry is judged as the library judges it
 * (tofu_resolve), but read only: the probe never records anything. */
static const struct host_entry *tofu_entry(const struct policy *p, const struct host_entry *e,
                                           const struct observed *o, time_t now, struct probe_result *out)
{
    char when[32];
    const struct host_entry *judged =
        tofu_resolve(p, e, out->judged_host, &o->in, o->verify_result, now, false, &out->tofu);
    switch (out->tofu.outcome) {
    case TOFU_KNOWN:
        format_time(out->tofu.rec.learned, when);
        snprintf(out->note, sizeof out->note, "trust on first use (%s): judged by the %d pin(s) learned %s",
                 tofu_kind_text(e->tofu), out->tofu.rec.npins, when);
        break;
    case TOFU_UNREADABLE:
        snprintf(out->note, sizeof out->note, "trust on first use: cannot read the state: %s", out->tofu.why);
        break;
    case TOFU_NOTHING_YET:
        snprintf(out->note, sizeof out->note, "trust on first use (%s): nothing learned yet in %s",
                 tofu_kind_text(e->tofu), p->state_path);
        break;
    default:
        snprintf(out->note, sizeof out->note,
                 "trust on first use (%s): nothing learned yet; a client would learn %d pin(s) from this "
                 "verified chain now (the probe records nothing)",
                 tofu_kind_text(e->tofu), out->tofu.rec.npins);
        break;
    }
    return judged;
}

static void judge(const struct probe_config *cfg, const struct observed *o, struct probe_result *out)
{
    const struct policy *p = cfg->policy;
    struct judgement *j = &out->judgement;
    const struct host_entry *judged;
    time_t now = time(NULL);

    out->judged = true;
    if (p->error) {
        memset(j, 0, sizeof *j);
        j->verdict = VERDICT_ERROR;
        j->matched = -1;
        snprintf(j->reason, sizeof j->reason, "%s", p->error);
        return;
    }
    judged = out->entry = policy_lookup(p, out->judged_host, out->judged_port);
    if (judged && judged->tofu != TOFU_NONE)
        judged = tofu_entry(p, judged, o, now, out);
    judge_chain(judged, &o->in, now, j);
    if (j->matched >= 0)
        pin_format(&j->counted[j->matched], out->matched_pin);
}

int probe_run(const struct probe_config *cfg, const struct probe_target *t, struct probe_result *out)
{
    const char *name = t->servername ? t->servername : t->host, *chost;
    double timeout_s = cfg->timeout_ms / 1000.0;
    long deadline = probe_now_ms() + cfg->timeout_ms;
    char ebuf[200];
    int kind, cport, fd, rc = -1;
    SSL *ssl = NULL;

    memset(out, 0, sizeof *out);
    out->judged_port = t->port;
    kind = host_normalize(name, out->judged_host);
    if (kind < 0) {
        snprintf(out->error, sizeof out->error, "\"%s\" is no valid host name", name);
        return -1;
    }

    probe_apply_connect_to(cfg, t->host, t->port, &chost, &cport);
    fd = probe_connect_any(chost, cport, deadline, timeout_s, out);
    if (fd < 0)
        return -1;

    if (!(ssl = SSL_new(cfg->ctx))) {
        snprintf(out->error, sizeof out->error, "cannot set up TLS: %s", cli_ssl_error(ebuf, sizeof ebuf));
        goto done;
    }
    /* The name is checked as a client should; IP literals get no SNI
     * (RFC 6066) and are checked as addresses. */
    if (kind == NAME_IPV4 || kind == NAME_IPV6) {
        if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), out->judged_host) != 1)
            goto setup_failed;
    } else {
        if (SSL_set_tlsext_host_name(ssl, out->judged_host) != 1 || SSL_set1_host(ssl, out->judged_host) != 1)
            goto setup_failed;
        snprintf(out->sni, sizeof out->sni, "%s", out->judged_host);
    }
    if (SSL_set_fd(ssl, fd) != 1)
        goto setup_failed;
    SSL_set_connect_state(ssl);

    if (probe_handshake(ssl, fd, deadline, timeout_s, out) != 0)
        goto done;

    struct observed obs;
    observe_handshake(ssl, &obs);
    out->handshake_ok = true;
    snprintf(out->version, sizeof out->version, "%s", SSL_get_version(ssl));
    out->verify_result = obs.verify_result;
    out->verified = obs.verify_result == X509_V_OK;
    snprintf(out->verify_error, sizeof out->verify_error, "%s", X509_verify_cert_error_string(obs.verify_result));
    read_chain(&obs, out);
    if (cfg->policy)
        judge(cfg, &obs, out);
    observed_release(&obs);
    /* A polite close_notify; nothing is waited for. */
    (void)SSL_shutdown(ssl);
    ERR_clear_error();
    rc = 0;
    goto done;

setup_failed:
    snprintf(out->error, sizeof out->error, "cannot set up TLS for %s: %s", name, cli_ssl_error(ebuf, sizeof ebuf));
done:
    SSL_free(ssl);
    close(fd);
    return rc;
}
