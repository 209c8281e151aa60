#!/bin/bash
# t_programs.sh - `programs` (issue 5, DESIGN 10): globs matched with fnmatch
# against the executable's real path (/proc/self/exe).  A program the list
# does not cover is not judged at all (no block, no log line) even with the
# library preloaded; one started through a symlink matches its target.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

common_setup
require_cmd curl readlink

CURL_REAL=$(readlink -f "$(command -v curl)")
PY_REAL=$(readlink -f "$PYTHON3")
[ -x "$CURL_REAL" ] && [ -x "$PY_REAL" ] || hard_error "cannot resolve curl / $PYTHON3"
diag "curl is $CURL_REAL, $PYTHON3 is $PY_REAL"

start_server -n srv "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server did not start"

WRONG=sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=

# conf_programs 'LIST' [extra write_conf options]: verdicts = all (every
# judged handshake is logged), pinned.test with a wrong pin.
conf_programs() {
    local list=$1
    shift
    write_conf "$CONF" -v all -g "programs = [ $list ];" "$@" pinned.test "$WRONG"
}

curl_run() {  # curl_run [CURL...]: GET https://pinned.test:PORT/
    local bin=${1:-curl}
    run_preloaded "$bin" -sS --max-time 20 --resolve "pinned.test:$SERVER_PORT:127.0.0.1" \
        --cacert "$PKI/root.pem" "https://pinned.test:$SERVER_PORT/programs"
}

cat > "$T/py.py" <<'PYEOF'
import socket, ssl, sys
port, ca, name = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
try:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=name) as s:
            s.sendall(b"GET /py HTTP/1.1\r\nHost: " + name.encode() + b"\r\nConnection: close\r\n\r\n")
            print("result=ok " + s.recv(200).split(b"\r\n")[0].decode())
except ssl.SSLCertVerificationError as e:
    print("result=blocked verify_code=%s" % e.verify_code)
    sys.exit(2)
PYEOF
py_run() {  # py_run [NAME]
    run_preloaded "$PYTHON3" "$T/py.py" "$SERVER_PORT" "$PKI/root.pem" "${1:-pinned.test}"
}

expect_curl_blocked() {
    check_rc 60
    check_zero_bytes 1
    check_log fail blocked pinned.test 1
    check_err_has '^pinshim: BLOCKED pinned\.test'
}

expect_unaffected() {  # the program passes and the library says nothing
    check_rc 0
    check_received "GET /"
    [ -s "$LOG" ] && case_fail "JSON log lines for a program not in the list: $(head -c 300 "$LOG")"
    check_err_lacks 'pinshim'
}

# ------------------------------------------------------------------ cases ---

conf_programs "\"$CURL_REAL\""

case_begin "programs = [ \"$CURL_REAL\" ], wrong pin: curl is blocked (60), logged"
curl_run
expect_curl_blocked
check_out_lacks 'pinshim test server: ok'
case_end

case_begin "same config, /usr/bin/python3 preloaded: not covered, connects fine, no log line, nothing on stderr"
py_run
expect_unaffected
check_out_has '^result=ok HTTP/1.1 200 OK$'
case_end

case_begin "same config, tls_client preloaded: not covered, passes, no log line"
CLIENT_HOST=127.0.0.1 client --sni pinned.test --cafile "$PKI/root.pem" --send "GET / HTTP/1.0\r\n"
expect_unaffected
check_out_has 'result=ok'
case_end

case_begin "curl through a symlink ($T/bin/mycurl -> $CURL_REAL): matched by its real path, blocked"
mkdir -p "$T/bin"
ln -sf "$CURL_REAL" "$T/bin/mycurl"
curl_run "$T/bin/mycurl"
expect_curl_blocked
grep -q '"program":"mycurl"' "$LOG" || diag "program field: $(grep -o '"program":"[^"]*"' "$LOG" | head -n 1)"
case_end

case_begin "curl through a chain of two symlinks: still blocked"
ln -sf "$T/bin/mycurl" "$T/bin/mycurl2"
curl_run "$T/bin/mycurl2"
expect_curl_blocked
case_end

case_begin "a copy of curl elsewhere ($T/bin/curlcopy): another real path, not covered, passes"
cp "$CURL_REAL" "$T/bin/curlcopy"
curl_run "$T/bin/curlcopy"
expect_unaffected
check_out_has 'pinshim test server: ok'
case_end

case_begin "glob programs = [ \"/usr/bin/cur*\" ]: curl blocked, python3 not affected"
conf_programs '"/usr/bin/cur*"'
curl_run
expect_curl_blocked
: > "$LOG"
mark
py_run
expect_unaffected
case_end

case_begin "glob through a symlink: $T/bin/mycurl with [ \"/usr/bin/cur*\" ] is blocked"
curl_run "$T/bin/mycurl"
expect_curl_blocked
case_end

case_begin "a glob that matches nothing ([ \"/usr/bin/curl?\", \"/nonexistent/*\" ]): curl not covered, passes"
conf_programs '"/usr/bin/curl?", "/nonexistent/*"'
curl_run
expect_unaffected
case_end

case_begin "several entries, the second matches ([ \"/nonexistent\", \"$CURL_REAL\" ]): curl blocked"
conf_programs "\"/nonexistent\", \"$CURL_REAL\""
curl_run
expect_curl_blocked
case_end

case_begin "programs = [ python3's real path \"$PY_REAL\" ]: python3 blocked, curl not affected"
conf_programs "\"$PY_REAL\""
py_run
check_rc 2
check_out_has '^result=blocked verify_code=50$'
check_zero_bytes 1
check_log fail blocked pinned.test 1
: > "$LOG"
curl_run
expect_unaffected
case_end

if [ -L "$PYTHON3" ] && [ "$PY_REAL" != "$PYTHON3" ]; then
    case_begin "programs = [ \"$PYTHON3\" ] names a symlink (-> $PY_REAL): the real path counts, so python3 is not covered"
    conf_programs "\"$PYTHON3\""
    py_run
    expect_unaffected
    case_end
fi

case_begin "not covered means not judged at all: unpinned = \"block\" with programs = [ curl ]: python3 to an unpinned name passes, curl is blocked"
conf_programs "\"$CURL_REAL\"" -u block
py_run localhost
expect_unaffected
: > "$LOG"
mark
run_preloaded curl -sS --max-time 20 --cacert "$PKI/root.pem" "https://localhost:$SERVER_PORT/unpinned"
check_rc 60
check_zero_bytes 1
check_log unpinned blocked localhost 1
case_end

case_begin "hot reload: a running python3 not in the list passes; the list changed (rename) to its real path: blocked within 2 s"
conf_programs "\"$PY_REAL\""
mv "$CONF" "$T/conf-python"
conf_programs "\"$CURL_REAL\""
RUN_TIMEOUT=40 run_preloaded "$PYTHON3" "$CONF_FLIP_PY" "$SERVER_PORT" "$PKI/root.pem" "$CONF" "$T/conf-python" refusal
check_rc 0
check_out_has '^0 ok$'
check_out_has '^2 ok$'
check_out_has '^first refusal [0-9.]+ s after the change$'
d=$(sed -n 's/^first refusal \([0-9.]*\) s after the change$/\1/p' "$OUT")
[ -n "$d" ] && echo "# measured delay (programs reload): $d s"
[ -n "$d" ] && awk -v d="$d" 'BEGIN { exit !(d <= 2.0) }' || case_fail "the new programs list applied after ${d:-?} s (more than 2 s)"
grep -q ' blocked50$' "$OUT" || case_fail "the refusal is not a pin block (verify code 50): $(tail -n 1 "$OUT")"
case_end

case_begin "no programs key: every program is covered (python3 blocked too)"
write_conf "$CONF" -v all pinned.test "$WRONG"
py_run
check_rc 2
check_out_has '^result=blocked verify_code=50$'
check_log fail blocked pinned.test 1
case_end

finish
