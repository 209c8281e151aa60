/* pinshim export --format hpkp: the Public-Key-Pins header (RFC 7469) each
 * host should send. */
#include "config.h"
#include "export.h"
#include "cli.h"
#include <stdio.h>

static void refuse(struct exporter *x, size_t i, enum mode mode)
{
    const struct host_entry *e = &x->p->entries[i];
    (void)mode; /* report mode is Public-Key-Pins-Report-Only */
    if (export_is_ip(e))
        export_skip(x, i, "HPKP pins host names; user agents ignore it from IP addresses");
    else if (export_distinct_pins(e) < 2)
        export_skip(x, i, "HPKP requires at least two pins (a backup pin, RFC 7469); the entry has one");
    else if (export_expired(x, e))
        export_skip(x, i, "it expired on %s and HPKP has no expiry date (exporting would enforce stale pins)",
                    e->expires_text);
}

static void report_uri_missing(struct exporter *x)
{
    const struct policy *p = x->p;
    if (x->report_uri)
        return;
    for (size_t i = 0; i < p->nentries; i++)
        if (x->keep[i] && policy_effective_mode(p, &p->entries[i]) == MODE_REPORT) {
            cli_warning("%s: Public-Key-Pins-Report-Only reports nothing without a report-uri (--report-uri)",
                        x->path);
            x->warned++;
            return;
        }
}

static void write_hpkp(const struct exporter *x)
{
    const struct policy *p = x->p;
    char buf[PIN_TEXT_MAX];
    for (size_t i = 0; i < p->nentries; i++) {
        const struct host_entry *e = &p->entries[i];
        if (!x->keep[i])
            continue;
        bool report = policy_effective_mode(p, e) == MODE_REPORT;
        if (e->kind == NAME_WILDCARD)
            printf("# each host %s %s (config line %d) sends:\n", e->include_subdomains ? "below" : "one label below",
                   e->match_key, e->line);
        else
            printf("# %s%s (config line %d) sends:\n", e->name, e->include_subdomains ? " and its subdomains" : "",
                   e->line);
        printf("%s:", report ? "Public-Key-Pins-Report-Only" : "Public-Key-Pins");
        for (size_t k = 0; k < e->npins; k++)
            if (!export_repeated_pin(e, k))
                printf(" pin-sha256=\"%s\";", export_b64(e, k, buf));
        printf(" max-age=%ld", x->max_age);
        if (e->include_subdomains)
            printf("; includeSubDomains");
        if (x->report_uri)
            printf("; report-uri=\"%s\"", x->report_uri);
        printf("\n");
    }
}

const struct export_format export_hpkp = {
    .name = "hpkp",
    .title = "HPKP",
    .refuse = refuse,
    .whole_policy = export_one_per_name,
    .no_ports = true,
    .no_expiry = true,
    .header_options = true,
    .final_warning = report_uri_missing,
    .write = write_hpkp,
};
