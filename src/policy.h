/* The policy: what a config file says, as an immutable value, and the lookup
 * from a host name (or IP literal) and port to the entry that governs it. */
#ifndef PINSHIM_POLICY_H
#define PINSHIM_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "pin.h"

enum mode { MODE_INHERIT = -1, MODE_ENFORCE = 0, MODE_REPORT = 1, MODE_OFF = 2 };

enum name_kind { NAME_DNS, NAME_WILDCARD, NAME_IPV4, NAME_IPV6 };

/* Trust on first use (DESIGN 10): learn the leaf's pin, or every pin of the
 * verified chain, from the first verified full handshake. */
enum tofu { TOFU_NONE = 0, TOFU_LEAF, TOFU_CHAIN };

/* log.stderr (DESIGN 5): what the host program's stderr carries.  FAILURES
 * (true, the default): refusals, failures allowed only by report mode, errors
 * and `uncovered` notices; ALL ("all"): every logged verdict; NONE (false):
 * nothing -- except the errors of a config that could not be read. */
enum log_stderr { LOG_STDERR_NONE = 0, LOG_STDERR_FAILURES, LOG_STDERR_ALL };

/* Default for warn_days: warn this many days before a pinned certificate or a
 * pin set expires. */
#define WARN_DAYS_DEFAULT 30

/* Longest host name kept (RFC 1035: 253 characters). */
#define HOST_MAX 256

struct host_entry {
    const char *name;        /* normalised: lower case, no trailing dot; IPs canonical */
    const char *match_key;   /* name for DNS/IP, the part after "*." for wildcards */
    enum name_kind kind;
    bool include_subdomains;
    enum mode mode;          /* MODE_INHERIT: the global mode */
    int port;                /* 0: every port */
    time_t expires_at;       /* 0: never; else the first second the entry is no longer enforced */
    const char *expires_text;
    int line;                /* line in the config file, for messages */
    enum tofu tofu;          /* TOFU_NONE: the pins below are the pins */
    int warn_days;           /* -1: the policy's warn_days */
    size_t npins;
    const struct pin *pins;
    uint32_t next_same_key;  /* chain of entries with the same match_key; UINT32_MAX ends it */
};

struct policy {
    enum mode mode;
    bool unpinned_block;
    enum log_stderr log_stderr;
    bool log_syslog;
    bool log_all_verdicts;   /* verdicts = "all" */
    const char *json_path;   /* NULL: no JSON log */
    const char *path;        /* the file this policy came from */
    const char *state_path;  /* TOFU records (state = "..."), or the default */
    int warn_days;
    size_t nprograms;        /* programs = [ globs ]: 0 means every program */
    const char **programs;

    /* Non-NULL: the config is missing or invalid; every TLS client handshake
     * fails closed with this text ("FILE:LINE: what is wrong"). */
    const char *error;

    size_t nentries;
    struct host_entry *entries;
    bool has_ip_entries;
    bool has_port_entries;   /* some entry applies to one port only */

    /* Open-addressing index of entries by match_key: one table for names and IP
     * literals, one for wildcards.  Slots hold entry index + 1; 0 is empty. */
    uint32_t *name_slots, *wild_slots;
    size_t name_mask, wild_mask;

    struct arena *arena;     /* every string and pin of this policy */
    void *owner;             /* the library's snapshot holding this policy */
};

/* Read and validate a config file.  Never returns NULL except on memory
 * exhaustion: an unusable file gives a policy whose `error` says why. */
struct policy *policy_load(const char *path);

/* Where policy_load_all reports every error, for `pinshim check`: `error` is
 * called once per error found in the config's settings, in the order the
 * loader meets them, with the file the setting came from (the config or an
 * @include'd file), its line (0: unknown) and the message without
 * "FILE:LINE: ".  An error before the settings (the file cannot be read, a
 * bad @include, a libconfig syntax error) ends the load: it is the only one,
 * in the policy's `error`, and the sink is not called. */
struct policy_sink {
    void (*error)(void *ctx, const char *file, int line, const char *message);
    void *ctx;
};

/* policy_load that goes on after an error, to the next key, pin or host
 * entry, and reports each error to `sink` (NULL: exactly policy_load).  The
 * policy is the same as policy_load's: failed with the first error when
 * there is any. */
struct policy *policy_load_all(const char *path, const struct policy_sink *sink);

/* A policy in the failed state, with this message. */
struct policy *policy_failed(const char *path, const char *message);

void policy_free(struct policy *p);

/* The entry that governs `host` on `port` (0 when unknown), by the most
 * specific rule: exact name, then the longest include_subdomains parent, then a
 * wildcard.  `host` must already be normalised (host_normalize).  NULL: none. */
const struct host_entry *policy_lookup(const struct policy *p, const char *host, int port);

/* Normalise a name as the policy stores it: ASCII lower case, one trailing dot
 * dropped, IPv6 brackets dropped, IP literals in canonical form.  Returns the
 * kind, or -1 when `in` is no valid host name (empty label, bad character, too
 * long). `out` has HOST_MAX bytes. */
int host_normalize(const char *in, char *out);

enum mode mode_from_text(const char *text); /* MODE_INHERIT when unknown */
const char *mode_text(enum mode m);

/* Is the shim active in the program whose executable is `exe` (its real
 * path)?  Always when the policy has no `programs` list. */
bool policy_covers_program(const struct policy *p, const char *exe);

/* warn_days in force for an entry. */
int policy_warn_days(const struct policy *p, const struct host_entry *e);

/* The mode in force for an entry (or for unpinned hosts when e is NULL). */
enum mode policy_effective_mode(const struct policy *p, const struct host_entry *e);

#endif
