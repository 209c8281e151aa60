#!/bin/bash
# t_s_client.sh - `openssl s_client`, which never calls SSL_connect: its
# first SSL_write/SSL_read runs the handshake (DESIGN 9).  stdin feeds one line.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

common_setup

LINE="hello from s_client $$"

sc() {  # sc [s_client options]
    run_preloaded openssl s_client -connect "127.0.0.1:$SERVER_PORT" -servername pinned.test \
        "$@" < <(echo "$LINE")
}

expect_pass() {
    check_rc 0
    check_received "$LINE"
    check_log pass allowed pinned.test 1
}

expect_block() {
    check_rc_not 0
    check_timeout
    check_zero_bytes 1
    check_out_lacks "echo: "
    # s_client prints the OpenSSL error queue: it names pinning and the
    # host (DESIGN 4)
    check_err_has 'error:[0-9A-F]+:.*(pinn.*pinned\.test|pinned\.test.*pinn)'
    check_log fail blocked pinned.test 1
}

for v in 1.3 1.2; do
    start_server -n "tls$v" -t "$v" "$PKI/chain-leaf.pem" "$PKI/leaf.key" ||
        hard_error "server did not start"

    write_conf "$CONF" pinned.test "$PIN_LEAF"
    case_begin "TLS $v: s_client -CAfile, right pin: the line reaches the server"
    sc -CAfile "$PKI/root.pem" -verify_return_error
    expect_pass
    case_end

    case_begin "TLS $v: s_client without CAfile (verification fails, tolerated), right pin: passes"
    sc
    expect_pass
    case_end

    write_conf "$CONF" pinned.test "$PIN_INT"
    case_begin "TLS $v: s_client -CAfile, intermediate pin: passes"
    sc -CAfile "$PKI/root.pem" -verify_return_error
    expect_pass
    case_end

    write_conf "$CONF" pinned.test "$PIN_UNRELATED"
    case_begin "TLS $v: s_client -CAfile, wrong pin: blocked, zero bytes, error names pinning"
    sc -CAfile "$PKI/root.pem" -verify_return_error
    expect_block
    case_end

    case_begin "TLS $v: s_client without CAfile, wrong pin: blocked, zero bytes"
    sc
    expect_block
    case_end

    write_conf "$CONF" pinned.test "$PIN_ROOT"
    case_begin "TLS $v: s_client without CAfile, pin on a root not served: blocked"
    sc
    expect_block
    case_end
done

finish
