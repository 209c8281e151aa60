/* Whether an unknown config key is a likely typo of a known one (`pinshim
 * check`'s "did you mean"): pure functions on strings, for the unit tests. */
#ifndef PINSHIM_KEYTYPO_H
#define PINSHIM_KEYTYPO_H

#include <stdbool.h>
#include <stddef.h>

/* Damerau-Levenshtein distance in its optimal-string-alignment form (insert,
 * delete, substitute, swap two adjacent characters), ASCII case-insensitive;
 * 99 when either string is longer than 64 characters. */
size_t key_distance(const char *a, const char *b);

/* A key `d` edits from `known` is a likely typo of it: d <= 1 when known has
 * up to 4 characters (two edits leave half of such a word: "host" and "more"
 * are two from "port", "note" two from "mode"), d <= 2 for longer ones.
 * Equal but for case is distance 0. */
bool key_likely_typo(size_t d, const char *known);

#endif
