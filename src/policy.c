/* Policy values: storage, host name normalisation and the host -> entry lookup.
 * The lookup costs a few hash probes per label of the host name, whatever the
 * number of entries (issue 3: no scan per handshake). */
#include "config.h"
#include "policy.h"
#include "arena.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

enum mode mode_from_text(const char *text)
{
    if (!text)
        return MODE_INHERIT;
    if (strcmp(text, "enforce") == 0)
        return MODE_ENFORCE;
    if (strcmp(text, "report") == 0)
        return MODE_REPORT;
    if (strcmp(text, "off") == 0)
        return MODE_OFF;
    return MODE_INHERIT;
}

const char *mode_text(enum mode m)
{
    switch (m) {
    case MODE_ENFORCE: return "enforce";
    case MODE_REPORT: return "report";
    case MODE_OFF: return "off";
    default: return "inherit";
    }
}

enum mode policy_effective_mode(const struct policy *p, const struct host_entry *e)
{
    if (e && e->mode != MODE_INHERIT)
        return e->mode;
    return p->mode;
}

bool policy_covers_program(const struct policy *p, const char *exe)
{
    if (p->nprograms == 0)
        return true;
    for (size_t i = 0; i < p->nprograms; i++)
        if (exe && fnmatch(p->programs[i], exe, 0) == 0)
            return true;
    return false;
}

int policy_warn_days(const struct policy *p, const struct host_entry *e)
{
    return e && e->warn_days >= 0 ? e->warn_days : p->warn_days;
}

int host_normalize(const char *in, char *out)
{
    size_t len = strlen(in);
    char tmp[HOST_MAX];
    unsigned char addr[16];

    /* "[::1]" as written in URLs */
    if (len >= 2 && in[0] == '[' && in[len - 1] == ']') {
        in++;
        len -= 2;
    }
    if (len == 0 || len >= HOST_MAX)
        return -1;
    memcpy(tmp, in, len);
    tmp[len] = '\0';
    /* The trailing dot goes first: "192.0.2.10." is the IP literal, not a
     * DNS name that an IP-literal entry (and has_ip_entries) would miss. */
    if (tmp[len - 1] == '.')
        tmp[--len] = '\0';
    if (len == 0)
        return -1;
    /* Only hex digits, dots, colons and an x can spell an address: a name
     * with any other letter skips the parsers (cheap, issue 10). */
    if (strspn(tmp, "0123456789abcdefABCDEFxX.:") != len)
        goto dns_name;
    if (inet_pton(AF_INET6, tmp, addr) == 1) {
        /* ::ffff:a.b.c.d is the IPv4 address a.b.c.d (DESIGN 3.1). */
        if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)addr))
            inet_ntop(AF_INET, addr + 12, out, HOST_MAX);
        else
            inet_ntop(AF_INET6, addr, out, HOST_MAX);
        return IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)addr) ? NAME_IPV4 : NAME_IPV6;
    }
    /* Every spelling the resolver reads as an address is that address
     * (DESIGN 3.1): 127.1, 127.0.1, 2130706433, 0x7f000001, 0177.0.0.1.  Such
     * a name sent as SNI must not escape a 127.0.0.1 entry.  inet_aton takes
     * trailing blanks too: the name must be made of number characters only. */
    struct in_addr v4;
    if (strspn(tmp, "0123456789abcdefABCDEFxX.") == len && inet_aton(tmp, &v4) == 1) {
        inet_ntop(AF_INET, &v4, out, HOST_MAX);
        return NAME_IPV4;
    }

dns_name:;
    /* Labels of letters, digits, '-' and '_' (seen in real names), no empty
     * label; '*' only as the whole first label. */
    int kind = NAME_DNS;
    size_t label = 0;
    for (size_t i = 0; i <= len; i++) {
        unsigned char c = (unsigned char)tmp[i];
        if (c == '.' || c == '\0') {
            if (label == 0 || label > 63)
                return -1;
            out[i] = (char)c;
            label = 0;
            continue;
        }
        if (c == '*') {
            if (i != 0 || tmp[1] != '.')
                return -1;
            kind = NAME_WILDCARD;
        } else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                     c == '_')) {
            return -1;
        }
        /* ASCII by hand: <ctype.h> follows the program's locale (in a
         * Turkish single-byte one, tolower('I') is not 'i'). */
        out[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        label++;
    }
    out[len] = '\0';
    return kind;
}

/* FNV-1a: short keys, no need for more. */
static uint64_t hash_key(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

/* The first entry with this match key, following the chain of equal keys is
 * the caller's job (next_same_key). */
static const struct host_entry *find_key(const struct policy *p, const uint32_t *slots, size_t mask,
                                         const char *key)
{
    if (!slots)
        return NULL;
    for (size_t i = hash_key(key) & mask;; i = (i + 1) & mask) {
        uint32_t s = slots[i];
        if (s == 0)
            return NULL;
        if (strcmp(p->entries[s - 1].match_key, key) == 0)
            return &p->entries[s - 1];
    }
}

static size_t table_size(size_t n)
{
    size_t size = 16;
    while (size < n * 2)
        size <<= 1;
    return size;
}

/* Index every entry; entries sharing a key are chained in file order. */
int policy_index(struct policy *p)
{
    size_t nname = 0, nwild = 0;
    for (size_t i = 0; i < p->nentries; i++) {
        if (p->entries[i].kind == NAME_WILDCARD)
            nwild++;
        else
            nname++;
        p->entries[i].next_same_key = UINT32_MAX;
    }
    size_t name_size = table_size(nname), wild_size = table_size(nwild);
    p->name_slots = calloc(name_size, sizeof *p->name_slots);
    p->wild_slots = calloc(wild_size, sizeof *p->wild_slots);
    if (!p->name_slots || !p->wild_slots)
        return -1;
    p->name_mask = name_size - 1;
    p->wild_mask = wild_size - 1;

    for (size_t i = 0; i < p->nentries; i++) {
        struct host_entry *e = &p->entries[i];
        int wild = e->kind == NAME_WILDCARD;
        uint32_t *slots = wild ? p->wild_slots : p->name_slots;
        size_t mask = wild ? p->wild_mask : p->name_mask;
        if (e->kind == NAME_IPV4 || e->kind == NAME_IPV6)
            p->has_ip_entries = true;
        if (e->port != 0)
            p->has_port_entries = true;
        for (size_t j = hash_key(e->match_key) & mask;; j = (j + 1) & mask) {
            if (slots[j] == 0) {
                slots[j] = (uint32_t)i + 1;
                break;
            }
            struct host_entry *first = &p->entries[slots[j] - 1];
            if (strcmp(first->match_key, e->match_key) == 0) {
                while (first->next_same_key != UINT32_MAX)
                    first = &p->entries[first->next_same_key];
                first->next_same_key = (uint32_t)i;
                break;
            }
        }
    }
    return 0;
}

/* Among entries with one key, the one for this port: an entry naming the port
 * beats one for every port.  When the port is unknown (0), an entry for every
 * port is preferred, else a port-specific one still applies: an unknown port
 * must not switch pinning off. */
static const struct host_entry *pick_port(const struct policy *p, const struct host_entry *e, int port,
                                          bool need_subdomains)
{
    const struct host_entry *any_port = NULL, *other_port = NULL;
    for (; e; e = e->next_same_key == UINT32_MAX ? NULL : &p->entries[e->next_same_key]) {
        if (need_subdomains && !e->include_subdomains)
            continue;
        if (e->port == 0) {
            if (!any_port)
                any_port = e;
        } else if (port != 0 && e->port == port) {
            return e;
        } else if (port == 0 && !other_port) {
            other_port = e;
        }
    }
    return any_port ? any_port : other_port;
}

const struct host_entry *policy_lookup(const struct policy *p, const char *host, int port)
{
    const struct host_entry *e;

    e = pick_port(p, find_key(p, p->name_slots, p->name_mask, host), port, false);
    if (e || p->nentries == 0)
        return e;
    /* IP literals match exactly or not at all. */
    if (strchr(host, ':') || strspn(host, "0123456789.") == strlen(host))
        return NULL;

    for (const char *dot = strchr(host, '.'); dot; dot = strchr(dot + 1, '.')) {
        e = pick_port(p, find_key(p, p->name_slots, p->name_mask, dot + 1), port, true);
        if (e)
            return e;
    }
    /* "*.example.com" covers exactly one more label; with include_subdomains
     * also the names below it. */
    const char *dot = strchr(host, '.');
    if (!dot || dot == host)
        return NULL;
    e = pick_port(p, find_key(p, p->wild_slots, p->wild_mask, dot + 1), port, false);
    if (e)
        return e;
    for (dot = strchr(dot + 1, '.'); dot; dot = strchr(dot + 1, '.')) {
        e = pick_port(p, find_key(p, p->wild_slots, p->wild_mask, dot + 1), port, true);
        if (e)
            return e;
    }
    return NULL;
}

void policy_free(struct policy *p)
{
    if (!p)
        return;
    free(p->name_slots);
    free(p->wild_slots);
    free(p->entries);
    arena_free(p->arena);
    free(p);
}
