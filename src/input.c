/* The library's own inputs: the config, its @includes, the TOFU state.
 * fopen() blocks on a FIFO until a writer comes, and a local user who can
 * put one in place of such a file would hang every program that loads it;
 * so the open is non-blocking, and only a regular file goes on to be read
 * (where O_NONBLOCK changes nothing).  In a privileged process, only one
 * no other user can write. */
#include "config.h"
#include "input.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

bool input_privileged(void)
{
    return geteuid() == 0 || getauxval(AT_SECURE) != 0;
}

static FILE *open_checked(const char *path, long long max, bool trusted, char *why, size_t whylen)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(why, whylen, "%s", strerror(e));
        errno = e;
        return NULL;
    }
    struct stat st;
    int e = 0;
    if (fstat(fd, &st) != 0) {
        e = errno;
        snprintf(why, whylen, "%s", strerror(e));
    } else if (!S_ISREG(st.st_mode)) {
        e = EINVAL;
        snprintf(why, whylen, "not a regular file");
    } else if (trusted && input_privileged() && ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & 022))) {
        /* Another user who may write it could steer a privileged program's
         * pinning (a planted pin, a config that pins nothing). */
        e = EPERM;
        snprintf(why, whylen, "unsafe owner/permissions (owner uid %ld, mode %04o: root's or uid %ld's, "
                 "not writable by group or others)", (long)st.st_uid, (unsigned)(st.st_mode & 07777), (long)geteuid());
    } else if (st.st_size > max) {
        e = EFBIG;
        const long long mib = 1024LL * 1024LL;
        if (max % mib == 0)
            snprintf(why, whylen, "larger than %lld MiB", max / mib);
        else
            snprintf(why, whylen, "larger than %lld bytes", max);
    }
    FILE *f = e ? NULL : fdopen(fd, "re");
    if (!f) {
        if (!e) {
            e = errno;
            snprintf(why, whylen, "%s", strerror(e));
        }
        close(fd);
        errno = e;
    }
    return f;
}

FILE *input_open(const char *path, long long max, char *why, size_t whylen)
{
    return open_checked(path, max, false, why, whylen);
}

FILE *input_open_trusted(const char *path, long long max, char *why, size_t whylen)
{
    return open_checked(path, max, true, why, whylen);
}
