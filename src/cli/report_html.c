/* Placeholder until the HTML view lands (branch i13-html): says so. */
#include "config.h"
#include "cli.h"
#include "report_view.h"

int report_write_html(FILE *out, const struct tally *t, const struct report_opts *o)
{
    (void)out, (void)t, (void)o;
    cli_error("--html: not in this build yet");
    return EX_SOFTWARE;
}
