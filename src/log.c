#include "config.h"
#include "log.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

/* write(2) until done; a short write to a pipe or file is continued, an error
 * (EPIPE on a closed pipe included: MSG_NOSIGNAL does not exist for write, the
 * host's SIGPIPE disposition is its own) ends it. */
static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        buf += n;
        len -= (size_t)n;
    }
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
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
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
            write_all(STDERR_FILENO, line.buf, line.len);
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
        write_all(STDERR_FILENO, msg, len);
    if (where->to_syslog && len > 9 && strncmp(msg, "pinshim: ", 9) == 0)
        send_syslog(LOG_ERR, msg + 9, len - 9);
}
