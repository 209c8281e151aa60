/* Acting on a block (DESIGN 4): the failing call must look to the program like
 * a certificate verification failure it already knows how to report, and the
 * refused connection must be dead inside libssl, whatever path the program
 * takes to it next (SSL BIOs, functions taken with dlsym, SSL_sendfile, early
 * data). */
#ifndef PINSHIM_BLOCK_H
#define PINSHIM_BLOCK_H

#include <stdbool.h>
#include <openssl/ssl.h>
#include "conn.h"

/* Make `s` dead: an SSL error naming pinning and `why` (host and reason) on
 * this thread's error queue, the verify result
 * X509_V_ERR_APPLICATION_VERIFICATION, both shutdown flags (every write path
 * of libssl then fails with nothing sent), the state marked refused.
 * `in_verification`: called inside X509_verify_cert, where a client that
 * verifies nothing is switched to SSL_VERIFY_PEER so that libssl itself ends
 * the handshake before the client's Finished (given back when the next
 * handshake starts).  `c` may be NULL (no memory for a state). */
void block_connection(SSL *s, struct conn_state *c, const char *why, bool in_verification);

/* The error a later call on a refused connection gets. */
void block_again(SSL *s);

/* An SSL error naming pinning and `what`, nothing else changed (a session
 * that was not offered, say). */
void block_explain(const char *what);

#endif
