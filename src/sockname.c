/* The resolver's answers of a thread, and the name of each socket: no lock on
 * a handshake's path (DESIGN 6).  A socket's name sits in a slot of a table
 * indexed by descriptor, written under a sequence number (seqlock, as
 * memo.c): a reader that races a writer sees a changed number and gives up;
 * nobody waits.  Chunks of the table are allocated when a socket first gets a
 * name; programs that never resolve a name allocate nothing. */
#include "config.h"
#include "sockname.h"
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ANSWER_ADDRS 16
#define CHUNK_SLOTS 64
#define MAX_FD 65536
#define READ_TRIES 4

struct address {
    sa_family_t family;
    unsigned char bytes[16];
};

/* The last answer of a thread.  Heap, not TLS: the library's static TLS must
 * stay small (issue 6); freed when the thread ends. */
struct answer {
    char name[HOST_MAX];
    int naddrs;
    struct address addrs[ANSWER_ADDRS];
};

struct slot {
    atomic_uint seq;           /* odd while written; 0: never written */
    char name[HOST_MAX];       /* "" none */
    struct address peer;
};

static _Atomic(struct slot *) chunks[MAX_FD / CHUNK_SLOTS];
static __thread __attribute__((tls_model("initial-exec"))) struct answer *t_answer;
static pthread_key_t answer_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void answer_free(void *p)
{
    free(p);
}

static void make_key(void)
{
    if (pthread_key_create(&answer_key, answer_free) != 0)
        answer_key = (pthread_key_t)-1;
}

static bool address_of(const struct sockaddr *sa, struct address *out)
{
    memset(out, 0, sizeof *out);
    if (sa->sa_family == AF_INET) {
        out->family = AF_INET;
        memcpy(out->bytes, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return true;
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        /* ::ffff:a.b.c.d is a.b.c.d: one form for both. */
        if (IN6_IS_ADDR_V4MAPPED(a)) {
            out->family = AF_INET;
            memcpy(out->bytes, &a->s6_addr[12], 4);
        } else {
            out->family = AF_INET6;
            memcpy(out->bytes, a, 16);
        }
        return true;
    }
    return false;
}

static bool same_address(const struct address *a, const struct address *b)
{
    return a->family == b->family && memcmp(a->bytes, b->bytes, sizeof a->bytes) == 0;
}

void sockname_resolved(const char *name, const struct sockaddr *const *addrs, int naddrs)
{
    size_t len = strlen(name);
    if (len == 0 || len >= HOST_MAX)
        return;
    if (!t_answer) {
        pthread_once(&key_once, make_key);
        if (answer_key == (pthread_key_t)-1)
            return;
        struct answer *a = malloc(sizeof *a);
        if (!a || pthread_setspecific(answer_key, a) != 0) {
            free(a);
            return;
        }
        t_answer = a;
    }
    struct answer *a = t_answer;
    memcpy(a->name, name, len + 1);
    a->naddrs = 0;
    for (int i = 0; i < naddrs && a->naddrs < ANSWER_ADDRS; i++)
        if (addrs[i] && address_of(addrs[i], &a->addrs[a->naddrs]))
            a->naddrs++;
}

static struct slot *slot_of(int fd, bool create)
{
    if (fd < 0 || fd >= MAX_FD)
        return NULL;
    struct slot *chunk = atomic_load_explicit(&chunks[fd / CHUNK_SLOTS], memory_order_acquire);
    if (!chunk && create) {
        struct slot *fresh = calloc(CHUNK_SLOTS, sizeof *fresh);
        if (!fresh)
            return NULL;
        if (atomic_compare_exchange_strong(&chunks[fd / CHUNK_SLOTS], &chunk, fresh))
            chunk = fresh;
        else
            free(fresh); /* another thread's chunk is in chunk now */
    }
    return chunk ? &chunk[fd % CHUNK_SLOTS] : NULL;
}

/* Writers of one slot are the threads connecting that descriptor: one at a
 * time in any sane program; a writer that finds the slot busy gives up. */
static void slot_write(struct slot *s, const char *name, const struct address *peer)
{
    unsigned seq = atomic_load_explicit(&s->seq, memory_order_relaxed);
    if ((seq & 1) || !atomic_compare_exchange_strong_explicit(&s->seq, &seq, seq + 1, memory_order_acquire,
                                                              memory_order_relaxed))
        return;
    strcpy(s->name, name);
    if (peer)
        s->peer = *peer;
    atomic_store_explicit(&s->seq, seq + 2, memory_order_release);
}

void sockname_connecting(int fd, const struct sockaddr *to, socklen_t len)
{
    struct address peer;
    const struct answer *a = t_answer;
    if (!to || len < (socklen_t)sizeof(sa_family_t) || !address_of(to, &peer))
        return;
    if (a) {
        for (int i = 0; i < a->naddrs; i++) {
            if (same_address(&a->addrs[i], &peer)) {
                struct slot *s = slot_of(fd, true);
                if (s)
                    slot_write(s, a->name, &peer);
                return;
            }
        }
    }
    /* Not a resolved address: a name left from the descriptor's last life
     * must not stick to it. */
    struct slot *s = slot_of(fd, false);
    if (s && s->name[0])
        slot_write(s, "", NULL);
}

bool sockname_lookup(int fd, const struct sockaddr *peer, char *out)
{
    struct address want;
    struct slot *s = slot_of(fd, false);
    if (!s || !peer || !address_of(peer, &want))
        return false;
    for (int t = 0; t < READ_TRIES; t++) {
        unsigned before = atomic_load_explicit(&s->seq, memory_order_acquire);
        if (before == 0)
            return false;
        if (before & 1)
            continue;
        struct address had = s->peer;
        char name[HOST_MAX];
        memcpy(name, s->name, sizeof name);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&s->seq, memory_order_relaxed) != before)
            continue;
        name[HOST_MAX - 1] = '\0';
        if (!name[0] || !same_address(&had, &want))
            return false;
        memcpy(out, name, HOST_MAX);
        return true;
    }
    return false;
}
