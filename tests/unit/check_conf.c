/* The shipped sample config, conf/pinshim.conf, loads without an error.
 * Found through $top_srcdir (set by the test harness) or the TOP_SRCDIR the
 * program was built with.  Exits 77 (automake's SKIP) while the file does not
 * exist. */
#include "config.h"
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "ossl.h"
#include "policy.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

static char conf_path[4096];

START_TEST(test_sample_config_loads)
{
    struct policy *p = policy_load(conf_path);
    ck_assert_ptr_nonnull(p);
    ck_assert_msg(p->error == NULL, "%s", p->error);
    ck_assert_msg(p->nentries > 0, "the sample config shows no host entry");
    for (size_t i = 0; i < p->nentries; i++) {
        const struct host_entry *e = &p->entries[i];
        ck_assert_msg(e->npins > 0 || e->tofu != TOFU_NONE, "%s:%d: entry %s has no pins", conf_path, e->line,
                      e->name);
        /* every entry is found by its own name (exact, IP or one label under the wildcard) */
        char host[HOST_MAX + 8];
        if (e->kind == NAME_WILDCARD)
            snprintf(host, sizeof host, "x%s", e->name + 1);
        else
            snprintf(host, sizeof host, "%s", e->name);
        ck_assert_msg(policy_lookup(p, host, e->port) != NULL, "%s:%d: %s finds no entry", conf_path, e->line, host);
    }
    policy_free(p);
}
END_TEST

int main(void)
{
    const char *top = getenv("top_srcdir");
    snprintf(conf_path, sizeof conf_path, "%s/conf/pinshim.conf", top && *top ? top : TOP_SRCDIR);
    ossl_bind_linked();
    if (access(conf_path, F_OK) != 0) {
        fprintf(stderr, "SKIP: %s does not exist (yet): nothing to check\n", conf_path);
        return 77;
    }
    Suite *s = suite_create("conf");
    TCase *tc = tcase_create("sample");
    tcase_add_test(tc, test_sample_config_loads);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_VERBOSE);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
