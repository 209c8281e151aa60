/* pinshim tofu list | forget HOST | trust HOST --pin P...: the records that
 * trust on first use learned (DESIGN 10), in the state file the config names. */
#include "config.h"
#include "cli.h"
#include "json_out.h"
#include "policy.h"
#include "tofu.h"
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: pinshim tofu [-c CONF] list [--json]\n"
            "       pinshim tofu [-c CONF] forget HOST\n"
            "       pinshim tofu [-c CONF] trust HOST --pin PIN [--pin PIN]... [--kind leaf|chain]\n\n"
            "Manage the pins learned by trust on first use (entries with tofu = \"leaf\" or \"chain\").\n"
            "The state file is the config's `state` (default " LOCALSTATEDIR "/lib/pinshim/tofu.state).\n\n"
            "  list     print every record: host, kind, pins, when it was learned\n"
            "  forget   remove a host's record: its next verified connection is learned again\n"
            "  trust    set a host's record to the given pins (e.g. after a planned key change)\n\n"
            "  -c, --config CONF   the config (default: $PINSHIM_CONFIG, else " SYSCONFDIR "/pinshim.conf;\n"
            "                      '-': standard input, named so in messages)\n"
            "  -p, --pin PIN       a pin, sha256/B64 or sha256//B64 (trust; repeatable)\n"
            "  -k, --kind KIND     leaf or chain (trust; default: the entry's tofu kind, else chain)\n"
            "      --json          (list) one JSON object on stdout instead of the lines:\n"
            "                      {state, records: [{host, kind, pins: [PIN...], learned}]},\n"
            "                      learned as an RFC 3339 UTC time (2026-01-31T12:00:00Z)\n"
            "  -h, --help          this help\n");
}

static int list_json(const char *state, const struct tofu_record *all, int n)
{
    struct json_out j = { 0 };
    char text[PIN_TEXT_MAX], when[32];
    jo_object(&j, NULL);
    jo_string(&j, "state", state);
    jo_array(&j, "records");
    for (int i = 0; i < n; i++) {
        jo_object(&j, NULL);
        jo_string(&j, "host", all[i].host);
        jo_string(&j, "kind", tofu_kind_text(all[i].kind));
        jo_array(&j, "pins");
        for (int k = 0; k < all[i].npins; k++) {
            pin_format(&all[i].pins[k], text);
            jo_string(&j, NULL, text);
        }
        jo_end(&j);
        format_time(all[i].learned, when);
        jo_string(&j, "learned", when);
        jo_end(&j);
    }
    return jo_finish(&j);
}

static int list(const char *state, int json)
{
    struct tofu_record *all;
    char why[400], text[PIN_TEXT_MAX], when[32];
    int n = tofu_list(state, &all, why, sizeof why);
    if (n < 0) {
        cli_error("%s", why);
        return EX_IOERR;
    }
    if (n == 0) {
        if (!json)
            printf("no records in %s\n", state);
        /* Nothing can ever be learned there: say why rather than wait. */
        char dir[4096];
        if (cli_state_folder(state, dir, sizeof dir) == 0)
            cli_error("%s: its folder %s is missing: trust on first use learns nothing there "
                      "(make install, or the package, creates it)", state, dir);
    }
    if (json) {
        int rc = list_json(state, all, n);
        free(all);
        return rc;
    }
    for (int i = 0; i < n; i++) {
        struct tm tm;
        time_t t = all[i].learned;
        if (!gmtime_r(&t, &tm) || !strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm))
            strcpy(when, "?");
        printf("%s  %s  learned %s\n", all[i].host, tofu_kind_text(all[i].kind), when);
        for (int k = 0; k < all[i].npins; k++) {
            pin_format(&all[i].pins[k], text);
            printf("    %s\n", text);
        }
    }
    free(all);
    return EX_OK;
}


static int run(int argc, char **argv)
{
    static const struct option options[] = {
        { "config", required_argument, NULL, 'c' }, { "pin", required_argument, NULL, 'p' },
        { "kind", required_argument, NULL, 'k' },   { "help", no_argument, NULL, 'h' },
        { "json", no_argument, NULL, 'J' },
        { NULL, 0, NULL, 0 },
    };
    const char *conf = NULL, *kind = NULL;
    struct tofu_record rec;
    char why[400], host[HOST_MAX];
    int c, rc, json = 0;

    memset(&rec, 0, sizeof rec);
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":c:p:k:h", options, NULL)) != -1) {
        switch (c) {
        case 'c': conf = optarg; break;
        case 'k': kind = optarg; break;
        case 'J': json = 1; break;
        case 'p': {
            const char *bad;
            if (rec.npins == CHAIN_MAX) {
                cli_error("at most %d pins", CHAIN_MAX);
                return EX_USAGE;
            }
            if (pin_parse(optarg, &rec.pins[rec.npins], &bad) != 0) {
                cli_error("bad pin \"%s\": %s", optarg, bad);
                return EX_USAGE;
            }
            rec.npins++;
            break;
        }
        case 'h': return cli_usage(&cmd_tofu, EX_OK);
        default: cli_bad_option("tofu", c, argv); return EX_USAGE;
        }
    }
    if (optind >= argc)
        return cli_usage(&cmd_tofu, EX_USAGE);
    const char *action = argv[optind++];
    struct cli_conf cc;
    if ((rc = cli_conf_open(&cc, conf)) != 0)
        return rc;
    const char *path = cc.shown;
    struct policy *p = policy_load(cc.path);
    if (!p) {
        cli_error("out of memory");
        cli_conf_close(&cc);
        return EX_OSERR;
    }
    if (p->error) {
        cli_conf_error(&cc, p->error);
        rc = cli_config_exit(cc.path);
        cli_conf_close(&cc);
        policy_free(p);
        return rc;
    }
    cli_conf_close(&cc); /* loaded: the copy of standard input is done with */
    rc = EX_USAGE;
    if (json && strcmp(action, "list") != 0) {
        cli_error("--json is for list only");
    } else if (strcmp(action, "list") == 0 && optind == argc) {
        rc = list(p->state_path, json);
    } else if ((strcmp(action, "forget") == 0 || strcmp(action, "trust") == 0) && optind + 1 == argc) {
        if (host_normalize(argv[optind], host) < 0) {
            cli_error("\"%s\" is not a host name", argv[optind]);
            rc = EX_USAGE;
        } else if (action[0] == 'f') {
            int r = tofu_forget(p->state_path, host, why, sizeof why);
            if (r < 0)
                cli_error("%s", why);
            else
                printf(r ? "forgot %s: its next verified connection is learned again\n"
                         : "no record for %s\n", host);
            rc = r < 0 ? EX_IOERR : EX_OK;
        } else if (rec.npins == 0) {
            cli_error("trust: give the pins with --pin");
            rc = EX_USAGE;
        } else {
            const struct host_entry *e = policy_lookup(p, host, 0);
            rec.kind = kind ? (strcmp(kind, "leaf") == 0 ? TOFU_LEAF : strcmp(kind, "chain") == 0 ? TOFU_CHAIN : TOFU_NONE)
                            : (e && e->tofu != TOFU_NONE ? e->tofu : TOFU_CHAIN);
            if (rec.kind == TOFU_NONE) {
                cli_error("trust: --kind must be leaf or chain");
                rc = EX_USAGE;
            } else {
                snprintf(rec.host, sizeof rec.host, "%s", host);
                rec.learned = time(NULL);
                if (!e || e->tofu == TOFU_NONE)
                    cli_warning("%s has no tofu entry in %s: the record is kept but not used", host, path);
                rc = tofu_set(p->state_path, &rec, why, sizeof why) == 0 ? EX_OK : EX_IOERR;
                if (rc == EX_OK)
                    printf("%s now trusts %d pin(s) (%s)\n", host, rec.npins, tofu_kind_text(rec.kind));
                else
                    cli_error("%s", why);
            }
        }
    } else {
        cli_usage(&cmd_tofu, EX_USAGE);
    }
    policy_free(p);
    return rc;
}

const struct command cmd_tofu = { "tofu", "list, forget or set pins learned on first use", usage, run };
