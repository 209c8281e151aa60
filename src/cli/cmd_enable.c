/* pinshim enable / disable: put the library into every process started from
 * now on (/etc/ld.so.preload), or into one systemd unit (a drop-in), only
 * after the config they will read checks clean and a trial process loads the
 * library without a word from the loader; and take it out again.
 *
 * Neither reads PINSHIM_CONFIG or PINSHIM_MODE: the processes they change do
 * not have them, and `sudo` strips them.  disable reads no config at all, so
 * a broken live config can never stand in the way back. */
#include "config.h"
#include "cli.h"
#include "preload_list.h"
#include "replace.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MULTIARCH
#define MULTIARCH ""
#endif

#define LIBNAME "libpinshim.so"
#define PRELOAD_FILE "/etc/ld.so.preload"
#define UNIT_DIR "/etc/systemd/system"
#define DROPIN_NAME "pinshim.conf"
#define DROPIN_MARKER "# Written by 'pinshim enable --unit"
#define PRELOAD_MAX ((size_t)1024 * 1024)

extern char **environ;

static void enable_usage(FILE *out)
{
    fprintf(out,
            "usage: pinshim enable [--library PATH]\n"
            "       pinshim enable --unit NAME [-c CONF] [--library PATH]\n\n"
            "Judge every program started from now on: add the library to " PRELOAD_FILE ".\n"
            "With --unit, judge one systemd unit instead: write the drop-in\n"
            UNIT_DIR "/NAME.d/" DROPIN_NAME " (LD_PRELOAD and PINSHIM_CONFIG) and reload systemd.\n\n"
            "First the config those programs will read (" SYSCONFDIR "/pinshim.conf, or CONF for\n"
            "a unit) is checked as 'pinshim check' does: with an error in it, nothing is\n"
            "changed.  Then a trial process is started with the library preloaded: if the\n"
            "loader complains, nothing is changed.  Running programs are not touched: restart\n"
            "them.  Every TLS client on the machine then reads the config: one error in it\n"
            "fails them all closed.  Change it with 'pinshim apply NEW.conf', which refuses\n"
            "a broken one.  The way back: pinshim disable (also through sudo).\n\n"
            "The " PRELOAD_FILE " entry is /usr/$LIB/pinshim/" LIBNAME " when the library is\n"
            "installed in /usr/lib/<multiarch>/pinshim (the Debian package): ld.so expands $LIB\n"
            "for each process, so a 32-bit program finds no library of the wrong class.\n"
            "Otherwise it is " PKGLIBDIR "/" LIBNAME ".\n\n"
            "      --library PATH   preload this library instead (an absolute path is written)\n"
            "      --unit NAME      a systemd unit (NAME.service when NAME has no suffix)\n"
            "  -c, --config CONF    the config of the unit (default " SYSCONFDIR "/pinshim.conf);\n"
            "                       a file, not '-': the unit's programs read it later\n"
            "  -h, --help           this help\n\n"
            "Exit status: 0 enabled (or already); 64 usage; 66 the config cannot be read;\n"
            "72 no library; 74 cannot write; 77 permission denied (run as root); 78 the\n"
            "config has an error, or the trial failed.\n");
}

static void disable_usage(FILE *out)
{
    fprintf(out,
            "usage: pinshim disable [--unit NAME | --all]\n\n"
            "Take the library out of " PRELOAD_FILE " (what 'pinshim enable' put there), or\n"
            "remove the drop-in of one unit (--unit), or both for every unit (--all: what\n"
            "the package does when it is removed).  Other entries of " PRELOAD_FILE " stay.\n"
            "Reads no config: it works when a broken config is live, and through sudo.\n"
            "Programs already running keep the library until they are restarted.\n\n"
            "      --unit NAME   the unit's drop-in only\n"
            "      --all         " PRELOAD_FILE " and every unit's drop-in written by enable\n"
            "  -h, --help        this help\n\n"
            "Exit status: 0 done (or nothing to do); 64 usage; 74 cannot write; 77 permission\n"
            "denied (run as root).\n");
}

static int errno_exit(int err)
{
    return err == EACCES || err == EPERM || err == EROFS ? EX_NOPERM : EX_IOERR;
}

static const char *errno_hint(int err)
{
    return err == EACCES || err == EPERM ? " (run as root)" : "";
}

/* "sshd" -> "sshd.service"; false for a name systemd would refuse or that
 * could leave UNIT_DIR. */
static bool unit_name(const char *name, char *out, size_t len)
{
    size_t n = strlen(name);
    if (n == 0 || n > 240 || name[0] == '.' || name[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.@\\", name[i]))
            return false;
    snprintf(out, len, "%s%s", name, strchr(name, '.') ? "" : ".service");
    return true;
}

static bool regular_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The entry that preloads the installed library (enable's help says which),
 * or `library` as an absolute path.  0, or an exit status after a message. */
static int preload_entry(const char *library, char *out, size_t len)
{
    if (library) {
        char real[PATH_MAX];
        if (!realpath(library, real) || !regular_file(real)) {
            cli_error("--library %s: %s", library, errno ? strerror(errno) : "not a regular file");
            return EX_OSFILE;
        }
        snprintf(out, len, "%s", real);
    } else if (MULTIARCH[0] && strcmp(PKGLIBDIR, "/usr/lib/" MULTIARCH "/pinshim") == 0) {
        if (!regular_file(PKGLIBDIR "/" LIBNAME)) {
            cli_error("no library at " PKGLIBDIR "/" LIBNAME " (is pinshim installed?)");
            return EX_OSFILE;
        }
        snprintf(out, len, "/usr/$LIB/pinshim/" LIBNAME);
    } else {
        if (!regular_file(PKGLIBDIR "/" LIBNAME)) {
            cli_error("no library at " PKGLIBDIR "/" LIBNAME
                      " (run make install, or give --library PATH)");
            return EX_OSFILE;
        }
        snprintf(out, len, PKGLIBDIR "/" LIBNAME);
    }
    if (out[strcspn(out, " \t\n:#\"\\%")]) {
        cli_error("the library path \"%s\" has a character that %s cannot hold", out,
                  "a preload list or a unit file");
        return EX_USAGE;
    }
    return 0;
}

/* `file` run with `argv` and `envp` (found in PATH when `search`), its
 * standard output or error (`fd`) read whole into `out` (the first `len` - 1
 * bytes kept, the rest drained so the child never blocks on a full pipe,
 * NUL-terminated), the other stream sent to /dev/null; its wait status into
 * `*status`.  Returns 0, or an errno value when it cannot be run. */
static int capture(const char *file, bool search, char *const argv[], char *const envp[], int fd, char *out,
                   size_t len, int *status)
{
    int fds[2];
    out[0] = '\0'; /* a string whatever happens */
    if (pipe2(fds, O_CLOEXEC) != 0)
        return errno ? errno : EIO;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, fd == STDOUT_FILENO ? STDERR_FILENO : STDOUT_FILENO, "/dev/null",
                                     O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], fd);
    pid_t pid;
    int rc = search ? posix_spawnp(&pid, file, &fa, NULL, argv, envp)
                    : posix_spawn(&pid, file, &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    size_t n = 0;
    for (;;) {
        char sink[256];
        ssize_t r = n + 1 < len ? read(fds[0], out + n, len - 1 - n) : read(fds[0], sink, sizeof sink);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (n + 1 < len)
            n += (size_t)r;
    }
    close(fds[0]);
    out[n] = '\0';
    if (rc != 0)
        return rc;
    *status = 0;
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
    return 0;
}

/* A process started with `entry` preloaded (this program, --version) must
 * run without a word from the loader: a wrong path, class or a broken
 * library is caught here, not in every process on the machine. */
static int trial(const char *entry, const char *config)
{
    char preload[PATH_MAX + 16], conf[PATH_MAX + 16];
    char *envp[3] = { preload, NULL, NULL };
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", entry);
    if (config) {
        snprintf(conf, sizeof conf, "PINSHIM_CONFIG=%s", config);
        envp[1] = conf;
    }
    char *argv[] = { (char *)"pinshim", (char *)"--version", NULL };
    char said[1024];
    int status = 0;
    int err = capture("/proc/self/exe", false, argv, envp, STDERR_FILENO, said, sizeof said, &status);
    if (err) {
        cli_error("cannot try the library: %s", strerror(err));
        return EX_OSERR;
    }
    /* The loader's complaints about entries already in PRELOAD_FILE are not
     * the trial's: a stale pinshim line is what enable replaces; another
     * program's is left as it is, with a word. */
    static const char from_file[] = "' from " PRELOAD_FILE " cannot be preloaded";
    char *other = NULL;
    for (char *line = said, *next; *line; line = next) {
        next = line + strcspn(line, "\n");
        if (*next)
            *next++ = '\0';
        char *end = strstr(line, from_file), *name = strstr(line, "object '");
        if (!end || !name || name > end) {
            if (!other)
                other = line;
            continue;
        }
        name += strlen("object '");
        if (!preload_is_pinshim(name, (size_t)(end - name)))
            cli_warning(PRELOAD_FILE " holds %.*s, which the loader cannot load (every process says so): "
                        "left as it is", (int)(end - name), name);
    }
    if (!other && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (other)
        memmove(said, other, strlen(other) + 1);
    else
        said[0] = '\0';
    if (said[0])
        cli_error("a trial process with LD_PRELOAD=%s said: %s; nothing was changed", entry, said);
    else
        cli_error("a trial process with LD_PRELOAD=%s failed (status %d); nothing was changed", entry,
                  WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return EX_CONFIG;
}

static bool systemd_running(void)
{
    struct stat st;
    return stat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
}

/* systemctl's standard output for `argv` into `out` (NUL-terminated, cut at
 * `len`); its exit status, or -1 when it cannot be run. */
static int systemctl_output(char *const argv[], char *out, size_t len)
{
    int status = 0;
    if (capture("systemctl", true, argv, environ, STDOUT_FILENO, out, len, &status) != 0)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The next word of systemd's environment list at *p (space separated, a word
 * in double quotes may hold spaces, backslash escapes the next character)
 * into `word`; false at the end. */
static bool next_env_word(const char **p, char *word, size_t len)
{
    const char *s = *p;
    while (*s == ' ')
        s++;
    if (!*s || *s == '\n')
        return false;
    size_t n = 0;
    bool quoted = false;
    for (; *s && *s != '\n' && (quoted || *s != ' '); s++) {
        if (*s == '"') {
            quoted = !quoted;
            continue;
        }
        if (*s == '\\' && s[1])
            s++;
        if (n + 1 < len)
            word[n++] = *s;
    }
    word[n] = '\0';
    *p = s;
    return true;
}

/* A unit's own LD_PRELOAD must survive the drop-in, whose Environment= would
 * replace it: `entry` first, then the unit's other libraries, into `out`.
 * One set in an EnvironmentFile= would override the drop-in instead (those
 * come last): refused, with where.  0, or an exit status after a message. */
static int unit_preload(const char *unit, const char *entry, char *out, size_t len)
{
    snprintf(out, len, "%s", entry);
    if (!systemd_running()) {
        cli_warning("systemd is not running: an LD_PRELOAD that %s sets itself was not looked for "
                    "(the drop-in's would replace it)", unit);
        return 0;
    }
    char shown[16384];
    char *argv[] = { (char *)"systemctl", (char *)"show", (char *)"--property=Environment",
                     (char *)"--property=EnvironmentFiles", (char *)unit, NULL };
    if (systemctl_output(argv, shown, sizeof shown) != 0) {
        cli_error("systemctl show %s failed: is it a unit?", unit);
        return EX_UNAVAILABLE;
    }
    for (const char *line = shown; *line; line += strcspn(line, "\n") + (line[strcspn(line, "\n")] ? 1 : 0)) {
        char word[4096];
        if (strncmp(line, "Environment=", 12) == 0) {
            const char *p = line + 12;
            while (next_env_word(&p, word, sizeof word)) {
                if (strncmp(word, "LD_PRELOAD=", 11) != 0)
                    continue;
                for (const char *v = word + 11; *v;) {
                    size_t n = strcspn(v, " :");
                    if (n && !preload_is_pinshim(v, n) && strlen(out) + n + 2 < len)
                        snprintf(out + strlen(out), len - strlen(out), " %.*s", (int)n, v);
                    v += n ? n : 1;
                }
            }
        } else if (strncmp(line, "EnvironmentFiles=", 17) == 0) {
            const char *p = line + 17;
            if (!next_env_word(&p, word, sizeof word) || word[0] != '/')
                continue;
            char *text = NULL;
            if (replace_read(word, PRELOAD_MAX, &text) != 0)
                continue;
            for (const char *l = text; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] ? 1 : 0)) {
                const char *k = l + strspn(l, " \t");
                if (strncmp(k, "export ", 7) == 0)
                    k += 7 + strspn(k + 7, " \t");
                if (strncmp(k, "LD_PRELOAD=", 11) == 0) {
                    cli_error("%s sets LD_PRELOAD in its EnvironmentFile %s, which would override the "
                              "drop-in's: add %s to it there instead; nothing was changed", unit, word, entry);
                    free(text);
                    return EX_CONFIG;
                }
            }
            free(text);
        }
    }
    if (strcmp(out, entry) != 0)
        printf("%s sets LD_PRELOAD itself: the drop-in keeps it after the library (%s)\n", unit, out);
    return 0;
}

/* systemd reads the drop-in only when told to; nothing to tell when it is
 * not running (a container, a chroot). */
static void reload_systemd(void)
{
    if (!systemd_running())
        return;
    char *argv[] = { (char *)"systemctl", (char *)"daemon-reload", NULL };
    pid_t pid;
    int status = 0;
    if (posix_spawnp(&pid, "systemctl", NULL, NULL, argv, environ) != 0) {
        cli_warning("cannot run systemctl daemon-reload: run it yourself");
        return;
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        cli_warning("systemctl daemon-reload failed: run it yourself");
}

static int read_preload(char **text)
{
    int err = replace_read(PRELOAD_FILE, PRELOAD_MAX, text);
    if (err == ENOENT) {
        *text = strdup("");
        return *text ? 0 : EX_OSERR;
    }
    if (err) {
        cli_error("cannot read " PRELOAD_FILE ": %s",
                  err == EINVAL ? "not a regular text file" : strerror(err));
        return errno_exit(err);
    }
    return 0;
}

/* `text` as the new PRELOAD_FILE, keeping the old file's mode and owner;
 * an empty list removes the file. */
static int write_preload(const char *text)
{
    struct stat st;
    mode_t mode = 0644;
    uid_t uid = (uid_t)-1;
    gid_t gid = (gid_t)-1;
    if (stat(PRELOAD_FILE, &st) == 0) {
        mode = st.st_mode & 0755; /* never writable by group or others */
        uid = st.st_uid;
        gid = st.st_gid;
    }
    int err;
    if (text[strspn(text, " \t\n")] == '\0') {
        err = unlink(PRELOAD_FILE) == 0 || errno == ENOENT ? 0 : errno;
    } else {
        char tmp[PATH_MAX];
        err = replace_stage(PRELOAD_FILE, text, strlen(text), mode, uid, gid, tmp, sizeof tmp);
        if (!err)
            err = replace_commit(tmp, PRELOAD_FILE);
    }
    if (err) {
        cli_error("cannot write " PRELOAD_FILE ": %s%s", strerror(err), errno_hint(err));
        return errno_exit(err);
    }
    return 0;
}

static int enable_preload(const char *entry)
{
    char *text = NULL, *next;
    bool already = false;
    int rc = read_preload(&text);
    if (rc)
        return rc;
    if (!(next = preload_add(text, entry, &already))) {
        free(text);
        cli_error("out of memory");
        return EX_OSERR;
    }
    if (!already)
        rc = write_preload(next);
    if (!rc)
        printf(already ? PRELOAD_FILE ": pinshim is enabled already (%s)\n"
                       : PRELOAD_FILE ": added %s: every program started from now on is judged "
                         "(restart running ones); the way back: pinshim disable\n",
               entry);
    free(text);
    free(next);
    return rc;
}

static void dropin_paths(const char *unit, char *dir, size_t dlen, char *file, size_t flen)
{
    snprintf(dir, dlen, UNIT_DIR "/%s.d", unit);
    snprintf(file, flen, UNIT_DIR "/%s.d/" DROPIN_NAME, unit); /* unit: at most 240 bytes */
}

static int enable_unit(const char *unit, const char *entry, const char *config)
{
    char dir[PATH_MAX], file[PATH_MAX], preload[8192], *text = NULL;
    int rc = unit_preload(unit, entry, preload, sizeof preload);
    if (rc)
        return rc;
    if (preload[strcspn(preload, "\"\\%\n")]) {
        cli_error("%s's LD_PRELOAD \"%s\" has a character the drop-in cannot hold", unit, preload);
        return EX_CONFIG;
    }
    dropin_paths(unit, dir, sizeof dir, file, sizeof file);
    if (asprintf(&text,
                 DROPIN_MARKER " %s'; 'pinshim disable --unit %s' removes it.\n"
                 "[Service]\n"
                 "Environment=\"LD_PRELOAD=%s\"\n"
                 "Environment=\"PINSHIM_CONFIG=%s\"\n",
                 unit, unit, preload, config) < 0) {
        cli_error("out of memory");
        return EX_OSERR;
    }
    int err = 0;
    if (mkdir(UNIT_DIR, 0755) != 0 && errno != EEXIST)
        err = errno;
    if (!err && mkdir(dir, 0755) != 0 && errno != EEXIST)
        err = errno;
    if (!err)
        err = replace_file(file, text, strlen(text), 0644);
    free(text);
    if (err) {
        cli_error("cannot write %s: %s%s", file, strerror(err), errno_hint(err));
        return errno_exit(err);
    }
    reload_systemd();
    printf("%s: written: %s is judged from its next start: systemctl restart %s; the way back: pinshim disable "
           "--unit %s\n",
           file, unit, unit, unit);
    return 0;
}

static int enable_run(int argc, char **argv)
{
    static const struct option options[] = {
        { "config", required_argument, NULL, 'c' },
        { "unit", required_argument, NULL, 'u' },
        { "library", required_argument, NULL, 'L' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *explicit = NULL, *unit_arg = NULL, *library = NULL;
    char unit[256], entry[PATH_MAX], config[PATH_MAX];
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":c:h", options, NULL)) != -1) {
        switch (c) {
        case 'c': explicit = optarg; break;
        case 'u': unit_arg = optarg; break;
        case 'L': library = optarg; break;
        case 'h': return cli_usage(&cmd_enable, EX_OK);
        default:
            cli_bad_option("enable", c, argv);
            return EX_USAGE;
        }
    }
    if (optind < argc) {
        cli_error("unexpected argument \"%s\" (try: pinshim enable --help)", argv[optind]);
        return EX_USAGE;
    }
    if (explicit && !unit_arg) {
        cli_error("-c is for --unit: every process reads " SYSCONFDIR "/pinshim.conf; "
                  "put CONF there with 'pinshim apply CONF'");
        return EX_USAGE;
    }
    int rc = cli_conf_not_stdin(explicit, "the config must be a file: the unit's programs read it later, by its name");
    if (rc)
        return rc;
    if (unit_arg && !unit_name(unit_arg, unit, sizeof unit)) {
        cli_error("\"%s\" is not a unit name", unit_arg);
        return EX_USAGE;
    }
    rc = preload_entry(library, entry, sizeof entry);
    if (rc)
        return rc;
    if (explicit) {
        if (!realpath(explicit, config)) {
            cli_error("%s: %s", explicit, strerror(errno));
            return EX_NOINPUT;
        }
    } else {
        snprintf(config, sizeof config, SYSCONFDIR "/pinshim.conf");
    }
    if (config[strcspn(config, "\"\\%\n")]) {
        cli_error("the config path \"%s\" has a character a unit file cannot hold", config);
        return EX_USAGE;
    }
    /* The programs read the config as they are: the check runs as the
     * user they run as is not known, so as this one (root: its rules). */
    rc = check_config(config, NULL, 0);
    fflush(stdout);
    if (rc != EX_OK) {
        cli_error("%s has an error: nothing was changed (with it, every TLS connection of %s "
                  "would fail)", config, unit_arg ? unit : "every program");
        return rc == EX_NOINPUT ? EX_NOINPUT : EX_CONFIG;
    }
    if ((rc = trial(entry, unit_arg ? config : NULL)) != 0)
        return rc;
    return unit_arg ? enable_unit(unit, entry, config) : enable_preload(entry);
}

static int disable_preload(void)
{
    char *text = NULL, *next;
    unsigned removed = 0;
    int rc = read_preload(&text);
    if (rc)
        return rc;
    if (!(next = preload_remove(text, &removed))) {
        free(text);
        cli_error("out of memory");
        return EX_OSERR;
    }
    if (strcmp(next, text) != 0)
        rc = write_preload(next);
    if (!rc && removed)
        printf(PRELOAD_FILE ": pinshim taken out: programs started from now on are not judged (restart "
               "running ones)\n");
    else if (!rc)
        printf(PRELOAD_FILE ": pinshim is not in it\n");
    free(text);
    free(next);
    return rc;
}

/* 1 when `file` is a drop-in enable wrote, 0 when it is not there, -1 when
 * it is someone else's. */
static int ours(const char *file)
{
    char *text = NULL;
    int err = replace_read(file, (size_t)64 * 1024, &text);
    if (err == ENOENT)
        return 0;
    int mine = !err && strncmp(text, DROPIN_MARKER, sizeof DROPIN_MARKER - 1) == 0;
    free(text);
    return mine ? 1 : -1;
}

/* 0 removed, 1 nothing there, or an exit status after a message. */
static int disable_unit(const char *unit)
{
    char dir[PATH_MAX], file[PATH_MAX];
    dropin_paths(unit, dir, sizeof dir, file, sizeof file);
    int mine = ours(file);
    if (mine == 0)
        return 1;
    if (mine < 0) {
        cli_error("%s was not written by pinshim enable: left as it is", file);
        return EX_DATAERR;
    }
    if (unlink(file) != 0) {
        int err = errno;
        cli_error("cannot remove %s: %s%s", file, strerror(err), errno_hint(err));
        return errno_exit(err);
    }
    (void)rmdir(dir); /* only when empty: the unit's other drop-ins stay */
    printf("%s: removed: %s is not judged from its next start: systemctl restart %s\n", file, unit, unit);
    return 0;
}

static int disable_all_units(void)
{
    DIR *d = opendir(UNIT_DIR);
    int rc = 0;
    bool any = false;
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 3 || strcmp(e->d_name + n - 2, ".d") != 0)
            continue;
        char unit[256], file[PATH_MAX];
        if (n - 2 >= sizeof unit)
            continue;
        memcpy(unit, e->d_name, n - 2);
        unit[n - 2] = '\0';
        snprintf(file, sizeof file, UNIT_DIR "/%s/" DROPIN_NAME, e->d_name);
        if (ours(file) != 1)
            continue;
        int r = disable_unit(unit);
        if (r == 0)
            any = true;
        else if (r > 1 && !rc)
            rc = r;
    }
    closedir(d);
    if (any)
        reload_systemd();
    return rc;
}

static int disable_run(int argc, char **argv)
{
    static const struct option options[] = {
        { "unit", required_argument, NULL, 'u' },
        { "all", no_argument, NULL, 'a' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *unit_arg = NULL;
    bool all = false;
    char unit[256];
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        switch (c) {
        case 'u': unit_arg = optarg; break;
        case 'a': all = true; break;
        case 'h': return cli_usage(&cmd_disable, EX_OK);
        default:
            cli_bad_option("disable", c, argv);
            return EX_USAGE;
        }
    }
    if (optind < argc) {
        cli_error("unexpected argument \"%s\" (try: pinshim disable --help)", argv[optind]);
        return EX_USAGE;
    }
    if (unit_arg && all) {
        cli_error("--unit and --all exclude each other");
        return EX_USAGE;
    }
    if (unit_arg) {
        if (!unit_name(unit_arg, unit, sizeof unit)) {
            cli_error("\"%s\" is not a unit name", unit_arg);
            return EX_USAGE;
        }
        int rc = disable_unit(unit);
        if (rc == 1)
            printf("%s: pinshim is not enabled for it\n", unit);
        else if (rc == 0)
            reload_systemd();
        return rc == 1 ? EX_OK : rc;
    }
    int rc = disable_preload();
    if (all) {
        int r = disable_all_units();
        if (!rc)
            rc = r;
    }
    return rc;
}

const struct command cmd_enable = {
    "enable",
    "judge every program from now on (/etc/ld.so.preload), or one systemd unit",
    enable_usage,
    enable_run,
};

const struct command cmd_disable = {
    "disable",
    "take pinshim out of /etc/ld.so.preload or a unit again",
    disable_usage,
    disable_run,
};
