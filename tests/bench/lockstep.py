#!/usr/bin/python3
"""lockstep.py A_OUT B_OUT - pair the connection times of two bench_client
--lockstep runs (scripts/bench; not a test).

The two processes took their connections in turns, A first: pair i is A's
i-th connection and B's i-th, adjacent in time.  Prints the figures of
ab_summary.h, A in the "direct" place and B in the "linked" one:
  ab_direct_ns=N ab_linked_ns=N ab_ratio=R ab_p25=R ab_p75=R
  ab_median_ratio=R ab_q10_ratio=R ab_pairs=N
"""
import sys


def times(path):
    for field in open(path).read().split():
        if field.startswith("lockstep_ns="):
            return [int(x) for x in field.split("=", 1)[1].split(",") if x]
    sys.exit("lockstep.py: no lockstep_ns in %s" % path)


a, b = times(sys.argv[1]), times(sys.argv[2])
n = min(len(a), len(b))
if n == 0:
    sys.exit("lockstep.py: no pairs")
a, b = a[:n], b[:n]
r = sorted(y / x for x, y in zip(a, b))
sa, sb = sorted(a), sorted(b)
print("ab_direct_ns=%d ab_linked_ns=%d ab_ratio=%.4f ab_p25=%.4f ab_p75=%.4f ab_median_ratio=%.4f "
      "ab_q10_ratio=%.4f ab_pairs=%d" % (sa[n // 2], sb[n // 2], r[n // 2], r[n // 4], r[3 * n // 4],
                                         sb[n // 2] / sa[n // 2], sb[n // 10] / sa[n // 10], n))
