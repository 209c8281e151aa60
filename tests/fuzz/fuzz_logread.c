/* `pinshim report`'s input: arbitrary bytes as log lines (a fleet's logs are
 * written by every client machine, so by anyone who owns one).  The input is
 * cut into lines; each goes through logread_line into one tally, then the
 * tally is finished and written by the terminal and --suggest views.
 *
 * Invariants: no crash, leak or undefined behaviour; records <= lines; the
 * events of the hosts and of the uncovered programs add up to the tally's;
 * every host's timeline and every key's columns hold exactly its events
 * (the time axis widened and shifted as records came, in any order); every
 * time seen lies on the axis. */
#include "config.h"
#include "fuzz.h"
#include "cli/logread.h"
#include "cli/report_view.h"
#include "cli/tally.h"
#include <stdarg.h>

/* main.c's, for the views' and the reader's messages. */
void cli_error(const char *fmt, ...)
{
    (void)fmt;
}

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    devnull = fopen("/dev/null", "w");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tally t;
    unsigned long lines = 0, records = 0;
    tally_init(&t);
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        char *line = malloc(len + 1);
        if (!line)
            break;
        memcpy(line, p, len);
        line[len] = '\0';
        lines++;
        records += logread_line(line, len, &t);
        free(line);
        p += len + 1;
    }
    tally_finish(&t);
    FUZZ_ASSERT(t.records == records && records <= lines, "%lu records of %lu lines", t.records, lines);
    unsigned long events = 0;
    for (size_t i = 0; i < t.uncovered.n; i++)
        events += t.uncovered.events[i];
    events += t.uncovered.more_events;
    for (size_t i = 0; i < t.nhosts; i++) {
        const struct tally_host *h = t.hosts[i];
        unsigned long in_columns = 0;
        for (int c = 0; c < TALLY_BUCKETS; c++)
            for (int k = 0; k < TALLY_CLASSES; k++)
                in_columns += h->timeline[c][k];
        FUZZ_ASSERT(in_columns == (uint32_t)h->events || h->events > UINT32_MAX, "host %s: %lu events, %lu in columns",
                    h->name, h->events, in_columns);
        FUZZ_ASSERT(h->first >= t.t0 && h->last < t.t0 + (time_t)TALLY_BUCKETS * t.width, "host %s off the axis",
                    h->name);
        for (size_t k = 0; k < h->nkeys; k++) {
            unsigned long served = 0;
            for (int c = 0; c < TALLY_BUCKETS; c++)
                served += h->keys[k].buckets[c];
            FUZZ_ASSERT(served == (uint32_t)h->keys[k].events || h->keys[k].events > UINT32_MAX,
                        "key %s: %lu events, %lu in columns", h->keys[k].pin, h->keys[k].events, served);
        }
        events += h->events;
    }
    FUZZ_ASSERT(events == t.events, "%lu events in hosts and uncovered, %lu counted", events, t.events);
    struct report_opts o = { .now = 1796515200, .ninputs = 1, .lines = lines, .skipped = lines - records };
    const char *input = "fuzz";
    o.inputs = &input;
    if (devnull) {
        report_write_text(devnull, &t, &o);
        report_write_suggest(devnull, &t, &o);
    }
    tally_free(&t);
    return 0;
}
