#!/bin/bash
# t_gnutls_policy.sh - the policy side of DESIGN 12 for GnuTLS clients: the
# same config gives the same verdicts, log records, TOFU, warnings,
# coalescing, `programs` scope and reloads as for OpenSSL clients (the
# expectations of t_modes/t_curl/t_config, t_tofu, t_warnings, t_coalesce,
# t_programs and t_reload), driven with gnutls_client and, where a real
# program adds something, gnutls-cli and wget.  Every record must name the
# GnuTLS the program loaded ("library": "gnutls VERSION").
#   - modes: per-host report beside an enforced host, global report with a
#     per-host enforce, mode = "off" (global and per host), PINSHIM_MODE,
#     unpinned = allow / block (also in report mode), an expired entry, the
#     log.stderr switch
#   - config errors: syntax, a bad pin, no file: verdict error, always
#     refused (also in report mode and for a name no entry matches)
#   - TOFU: concurrent first use (one record per host), impostor trusted by
#     the client, renewed leaf (chain passes, leaf refused), one state for
#     both libraries, wget (verifies after the handshake), unverified and
#     tolerated chains never learned, resumption, a record forgotten between
#     two connections of one process, a state that cannot be written
#   - warnings: a pinned leaf or a pin set near its end, once per host per
#     process, warn_days
#   - coalescing: many refusals in one process, keys interleaved, many hosts,
#     fork
#   - programs: the real path (symlink, copy, glob), gnutls-cli in and out of
#     scope, not judged at all when out of scope, the list reloaded
#   - reload: one process connecting 10 times a second while its config goes
#     broken (fail closed) -> fixed -> edited in place -> broken edit -> fixed;
#     threads handshaking while the config flips
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gnutls_lib.sh"

gnutls_setup
require_cmd readlink cmp
need_pinshim_bin

REFUSED='result=refused ret=-348 err=GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR'
WRONG="$PIN_UNRELATED,$PIN_LEAF2"
GC_REAL=$(readlink -f "$GNUTLS_CLIENT")
[ -x "$GC_REAL" ] || hard_error "cannot resolve $GNUTLS_CLIENT"

HAVE_WGET=0
need_gnutls_prog wget "$(command -v wget || echo /usr/bin/wget)" && HAVE_WGET=1
HAVE_GCLI=0
need_gnutls_prog gnutls-cli "$(command -v gnutls-cli || echo /usr/bin/gnutls-cli)" && HAVE_GCLI=1
GCLI_REAL=""
[ $HAVE_GCLI = 1 ] && GCLI_REAL=$(readlink -f "$(command -v gnutls-cli)")

# gc ARGS...: gnutls_client, preloaded, against the current server.
gc() {
    run_preloaded "$GNUTLS_CLIENT" --port "$SERVER_PORT" --deadline 25 "$@"
}
# gcv SNI ARGS...: verified in the handshake against the genuine root, the
# SNI name also the verify hostname.
gcv() {
    local sni=$1
    shift
    gc --sni "$sni" --verify-host sni --cafile "$PKI/root.pem" "$@"
}

# gcli LINE: gnutls-cli sends LINE to the current server (SNI and verify
# hostname pinned.test, the genuine root trusted).
GCLI_ERR_RE='\*\*\* Fatal error: Error in the certificate'
gcli() {
    run_preloaded gnutls-cli -p "$SERVER_PORT" --x509cafile "$PKI/root.pem" --sni-hostname "${GCLI_SNI:-pinned.test}" \
        --verify-hostname "${GCLI_SNI:-pinned.test}" 127.0.0.1 <<<"$1"
}

# check_json_field HOST FIELD VALUE: every record for HOST has FIELD = VALUE
# (a JSON value: "report", 2, null).
check_json_field() {
    local msg
    msg=$("$PYTHON3" -S - "$LOG" "$1" "$2" "$3" 2>&1 <<'PY'
import json, sys
log, host, field, want = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
mine = [json.loads(l) for l in open(log) if l.strip()]
mine = [o for o in mine if (o.get("host") or "").lower().rstrip(".") == host]
if not mine:
    sys.exit("no record for %s" % host)
bad = [o.get(field) for o in mine if o.get(field) != want]
if bad:
    sys.exit("%s: %s is %r, expected %r" % (host, field, bad[0], want))
PY
    ) || case_fail "json log: $msg"
}

# check_no_host_log HOST: no record names HOST.
check_no_host_log() {
    ! grep -qiF "\"host\":\"$1\"" "$LOG" 2>/dev/null ||
        case_fail "the JSON log has a record for $1: $(grep -iF "\"host\":\"$1\"" "$LOG" | head -c 300)"
}

start_server -n genuine "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server genuine"
start_server -n genuine12 -t 1.2 "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server genuine12"
start_server -n renewed "$PKI/chain-leaf2.pem" "$PKI/leaf2.key" || hard_error "server renewed"
start_server -n attacker "$PKI/chain-att.pem" "$PKI/attacker-leaf.key" || hard_error "server attacker"
start_server -n selfsigned "$PKI/chain-self.pem" "$PKI/self.key" || hard_error "server selfsigned"

# =============================================================== modes ===

use_server genuine
write_conf "$CONF" 'pinned.test{mode = "report";}' "$WRONG" good.test "$WRONG"
case_begin "per-host report (pinned.test) beside an enforced host (good.test), wrong pins, one process: pinned.test goes through (fail/allowed, mode report, on stderr), good.test refused with zero bytes (fail/blocked, mode enforce)"
gc --insecure --threads 1 --count 2 --hosts pinned.test,good.test
check_rc 2
check_out_has '^summary sni=pinned\.test ok=1 refused=0 pinblock=0 error=0 io_failed=0$'
check_out_has '^summary sni=good\.test ok=0 refused=1 pinblock=1 '
wait_conns 2 || case_fail "server finished $(new_conns) connections, expected 2"
new_record | grep -q '^probe pinned\.test ' || case_fail "the server did not get the pinned.test probe"
check_conns_sni_zero good.test
check_glog fail allowed pinned.test 1
check_glog fail blocked good.test 1
check_json_field pinned.test mode '"report"'
check_json_field good.test mode '"enforce"'
check_json_field pinned.test program '"gnutls_client"'
check_json_field pinned.test peer "\"127.0.0.1:$SERVER_PORT\""
check_json_field pinned.test port "$SERVER_PORT"
check_err_has '^pinshim: .*pinned\.test.*verdict fail, mode report'
check_err_has '^pinshim: BLOCKED good\.test'
check_err_lacks '^pinshim: BLOCKED pinned\.test'
case_end

write_conf "$CONF" -m report 'pinned.test{mode = "enforce";}' "$WRONG" good.test "$WRONG"
case_begin "global report, pinned.test{mode = enforce}, wrong pins, verified clients: pinned.test refused (fail/blocked), good.test goes through (fail/allowed, mode report)"
gc --cafile "$PKI/root.pem" --verify-host sni --threads 1 --count 2 --hosts pinned.test,good.test
check_rc 2
check_out_has "^handshake who=main sni=pinned\\.test $REFUSED"
check_out_has '^summary sni=good\.test ok=1 refused=0 pinblock=0 error=0 io_failed=0$'
wait_conns 2 || case_fail "server finished $(new_conns) connections, expected 2"
check_conns_sni_zero pinned.test
check_glog fail blocked pinned.test 1
check_glog fail allowed good.test 1
check_json_field good.test mode '"report"'
case_end

write_conf "$CONF" -m off pinned.test "$WRONG" 'good.test{mode = "enforce";}' "$WRONG"
case_begin "mode = off, good.test{mode = enforce}, wrong pins: pinned.test goes through and is not logged at all, good.test refused (fail/blocked)"
gc --insecure --threads 1 --count 2 --hosts pinned.test,good.test
check_rc 2
check_out_has '^summary sni=pinned\.test ok=1 refused=0 pinblock=0 error=0 io_failed=0$'
check_out_has '^summary sni=good\.test ok=0 refused=1 pinblock=1 '
wait_conns 2 || case_fail "server finished $(new_conns) connections, expected 2"
check_conns_sni_zero good.test
check_glog fail blocked good.test 1
check_no_host_log pinned.test
check_err_lacks '^pinshim: [A-Za-z]* pinned\.test'
case_end

write_conf "$CONF" 'pinned.test{mode = "off";}' "$WRONG" good.test "$WRONG"
case_begin "per-host mode = off (pinned.test) under enforce, good.test enforced, wrong pins: pinned.test passes silently, good.test refused"
gc --cafile "$PKI/root.pem" --verify-host sni --threads 1 --count 2 --hosts pinned.test,good.test
check_rc 2
check_out_has '^summary sni=pinned\.test ok=1 refused=0 pinblock=0 error=0 io_failed=0$'
check_out_has "^handshake who=main sni=good\\.test $REFUSED"
check_glog fail blocked good.test 1
check_no_host_log pinned.test
check_err_lacks '^pinshim: [A-Za-z]* pinned\.test'
case_end

write_conf "$CONF" pinned.test "$WRONG"
case_begin "PINSHIM_MODE=report over an enforce config, wrong pin: goes through, fail/allowed mode report; PINSHIM_MODE=off: goes through, nothing logged"
PINSHIM_RUN_ENV="PINSHIM_MODE=report " gcv pinned.test
check_rc 0
check_out_has '^handshake who=main sni=pinned\.test result=ok'
check_received "probe pinned.test main"
check_glog fail allowed pinned.test 1
check_json_field pinned.test mode '"report"'
: > "$LOG"
mark
PINSHIM_RUN_ENV="PINSHIM_MODE=off " gcv pinned.test
check_rc 0
check_received "probe pinned.test main"
check_no_log
check_err_lacks 'pinshim'
case_end

write_conf "$CONF" other.test "$WRONG"
case_begin "no entry for the name, unpinned = allow, verdicts = all: passes, unpinned/allowed"
gcv pinned.test
check_rc 0
check_received "probe pinned.test main"
check_glog unpinned allowed pinned.test 1
case_end

write_conf "$CONF" -u block other.test "$WRONG"
case_begin "no entry for the name, unpinned = block: refused, verified and unverified clients alike, zero bytes, unpinned/blocked"
gcv pinned.test
check_rc 2
check_out_has "^handshake who=main sni=pinned\\.test $REFUSED"
check_zero_bytes 1
mark
gc --sni pinned.test --insecure --write-after-refusal
check_rc 2
check_out_has "^handshake who=main sni=pinned\\.test $REFUSED"
check_out_has '^write .*result=failed'
check_zero_bytes 1
check_glog unpinned blocked pinned.test 2
check_err_has '^pinshim: BLOCKED pinned\.test'
case_end

write_conf "$CONF" -m report -u block other.test "$WRONG"
case_begin "no entry for the name, unpinned = block, report mode: goes through, unpinned/allowed"
gcv pinned.test
check_rc 0
check_received "probe pinned.test main"
check_glog unpinned allowed pinned.test 1
case_end

write_conf "$CONF" -v failures "pinned.test{expires = \"$(day -3)\";}" "$WRONG"
case_begin "entry expired 3 days ago, wrong pin, verdicts = failures: goes through, verdict expired/allowed is logged"
gcv pinned.test
check_rc 0
check_received "probe pinned.test main"
check_glog expired allowed pinned.test 1
case_end

write_conf "$CONF" -e false pinned.test "$WRONG"
case_begin "log.stderr = false: a refusal leaves the program's stderr alone; the JSON log has it"
gcv pinned.test
check_rc 2
check_out_has "^handshake who=main sni=pinned\\.test $REFUSED"
check_zero_bytes 1
check_err_lacks 'pinshim'
check_glog fail blocked pinned.test 1
case_end

# ---- config errors: verdict error, always refused (DESIGN 2, 3.3, 3.4) ----

GOOD_LINES='mode = "enforce";
unpinned = "allow";
log = { stderr = true; syslog = false; json = "'"$LOG"'"; verdicts = "all"; };'

# expect_error_refusal FILE_RE: refused as a config error naming FILE_RE.
expect_error_refusal() {
    check_rc 2
    check_timeout
    check_out_has "^handshake who=main .*$REFUSED"
    check_out_lacks '^write .*result=ok'
    check_err_has "^pinshim: BLOCKED pinned\\.test.*verdict error.*$1"
    check_zero_bytes 1
}

CONF=$T/bad-syntax.conf
printf '%s\nhosts = ( { name = "pinned.test"; pins = [ "sha256/%s" ]; } );\nthis is not libconfig ;;\n' \
    "$GOOD_LINES" "$PIN_LEAF" > "$CONF"
case_begin "config error (syntax, line 5): the right pin does not help: refused with CERTIFICATE_VERIFICATION_ERROR, zero bytes, 'verdict error ... FILE:5:' on stderr; also a name no entry matches, verifying nothing"
gcv pinned.test --write-after-refusal
expect_error_refusal "bad-syntax\\.conf:5: "
check_out_has '^write .*result=failed'
mark
gc --sni other.test --insecure
check_rc 2
check_out_has "^handshake who=main sni=other\\.test $REFUSED"
check_zero_bytes 1
check_err_has '^pinshim: BLOCKED other\.test.*verdict error'
case_end

CONF=$T/bad-pin.conf
printf '%s\nhosts = (\n  { name = "pinned.test";\n    pins = [ "sha256/%s" ]; }\n);\n' \
    "$GOOD_LINES" "$(head -c 20 /dev/zero | base64)" > "$CONF"
case_begin "config error (a 20-byte pin, line 6) with PINSHIM_MODE=report: still refused, 'verdict error ... FILE:6:'"
PINSHIM_RUN_ENV="PINSHIM_MODE=report " gcv pinned.test
expect_error_refusal "bad-pin\\.conf:6: "
case_end

CONF=$T/does-not-exist.conf
case_begin "no config file: refused, the file named on stderr (verdict error)"
gcv pinned.test
expect_error_refusal "does-not-exist\\.conf"
case_end
CONF=$T/pinshim.conf

# ================================================================ TOFU ===

STATE_DIR=$T/state
STATE=$STATE_DIR/tofu.state
mkdir -p "$STATE_DIR"

# write_tofu_conf FILE STATE [VERDICTS]: pinned.test chain, good.test and
# localhost leaf.
write_tofu_conf() {
    cat > "$1" <<EOF
# written by $TEST_NAME
mode = "enforce";
unpinned = "allow";
state = "$2";
log = { stderr = true; syslog = false; json = "$LOG"; verdicts = "${3:-all}"; };
hosts = (
  { name = "pinned.test"; tofu = "chain"; },
  { name = "good.test"; tofu = "leaf"; },
  { name = "localhost"; tofu = "leaf"; }
);
EOF
}

record() {  # record HOST: its line in the state ("" none)
    [ -f "$STATE" ] || return 0
    awk -v h="$1" '$1 == h' "$STATE"
}
record_pins() { record "$1" | awk '{ print $3 }' | tr ',' '\n' | sort; }
want_pins() {
    local p
    for p in "$@"; do echo "sha256/$p"; done | sort
}
# check_record HOST KIND PIN...: exactly one well-formed record, these pins.
check_record() {
    local host=$1 kind=$2 n line
    shift 2
    n=$(record "$host" | wc -l)
    if [ "$n" != 1 ]; then
        case_fail "the state has $n records for $host, expected exactly 1: $(cat "$STATE" 2>/dev/null)"
        return
    fi
    line=$(record "$host")
    echo "$line" | grep -Eq "^$host $kind sha256/[A-Za-z0-9+/]{43}=(,sha256/[A-Za-z0-9+/]{43}=)* [0-9]+\$" ||
        case_fail "the record is not 'HOST KIND PINS TIME': $line"
    [ "$(record_pins "$host")" = "$(want_pins "$@")" ] ||
        case_fail "the record's pins for $host: $(record_pins "$host" | tr '\n' ' '); expected $(want_pins "$@" | tr '\n' ' ')"
}
check_no_record() {
    [ "$(record "$1" | wc -l)" = 0 ] || case_fail "the state has a record for $1: $(record "$1")"
}
check_state_dir() {
    local extra
    extra=$(ls -A "$STATE_DIR" | grep -Ev '^tofu\.state(\.lock)?$')
    [ -z "$extra" ] || case_fail "files left beside the state: $extra"
}
check_state_syntax() {
    local bad
    bad=$(grep -Ev '^#|^[a-z0-9.-]+ (leaf|chain) sha256/[A-Za-z0-9+/]{43}=(,sha256/[A-Za-z0-9+/]{43}=)* [0-9]+$' "$STATE")
    [ -z "$bad" ] || case_fail "the state has malformed lines: $bad"
}
check_state_same() {  # check_state_same COPY: the state did not change
    cmp -s "$STATE" "$1" || case_fail "the state changed: $(cat "$STATE" 2>/dev/null)"
}
check_reason() {
    grep -qF -- "$1" "$LOG" || case_fail "no JSON record says '$1'"
}
pinshim_tofu() {
    _RUN_N=$((_RUN_N + 1))
    OUT=$T/run$_RUN_N.out
    ERR=$T/run$_RUN_N.err
    RUN_CMD="pinshim tofu -c $CONF $*"
    timeout -k 5 30 "$PINSHIM_BIN" tofu -c "$CONF" "$@" >"$OUT" 2>"$ERR"
    RC=$?
}

# gc_paused CHANGE ARGS...: gnutls_client ARGS --resume against the current
# server, preloaded; between its two connections CHANGE (a function) runs,
# then SETTLE seconds (default 0) pass.  mark is set after the first
# connection.  Sets OUT ERR RC.
gc_paused() {
    local change=$1 cpid
    shift
    rm -f "$T/go"
    _RUN_N=$((_RUN_N + 1))
    OUT=$T/run$_RUN_N.out
    ERR=$T/run$_RUN_N.err
    RUN_CMD="LD_PRELOAD=... PINSHIM_CONFIG=$CONF $GNUTLS_CLIENT --port $SERVER_PORT $* --resume --pause-file $T/go"
    env LD_PRELOAD="${PINSHIM_PRELOAD:-$PINSHIM_LIB}" PINSHIM_CONFIG="$CONF" timeout -k 5 40 "$GNUTLS_CLIENT" \
        --port "$SERVER_PORT" --deadline 35 "$@" --resume --pause-file "$T/go" >"$OUT" 2>"$ERR" &
    cpid=$!
    for _ in $(seq 1 300); do
        grep -q '^paused' "$OUT" && break
        kill -0 "$cpid" 2>/dev/null || break
        sleep 0.05
    done
    if grep -q '^paused' "$OUT"; then
        wait_conns 1 || case_fail "the first connection did not finish"
        mark
        local out=$OUT err=$ERR cmd=$RUN_CMD
        "$change"
        OUT=$out ERR=$err RUN_CMD=$cmd
        [ "${SETTLE:-0}" = 0 ] || sleep "$SETTLE"
        : > "$T/go"
    else
        case_fail "the client did not pause after its first connection"
    fi
    wait "$cpid"
    RC=$?
}

write_tofu_conf "$CONF" "$STATE"
use_server genuine

case_begin "TOFU first use: 3 gnutls_client processes at once, each 2 threads x 8 handshakes (pinned.test tofu=chain, good.test tofu=leaf), verified: all pass, ONE record per host with the verified chain's pins, nothing left beside the state"
t_start=$(date +%s)
BURST=""
for i in 1 2 3; do
    timeout -k 5 30 env LD_PRELOAD="${PINSHIM_PRELOAD:-$PINSHIM_LIB}" PINSHIM_CONFIG="$CONF" "$GNUTLS_CLIENT" \
        --port "$SERVER_PORT" --deadline 25 --cafile "$PKI/root.pem" --verify-host sni --threads 2 --count 8 \
        --hosts pinned.test,good.test --quiet >"$T/burst$i.out" 2>"$T/burst$i.err" </dev/null &
    BURST="$BURST $!"
done
i=0
for pid in $BURST; do
    i=$((i + 1))
    wait "$pid"
    rc=$?
    [ "$rc" = 0 ] || case_fail "process $i exit status $rc: $(head -c 300 "$T/burst$i.out" "$T/burst$i.err")"
    grep -q '^summary total ok=8 refused=0 ' "$T/burst$i.out" || case_fail "process $i: $(grep summary "$T/burst$i.out")"
done
check_record pinned.test chain "$PIN_LEAF" "$PIN_INT" "$PIN_ROOT"
check_record good.test leaf "$PIN_LEAF"
check_state_syntax
check_state_dir
learned=$(record pinned.test | awk '{ print $4 }')
[ -n "$learned" ] && [ "$learned" -ge "$t_start" ] && [ "$learned" -le "$(date +%s)" ] ||
    case_fail "learned time '$learned' is not the time of this run"
check_glog pass allowed pinned.test 12
check_glog pass allowed good.test 12
[ -n "$_CASE_ERRS" ] && diag "--- state:" "$(cat "$STATE" 2>/dev/null)"
case_end
cp "$STATE" "$T/state.learned" 2>/dev/null

use_server attacker
case_begin "TOFU: an impostor chain whose root the client trusts (attacker root), tofu=chain: refused, zero bytes, fail/blocked; the record unchanged"
gc --sni pinned.test --verify-host sni --cafile "$PKI/attacker-root.pem" --status-after-refusal
check_rc 2
check_out_has "^handshake who=main sni=pinned\\.test $REFUSED"
check_out_has '^status .*session_status=0x[0-9a-f]*[1-9a-f]'
check_zero_bytes 1
check_glog fail blocked pinned.test 1
check_state_same "$T/state.learned"
case_end

use_server renewed
case_begin "TOFU: renewed leaf (leaf2, same intermediate): tofu=chain passes, tofu=leaf refused; the state unchanged"
gcv pinned.test
check_rc 0
check_out_has '^handshake who=main sni=pinned\.test result=ok'
check_received "probe pinned.test main"
check_glog pass allowed pinned.test 1
mark
gcv good.test
check_rc 2
check_out_has "^handshake who=main sni=good\\.test $REFUSED"
check_zero_bytes 1
check_glog fail blocked good.test 1
check_state_same "$T/state.learned"
case_end

case_begin "TOFU: one state for both libraries: OpenSSL's tls_client is judged by the records GnuTLS learned (impostor refused, genuine passes); a good.test record learned by tls_client (leaf2) then judges gnutls_client (leaf2 passes, leaf refused)"
require_client
use_server attacker
CLIENT_HOST=127.0.0.1 client --sni pinned.test --cafile "$PKI/attacker-root.pem" --send "hi"
check_rc 2
check_out_has 'result=refused .*verify=50 '
check_zero_bytes 1
use_server genuine
CLIENT_HOST=127.0.0.1 client --sni pinned.test --cafile "$PKI/root.pem" --send "hi"
check_rc 0
check_state_same "$T/state.learned"
pinshim_tofu forget good.test
[ "$RC" = 0 ] || case_fail "pinshim tofu forget good.test: exit $RC $(cat "$ERR")"
use_server renewed
CLIENT_HOST=127.0.0.1 client --sni good.test --cafile "$PKI/root.pem" --send "hi"
check_rc 0
check_record good.test leaf "$PIN_LEAF2"
: > "$LOG"
mark
gcv good.test
check_rc 0
check_received "probe good.test main"
check_glog pass allowed good.test 1
use_server genuine
gcv good.test
check_rc 2
check_out_has "^handshake who=main sni=good\\.test $REFUSED"
check_zero_bytes 1
check_glog_n fail blocked good.test 1
check_record good.test leaf "$PIN_LEAF2"
case_end

if [ $HAVE_WGET = 1 ]; then
    mkdir -p "$T/doc"
    DOC_MARK="pinshim gnutls policy document $$"
    printf '%s\n' "$DOC_MARK" > "$T/doc/hello.txt"
    start_server -n web -d "$T/doc" "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "web server did not start"
    start_server -n webatt -d "$T/doc" "$PKI/chain-att.pem" "$PKI/attacker-leaf.key" || hard_error "web server did not start"
    wget_run() {  # wget_run CAFILE
        rm -f "$T/wget.out"
        run_preloaded wget --no-config -nv --tries=1 --timeout=10 -4 --ca-certificate="$1" -O "$T/wget.out" \
            "https://localhost:$SERVER_PORT/hello.txt"
    }
    case_begin "TOFU with wget (verifies after the handshake): first use of localhost (tofu=leaf) fetches the file and records the leaf; then wget trusting the attacker's root: its certificate error, zero bytes, the record unchanged"
    use_server web
    wget_run "$PKI/root.pem"
    check_rc 0
    grep -qxF "$DOC_MARK" "$T/wget.out" 2>/dev/null || case_fail "wget did not save the document"
    check_glog pass allowed localhost 1
    check_record localhost leaf "$PIN_LEAF"
    cp "$STATE" "$T/state.wget"
    use_server webatt
    wget_run "$PKI/attacker-root.pem"
    check_rc_not 0
    check_any_has 'GnuTLS: Error in the certificate verification|ERROR: .*certificate'
    ! grep -qF "$DOC_MARK" "$T/wget.out" 2>/dev/null || case_fail "wget saved the document"
    check_zero_bytes 1
    check_glog_n fail blocked localhost 1
    check_state_same "$T/state.wget"
    case_end
fi

use_server selfsigned
case_begin "TOFU: an unverified first chain (--insecure, self-signed), no record: refused with 'no pins learned yet' (JSON and stderr), never learned"
pinshim_tofu forget pinned.test
[ "$RC" = 0 ] || case_fail "pinshim tofu forget pinned.test: exit $RC $(cat "$ERR")"
check_no_record pinned.test
gc --sni pinned.test --insecure
check_rc 2
check_out_has "^handshake who=main sni=pinned\\.test $REFUSED"
check_zero_bytes 1
check_glog fail blocked pinned.test 1
check_reason "no pins learned yet"
check_err_has 'no pins learned yet'
check_no_record pinned.test
case_end

use_server attacker
case_begin "TOFU: verification after the handshake fails and the client goes on (--verify-after --tolerant, attacker chain): refused, never learned"
gcv pinned.test --verify-after --tolerant
check_rc 2
check_out_has "^handshake who=main sni=pinned\\.test $REFUSED"
check_zero_bytes 1
check_glog fail blocked pinned.test 1
check_reason "no pins learned yet"
check_no_record pinned.test
case_end

use_server genuine
case_begin "TOFU: verification after the handshake (verify_peers3, as libcurl) succeeds: the first use is learned (leaf, intermediate, root)"
gcv pinned.test --verify-after
check_rc 0
check_out_has '^verify .*result=ok'
check_received "probe pinned.test main"
check_glog pass allowed pinned.test 1
check_record pinned.test chain "$PIN_LEAF" "$PIN_INT" "$PIN_ROOT"
check_state_syntax
case_end

for srv in genuine genuine12; do
    use_server "$srv"
    # (a case before may have left no record: learned again first)
    [ -n "$(record pinned.test)" ] || gcv pinned.test
    case_begin "TOFU ($srv): resumption with a record: both handshakes pass, the second resumed, the record unchanged"
    check_record pinned.test chain "$PIN_LEAF" "$PIN_INT" "$PIN_ROOT"
    cp "$STATE" "$T/state.learned2"
    gcv pinned.test --resume
    check_rc 0
    check_out_has '^handshake who=main .*result=ok reused=0'
    check_out_has '^handshake who=resume .*result=ok reused=1'
    check_received "probe pinned.test resume" 2
    check_glog pass allowed pinned.test 2
    check_state_same "$T/state.learned2"
    case_end

    # DESIGN 3.5: a session whose leaf matches no pin (here: no record) is
    # not offered; the full handshake that follows is verified and learned
    # from.  A connection is never refused only because its session lacks
    # a chain.
    forget_pinned() {
        pinshim_tofu forget pinned.test >/dev/null
    }
    case_begin "TOFU ($srv): the record forgotten between the two connections of one process: the second is not refused: a full handshake (not resumed), learned again"
    gc_paused forget_pinned --sni pinned.test --verify-host sni --cafile "$PKI/root.pem"
    check_rc 0
    check_out_has '^handshake who=main .*result=ok reused=0'
    check_out_has '^handshake who=resume .*result=ok reused=0'
    check_received "probe pinned.test resume" 1
    check_glog pass allowed pinned.test 2
    check_record pinned.test chain "$PIN_LEAF" "$PIN_INT" "$PIN_ROOT"
    case_end
done

# ---- a state that cannot be written ----
mkdir -p "$T/ro"
echo "a regular file" > "$T/ro/afile"
BAD_STATE=$T/ro/afile/tofu.state
CONF_SAVED=$CONF

for srv in genuine genuine12; do
    use_server "$srv"
    CONF=$T/pinshim-badstate.conf
    write_tofu_conf "$CONF" "$BAD_STATE" failures
    case_begin "TOFU ($srv), state under a regular file: a verified first use passes with a 'warning' naming the state (JSON, stderr WARNING); a second connection of the process (its session offered) is not refused either"
    gcv pinned.test --resume
    check_rc 0
    check_out_has '^handshake who=main .*result=ok'
    check_out_has '^handshake who=resume .*result=ok'
    check_glog pass allowed pinned.test 2
    grep -q "\"warning\":\"[^\"]*$BAD_STATE" "$LOG" || case_fail "no JSON warning naming $BAD_STATE"
    check_err_has 'WARNING: .*state'
    [ "$(cat "$T/ro/afile")" = "a regular file" ] || case_fail "the regular file changed"
    CONF=$CONF_SAVED
    case_end
done

CONF=$T/pinshim-nodir.conf
write_tofu_conf "$CONF" "$T/no-such-dir/tofu.state" failures
case_begin "TOFU, state in a directory that does not exist: verified passes with a warning; unverified (--insecure, self-signed) refused; the directory is not created"
use_server genuine
gcv pinned.test
check_rc 0
check_glog pass allowed pinned.test 1
grep -q '"warning":"[^"]*no-such-dir' "$LOG" || case_fail "no JSON warning naming the state's path"
use_server selfsigned
gc --sni pinned.test --insecure
check_rc 2
check_out_has "^handshake who=main sni=pinned\\.test $REFUSED"
check_zero_bytes 1
check_glog_n fail blocked pinned.test 1
[ ! -e "$T/no-such-dir" ] || case_fail "$T/no-such-dir was created"
case_end
CONF=$CONF_SAVED

# ============================================================ warnings ===

# mkleaf NAME DAYS: a leaf of the genuine intermediate valid DAYS days.
mkleaf() {
    local n=$1 days=$2
    (
        cd "$PKI" || exit 1
        _gen_key "$n.key" &&
            openssl req -new -key "$n.key" -subj "/O=pinshim test/CN=pinned.test" -out "$n.csr" 2>/dev/null &&
            openssl x509 -req -in "$n.csr" -CA int.pem -CAkey int.key -set_serial "$(_serial)" \
                -days "$days" -sha256 -extfile ext.cnf -extensions v3_leaf -out "$n.pem" 2>/dev/null &&
            cat "$n.pem" int.pem > "chain-$n.pem"
    ) || hard_error "cannot make the $days-day leaf $n"
}
mkleaf leaf5 5
PIN_LEAF5=sha256//$(pin_of "$PKI/leaf5.pem")
END5=$(date -u -d "$(openssl x509 -in "$PKI/leaf5.pem" -noout -enddate | sed 's/^notAfter=//')" +%F)
IN10=$(day +10)
[ -n "$END5" ] && [ -n "$IN10" ] || hard_error "date arithmetic failed"
start_server -n d5 "$PKI/chain-leaf5.pem" "$PKI/leaf5.key" || hard_error "server d5"

# wcheck [--lines N] [--warned N] [--events N] [--contains TEXT]... [--host H]
cat > "$T/wcheck.py" <<'PYEOF'
import argparse, json, sys
p = argparse.ArgumentParser()
p.add_argument("log")
p.add_argument("--lines", type=int)
p.add_argument("--warned", type=int)
p.add_argument("--events", type=int)
p.add_argument("--contains", action="append", default=[])
p.add_argument("--host")
p.add_argument("--library")
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
    bad("%d events with a warning, expected %d" % (nwarned, a.warned))
if a.lines is not None and len(lines) != a.lines:
    bad("%d lines, expected %d" % (len(lines), a.lines))
events = sum(o.get("repeat", 1) for o in lines)
if a.events is not None and events != a.events:
    bad("%d events, expected %d" % (events, a.events))
for o in lines:
    if o.get("verdict") != "pass" or o.get("action") != "allowed":
        bad("a line is not pass/allowed")
    if a.library is not None and o.get("library") != a.library:
        bad("library %r, expected %r" % (o.get("library"), a.library))
for o in warned:
    w = o["warning"]
    if not isinstance(w, str) or not w:
        bad("warning is not a non-empty string")
    for t in a.contains:
        if t not in w:
            bad("the warning %r does not contain %r" % (w, t))
PYEOF
wcheck() {
    local msg
    msg=$("$PYTHON3" "$T/wcheck.py" "$LOG" --library "$GNUTLS_LIBRARY" "$@" 2>&1) || case_fail "json log: $msg"
}
# run3 [HOSTS [N]]: one gnutls_client process, N (3) handshakes one after another.
run3() {
    gc --cafile "$PKI/root.pem" --verify-host sni --threads 1 --count "${2:-3}" --hosts "${1:-pinned.test}"
}

use_server d5
write_conf "$CONF" -v failures pinned.test "$PIN_LEAF5"
case_begin "leaf expiring in 5 days, pinned, verdicts = failures: 3 handshakes in one process pass; ONE record, a pass with a warning naming $END5; one WARNING on stderr"
run3
check_rc 0
check_out_has '^summary total ok=3 refused=0 '
wcheck --lines 1 --warned 1 --contains "$END5" --contains "expire"
n=$(grep -c 'WARNING: ' "$ERR")
[ "$n" = 1 ] || case_fail "$n stderr lines with WARNING, expected 1"
check_err_has "WARNING: .*$END5"
check_log_fields
case_end

write_conf "$CONF" -v all pinned.test "$PIN_LEAF5" good.test "$PIN_LEAF5"
case_begin "verdicts = all, two hosts, 3 handshakes each in one process: 6 pass events, exactly one warning per host"
run3 pinned.test,good.test 6
check_rc 0
check_out_has '^summary total ok=6 refused=0 '
wcheck --events 6 --warned 2 --contains "$END5"
wcheck --host pinned.test --warned 1
wcheck --host good.test --warned 1
case_end

write_conf "$CONF" -v all 'pinned.test{warn_days = 3;}' "$PIN_LEAF5"
case_begin "warn_days = 3 on the entry: 3 pass events, none warned; global warn_days = 0: none either; an entry's warn_days = 10 over a global 3: warned"
run3
check_rc 0
wcheck --events 3 --warned 0
check_err_lacks 'WARNING'
: > "$LOG"
write_conf "$CONF" -v all -g 'warn_days = 0;' pinned.test "$PIN_LEAF5"
run3
check_rc 0
wcheck --events 3 --warned 0
: > "$LOG"
write_conf "$CONF" -v failures -g 'warn_days = 3;' 'pinned.test{warn_days = 10;}' "$PIN_LEAF5"
run3
check_rc 0
wcheck --lines 1 --warned 1 --contains "$END5"
case_end

use_server genuine
write_conf "$CONF" -v failures "pinned.test{expires = \"$IN10\";}" "$PIN_LEAF"
case_begin "expires = $IN10 (10 days from today), a leaf valid for over a year: one warning about the pin set, naming $IN10"
run3
check_rc 0
wcheck --lines 1 --warned 1 --contains "$IN10" --contains "pin set"
check_err_has "WARNING: .*$IN10"
case_end

# ========================================================== coalescing ===

# openssl s_server -www: one C process, fast enough for thousands of handshakes.
start_s_server() {
    local d=$T/s_server i
    mkdir -p "$d"
    timeout -k 5 300 openssl s_server -accept 127.0.0.1:0 -cert "$PKI/leaf.pem" -cert_chain "$PKI/int.pem" \
        -key "$PKI/leaf.key" -www -naccept 1000000 >"$d/out" 2>"$d/err" </dev/null &
    _SERVER_PIDS="$_SERVER_PIDS $!"
    S_PORT=""
    for i in $(seq 1 200); do
        S_PORT=$(sed -n 's/^ACCEPT 127\.0\.0\.1://p' "$d/out" 2>/dev/null)
        [ -n "$S_PORT" ] && break
        sleep 0.05
    done
    [ -n "$S_PORT" ] || { diag "$(cat "$d/err")"; return 1; }
}
start_s_server || hard_error "openssl s_server did not start"

json_sums() {  # json_sums HOST: "LINES EVENTS"
    "$PYTHON3" -S - "$LOG" "$1" <<'PYEOF'
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
stderr_sums() {  # stderr_sums FILE HOST: "LINES EVENTS"
    awk -v h="$2" '
        $1 == "pinshim:" && ($3 == h || index($3, h ":") == 1) {
            n++
            if (match($0, /\[[0-9]+ more times within [0-9]+ s\]/)) {
                s = substr($0, RSTART + 1, RLENGTH - 2); split(s, f, " "); e += f[1]
            } else e++
        }
        END { printf "%d %d\n", n, e }' "$1"
}
check_sums() {  # check_sums HOST EVENTS MAXLINES
    local host=$1 want=$2 max=$3 l e
    read -r l e < <(json_sums "$host")
    echo "# $host: $e events in $l JSON line(s)"
    [ "$e" = "$want" ] || case_fail "$host: the JSON lines sum to $e events, expected exactly $want"
    [ "$l" -ge 1 ] && [ "$l" -le "$max" ] || case_fail "$host: $l JSON lines, expected 1..$max"
    read -r l e < <(stderr_sums "$ERR" "$host")
    echo "# $host: $e events in $l stderr line(s)"
    [ "$e" = "$want" ] || case_fail "$host: the stderr lines sum to $e events, expected exactly $want"
    [ "$l" -ge 1 ] && [ "$l" -le "$max" ] || case_fail "$host: $l stderr lines, expected 1..$max"
}
gcs() {  # gcs ARGS: gnutls_client against s_server
    run_preloaded "$GNUTLS_CLIENT" --port "$S_PORT" "$@"
}

WRONG1=sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
WRONG2=sha256/BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=
write_conf "$CONF" -v all pinned.test "$WRONG1" good.test "$WRONG2" bad.test "sha256//$PIN_INT"
N=${PINSHIM_COALESCE_N:-2000}

case_begin "$N failing handshakes in ONE process (2 threads, TLS 1.2, wrong pin): every one refused, <= 5 JSON lines whose repeats sum to exactly $N, the same on stderr; the first line alone, the last with repeat"
t0=$EPOCHREALTIME
RUN_TIMEOUT=120 gcs --cafile "$PKI/root.pem" --verify-host sni --tls 1.2 --threads 2 --count "$N" \
    --hosts pinned.test --quiet --deadline 110
echo "# $N handshakes in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
check_rc 2
check_timeout
check_out_has "^summary total ok=0 refused=$N pinblock=$N error=0 io_failed=0\$"
check_glog fail blocked pinned.test "$N"
check_sums pinned.test "$N" 5
"$PYTHON3" -S - "$LOG" > "$T/shape.out" 2>&1 <<'PYEOF' || case_fail "$(cat "$T/shape.out")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
if "repeat" in lines[0]:
    sys.exit("the first line has repeat: it should be written at once, alone")
if len(lines) < 2 or "repeat" not in lines[-1]:
    sys.exit("the last line (written at exit) has no repeat")
PYEOF
case_end

case_begin "three keys interleaved in one process (pinned.test fail, good.test fail, bad.test pass; verdicts = all): each summed separately and exactly"
RUN_TIMEOUT=100 gcs --insecure --tls 1.2 --threads 1 --count 800 --hosts pinned.test,good.test,bad.test,pinned.test \
    --quiet --deadline 90
check_rc 2
check_timeout
check_out_has '^summary sni=good\.test ok=0 refused=200 pinblock=200 '
check_out_has '^summary sni=bad\.test ok=200 refused=0 '
check_glog fail blocked pinned.test 400
check_glog fail blocked good.test 200
check_glog pass allowed bad.test 200
check_sums pinned.test 400 5
check_sums good.test 200 5
check_sums bad.test 200 5
case_end

case_begin "100 failing hosts x 2 rounds in one process: every host sums to exactly 2, 200 in all"
set --
hosts100=""
for i in $(seq 1 100); do
    set -- "$@" "h$i.test" "$WRONG1"
    hosts100="$hosts100${hosts100:+,}h$i.test"
done
write_conf "$CONF" -v all "$@"
set --
RUN_TIMEOUT=60 gcs --insecure --tls 1.2 --threads 1 --count 200 --hosts "$hosts100" --quiet --deadline 50
check_rc 2
check_out_has '^summary total ok=0 refused=200 pinblock=200 '
"$PYTHON3" -S - "$LOG" "$GNUTLS_LIBRARY" > "$T/many.out" 2>&1 <<'PYEOF' || case_fail "$(cat "$T/many.out")"
import collections, json, sys
ev = collections.Counter()
for l in open(sys.argv[1]):
    if l.strip():
        o = json.loads(l)
        ev[o["host"]] += o.get("repeat", 1)
        if o.get("library") != sys.argv[2]:
            sys.exit("library %r" % o.get("library"))
bad = {h: n for h, n in ev.items() if n != 2}
if len(ev) != 100 or bad or sum(ev.values()) != 200:
    sys.exit("%d hosts, %d events; hosts not at 2: %s" % (len(ev), sum(ev.values()), sorted(bad.items())[:10]))
PYEOF
case_end

write_conf "$CONF" -v all pinned.test "$WRONG1"
case_begin "fork: parent 1 refusal, fork, the child 30 and exit(), the parent 30 more: the lines sum to 61, per pid 31 and 30"
hosts30=$(printf 'pinned.test,%.0s' $(seq 1 30))
hosts30=${hosts30%,}
RUN_TIMEOUT=60 gcs --insecure --tls 1.2 --fork --hosts "$hosts30" --deadline 50
check_rc 2
check_out_has '^child exit=2$'
check_out_has '^summary who=child ok=0 refused=30 pinblock=30 '
check_out_has '^summary who=parent ok=0 refused=31 pinblock=31 '
check_glog fail blocked pinned.test 61
check_sums pinned.test 61 6
"$PYTHON3" -S - "$LOG" > "$T/perpid.out" 2>&1 <<'PYEOF' || case_fail "$(cat "$T/perpid.out")"
import collections, json, sys
ev = collections.Counter()
for l in open(sys.argv[1]):
    if l.strip():
        o = json.loads(l)
        ev[o["pid"]] += o.get("repeat", 1)
if sorted(ev.values()) != [30, 31]:
    sys.exit("events per pid %s, expected 31 (parent) and 30 (child)" % dict(ev))
PYEOF
case_end

# ============================================================ programs ===

use_server genuine
# conf_programs 'LIST' [write_conf options]: verdicts = all, pinned.test wrong.
conf_programs() {
    local list=$1
    shift
    write_conf "$CONF" -v all -g "programs = [ $list ];" "$@" pinned.test "$WRONG"
}
expect_gc_refused() {
    check_rc 2
    check_out_has "^handshake who=main sni=pinned\\.test $REFUSED"
    check_zero_bytes 1
    check_glog fail blocked pinned.test 1
    check_err_has '^pinshim: BLOCKED pinned\.test'
}
expect_unaffected() {  # the program did its job and the library said nothing
    check_rc 0
    check_received "${1:-probe pinned.test}"
    check_no_log
    check_err_lacks 'pinshim'
}

conf_programs "\"$GC_REAL\""
case_begin "programs = [ gnutls_client's real path ], wrong pin: gnutls_client refused and logged; gnutls-cli (not in the list) sends its line, no record, nothing on stderr"
gcv pinned.test
expect_gc_refused
if [ $HAVE_GCLI = 1 ]; then
    : > "$LOG"
    mark
    gcli "programs line $$"
    expect_unaffected "programs line $$"
fi
case_end

if [ $HAVE_GCLI = 1 ]; then
    conf_programs "\"$GCLI_REAL\""
    case_begin "programs = [ gnutls-cli ($GCLI_REAL) ], wrong pin: gnutls-cli refused with its certificate error, zero bytes, fail/blocked; gnutls_client not covered: passes, no record"
    gcli "programs line $$"
    check_rc_not 0
    check_any_has "$GCLI_ERR_RE"
    check_zero_bytes 1
    check_glog fail blocked pinned.test 1
    : > "$LOG"
    mark
    gcv pinned.test
    expect_unaffected
    case_end
fi

mkdir -p "$T/bin"
ln -sf "$GC_REAL" "$T/bin/mygc"
ln -sf "$T/bin/mygc" "$T/bin/mygc2"
cp "$GC_REAL" "$T/bin/gccopy"
conf_programs "\"$GC_REAL\""
case_begin "gnutls_client through a symlink and a chain of two: matched by its real path, refused; a copy elsewhere: another real path, not covered, passes"
run_preloaded "$T/bin/mygc" --port "$SERVER_PORT" --deadline 25 --sni pinned.test --verify-host sni --cafile "$PKI/root.pem"
expect_gc_refused
: > "$LOG"
mark
run_preloaded "$T/bin/mygc2" --port "$SERVER_PORT" --deadline 25 --sni pinned.test --insecure
expect_gc_refused
: > "$LOG"
mark
run_preloaded "$T/bin/gccopy" --port "$SERVER_PORT" --deadline 25 --sni pinned.test --insecure
expect_unaffected
case_end

conf_programs "\"$(dirname "$GC_REAL")/gnutls_cl*\""
case_begin "glob [ \"$(dirname "$GC_REAL")/gnutls_cl*\" ]: refused; a glob that matches nothing ([ \".../gnutls_client?\", \"/nonexistent/*\" ]): passes, nothing logged"
gcv pinned.test
expect_gc_refused
: > "$LOG"
mark
conf_programs "\"$(dirname "$GC_REAL")/gnutls_client?\", \"/nonexistent/*\""
gcv pinned.test
expect_unaffected
case_end

if [ $HAVE_GCLI = 1 ]; then
    conf_programs "\"$GCLI_REAL\"" -u block
    case_begin "out of scope means not judged at all: unpinned = block, programs = [ gnutls-cli ]: gnutls_client to an unpinned name passes silently, gnutls-cli to it is refused (unpinned/blocked)"
    gc --sni other.test --insecure
    expect_unaffected "probe other.test"
    mark
    GCLI_SNI=localhost gcli "unpinned line $$"
    check_rc_not 0
    check_any_has "$GCLI_ERR_RE"
    check_zero_bytes 1
    check_glog unpinned blocked localhost 1
    case_end
fi

conf_programs '"/nonexistent/*"'
programs_to_gc() {
    conf_programs "\"$GC_REAL\""
    mv -f "$CONF" "$CONF.new"
    conf_programs '"/nonexistent/*"'
    mv -f "$CONF.new" "$CONF"
}
case_begin "hot reload of programs: a running gnutls_client out of scope passes its first connection unjudged; the list changed (rename) to its real path: its second connection is refused, zero bytes, one fail/blocked record"
SETTLE=2.2 gc_paused programs_to_gc --sni pinned.test --verify-host sni --cafile "$PKI/root.pem"
check_rc 2
check_out_has '^handshake who=main .*result=ok reused=0'
check_out_has "^handshake who=resume .*$REFUSED"
check_out_lacks '^write who=resume .*result=ok'
check_zero_bytes 1
check_glog fail blocked pinned.test 1
case_end

# ============================================================== reload ===

use_server genuine
RIGHT=$T/conf-right
WRONGC=$T/conf-wrong
# The loop's own JSON log: case_begin empties $LOG.
LOOP_LOG=$T/loop.jsonl
write_conf "$RIGHT" -v all -j "$LOOP_LOG" pinned.test "sha256//$PIN_LEAF"
write_conf "$WRONGC" -v all -j "$LOOP_LOG" pinned.test "sha256//$PIN_UNRELATED"
[ "$(stat -c %s "$RIGHT")" = "$(stat -c %s "$WRONGC")" ] || hard_error "config sizes differ"
BROKEN=$T/conf-broken
BROKEN_LINE=5
{ head -n 4 "$RIGHT"; echo 'this line is not libconfig'; tail -n +5 "$RIGHT"; } > "$BROKEN"
BROKEN6=$T/conf-broken6
BROKEN6_LINE=6
{ head -n 5 "$WRONGC"; echo 'hosts_too = ( { name = ; } );'; tail -n +6 "$WRONGC"; } > "$BROKEN6"

edit_in_place() {  # edit_in_place SRC: $CONF gets SRC's bytes, same inode
    "$PYTHON3" -S - "$CONF" "$1" <<'PYEOF'
import os, sys
data = open(sys.argv[2], "rb").read()
fd = os.open(sys.argv[1], os.O_WRONLY)
os.write(fd, data)
os.ftruncate(fd, len(data))
os.close(fd)
PYEOF
}
replace_by_rename() { cp "$1" "$CONF.new" && mv -f "$CONF.new" "$CONF"; }

LOOP_OUT=$T/loop.out
LOOP_ERR=$T/loop.err
LOOP_STOP=$T/loop.stop
MAX_DELAY=2.0
# loop_lines: the loop client's handshake lines so far (one per connection).
loop_results() { grep '^handshake ' "$LOOP_OUT" | sed 's/.* result=\([a-z]*\).*/\1/'; }
loop_count() { loop_results | wc -l; }
# wait_first_after N0 RESULT: wait (bounded, 8 s) for a connection after the
# first N0 with RESULT; sets DELAY (s since T_CHANGE) and FIRST_AT (its index).
wait_first_after() {
    local n0=$1 r=$2 i
    FIRST_AT=""
    for ((i = 0; i < 320; i++)); do
        FIRST_AT=$(loop_results | awk -v n0="$n0" -v r="$r" 'NR > n0 && $0 == r { print NR; exit }')
        [ -n "$FIRST_AT" ] && break
        kill -0 "$LOOP_PID" 2>/dev/null || break
        sleep 0.025
    done
    DELAY=$(awk -v a="$T_CHANGE" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
    [ -n "$FIRST_AT" ]
}
# check_applied WHAT RESULT: the last connection before the change had
# another result, and the first RESULT after it came within MAX_DELAY.
check_applied() {
    local before
    before=$(loop_results | awk -v n="$N_CHANGE" 'NR == n')
    [ -n "$before" ] && [ "$before" != "$2" ] ||
        case_fail "$1: the connection before the change was '${before:-none}', expected another result than $2"
    if ! wait_first_after "$N_CHANGE" "$2"; then
        case_fail "$1: no connection with result=$2 within 8 s of the change"
        return 1
    fi
    echo "# measured delay ($1): $DELAY s"
    awk -v d="$DELAY" -v m="$MAX_DELAY" 'BEGIN { exit !(d + 0 <= m + 0) }' ||
        case_fail "$1: the first result=$2 came $DELAY s after the change, more than $MAX_DELAY s"
}
# check_stays FROM RESULT MIN: connections after the first FROM all have
# RESULT, at least MIN of them (waits, bounded, for them).
check_stays() {
    local from=$1 r=$2 min=$3 i other
    for ((i = 0; i < 200; i++)); do
        [ "$(loop_count)" -ge $((from + min)) ] && break
        kill -0 "$LOOP_PID" 2>/dev/null || break
        sleep 0.025
    done
    [ "$(loop_count)" -ge $((from + min)) ] || case_fail "only $(($(loop_count) - from)) connections, expected $min"
    other=$(loop_results | awk -v n0="$from" -v r="$2" 'NR > n0 && $0 != r' | sort | uniq -c | tr '\n' ' ')
    [ -z "$other" ] || case_fail "after connection $from, results other than $r: $other"
}
change() {  # change FUNCTION ARG: note when and after which connection
    N_CHANGE=$(loop_count)
    T_CHANGE=$EPOCHREALTIME
    "$@"
}
loop_as_run() {  # case_end's diagnostics show the loop client
    OUT=$LOOP_OUT
    ERR=$LOOP_ERR
    RC=running
    RUN_CMD="LD_PRELOAD=... PINSHIM_CONFIG=$CONF $GNUTLS_CLIENT --port $SERVER_PORT ... --threads 1 --count 800 --interval 0.1"
}
diag_loop() { diag "--- loop client (last lines):" "$(tail -n 8 "$LOOP_OUT")" "--- stderr:" "$(tail -n 5 "$LOOP_ERR" | cut -c1-300)"; }

cp "$BROKEN" "$CONF"
: > "$LOOP_LOG"
rm -f "$LOOP_STOP"
env LD_PRELOAD="${PINSHIM_PRELOAD:-$PINSHIM_LIB}" PINSHIM_CONFIG="$CONF" timeout -k 5 90 "$GNUTLS_CLIENT" \
    --port "$SERVER_PORT" --deadline 80 --sni pinned.test --verify-host sni --cafile "$PKI/root.pem" \
    --threads 1 --count 800 --hosts pinned.test --interval 0.1 --stop-file "$LOOP_STOP" \
    >"$LOOP_OUT" 2>"$LOOP_ERR" </dev/null &
LOOP_PID=$!
_SERVER_PIDS="$_SERVER_PIDS $LOOP_PID"
loop_as_run

case_begin "reload: a gnutls_client connecting 10 times a second, started with a broken config (line $BROKEN_LINE): fail closed (every connection refused); a fixed file (rename, right pin) applies within $MAX_DELAY s, then every connection passes"
for _ in $(seq 1 200); do
    [ "$(loop_count)" -ge 3 ] && break
    kill -0 "$LOOP_PID" 2>/dev/null || break
    sleep 0.025
done
check_stays 0 refused 3
change replace_by_rename "$RIGHT"
check_applied "broken at start, then fixed" ok && check_stays "$FIRST_AT" ok 4
N_BROKEN_REFUSED=$(loop_results | awk -v n="${FIRST_AT:-0}" 'NR < n && $0 == "refused"' | wc -l)
[ -n "$_CASE_ERRS" ] && diag_loop
case_end

case_begin "reload: edit in place (same inode) right -> wrong: the first refusal within $MAX_DELAY s, then every connection refused"
ino=$(stat -c %i "$CONF")
change edit_in_place "$WRONGC"
[ "$(stat -c %i "$CONF")" = "$ino" ] || case_fail "the edit changed the inode"
check_applied "edit in place, right -> wrong" refused && check_stays "$FIRST_AT" refused 4
[ -n "$_CASE_ERRS" ] && diag_loop
case_end

case_begin "reload: a broken edit in place (line $BROKEN6_LINE): the last good policy (wrong pin) keeps applying, verdict fail not error, ONE 'FILE:$BROKEN6_LINE: ... keeping the last good policy' on stderr"
err_before=$(wc -l < "$LOOP_ERR")
change edit_in_place "$BROKEN6"
sleep 2.5
check_stays "$N_CHANGE" refused 10
n=$(grep -c "^pinshim: $CONF:$BROKEN6_LINE: .*keeping the last good policy" "$LOOP_ERR")
[ "$n" = 1 ] || case_fail "$n stderr lines 'pinshim: $CONF:$BROKEN6_LINE: ... keeping the last good policy', expected 1"
! tail -n +$((err_before + 1)) "$LOOP_ERR" | grep -q "verdict error" || case_fail "refusals under the last good policy are told as errors"
[ -n "$_CASE_ERRS" ] && diag_loop
case_end

case_begin "reload: the file fixed (rename, right pin): the first pass within $MAX_DELAY s"
change replace_by_rename "$RIGHT"
check_applied "broken edit, then fixed" ok && check_stays "$FIRST_AT" ok 3
[ -n "$_CASE_ERRS" ] && diag_loop
case_end

: > "$LOOP_STOP"
wait "$LOOP_PID"
LOOP_RC=$?
loop_as_run
RC=$LOOP_RC
case_begin "reload: the whole run: exit 2, every connection passed or was pin-refused; the error refusals on stderr name FILE:$BROKEN_LINE and number the ones before the fix; the JSON records (gnutls) sum to the rest"
[ "$LOOP_RC" = 2 ] || case_fail "loop client exit status $LOOP_RC, expected 2"
sum=$(sed -n 's/^summary total ok=\([0-9]*\) refused=\([0-9]*\) pinblock=\([0-9]*\) error=0 io_failed=0$/\1 \2 \3/p' "$LOOP_OUT")
read -r okn refn pbn <<<"${sum:-x x x}"
if [ -z "$sum" ]; then
    case_fail "no clean summary: $(grep '^summary total' "$LOOP_OUT")"
else
    [ "$refn" = "$pbn" ] || case_fail "$refn refused but $pbn pin refusals"
    echo "# $((okn + refn)) connections: $okn passed, $refn refused ($N_BROKEN_REFUSED under the broken config)"
    ne=$(awk -v c="$CONF:$BROKEN_LINE:" '
        /^pinshim: BLOCKED pinned\.test.* verdict error/ && index($0, c) {
            if (match($0, /\[[0-9]+ more times within [0-9]+ s\]/)) {
                s = substr($0, RSTART + 1, RLENGTH - 2); split(s, f, " "); e += f[1]
            } else e++
        }
        END { print e + 0 }' "$LOOP_ERR")
    [ "$ne" = "$N_BROKEN_REFUSED" ] ||
        case_fail "$ne 'verdict error ... $CONF:$BROKEN_LINE:' events on stderr, expected $N_BROKEN_REFUSED"
    LOG_SAVED=$LOG
    LOG=$LOOP_LOG
    check_glog_n pass allowed pinned.test "$okn"
    check_glog_n fail blocked pinned.test "$((refn - N_BROKEN_REFUSED))"
    check_log_fields
    LOG=$LOG_SAVED
fi
n=$(grep -c '^pinshim: .*keeping the last good policy' "$LOOP_ERR")
[ "$n" = 1 ] || case_fail "$n 'keeping the last good policy' lines, expected 1"
[ -n "$_CASE_ERRS" ] && diag_loop
case_end

case_begin "reload under threads: 2 threads x 2000 handshakes while the config flips right/wrong (holds of 0.7 and 0.3 s): every handshake passed or was pin-refused, both seen, the records sum to exactly the counts"
write_conf "$RIGHT.all" -v all pinned.test "sha256//$PIN_LEAF"
write_conf "$WRONGC.all" -v all pinned.test "sha256//$PIN_UNRELATED"
cp "$RIGHT.all" "$CONF"
: > "$LOG"
FLIP_STOP=$T/flip.stop
rm -f "$FLIP_STOP"
(
    k=0
    while [ ! -e "$FLIP_STOP" ] && [ $k -lt 100 ]; do
        k=$((k + 1))
        if [ $((k % 2)) = 1 ]; then cp "$WRONGC.all" "$CONF.flip"; else cp "$RIGHT.all" "$CONF.flip"; fi
        mv -f "$CONF.flip" "$CONF"
        if [ $((k % 3)) = 0 ]; then sleep 0.3; else sleep 0.7; fi
    done
) </dev/null >/dev/null 2>&1 &
FLIP_PID=$!
_SERVER_PIDS="$_SERVER_PIDS $FLIP_PID"
t0=$EPOCHREALTIME
RUN_TIMEOUT=100 gcs --cafile "$PKI/root.pem" --verify-host sni --sni pinned.test --tls 1.2 --threads 2 \
    --count 2000 --hosts pinned.test --quiet --deadline 90
secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
: > "$FLIP_STOP"
wait "$FLIP_PID" 2>/dev/null
check_timeout
[ "$RC" = 0 ] || [ "$RC" = 2 ] || case_fail "gnutls_client exit status $RC"
sum=$(sed -n 's/^summary total ok=\([0-9]*\) refused=\([0-9]*\) pinblock=\([0-9]*\) error=0 io_failed=0$/\1 \2 \3/p' "$OUT")
read -r okn refn pbn <<<"${sum:-x x x}"
echo "# 2000 handshakes in $secs s under reloads: ok=$okn refused=$refn"
if [ -z "$sum" ]; then
    case_fail "no clean summary: $(grep '^summary total' "$OUT")"
else
    [ $((okn + refn)) = 2000 ] || case_fail "ok + refused = $((okn + refn)), expected 2000"
    [ "$refn" = "$pbn" ] || case_fail "$refn refused but $pbn pin refusals"
    if awk -v s="$secs" 'BEGIN { exit !(s >= 2) }'; then
        [ "$okn" -gt 0 ] && [ "$refn" -gt 0 ] || case_fail "the flips were not seen: ok=$okn refused=$refn in $secs s"
    fi
    check_glog_n pass allowed pinned.test "$okn"
    check_glog_n fail blocked pinned.test "$refn"
fi
case_end

finish
