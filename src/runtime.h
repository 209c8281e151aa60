/* The library's process-wide state, set up on the first handshake (never at
 * load time, DESIGN 6): the OpenSSL table, the per-SSL slot, and the policy in
 * force as an immutable, reference-counted snapshot that follows the config
 * file while the program runs (issue 5: hot reload). */
#ifndef PINSHIM_RUNTIME_H
#define PINSHIM_RUNTIME_H

#include <stdbool.h>
#include "policy.h"

/* Set up once per process; false when no usable libssl was found (then
 * nothing can be judged: every call passes through to the program's own
 * library, route.h, and the process is told uncovered).  When none was
 * loaded at all, the binding is tried again once anything more is loaded. */
bool runtime_ready(void);

/* The policy in force for one handshake.  Never NULL after runtime_ready(); a
 * failed config gives a policy whose `error` is set.  The snapshot stays valid
 * until runtime_release(), whatever reloads happen meanwhile; no lock is held
 * in between.  At most once a second this also looks whether the config file
 * changed, and if so loads it (in the calling thread: the library starts no
 * thread of its own). */
const struct policy *runtime_acquire(void);
void runtime_release(const struct policy *p);

/* A number that tells this policy snapshot from every other of the process
 * (a pointer can be reused after a reload; this cannot). */
unsigned long runtime_generation(const struct policy *p);

/* Is the shim active in this program under this policy (`programs`)? */
bool runtime_covers_program(const struct policy *p);

/* Bound, and active in this program under the policy in force: the cheap
 * question (no reference taken), for the calls that only need to know
 * whether to look at all.  A reload is noticed by the next judgement. */
bool runtime_in_scope(void);

/* The same without OpenSSL: the policy is loaded (once) and covers this
 * program.  For another TLS library's glue (GnuTLS), bound on its own. */
bool runtime_covers(void);

/* The ex_data index that holds each SSL's pinshim state (conn.h). */
int runtime_ssl_index(void);

/* Ours on SSL_CTX (a program's cert-verify callback, verify_hook.c), and
 * libssl's own index of the SSL on an X509_STORE_CTX
 * (SSL_get_ex_data_X509_STORE_CTX_idx). */
int runtime_ssl_ctx_index(void);
int runtime_verify_ssl_index(void);

/* "openssl 3.0.19": the library this process's connections are judged with. */
const char *runtime_library(void);

/* This process does TLS through a library pinshim cannot judge (`what`
 * names it; why_unbound: say why the process's libssl could not be bound,
 * when `what` is a libssl): said once per process, as one line and a JSON record with
 * verdict "uncovered" (DESIGN 12), unless `programs` leaves the program out. */
void runtime_uncovered(const char *what, bool why_unbound);

/* Whether that has been said (or found not to be said) in this process. */
bool runtime_uncovered_told(void);

const char *runtime_program(void);

/* Around the program's chroot(2) (jail_hook.c, DESIGN 6).  Before: the
 * runtime is initialised now (libssl bound, libconfig opened, the policy
 * read) and what the log needs is opened into kit.  After: when it succeeded
 * (`jailed`) the policy in force stays so for the life of the process and the
 * config path is no longer watched; the log keeps what kit holds. */
struct log_kit;
void runtime_before_chroot(struct log_kit *kit);
void runtime_after_chroot(struct log_kit *kit, bool jailed);

#endif
