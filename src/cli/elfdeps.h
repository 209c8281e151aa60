/* What an ELF file says about how it will be loaded, read without running it
 * (`pinshim covers`, DESIGN 12): its interpreter, DT_NEEDED, SONAME,
 * RUNPATH/RPATH, whether it runs without the dynamic loader, whether it is a
 * Go program, which symbols it defines; and where the dynamic loader would
 * find a library it needs.  Pure: files in, facts out (libelf reads them). */
#ifndef PINSHIM_ELFDEPS_H
#define PINSHIM_ELFDEPS_H

#include <stdbool.h>
#include <stddef.h>

struct elfdeps {
    unsigned char elf_class;      /* ELFCLASS32 or ELFCLASS64 */
    unsigned machine;             /* e_machine */
    bool dynamic;                 /* has a PT_DYNAMIC segment */
    bool is_static;               /* runs without the dynamic loader (static, static PIE) */
    bool go;                      /* a Go program (.go.buildinfo, or a Go build ID note) */
    char *interp;                 /* PT_INTERP, or NULL */
    char *soname, *runpath, *rpath; /* NULL when absent */
    char **needed;                /* DT_NEEDED, in order */
    size_t nneeded;
    struct elfdeps_private *priv; /* the open file, for elfdeps_defines() */
};

/* Reads `path`.  0, or -1 with a reason in `why` (not an ELF file, cannot be
 * read, malformed).  Free with elfdeps_free() either way. */
int elfdeps_read(const char *path, struct elfdeps *d, char *why, size_t whylen);
void elfdeps_free(struct elfdeps *d);

/* Does the object define (not merely use) the function or object `name`?  In
 * its dynamic symbol table, the one other objects bind to; with
 * `symtab_too`, also in the full symbol table a static or unstripped program
 * keeps (its own functions, seen by no other object). */
bool elfdeps_defines(const struct elfdeps *d, const char *name, bool symtab_too);

/* The same for several names at once (one pass over a full symbol table):
 * the index in names[] of one the object defines, or -1. */
int elfdeps_defines_any(const struct elfdeps *d, const char *const *names, size_t n, bool symtab_too);

/* ---- where the dynamic loader finds a library ---- */

/* How a library was found, in the loader's order. */
enum elfdeps_how {
    ELFDEPS_PATH,            /* the name has a '/': that file */
    ELFDEPS_RPATH,           /* DT_RPATH of the object or of one that loaded it */
    ELFDEPS_LD_LIBRARY_PATH,
    ELFDEPS_RUNPATH,         /* DT_RUNPATH of the object */
    ELFDEPS_CACHE,           /* /etc/ld.so.cache */
    ELFDEPS_DEFAULT,         /* the system directories */
};

/* One object on the chain that loads a library: [0] the object that needs
 * it, then the one that loaded that, ..., the program last.  `origin` is the
 * directory of the object ($ORIGIN). */
struct elfdeps_loader {
    const char *rpath, *runpath, *origin;
};

struct elfdeps_search {
    const char *ld_library_path;  /* as in the environment; NULL: none */
    const char *cache_path;       /* NULL: /etc/ld.so.cache */
    /* filled by the first lookup, freed by elfdeps_search_free() */
    const unsigned char *cache;
    size_t cache_len;
    bool cache_tried;
};
void elfdeps_search_free(struct elfdeps_search *s);

/* The file the loader would map for DT_NEEDED `name` of chain[0] (an object
 * of class `elf_class` and machine `machine`: a candidate of another kind is
 * passed over, as the loader does), into `out`.  0, or -1: not found. */
int elfdeps_resolve(struct elfdeps_search *s, const char *name, const struct elfdeps_loader *chain, size_t nchain,
                    unsigned char elf_class, unsigned machine, char *out, size_t outlen, enum elfdeps_how *how);

#endif
