/* The library's process-wide state, set up on the first handshake (never at
 * load time, DESIGN 6): the OpenSSL table, the per-SSL slot, and the policy in
 * force as an immutable, reference-counted snapshot that follows the config
 * file while the program runs (issue 5: hot reload). */
#ifndef PINSHIM_RUNTIME_H
#define PINSHIM_RUNTIME_H

#include <stdbool.h>
#include "policy.h"

/* Once per process; false when no usable libssl was found (then nothing can
 * be judged and the wrappers cannot even reach the real calls). */
bool runtime_ready(void);

/* The policy in force for one handshake.  Never NULL after runtime_ready(); a
 * failed config gives a policy whose `error` is set.  The snapshot stays valid
 * until runtime_release(), whatever reloads happen meanwhile; no lock is held
 * in between.  At most once a second this also looks whether the config file
 * changed, and if so loads it (in the calling thread: the library starts no
 * thread of its own). */
const struct policy *runtime_acquire(void);
void runtime_release(const struct policy *p);

/* Is the shim active in this program under this policy (`programs`)? */
bool runtime_covers_program(const struct policy *p);

/* The ex_data index that holds each SSL's pinshim flags. */
int runtime_ssl_index(void);

const char *runtime_program(void);

#endif
