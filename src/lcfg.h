/* libconfig's functions as one table, like ossl.h for OpenSSL.
 *
 * The preload library opens libconfig only when it first reads a config
 * (lcfg_runtime.c: dlopen of the soname it was built against), so a program
 * that never does TLS loads no library beyond libpinshim.so itself (issue 6:
 * start-up cost).  The command and the unit tests link libconfig
 * (lcfg_linked.c).  config.c calls libconfig's functions through this table;
 * libconfig.h's macros that only read fields (config_setting_type,
 * config_error_text, ...) stay as they are. */
#ifndef PINSHIM_LCFG_H
#define PINSHIM_LCFG_H

#include <stddef.h>
#include <libconfig.h>

/* A declaration, not an expression: the name cannot be parenthesised. */
#define LCFG_FN(name) __typeof__(name) *name /* NOLINT(bugprone-macro-parentheses) */

struct lcfg_api {
    LCFG_FN(config_init);
    LCFG_FN(config_destroy);
    LCFG_FN(config_read);
    LCFG_FN(config_set_include_dir);
    LCFG_FN(config_setting_get_member);
    LCFG_FN(config_setting_get_elem);
    LCFG_FN(config_setting_length);
    LCFG_FN(config_setting_get_bool);
    LCFG_FN(config_setting_get_int);
    LCFG_FN(config_setting_get_string);
};

extern struct lcfg_api lcfg;

/* Fill `lcfg` (once; later calls only report).  0, or -1 with a reason. */
int lcfg_bind(char *why, size_t whylen);

/* In the code that reads configs, the names call through the table. */
#ifndef LCFG_DIRECT
#define config_init (lcfg.config_init)
#define config_destroy (lcfg.config_destroy)
#define config_read (lcfg.config_read)
#define config_set_include_dir (lcfg.config_set_include_dir)
#define config_setting_get_member (lcfg.config_setting_get_member)
#define config_setting_get_elem (lcfg.config_setting_get_elem)
#define config_setting_length (lcfg.config_setting_length)
#define config_setting_get_bool (lcfg.config_setting_get_bool)
#define config_setting_get_int (lcfg.config_setting_get_int)
#define config_setting_get_string (lcfg.config_setting_get_string)
#endif

#endif
