/* `pinshim report --suggest`: config entries under which the traffic of each
 * host's last day of records would pass: the keys served in that day, leaf
 * and issuer (keys further up as commented alternatives), with the advice a
 * pin set needs to survive a rotation (a backup key). */
#include "config.h"
#include "cli.h"
#include "report_view.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400

/* A name libconfig can hold as written and the library can match. */
static bool plain_host(const char *s)
{
    if (!*s)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
              *p == '-' || *p == '_' || *p == ':' || *p == '*'))
            return false;
    return true;
}

static bool served_today(const struct tally_host *h, const struct tally_key *k)
{
    return k->last > h->last - DAY;
}

static void entry(FILE *out, const struct tally_host *h)
{
    const struct tally_key *pick[TALLY_KEYS_MAX] = { NULL }, *further[TALLY_KEYS_MAX] = { NULL };
    size_t n = 0, nfurther = 0;
    bool caution = false;
    for (int depth = 0; depth <= 1; depth++)
        for (size_t i = 0; i < h->nkeys; i++)
            if (h->keys[i].depth == depth && served_today(h, &h->keys[i]))
                pick[n++] = &h->keys[i];
    for (size_t i = 0; i < h->nkeys; i++)
        if (h->keys[i].depth > 1 && served_today(h, &h->keys[i]))
            further[nfurther++] = &h->keys[i];
    for (size_t i = 0; i < n; i++)
        caution = caution || (pick[i]->unmatched > 0 && pick[i]->matched == 0 && h->nknown > 0);

    char state[600];
    tally_verdict_text(h, state, sizeof state);
    fprintf(out, "  {\n    # ");
    report_put_plain(out, h->name);
    fprintf(out, ":%d, now: ", h->port);
    report_put_plain(out, state);
    fprintf(out, "\n");
    if (caution)
        fprintf(out, "    # CAUTION: some keys below were served only in connections that matched none of\n"
                     "    # the current pins.  That is what a key rotation looks like, and also what an\n"
                     "    # interceptor (a TLS-inspecting proxy, an attacker) looks like: confirm them with\n"
                     "    # the server's operator (or pinshim probe from another network) before use.\n");
    fprintf(out, "    name = \"%s\";\n", h->name);
    if (h->port > 0 && h->port != 443)
        fprintf(out, "    port = %d;\n", h->port);
    fprintf(out, "    pins = [\n");
    for (size_t i = 0; i < n; i++) {
        const struct tally_key *k = pick[i];
        fprintf(out, "      \"%s\"%s  # %s ", k->pin, i + 1 < n ? "," : " ", k->depth == 0 ? "leaf" : "issuer");
        report_put_plain(out, k->subject);
        fprintf(out, "; %lu connection%s, matched %lu%s\n", k->events, k->events == 1 ? "" : "s", k->matched,
                k->unmatched && !k->matched ? ", NOT matched by the current pins" : "");
    }
    for (size_t i = 0; i < nfurther; i++) {
        fprintf(out, "      # or \"%s\": CA further up, ", further[i]->pin);
        report_put_plain(out, further[i]->subject);
        fprintf(out, " (pins every certificate it issues: broader)\n");
    }
    fprintf(out, "      # BACKUP: add the pin of a key that is not in use yet (a spare key pair kept\n"
                 "      # offline, or the CA you would move to: pinshim pin spare.pem).  With only the\n"
                 "      # keys in use, losing one or changing CA locks every client out.\n");
    fprintf(out, "    ];\n  }");
}

int report_write_suggest(FILE *out, const struct tally *t, const struct report_opts *o)
{
    (void)o;
    struct tally_host **hosts = tally_sorted(t);
    if (!hosts) {
        cli_error("%s", strerror(ENOMEM));
        return EX_OSERR;
    }
    size_t shown = 0;
    fprintf(out, "# pinshim report --suggest: entries under which each host's traffic of its last\n"
                 "# day in these logs passes (the keys served then; leaf and issuer).\n");
    for (size_t i = 0; i < t->nhosts; i++) {
        const struct tally_host *h = hosts[i];
        bool any = false;
        for (size_t k = 0; k < h->nkeys; k++)
            any = any || served_today(h, &h->keys[k]);
        if (!plain_host(h->name) || !any) {
            fprintf(out, "# (no entry for ");
            report_put_plain(out, h->name);
            fprintf(out, ":%d: %s)\n", h->port, any ? "not a host name a config can hold" : "no served chain logged");
            continue;
        }
        fprintf(out, "%s", shown++ ? ",\n" : "hosts = (\n");
        entry(out, h);
    }
    fprintf(out, "%s", shown ? "\n);\n" : "# no host to suggest an entry for\n");
    free(hosts);
    if (fflush(out) != 0 || ferror(out)) {
        cli_error("cannot write the suggestion: %s", strerror(errno));
        return EX_IOERR;
    }
    return 0;
}
