#include "config.h"
#include "arena.h"
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK ((size_t)64 * 1024)

struct block {
    struct block *next;
    size_t used, size;
    alignas(max_align_t) unsigned char data[];
};

struct arena {
    struct block *head;
};

struct arena *arena_new(void)
{
    return calloc(1, sizeof(struct arena));
}

static void *alloc_aligned(struct arena *a, size_t size, size_t align)
{
    struct block *b = a->head;
    if (b)
        b->used = (b->used + align - 1) & ~(align - 1);
    if (!b || b->used > b->size || b->size - b->used < size) {
        size_t cap = size > ARENA_BLOCK ? size : ARENA_BLOCK;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->used = 0;
        b->size = cap;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    return p;
}

void *arena_alloc(struct arena *a, size_t size)
{
    return alloc_aligned(a, size, alignof(max_align_t));
}

char *arena_strdup(struct arena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = alloc_aligned(a, n, 1);
    if (p)
        memcpy(p, s, n);
    return p;
}

void arena_free(struct arena *a)
{
    if (!a)
        return;
    for (struct block *b = a->head, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(a);
}
