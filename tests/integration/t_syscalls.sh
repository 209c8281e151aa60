#!/bin/bash
# t_syscalls.sh - pinshim adds no system call that a typical systemd sandbox
# forbids (DESIGN 6, issue 12): clients run allowed only systemd's
# @system-service set (SystemCallFilter=@system-service; any other call kills
# the process with SIGSYS, exit 159), with the library judging (pass, block,
# report), in threads, logging to stderr, syslog and the JSON log, learning on
# first use, and with GnuTLS and curl as with OpenSSL.  Each
# is first run without the library under the same filter: what dies there is
# the program's, not pinshim's.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gnutls_lib.sh"

gnutls_setup
require_cmd systemd-analyze curl
FILTER=$_lib_dir/syscall_filter.py
"$PYTHON3" "$FILTER" @system-service -- /bin/true
case $? in
0) ;;
77) skip_all "no systemd-analyze or python3-seccomp to build the filter" ;;
*) hard_error "the filter does not run /bin/true" ;;
esac
start_server "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server did not start"
RUN_TIMEOUT=30
SET=@system-service

conf() {  # conf PIN [write_conf options...]: enforce, pinned.test, every log target
    local pin=$1
    shift
    write_conf "$CONF" -g 'log = { stderr = true; syslog = true; json = "'"$LOG"'"; verdicts = "all"; };' \
        "$@" pinned.test "$pin"
    # write_conf's own log line comes first; the -g one must win: keep one.
    sed -i '0,/^log = /{/^log = /d}' "$CONF"
}

# sandboxed CMD...: CMD preloaded, under the filter.
sandboxed() { run_preloaded "$PYTHON3" "$FILTER" "$SET" -- "$@"; }
plain_sandboxed() { run_plain "$PYTHON3" "$FILTER" "$SET" -- "$@"; }
not_killed() { [ "$RC" != 159 ] || case_fail "killed by the filter (SIGSYS): a system call outside $SET"; }

case_begin "the filter bites: a program making a call outside the set is killed (159)"
plain_sandboxed /usr/sbin/chroot / /bin/true
check_rc 159
case_end

case_begin "the OpenSSL client without pinshim under the filter: passes (the baseline)"
mark
plain_sandboxed "$TEST_CLIENT" --host "$SERVER_ADDR" --port "$SERVER_PORT" --sni pinned.test --cafile "$PKI/root.pem" \
    --send "probe baseline"
check_rc 0
case_end

case_begin "OpenSSL, enforce, the right pin, stderr + syslog + JSON log: passes, logged, not killed"
conf "$PIN_INT"
: > "$LOG"
mark
sandboxed "$TEST_CLIENT" --host "$SERVER_ADDR" --port "$SERVER_PORT" --sni pinned.test --cafile "$PKI/root.pem" \
    --send "probe pass"
not_killed
check_rc 0
check_received "probe pass"
check_log pass allowed pinned.test
case_end

case_begin "OpenSSL, enforce, a wrong pin: blocked, logged, not killed"
conf "$PIN_UNRELATED"
: > "$LOG"
mark
sandboxed "$TEST_CLIENT" --host "$SERVER_ADDR" --port "$SERVER_PORT" --sni pinned.test --cafile "$PKI/root.pem" \
    --send "probe block"
not_killed
check_rc 2
check_zero_bytes 1
check_log fail blocked pinned.test
case_end

case_begin "OpenSSL, two threads, then the config replaced (report mode, a wrong pin): not killed"
conf "$PIN_INT"
: > "$LOG"
sandboxed "$TEST_CLIENT" --host "$SERVER_ADDR" --port "$SERVER_PORT" --cafile "$PKI/root.pem" \
    --threads 2 --count 6 --hosts pinned.test,pinned.test --send "probe threads"
not_killed
check_rc 0
conf "$PIN_UNRELATED" -m report
: > "$LOG"
sandboxed "$TEST_CLIENT" --host "$SERVER_ADDR" --port "$SERVER_PORT" --sni pinned.test --cafile "$PKI/root.pem" \
    --send "probe report"
not_killed
check_rc 0
check_log fail allowed pinned.test
case_end

case_begin "trust on first use: learned into the state file (flock, rename), not killed"
mkdir -p "$T/state"
cat > "$CONF" <<CONF
mode = "enforce";
state = "$T/state/tofu.state";
log = { stderr = true; syslog = true; json = "$LOG"; verdicts = "all"; };
hosts = ( { name = "pinned.test"; tofu = "chain"; } );
CONF
sandboxed "$TEST_CLIENT" --host "$SERVER_ADDR" --port "$SERVER_PORT" --sni pinned.test --cafile "$PKI/root.pem" \
    --send "probe tofu"
not_killed
check_rc 0
grep -q '^pinned\.test ' "$T/state/tofu.state" 2>/dev/null || case_fail "nothing learned"
sandboxed "$TEST_CLIENT" --host "$SERVER_ADDR" --port "$SERVER_PORT" --sni pinned.test --cafile "$PKI/root.pem" \
    --send "probe tofu again"
not_killed
check_rc 0
case_end

case_begin "GnuTLS client: the right pin passes, a wrong one is blocked, not killed"
run_plain "$PYTHON3" "$FILTER" "$SET" -- "$GNUTLS_CLIENT" --host "$SERVER_ADDR" --port "$SERVER_PORT" \
    --sni pinned.test --verify-host sni --cafile "$PKI/root.pem" --send "probe gnutls baseline"
check_rc 0
conf "$PIN_INT"
sandboxed "$GNUTLS_CLIENT" --host "$SERVER_ADDR" --port "$SERVER_PORT" --sni pinned.test --verify-host sni \
    --cafile "$PKI/root.pem" --send "probe gnutls pass"
not_killed
check_rc 0
conf "$PIN_UNRELATED"
mark
sandboxed "$GNUTLS_CLIENT" --host "$SERVER_ADDR" --port "$SERVER_PORT" --sni pinned.test --verify-host sni \
    --cafile "$PKI/root.pem" --send "probe gnutls block"
not_killed
check_rc_not 0
check_zero_bytes 1
case_end

curl_args=(-sS --max-time 10 -o /dev/null --cacert "$PKI/root.pem"
    --resolve "pinned.test:$SERVER_PORT:$SERVER_ADDR" "https://pinned.test:$SERVER_PORT/")
CURL=$(command -v curl)
run_plain "$PYTHON3" "$FILTER" "$SET" -- "$CURL" "${curl_args[@]}"
if [ "$RC" = 159 ]; then
    skip "curl under $SET: curl itself is killed by the filter here"
else
    case_begin "curl: the right pin is not blocked, a wrong one is (60), not killed"
    conf "$PIN_INT"
    sandboxed "$CURL" "${curl_args[@]}"
    not_killed
    check_rc_not 60
    conf "$PIN_UNRELATED"
    sandboxed "$CURL" "${curl_args[@]}"
    not_killed
    check_rc 60
    case_end
fi

finish
