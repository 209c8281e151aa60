/* The library's own inputs: the config, its @includes, the TOFU state.
 * fopen() blocks on a FIFO until a writer comes, and a local user who can
 * put one in place of such a file would hang every program that loads it;
 * so the open is non-blocking, and only a regular file goes on to be read
 * (where O_NONBLOCK changes nothing). */
#include "config.h"
#include "input.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

FILE *input_open(const char *path, long long max, char *why, size_t whylen)
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
    } else if (st.st_size > max) {
        e = EFBIG;
        if (max % (1024 * 1024) == 0)
            snprintf(why, whylen, "larger than %lld MiB", max / (1024 * 1024));
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
