/* Replacing a system file so that every reader sees the old text or the
 * new one, never a part: written beside it, flushed, renamed over it. */
#ifndef PINSHIM_REPLACE_H
#define PINSHIM_REPLACE_H

#include <stddef.h>
#include <sys/types.h>

/* `data` into a new file beside `path` (same folder, so rename is atomic),
 * mode `mode`, and owner `uid`:`gid` when they are not -1 (root only).  Its
 * name goes into `tmp` (`tmplen` bytes).  Returns 0, or an errno value (the
 * file is then gone). */
int replace_stage(const char *path, const void *data, size_t len, mode_t mode, uid_t uid, gid_t gid, char *tmp,
                  size_t tmplen);

/* The staged `tmp` renamed over `path`, and the folder flushed.  Returns 0
 * or an errno value (`tmp` is then removed). */
int replace_commit(const char *tmp, const char *path);

/* All `len` bytes of `data` to `fd` (short writes and EINTR go on): 0, or
 * an errno value (EIO for a write of nothing). */
int replace_write_all(int fd, const void *data, size_t len);

/* Both; 0 or an errno value. */
int replace_file(const char *path, const void *data, size_t len, mode_t mode);

/* A whole regular file (not following a final symlink is not asked: system
 * files such as /etc/ld.so.preload may be links), at most `max` bytes, as a
 * malloc'ed NUL-terminated string.  Returns 0; ENOENT when it is not there;
 * EFBIG when larger than `max`; EINVAL when not a regular file or it holds a
 * NUL byte; or another errno value. */
int replace_read(const char *path, size_t max, char **text);

#endif
