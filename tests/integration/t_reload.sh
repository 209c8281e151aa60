#!/bin/bash
# t_reload.sh - hot reload of the config in a running program (issue 5).
#
# One /usr/bin/python3 client, preloaded, connects every 0.2 s (bounded: at
# most 90 s, 2000 connections) and writes one timestamped line per
# connection.  While it runs the config is changed:
#   wrong pin -> right pin, edited in place (same inode)   first pass <= 2 s
#   right -> wrong, new file + mv (rename)                 first block <= 2 s,
#                                                          and it is a resumed
#                                                          TLS 1.2 session
#   wrong -> right by rename                               a resumed session
#                                                          passes <= 2 s
#   a broken edit (syntax error)                           the old policy keeps
#                                                          applying, ONE
#                                                          FILE:LINE complaint
#   the file deleted                                       the same, ONE complaint
#   a fixed file restored (wrong pin)                      applied <= 2 s
# The library looks at the file at most once a second on the handshake path,
# so a change must show within 1 s + one loop period + one handshake.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

common_setup

# How long a change may take to apply (the issue's number).
MAX_DELAY=2.0

start_server -n reload -t 1.2 "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server did not start"

cat > "$T/loop.py" <<'PYEOF'
# loop.py PORT SNI CAFILE STOPFILE INTERVAL LIMIT: connect every INTERVAL s
# until STOPFILE exists (at most LIMIT s and 2000 connections); resume the
# last good TLS 1.2 session each time.  One line per connection:
#   N start=EPOCH end=EPOCH result=ok|blocked|verifyfail|error reused=0|1 ...
import os, socket, ssl, sys, time

port, sni, cafile, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
interval, limit = float(sys.argv[5]), float(sys.argv[6])
ctx = ssl.create_default_context(cafile=cafile)
ctx.minimum_version = ssl.TLSVersion.TLSv1_2
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
sess = None
t0 = time.time()
n = 0
while n < 2000 and time.time() - t0 < limit and not os.path.exists(stop):
    n += 1
    start = time.time()
    s = None
    extra = ""
    reused = 0
    offered = 1 if sess is not None else 0
    try:
        raw = socket.create_connection(("127.0.0.1", port), timeout=5)
        s = ctx.wrap_socket(raw, server_hostname=sni, do_handshake_on_connect=False, session=sess)
        s.do_handshake()
        reused = 1 if s.session_reused else 0
        s.sendall(b"GET /reload/%d HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (n, sni.encode()))
        data = b""
        while len(data) < 65536:
            d = s.recv(4096)
            if not d:
                break
            data += d
        if data.startswith(b"HTTP/1.1 200 "):
            result = "ok"
            sess = s.session
        else:
            result = "badreply"
    except ssl.SSLCertVerificationError as e:
        result = "blocked" if e.verify_code == 50 else "verifyfail"
        extra = " code=%s" % e.verify_code
    except (ssl.SSLError, OSError) as e:
        result = "error"
        extra = " msg=%s" % str(e).replace(" ", "_")
    if s is not None:
        try:
            reused = 1 if s.session_reused else 0
        except (ValueError, OSError):
            pass
        try:
            s.close()
        except OSError:
            pass
    print("%d start=%.6f end=%.6f result=%s reused=%d offered=%d%s"
          % (n, start, time.time(), result, reused, offered, extra), flush=True)
    time.sleep(interval)
print("done n=%d" % n, flush=True)
PYEOF

RIGHT=$T/conf-right
WRONG=$T/conf-wrong
# Pins in curl's sha256// form, unambiguous whatever the random key: pins
# starting with '/' in the sha256/ form are t_tofu.sh's subject, not this.
write_conf "$RIGHT" -v failures pinned.test "sha256//$PIN_LEAF"
write_conf "$WRONG" -v failures pinned.test "sha256//$PIN_UNRELATED"
# The same length: the in-place edit changes bytes, not the size.
[ "$(stat -c %s "$RIGHT")" = "$(stat -c %s "$WRONG")" ] || hard_error "config sizes differ"

# A syntax error on line 5 (lines 1-4 as written by write_conf).
BROKEN=$T/conf-broken
BROKEN_LINE=5
{
    head -n 4 "$RIGHT"
    echo 'this line is not libconfig'
    tail -n +5 "$RIGHT"
} > "$BROKEN"

# edit_in_place SRC: overwrite $CONF with SRC's bytes in the same inode, with
# no moment at which it is empty (write first, then cut to length): an empty
# file is a valid config that pins nothing.
edit_in_place() {
    "$PYTHON3" - "$CONF" "$1" <<'PYEOF'
import os, sys
data = open(sys.argv[2], "rb").read()
fd = os.open(sys.argv[1], os.O_WRONLY)
os.write(fd, data)
os.ftruncate(fd, len(data))
os.close(fd)
PYEOF
}

# replace_by_rename SRC: a new file beside $CONF, renamed over it.
replace_by_rename() {
    cp "$1" "$CONF.new" && mv -f "$CONF.new" "$CONF"
}

cp "$WRONG" "$CONF"

LOOP_OUT=$T/loop.out
LOOP_ERR=$T/loop.err
STOP=$T/loop.stop
env LD_PRELOAD="$PINSHIM_LIB" PINSHIM_CONFIG="$CONF" \
    "$PYTHON3" "$T/loop.py" "$SERVER_PORT" pinned.test "$PKI/root.pem" "$STOP" 0.2 90 \
    >"$LOOP_OUT" 2>"$LOOP_ERR" </dev/null &
LOOP_PID=$!
# lib.sh's cleanup (EXIT trap) TERMs, waits for and KILLs these.
_SERVER_PIDS="$_SERVER_PIDS $LOOP_PID"

now() { echo "$EPOCHREALTIME"; }

# lines_after T [RESULT]: loop lines that ended after T (with RESULT).
lines_after() {
    awk -v t="$1" -v r="${2:-}" '
        /^[0-9]+ start=/ {
            split($3, e, "="); split($4, x, "=")
            if (e[2] + 0 > t + 0 && (r == "" || x[2] == r)) print
        }' "$LOOP_OUT"
}

# wait_lines_after T N [SECS]: wait (bounded) until N lines ended after T.
wait_lines_after() {
    local t=$1 n=$2 secs=${3:-10} i
    for i in $(seq 1 $((secs * 20))); do
        [ "$(lines_after "$t" | wc -l)" -ge "$n" ] && return 0
        kill -0 "$LOOP_PID" 2>/dev/null || break
        sleep 0.05
    done
    [ "$(lines_after "$t" | wc -l)" -ge "$n" ]
}

# first_after T RESULT [SECS]: wait (bounded) for the first line after T
# with RESULT; sets FIRST (the line), FIRST_END (its end time) and DELAY
# (FIRST_END - T), or returns 1.
first_after() {
    local t=$1 r=$2 secs=${3:-6} i
    FIRST=""
    FIRST_END=""
    DELAY=""
    for i in $(seq 1 $((secs * 20))); do
        FIRST=$(lines_after "$t" "$r" | head -n 1)
        [ -n "$FIRST" ] && break
        kill -0 "$LOOP_PID" 2>/dev/null || break
        sleep 0.05
    done
    [ -n "$FIRST" ] || return 1
    FIRST_END=$(awk -v l="$FIRST" 'BEGIN { split(l, f, " "); split(f[3], e, "="); print e[2] }')
    DELAY=$(awk -v t="$t" -v e="$FIRST_END" 'BEGIN { printf "%.3f", e - t }')
    return 0
}

# check_applied NAME T RESULT: the first RESULT after T came within MAX_DELAY.
check_applied() {
    local what=$1 t=$2 r=$3
    if ! first_after "$t" "$r" 8; then
        case_fail "$what: no connection with result=$r within 8 s of the change"
        diag "loop lines after the change:" "$(lines_after "$t" | head -n 20)"
        return 1
    fi
    echo "# measured delay ($what): $DELAY s (first $r: $FIRST)"
    awk -v d="$DELAY" -v m="$MAX_DELAY" 'BEGIN { exit !(d + 0 <= m + 0) }' ||
        case_fail "$what: the first result=$r came $DELAY s after the change, more than $MAX_DELAY s"
    return 0
}

# check_stays T RESULT MIN: every line after T has RESULT, and there are at
# least MIN of them.
check_stays() {
    local t=$1 r=$2 min=$3 all other
    all=$(lines_after "$t" | wc -l)
    other=$(lines_after "$t" | grep -v " result=$r " | head -n 3)
    [ -z "$other" ] || case_fail "connections after $t that are not result=$r: $other"
    [ "$all" -ge "$min" ] || case_fail "only $all connections after $t, expected at least $min"
}

# conf_errors: the client's stderr lines naming the config with a line number.
conf_errors() {
    grep -F -- "pinshim: $CONF:" "$LOOP_ERR" | cut -c$((${#CONF} + 11))- | grep -Ec '^[0-9]+: '
}

diag_loop() {
    diag "--- loop client (last lines):" "$(tail -n 12 "$LOOP_OUT")"
    [ -s "$LOOP_ERR" ] && diag "--- loop client stderr:" "$(cut -c1-300 "$LOOP_ERR" | tail -n 10)"
}

# ------------------------------------------------------------------ cases ---

case_begin "running python3 client, wrong pin from the start: blocked (code 50)"
T0=$(now)
wait_lines_after 0 4 15 || case_fail "the loop client made fewer than 4 connections in 15 s"
check_stays 0 blocked 4
[ -n "$_CASE_ERRS" ] && diag_loop
case_end

case_begin "edit in place (same inode) wrong -> right pin: first pass within ${MAX_DELAY} s, then every connection passes"
ino=$(stat -c %i "$CONF")
T1=$(now)
edit_in_place "$RIGHT"
[ "$(stat -c %i "$CONF")" = "$ino" ] || case_fail "the edit changed the inode: not an edit in place"
check_applied "edit in place" "$T1" ok
if [ -n "$FIRST" ]; then
    T1ok=$FIRST_END
    wait_lines_after "$T1ok" 6 10 || true
    check_stays "$T1ok" ok 6
    # right pin: a resumed TLS 1.2 session passes (and is resumed)
    [ "$(lines_after "$T1ok" ok | grep -c ' reused=1 ')" -ge 5 ] ||
        case_fail "passing connections after the first are not resumed sessions: $(lines_after "$T1ok" | head -n 3)"
fi
[ -n "$_CASE_ERRS" ] && diag_loop
case_end

# DESIGN 3.5: the session the client offers is judged against the current
# pins before the ClientHello; failing them, it is not offered, and the full
# handshake that follows is blocked.  A resumption never passes what would
# fail in full.
case_begin "mv a new file over it (rename) right -> wrong: first block within ${MAX_DELAY} s; the client's session, judged on the current pins, is not resumed"
T2=$(now)
ino=$(stat -c %i "$CONF")
replace_by_rename "$WRONG"
[ "$(stat -c %i "$CONF")" != "$ino" ] || case_fail "the rename kept the inode"
check_applied "rename, right -> wrong" "$T2" blocked
if [ -n "$FIRST" ]; then
    case $FIRST in
    *" reused=0 offered=1 "*) ;;
    *) case_fail "the first blocked connection after the reload did not offer a session that was then dropped: $FIRST" ;;
    esac
    T2b=$FIRST_END
    # nothing passes once the wrong pin applies: resumed or not
    wait_lines_after "$T2b" 5 10 || true
    check_stays "$T2b" blocked 5
    [ "$(lines_after "$T2b" | grep -c ' offered=1 ')" -ge 4 ] ||
        case_fail "the client did not offer its session again"
fi
[ -n "$_CASE_ERRS" ] && diag_loop
case_end

case_begin "rename wrong -> right: a resumed session passes within ${MAX_DELAY} s (reused)"
T3=$(now)
replace_by_rename "$RIGHT"
check_applied "rename, wrong -> right" "$T3" ok
case $FIRST in
*" reused=1 "*) ;;
"") ;;
*) case_fail "the first pass after the reload was not a resumed session: $FIRST" ;;
esac
if [ -n "$FIRST" ]; then
    T3ok=$FIRST_END
    wait_lines_after "$T3ok" 4 10 || true
    check_stays "$T3ok" ok 4
fi
[ -n "$_CASE_ERRS" ] && diag_loop
case_end

case_begin "broken edit in place (syntax error, line $BROKEN_LINE): the last good policy keeps applying, ONE error line with FILE:LINE on the client's stderr"
before=$(conf_errors)
[ "$before" = 0 ] || case_fail "the client's stderr already names the config $before time(s) before the broken edit"
T4=$(now)
edit_in_place "$BROKEN"
# 3.5 s: at least three looks at the file
sleep 3.5
wait_lines_after "$T4" 10 10 || true
# fail closed would block everything; the last good policy is the right pin
check_stays "$T4" ok 10
n=$(conf_errors)
[ "$n" = 1 ] || case_fail "$n stderr lines name $CONF, expected exactly 1"
grep -Eq -- "^pinshim: $CONF:$BROKEN_LINE: .*keeping the last good policy" "$LOOP_ERR" ||
    case_fail "no stderr line 'pinshim: $CONF:$BROKEN_LINE: ... keeping the last good policy'"
grep -F -- "$CONF:" "$LOOP_ERR" | sed 's/^/# complaint: /'
[ -n "$_CASE_ERRS" ] && diag_loop
case_end

case_begin "config file deleted: the last good policy keeps applying, one complaint"
T5=$(now)
rm -f "$CONF"
sleep 3.5
wait_lines_after "$T5" 10 10 || true
check_stays "$T5" ok 10
n=$(grep -c 'the config file is gone' "$LOOP_ERR" | tr -d ' ')
[ "$n" = 1 ] || case_fail "$n 'config file is gone' lines on stderr, expected exactly 1"
grep -Fq -- "pinshim: $CONF: the config file is gone" "$LOOP_ERR" ||
    case_fail "the complaint does not name $CONF"
n=$(conf_errors)
[ "$n" = 1 ] || case_fail "$n stderr lines now name $CONF:LINE, expected still exactly 1 (the broken edit)"
grep -F 'the config file is gone' "$LOOP_ERR" | sed 's/^/# complaint: /'
[ -n "$_CASE_ERRS" ] && diag_loop
case_end

case_begin "a fixed file restored (wrong pin): applied within ${MAX_DELAY} s, the resumed session is blocked"
T6=$(now)
cp "$WRONG" "$CONF"
check_applied "restore after delete" "$T6" blocked
case $FIRST in
*" offered=1 "*) ;;
"") ;;
*) case_fail "the client offered no session: $FIRST" ;;
esac
if [ -n "$FIRST" ]; then
    T6b=$FIRST_END
    wait_lines_after "$T6b" 3 10 || true
    check_stays "$T6b" blocked 3
fi
[ -n "$_CASE_ERRS" ] && diag_loop
case_end

# A broken edit between two good versions, each change in place.
BROKEN6=$T/conf-broken6
BROKEN6_LINE=6
{
    head -n 5 "$RIGHT"
    echo 'hosts_too = ( { name = ; } );'
    tail -n +6 "$RIGHT"
} > "$BROKEN6"

case_begin "in place again wrong -> right: first pass within ${MAX_DELAY} s"
T7=$(now)
edit_in_place "$RIGHT"
check_applied "edit in place, again" "$T7" ok
[ -n "$_CASE_ERRS" ] && diag_loop
case_end

case_begin "good -> broken (line $BROKEN6_LINE) -> fixed, all in place: passes throughout, a second FILE:LINE complaint, then the fix (wrong pin) applies within ${MAX_DELAY} s"
T8=$(now)
edit_in_place "$BROKEN6"
sleep 2.5
wait_lines_after "$T8" 6 10 || true
check_stays "$T8" ok 6
n=$(conf_errors)
[ "$n" = 2 ] || case_fail "$n stderr lines name $CONF:LINE, expected 2 (line $BROKEN_LINE before, line $BROKEN6_LINE now)"
grep -Eq -- "^pinshim: $CONF:$BROKEN6_LINE: .*keeping the last good policy" "$LOOP_ERR" ||
    case_fail "no stderr line 'pinshim: $CONF:$BROKEN6_LINE: ... keeping the last good policy'"
T9=$(now)
edit_in_place "$WRONG"
check_applied "broken -> fixed in place" "$T9" blocked
[ -n "$_CASE_ERRS" ] && diag_loop
case_end

# Stop the client (bounded), then the whole run: no handshake errors of any
# other kind, no crash, one complaint of each kind.
: > "$STOP"
for i in $(seq 1 100); do
    kill -0 "$LOOP_PID" 2>/dev/null || break
    sleep 0.1
done
wait "$LOOP_PID" 2>/dev/null
LOOP_RC=$?

case_begin "the whole run: the client exited 0, every connection passed or was blocked by the pin, nothing else"
[ "$LOOP_RC" = 0 ] || case_fail "loop client exit status $LOOP_RC"
grep -q '^done n=' "$LOOP_OUT" || case_fail "the loop client did not finish"
bad=$(grep -E '^[0-9]+ start=' "$LOOP_OUT" | grep -Ev ' result=(ok|blocked) ' | head -n 5)
[ -z "$bad" ] || case_fail "other results: $bad"
n=$(grep -c '^pinshim: .*keeping the last good policy' "$LOOP_ERR" | tr -d ' ')
[ "$n" = 3 ] || case_fail "$n 'keeping the last good policy' lines in all, expected 3 (broken, deleted, broken)"
echo "# $(grep -c '^[0-9]* start=' "$LOOP_OUT") connections in $(awk -v a="$T0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s"
[ -n "$_CASE_ERRS" ] && diag_loop
case_end

# ---- a process that starts without a good policy ----

# conf_flip.py (lib.sh: $CONF_FLIP_PY): blocked 3 times, then NEWCONF is put
# in place; stops at the first pass (at most 10 s).

# check_recovery: the conf_flip run was blocked 3 times, then passed in time.
check_recovery() {
    local d
    check_rc 0
    check_out_has '^0 blocked50$'
    check_out_has '^2 blocked50$'
    check_out_has '^first pass [0-9.]+ s after the change$'
    d=$(sed -n 's/^first pass \([0-9.]*\) s after the change$/\1/p' "$OUT")
    [ -n "$d" ] && echo "# measured delay ($1): $d s"
    [ -n "$d" ] && awk -v d="$d" -v m="$MAX_DELAY" 'BEGIN { exit !(d + 0 <= m + 0) }' ||
        case_fail "the fixed config applied after ${d:-?} s (more than $MAX_DELAY s)"
}

case_begin "started with a broken config (fail closed, verdict error with FILE:LINE): a fixed file (rename) applies within ${MAX_DELAY} s"
cp "$BROKEN" "$CONF"
RUN_TIMEOUT=40 run_preloaded "$PYTHON3" "$CONF_FLIP_PY" "$SERVER_PORT" "$PKI/root.pem" "$CONF" "$RIGHT" pass
check_recovery "broken at start, then fixed"
# A config that cannot be read cannot say where the JSON log is: the error
# verdicts go to stderr, naming FILE:LINE, and sum (with "[N more times ...]")
# to the number of refusals.
nb=$(grep -c '^[0-9]* blocked50$' "$OUT")
ne=$(awk -v c="$CONF:$BROKEN_LINE:" '
    /^pinshim: BLOCKED pinned\.test.* verdict error/ && index($0, c) {
        if (match($0, /\[[0-9]+ more times within [0-9]+ s\]/)) {
            s = substr($0, RSTART + 1, RLENGTH - 2); split(s, f, " "); e += f[1]
        } else e++
    }
    END { print e + 0 }' "$ERR")
[ "$nb" -ge 3 ] && [ "$ne" = "$nb" ] ||
    case_fail "$nb refusals, $ne 'verdict error ... $CONF:$BROKEN_LINE:' events on stderr (expected the same, >= 3)"
case_end

case_begin "started with no config file at all (fail closed): a config created (rename) applies within ${MAX_DELAY} s"
rm -f "$CONF"
RUN_TIMEOUT=40 run_preloaded "$PYTHON3" "$CONF_FLIP_PY" "$SERVER_PORT" "$PKI/root.pem" "$CONF" "$RIGHT" pass
check_recovery "missing at start, then created"
check_err_has "$CONF: cannot read the config"
case_end

# ---- reloads while many threads handshake ----

case_begin "4 threads x 3000 handshakes while the config flips right/wrong (every 1.2 or 0.3 s): no crash, every handshake passed or was pin-refused, the log sums to exactly 3000"
write_conf "$RIGHT.all" -v all pinned.test "sha256//$PIN_LEAF"
write_conf "$WRONG.all" -v all pinned.test "sha256//$PIN_UNRELATED"
cp "$RIGHT.all" "$CONF"
FLIP_STOP=$T/flip.stop
rm -f "$FLIP_STOP"
(
    k=0
    while [ ! -e "$FLIP_STOP" ] && [ $k -lt 300 ]; do
        k=$((k + 1))
        if [ $((k % 2)) = 1 ]; then cp "$WRONG.all" "$CONF.flip"; else cp "$RIGHT.all" "$CONF.flip"; fi
        mv -f "$CONF.flip" "$CONF"
        # Holds of 1.2 s (longer than the 1 s between looks, so each state is
        # seen) and of 0.3 s (changes between looks), never in step with the
        # library's clock.
        if [ $((k % 3)) = 0 ]; then sleep 0.3; else sleep 1.2; fi
    done
) </dev/null >/dev/null 2>&1 &
FLIP_PID=$!
_SERVER_PIDS="$_SERVER_PIDS $FLIP_PID"
t0=$EPOCHREALTIME
RUN_TIMEOUT=150 client --sni pinned.test --cafile "$PKI/root.pem" --tls 1.2 --threads 4 --count 3000 \
    --hosts pinned.test --quiet --deadline 140
t1=$EPOCHREALTIME
: > "$FLIP_STOP"
wait "$FLIP_PID" 2>/dev/null
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
check_timeout
[ "$RC" = 0 ] || [ "$RC" = 2 ] || case_fail "tls_client exit status $RC (crash or setup error)"
sum=$(sed -n 's/^summary total ok=\([0-9]*\) refused=\([0-9]*\) pinblock=\([0-9]*\) error=0 io_failed=0$/\1 \2 \3/p' "$OUT")
read -r okn refn pbn <<<"${sum:-x x x}"
echo "# 3000 handshakes in $secs s under reloads: ok=$okn refused=$refn"
if [ -z "$sum" ]; then
    case_fail "no clean summary line: $(grep '^summary total' "$OUT")"
else
    [ $((okn + refn)) = 3000 ] || case_fail "ok + refused = $((okn + refn)), expected 3000"
    [ "$refn" = "$pbn" ] || case_fail "$refn refused but $pbn pin blocks"
    if awk -v s="$secs" 'BEGIN { exit !(s >= 3) }'; then
        [ "$okn" -gt 0 ] && [ "$refn" -gt 0 ] || case_fail "the flips were not seen: ok=$okn refused=$refn in $secs s"
    fi
    "$PYTHON3" - "$LOG" "$okn" "$refn" > "$T/flip.out" 2>&1 <<'PYEOF' || case_fail "$(cat "$T/flip.out")"
import json, sys
ev = {"pass": 0, "fail": 0}
for l in open(sys.argv[1]):
    if l.strip():
        o = json.loads(l)
        if o.get("host") == "pinned.test":
            ev[o["verdict"]] = ev.get(o["verdict"], 0) + o.get("repeat", 1)
want = {"pass": int(sys.argv[2]), "fail": int(sys.argv[3])}
if ev != want:
    sys.exit("logged events %r, expected %r" % (ev, want))
PYEOF
fi
case_end

finish
