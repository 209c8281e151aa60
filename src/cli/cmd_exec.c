/* pinshim exec [-c CONF] [--report] [--] CMD [ARG]...: run CMD with the
 * library preloaded (DESIGN 1, 11): find libpinshim.so, prepend it to
 * LD_PRELOAD, point PINSHIM_CONFIG at an absolute path, tell when CMD is not
 * covered (DESIGN 12), execvp.  CMD's exit status is pinshim's, since CMD
 * replaces it. */
#include "config.h"
#include "cli.h"
#include "policy.h"
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LIBNAME "libpinshim.so"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: pinshim exec [OPTION]... [--] COMMAND [ARG]...\n"
            "\n"
            "Run COMMAND with libpinshim.so preloaded, so every TLS client handshake it\n"
            "makes is judged against the pins of the config.  COMMAND's exit status is\n"
            "pinshim's.\n"
            "\n"
            "Options:\n"
            "  -c, --config=CONF   the config (default: $PINSHIM_CONFIG, else\n"
            "                      %s/pinshim.conf); passed on as an absolute path\n"
            "                      (so a file: '-' is an error)\n"
            "      --report        report only: log failures but block nothing\n"
            "                      (sets PINSHIM_MODE=report)\n"
            "  -q, --quiet         print none of pinshim exec's own notices on stderr (the\n"
            "                      line of `pinshim covers COMMAND` below); errors that\n"
            "                      stop COMMAND from running are still printed, and the\n"
            "                      library's own logging is the config's (log.stderr)\n"
            "  -h, --help          show this help\n"
            "\n"
            "The library is $PINSHIM_LIBRARY, else src/.libs/" LIBNAME " of the build tree\n"
            "this pinshim runs from, else %s/" LIBNAME ".\n"
            "It goes in front of an existing LD_PRELOAD.  The config is checked first: an\n"
            "invalid one would make every TLS connection of COMMAND fail.  When pinshim\n"
            "does not judge COMMAND's TLS library, or cannot be preloaded into it, the\n"
            "line of `pinshim covers COMMAND` is printed on stderr first (unless -q);\n"
            "COMMAND still runs.\n"
            "\n"
            "Exit status: COMMAND's; 64 usage, 66 the config cannot be read, 72 no library,\n"
            "78 the config is invalid (or PINSHIM_MODE is unknown), 126 COMMAND cannot be\n"
            "run, 127 COMMAND not found.\n",
            SYSCONFDIR, PKGLIBDIR);
}

static bool regular_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, R_OK) == 0;
}

/* `dir`/`rel` into out when it is a readable file.  (Sizes are bounded by
 * PATH_MAX, so the text always fits.) */
static bool try_path(const char *dir, const char *rel, char *out)
{
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    return regular_file(path) && realpath(path, out) != NULL;
}

/* The library, as an absolute path in `out` (PATH_MAX bytes).  Returns 0, or
 * an exit status after an error message. */
static int find_library(char *out)
{
    const char *env = getenv("PINSHIM_LIBRARY");
    char exe[PATH_MAX], *slash;
    ssize_t n;

    if (env && *env) {
        struct stat st;
        if (stat(env, &st) != 0 || access(env, R_OK) != 0 || !realpath(env, out)) {
            cli_error("PINSHIM_LIBRARY=%s: %s", env, strerror(errno));
            return EX_OSFILE;
        }
        if (!S_ISREG(st.st_mode)) {
            cli_error("PINSHIM_LIBRARY=%s: not a regular file", env);
            return EX_OSFILE;
        }
        return 0;
    }
    /* The build tree: src/pinshim has src/libpinshim.la and
     * src/.libs/libpinshim.so beside it; libtool may run the binary as
     * src/.libs/lt-pinshim (or src/.libs/pinshim). */
    n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        if ((slash = strrchr(exe, '/'))) {
            *slash = '\0';
            const char *dir = exe[0] ? exe : "/";
            if (try_path(dir, "libpinshim.la", out) && try_path(dir, ".libs/" LIBNAME, out))
                return 0;
            const char *base = strrchr(dir, '/');
            if (base && strcmp(base, "/.libs") == 0 && try_path(dir, "../libpinshim.la", out) &&
                try_path(dir, LIBNAME, out))
                return 0;
        }
    }
    if (try_path(PKGLIBDIR, LIBNAME, out))
        return 0;
    cli_error("cannot find " LIBNAME " (not in the build tree of this pinshim, nor in %s); "
              "set PINSHIM_LIBRARY to its path",
              PKGLIBDIR);
    return EX_OSFILE;
}

/* Is `lib` already one of the LD_PRELOAD entries (space or colon separated)? */
static bool preloaded(const char *list, const char *lib)
{
    size_t len = strlen(lib);
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, " :");
        if (n == len && strncmp(p, lib, len) == 0)
            return true;
        p += n;
        p += strspn(p, " :");
    }
    return false;
}

static int set_preload(const char *lib)
{
    const char *old = getenv("LD_PRELOAD");
    char *value;
    int r;

    if (!old || !*old || strspn(old, " :") == strlen(old))
        return setenv("LD_PRELOAD", lib, 1);
    if (preloaded(old, lib))
        return 0;
    if (!(value = malloc(strlen(lib) + strlen(old) + 2)))
        return -1;
    sprintf(value, "%s %s", lib, old);
    r = setenv("LD_PRELOAD", value, 1);
    free(value);
    return r;
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "report", no_argument, NULL, 'r' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *conf = NULL, *path;
    char lib[PATH_MAX], abs_conf[PATH_MAX];
    bool report = false, quiet = false;
    struct policy *policy;
    int opt, rc;

    /* '+': options end at COMMAND, whose own options are its own. */
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "+:c:qh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': conf = optarg; break;
        case 'r': report = true; break;
        case 'q': quiet = true; break;
        case 'h': return cli_usage(&cmd_exec, EX_OK);
        default:
            cli_bad_option("exec", opt, argv);
            return EX_USAGE;
        }
    }
    if (optind >= argc) {
        cli_error("which command? (try 'pinshim exec --help')");
        return EX_USAGE;
    }
    rc = cli_conf_not_stdin(conf, "the config must be a file: the library in COMMAND reads it later, by its name");
    if (rc)
        return rc;

    if ((rc = find_library(lib)) != 0)
        return rc;
    if (strpbrk(lib, " :")) {
        cli_error("the library path \"%s\" has a space or colon, which LD_PRELOAD cannot hold", lib);
        return EX_OSFILE;
    }

    /* The config the library would read, made absolute so that COMMAND may
     * change directory; checked now, since an unusable one would make every
     * TLS connection of COMMAND fail. */
    path = cli_config_path(conf);
    if (!realpath(path, abs_conf)) {
        cli_error("%s: cannot read the config: %s", path, strerror(errno));
        return EX_NOINPUT;
    }
    if (!(policy = policy_load(abs_conf))) {
        cli_error("out of memory");
        return EX_OSERR;
    }
    if (policy->error) {
        cli_error("%s", policy->error);
        policy_free(policy);
        return EX_CONFIG;
    }
    policy_free(policy);
    /* So is an unknown PINSHIM_MODE (the library fails closed on it). */
    const char *mode = getenv("PINSHIM_MODE");
    if (!report && mode && *mode && mode_from_text(mode) == MODE_INHERIT) {
        cli_error("PINSHIM_MODE must be enforce, report or off, not \"%s\"", mode);
        return EX_CONFIG;
    }

    if (set_preload(lib) != 0 || setenv("PINSHIM_CONFIG", abs_conf, 1) != 0 ||
        (report && setenv("PINSHIM_MODE", "report", 1) != 0)) {
        cli_error("cannot set the environment: %s", strerror(errno));
        return EX_OSERR;
    }
    /* DESIGN 12: nobody should believe a program is pinned when it is not.
     * Said first, and the program still runs; nothing for a program that
     * cannot be found (execvp says so) or one pinshim covers; nothing with
     * -q, which asked for silence (the line is a notice, not an error). */
    if (!quiet) {
        char line[8192];
        enum covers_result covered = covers_program(argv[optind], line, sizeof line);
        if (covered == COVERS_NOT_JUDGED || covered == COVERS_NOT_COVERABLE)
            cli_error("%s", line);
    }

    fflush(NULL);
    execvp(argv[optind], argv + optind);
    int e = errno;
    if (e == ENOENT) {
        cli_error("%s: %s", argv[optind],
                  strchr(argv[optind], '/') ? "No such file or directory" : "command not found");
        return 127;
    }
    cli_error("%s: %s", argv[optind], strerror(e));
    return 126;
}

const struct command cmd_exec = { "exec", "run a program with the library preloaded", usage, run };
