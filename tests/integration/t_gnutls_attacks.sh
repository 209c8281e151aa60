#!/bin/bash
# t_gnutls_attacks.sh - what an interceptor or impostor can try against a
# GnuTLS client (the chains of t_attacks.sh), with wget --no-check-certificate
# and gnutls-cli --insecure, which verify nothing: only the leaf and the
# certificates that really signed the one before count (DESIGN 3.2), so an
# attacker's leaf sent with the genuine intermediate does not match the
# intermediate's pin (OkHttp's CVE-2016-2402).  TLS 1.2 and TLS 1.3.
# Then the server side: GnuTLS servers with the library preloaded are never
# judged (DESIGN 4), also when they verify a client certificate.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gnutls_lib.sh"

gnutls_setup
make_client_cert || hard_error "cannot make the client certificate"
mkdir -p "$T/doc"
DOC_MARK="pinshim gnutls attack document $$"
printf '%s\n' "$DOC_MARK" > "$T/doc/hello.txt"

HAVE_WGET=0
need_gnutls_prog wget "$(command -v wget || echo /usr/bin/wget)" && HAVE_WGET=1
HAVE_GCLI=0
need_gnutls_prog gnutls-cli "$(command -v gnutls-cli || echo /usr/bin/gnutls-cli)" && HAVE_GCLI=1

# wget's words when the handshake fails at verification, or when its own
# check after the handshake does (not the WARNING of --no-check-certificate)
WGET_ERR_RE='GnuTLS: Error in the certificate verification|ERROR: .*certificate'

# wget_run ARGS: GET https://localhost:PORT/hello.txt (SNI localhost)
wget_run() {
    rm -f "$T/wget.out"
    run_preloaded wget --no-config -nv --tries=1 --timeout=10 -4 "$@" -O "$T/wget.out" \
        "https://localhost:$SERVER_PORT/hello.txt"
}
# gcli_run ARGS: an HTTP GET through gnutls-cli (SNI pinned.test)
gcli_run() {
    run_preloaded gnutls-cli --crlf -p "$SERVER_PORT" --sni-hostname pinned.test "$@" 127.0.0.1 \
        <<<"GET /hello.txt HTTP/1.0"$'\n'
}

expect_pass() {  # expect_pass HOST
    check_rc 0
    check_received "GET /hello.txt HTTP/1."
    check_glog pass allowed "$1" 1
}
expect_block() {  # expect_block HOST REGEX
    check_rc_not 0
    check_timeout
    check_any_has "$2"
    check_zero_bytes 1
    check_glog fail blocked "$1" 1
}

# attack LABEL CHAIN PINS WGETARGS GCLIARGS: both clients against the server
# that serves CHAIN, every name pinned to PINS: refused.
attack() {
    local label=$1 chain=$2 pins=$3 wargs=$4 gargs=$5
    use_server "$chain-$v"
    write_conf "$CONF" localhost "$pins" pinned.test "$pins"
    if [ $HAVE_WGET = 1 ]; then
        case_begin "TLS $v: $label: wget ${wargs//$PKI\//}: refused, zero bytes, fail/blocked"
        # shellcheck disable=SC2086
        wget_run $wargs
        expect_block localhost "$WGET_ERR_RE"
        [ ! -s "$T/wget.out" ] || case_fail "wget saved the document"
        case_end
    fi
    if [ $HAVE_GCLI = 1 ]; then
        case_begin "TLS $v: $label: gnutls-cli ${gargs//$PKI\//}: refused, zero bytes, fail/blocked"
        # shellcheck disable=SC2086
        gcli_run $gargs
        expect_block pinned.test '\*\*\* Fatal error: Error in the certificate'
        case_end
    fi
}

for v in 1.2 1.3; do
    for spec in chain-leaf:leaf chain-att-genint:attacker-leaf chain-att-genfull:attacker-leaf \
                chain-forged-genint:forged chain-att:attacker-leaf chain-self:self; do
        chain=${spec%%:*}
        start_server -n "$chain-$v" -t "$v" -d "$T/doc" "$PKI/$chain.pem" "$PKI/${spec#*:}.key" ||
            hard_error "server $chain did not start"
    done

    # Controls: the genuine chain, unverified, intermediate pin passes, so
    # the refusals below are about the chains and not about verifying nothing.
    use_server "chain-leaf-$v"
    write_conf "$CONF" localhost "$PIN_INT" pinned.test "$PIN_INT"
    if [ $HAVE_WGET = 1 ]; then
        case_begin "TLS $v: control: genuine chain, wget --no-check-certificate, intermediate pin: passes"
        wget_run --no-check-certificate
        expect_pass localhost
        grep -qxF "$DOC_MARK" "$T/wget.out" 2>/dev/null || case_fail "wget did not save the document"
        case_end
    fi
    if [ $HAVE_GCLI = 1 ]; then
        case_begin "TLS $v: control: genuine chain, gnutls-cli --insecure, intermediate pin: passes"
        gcli_run --insecure
        expect_pass pinned.test
        case_end
    fi
    # Unverified, only served certificates count: the root is not served.
    attack "genuine chain, pin on the root it does not send" chain-leaf "$PIN_ROOT" \
        --no-check-certificate --insecure

    attack "attacker leaf + genuine intermediate, pin = intermediate" chain-att-genint "$PIN_INT" \
        --no-check-certificate --insecure
    attack "attacker leaf + genuine intermediate + root, pin = root" chain-att-genfull "$PIN_ROOT" \
        --no-check-certificate --insecure
    attack "attacker leaf + genuine intermediate + root, pin = intermediate" chain-att-genfull "$PIN_INT" \
        --no-check-certificate --insecure
    # Forged leaf: the genuine intermediate's name as issuer and no AKID;
    # only the signature tells.
    attack "forged leaf naming the genuine intermediate, pin = intermediate" chain-forged-genint "$PIN_INT" \
        --no-check-certificate --insecure
    attack "forged leaf naming the genuine intermediate, pin = root" chain-forged-genint "$PIN_ROOT" \
        --no-check-certificate --insecure
    # The client trusts the attacker's root: GnuTLS's verification passes,
    # the genuine chain's pins must not.
    attack "client trusts the attacker root, pins = genuine leaf+intermediate+root" chain-att \
        "$PIN_LEAF,$PIN_INT,$PIN_ROOT" "--ca-certificate=$PKI/attacker-root.pem" \
        "--x509cafile=$PKI/attacker-root.pem --verify-hostname=pinned.test"
    attack "self-signed impostor, pins = genuine leaf+intermediate+root" chain-self \
        "$PIN_LEAF,$PIN_INT,$PIN_ROOT" --no-check-certificate --insecure
done

# ---- GnuTLS servers with the library preloaded: never judged ----
# Every name has an entry with a wrong pin and unpinned = block: a judged
# server session (or a client certificate taken for a server's) would be
# refused.  The log must stay empty.
SRVCONF_ARGS=(-u block pinned.test "$PIN_UNRELATED" localhost "$PIN_UNRELATED" 127.0.0.1 "$PIN_UNRELATED")

# Our own GnuTLS server on 127.0.0.1, asking for a client certificate and
# verifying it with gnutls_certificate_verify_peers3.
write_conf "$CONF" "${SRVCONF_ARGS[@]}"
case_begin "gnutls_client --serve (GnuTLS server, client certificates verified) preloaded: serves, nothing judged"
rm -f "$T/gserve.port"
env LD_PRELOAD="${PINSHIM_PRELOAD:-$PINSHIM_LIB}" PINSHIM_CONFIG="$CONF" timeout -k 5 60 \
    "$GNUTLS_CLIENT" --serve "$T/gserve.port" --cert "$PKI/chain-leaf.pem" --key "$PKI/leaf.key" \
    --cafile "$PKI/root.pem" --conns 2 --deadline 30 >"$T/gserve.out" 2>"$T/gserve.err" &
gspid=$!
for _ in $(seq 1 200); do
    [ -s "$T/gserve.port" ] && break
    kill -0 "$gspid" 2>/dev/null || break
    sleep 0.05
done
if [ -s "$T/gserve.port" ]; then
    gport=$(cat "$T/gserve.port")
    run_plain "$GNUTLS_CLIENT" --port "$gport" --sni pinned.test --verify-host sni --cafile "$PKI/root.pem" \
        --client-cert "$PKI/chain-client.pem" --client-key "$PKI/client.key" --send "to the gnutls server $$"$'\n' --read
    check_rc 0
    check_out_has '^read .*result=ok .*data="echo: to the gnutls server'
    if [ $HAVE_GCLI = 1 ]; then
        run_plain gnutls-cli -p "$gport" --x509cafile "$PKI/root.pem" --x509certfile "$PKI/chain-client.pem" \
            --x509keyfile "$PKI/client.key" --sni-hostname pinned.test --verify-hostname pinned.test 127.0.0.1 \
            <<<"from gnutls-cli $$"
        check_out_has "echo: from gnutls-cli $$"
    else
        run_plain "$TEST_CLIENT" --port "$gport" --sni pinned.test --insecure --send "from tls_client $$"$'\n' --read
    fi
else
    case_fail "the GnuTLS server did not start: $(head -c 300 "$T/gserve.err")"
fi
stop_pids 50 "$gspid"
[ "$(grep -c 'result=ok' "$T/gserve.out")" = 2 ] || case_fail "server: $(tr '\n' ';' < "$T/gserve.out") $(head -c 300 "$T/gserve.err")"
grep -q 'client-cert verify=0 status=0x0' "$T/gserve.out" || case_fail "the server's client-certificate verification did not pass: $(tr '\n' ';' < "$T/gserve.out")"
! grep -q pinshim "$T/gserve.err" || case_fail "pinshim spoke in the server: $(grep pinshim "$T/gserve.err" | head -n 3)"
check_no_log
case_end

# gnutls-serv listens on every address (it has no bind option), so it runs
# in a network namespace of its own, where only lo exists, with the client.
NS_CMD=""
if command -v unshare >/dev/null 2>&1 && command -v ip >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && unshare --net true 2>/dev/null; then
        NS_CMD="unshare --net"
    elif unshare -rn true 2>/dev/null; then
        NS_CMD="unshare -rn"
    fi
fi
if [ $HAVE_GCLI = 0 ] || ! command -v gnutls-serv >/dev/null 2>&1; then
    skip "gnutls-serv preloaded: gnutls-bin not installed"
elif [ -z "$NS_CMD" ]; then
    skip "gnutls-serv preloaded: no private network namespace here (unshare --net / -rn refused), and gnutls-serv cannot be bound to 127.0.0.1 only"
else
    cat > "$T/ns.sh" <<EOF
ip link set lo up || exit 97
env LD_PRELOAD="${PINSHIM_PRELOAD:-$PINSHIM_LIB}" PINSHIM_CONFIG="$CONF" timeout -k 2 25 gnutls-serv --echo -p 5556 \\
    --x509certfile "$PKI/chain-leaf.pem" --x509keyfile "$PKI/leaf.key" --x509cafile "$PKI/root.pem" \\
    --verify-client-cert >"$T/gserv.out" 2>"$T/gserv.err" </dev/null &
gp=\$!
for i in \$(seq 1 200); do grep -q 'listening' "$T/gserv.err" "$T/gserv.out" && break; sleep 0.05; done
timeout 10 gnutls-cli -p 5556 --x509cafile "$PKI/root.pem" --x509certfile "$PKI/chain-client.pem" \\
    --x509keyfile "$PKI/client.key" --sni-hostname pinned.test --verify-hostname pinned.test 127.0.0.1 \\
    <<<"from gnutls-cli with a certificate $$" >"$T/ns-c1.out" 2>&1
echo "client1 rc=\$?"
timeout 10 "$TEST_CLIENT" --port 5556 --sni pinned.test --cafile "$PKI/root.pem" \\
    --send "from tls_client $$"\$'\\n' --read >"$T/ns-c2.out" 2>&1
echo "client2 rc=\$?"
kill \$gp
wait \$gp
EOF
    write_conf "$CONF" "${SRVCONF_ARGS[@]}"
    case_begin "gnutls-serv --echo --verify-client-cert preloaded (private network namespace): serves plain clients, nothing judged"
    # shellcheck disable=SC2086
    run_plain $NS_CMD bash "$T/ns.sh"
    check_out_has '^client1 rc=0$'
    check_out_has '^client2 rc=0$'
    grep -q "from gnutls-cli with a certificate $$" "$T/ns-c1.out" 2>/dev/null ||
        case_fail "gnutls-cli got no echo: $(tail -n 3 "$T/ns-c1.out" 2>/dev/null | tr '\n' ';')"
    grep -q "^read .*result=ok .*data=\"from tls_client $$\"" "$T/ns-c2.out" 2>/dev/null ||
        case_fail "tls_client got no echo: $(tr '\n' ';' < "$T/ns-c2.out" 2>/dev/null)"
    ! grep -q pinshim "$T/gserv.err" 2>/dev/null || case_fail "pinshim spoke in gnutls-serv: $(grep pinshim "$T/gserv.err" | head -n 3)"
    check_no_log
    case_end
fi

finish
