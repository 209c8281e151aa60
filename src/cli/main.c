/* pinshim: compute pins, check configs, probe and audit hosts, run programs
 * under the shim, export the policy for other platforms. */
#include "config.h"
#include "cli.h"
#include "ossl.h"
#include "replace.h"
#include <openssl/err.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <errno.h>
#include <unistd.h>

static const struct command *const commands[] = {
    &cmd_pin,    &cmd_probe, &cmd_check,  &cmd_apply,  &cmd_exec, &cmd_enable,
    &cmd_disable, &cmd_audit, &cmd_export, &cmd_tofu, &cmd_covers, &cmd_report,
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

const char *cli_command;

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("pinshim: ", stderr);
    if (cli_command)
        fprintf(stderr, "%s: ", cli_command);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void cli_warning(const char *fmt, ...)
{
    va_list ap;
    fputs("pinshim: ", stderr);
    if (cli_command)
        fprintf(stderr, "%s: ", cli_command);
    fputs("warning: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_state_folder(const char *state, char *dir, size_t len)
{
    const char *slash = strrchr(state, '/');
    size_t n = slash ? (size_t)(slash - state) : 0;
    if (n + 2 > len)
        return -1;
    memcpy(dir, state, n);
    dir[n] = '\0';
    if (!n)
        strcpy(dir, "/");
    struct stat st;
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *cli_config_path(const char *explicit)
{
    const char *env = getenv("PINSHIM_CONFIG");
    if (explicit && *explicit)
        return explicit;
    if (env && *env)
        return env;
    return SYSCONFDIR "/pinshim.conf";
}

int cli_config_exit(const char *path)
{
    FILE *f = path ? fopen(path, "re") : NULL;
    if (!f)
        return EX_NOINPUT;
    fclose(f);
    return EX_CONFIG;
}

int cli_read_stdin(size_t max, char **text)
{
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    *text = NULL;
    if (!buf)
        return ENOMEM;
    for (;;) {
        if (len + 1 >= cap) {
            if (cap > max + 1) {
                free(buf);
                return EFBIG;
            }
            char *more = realloc(buf, cap * 2);
            if (!more) {
                free(buf);
                return ENOMEM;
            }
            buf = more;
            cap *= 2;
        }
        ssize_t n = read(STDIN_FILENO, buf + len, cap - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int err = errno;
            free(buf);
            return err;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (len > max) {
        free(buf);
        return EFBIG;
    }
    buf[len] = '\0';
    *text = buf;
    return 0;
}

int cli_stdin_file(char *path, size_t len)
{
    const char *tmp = getenv("TMPDIR");
    char *text = NULL;
    int err = cli_read_stdin((size_t)16 << 20, &text);
    if (err || !text)
        return err ? err : ENOMEM;
    if (snprintf(path, len, "%s/pinshim-stdin.XXXXXX", tmp && *tmp ? tmp : "/tmp") >= (int)len) {
        free(text);
        return ENAMETOOLONG;
    }
    int fd = mkstemp(path);
    if (fd < 0) {
        err = errno;
        free(text);
        return err;
    }
    err = replace_write_all(fd, text, strlen(text));
    free(text);
    if (close(fd) != 0 && !err)
        err = errno;
    if (err)
        unlink(path);
    return err;
}

int cli_conf_open(struct cli_conf *c, const char *explicit)
{
    c->tmp[0] = '\0';
    if (!explicit || strcmp(explicit, "-") != 0) {
        c->path = c->shown = cli_config_path(explicit);
        return 0;
    }
    int err = cli_stdin_file(c->tmp, sizeof c->tmp);
    if (err) {
        c->tmp[0] = '\0';
        cli_error("standard input: %s", err == EFBIG ? "too large (16 MiB at most)" : strerror(err));
        return EX_NOINPUT;
    }
    c->path = c->tmp;
    c->shown = "standard input";
    return 0;
}

void cli_conf_close(struct cli_conf *c)
{
    if (c->tmp[0])
        unlink(c->tmp);
    c->tmp[0] = '\0';
}

void cli_conf_error(const struct cli_conf *c, const char *error)
{
    size_t n = strlen(c->tmp);
    if (n && strncmp(error, c->tmp, n) == 0)
        cli_error("%s%s", c->shown, error + n);
    else
        cli_error("%s", error);
}

int cli_conf_not_stdin(const char *explicit, const char *what)
{
    if (!explicit || strcmp(explicit, "-") != 0)
        return 0;
    cli_error("-c -: %s", what);
    return EX_USAGE;
}

int cli_usage(const struct command *cmd, int exit_code)
{
    cmd->usage(exit_code == EX_OK ? stdout : stderr);
    return exit_code;
}

const char *cli_ssl_error(char *buf, size_t len)
{
    unsigned long e = ERR_get_error();
    if (!e) {
        snprintf(buf, len, "unknown error");
    } else {
        const char *reason = ERR_reason_error_string(e);
        snprintf(buf, len, "%s", reason ? reason : "unknown error");
    }
    ERR_clear_error();
    return buf;
}

void cli_bad_option(const char *cmd, int opt, char **argv)
{
    const char *arg = argv[optind - 1];
    if (opt == ':')
        cli_error("option %s needs an argument (try 'pinshim %s --help')", arg, cmd);
    else if (strncmp(arg, "--", 2) != 0)
        cli_error("unknown option -%c (try 'pinshim %s --help')", optopt, cmd);
    else if (optopt)
        cli_error("option %.*s takes no argument", (int)strcspn(arg, "="), arg);
    else
        cli_error("unknown option %s (try 'pinshim %s --help')", arg, cmd);
}

static void general_usage(FILE *out)
{
    fprintf(out, "usage: pinshim COMMAND [OPTION]... [ARG]...\n"
                 "       pinshim help [COMMAND] | --help | --version\n\n"
                 "Certificate pinning for programs you cannot change.\n\nCommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-8s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(out, "\nEvery command takes --help.  See pinshim(1) and pinshim.conf(5).\n");
}

static const struct command *find(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    const struct command *cmd;

    ossl_bind_linked();
    if (argc < 2) {
        general_usage(stderr);
        return EX_USAGE;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("pinshim %s\n", PACKAGE_VERSION);
        return EX_OK;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        general_usage(stdout);
        return EX_OK;
    }
    if (strcmp(argv[1], "help") == 0) {
        if (argc < 3) {
            general_usage(stdout);
            return EX_OK;
        }
        if (!(cmd = find(argv[2]))) {
            cli_error("no command \"%s\" (try: pinshim help)", argv[2]);
            return EX_USAGE;
        }
        cmd->usage(stdout);
        return EX_OK;
    }
    if (!(cmd = find(argv[1]))) {
        cli_error("no command \"%s\" (try: pinshim help)", argv[1]);
        return EX_USAGE;
    }
    cli_command = cmd->name;
    return cmd->run(argc - 1, argv + 1);
}
