/* One bounded TLS client handshake, observed and judged with the library's
 * code: connect (non-blocking, poll), handshake (non-blocking, poll, one
 * deadline for both), observe_handshake(), policy_lookup() + judge_chain(). */
#include "config.h"
#include "tlsprobe.h"
#include "cli.h"
#include "ossl_observe.h"
#include "ossl_cert.h"
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ------------------------------------------------------------ parsing ---- */

static int port_parse(const char *s, size_t len)
{
    long v = 0;
    if (len == 0 || len > 5)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v >= 1 && v <= 65535 ? (int)v : -1;
}

/* One field of a colon-separated spec: "[v6]" or text up to the next ':'.
 * Returns the end of the field (at ':' or '\0'), NULL when malformed. */
static const char *field(const char *s, const char **start, size_t *len)
{
    if (*s == '[') {
        const char *close = strchr(s, ']');
        if (!close || (close[1] != ':' && close[1] != '\0'))
            return NULL;
        *start = s + 1;
        *len = (size_t)(close - s - 1);
        return close + 1;
    }
    const char *colon = strchr(s, ':');
    if (!colon)
        colon = s + strlen(s);
    *start = s;
    *len = (size_t)(colon - s);
    return colon;
}

static int copy_host(const char *s, size_t len, char *out)
{
    char tmp[HOST_MAX];
    if (len == 0 || len >= HOST_MAX)
        return -1;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    return host_normalize(tmp, out);
}

int connect_to_parse(const char *spec, struct connect_to *out, char *why, size_t whylen)
{
    const char *p = spec, *start[4];
    size_t len[4];

    memset(out, 0, sizeof *out);
    for (int i = 0; i < 4; i++) {
        p = field(p, &start[i], &len[i]);
        if (!p || (i < 3 && *p != ':') || (i == 3 && *p != '\0')) {
            snprintf(why, whylen, "--connect-to \"%s\": expected HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT", spec);
            return -1;
        }
        if (i < 3)
            p++;
    }
    if (len[0] && copy_host(start[0], len[0], out->host) < 0) {
        snprintf(why, whylen, "--connect-to \"%s\": \"%.*s\" is no valid host name", spec, (int)len[0], start[0]);
        return -1;
    }
    if (len[2] && copy_host(start[2], len[2], out->addr) < 0) {
        snprintf(why, whylen, "--connect-to \"%s\": \"%.*s\" is no valid host or address", spec, (int)len[2],
                 start[2]);
        return -1;
    }
    if ((len[1] && (out->port = port_parse(start[1], len[1])) < 0) ||
        (len[3] && (out->addr_port = port_parse(start[3], len[3])) < 0)) {
        snprintf(why, whylen, "--connect-to \"%s\": a port must be a number from 1 to 65535", spec);
        return -1;
    }
    return 0;
}

int hostport_parse(const char *text, int default_port, char *host, int *port, char *why, size_t whylen)
{
    const char *h = text, *colon = NULL;
    size_t hlen;
    int kind;

    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || (close[1] != '\0' && close[1] != ':')) {
            snprintf(why, whylen, "\"%s\": expected [IPV6-ADDRESS] or [IPV6-ADDRESS]:PORT", text);
            return -1;
        }
        h = text + 1;
        hlen = (size_t)(close - h);
        if (close[1] == ':')
            colon = close + 1;
    } else {
        colon = strchr(text, ':');
        if (colon && strchr(colon + 1, ':'))
            colon = NULL;            /* a bare IPv6 address */
        hlen = colon ? (size_t)(colon - text) : strlen(text);
    }
    *port = default_port;
    if (colon && (*port = port_parse(colon + 1, strlen(colon + 1))) < 0) {
        snprintf(why, whylen, "\"%s\": the port must be a number from 1 to 65535", text);
        return -1;
    }
    kind = copy_host(h, hlen, host);
    if (kind < 0 || kind == NAME_WILDCARD) {
        snprintf(why, whylen, "\"%.*s\" is no valid host name or IP address", (int)hlen, h);
        return -1;
    }
    if (text[0] == '[' && kind != NAME_IPV6) {
        snprintf(why, whylen, "\"%s\": only IPv6 addresses go in brackets", text);
        return -1;
    }
    return kind;
}

int timeout_parse(const char *text)
{
    char *end;
    double s;
    errno = 0;
    s = strtod(text, &end);
    if (errno || end == text || *end || !(s >= 0.001) || s > 3600)
        return -1;
    return (int)(s * 1000 + 0.5);
}

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

/* ------------------------------------------------------------ network ---- */

static const char *errtext(int e, char *buf, size_t len)
{
    /* GNU strerror_r (AC_USE_SYSTEM_EXTENSIONS): thread-safe, returns the text. */
    return strerror_r(e, buf, len);
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int remaining(long deadline)
{
    long left = deadline - now_ms();
    return left > 0 ? (int)left : 0;
}

static void addr_text(const struct sockaddr *sa, socklen_t len, char *out, size_t outlen)
{
    char host[INET6_ADDRSTRLEN], serv[8];
    if (getnameinfo(sa, len, host, sizeof host, serv, sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(out, outlen, "?");
        return;
    }
    snprintf(out, outlen, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, serv);
}

/* Wait for `events` on fd until the deadline: 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, long deadline)
{
    struct pollfd pfd = { .fd = fd, .events = events };
    for (;;) {
        int left = remaining(deadline);
        if (left == 0)
            return 0;
        int r = poll(&pfd, 1, left);
        if (r > 0)
            return 1;
        if (r == 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

/* A connected non-blocking socket to one of the addresses, or -1 with
 * out->error set. */
static int connect_any(const char *host, int port, long deadline, double timeout_s, struct probe_result *out)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV }, *list, *ai;
    char portstr[8], ebuf[128], where[80];
    int r, fd = -1;

    snprintf(portstr, sizeof portstr, "%d", port);
    r = getaddrinfo(host, portstr, &hints, &list);
    if (r != 0) {
        snprintf(out->error, sizeof out->error, "cannot resolve %s: %s", host,
                 r == EAI_SYSTEM ? errtext(errno, ebuf, sizeof ebuf) : gai_strerror(r));
        return -1;
    }
    snprintf(out->error, sizeof out->error, "cannot connect to %s port %d", host, port);
    for (ai = list; ai; ai = ai->ai_next) {
        addr_text(ai->ai_addr, ai->ai_addrlen, where, sizeof where);
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            snprintf(out->error, sizeof out->error, "connect to %s: %s", where, errtext(errno, ebuf, sizeof ebuf));
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        if (errno == EINPROGRESS) {
            int w = wait_fd(fd, POLLOUT, deadline), soerr = 0;
            socklen_t slen = sizeof soerr;
            if (w == 0) {
                snprintf(out->error, sizeof out->error, "connect to %s: timed out after %g s", where, timeout_s);
                close(fd);
                fd = -1;
                break;             /* no time left for another address */
            }
            if (w < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) != 0)
                soerr = errno;
            if (soerr == 0)
                break;
            errno = soerr;
        }
        snprintf(out->error, sizeof out->error, "connect to %s: %s", where, errtext(errno, ebuf, sizeof ebuf));
        close(fd);
        fd = -1;
    }
    if (fd >= 0) {
        snprintf(out->connected_to, sizeof out->connected_to, "%s", where);
        out->error[0] = '\0';
    }
    freeaddrinfo(list);
    return fd;
}

/* The first matching --connect-to rule, as curl applies them. */
static void apply_connect_to(const struct probe_config *cfg, const char *host, int port, const char **chost,
                             int *cport)
{
    *chost = host;
    *cport = port;
    for (size_t i = 0; i < cfg->nconnect_to; i++) {
        const struct connect_to *c = &cfg->connect_to[i];
        if ((c->host[0] && strcmp(c->host, host) != 0) || (c->port && c->port != port))
            continue;
        if (c->addr[0])
            *chost = c->addr;
        if (c->addr_port)
            *cport = c->addr_port;
        return;
    }
}

static int handshake(SSL *ssl, int fd, long deadline, double timeout_s, struct probe_result *out)
{
    char ebuf[200];
    ERR_clear_error();
    for (;;) {
        int r = SSL_connect(ssl);
        if (r == 1)
            return 0;
        int e = SSL_get_error(ssl, r), w;
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            w = wait_fd(fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
            if (w > 0)
                continue;
            if (w == 0)
                snprintf(out->error, sizeof out->error, "TLS handshake with %s: timed out after %g s",
                         out->connected_to, timeout_s);
            else
                snprintf(out->error, sizeof out->error, "TLS handshake with %s: %s", out->connected_to,
                         errtext(errno, ebuf, sizeof ebuf));
        } else if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
            int saved = errno;
            snprintf(out->error, sizeof out->error, "TLS handshake with %s: %s", out->connected_to,
                     saved && r < 0 ? errtext(saved, ebuf, sizeof ebuf)
                                    : "the server closed the connection");
        } else if (e == SSL_ERROR_ZERO_RETURN) {
            snprintf(out->error, sizeof out->error, "TLS handshake with %s: the server closed the connection",
                     out->connected_to);
        } else {
            snprintf(out->error, sizeof out->error, "TLS handshake with %s failed: %s", out->connected_to,
                     cli_ssl_error(ebuf, sizeof ebuf));
        }
        ERR_clear_error();
        return -1;
    }
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
    long deadline = now_ms() + cfg->timeout_ms;
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

    apply_connect_to(cfg, t->host, t->port, &chost, &cport);
    fd = connect_any(chost, cport, deadline, timeout_s, out);
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

    if (handshake(ssl, fd, deadline, timeout_s, out) != 0)
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
