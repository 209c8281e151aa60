#include "config.h"
#include "runtime.h"
#include "memo.h"
#include "ossl.h"
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

static char config_path[PATH_MAX];
static char mode_override[16];

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool bound;
static int ssl_index = -1;
static struct policy *policy;

/* Taken at load time because some programs clear the environment before their
 * first handshake (nginx workers keep only TZ); a copy of two strings is all
 * the work done here.  secure_getenv: ignored under setuid/setgid. */
__attribute__((constructor)) static void capture_environment(void)
{
    const char *path = secure_getenv("PINSHIM_CONFIG");
    const char *mode = secure_getenv("PINSHIM_MODE");
    if (!path || !*path)
        path = SYSCONFDIR "/pinshim.conf";
    if (strlen(path) < sizeof config_path)
        memcpy(config_path, path, strlen(path) + 1);
    else
        config_path[0] = '\0'; /* policy_load reports "no config file" */
    if (mode && strlen(mode) < sizeof mode_override)
        memcpy(mode_override, mode, strlen(mode) + 1);
}

static void after_fork_in_child(void)
{
    memo_after_fork();
}

static void load_policy(void)
{
    char message[1200];
    policy = policy_load(config_path[0] ? config_path : NULL);
    if (!policy)
        return;
    if (mode_override[0]) {
        enum mode m = mode_from_text(mode_override);
        if (m != MODE_INHERIT) {
            policy->mode = m;
        } else if (!policy->error) {
            snprintf(message, sizeof message, "PINSHIM_MODE must be enforce, report or off, not \"%s\"",
                     mode_override);
            policy_free(policy);
            policy = policy_failed(config_path, message);
        }
    }
}

static void initialise(void)
{
    char why[256];
    if (ossl_bind_runtime((const void *)&initialise, why, sizeof why) != 0) {
        char line[400];
        int n = snprintf(line, sizeof line, "pinshim: cannot start: %s\n", why);
        if (n > 0)
            (void)!write(STDERR_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
        return;
    }
    /* SSL_get_ex_new_index is a macro over this (DESIGN 9). */
    ssl_index = ossl.CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL, 0, NULL, NULL, NULL, NULL);
    load_policy();
    if (!policy) {
        static const char oom[] = "pinshim: out of memory loading the config\n";
        (void)!write(STDERR_FILENO, oom, sizeof oom - 1);
        return;
    }
    pthread_atfork(NULL, NULL, after_fork_in_child);
    bound = ssl_index >= 0;
}

bool runtime_ready(void)
{
    pthread_once(&once, initialise);
    return bound;
}

const struct policy *runtime_policy(void)
{
    return policy;
}

int runtime_ssl_index(void)
{
    return ssl_index;
}

const char *runtime_program(void)
{
    extern char *program_invocation_short_name;
    return program_invocation_short_name ? program_invocation_short_name : "?";
}
