#include "config.h"
#include "der.h"
#include <stdbool.h>
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

/* The fields of tbsCertificate, after the optional [0] version:
 * serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo.
 * The one numbered `want` (0: serialNumber): its position and whole length. */
static int tbs_field(const unsigned char *cert, size_t len, int want, const unsigned char **at, size_t *at_len)
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
        if (field == want) {
            *at = p;
            *at_len = whole;
            return 0;
        }
        field++;
        p += whole;
        left -= whole;
    }
    return -1;
}

int der_cert_spki(const unsigned char *cert, size_t len, const unsigned char **spki, size_t *spki_len)
{
    const unsigned char *p;
    size_t n;
    if (tbs_field(cert, len, 5, &p, &n) != 0 || p[0] != 0x30)
        return -1;
    *spki = p;
    *spki_len = n;
    return 0;
}

static int digits(const unsigned char *p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

/* Days from 1970-01-01 to the first of January of `year` (>= 1970). */
static long days_to_year(long year)
{
    long y = year - 1, e = 1969;
    return 365 * (year - 1970) + (y / 4 - y / 100 + y / 400) - (e / 4 - e / 100 + e / 400);
}

int der_cert_not_after(const unsigned char *cert, size_t len, time_t *out)
{
    static const int month_days[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
    const unsigned char *v;
    size_t vlen, head, clen;
    unsigned char tag;
    /* Validity ::= SEQUENCE { notBefore Time, notAfter Time } */
    if (tbs_field(cert, len, 3, &v, &vlen) != 0 || tlv(v, vlen, &tag, &head, &clen) != 0 || tag != 0x30)
        return -1;
    const unsigned char *p = v + head;
    size_t left = clen;
    if (tlv(p, left, &tag, &head, &clen) != 0)
        return -1;
    p += head + clen;
    left -= head + clen;
    if (tlv(p, left, &tag, &head, &clen) != 0 || head + clen != left)
        return -1;
    const unsigned char *t = p + head;
    long year;
    if (tag == 0x17 && clen == 13) { /* UTCTime */
        int yy = digits(t, 2);
        if (yy < 0)
            return -1;
        year = yy < 50 ? 2000 + yy : 1900 + yy;
        t += 2;
    } else if (tag == 0x18 && clen == 15) { /* GeneralizedTime */
        year = digits(t, 4);
        t += 4;
    } else {
        return -1;
    }
    int mon = digits(t, 2), day = digits(t + 2, 2), hour = digits(t + 4, 2), min = digits(t + 6, 2),
        sec = digits(t + 8, 2);
    if (sizeof(time_t) <= 4 && year >= 2038)
        return -1; /* GnuTLS's own reading clamps these */
    if (t[10] != 'Z' || year < 1970 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 ||
        min < 0 || min > 59 || sec < 0 || sec > 60)
        return -1;
    bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    long days = days_to_year(year) + month_days[mon - 1] + (mon > 2 && leap) + day - 1;
    *out = (time_t)(((days * 24 + hour) * 60 + min) * 60 + sec);
    return 0;
}
