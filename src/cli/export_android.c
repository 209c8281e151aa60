/* pinshim export --format android: network_security_config.xml. */
#include "config.h"
#include "export.h"
#include <stdio.h>

static void refuse(struct exporter *x, size_t i, enum mode mode)
{
    if (export_refuse_wildcard_or_ip(x, i))
        return;
    if (mode == MODE_REPORT)
        export_skip(x, i, "Android has no report-only mode (enforcing would block what the config only reports)");
}

static void write_android(const struct exporter *x)
{
    const struct policy *p = x->p;
    char buf[PIN_TEXT_MAX];
    printf("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
           "<!-- network_security_config.xml written by pinshim export -->\n"
           "<network-security-config>\n");
    for (size_t i = 0; i < p->nentries; i++) {
        const struct host_entry *e = &p->entries[i];
        if (!x->keep[i])
            continue;
        printf("    <!-- config line %d -->\n", e->line);
        printf("    <domain-config>\n");
        printf("        <domain includeSubdomains=\"%s\">", e->include_subdomains ? "true" : "false");
        export_xml_escaped(e->name);
        printf("</domain>\n");
        if (e->expires_text) {
            printf("        <pin-set expiration=\"");
            export_xml_escaped(e->expires_text);
            printf("\">\n");
        } else {
            printf("        <pin-set>\n");
        }
        for (size_t k = 0; k < e->npins; k++)
            if (!export_repeated_pin(e, k))
                printf("            <pin digest=\"SHA-256\">%s</pin>\n", export_b64(e, k, buf));
        printf("        </pin-set>\n");
        printf("    </domain-config>\n");
    }
    printf("</network-security-config>\n");
}

const struct export_format export_android = {
    .name = "android",
    .title = "Android",
    .refuse = refuse,
    .whole_policy = export_one_per_name,
    .no_ports = true,
    .write = write_android,
};
