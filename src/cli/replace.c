/* Atomic replacement of system files (replace.h). */
#include "config.h"
#include "replace.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int replace_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? errno : EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int replace_stage(const char *path, const void *data, size_t len, mode_t mode, uid_t uid, gid_t gid, char *tmp,
                  size_t tmplen)
{
    /* A dot name beside the file: the folder's own tools (run-parts, a
     * systemd drop-in scan of *.conf) never pick it up half-written. */
    const char *slash = strrchr(path, '/');
    int n = slash ? snprintf(tmp, tmplen, "%.*s/.%s.pinshim-XXXXXX", (int)(slash - path), path, slash + 1)
                  : snprintf(tmp, tmplen, ".%s.pinshim-XXXXXX", path);
    if (n < 0 || (size_t)n >= tmplen)
        return ENAMETOOLONG;
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return errno;
    int err = replace_write_all(fd, data, len);
    if (!err && fchmod(fd, mode) != 0)
        err = errno;
    if (!err && (uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) != 0)
        err = errno;
    if (!err && fsync(fd) != 0)
        err = errno;
    if (close(fd) != 0 && !err)
        err = errno;
    if (err)
        unlink(tmp);
    return err;
}

int replace_commit(const char *tmp, const char *path)
{
    if (rename(tmp, path) != 0) {
        int err = errno;
        unlink(tmp);
        return err;
    }
    /* The rename itself on disk: a crash now keeps the new file. */
    char dir[4096];
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (n < sizeof dir) {
        memcpy(dir, path, n);
        dir[n] = '\0';
        int fd = open(n ? dir : (slash ? "/" : "."), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
            (void)fsync(fd);
            close(fd);
        }
    }
    return 0;
}

int replace_file(const char *path, const void *data, size_t len, mode_t mode)
{
    char tmp[4096];
    int err = replace_stage(path, data, len, mode, (uid_t)-1, (gid_t)-1, tmp, sizeof tmp);
    return err ? err : replace_commit(tmp, path);
}

int replace_read(const char *path, size_t max, char **text)
{
    *text = NULL;
    /* O_NONBLOCK: a FIFO planted there cannot hang the command. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return errno;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return EINVAL;
    }
    if ((unsigned long long)st.st_size > max) {
        close(fd);
        return EFBIG;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    size_t len = 0;
    if (!buf) {
        close(fd);
        return ENOMEM;
    }
    for (;;) {
        ssize_t n = read(fd, buf + len, (size_t)st.st_size + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int err = errno;
            free(buf);
            close(fd);
            return err;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > (size_t)st.st_size) { /* grew while read */
            free(buf);
            close(fd);
            return EFBIG;
        }
    }
    close(fd);
    buf[len] = '\0';
    if (memchr(buf, '\0', len)) {
        free(buf);
        return EINVAL;
    }
    *text = buf;
    return 0;
}
