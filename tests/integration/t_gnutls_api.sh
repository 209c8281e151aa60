#!/bin/bash
# t_gnutls_api.sh - the GnuTLS API driven directly (gnutls_client.c) with
# libpinshim.so preloaded: every name a client can give (DESIGN 3.1: SNI,
# the verify hostname, else the name it resolved, else the peer's address),
# verification in the handshake, after it (libcurl, libldap) or none, what
# the status calls say about a refused session and that nothing can be sent
# on it (DESIGN 4), resumed sessions judged against the pins of the moment
# (DESIGN 3.5, also across a reload), a client that takes every function
# with dlsym from a handle of libgnutls (gnutls_dlsym.c, as Wine does), and
# many handshakes from threads and from a forked child, each judged.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gnutls_lib.sh"

gnutls_setup

REFUSED='result=refused ret=-348 err=GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR'
WRONG="$PIN_UNRELATED,$PIN_LEAF2"

gc() {  # gc ARGS...: the GnuTLS client, preloaded, against the current server
    run_preloaded "$GNUTLS_CLIENT" --port "$SERVER_PORT" --deadline 25 "$@"
}

expect_pass() {  # expect_pass HOST [NCONN]
    check_rc 0
    check_out_has '^handshake who=main .*result=ok'
    check_received "probe " "${2:-1}"
    check_glog pass allowed "$1" "${2:-1}"
}
expect_refused() {  # expect_refused HOST
    check_rc 2
    check_out_has "^handshake who=main .*$REFUSED"
    check_out_lacks '^write .*result=ok'
    check_zero_bytes 1
    check_glog fail blocked "$1" 1
}

start_server -n any "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server did not start"
start_server -n tls1.2 -t 1.2 "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server did not start"
start_server -n forged -t 1.2 "$PKI/chain-forged-genint.pem" "$PKI/forged.key" || hard_error "server did not start"

# ---- the harness: without the library, every mode does its job ----
use_server any
case_begin "without the library: resumption (TLS 1.3) and 40 handshakes from 4 threads all go through"
run_plain "$GNUTLS_CLIENT" --port "$SERVER_PORT" --sni pinned.test --verify-host sni --cafile "$PKI/root.pem" --resume
check_rc 0
check_out_has '^handshake who=resume .*result=ok reused=1'
check_received "probe pinned.test resume" 2
check_conn 'resumed=1'
mark
run_plain "$GNUTLS_CLIENT" --port "$SERVER_PORT" --threads 4 --count 40 --hosts good.test,bad.test --quiet --read \
    --cafile "$PKI/root.pem" --verify-host sni
check_rc 0
check_out_has '^summary total ok=40 refused=0 pinblock=0 error=0 io_failed=0$'
wait_conns 40 || case_fail "server finished $(new_conns) connections, expected 40"
check_no_log
case_end

# ---- names ----
for srv in any tls1.2; do
    use_server "$srv"
    # SNI only; the client verifies nothing
    write_conf "$CONF" pinned.test "$PIN_LEAF"
    case_begin "$srv: SNI pinned.test, no verification, right pin: passes"
    gc --sni pinned.test --insecure
    expect_pass pinned.test
    case_end
    write_conf "$CONF" pinned.test "$WRONG"
    case_begin "$srv: SNI pinned.test, no verification, wrong pin: handshake fails with CERTIFICATE_VERIFICATION_ERROR, zero bytes"
    gc --sni pinned.test --insecure --write-after-refusal
    expect_refused pinned.test
    check_out_has '^write .*result=failed'
    case_end

    # The verify hostname only (gnutls_session_set_verify_cert), no SNI
    write_conf "$CONF" pinned.test "$PIN_INT"
    case_begin "$srv: no SNI, verify hostname pinned.test, right pin: passes, judged as pinned.test"
    gc --sni none --verify-host pinned.test --cafile "$PKI/root.pem"
    expect_pass pinned.test
    check_conn 'sni=- '
    case_end
    write_conf "$CONF" pinned.test "$WRONG"
    case_begin "$srv: no SNI, verify hostname pinned.test, wrong pin: refused, zero bytes"
    gc --sni none --verify-host pinned.test --cafile "$PKI/root.pem"
    expect_refused pinned.test
    case_end
done
use_server any

# Neither: the name the client resolved (getaddrinfo "localhost")
write_conf "$CONF" localhost "$PIN_LEAF"
case_begin "no SNI, no verify hostname, connected by resolving localhost, right pin: passes, judged as localhost"
gc --host localhost --sni none --insecure
expect_pass localhost
case_end
write_conf "$CONF" localhost "$WRONG"
case_begin "no SNI, no verify hostname, resolved localhost, wrong pin: refused, zero bytes"
gc --host localhost --sni none --insecure
expect_refused localhost
case_end

# Nothing but the peer's address: the IP-literal entry
write_conf "$CONF" 127.0.0.1 "$PIN_LEAF"
case_begin "no name at all (127.0.0.1), right pin on the IP entry: passes"
gc --host 127.0.0.1 --sni none --insecure
expect_pass 127.0.0.1
case_end
write_conf "$CONF" 127.0.0.1 "$WRONG"
case_begin "no name at all (127.0.0.1), wrong pin on the IP entry: refused, zero bytes"
gc --host 127.0.0.1 --sni none --insecure
expect_refused 127.0.0.1
case_end
case_begin "SNI pinned.test to 127.0.0.1, wrong pin on the IP entry only: the IP entry does not apply (unpinned)"
gc --host 127.0.0.1 --sni pinned.test --insecure
check_rc 0
check_received "probe pinned.test"
check_glog unpinned allowed pinned.test 1
case_end

# Every name that has an entry is judged; a refusal by any one refuses
write_conf "$CONF" good.test "$PIN_LEAF" pinned.test "$WRONG"
case_begin "SNI good.test (right pin), verify hostname pinned.test (wrong pin): refused"
gc --sni good.test --verify-host pinned.test --cafile "$PKI/root.pem"
check_rc 2
check_out_has "^handshake who=main .*$REFUSED"
check_zero_bytes 1
check_glog fail blocked pinned.test 1
case_end

# ---- verification after the handshake (libcurl, libldap) ----
write_conf "$CONF" pinned.test "$WRONG"
case_begin "verification after the handshake (verify_peers3), wrong pin: the handshake itself fails, zero bytes"
gc --sni pinned.test --verify-host sni --cafile "$PKI/root.pem" --verify-after
expect_refused pinned.test
case_end
write_conf "$CONF" pinned.test "$PIN_ROOT"
case_begin "verification after the handshake, pin on the root CA: passes (the chain verifies)"
gc --sni pinned.test --verify-host sni --cafile "$PKI/root.pem" --verify-after
expect_pass pinned.test
check_out_has '^verify .*result=ok'
case_end
# A client that verifies, sees the failure and goes on anyway: the chain is
# unverified, so only certificates that really signed the one before count.
use_server forged
write_conf "$CONF" pinned.test "$PIN_INT,$PIN_ROOT"
case_begin "forged leaf naming the genuine intermediate, client verifies after and tolerates the failure: refused"
gc --sni pinned.test --verify-host sni --cafile "$PKI/root.pem" --verify-after --tolerant
expect_refused pinned.test
case_end
use_server any

# ---- a refused session, seen through the status calls ----
write_conf "$CONF" pinned.test "$WRONG"
case_begin "refused session: verify_peers3, verify_peers2 and get_verify_cert_status report a failure; nothing can be sent"
gc --sni pinned.test --verify-host sni --cafile "$PKI/root.pem" --status-after-refusal --write-after-refusal
expect_refused pinned.test
check_out_has '^status .*verify_peers3=(-[0-9]+/0x[0-9a-f]+|0/0x[0-9a-f]*[1-9a-f][0-9a-f]*) '
check_out_has '^status .*verify_peers2=(-[0-9]+/0x[0-9a-f]+|0/0x[0-9a-f]*[1-9a-f][0-9a-f]*) '
check_out_has '^status .*session_status=0x[0-9a-f]*[1-9a-f]'
check_out_has '^write .*result=failed'
case_end

# ---- resumed sessions (DESIGN 3.5) ----
for srv in any tls1.2; do
    use_server "$srv"
    for pinname in LEAF INT; do
        pin=PIN_$pinname
        write_conf "$CONF" pinned.test "${!pin}"
        case_begin "$srv: resumption, pin on $pinname: both handshakes pass, the second resumed, two pass records"
        gc --sni pinned.test --verify-host sni --cafile "$PKI/root.pem" --resume
        check_rc 0
        check_out_has '^handshake who=main .*result=ok reused=0'
        check_out_has '^handshake who=resume .*result=ok reused=1'
        check_received "probe pinned.test resume" 2
        check_conn 'resumed=1'
        check_glog pass allowed pinned.test 2
        case_end
    done

    write_conf "$CONF" -m report pinned.test "$WRONG"
    case_begin "$srv: resumption, report mode, wrong pin: both go through, two fail/allowed records"
    gc --sni pinned.test --insecure --resume
    check_rc 0
    check_out_has '^handshake who=resume .*result=ok reused=1'
    check_received "probe pinned.test resume" 2
    check_glog fail allowed pinned.test 2
    case_end

    # The pins change between the two connections (the config is replaced;
    # a running program applies it within two seconds): the resumption is
    # judged against the new pins and refused.
    write_conf "$CONF" pinned.test "$PIN_LEAF"
    case_begin "$srv: resumption after a reload to a wrong pin: the second connection refused, zero bytes"
    rm -f "$T/go"
    _RUN_N=$((_RUN_N + 1))
    OUT=$T/run$_RUN_N.out
    ERR=$T/run$_RUN_N.err
    RUN_CMD="LD_PRELOAD=... $GNUTLS_CLIENT --port $SERVER_PORT --sni pinned.test --verify-host sni --cafile root.pem --resume --pause-file $T/go"
    env LD_PRELOAD="${PINSHIM_PRELOAD:-$PINSHIM_LIB}" PINSHIM_CONFIG="$CONF" timeout -k 5 40 "$GNUTLS_CLIENT" \
        --port "$SERVER_PORT" --deadline 35 --sni pinned.test --verify-host sni --cafile "$PKI/root.pem" \
        --resume --pause-file "$T/go" >"$OUT" 2>"$ERR" &
    cpid=$!
    for _ in $(seq 1 300); do
        grep -q '^paused' "$OUT" && break
        kill -0 "$cpid" 2>/dev/null || break
        sleep 0.05
    done
    if grep -q '^paused' "$OUT"; then
        wait_conns 1 || case_fail "the first connection did not finish"
        mark
        write_conf "$CONF.new" pinned.test "$WRONG"
        mv -f "$CONF.new" "$CONF"
        sleep 2.2   # past the library's once-a-second look at the file
        : > "$T/go"
    fi
    wait "$cpid"
    RC=$?
    check_out_has '^handshake who=main .*result=ok reused=0'
    check_out_has "^handshake who=resume .*$REFUSED"
    check_out_lacks '^write who=resume .*result=ok'
    check_rc 2
    check_zero_bytes 1
    check_glog_n pass allowed pinned.test 1
    check_glog_n fail blocked pinned.test 1
    case_end
done
use_server any

# ---- threads ----
for how in "--insecure" "--cafile $PKI/root.pem --verify-host sni"; do
    write_conf "$CONF" good.test "$PIN_LEAF" bad.test "$WRONG"
    case_begin "4 threads, 40 handshakes to good.test (right pin) and bad.test (wrong pin), ${how%% *}: each judged"
    # shellcheck disable=SC2086
    RUN_TIMEOUT=60 gc --threads 4 --count 40 --hosts good.test,bad.test --quiet --read $how
    check_rc 2
    check_out_has '^summary sni=good\.test ok=20 refused=0 pinblock=0 error=0 io_failed=0$'
    check_out_has '^summary sni=bad\.test ok=0 refused=20 pinblock=20 error=0 '
    wait_conns 40 || case_fail "server finished $(new_conns) connections, expected 40"
    n=$(new_record | grep -c '^probe good\.test ')
    [ "$n" = 20 ] || case_fail "the server got $n good.test probes, expected 20"
    ! new_record | grep -q 'bad\.test' || case_fail "the server got bytes from a bad.test connection"
    check_conns_sni_zero bad.test
    check_glog pass allowed good.test 20
    check_glog fail blocked bad.test 20
    case_end
done

# ---- every function taken with dlsym from a handle of libgnutls (Wine) ----
# gnutls_dlsym links no libgnutls: none of its calls is pinshim's.  What
# reaches pinshim is libgnutls's own calls through its PLT: the in-handshake
# verifier's gnutls_certificate_verify_peers, verify_peers3's, and
# gnutls_record_send's jump to gnutls_record_send2.  Before, that jump found
# no function to pass to (libgnutls is not in the global scope): a crash.
GNUTLS_DLSYM=${GNUTLS_DLSYM:-$top_builddir/tests/integration/gnutls_dlsym}
if [ ! -x "$GNUTLS_DLSYM" ]; then
    ${CC:-cc} -Wall -Wextra -O1 $(pkg-config --cflags gnutls 2>/dev/null) -o "$T/gnutls_dlsym" \
        "$_lib_dir/gnutls_dlsym.c" -ldl >"$T/cc.log" 2>&1 || hard_error "gnutls_dlsym does not build: $(head -n 5 "$T/cc.log")"
    GNUTLS_DLSYM=$T/gnutls_dlsym
fi
use_server any
gd() {  # gd SNI MODE: gnutls_dlsym, preloaded, against the current server
    run_preloaded "$GNUTLS_DLSYM" "$SERVER_PORT" "$PKI/root.pem" "$1" "$2" "probe dlsym $1 $2"
}
for mode in none handshake after tolerant; do
    case_begin "dlsym'd client, verification $mode, nothing pinned: its job done, no crash"
    write_conf "$CONF" other.test "$WRONG"
    gd pinned.test $mode
    check_rc 0
    check_out_has '^sent [0-9]+$'
    check_received "probe dlsym pinned.test $mode"
    case_end
done
for mode in handshake after; do
    case_begin "dlsym'd client, verification $mode, right pin: passes, judged as pinned.test"
    write_conf "$CONF" pinned.test "$PIN_INT"
    gd pinned.test $mode
    check_rc 0
    check_received "probe dlsym pinned.test $mode"
    check_glog pass allowed pinned.test 1
    case_end
done
case_begin "dlsym'd client, verification in the handshake, wrong pin: the handshake fails, zero bytes"
write_conf "$CONF" pinned.test "$WRONG"
gd pinned.test handshake
check_rc 1
check_out_has '^handshake failed: .*certificate verification'
check_zero_bytes 1
check_glog fail blocked pinned.test 1
case_end
case_begin "dlsym'd client, verify_peers3 after the handshake, wrong pin: the status says so, zero bytes"
write_conf "$CONF" pinned.test "$WRONG"
gd pinned.test after
check_rc 1
check_out_has '^verify_peers3 0 status 0x[1-9a-f][0-9a-f]*$'  # GNUTLS_CERT_INVALID among them
check_zero_bytes 1
check_glog fail blocked pinned.test 1
case_end
case_begin "dlsym'd client, verify_peers3 after, wrong pin, sends anyway: the send fails, zero bytes"
write_conf "$CONF" pinned.test "$WRONG"
gd pinned.test tolerant
check_rc 1
check_out_has '^send failed: .*certificate verification'
check_zero_bytes 1
check_glog fail blocked pinned.test 1
case_end
# No verification: the SNI it set went to libgnutls alone, so the address
# is the name (DESIGN 3.1); judged at its first send.
case_begin "dlsym'd client, no verification, wrong pin on 127.0.0.1: its first send fails, zero bytes"
write_conf "$CONF" 127.0.0.1 "$WRONG"
gd pinned.test none
check_rc 1
check_out_has '^send failed: .*certificate verification'
check_zero_bytes 1
check_glog fail blocked 127.0.0.1 1
case_end
case_begin "dlsym'd client, no verification, right pin on 127.0.0.1: passes"
write_conf "$CONF" 127.0.0.1 "$PIN_LEAF"
gd pinned.test none
check_rc 0
check_received "probe dlsym pinned.test none"
check_glog pass allowed 127.0.0.1 1
case_end

# ---- fork ----
write_conf "$CONF" good.test "$PIN_LEAF" bad.test "$WRONG"
case_begin "fork: parent and child each connect to good.test and bad.test; each judged in its own process"
gc --fork --hosts good.test,bad.test --insecure --read
check_rc 2
check_out_has '^child exit=2$'
check_out_has '^handshake who=child sni=good\.test result=ok'
check_out_has "^handshake who=child sni=bad\.test $REFUSED"
check_out_has '^handshake who=parent sni=good\.test result=ok'
check_out_has "^handshake who=parent sni=bad\.test $REFUSED"
wait_conns 5 || case_fail "server finished $(new_conns) connections, expected 5"
n=$(new_record | grep -c '^probe good\.test ')
[ "$n" = 3 ] || case_fail "the server got $n good.test probes, expected 3"
check_conns_sni_zero bad.test
check_glog pass allowed good.test 3
check_glog fail blocked bad.test 2
"$PYTHON3" -S - "$LOG" > "$T/pids.out" 2>&1 <<'PY' || case_fail "json log: $(cat "$T/pids.out")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
pids = {o["pid"] for o in lines if o.get("host") == "bad.test"}
assert len(pids) == 2, "bad.test refused in %d process(es), expected 2 (parent and child)" % len(pids)
PY
case_end

finish
