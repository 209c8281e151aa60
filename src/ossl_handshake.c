#include "config.h"
#include "ossl_handshake.h"
#include "ossl.h"
#include "runtime.h"

void ossl_handshake_id(SSL *s, const struct conn_state *c, const char *checked, int io_fd,
                       struct handshake_id *out)
{
    out->sni = c && c->sni_known ? c->sni : ossl.SSL_get_servername(s, TLSEXT_NAMETYPE_host_name);
    out->checked = checked;
    out->fd = ossl.SSL_get_fd(s);
    out->io_fd = io_fd;
    out->library = runtime_library;
}

bool ossl_handshake_judge(SSL *s, const struct conn_state *c, struct judge_work *w, const char *checked,
                          int io_fd)
{
    struct handshake_id id;
    ossl_handshake_id(s, c, checked, io_fd, &id);
    ossl.ERR_set_mark();
    bool allowed = handshake_judge(&id, w);
    ossl.ERR_pop_to_mark();
    return allowed;
}
