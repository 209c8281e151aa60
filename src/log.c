#include "config.h"
#include "log.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* write(2) until done.  A pipe whose reader is gone must not kill the host
 * program: SIGPIPE is blocked in this thread for the write, and one that our
 * write raised is taken back off the pending set before unblocking. */
static void write_all(int fd, const char *buf, size_t len)
{
    sigset_t pipe_only, old, pending;
    bool raised = false, was_pending;

    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
    sigpending(&pending);
    was_pending = sigismember(&pending, SIGPIPE) == 1;
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EPIPE)
            raised = true;
        if (n <= 0)
            break;
        buf += n;
        len -= (size_t)n;
    }
    if (raised && !was_pending) {
        const struct timespec zero = { 0, 0 };
        sigtimedwait(&pipe_only, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* What fd 2 was when the library was loaded.  A program that closed its stderr
 * may have had a data file opened onto descriptor 2 since: a regular file that
 * is not the original stderr is never written to. */
static struct stat stderr_at_load;
static bool stderr_open_at_load;

__attribute__((constructor)) static void note_stderr(void)
{
    stderr_open_at_load = fstat(STDERR_FILENO, &stderr_at_load) == 0;
}

static bool stderr_is_safe(void)
{
    struct stat now;
    if (fstat(STDERR_FILENO, &now) != 0)
        return false;
    if (!S_ISREG(now.st_mode))
        return true;
    return stderr_open_at_load && now.st_dev == stderr_at_load.st_dev && now.st_ino == stderr_at_load.st_ino;
}

static void write_stderr(const char *buf, size_t len)
{
    if (stderr_is_safe())
        write_all(STDERR_FILENO, buf, len);
}

/* Our own datagram to /dev/log, not syslog(3): openlog() would change the
 * host program's ident and options, and its socket would outlive our use. */
static void send_syslog(int priority, const char *msg, size_t len)
{
    char buf[8192];
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };
    if (fd < 0)
        return;
    int n = snprintf(buf, sizeof buf, "<%d>pinshim[%ld]: %.*s", LOG_AUTHPRIV | priority, (long)getpid(),
                     (int)(len > 0 && msg[len - 1] == '\n' ? len - 1 : len), msg);
    if (n > 0) {
        size_t out = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
        (void)sendto(fd, buf, out, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&addr, sizeof addr);
    }
    close(fd);
}

static void append_json(const char *path, const char *line, size_t len)
{
    /* O_NONBLOCK: a FIFO without a reader fails instead of hanging the host. */
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0640);
    if (fd < 0)
        return;
    write_all(fd, line, len);
    close(fd);
}

void log_event(const struct log_targets *where, const struct event *ev, int syslog_priority)
{
    struct text line = { 0 };
    if (where->to_stderr || where->to_syslog) {
        report_line(ev, &line);
        if (line.buf && where->to_stderr)
            write_stderr(line.buf, line.len);
        if (line.buf && where->to_syslog)
            send_syslog(syslog_priority, line.buf + 9, line.len - 9); /* without "pinshim: " */
        text_free(&line);
    }
    if (where->json_path) {
        report_json(ev, &line);
        if (line.buf && !line.failed)
            append_json(where->json_path, line.buf, line.len);
        text_free(&line);
    }
}

void log_message(const struct log_targets *where, const char *msg)
{
    size_t len = strlen(msg);
    if (where->to_stderr)
        write_stderr(msg, len);
    if (where->to_syslog && len > 9 && strncmp(msg, "pinshim: ", 9) == 0)
        send_syslog(LOG_ERR, msg + 9, len - 9);
}
