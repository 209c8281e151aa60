/* Looking functions up in a loaded library without dlsym: dlsym costs about
 * a thousand instructions a name (a lock, an error-catching frame, a walk of
 * the handle's whole scope), and the library takes some ninety names from
 * libssl and libcrypto at a program's first handshake (issue 10: a one-shot
 * `openssl s_client` pays that whole start-up for one handshake).  This reads
 * the objects' own GNU hash tables: a few hundred instructions a name.  Only
 * for the objects of one handle (libssl) and one of its dependencies
 * (libcrypto), in that order, as dlsym on the handle searches them; a name
 * not found there, or of a kind it does not handle, falls back to dlsym. */
#ifndef PINSHIM_ELF_LOOKUP_H
#define PINSHIM_ELF_LOOKUP_H

#include <elf.h>
#include <link.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* <link.h> defines ElfW; a checker that reads no system header (cppcheck in
 * scripts/stage-static) gets the same meaning here. */
#ifndef ElfW
#define ElfW(type) Elf64_##type
#endif

struct elf_object {
    uintptr_t base;
    const ElfW(Sym) *symtab;
    const char *strtab;
    const uint32_t *gnu_hash;
    const ElfW(Half) *versym;
    const char *soname;
    const ElfW(Dyn) *dynamic;
};

struct elf_scope {
    void *handle;
    int n;
    struct elf_object objects[2];
};

/* The loaded objects, read in one walk (dl_iterate_phdr): a program's first
 * handshake asks several questions of them. */
struct loaded_object {
    const char *name;          /* the loader's copy; "" for the program */
    uintptr_t base, lo, hi;    /* load bias, and the span of its PT_LOAD segments */
    const ElfW(Dyn) *dynamic;
};
struct loaded_set {
    int n;
    struct loaded_object objects[64];
};
void loaded_snapshot(struct loaded_set *set);
const struct loaded_object *loaded_holding(const struct loaded_set *set, const void *addr);

/* The objects of `handle` (found in `set`) and of its DT_NEEDED dependency
 * whose name starts with `dependency_prefix` ("libcrypto.so", or NULL for
 * none).  0, or -1 when the handle's object cannot be read (lookups then go
 * to dlsym). */
int elf_scope_open(void *handle, const struct loaded_set *set, const char *dependency_prefix,
                   struct elf_scope *scope);

/* `name`'s address, as dlsym(handle, name) would give it; NULL: not found. */
void *elf_scope_lookup(const struct elf_scope *scope, const char *name);

/* The same with the name's GNU hash given: for a string literal,
 * ELF_HASH_LITERAL folds to a constant when optimising (the unrolled loop
 * over a literal), and hashing ninety names at run time was 15k of the 20k
 * the lookups cost.  A wrong hash only makes the lookup fall back to dlsym. */
void *elf_scope_lookup_hashed(const struct elf_scope *scope, const char *name, uint32_t hash);

/* Whether loaded object `o` defines and exports `name` (hash as above) in
 * its own dynamic symbol table; no dlsym, no fallback. */
bool elf_object_defines(const struct loaded_object *o, const char *name, uint32_t hash);

static inline __attribute__((always_inline)) uint32_t elf_gnu_hash_n(const char *s, size_t n)
{
    uint32_t h = 5381;
#pragma GCC unroll 64
    for (size_t i = 0; i < n; i++)
        h = h * 33 + (unsigned char)s[i];
    return h;
}
#define ELF_HASH_LITERAL(lit) elf_gnu_hash_n(lit, sizeof(lit) - 1)

#endif
