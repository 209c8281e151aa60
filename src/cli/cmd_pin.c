/* pinshim pin: the pins of certificates, public keys, CSRs and private keys. */
#include "config.h"
#include "cli.h"
#include "certload.h"
#include "report.h"
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

enum format { FMT_TEXT, FMT_PIN, FMT_CURL, FMT_JSON };

static void usage(FILE *out)
{
    fprintf(out,
            "usage: pinshim pin [--format text|pin|curl|json] FILE...\n"
            "\n"
            "Print the pin (sha256/BASE64 of the DER SubjectPublicKeyInfo) of every key in\n"
            "the FILEs ('-' reads standard input).  The format of each file is found from\n"
            "its content:\n"
            "  certificates     PEM or DER, one or several (a chain or bundle), PKCS#7\n"
            "  public keys      PEM \"PUBLIC KEY\" or DER SubjectPublicKeyInfo, and PKCS#1\n"
            "                   \"RSA PUBLIC KEY\" (re-encoded as SubjectPublicKeyInfo first)\n"
            "  CSRs             PEM or DER certificate requests\n"
            "  private keys     PEM or DER, PKCS#8 or traditional: the pin of the public\n"
            "                   half is printed, with a warning (private keys should not be\n"
            "                   passed around).  Encrypted keys are refused: no password is\n"
            "                   ever asked for.\n"
            "Each pin equals\n"
            "  openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary | base64\n"
            "on the public key.\n"
            "\n"
            "Options:\n"
            "  -f, --format FMT   text (default): a block per key with its kind, subject,\n"
            "                       issuer, role and notAfter;\n"
            "                     pin: the pins, one a line, in input order;\n"
            "                     curl: one line sha256//A;sha256//B for curl --pinnedpubkey\n"
            "                       (every distinct key once);\n"
            "                     json: an array of objects {file, kind, pin, subject,\n"
            "                       issuer, role, not_after}, null where a field does not\n"
            "                       apply.  kind: certificate, public key, csr, private key.\n"
            "  -h, --help         this help\n"
            "\n"
            "Role of a certificate within its file: root when self-signed; intermediate\n"
            "when it signed another certificate of the file or is a CA certificate\n"
            "(basicConstraints CA:TRUE); else leaf.\n"
            "\n"
            "Inputs larger than %u MiB are refused.  When a file cannot be used, every\n"
            "such file gets one line on stderr and nothing is printed on stdout.\n"
            "\n"
            "Exit status: 0 ok; 64 usage; 65 a file is not a usable certificate or key\n"
            "(empty, damaged, encrypted, unknown format, too large); 66 a file cannot be\n"
            "read; 74 output error.\n",
            CERTLOAD_MAX_BYTES / (1024 * 1024));
}

static void json_or_null(struct text *t, const char *key, const char *value)
{
    text_printf(t, ",\"%s\":", key);
    if (value && *value)
        json_string(t, value);
    else
        text_add(t, "null", 4);
}

static void print_text(const struct loaded *l, const char *const *files)
{
    for (size_t i = 0; i < l->n; i++) {
        const struct loaded_key *k = &l->keys[i];
        char pin[PIN_TEXT_MAX];
        pin_format(&k->pin, pin);
        if (i)
            putchar('\n');
        printf("%s\n", pin);
        printf("  file:      %s\n", certload_display_name(files[i]));
        printf("  kind:      %s%s\n", key_kind_text(k->kind),
               k->pkcs1 ? " (PKCS#1 RSA, pinned as SubjectPublicKeyInfo)" : "");
        printf("  key:       %s\n", k->key_type);
        if (k->role)
            printf("  role:      %s\n", k->role);
        if (k->subject)
            printf("  subject:   %s\n", k->subject);
        if (k->issuer)
            printf("  issuer:    %s\n", k->issuer);
        if (k->not_after[0])
            printf("  not after: %s\n", k->not_after);
    }
}

static void print_curl(const struct loaded *l)
{
    const char *sep = "";
    for (size_t i = 0; i < l->n; i++) {
        size_t j;
        for (j = 0; j < i; j++)
            if (memcmp(l->keys[j].pin.hash, l->keys[i].pin.hash, PIN_LEN) == 0)
                break;
        if (j < i)
            continue;
        char pin[PIN_TEXT_MAX];
        pin_format(&l->keys[i].pin, pin);
        printf("%ssha256//%s", sep, pin + 7);
        sep = ";";
    }
    putchar('\n');
}

static int print_json(const struct loaded *l, const char *const *files)
{
    struct text t = { 0 };
    text_add(&t, "[", 1);
    for (size_t i = 0; i < l->n; i++) {
        const struct loaded_key *k = &l->keys[i];
        char pin[PIN_TEXT_MAX];
        pin_format(&k->pin, pin);
        text_add(&t, i ? ",\n  {\"file\":" : "\n  {\"file\":", i ? 12 : 11);
        json_string(&t, files[i]);
        json_or_null(&t, "kind", key_kind_text(k->kind));
        json_or_null(&t, "pin", pin);
        json_or_null(&t, "subject", k->subject);
        json_or_null(&t, "issuer", k->issuer);
        json_or_null(&t, "role", k->role);
        json_or_null(&t, "not_after", k->not_after);
        text_add(&t, "}", 1);
    }
    text_add(&t, l->n ? "\n]\n" : "]\n", l->n ? 3 : 2);
    int failed = t.failed;
    if (!failed)
        fwrite(t.buf, 1, t.len, stdout);
    text_free(&t);
    return failed ? -1 : 0;
}

static int run(int argc, char **argv)
{
    static const struct option options[] = {
        { "format", required_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    enum format format = FMT_TEXT;
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":f:h", options, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "text") == 0)
                format = FMT_TEXT;
            else if (strcmp(optarg, "pin") == 0)
                format = FMT_PIN;
            else if (strcmp(optarg, "curl") == 0)
                format = FMT_CURL;
            else if (strcmp(optarg, "json") == 0)
                format = FMT_JSON;
            else {
                cli_error("unknown format \"%s\" (text, pin, curl or json)", optarg);
                return EX_USAGE;
            }
            break;
        case 'h':
            return cli_usage(&cmd_pin, EX_OK);
        default:
            cli_bad_option("pin", c, argv);
            return EX_USAGE;
        }
    }
    if (optind >= argc) {
        cli_error("no FILE given ('-' reads standard input; try: pinshim pin --help)");
        return EX_USAGE;
    }

    struct loaded l = { 0 };
    int nfiles = argc - optind, status = EX_OK;
    /* The file of each key, parallel to l.keys. */
    const char **files = NULL;
    size_t nfiles_owned = 0;

    for (int i = 0; i < nfiles; i++) {
        const char *path = argv[optind + i];
        char err[1024];
        size_t before = l.n;
        int before_private = l.private_keys;
        int rc = certload_file(path, &l, err, sizeof err);
        if (rc != 0) {
            cli_error("%s", err);
            if (status == EX_OK)
                status = rc;
            continue;
        }
        if (l.private_keys > before_private)
            cli_warning("%s: contains a private key: the pin shown is that of its public key; "
                        "do not pass private keys around, pin the certificate or public key instead",
                        certload_display_name(path));
        if (l.n > nfiles_owned) {
            const char **f = realloc(files, l.n * sizeof *f);
            if (!f) {
                cli_error("out of memory");
                status = EX_OSERR;
                break;
            }
            files = f;
            nfiles_owned = l.n;
        }
        for (size_t k = before; k < l.n; k++)
            files[k] = path;
    }

    if (status == EX_OK) {
        switch (format) {
        case FMT_TEXT:
            print_text(&l, files);
            break;
        case FMT_PIN:
            for (size_t i = 0; i < l.n; i++) {
                char pin[PIN_TEXT_MAX];
                pin_format(&l.keys[i].pin, pin);
                printf("%s\n", pin);
            }
            break;
        case FMT_CURL:
            print_curl(&l);
            break;
        case FMT_JSON:
            if (print_json(&l, files) != 0) {
                cli_error("out of memory");
                status = EX_OSERR;
            }
            break;
        }
        if (fflush(stdout) != 0 || ferror(stdout)) {
            cli_error("cannot write the output");
            status = EX_IOERR;
        }
    }
    free(files);
    certload_free(&l);
    return status;
}

const struct command cmd_pin = {
    "pin",
    "print the pins of certificates, public keys, CSRs and private keys",
    usage,
    run,
};
