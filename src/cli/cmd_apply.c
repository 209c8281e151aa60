/* pinshim apply NEW.conf: replace the live config only with one that checks
 * clean.  NEW is copied beside the live file first and checked there, so its
 * @include lines resolve as they will when live, and under the ownership
 * rules of whoever runs apply (root: those of root's programs); then it is
 * renamed over the live file, which every reader sees whole, old or new.
 * Running programs reload it within their check interval. */
#include "config.h"
#include "cli.h"
#include "replace.h"
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The library reads no config larger than this either (input.c). */
#define APPLY_MAX (64LL * 1024 * 1024)

static void usage(FILE *out)
{
    fprintf(out,
            "usage: pinshim apply [-c LIVE] NEW.conf\n\n"
            "Make NEW.conf the live config, only if it checks clean: NEW is copied beside the\n"
            "live config, checked there as 'pinshim check' does (its @include lines resolve as\n"
            "they will live), and renamed over the live file in one step.  With an error in\n"
            "it, the live config is left untouched.  Warnings are printed and do not stop it\n"
            "(--strict: they do).  The live file keeps its owner, group and mode (never\n"
            "writable by group or others).  Running programs take the new config at their\n"
            "next check (within a second or so, see pinshim.conf(5)).  NEW.conf '-' is\n"
            "standard input.\n\n"
            "  -c, --config LIVE   the live config (default: $PINSHIM_CONFIG, else\n"
            "                      " SYSCONFDIR "/pinshim.conf); a file, not '-'\n"
            "      --strict        refuse on warnings too\n"
            "  -h, --help          this help\n\n"
            "Exit status: 0 applied; 1 NEW has an error (or warnings, with --strict): nothing\n"
            "changed; 64 usage; 66 NEW cannot be read; 74 cannot write; 77 permission denied.\n");
}

static int run(int argc, char **argv)
{
    static const struct option options[] = {
        { "config", required_argument, NULL, 'c' },
        { "strict", no_argument, NULL, 'S' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *explicit = NULL;
    int strict = 0, c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":c:h", options, NULL)) != -1) {
        switch (c) {
        case 'c': explicit = optarg; break;
        case 'S': strict = 1; break;
        case 'h': return cli_usage(&cmd_apply, EX_OK);
        default:
            cli_bad_option("apply", c, argv);
            return EX_USAGE;
        }
    }
    if (argc - optind != 1) {
        cli_error("give one new config (try: pinshim apply --help)");
        return EX_USAGE;
    }
    const char *new_path = argv[optind];
    int rc = cli_conf_not_stdin(explicit, "the live config must be a file, the one to replace (NEW may be '-')");
    if (rc)
        return rc;
    const char *live_arg = cli_config_path(explicit);

    char *text = NULL;
    int from_stdin = strcmp(new_path, "-") == 0;
    int err = from_stdin ? cli_read_stdin((size_t)APPLY_MAX, &text) : replace_read(new_path, (size_t)APPLY_MAX, &text);
    if (from_stdin)
        new_path = "standard input";
    if (err) {
        cli_error("%s: %s", new_path,
                  err == EINVAL ? "not a regular text file" : err == EFBIG ? "too large" : strerror(err));
        return EX_NOINPUT;
    }

    /* The live file's real place (it may be a symlink into a managed tree),
     * and what it keeps: owner, group, mode less group/other write. */
    char live[PATH_MAX];
    struct stat st;
    mode_t mode = 0644;
    uid_t uid = (uid_t)-1;
    gid_t gid = (gid_t)-1;
    if (realpath(live_arg, live)) {
        if (stat(live, &st) == 0 && S_ISREG(st.st_mode)) {
            mode = st.st_mode & 0755;
            if (geteuid() == 0) {
                uid = st.st_uid;
                gid = st.st_gid;
            }
        } else {
            cli_error("the live config %s is not a regular file", live);
            free(text);
            return EX_USAGE;
        }
    } else if (errno == ENOENT && strlen(live_arg) < sizeof live) {
        snprintf(live, sizeof live, "%s", live_arg); /* first apply: created */
    } else {
        cli_error("%s: %s", live_arg, strerror(errno));
        free(text);
        return EX_USAGE;
    }

    char staged[PATH_MAX];
    err = replace_stage(live, text, strlen(text), mode, uid, gid, staged, sizeof staged);
    free(text);
    if (err) {
        cli_error("cannot write beside %s: %s%s", live, strerror(err),
                  err == EACCES || err == EPERM ? " (run as root)" : "");
        return err == EACCES || err == EPERM || err == EROFS ? EX_NOPERM : EX_IOERR;
    }
    rc = check_config(staged, new_path, strict);
    fflush(stdout);
    if (rc != EX_OK) {
        unlink(staged);
        cli_error("%s %s: %s is untouched", new_path,
                  rc == 1 && strict ? "has an error or a warning (--strict)" : "has an error", live);
        return rc == EX_NOINPUT ? EX_NOINPUT : 1;
    }
    if ((err = replace_commit(staged, live)) != 0) {
        cli_error("cannot replace %s: %s", live, strerror(err));
        return EX_IOERR;
    }
    printf("%s: now the config from %s\n", live, new_path);
    return EX_OK;
}

const struct command cmd_apply = {
    "apply",
    "replace the live config with a new one, only if it checks clean",
    usage,
    run,
};
