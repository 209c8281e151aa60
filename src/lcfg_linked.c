/* `lcfg` bound to the libconfig this program links: the pinshim command and
 * the unit tests.  The preload library never contains this file. */
#include "config.h"
#define LCFG_DIRECT 1
#include "lcfg.h"

struct lcfg_api lcfg = {
    .config_init = config_init,
    .config_destroy = config_destroy,
    .config_read = config_read,
    .config_set_include_dir = config_set_include_dir,
    .config_setting_get_member = config_setting_get_member,
    .config_setting_get_elem = config_setting_get_elem,
    .config_setting_length = config_setting_length,
    .config_setting_get_bool = config_setting_get_bool,
    .config_setting_get_int = config_setting_get_int,
    .config_setting_get_string = config_setting_get_string,
};

int lcfg_bind(char *why, size_t whylen)
{
    (void)why, (void)whylen;
    return 0;
}
