#!/bin/bash
# t_modes.sh - every way a client enters the handshake (SSL_connect,
# SSL_do_handshake, first SSL_write / SSL_write_ex / SSL_read / SSL_read_ex /
# SSL_peek, a non-blocking select loop), what a blocked SSL does afterwards,
# the host taken from SSL_set1_host, the JSON log fields, and that a server's
# handshakes are never judged.  TLS 1.2 and 1.3.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

common_setup

CONF_RIGHT=$T/right.conf
CONF_WRONG=$T/wrong.conf
write_conf "$CONF_RIGHT" pinned.test "$PIN_LEAF"
write_conf "$CONF_WRONG" pinned.test "$PIN_LEAF2,$PIN_ATTACKER_ROOT"

expect_block() {
    check_rc 2
    check_timeout
    check_out_has '^handshake .*result=refused .*err=1 verify=50 '
    check_out_has '^handshake .*result=refused .*reason="[^"]*[Pp]in[^"]*pinned\.test'
    check_out_lacks '^(write|read) .*result=ok'
    check_out_lacks '^pinshim'   # the library never prints on stdout (DESIGN 6)
    check_zero_bytes 1
    check_log fail blocked pinned.test 1
}

for v in 1.2 1.3; do
    start_server -n "plain$v" -t "$v" "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server"
    start_server -n "greet$v" -t "$v" -g "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server"

    for mode in connect do_handshake implicit write_ex nonblocking read read_ex peek; do
        case $mode in
        read | read_ex | peek) use_server "greet$v" ;;   # the server speaks first
        *) use_server "plain$v" ;;
        esac
        payload="mode $mode tls $v $$"

        CONF=$CONF_RIGHT
        case_begin "TLS $v --mode $mode, right pin: passes, the payload arrives"
        client --sni pinned.test --cafile "$PKI/root.pem" --tls "$v" --mode "$mode" --send "$payload"
        check_rc 0
        check_out_has "^handshake .*result=ok .*version=TLSv$v mode=$mode"
        check_out_has '^write .*result=ok'
        case $mode in
        read | read_ex | peek) check_out_has '^read .*result=ok .*data="hello from tls_server"' ;;
        esac
        check_received "$payload"
        check_log pass allowed pinned.test 1
        case_end

        CONF=$CONF_WRONG
        case_begin "TLS $v --mode $mode, wrong pin: refused (SSL_ERROR_SSL, verify 50), zero bytes"
        client --sni pinned.test --cafile "$PKI/root.pem" --tls "$v" --mode "$mode" --send "$payload"
        expect_block
        case_end
    done

    # After a block every later read and write on that SSL fails (DESIGN 4).
    for mode in connect nonblocking; do
        use_server "plain$v"
        CONF=$CONF_WRONG
        case_begin "TLS $v --mode $mode: SSL_write and SSL_read after the refusal fail, zero bytes"
        client --sni pinned.test --insecure --tls "$v" --mode "$mode" --send "after refusal $$" \
            --write-after-refusal
        expect_block
        check_out_has '^write .*result=failed'
        check_out_has '^read .*result=failed'
        case_end
    done

    use_server "greet$v"
    CONF=$CONF_WRONG
    case_begin "TLS $v --mode peek: SSL_peek, SSL_write and SSL_read after the refusal fail"
    client --sni pinned.test --insecure --tls "$v" --mode peek --send "after refusal $$" \
        --write-after-refusal
    expect_block
    check_out_has '^write .*result=failed'
    check_out_has '^read .*result=failed'
    case_end

    # One SSL object reused through SSL_clear(): the block of one handshake
    # must not stick to the object, nor a pass (DESIGN 9: reset the memory
    # when a new handshake starts).
    use_server "plain$v"
    CONF=$T/goodbad.conf
    write_conf "$CONF" good.test "$PIN_INT" bad.test "$PIN_UNRELATED"
    case_begin "TLS $v: one SSL reused with SSL_clear: bad, good, bad, good judged one by one"
    client --reuse-ssl --hosts bad.test,good.test,bad.test,good.test --cafile "$PKI/root.pem" \
        --tls "$v" --send "reuse $$"
    check_rc 2
    check_count '^handshake .*sni=bad\.test result=refused .*err=1 verify=50 ' 2
    check_count '^handshake .*sni=good\.test result=ok ' 2
    check_count '^write .*sni=good\.test result=ok' 2
    check_count '^write .*sni=bad\.test' 0
    wait_conns 4 || case_fail "server finished $(new_conns) connections, expected 4"
    [ "$(new_record | grep -oF "reuse $$" | wc -l)" = 2 ] ||
        case_fail "server got: $(new_record | tr -c '[:print:]' '.')"
    check_log pass allowed good.test 2
    check_log fail blocked bad.test 2
    case_end

    # No SNI: the host is the name given to SSL_set1_host (DESIGN 3.1).
    use_server "plain$v"
    CONF=$CONF_WRONG
    case_begin "TLS $v: no SNI, SSL_set1_host(pinned.test), wrong pin: blocked as pinned.test"
    client --sni none --set1-host pinned.test --cafile "$PKI/root.pem" --tls "$v" --send "set1host $$"
    expect_block
    check_conn 'sni=- '
    case_end

    CONF=$CONF_RIGHT
    case_begin "TLS $v: no SNI, SSL_set1_host(pinned.test), right pin: passes as pinned.test"
    client --sni none --set1-host pinned.test --cafile "$PKI/root.pem" --tls "$v" --send "set1host $$"
    check_rc 0
    check_received "set1host $$"
    check_log pass allowed pinned.test 1
    case_end

    # The JSON log line (DESIGN 5), on a pass and on a block.
    CONF=$CONF_RIGHT
    case_begin "TLS $v: JSON log line of a pass has every field"
    client --sni pinned.test --cafile "$PKI/root.pem" --tls "$v"
    check_rc 0
    check_log_fields
    check_log pass allowed pinned.test 1
    "$PYTHON3" - "$LOG" "$SERVER_PORT" "$PIN_LEAF" "$PIN_INT" > "$T/fields.out" 2>&1 <<'PYEOF' || case_fail "$(cat "$T/fields.out")"
import json, sys
log, port, leaf, inter = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
o = json.loads(open(log).readline())
errs = []
if o["port"] != port: errs.append("port %r != %d" % (o["port"], port))
if o["peer"] != "127.0.0.1:%d" % port: errs.append("peer %r" % o["peer"])
if o["program"] != "tls_client": errs.append("program %r" % o["program"])
if o["matched_pin"] not in (leaf, "sha256/" + leaf): errs.append("matched_pin %r" % o["matched_pin"])
pins = [c["pin"] for c in o["served_chain"]]
if not any(p in (leaf, "sha256/" + leaf) for p in pins): errs.append("leaf pin not in served_chain")
if not any(p in (inter, "sha256/" + inter) for p in pins): errs.append("intermediate pin not in served_chain")
if "pinned.test" not in o["served_chain"][0]["subject"]: errs.append("served_chain[0].subject %r" % o["served_chain"][0]["subject"])
if o["mode"] != "enforce": errs.append("mode %r" % o["mode"])
if errs: sys.exit("; ".join(errs))
PYEOF
    case_end

    CONF=$CONF_WRONG
    case_begin "TLS $v: JSON log line of a block has every field, known_pins = the config's pins"
    client --sni pinned.test --cafile "$PKI/root.pem" --tls "$v"
    check_rc 2
    check_log_fields
    check_log fail blocked pinned.test 1
    "$PYTHON3" - "$LOG" "$PIN_LEAF2" "$PIN_ATTACKER_ROOT" > "$T/fields.out" 2>&1 <<'PYEOF' || case_fail "$(cat "$T/fields.out")"
import json, sys
o = json.loads(open(sys.argv[1]).readline())
want = sorted(sys.argv[2:])
got = sorted(p[len("sha256/"):] if p.startswith("sha256/") else p for p in o["known_pins"])
if got != want: sys.exit("known_pins %r, expected %r" % (o["known_pins"], want))
if o["matched_pin"] is not None: sys.exit("matched_pin %r on a fail" % o["matched_pin"])
PYEOF
    case_end
done

# A server's handshakes are never judged (DESIGN 4): the TLS server itself
# runs preloaded with a config that would block every client handshake.
write_conf "$T/server.conf" -u block pinned.test "$PIN_UNRELATED"
CONF=$T/server.conf
start_server -n preloaded-server -p "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server"
case_begin "a preloaded TLS server is not judged: clients connect, bytes arrive, nothing logged"
run_plain "$TEST_CLIENT" --host 127.0.0.1 --port "$SERVER_PORT" --sni pinned.test \
    --cafile "$PKI/root.pem" --send "to a preloaded server $$" --read
check_rc 0
check_out_has '^read .*result=ok .*data="echo: to a preloaded server'
check_received "to a preloaded server $$"
if [ -s "$LOG" ]; then
    case_fail "the server logged verdicts: $(head -c 300 "$LOG")"
fi
case_end

finish
