/* Host matching: host_normalize, then policy_lookup against a fixed policy,
 * checked against a brute-force scan of the entries by the documented rule
 * (DESIGN 2: exact name, then the longest include_subdomains parent, then a
 * wildcard for one label, then a wildcard with include_subdomains; an entry
 * for the port beats one for every port, IP literals match only exactly).
 *
 * Input: two bytes choose the port, the rest is the name. */
#include "config.h"
#include <ctype.h>
#include <unistd.h>
#include "fuzz.h"
#include "ossl.h"
#include "policy.h"

#define PIN "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

static const char policy_text[] =
    "hosts = (\n"
    "  { name = \"example.com\"; pins = [ \"" PIN "\" ]; },\n"
    "  { name = \"example.com\"; port = 8443; pins = [ \"" PIN "\" ]; },\n"
    "  { name = \"api.example.com\"; include_subdomains = true; pins = [ \"" PIN "\" ]; },\n"
    "  { name = \"API.example.com.\"; port = 443; pins = [ \"" PIN "\" ]; },\n"
    "  { name = \"b.api.example.com\"; pins = [ \"" PIN "\" ]; },\n"
    "  { name = \"*.cdn.example.com\"; pins = [ \"" PIN "\" ]; },\n"
    "  { name = \"*.cdn.example.com\"; port = 8443; include_subdomains = true; pins = [ \"" PIN "\" ]; },\n"
    "  { name = \"*.wild.example\"; include_subdomains = true; pins = [ \"" PIN "\" ]; },\n"
    "  { name = \"wild.example\"; pins = [ \"" PIN "\" ]; },\n"
    "  { name = \"deep.a.b.c.d.example\"; include_subdomains = true; pins = [ \"" PIN "\" ]; },\n"
    "  { name = \"c.d.example\"; include_subdomains = true; port = 443; pins = [ \"" PIN "\" ]; },\n"
    "  { name = \"d.example\"; include_subdomains = true; port = 8443; pins = [ \"" PIN "\" ]; },\n"
    "  { name = \"org\"; include_subdomains = true; pins = [ \"" PIN "\" ]; },\n"
    "  { name = \"*.org\"; pins = [ \"" PIN "\" ]; },\n"
    "  { name = \"x-y_z.example\"; pins = [ \"" PIN "\" ]; },\n"
    "  { name = \"192.0.2.10\"; pins = [ \"" PIN "\" ]; },\n"
    "  { name = \"192.0.2.10\"; port = 443; pins = [ \"" PIN "\" ]; },\n"
    "  { name = \"[2001:DB8::1]\"; pins = [ \"" PIN "\" ]; },\n"
    "  { name = \"::ffff:192.0.2.1\"; pins = [ \"" PIN "\" ]; },\n"
    "  { name = \"1.2.3.4.5\"; include_subdomains = true; pins = [ \"" PIN "\" ]; },\n"
    "  { name = \"a\"; pins = [ \"" PIN "\" ]; },\n"
    "  { name = \"*.a\"; include_subdomains = true; pins = [ \"" PIN "\" ]; }\n"
    ");\n";

static struct policy *policy;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    ossl_bind_linked();
    const char *tmp = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/pinshim-fuzz-host.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, policy_text, sizeof policy_text - 1) != (ssize_t)(sizeof policy_text - 1)) {
        perror(path);
        abort();
    }
    close(fd);
    policy = policy_load(path);
    unlink(path);
    if (!policy || policy->error) {
        fprintf(stderr, "fuzz_host: the fixed policy does not load: %s\n", policy ? policy->error : "NULL");
        abort();
    }
    return 0;
}

/* pick_port's rule, on a list of candidates in file order. */
static const struct host_entry *pick(const struct host_entry *const *c, size_t n, int port)
{
    const struct host_entry *any = NULL, *other = NULL;
    for (size_t i = 0; i < n; i++) {
        if (c[i]->port == 0 && !any)
            any = c[i];
        else if (c[i]->port != 0 && port != 0 && c[i]->port == port)
            return c[i];
        else if (c[i]->port != 0 && port == 0 && !other)
            other = c[i];
    }
    return any ? any : other;
}

/* Entries whose match key is `key` (wildcards or not), with include_subdomains
 * when `sub`, chosen by port. */
static const struct host_entry *scan(const char *key, bool wild, bool sub, int port)
{
    const struct host_entry *c[64];
    size_t n = 0;
    for (size_t i = 0; i < policy->nentries && n < 64; i++) {
        const struct host_entry *e = &policy->entries[i];
        if ((e->kind == NAME_WILDCARD) == wild && strcmp(e->match_key, key) == 0 && (!sub || e->include_subdomains))
            c[n++] = e;
    }
    return pick(c, n, port);
}

static const struct host_entry *reference_lookup(const char *host, int port)
{
    const struct host_entry *e = scan(host, false, false, port);
    if (e)
        return e;
    if (strchr(host, ':') || strspn(host, "0123456789.") == strlen(host))
        return NULL;
    for (const char *dot = strchr(host, '.'); dot; dot = strchr(dot + 1, '.'))
        if ((e = scan(dot + 1, false, true, port)))
            return e;
    const char *dot = strchr(host, '.');
    if (!dot || dot == host)
        return NULL;
    if ((e = scan(dot + 1, true, false, port)))
        return e;
    for (dot = strchr(dot + 1, '.'); dot; dot = strchr(dot + 1, '.'))
        if ((e = scan(dot + 1, true, true, port)))
            return e;
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int ports[] = { 0, 443, 8443, 80 };
    if (size < 2)
        return 0;
    int port = data[0] < 200 ? ports[data[0] % 4] : data[0] << 8 | data[1];
    char *in = fuzz_strndup(data + 2, size - 2, 1024);
    char out[HOST_MAX], again[HOST_MAX], upper[1025];

    memset(out, 0x55, sizeof out);
    int kind = host_normalize(in, out);
    FUZZ_ASSERT(kind >= -1 && kind <= NAME_IPV6, "kind %d", kind);
    /* The same name in upper case normalises the same way. */
    size_t i;
    for (i = 0; in[i]; i++)
        upper[i] = (char)toupper((unsigned char)in[i]);
    upper[i] = '\0';
    int kind_upper = host_normalize(upper, again);
    FUZZ_ASSERT(kind_upper == kind || kind == NAME_IPV6 || kind == NAME_IPV4 || kind_upper == NAME_IPV6 ||
                    kind_upper == NAME_IPV4,
                "\"%s\" is kind %d, \"%s\" kind %d", in, kind, upper, kind_upper);
    if (kind < 0) {
        free(in);
        return 0;
    }
    FUZZ_ASSERT(memchr(out, '\0', sizeof out) != NULL, "no NUL in the normalised name of \"%s\"", in);
    FUZZ_ASSERT(out[0] != '\0', "\"%s\" normalises to an empty name", in);
    if (kind == kind_upper && kind != NAME_IPV6 && kind != NAME_IPV4)
        FUZZ_ASSERT(strcmp(out, again) == 0, "\"%s\" -> \"%s\" but \"%s\" -> \"%s\"", in, out, upper, again);
    for (const char *c = out; *c; c++)
        FUZZ_ASSERT(!isupper((unsigned char)*c) && (unsigned char)*c > 0x20 && (unsigned char)*c < 0x7f,
                    "byte 0x%02x in the normalised name \"%s\"", (unsigned char)*c, out);
    /* Normalising is idempotent. */
    memset(again, 0x55, sizeof again);
    FUZZ_ASSERT(host_normalize(out, again) == kind, "\"%s\" -> \"%s\" is no longer kind %d", in, out, kind);
    FUZZ_ASSERT(strcmp(out, again) == 0, "\"%s\" -> \"%s\" -> \"%s\"", in, out, again);

    if (kind != NAME_WILDCARD) {
        const struct host_entry *e = policy_lookup(policy, out, port);
        const struct host_entry *r = reference_lookup(out, port);
        FUZZ_ASSERT(e == r, "lookup(\"%s\", %d) = %s (line %d), by the rule %s (line %d)", out, port,
                    e ? e->name : "none", e ? e->line : 0, r ? r->name : "none", r ? r->line : 0);
    }
    free(in);
    return 0;
}
