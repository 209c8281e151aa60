/* The text of /etc/ld.so.preload, edited as `pinshim enable` and `disable`
 * need: pure functions on strings, so the unit tests need no root.
 *
 * ld.so reads the file as names separated by white space or ':'.  It has
 * no reliable comments: glibc 2.36 blanks the first '#' to the end of its
 * line, and a later one only sometimes (every other '#' and word is tried
 * as a library, and each failure printed by every process on the machine).
 * So pinshim writes nothing but its entry, and treats every word as a name. */
#ifndef PINSHIM_PRELOAD_LIST_H
#define PINSHIM_PRELOAD_LIST_H

#include <stdbool.h>
#include <stddef.h>

/* Whether `name` is an entry of pinshim's library: its last path component
 * is libpinshim.so, whatever folder (a build tree, $(pkglibdir), /usr/$LIB). */
bool preload_is_pinshim(const char *name, size_t len);

/* `text` without pinshim's entries: every other word and line is kept as
 * it was, except that a line holding a pinshim
 * entry among others is rewritten with single spaces between its entries.
 * Returns a malloc'ed string (NULL when out of memory); `*removed` is the
 * number of entries taken out. */
char *preload_remove(const char *text, unsigned *removed);

/* `text` without pinshim's entries, and `entry` on a line of its own at the
 * end.  `*already` is set when `entry` was there already as the only pinshim
 * entry: then the result is `text` unchanged.  Returns a malloc'ed string,
 * or NULL. */
char *preload_add(const char *text, const char *entry, bool *already);

#endif
