#!/bin/bash
# t_curl.sh - curl (libcurl + OpenSSL: SSL_connect on a non-blocking socket,
# its own BIO) with libpinshim.so preloaded.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_cmd curl
common_setup

# curl_run [CURL ARGS...]: GET https://pinned.test:PORT/ through --resolve.
curl_run() {
    run_preloaded curl -sS --max-time 20 --resolve "pinned.test:$SERVER_PORT:127.0.0.1" \
        "$@" "https://pinned.test:$SERVER_PORT/"
}

expect_pass() {   # the request went through and the log says pass
    check_rc 0
    check_out_has 'pinshim test server: ok'
    check_received 'GET / HTTP/1.1'
    check_log pass allowed pinned.test 1
}

expect_block() {  # curl 60, a message, no byte, the log says fail/blocked
    check_rc 60
    check_err_has '\(60\)'
    check_zero_bytes 1
    check_log fail blocked pinned.test 1
}

for v in 1.3 1.2; do
    start_server -n "tls$v" -t "$v" "$PKI/chain-leaf.pem" "$PKI/leaf.key" ||
        hard_error "server did not start"

    write_conf "$CONF" pinned.test "$PIN_LEAF"
    case_begin "TLS $v: curl --cacert, right leaf pin: passes, server got the request"
    curl_run --cacert "$PKI/root.pem"
    expect_pass
    case_end

    write_conf "$CONF" pinned.test "$PIN_UNRELATED,$PIN_LEAF2"
    case_begin "TLS $v: curl --cacert, wrong pin: blocked (60), zero bytes, log fail/blocked"
    curl_run --cacert "$PKI/root.pem"
    expect_block
    case_end

    case_begin "TLS $v: curl -k, wrong pin: blocked (60), zero bytes"
    curl_run -k
    expect_block
    case_end

    write_conf "$CONF" pinned.test "$PIN_LEAF"
    case_begin "TLS $v: curl -k, right leaf pin: passes"
    curl_run -k
    expect_pass
    case_end

    write_conf "$CONF" pinned.test "$PIN_INT"
    case_begin "TLS $v: curl --cacert, pin on the intermediate: passes"
    curl_run --cacert "$PKI/root.pem"
    expect_pass
    case_end

    case_begin "TLS $v: curl -k, pin on the (served) intermediate: passes"
    curl_run -k
    expect_pass
    case_end

    write_conf "$CONF" pinned.test "$PIN_ROOT"
    case_begin "TLS $v: curl --cacert, pin on the root (verified chain): passes"
    curl_run --cacert "$PKI/root.pem"
    expect_pass
    case_end

    # Without verification only served certificates count (DESIGN 3.2); the
    # root is not served, so nothing vouches for it.
    case_begin "TLS $v: curl -k, pin on a root the server does not send: blocked"
    curl_run -k
    expect_block
    case_end

    write_conf "$CONF" pinned.test "$PIN_UNRELATED,$PIN_LEAF"
    case_begin "TLS $v: curl, backup pins (second pin right): passes"
    curl_run --cacert "$PKI/root.pem"
    expect_pass
    case_end

    write_conf "$CONF" pinned.test "sha256//$PIN_LEAF"
    case_begin "TLS $v: curl, pin in curl's sha256// form: passes"
    curl_run --cacert "$PKI/root.pem"
    expect_pass
    case_end

    write_conf "$CONF" -m report pinned.test "$PIN_UNRELATED"
    case_begin "TLS $v: mode = report, wrong pin: allowed, request sent, log fail/allowed"
    curl_run --cacert "$PKI/root.pem"
    check_rc 0
    check_received 'GET / HTTP/1.1'
    check_log fail allowed pinned.test 1
    case_end

    write_conf "$CONF" pinned.test "$PIN_UNRELATED"
    case_begin "TLS $v: PINSHIM_MODE=report over an enforce config: allowed, log fail/allowed"
    PINSHIM_RUN_ENV="PINSHIM_MODE=report " curl_run --cacert "$PKI/root.pem"
    check_rc 0
    check_received 'GET / HTTP/1.1'
    check_log fail allowed pinned.test 1
    case_end

    write_conf "$CONF" 'pinned.test{mode = "report";}' "$PIN_UNRELATED"
    case_begin "TLS $v: per-host mode = report, wrong pin: allowed, log fail/allowed"
    curl_run --cacert "$PKI/root.pem"
    check_rc 0
    check_received 'GET / HTTP/1.1'
    check_log fail allowed pinned.test 1
    case_end

    write_conf "$CONF" -m report 'pinned.test{mode = "enforce";}' "$PIN_UNRELATED"
    case_begin "TLS $v: per-host mode = enforce under global report: blocked"
    curl_run --cacert "$PKI/root.pem"
    expect_block
    case_end

    write_conf "$CONF" -m off pinned.test "$PIN_UNRELATED"
    case_begin "TLS $v: mode = off, wrong pin: request goes through"
    curl_run --cacert "$PKI/root.pem"
    check_rc 0
    check_received 'GET / HTTP/1.1'
    case_end

    write_conf "$CONF" other.test "$PIN_UNRELATED"
    case_begin "TLS $v: host without an entry, unpinned = allow: passes, log unpinned/allowed"
    curl_run --cacert "$PKI/root.pem"
    check_rc 0
    check_received 'GET / HTTP/1.1'
    check_log unpinned allowed pinned.test 1
    case_end

    write_conf "$CONF" -u block other.test "$PIN_UNRELATED"
    case_begin "TLS $v: host without an entry, unpinned = block: blocked, zero bytes"
    curl_run --cacert "$PKI/root.pem"
    check_rc 60
    check_zero_bytes 1
    check_log unpinned blocked pinned.test 1
    case_end
done

finish
