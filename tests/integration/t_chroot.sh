#!/bin/bash
# t_chroot.sh - daemons that chroot after start-up (DESIGN 6; Postfix's smtp
# client): a client that shuts itself in an empty directory before its first
# handshake is still judged right, pass and block, with OpenSSL and with
# GnuTLS; the JSON log outside the jail gets the records written after the
# chroot; the config going away or a file at its path inside the jail after
# the chroot changes nothing (the policy read before stays, no complaint).
# Needs root (chroot); every run is bounded by a timeout.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gnutls_lib.sh"

gnutls_setup
[ "$(id -u)" = 0 ] || skip_all "chroot needs root"
start_server "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server did not start"
RUN_TIMEOUT=30
REFUSED_G='result=refused ret=-348 err=GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR'

# An empty directory, made anew for each run: nothing of the host in sight.
new_jail() {
    rm -rf "${JAIL:-}"
    JAIL=$(mktemp -d "$T/jail.XXXXXX") || hard_error "mktemp -d failed"
}

# jc / jg SNI [ARGS...]: the OpenSSL / GnuTLS client, preloaded, chrooted
# into a new empty jail before it connects (by address: no resolver in there).
jc() {
    new_jail
    local sni=$1
    shift
    client --sni "$sni" --cafile "$PKI/root.pem" --chroot "$JAIL" --send "jail probe" "$@"
}
jg() {
    new_jail
    local sni=$1
    shift
    run_preloaded "$GNUTLS_CLIENT" --host 127.0.0.1 --port "$SERVER_PORT" --sni "$sni" --verify-host sni \
        --cafile "$PKI/root.pem" --chroot "$JAIL" --send "jail probe" "$@"
}

# Without the library the client works in its jail (else this system cannot chroot).
new_jail
run_plain "$TEST_CLIENT" --host 127.0.0.1 --port "$SERVER_PORT" --sni pinned.test --cafile "$PKI/root.pem" \
    --chroot "$JAIL" --send "plain probe"
[ "$RC" = 0 ] || skip_all "tls_client --chroot does not work here without pinshim: $(head -c 200 "$ERR")"
mark

case_begin "OpenSSL client chrooted before its first handshake, right pin: passes, pass/allowed in the JSON log"
write_conf "$CONF" pinned.test "$PIN_INT"
jc pinned.test
check_timeout
check_rc 0
check_out_has '^handshake .*result=ok '
check_received "jail probe"
check_log pass allowed pinned.test 1
check_err_lacks 'config'
case_end

case_begin "OpenSSL client chrooted, wrong pin: refused, zero bytes, fail/blocked in the JSON log (not a config error)"
write_conf "$CONF" pinned.test "$PIN_UNRELATED"
jc pinned.test
check_timeout
check_rc 2
check_out_has '^handshake .*result=refused .*err=1 verify=50 '
check_zero_bytes 1
check_log fail blocked pinned.test 1
check_err_has '^pinshim: .*pinned\.test'
check_err_lacks 'config'
case_end

case_begin "GnuTLS client chrooted before its first handshake, right pin: passes, pass/allowed in the JSON log"
write_conf "$CONF" pinned.test "$PIN_INT"
jg pinned.test
check_timeout
check_rc 0
check_out_has '^handshake .*result=ok '
check_received "jail probe"
check_glog pass allowed pinned.test 1
check_err_lacks 'config'
case_end

case_begin "GnuTLS client chrooted, wrong pin: refused with its certificate error, zero bytes, fail/blocked logged"
write_conf "$CONF" pinned.test "$PIN_UNRELATED"
jg pinned.test
check_timeout
check_rc 2
check_out_has "^handshake .*$REFUSED_G"
check_zero_bytes 1
check_glog fail blocked pinned.test 1
check_err_lacks 'config'
case_end

# Daemons often close every descriptor after chroot: the number of the kept
# JSON log may then be the program's own (here a socket pair) and must not be
# written to.
case_begin "the program closes every descriptor after chroot and reuses the numbers: no record lands in its files"
write_conf "$CONF" pinned.test "$PIN_INT"
jc pinned.test --close-fds
check_timeout
check_rc 0
check_out_has '^handshake .*result=ok '
check_received "jail probe"
check_out_has '^stray bytes=0$'
case_end

case_begin "JSON log only (stderr off): every record of a chrooted client, pass and block, reaches the file outside"
JLOG=$T/only.jsonl
: > "$JLOG"
write_conf "$CONF" -e false -j "$JLOG" pinned.test "$PIN_INT" good.test "$PIN_UNRELATED"
new_jail
run_preloaded "$GNUTLS_CLIENT" --host 127.0.0.1 --port "$SERVER_PORT" --verify-host sni --cafile "$PKI/root.pem" \
    --chroot "$JAIL" --threads 1 --count 4 --hosts pinned.test,good.test
check_timeout
check_rc 2
check_out_has '^summary total ok=2 refused=2 '
msg=$("$PYTHON3" -S "$LOGCHECK_PY" "$JLOG" --host pinned.test --verdict pass --action allowed --count 2 2>&1) ||
    case_fail "json log, pinned.test: $msg"
msg=$("$PYTHON3" -S "$LOGCHECK_PY" "$JLOG" --host good.test --verdict fail --action blocked --count 2 2>&1) ||
    case_fail "json log, good.test: $msg"
[ ! -s "$ERR" ] || case_fail "stderr is not empty"
case_end

# A client that keeps connecting (10 a second for 3 s) from its jail while,
# outside, its config is removed and a file with a wrong pin appears at the
# config's path inside the jail: neither is read, nothing is said.
case_begin "after the chroot the config is removed and one planted at its path in the jail: every handshake passes, no complaint"
write_conf "$CONF" pinned.test "$PIN_INT"
new_jail
_RUN_N=$((_RUN_N + 1))
OUT=$T/run$_RUN_N.out
ERR=$T/run$_RUN_N.err
RUN_CMD="(config removed, one planted in the jail) $GNUTLS_CLIENT ... --threads 1 --count 30 --interval 0.1"
timeout -k 5 "$RUN_TIMEOUT" env LD_PRELOAD="${PINSHIM_PRELOAD:-$PINSHIM_LIB}" PINSHIM_CONFIG="$CONF" \
    "$GNUTLS_CLIENT" --host 127.0.0.1 --port "$SERVER_PORT" --verify-host sni --cafile "$PKI/root.pem" \
    --chroot "$JAIL" --threads 1 --count 30 --hosts pinned.test --interval 0.1 >"$OUT" 2>"$ERR" &
bg=$!
for _ in $(seq 1 100); do
    [ -s "$OUT" ] && break
    sleep 0.05
done
sleep 0.5
mv "$CONF" "$T/moved.conf"
sleep 1.2
mkdir -p "$JAIL$(dirname "$CONF")"
write_conf "$JAIL$CONF" -m enforce -u block pinned.test "$PIN_UNRELATED"
wait "$bg"
RC=$?
mv "$T/moved.conf" "$CONF"
check_timeout
check_rc 0
check_out_has '^summary total ok=30 refused=0 '
check_err_lacks 'gone|config|error'
check_log pass allowed pinned.test 30
case_end

# syslog: in a private mount namespace /dev is a fresh tmpfs with a datagram
# reader at /dev/log (the system's /dev untouched); the jail has no /dev/log.
cat > "$T/ns.sh" <<'NSEOF'
# ns.sh GOT CMD...: inside `unshare -m`: /dev a tmpfs, a reader at /dev/log
# appending each datagram to GOT; then CMD.
got=$1
shift
mount -t tmpfs -o mode=755 none /dev || exit 97
"$PYTHON3" "$DEVLOG_PY" dgram-read "$got" &
reader=$!
for _ in $(seq 1 200); do
    [ -e "$got.ready" ] && break
    sleep 0.05
done
"$@"
rc=$?
sleep 0.3
: > "$got.stop"
wait "$reader"
exit $rc
NSEOF
if command -v unshare >/dev/null 2>&1 &&
    timeout 10 unshare -m --propagation private sh -c 'mount -t tmpfs none /dev' 2>/dev/null; then
    case_begin "syslog: a chrooted client's block reaches /dev/log outside the jail (one message, AUTHPRIV|ERR)"
    write_conf "$CONF" pinned.test "$PIN_UNRELATED"
    sed -i 's/syslog = false;/syslog = true;/' "$CONF"
    new_jail
    GOT=$T/syslog.got
    rm -f "$GOT" "$GOT.ready" "$GOT.stop"
    _RUN_N=$((_RUN_N + 1))
    OUT=$T/run$_RUN_N.out
    ERR=$T/run$_RUN_N.err
    RUN_CMD="(unshare -m, a reader at /dev/log) $TEST_CLIENT --chroot $JAIL ..."
    timeout -k 5 60 env PYTHON3="$PYTHON3" DEVLOG_PY="$_lib_dir/devlog.py" unshare -m --propagation private bash "$T/ns.sh" "$GOT" \
        env LD_PRELOAD="${PINSHIM_PRELOAD:-$PINSHIM_LIB}" PINSHIM_CONFIG="$CONF" "$TEST_CLIENT" \
        --host 127.0.0.1 --port "$SERVER_PORT" --sni pinned.test --cafile "$PKI/root.pem" --chroot "$JAIL" \
        --send "jail probe" >"$OUT" 2>"$ERR"
    RC=$?
    [ "$RC" = 97 ] && case_fail "namespace set-up failed: $(head -c 300 "$ERR")"
    check_timeout
    check_rc 2
    check_zero_bytes 1
    if [ -s "$GOT" ]; then
        grep -q '^<83>pinshim\[[0-9]*\]: .*pinned\.test' "$GOT" || case_fail "syslog got: $(head -c 300 "$GOT")"
        [ "$(grep -c '^<' "$GOT")" = 1 ] || case_fail "syslog got $(grep -c '^<' "$GOT") messages, expected 1"
    else
        case_fail "nothing arrived at /dev/log"
    fi
    case_end
else
    skip "syslog after chroot: needs unshare -m and a tmpfs mount"
fi

case_begin "chroot into a file: the program sees the real chroot's failure and errno (ENOTDIR)"
write_conf "$CONF" pinned.test "$PIN_INT"
: > "$T/not-a-dir"
client --sni pinned.test --cafile "$PKI/root.pem" --chroot "$T/not-a-dir" --send "jail probe"
check_timeout
check_rc 1
check_err_has 'chroot .*not-a-dir: Not a directory'
case_end

finish
