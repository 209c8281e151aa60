/* pinshim covers PROGRAM...: which TLS library each program uses and whether
 * pinshim judges it (DESIGN 12), from the files alone: the program is never
 * run.  Its ELF dependencies are walked as the dynamic loader would find them
 * (elfdeps.c), plus the libraries some are known to dlopen (Qt's network
 * library, an interpreter's TLS module, Firefox's libxul), and every TLS
 * library found is named.  pinshim judges the OpenSSL (1.1.1, 3.x) and the
 * GnuTLS (libgnutls.so.30) it can bind; whatever else does TLS is said so,
 * and what runs without the dynamic loader cannot be covered by a preload at
 * all.  `pinshim exec` prints the same line before it runs such a program. */
#include "config.h"
#include "cli.h"
#include "elfdeps.h"
#include "json_out.h"
#include "ossl.h"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: pinshim covers [--json] PROGRAM...\n"
            "\n"
            "Say for each PROGRAM (a path, or a name looked up in PATH; symlinks are\n"
            "followed) which TLS library it uses and whether pinshim judges it.  The\n"
            "program is not run: its ELF dependencies are followed as the dynamic loader\n"
            "would find them (RPATH, LD_LIBRARY_PATH, RUNPATH, /etc/ld.so.cache, the system\n"
            "directories), with the libraries Qt, .NET, Firefox and the python3, perl and\n"
            "ruby interpreters are known to load themselves.  A script is judged by its\n"
            "#! interpreter.\n"
            "\n"
            "One line per PROGRAM on standard output:\n"
            "  PATH: LIBRARY (SONAME[ at FILE][ via LIB | dlopened by LIB])[, ...]: VERDICT\n"
            "  PATH: no TLS library\n"
            "PATH is the real path (a script: \"PATH (run by INTERPRETER)\").  VERDICT is\n"
            "  judged                      every TLS library found is judged by pinshim:\n"
            "                              openssl (libssl.so.3 or .1.1 with every function\n"
            "                              pinshim binds) or gnutls (libgnutls.so.30)\n"
            "  NOT judged                  some is not: nss, other libssl (BoringSSL, an\n"
            "                              old OpenSSL), other gnutls, mbedtls, wolfssl,\n"
            "                              openssl linked into a library\n"
            "  not coverable by a preload  statically linked, openssl linked in\n"
            "                              statically, go (crypto/tls), java (JSSE)\n"
            "\"at FILE\" is shown when the library is found through RPATH, RUNPATH,\n"
            "LD_LIBRARY_PATH or a path, not in the system's directories.  `pinshim exec`\n"
            "prints the line on stderr before it runs a program that is not covered.\n"
            "\n"
            "Options:\n"
            "      --json   one JSON object on stdout instead of the lines:\n"
            "               {programs: [{program, result, libraries, line}]}, program as\n"
            "               given; result one of \"judged\", \"not judged\", \"not coverable\",\n"
            "               \"no tls\", \"not found\", \"not a program\"; libraries the TLS\n"
            "               libraries found, each as the line names it ([] when none or\n"
            "               not examined); line the line printed without --json (for\n"
            "               \"not found\" and \"not a program\", the error message)\n"
            "  -h, --help   show this help\n"
            "\n"
            "Exit status: 0 every PROGRAM is judged or uses no TLS library; 1 some is not\n"
            "(NOT judged, not coverable); 64 usage; 65 some PROGRAM is not an ELF file\n"
            "nor a script; 66 some PROGRAM cannot be found or read (the others are still\n"
            "told).\n");
}

/* The line's last words, by severity: the line says the worst one found. */
enum verdict { V_NONE, V_JUDGED, V_NOT_JUDGED, V_NOT_COVERABLE };
static const char *const verdict_text[] = { "no TLS library", "judged", "NOT judged", "not coverable by a preload" };

/* What an object is, by its SONAME (or, without one, the name it was
 * needed by). */
enum kind {
    K_OTHER, K_LIBSSL, K_GNUTLS, K_GNUTLS_OTHER, K_NSS, K_MBEDTLS, K_WOLFSSL, K_JAVA, K_DOTNET, K_QT,
};
static const struct {
    const char *prefix;   /* of the soname; a trailing '$' makes it exact */
    enum kind kind;
} kinds[] = {
    { "libssl.so", K_LIBSSL },
    { "libgnutls.so.30$", K_GNUTLS },
    { "libgnutls.so", K_GNUTLS_OTHER },
    { "libssl3.so$", K_NSS },
    { "libnss3.so$", K_NSS },
    { "libmbedtls.so", K_MBEDTLS },
    { "libwolfssl.so", K_WOLFSSL },
    { "libjli.so$", K_JAVA },
    { "libjvm.so$", K_JAVA },
    { "libSystem.Security.Cryptography.Native.OpenSsl.so$", K_DOTNET },
    { "libQt5Network.so.5$", K_QT },
    { "libQt6Network.so.6$", K_QT },
};

static enum kind kind_of(const char *name)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t n = strlen(kinds[i].prefix);
        bool exact = kinds[i].prefix[n - 1] == '$';
        if (strncmp(name, kinds[i].prefix, exact ? n - 1 : n) == 0 && (!exact || name[n - 1] == '\0'))
            return kinds[i].kind;
    }
    return K_OTHER;
}

/* A TLS library's functions defined by an object that is not that library:
 * the library is linked into it. */
static const char *const builtin_symbols[] = {
    "SSL_connect", "SSL_do_handshake",   /* OpenSSL, BoringSSL, LibreSSL */
    "gnutls_handshake", "mbedtls_ssl_handshake", "wolfSSL_connect",
};
static const char *const builtin_libraries[] = { "openssl", "openssl", "gnutls", "mbedtls", "wolfssl" };

static const char *builtin_library(const struct elfdeps *d, bool symtab_too)
{
    int i = elfdeps_defines_any(d, builtin_symbols, sizeof builtin_symbols / sizeof builtin_symbols[0], symtab_too);
    return i >= 0 ? builtin_libraries[i] : NULL;
}

struct object {
    char *path;              /* as found: its directory is $ORIGIN */
    char *name;              /* SONAME, else the name it was needed by, else the file's */
    char *needed_as;         /* the DT_NEEDED (or dlopen) name that brought it, or NULL */
    char *rpath, *runpath;
    int parent;              /* -1: the program */
    bool dlopened;           /* loaded by its parent with dlopen, not DT_NEEDED */
    enum elfdeps_how how;
    enum kind kind;
    const char *builtin;     /* a TLS library linked into it (K_OTHER only) */
};

#define MAX_OBJECTS 1024
#define MAX_FINDINGS 16

struct walk {
    struct object *objs;
    size_t n;
    unsigned char elf_class;
    unsigned machine;
    struct elfdeps_search search;
    enum verdict verdict;
    size_t nfindings;
    char findings[MAX_FINDINGS][512];
};

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static char *dir_of(const char *path)
{
    char *d = strdup(path), *s = d ? strrchr(d, '/') : NULL;
    if (s)
        *(s == d ? s + 1 : s) = '\0';
    return d;
}

static void add_finding(struct walk *w, enum verdict v, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add_finding(struct walk *w, enum verdict v, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (v > w->verdict)
        w->verdict = v;
    for (size_t i = 0; i < w->nfindings; i++)
        if (strcmp(w->findings[i], text) == 0)
            return;
    if (w->nfindings < MAX_FINDINGS)
        memcpy(w->findings[w->nfindings++], text, sizeof text);
}

static int find_object(const struct walk *w, const char *name)
{
    for (size_t i = 0; i < w->n; i++)
        if ((w->objs[i].name && strcmp(w->objs[i].name, name) == 0) ||
            (w->objs[i].needed_as && strcmp(w->objs[i].needed_as, name) == 0))
            return (int)i;
    return -1;
}

/* Appends the object at `path`; false when the table is full or out of memory. */
static bool add_object(struct walk *w, const char *path, const char *needed_as, int parent, bool dlopened,
                       enum elfdeps_how how)
{
    if (w->n == MAX_OBJECTS)
        return false;
    struct object *o = &w->objs[w->n];
    memset(o, 0, sizeof *o);
    o->path = strdup(path);
    o->needed_as = needed_as ? strdup(needed_as) : NULL;
    o->parent = parent;
    o->dlopened = dlopened;
    o->how = how;
    if (!o->path || (needed_as && !o->needed_as)) {
        free(o->path);
        free(o->needed_as);
        return false;
    }
    w->n++;
    return true;
}

/* Where the loader would find `name` for object `i`, added as its child
 * (unless already loaded under that name). */
static void add_dependency(struct walk *w, size_t i, const char *name, bool dlopened)
{
    struct elfdeps_loader chain[64] = { { NULL, NULL, NULL } };
    size_t n = 0;
    char path[PATH_MAX];
    enum elfdeps_how how;

    if (find_object(w, name) >= 0)
        return;
    for (int k = (int)i; k >= 0 && n < sizeof chain / sizeof chain[0]; k = w->objs[k].parent) {
        char *origin = dir_of(w->objs[k].path);
        chain[n++] = (struct elfdeps_loader){ w->objs[k].rpath, w->objs[k].runpath, origin };
    }
    if (elfdeps_resolve(&w->search, name, chain, n, w->elf_class, w->machine, path, sizeof path, &how) == 0)
        add_object(w, path, name, (int)i, dlopened, how);
    /* A library the loader would not find is left out: the program would
     * not start (libssl_check() says so of libssl's own). */
    for (size_t k = 0; k < n; k++)
        free((char *)chain[k].origin);
}

/* Reads object i: its name, kind, paths, and its dependencies queued. */
static void visit(struct walk *w, size_t i)
{
    struct object *o = &w->objs[i];
    struct elfdeps d;
    char why[256];

    if (elfdeps_read(o->path, &d, why, sizeof why) != 0) {
        o->name = strdup(o->needed_as ? o->needed_as : base_name(o->path));
        elfdeps_free(&d);
        return;
    }
    o->name = strdup(d.soname ? d.soname : o->needed_as ? o->needed_as : base_name(o->path));
    o->rpath = d.rpath ? strdup(d.rpath) : NULL;
    o->runpath = d.runpath ? strdup(d.runpath) : NULL;
    o->kind = o->name ? kind_of(o->name) : K_OTHER;
    /* A library exporting a TLS library's functions without being it, nor
     * linking one itself (GnuTLS's OpenSSL layer links GnuTLS). */
    if (i > 0 && o->kind == K_OTHER && o->name) {
        bool links_tls = false;
        for (size_t k = 0; k < d.nneeded; k++)
            links_tls |= kind_of(d.needed[k]) != K_OTHER;
        if (!links_tls)
            o->builtin = builtin_library(&d, false);
    }
    for (size_t k = 0; k < d.nneeded; k++)
        add_dependency(w, i, d.needed[k], false);
    /* Qt's network library opens libssl itself, by these names. */
    if (o->kind == K_QT) {
        size_t before = w->n;
        add_dependency(w, i, "libssl.so.3", true);
        if (w->n == before)
            add_dependency(w, i, "libssl.so.1.1", true);
    }
    elfdeps_free(&d);
}

static bool exists(const char *dir, const char *name)
{
    char path[PATH_MAX];
    return snprintf(path, sizeof path, "%s/%s", dir, name) < (int)sizeof path && access(path, F_OK) == 0;
}

/* The first file matching `pattern`, with its %s replaced by `a` (and a
 * second one by `b`). */
static bool first_match(const char *pattern, const char *a, const char *b, char *out, size_t outlen)
{
    char p[PATH_MAX];
    glob_t g;
    bool found = false;
    if (snprintf(p, sizeof p, pattern, a, b) >= (int)sizeof p)
        return false;
    if (glob(p, 0, NULL, &g) == 0 && g.gl_pathc > 0)
        found = snprintf(out, outlen, "%s", g.gl_pathv[0]) < (int)outlen;
    globfree(&g);
    return found;
}

/* The libraries the program is known to load itself (dlopen), relative to
 * where it is: an interpreter's TLS module, Firefox's libxul. */
static void add_known_dlopens(struct walk *w, const char *real)
{
    const char *base = base_name(real);
    char *dir = dir_of(real), *prefix = dir ? dir_of(dir) : NULL, path[PATH_MAX];
    /* PREFIX/bin/INTERPRETER has its modules under PREFIX/lib. */
    static const struct {
        const char *interp;
        const char *patterns[3];   /* %s: the prefix, then the version */
    } modules[] = {
        { "python", { "%s/lib/python%s/lib-dynload/_ssl.*.so", NULL, NULL } },
        { "perl",
          { "%s/lib/*/perl5/*/auto/Net/SSLeay/SSLeay.so", "%s/lib/*/perl/*/auto/Net/SSLeay/SSLeay.so",
            "%s/local/lib/*/perl/*/auto/Net/SSLeay/SSLeay.so" } },
        { "ruby", { "%s/lib/*/ruby/*/openssl.so", "%s/lib/ruby/*/*/openssl.so", NULL } },
    };

    if (!prefix)
        goto out;
    for (size_t i = 0; i < sizeof modules / sizeof modules[0]; i++) {
        size_t n = strlen(modules[i].interp);
        const char *version = base + n;
        if (strncmp(base, modules[i].interp, n) != 0 || strspn(version, "0123456789.") != strlen(version))
            continue;
        /* python3.11 -> lib/python3.11, python3 -> lib/python3* (the
         * version is used by python's pattern only). */
        char v[32];
        snprintf(v, sizeof v, "%.16s%s", version, strchr(version, '.') ? "" : "*");
        for (size_t k = 0; k < 3 && modules[i].patterns[k]; k++)
            if (first_match(modules[i].patterns[k], prefix, v, path, sizeof path)) {
                add_object(w, path, NULL, 0, true, ELFDEPS_PATH);
                break;
            }
    }
    /* Firefox and Thunderbird: a small launcher that opens libxul.so beside it. */
    if (exists(dir, "libxul.so") && snprintf(path, sizeof path, "%s/libxul.so", dir) < (int)sizeof path)
        add_object(w, path, NULL, 0, true, ELFDEPS_PATH);
out:
    free(prefix);
    free(dir);
}

/* .NET's launchers: a framework-dependent app's has its runtime config beside
 * it, a self-contained app's the runtime itself, `dotnet` its host/fxr. */
static bool dotnet_launcher(const char *real)
{
    char *dir = dir_of(real), rc[PATH_MAX];
    bool yes = dir && (exists(dir, "libhostfxr.so") || exists(dir, "host/fxr") ||
                       exists(dir, "libSystem.Security.Cryptography.Native.OpenSsl.so") ||
                       (snprintf(rc, sizeof rc, "%s.runtimeconfig.json", real) < (int)sizeof rc && access(rc, F_OK) == 0));
    free(dir);
    return yes;
}

/* Every function the library binds in libssl's scope (ossl_runtime.c): a
 * libssl without one of them is not bound, and its process is told it is
 * uncovered.  The same names, through the same list. */
#define OSSL_NAME(name) #name,
static const char *const required[] = { OSSL_REQUIRED_FUNCTIONS(OSSL_NAME) NULL };
/* ... and where 3.x and 1.1.1 differ, one set or the other. */
static const char *const either[][2][4] = {
    { { "SSL_get1_peer_certificate", NULL }, { "SSL_get_peer_certificate", NULL } },
    { { "ERR_new", "ERR_set_debug", "ERR_set_error", NULL }, { "ERR_put_error", "ERR_add_error_data", NULL } },
};

/* The first of `names` (NULL-terminated) that none of d[0..n) defines. */
static const char *first_missing(const struct elfdeps *d, size_t n, const char *const *names)
{
    for (; *names; names++) {
        bool found = false;
        for (size_t k = 0; k < n && !found; k++)
            found = elfdeps_defines(&d[k], *names, false);
        if (!found)
            return *names;
    }
    return NULL;
}

/* Can the library bind the libssl at object i?  It looks its functions up
 * in libssl and the libraries libssl links (its libcrypto).  0 yes; 1 no,
 * one is missing ("without NAME" into why); 2 no, one of those libraries
 * would not be found (nor would the program start: "NAME not found"). */
static int libssl_check(const struct walk *w, size_t i, char *why, size_t len)
{
    struct elfdeps d[8];
    size_t n = 1;
    const char *missing;
    int rc = 0;

    if (elfdeps_read(w->objs[i].path, &d[0], why, len) != 0) {
        elfdeps_free(&d[0]);
        return 2;
    }
    for (size_t k = 0; k < d[0].nneeded && n < sizeof d / sizeof d[0] && rc == 0; k++) {
        int j = find_object(w, d[0].needed[k]);
        if (j >= 0 && elfdeps_read(w->objs[j].path, &d[n], why, len) == 0) {
            n++;
            continue;
        }
        if (j >= 0)
            elfdeps_free(&d[n]);
        snprintf(why, len, "%s not found", d[0].needed[k]);
        rc = 2;
    }
    if (rc == 0) {
        missing = first_missing(d, n, required);
        for (size_t k = 0; k < sizeof either / sizeof either[0] && !missing; k++)
            if (first_missing(d, n, either[k][0]) && (missing = first_missing(d, n, either[k][1])))
                missing = either[k][0][0];
        if (missing) {
            snprintf(why, len, "without %s", missing);
            rc = 1;
        }
    }
    for (size_t k = 0; k < n; k++)
        elfdeps_free(&d[k]);
    return rc;
}

/* " at FILE" when the library is not where the system keeps its own. */
static const char *where(const struct object *o, char *buf, size_t len)
{
    if (o->how == ELFDEPS_CACHE || o->how == ELFDEPS_DEFAULT)
        return "";
    snprintf(buf, len, " at %s", o->path);
    return buf;
}

/* " via LIB" / " dlopened by LIB": how the program comes to load it. */
static const char *through(const struct walk *w, const struct object *o, char *buf, size_t len)
{
    if (o->parent <= 0 && !o->dlopened)
        return "";
    const struct object *p = &w->objs[o->parent];
    snprintf(buf, len, " %s %s", o->dlopened ? "dlopened by" : "via", p->name ? p->name : base_name(p->path));
    return buf;
}

static void judge_object(struct walk *w, size_t i)
{
    const struct object *o = &w->objs[i];
    char at[PATH_MAX + 8], via[300], why[300];
    int rc;

    switch (o->kind) {
    case K_LIBSSL:
        if ((rc = libssl_check(w, i, why, sizeof why)) == 0)
            add_finding(w, V_JUDGED, "openssl (%s%s%s)", o->name, where(o, at, sizeof at), through(w, o, via, sizeof via));
        else
            add_finding(w, V_NOT_JUDGED, "%s (%s%s%s, %s)", rc == 1 ? "other libssl" : "openssl", o->name,
                        where(o, at, sizeof at), through(w, o, via, sizeof via), why);
        break;
    case K_GNUTLS:
        add_finding(w, V_JUDGED, "gnutls (%s%s%s)", o->name, where(o, at, sizeof at), through(w, o, via, sizeof via));
        break;
    case K_NSS:
        /* libssl3.so is NSS's TLS and links libnss3.so: one of them is told,
         * libssl3.so when the program has it (libnss3.so alone may be crypto). */
        if (strcmp(o->name, "libssl3.so") != 0 && find_object(w, "libssl3.so") >= 0)
            break;
        /* fall through */
    case K_GNUTLS_OTHER:
    case K_MBEDTLS:
    case K_WOLFSSL: {
        const char *what = o->kind == K_GNUTLS_OTHER ? "other gnutls" : o->kind == K_NSS ? "nss"
                           : o->kind == K_MBEDTLS    ? "mbedtls"
                                                     : "wolfssl";
        add_finding(w, V_NOT_JUDGED, "%s (%s%s%s)", what, o->name, where(o, at, sizeof at),
                    through(w, o, via, sizeof via));
        break;
    }
    case K_JAVA:
        add_finding(w, V_NOT_COVERABLE, "java (JSSE via %s)", o->name);
        break;
    case K_DOTNET:
        /* Its verification is its own callback, its functions taken with
         * dlsym: the library judges it at libssl's verification bracket
         * (docs/judgement.md), after the callback answered. */
        add_finding(w, V_JUDGED, ".NET (openssl, with its own verification callback)");
        break;
    default:
        if (o->builtin)
            add_finding(w, V_NOT_JUDGED, "%s linked into %s", o->builtin, o->name);
        break;
    }
}

/* The findings of the ELF program at `real`: into w. */
static void examine(struct walk *w, const char *real, const struct elfdeps *prog)
{
    const char *own = builtin_library(prog, true);

    /* Go brings its own TLS, statically linked or not. */
    if (prog->go)
        add_finding(w, V_NOT_COVERABLE, "go (crypto/tls)");
    /* Nothing can be preloaded into what the kernel starts without the
     * loader; and a program's own definitions come before a preloaded
     * library's. */
    if (own)
        add_finding(w, V_NOT_COVERABLE, "%s linked in statically", own);
    else if (prog->is_static && !prog->go)
        add_finding(w, V_NOT_COVERABLE, "statically linked");
    if (prog->is_static)
        return;
    if (dotnet_launcher(real))
        add_finding(w, V_JUDGED, ".NET (openssl, with its own verification callback)");

    if (!(w->objs = calloc(MAX_OBJECTS, sizeof *w->objs)))
        return;
    w->elf_class = prog->elf_class;
    w->machine = prog->machine;
    w->search.ld_library_path = getenv("LD_LIBRARY_PATH");
    if (!add_object(w, real, NULL, -1, false, ELFDEPS_PATH))
        return;
    w->objs[0].name = strdup(base_name(real));
    w->objs[0].rpath = prog->rpath ? strdup(prog->rpath) : NULL;
    w->objs[0].runpath = prog->runpath ? strdup(prog->runpath) : NULL;
    for (size_t k = 0; k < prog->nneeded; k++)
        add_dependency(w, 0, prog->needed[k], false);
    add_known_dlopens(w, real);
    for (size_t i = 1; i < w->n; i++)   /* breadth first: the shortest "via" */
        visit(w, i);
    for (size_t i = 1; i < w->n; i++)
        judge_object(w, i);
}

static void walk_free(struct walk *w)
{
    for (size_t i = 0; w->objs && i < w->n; i++) {
        free(w->objs[i].path);
        free(w->objs[i].name);
        free(w->objs[i].needed_as);
        free(w->objs[i].rpath);
        free(w->objs[i].runpath);
    }
    free(w->objs);
    elfdeps_search_free(&w->search);
}

/* PROGRAM as execvp finds it. */
static bool find_program(const char *name, char *out, size_t outlen)
{
    const char *path = getenv("PATH");
    struct stat st;
    if (strchr(name, '/'))
        return snprintf(out, outlen, "%s", name) < (int)outlen;
    if (!path)
        path = "/bin:/usr/bin";   /* glibc's execvp without PATH */
    for (const char *p = path;; p++) {
        size_t len = strcspn(p, ":");
        if (snprintf(out, outlen, "%.*s%s%s", (int)len, p, len ? "/" : "", name) < (int)outlen &&
            stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
            return true;
        p += len;
        if (!*p)
            return false;
    }
}

/* A script's interpreter (as the kernel reads "#!INTERP ARG"; through
 * `env [-S] [NAME=VALUE]... COMMAND`, that COMMAND): into `out`.  1 a
 * script, 0 not one; -1 it cannot be read. */
static int script_interpreter(const char *path, char *out, size_t outlen)
{
    char buf[257], *line, *arg, *save = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    if (n < 2 || buf[0] != '#' || buf[1] != '!')
        return 0;
    line = buf + 2;
    line[strcspn(line, "\n")] = '\0';
    char *interp = strtok_r(line, " \t", &save);
    if (!interp)
        return 0;
    if (strcmp(base_name(interp), "env") == 0) {
        while ((arg = strtok_r(NULL, " \t", &save)) && (arg[0] == '-' || strchr(arg, '=')))
            ;
        if (arg)
            return find_program(arg, out, outlen) ? 1 : (snprintf(out, outlen, "%s", arg), 1);
    }
    snprintf(out, outlen, "%s", interp);
    return 1;
}

/* covers_program, and with `j` the libraries found as its "libraries"
 * member (an array, [] when none or the program was not examined). */
static enum covers_result covers_examine(const char *program, char *line, size_t len, struct json_out *j)
{
    char found[PATH_MAX], real[PATH_MAX], interp[PATH_MAX], subject[2 * PATH_MAX + 16] = "";
    struct elfdeps prog;
    struct walk w;
    char why[256];
    int s;

    if (!find_program(program, found, sizeof found)) {
        snprintf(line, len, "%s: not found in PATH", program);
        return COVERS_NOT_FOUND;
    }
    if (!realpath(found, real)) {
        snprintf(line, len, "%s: %s", program, strerror(errno));
        return COVERS_NOT_FOUND;
    }
    /* A script: its interpreter, which may be a script too (as far as the
     * kernel follows them). */
    for (int depth = 0; (s = script_interpreter(real, interp, sizeof interp)) == 1; depth++) {
        if (depth == 4) {
            snprintf(line, len, "%s: too many levels of #! interpreters", program);
            return COVERS_NOT_PROGRAM;
        }
        if (!subject[0])
            snprintf(subject, sizeof subject, "%s", real);
        if (!realpath(interp, real)) {
            snprintf(line, len, "%s: its interpreter %s: %s", program, interp, strerror(errno));
            return COVERS_NOT_FOUND;
        }
    }
    if (s < 0) {
        snprintf(line, len, "%s: %s", program, strerror(errno));
        return COVERS_NOT_FOUND;
    }
    if (subject[0])
        snprintf(subject + strlen(subject), sizeof subject - strlen(subject), " (run by %s)", real);
    else
        snprintf(subject, sizeof subject, "%s", real);

    if (elfdeps_read(real, &prog, why, sizeof why) != 0) {
        if (strcmp(why, "not an ELF file") == 0)
            snprintf(line, len, "%s: not an ELF file nor a script", program);
        else
            snprintf(line, len, "%s: %s", program, why);
        elfdeps_free(&prog);
        return COVERS_NOT_PROGRAM;
    }
    memset(&w, 0, sizeof w);
    examine(&w, real, &prog);
    elfdeps_free(&prog);

    int o = snprintf(line, len, "%s: ", subject);
    for (size_t i = 0; i < w.nfindings && o > 0 && (size_t)o < len; i++)
        o += snprintf(line + o, len - (size_t)o, "%s%s", i ? ", " : "", w.findings[i]);
    if (o > 0 && (size_t)o < len)
        snprintf(line + o, len - (size_t)o, "%s%s", w.nfindings ? ": " : "", verdict_text[w.verdict]);
    if (j) {
        jo_array(j, "libraries");
        for (size_t i = 0; i < w.nfindings; i++)
            jo_string(j, NULL, w.findings[i]);
        jo_end(j);
    }
    walk_free(&w);
    return w.verdict == V_NONE ? COVERS_NO_TLS
         : w.verdict == V_JUDGED ? COVERS_JUDGED
         : w.verdict == V_NOT_JUDGED ? COVERS_NOT_JUDGED
                                     : COVERS_NOT_COVERABLE;
}

enum covers_result covers_program(const char *program, char *line, size_t len)
{
    return covers_examine(program, line, len, NULL);
}

static const char *const result_json[] = {
    [COVERS_NO_TLS] = "no tls",           [COVERS_JUDGED] = "judged",
    [COVERS_NOT_JUDGED] = "not judged",   [COVERS_NOT_COVERABLE] = "not coverable",
    [COVERS_NOT_FOUND] = "not found",     [COVERS_NOT_PROGRAM] = "not a program",
};

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "json", no_argument, NULL, 'J' },
        { NULL, 0, NULL, 0 },
    };
    int opt, worst = EX_OK;
    bool not_found = false, not_program = false, json = false;
    char line[8192];
    struct json_out j = { 0 };

    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h': return cli_usage(&cmd_covers, EX_OK);
        case 'J': json = true; break;
        default:
            cli_bad_option("covers", opt, argv);
            return EX_USAGE;
        }
    }
    if (optind >= argc) {
        cli_error("which program? (try 'pinshim covers --help')");
        return EX_USAGE;
    }
    if (json) {
        jo_object(&j, NULL);
        jo_array(&j, "programs");
    }
    for (int i = optind; i < argc; i++) {
        if (json) {
            jo_object(&j, NULL);
            jo_string(&j, "program", argv[i]);
        }
        enum covers_result result = covers_examine(argv[i], line, sizeof line, json ? &j : NULL);
        if (json) {
            if (result == COVERS_NOT_FOUND || result == COVERS_NOT_PROGRAM) {
                jo_array(&j, "libraries");
                jo_end(&j);
            }
            jo_string(&j, "result", result_json[result]);
            jo_string(&j, "line", line);
            jo_end(&j);
        }
        switch (result) {
        case COVERS_NOT_FOUND:
            cli_error("%s", line);
            not_found = true;
            continue;
        case COVERS_NOT_PROGRAM:
            cli_error("%s", line);
            not_program = true;
            continue;
        case COVERS_NOT_JUDGED:
        case COVERS_NOT_COVERABLE:
            worst = 1;
            break;
        default:
            break;
        }
        if (!json)
            puts(line);
    }
    if (json) {
        int rc = jo_finish(&j);
        if (rc != EX_OK)
            return rc;
    }
    if (fflush(stdout) != 0) {
        cli_error("cannot write: %s", strerror(errno));
        return EX_IOERR;
    }
    return not_found ? EX_NOINPUT : not_program ? EX_DATAERR : worst;
}

const struct command cmd_covers = { "covers", "which TLS library a program uses, and whether it is judged", usage,
                                    run };
