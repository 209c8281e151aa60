#!/bin/bash
# t_foreign.sh - a program with a libssl pinshim cannot bind (DESIGN 4, 12):
# BoringSSL, as Debian's android-libboringssl ships it (no SSL_in_before,
# no SSL_read_ex, no OPENSSL_sk_num).  Every call passes through to it: the
# program keeps its TLS, client and server side; in scope it is told once,
# on stderr and as a JSON record with verdict "uncovered"; out of scope
# (`programs`), not a word.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

common_setup
BORING_INC=/usr/include/android
BORING_LIB=/usr/lib/x86_64-linux-gnu/android
[ -f "$BORING_INC/openssl/ssl.h" ] && [ -e "$BORING_LIB/libssl.so" ] ||
    skip_all "BoringSSL not installed (Debian package android-libboringssl-dev)"
PEER=$T/boring_peer
# shellcheck disable=SC2086
${CC:-cc} -Wall -Wextra -O1 -I"$BORING_INC" -o "$PEER" "$_lib_dir/boring_peer.c" -L"$BORING_LIB" \
    -Wl,--disable-new-dtags -Wl,-rpath,"$BORING_LIB" -lssl -lcrypto >"$T/cc.log" 2>&1 ||
    hard_error "boring_peer does not build: $(head -n 5 "$T/cc.log")"

start_server "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server did not start"
SCOPE_ALL=""
SCOPE_OTHER='programs = [ "/usr/bin/curl" ];'

conf() {  # conf SCOPE-LINE: enforce, pinned.test pinned to the intermediate
    write_conf "$CONF" -v failures -g "$1" pinned.test "$PIN_INT"
}

case_begin "BoringSSL client, in scope: its TLS works, one 'uncovered' line and one JSON record"
conf "$SCOPE_ALL"
run_preloaded "$PEER" client "$SERVER_PORT" pinned.test "foreign probe $$"
check_rc 0
check_out_has '^client ok'
check_received "foreign probe $$"
[ "$(grep -c 'pinshim' "$ERR")" = 1 ] || case_fail "expected one pinshim line on stderr, got $(grep -c pinshim "$ERR")"
check_err_has '^pinshim: NOT COVERED: boring_peer\[[0-9]+\]: this process does TLS with .*android/libssl\.so\.0, which pinshim cannot judge'
"$PYTHON3" - "$LOG" > "$T/uncovered.out" 2>&1 <<'PY' || case_fail "JSON log: $(cat "$T/uncovered.out")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert len(lines) == 1, "%d lines" % len(lines)
o = lines[0]
assert o["verdict"] == "uncovered" and o["action"] == "allowed", o
assert "libssl.so.0" in o["library"], o
assert o["program"] == "boring_peer" and o["host"] is None, o
PY
case_end

case_begin "BoringSSL client, out of scope (programs): its TLS works, not a word"
conf "$SCOPE_OTHER"
run_preloaded "$PEER" client "$SERVER_PORT" pinned.test "foreign quiet $$"
check_rc 0
check_out_has '^client ok'
check_received "foreign quiet $$"
[ ! -s "$ERR" ] || case_fail "stderr: $(head -c 300 "$ERR")"
[ ! -s "$LOG" ] || case_fail "JSON log: $(head -c 300 "$LOG")"
case_end

for scope in "$SCOPE_ALL" "$SCOPE_OTHER"; do
    case_begin "BoringSSL server ${scope:+(out of scope) }with the library preloaded: serves a connection"
    conf "$scope"
    rm -f "$T/boring.port"
    env LD_PRELOAD="$PINSHIM_LIB" PINSHIM_CONFIG="$CONF" "$PEER" server "$PKI/chain-leaf.pem" "$PKI/leaf.key" \
        "$T/boring.port" >"$T/bserver.out" 2>"$T/bserver.err" &
    bpid=$!
    for _ in $(seq 1 100); do
        [ -s "$T/boring.port" ] && break
        sleep 0.05
    done
    if [ -s "$T/boring.port" ]; then
        run_plain "$TEST_CLIENT" --port "$(cat "$T/boring.port")" --sni pinned.test --insecure --send "to boring $$" --read
        check_rc 0
        check_out_has '^read .*result=ok .*data="bye"'
    else
        case_fail "the BoringSSL server did not come up: $(head -c 300 "$T/bserver.err")"
    fi
    stop_pids 50 "$bpid"
    grep -q "^server got: to boring $$" "$T/bserver.out" || case_fail "server: $(head -c 300 "$T/bserver.out") $(head -c 300 "$T/bserver.err")"
    case_end
done

finish
