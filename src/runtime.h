/* The library's process-wide state, set up on the first handshake (never at
 * load time, DESIGN 6): the OpenSSL table, the policy, the per-SSL slot. */
#ifndef PINSHIM_RUNTIME_H
#define PINSHIM_RUNTIME_H

#include <stdbool.h>
#include "policy.h"

/* Once per process; false when no usable libssl was found (then nothing can
 * be judged and the wrappers cannot even reach the real calls). */
bool runtime_ready(void);

/* The policy in force.  Never NULL after runtime_ready(); a failed config
 * gives a policy whose `error` is set. */
const struct policy *runtime_policy(void);

/* The ex_data index that holds each SSL's pinshim flags. */
int runtime_ssl_index(void);

const char *runtime_program(void);

#endif
