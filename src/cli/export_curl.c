/* pinshim export --format curl: a --pinnedpubkey line per entry. */
#include "config.h"
#include "export.h"
#include <stdio.h>

static void refuse(struct exporter *x, size_t i, enum mode mode)
{
    export_refuse_report_or_expired(x, i, mode);
}

static void write_curl(const struct exporter *x)
{
    const struct policy *p = x->p;
    char buf[PIN_TEXT_MAX];
    for (size_t i = 0; i < p->nentries; i++) {
        const struct host_entry *e = &p->entries[i];
        if (!x->keep[i])
            continue;
        if (e->kind == NAME_IPV6)
            printf("[%s]", e->name);
        else
            printf("%s", e->name);
        if (e->port)
            printf(":%d", e->port);
        printf(" --pinnedpubkey '");
        const char *sep = "";
        for (size_t k = 0; k < e->npins; k++) {
            if (export_repeated_pin(e, k))
                continue;
            printf("%ssha256//%s", sep, export_b64(e, k, buf));
            sep = ";";
        }
        printf("'\n");
    }
}

/* The only format with ports: each line names its own. */
const struct export_format export_curl = {
    .name = "curl",
    .title = "curl",
    .refuse = refuse,
    .no_expiry = true,
    .write = write_curl,
};
