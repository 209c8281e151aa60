#!/bin/bash
# t_socat.sh - socat's OPENSSL address (SSL_connect on its own socket).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_cmd socat
common_setup

LINE="hello from socat $$"

sc() {  # sc OPENSSL-OPTIONS
    run_preloaded socat -T 5 - "OPENSSL:127.0.0.1:$SERVER_PORT,$1" < <(echo "$LINE")
}

expect_pass() {
    check_rc 0
    check_received "$LINE"
    check_out_has "echo: $LINE"
    check_log pass allowed pinned.test 1
}

expect_block() {
    check_rc_not 0
    check_timeout
    check_zero_bytes 1
    check_out_lacks "echo: "
    check_log fail blocked pinned.test 1
}

for v in 1.3 1.2; do
    start_server -n "tls$v" -t "$v" "$PKI/chain-leaf.pem" "$PKI/leaf.key" ||
        hard_error "server did not start"
    VERIFY="cafile=$PKI/root.pem,commonname=pinned.test"
    NOVERIFY="verify=0,commonname=pinned.test"

    write_conf "$CONF" pinned.test "$PIN_LEAF"
    case_begin "TLS $v: socat cafile=root, right pin: bytes pass"
    sc "$VERIFY"
    expect_pass
    check_conn 'sni=pinned\.test'
    case_end

    case_begin "TLS $v: socat verify=0, right pin: bytes pass"
    sc "$NOVERIFY"
    expect_pass
    case_end

    write_conf "$CONF" pinned.test "$PIN_ROOT"
    case_begin "TLS $v: socat cafile=root, pin on the root: bytes pass"
    sc "$VERIFY"
    expect_pass
    case_end

    write_conf "$CONF" pinned.test "$PIN_LEAF2,$PIN_ATTACKER_ROOT"
    case_begin "TLS $v: socat cafile=root, wrong pins: blocked, zero bytes"
    sc "$VERIFY"
    expect_block
    check_err_has 'SSL_connect|certificate verify failed'
    case_end

    case_begin "TLS $v: socat verify=0, wrong pins: blocked, zero bytes"
    sc "$NOVERIFY"
    expect_block
    case_end
done

finish
