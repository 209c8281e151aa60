#!/bin/bash
# t_cli_exec.sh - `pinshim exec`: the same passes and blocks as the
# LD_PRELOAD form, --report, an existing LD_PRELOAD kept, an absolute
# PINSHIM_CONFIG, the library found (build tree, PINSHIM_LIBRARY), the
# command's exit status passed through, shell-like 126/127; -q silences exec's
# own notices but not its errors, nor the library.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

need_pinshim_bin
common_setup

start_server -n main "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server did not start"

# pexec ARGS...: `pinshim exec ARGS...` (bounded); sets OUT ERR RC.
pexec() {
    run_plain "$PINSHIM_BIN" exec "$@"
}

check_one_line_error() {
    [ "$(wc -l < "$ERR")" = 1 ] || case_fail "stderr has $(wc -l < "$ERR") lines, expected 1"
    grep -q '^pinshim: exec: ' "$ERR" || case_fail "stderr does not start with 'pinshim: exec: '"
}

write_conf "$T/pass.conf" pinned.test "$PIN_LEAF"
write_conf "$T/fail.conf" pinned.test "$PIN_UNRELATED,$PIN_LEAF2"
CURL_ARGS=(curl -sS --max-time 20 --resolve "pinned.test:$SERVER_PORT:127.0.0.1" --cacert "$PKI/root.pem"
    "https://pinned.test:$SERVER_PORT/")

# ---- the same verdicts as LD_PRELOAD --------------------------------------

if command -v curl >/dev/null 2>&1; then
    case_begin "exec -c PASS -- curl: exit 0, request received, log pass/allowed; LD_PRELOAD form the same"
    pexec -c "$T/pass.conf" -- "${CURL_ARGS[@]}"
    check_rc 0
    check_out_has 'pinshim test server: ok'
    check_received 'GET / HTTP/1.1'
    check_log pass allowed pinned.test 1
    EXEC_RC=$RC
    : > "$LOG"
    mark
    CONF=$T/pass.conf run_preloaded "${CURL_ARGS[@]}"
    [ "$RC" = "$EXEC_RC" ] || case_fail "LD_PRELOAD form exited $RC, exec form $EXEC_RC"
    check_log pass allowed pinned.test 1
    case_end

    case_begin "exec -c FAIL -- curl: exit 60, zero bytes, log fail/blocked; LD_PRELOAD form the same"
    pexec -c "$T/fail.conf" -- "${CURL_ARGS[@]}"
    check_rc 60
    check_err_has '\(60\)'
    check_zero_bytes 1
    check_log fail blocked pinned.test 1
    EXEC_RC=$RC
    : > "$LOG"
    mark
    CONF=$T/fail.conf run_preloaded "${CURL_ARGS[@]}"
    [ "$RC" = "$EXEC_RC" ] || case_fail "LD_PRELOAD form exited $RC, exec form $EXEC_RC"
    check_zero_bytes 1
    check_log fail blocked pinned.test 1
    case_end

    case_begin "exec --report -c FAIL -- curl: let through, request received, log fail/allowed"
    pexec --report -c "$T/fail.conf" -- "${CURL_ARGS[@]}"
    check_rc 0
    check_received 'GET / HTTP/1.1'
    check_log fail allowed pinned.test 1
    grep -q '"mode":"report"' "$LOG" || case_fail "the log line does not say mode report"
    case_end

    case_begin "exec without -c: \$PINSHIM_CONFIG (relative) is used, made absolute"
    _RUN_N=$((_RUN_N + 1)); OUT=$T/run$_RUN_N.out; ERR=$T/run$_RUN_N.err
    (cd "$T" && PINSHIM_CONFIG=fail.conf timeout 30 "$PINSHIM_BIN" exec "${CURL_ARGS[@]}") >"$OUT" 2>"$ERR"
    RC=$?
    check_rc 60
    check_zero_bytes 1
    check_log fail blocked pinned.test 1
    case_end
else
    skip "exec with curl (curl not installed)"
fi

case_begin "exec with tls_client: pass and block, the same exit codes as LD_PRELOAD"
for c in pass:0 fail:2; do
    : > "$LOG"
    mark
    pexec -c "$T/${c%%:*}.conf" -- "$TEST_CLIENT" --host 127.0.0.1 --port "$SERVER_PORT" --sni pinned.test \
        --cafile "$PKI/root.pem" --send hello
    [ "$RC" = "${c#*:}" ] || case_fail "exec, ${c%%:*}.conf: exit $RC, expected ${c#*:}"
    EXEC_RC=$RC
    CONF=$T/${c%%:*}.conf client --sni pinned.test --cafile "$PKI/root.pem" --send hello
    [ "$RC" = "$EXEC_RC" ] || case_fail "LD_PRELOAD form exited $RC, exec form $EXEC_RC"
done
case_end

# ---- the environment the command gets -------------------------------------

LIBM=""
for f in /lib/x86_64-linux-gnu/libm.so.6 /usr/lib/x86_64-linux-gnu/libm.so.6 /lib64/libm.so.6 /usr/lib/libm.so.6 \
    /lib/aarch64-linux-gnu/libm.so.6; do
    [ -f "$f" ] && { LIBM=$f; break; }
done
LIB_ABS=$(realpath "$PINSHIM_LIB")

if [ -n "$LIBM" ]; then
    case_begin "an existing LD_PRELOAD is kept, the library goes first, both are loaded"
    _RUN_N=$((_RUN_N + 1)); OUT=$T/run$_RUN_N.out; ERR=$T/run$_RUN_N.err
    # shellcheck disable=SC2016
    LD_PRELOAD=$LIBM timeout 30 "$PINSHIM_BIN" exec -c "$T/pass.conf" -- \
        sh -c 'echo "preload=$LD_PRELOAD"; tr "\0" "\n" < /proc/$$/environ | grep "^LD_PRELOAD="; cat /proc/self/maps' \
        >"$OUT" 2>"$ERR"
    RC=$?
    check_rc 0
    check_out_has "^preload=$LIB_ABS $LIBM\$"
    check_out_has "^LD_PRELOAD=$LIB_ABS $LIBM\$"
    check_out_has "$LIB_ABS\$"
    case_end
else
    skip "an existing LD_PRELOAD is kept (no libm.so.6 found)"
fi

case_begin "no LD_PRELOAD before: exactly the library; the library is the build tree's"
# shellcheck disable=SC2016
pexec -c "$T/pass.conf" -- sh -c 'echo "preload=$LD_PRELOAD"'
check_rc 0
check_out_has "^preload=$LIB_ABS\$"
case_end

case_begin "a relative -c becomes an absolute PINSHIM_CONFIG; --report sets PINSHIM_MODE"
_RUN_N=$((_RUN_N + 1)); OUT=$T/run$_RUN_N.out; ERR=$T/run$_RUN_N.err
# shellcheck disable=SC2016
(cd "$T" && timeout 30 "$PINSHIM_BIN" exec -c ./pass.conf --report -- \
    sh -c 'echo "config=$PINSHIM_CONFIG"; echo "mode=$PINSHIM_MODE"') >"$OUT" 2>"$ERR"
RC=$?
check_rc 0
check_out_has "^config=$(realpath "$T/pass.conf")\$"
check_out_has '^mode=report$'
_RUN_N=$((_RUN_N + 1)); OUT=$T/run$_RUN_N.out; ERR=$T/run$_RUN_N.err
# shellcheck disable=SC2016
(cd "$T" && PINSHIM_CONFIG=pass.conf timeout 30 "$PINSHIM_BIN" exec sh -c 'echo "config=$PINSHIM_CONFIG"') \
    >"$OUT" 2>"$ERR"
RC=$?
check_rc 0
check_out_has "^config=$(realpath "$T/pass.conf")\$"
case_end

case_begin "options after COMMAND are COMMAND's (no -- needed)"
# shellcheck disable=SC2016
pexec -c "$T/pass.conf" sh -c 'echo "args=$0 $1"' zero one
check_rc 0
check_out_has '^args=zero one$'
case_end

case_begin "PINSHIM_LIBRARY chooses the library; a missing one is a one-line error, exit 72"
cp "$PINSHIM_LIB" "$T/copy-libpinshim.so"
_RUN_N=$((_RUN_N + 1)); OUT=$T/run$_RUN_N.out; ERR=$T/run$_RUN_N.err
# shellcheck disable=SC2016
PINSHIM_LIBRARY=$T/copy-libpinshim.so timeout 30 "$PINSHIM_BIN" exec -c "$T/pass.conf" \
    sh -c 'echo "preload=$LD_PRELOAD"' >"$OUT" 2>"$ERR"
RC=$?
check_rc 0
check_out_has "^preload=$(realpath "$T/copy-libpinshim.so")\$"
_RUN_N=$((_RUN_N + 1)); OUT=$T/run$_RUN_N.out; ERR=$T/run$_RUN_N.err
PINSHIM_LIBRARY=$T/none.so timeout 30 "$PINSHIM_BIN" exec -c "$T/pass.conf" true >"$OUT" 2>"$ERR"
RC=$?
check_rc 72
check_one_line_error
check_err_has 'PINSHIM_LIBRARY=.*none\.so: No such file or directory'
case_end

case_begin "a pinshim outside any build tree finds no library there: one-line error (or the installed one)"
cp "$PINSHIM_BIN" "$T/pinshim-copy"
_RUN_N=$((_RUN_N + 1)); OUT=$T/run$_RUN_N.out; ERR=$T/run$_RUN_N.err
# shellcheck disable=SC2016
timeout 30 "$T/pinshim-copy" exec -c "$T/pass.conf" sh -c 'echo "preload=$LD_PRELOAD"' >"$OUT" 2>"$ERR"
RC=$?
if [ "$RC" = 0 ]; then
    check_out_lacks "preload=$LIB_ABS"        # must be the installed library, not the build tree's
else
    check_rc 72
    check_one_line_error
    check_err_has 'cannot find libpinshim\.so'
fi
case_end

# ---- exit statuses ------------------------------------------------------

case_begin "the command's exit status passes through (7, 0, 1)"
pexec -c "$T/pass.conf" -- sh -c 'exit 7'
check_rc 7
pexec -c "$T/pass.conf" -- true
check_rc 0
pexec -c "$T/pass.conf" -- false
check_rc 1
case_end

case_begin "a command that does not exist: exit 127, one line; not executable: 126"
pexec -c "$T/pass.conf" -- no-such-command-pinshim
check_rc 127
check_one_line_error
check_err_has 'no-such-command-pinshim: command not found'
pexec -c "$T/pass.conf" -- "$T/no/such/file"
check_rc 127
check_one_line_error
printf 'not a program\n' > "$T/notexec"
chmod 644 "$T/notexec"
pexec -c "$T/pass.conf" -- "$T/notexec"
check_rc 126
check_one_line_error
case_end

case_begin "config problems are found before COMMAND runs: exit 66 (missing) / 78 (invalid), one line"
pexec -c "$T/missing.conf" -- sh -c 'echo ran'
check_rc 66
check_one_line_error
check_out_lacks 'ran'
printf 'hosts = (\n  { name = "a.test"; pins = [ "sha256/AAAA" ]; }\n);\n' > "$T/invalid.conf"
pexec -c "$T/invalid.conf" -- sh -c 'echo ran'
check_rc 78
check_err_has 'invalid\.conf:2: '
[ "$(wc -l < "$ERR")" = 1 ] || case_fail "stderr has $(wc -l < "$ERR") lines"
check_out_lacks 'ran'
_RUN_N=$((_RUN_N + 1)); OUT=$T/run$_RUN_N.out; ERR=$T/run$_RUN_N.err
PINSHIM_MODE=enforcing timeout 30 "$PINSHIM_BIN" exec -c "$T/pass.conf" -- sh -c 'echo ran' >"$OUT" 2>"$ERR"
RC=$?
check_rc 78
check_one_line_error
check_err_has 'PINSHIM_MODE must be enforce, report or off'
check_out_lacks 'ran'
case_end

# ---- -q / --quiet ----------------------------------------------------------

# A program with its own (static) SSL_connect: `pinshim covers` says it is not
# coverable by a preload, and exec says so first, unless -q.
printf '%s\n' 'int SSL_connect(void *s) { return s != 0; }
#include <stdio.h>
int main(void) { puts("program ran"); return SSL_connect(0) + 3; }' > "$T/ownssl.c"
${CC:-cc} -o "$T/ownssl" "$T/ownssl.c" -rdynamic >"$T/cc.log" 2>&1 ||
    hard_error "fixture ownssl does not build: $(head -n 5 "$T/cc.log")"

case_begin "exec -q / --quiet: an uncovered program runs, without exec's notice (which it gets without -q)"
pexec -c "$T/pass.conf" -- "$T/ownssl"
check_rc 3
check_out_has '^program ran$'
check_err_has "^pinshim: exec: $T/ownssl: openssl linked in statically: not coverable by a preload\$"
for q in -q --quiet; do
    pexec "$q" -c "$T/pass.conf" -- "$T/ownssl"
    [ "$RC" = 3 ] || case_fail "exec $q: exit $RC, expected 3"
    grep -q '^program ran$' "$OUT" || case_fail "exec $q: the program did not run"
    [ ! -s "$ERR" ] || case_fail "exec $q: stderr: $(head -c 300 "$ERR")"
done
pexec -c "$T/pass.conf" -q -- "$T/ownssl"
check_rc 3
[ ! -s "$ERR" ] || case_fail "exec -c CONF -q: stderr: $(head -c 300 "$ERR")"
case_end

case_begin "exec -q: errors that stop COMMAND still print (66, 78, 127, 126, 72); -q after COMMAND is COMMAND's"
pexec -q -c "$T/missing.conf" -- sh -c 'echo ran'
check_rc 66
check_one_line_error
check_out_lacks 'ran'
printf 'hosts = (\n  { name = "a.test"; pins = [ "sha256/AAAA" ]; }\n);\n' > "$T/invalid-q.conf"
pexec --quiet -c "$T/invalid-q.conf" -- sh -c 'echo ran'
check_rc 78
check_err_has 'invalid-q\.conf:2: '
pexec -q -c "$T/pass.conf" -- no-such-command-pinshim
check_rc 127
check_one_line_error
check_err_has 'no-such-command-pinshim: command not found'
printf 'not a program\n' > "$T/notexec-q"
chmod 644 "$T/notexec-q"
pexec -q -c "$T/pass.conf" -- "$T/notexec-q"
check_rc 126
check_one_line_error
_RUN_N=$((_RUN_N + 1)); OUT=$T/run$_RUN_N.out; ERR=$T/run$_RUN_N.err
PINSHIM_LIBRARY=$T/no-such-lib.so timeout 30 "$PINSHIM_BIN" exec -q -c "$T/pass.conf" -- true >"$OUT" 2>"$ERR"
RC=$?
check_rc 72
check_one_line_error
# shellcheck disable=SC2016
pexec -c "$T/pass.conf" -- sh -c 'echo "args=$*"' sh -q
check_rc 0
check_out_has '^args=-q$'
case_end

case_begin "exec -q does not silence the library: its BLOCKED line (log.stderr = true) is still on stderr"
: > "$LOG"
mark
pexec -q -c "$T/fail.conf" -- "$TEST_CLIENT" --host 127.0.0.1 --port "$SERVER_PORT" --sni pinned.test \
    --cafile "$PKI/root.pem" --send hello
check_rc 2
check_err_has '^pinshim: BLOCKED pinned\.test:'
check_log fail blocked pinned.test 1
case_end

case_begin "usage: no command, unknown option: exit 64; --help: exit 0"
pexec -c "$T/pass.conf"
check_rc 64
check_one_line_error
pexec --bogus true
check_rc 64
check_one_line_error
pexec --help
check_rc 0
check_out_has '^usage: pinshim exec '
check_out_has '^  -q, --quiet '
case_end

finish
