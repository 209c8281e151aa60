#!/bin/bash
# t_attacks.sh - what an interceptor or impostor can try, and what must still
# pass: chains that borrow the genuine intermediate (OkHttp CVE-2016-2402), a
# client that trusts the attacker's root, a self-signed impostor, resumed
# sessions, IP-literal entries without SNI.  TLS 1.2 and TLS 1.3.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_cmd curl
common_setup

PROBE="attack probe $$"

curl_run() {  # curl_run CURL-ARGS... : GET https://pinned.test:PORT/
    run_preloaded curl -sS --max-time 20 --resolve "pinned.test:$SERVER_PORT:127.0.0.1" \
        "$@" "https://pinned.test:$SERVER_PORT/"
}

tc_run() {    # tc_run TLS_CLIENT-ARGS... (SNI pinned.test, sends PROBE)
    client --sni pinned.test --tls "$v" --send "$PROBE" "$@"
}

expect_curl_block() {
    check_rc 60
    check_zero_bytes 1
    check_log fail blocked "${1:-pinned.test}" 1
}

expect_tc_block() {
    check_rc 2
    check_out_has 'result=refused .*err=1 verify=50 '
    # the error queue names pinning and the host (DESIGN 4)
    check_out_has 'result=refused .*reason="[^"]*[Pp]in[^"]*'"${1:-pinned.test}"
    check_out_lacks 'write .*result=ok'
    check_zero_bytes 1
    check_log fail blocked "${1:-pinned.test}" 1
}

# attack NAME CHAIN KEY PINS CURLARGS TCARGS: both clients against the server
# started for CHAIN (and its KEY, documentation only), pins PINS: blocked.
attack() {
    local name=$1 chain=$2 pins=$4 curlargs=$5 tcargs=$6
    use_server "$chain-$v"
    write_conf "$CONF" pinned.test "$pins"
    case_begin "TLS $v: $name: curl $curlargs: blocked, zero bytes"
    # shellcheck disable=SC2086
    curl_run $curlargs
    expect_curl_block
    case_end
    case_begin "TLS $v: $name: tls_client $tcargs: blocked, zero bytes"
    # shellcheck disable=SC2086
    tc_run $tcargs
    expect_tc_block
    case_end
}

for v in 1.2 1.3; do
    for spec in chain-leaf:leaf chain-att-genint:attacker-leaf chain-att-genfull:attacker-leaf \
                chain-forged-genint:forged chain-att:attacker-leaf chain-self:self; do
        chain=${spec%%:*}
        start_server -n "$chain-$v" -t "$v" "$PKI/$chain.pem" "$PKI/${spec#*:}.key" ||
            hard_error "server $chain did not start"
    done

    # Control: the genuine chain, unverified, intermediate pin -> passes, so
    # the blocks below are about the chain and not about -k.
    use_server "chain-leaf-$v"
    write_conf "$CONF" pinned.test "$PIN_INT"
    case_begin "TLS $v: control: genuine chain, tls_client --insecure, intermediate pin: passes"
    tc_run --insecure
    check_rc 0
    check_out_has 'handshake .*result=ok'
    check_received "$PROBE"
    check_log pass allowed pinned.test 1
    case_end

    # The attacker's leaf followed by the genuine intermediate: the
    # intermediate did not issue it, so its pin must not count.
    attack "attacker leaf + genuine intermediate, pin = intermediate" \
        chain-att-genint attacker-leaf "$PIN_INT" "-k" "--insecure"
    attack "attacker leaf + genuine intermediate + root, pin = root" \
        chain-att-genfull attacker-leaf "$PIN_ROOT" "-k" "--insecure"
    attack "attacker leaf + genuine intermediate + root, pin = intermediate" \
        chain-att-genfull attacker-leaf "$PIN_INT" "-k" "--insecure"
    # Forged leaf: issuer name of the genuine intermediate and no AKID, so
    # names and key ids match; only the signature tells.
    attack "forged leaf naming the genuine intermediate, pin = intermediate" \
        chain-forged-genint forged "$PIN_INT" "-k" "--insecure"
    attack "forged leaf naming the genuine intermediate, pin = root" \
        chain-forged-genint forged "$PIN_ROOT" "-k" "--insecure"
    use_server "chain-forged-genint-$v"
    write_conf "$CONF" pinned.test "$PIN_INT,$PIN_ROOT"
    case_begin "TLS $v: forged leaf, client verifies but tolerates failure, pins = intermediate+root: blocked"
    tc_run --cafile "$PKI/root.pem" --tolerant
    expect_tc_block
    case_end
    # The client trusts the attacker's root: OpenSSL's verification passes,
    # the pins of the genuine chain must not.
    attack "client trusts the attacker root, pins = genuine leaf+intermediate+root" \
        chain-att attacker-leaf "$PIN_LEAF,$PIN_INT,$PIN_ROOT" \
        "--cacert $PKI/attacker-root.pem" "--cafile $PKI/attacker-root.pem"
    attack "self-signed impostor, pins = genuine leaf+intermediate+root" \
        chain-self self "$PIN_LEAF,$PIN_INT,$PIN_ROOT" "-k" "--insecure"

    # ---- resumed sessions (DESIGN 3.5) ----
    use_server "chain-leaf-$v"
    for pinname in LEAF INT ROOT; do
        pin=PIN_$pinname
        write_conf "$CONF" pinned.test "${!pin}"
        case_begin "TLS $v: resumed session, pin on $pinname: full and resumed handshakes pass, reused=1"
        tc_run --cafile "$PKI/root.pem" --resume
        check_rc 0
        check_out_has '^handshake who=main .*result=ok reused=0'
        check_out_has '^handshake who=resume .*result=ok reused=1'
        check_received "$PROBE" 2
        check_conn 'resumed=1'
        check_log pass allowed pinned.test 2
        case_end
    done

    # A session saved by one process and resumed by another (no chain, no
    # memory of one): a leaf pin still passes, a wrong pin still blocks.
    write_conf "$CONF" pinned.test "$PIN_LEAF"
    case_begin "TLS $v: session saved by another process, leaf pin: resumed, passes"
    mark
    tc_run --cafile "$PKI/root.pem" --read --sess-out "$T/sess-$v.pem"
    [ "$RC" = 0 ] && [ -s "$T/sess-$v.pem" ] || case_fail "could not save a session (rc $RC)"
    # the server may note that connection after the client is gone: let it
    # before counting the next one's
    wait_conns 1 || case_fail "server did not finish the saving connection"
    mark
    : > "$LOG"
    tc_run --cafile "$PKI/root.pem" --sess-in "$T/sess-$v.pem"
    check_rc 0
    check_out_has '^handshake who=main .*result=ok reused=1'
    check_received "$PROBE"
    check_conn 'resumed=1'
    check_log pass allowed pinned.test 1
    case_end

    # DESIGN 3.5: a session that would not pass the current pins is not
    # offered; the full handshake that follows decides (and here refuses).
    write_conf "$CONF" pinned.test "$PIN_LEAF2,$PIN_ATTACKER_ROOT"
    case_begin "TLS $v: session saved by another process, wrong pin: session not offered, full handshake blocked, zero bytes"
    tc_run --cafile "$PKI/root.pem" --sess-in "$T/sess-$v.pem"
    expect_tc_block
    check_conn 'resumed=0'
    case_end

    # The host is the SNI the client sets for THIS handshake (DESIGN 3.1),
    # not the name stored in the session it offers: a session made with an
    # unpinned name on the interceptor, offered when connecting to
    # pinned.test, must not make pinned.test "unpinned".
    use_server "chain-att-$v"
    write_conf "$CONF" pinned.test "$PIN_LEAF,$PIN_INT"
    case_begin "TLS $v: interceptor's session for an unpinned name, offered for pinned.test: blocked"
    mark
    client --sni other.test --insecure --tls "$v" --send "unpinned $$" --read --sess-out "$T/xsess-$v.pem"
    [ "$RC" = 0 ] && [ -s "$T/xsess-$v.pem" ] || case_fail "could not save a session for other.test (rc $RC)"
    wait_conns 1 || case_fail "server did not finish the saving connection"
    mark
    : > "$LOG"
    tc_run --insecure --sess-in "$T/xsess-$v.pem"
    expect_tc_block
    case_end

    # The same with one SSL object reused through SSL_clear(), which keeps
    # the last session: good.test (right pin) then bad.test (wrong pin).
    use_server "chain-leaf-$v"
    write_conf "$CONF" good.test "$PIN_INT" bad.test "$PIN_UNRELATED"
    case_begin "TLS $v: SSL_clear reuse, good.test session offered for bad.test: bad.test blocked"
    client --reuse-ssl --hosts good.test,bad.test --cafile "$PKI/root.pem" --tls "$v" --send "$PROBE"
    check_rc 2
    check_out_has '^handshake .*sni=good\.test result=ok '
    check_out_has '^handshake .*sni=bad\.test result=refused .*err=1 verify=50 '
    check_out_lacks '^write .*sni=bad\.test result=ok'
    wait_conns 2 || case_fail "server finished $(new_conns) connections, expected 2"
    [ "$(new_bytes)" = "${#PROBE}" ] || case_fail "server received $(new_bytes) bytes, expected ${#PROBE} (good.test only)"
    check_log pass allowed good.test 1
    check_log fail blocked bad.test 1
    case_end
done

# ---- IP-literal entries: matched when the client sends no SNI ----
use_server chain-leaf-1.3
v=any
for addr in 127.0.0.1 ::1; do
    if [ "$addr" = ::1 ]; then
        if ! start_server -n v6 -6 "$PKI/chain-leaf.pem" "$PKI/leaf.key" 2>/dev/null; then
            skip "::1: the server cannot bind ::1"
            continue
        fi
        url="https://[::1]:$SERVER_PORT/"
    else
        url="https://127.0.0.1:$SERVER_PORT/"
    fi

    write_conf "$CONF" "$addr" "$PIN_UNRELATED"
    case_begin "IP $addr without SNI, tls_client, wrong pin: blocked, zero bytes"
    CLIENT_HOST=$addr client --sni none --insecure --send "$PROBE"
    expect_tc_block "$addr"
    check_conn 'sni=- '
    case_end

    case_begin "IP $addr without SNI, curl $url, wrong pin: blocked, zero bytes"
    run_preloaded curl -sS --max-time 20 --cacert "$PKI/root.pem" "$url"
    expect_curl_block "$addr"
    check_conn 'sni=- '
    case_end

    write_conf "$CONF" "$addr" "$PIN_LEAF"
    case_begin "IP $addr without SNI, tls_client, right pin: passes"
    CLIENT_HOST=$addr client --sni none --insecure --send "$PROBE"
    check_rc 0
    check_received "$PROBE"
    check_log pass allowed "$addr" 1
    case_end

    case_begin "IP $addr without SNI, curl $url, right pin: passes"
    run_preloaded curl -sS --max-time 20 --cacert "$PKI/root.pem" "$url"
    check_rc 0
    check_received 'GET / HTTP/1.1'
    check_log pass allowed "$addr" 1
    case_end

    # The IP entry is for connections without a name: with SNI the host is
    # the name (DESIGN 3.1), which has no entry here.
    write_conf "$CONF" "$addr" "$PIN_UNRELATED"
    case_begin "IP $addr with SNI pinned.test: the IP entry does not apply (unpinned)"
    CLIENT_HOST=$addr client --sni pinned.test --insecure --send "$PROBE"
    check_rc 0
    check_received "$PROBE"
    check_log unpinned allowed pinned.test 1
    case_end
done

finish
