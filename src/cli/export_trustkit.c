/* pinshim export --format trustkit: TSKConfiguration as an XML plist. */
#include "config.h"
#include "export.h"
#include <stdio.h>
#include <string.h>

/* TrustKit refuses (an exception at start-up) a domain that is not under a
 * known registry of the Public Suffix List, or is a registry itself (its
 * GetRegistryLength() is 0). */
static bool name_refused(struct exporter *x, size_t i)
{
    const struct host_entry *e = &x->p->entries[i];
    const char *tld = strrchr(e->name, '.');
    tld = tld ? tld + 1 : e->name;
    if (!x->psl)
        return false;
    if (psl_is_public_suffix2(x->psl, e->name, PSL_TYPE_ICANN | PSL_TYPE_NO_STAR_RULE)) {
        export_skip(x, i, "TrustKit refuses a public suffix as a pinned domain");
        return true;
    }
    if (!psl_is_public_suffix2(x->psl, tld, PSL_TYPE_ICANN | PSL_TYPE_NO_STAR_RULE)) {
        export_skip(x, i, "TrustKit refuses names outside the Public Suffix List (unknown top-level domain \"%s\")",
                    tld);
        return true;
    }
    return false;
}

static void refuse(struct exporter *x, size_t i, enum mode mode)
{
    (void)mode; /* report mode is TSKEnforcePinning false */
    if (export_refuse_wildcard_or_ip(x, i) || name_refused(x, i))
        return;
    if (export_distinct_pins(&x->p->entries[i]) < 2)
        export_skip(x, i, "TrustKit requires at least two pins (a backup pin); the entry has one");
}

static void write_trustkit(const struct exporter *x)
{
    const struct policy *p = x->p;
    char buf[PIN_TEXT_MAX];
    printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
           "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
           "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
           "<plist version=\"1.0\">\n"
           "<dict>\n"
           "\t<key>TSKConfiguration</key>\n"
           "\t<dict>\n"
           "\t\t<key>TSKSwizzleNetworkDelegates</key>\n"
           "\t\t<true/>\n"
           "\t\t<key>TSKPinnedDomains</key>\n"
           "\t\t<dict>\n");
    for (size_t i = 0; i < p->nentries; i++) {
        const struct host_entry *e = &p->entries[i];
        if (!x->keep[i])
            continue;
        printf("\t\t\t<key>");
        export_xml_escaped(e->name);
        printf("</key>\n\t\t\t<dict>\n");
        printf("\t\t\t\t<key>TSKEnforcePinning</key>\n\t\t\t\t<%s/>\n",
               policy_effective_mode(p, e) == MODE_REPORT ? "false" : "true");
        printf("\t\t\t\t<key>TSKIncludeSubdomains</key>\n\t\t\t\t<%s/>\n", e->include_subdomains ? "true" : "false");
        if (e->expires_text) {
            printf("\t\t\t\t<key>TSKExpirationDate</key>\n\t\t\t\t<string>");
            export_xml_escaped(e->expires_text);
            printf("</string>\n");
        }
        printf("\t\t\t\t<key>TSKPublicKeyHashes</key>\n\t\t\t\t<array>\n");
        for (size_t k = 0; k < e->npins; k++)
            if (!export_repeated_pin(e, k))
                printf("\t\t\t\t\t<string>%s</string>\n", export_b64(e, k, buf));
        printf("\t\t\t\t</array>\n\t\t\t</dict>\n");
    }
    printf("\t\t</dict>\n\t</dict>\n</dict>\n</plist>\n");
}

const struct export_format export_trustkit = {
    .name = "trustkit",
    .title = "TrustKit",
    .refuse = refuse,
    .whole_policy = export_one_per_name,
    .no_ports = true,
    .uses_psl = true,
    .write = write_trustkit,
};
