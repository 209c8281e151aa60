#include "config.h"
#include "block.h"
#include "ossl.h"
#include <openssl/err.h>
#include <openssl/sslerr.h>
#include <stdio.h>

static void push_error(const char *what)
{
    char msg[800];
    snprintf(msg, sizeof msg, "pinshim: certificate pinning refused the connection: %s", what);
    /* CERTIFICATE_VERIFY_FAILED is what curl (exit 60) and Python
     * (SSLCertVerificationError) turn into a verification error. */
    if (ossl.ERR_new) {
        ossl.ERR_new();
        ossl.ERR_set_debug("pinshim", 0, "pinshim");
        ossl.ERR_set_error(ERR_LIB_SSL, SSL_R_CERTIFICATE_VERIFY_FAILED, "%s", msg);
    } else if (ossl.ERR_put_error_fn) {
        ossl.ERR_put_error_fn(ERR_LIB_SSL, 0, SSL_R_CERTIFICATE_VERIFY_FAILED, "pinshim", 0);
        ossl.ERR_add_error_data(1, msg);
    }
}

void block_connection(SSL *s, struct conn_state *c, const char *why, bool in_verification)
{
    push_error(why);
    ossl.SSL_set_verify_result(s, X509_V_ERR_APPLICATION_VERIFICATION);
    /* SSL_write, SSL_write_ex, SSL_sendfile, SSL_write_early_data and an SSL
     * BIO's writes all refuse once SSL_SENT_SHUTDOWN is set; reads return 0
     * once SSL_RECEIVED_SHUTDOWN is, which also ends a handshake that a
     * program's callback would carry on.  SSL_clear resets both for reuse. */
    ossl.SSL_set_shutdown(s, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    if (!c)
        return;
    c->flags |= CONN_JUDGED | CONN_REFUSED;
    if (in_verification && ossl.SSL_get_verify_mode(s) == SSL_VERIFY_NONE) {
        /* libssl ignores a failed verification in SSL_VERIFY_NONE mode; with
         * SSL_VERIFY_PEER it sends an alert and fails the handshake here,
         * before the client's Finished. */
        c->app_verify_mode = SSL_VERIFY_NONE;
        c->flags |= CONN_FORCED_VERIFY;
        ossl.SSL_set_verify(s, SSL_VERIFY_PEER, ossl.SSL_get_verify_callback(s));
    }
}

void block_explain(const char *what)
{
    push_error(what);
}

void block_again(SSL *s)
{
    push_error("this connection was refused earlier");
    ossl.SSL_set_verify_result(s, X509_V_ERR_APPLICATION_VERIFICATION);
}
