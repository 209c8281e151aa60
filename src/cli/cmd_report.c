/* pinshim report [LOG...]: what pinshim's log lines say, per server host,
 * for the step from report mode to enforce.  Reads (logread.c), sums
 * (tally.c), and hands the sums to a view (report_view.h). */
#include "config.h"
#include "cli.h"
#include "logread.h"
#include "replace.h"
#include "report_view.h"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: pinshim report [--json | --html FILE | --suggest] [--now TIME] [LOG...]\n\n"
            "Read pinshim's log records and say, per server host (name:port): connections by\n"
            "verdict and action over time, every served key with when it was first and last\n"
            "seen and which programs saw it, which pins matched, what enforce mode would have\n"
            "blocked, the days to the earliest expiry, and a verdict: \"ready to enforce\" or\n"
            "\"would break N connections from PROGRAMS since DATE\".\n\n"
            "LOG is a file (gzip'd or not), or - for standard input (also read when no LOG is\n"
            "given and standard input is not a terminal).  Each line may be: a line of the JSON\n"
            "log (log.json); a syslog file's line whose message is \"@cee: \" and the record\n"
            "(log.syslog = \"json\") or the record itself (rsyslog imfile), the client's\n"
            "hostname taken from the line; a `journalctl -o json` line of such a message.\n"
            "Other lines are counted as skipped.  A line with \"repeat\": N counts N connections.\n\n"
            "  --json          one JSON document on stdout (see pinshim(1), REPORT JSON)\n"
            "  --html FILE     one self-contained HTML page (- for stdout): a summary and a\n"
            "                  timeline per host where a key rotation shows at a glance\n"
            "  --suggest       config entries under which each host's last day of traffic\n"
            "                  passes, with backup-pin advice (libconfig syntax, on stdout)\n"
            "  --now TIME      count the days to expiry from TIME (RFC 3339, e.g.\n"
            "                  2026-12-01T00:00:00Z) instead of from now\n"
            "  -h, --help      this help\n\n"
            "Exit status: 0; 64 bad usage; 66 a LOG could not be opened; 65 a damaged gzip\n"
            "stream (the records before it are counted); 74 the output could not be written.\n");
}

enum view { VIEW_TEXT, VIEW_JSON, VIEW_HTML, VIEW_SUGGEST };

static const struct {
    const char *option;
    int (*write)(FILE *out, const struct tally *t, const struct report_opts *o);
} views[] = {
    [VIEW_TEXT] = { NULL, report_write_text },
    [VIEW_JSON] = { "--json", report_write_json },
    [VIEW_HTML] = { "--html", report_write_html },
    [VIEW_SUGGEST] = { "--suggest", report_write_suggest },
};

/* The page into memory, then into FILE at once: a failed run leaves no half
 * page, and an old page stays whole until the new one replaces it. */
static int write_to_file(const char *path, enum view v, const struct tally *t, const struct report_opts *o)
{
    char *data = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&data, &len);
    if (!mem) {
        cli_error("%s", strerror(errno));
        return EX_OSERR;
    }
    int status = views[v].write(mem, t, o);
    if (fclose(mem) != 0 && !status) {
        cli_error("%s", strerror(errno));
        status = EX_OSERR;
    }
    struct stat st;
    if (!status && lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        /* a device, a FIFO, a link: written into, as a shell's > would,
         * never renamed over */
        int fd = open(path, O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
        int e = fd < 0 ? errno : replace_write_all(fd, data, len);
        if (fd >= 0 && close(fd) != 0 && !e)
            e = errno;
        if (e) {
            cli_error("%s: %s", path, strerror(e));
            status = fd < 0 ? EX_CANTCREAT : EX_IOERR;
        }
        free(data);
        return status;
    }
    if (!status) {
        int e = replace_file(path, data, len, 0644);
        if (e) {
            cli_error("%s: %s", path, strerror(e));
            status = e == ENOENT || e == EACCES || e == ENOTDIR || e == EROFS ? EX_CANTCREAT : EX_IOERR;
        }
    }
    free(data);
    return status;
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },     { "json", no_argument, NULL, 'J' },
        { "html", required_argument, NULL, 'H' }, { "suggest", no_argument, NULL, 'S' },
        { "now", required_argument, NULL, 'N' }, { NULL, 0, NULL, 0 },
    };
    enum view v = VIEW_TEXT;
    const char *html = NULL;
    struct report_opts o = { .now = time(NULL) };
    int opt;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        enum view chosen = VIEW_TEXT;
        switch (opt) {
        case 'h': return cli_usage(&cmd_report, EX_OK);
        case 'J': chosen = VIEW_JSON; break;
        case 'H': chosen = VIEW_HTML; html = optarg; break;
        case 'S': chosen = VIEW_SUGGEST; break;
        case 'N':
            if (!logread_time(optarg, &o.now)) {
                cli_error("--now %s: not an RFC 3339 time (e.g. 2026-12-01T00:00:00Z)", optarg);
                return EX_USAGE;
            }
            continue;
        default:
            cli_bad_option("report", opt, argv);
            return EX_USAGE;
        }
        if (v != VIEW_TEXT && v != chosen) {
            cli_error("%s and %s: one view at a time", views[v].option, views[chosen].option);
            return EX_USAGE;
        }
        v = chosen;
    }

    static const char *const from_stdin[] = { "-" };
    const char *const *inputs = (const char *const *)argv + optind;
    size_t ninputs = (size_t)(argc - optind);
    if (ninputs == 0) {
        if (isatty(STDIN_FILENO)) {
            cli_error("which log? (a file, or - for standard input; try 'pinshim report --help')");
            return EX_USAGE;
        }
        inputs = from_stdin;
        ninputs = 1;
    }
    size_t dashes = 0;
    for (size_t i = 0; i < ninputs; i++)
        dashes += strcmp(inputs[i], "-") == 0;
    if (dashes > 1) {
        cli_error("- (standard input) can be read once");
        return EX_USAGE;
    }

    struct tally t;
    struct logread_counts counts = { 0 };
    int status = 0;
    tally_init(&t);
    for (size_t i = 0; i < ninputs; i++) {
        int s = logread_input(inputs[i], &t, &counts);
        if (s && (!status || s == EX_OSERR))
            status = s;
        if (s == EX_OSERR)
            break;
    }
    tally_finish(&t);
    o.inputs = inputs;
    o.ninputs = ninputs;
    o.lines = counts.lines;
    o.skipped = counts.skipped;
    if (status != EX_OSERR) {
        int s = v == VIEW_HTML && strcmp(html, "-") != 0 ? write_to_file(html, v, &t, &o)
                                                         : views[v].write(stdout, &t, &o);
        if (s)
            status = s;
    }
    tally_free(&t);
    return status;
}

const struct command cmd_report = {
    "report",
    "sum up pinshim's logs per host: ready to enforce, or what would break",
    usage,
    run,
};
