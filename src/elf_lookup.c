/* Finding a function in a loaded library by reading its ELF symbol table
 * (elf_lookup.h).  The GNU hash table every object built on Debian carries:
 * a Bloom filter, a bucket, a chain; the default version of a versioned
 * symbol (not the hidden, older ones), as dlsym would pick it.  Anything
 * unusual (no GNU hash table, an IFUNC, a name not found) is dlsym's. */
#include "config.h"
#include "elf_lookup.h"
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* The dynamic loader rewrites most of these entries to addresses in place
 * on x86_64; where it does not (a read-only dynamic section), they are
 * offsets from the base.  An offset is below the base, an address is not. */
static uintptr_t dyn_ptr(uintptr_t base, ElfW(Addr) v)
{
    return v < base ? base + v : v;
}

static int read_dynamic(uintptr_t base, const ElfW(Dyn) *dynamic, struct elf_object *o)
{
    memset(o, 0, sizeof *o);
    o->base = base;
    o->dynamic = dynamic;
    if (!o->dynamic)
        return -1;
    ElfW(Addr) soname_off = 0;
    int have_soname = 0;
    for (const ElfW(Dyn) *d = o->dynamic; d->d_tag != DT_NULL; d++) {
        switch (d->d_tag) {
        case DT_SYMTAB: o->symtab = (const ElfW(Sym) *)dyn_ptr(o->base, d->d_un.d_ptr); break;
        case DT_STRTAB: o->strtab = (const char *)dyn_ptr(o->base, d->d_un.d_ptr); break;
        case DT_GNU_HASH: o->gnu_hash = (const uint32_t *)dyn_ptr(o->base, d->d_un.d_ptr); break;
        case DT_VERSYM: o->versym = (const ElfW(Half) *)dyn_ptr(o->base, d->d_un.d_ptr); break;
        case DT_SONAME: soname_off = d->d_un.d_val; have_soname = 1; break;
        default: break;
        }
    }
    if (!o->symtab || !o->strtab || !o->gnu_hash)
        return -1;
    o->soname = have_soname ? o->strtab + soname_off : NULL;
    return 0;
}

static uint32_t gnu_hash(const char *s)
{
    uint32_t h = 5381;
    for (; *s; s++)
        h = h * 33 + (unsigned char)*s;
    return h;
}

static void *find(const struct elf_object *o, const char *name, uint32_t h)
{
    const uint32_t *t = o->gnu_hash;
    uint32_t nbuckets = t[0], symoffset = t[1], bloom_size = t[2], bloom_shift = t[3];
    const ElfW(Addr) *bloom = (const ElfW(Addr) *)&t[4];
    const uint32_t *buckets = (const uint32_t *)&bloom[bloom_size];
    const uint32_t *chain = &buckets[nbuckets];
    const unsigned bits = sizeof(ElfW(Addr)) * 8;

    if (nbuckets == 0 || bloom_size == 0)
        return NULL;
    ElfW(Addr) word = bloom[(h / bits) % bloom_size];
    ElfW(Addr) mask = ((ElfW(Addr))1 << (h % bits)) | ((ElfW(Addr))1 << ((h >> bloom_shift) % bits));
    if ((word & mask) != mask)
        return NULL;
    uint32_t i = buckets[h % nbuckets];
    if (i < symoffset)
        return NULL;
    for (;; i++) {
        uint32_t h2 = chain[i - symoffset];
        const ElfW(Sym) *sym = &o->symtab[i];
        if ((h | 1) == (h2 | 1) && strcmp(name, o->strtab + sym->st_name) == 0 && sym->st_shndx != SHN_UNDEF &&
            sym->st_value != 0 && (!o->versym || !(o->versym[i] & 0x8000))) {
            int type = sym->st_info & 0xf;
            if (type != STT_FUNC && type != STT_OBJECT)
                return NULL; /* an IFUNC (or stranger): dlsym knows how */
            return (void *)(o->base + sym->st_value);
        }
        if (h2 & 1)
            return NULL;
    }
}

static int gather(struct dl_phdr_info *info, size_t size, void *data)
{
    struct loaded_set *set = data;
    (void)size;
    if (set->n >= (int)(sizeof set->objects / sizeof set->objects[0]))
        return 1;
    struct loaded_object *o = &set->objects[set->n];
    o->name = info->dlpi_name ? info->dlpi_name : "";
    o->base = info->dlpi_addr;
    o->lo = UINTPTR_MAX;
    o->hi = 0;
    o->dynamic = NULL;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t a = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD) {
            o->lo = a < o->lo ? a : o->lo;
            o->hi = a + ph->p_memsz > o->hi ? a + ph->p_memsz : o->hi;
        } else if (ph->p_type == PT_DYNAMIC) {
            o->dynamic = (const ElfW(Dyn) *)a;
        }
    }
    if (o->hi > o->lo)
        set->n++;
    return 0;
}

void loaded_snapshot(struct loaded_set *set)
{
    set->n = 0;
    dl_iterate_phdr(gather, set);
}

const struct loaded_object *loaded_holding(const struct loaded_set *set, const void *addr)
{
    uintptr_t a = (uintptr_t)addr;
    for (int i = 0; addr && i < set->n; i++)
        if (a >= set->objects[i].lo && a < set->objects[i].hi)
            return &set->objects[i];
    return NULL;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int elf_scope_open(void *handle, const struct loaded_set *set, const char *dependency_prefix,
                   struct elf_scope *scope)
{
    struct link_map *lm = NULL;
    memset(scope, 0, sizeof *scope);
    scope->handle = handle;
    if (!handle || dlinfo(handle, RTLD_DI_LINKMAP, &lm) != 0 || !lm)
        return -1;
    if (read_dynamic(lm->l_addr, lm->l_ld, &scope->objects[0]) != 0)
        return -1;
    scope->n = 1;
    /* Its dependency (libssl's libcrypto): named in its DT_NEEDED, found
     * among the loaded objects by file name, confirmed by its soname. */
    const struct elf_object *o = &scope->objects[0];
    for (const ElfW(Dyn) *d = o->dynamic; dependency_prefix && d->d_tag != DT_NULL; d++) {
        if (d->d_tag != DT_NEEDED)
            continue;
        const char *needed = o->strtab + d->d_un.d_val;
        if (strncmp(needed, dependency_prefix, strlen(dependency_prefix)) != 0)
            continue;
        for (int i = 0; i < set->n; i++) {
            const struct loaded_object *c = &set->objects[i];
            if (!c->dynamic || strcmp(base_name(c->name), needed) != 0)
                continue;
            if (read_dynamic(c->base, c->dynamic, &scope->objects[1]) == 0 && scope->objects[1].soname &&
                strcmp(scope->objects[1].soname, needed) == 0) {
                scope->n = 2;
                break;
            }
        }
        break;
    }
    return 0;
}

bool elf_object_defines(const struct loaded_object *o, const char *name, uint32_t hash)
{
    struct elf_object e;
    return o && read_dynamic(o->base, o->dynamic, &e) == 0 && find(&e, name, hash) != NULL;
}

void *elf_scope_lookup(const struct elf_scope *scope, const char *name)
{
    return elf_scope_lookup_hashed(scope, name, gnu_hash(name));
}

void *elf_scope_lookup_hashed(const struct elf_scope *scope, const char *name, uint32_t h)
{
    /* libssl's names start with SSL_ (and TLS_, DTLS_): they live in the
     * first object, the rest in the second.  Looking there first finds the
     * same symbol dlsym would, as no name lives in both. */
    bool ssl_name = (name[0] == 'S' && name[1] == 'S' && name[2] == 'L') ||
                    (name[0] == 'T' && name[1] == 'L' && name[2] == 'S') || (name[0] == 'D' && name[1] == 'T');
    int home = scope->n > 1 && !ssl_name;
    void *p = home < scope->n ? find(&scope->objects[home], name, h) : NULL;
    for (int i = 0; !p && i < scope->n; i++)
        if (i != home)
            p = find(&scope->objects[i], name, h);
    if (p)
        return p;
    return scope->handle ? dlsym(scope->handle, name) : NULL;
}
