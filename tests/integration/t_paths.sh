#!/bin/bash
# t_paths.sh - no way around the judgement (issue 10, DESIGN 3.6 and 4).
#
# path_client drives a client handshake down every road a program can take
# (path_client.c lists them: early data on a saved session, SSL BIOs with and
# without BIO_do_connect, functions taken with dlsym from a dlopen()ed
# libssl, every write path after a refusal, SSL_clear reuse, verify and
# cert-verify callbacks that clear errors or verify nothing, a connection
# made inside another's verify callback, a callback left by longjmp, a
# 32 KiB thread stack) and names its peer in every way DESIGN 3.1 judges
# (SNI vs checked name, no SNI but a resolved name, numeric spellings of an
# address).  Each road runs against the genuine server (it must pass and
# deliver) and against a man-in-the-middle whose server records every byte
# it receives (it must receive none), in TLS 1.2 and 1.3, with path_client
# built against OpenSSL 3.x and against 1.1.1 (fetched like t_openssl111).
# Also: a session saved by another process with CA pins only is not refused
# but dropped (DESIGN 3.5), and `openssl s_client` sends no early data and no
# SNI-less byte to the man in the middle.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

common_setup
PATH_CLIENT=${PATH_CLIENT:-$top_builddir/tests/integration/path_client}
[ -x "$PATH_CLIENT" ] || hard_error "$PATH_CLIENT not built (make check builds it)"

# The man in the middle presents the attacker's leaf with the genuine
# intermediate; the client trusts the interceptor's CA (a tester's machine
# with mitmproxy's CA installed): verification passes, only pinning stops it.
cat "$PKI/root.pem" "$PKI/attacker-root.pem" > "$PKI/both-roots.pem"
for v in 1.2 1.3; do
    start_server -n "genuine-$v" -t "$v" "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server genuine-$v"
    start_server -n "mitm-$v" -t "$v" "$PKI/chain-att-genint.pem" "$PKI/attacker-leaf.key" || hard_error "server mitm-$v"
    # a leaf that names the genuine intermediate as its issuer, signed by the attacker
    start_server -n "forged-$v" -t "$v" "$PKI/chain-forged-genint.pem" "$PKI/forged.key" || hard_error "server forged-$v"
done
# anonymous suites only (TLS 1.2): shows no certificate at all
start_server -a -n anon-1.2 -t 1.2 "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server anon-1.2"
port_of() {
    use_server "$1"
    echo "$SERVER_PORT"
}

# since NAME: what NAME's server has recorded so far (SINCE); back_to NAME
# SINCE: make the assertions about NAME look at what came after it.
since() {
    use_server "$1"
    SINCE="$CONN_BASE $REC_BASE"
}
back_to() {
    use_server "$1"
    set -- $2
    CONN_BASE=$1
    REC_BASE=$2
}

# CA pins only (the usual setup): the genuine intermediate and a backup.
write_conf "$CONF" -v failures pinned.test "$PIN_INT,$PIN_UNRELATED" localhost "$PIN_INT,$PIN_UNRELATED" \
    127.0.0.1 "$PIN_INT,$PIN_UNRELATED"

PROBE="path probe $$"

# pc SERVER ARGS...: path_client preloaded, to SERVER (its port), sending PROBE.
pc() {
    local server=$1
    shift
    use_server "$server"
    run_preloaded "$CLIENT" --port "$SERVER_PORT" --send "$PROBE" "$@"
}

# passes [NCONN]: the client succeeded and the genuine server got the probe.
passes() {
    check_timeout
    check_rc 0
    check_out_lacks 'result=(refused|failed)'
    check_received "$PROBE" "${1:-1}"
}

# refused [HOST]: the client was refused, never wrote after a refusal, the
# server got not one byte, and the log says so.
refused() {
    check_timeout
    check_rc 2
    check_out_has 'result=refused .*verify=50 .*reason="[^"]*pinning'
    check_out_lacks '^write .*result=ok'
    check_zero_bytes 1
    check_log fail blocked "${1:-pinned.test}"
}

for p in plain bio-implicit bio-handshake dlsym-handshake dlsym-implicit cert-verify-own small-stack; do
    eval "refused_$p() { refused \"\$@\"; }"
done
# A verification replaced through a function taken with dlsym is judged
# after it (the bracket of verify_hook.c): libssl clears the error queue
# there, so the program sees the connection end rather than pinning's
# words; the verify result and the log still say it.
refused_dlsym-own-verify() {
    check_timeout
    check_rc 2
    check_out_has '^handshake .*result=refused verify=50 '
    check_out_lacks '^write .*result=ok'
    check_zero_bytes 1
    check_log fail blocked "${1:-pinned.test}"
}

run_matrix() {
    local label=$1 v p
    CLIENT=$2
    for v in 1.2 1.3; do
        local trust_mitm=(--cafile "$PKI/both-roots.pem") trust=(--cafile "$PKI/root.pem")
        for p in plain bio-implicit bio-handshake dlsym-handshake dlsym-implicit cert-verify-own dlsym-own-verify small-stack; do
            case_begin "$label TLS $v $p: genuine server: passes and delivers"
            pc "genuine-$v" --path "$p" --tls "$v" --sni pinned.test "${trust[@]}"
            passes
            case_end
            case_begin "$label TLS $v $p: man in the middle: refused, zero bytes"
            pc "mitm-$v" --path "$p" --tls "$v" --sni pinned.test "${trust_mitm[@]}"
            refused_$p
            case_end
            case_begin "$label TLS $v $p --insecure: man in the middle: refused, zero bytes"
            pc "mitm-$v" --path "$p" --tls "$v" --sni pinned.test --insecure
            refused_$p
            case_end
        done

        if [ "$v" = 1.2 ]; then
            # Anonymous suites show no certificate: any man in the middle can
            # serve one to a client that allows them.  They are not offered
            # where pinning is enforced, however the handshake is driven.
            local anon_only='aNULL:@SECLEVEL=0' anon_too='ALL:@SECLEVEL=0'
            for p in plain bio-implicit bio-handshake dlsym-handshake dlsym-implicit; do
                case_begin "$label TLS 1.2 $p, anonymous suites only: the anonymous server: refused before the ClientHello, zero bytes"
                pc anon-1.2 --path "$p" --tls 1.2 --sni pinned.test --insecure --ciphers "$anon_only"
                check_timeout
                check_rc 2
                check_out_has '^handshake .*result=refused .*reason="[^"]*anonymous cipher suites'
                check_out_lacks '^write .*result=ok'
                check_zero_bytes 1
                case_end
            done
            for p in bio-implicit dlsym-implicit; do
                case_begin "$label TLS 1.2 $p, anonymous suites beside the usual ones: the anonymous server: refused, zero bytes"
                pc anon-1.2 --path "$p" --tls 1.2 --sni pinned.test --insecure --ciphers "$anon_too"
                check_timeout
                check_rc 2
                check_out_lacks '^write .*result=ok'
                check_zero_bytes 1
                case_end
                case_begin "$label TLS 1.2 $p, anonymous suites beside the usual ones: the genuine server passes"
                pc genuine-1.2 --path "$p" --tls 1.2 --sni pinned.test --insecure --ciphers "$anon_too"
                passes
                case_end
            done
            case_begin "$label TLS 1.2 bio-implicit, anonymous suites only, a name with no entry: not touched"
            pc anon-1.2 --path bio-implicit --tls 1.2 --sni other.test --insecure --ciphers "$anon_only"
            passes
            case_end
            write_conf "$CONF" -m report -v failures pinned.test "$PIN_INT,$PIN_UNRELATED"
            case_begin "$label TLS 1.2 bio-implicit, anonymous suites only, report mode: not touched, reported"
            pc anon-1.2 --path bio-implicit --tls 1.2 --sni pinned.test --insecure --ciphers "$anon_only"
            passes
            check_log fail allowed pinned.test
            case_end
            write_conf "$CONF" -v failures pinned.test "$PIN_INT,$PIN_UNRELATED" localhost "$PIN_INT,$PIN_UNRELATED" \
                127.0.0.1 "$PIN_INT,$PIN_UNRELATED"
        fi

        case_begin "$label TLS $v after-refusal: every write path after a refused SSL_connect fails, zero bytes"
        pc "mitm-$v" --path after-refusal --tls "$v" --sni pinned.test --insecure
        refused
        check_count '^write .*result=failed' 5
        case_end

        # A verify callback (or a cert-verify callback) that clears every
        # error: the forged leaf names the genuine intermediate as issuer
        # but is not signed by it (CVE-2016-2402).
        for p in verify-cb-clear cert-verify-clear; do
            case_begin "$label TLS $v $p: genuine server: passes"
            pc "genuine-$v" --path "$p" --tls "$v" --sni pinned.test "${trust[@]}"
            passes
            case_end
            case_begin "$label TLS $v $p: forged leaf under the genuine intermediate: refused, zero bytes"
            pc "forged-$v" --path "$p" --tls "$v" --sni pinned.test "${trust[@]}"
            refused
            case_end
        done

        case_begin "$label TLS $v clear-reuse: genuine, SSL_clear, man in the middle by an implicit handshake: refused"
        since "genuine-$v"
        local g=$SINCE
        since "mitm-$v"
        local m=$SINCE
        pc "genuine-$v" --path clear-reuse --port2 "$(port_of "mitm-$v")" --tls "$v" --sni pinned.test --insecure
        check_timeout
        check_rc 2
        check_out_has '^handshake conn=1 result=ok'
        check_out_has '^handshake conn=2 result=refused .*verify=50'
        check_out_lacks '^write conn=2 .*result=ok'
        back_to "genuine-$v" "$g"
        check_received "$PROBE"
        back_to "mitm-$v" "$m"
        check_zero_bytes 1
        case_end

        case_begin "$label TLS $v clear-reuse: man in the middle refused, SSL_clear, genuine passes"
        since "genuine-$v"
        g=$SINCE
        since "mitm-$v"
        m=$SINCE
        pc "mitm-$v" --path clear-reuse --port2 "$(port_of "genuine-$v")" --tls "$v" --sni pinned.test --insecure
        check_timeout
        check_rc 2
        check_out_has '^handshake conn=1 result=refused .*verify=50'
        check_out_has '^handshake conn=2 result=ok'
        check_out_has '^write conn=2 .*result=ok'
        back_to "mitm-$v" "$m"
        check_zero_bytes 1
        back_to "genuine-$v" "$g"
        check_received "$PROBE"
        case_end

        for p in nested longjmp; do
            case_begin "$label TLS $v $p: the second connection (to the genuine server) passes"
            pc "genuine-$v" --path "$p" --port2 "$(port_of "genuine-$v")" --tls "$v" --sni pinned.test "${trust[@]}"
            check_timeout
            check_out_has '^handshake conn=2 result=ok'
            check_out_has '^write conn=2 .*result=ok'
            check_received "$PROBE"
            case_end
            case_begin "$label TLS $v $p: the second connection (to the man in the middle) is judged: refused, zero bytes"
            since "mitm-$v"
            m=$SINCE
            pc "genuine-$v" --path "$p" --port2 "$(port_of "mitm-$v")" --tls "$v" --sni pinned.test "${trust_mitm[@]}"
            check_timeout
            check_rc_not 4
            check_out_has '^handshake conn=2 result=refused .*verify=50'
            check_out_lacks '^write conn=2 .*result=ok'
            back_to "mitm-$v" "$m"
            check_zero_bytes 1
            check_log fail blocked pinned.test
            case_end
        done

        # Names (DESIGN 3.1).
        case_begin "$label TLS $v SNI other.test, checked name pinned.test: judged as pinned.test too: refused"
        pc "mitm-$v" --path plain --tls "$v" --sni other.test --check-host pinned.test "${trust_mitm[@]}"
        refused pinned.test
        case_end
        case_begin "$label TLS $v SNI other.test, checked name pinned.test, genuine server: passes"
        pc "genuine-$v" --path plain --tls "$v" --sni other.test --check-host pinned.test "${trust[@]}"
        passes
        case_end
        case_begin "$label TLS $v no SNI, connected by the name localhost: judged as localhost: refused"
        pc "mitm-$v" --path plain --tls "$v" --host localhost --sni none --insecure
        refused localhost
        case_end
        case_begin "$label TLS $v no SNI, connected by the name localhost, genuine server: passes"
        pc "genuine-$v" --path plain --tls "$v" --host localhost --sni none --insecure
        passes
        case_end
        local n
        for n in 127.1 127.0.1 2130706433 0x7f000001 0177.0.0.1; do
            case_begin "$label TLS $v SNI $n is the address 127.0.0.1: refused"
            pc "mitm-$v" --path plain --tls "$v" --sni "$n" --insecure
            refused 127.0.0.1
            case_end
        done

        # DESIGN 3.5: a session saved by another process, CA pins only:
        # nothing is known of its chain, so it is not offered; the full
        # handshake passes (it was refused before).
        case_begin "$label TLS $v session saved by another process, CA pins only: not resumed, full handshake passes"
        pc "genuine-$v" --path plain --tls "$v" --sni pinned.test "${trust[@]}" --sess-out "$T/sess-$label-$v.pem"
        [ "$RC" = 0 ] && [ -s "$T/sess-$label-$v.pem" ] || case_fail "no session saved (rc $RC)"
        mark
        : > "$LOG"
        pc "genuine-$v" --path plain --tls "$v" --sni pinned.test "${trust[@]}" --sess-in "$T/sess-$label-$v.pem"
        passes
        check_conn 'resumed=0'
        [ ! -s "$LOG" ] || case_fail "a verdict was logged: $(head -c 300 "$LOG")"
        case_end
    done

    # Early data (TLS 1.3): the session was made with the genuine server;
    # the man in the middle cannot take it, a full handshake follows, and
    # it is judged like any other.
    case_begin "$label TLS 1.3 early-data: a session saved from the genuine server (leaf pinned)"
    write_conf "$CONF" -v failures pinned.test "$PIN_LEAF,$PIN_UNRELATED"
    pc genuine-1.3 --path plain --tls 1.3 --sni pinned.test --insecure --sess-out "$T/early-$label.pem" --early-capable
    check_rc 0
    [ -s "$T/early-$label.pem" ] || case_fail "no session saved"
    case_end
    case_begin "$label TLS 1.3 early-data: the genuine server: passes"
    pc genuine-1.3 --path early-data --tls 1.3 --sni pinned.test --insecure --sess-in "$T/early-$label.pem"
    check_timeout
    check_rc 0
    check_out_has '^early conn=1 result=ok'
    check_received "$PROBE"
    case_end
    case_begin "$label TLS 1.3 early-data: the man in the middle: refused, zero bytes"
    pc mitm-1.3 --path early-data --tls 1.3 --sni pinned.test --insecure --sess-in "$T/early-$label.pem"
    refused
    case_end
    case_begin "$label TLS 1.3 early-data, CA pins only: the session is not offered, no early data, zero bytes"
    write_conf "$CONF" -v failures pinned.test "$PIN_INT,$PIN_UNRELATED"
    pc mitm-1.3 --path early-data --tls 1.3 --sni pinned.test --insecure --sess-in "$T/early-$label.pem"
    check_timeout
    check_rc_not 0
    check_rc_not 4
    check_out_lacks '^(early|write) .*result=ok'
    check_zero_bytes 1
    case_end
    write_conf "$CONF" -v failures pinned.test "$PIN_INT,$PIN_UNRELATED" localhost "$PIN_INT,$PIN_UNRELATED" \
        127.0.0.1 "$PIN_INT,$PIN_UNRELATED"
}

run_matrix "openssl3" "$PATH_CLIENT"

# openssl s_client: early data from a saved session, and a connection by
# name with no SNI, to the man in the middle.
if command -v openssl >/dev/null 2>&1; then
    write_conf "$CONF" -v failures pinned.test "$PIN_LEAF,$PIN_UNRELATED"
    case_begin "openssl s_client -sess_in F -early_data D to the man in the middle: zero bytes"
    printf 'early probe %s\n' "$$" > "$T/early.txt"
    use_server mitm-1.3
    run_preloaded openssl s_client -connect "127.0.0.1:$SERVER_PORT" -servername pinned.test \
        -sess_in "$T/early-openssl3.pem" -early_data "$T/early.txt" < /dev/null
    check_timeout
    check_rc_not 0
    check_zero_bytes 1
    check_log fail blocked pinned.test
    case_end
    # A TLS 1.2 renegotiation the server asks for, with no session to
    # resume: a full handshake inside the connection, judged at its
    # verification like the first (two verdicts: the second coalesced).
    write_conf "$CONF" -v all pinned.test "$PIN_INT,$PIN_UNRELATED"
    case_begin "TLS 1.2 renegotiation (a full handshake inside the connection) is judged again"
    RPORT=$(unused_port)
    ( (sleep 2; echo R; sleep 5) | timeout 20 openssl s_server -accept "127.0.0.1:$RPORT" -cert "$PKI/leaf.pem" \
        -cert_chain "$PKI/int.pem" -key "$PKI/leaf.key" -tls1_2 -naccept 1 -no_cache -no_ticket \
        >"$T/reneg-server.out" 2>&1 ) &
    rpid=$!
    for _ in $(seq 1 50); do
        grep -q ACCEPT "$T/reneg-server.out" 2>/dev/null && break
        sleep 0.1
    done
    run_preloaded openssl s_client -connect "127.0.0.1:$RPORT" -servername pinned.test -CAfile "$PKI/root.pem" \
        -tls1_2 < <(sleep 3.5; echo "after renegotiation $$"; sleep 1.5)
    wait "$rpid" 2>/dev/null
    check_timeout
    [ "$(grep -c 'verify return' "$ERR")" -ge 6 ] || case_fail "no second verification: $(grep -c 'verify return' "$ERR") verify lines"
    grep -q "after renegotiation $$" "$T/reneg-server.out" || case_fail "the server did not get the data after renegotiating"
    check_log pass allowed pinned.test 2
    case_end

    write_conf "$CONF" -v failures localhost "$PIN_INT,$PIN_UNRELATED"
    case_begin "openssl s_client -connect localhost:PORT (no SNI) to the man in the middle: refused, zero bytes"
    use_server mitm-1.2
    run_preloaded openssl s_client -connect "localhost:$SERVER_PORT" -noservername -ign_eof \
        < <(printf 'GET / HTTP/1.0\r\n\r\n')
    check_timeout
    check_rc_not 0
    check_zero_bytes 1
    check_log fail blocked localhost
    case_end
fi

# A program that uses libcrypto alone first (pinshim's first look finds no
# libssl), then loads libssl with dlopen and takes it all with dlsym: from
# the library's handle (its calls never reach an interposed SSL_* function)
# or from the global scope (they do, from a program first seen without libssl).
if ${CC:-cc} -Wall -Wextra -O1 $(pkg-config --cflags libcrypto 2>/dev/null) -o "$T/late_ssl" "$_lib_dir/late_ssl.c" \
    $(pkg-config --libs libcrypto 2>/dev/null || echo -lcrypto) -ldl >"$T/cc-late.log" 2>&1; then
    for scope in handle global; do
        arg=; [ "$scope" = global ] && arg=global
        case_begin "libcrypto first, libssl dlopen'd later, every call by dlsym ($scope): the man in the middle is refused, zero bytes"
        write_conf "$CONF" -v failures pinned.test "$PIN_INT,$PIN_UNRELATED"
        use_server mitm-1.3
        run_preloaded "$T/late_ssl" "$SERVER_PORT" pinned.test "$PKI/both-roots.pem" "$PROBE" $arg
        check_timeout
        check_rc 2
        check_out_has '^libcrypto verify=1'
        check_out_has '^handshake result=refused verify=50'
        check_zero_bytes 1
        check_log fail blocked pinned.test
        check_err_lacks 'NOT COVERED'
        case_end

        case_begin "libcrypto first, libssl dlopen'd later, every call by dlsym ($scope): the genuine server passes"
        write_conf "$CONF" -v all pinned.test "$PIN_INT,$PIN_UNRELATED"
        use_server genuine-1.3
        run_preloaded "$T/late_ssl" "$SERVER_PORT" pinned.test "$PKI/both-roots.pem" "$PROBE" $arg
        check_timeout
        check_rc 0
        check_out_has '^handshake result=ok verify=0'
        check_log pass allowed pinned.test
        check_err_lacks 'NOT COVERED'
        case_end
    done
else
    case_begin "libcrypto first, libssl dlopen'd later"
    case_fail "late_ssl does not build: $(head -c 300 "$T/cc-late.log")"
    case_end
fi

# The same roads with path_client built against OpenSSL 1.1.1.
O111_DIR=${PINSHIM_OPENSSL111_DIR:-$top_builddir/tests/integration/openssl111}
if O111_ROOT=$("$_lib_dir/fetch-openssl111.sh" "$O111_DIR" 2>"$T/fetch.err" | tail -n 1) && [ -n "$O111_ROOT" ]; then
    O111_LIB=$O111_ROOT/usr/lib/x86_64-linux-gnu
    # shellcheck disable=SC2086
    if ${CC:-cc} -Wall -Wextra -O1 -pthread -I"$O111_ROOT/usr/include" -I"$O111_ROOT/usr/include/x86_64-linux-gnu" \
        -o "$T/path_client111" "$_lib_dir/path_client.c" -L"$O111_LIB" -Wl,--disable-new-dtags \
        -Wl,-rpath,"$O111_LIB" -lssl -lcrypto -ldl >"$T/cc111.log" 2>&1; then
        write_conf "$CONF" -v failures pinned.test "$PIN_INT,$PIN_UNRELATED" localhost "$PIN_INT,$PIN_UNRELATED" \
            127.0.0.1 "$PIN_INT,$PIN_UNRELATED"
        run_matrix "openssl1.1.1" "$T/path_client111"
    else
        case_begin "path_client builds against OpenSSL 1.1.1"
        case_fail "$(head -n 20 "$T/cc111.log")"
        case_end
    fi
else
    skip "OpenSSL 1.1.1 roads: $(grep 'fetch-openssl111:' "$T/fetch.err" | tail -n 1)"
fi

finish
