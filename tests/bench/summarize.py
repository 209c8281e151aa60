#!/usr/bin/python3
"""summarize.py RESULTS - the table of scripts/bench (not a test).

RESULTS has one line per run: CASE VARIANT REP key=value ...
A ratio is the median over the repetitions of (variant / reference) taken
from the same repetition (the runs were interleaved), so slow phases of a
noisy machine hit both sides of a pair; the spread is p25-p75 of those
paired ratios.  Absolute figures are the medians of each side.  "best"
is the ratio of the fastest run of each side: interference from other
processes only ever adds time, so it is the other honest summary on a
shared machine (for throughput, of the fastest transfers).
"""
import statistics
import sys
from collections import defaultdict

runs = defaultdict(dict)  # (case, variant) -> {rep: {key: value}}
with open(sys.argv[1]) as f:
    for line in f:
        parts = line.split()
        if len(parts) < 4:
            continue
        case, variant, rep = parts[0], parts[1], int(parts[2])
        kv = {}
        for p in parts[3:]:
            if "=" in p:
                k, v = p.split("=", 1)
                try:
                    kv[k] = float(v)
                except ValueError:
                    pass
        runs[(case, variant)][rep] = kv


def values(case, variant, key):
    return [r[key] for _, r in sorted(runs.get((case, variant), {}).items()) if key in r]


def quantile(xs, q):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    pos = (len(xs) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def paired(case, variant, ref, key, invert=False):
    a = runs.get((case, variant), {})
    b = runs.get((case, ref), {})
    out = []
    for rep in sorted(set(a) & set(b)):
        if key in a[rep] and key in b[rep] and a[rep][key] > 0 and b[rep][key] > 0:
            out.append(b[rep][key] / a[rep][key] if invert else a[rep][key] / b[rep][key])
    return out


def med(xs):
    return statistics.median(xs) if xs else float("nan")


rows = []  # (case label, reference, shim, ratio, spread, target, verdict, excess)


def fmt_ratio(x):
    return "%.3f" % x if x == x else "n/a"


def add(label, ref_text, var_text, ratios, target=None, higher_is_better=False, note="", best=None,
        judged=True):
    r = med(ratios)
    spread = "%.3f-%.3f" % (quantile(ratios, 0.25), quantile(ratios, 0.75)) if len(ratios) > 1 else "-"
    excess = None
    verdict = "report"
    if target is not None and r == r and not judged:
        verdict = "see A/B"
    elif target is not None and r == r:
        excess = target / r if higher_is_better else r / target
        verdict = "ok" if excess <= 1 else "MISSED"
    tgt = "-" if target is None else ("%s %s" % (">=" if higher_is_better else "<=",
                                                  ("%.3f" % target).rstrip("0").rstrip(".")))
    rows.append((label, ref_text, var_text, fmt_ratio(r) + note, spread, "-" if best is None else fmt_ratio(best),
                 tgt, verdict, excess, r))


def us(ns):
    return "%.0f us" % (ns / 1000.0) if ns == ns else "n/a"


def has_ab(case):
    return any(k[0] == case for k in runs)


def timed(label, case, variant, ref, target=None, per=1.0, unit=us, key="ns_per_op", ab_case=None):
    a = values(case, ref, key)
    b = values(case, variant, key)
    if not a or not b:
        return
    add(label, unit(med(a) / per), unit(med(b) / per), paired(case, variant, ref, key), target,
        best=min(b) / min(a), judged=not (ab_case and has_ab(ab_case)))


def spread_minmax(xs):
    return "%.3f-%.3f" % (min(xs), max(xs)) if len(xs) > 1 else "-"


def ab(label, case, variant, target=None, higher_is_better=False, unit=us):
    """In-process interleaved pairs: each run gives the median of its paired
    ratios (ab_ratio) and the ratio of its 10th percentiles (ab_q10_ratio);
    shown: the median over the runs, their min-max, and the median q10."""
    runs_ = [r for _, r in sorted(runs.get((case, variant), {}).items()) if "ab_ratio" in r]
    if not runs_:
        return
    ratios = [r["ab_ratio"] for r in runs_]
    q10 = [r["ab_q10_ratio"] for r in runs_]
    if higher_is_better:  # throughput: the inverse of the time ratio
        ratios = [1 / x for x in ratios]
        q10 = [1 / x for x in q10]
    d = med([r["ab_direct_ns"] for r in runs_])
    l = med([r["ab_linked_ns"] for r in runs_])
    add(label, unit(d), unit(l), ratios, target, higher_is_better, best=med(q10))
    row = rows[-1]
    rows[-1] = row[:4] + (spread_minmax(ratios),) + row[5:]


def ab_of_ab(label, case, variant, ref, target=None):
    """Two variants of in-process runs (same rep = adjacent runs): the ratio of
    their A/B ratios, i.e. the shim's cost with one config over the other."""
    a = runs.get((case, variant), {})
    b = runs.get((case, ref), {})
    reps = sorted(set(a) & set(b))
    ratios = [a[k]["ab_ratio"] / b[k]["ab_ratio"] for k in reps if "ab_ratio" in a[k] and "ab_ratio" in b[k]]
    q10 = [a[k]["ab_q10_ratio"] / b[k]["ab_q10_ratio"] for k in reps if "ab_q10_ratio" in a[k] and "ab_q10_ratio" in b[k]]
    if not ratios:
        return
    add(label, us(med([b[k]["ab_linked_ns"] for k in reps])), us(med([a[k]["ab_linked_ns"] for k in reps])),
        ratios, target, best=med(q10))
    row = rows[-1]
    rows[-1] = row[:4] + (spread_minmax(ratios),) + row[5:]


AB_LABEL = "  two processes in lockstep, connection by connection (A/B)"
AA_LABEL = "  A/A control: both without the shim"


timed("full TLS 1.3 handshake, pinned host, verdicts=failures", "full13", "shim", "base", 1.02,
      ab_case="ab_full13")
ab(AB_LABEL, "ab_full13", "shim", 1.02)
ab(AA_LABEL, "aa_full13", "none")
timed("full TLS 1.2 handshake", "full12", "shim", "base", 1.02, ab_case="ab_full12")
ab(AB_LABEL, "ab_full12", "shim", 1.02)
ab(AA_LABEL, "aa_full12", "none")
timed("resumed session, TLS 1.3", "resume13", "shim", "base", 1.03, ab_case="ab_resume13")
ab(AB_LABEL, "ab_resume13", "shim", 1.03)
ab(AA_LABEL, "aa_resume13", "none")
timed("resumed session, TLS 1.2", "resume12", "shim", "base", 1.03, ab_case="ab_resume12")
ab(AB_LABEL, "ab_resume12", "shim", 1.03)
ab(AA_LABEL, "aa_resume12", "none")
# Client CPU time (user + system of the client process): less disturbed by
# whatever else the machine runs.
timed("  client CPU per full TLS 1.3 handshake", "full13", "shim", "base", key="cpu_ns_per_op")
timed("  client CPU per resumed TLS 1.3 handshake", "resume13", "shim", "base", key="cpu_ns_per_op")
timed("  client CPU per resumed TLS 1.2 handshake", "resume12", "shim", "base", key="cpu_ns_per_op")

def instructions(label, case, target=None):
    a = [r["ir"] / r["count"] for r in runs.get((case, "base"), {}).values()]
    b = [r["ir"] / r["count"] for r in runs.get((case, "shim"), {}).values()]
    if a and b:
        add(label, "%.0f k" % (med(a) / 1000), "%.0f k" % (med(b) / 1000),
            [x / y for x, y in zip(sorted(b), sorted(a))], target, best=min(b) / min(a))


instructions("instructions per full TLS 1.3 handshake (callgrind, client)", "cg_full13", 1.01)
instructions("instructions per resumed TLS 1.3 handshake (callgrind, client)", "cg_resume13")
instructions("instructions per resumed TLS 1.2 handshake (callgrind, client)", "cg_resume12")

# GnuTLS (issue 11): bench_gnutls_client, the same client on libgnutls, in
# lockstep (A/B, with its A/A control) and under callgrind.
G_AB = ": two processes in lockstep (A/B)"
for case, label, target in (
        ("g_full13", "GnuTLS full TLS 1.3 handshake, verified in it (gnutls_session_set_verify_cert)", 1.02),
        ("g_full12", "GnuTLS full TLS 1.2 handshake, verified in it", 1.02),
        ("g_resume13", "GnuTLS resumed session, TLS 1.3", 1.03),
        ("g_resume12", "GnuTLS resumed session, TLS 1.2", 1.03),
        ("g_after13", "GnuTLS full TLS 1.3 handshake, verified after it (gnutls_certificate_verify_peers2, as wget)", None)):
    ab(label + G_AB, "ab_" + case, "shim", target)
    ab(AA_LABEL, "aa_" + case, "none")
instructions("GnuTLS: instructions per full TLS 1.3 handshake (callgrind, client)", "cg_g_full13", 1.01)
instructions("GnuTLS: instructions per full TLS 1.2 handshake (callgrind, client)", "cg_g_full12", 1.01)
instructions("GnuTLS: instructions per resumed TLS 1.3 handshake (callgrind, client)", "cg_g_resume13")
instructions("GnuTLS: instructions per resumed TLS 1.2 handshake (callgrind, client)", "cg_g_resume12")
instructions("GnuTLS: instructions per full TLS 1.3 handshake verified after it (callgrind, client)",
             "cg_g_after13")


def marginal(r):
    n = r.get("n_6", 0) - r.get("n_2", 0)
    return (r["ir_6"] - r["ir_2"]) / n if n > 0 and "ir_6" in r and "ir_2" in r else float("nan")


st_base = [marginal(r) for _, r in sorted(runs.get(("cg_stime", "base"), {}).items())]
st_shim = [marginal(r) for _, r in sorted(runs.get(("cg_stime", "shim"), {}).items())]
if st_base and st_shim:
    add("only CA keys pinned: marginal instructions of a full TLS 1.3 handshake (openssl s_time) vs no preload",
        "%.0f k" % (med(st_base) / 1000), "%.0f k" % (med(st_shim) / 1000),
        [b / a for a, b in zip(st_base, st_shim)], 1.005)

os_base = values("cg_oneshot", "base", "ir")
for variant, label, target in (
        ("small", "one-shot openssl s_client, one handshake, CA keys pinned: instructions, shim vs empty library", 1.008),
        ("sample", "  the same with the sample conf/pinshim.conf (pinned.test unpinned there)", None)):
    os_v = values("cg_oneshot", variant, "ir")
    if os_base and os_v:
        add(label, "%.0f k" % (med(os_base) / 1000), "%.0f k" % (med(os_v) / 1000),
            paired("cg_oneshot", variant, "base", "ir"), target)
for variant, label in (("small", "  first-use set-up alone (initialise), small config: share of the one-shot"),
                       ("sample", "  first-use set-up alone (initialise), sample config: share of the one-shot")):
    su = values("cg_oneshot", variant, "setup")
    if os_base and su:
        rows.append((label, "%.0f k" % (med(os_base) / 1000), "%.0f k" % (med(su) / 1000),
                     "+%.4f" % (med(su) / med(os_base)), "-", "-", "-", "report", None, None))

timed("config 1 000 hosts vs 1 host, per handshake", "hosts", "h1k", "h1", 1.05, ab_case="ab_hosts")
ab("  lockstep A/B: 1 000 hosts vs 1 host", "ab_hosts", "h1k", 1.05)
timed("config 100 000 hosts vs 1 host, per handshake", "hosts", "h100k", "h1", 1.05, ab_case="ab_hosts")
ab("  lockstep A/B: 100 000 hosts vs 1 host", "ab_hosts", "h100k", 1.05)

rss1, rss100k = values("hosts", "h1", "rss_kb"), values("hosts", "h100k", "rss_kb")
max1, max100k = values("hosts", "h1", "maxrss_kb"), values("hosts", "h100k", "maxrss_kb")
if rss1 and rss100k:
    per_host = (med(rss100k) - med(rss1)) * 1024 / 99999
    peak = (med(max100k) - med(max1)) * 1024 / 99999
    rows.append(("memory (RSS after load), 100 000-host config, per host", "%.0f KiB" % med(rss1),
                 "%.0f KiB" % med(rss100k), "%.0f B/host" % per_host, "peak %.0f B/host" % peak, "-",
                 "<= 300 B", "ok" if per_host <= 300 else "MISSED", per_host / 300, None))
f1, f100k = values("hosts", "h1", "first_ns"), values("hosts", "h100k", "first_ns")
if f1 and f100k:
    rows.append(("first handshake (config load), 1 vs 100 000 hosts", "%.1f ms" % (med(f1) / 1e6),
                 "%.1f ms" % (med(f100k) / 1e6), "+%.0f ms" % ((med(f100k) - med(f1)) / 1e6), "-", "-", "-",
                 "report", None, None))

timed("start-up of /bin/true: shim vs empty preloaded library", "startup", "shim", "empty", 1.05,
      ab_case="ab_startup")
ab("  one starter, interleaved per start (A/B)", "ab_startup", "shim", 1.05)
ab("  A/A control: the empty library on both sides", "aa_startup", "none")
instructions("  instructions of /bin/true, exec to exit (callgrind): shim vs empty library", "cg_startup")
timed("start-up of /bin/true: shim vs no preload", "startup", "shim", "none")
timed("  (empty preloaded library vs no preload)", "startup", "empty", "none")
timed("  CPU of /bin/true (user + system): shim vs empty preloaded library", "startup", "shim", "empty",
      key="cpu_ns_per_op")


def throughput(label, case, target):
    a = values(case, "base", "ns_per_op")
    b = values(case, "shim", "ns_per_op")
    if a and b:
        mib = 256.0
        add(label, "%.0f MiB/s" % (mib / (med(a) / 1e9)), "%.0f MiB/s" % (mib / (med(b) / 1e9)),
            paired(case, "shim", "base", "ns_per_op", invert=True), target, higher_is_better=True,
            best=min(a) / min(b), judged=not has_ab("ab_" + case))


def bulk_instructions(label, case, target):
    """callgrind per MiB transferred; shown as base/shim (a throughput ratio
    for a CPU-bound client)."""
    a = [r["ir"] / r["count"] for r in runs.get((case, "base"), {}).values()]
    b = [r["ir"] / r["count"] for r in runs.get((case, "shim"), {}).values()]
    if a and b:
        add(label, "%.0f k/MiB" % (med(a) / 1000), "%.0f k/MiB" % (med(b) / 1000),
            [y / x for x, y in zip(sorted(b), sorted(a))], target, higher_is_better=True, best=min(a) / min(b))


has_cg_down = any(k[0] == "cg_down" for k in runs)
throughput("bulk 256 MiB download over one connection (SSL_read), throughput", "down", 0.99)
if has_cg_down:
    rows[-1] = rows[-1][:7] + ("see callgrind", None, rows[-1][9])
bulk_instructions("  instructions per MiB downloaded (callgrind, client), base / shim", "cg_down", 0.99)
throughput("bulk 256 MiB upload over one connection (SSL_write), throughput", "up", 0.99)
if has_cg_down:
    rows[-1] = rows[-1][:7] + ("see callgrind", None, rows[-1][9])
bulk_instructions("  instructions per MiB uploaded (callgrind, client), base / shim", "cg_up", 0.99)

nc = float(sys.argv[2]) if len(sys.argv) > 2 else 100.0
timed("curl, per handshake: shim vs curl --pinnedpubkey", "curl", "shim", "pinned", 1.02, per=nc)
if any(k[0] == "cg_curl" for k in runs):
    rows[-1] = rows[-1][:7] + ("see callgrind", None, rows[-1][9])
instructions("  instructions per handshake, whole curl process (callgrind): shim vs --pinnedpubkey", "cg_curl",
             1.02)
timed("  curl --pinnedpubkey vs plain curl", "curl", "pinned", "base", per=nc)
timed("verdicts=all with the JSON log, full TLS 1.3, vs no preload", "full13", "all", "base")
ab(AB_LABEL, "ab_all", "all")
timed("  verdicts=all with the JSON log vs verdicts=failures", "full13", "all", "shim")

report_mb = sys.argv[3] if len(sys.argv) > 3 else "?"
big_s = values("report", "big", "s")
if big_s:
    add("pinshim report, 1 000 000 JSON lines (%s MB): time against the 10 s budget" % report_mb, "10 s",
        "%.2f s" % med(big_s), [x / 10.0 for x in big_s], 1.0, best=min(big_s) / 10.0)
    big_m, small_m = values("report", "big", "rss_kb"), values("report", "small", "rss_kb")
    add("  peak memory, 1 000 000 lines vs 10 000 lines (bounded: state per host and key)",
        "%.1f MB" % (med(small_m) / 1024), "%.1f MB" % (med(big_m) / 1024),
        paired("report", "big", "small", "rss_kb"), 1.10)

print("ratio: shim / baseline time (bulk: throughput).  Rows in separate processes: median of the paired")
print("runs' ratios, spread p25-p75 of them, best = fastest run over fastest run.  A/B rows: two processes,")
print("one without and one with the shim, taking their connections in turns (lockstep): median over runs of")
print("each run's median paired ratio, spread min-max over runs, best = ratio of the 10th percentiles.  Where")
print("an A/B row exists it is the one judged: on a busy machine it is the precise one (see its A/A control).")
print("Bulk transfers are judged on callgrind's instructions per MiB (timings of one transfer spread too much).")
print()
head = ("case", "baseline", "shim", "ratio (median)", "spread", "best", "target", "result")
print("| " + " | ".join(head) + " |")
print("|" + "|".join(" --- " for _ in head) + "|")
for row in rows:
    print("| " + " | ".join(row[:8]) + " |")
judged, parent = [], ""
for r in rows:
    if not r[0].startswith(" "):
        parent = r[0]
    if r[8] is not None and r[9] is not None:
        judged.append((r, parent if r[0].startswith(" ") else ""))
if judged:
    worst, parent = max(judged, key=lambda x: x[0][8])
    name = worst[0].strip() if not parent else "%s: %s" % (parent, worst[0].strip())
    print()
    print("worst ratio: %.3f (%s; target %s)" % (worst[9], name, worst[6]))
