/* What an ELF file says about how it will be loaded (see elfdeps.h).
 *
 * libelf reads the file (mapped, converted only where the byte order asks
 * for it) and checks every offset and size against it, so a truncated or
 * hostile file is an error here, never a read out of bounds.  The library
 * search follows glibc's dynamic loader (elf/dl-load.c, _dl_map_object):
 * RPATH up the chain of loaders unless the object has a RUNPATH, then
 * LD_LIBRARY_PATH, RUNPATH, /etc/ld.so.cache, the system directories. */
#include "config.h"
#include "elfdeps.h"
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* A symbol table as libelf hands it over: Elf32_Sym or Elf64_Sym in this
 * machine's byte order, and its string table. */
struct symbols {
    const void *syms;
    size_t n;
    const char *str;
    size_t strsize;
};

struct elfdeps_private {
    int fd;
    Elf *elf;
    unsigned char elf_class;
    struct symbols dynsym, symtab;
    Elf_Data *gnu_hash;
};

/* The GNU hash table is read as it is in the file: only when its byte order
 * is ours. */
static unsigned char native_data(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one ? ELFDATA2LSB : ELFDATA2MSB;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* The dynamic section: DT_NEEDED, DT_SONAME, DT_RUNPATH, DT_RPATH, and
 * DT_FLAGS_1 (a static PIE says DF_1_PIE and has no interpreter). */
static int read_dynamic(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, struct elfdeps *d, GElf_Xword *flags_1)
{
    Elf_Data *data = elf_getdata(scn, NULL);
    size_t n = data && sh->sh_entsize ? data->d_size / sh->sh_entsize : 0;
    GElf_Dyn dyn;

    if (n && !(d->needed = calloc(n, sizeof *d->needed)))
        return -1;
    for (size_t i = 0; i < n && gelf_getdyn(data, (int)i, &dyn) && dyn.d_tag != DT_NULL; i++) {
        const char *s = NULL;
        if (dyn.d_tag == DT_NEEDED || dyn.d_tag == DT_SONAME || dyn.d_tag == DT_RUNPATH || dyn.d_tag == DT_RPATH)
            if (!(s = elf_strptr(elf, sh->sh_link, dyn.d_un.d_val)))
                continue;   /* a string outside the table: as if absent */
        switch (dyn.d_tag) {
        case DT_NEEDED:
            if (!(d->needed[d->nneeded] = strdup(s)))
                return -1;
            d->nneeded++;
            break;
        case DT_SONAME: free(d->soname); d->soname = dup_or_null(s); break;
        case DT_RUNPATH: free(d->runpath); d->runpath = dup_or_null(s); break;
        case DT_RPATH: free(d->rpath); d->rpath = dup_or_null(s); break;
        case DT_FLAGS_1: *flags_1 = dyn.d_un.d_val; break;
        default: break;
        }
    }
    return 0;
}

/* PT_INTERP's path, NUL-terminated inside the file, or NULL. */
static char *read_interp(Elf *elf, const GElf_Phdr *ph)
{
    size_t size;
    const char *raw = elf_rawfile(elf, &size);
    if (!raw || ph->p_offset >= size || ph->p_filesz == 0 || ph->p_filesz > size - ph->p_offset)
        return NULL;
    const char *s = raw + ph->p_offset;
    return memchr(s, '\0', ph->p_filesz) ? strdup(s) : NULL;
}

int elfdeps_read(const char *path, struct elfdeps *d, char *why, size_t whylen)
{
    struct elfdeps_private *p;
    GElf_Ehdr eh;
    GElf_Xword flags_1 = 0;
    size_t nph = 0, nsh = 0, shstrndx = 0;
    bool has_interp = false;
    struct stat st;

    memset(d, 0, sizeof *d);
    if (!(p = d->priv = calloc(1, sizeof *p))) {
        snprintf(why, whylen, "%s", strerror(ENOMEM));
        return -1;
    }
    p->fd = -1;
    if (elf_version(EV_CURRENT) == EV_NONE) {
        snprintf(why, whylen, "libelf: %s", elf_errmsg(-1));
        return -1;
    }
    if ((p->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(p->fd, &st) != 0) {
        snprintf(why, whylen, "%s", strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, whylen, "not a regular file");
        return -1;
    }
    p->elf = elf_begin(p->fd, ELF_C_READ_MMAP, NULL);
    if (!p->elf || elf_kind(p->elf) != ELF_K_ELF || !gelf_getehdr(p->elf, &eh)) {
        snprintf(why, whylen, "not an ELF file");
        return -1;
    }
    d->elf_class = p->elf_class = (unsigned char)gelf_getclass(p->elf);
    d->machine = eh.e_machine;

    /* Segments: what the kernel and the loader look at.  libelf counts only
     * the headers inside the file: fewer than the header says is a truncated
     * file. */
    if (elf_getphdrnum(p->elf, &nph) != 0 || elf_getshdrnum(p->elf, &nsh) != 0 ||
        (eh.e_phnum != PN_XNUM && nph < eh.e_phnum) || (eh.e_shnum != 0 && nsh < eh.e_shnum)) {
        snprintf(why, whylen, "malformed ELF file (truncated)");
        return -1;
    }
    for (size_t i = 0; i < nph; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(p->elf, (int)i, &ph))
            goto malformed;
        if (ph.p_type == PT_DYNAMIC)
            d->dynamic = true;
        if (ph.p_type == PT_INTERP) {
            has_interp = true;
            d->interp = read_interp(p->elf, &ph);
        }
    }
    if (has_interp && !d->interp)
        goto malformed;

    /* Sections: the dynamic section, the symbol tables, Go's markers. */
    if (elf_getshdrstrndx(p->elf, &shstrndx) != 0)
        goto malformed;
    for (Elf_Scn *scn = elf_nextscn(p->elf, NULL); scn; scn = elf_nextscn(p->elf, scn)) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh))
            goto malformed;
        const char *name = elf_strptr(p->elf, shstrndx, sh.sh_name);
        /* Go writes both into every executable it links (the second also
         * into stripped ones). */
        if (name && (strcmp(name, ".go.buildinfo") == 0 || strcmp(name, ".note.go.buildid") == 0))
            d->go = true;
        if (sh.sh_type == SHT_DYNAMIC && read_dynamic(p->elf, scn, &sh, d, &flags_1) != 0) {
            snprintf(why, whylen, "%s", strerror(ENOMEM));
            return -1;
        } else if (sh.sh_type == SHT_DYNSYM || sh.sh_type == SHT_SYMTAB) {
            struct symbols *t = sh.sh_type == SHT_DYNSYM ? &p->dynsym : &p->symtab;
            Elf_Data *data = elf_getdata(scn, NULL), *str = elf_getdata(elf_getscn(p->elf, sh.sh_link), NULL);
            if (!data || !str || data->d_type != ELF_T_SYM)
                goto malformed;
            t->syms = data->d_buf;
            t->n = data->d_size / gelf_fsize(p->elf, ELF_T_SYM, 1, EV_CURRENT);
            t->str = str->d_buf;
            t->strsize = str->d_size;
        } else if (sh.sh_type == SHT_GNU_HASH && eh.e_ident[EI_DATA] == native_data()) {
            p->gnu_hash = elf_rawdata(scn, NULL);
        }
    }
    /* No interpreter: the kernel starts the program itself.  A shared
     * library has none either, but it is not a PIE. */
    d->is_static = eh.e_type == ET_EXEC ? !has_interp && !d->dynamic
                                        : eh.e_type == ET_DYN && !has_interp && (flags_1 & DF_1_PIE);
    return 0;

malformed:
    snprintf(why, whylen, "malformed ELF file (%s)", elf_errmsg(-1));
    return -1;
}

void elfdeps_free(struct elfdeps *d)
{
    if (d->priv) {
        if (d->priv->elf)
            elf_end(d->priv->elf);
        if (d->priv->fd >= 0)
            close(d->priv->fd);
        free(d->priv);
    }
    for (size_t i = 0; i < d->nneeded; i++)
        free(d->needed[i]);
    free(d->needed);
    free(d->interp);
    free(d->soname);
    free(d->runpath);
    free(d->rpath);
    memset(d, 0, sizeof *d);
}

/* Is symbol i of `t` a definition of one of names[0..n)?  Its index, or -1. */
static int defines_one(const struct symbols *t, unsigned char elf_class, size_t i, const char *const *names,
                       size_t n)
{
    size_t at, shndx;
    unsigned char type;
    if (elf_class == ELFCLASS64) {
        const Elf64_Sym *sym = (const Elf64_Sym *)t->syms + i;
        at = sym->st_name, shndx = sym->st_shndx, type = ELF64_ST_TYPE(sym->st_info);
    } else {
        const Elf32_Sym *sym = (const Elf32_Sym *)t->syms + i;
        at = sym->st_name, shndx = sym->st_shndx, type = ELF32_ST_TYPE(sym->st_info);
    }
    if (shndx == SHN_UNDEF || type == STT_SECTION || type == STT_FILE || at >= t->strsize)
        return -1;
    const char *s = t->str + at;
    for (size_t k = 0; k < n; k++) {
        size_t len = strlen(names[k]);
        if (s[0] == names[k][0] && len < t->strsize - at && memcmp(s, names[k], len + 1) == 0)
            return (int)k;
    }
    return -1;
}

/* The whole table, once for all the names. */
static int scan(const struct symbols *t, unsigned char elf_class, const char *const *names, size_t n)
{
    int found = -1;
    for (size_t i = 1; i < t->n && found < 0; i++)
        found = defines_one(t, elf_class, i, names, n);
    return found;
}

/* The GNU hash table: the one bucket's chain, not the whole table (a program
 * like node exports 40 000 symbols).  0: absent, 1: present; -1: the table
 * cannot be used (then the table is scanned). */
static int gnu_lookup(const struct elfdeps_private *p, const char *name)
{
    const unsigned char *raw = p->gnu_hash->d_buf;
    size_t size = p->gnu_hash->d_size;
    uint32_t head[4], h = 5381;

    if (!raw || size < sizeof head)
        return -1;
    memcpy(head, raw, sizeof head);
    uint32_t nbuckets = head[0], symoffset = head[1], bloom_words = head[2];
    size_t word = p->elf_class == ELFCLASS64 ? 8 : 4;
    size_t buckets_at = sizeof head + (size_t)bloom_words * word;
    size_t chains_at = buckets_at + (size_t)nbuckets * 4;
    if (nbuckets == 0 || bloom_words > size / word || chains_at > size)
        return -1;
    for (const unsigned char *c = (const unsigned char *)name; *c; c++)
        h = h * 33 + *c;

    uint32_t i, ch;
    memcpy(&i, raw + buckets_at + (size_t)(h % nbuckets) * 4, 4);
    if (i == 0)
        return 0;
    if (i < symoffset)
        return -1;
    for (;; i++) {
        size_t at = chains_at + (size_t)(i - symoffset) * 4;
        if (at + 4 > size || i >= p->dynsym.n)
            return -1;
        memcpy(&ch, raw + at, 4);
        if ((ch | 1) == (h | 1) && defines_one(&p->dynsym, p->elf_class, i, &name, 1) == 0)
            return 1;
        if (ch & 1)
            return 0;
    }
}

int elfdeps_defines_any(const struct elfdeps *d, const char *const *names, size_t n, bool symtab_too)
{
    const struct elfdeps_private *p = d->priv;
    int found = -1;
    if (!p || !p->elf)
        return -1;
    if (p->dynsym.n) {
        bool hashed = p->gnu_hash != NULL;
        for (size_t k = 0; k < n && hashed && found < 0; k++) {
            int r = gnu_lookup(p, names[k]);
            if (r < 0)
                hashed = false;
            else if (r > 0)
                found = (int)k;
        }
        if (!hashed)
            found = scan(&p->dynsym, p->elf_class, names, n);
    }
    if (found < 0 && symtab_too && p->symtab.n)
        found = scan(&p->symtab, p->elf_class, names, n);
    return found;
}

bool elfdeps_defines(const struct elfdeps *d, const char *name, bool symtab_too)
{
    return elfdeps_defines_any(d, &name, 1, symtab_too) == 0;
}

/* ---- the loader's search ---- */

/* Is `path` an ELF file of this class and machine?  The loader passes over
 * one of another kind and goes on searching. */
static bool fits(const char *path, unsigned char elf_class, unsigned machine)
{
    unsigned char h[20];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? pread(fd, h, sizeof h, 0) : -1;
    if (fd >= 0)
        close(fd);
    if (n != (ssize_t)sizeof h || memcmp(h, ELFMAG, SELFMAG) != 0 || h[EI_CLASS] != elf_class)
        return false;
    unsigned m = h[EI_DATA] == ELFDATA2LSB ? h[18] | (unsigned)h[19] << 8 : (unsigned)h[18] << 8 | h[19];
    return m == machine;
}

/* Tries `dir`/`name`, with $ORIGIN (or ${ORIGIN}) in `dir` replaced. */
static bool try_dir(const char *dir, size_t len, const char *origin, const char *name, unsigned char elf_class,
                    unsigned machine, char *out, size_t outlen)
{
    char path[4096];
    size_t o = 0;
    for (size_t i = 0; i < len && o < sizeof path - 1;) {
        size_t skip = strncmp(dir + i, "$ORIGIN", 7) == 0 ? 7 : strncmp(dir + i, "${ORIGIN}", 9) == 0 ? 9 : 0;
        /* $LIB and $PLATFORM are left as they are: such a directory is not found. */
        if (skip && (skip == 9 || i + 7 == len || dir[i + 7] == '/') && origin) {
            o += (size_t)snprintf(path + o, sizeof path - o, "%s", origin);
            i += skip;
        } else {
            path[o++] = dir[i++];
        }
    }
    if (o >= sizeof path - 1)
        return false;
    path[o] = '\0';
    /* An empty entry is the current directory, as for the loader. */
    int n = snprintf(out, outlen, "%s%s%s", path, o ? "/" : "", name);
    return n > 0 && (size_t)n < outlen && fits(out, elf_class, machine);
}

/* Each directory of a ':'-separated list (';' too, as glibc splits
 * LD_LIBRARY_PATH). */
static bool try_list(const char *list, const char *origin, const char *name, unsigned char elf_class,
                     unsigned machine, char *out, size_t outlen)
{
    if (!list)
        return false;
    for (const char *p = list;; p++) {
        size_t len = strcspn(p, ":;");
        if (try_dir(p, len, origin, name, elf_class, machine, out, outlen))
            return true;
        p += len;
        if (!*p)
            return false;
    }
}

/* glibc's cache format since 2.6 ("glibc-ld.so.cache1.1"), alone (the
 * default since glibc 2.32) or after the old format's table. */
struct cache_header {
    char magic[17], version[3];
    uint32_t nlibs, len_strings;
    uint8_t flags, pad[3];
    uint32_t extension_offset, unused[3];
};
struct cache_entry {
    int32_t flags;
    uint32_t key, value, osversion;
    uint64_t hwcap;
};

static void load_cache(struct elfdeps_search *s)
{
    struct stat st;
    int fd = open(s->cache_path ? s->cache_path : "/etc/ld.so.cache", O_RDONLY | O_CLOEXEC);
    s->cache_tried = true;
    if (fd < 0)
        return;
    if (fstat(fd, &st) == 0 && st.st_size > 0 && (uint64_t)st.st_size < SIZE_MAX) {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m != MAP_FAILED) {
            s->cache = m;
            s->cache_len = (size_t)st.st_size;
        }
    }
    close(fd);
}

static bool try_cache(struct elfdeps_search *s, const char *name, unsigned char elf_class, unsigned machine,
                      char *out, size_t outlen)
{
    const unsigned char *c;
    size_t len, at = 0;
    struct cache_header h;

    if (!s->cache_tried)
        load_cache(s);
    if (!(c = s->cache))
        return false;
    len = s->cache_len;
    if (len >= 16 && memcmp(c, "ld.so-1.7.0", 11) == 0) {
        uint32_t nold;
        memcpy(&nold, c + 12, 4);
        at = (16 + (size_t)nold * 12 + 7) & ~(size_t)7;   /* the new table is 8-aligned after it */
    }
    if (at > len || len - at < sizeof h)
        return false;
    memcpy(&h, c + at, sizeof h);
    if (memcmp(h.magic, "glibc-ld.so.cache", 17) != 0 || memcmp(h.version, "1.1", 3) != 0 ||
        h.nlibs > (len - at - sizeof h) / sizeof(struct cache_entry))
        return false;
    /* The strings' offsets count from the new header. */
    const char *base = (const char *)c + at;
    size_t room = len - at;
    for (uint32_t i = 0; i < h.nlibs; i++) {
        struct cache_entry e;
        memcpy(&e, c + at + sizeof h + (size_t)i * sizeof e, sizeof e);
        /* The name compared within the file, the value then checked. */
        if (e.key >= room || strncmp(base + e.key, name, room - e.key) != 0 || strlen(name) >= room - e.key ||
            e.value >= room || !memchr(base + e.value, '\0', room - e.value))
            continue;
        if (fits(base + e.value, elf_class, machine) && snprintf(out, outlen, "%s", base + e.value) < (int)outlen)
            return true;
    }
    return false;
}

static bool try_default(const char *name, unsigned char elf_class, unsigned machine, char *out, size_t outlen)
{
    /* glibc's trusted directories on Debian: the multiarch ones, then the
     * plain ones (fits() skips what is of another kind). */
    static const char *const dirs[] = {
        "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
        "/lib/i386-linux-gnu", "/usr/lib/i386-linux-gnu", "/lib/arm-linux-gnueabihf", "/usr/lib/arm-linux-gnueabihf",
        "/lib64", "/usr/lib64", "/lib", "/usr/lib",
    };
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        if (try_dir(dirs[i], strlen(dirs[i]), NULL, name, elf_class, machine, out, outlen))
            return true;
    return false;
}

int elfdeps_resolve(struct elfdeps_search *s, const char *name, const struct elfdeps_loader *chain, size_t nchain,
                    unsigned char elf_class, unsigned machine, char *out, size_t outlen, enum elfdeps_how *how)
{
    if (strchr(name, '/')) {
        *how = ELFDEPS_PATH;
        return snprintf(out, outlen, "%s", name) < (int)outlen && fits(out, elf_class, machine) ? 0 : -1;
    }
    /* RPATH: the object's, then its loader's, up to the program; none of
     * them when the object has a RUNPATH. */
    if (nchain && !chain[0].runpath) {
        *how = ELFDEPS_RPATH;
        for (size_t i = 0; i < nchain; i++)
            if (try_list(chain[i].rpath, chain[i].origin, name, elf_class, machine, out, outlen))
                return 0;
    }
    *how = ELFDEPS_LD_LIBRARY_PATH;
    if (s->ld_library_path && *s->ld_library_path &&
        try_list(s->ld_library_path, NULL, name, elf_class, machine, out, outlen))
        return 0;
    *how = ELFDEPS_RUNPATH;
    if (nchain && try_list(chain[0].runpath, chain[0].origin, name, elf_class, machine, out, outlen))
        return 0;
    *how = ELFDEPS_CACHE;
    if (try_cache(s, name, elf_class, machine, out, outlen))
        return 0;
    *how = ELFDEPS_DEFAULT;
    return try_default(name, elf_class, machine, out, outlen) ? 0 : -1;
}

void elfdeps_search_free(struct elfdeps_search *s)
{
    if (s->cache)
        munmap((void *)s->cache, s->cache_len);
    s->cache = NULL;
    s->cache_len = 0;
    s->cache_tried = false;
}
