/*
 * spawn.c - start-up timer of scripts/bench (not a test).
 *
 * Starts PROGRAM (with its arguments) COUNT times, one after the other, with
 * posix_spawn and this process's environment (so LD_PRELOAD as the caller set
 * it), waits for each, and prints the mean wall time of one start to exit,
 * and the mean CPU time (user + system) of one child:
 *
 *   ns_per_op=N cpu_ns_per_op=N
 *
 * usage: spawn COUNT PROGRAM [ARG...]     exit 1 when a run fails
 */
#define _DEFAULT_SOURCE 1
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

int main(int argc, char **argv)
{
    struct timespec a, b;
    long long cpu = 0;
    int count = argc > 2 ? atoi(argv[1]) : 0;
    if (count <= 0 || count > 1000000) {
        fprintf(stderr, "usage: spawn COUNT PROGRAM [ARG...]\n");
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < count; i++) {
        pid_t pid;
        int status;
        struct rusage ru;
        if (posix_spawn(&pid, argv[2], NULL, NULL, argv + 2, environ) != 0 || wait4(pid, &status, 0, &ru) != pid ||
            !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "spawn: %s failed\n", argv[2]);
            return 1;
        }
        cpu += (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
               (long long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("ns_per_op=%lld cpu_ns_per_op=%lld\n",
           ((long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec)) / count, cpu / count);
    return 0;
}
