/* cli/keytypo.c: when `pinshim check` calls an unknown config key a likely
 * typo of a known one (an error with "did you mean"), not just unknown. */
#include "config.h"
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "cli/keytypo.h"

START_TEST(distances)
{
    ck_assert_uint_eq(key_distance("mode", "mode"), 0);
    ck_assert_uint_eq(key_distance("Mode", "mode"), 0);     /* case is ignored */
    ck_assert_uint_eq(key_distance("SYSLOG", "syslog"), 0);
    ck_assert_uint_eq(key_distance("mdoe", "mode"), 1);     /* a swap is one edit */
    ck_assert_uint_eq(key_distance("expirse", "expires"), 1);
    ck_assert_uint_eq(key_distance("pinz", "pins"), 1);     /* substitution */
    ck_assert_uint_eq(key_distance("sylog", "syslog"), 1);  /* deletion */
    ck_assert_uint_eq(key_distance("modes", "mode"), 1);    /* insertion */
    ck_assert_uint_eq(key_distance("note", "mode"), 2);
    ck_assert_uint_eq(key_distance("host", "port"), 2);
    ck_assert_uint_eq(key_distance("name", "mode"), 3);
    ck_assert_uint_eq(key_distance("", "log"), 3);
    ck_assert_uint_eq(key_distance("log", ""), 3);
    ck_assert_uint_eq(key_distance("ca", "abc"), 3);        /* OSA: no edit of a swapped pair */
    ck_assert_uint_eq(key_distance("includesubdomain", "include_subdomains"), 2);
    ck_assert_uint_eq(key_distance("mode", "mdoe"), key_distance("mdoe", "mode"));
}
END_TEST

START_TEST(too_long)
{
    char long_key[80];
    memset(long_key, 'a', sizeof long_key - 1);
    long_key[sizeof long_key - 1] = '\0';
    ck_assert_uint_eq(key_distance(long_key, "mode"), 99);
    ck_assert_uint_eq(key_distance("mode", long_key), 99);
    long_key[64] = '\0';
    ck_assert_uint_eq(key_distance(long_key, long_key), 0);
}
END_TEST

START_TEST(typo_rule)
{
    /* up to 4 characters: one edit */
    ck_assert(key_likely_typo(0, "mode"));
    ck_assert(key_likely_typo(1, "mode"));
    ck_assert(!key_likely_typo(2, "mode"));
    ck_assert(key_likely_typo(1, "log"));
    ck_assert(!key_likely_typo(2, "log"));
    /* longer: two */
    ck_assert(key_likely_typo(2, "state"));
    ck_assert(!key_likely_typo(3, "state"));
    ck_assert(key_likely_typo(2, "include_subdomains"));
    ck_assert(!key_likely_typo(3, "include_subdomains"));
    /* far keys are not typos */
    ck_assert(!key_likely_typo(key_distance("colour", "log"), "log"));
    ck_assert(!key_likely_typo(key_distance("note", "mode"), "mode"));
    ck_assert(!key_likely_typo(key_distance("host", "port"), "port"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("keytypo");
    TCase *tc = tcase_create("keytypo");
    tcase_add_test(tc, distances);
    tcase_add_test(tc, too_long);
    tcase_add_test(tc, typo_rule);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_VERBOSE);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
