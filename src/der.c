#include "config.h"
#include "der.h"
#include <stdint.h>

/* One TLV at p (at most `left` bytes): its tag, the offset of its content and
 * the content's length.  DER only: definite lengths of at most 4 bytes. */
static int tlv(const unsigned char *p, size_t left, unsigned char *tag, size_t *head, size_t *clen)
{
    if (left < 2)
        return -1;
    *tag = p[0];
    if ((p[0] & 0x1f) == 0x1f)
        return -1; /* high tag numbers: none in a certificate's outer fields */
    size_t n = p[1], h = 2;
    if (n & 0x80) {
        size_t k = n & 0x7f;
        if (k == 0 || k > 4 || left < 2 + k)
            return -1;
        n = 0;
        for (size_t i = 0; i < k; i++)
            n = (n << 8) | p[2 + i];
        h += k;
    }
    if (n > left - h)
        return -1;
    *head = h;
    *clen = n;
    return 0;
}

int der_cert_spki(const unsigned char *cert, size_t len, const unsigned char **spki, size_t *spki_len)
{
    unsigned char tag;
    size_t head, clen;
    /* Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { ... }, ... } */
    if (!cert || tlv(cert, len, &tag, &head, &clen) != 0 || tag != 0x30)
        return -1;
    const unsigned char *p = cert + head;
    size_t left = clen;
    if (tlv(p, left, &tag, &head, &clen) != 0 || tag != 0x30)
        return -1;
    p += head;
    left = clen;
    /* [0] version (optional), serialNumber, signature, issuer, validity,
     * subject, then subjectPublicKeyInfo. */
    int field = 0;
    while (left > 0) {
        if (tlv(p, left, &tag, &head, &clen) != 0)
            return -1;
        size_t whole = head + clen;
        if (field == 0 && tag == 0xa0) {
            p += whole;
            left -= whole;
            continue;
        }
        if (field == 5) {
            if (tag != 0x30)
                return -1;
            *spki = p;
            *spki_len = whole;
            return 0;
        }
        field++;
        p += whole;
        left -= whole;
    }
    return -1;
}
