/* policy.c + config.c: host matching, ports, IP literals, a large config,
 * every config error with its FILE:LINE, all of them in one load
 * (policy_load_all), defaults. */
#include "config.h"
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "ossl.h"
#include "policy.h"
#include "testpki.h"

/* Pk: 32 bytes of value k, so an entry is known by pins[0].hash[0]. */
#define P0 "\"sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\""
#define P1 "\"sha256/AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\""
#define P2 "\"sha256/AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=\""
#define P3 "\"sha256/AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM=\""
#define P4 "\"sha256/BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ=\""
#define P5 "\"sha256/BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU=\""
#define P6 "\"sha256/BgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgY=\""
#define P7 "\"sha256/BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\""
#define P8 "\"sha256/CAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAg=\""
#define P9 "\"sha256/CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\""
#define CURL_P9 "\"sha256//CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\""

/* ---- helpers ---- */

/* A config file with this text; returns its path (malloc'd). */
static char *write_conf(const char *text)
{
    const char *dir = getenv("TMPDIR");
    char *path = malloc(4096);
    ck_assert_ptr_nonnull(path);
    snprintf(path, 4096, "%s/pinshim-unit-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    ck_assert_msg(fd >= 0, "mkstemp %s failed", path);
    size_t len = strlen(text);
    ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
    ck_assert_int_eq(close(fd), 0);
    return path;
}

/* Loads `text`; the file is removed at once (the policy keeps what it needs). */
static struct policy *load_text(const char *text, char **path_out)
{
    char *path = write_conf(text);
    struct policy *p = policy_load(path);
    ck_assert_ptr_nonnull(p);
    unlink(path);
    if (path_out)
        *path_out = path;
    else
        free(path);
    return p;
}

static struct policy *load_ok(const char *text)
{
    struct policy *p = load_text(text, NULL);
    ck_assert_msg(p->error == NULL, "config rejected: %s\n--- config ---\n%s", p->error, text);
    return p;
}

static const struct host_entry *lookup(const struct policy *p, const char *host, int port)
{
    char norm[HOST_MAX];
    ck_assert_msg(host_normalize(host, norm) >= 0, "host_normalize(\"%s\") failed", host);
    return policy_lookup(p, norm, port);
}

/* The entry for host:port must be the one whose pins are Pk (k < 0: none). */
#define expect(p, host, port, k) expect_at(p, host, port, k, __LINE__)
static void expect_at(const struct policy *p, const char *host, int port, int k, int line)
{
    const struct host_entry *e = lookup(p, host, port);
    if (k < 0) {
        ck_assert_msg(e == NULL, "line %d: %s:%d matched entry \"%s\" (line %d), expected none", line, host, port,
                      e ? e->name : "", e ? e->line : 0);
        return;
    }
    ck_assert_msg(e != NULL, "line %d: %s:%d matched nothing, expected the P%d entry", line, host, port, k);
    ck_assert_msg(e->npins > 0 && e->pins[0].hash[0] == k,
                  "line %d: %s:%d matched entry \"%s\" (P%d), expected the P%d entry", line, host, port, e->name,
                  e->npins ? e->pins[0].hash[0] : -1, k);
}

/* The config must be refused with "PATH:LINE: ..." naming `line`, and the
 * message must contain `word`. */
#define expect_error(text, line, word) expect_error_at(text, line, word, __LINE__)
static void expect_error_at(const char *text, int line, const char *word, int at)
{
    char *path = NULL;
    struct policy *p = load_text(text, &path);
    char prefix[4200];
    ck_assert_msg(p->error != NULL, "line %d: config accepted, expected an error on its line %d:\n%s", at, line,
                  text);
    snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
    ck_assert_msg(strncmp(p->error, prefix, strlen(prefix)) == 0,
                  "line %d: error \"%s\" does not start with \"%s\"", at, p->error, prefix);
    ck_assert_msg(strstr(p->error, word) != NULL, "line %d: error \"%s\" does not mention \"%s\"", at, p->error,
                  word);
    ck_assert_int_eq(p->nentries, 0);
    policy_free(p);
    free(path);
}

/* ---- host_normalize ---- */

START_TEST(test_normalize)
{
    char out[HOST_MAX];
    ck_assert_int_eq(host_normalize("Api.EXAMPLE.com.", out), NAME_DNS);
    ck_assert_str_eq(out, "api.example.com");
    ck_assert_int_eq(host_normalize("*.Cdn.Example.NET", out), NAME_WILDCARD);
    ck_assert_str_eq(out, "*.cdn.example.net");
    ck_assert_int_eq(host_normalize("192.0.2.10", out), NAME_IPV4);
    ck_assert_str_eq(out, "192.0.2.10");
    ck_assert_int_eq(host_normalize("0:0:0:0:0:0:0:1", out), NAME_IPV6);
    ck_assert_str_eq(out, "::1");
    ck_assert_int_eq(host_normalize("[::1]", out), NAME_IPV6);
    ck_assert_str_eq(out, "::1");
    ck_assert_int_eq(host_normalize("[2001:DB8:0:0::A]", out), NAME_IPV6);
    ck_assert_str_eq(out, "2001:db8::a");
    ck_assert_int_eq(host_normalize("localhost", out), NAME_DNS);
    ck_assert_str_eq(out, "localhost");

    /* a 63-character label is fine, 64 is not */
    char name[300];
    memset(name, 'a', 63);
    strcpy(name + 63, ".example.com");
    ck_assert_int_eq(host_normalize(name, out), NAME_DNS);
    memset(name, 'a', 64);
    strcpy(name + 64, ".example.com");
    ck_assert_int_eq(host_normalize(name, out), -1);

    static const char *const bad[] = { "", ".", "..", "a..b", ".example.com", "example.com..", "exa mple.com",
                                       "http://example.com", "example.com/", "ex$ample.com", "a.*.com",
                                       "*.*.example.com", "foo*.example.com", "*", "*.", "example.com:443",
                                       "[]", "[example.com]x" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(host_normalize(bad[i], out) == -1, "\"%s\" accepted as a host name", bad[i]);
}
END_TEST

/* DESIGN 3.1: a numeric name in any spelling the resolver reads as an
 * address is that address (an SNI of "127.1" must not escape a 127.0.0.1
 * entry), and ::ffff:a.b.c.d is a.b.c.d. */
START_TEST(test_normalize_numeric_spellings)
{
    char out[HOST_MAX];
    static const char *const loopback[] = { "127.1", "127.0.1", "2130706433", "0x7f000001", "0X7F000001",
                                            "0177.0.0.1", "0x7f.1", "127.0.0.1.", "::ffff:127.0.0.1",
                                            "[::FFFF:7f00:1]" };
    for (size_t i = 0; i < sizeof loopback / sizeof *loopback; i++) {
        ck_assert_msg(host_normalize(loopback[i], out) == NAME_IPV4, "%s is not an IPv4 address", loopback[i]);
        ck_assert_msg(strcmp(out, "127.0.0.1") == 0, "%s -> %s", loopback[i], out);
    }
    /* names that only look numeric stay names; blanks make no address */
    static const char *const names[] = { "0x7f000001.example", "deadbeef", "1e100.net", "127.0.0.1x" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        int kind = host_normalize(names[i], out);
        ck_assert_msg(kind != NAME_IPV4 && kind != NAME_IPV6, "%s taken for an address (%s)", names[i], out);
    }
    ck_assert_int_eq(host_normalize("127.0.0.1 x", out), -1);
    ck_assert_int_eq(host_normalize("4294967296", out), NAME_DNS); /* out of range: not an address */

    /* the config's spelling is normalised too: an entry "127.1" is 127.0.0.1 */
    struct policy *p = load_ok("hosts = ( { name = \"127.1\"; pins = [ " P1 " ]; } );\n");
    ck_assert_int_eq(p->entries[0].kind, NAME_IPV4);
    ck_assert_str_eq(p->entries[0].name, "127.0.0.1");
    expect(p, "127.0.0.1", 443, 1);
    policy_free(p);
}
END_TEST

/* Found by tests/fuzz/fuzz_host.c: "1.1.2.2." normalised to the DNS name
 * "1.1.2.2", which normalises again to an IP literal.  An entry written with
 * the trailing dot was a DNS entry: include_subdomains was accepted and
 * has_ip_entries stayed false, so a connection whose peer address is unknown
 * was not refused (fail open). */
START_TEST(test_normalize_ip_trailing_dot)
{
    char out[HOST_MAX], again[HOST_MAX];
    ck_assert_int_eq(host_normalize("1.1.2.2.", out), NAME_IPV4);
    ck_assert_str_eq(out, "1.1.2.2");
    ck_assert_int_eq(host_normalize(out, again), NAME_IPV4);
    ck_assert_str_eq(again, out);
    ck_assert_int_eq(host_normalize("192.0.2.10.", out), NAME_IPV4);
    ck_assert_str_eq(out, "192.0.2.10");
    ck_assert_int_eq(host_normalize("::1.", out), NAME_IPV6);
    ck_assert_str_eq(out, "::1");
    ck_assert_int_eq(host_normalize("192.0.2.10..", out), -1);

    struct policy *p = load_ok("hosts = ( { name = \"192.0.2.10.\"; pins = [ " P1 " ]; } );\n");
    ck_assert_int_eq(p->entries[0].kind, NAME_IPV4);
    ck_assert_str_eq(p->entries[0].name, "192.0.2.10");
    ck_assert(p->has_ip_entries);
    expect(p, "192.0.2.10", 443, 1);
    policy_free(p);
    expect_error("hosts = (\n"
                 "  { name = \"192.0.2.10.\"; include_subdomains = true; pins = [ " P1 " ]; }\n"
                 ");\n",
                 2, "include_subdomains");
}
END_TEST

/* ---- matching ---- */

START_TEST(test_match_exact)
{
    struct policy *p = load_ok("hosts = (\n"
                               "  { name = \"api.example.com\"; pins = [ " P1 " ]; },\n"
                               "  { name = \"Mixed.Example.ORG.\"; pins = [ " P2 " ]; }\n"
                               ");\n");
    ck_assert_uint_eq(p->nentries, 2);
    ck_assert_str_eq(p->entries[1].name, "mixed.example.org");
    expect(p, "api.example.com", 443, 1);
    expect(p, "API.Example.COM", 443, 1);
    expect(p, "api.example.com.", 443, 1);
    expect(p, "API.EXAMPLE.COM.", 0, 1);
    expect(p, "mixed.example.org", 443, 2);
    expect(p, "MIXED.EXAMPLE.ORG.", 443, 2);
    expect(p, "example.com", 443, -1);
    expect(p, "a.api.example.com", 443, -1);
    expect(p, "xapi.example.com", 443, -1);
    expect(p, "pi.example.com", 443, -1);
    expect(p, "api.example.co", 443, -1);
    expect(p, "api.example.com.evil.net", 443, -1);
    expect(p, "example.org", 443, -1);
    policy_free(p);
}
END_TEST

START_TEST(test_match_wildcard_one_label)
{
    struct policy *p = load_ok("hosts = (\n"
                               "  { name = \"*.cdn.example.net\"; pins = [ " P3 " ]; }\n"
                               ");\n");
    ck_assert_int_eq(p->entries[0].kind, NAME_WILDCARD);
    expect(p, "a.cdn.example.net", 443, 3);
    expect(p, "A-1.CDN.Example.Net.", 443, 3);
    expect(p, "xn--bcher-kva.cdn.example.net", 443, 3);
    expect(p, "cdn.example.net", 443, -1);       /* not the bare parent */
    expect(p, "b.a.cdn.example.net", 443, -1);   /* not two labels deeper */
    expect(p, "c.b.a.cdn.example.net", 443, -1);
    expect(p, "acdn.example.net", 443, -1);
    expect(p, "a.cdn.example.net.evil", 443, -1);
    expect(p, "example.net", 443, -1);
    policy_free(p);
}
END_TEST

START_TEST(test_match_include_subdomains)
{
    struct policy *p = load_ok("hosts = (\n"
                               "  { name = \"example.com\"; include_subdomains = true; pins = [ " P4 " ]; },\n"
                               "  { name = \"plain.example.org\"; pins = [ " P5 " ]; },\n"
                               "  { name = \"off.example.org\"; include_subdomains = false; pins = [ " P6 " ]; }\n"
                               ");\n");
    expect(p, "example.com", 443, 4);
    expect(p, "a.example.com", 443, 4);
    expect(p, "a.b.example.com", 443, 4);
    expect(p, "A.B.C.D.Example.Com.", 443, 4);
    expect(p, "notexample.com", 443, -1);
    expect(p, "example.com.evil", 443, -1);
    expect(p, "com", 443, -1);
    expect(p, "plain.example.org", 443, 5);
    expect(p, "a.plain.example.org", 443, -1);
    expect(p, "a.b.plain.example.org", 443, -1);
    expect(p, "off.example.org", 443, 6);
    expect(p, "a.off.example.org", 443, -1);
    policy_free(p);
}
END_TEST

/* exact name, then the longest include_subdomains parent, then a wildcard
 * (DESIGN 2) - whatever the order in the file. */
START_TEST(test_match_most_specific)
{
    static const char *const configs[] = {
        "hosts = (\n"
        "  { name = \"example.com\"; include_subdomains = true; pins = [ " P1 " ]; },\n"
        "  { name = \"b.example.com\"; include_subdomains = true; pins = [ " P2 " ]; },\n"
        "  { name = \"a.b.example.com\"; pins = [ " P3 " ]; },\n"
        "  { name = \"*.b.example.com\"; pins = [ " P4 " ]; },\n"
        "  { name = \"*.w.example.com\"; pins = [ " P5 " ]; },\n"
        "  { name = \"x.w.example.com\"; pins = [ " P6 " ]; },\n"
        "  { name = \"*.c.example.org\"; pins = [ " P7 " ]; },\n"
        "  { name = \"c.example.org\"; pins = [ " P8 " ]; }\n"
        ");\n",
        /* the same, in the reverse order */
        "hosts = (\n"
        "  { name = \"c.example.org\"; pins = [ " P8 " ]; },\n"
        "  { name = \"*.c.example.org\"; pins = [ " P7 " ]; },\n"
        "  { name = \"x.w.example.com\"; pins = [ " P6 " ]; },\n"
        "  { name = \"*.w.example.com\"; pins = [ " P5 " ]; },\n"
        "  { name = \"*.b.example.com\"; pins = [ " P4 " ]; },\n"
        "  { name = \"a.b.example.com\"; pins = [ " P3 " ]; },\n"
        "  { name = \"b.example.com\"; include_subdomains = true; pins = [ " P2 " ]; },\n"
        "  { name = \"example.com\"; include_subdomains = true; pins = [ " P1 " ]; }\n"
        ");\n",
    };
    for (int i = 0; i < 2; i++) {
        struct policy *p = load_ok(configs[i]);
        expect(p, "a.b.example.com", 443, 3);   /* exact beats every parent and the wildcard */
        expect(p, "z.b.example.com", 443, 2);   /* longest include_subdomains parent beats the wildcard */
        expect(p, "y.z.b.example.com", 443, 2);
        expect(p, "b.example.com", 443, 2);
        expect(p, "q.example.com", 443, 1);     /* only the shorter parent covers it */
        expect(p, "x.w.example.com", 443, 6);   /* exact beats the wildcard */
        expect(p, "y.w.example.com", 443, 1);   /* include_subdomains parent example.com before a wildcard */
        expect(p, "c.example.org", 443, 8);
        expect(p, "d.c.example.org", 443, 7);   /* c.example.org has no include_subdomains */
        expect(p, "e.d.c.example.org", 443, -1);
        policy_free(p);
    }
}
END_TEST

/* Without an include_subdomains parent, the wildcard applies. */
START_TEST(test_match_wildcard_vs_plain_parent)
{
    struct policy *p = load_ok("hosts = (\n"
                               "  { name = \"example.com\"; pins = [ " P1 " ]; },\n"
                               "  { name = \"*.example.com\"; pins = [ " P2 " ]; },\n"
                               "  { name = \"cdn.example.com\"; include_subdomains = true; pins = [ " P3 " ]; },\n"
                               "  { name = \"*.cdn.example.com\"; pins = [ " P4 " ]; }\n"
                               ");\n");
    expect(p, "example.com", 443, 1);
    expect(p, "a.example.com", 443, 2);
    expect(p, "b.a.example.com", 443, -1);
    expect(p, "cdn.example.com", 443, 3);
    expect(p, "x.cdn.example.com", 443, 3);    /* include_subdomains parent, then wildcard */
    policy_free(p);
}
END_TEST

START_TEST(test_match_ip_literals)
{
    struct policy *p = load_ok("hosts = (\n"
                               "  { name = \"192.0.2.10\"; pins = [ " P1 " ]; },\n"
                               "  { name = \"0:0:0:0:0:0:0:1\"; pins = [ " P2 " ]; },\n"
                               "  { name = \"[2001:db8::1]\"; pins = [ " P3 " ]; },\n"
                               "  { name = \"2001:DB8:0:0:0:0:0:2\"; pins = [ " P4 " ]; },\n"
                               "  { name = \"example.com\"; include_subdomains = true; pins = [ " P5 " ]; }\n"
                               ");\n");
    ck_assert_int_eq(p->entries[0].kind, NAME_IPV4);
    ck_assert_int_eq(p->entries[1].kind, NAME_IPV6);
    ck_assert_str_eq(p->entries[1].name, "::1");
    ck_assert_str_eq(p->entries[2].name, "2001:db8::1");
    ck_assert_str_eq(p->entries[3].name, "2001:db8::2");

    expect(p, "192.0.2.10", 443, 1);
    expect(p, "192.0.2.1", 443, -1);
    expect(p, "192.0.2.100", 443, -1);
    expect(p, "192.0.2.11", 443, -1);
    expect(p, "x.192.0.2.10", 443, -1);
    expect(p, "::1", 443, 2);
    expect(p, "[::1]", 443, 2);
    expect(p, "0:0:0:0:0:0:0:1", 443, 2);
    expect(p, "0000:0000::0001", 443, 2);
    expect(p, "::2", 443, -1);
    expect(p, "2001:db8::1", 443, 3);
    expect(p, "2001:0DB8:0000:0000:0000:0000:0000:0001", 443, 3);
    expect(p, "[2001:db8:0::1]", 443, 3);
    expect(p, "2001:db8::2", 443, 4);
    expect(p, "[2001:DB8::2]", 443, 4);
    expect(p, "2001:db8::3", 443, -1);
    policy_free(p);
}
END_TEST

START_TEST(test_match_ports)
{
    /* port entry after the port-less one, and before it */
    static const char *const configs[] = {
        "hosts = (\n"
        "  { name = \"api.example.com\"; pins = [ " P1 " ]; },\n"
        "  { name = \"api.example.com\"; port = 8443; pins = [ " P2 " ]; },\n"
        "  { name = \"only.example.com\"; port = 8443; pins = [ " P3 " ]; },\n"
        "  { name = \"example.net\"; include_subdomains = true; port = 8443; pins = [ " P4 " ]; },\n"
        "  { name = \"example.org\"; include_subdomains = true; pins = [ " P5 " ]; },\n"
        "  { name = \"a.example.org\"; port = 8443; pins = [ " P6 " ]; }\n"
        ");\n",
        "hosts = (\n"
        "  { name = \"a.example.org\"; port = 8443; pins = [ " P6 " ]; },\n"
        "  { name = \"example.org\"; include_subdomains = true; pins = [ " P5 " ]; },\n"
        "  { name = \"example.net\"; include_subdomains = true; port = 8443; pins = [ " P4 " ]; },\n"
        "  { name = \"only.example.com\"; port = 8443; pins = [ " P3 " ]; },\n"
        "  { name = \"api.example.com\"; port = 8443; pins = [ " P2 " ]; },\n"
        "  { name = \"api.example.com\"; pins = [ " P1 " ]; }\n"
        ");\n",
    };
    for (int i = 0; i < 2; i++) {
        struct policy *p = load_ok(configs[i]);
        expect(p, "api.example.com", 8443, 2);
        expect(p, "api.example.com", 443, 1);
        expect(p, "api.example.com", 8444, 1);
        expect(p, "api.example.com", 0, 1);      /* unknown port: the entry for every port */
        expect(p, "only.example.com", 8443, 3);
        expect(p, "only.example.com", 443, -1);  /* a port entry applies to its port only */
        expect(p, "only.example.com", 0, 3);     /* unknown port still applies it */
        expect(p, "x.example.net", 8443, 4);
        expect(p, "x.example.net", 443, -1);
        expect(p, "x.example.net", 0, 4);
        expect(p, "a.example.org", 8443, 6);
        expect(p, "a.example.org", 443, 5);      /* the parent for other ports */
        expect(p, "b.example.org", 8443, 5);
        policy_free(p);
    }
}
END_TEST

START_TEST(test_curl_form_in_config)
{
    struct policy *p = load_ok("hosts = ( { name = \"a.example\"; pins = [ " CURL_P9 ", " P8 " ]; } );\n");
    ck_assert_uint_eq(p->entries[0].npins, 2);
    ck_assert_int_eq(p->entries[0].pins[0].hash[0], 9);
    ck_assert_int_eq(p->entries[0].pins[0].hash[31], 9);
    ck_assert_int_eq(p->entries[0].pins[1].hash[0], 8);
    policy_free(p);
}
END_TEST

#define BIG 10000

START_TEST(test_big_config)
{
    size_t cap = (size_t)BIG * 160 + 64, len = 0;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    len += (size_t)snprintf(text + len, cap - len, "hosts = (\n");
    for (int i = 0; i < BIG; i++) {
        unsigned char h[32];
        char pin[64];
        memset(h, 0, sizeof h);
        h[0] = (unsigned char)(i >> 8);
        h[1] = (unsigned char)i;
        h[31] = 0x5a;
        pki_pin_text(h, pin);
        len += (size_t)snprintf(text + len, cap - len, "  { name = \"host%05d.example.org\"; pins = [ \"%s\" ]; }%s\n",
                                i, pin, i + 1 < BIG ? "," : "");
    }
    len += (size_t)snprintf(text + len, cap - len, ");\n");
    ck_assert_uint_lt(len, cap);

    struct policy *p = load_ok(text);
    ck_assert_uint_eq(p->nentries, BIG);
    static const int probes[] = { 0, BIG - 1, BIG / 2, 1, 4095, 4096, 9998, 1234 };
    for (size_t k = 0; k < sizeof probes / sizeof *probes; k++) {
        int i = probes[k];
        char host[64];
        snprintf(host, sizeof host, "HOST%05d.example.org.", i);
        const struct host_entry *e = lookup(p, host, 443);
        ck_assert_msg(e != NULL, "%s not found", host);
        snprintf(host, sizeof host, "host%05d.example.org", i);
        ck_assert_str_eq(e->name, host);
        ck_assert_int_eq(e->line, i + 2);
        ck_assert_int_eq(e->pins[0].hash[0], i >> 8);
        ck_assert_int_eq(e->pins[0].hash[1], i & 0xff);
    }
    expect(p, "host10000.example.org", 443, -1);
    expect(p, "a.host00001.example.org", 443, -1);
    expect(p, "example.org", 443, -1);
    policy_free(p);
    free(text);
}
END_TEST

/* ---- values and defaults ---- */

START_TEST(test_defaults)
{
    static const char *const texts[] = { "", "# nothing but a comment\n", "hosts = ( );\n", "log = { };\n" };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        struct policy *p = load_ok(texts[i]);
        ck_assert_int_eq(p->mode, MODE_ENFORCE);
        ck_assert(!p->unpinned_block);
        ck_assert_int_eq(p->log_stderr, LOG_STDERR_FAILURES);
        ck_assert(!p->log_all_verdicts);
        ck_assert_ptr_null(p->json_path);
        ck_assert_uint_eq(p->nentries, 0);
        ck_assert_ptr_null(lookup(p, "example.com", 443));
        ck_assert_int_eq(policy_effective_mode(p, NULL), MODE_ENFORCE);
        policy_free(p);
    }
}
END_TEST

START_TEST(test_values)
{
    struct policy *p = load_ok("mode = \"report\";\n"
                               "unpinned = \"block\";\n"
                               "log = {\n"
                               "  stderr = false;\n"
                               "  syslog = false;\n"
                               "  json = \"/var/log/pinshim.jsonl\";\n"
                               "  verdicts = \"all\";\n"
                               "};\n"
                               "hosts = (\n"
                               "  { name = \"api.example.com\";\n"
                               "    include_subdomains = true;\n"
                               "    pins = [ " P1 ", " P2 " ];\n"
                               "    expires = \"2027-06-30\";\n"
                               "    mode = \"off\";\n"
                               "    port = 8443;\n"
                               "  },\n"
                               "  { name = \"b.example.com\"; pins = [ " P3 " ]; mode = \"enforce\"; expires = \"2028-02-29\"; },\n"
                               "  { name = \"c.example.com\"; pins = [ " P4 " ]; }\n"
                               ");\n");
    ck_assert_int_eq(p->mode, MODE_REPORT);
    ck_assert(p->unpinned_block);
    ck_assert_int_eq(p->log_stderr, LOG_STDERR_NONE);
    ck_assert(!p->log_syslog);
    ck_assert(p->log_all_verdicts);
    ck_assert_str_eq(p->json_path, "/var/log/pinshim.jsonl");
    ck_assert_uint_eq(p->nentries, 3);

    const struct host_entry *e = &p->entries[0];
    ck_assert_str_eq(e->name, "api.example.com");
    ck_assert(e->include_subdomains);
    ck_assert_uint_eq(e->npins, 2);
    ck_assert_int_eq(e->pins[1].hash[0], 2);
    ck_assert_int_eq(e->port, 8443);
    ck_assert_int_eq(e->mode, MODE_OFF);
    ck_assert_int_eq(e->line, 10);
    /* not enforced from the first second after 2027-06-30 (UTC) */
    ck_assert_int_eq((long long)e->expires_at, (long long)pki_time(2027, 7, 1, 0, 0, 0));
    ck_assert_int_eq((long long)p->entries[1].expires_at, (long long)pki_time(2028, 3, 1, 0, 0, 0));
    ck_assert_int_eq((long long)p->entries[2].expires_at, 0);

    ck_assert_int_eq(policy_effective_mode(p, e), MODE_OFF);
    ck_assert_int_eq(policy_effective_mode(p, &p->entries[1]), MODE_ENFORCE);
    ck_assert_int_eq(policy_effective_mode(p, &p->entries[2]), MODE_REPORT);
    ck_assert_int_eq(policy_effective_mode(p, NULL), MODE_REPORT);
    policy_free(p);
}
END_TEST

START_TEST(test_missing_file)
{
    const char *path = "/nonexistent-pinshim-dir/sub/pinshim.conf";
    struct policy *p = policy_load(path);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(p->error);
    ck_assert_msg(strstr(p->error, path) != NULL, "error does not name the file: %s", p->error);
    ck_assert_uint_eq(p->nentries, 0);
    policy_free(p);

    p = policy_failed("/x/y.conf", "/x/y.conf:3: no");
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(p->error, "/x/y.conf:3: no");
    policy_free(p);
}
END_TEST

/* A directory given as the config (PINSHIM_CONFIG=/etc/pinshim/) must give a
 * policy in the failed state naming the path.
 * REGRESSION (was a bug, fixed) (src/config.c policy_load + libconfig 1.5): fopen() of a directory
 * succeeds, libconfig's flex scanner then fails to read it and calls
 * YY_FATAL_ERROR: "input in flex scanner failed" on stderr and exit(2) - the
 * host program dies at its first handshake.  Check reports this test as an
 * error ("Early exit with return value 2"). */
START_TEST(test_config_is_directory)
{
    /* an existing directory: a crash inside policy_load leaves nothing behind */
    const char *dir = "/tmp";
    struct policy *p = policy_load(dir);
    ck_assert_ptr_nonnull(p);
    ck_assert_msg(p->error != NULL, "the directory %s was accepted as a config", dir);
    ck_assert_msg(strstr(p->error, dir) != NULL, "error does not name the path: %s", p->error);
    policy_free(p);
}
END_TEST

/* Found by tests/fuzz/fuzz_config.c: `@include ""` (the config's own
 * directory), or any @include of a directory, made libconfig's scanner call
 * exit(2) ("input in flex scanner failed"): the host program ended at its
 * first handshake.  A FIFO would hang it.  Now a config error at the line. */
static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    ck_assert_int_ge(fputs(text, f), 0);
    ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_error_include_not_a_file)
{
    const char *tmp = getenv("TMPDIR");
    char dir[4096], path[4200], sub[4200], inc[4200], fifo[4200], prefix[4300];
    snprintf(dir, sizeof dir, "%s/pinshim-unit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/pinshim.conf", dir);
    snprintf(sub, sizeof sub, "%s/subdir", dir);
    snprintf(inc, sizeof inc, "%s/more.conf", dir);
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);

    static const char *const bad[] = { "@include \"\"\n", "@include \".\"\n", "@include \"subdir\"\n",
                                       "mode = \"report\";\n  @include\t\"fifo\"\n" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        write_file(path, bad[i]);
        struct policy *p = policy_load(path);
        ck_assert_ptr_nonnull(p);
        ck_assert_msg(p->error != NULL, "accepted: %s", bad[i]);
        snprintf(prefix, sizeof prefix, "%s:%d: @include", path, i == 3 ? 2 : 1);
        ck_assert_msg(strncmp(p->error, prefix, strlen(prefix)) == 0, "%s: error \"%s\"", bad[i], p->error);
        ck_assert_msg(strstr(p->error, "not a regular file") != NULL, "%s: error \"%s\"", bad[i], p->error);
        policy_free(p);
    }

    /* through an included file, which is fine itself */
    write_file(inc, "@include \"subdir\"\n");
    write_file(path, "@include \"more.conf\"\n");
    struct policy *p = policy_load(path);
    ck_assert_msg(p->error != NULL && strstr(p->error, "more.conf:1: @include \"subdir\": not a regular file"),
                  "error \"%s\"", p->error ? p->error : "(none)");
    policy_free(p);

    /* a real file is still included; a missing one is libconfig's error */
    write_file(inc, "mode = \"report\";\n");
    write_file(path, "@include \"more.conf\"\nhosts = ( { name = \"a.example.com\"; pins = [ " P1 " ]; } );\n");
    p = policy_load(path);
    ck_assert_msg(p->error == NULL, "%s", p->error);
    ck_assert_int_eq(p->mode, MODE_REPORT);
    policy_free(p);
    write_file(path, "@include \"missing.conf\"\n");
    p = policy_load(path);
    ck_assert_msg(p->error != NULL && strstr(p->error, "cannot open include file"), "error \"%s\"",
                  p->error ? p->error : "(none)");
    policy_free(p);

    unlink(path);
    unlink(inc);
    unlink(fifo);
    rmdir(sub);
    rmdir(dir);
}
END_TEST

/* ---- errors, each at its line ---- */

START_TEST(test_error_syntax)
{
    expect_error("# a comment\n"
                 "mode = \"enforce\";\n"
                 "hosts = (\n"
                 "  { name = \"a.example.com\"; pins = [ " P1 " ]; },\n"
                 "  {\n"
                 "    name = ;\n"
                 "    pins = [ " P2 " ];\n"
                 "  }\n"
                 ");\n",
                 6, "");
    expect_error("mode = \"enforce\";\n"
                 "\n"
                 "log = {\n"
                 "  stderr = true\n"
                 "  syslog = = false;\n"
                 "};\n",
                 5, "");
    expect_error("mode = \"enforce\";\n"
                 "unpinned = \"allow\";\n"
                 "hosts = (\n"
                 "  { name = \"a.example.com\"; pins = [ " P1 " ] }\n"
                 "  { name = \"b.example.com\"; pins = [ " P2 " ]; }\n"
                 ");\n",
                 5, "");
}
END_TEST

START_TEST(test_error_bad_pin)
{
    /* illegal base64 character */
    expect_error("hosts = (\n"
                 "  { name = \"a.example.com\"; pins = [ " P1 " ]; },\n"
                 "  {\n"
                 "    name = \"b.example.com\";\n"
                 "    pins = [ " P2 ", \"sha256/AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ-=\" ];\n"
                 "  }\n"
                 ");\n",
                 5, "pin");
    /* a pin of another hash */
    expect_error("hosts = (\n"
                 "  { name = \"a.example.com\";\n"
                 "    pins = [ \"sha1/BwcHBwcHBwcHBwcHBwcHBwcHBwc=\" ]; }\n"
                 ");\n",
                 3, "sha256/");
    /* padding in the middle */
    expect_error("hosts = (\n"
                 "  { name = \"a.example.com\";\n"
                 "    pins = [\n"
                 "      \"sha256/AQEBAQEBAQEBAQEB=QEBAQEBAQEBAQEBAQEBAQEBAQE=\",\n"
                 "      " P2 "\n"
                 "    ];\n"
                 "  }\n"
                 ");\n",
                 4, "pin");
    /* not a string */
    expect_error("hosts = (\n"
                 "  { name = \"a.example.com\";\n"
                 "    pins = [ 42 ]; }\n"
                 ");\n",
                 3, "pins");
}
END_TEST

START_TEST(test_error_pin_length)
{
    /* SHA-1 sized (20 bytes) */
    expect_error("mode = \"enforce\";\n"
                 "hosts = (\n"
                 "  { name = \"a.example.com\";\n"
                 "    pins = [ " P1 ",\n"
                 "             \"sha256/BwcHBwcHBwcHBwcHBwcHBwcHBwc=\", " P2 " ]; }\n"
                 ");\n",
                 5, "32");
    /* 31 bytes and 33 bytes: 44 characters like a good pin */
    expect_error("hosts = (\n"
                 "  { name = \"a.example.com\"; pins = [ \"sha256/BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBw==\" ]; }\n"
                 ");\n",
                 2, "32");
    expect_error("hosts = (\n"
                 "  { name = \"a.example.com\"; pins = [ " P3 " ]; },\n"
                 "  { name = \"b.example.com\"; pins = [ \"sha256/BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH\" ]; }\n"
                 ");\n",
                 3, "32");
    /* empty pin */
    expect_error("hosts = (\n"
                 "\n"
                 "  { name = \"a.example.com\"; pins = [ \"sha256/\" ]; }\n"
                 ");\n",
                 3, "32");
}
END_TEST

/* The last pin of a multi-line list, the layout of DESIGN 2 and of most
 * configs.  REGRESSION (was a bug, fixed) (src/config.c + libconfig 1.5): libconfig records an
 * array element's line after reading the token that follows it, so an error in
 * the last element is reported on the line of the closing ']' (here 8, not 7). */
START_TEST(test_error_line_last_pin_of_list)
{
    expect_error("hosts = (\n"
                 "  {\n"
                 "    name = \"a.example.com\";\n"
                 "    pins = [\n"
                 "      " P1 ",\n"
                 "      " P2 ",\n"
                 "      \"sha256/not-base64\"\n"
                 "    ];\n"
                 "  }\n"
                 ");\n",
                 7, "pin"); /* REGRESSION (was a bug, fixed): reported as line 8 */
}
END_TEST

START_TEST(test_error_mode)
{
    expect_error("# global mode\n"
                 "\n"
                 "mode = \"block\";\n",
                 3, "mode");
    expect_error("mode = \"enforce\";\n"
                 "hosts = (\n"
                 "  { name = \"a.example.com\"; pins = [ " P1 " ]; },\n"
                 "  { name = \"b.example.com\";\n"
                 "    pins = [ " P2 " ];\n"
                 "    mode = \"Enforce\";\n"
                 "  }\n"
                 ");\n",
                 6, "mode");
    expect_error("mode = 1;\n", 1, "mode");
}
END_TEST

START_TEST(test_error_unpinned)
{
    expect_error("mode = \"enforce\";\n"
                 "log = { stderr = true; };\n"
                 "unpinned = \"deny\";\n",
                 3, "unpinned");
    expect_error("\nunpinned = true;\n", 2, "unpinned");
}
END_TEST

START_TEST(test_error_expires)
{
    static const char *const dates[] = { "2026-02-30", "2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31",
                                         "2026-1-1", "26-01-01", "2026/01/01", "2026-01-01T00:00:00Z",
                                         "tomorrow", "",
                                         /* sscanf's %d took these (clang-tidy cert-err34-c): "+027-06-30"
                                          * was the year 27, an entry expired at once (not enforced) */
                                         "+027-06-30", "-027-06-30", "2027-+6-30", "2027-06- 3", " 2027-06-3",
                                         "2027-06-3x", "2027-06-30 " };
    for (size_t i = 0; i < sizeof dates / sizeof *dates; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "hosts = (\n"
                 "  { name = \"a.example.com\"; pins = [ " P1 " ]; },\n"
                 "  {\n"
                 "    name = \"b.example.com\";\n"
                 "    pins = [ " P2 " ];\n"
                 "    expires = \"%s\";\n"
                 "  }\n"
                 ");\n",
                 dates[i]);
        expect_error(text, 6, "expires");
    }
}
END_TEST

START_TEST(test_error_port)
{
    static const char *const ports[] = { "0", "65536", "70000", "-1", "\"443\"", "4.43e2" };
    for (size_t i = 0; i < sizeof ports / sizeof *ports; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "hosts = (\n"
                 "  { name = \"a.example.com\"; pins = [ " P1 " ]; },\n"
                 "  { name = \"b.example.com\";\n"
                 "    pins = [ " P2 " ];\n"
                 "\n"
                 "    port = %s;\n"
                 "  }\n"
                 ");\n",
                 ports[i]);
        expect_error(text, 6, "port");
    }
    /* the bounds themselves are fine */
    struct policy *p = load_ok("hosts = ( { name = \"a.example.com\"; port = 1; pins = [ " P1 " ]; },\n"
                               "          { name = \"a.example.com\"; port = 65535; pins = [ " P2 " ]; } );\n");
    expect(p, "a.example.com", 1, 1);
    expect(p, "a.example.com", 65535, 2);
    policy_free(p);
}
END_TEST

START_TEST(test_error_no_pins)
{
    expect_error("hosts = (\n"
                 "  { name = \"a.example.com\"; pins = [ " P1 " ]; },\n"
                 "  { name = \"b.example.com\"; include_subdomains = true; },\n"
                 "  { name = \"c.example.com\"; pins = [ " P2 " ]; }\n"
                 ");\n",
                 3, "b.example.com");
    expect_error("hosts = (\n"
                 "  { name = \"a.example.com\"; pins = [ " P1 " ]; },\n"
                 "  { name = \"b.example.com\";\n"
                 "    pins = [ ]; }\n"
                 ");\n",
                 4, "pin");
}
END_TEST

START_TEST(test_error_not_a_host_name)
{
    static const char *const names[] = { "exa mple.com", "a..example.com", "https://a.example.com",
                                         "a.example.com:443", "*.*.example.com", "foo*.example.com",
                                         "", "*", "exa$mple.com" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "hosts = (\n"
                 "  { name = \"a.example.com\"; pins = [ " P1 " ]; },\n"
                 "  {\n"
                 "    pins = [ " P2 " ];\n"
                 "    name = \"%s\";\n"
                 "  }\n"
                 ");\n",
                 names[i]);
        expect_error(text, 5, "host name");
    }
    /* no name at all */
    expect_error("hosts = (\n"
                 "  { name = \"a.example.com\"; pins = [ " P1 " ]; },\n"
                 "  { pins = [ " P2 " ]; }\n"
                 ");\n",
                 3, "name");
}
END_TEST

/* include_subdomains on an IP literal is refused, at the entry's line */
START_TEST(test_error_ip_include_subdomains)
{
    expect_error("hosts = (\n"
                 "  { name = \"a.example.com\"; pins = [ " P1 " ]; },\n"
                 "  { name = \"192.0.2.10\"; include_subdomains = true; pins = [ " P2 " ]; }\n"
                 ");\n",
                 3, "192.0.2.10");
    expect_error("hosts = (\n"
                 "\n"
                 "  { name = \"[::1]\"; include_subdomains = true; pins = [ " P2 " ]; }\n"
                 ");\n",
                 3, "::1");
}
END_TEST

/* log.stderr: true, false or "all" (DESIGN 5). */
START_TEST(test_log_stderr_values)
{
    static const struct {
        const char *text;
        enum log_stderr want;
    } cases[] = {
        { "log = { stderr = true; };\n", LOG_STDERR_FAILURES },
        { "log = { stderr = false; };\n", LOG_STDERR_NONE },
        { "log = { stderr = \"all\"; };\n", LOG_STDERR_ALL },
        { "log = { syslog = false; };\n", LOG_STDERR_FAILURES },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct policy *p = load_ok(cases[i].text);
        ck_assert_int_eq(p->log_stderr, cases[i].want);
        policy_free(p);
    }
}
END_TEST

START_TEST(test_error_log_values)
{
    expect_error("log = {\n"
                 "  stderr = true;\n"
                 "  verdicts = \"some\";\n"
                 "};\n",
                 3, "verdicts");
    expect_error("log = {\n"
                 "  stderr = \"yes\";\n"
                 "};\n",
                 2, "stderr");
    /* Only "all" as a string; not "All", not "failures", not a number. */
    expect_error("log = {\n"
                 "  syslog = true;\n"
                 "  stderr = \"All\";\n"
                 "};\n",
                 3, "stderr must be true, false or \"all\"");
    expect_error("log = {\n"
                 "  stderr = \"failures\";\n"
                 "};\n",
                 2, "stderr must be true, false or \"all\"");
    expect_error("log = {\n"
                 "  stderr = 1;\n"
                 "};\n",
                 2, "stderr must be true, false or \"all\"");
    expect_error("log = {\n"
                 "  json = \"relative.jsonl\";\n"
                 "};\n",
                 2, "json");
}
END_TEST

/* ---- every error in one load (policy_load_all, for pinshim check) ---- */

#define SINK_MAX 16
struct sink_log {
    int n;
    char file[SINK_MAX][4200];
    int line[SINK_MAX];
    char message[SINK_MAX][300];
};

static void sink_record(void *ctx, const char *file, int line, const char *message)
{
    struct sink_log *log = ctx;
    ck_assert_msg(log->n < SINK_MAX, "more than %d errors: %s", SINK_MAX, message);
    snprintf(log->file[log->n], sizeof log->file[0], "%s", file);
    log->line[log->n] = line;
    snprintf(log->message[log->n], sizeof log->message[0], "%s", message);
    log->n++;
}

START_TEST(test_all_errors)
{
    const char *tmp = getenv("TMPDIR");
    char dir[4096], path[4200], inc[4200], first[4600];
    snprintf(dir, sizeof dir, "%s/pinshim-unit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/pinshim.conf", dir);
    snprintf(inc, sizeof inc, "%s/more.conf", dir);
    write_file(inc, "{ name = \"inc.example.com\";\n"
                    "  pins = [ " P1 ", \"sha256/short\" ]; }\n");
    write_file(path, "mode = \"strict\";\n"                                               /* 1 */
                     "unpinned = \"allow\";\n"                                             /* 2 */
                     "programs = [ \"/usr/bin/curl\", \"curl\" ];\n"                       /* 3 */
                     "log = { stderr = \"maybe\"; json = \"/var/log/p.jsonl\"; };\n"       /* 4 */
                     "hosts = (\n"                                                         /* 5 */
                     "  { name = \"ok.example.com\"; pins = [ " P1 ", " P2 " ]; },\n"      /* 6 */
                     "  { name = \"a..example.com\"; pins = [ \"md5/x\" ]; },\n"           /* 7 */
                     "  { name = \"b.example.com\"; pins = [ " P1 " ];\n"                  /* 8 */
                     "    port = 0; },\n"                                                  /* 9 */
                     "  { name = \"*.w.example.com\"; tofu = \"leaf\"; },\n"               /* 10 */
                     "  { name = \"c.example.com\"; tofu = \"lef\"; },\n"                  /* 11 */
                     "  { pins = [ " P1 " ]; },\n"                                         /* 12 */
                     "  @include \"more.conf\"\n"                                          /* 13 */
                     ");\n");
    static const struct {
        int inc, line;
        const char *start;
    } want[] = {
        { 0, 1, "mode must be" },
        { 0, 3, "each program must be an absolute path" },
        { 0, 4, "stderr must be true, false or \"all\"" },
        { 0, 7, "\"a..example.com\" is not a host name" },
        { 0, 7, "bad pin \"md5/x\"" },
        { 0, 9, "port must be between 1 and 65535, not 0" },
        { 0, 10, "tofu needs one host" },
        { 0, 11, "tofu must be \"leaf\" or \"chain\", not \"lef\"" },
        { 0, 12, "host entry without a name" },
        { 1, 2, "bad pin \"sha256/short\"" },
    };
    const int nwant = (int)(sizeof want / sizeof want[0]);

    struct sink_log log = { 0 };
    const struct policy_sink sink = { sink_record, &log };
    struct policy *all = policy_load_all(path, &sink);
    ck_assert_ptr_nonnull(all);
    for (int i = 0; i < log.n; i++)
        fprintf(stderr, "  sink: %s:%d: %s\n", log.file[i], log.line[i], log.message[i]);
    ck_assert_int_eq(log.n, nwant);
    for (int i = 0; i < nwant; i++) {
        /* an @include'd file is named as the @include line names it (libconfig) */
        ck_assert_str_eq(log.file[i], want[i].inc ? "more.conf" : path);
        ck_assert_msg(log.line[i] == want[i].line, "error %d at line %d, expected %d: %s", i, log.line[i],
                      want[i].line, log.message[i]);
        ck_assert_msg(strncmp(log.message[i], want[i].start, strlen(want[i].start)) == 0,
                      "error %d: \"%s\", expected \"%s...\"", i, log.message[i], want[i].start);
    }
    /* the policy fails with the first error, exactly as policy_load's */
    snprintf(first, sizeof first, "%s:1: %s", path, log.message[0]);
    ck_assert_ptr_nonnull(all->error);
    ck_assert_str_eq(all->error, first);
    ck_assert_int_eq(all->nentries, 0);
    struct policy *one = policy_load(path);
    ck_assert_ptr_nonnull(one);
    ck_assert_ptr_nonnull(one->error);
    ck_assert_str_eq(one->error, all->error);
    policy_free(one);
    policy_free(all);

    /* a valid config: the sink is never called, the policy is policy_load's */
    log.n = 0;
    write_file(path, "hosts = ( { name = \"ok.example.com\"; pins = [ " P1 ", " P2 " ]; },\n"
                     "          { name = \"t.example.com\"; tofu = \"chain\"; } );\n");
    all = policy_load_all(path, &sink);
    ck_assert_ptr_nonnull(all);
    ck_assert_msg(all->error == NULL, "%s", all->error);
    ck_assert_int_eq(log.n, 0);
    ck_assert_int_eq(all->nentries, 2);
    ck_assert_ptr_nonnull(lookup(all, "ok.example.com", 443));
    policy_free(all);

    /* a syntax error after a wrong value: the only error, not for the sink */
    write_file(path, "mode = \"strict\";\nhosts = ( { name = ; } );\n");
    all = policy_load_all(path, &sink);
    ck_assert_ptr_nonnull(all);
    ck_assert_ptr_nonnull(all->error);
    snprintf(first, sizeof first, "%s:2: ", path);
    ck_assert_msg(strncmp(all->error, first, strlen(first)) == 0, "error \"%s\"", all->error);
    ck_assert_int_eq(log.n, 0);
    policy_free(all);

    unlink(path);
    unlink(inc);
    rmdir(dir);
}
END_TEST

static Suite *policy_suite(void)
{
    Suite *s = suite_create("policy");
    TCase *tc = tcase_create("match");
    tcase_add_test(tc, test_normalize);
    tcase_add_test(tc, test_normalize_ip_trailing_dot);
    tcase_add_test(tc, test_normalize_numeric_spellings);
    tcase_add_test(tc, test_match_exact);
    tcase_add_test(tc, test_match_wildcard_one_label);
    tcase_add_test(tc, test_match_include_subdomains);
    tcase_add_test(tc, test_match_most_specific);
    tcase_add_test(tc, test_match_wildcard_vs_plain_parent);
    tcase_add_test(tc, test_match_ip_literals);
    tcase_add_test(tc, test_match_ports);
    tcase_add_test(tc, test_curl_form_in_config);
    tcase_add_test(tc, test_big_config);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("load");
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_values);
    tcase_add_test(tc, test_missing_file);
    tcase_add_test(tc, test_config_is_directory);
    tcase_add_test(tc, test_error_include_not_a_file);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, test_error_syntax);
    tcase_add_test(tc, test_error_bad_pin);
    tcase_add_test(tc, test_error_pin_length);
    tcase_add_test(tc, test_error_line_last_pin_of_list);
    tcase_add_test(tc, test_error_mode);
    tcase_add_test(tc, test_error_unpinned);
    tcase_add_test(tc, test_error_expires);
    tcase_add_test(tc, test_error_port);
    tcase_add_test(tc, test_error_no_pins);
    tcase_add_test(tc, test_error_not_a_host_name);
    tcase_add_test(tc, test_error_ip_include_subdomains);
    tcase_add_test(tc, test_log_stderr_values);
    tcase_add_test(tc, test_error_log_values);
    tcase_add_test(tc, test_all_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    ossl_bind_linked();
    SRunner *sr = srunner_create(policy_suite());
    srunner_run_all(sr, CK_VERBOSE);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
