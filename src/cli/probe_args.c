/* The arguments of `probe` and `audit` (tlsprobe.h): --connect-to rules,
 * HOST[:PORT] targets and timeouts.  Pure: no network, no OpenSSL. */
#include "config.h"
#include "tlsprobe.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int port_parse(const char *s, size_t len)
{
    long v = 0;
    if (len == 0 || len > 5)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v >= 1 && v <= 65535 ? (int)v : -1;
}

/* One field of a colon-separated spec: "[v6]" or text up to the next ':'.
 * Returns the end of the field (at ':' or '\0'), NULL when malformed. */
static const char *field(const char *s, const char **start, size_t *len)
{
    if (*s == '[') {
        const char *close = strchr(s, ']');
        if (!close || (close[1] != ':' && close[1] != '\0'))
            return NULL;
        *start = s + 1;
        *len = (size_t)(close - s - 1);
        return close + 1;
    }
    const char *colon = strchr(s, ':');
    if (!colon)
        colon = s + strlen(s);
    *start = s;
    *len = (size_t)(colon - s);
    return colon;
}

static int copy_host(const char *s, size_t len, char *out)
{
    char tmp[HOST_MAX];
    if (len == 0 || len >= HOST_MAX)
        return -1;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    return host_normalize(tmp, out);
}

int connect_to_parse(const char *spec, struct connect_to *out, char *why, size_t whylen)
{
    const char *p = spec, *start[4];
    size_t len[4];

    memset(out, 0, sizeof *out);
    for (int i = 0; i < 4; i++) {
        p = field(p, &start[i], &len[i]);
        if (!p || (i < 3 && *p != ':') || (i == 3 && *p != '\0')) {
            snprintf(why, whylen, "--connect-to \"%s\": expected HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT", spec);
            return -1;
        }
        if (i < 3)
            p++;
    }
    if (len[0] && copy_host(start[0], len[0], out->host) < 0) {
        snprintf(why, whylen, "--connect-to \"%s\": \"%.*s\" is no valid host name", spec, (int)len[0], start[0]);
        return -1;
    }
    if (len[2] && copy_host(start[2], len[2], out->addr) < 0) {
        snprintf(why, whylen, "--connect-to \"%s\": \"%.*s\" is no valid host or address", spec, (int)len[2],
                 start[2]);
        return -1;
    }
    if ((len[1] && (out->port = port_parse(start[1], len[1])) < 0) ||
        (len[3] && (out->addr_port = port_parse(start[3], len[3])) < 0)) {
        snprintf(why, whylen, "--connect-to \"%s\": a port must be a number from 1 to 65535", spec);
        return -1;
    }
    return 0;
}

int hostport_parse(const char *text, int default_port, char *host, int *port, char *why, size_t whylen)
{
    const char *h = text, *colon = NULL;
    size_t hlen;
    int kind;

    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || (close[1] != '\0' && close[1] != ':')) {
            snprintf(why, whylen, "\"%s\": expected [IPV6-ADDRESS] or [IPV6-ADDRESS]:PORT", text);
            return -1;
        }
        h = text + 1;
        hlen = (size_t)(close - h);
        if (close[1] == ':')
            colon = close + 1;
    } else {
        colon = strchr(text, ':');
        if (colon && strchr(colon + 1, ':'))
            colon = NULL;            /* a bare IPv6 address */
        hlen = colon ? (size_t)(colon - text) : strlen(text);
    }
    *port = default_port;
    if (colon && (*port = port_parse(colon + 1, strlen(colon + 1))) < 0) {
        snprintf(why, whylen, "\"%s\": the port must be a number from 1 to 65535", text);
        return -1;
    }
    kind = copy_host(h, hlen, host);
    if (kind < 0 || kind == NAME_WILDCARD) {
        snprintf(why, whylen, "\"%.*s\" is no valid host name or IP address", (int)hlen, h);
        return -1;
    }
    if (text[0] == '[' && kind != NAME_IPV6) {
        snprintf(why, whylen, "\"%s\": only IPv6 addresses go in brackets", text);
        return -1;
    }
    return kind;
}

int timeout_parse(const char *text)
{
    char *end;
    double s;
    errno = 0;
    s = strtod(text, &end);
    if (errno || end == text || *end || !(s >= 0.001) || s > 3600)
        return -1;
    return (int)(s * 1000 + 0.5);
}
