/* The --json documents of the `pinshim` command: see json_out.h. */
#include "config.h"
#include "cli.h"
#include "json_out.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A comma unless this is the first value at this depth, then the key. */
static void member(struct json_out *j, const char *key)
{
    if (j->depth > 0 && j->depth <= JSON_OUT_DEPTH) {
        if (!j->first[j->depth - 1])
            text_add(&j->t, ",", 1);
        j->first[j->depth - 1] = false;
    }
    if (key) {
        json_string(&j->t, key);
        text_add(&j->t, ":", 1);
    }
}

static void open_one(struct json_out *j, const char *key, char open, char close)
{
    member(j, key);
    text_add(&j->t, &open, 1);
    if (j->depth < JSON_OUT_DEPTH) {
        j->first[j->depth] = true;
        j->close[j->depth] = close;
    } else {
        j->t.failed = 1; /* deeper than any document of ours */
    }
    j->depth++;
}

void jo_object(struct json_out *j, const char *key)
{
    open_one(j, key, '{', '}');
}

void jo_array(struct json_out *j, const char *key)
{
    open_one(j, key, '[', ']');
}

void jo_end(struct json_out *j)
{
    if (j->depth <= 0)
        return;
    j->depth--;
    if (j->depth < JSON_OUT_DEPTH)
        text_add(&j->t, &j->close[j->depth], 1);
}

void jo_string(struct json_out *j, const char *key, const char *value)
{
    member(j, key);
    if (value)
        json_string(&j->t, value);
    else
        text_add(&j->t, "null", 4);
}

void jo_int(struct json_out *j, const char *key, long long value)
{
    member(j, key);
    text_printf(&j->t, "%lld", value);
}

void jo_bool(struct json_out *j, const char *key, bool value)
{
    member(j, key);
    text_add(&j->t, value ? "true" : "false", value ? 4 : 5);
}

void jo_null(struct json_out *j, const char *key)
{
    member(j, key);
    text_add(&j->t, "null", 4);
}

int jo_finish(struct json_out *j)
{
    int rc = EX_OK;
    while (j->depth > 0)
        jo_end(j);
    text_add(&j->t, "\n", 1);
    if (j->t.failed) {
        cli_error("out of memory writing the JSON document");
        rc = EX_OSERR;
    } else if (fwrite(j->t.buf, 1, j->t.len, stdout) != j->t.len || fflush(stdout) != 0) {
        cli_error("cannot write: %s", strerror(errno));
        rc = EX_IOERR;
    }
    text_free(&j->t);
    return rc;
}
