/* A direct-mapped table of seqlocked slots.  Writers claim a slot by moving its
 * sequence number from even to odd and give up when another writer holds it;
 * readers retry a bounded number of times and otherwise report a miss.  Nobody
 * ever waits, so a handshake never blocks on another one, and a fork() that
 * catches a writer half-way leaves nothing to wait for. */
#include "config.h"
#include "memo.h"
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* 128 sets of 4: leaves that share a set do not evict each other until a
 * fifth arrives. */
#define MEMO_SETS 128
#define MEMO_WAYS 4
#define MEMO_SLOTS (MEMO_SETS * MEMO_WAYS)
#define MEMO_WORDS ((PIN_LEN + 8 + MEMO_PINS * PIN_LEN) / 8)
#define READ_TRIES 4

struct slot {
    atomic_uint seq;
    _Atomic uint64_t words[MEMO_WORDS];
};

/* words: [0..3] the leaf's fingerprint, [4] the number of pins, then the pins. */
struct record {
    unsigned char leaf[PIN_LEN];
    uint64_t npins;
    struct pin pins[MEMO_PINS];
};

_Static_assert(sizeof(struct record) == MEMO_WORDS * 8, "record is a whole number of words");

static struct slot slots[MEMO_SLOTS];

static struct slot *set_for(const unsigned char fp[PIN_LEN])
{
    return &slots[(size_t)((fp[0] | (unsigned)fp[1] << 8) % MEMO_SETS) * MEMO_WAYS];
}

/* A consistent copy of a slot, or false when a writer is busy with it. */
static bool read_slot(struct slot *s, struct record *r, unsigned *seq_out)
{
    uint64_t w[MEMO_WORDS];
    for (int t = 0; t < READ_TRIES; t++) {
        unsigned before = atomic_load_explicit(&s->seq, memory_order_acquire);
        if (before & 1)
            continue;
        for (int i = 0; i < MEMO_WORDS; i++)
            w[i] = atomic_load_explicit(&s->words[i], memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&s->seq, memory_order_relaxed) != before)
            continue;
        memcpy(r, w, sizeof *r);
        *seq_out = before;
        return true;
    }
    return false;
}

void memo_remember(const struct cert_ops *ops, const struct cert *leaf, const struct pin *pins, int npins)
{
    struct record r;
    uint64_t w[MEMO_WORDS];
    if (ops->fingerprint(leaf, r.leaf) != 0)
        return;
    if (npins > MEMO_PINS)
        npins = MEMO_PINS;
    r.npins = (uint64_t)npins;
    memset(r.pins, 0, sizeof r.pins);
    memcpy(r.pins, pins, (size_t)npins * sizeof *pins);
    memcpy(w, &r, sizeof w);

    /* The slot already holding this leaf, else an empty one, else the way
     * chosen by the leaf's hash (the eviction is arbitrary but fixed). */
    struct slot *set = set_for(r.leaf), *s = NULL;
    for (int i = 0; i < MEMO_WAYS && !s; i++) {
        struct record cur;
        unsigned seq;
        if (read_slot(&set[i], &cur, &seq) && (seq == 0 || memcmp(cur.leaf, r.leaf, PIN_LEN) == 0))
            s = &set[i];
    }
    if (!s)
        s = &set[r.leaf[2] % MEMO_WAYS];
    unsigned seq = atomic_load_explicit(&s->seq, memory_order_relaxed);
    if ((seq & 1) || !atomic_compare_exchange_strong_explicit(&s->seq, &seq, seq + 1, memory_order_acquire,
                                                              memory_order_relaxed))
        return;
    for (int i = 0; i < MEMO_WORDS; i++)
        atomic_store_explicit(&s->words[i], w[i], memory_order_relaxed);
    atomic_store_explicit(&s->seq, seq + 2, memory_order_release);
}

int memo_recall(const struct cert_ops *ops, const struct cert *leaf, struct pin *out, int max)
{
    unsigned char fp[PIN_LEN];
    struct record r;
    if (ops->fingerprint(leaf, fp) != 0)
        return 0;
    struct slot *set = set_for(fp);
    for (int i = 0; i < MEMO_WAYS; i++) {
        unsigned seq;
        if (!read_slot(&set[i], &r, &seq) || seq == 0 || memcmp(r.leaf, fp, PIN_LEN) != 0)
            continue;
        int n = (int)r.npins < max ? (int)r.npins : max;
        memcpy(out, r.pins, (size_t)n * sizeof *out);
        return n;
    }
    return 0;
}

void memo_after_fork(void)
{
    for (int i = 0; i < MEMO_SLOTS; i++) {
        unsigned seq = atomic_load_explicit(&slots[i].seq, memory_order_relaxed);
        if (!(seq & 1))
            continue;
        /* Half written: forget it rather than trust a torn record. */
        for (int k = 0; k < MEMO_WORDS; k++)
            atomic_store_explicit(&slots[i].words[k], 0, memory_order_relaxed);
        atomic_store_explicit(&slots[i].seq, seq + 1, memory_order_release);
    }
}
