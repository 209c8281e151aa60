/* What full handshakes showed: leaf certificate -> the pins of the chain it
 * came with.  Resumed sessions carry only the leaf (DESIGN 3.5); this lets a
 * pin on a CA certificate still be checked on resumption.  A small, fixed,
 * lock-free table; a miss only means "leaf only". */
#ifndef PINSHIM_MEMO_H
#define PINSHIM_MEMO_H

#include "cert.h"
#include "pin.h"

#define MEMO_PINS 8

void memo_remember(const struct cert_ops *ops, const struct cert *leaf, const struct pin *pins, int npins);

/* Fills `out` with up to `max` pins remembered for this exact leaf
 * certificate; returns how many. */
int memo_recall(const struct cert_ops *ops, const struct cert *leaf, struct pin *out, int max);

/* After fork(): a slot a vanished thread was writing must not stay busy. */
void memo_after_fork(void);

#endif
