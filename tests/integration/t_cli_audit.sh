#!/bin/bash
# t_cli_audit.sh - `pinshim audit`: one row per exact-name / IP entry with
# verdict, matched pin and days left; a wildcard entry is a row "not probed
# (wildcard)" that changes no exit status; exit 0 all pass, 1 a failure, 69
# unreachable and none failed, 78 config error, 66 config missing; --jobs bounds the
# concurrency and does not change the result; per-host timeout.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

need_pinshim_bin
require_cmd awk date
common_setup

start_server -n main "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server did not start"
PORT=$SERVER_PORT
CLOSED=$(unused_port)

# Every name is sent to the local server, except closed.test (a closed port).
ROUTES=(--connect-to "closed.test:443:127.0.0.1:$CLOSED" --connect-to ":443:127.0.0.1:$PORT")

audit() {
    run_plain "$PINSHIM_BIN" audit "$@"
}

# row HOST: the table row of HOST, columns squeezed to single spaces.
row() {
    awk -v h="$1" '$1 == h { $1 = $1; print; exit }' "$OUT"
}

check_row() {
    local got
    got=$(row "$1")
    [ "$got" = "$2" ] || case_fail "row of $1: '$got', expected '$2'"
}

# audit counts whole seconds: within the second the leaf was signed in, its
# notAfter is exactly 397 days away, a moment later 396 and a fraction.  Let
# that second pass (at most one) so LEAF_DAYS below and every audit agree.
LEAF_SIGNED=$(date -u -d "$(openssl x509 -noout -startdate -in "$PKI/leaf.pem" | cut -d= -f2)" +%s)
for _ in 1 2 3 4 5 6 7 8 9 10 11 12; do
    [ "$(date +%s)" -gt "$LEAF_SIGNED" ] && break
    sleep 0.1
done
# Days until the leaf expires, rounded down, as audit computes them.
LEAF_DAYS=$("$PYTHON3" -c '
import calendar, subprocess, sys, time
end = subprocess.run(["openssl", "x509", "-noout", "-enddate", "-in", sys.argv[1]],
                     capture_output=True, text=True).stdout.strip().split("=", 1)[1]
t = calendar.timegm(time.strptime(end, "%b %d %H:%M:%S %Y GMT"))
print(int((t - time.time()) // 86400))' "$PKI/leaf.pem")
IN10=$(day +10)

# A config: a pass, a fail, an unreachable host, a wildcard (not probed), an
# IP literal on the server's own port (pass), a pass with an expiry date.
write_conf "$T/mixed.conf" \
    pinned.test "$PIN_LEAF" \
    bad.test "$PIN_UNRELATED,$PIN_LEAF2" \
    closed.test "$PIN_LEAF" \
    '*.wild.test' "$PIN_LEAF" \
    "127.0.0.1{port = $PORT;}" "$PIN_INT" \
    "good.test{expires = \"$IN10\";}" "$PIN_INT"

case_begin "audit: pass, fail, unreachable rows; the wildcard a row, not probed; exit 1"
audit -c "$T/mixed.conf" --cafile "$PKI/root.pem" "${ROUTES[@]}"
check_rc 1
check_out_has '^HOST +PORT +VERDICT +MATCHED PIN +LEAF DAYS +PINS DAYS$'
check_row pinned.test "pinned.test 443 pass sha256/$PIN_LEAF $LEAF_DAYS -"
check_row bad.test "bad.test 443 fail - $LEAF_DAYS -"
check_row closed.test "closed.test 443 unreachable - - -"
check_row 127.0.0.1 "127.0.0.1 $PORT pass sha256/$PIN_INT $LEAF_DAYS -"
check_row good.test "good.test 443 pass sha256/$PIN_INT $LEAF_DAYS 10"
check_row '*.wild.test' "*.wild.test - not probed (wildcard) - - -"
check_count '^(pinned|bad|closed|good)\.test |^127\.0\.0\.1 ' 5
check_out_has "^  \\*\\.wild\\.test \\(line [0-9]+\\): not probed \\(wildcard\\): audit cannot know which names exist under wild\\.test; probe one with 'pinshim probe NAME'\$"
check_out_has '^1 wildcard entry not probed '
# the rows in config order: the wildcard between closed.test and 127.0.0.1
[ "$(awk '/^[^ ]/ && $1 ~ /^(pinned|bad|closed|good)\.test$|^\*\.wild\.test$|^127\.0\.0\.1$/ { printf "%s ", $1 }' "$OUT")" = \
  "pinned.test bad.test closed.test *.wild.test 127.0.0.1 good.test " ] || case_fail "rows not in config order"
check_out_has '^  bad\.test:443 \(line [0-9]+\): fail: none of the 3 key\(s\) of the verified chain matches the 2 pin\(s\)$'
check_out_has "^  closed\\.test:443 \\(line [0-9]+\\): unreachable: connect to 127\\.0\\.0\\.1:$CLOSED: Connection refused$"
check_out_has '^5 hosts: 3 passed, 1 failed, 0 expired \(not enforced\), 1 unreachable$'
[ -s "$ERR" ] && case_fail "stderr is not empty (not a terminal: no progress line)"
case_end
cp "$OUT" "$T/mixed-default.out"

case_begin "audit --jobs 1 and --jobs 8 give the same table and exit status"
audit -c "$T/mixed.conf" --cafile "$PKI/root.pem" --jobs 1 "${ROUTES[@]}"
RC1=$RC
cp "$OUT" "$T/jobs1.out"
audit -c "$T/mixed.conf" --cafile "$PKI/root.pem" --jobs 8 "${ROUTES[@]}"
[ "$RC1" = 1 ] && [ "$RC" = 1 ] || case_fail "exit statuses $RC1 and $RC, expected 1 and 1"
cmp -s "$T/jobs1.out" "$OUT" || case_fail "tables differ: $(diff "$T/jobs1.out" "$OUT" | head -n 6)"
cmp -s "$T/mixed-default.out" "$OUT" || case_fail "--jobs 8 differs from the default"
case_end

write_conf "$T/pass.conf" \
    pinned.test "$PIN_UNRELATED,$PIN_INT" \
    "127.0.0.1{port = $PORT;}" "$PIN_LEAF" \
    'old.test{expires = "2020-01-31";}' "$PIN_UNRELATED"

case_begin "audit: only passes (and an expired pin set): exit 0, the expired row and a note"
audit -c "$T/pass.conf" --cafile "$PKI/root.pem" "${ROUTES[@]}"
check_rc 0
check_row pinned.test "pinned.test 443 pass sha256/$PIN_INT $LEAF_DAYS -"
check_row old.test "old.test 443 expired - $LEAF_DAYS $(( ($(date -d 2020-02-01T00:00:00Z +%s) - $(date +%s) - 86399) / 86400 ))"
check_out_has '^  old\.test:443 \(line [0-9]+\): expired: the pin set expired on 2020-01-31 and is not enforced$'
check_out_has '^expired pin sets are allowed'
check_out_has '^3 hosts: 2 passed, 0 failed, 1 expired'
case_end

case_begin "audit without --cafile: still judged (presented chain), passes, notes that it did not verify"
audit -c "$T/pass.conf" "${ROUTES[@]}"
check_rc 0
check_out_has '^  pinned\.test:443 \(line [0-9]+\): pass: the chain did not verify: unable to get local issuer certificate$'
case_end

write_conf "$T/unreach.conf" \
    pinned.test "$PIN_LEAF" \
    closed.test "$PIN_LEAF"

case_begin "audit: a pass and an unreachable host: exit 69"
audit -c "$T/unreach.conf" --cafile "$PKI/root.pem" "${ROUTES[@]}"
check_rc 69
check_row closed.test "closed.test 443 unreachable - - -"
check_row pinned.test "pinned.test 443 pass sha256/$PIN_LEAF $LEAF_DAYS -"
case_end

write_conf "$T/wild.conf" \
    pinned.test "$PIN_LEAF" \
    '*.wild.test' "$PIN_LEAF" \
    '*.port.test{port = 8443;}' "$PIN_INT"

case_begin "audit: wildcard rows (one on a port) beside a pass: exit 0, not counted as hosts"
audit -c "$T/wild.conf" --cafile "$PKI/root.pem" "${ROUTES[@]}"
check_rc 0
check_row pinned.test "pinned.test 443 pass sha256/$PIN_LEAF $LEAF_DAYS -"
check_row '*.wild.test' "*.wild.test - not probed (wildcard) - - -"
check_row '*.port.test' "*.port.test 8443 not probed (wildcard) - - -"
check_out_has '^  \*\.wild\.test \(line [0-9]+\): not probed \(wildcard\): '
check_out_has "^  \\*\\.port\\.test:8443 \\(line [0-9]+\\): not probed \\(wildcard\\): .*'pinshim probe NAME:PORT'\$"
check_out_has '^1 host: 1 passed, 0 failed, 0 expired \(not enforced\), 0 unreachable$'
check_out_has '^2 wildcard entries not probed '
[ -s "$ERR" ] && case_fail "stderr is not empty"
case_end

case_begin "audit: wildcards beside an unreachable host: still exit 69"
write_conf "$T/wild-unreach.conf" closed.test "$PIN_LEAF" '*.wild.test' "$PIN_LEAF"
audit -c "$T/wild-unreach.conf" --cafile "$PKI/root.pem" "${ROUTES[@]}"
check_rc 69
check_row '*.wild.test' "*.wild.test - not probed (wildcard) - - -"
check_row closed.test "closed.test 443 unreachable - - -"
case_end

case_begin "audit: a config of wildcards only: their rows, nothing probed, exit 0"
write_conf "$T/wild-only.conf" '*.wild.test' "$PIN_LEAF" '*.other.test' "$PIN_INT"
audit -c "$T/wild-only.conf" --cafile "$PKI/root.pem" "${ROUTES[@]}"
check_rc 0
check_out_has '^HOST +PORT +VERDICT '
check_row '*.wild.test' "*.wild.test - not probed (wildcard) - - -"
check_row '*.other.test' "*.other.test - not probed (wildcard) - - -"
check_out_has '^0 hosts: 0 passed, 0 failed, 0 expired \(not enforced\), 0 unreachable$'
check_out_has '^2 wildcard entries not probed '
case_end

case_begin "audit: an include_subdomains entry is probed as its own name (as before)"
write_conf "$T/subs.conf" 'pinned.test{include_subdomains = true;}' "$PIN_LEAF" bad.test "$PIN_UNRELATED,$PIN_LEAF2"
audit -c "$T/subs.conf" --cafile "$PKI/root.pem" "${ROUTES[@]}"
check_rc 1
check_row pinned.test "pinned.test 443 pass sha256/$PIN_LEAF $LEAF_DAYS -"
check_row bad.test "bad.test 443 fail - $LEAF_DAYS -"
check_out_has '^2 hosts: 1 passed, 1 failed, 0 expired \(not enforced\), 0 unreachable$'
check_out_lacks 'not probed'
case_end

case_begin "audit: the config from \$PINSHIM_CONFIG, and as an argument"
_RUN_N=$((_RUN_N + 1)); OUT=$T/run$_RUN_N.out; ERR=$T/run$_RUN_N.err
PINSHIM_CONFIG=$T/unreach.conf timeout 30 "$PINSHIM_BIN" audit --cafile "$PKI/root.pem" "${ROUTES[@]}" \
    >"$OUT" 2>"$ERR"
RC=$?
check_rc 69
check_row pinned.test "pinned.test 443 pass sha256/$PIN_LEAF $LEAF_DAYS -"
audit "$T/pass.conf" --cafile "$PKI/root.pem" "${ROUTES[@]}"
check_rc 0
check_row old.test "old.test 443 expired - $LEAF_DAYS $(( ($(date -d 2020-02-01T00:00:00Z +%s) - $(date +%s) - 86399) / 86400 ))"
case_end

case_begin "audit: an invalid config: its FILE:LINE error, one line, exit 78"
printf 'hosts = (\n  { name = "x.test"; pins = [ "md5/abc" ]; }\n);\n' > "$T/bad.conf"
audit -c "$T/bad.conf"
check_rc 78
check_err_has "^pinshim: .*bad\\.conf:2: "
[ "$(wc -l < "$ERR")" = 1 ] || case_fail "stderr has $(wc -l < "$ERR") lines"
[ -s "$OUT" ] && case_fail "stdout is not empty"
audit -c "$T/no-such.conf"
check_rc 66
check_err_has 'no-such\.conf: cannot read the config'
case_end

# Four hosts that accept TCP but never answer TLS: the per-host timeout
# bounds each, --jobs bounds how many run at once.
"$PYTHON3" -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
print(s.getsockname()[1], flush=True)
time.sleep(120)' > "$T/silent.port" &
_SERVER_PIDS="$_SERVER_PIDS $!"
for i in $(seq 1 100); do [ -s "$T/silent.port" ] && break; sleep 0.05; done
SILENT=$(cat "$T/silent.port")
write_conf "$T/silent.conf" s1.test "$PIN_LEAF" s2.test "$PIN_LEAF" s3.test "$PIN_LEAF" s4.test "$PIN_LEAF"

ms() { echo $(( $(date +%s%N) / 1000000 )); }

case_begin "audit --timeout 1 --jobs 4 on four silent hosts: all unreachable, about 1 s, exit 69"
start=$(ms)
audit -c "$T/silent.conf" --timeout 1 --jobs 4 --connect-to "::127.0.0.1:$SILENT"
elapsed=$(( $(ms) - start ))
check_rc 69
check_count ' unreachable ' 4
check_out_has 'timed out after 1 s'
[ "$elapsed" -lt 3000 ] || case_fail "took $elapsed ms with 4 jobs (expected ~1000)"
case_end

case_begin "audit --timeout 0.5 --jobs 1 on four silent hosts: one at a time (about 2 s)"
start=$(ms)
audit -c "$T/silent.conf" --timeout 0.5 --jobs 1 --connect-to "::127.0.0.1:$SILENT"
elapsed=$(( $(ms) - start ))
check_rc 69
check_count ' unreachable ' 4
[ "$elapsed" -ge 1900 ] || case_fail "took only $elapsed ms with 1 job (4 x 0.5 s expected)"
[ "$elapsed" -lt 5000 ] || case_fail "took $elapsed ms"
case_end

if command -v script >/dev/null 2>&1; then
    case_begin "audit on a terminal: a progress line on stderr; the table unchanged"
    _RUN_N=$((_RUN_N + 1)); OUT=$T/run$_RUN_N.out; ERR=$T/run$_RUN_N.err
    # script gives the command a terminal; stdout goes to a file, stderr to the terminal
    timeout 30 script -qec "'$PINSHIM_BIN' audit -c '$T/unreach.conf' --cafile '$PKI/root.pem' \
        --connect-to 'closed.test:443:127.0.0.1:$CLOSED' --connect-to ':443:127.0.0.1:$PORT' >'$OUT'" \
        /dev/null > "$ERR" 2>&1 </dev/null
    RC=$?
    check_rc 69
    check_err_has 'pinshim audit: 2/2 hosts probed'
    check_out_lacks 'hosts probed'
    check_row pinned.test "pinned.test 443 pass sha256/$PIN_LEAF $LEAF_DAYS -"
    case_end
else
    skip "audit progress line on a terminal (no script(1))"
fi

case_begin "audit usage errors: exit 64, one line"
for args in "--jobs 0" "--jobs x" "--timeout -1" "--connect-to nonsense" "--bogus" "a.conf b.conf"; do
    # shellcheck disable=SC2086
    audit $args
    [ "$RC" = 64 ] || case_fail "audit $args: exit $RC, expected 64"
    [ "$(wc -l < "$ERR")" = 1 ] || case_fail "audit $args: $(wc -l < "$ERR") lines on stderr"
done
audit --help
check_rc 0
check_out_has '^usage: pinshim audit '
case_end

finish
