/* cli/preload_list.c: the edits `pinshim enable` and `disable` make to
 * /etc/ld.so.preload's text.  Every other word and line must survive them
 * byte for byte: the file belongs to every program on the machine. */
#include "config.h"
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "cli/preload_list.h"

#define LIB "/usr/$LIB/pinshim/libpinshim.so"

static void removes(const char *text, const char *want, unsigned want_removed)
{
    unsigned removed = 99;
    char *got = preload_remove(text, &removed);
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(got, want);
    ck_assert_uint_eq(removed, want_removed);
    free(got);
}

static void adds(const char *text, const char *want, bool want_already)
{
    bool already = !want_already;
    char *got = preload_add(text, LIB, &already);
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(got, want);
    ck_assert(already == want_already);
    free(got);
}

START_TEST(which_names_are_pinshim)
{
    ck_assert(preload_is_pinshim(LIB, strlen(LIB)));
    ck_assert(preload_is_pinshim("libpinshim.so", 13));
    ck_assert(preload_is_pinshim("/src/.libs/libpinshim.so", 24));
    ck_assert(!preload_is_pinshim("/usr/lib/libnotpinshim.so", 25));
    ck_assert(!preload_is_pinshim("/usr/lib/libpinshim.so.1", 24));
    ck_assert(!preload_is_pinshim("", 0));
}
END_TEST

START_TEST(add_to_nothing)
{
    adds("", LIB "\n", false);
}
END_TEST

START_TEST(add_after_the_others_kept_as_they_are)
{
    adds("/lib/a.so:/lib/b.so\n", "/lib/a.so:/lib/b.so\n" LIB "\n", false);
    adds("/lib/a.so", "/lib/a.so\n" LIB "\n", false);               /* no last newline */
    adds("# first\n\t/lib/a.so  \n", "# first\n\t/lib/a.so  \n" LIB "\n", false);
}
END_TEST

START_TEST(add_twice_changes_nothing)
{
    adds("/lib/a.so\n" LIB "\n", "/lib/a.so\n" LIB "\n", true);
}
END_TEST

START_TEST(add_replaces_another_pinshim)
{
    adds("/opt/old/libpinshim.so /lib/a.so\n", "/lib/a.so\n" LIB "\n", false);
    adds(LIB "\n/opt/libpinshim.so\n", LIB "\n", false); /* two: one stays */
}
END_TEST

START_TEST(remove_keeps_every_other_word)
{
    removes(LIB "\n", "", 1);
    removes("/lib/a.so\n" LIB "\n", "/lib/a.so\n", 1);
    removes("/lib/a.so:" LIB ":/lib/b.so\n", "/lib/a.so /lib/b.so\n", 1);
    removes("# c\n/lib/a.so\n\n", "# c\n/lib/a.so\n\n", 0);
    removes(LIB, "", 1);
    removes("/lib/a.so\n" LIB, "/lib/a.so\n", 1);
    removes(" " LIB " \t" LIB "\n/lib/b.so\n", "/lib/b.so\n", 2);
    removes("", "", 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("preload");
    TCase *tc = tcase_create("preload");
    tcase_add_test(tc, which_names_are_pinshim);
    tcase_add_test(tc, add_to_nothing);
    tcase_add_test(tc, add_after_the_others_kept_as_they_are);
    tcase_add_test(tc, add_twice_changes_nothing);
    tcase_add_test(tc, add_replaces_another_pinshim);
    tcase_add_test(tc, remove_keeps_every_other_word);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_VERBOSE);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
