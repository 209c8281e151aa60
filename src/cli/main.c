/* pinshim: compute pins, check configs, probe and audit hosts, run programs
 * under the shim, export the policy for other platforms. */
#include "config.h"
#include "cli.h"
#include "ossl.h"
#include <openssl/err.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const struct command *const commands[] = {
    &cmd_pin,    &cmd_probe, &cmd_check,  &cmd_apply,  &cmd_exec, &cmd_enable,
    &cmd_disable, &cmd_audit, &cmd_export, &cmd_tofu, &cmd_covers,
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("pinshim: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void cli_warning(const char *fmt, ...)
{
    va_list ap;
    fputs("pinshim: warning: ", stderr);
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
        cli_error("%s: option %s needs an argument (try 'pinshim %s --help')", cmd, arg, cmd);
    else if (strncmp(arg, "--", 2) != 0)
        cli_error("%s: unknown option -%c (try 'pinshim %s --help')", cmd, optopt, cmd);
    else if (optopt)
        cli_error("%s: option %.*s takes no argument", cmd, (int)strcspn(arg, "="), arg);
    else
        cli_error("%s: unknown option %s (try 'pinshim %s --help')", cmd, arg, cmd);
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
    return cmd->run(argc - 1, argv + 1);
}
