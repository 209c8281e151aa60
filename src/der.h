/* Just enough DER to find a certificate's SubjectPublicKeyInfo (RFC 5280
 * 4.1): a TLS library that hands out certificates as DER (GnuTLS) then needs
 * no re-encoding to compute a pin, only its SHA-256.  Pure. */
#ifndef PINSHIM_DER_H
#define PINSHIM_DER_H

#include <stddef.h>

/* The encoded SubjectPublicKeyInfo (tag, length and content) inside the
 * certificate `cert` (`len` bytes of DER): 0 with *spki and *spki_len set,
 * or -1 when `cert` is not shaped like a certificate. */
int der_cert_spki(const unsigned char *cert, size_t len, const unsigned char **spki, size_t *spki_len);

#endif
