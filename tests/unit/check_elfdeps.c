/* cli/elfdeps.c: the ELF reader and the loader's search behind `pinshim
 * covers`, on small programs and libraries compiled here with the system's
 * compiler ($CC, else cc) into a temporary directory: linked to libssl and
 * GnuTLS, with RUNPATH and RPATH, static and static PIE (one with OpenSSL
 * linked in), exporting an OpenSSL function of their own, with Go's markers,
 * and files that are not ELF. */
#include "config.h"
#include <check.h>
#include <elf.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli/elfdeps.h"

static char dir[256];        /* the temporary directory */
static char origin_sub[300]; /* dir/sub: $ORIGIN of the RUNPATH/RPATH programs */

static const char *fixture(const char *name)
{
    static char path[8][512];
    static int next;
    char *p = path[next++ % 8];
    snprintf(p, sizeof path[0], "%s/%s", dir, name);
    return p;
}

static void write_file(const char *name, const char *text)
{
    FILE *f = fopen(fixture(name), "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s: %s\n", fixture(name), strerror(errno));
        exit(99);
    }
}

/* Runs a shell command in the temporary directory; exits 99 (a hard error
 * for automake) when it fails, with what it printed. */
static void build(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void build(const char *fmt, ...)
{
    char cmd[2048], line[2400];
    va_list ap;
    const char *cc = getenv("CC");
    setenv("CC", cc && *cc ? cc : "cc", 1);
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(line, sizeof line, "cd '%s' && { %s; } >build.log 2>&1", dir, cmd);
    if (system(line) != 0) {
        char log[600];
        snprintf(log, sizeof log, "cat '%s/build.log' >&2", dir);
        fprintf(stderr, "fixture build failed: %s\n", cmd);
        (void)system(log);
        exit(99);
    }
}

static void build_fixtures(void)
{
    write_file("main.c", "int main(void) { return 0; }\n");
    /* Referenced, so that the library is needed whatever --as-needed says. */
    write_file("ssl.c", "int SSL_is_server(const void *);\n"
                        "int main(int argc, char **argv) { return argc > 9 ? SSL_is_server(argv) : 0; }\n");
    write_file("gnutls.c", "const char *gnutls_check_version(const char *);\n"
                           "int main(void) { return gnutls_check_version(0) == 0; }\n");
    write_file("fix.c", "int fix_function(void) { return 1; }\n"
                        "__attribute__((visibility(\"hidden\"))) int fix_hidden(void) { return 2; }\n");
    write_file("usefix.c", "int fix_function(void);\nint main(void) { return fix_function(); }\n");
    /* A program that carries its own SSL_connect, exported. */
    write_file("ownssl.c", "int SSL_connect(void *s) { return s != 0; }\n"
                           "int main(int argc, char **argv) { return SSL_connect(argc > 9 ? argv : 0); }\n");
    /* Go's two markers: the build info section and the build ID note. */
    write_file("gobuildinfo.c", "__attribute__((section(\".go.buildinfo\"), used))\n"
                                "static const char buildinfo[32] = \"\\xff Go buildinf:\";\n"
                                "int main(void) { return 0; }\n");
    write_file("gonote.c", "__asm__(\".section .note.go.buildid,\\\"a\\\",@note\\n"
                           " .long 4\\n .long 8\\n .long 4\\n .asciz \\\"Go\\\"\\n .balign 4\\n"
                           " .ascii \\\"buildid!\\\"\\n .previous\");\n"
                           "int main(void) { return 0; }\n");
    write_file("notelf", "#!/bin/sh\necho not an ELF file\n");

    build("$CC -o ssl ssl.c -lssl");
    build("$CC -o gnutls gnutls.c -l:libgnutls.so.30");
    build("mkdir -p sub/lib other sysv cachedir && $CC -shared -fPIC -Wl,-soname,libfix.so.1 -o sub/lib/libfix.so.1 fix.c"
          " && cp sub/lib/libfix.so.1 other/"
          " && $CC -shared -fPIC -Wl,-soname,libfixc.so.1 -o cachedir/libfixc.so.1 fix.c"
          " && $CC -shared -fPIC -Wl,--hash-style=sysv -Wl,-soname,libfix.so.1 -o sysv/libfix.so.1 fix.c");
    build("$CC -o sub/runpath usefix.c sub/lib/libfix.so.1 -Wl,--enable-new-dtags,-rpath,'$ORIGIN/lib'");
    build("$CC -o sub/rpath usefix.c sub/lib/libfix.so.1 -Wl,--disable-new-dtags,-rpath,'$ORIGIN/lib:/nonexistent'");
    build("$CC -o plain main.c && $CC -static -o static main.c && $CC -static-pie -fPIE -o static-pie main.c");
    /* OpenSSL's own static libraries (libssl-dev ships them). */
    build("$CC -static -o static-ssl ssl.c -lssl -lcrypto -pthread");
    build("$CC -rdynamic -o ownssl ownssl.c && $CC -o ownssl-local ownssl.c && cp ownssl-local ownssl-stripped"
          " && strip ownssl-stripped");
    build("$CC -o gobuildinfo gobuildinfo.c && $CC -o gonote gonote.c && $CC -static -o gostatic gonote.c");
    /* The first 100 bytes of a program: a header whose tables lie beyond the end. */
    build("head -c 100 plain > truncated");
    /* An ELF header of another class and machine (32-bit x86) named as a
     * library: the loader passes over it. */
    build("mkdir -p wrongclass && printf '\\177ELF\\001\\001\\001\\000\\000\\000\\000\\000\\000\\000\\000\\000"
          "\\003\\000\\003\\000\\001\\000\\000\\000' > wrongclass/libfix.so.1 && head -c 200 /dev/zero >> wrongclass/libfix.so.1");
    snprintf(origin_sub, sizeof origin_sub, "%s/sub", dir);
}

static bool has_needed(const struct elfdeps *d, const char *name)
{
    for (size_t i = 0; i < d->nneeded; i++)
        if (strcmp(d->needed[i], name) == 0)
            return true;
    return false;
}

static void read_ok(const char *name, struct elfdeps *d)
{
    char why[256] = "";
    int rc = elfdeps_read(fixture(name), d, why, sizeof why);
    ck_assert_msg(rc == 0, "%s: %s", name, why);
}

/* ---- what a file says ---- */

START_TEST(test_dynamic_program)
{
    struct elfdeps d;
    read_ok("ssl", &d);
    ck_assert(has_needed(&d, "libssl.so.3") || has_needed(&d, "libssl.so.1.1"));
    ck_assert(has_needed(&d, "libc.so.6"));
    ck_assert_ptr_nonnull(d.interp);
    ck_assert_msg(strstr(d.interp, "/ld-") != NULL, "interpreter %s", d.interp);
    ck_assert(d.dynamic);
    ck_assert(!d.is_static);
    ck_assert(!d.go);
    ck_assert_ptr_null(d.soname);
    ck_assert_ptr_null(d.runpath);
    ck_assert_ptr_null(d.rpath);
    ck_assert_int_eq(d.elf_class, sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32);
    /* It uses libssl's function; it does not define it. */
    ck_assert(!elfdeps_defines(&d, "SSL_is_server", true));
    ck_assert(!elfdeps_defines(&d, "SSL_connect", true));
    /* main is in the full symbol table only. */
    ck_assert(elfdeps_defines(&d, "main", true));
    ck_assert(!elfdeps_defines(&d, "main", false));
    elfdeps_free(&d);

    read_ok("gnutls", &d);
    ck_assert(has_needed(&d, "libgnutls.so.30"));
    elfdeps_free(&d);
}
END_TEST

START_TEST(test_runpath_rpath_soname)
{
    struct elfdeps d;
    read_ok("sub/runpath", &d);
    ck_assert(has_needed(&d, "libfix.so.1"));
    ck_assert_str_eq(d.runpath ? d.runpath : "(null)", "$ORIGIN/lib");
    ck_assert_ptr_null(d.rpath);
    elfdeps_free(&d);

    read_ok("sub/rpath", &d);
    ck_assert_str_eq(d.rpath ? d.rpath : "(null)", "$ORIGIN/lib:/nonexistent");
    ck_assert_ptr_null(d.runpath);
    elfdeps_free(&d);

    read_ok("sub/lib/libfix.so.1", &d);
    ck_assert_str_eq(d.soname ? d.soname : "(null)", "libfix.so.1");
    ck_assert(d.dynamic);
    ck_assert(!d.is_static);         /* a library, not a static program */
    ck_assert_ptr_null(d.interp);
    ck_assert(elfdeps_defines(&d, "fix_function", false));
    ck_assert(!elfdeps_defines(&d, "fix_hidden", false));
    ck_assert(!elfdeps_defines(&d, "fix_functio", false));
    ck_assert(!elfdeps_defines(&d, "fix_function2", false));
    elfdeps_free(&d);

    /* The same without a GNU hash table: looked up through the whole table. */
    read_ok("sysv/libfix.so.1", &d);
    ck_assert(elfdeps_defines(&d, "fix_function", false));
    ck_assert(!elfdeps_defines(&d, "fix_hidden", false));
    ck_assert(!elfdeps_defines(&d, "SSL_connect", false));
    elfdeps_free(&d);
}
END_TEST

START_TEST(test_static)
{
    struct elfdeps d;
    read_ok("static", &d);
    ck_assert(d.is_static);
    ck_assert_ptr_null(d.interp);
    ck_assert_int_eq(d.nneeded, 0);
    elfdeps_free(&d);

    read_ok("static-pie", &d);
    ck_assert(d.is_static);
    ck_assert(d.dynamic);            /* it relocates itself */
    ck_assert_ptr_null(d.interp);
    elfdeps_free(&d);

    read_ok("plain", &d);
    ck_assert(!d.is_static);
    elfdeps_free(&d);

    /* OpenSSL linked in: its functions are in the program's own table. */
    read_ok("static-ssl", &d);
    ck_assert(d.is_static);
    ck_assert(elfdeps_defines(&d, "SSL_connect", true));
    ck_assert(elfdeps_defines(&d, "SSL_is_server", true));
    ck_assert(!elfdeps_defines(&d, "SSL_connect", false));
    ck_assert(!elfdeps_defines(&d, "gnutls_handshake", true));
    elfdeps_free(&d);
}
END_TEST

START_TEST(test_own_ssl_functions)
{
    struct elfdeps d;
    read_ok("ownssl", &d);           /* exported: other objects would bind to it */
    ck_assert(elfdeps_defines(&d, "SSL_connect", false));
    ck_assert(elfdeps_defines(&d, "SSL_connect", true));
    elfdeps_free(&d);

    read_ok("ownssl-local", &d);     /* not exported, not stripped */
    ck_assert(!elfdeps_defines(&d, "SSL_connect", false));
    ck_assert(elfdeps_defines(&d, "SSL_connect", true));
    elfdeps_free(&d);

    read_ok("ownssl-stripped", &d);  /* nothing left to see */
    ck_assert(!elfdeps_defines(&d, "SSL_connect", true));
    elfdeps_free(&d);

    /* Several names at once: the index of one defined. */
    static const char *const names[] = { "gnutls_handshake", "SSL_connect", "main" };
    read_ok("ownssl", &d);
    ck_assert_int_eq(elfdeps_defines_any(&d, names, 2, false), 1);
    ck_assert_int_eq(elfdeps_defines_any(&d, names, 1, true), -1);
    elfdeps_free(&d);
    read_ok("ownssl-local", &d);
    ck_assert_int_eq(elfdeps_defines_any(&d, names, 3, false), -1);
    ck_assert_int_ge(elfdeps_defines_any(&d, names, 3, true), 1);
    elfdeps_free(&d);
}
END_TEST

START_TEST(test_go_markers)
{
    struct elfdeps d;
    read_ok("gobuildinfo", &d);
    ck_assert(d.go);
    elfdeps_free(&d);
    read_ok("gonote", &d);
    ck_assert(d.go);
    elfdeps_free(&d);
    read_ok("gostatic", &d);         /* as Go links without cgo */
    ck_assert(d.go);
    ck_assert(d.is_static);
    elfdeps_free(&d);
    read_ok("plain", &d);
    ck_assert(!d.go);
    elfdeps_free(&d);
}
END_TEST

START_TEST(test_not_elf)
{
    struct elfdeps d;
    char why[256] = "";
    ck_assert_int_eq(elfdeps_read(fixture("notelf"), &d, why, sizeof why), -1);
    ck_assert_msg(strstr(why, "not an ELF file") != NULL, "why: %s", why);
    elfdeps_free(&d);

    why[0] = '\0';
    ck_assert_int_eq(elfdeps_read(fixture("truncated"), &d, why, sizeof why), -1);
    ck_assert_msg(why[0] != '\0', "no reason given");
    elfdeps_free(&d);

    why[0] = '\0';
    ck_assert_int_eq(elfdeps_read(fixture("no-such-file"), &d, why, sizeof why), -1);
    ck_assert_msg(strstr(why, strerror(ENOENT)) != NULL, "why: %s", why);
    elfdeps_free(&d);

    why[0] = '\0';
    ck_assert_int_eq(elfdeps_read(dir, &d, why, sizeof why), -1);   /* a directory */
    ck_assert_msg(why[0] != '\0', "no reason given");
    elfdeps_free(&d);
}
END_TEST

/* ---- where the loader finds a library ---- */

static unsigned char host_class(void)
{
    return sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32;
}

static unsigned host_machine(void)
{
    struct elfdeps d;
    char why[256];
    unsigned m = 0;
    if (elfdeps_read(fixture("plain"), &d, why, sizeof why) == 0)
        m = d.machine;
    elfdeps_free(&d);
    return m;
}

static const char *resolve(struct elfdeps_search *s, const char *name, const struct elfdeps_loader *chain,
                           size_t n, enum elfdeps_how *how)
{
    static char out[1024];
    if (elfdeps_resolve(s, name, chain, n, host_class(), host_machine(), out, sizeof out, how) != 0)
        return NULL;
    return out;
}

static void ck_path(const char *got, const char *want_rel)
{
    ck_assert_msg(got != NULL, "not found, expected %s", want_rel);
    ck_assert_str_eq(got, fixture(want_rel));
}

START_TEST(test_resolve_runpath_rpath)
{
    struct elfdeps_search s = { 0 };
    enum elfdeps_how how;
    char other[600];
    snprintf(other, sizeof other, "%s/other", dir);

    struct elfdeps_loader runpath[] = { { NULL, "$ORIGIN/lib", origin_sub } };
    ck_path(resolve(&s, "libfix.so.1", runpath, 1, &how), "sub/lib/libfix.so.1");
    ck_assert_int_eq(how, ELFDEPS_RUNPATH);

    struct elfdeps_loader braces[] = { { NULL, "/nonexistent:${ORIGIN}/lib", origin_sub } };
    ck_path(resolve(&s, "libfix.so.1", braces, 1, &how), "sub/lib/libfix.so.1");

    struct elfdeps_loader rpath[] = { { "$ORIGIN/lib", NULL, origin_sub } };
    ck_path(resolve(&s, "libfix.so.1", rpath, 1, &how), "sub/lib/libfix.so.1");
    ck_assert_int_eq(how, ELFDEPS_RPATH);

    /* LD_LIBRARY_PATH comes after RPATH and before RUNPATH. */
    s.ld_library_path = other;
    ck_path(resolve(&s, "libfix.so.1", rpath, 1, &how), "sub/lib/libfix.so.1");
    ck_path(resolve(&s, "libfix.so.1", runpath, 1, &how), "other/libfix.so.1");
    ck_assert_int_eq(how, ELFDEPS_LD_LIBRARY_PATH);
    s.ld_library_path = NULL;

    /* A library without paths of its own: the RPATH of the program that
     * loaded it counts, unless the library has a RUNPATH. */
    struct elfdeps_loader chain[] = { { NULL, NULL, "/usr/lib" }, { "$ORIGIN/lib", NULL, origin_sub } };
    ck_path(resolve(&s, "libfix.so.1", chain, 2, &how), "sub/lib/libfix.so.1");
    ck_assert_int_eq(how, ELFDEPS_RPATH);
    struct elfdeps_loader chain_runpath[] = { { NULL, "/nonexistent", "/usr/lib" },
                                              { "$ORIGIN/lib", NULL, origin_sub } };
    ck_assert_ptr_null(resolve(&s, "libfix.so.1", chain_runpath, 2, &how));
    /* A program's RUNPATH is its own: not its libraries'. */
    struct elfdeps_loader chain_prog_runpath[] = { { NULL, NULL, "/usr/lib" }, { NULL, "$ORIGIN/lib", origin_sub } };
    ck_assert_ptr_null(resolve(&s, "libfix.so.1", chain_prog_runpath, 2, &how));

    /* A candidate of another class or machine is passed over. */
    char wrong[700];
    snprintf(wrong, sizeof wrong, "%s/wrongclass:%s/sub/lib", dir, dir);
    struct elfdeps_loader wrongfirst[] = { { NULL, wrong, dir } };
    ck_path(resolve(&s, "libfix.so.1", wrongfirst, 1, &how), "sub/lib/libfix.so.1");

    /* A name with a slash is that file. */
    ck_path(resolve(&s, fixture("other/libfix.so.1"), runpath, 1, &how), "other/libfix.so.1");
    ck_assert_int_eq(how, ELFDEPS_PATH);

    ck_assert_ptr_null(resolve(&s, "libnothere-pinshim.so.7", runpath, 1, &how));
    elfdeps_search_free(&s);
}
END_TEST

START_TEST(test_resolve_system)
{
    struct elfdeps_search s = { 0 };
    enum elfdeps_how how;
    struct elfdeps_loader none[] = { { NULL, NULL, "/" } };
    const char *p = resolve(&s, "libc.so.6", none, 1, &how);
    ck_assert_msg(p != NULL, "libc.so.6 not found");
    ck_assert_int_eq(how, ELFDEPS_CACHE);
    ck_assert_int_eq(access(p, R_OK), 0);
    elfdeps_search_free(&s);

    /* No cache: the system directories. */
    struct elfdeps_search nocache = { .cache_path = "/nonexistent/ld.so.cache" };
    p = resolve(&nocache, "libc.so.6", none, 1, &how);
    ck_assert_msg(p != NULL, "libc.so.6 not found without the cache");
    ck_assert_int_eq(how, ELFDEPS_DEFAULT);
    elfdeps_search_free(&nocache);

    /* Garbage for a cache: the same. */
    struct elfdeps_search bad = { .cache_path = fixture("notelf") };
    p = resolve(&bad, "libc.so.6", none, 1, &how);
    ck_assert_msg(p != NULL, "libc.so.6 not found with a broken cache");
    ck_assert_int_eq(how, ELFDEPS_DEFAULT);
    elfdeps_search_free(&bad);
}
END_TEST

/* A cache made by ldconfig itself (into the temporary directory). */
START_TEST(test_resolve_own_cache)
{
    const char *ldconfig = access("/sbin/ldconfig", X_OK) == 0 ? "/sbin/ldconfig" : "/usr/sbin/ldconfig";
    if (access(ldconfig, X_OK) != 0) {
        fprintf(stderr, "no ldconfig: own-cache case not run\n");
        return;
    }
    char conf[600];
    snprintf(conf, sizeof conf, "%s/cachedir\n", dir);
    write_file("ld.so.conf", conf);
    build("%s -X -C ld.so.cache -f ld.so.conf", ldconfig);

    struct elfdeps_search s = { .cache_path = fixture("ld.so.cache") };
    enum elfdeps_how how;
    struct elfdeps_loader none[] = { { NULL, NULL, "/" } };
    ck_path(resolve(&s, "libfixc.so.1", none, 1, &how), "cachedir/libfixc.so.1");
    ck_assert_int_eq(how, ELFDEPS_CACHE);
    /* The system's libraries are in it too (ldconfig adds the trusted directories). */
    ck_assert_ptr_nonnull(resolve(&s, "libc.so.6", none, 1, &how));
    ck_assert_int_eq(how, ELFDEPS_CACHE);
    elfdeps_search_free(&s);
}
END_TEST

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/check_elfdeps.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 99;
    }
    build_fixtures();

    Suite *s = suite_create("elfdeps");
    TCase *tc = tcase_create("read");
    tcase_add_test(tc, test_dynamic_program);
    tcase_add_test(tc, test_runpath_rpath_soname);
    tcase_add_test(tc, test_static);
    tcase_add_test(tc, test_own_ssl_functions);
    tcase_add_test(tc, test_go_markers);
    tcase_add_test(tc, test_not_elf);
    suite_add_tcase(s, tc);
    tc = tcase_create("resolve");
    tcase_add_test(tc, test_resolve_runpath_rpath);
    tcase_add_test(tc, test_resolve_system);
    tcase_add_test(tc, test_resolve_own_cache);
    suite_add_tcase(s, tc);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_VERBOSE);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    if (!getenv("PINSHIM_KEEP_TMP"))
        nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
