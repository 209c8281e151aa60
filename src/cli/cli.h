/* The `pinshim` command: shared declarations.  One file per subcommand; each
 * defines a `struct command`.  Exit codes follow sysexits where it fits. */
#ifndef PINSHIM_CLI_H
#define PINSHIM_CLI_H

#include <stddef.h>
#include <stdio.h>
#include <sysexits.h>

struct command {
    const char *name;
    const char *summary;                 /* one line for `pinshim help` */
    void (*usage)(FILE *out);            /* full help: `pinshim help CMD`, `CMD --help` */
    int (*run)(int argc, char **argv);   /* argv[0] is the subcommand name */
};

extern const struct command cmd_pin, cmd_probe, cmd_check, cmd_exec, cmd_audit, cmd_export, cmd_tofu, cmd_covers,
    cmd_apply, cmd_enable, cmd_disable, cmd_report;

/* The subcommand running (set by main before its run), NULL before. */
extern const char *cli_command;

/* "pinshim: SUBCOMMAND: <message>" (warnings "pinshim: SUBCOMMAND: warning:
 * <message>") as one line on stderr; "pinshim: <message>" when no
 * subcommand runs yet.  Callers do not repeat the subcommand's name. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* cmd_check.c: `pinshim check` of the config at `path`: findings on stderr,
 * the summary on stdout, with `path` written as `shown` when that is not
 * NULL (apply checks a copy).  Returns check's exit status: 0 (no error,
 * perhaps warnings; with `strict`, none), 1 an error, 66 unreadable. */
int check_config(const char *path, const char *shown, int strict);

/* The config a subcommand reads (DESIGN 11): `explicit` (-c or argument),
 * else $PINSHIM_CONFIG, else $(sysconfdir)/pinshim.conf. */
const char *cli_config_path(const char *explicit);

/* The folder of the TOFU state file `state`, into `dir` ("/" for a file at
 * the root): 1 when it is there, 0 when it is missing (nothing can be learned
 * into it), -1 when the path is too long to say. */
int cli_state_folder(const char *state, char *dir, size_t len);

/* The exit status for a config that policy_load refused: EX_NOINPUT when the
 * file cannot be opened at all, EX_CONFIG when it is invalid. */
int cli_config_exit(const char *path);

/* `-` as a file: all of standard input (at most `max` bytes: EFBIG) into a
 * new string `*text`.  Returns 0 or an errno value. */
int cli_read_stdin(size_t max, char **text);

/* Standard input (at most 16 MiB) into a new file $TMPDIR/pinshim-stdin.XXXXXX
 * (mkstemp; /tmp without TMPDIR), its name into `path`, for readers that
 * take a path; the caller removes it.  Returns 0 or an errno value. */
int cli_stdin_file(char *path, size_t len);

/* The config of a command that loads it once, itself, now (export, audit,
 * probe, tofu): `-` is standard input, copied into a temporary file
 * (cli_stdin_file) so that the library's loader reads it; anything else is
 * the file cli_config_path finds.  exec, enable and apply's live config name
 * a file that is read again later: for them `-` is cli_conf_not_stdin's
 * error. */
struct cli_conf {
    const char *path;     /* the file to load */
    const char *shown;    /* its name in messages: "standard input" for `-` */
    char tmp[4096];       /* the copy of standard input; "" when none */
};

/* 0, or an exit status (EX_NOINPUT) after the message. */
int cli_conf_open(struct cli_conf *c, const char *explicit);

/* Removes the copy of standard input, if any. */
void cli_conf_close(struct cli_conf *c);

/* The loader's error (FILE:LINE: ...) as cli_error, the copy of standard
 * input named "standard input". */
void cli_conf_error(const struct cli_conf *c, const char *error);

/* `-` where the config must be a file: the error "-c -: <what>", and
 * EX_USAGE; 0 for anything else. */
int cli_conf_not_stdin(const char *explicit, const char *what);

/* For `--help` handling inside getopt loops: prints the command's usage to
 * stdout and returns EX_OK; on a bad option prints it to stderr and returns
 * EX_USAGE. */
int cli_usage(const struct command *cmd, int exit_code);

/* After getopt_long returned '?' or ':' with opterr = 0: one line of ours
 * naming the option, instead of getopt's own message. */
void cli_bad_option(const char *cmd, int opt, char **argv);

/* cmd_covers.c: which TLS library `program` (a path, or a name looked up in
 * PATH as execvp does) uses and whether pinshim judges it: the line `pinshim
 * covers` prints, into `line`; for COVERS_NOT_FOUND and COVERS_NOT_PROGRAM,
 * the error message instead ("PROGRAM: why"). */
enum covers_result {
    COVERS_NO_TLS, COVERS_JUDGED, COVERS_NOT_JUDGED, COVERS_NOT_COVERABLE, COVERS_NOT_FOUND, COVERS_NOT_PROGRAM,
};
enum covers_result covers_program(const char *program, char *line, size_t len);

/* The OpenSSL error queue as one line (then cleared), for messages. */
const char *cli_ssl_error(char *buf, size_t len);

#endif
