#!/bin/bash
# t_coalesce.sh - coalesced log lines (issue 5, DESIGN 10): identical events
# (host, verdict, action, served chain) are one line at once, then ONE line
# with "repeat": N for the rest of their 60 s window; summing repeat (absent
# = 1) over the lines gives the exact number of events - for 10 000 failing
# handshakes in one process, for two keys interleaved, across fork() (each
# process reports its own) and at a normal exit.  The same for the stderr
# lines ("[N more times within 60 s]").  The server is `openssl s_server
# -www` (one C process, fast enough for 10 000 handshakes).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

common_setup
require_cmd cc

# The issue's number; PINSHIM_COALESCE_N only to try the test quickly by hand.
N=${PINSHIM_COALESCE_N:-10000}

# start_s_server: openssl s_server -www with the genuine chain, bounded
# lifetime, killed at exit.  Sets SERVER_PORT.
start_s_server() {
    local d=$T/s_server i
    mkdir -p "$d"
    timeout -k 5 400 openssl s_server -accept 127.0.0.1:0 -cert "$PKI/leaf.pem" -cert_chain "$PKI/int.pem" \
        -key "$PKI/leaf.key" -www -naccept 1000000 >"$d/out" 2>"$d/err" </dev/null &
    S_SERVER_PID=$!
    _SERVER_PIDS="$_SERVER_PIDS $S_SERVER_PID"
    SERVER_PORT=""
    for i in $(seq 1 200); do
        SERVER_PORT=$(sed -n 's/^ACCEPT 127\.0\.0\.1://p' "$d/out" 2>/dev/null)
        [ -n "$SERVER_PORT" ] && break
        kill -0 "$S_SERVER_PID" 2>/dev/null || break
        sleep 0.05
    done
    [ -n "$SERVER_PORT" ] || { diag "$(cat "$d/err")"; return 1; }
    SERVER_ADDR=127.0.0.1
    SERVER_CONNS=""
}
start_s_server || hard_error "openssl s_server did not start"

# pinned.test and good.test fail (two keys, fixed wrong pins); bad.test passes.
# The right pin is in curl's sha256// form, unambiguous whatever the random key:
# pins starting with '/' in the sha256/ form are t_tofu.sh's subject, not this.
WRONG1=sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
WRONG2=sha256/BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=
write_conf "$CONF" -v all pinned.test "$WRONG1" good.test "$WRONG2" bad.test "sha256//$PIN_INT"

# sums HOST: "LINES EVENTS" of the JSON log for HOST.
json_sums() {
    "$PYTHON3" - "$LOG" "$1" <<'PYEOF'
import json, sys
n = e = 0
for l in open(sys.argv[1]):
    if l.strip():
        o = json.loads(l)
        if o.get("host") == sys.argv[2]:
            n += 1
            e += o.get("repeat", 1)
print(n, e)
PYEOF
}

# stderr_sums FILE HOST: "LINES EVENTS" of pinshim's stderr lines for HOST
# (a line "... [N more times within 60 s]" stands for N events).
stderr_sums() {
    awk -v h="$2" '
        $1 == "pinshim:" && ($3 == h || index($3, h ":") == 1) {
            n++
            if (match($0, /\[[0-9]+ more times within [0-9]+ s\]/)) {
                s = substr($0, RSTART + 1, RLENGTH - 2); split(s, f, " "); e += f[1]
            } else e++
        }
        END { printf "%d %d\n", n, e }' "$1"
}

# check_sums HOST EVENTS MAXLINES [STDERR-FILE]
check_sums() {
    local host=$1 want=$2 max=$3 errf=${4:-$ERR} l e
    read -r l e < <(json_sums "$host")
    echo "# $host: $e events in $l JSON line(s)"
    [ "$e" = "$want" ] || case_fail "$host: the JSON lines sum to $e events, expected exactly $want"
    [ "$l" -ge 1 ] && [ "$l" -le "$max" ] || case_fail "$host: $l JSON lines, expected 1..$max"
    read -r l e < <(stderr_sums "$errf" "$host")
    echo "# $host: $e events in $l stderr line(s)"
    [ "$e" = "$want" ] || case_fail "$host: the stderr lines sum to $e events, expected exactly $want"
    [ "$l" -ge 1 ] && [ "$l" -le "$max" ] || case_fail "$host: $l stderr lines, expected 1..$max"
}

# ------------------------------------------------------------------ cases ---

case_begin "$N failing handshakes in ONE process (tls_client, 2 threads, TLS 1.2, wrong pin): every one refused, <= 5 JSON lines whose repeats sum to exactly $N, the same on stderr"
t0=$EPOCHREALTIME
RUN_TIMEOUT=300 client --cafile "$PKI/root.pem" --sni pinned.test --tls 1.2 --threads 2 --count "$N" \
    --hosts pinned.test --quiet --deadline 290
t1=$EPOCHREALTIME
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
echo "# $N handshakes in $secs s ($(awk -v a="$t0" -v b="$t1" -v n="$N" 'BEGIN { printf "%.0f", n / (b - a) }')/s)"
check_rc 2
check_timeout
check_out_has "^summary total ok=0 refused=$N pinblock=$N error=0 io_failed=0\$"
check_log fail blocked pinned.test "$N"
check_log_fields
check_sums pinned.test "$N" 5
# the first line is written at once, without repeat; the others carry it
"$PYTHON3" - "$LOG" > "$T/shape.out" 2>&1 <<'PYEOF' || case_fail "$(cat "$T/shape.out")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
if "repeat" in lines[0]:
    sys.exit("the first line has repeat: it should be written at once, alone")
if len(lines) < 2 or "repeat" not in lines[-1]:
    sys.exit("the last line (written at exit) has no repeat")
PYEOF
n=$(grep -c '^pinshim: ' "$ERR")
echo "# stderr: $n pinshim line(s) for $N refusals"
case_end

case_begin "three keys interleaved in one process (pinned.test fail, good.test fail, bad.test pass; verdicts=all): each summed separately and exactly"
RUN_TIMEOUT=200 client --cafile "$PKI/root.pem" --tls 1.2 --threads 1 --count 2000 \
    --hosts pinned.test,good.test,bad.test,pinned.test --quiet --deadline 190
check_rc 2
check_timeout
check_out_has '^summary sni=good\.test ok=0 refused=500 pinblock=500 '
check_out_has '^summary sni=bad\.test ok=500 refused=0 '
check_log fail blocked pinned.test 1000
check_log fail blocked good.test 500
check_log pass allowed bad.test 500
check_sums pinned.test 1000 5
check_sums good.test 500 5
# a pass line may carry an expiry warning (its own key): <= 5 lines still
check_sums bad.test 500 5
case_end

case_begin "150 failing hosts x 3 rounds in one process (more keys than a small table holds): every host sums to exactly 3, 450 in all"
set --
hosts150=""
for i in $(seq 1 150); do
    set -- "$@" "h$i.test" "$WRONG1"
    hosts150="$hosts150${hosts150:+,}h$i.test"
done
write_conf "$CONF" -v all "$@"
set --
RUN_TIMEOUT=120 client --cafile "$PKI/root.pem" --tls 1.2 --threads 1 --count 450 --hosts "$hosts150" --quiet --deadline 110
check_rc 2
check_out_has '^summary total ok=0 refused=450 pinblock=450 '
"$PYTHON3" - "$LOG" > "$T/many.out" 2>&1 <<'PYEOF' || case_fail "$(cat "$T/many.out")"
import collections, json, sys
ev, ln = collections.Counter(), collections.Counter()
for l in open(sys.argv[1]):
    if l.strip():
        o = json.loads(l)
        ev[o["host"]] += o.get("repeat", 1)
        ln[o["host"]] += 1
bad = {h: n for h, n in ev.items() if n != 3}
if len(ev) != 150 or bad or sum(ev.values()) != 450:
    sys.exit("%d hosts, %d events; hosts not at 3: %s" % (len(ev), sum(ev.values()), sorted(bad.items())[:10]))
print("150 hosts, 450 events in %d lines" % sum(ln.values()))
PYEOF
diag "$(cat "$T/many.out")"
case_end
write_conf "$CONF" -v all pinned.test "$WRONG1" good.test "$WRONG2" bad.test "sha256//$PIN_INT"

# ---- fork: the child reports its own events only ----

cat > "$T/forker.py" <<'PYEOF'
# forker.py PORT CAFILE N M K: N failing handshakes, fork; the child does M
# and exits normally (sys.exit); the parent waits, then does K more.
import os, socket, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
n, m, k = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
ctx = ssl.create_default_context(cafile=ca)
ctx.maximum_version = ssl.TLSVersion.TLSv1_2

def fails(count, who):
    refused = 0
    for _ in range(count):
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        try:
            s = ctx.wrap_socket(raw, server_hostname="pinned.test")
            s.close()
        except ssl.SSLCertVerificationError as e:
            if e.verify_code == 50:
                refused += 1
        finally:
            raw.close()
    print("%s pid=%d refused=%d of %d" % (who, os.getpid(), refused, count), flush=True)
    return refused == count

ok = fails(n, "parent-before")
pid = os.fork()
if pid == 0:
    sys.exit(0 if fails(m, "child") else 3)
_, status = os.waitpid(pid, 0)
print("child status=%d" % status, flush=True)
ok = fails(k, "parent-after") and ok
sys.exit(0 if ok and status == 0 else 1)
PYEOF

case_begin "fork: parent 300 failing, fork, child 200 failing and exits; parent 100 more: the lines sum to 600, per pid 400 and 200"
RUN_TIMEOUT=120 run_preloaded "$PYTHON3" "$T/forker.py" "$SERVER_PORT" "$PKI/root.pem" 300 200 100
check_rc 0
check_out_has '^parent-before pid=[0-9]+ refused=300 of 300$'
check_out_has '^child pid=[0-9]+ refused=200 of 200$'
check_out_has '^parent-after pid=[0-9]+ refused=100 of 100$'
check_out_has '^child status=0$'
check_log fail blocked pinned.test 600
check_sums pinned.test 600 6
ppid=$(sed -n 's/^parent-before pid=\([0-9]*\) .*/\1/p' "$OUT")
cpid=$(sed -n 's/^child pid=\([0-9]*\) .*/\1/p' "$OUT")
"$PYTHON3" - "$LOG" "$ppid" "$cpid" > "$T/perpid.out" 2>&1 <<'PYEOF' || case_fail "$(cat "$T/perpid.out")"
import collections, json, sys
ev, ln = collections.Counter(), collections.Counter()
for l in open(sys.argv[1]):
    if l.strip():
        o = json.loads(l)
        ev[o["pid"]] += o.get("repeat", 1)
        ln[o["pid"]] += 1
want = {int(sys.argv[2]): 400, int(sys.argv[3]): 200}
if dict(ev) != want:
    sys.exit("events per pid %s, expected %s (lines per pid %s)" % (dict(ev), want, dict(ln)))
print("events per pid %s, lines per pid %s" % (dict(ev), dict(ln)))
PYEOF
diag "$(cat "$T/perpid.out")"
case_end

# ---- the 60 s window closes at the next event (time shifted) ----

# A time() that runs ahead by the number of seconds in $TIMESHIFT_FILE,
# preloaded before the library: its log windows see the shifted clock.
cat > "$T/timeshift.c" <<'CEOF'
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
time_t time(time_t *out)
{
    struct timespec ts;
    long off = 0;
    const char *f = getenv("TIMESHIFT_FILE");
    clock_gettime(CLOCK_REALTIME, &ts);
    if (f) {
        FILE *fp = fopen(f, "re");
        if (fp) {
            if (fscanf(fp, "%ld", &off) != 1)
                off = 0;
            fclose(fp);
        }
    }
    if (out)
        *out = ts.tv_sec + off;
    return ts.tv_sec + off;
}
CEOF
${CC:-cc} -shared -fPIC -O1 -o "$T/timeshift.so" "$T/timeshift.c" 2>"$T/cc-timeshift.log" ||
    hard_error "cannot build timeshift.so: $(cat "$T/cc-timeshift.log")"

cat > "$T/window.py" <<'PYEOF'
# window.py PORT CAFILE LOG SHIFTFILE: 5 failing handshakes, then the clock
# jumps 61 s, then 1 more (it closes the window), then 2 more; after each
# stage the number of JSON lines is printed.
import socket, ssl, sys
port, ca, log, shift = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
def fail(count):
    for _ in range(count):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            try:
                ctx.wrap_socket(raw, server_hostname="pinned.test").close()
                print("unexpected pass")
            except ssl.SSLCertVerificationError:
                pass
def lines():
    with open(log) as f:
        return sum(1 for l in f if l.strip())
fail(5)
print("after 5: lines=%d" % lines(), flush=True)
open(shift, "w").write("61\n")
fail(1)
print("after 6: lines=%d" % lines(), flush=True)
fail(2)
print("after 8: lines=%d" % lines(), flush=True)
PYEOF

case_begin "the 60 s window: 5 events = 1 line now; after 61 s the next event writes 'repeat 4' and its own line at once; 2 more are written at exit as 'repeat 2'"
echo 0 > "$T/shift"
_RUN_N=$((_RUN_N + 1))
OUT=$T/run$_RUN_N.out
ERR=$T/run$_RUN_N.err
RUN_CMD="LD_PRELOAD='$T/timeshift.so $PINSHIM_LIB' python3 window.py"
timeout -k 5 60 env LD_PRELOAD="$T/timeshift.so $PINSHIM_LIB" PINSHIM_CONFIG="$CONF" TIMESHIFT_FILE="$T/shift" \
    "$PYTHON3" "$T/window.py" "$SERVER_PORT" "$PKI/root.pem" "$LOG" "$T/shift" >"$OUT" 2>"$ERR"
RC=$?
check_rc 0
check_out_lacks 'unexpected pass'
check_out_has '^after 5: lines=1$'
check_out_has '^after 6: lines=3$'
check_out_has '^after 8: lines=3$'
check_log fail blocked pinned.test 8
"$PYTHON3" - "$LOG" > "$T/window.out" 2>&1 <<'PYEOF' || case_fail "$(cat "$T/window.out")"
import json, sys
r = [json.loads(l).get("repeat") for l in open(sys.argv[1]) if l.strip()]
if r != [None, 4, None, 2]:
    sys.exit("repeat fields of the lines: %r, expected [absent, 4, absent, 2]" % r)
PYEOF
check_sums pinned.test 8 4
check_err_has '\[4 more times within 60 s\]'
check_err_has '\[2 more times within 60 s\]'
case_end

finish
