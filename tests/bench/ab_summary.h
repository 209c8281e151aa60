/*
 * ab_summary.h - the figures of an interleaved A/B measurement, shared by
 * bench_client --ab and spawn --ab (scripts/bench; not a test).
 *
 * a[i] and b[i] are the two halves of pair i (times in ns); the arrays are
 * sorted in place.  Writes, without a newline:
 *   ab_direct_ns=N ab_linked_ns=N ab_ratio=R ab_p25=R ab_p75=R
 *   ab_median_ratio=R ab_q10_ratio=R ab_pairs=N
 * (A in the "direct" place, B in the "linked" one; ab_ratio is the median of
 * b/a over the pairs, ab_median_ratio the ratio of the medians,
 * ab_q10_ratio that of the 10th percentiles).  Returns -1 without memory.
 */
#ifndef PINSHIM_BENCH_AB_SUMMARY_H
#define PINSHIM_BENCH_AB_SUMMARY_H

#include <stdio.h>
#include <stdlib.h>

static int ab_cmp_ll(const void *x, const void *y)
{
    long long p = *(const long long *)x, q = *(const long long *)y;
    return p < q ? -1 : p > q;
}

static int ab_cmp_d(const void *x, const void *y)
{
    double p = *(const double *)x, q = *(const double *)y;
    return p < q ? -1 : p > q;
}

static int ab_summary(long long *a, long long *b, int n, char *out, size_t outlen)
{
    double *r = malloc((size_t)n * sizeof *r);
    if (!r || n <= 0) {
        free(r);
        return -1;
    }
    for (int i = 0; i < n; i++)
        r[i] = (double)b[i] / (double)a[i];
    qsort(r, (size_t)n, sizeof *r, ab_cmp_d);
    qsort(a, (size_t)n, sizeof *a, ab_cmp_ll);
    qsort(b, (size_t)n, sizeof *b, ab_cmp_ll);
    snprintf(out, outlen,
             "ab_direct_ns=%lld ab_linked_ns=%lld ab_ratio=%.4f ab_p25=%.4f ab_p75=%.4f ab_median_ratio=%.4f"
             " ab_q10_ratio=%.4f ab_pairs=%d",
             a[n / 2], b[n / 2], r[n / 2], r[n / 4], r[3 * n / 4], (double)b[n / 2] / (double)a[n / 2],
             (double)b[n / 10] / (double)a[n / 10], n);
    free(r);
    return 0;
}

#endif
