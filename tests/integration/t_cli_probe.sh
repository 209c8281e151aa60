#!/bin/bash
# t_cli_probe.sh - `pinshim probe` against a local TLS server: the served
# chain with the right pins (the same as openssl's pipeline), verification
# with and without the CA, the verdict of a config, a suggested entry that
# a preloaded client passes with (headed by a caution when the chain did not
# verify; with "port = N;" off 443), and the exit codes.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

need_pinshim_bin
require_cmd awk sed
common_setup

start_server -n main "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server did not start"
PORT=$SERVER_PORT
VIA="pinned.test:443:127.0.0.1:$PORT"

# probe ARGS...: run the command (bounded), sets OUT ERR RC.
probe() {
    run_plain "$PINSHIM_BIN" probe "$@"
}

# one_line_error: stderr is exactly one line, "pinshim: ...".
check_one_line_error() {
    local n
    n=$(wc -l < "$ERR")
    [ "$n" = 1 ] || case_fail "stderr has $n lines, expected 1"
    grep -q '^pinshim: ' "$ERR" || case_fail "stderr does not start with 'pinshim: '"
}

# ---- the chain and its pins, as openssl sees them ---------------------------

# The chain the server sends, through openssl s_client, one PEM per file.
timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -servername pinned.test -showcerts </dev/null \
    2>/dev/null | awk -v dir="$T" '
        /BEGIN CERTIFICATE/ { n++; f = dir "/served" (n - 1) ".pem" }
        f { print > f }
        /END CERTIFICATE/ { close(f); f = "" }'
[ -s "$T/served0.pem" ] && [ -s "$T/served1.pem" ] || hard_error "openssl s_client did not show the chain"
S_PIN0=$(pin_of "$T/served0.pem")
S_PIN1=$(pin_of "$T/served1.pem")

case_begin "probe --cafile: the served chain, pins as openssl's pipeline computes them, verified"
probe --cafile "$PKI/root.pem" --connect-to "$VIA" pinned.test
check_rc 0
check_out_has "^probe pinned\.test:443: connected to 127\.0\.0\.1:$PORT, TLSv1\.[23], SNI pinned\.test$"
check_out_has '^served chain \(2 certificates'
check_out_has '^  \[0\] leaf$'
check_out_has '^  \[1\] intermediate$'
check_out_has '^  \[2\] root$'
check_out_has "^      pin       sha256/${S_PIN0//+/\\+}$"
check_out_has "^      pin       sha256/${S_PIN1//+/\\+}$"
[ "$S_PIN0" = "$PIN_LEAF" ] || case_fail "openssl's leaf pin $S_PIN0 is not the leaf's $PIN_LEAF"
[ "$S_PIN1" = "$PIN_INT" ] || case_fail "openssl's second pin $S_PIN1 is not the intermediate's $PIN_INT"
# In order: leaf pin in the [0] block, intermediate in [1], root (trust store) in [2].
[ "$(grep -E '^      pin ' "$OUT" | awk '{print $2}' | tr '\n' ' ')" = \
  "sha256/$PIN_LEAF sha256/$PIN_INT sha256/$PIN_ROOT " ] ||
    case_fail "pins not in chain order: $(grep -E '^      pin ' "$OUT" | tr '\n' ' ')"
check_out_has '^      subject   CN=pinned\.test,O=pinshim test$'
check_out_has '^      issuer    CN=pinshim test intermediate CA,O=pinshim test$'
check_out_has '^      notAfter  [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$'
check_out_has '^verified: yes'
check_out_lacks '^verdict'
[ -s "$ERR" ] && case_fail "stderr is not empty"
case_end

case_begin "probe without --cafile: verified no, with the reason, exit 0"
probe --connect-to "$VIA" pinned.test
check_rc 0
check_out_has '^verified: no: unable to get local issuer certificate'
check_out_has "sha256/${PIN_LEAF//+/\\+}"
case_end

case_begin "probe --servername of a name the certificate lacks: verified no, hostname mismatch"
probe --cafile "$PKI/root.pem" --servername nothere.test "127.0.0.1:$PORT"
check_rc 0
check_out_has 'SNI nothere\.test$'
check_out_has '^verified: no: hostname mismatch'
case_end

case_begin "probe of an IP address: no SNI, checked as an IP (verified), entry named by the IP"
probe --cafile "$PKI/root.pem" "127.0.0.1:$PORT"
check_rc 0
check_out_has 'no SNI \(IP address\)'
check_out_has '^verified: yes'
check_out_has '^  \{ name = "127\.0\.0\.1";'
wait_conns 1 && new_conn_lines | tail -n 1 | grep -q 'sni=-' || case_fail "the server saw an SNI: $(new_conn_lines | tail -n 1)"
case_end

# ---- the suggested entry ---------------------------------------------------

case_begin "the suggested entry: leaf and intermediate pins, a backup reminder, a valid config"
probe --cafile "$PKI/root.pem" --connect-to "$VIA" pinned.test
check_rc 0
sed -n '/^hosts = ($/,/^);$/p' "$OUT" > "$T/suggested.txt"
[ -s "$T/suggested.txt" ] || case_fail "no 'hosts = ( ... );' block in the output"
grep -q "\"sha256/$PIN_LEAF\"" "$T/suggested.txt" || case_fail "the entry lacks the leaf pin"
grep -q "\"sha256/$PIN_INT\"" "$T/suggested.txt" || case_fail "the entry lacks the intermediate pin"
grep -q "sha256/$PIN_ROOT" "$T/suggested.txt" && case_fail "the entry pins the root it was not sent"
grep -qi 'backup pin' "$T/suggested.txt" || case_fail "no reminder to add a backup pin"
grep -q 'name = "pinned.test"' "$T/suggested.txt" || case_fail "the entry is not for pinned.test"
check_out_has '^suggested config entry \(pinshim\.conf, libconfig syntax\):$'
check_out_lacks 'NOT verify|CAUTION|interceptor'
grep -q 'port' "$T/suggested.txt" && case_fail "a port in the entry for port 443"
{
    echo 'mode = "enforce";'
    echo "log = { stderr = true; syslog = false; json = \"$LOG\"; verdicts = \"all\"; };"
    cat "$T/suggested.txt"
} > "$T/suggested.conf"
case_end

case_begin "probe without --cafile: the suggested entry is headed by a caution (comments): did NOT verify, why, possibly an interceptor"
probe --connect-to "$VIA" pinned.test
check_rc 0
check_out_has '^suggested config entry \(pinshim\.conf, libconfig syntax\), from a chain that did NOT verify:$'
check_out_has '^# CAUTION: the chain did NOT verify against the system trust store: unable to get local issuer certificate\.$'
check_out_has '^# Pinning it pins whatever presented it, possibly an interceptor '
check_out_has '^# .*rather than pinned\.test itself\.$'
check_out_has '^# .*before use\.$'
# the caution comes before the entry, and the caution plus the entry is still a valid config
[ "$(grep -n '^# CAUTION' "$OUT" | cut -d: -f1)" -lt "$(grep -n '^hosts = ($' "$OUT" | cut -d: -f1)" ] ||
    case_fail "the caution is not above the entry"
sed -n '/^# CAUTION/,/^);$/p' "$OUT" > "$T/unverified.conf"
run_plain "$PINSHIM_BIN" check -c "$T/unverified.conf"
[ "$RC" = 0 ] || case_fail "check of the cautioned entry exited $RC: $(head -c 300 "$ERR")"
case_end

case_begin "probe --cafile, a name the certificate lacks: the caution names the CA file and the reason"
probe --cafile "$PKI/root.pem" --servername nothere.test "127.0.0.1:$PORT"
check_rc 0
check_out_has "^# CAUTION: the chain did NOT verify against ${PKI//./\\.}/root\\.pem: hostname mismatch\\.\$"
check_out_has '^# .*rather than nothere\.test itself\.$'
case_end

case_begin "probe of a port other than 443: the entry has 'port = N;' (not commented out); a preloaded client passes with it"
probe --cafile "$PKI/root.pem" --connect-to "pinned.test:$PORT:127.0.0.1:$PORT" "pinned.test:$PORT"
check_rc 0
check_out_has "^probe pinned\\.test:$PORT: "
check_out_has "^    port = $PORT; "
check_out_lacks '^ *# *port ='
check_out_lacks 'CAUTION'
sed -n '/^hosts = ($/,/^);$/p' "$OUT" > "$T/port-entry.txt"
{
    echo 'mode = "enforce";'
    echo "log = { stderr = true; syslog = false; json = \"$LOG\"; verdicts = \"all\"; };"
    cat "$T/port-entry.txt"
} > "$T/port.conf"
probe -c "$T/port.conf" --cafile "$PKI/root.pem" --connect-to "pinned.test:$PORT:127.0.0.1:$PORT" "pinned.test:$PORT"
check_rc 0
check_out_has "^verdict: pass: "
check_out_has "entry \"pinned\\.test\" at line [0-9]+"
CONF=$T/port.conf
use_server main
client --sni pinned.test --cafile "$PKI/root.pem" --send "hello-port"
check_rc 0
check_received 'hello-port'
check_log pass allowed pinned.test 1
case_end

case_begin "probe of an IP address on a port other than 443: 'port = N;' too"
probe --cafile "$PKI/root.pem" "127.0.0.1:$PORT"
check_rc 0
check_out_has '^  \{ name = "127\.0\.0\.1";'
check_out_has "^    port = $PORT; "
case_end

case_begin "the suggested config: a preloaded client passes, the server gets the bytes"
CONF=$T/suggested.conf
use_server main
client --sni pinned.test --cafile "$PKI/root.pem" --send "hello-suggested"
check_rc 0
check_received 'hello-suggested'
check_log pass allowed pinned.test 1
case_end

case_begin "pinshim check accepts the suggested config (when check exists)"
run_plain "$PINSHIM_BIN" check -c "$T/suggested.conf"
if grep -q 'not written yet' "$ERR"; then
    skip "pinshim check accepts the suggested config (check not written yet)"
else
    # warnings (e.g. a single-label or test name) are fine; errors are not
    [ "$RC" = 0 ] || case_fail "check exited $RC"
    case_end
fi

case_begin "probe -c with the suggested config: verdict pass, the matched pin, exit 0"
probe -c "$T/suggested.conf" --cafile "$PKI/root.pem" --connect-to "$VIA" pinned.test
check_rc 0
check_out_has '^verdict: pass: certificate 0 of the verified chain matches a pin$'
check_out_has "^  matched  sha256/${PIN_LEAF//+/\\+}$"
check_out_has 'entry "pinned\.test" at line [0-9]+'
check_out_has '^  action   allowed \(mode enforce\)$'
case_end

case_begin "probe with \$PINSHIM_CONFIG, the intermediate pinned, no CA: verdict pass via the signature-checked chain"
write_conf "$T/int.conf" pinned.test "$PIN_INT"
_RUN_N=$((_RUN_N + 1)); OUT=$T/run$_RUN_N.out; ERR=$T/run$_RUN_N.err
PINSHIM_CONFIG=$T/int.conf timeout 30 "$PINSHIM_BIN" probe --connect-to "$VIA" pinned.test >"$OUT" 2>"$ERR"
RC=$?
check_rc 0
check_out_has '^verdict: pass: certificate 1 of the presented chain, signatures checked matches a pin$'
case_end

case_begin "probe -c, a wrong pin: verdict fail, action blocked, exit 1"
write_conf "$T/wrong.conf" pinned.test "$PIN_UNRELATED,$PIN_LEAF2"
probe -c "$T/wrong.conf" --cafile "$PKI/root.pem" --connect-to "$VIA" pinned.test
check_rc 1
check_out_has '^verdict: fail: none of the 3 key\(s\) of the verified chain matches the 2 pin\(s\)$'
check_out_has '^  action   blocked \(mode enforce\)$'
case_end

case_begin "probe -c, a host the config does not name: verdict unpinned, exit 0"
probe -c "$T/wrong.conf" --cafile "$PKI/root.pem" --connect-to "::127.0.0.1:$PORT" good.test
check_rc 0
check_out_has '^verdict: unpinned: no pin entry for this host$'
case_end

case_begin "probe -c an invalid config: FILE:LINE error, one line, exit 78"
printf 'hosts = ( { name = "x.test"; pins = [ "sha256/tooshort" ]; } );\n' > "$T/bad.conf"
probe -c "$T/bad.conf" --connect-to "$VIA" pinned.test
check_rc 78
check_one_line_error
check_err_has "bad\.conf:1: "
case_end

# ---- trust on first use: judged by what was learned, never recorded --------

{
    echo "state = \"$T/tofu.state\";"
    echo "log = { stderr = true; syslog = false; json = \"$LOG\"; verdicts = \"all\"; };"
    echo 'hosts = ( { name = "pinned.test"; tofu = "chain"; } );'
} > "$T/tofu.conf"

case_begin "tofu entry, nothing learned, chain verifies: pass by what a client would learn; nothing recorded"
probe -c "$T/tofu.conf" --cafile "$PKI/root.pem" --connect-to "$VIA" pinned.test
check_rc 0
check_out_has '^verdict: pass: '
check_out_has '^  note     trust on first use \(chain\): nothing learned yet; a client would learn 3 pin'
[ -e "$T/tofu.state" ] && case_fail "probe wrote the state file"
case_end

case_begin "tofu entry, nothing learned, chain does not verify: fail (the library's reason), exit 1"
probe -c "$T/tofu.conf" --connect-to "$VIA" pinned.test
check_rc 1
check_out_has '^verdict: fail: no pins learned yet for this host'
[ -e "$T/tofu.state" ] && case_fail "probe wrote the state file"
case_end

case_begin "tofu entry after a preloaded client learned: judged by the learned pins, also unverified"
CONF=$T/tofu.conf
use_server main
client --sni pinned.test --cafile "$PKI/root.pem" --send hello
check_rc 0
[ -s "$T/tofu.state" ] || case_fail "the preloaded client did not learn (no state file)"
probe -c "$T/tofu.conf" --connect-to "$VIA" pinned.test
check_rc 0
check_out_has '^verdict: pass: certificate 0 of the presented chain, signatures checked matches a pin$'
check_out_has '^  note     trust on first use \(chain\): judged by the 3 pin\(s\) learned '
case_end

# ---- failures and usage ----------------------------------------------------

case_begin "probe of a closed port: one-line error, exit 69"
CP=$(unused_port)
probe "127.0.0.1:$CP"
check_rc 69
check_one_line_error
check_err_has "connect to 127\.0\.0\.1:$CP: Connection refused"
case_end

case_begin "probe --connect-to a closed port: exit 69"
probe --connect-to "pinned.test:443:127.0.0.1:$CP" pinned.test
check_rc 69
check_err_has "^pinshim: probe: pinned\.test:443: connect to 127\.0\.0\.1:$CP"
case_end

case_begin "probe of a server that never answers, --timeout 1: exit 69 within the bound"
"$PYTHON3" -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
time.sleep(60)' > "$T/silent.port" &
_SERVER_PIDS="$_SERVER_PIDS $!"
for i in $(seq 1 100); do [ -s "$T/silent.port" ] && break; sleep 0.05; done
start=$(date +%s%N)
probe --timeout 1 "127.0.0.1:$(cat "$T/silent.port")"
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
check_rc 69
check_one_line_error
check_err_has 'timed out after 1 s'
[ "$elapsed" -lt 4000 ] || case_fail "took $elapsed ms"
case_end

case_begin "probe of a server that does not speak TLS: handshake failed, exit 69"
"$PYTHON3" -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
while True:
    c, _ = s.accept(); c.recv(100); c.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n"); c.close()' > "$T/plain.port" &
_SERVER_PIDS="$_SERVER_PIDS $!"
for i in $(seq 1 100); do [ -s "$T/plain.port" ] && break; sleep 0.05; done
probe "127.0.0.1:$(cat "$T/plain.port")"
check_rc 69
check_one_line_error
check_err_has 'TLS handshake with 127\.0\.0\.1:[0-9]+ failed: '
case_end

if start_server -n v6 -6 "$PKI/chain-leaf.pem" "$PKI/leaf.key" 2>/dev/null; then
    case_begin "probe [::1]:PORT: IPv6, no SNI, verified as an IP address"
    probe --cafile "$PKI/root.pem" "[::1]:$SERVER_PORT"
    check_rc 0
    check_out_has "^probe \[::1\]:$SERVER_PORT: connected to \[::1\]:$SERVER_PORT, "
    check_out_has '^verified: yes'
    check_out_has '^  \{ name = "::1";'
    case_end
else
    skip "probe [::1]:PORT (no IPv6 loopback here)"
fi

case_begin "probe usage: no host, two hosts, bad port, bad option: exit 64, one line"
for args in "" "a.test b.test" "a.test:0" "a.test:99999" "--no-such-option a.test" "--timeout 0 a.test" \
    "--connect-to a:b a.test" "[::1 "; do
    # shellcheck disable=SC2086
    probe $args
    if [ "$RC" != 64 ]; then
        case_fail "probe $args: exit $RC, expected 64"
    fi
    [ "$(wc -l < "$ERR")" -le 1 ] || case_fail "probe $args: more than one line on stderr"
done
case_end

case_begin "probe --help: usage on stdout, exit 0"
probe --help
check_rc 0
check_out_has '^usage: pinshim probe '
check_out_has 'connect-to=HOST:PORT:ADDR:PORT'
case_end

finish
