/* `ossl` bound to the OpenSSL this program links: the pinshim command and the
 * unit tests.  The preload library never contains this file. */
#include "config.h"
/* SHA256_Init & co. are deprecated in 3.0: taken on purpose (ossl.h). */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "ossl.h"
#include <openssl/err.h>

struct ossl_api ossl;

void ossl_bind_linked(void)
{
#define LINK(name) ossl.name = name;
    OSSL_REQUIRED_FUNCTIONS(LINK)
#undef LINK
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    ossl.SSL_get1_peer_cert = SSL_get1_peer_certificate;
    ossl.X509_VERIFY_PARAM_get0_host = X509_VERIFY_PARAM_get0_host;
    ossl.SSL_sendfile = SSL_sendfile;
    ossl.ERR_new = ERR_new;
    ossl.ERR_set_debug = ERR_set_debug;
    ossl.ERR_set_error = ERR_set_error;
#else
    ossl.SSL_get1_peer_cert = SSL_get_peer_certificate;
    ossl.ERR_put_error_fn = ERR_put_error;
    ossl.ERR_add_error_data = ERR_add_error_data;
#endif
    /* The same fast path as the library takes (ossl.h). */
    ossl.SHA256_Init = SHA256_Init;
    ossl.SHA256_Update = SHA256_Update;
    ossl.SHA256_Final = SHA256_Final;
}
