#include "config.h"
#include "conn.h"
#include "ossl.h"
#include "runtime.h"
#include "suites.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct conn_state *conn_get(const SSL *s)
{
    return ossl.SSL_get_ex_data(s, runtime_ssl_index());
}

struct conn_state *conn_obtain(SSL *s)
{
    struct conn_state *c = conn_get(s);
    if (c)
        return c;
    c = calloc(1, sizeof *c);
    if (!c || !ossl.SSL_set_ex_data(s, runtime_ssl_index(), c)) {
        free(c);
        return NULL;
    }
    return c;
}

void conn_handshake_starts(SSL *s, struct conn_state *c)
{
    if (c->flags & CONN_FORCED_VERIFY) {
        /* Give back the mode the program chose, unless it chose anew. */
        if (ossl.SSL_get_verify_mode(s) == SSL_VERIFY_PEER)
            ossl.SSL_set_verify(s, c->app_verify_mode, ossl.SSL_get_verify_callback(s));
    }
    suites_give_back(s, c);
    c->flags &= CONN_INFO_OURS;
    c->vetted_session = NULL;
    const char *sni = ossl.SSL_get_servername(s, TLSEXT_NAMETYPE_host_name);
    size_t n = sni ? strnlen(sni, sizeof c->sni - 1) : 0;
    c->sni_known = true;
    memcpy(c->sni, sni ? sni : "", n);
    c->sni[n] = '\0';
}
