/* pinshim probe HOST[:PORT]: connect, show the served chain with its pins,
 * whether it verified, a ready config entry, and (with a config) the verdict
 * the library would give. */
#include "config.h"
#include "cli.h"
#include "json_out.h"
#include "tlsprobe.h"
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_CONNECT_TO 64

static void usage(FILE *out)
{
    fprintf(out,
            "usage: pinshim probe [OPTION]... HOST[:PORT]\n"
            "\n"
            "Connect to HOST (port 443 unless given; IPv6 as [::1]:443), show the chain\n"
            "the server sends with the pin of every certificate, whether it verifies, and\n"
            "a config entry ready to paste.  With a config (-c, or $PINSHIM_CONFIG, or\n"
            "%s/pinshim.conf when it exists) also the verdict the library would\n"
            "give, by exactly the library's rule; -c - reads the config from standard\n"
            "input (named so in messages).\n"
            "\n"
            "Options:\n"
            "  -c, --config=CONF        judge against this config\n"
            "      --servername=NAME    send NAME as SNI, check and judge NAME (default: HOST;\n"
            "                           no SNI for an IP address)\n"
            "      --cafile=FILE        verify against the CA certificates in FILE instead of\n"
            "                           the system trust store\n"
            "      --connect-to=HOST:PORT:ADDR:PORT\n"
            "                           like curl: when HOST:PORT is asked for, connect to\n"
            "                           ADDR:PORT instead (the name, SNI and the port judged\n"
            "                           stay HOST:PORT); may be repeated; empty fields match\n"
            "                           any host/port or keep the one asked for\n"
            "      --timeout=SECONDS    bound for connect + handshake (default %d)\n"
            "      --json               one JSON object on stdout instead of the text:\n"
            "                           {host, port, address, tls_version, sni, verified,\n"
            "                           verify_error, chain: [{subject, issuer, pin, role,\n"
            "                           not_after, served}], verdict, suggested_entry};\n"
            "                           verdict null without a config; nothing on stdout\n"
            "                           when the host is unreachable (exit 69)\n"
            "  -h, --help               show this help\n"
            "\n"
            "A failed verification does not stop the probe; it is reported with its reason,\n"
            "and the suggested entry is then headed by a caution (as config comments): its\n"
            "pins are of whatever presented the chain, possibly an interceptor; check them\n"
            "before use.  For a port other than 443 the entry has \"port = PORT;\".\n"
            "\n"
            "Exit status: 0 done (verdict pass, expired or unpinned, or no config), 1 the\n"
            "verdict is fail, 64 usage, 66 the config or the CA file cannot be read,\n"
            "69 the host is unreachable or the handshake failed, 78 the config is invalid.\n",
            SYSCONFDIR, PROBE_TIMEOUT_MS / 1000);
}

/* Text for a config comment: one line, printable. */
static void comment_text(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (; *in && n + 1 < cap; in++)
        out[n++] = (char)(((unsigned char)*in < 0x20 || *in == 0x7f) ? '?' : *in);
    out[n] = '\0';
}

static void print_cert(int index, const struct probe_cert *c)
{
    printf("  [%d] %s%s\n", index, cert_role_text(c->role),
           index > 0 && c->role != ROLE_ROOT && !c->linked && c->info.subject[0]
               ? " (did not sign the certificate before it: counts only when the chain verifies)"
               : "");
    printf("      subject   %s\n", c->info.subject);
    printf("      issuer    %s\n", c->info.issuer);
    printf("      pin       %s\n", c->info.pin[0] ? c->info.pin : "(unreadable key)");
    printf("      notAfter  %s\n", c->info.not_after[0] ? c->info.not_after : "(unreadable)");
}

static void print_entry(FILE *out, const struct probe_result *r, int port, const char *cafile)
{
    const struct probe_cert *pick[CHAIN_MAX];
    int n = 0;
    char text[600];

    for (int i = 0; i < r->nserved; i++) {
        const struct probe_cert *c = &r->served[i];
        if (!c->info.pin[0])
            continue;
        if (i == 0 || (c->linked && c->role == ROLE_INTERMEDIATE))
            pick[n++] = c;
    }
    if (r->verified) {
        fprintf(out, "\nsuggested config entry (pinshim.conf, libconfig syntax):\n");
    } else {
        /* Pins from a chain nobody vouched for pin whoever presented it.  As
         * config comments too, so a paste of the whole block keeps them. */
        comment_text(r->verify_error, text, sizeof text);
        fprintf(out, "\nsuggested config entry (pinshim.conf, libconfig syntax), from a chain that did NOT verify:\n");
        fprintf(out, "# CAUTION: the chain did NOT verify against %s: %s.\n", cafile ? cafile : "the system trust store",
               text);
        fprintf(out, "# Pinning it pins whatever presented it, possibly an interceptor (a TLS-inspecting\n"
               "# proxy, a captive portal, an attacker) rather than %s itself.\n"
               "# Check these pins (with the server's operator, or a probe from another network)\n"
               "# before use.\n",
               r->judged_host);
    }
    fprintf(out, "hosts = (\n");
    fprintf(out, "  { name = \"%s\";\n", r->judged_host);
    fprintf(out, "    pins = [\n");
    for (int i = 0; i < n; i++) {
        comment_text(pick[i]->info.subject, text, sizeof text);
        fprintf(out, "      \"%s\"%s  # %s: %s\n", pick[i]->info.pin, i + 1 < n ? "," : " ",
               cert_role_text(pick[i]->role), text);
    }
    fprintf(out, "    ];\n");
    fprintf(out, "    # Add a backup pin: the key of a spare certificate kept offline\n"
           "    # (pinshim pin spare.pem), so a key change does not lock clients out.\n");
    if (port != 443)
        fprintf(out, "    port = %d;   # only this port (also the port `pinshim audit` probes)\n", port);
    fprintf(out, "    # expires = \"YYYY-MM-DD\";   # optional: stop enforcing after this day\n");
    fprintf(out, "  }\n);\n");
}

/* The suggested entry as text, from "hosts = (" on (the caution an
 * unverified chain gets is the document's `verified` and `verify_error`). */
static char *entry_text(const struct probe_result *r, int port, const char *cafile)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem)
        return NULL;
    print_entry(mem, r, port, cafile);
    if (fclose(mem) != 0) {
        free(buf);
        return NULL;
    }
    char *start = buf ? strstr(buf, "hosts = (") : NULL;
    if (start && start != buf)
        memmove(buf, start, strlen(start) + 1);
    return buf;
}

static void json_cert(struct json_out *j, const struct probe_cert *c, bool served)
{
    jo_object(j, NULL);
    jo_string(j, "subject", c->info.subject);
    jo_string(j, "issuer", c->info.issuer);
    jo_string(j, "pin", c->info.pin[0] ? c->info.pin : NULL);
    jo_string(j, "role", cert_role_text(c->role));
    jo_string(j, "not_after", c->info.not_after[0] ? c->info.not_after : NULL);
    jo_bool(j, "served", served);
    jo_end(j);
}

static int print_json(const struct probe_result *r, const char *host, int port, const struct policy *policy,
                      const char *cafile)
{
    struct json_out j = { 0 };
    char *entry = entry_text(r, port, cafile);
    jo_object(&j, NULL);
    jo_string(&j, "host", host);
    jo_int(&j, "port", port);
    jo_string(&j, "address", r->connected_to[0] ? r->connected_to : NULL);
    jo_string(&j, "tls_version", r->version);
    jo_string(&j, "sni", r->sni[0] ? r->sni : NULL);
    jo_bool(&j, "verified", r->verified);
    jo_string(&j, "verify_error", r->verified ? NULL : r->verify_error);
    jo_array(&j, "chain");
    for (int i = 0; i < r->nserved; i++)
        json_cert(&j, &r->served[i], true);
    for (int i = 0; i < r->nextra; i++)
        json_cert(&j, &r->extra[i], false);
    jo_end(&j);
    jo_string(&j, "verdict", r->judged && policy ? verdict_text(r->judgement.verdict) : NULL);
    jo_string(&j, "suggested_entry", entry);
    free(entry);
    if (!entry)
        j.t.failed = 1;
    return jo_finish(&j);
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "servername", required_argument, NULL, 'S' },
        { "cafile", required_argument, NULL, 'A' },
        { "connect-to", required_argument, NULL, 'T' },
        { "timeout", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { "json", no_argument, NULL, 'J' },
        { NULL, 0, NULL, 0 },
    };
    struct connect_to rules[MAX_CONNECT_TO];
    bool json = false;
    struct probe_config cfg = { .timeout_ms = PROBE_TIMEOUT_MS, .connect_to = rules };
    const char *conf = NULL, *servername = NULL, *cafile = NULL, *conf_path = NULL;
    char host[HOST_MAX], sn[HOST_MAX], why[400];
    struct policy *policy = NULL;
    struct probe_result *r = NULL;
    int opt, port, rc;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":c:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': conf = optarg; break;
        case 'S': servername = optarg; break;
        case 'A': cafile = optarg; break;
        case 'J': json = true; break;
        case 'T':
            if (cfg.nconnect_to == MAX_CONNECT_TO) {
                cli_error("at most %d --connect-to", MAX_CONNECT_TO);
                return EX_USAGE;
            }
            if (connect_to_parse(optarg, &rules[cfg.nconnect_to], why, sizeof why) != 0) {
                cli_error("%s", why);
                return EX_USAGE;
            }
            cfg.nconnect_to++;
            break;
        case 't':
            if ((cfg.timeout_ms = timeout_parse(optarg)) < 0) {
                cli_error("--timeout \"%s\": expected seconds, more than 0 and at most 3600", optarg);
                return EX_USAGE;
            }
            break;
        case 'h': return cli_usage(&cmd_probe, EX_OK);
        default:
            cli_bad_option("probe", opt, argv);
            return EX_USAGE;
        }
    }
    if (optind != argc - 1) {
        cli_error("%s (try 'pinshim probe --help')",
                  optind == argc ? "which host? expected HOST[:PORT]" : "only one HOST[:PORT]");
        return EX_USAGE;
    }
    if (hostport_parse(argv[optind], 443, host, &port, why, sizeof why) < 0) {
        cli_error("%s", why);
        return EX_USAGE;
    }
    if (servername) {
        int k = host_normalize(servername, sn);
        if (k < 0 || k == NAME_WILDCARD) {
            cli_error("--servername \"%s\" is no valid host name", servername);
            return EX_USAGE;
        }
    }

    /* The config, as the library would find it; the default file only when
     * it exists (a probe needs no config). */
    const char *env_conf = getenv("PINSHIM_CONFIG");
    if (conf || (env_conf && *env_conf))
        conf_path = cli_config_path(conf);
    else if (access(cli_config_path(NULL), F_OK) == 0)
        conf_path = cli_config_path(NULL);
    if (conf_path) {
        struct cli_conf cc;
        int rc = cli_conf_open(&cc, conf_path);
        if (rc)
            return rc;
        conf_path = cc.shown;
        if (!(policy = policy_load(cc.path))) {
            cli_error("out of memory");
            cli_conf_close(&cc);
            return EX_OSERR;
        }
        if (policy->error) {
            cli_conf_error(&cc, policy->error);
            rc = cli_config_exit(cc.path);
            cli_conf_close(&cc);
            policy_free(policy);
            return rc;
        }
        cli_conf_close(&cc); /* loaded: the copy of standard input is done with */
        cfg.policy = policy;
    }

    signal(SIGPIPE, SIG_IGN);
    if (!(cfg.ctx = probe_ctx_new(cafile, why, sizeof why))) {
        cli_error("%s", why);
        policy_free(policy);
        return EX_NOINPUT;
    }
    if (!(r = malloc(sizeof *r))) {
        cli_error("out of memory");
        rc = EX_OSERR;
        goto out;
    }

    struct probe_target t = { .host = host, .port = port, .servername = servername ? sn : NULL };
    const char *v6l = strchr(host, ':') ? "[" : "", *v6r = strchr(host, ':') ? "]" : "";
    if (probe_run(&cfg, &t, r) != 0) {
        cli_error("%s%s%s:%d: %s", v6l, host, v6r, port, r->error);
        rc = EX_UNAVAILABLE;
        goto out;
    }
    if (json) {
        rc = print_json(r, host, port, policy, cafile);
        if (rc == EX_OK && r->judged && policy &&
            (r->judgement.verdict == VERDICT_FAIL || r->judgement.verdict == VERDICT_ERROR))
            rc = 1;
        goto out;
    }

    printf("probe %s%s%s:%d: connected to %s, %s, %s%s\n", v6l, host, v6r, port, r->connected_to, r->version,
           r->sni[0] ? "SNI " : "no SNI (IP address)", r->sni);
    printf("\nserved chain (%d certificate%s, leaf first):\n", r->nserved, r->nserved == 1 ? "" : "s");
    for (int i = 0; i < r->nserved; i++)
        print_cert(i, &r->served[i]);
    if (r->nextra > 0) {
        printf("added by verification (%s):\n", cafile ? cafile : "system trust store");
        for (int i = 0; i < r->nextra; i++)
            print_cert(r->nserved + i, &r->extra[i]);
    }

    if (r->verified)
        printf("\nverified: yes, against %s, name %s\n", cafile ? cafile : "the system trust store", r->judged_host);
    else
        printf("\nverified: no: %s (error %ld; against %s, name %s)\n", r->verify_error, r->verify_result,
               cafile ? cafile : "the system trust store", r->judged_host);

    rc = EX_OK;
    if (r->judged && policy) { /* judged only with a config */
        const struct judgement *j = &r->judgement;
        const struct host_entry *e = r->entry;
        enum mode m = policy_effective_mode(policy, e);
        bool blocked = m == MODE_ENFORCE && (j->verdict == VERDICT_FAIL || j->verdict == VERDICT_ERROR ||
                                             (j->verdict == VERDICT_UNPINNED && policy->unpinned_block));
        printf("\nverdict: %s: %s\n", verdict_text(j->verdict), j->reason);
        printf("  config   %s", conf_path);
        if (e)
            printf(", entry \"%s\" at line %d", e->name, e->line);
        printf("\n  host     %s port %d\n", r->judged_host, r->judged_port);
        if (r->matched_pin[0])
            printf("  matched  %s\n", r->matched_pin);
        if (r->note[0])
            printf("  note     %s\n", r->note);
        printf("  action   %s (mode %s)\n", blocked ? "blocked" : "allowed", mode_text(m));
        if (j->verdict == VERDICT_FAIL || j->verdict == VERDICT_ERROR)
            rc = 1;
    }
    print_entry(stdout, r, port, cafile);
    if (fflush(stdout) != 0) {
        cli_error("cannot write the output");
        rc = EX_IOERR;
    }
out:
    free(r);
    SSL_CTX_free(cfg.ctx);
    policy_free(policy);
    return rc;
}

const struct command cmd_probe = { "probe", "show a server's chain, its pins, and the verdict for it", usage, run };
