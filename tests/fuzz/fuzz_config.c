/* The config front end: bytes -> a file -> policy_load -> policy_lookup.
 *
 * The input is written to a config file in a private directory (so that
 * @include "x" finds include.conf and nothing else of ours) and loaded as the
 * library would load it.  Invariants: a policy comes back (never NULL, never
 * an exit); a failed one has a "FILE:..." message and no entries; a good one
 * finds each of its entries by its own name and answers lookups of a few
 * names (and of pieces of the input taken as a name) without crashing. */
#include "config.h"
#include <ftw.h>
#include <unistd.h>
#include "fuzz.h"
#include "ossl.h"
#include "policy.h"

static char dir[4096], conf[4200];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void cleanup(void)
{
    if (dir[0])
        nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "w");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/pinshim-fuzz-config.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror(dir);
        abort();
    }
    atexit(cleanup);
    snprintf(conf, sizeof conf, "%s/fuzz.conf", dir);
    char inc[4200];
    static const char included[] =
        "hosts = ( { name = \"included.example\"; pins = [ \"sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\" ]; } );\n";
    snprintf(inc, sizeof inc, "%s/include.conf", dir);
    write_file(inc, included, sizeof included - 1);
    ossl_bind_linked();
    return 0;
}

static const char *const names[] = {
    "example.com", "www.example.com", "a.b.c.example.com", "api.example.com", "x.cdn.example.com",
    "192.0.2.10", "2001:db8::1", "localhost", "included.example", "com",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    write_file(conf, data, size);
    struct policy *p = policy_load(conf);
    FUZZ_ASSERT(p != NULL, "policy_load returned NULL");
    if (p->error) {
        FUZZ_ASSERT(p->nentries == 0, "a failed policy with %zu entries", p->nentries);
        FUZZ_ASSERT(strstr(p->error, ": ") != NULL, "an error message without a place: %s", p->error);
        policy_free(p);
        return 0;
    }
    for (size_t i = 0; i < p->nentries; i++) {
        const struct host_entry *e = &p->entries[i];
        char host[HOST_MAX + 8];
        FUZZ_ASSERT(e->npins > 0 || e->tofu != TOFU_NONE, "entry %s without pins", e->name);
        if (e->kind == NAME_WILDCARD)
            snprintf(host, sizeof host, "x%s", e->name + 1);
        else
            snprintf(host, sizeof host, "%s", e->name);
        char norm[HOST_MAX];
        if (host_normalize(host, norm) < 0)
            continue; /* "x" + a 255-byte name is too long: fine */
        FUZZ_ASSERT(policy_lookup(p, norm, e->port) != NULL, "entry %s (line %d) is not found by %s", e->name,
                    e->line, norm);
    }
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        for (int port = 0; port <= 443; port += 443) {
            const struct host_entry *e = policy_lookup(p, names[i], port);
            FUZZ_ASSERT(!e || (e >= p->entries && e < p->entries + p->nentries), "lookup outside the entries");
        }
    /* The input's first line as a host name. */
    char *line = fuzz_strndup(data, size, HOST_MAX + 8), norm[HOST_MAX];
    line[strcspn(line, "\n")] = '\0';
    if (host_normalize(line, norm) >= 0)
        (void)policy_lookup(p, norm, 443);
    free(line);
    (void)policy_covers_program(p, "/usr/bin/curl");
    policy_free(p);
    return 0;
}
