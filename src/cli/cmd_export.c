/* pinshim export: the policy in the pinning formats of other platforms.
 *
 * What a target cannot express is never silently widened or dropped: each
 * entry that cannot be exported faithfully gets a warning and is either
 * skipped or exported in a form that pins no fewer connections and accepts no
 * key the config would refuse (stricter, never wider).  The rules per target
 * are in the --help text below; the rules every format shares are in
 * export.c, each format's own rules and writer in export_<format>.c. */
#include "config.h"
#include "cli.h"
#include "export.h"
#include "policy.h"
#include <errno.h>
#include <getopt.h>
#include <libpsl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct export_format *const formats[] = {
    &export_android, &export_trustkit, &export_okhttp, &export_curl, &export_hpkp,
};

#define HPKP_MAX_AGE_DEFAULT 5184000L /* 60 days */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: pinshim export --format FORMAT [OPTION]... [-c CONF | CONF]\n"
            "\n"
            "Write the pins of a config in another platform's format on stdout.\n"
            "CONF defaults to $PINSHIM_CONFIG, else %s/pinshim.conf; '-' reads it from\n"
            "standard input (named so in messages).\n"
            "\n"
            "Formats:\n"
            "  android   Android network_security_config.xml: a <domain-config> per entry\n"
            "            with <pin-set expiration=...> and includeSubdomains.\n"
            "  trustkit  TrustKit's TSKConfiguration as an XML plist (Info.plist):\n"
            "            TSKPinnedDomains with TSKPublicKeyHashes, TSKIncludeSubdomains,\n"
            "            TSKEnforcePinning (false in report mode), TSKExpirationDate;\n"
            "            TSKSwizzleNetworkDelegates is set to true.\n"
            "  okhttp    an OkHttp CertificatePinner.Builder() expression (Kotlin or Java):\n"
            "            .add(\"host\", \"sha256/...\"), \"*.\" for a one-label wildcard,\n"
            "            \"**.host\" for include_subdomains.\n"
            "  curl      one line per entry: host[:port] --pinnedpubkey 'sha256//..;sha256//..'\n"
            "            (a wildcard or include_subdomains entry is written with its name;\n"
            "            the line applies to every host it covers).  curl compares only\n"
            "            the server's own key, so CA pins never match there (stricter).\n"
            "  hpkp      per entry a comment line and the header the host should send:\n"
            "            Public-Key-Pins: pin-sha256=\"..\"; ...; max-age=N[; includeSubDomains]\n"
            "            (Public-Key-Pins-Report-Only in report mode).\n"
            "\n"
            "What a format cannot say (each case: a warning on stderr, FILE:LINE):\n"
            "  every format  entries with mode off, or that learn their pins (tofu), are\n"
            "                skipped: there is nothing to pin.\n"
            "  android       a one-label wildcard has no equivalent (includeSubdomains\n"
            "                would be wider): skipped.  IP literals: skipped.  Report mode\n"
            "                does not exist: skipped (enforcing would block what the config\n"
            "                only reports).  A port: dropped, the pins then hold on every\n"
            "                port (stricter).  Several entries for one name: the one for\n"
            "                every port (else the first) is exported, the others skipped.\n"
            "  trustkit      wildcards and IP literals: skipped.  Fewer than two distinct\n"
            "                pins: skipped (TrustKit insists on a backup pin).  Names TrustKit\n"
            "                refuses at start-up (a public suffix, a name under a top-level\n"
            "                domain the Public Suffix List does not know, like .test):\n"
            "                skipped.  Ports and several entries for one name: as android.\n"
            "  okhttp        no expiry: the pins stay in force after the date (stricter);\n"
            "                an entry already expired is skipped.  No report mode: skipped.\n"
            "                A port: dropped (stricter).  \"*.x\" with include_subdomains\n"
            "                becomes \"**.x\", which also pins x itself (stricter).  OkHttp\n"
            "                accepts the union of the pins of every pattern that matches a\n"
            "                host: an entry whose pattern would add its pins to a host that\n"
            "                another entry pins to other keys is skipped.\n"
            "  curl          no expiry, no report mode: as for okhttp.\n"
            "  hpkp          IP literals: skipped.  Fewer than two distinct pins: skipped\n"
            "                (RFC 7469 requires a backup pin).  No expiry: max-age applies\n"
            "                after the date (stricter); already expired: skipped.  A port:\n"
            "                dropped (stricter).  Several entries for one name: as android.\n"
            "Whatever the format, the global mode of the config applies, not $PINSHIM_MODE.\n"
            "\n"
            "Options:\n"
            "  -f, --format FORMAT   android, trustkit, okhttp, curl or hpkp (required)\n"
            "  -c, --config CONF     the config to export\n"
            "      --max-age SECONDS hpkp: max-age (default %ld, 60 days)\n"
            "      --report-uri URI  hpkp: add report-uri=\"URI\"\n"
            "      --strict          exit 1 when an entry was skipped or changed\n"
            "  -h, --help            this help\n"
            "\n"
            "Exit status: 0 exported (warnings allowed); 1 no entry could be exported, or\n"
            "warnings with --strict; 64 usage; 66 the config cannot be read; 78 the\n"
            "config is invalid (its error is printed as FILE:LINE: ...).\n",
            SYSCONFDIR, HPKP_MAX_AGE_DEFAULT);
}

static const struct export_format *find_format(const char *name)
{
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (strcmp(name, formats[i]->name) == 0)
            return formats[i];
    return NULL;
}

static int run(int argc, char **argv)
{
    enum { OPT_MAX_AGE = 256, OPT_REPORT_URI, OPT_STRICT };
    static const struct option options[] = {
        { "format", required_argument, NULL, 'f' },
        { "config", required_argument, NULL, 'c' },
        { "max-age", required_argument, NULL, OPT_MAX_AGE },
        { "report-uri", required_argument, NULL, OPT_REPORT_URI },
        { "strict", no_argument, NULL, OPT_STRICT },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct exporter x = { .max_age = HPKP_MAX_AGE_DEFAULT };
    const char *explicit = NULL;
    bool strict = false;
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":f:c:h", options, NULL)) != -1) {
        switch (c) {
        case 'f':
            x.format = find_format(optarg);
            if (!x.format) {
                cli_error("unknown format \"%s\" (android, trustkit, okhttp, curl or hpkp)", optarg);
                return EX_USAGE;
            }
            break;
        case 'c':
            explicit = optarg;
            break;
        case OPT_MAX_AGE: {
            char *end;
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || v < 0 || v > 0x7fffffffL) {
                cli_error("--max-age takes a number of seconds, not \"%s\"", optarg);
                return EX_USAGE;
            }
            x.max_age = v;
            break;
        }
        case OPT_REPORT_URI:
            if (!*optarg || strpbrk(optarg, "\"\\ \t\r\n;")) {
                cli_error("--report-uri takes a URI without quotes, spaces or ';'");
                return EX_USAGE;
            }
            x.report_uri = optarg;
            break;
        case OPT_STRICT:
            strict = true;
            break;
        case 'h':
            return cli_usage(&cmd_export, EX_OK);
        default:
            cli_bad_option("export", c, argv);
            return EX_USAGE;
        }
    }
    if (optind < argc) {
        if (explicit || argc - optind > 1) {
            cli_error("one config only (try: pinshim export --help)");
            return EX_USAGE;
        }
        explicit = argv[optind];
    }
    if (!x.format) {
        cli_error("--format is required: android, trustkit, okhttp, curl or hpkp");
        return EX_USAGE;
    }
    if ((x.report_uri || x.max_age != HPKP_MAX_AGE_DEFAULT) && !x.format->header_options) {
        cli_error("--max-age and --report-uri are for --format hpkp");
        return EX_USAGE;
    }
    struct cli_conf conf;
    int rc = cli_conf_open(&conf, explicit);
    if (rc)
        return rc;
    x.path = conf.shown;

    struct policy *p = policy_load(conf.path);
    if (!p) {
        cli_error("out of memory");
        cli_conf_close(&conf);
        return EX_OSERR;
    }
    if (p->error) {
        cli_conf_error(&conf, p->error);
        rc = cli_config_exit(conf.path);
        cli_conf_close(&conf);
        policy_free(p);
        return rc;
    }
    cli_conf_close(&conf); /* loaded: the copy of standard input is done with */
    x.p = p;
    x.now = time(NULL);
    x.keep = calloc(p->nentries ? p->nentries : 1, sizeof *x.keep);
    if (!x.keep) {
        cli_error("out of memory");
        policy_free(p);
        return EX_OSERR;
    }
    psl_ctx_t *latest = NULL;
    if (x.format->uses_psl) {
        latest = psl_latest(NULL);
        x.psl = latest ? latest : psl_builtin();
    }
    export_choose(&x);
    psl_free(latest);
    x.psl = NULL;

    size_t exported = 0;
    for (size_t i = 0; i < p->nentries; i++)
        exported += x.keep[i];
    export_print_warnings(&x);
    if (x.format->final_warning)
        x.format->final_warning(&x);
    x.format->write(&x);

    int status = EX_OK;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("cannot write the output");
        status = EX_IOERR;
    } else if (p->nentries > 0 && exported == 0) {
        cli_error("none of the %zu entries of %s can be exported for %s", p->nentries, x.path,
                  x.format->title);
        status = 1;
    } else if (strict && x.warned > 0) {
        status = 1;
    }
    free(x.keep);
    policy_free(p);
    return status;
}

const struct command cmd_export = {
    "export",
    "write the pins for Android, TrustKit, OkHttp, curl or HPKP",
    usage,
    run,
};
