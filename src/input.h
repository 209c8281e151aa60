/* Opening the library's own inputs (input.c, DESIGN 6). */
#ifndef PINSHIM_INPUT_H
#define PINSHIM_INPUT_H

#include <stdbool.h>
#include <stdio.h>

/* `path` opened for reading ("re"), only when it is a regular file of at
 * most `max` bytes.  The open is non-blocking: a FIFO or a device put where
 * a config, an @include or the TOFU state is expected cannot hang the host
 * program.  NULL with errno set (ENOENT and the like from open(); EINVAL
 * for a file of another kind, EFBIG for one too large) and `why` saying it
 * in words ("not a regular file", "larger than N bytes", strerror). */
FILE *input_open(const char *path, long long max, char *why, size_t whylen);

/* The same, and in a privileged process (euid 0, or secure execution) only
 * a file owned by root or the euid and writable by neither group nor
 * others: else NULL with errno EPERM and `why` "unsafe owner/permissions
 * (...)" (DESIGN 6: the config, every @include, the TOFU state). */
FILE *input_open_trusted(const char *path, long long max, char *why, size_t whylen);

/* euid 0, or secure execution (setuid, setgid, capabilities). */
bool input_privileged(void);

#endif
