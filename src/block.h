/* Acting on a block (DESIGN 4): the failing call must look to the program like
 * a certificate verification failure it already knows how to report. */
#ifndef PINSHIM_BLOCK_H
#define PINSHIM_BLOCK_H

#include <openssl/ssl.h>

/* Push an SSL error naming pinning and `what` (host and reason) onto this
 * thread's OpenSSL error queue and set the verify result to
 * X509_V_ERR_APPLICATION_VERIFICATION. */
void block_connection(SSL *s, const char *what);

#endif
