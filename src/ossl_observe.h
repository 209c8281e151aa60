/* OpenSSL's observer (observe.h): read off the SSL object once the
 * handshake finished, or off the X509_STORE_CTX while the chain is being
 * verified (the library judges there, DESIGN 3.6). */
#ifndef PINSHIM_OSSL_OBSERVE_H
#define PINSHIM_OSSL_OBSERVE_H

#include <stdbool.h>
#include <openssl/ssl.h>
#include "observe.h"

/* After the handshake (SSL_get_verify_result, SSL_get0_verified_chain).  The
 * leaf is held (a reference) until observed_release(). */
void observe_handshake(SSL *s, struct observed *out);

/* During verification: `verified` says whether X509_verify_cert succeeded
 * with no error that a callback of the program overrode; `error` is the
 * verification's result to report (X509_V_OK when verified). */
void observe_verification(X509_STORE_CTX *ctx, bool verified, long error, struct observed *out);

#endif
