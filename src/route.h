/* Whose call is this?  The interposed functions are found by every object in
 * the process that asks for the name: the program, its modules, libssl
 * itself (SSL_connect calls SSL_do_handshake, SSL_write_early_data calls
 * SSL_write_ex, the handshake calls X509_verify_cert) and also an object
 * that uses another libssl than the one pinshim bound (a bundled or foreign
 * OpenSSL, BoringSSL).  Handing such an object's SSL to the bound libssl
 * would crash it; its calls go to its own library untouched, and the process
 * is told `uncovered` (DESIGN 4, 12).
 *
 * The caller is told by the return address: its object's address range is
 * looked up once and cached, so the common case costs a few comparisons. */
#ifndef PINSHIM_ROUTE_H
#define PINSHIM_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ossl.h"

enum route_kind {
    ROUTE_PROGRAM,   /* an object whose libssl is the bound one: judge */
    ROUTE_INTERNAL,  /* the bound libssl or libcrypto calling itself: pass through */
    ROUTE_FOREIGN,   /* an object using another TLS library: its own function, untouched */
};

/* The interposed functions, for looking up a foreign object's own. */
enum route_fn {
    FN_SSL_connect, FN_SSL_do_handshake, FN_SSL_read, FN_SSL_write, FN_SSL_read_ex, FN_SSL_write_ex,
    FN_SSL_peek, FN_SSL_peek_ex, FN_SSL_write_early_data, FN_SSL_sendfile, FN_SSL_clear,
    FN_SSL_set_info_callback, FN_SSL_get_info_callback, FN_SSL_CTX_set_cert_verify_callback,
    FN_X509_verify_cert, FN_X509_STORE_CTX_set_default, FN_X509_VERIFY_PARAM_move_peername, FN_COUNT
};

/* Called once the binding was tried (runtime.c): `bound` false when no
 * libssl could be bound, then every caller is foreign.  Called again when a
 * later try binds (a libssl loaded late): the objects seen so far are then
 * looked at again. */
void route_init(const struct ossl_ranges *ranges, bool bound);

/* Is `p` inside the bound libssl (libssl's own function, say its default
 * security callback)? */
bool route_in_libssl(const void *p);

/* The kind of the caller at `ret` (a return address). */
enum route_kind route_of(const void *ret);

/* For a foreign caller: the function `fn` as its own object would have found
 * it without pinshim.  NULL when none can be found (then the wrapper fails
 * the call the way the library does for a missing function). */
void *route_foreign_fn(const void *ret, enum route_fn fn);

/* The file name of the TLS library a foreign caller uses, for the
 * `uncovered` notice ("" when unknown). */
void route_foreign_library(const void *ret, char *out, size_t outlen);

#endif
