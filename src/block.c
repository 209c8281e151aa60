#include "config.h"
#include "block.h"
#include "ossl.h"
#include <openssl/err.h>
#include <openssl/sslerr.h>
#include <stdio.h>

void block_connection(SSL *s, const char *what)
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
    ossl.SSL_set_verify_result(s, X509_V_ERR_APPLICATION_VERIFICATION);
}
