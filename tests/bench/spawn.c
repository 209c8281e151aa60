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
 * With --ab A B: COUNT pairs of starts, one with LD_PRELOAD=A and one with
 * LD_PRELOAD=B ("-": none), the order alternating from pair to pair, each
 * start timed on its own.  A start takes a few milliseconds, so the two
 * halves of a pair are a few milliseconds apart: whatever else the machine
 * does hits both alike, which runs of many starts each cannot promise.
 * Prints the figures of bench_client --ab (A in the "direct" place, B in the
 * "linked" one):
 *
 *   ab_direct_ns=N ab_linked_ns=N ab_ratio=R ab_p25=R ab_p75=R ... ab_pairs=N
 *
 * usage: spawn COUNT PROGRAM [ARG...]
 *        spawn --ab A B COUNT PROGRAM [ARG...]
 * exit 1 when a run fails
 */
#define _DEFAULT_SOURCE 1
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include "ab_summary.h"

extern char **environ;

static long long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* One start to exit; its CPU time (user + system) in *cpu. */
static void start_once(char **argv, char **env, long long *cpu)
{
    pid_t pid;
    int status;
    struct rusage ru;
    if (posix_spawn(&pid, argv[0], NULL, NULL, argv, env) != 0 || wait4(pid, &status, 0, &ru) != pid ||
        !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "spawn: %s failed\n", argv[0]);
        exit(1);
    }
    *cpu = (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
           (long long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
}

/* This environment without LD_PRELOAD, plus LD_PRELOAD=lib unless lib is "-". */
static char **environment_with(const char *lib)
{
    size_t n = 0, k = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 2, sizeof *env);
    if (!env) {
        fprintf(stderr, "spawn: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0)
            env[k++] = environ[i];
    if (strcmp(lib, "-") != 0) {
        size_t len = strlen(lib) + sizeof "LD_PRELOAD=";
        if (!(env[k] = malloc(len))) {
            fprintf(stderr, "spawn: out of memory\n");
            exit(1);
        }
        snprintf(env[k++], len, "LD_PRELOAD=%s", lib);
    }
    return env;
}

static int interleaved(const char *lib_a, const char *lib_b, int pairs, char **argv)
{
    char **env[2] = { environment_with(lib_a), environment_with(lib_b) };
    long long *t[2] = { calloc((size_t)pairs, sizeof(long long)), calloc((size_t)pairs, sizeof(long long)) };
    long long cpu;
    char text[512];
    if (!t[0] || !t[1]) {
        fprintf(stderr, "spawn: out of memory\n");
        return 1;
    }
    start_once(argv, env[0], &cpu); /* both once untimed: page cache, dentries */
    start_once(argv, env[1], &cpu);
    for (int i = 0; i < pairs; i++) {
        for (int k = 0; k < 2; k++) {
            int which = (i % 2 == 0) == (k == 0) ? 0 : 1;
            long long a = now_ns();
            start_once(argv, env[which], &cpu);
            t[which][i] = now_ns() - a;
        }
    }
    if (ab_summary(t[0], t[1], pairs, text, sizeof text) != 0) {
        fprintf(stderr, "spawn: out of memory\n");
        return 1;
    }
    printf("%s\n", text);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 5 && strcmp(argv[1], "--ab") == 0) {
        int pairs = atoi(argv[4]);
        if (pairs <= 0 || pairs > 1000000) {
            fprintf(stderr, "usage: spawn --ab A B COUNT PROGRAM [ARG...]\n");
            return 1;
        }
        return interleaved(argv[2], argv[3], pairs, argv + 5);
    }
    int count = argc > 2 ? atoi(argv[1]) : 0;
    if (count <= 0 || count > 1000000) {
        fprintf(stderr, "usage: spawn COUNT PROGRAM [ARG...]\n       spawn --ab A B COUNT PROGRAM [ARG...]\n");
        return 1;
    }
    long long a = now_ns(), cpu = 0;
    for (int i = 0; i < count; i++) {
        long long c;
        start_once(argv + 2, environ, &c);
        cpu += c;
    }
    printf("ns_per_op=%lld cpu_ns_per_op=%lld\n", (now_ns() - a) / count, cpu / count);
    return 0;
}
