/* Just enough DER to find a certificate's SubjectPublicKeyInfo and notAfter
 * (RFC 5280 4.1): a TLS library that hands out certificates as DER (GnuTLS)
 * then needs no re-encoding to compute a pin, only its SHA-256, and no
 * parsed object for an expiry date.  Pure. */
#ifndef PINSHIM_DER_H
#define PINSHIM_DER_H

#include <stddef.h>
#include <time.h>

/* The encoded SubjectPublicKeyInfo (tag, length and content) inside the
 * certificate `cert` (`len` bytes of DER): 0 with *spki and *spki_len set,
 * or -1 when `cert` is not shaped like a certificate. */
int der_cert_spki(const unsigned char *cert, size_t len, const unsigned char **spki, size_t *spki_len);

/* The certificate's notAfter as seconds since the epoch, read only in the
 * forms RFC 5280 4.1.2.5 prescribes: UTCTime YYMMDDHHMMSSZ (YY < 50 is 20YY)
 * or GeneralizedTime YYYYMMDDHHMMSSZ, with a year from 1970, month 1-12,
 * day 1-31, hour 0-23, minute 0-59, second 0-60 (what GnuTLS's own reading
 * accepts, converted the same way).  0 with *out set, or -1 for anything else
 * (the caller then asks its TLS library). */
int der_cert_not_after(const unsigned char *cert, size_t len, time_t *out);

#endif
