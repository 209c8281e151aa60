/* chroot(2), watched (DESIGN 6): a daemon that shuts itself in a jail after
 * start-up (Postfix's smtp client) would otherwise lose sight of the config,
 * libconfig and the log's paths before its first handshake, and every
 * connection would be refused as a config error.  Just before the real
 * chroot the runtime is made ready (runtime_before_chroot); what the program
 * sees of the call, its result and errno, is the real chroot's. */
#include "config.h"
#include "log.h"
#include "runtime.h"
#include <dlfcn.h>
#include <errno.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

EXPORT int chroot(const char *path)
{
    static int (*real_chroot)(const char *);
    int (*fn)(const char *) = __atomic_load_n(&real_chroot, __ATOMIC_RELAXED);
    if (!fn) {
        fn = (int (*)(const char *))dlsym(RTLD_NEXT, "chroot");
        __atomic_store_n(&real_chroot, fn, __ATOMIC_RELAXED);
    }
    if (!fn) {
        errno = ENOSYS;
        return -1;
    }
    struct log_kit kit;
    int saved = errno;
    runtime_before_chroot(&kit);
    errno = saved;
    int rc = fn(path);
    saved = errno;
    runtime_after_chroot(&kit, rc == 0);
    errno = saved;
    return rc;
}
