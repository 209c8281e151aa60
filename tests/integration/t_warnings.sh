#!/bin/bash
# t_warnings.sh - early expiry warnings (issue 5): a pass whose pinned
# certificate, or whose pin set (`expires`), runs out within warn_days
# (default 30) carries a `warning` in the JSON log (and "WARNING:" on the
# stderr line) once per host per process per day; verdicts = "failures" still
# logs it.  warn_days (per entry or global) changes the horizon.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

common_setup
require_cmd date

# mkleaf NAME DAYS: a leaf of the genuine intermediate valid for DAYS days,
# with the names of make_pki's leaves; chain-NAME.pem = leaf + intermediate.
mkleaf() {
    local n=$1 days=$2
    (
        cd "$PKI" || exit 1
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$n.key" 2>/dev/null &&
            openssl req -new -key "$n.key" -subj "/O=pinshim test/CN=pinned.test" -out "$n.csr" 2>/dev/null &&
            openssl x509 -req -in "$n.csr" -CA int.pem -CAkey int.key -set_serial "$(_serial)" \
                -days "$days" -sha256 -extfile ext.cnf -extensions v3_leaf -out "$n.pem" 2>/dev/null &&
            cat "$n.pem" int.pem > "chain-$n.pem"
    ) || hard_error "cannot make the $days-day leaf $n"
}

mkleaf leaf5 5
mkleaf leaf100 100
mkleaf leaf365 365
# Pins in curl's sha256// form, unambiguous whatever the random key: pins
# starting with '/' in the sha256/ form are t_tofu.sh's subject, not this.
PIN_LEAF5=sha256//$(pin_of "$PKI/leaf5.pem")
PIN_LEAF100=sha256//$(pin_of "$PKI/leaf100.pem")
PIN_LEAF365=sha256//$(pin_of "$PKI/leaf365.pem")
# The day the 5-day leaf ends, as the warning should name it.
END5=$(date -u -d "$(openssl x509 -in "$PKI/leaf5.pem" -noout -enddate | sed 's/^notAfter=//')" +%F)
IN10=$(day +10)
[ -n "$END5" ] && [ -n "$IN10" ] || hard_error "date arithmetic failed"

start_server -n d5 "$PKI/chain-leaf5.pem" "$PKI/leaf5.key" || hard_error "server d5"
start_server -n d100 "$PKI/chain-leaf100.pem" "$PKI/leaf100.key" || hard_error "server d100"
start_server -n d365 "$PKI/chain-leaf365.pem" "$PKI/leaf365.key" || hard_error "server d365"

# wcheck [--lines N] [--warned N] [--events N] [--contains TEXT]... [--host H]
#   checks the JSON log: N lines (for H), N events with a warning and N events
#   in all (counting "repeat"), every warning contains every TEXT, every line
#   a pass.
cat > "$T/wcheck.py" <<'PYEOF'
import argparse, json, sys
p = argparse.ArgumentParser()
p.add_argument("log")
p.add_argument("--lines", type=int)
p.add_argument("--warned", type=int)
p.add_argument("--events", type=int)
p.add_argument("--contains", action="append", default=[])
p.add_argument("--host")
a = p.parse_args()
lines = [json.loads(l) for l in open(a.log) if l.strip()]
if a.host:
    lines = [o for o in lines if o.get("host") == a.host]
warned = [o for o in lines if "warning" in o]
def bad(msg):
    print(msg + "; log (%d lines): " % len(lines) + " | ".join(json.dumps(o)[:300] for o in lines[:4]))
    sys.exit(1)
nwarned = sum(o.get("repeat", 1) for o in warned)
if a.warned is not None and nwarned != a.warned:
    bad("%d events with a warning (sum of repeat), expected %d" % (nwarned, a.warned))
if a.lines is not None and len(lines) != a.lines:
    bad("%d lines, expected %d" % (len(lines), a.lines))
events = sum(o.get("repeat", 1) for o in lines)
if a.events is not None and events != a.events:
    bad("%d events, expected %d" % (events, a.events))
for o in lines:
    if o.get("verdict") != "pass" or o.get("action") != "allowed":
        bad("a line is not pass/allowed")
for o in warned:
    w = o["warning"]
    if not isinstance(w, str) or not w:
        bad("warning is not a non-empty string")
    for t in a.contains:
        if t not in w:
            bad("the warning %r does not contain %r" % (w, t))
for o in warned:
    print("warning: " + o["warning"])
PYEOF

wcheck() {
    local msg
    msg=$("$PYTHON3" "$T/wcheck.py" "$LOG" "$@" 2>&1) || { case_fail "json log: $msg"; return; }
    [ -n "$msg" ] && diag "$msg"
}

# run3 [HOSTS]: one tls_client process, 3 handshakes one after another.
run3() {
    client --cafile "$PKI/root.pem" --threads 1 --count "${2:-3}" --hosts "${1:-pinned.test}" --send x
}

# ------------------------------------------------------------------ cases ---

use_server d5
write_conf "$CONF" -v failures pinned.test "$PIN_LEAF5"

case_begin "leaf expiring in 5 days, pinned, verdicts=failures: 3 connections in one process pass; ONE JSON line, a pass with a warning naming $END5"
run3
check_rc 0
check_out_has '^summary total ok=3 refused=0 '
wcheck --lines 1 --warned 1 --contains "$END5" --contains "expire"
n=$(grep -c 'WARNING: ' "$ERR")
[ "$n" = 1 ] || case_fail "$n stderr lines with WARNING, expected 1"
check_err_has "WARNING: .*$END5"
check_log_fields
case_end
PID1=$("$PYTHON3" -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["pid"])' "$LOG" 2>/dev/null)

case_begin "the same in a new process: again exactly one warning (another pid)"
run3
check_rc 0
wcheck --lines 1 --warned 1 --contains "$END5"
PID2=$("$PYTHON3" -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["pid"])' "$LOG" 2>/dev/null)
[ -n "$PID2" ] && [ "$PID2" != "${PID1:-}" ] || case_fail "pid $PID2 is not a new process (first: ${PID1:-?})"
case_end

case_begin "verdicts=all: 3 connections, 3 pass events in the log (sum of repeat), exactly one carries the warning"
write_conf "$CONF" -v all pinned.test "$PIN_LEAF5"
run3
check_rc 0
wcheck --events 3 --warned 1 --contains "$END5"
case_end

case_begin "two hosts in one process (pinned.test, good.test; 3 connections each): one warning per host"
write_conf "$CONF" -v failures pinned.test "$PIN_LEAF5" good.test "$PIN_LEAF5"
run3 pinned.test,good.test 6
check_rc 0
check_out_has '^summary total ok=6 refused=0 '
wcheck --lines 2 --warned 2 --contains "$END5"
wcheck --host pinned.test --lines 1 --warned 1
wcheck --host good.test --lines 1 --warned 1
case_end

case_begin "python3, one process, 3 connections (urllib-free ssl): one warning"
write_conf "$CONF" -v failures pinned.test "$PIN_LEAF5"
run_preloaded "$PYTHON3" - "$SERVER_PORT" "$PKI/root.pem" <<'PYEOF'
import socket, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
for i in range(3):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="pinned.test") as s:
            s.sendall(b"GET /w HTTP/1.1\r\nHost: pinned.test\r\nConnection: close\r\n\r\n")
            print("ok", s.recv(100).split(b"\r\n")[0].decode())
PYEOF
check_rc 0
check_count '^ok HTTP/1.1 200 OK$' 3
wcheck --lines 1 --warned 1 --contains "$END5"
case_end

case_begin "warn_days = 3 on the entry: no warning for the 5-day leaf (verdicts=failures: nothing logged)"
write_conf "$CONF" -v failures 'pinned.test{warn_days = 3;}' "$PIN_LEAF5"
run3
check_rc 0
wcheck --lines 0
check_err_lacks 'WARNING'
case_end

case_begin "warn_days = 3 on the entry, verdicts=all: 3 pass events, none with a warning"
write_conf "$CONF" -v all 'pinned.test{warn_days = 3;}' "$PIN_LEAF5"
run3
check_rc 0
wcheck --events 3 --warned 0
case_end

case_begin "global warn_days = 3: no warning; an entry's warn_days = 10 overrides it: warning"
write_conf "$CONF" -v failures -g 'warn_days = 3;' pinned.test "$PIN_LEAF5"
run3
check_rc 0
wcheck --lines 0
: > "$LOG"
write_conf "$CONF" -v failures -g 'warn_days = 3;' 'pinned.test{warn_days = 10;}' "$PIN_LEAF5"
run3
check_rc 0
wcheck --lines 1 --warned 1 --contains "$END5"
case_end

case_begin "warn_days = 0 turns the warning off"
write_conf "$CONF" -v failures -g 'warn_days = 0;' pinned.test "$PIN_LEAF5"
run3
check_rc 0
wcheck --lines 0
case_end

# Once per host: hosts that share whatever table remembers the warnings must
# not take each other's place.  pinned.test and c43.test fall into the same of
# 64 slots of an FNV-1a hash; 70 hosts are more than any 64-slot table holds.
case_begin "two hosts (pinned.test, c43.test), alternating, 3 connections each in one process: one warning per host"
write_conf "$CONF" -v failures pinned.test "$PIN_LEAF5" c43.test "$PIN_LEAF5"
run3 pinned.test,c43.test 6
check_rc 0
check_out_has '^summary total ok=6 refused=0 '
wcheck --host pinned.test --lines 1 --warned 1
wcheck --host c43.test --lines 1 --warned 1
case_end

case_begin "70 hosts, each connected to twice (two rounds) in one process: exactly 70 warnings, one per host"
hosts70=""
set --
for i in $(seq 1 70); do
    hosts70="$hosts70${hosts70:+,}h$i.test"
    set -- "$@" "h$i.test" "$PIN_LEAF5"
done
write_conf "$CONF" -v failures "$@"
set --
run3 "$hosts70" 140
check_rc 0
check_out_has '^summary total ok=140 refused=0 '
wcheck --warned 70 --lines 70 >/dev/null
"$PYTHON3" - "$LOG" > "$T/per-host.out" 2>&1 <<'PYEOF' || case_fail "$(cat "$T/per-host.out")"
import collections, json, sys
c = collections.Counter(json.loads(l)["host"] for l in open(sys.argv[1]) if l.strip())
twice = sorted(h for h, n in c.items() if n > 1)
if twice or len(c) != 70:
    sys.exit("%d hosts warned, %d of them more than once: %s" % (len(c), len(twice), ", ".join(twice[:10])))
PYEOF
case_end

use_server d365
case_begin "expires = $IN10 (10 days from today), long-lived leaf (365 days): a warning about the pin set, naming $IN10"
write_conf "$CONF" -v failures "pinned.test{expires = \"$IN10\";}" "$PIN_LEAF365"
run3
check_rc 0
wcheck --lines 1 --warned 1 --contains "$IN10" --contains "pin set"
check_err_has "WARNING: .*$IN10"
case_end

case_begin "expires in 10 days with warn_days = 5 on the entry: no warning"
write_conf "$CONF" -v failures "pinned.test{expires = \"$IN10\"; warn_days = 5;}" "$PIN_LEAF365"
run3
check_rc 0
wcheck --lines 0
case_end

case_begin "long-lived leaf (365 days), no expires: no warning (verdicts=all: passes without one)"
write_conf "$CONF" -v all pinned.test "$PIN_LEAF365"
run3
check_rc 0
wcheck --events 3 --warned 0
case_end

use_server d100
case_begin "leaf expiring in 100 days (default warn_days 30): no warning (failures: nothing logged)"
write_conf "$CONF" -v failures pinned.test "$PIN_LEAF100"
run3
check_rc 0
check_out_has '^summary total ok=3 refused=0 '
wcheck --lines 0
check_err_lacks 'WARNING'
case_end

case_begin "leaf expiring in 100 days, verdicts=all: 3 pass events, none with a warning"
write_conf "$CONF" -v all pinned.test "$PIN_LEAF100"
run3
check_rc 0
wcheck --events 3 --warned 0
case_end

case_begin "leaf expiring in 100 days with warn_days = 120: warned"
write_conf "$CONF" -v failures -g 'warn_days = 120;' pinned.test "$PIN_LEAF100"
run3
check_rc 0
wcheck --lines 1 --warned 1 --contains "$(date -u -d "$(openssl x509 -in "$PKI/leaf100.pem" -noout -enddate | sed 's/^notAfter=//')" +%F)"
case_end

finish
