/* A bump allocator: every string and pin of one policy lives in a few large
 * blocks, freed together (a 100 000-host config must stay small, issue 6). */
#ifndef PINSHIM_ARENA_H
#define PINSHIM_ARENA_H

#include <stddef.h>

struct arena;

struct arena *arena_new(void);
void *arena_alloc(struct arena *a, size_t size);   /* aligned for any type; NULL on exhaustion */
char *arena_strdup(struct arena *a, const char *s);
void arena_free(struct arena *a);

#endif
