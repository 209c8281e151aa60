#!/bin/bash
# t_fleet.sh - the fleet recipe of docs/fleet.md, run (issue 13): two rsyslogd
# processes on loopback, each with its own config file, work folder and pid
# file: an edge (imuxsock on a socket of the temp folder, which is
# bind-mounted over /dev/log for the clients inside `unshare -m`, and imfile
# reading the library's JSON log) forwarding over TCP to a central instance
# (imtcp on 127.0.0.1) that writes one folder per machine and one file per
# route.  The two configs are taken from docs/fleet.md (```rsyslog
# title=edge.conf / central.conf blocks), only the placeholders filled in,
# so the document cannot drift from what is tested.
#
# Real clients under the library (report mode, log.syslog = "json", log.json,
# verdicts = "all") pass, fail, repeat (coalesced) and are refused by an
# enforced entry; after each run the test waits (bounded) until both routes
# carry exactly the library's JSON log lines to the central files, with the
# machine name edge1, and the verdict counts (sum of "repeat", absent = 1) are
# what the clients did.  Then `pinshim report --json` reads the central files
# of each route alone (skipped when this build has no `pinshim report`).  Needs root (mount namespace) and rsyslogd; the machine's own
# rsyslog, /etc/rsyslog.conf, /var/log and /dev/log are never used.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

RSYSLOGD=${RSYSLOGD:-/usr/sbin/rsyslogd}
[ "$(id -u)" = 0 ] || skip_all "needs root (a private mount namespace for /dev/log)"
[ -x "$RSYSLOGD" ] || skip_all "rsyslogd not installed ($RSYSLOGD)"
require_cmd unshare mount
common_setup
need_pinshim_bin
timeout 10 unshare -m --propagation private sh -c \
    "mkdir -p '$T/nsprobe' && mount -t tmpfs none '$T/nsprobe' && umount '$T/nsprobe'" 2>/dev/null ||
    skip_all "unshare -m with tmpfs and bind mounts does not work here"

DOC=$top_srcdir/docs/fleet.md
[ -f "$DOC" ] || hard_error "no $DOC"
MACHINE=edge1                 # localHostname of the doc's edge.conf
EDGE=$T/edge
CENTRAL=$T/central
DEVLOG=$EDGE/log.sock         # @DEVLOG@: the edge's imuxsock socket
JSONLOG=$EDGE/pinshim.jsonl   # @JSONLOG@: the library's log.json (not lib.sh's $LOG: case_begin empties that)
LOGDIR=$CENTRAL/logs          # @LOGDIR@: what the central instance writes
mkdir -p "$EDGE/work" "$CENTRAL/work" "$LOGDIR" || hard_error "mkdir failed"
DEVLOG_BEFORE=$(stat -c '%F %i' /dev/log 2>&1)

# doc_block TITLE OUT: the ```rsyslog title=TITLE block of docs/fleet.md into
# OUT; fails unless there is exactly one, not empty.
doc_block() {
    local n
    n=$(grep -cx '```rsyslog title='"$1" "$DOC")
    [ "$n" = 1 ] || { echo "$n blocks \`\`\`rsyslog title=$1 in $DOC, expected 1"; return 1; }
    awk -v want='```rsyslog title='"$1" '$0 == want { inb = 1; next } /^```$/ { inb = 0 } inb' "$DOC" > "$2"
    [ -s "$2" ] || { echo "the block $1 of $DOC is empty"; return 1; }
}

# fill_in IN OUT NAME=VALUE...: IN with each @NAME@ replaced by VALUE; fails
# when a placeholder is left over.
fill_in() {
    local in=$1 out=$2 text kv
    shift 2
    text=$(cat "$in") || return 1
    for kv in "$@"; do
        text=${text//@${kv%%=*}@/${kv#*=}}
    done
    printf '%s\n' "$text" > "$out"
    if grep -Eq '@[A-Z]+@' "$out"; then
        echo "placeholders left in $out: $(grep -Eo '@[A-Z]+@' "$out" | sort -u | tr '\n' ' ')"
        return 1
    fi
}

# listening PID PORT: wait (bounded) until process PID has a TCP socket
# listening on 127.0.0.1:PORT (its own, not another process's that took the
# port first); fails at once if PID is gone.
listening() {
    "$PYTHON3" - "$1" "$2" <<'PY'
import os, sys, time
pid, port = sys.argv[1], int(sys.argv[2])
end = time.time() + 15
while time.time() < end:
    if not os.path.exists("/proc/%s" % pid):
        sys.exit("rsyslogd %s is gone" % pid)
    inodes = set()
    try:
        with open("/proc/net/tcp") as f:
            for line in f.readlines()[1:]:
                p = line.split()
                if p[1] == "0100007F:%04X" % port and p[3] == "0A":
                    inodes.add(p[9])
        fds = set()
        for fd in os.listdir("/proc/%s/fd" % pid):
            try:
                fds.add(os.readlink("/proc/%s/fd/%s" % (pid, fd)))
            except OSError:
                pass
    except OSError:
        fds = set()
    if any("socket:[%s]" % i in fds for i in inodes):
        sys.exit(0)
    time.sleep(0.05)
sys.exit("rsyslogd %s does not listen on 127.0.0.1:%d" % (pid, port))
PY
}

# The clients: inside `unshare -m`, /dev a fresh tmpfs with the few device
# nodes programs need, and the edge's socket bind-mounted on /dev/log.
cat > "$T/ns.sh" <<'NSEOF'
# ns.sh SOCKET CMD...: inside `unshare -m`: /dev a tmpfs, SOCKET on /dev/log; then CMD.
set -u
sock=$1
shift
. "$NS_LIB/fresh_dev.sh"
: > /dev/log && mount --bind "$sock" /dev/log || exit 97
exec "$@"
NSEOF

# at_edge CMD...: CMD preloaded with $CONF, bounded, its /dev/log the edge's
# socket.  Sets OUT ERR RC like run_preloaded.
at_edge() {
    _RUN_N=$((_RUN_N + 1))
    OUT=$T/run$_RUN_N.out
    ERR=$T/run$_RUN_N.err
    RUN_CMD="(unshare -m, /dev/log = the edge) $*"
    timeout -k 5 "${RUN_TIMEOUT:-30}" env NS_T="$T" NS_LIB="$_lib_dir" unshare -m --propagation private bash "$T/ns.sh" "$DEVLOG" \
        env LD_PRELOAD="${PINSHIM_PRELOAD:-$PINSHIM_LIB}" PINSHIM_CONFIG="$CONF" "$@" >"$OUT" 2>"$ERR"
    RC=$?
    [ "$RC" = 97 ] && case_fail "namespace set-up failed: $(head -c 300 "$ERR")"
    check_timeout
}

# What the clients did: events per "HOST VERDICT ACTION".
declare -A DID=()
did() { DID["$1 $2 $3"]=$((${DID["$1 $2 $3"]:-0} + $4)); }
did_args() {
    local k
    for k in "${!DID[@]}"; do
        printf '%s=%s\n' "${k// //}" "${DID[$k]}"
    done
}

# central_has SECONDS: wait (at most SECONDS) until each route's file of the
# central host holds exactly the library's JSON log lines: the syslog route
# "TIME edge1 pinshim[PID]: @cee: {...}", the file route "TIME edge1
# pinshim-json: {...}", every object parsed by json.loads, the same objects
# as the JSON log one for one, and per host, verdict and action the events
# (sum of "repeat", absent = 1) the clients made.  Then nothing else in the
# central folder.
cat > "$T/central_has.py" <<'PY'
import collections, json, os, re, sys, time
logdir, jsonlog, machine, secs = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
did = {}
for a in sys.argv[5:]:
    k, _, n = a.rpartition("=")
    did[tuple(k.split("/"))] = int(n)
TS = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:\d\d|Z)"
routes = {
    "syslog": ("pinshim.log", re.compile(r"^(?P<time>%s) (?P<host>\S+) pinshim\[\d+\]: @cee: (?P<json>.*)$" % TS)),
    "file": ("pinshim-json.log", re.compile(r"^(?P<time>%s) (?P<host>\S+) pinshim-json: (?P<json>.*)$" % TS)),
}

def key(o):
    return json.dumps(o, sort_keys=True)

def events(objs):
    c = collections.Counter()
    for o in objs:
        c[(o.get("host"), o.get("verdict"), o.get("action"))] += o.get("repeat", 1)
    return dict(c)

def problems():
    out = []
    want = [json.loads(l) for l in open(jsonlog) if l.strip()]
    if events(want) != did:
        out.append("the JSON log itself: events %s, the clients made %s" % (events(want), did))
    for route, (name, rx) in routes.items():
        path = os.path.join(logdir, machine, name)
        if not os.path.exists(path):
            out.append("%s route: no %s" % (route, path))
            continue
        data = open(path, "rb").read().decode("utf-8")
        lines = data.split("\n")
        lines.pop()   # what follows the last newline: nothing, or a line being written
        objs = []
        for l in lines:
            m = rx.match(l)
            if not m:
                out.append("%s route: a line not in the expected form: %r" % (route, l[:300]))
                continue
            if m.group("host") != machine:
                out.append("%s route: host name %r, not %r" % (route, m.group("host"), machine))
            try:
                o = json.loads(m.group("json"))
            except ValueError as e:
                out.append("%s route: not JSON (%s): %r" % (route, e, l[:300]))
                continue
            objs.append(o)
        if sorted(map(key, objs)) != sorted(map(key, want)):
            out.append("%s route: %d records, events %s; the JSON log: %d lines, events %s" % (
                route, len(objs), events(objs), len(want), events(want)))
    return out

end = time.time() + secs
while True:
    p = problems()
    if not p or time.time() >= end:
        break
    time.sleep(0.1)
extra = []
for d, _, files in os.walk(logdir):
    for f in files:
        rel = os.path.relpath(os.path.join(d, f), logdir)
        if rel not in (machine + "/pinshim.log", machine + "/pinshim-json.log"):
            extra.append(rel)
if extra:
    p.append("other files in the central folder: %s" % extra)
if p:
    sys.exit("\n".join(p))
PY
central_has() {
    local msg
    # shellcheck disable=SC2046
    if ! msg=$("$PYTHON3" "$T/central_has.py" "$LOGDIR" "$JSONLOG" "$MACHINE" "$1" $(did_args) 2>&1); then
        case_fail "central: $msg"
        [ -s "$EDGE/out" ] && case_fail "edge rsyslogd said: $(tail -n 5 "$EDGE/out")"
        [ -s "$CENTRAL/out" ] && case_fail "central rsyslogd said: $(tail -n 5 "$CENTRAL/out")"
    fi
}

# ------------------------------------------------------------ the configs ---

case_begin "docs/fleet.md: the edge.conf and central.conf blocks, placeholders filled in, accepted by rsyslogd -N1"
OUT=$T/doc.out ERR=$T/doc.err RUN_CMD="doc_block; rsyslogd -N1"
: > "$ERR"
doc_block edge.conf "$T/edge.conf.in" > "$OUT" || case_fail "$(cat "$OUT")"
doc_block central.conf "$T/central.conf.in" > "$OUT" || case_fail "$(cat "$OUT")"
# Placeholders the doc explains, each in the table of docs/fleet.md.
for p in WORKDIR DEVLOG JSONLOG PORT LOGDIR; do
    grep -q "^| \`@$p@\` |" "$DOC" || case_fail "docs/fleet.md does not explain @$p@ in its table"
done
PORT=$(unused_port)
if fill_in "$T/edge.conf.in" "$EDGE/rsyslog.conf" WORKDIR="$EDGE/work" DEVLOG="$DEVLOG" JSONLOG="$JSONLOG" \
    PORT="$PORT" > "$OUT" &&
    fill_in "$T/central.conf.in" "$CENTRAL/rsyslog.conf" WORKDIR="$CENTRAL/work" LOGDIR="$LOGDIR" \
        PORT="$PORT" > "$OUT"; then
    for c in "$EDGE/rsyslog.conf" "$CENTRAL/rsyslog.conf"; do
        timeout 20 "$RSYSLOGD" -N1 -f "$c" > "$OUT" 2>&1 || case_fail "rsyslogd -N1 -f $c: $(cat "$OUT")"
    done
    grep -q "localHostname=\"$MACHINE\"" "$EDGE/rsyslog.conf" || case_fail "edge.conf does not name the machine $MACHINE"
else
    case_fail "$(cat "$OUT")"
fi
case_end || finish

# ---------------------------------------------------- the two instances ---

# start_central: rsyslogd -n with central.conf on a free port; another port
# (edge config filled in again) when the port was taken before it bound it.
start_central() {
    local attempt
    for attempt in 1 2 3; do
        [ "$attempt" = 1 ] || PORT=$(unused_port)
        fill_in "$T/central.conf.in" "$CENTRAL/rsyslog.conf" WORKDIR="$CENTRAL/work" LOGDIR="$LOGDIR" PORT="$PORT" &&
            fill_in "$T/edge.conf.in" "$EDGE/rsyslog.conf" WORKDIR="$EDGE/work" DEVLOG="$DEVLOG" \
                JSONLOG="$JSONLOG" PORT="$PORT" || return 1
        "$RSYSLOGD" -n -f "$CENTRAL/rsyslog.conf" -i "$CENTRAL/rsyslogd$attempt.pid" \
            >"$CENTRAL/out" 2>&1 </dev/null &
        CENTRAL_PID=$!
        _SERVER_PIDS="$_SERVER_PIDS $CENTRAL_PID"
        listening "$CENTRAL_PID" "$PORT" && return 0
        stop_pids 30 "$CENTRAL_PID"
    done
    return 1
}

# start_edge: rsyslogd -n with edge.conf; up when its socket is there.
start_edge() {
    local _
    "$RSYSLOGD" -n -f "$EDGE/rsyslog.conf" -i "$EDGE/rsyslogd.pid" >"$EDGE/out" 2>&1 </dev/null &
    EDGE_PID=$!
    _SERVER_PIDS="$_SERVER_PIDS $EDGE_PID"
    for _ in $(seq 1 300); do
        [ -S "$DEVLOG" ] && return 0
        kill -0 "$EDGE_PID" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

start_server "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "TLS server did not start"
# The rollout config of docs/fleet.md: report mode, every verdict, both logs.
# pinned.test passes, bad.test fails (allowed: report mode), good.test has no
# entry (unpinned, allowed), *.wild.test is enforced already with a wrong pin.
write_conf "$CONF" -m report -e false -j "$JSONLOG" -v all \
    pinned.test "$PIN_INT" bad.test "$PIN_UNRELATED" '*.wild.test{mode = "enforce";}' "$PIN_UNRELATED"
sed -i 's/syslog = false;/syslog = "json";/' "$CONF"
grep -q 'syslog = "json";' "$CONF" || hard_error "no syslog = \"json\" in $CONF"
# Made before the edge starts, as the library makes it (0640): imfile reads it from the start.
install -m 0640 /dev/null "$JSONLOG"

case_begin "the central rsyslogd listens on 127.0.0.1, the edge rsyslogd on its socket (own configs, work folders, pid files)"
OUT=$CENTRAL/out ERR=$EDGE/out RUN_CMD="rsyslogd -n -f central.conf; rsyslogd -n -f edge.conf"
if ! start_central; then
    case_fail "the central rsyslogd did not come up"
elif ! start_edge; then
    case_fail "the edge rsyslogd did not come up (no socket $DEVLOG)"
fi
case_end || finish

tc() {
    at_edge "$TEST_CLIENT" --host 127.0.0.1 --port "$SERVER_PORT" --cafile "$PKI/root.pem" "$@"
}

# ----------------------------------------------------------- the clients ---

case_begin "report mode, tls_client: 3 passes and 3 failures in one process (one line each, then one coalesced repeat) reach the central host by both routes"
tc --threads 1 --count 6 --hosts pinned.test,bad.test --send "fleet"
check_rc 0
check_out_has '^summary total ok=6 refused=0 '
did pinned.test pass allowed 3
did bad.test fail allowed 3
central_has 20
case_end

case_begin "one more pass, one failure allowed by report mode, an unpinned host: each arrives by both routes"
tc --sni pinned.test --send "fleet"
check_rc 0
tc --sni bad.test --send "fleet"
check_rc 0
did pinned.test pass allowed 1
did bad.test fail allowed 1
central_has 20
tc --sni good.test --send "fleet"
check_rc 0
did good.test unpinned allowed 1
central_has 20
case_end

case_begin "an entry enforced already, wrong pin, twice in one process: both refusals (a coalesced repeat) arrive"
tc --threads 1 --count 2 --hosts a.wild.test
check_rc 2
check_out_has '^summary total ok=0 refused=2 pinblock=2 '
did a.wild.test fail blocked 2
central_has 20
case_end

if command -v curl >/dev/null 2>&1; then
    case_begin "curl: a pass arrives by both routes"
    at_edge curl -sS --max-time 20 --cacert "$PKI/root.pem" \
        --resolve "pinned.test:$SERVER_PORT:127.0.0.1" "https://pinned.test:$SERVER_PORT/"
    check_rc 0
    check_out_has 'pinshim test server: ok'
    did pinned.test pass allowed 1
    central_has 20
    case_end
else
    skip "curl: not installed"
fi

case_begin "both rsyslogd stopped: the central files hold every record once per route, nothing else; the system's /dev/log as it was"
OUT=$CENTRAL/out ERR=$EDGE/out RUN_CMD="kill -TERM edge, central"
stop_pids 100 "$EDGE_PID"
stop_pids 100 "$CENTRAL_PID"
central_has 0
[ "$(stat -c '%F %i' /dev/log 2>&1)" = "$DEVLOG_BEFORE" ] || case_fail "/dev/log changed: $(stat -c '%F %i' /dev/log 2>&1), was $DEVLOG_BEFORE"
case_end

# ------------------------------------------------------------ the report ---

# Each route's files alone: the syslog route's (*/pinshim.log) and the file
# route's (*/pinshim-json.log) carry the same events, so a report over both
# would count each twice.  Both reports must say the same.
cat > "$T/report_check.py" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
port, machine, nlines = int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
did = {}
for a in sys.argv[5:]:
    k, _, n = a.rpartition("=")
    h, v, act = k.split("/")
    did.setdefault(h, {}).setdefault(v, {})[act] = int(n)
assert doc["records"] == nlines and doc["skipped"] == 0, \
    "records %r, skipped %r; the files have %d lines" % (doc["records"], doc["skipped"], nlines)
states = {"pinned.test": "ready", "bad.test": "would_break", "a.wild.test": "blocking", "good.test": "unpinned"}
hosts = {h["host"]: h for h in doc["hosts"]}
assert sorted(hosts) == sorted(did), "hosts %s, expected %s" % (sorted(hosts), sorted(did))
for name, want in did.items():
    h = hosts[name]
    assert h["port"] == port, "%s: port %r, expected %d" % (name, h["port"], port)
    total = sum(n for acts in want.values() for n in acts.values())
    assert h["events"] == total, "%s: %r events, expected %d" % (name, h["events"], total)
    by = h["by_verdict"]
    for v in set(by) | set(want):
        for act in ("allowed", "blocked"):
            got = by.get(v, {}).get(act, 0)
            exp = want.get(v, {}).get(act, 0)
            assert got == exp, "%s: by_verdict %s/%s = %r, expected %d (%s)" % (name, v, act, got, exp, by)
    assert h["state"] == states[name], "%s: state %r, expected %r" % (name, h["state"], states[name])
total = sum(n for acts in did.values() for a in acts.values() for n in a.values())
machines = {m["name"]: m["events"] for m in doc["machines"]}
assert machines == {machine: total}, "machines %s, expected %s" % (machines, {machine: total})
PY
if "$PINSHIM_BIN" report --help >/dev/null 2>&1; then
    for route in pinshim:syslog pinshim-json:file; do
        case_begin "pinshim report --json over the central files of the ${route#*:} route (*/${route%%:*}.log): hosts, verdicts, states, the machine"
        run_plain "$PINSHIM_BIN" report --json "$LOGDIR"/*/"${route%%:*}.log"
        check_rc 0
        nlines=$(cat "$LOGDIR"/*/"${route%%:*}.log" | wc -l)
        # shellcheck disable=SC2046
        "$PYTHON3" "$T/report_check.py" "$OUT" "$SERVER_PORT" "$MACHINE" "$nlines" $(did_args) > "$T/report.check" 2>&1 ||
            case_fail "report: $(cat "$T/report.check")"
        case_end
    done
else
    skip "pinshim report --json over the central files (pinshim report is not in this build)"
fi

finish
