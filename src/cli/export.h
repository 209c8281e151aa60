/* pinshim export: what the formats share.  export.c decides which entries a
 * format can carry (the rules every format has, then the format's own) and
 * collects the warnings; each export_<format>.c holds the rules and the
 * writer of one format, so a format is changed (or added) in one place. */
#ifndef PINSHIM_EXPORT_H
#define PINSHIM_EXPORT_H

#include "policy.h"
#include <libpsl.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct warning;
struct export_format;

struct exporter {
    const struct policy *p;
    const char *path;
    const struct export_format *format;
    time_t now;
    bool *keep;                /* per entry: exported */
    size_t warned;             /* every warning, for --strict */
    size_t nwarnings, capwarnings;
    struct warning *warnings;  /* printed sorted by line */
    long max_age;
    const char *report_uri;
    const psl_ctx_t *psl;      /* TrustKit's name rules; NULL: not checked */
};

struct export_format {
    const char *name;          /* for --format */
    const char *title;         /* in messages */
    /* Skips entry i (export_skip) when the format cannot carry it; the
     * entries already skipped by the rules of every format are not asked. */
    void (*refuse)(struct exporter *x, size_t i, enum mode mode);
    /* NULL, or a pass over the whole policy after refuse(): for what depends
     * on several entries at once. */
    void (*whole_policy)(struct exporter *x);
    bool no_ports;             /* an entry's port is dropped: noted */
    bool no_expiry;            /* an entry's expiry is dropped: noted */
    void (*extra_notes)(struct exporter *x, size_t i);  /* NULL or more notes on a kept entry */
    bool uses_psl;             /* x->psl is set during choose */
    bool header_options;       /* --max-age and --report-uri apply */
    /* NULL, or a warning about the whole output, after the entries' ones. */
    void (*final_warning)(struct exporter *x);
    void (*write)(const struct exporter *x);
};

extern const struct export_format export_android, export_trustkit, export_okhttp, export_curl, export_hpkp;

/* Decides x->keep for every entry and collects the warnings. */
void export_choose(struct exporter *x);
/* The collected warnings on stderr, sorted by config line, then freed. */
void export_print_warnings(struct exporter *x);

/* The entry is not exported, and says why (once: a skipped entry stays so). */
void export_skip(struct exporter *x, size_t i, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The entry is exported, changed as said (never wider). */
void export_note(struct exporter *x, size_t i, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void export_skip_all_oom(struct exporter *x);

bool export_is_ip(const struct host_entry *e);
bool export_expired(const struct exporter *x, const struct host_entry *e);
size_t export_distinct_pins(const struct host_entry *e);
bool export_repeated_pin(const struct host_entry *e, size_t k);

/* Shared refusal rules: true when the entry was skipped. */
bool export_refuse_wildcard_or_ip(struct exporter *x, size_t i);
bool export_refuse_report_or_expired(struct exporter *x, size_t i, enum mode mode);

/* Entry indices sorted by match_key (by_key) or name, then by index; NULL
 * when out of memory.  The caller frees. */
size_t *export_sorted_indices(const struct policy *p, bool by_key);
/* For formats that know neither ports nor two entries for one name. */
void export_one_per_name(struct exporter *x);

/* The base64 of pin k ("sha256/" dropped), in buf. */
const char *export_b64(const struct host_entry *e, size_t k, char buf[PIN_TEXT_MAX]);
void export_xml_escaped(const char *s);

#endif
