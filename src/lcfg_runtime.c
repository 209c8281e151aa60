/* `lcfg` bound at run time: the preload library opens libconfig when it
 * first reads a config, not when the program starts (lcfg.h). */
#include "config.h"
#define LCFG_DIRECT 1
#include "lcfg.h"
#include "elf_lookup.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#ifndef LIBCONFIG_SONAME
#define LIBCONFIG_SONAME "libconfig.so.9"
#endif

struct lcfg_api lcfg;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char failure[300];

static void bind_once(void)
{
    struct lcfg_api t;
    const char *missing = NULL;
    /* RTLD_LOCAL: nothing of it joins the program's global scope (a program
     * that links libconfig itself gets its own handle back).  RTLD_LAZY: its
     * 91 calls into libc are bound when first made, the few a parse makes,
     * not all at once (84k instructions at every first handshake, issue 10). */
    void *h = dlopen(LIBCONFIG_SONAME, RTLD_LAZY | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(failure, sizeof failure, "cannot load %s: %s", LIBCONFIG_SONAME, e ? e : "not found");
        return;
    }
    struct elf_scope scope;
    elf_scope_open(h, NULL, NULL, &scope); /* on failure, lookups are dlsym's */
#define BIND(name) \
    do { if (!(t.name = (__typeof__(t.name))elf_scope_lookup_hashed(&scope, #name, ELF_HASH_LITERAL(#name))) && \
             !missing) missing = #name; } while (0)
    BIND(config_init);
    BIND(config_destroy);
    BIND(config_read);
    BIND(config_set_include_dir);
    BIND(config_setting_get_member);
    BIND(config_setting_get_elem);
    BIND(config_setting_length);
    BIND(config_setting_get_bool);
    BIND(config_setting_get_int);
    BIND(config_setting_get_string);
#undef BIND
    if (missing) {
        snprintf(failure, sizeof failure, "%s lacks %s", LIBCONFIG_SONAME, missing);
        dlclose(h);
        return;
    }
    lcfg = t; /* the handle stays open: the table points into it */
}

int lcfg_bind(char *why, size_t whylen)
{
    pthread_once(&once, bind_once);
    if (lcfg.config_read)
        return 0;
    snprintf(why, whylen, "%s", failure[0] ? failure : "libconfig is not available");
    return -1;
}
