#!/bin/bash
# t_faults.sh - the library under faults of its surroundings: JSON log path
# unwritable / on a full device / its directory deleted mid-run; syslog
# unavailable or not a datagram socket; the config deleted or replaced
# mid-run; a 10 MB config; a 100-certificate chain and a deep chain;
# RSA-4096, P-384 and Ed25519 keys; an IPv6 peer; stderr a pipe whose reader
# is gone (SIGPIPE); fd 2 closed by the program and taken by a data file,
# a socket or a pipe.  In each: no crash, no hang (every run is bounded),
# the verdict still right, one clear complaint at most.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

common_setup
: "${PINSHIM_BIN:=$top_builddir/src/pinshim}"

start_server -n main "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server did not start"

# tc SNI ARGS...: one verified handshake to the main server.
tc() {
    local sni=$1
    shift
    client --sni "$sni" --cafile "$PKI/root.pem" --send "fault probe" "$@"
}

# good.test passes (leaf pin), bad.test fails (pins of other keys).
GB=(good.test "$PIN_LEAF" bad.test "$PIN_UNRELATED,$PIN_ATTACKER_ROOT")

# expect_pass / expect_block: the verdict of the last tc.
expect_pass() {
    check_rc 0
    check_timeout
    check_out_has '^handshake .*result=ok '
    check_received 'fault probe'
}
expect_block() {
    check_rc 2
    check_timeout
    check_out_has '^handshake .*result=refused .*err=1 verify=50 '
    check_zero_bytes 1
}

# check_err_lines_at_most N: stderr has at most N lines (the verdict lines
# plus at most one complaint).
check_err_lines_at_most() {
    local n
    n=$(wc -l < "$ERR" | tr -d ' ')
    [ "$n" -le "$1" ] || case_fail "stderr has $n lines, expected at most $1"
}

# ---- the JSON log cannot be written ----------------------------------------

: > "$T/regular"
for where in "under-a-file:$T/regular/log.jsonl" "dev-full:/dev/full" "missing-dir:$T/no/such/dir/log.jsonl"; do
    name=${where%%:*}
    path=${where#*:}
    write_conf "$CONF" -j "$path" "${GB[@]}"
    case_begin "json log unwritable ($name): pass and block still right, the stderr verdict still written"
    tc good.test
    expect_pass
    mark
    tc bad.test
    expect_block
    check_err_has '^pinshim: .*bad\.test'
    check_err_lines_at_most 2
    case_end
done

# bg_client ARGS...: client in the background; bg_wait: wait for it and
# point OUT/ERR at its files.
bg_client() {
    _BG_N=$((_RUN_N + 1))
    RUN_TIMEOUT=120 client "$@" &
    _BG_PID=$!
    _RUN_N=$_BG_N
}
bg_wait() {
    wait "$_BG_PID"
    OUT=$T/run$_BG_N.out ERR=$T/run$_BG_N.err RC=
    RUN_CMD="(in the background) client ..."
}
# wait_for_file FILE: until it is not empty or the client ended (bounded).
wait_for_file() {
    local i
    for i in $(seq 1 400); do
        [ -s "$1" ] && return 0
        kill -0 "$_BG_PID" 2>/dev/null || break
        sleep 0.025
    done
    [ -s "$1" ]
}

# Its directory deleted while a program runs: every handshake still judged.
case_begin "json log directory deleted mid-run: 2 threads x 2000 handshakes, exact verdicts"
mkdir -p "$T/logdir"
write_conf "$CONF" -j "$T/logdir/log.jsonl" -v failures "${GB[@]}"
bg_client --cafile "$PKI/root.pem" --threads 2 --count 2000 --hosts good.test,bad.test --quiet --deadline 110
wait_for_file "$T/logdir/log.jsonl" || case_fail "no JSON line before the directory went"
rm -rf "$T/logdir"
kill -0 "$_BG_PID" 2>/dev/null || diag "(the client had finished before the directory was deleted)"
bg_wait
check_out_has '^summary sni=good\.test ok=1000 refused=0 pinblock=0 error=0 io_failed=0$'
check_out_has '^summary sni=bad\.test ok=0 refused=1000 pinblock=1000 error=0 io_failed=0$'
[ -e "$T/logdir" ] && case_fail "the library re-created the deleted directory"
case_end

# ---- syslog ------------------------------------------------------------------

SYSLOG_CONF_G='log = { stderr = true; syslog = true; json = "'"$LOG"'"; verdicts = "failures"; };'
syslog_conf() {
    {
        echo 'mode = "enforce";'
        echo 'unpinned = "block";'
        echo "$SYSLOG_CONF_G"
        echo "hosts = ( { name = \"good.test\"; pins = [ \"sha256/$PIN_LEAF\" ]; } );"
    } > "$CONF"
}
syslog_conf

if [ ! -e /dev/log ]; then
    case_begin "syslog = true with no /dev/log: verdicts right, no complaint"
    tc good.test
    expect_pass
    mark
    tc bad.test
    expect_block
    check_err_lines_at_most 1
    case_end
fi

# In a private mount namespace, /dev is a tmpfs with the few device nodes the
# programs need, so /dev/log can be made anything without touching the system.
NS_OK=0
if command -v unshare >/dev/null 2>&1 && [ "$(id -u)" = 0 ] &&
    timeout 10 unshare -m --propagation private sh -c \
        "mkdir -p '$T/nsprobe' && mount -t tmpfs none '$T/nsprobe' && umount '$T/nsprobe'" 2>/dev/null; then
    NS_OK=1
fi
cat > "$T/ns.sh" <<'NSEOF'
# ns.sh KIND CMD...: inside `unshare -m`: a fresh /dev, /dev/log made KIND, run CMD.
set -u
kind=$1
shift
. "$NS_LIB/fresh_dev.sh"
ln -s /proc/self/fd /dev/fd
mkdir -p /dev/shm /dev/pts
case $kind in
absent) ;;
file) echo "not a socket" > /dev/log ;;
dir) mkdir /dev/log ;;
stream | dgram-full | dgram-read)
    "$PYTHON3" "$DEVLOG_PY" "$kind" "$NS_T/syslog.got" &
    lp=$!
    for i in $(seq 1 200); do
        [ -e "$NS_T/syslog.got.ready" ] && break
        sleep 0.05
    done
    ;;
esac
"$@"
rc=$?
: > "$NS_T/syslog.got.stop"
[ -n "${lp:-}" ] && wait "$lp"
exit $rc
NSEOF

# in_ns KIND CMD...: run CMD (bounded) in the namespace; sets OUT ERR RC like run_preloaded.
in_ns() {
    local kind=$1
    shift
    rm -f "$T/syslog.got" "$T/syslog.got.ready" "$T/syslog.got.stop"
    _RUN_N=$((_RUN_N + 1))
    OUT=$T/run$_RUN_N.out
    ERR=$T/run$_RUN_N.err
    RUN_CMD="(/dev/log: $kind) $*"
    timeout -k 5 90 env NS_T="$T" NS_LIB="$_lib_dir" PYTHON3="$PYTHON3" DEVLOG_PY="$_lib_dir/devlog.py" unshare -m --propagation private \
        bash "$T/ns.sh" "$kind" env LD_PRELOAD="${PINSHIM_PRELOAD:-$PINSHIM_LIB}" PINSHIM_CONFIG="$CONF" \
        "$@" >"$OUT" 2>"$ERR"
    RC=$?
}

ns_tc() {  # ns_tc KIND SNI: one verified handshake in the namespace
    in_ns "$1" "$TEST_CLIENT" --host 127.0.0.1 --port "$SERVER_PORT" --sni "$2" --cafile "$PKI/root.pem" \
        --send "fault probe"
}

if [ $NS_OK = 1 ]; then
    for kind in absent file dir stream; do
        case_begin "syslog: /dev/log $kind (private mount namespace): pass and block right, no complaint"
        ns_tc "$kind" good.test
        [ "$RC" = 97 ] && case_fail "namespace set-up failed: $(head -c 300 "$ERR")"
        expect_pass
        mark
        ns_tc "$kind" bad.test
        expect_block
        check_err_has '^pinshim: .*bad\.test'
        check_err_lines_at_most 1
        case_end
    done

    # more messages than the socket queues (net.unix.max_dgram_qlen)
    qlen=$(cat /proc/sys/net/unix/max_dgram_qlen 2>/dev/null || echo 512)
    [ "$qlen" -le 1000 ] 2>/dev/null || qlen=1000
    nmsg=$((qlen + 40))
    case_begin "syslog: /dev/log a datagram socket nobody reads: $nmsg distinct blocks, no hang"
    hosts=$(seq -f 'h%g.test' 1 "$nmsg" | paste -sd,)
    in_ns dgram-full "$TEST_CLIENT" --host 127.0.0.1 --port "$SERVER_PORT" --cafile "$PKI/root.pem" \
        --threads 2 --count "$nmsg" --hosts "$hosts" --quiet --deadline 80
    check_rc 2
    check_timeout
    check_out_has "^summary total ok=0 refused=$nmsg pinblock=$nmsg error=0 io_failed=0\$"
    case_end

    case_begin "syslog: /dev/log a reading datagram socket: one message per block, AUTHPRIV|ERR, ident pinshim"
    in_ns dgram-read "$TEST_CLIENT" --host 127.0.0.1 --port "$SERVER_PORT" --cafile "$PKI/root.pem" \
        --sni bad.test --send x
    expect_block
    if [ -s "$T/syslog.got" ]; then
        grep -q '^<83>pinshim\[[0-9]*\]: BLOCKED bad\.test' "$T/syslog.got" ||
            grep -q '^<83>pinshim\[[0-9]*\]: .*bad\.test' "$T/syslog.got" ||
            case_fail "syslog got: $(head -c 300 "$T/syslog.got")"
        [ "$(grep -c '^<' "$T/syslog.got")" = 1 ] ||
            case_fail "syslog got $(grep -c '^<' "$T/syslog.got") messages, expected 1"
    else
        case_fail "nothing arrived at /dev/log"
    fi
    case_end
else
    skip "syslog: /dev/log absent/file/dir/stream/full/reading (needs root and unshare -m with tmpfs mounts)"
fi

# ---- the config deleted or replaced while a program runs ---------------------

# churn NAME ACTION COMPLAINTS: a client does 2 x 3000 handshakes; after its
# first failure is logged, ACTION runs; verdicts must stay exact.
churn() {
    local name=$1 action=$2 complaints=$3 c
    case_begin "config $name mid-run: 2 threads x 2000 handshakes keep exact verdicts; at most $complaints complaint(s)"
    write_conf "$CONF" -v failures "${GB[@]}"
    : > "$LOG"
    bg_client --cafile "$PKI/root.pem" --threads 2 --count 2000 --hosts good.test,bad.test --quiet --deadline 110
    wait_for_file "$LOG" || case_fail "no JSON line before the change"
    eval "$action"
    # the library looks at the file once a second
    sleep 1.5
    kill -0 "$_BG_PID" 2>/dev/null || diag "(the client finished within 1.5 s of the change)"
    bg_wait
    check_out_has '^summary sni=good\.test ok=1000 refused=0 pinblock=0 error=0 io_failed=0$'
    check_out_has '^summary sni=bad\.test ok=0 refused=1000 pinblock=1000 error=0 io_failed=0$'
    c=$(grep -vc 'bad\.test' "$ERR")
    [ "$c" -le "$complaints" ] || case_fail "stderr has $c lines besides the verdicts, expected at most $complaints"
    check_log fail blocked bad.test 1000
    case_end
}
churn deleted 'rm -f "$CONF"' 1
grep -q 'config file is gone; keeping the last good policy' "$ERR" ||
    diag "(no 'config file is gone' complaint seen: the client may have ended first)"
churn "replaced by rename (same pins)" 'write_conf "$CONF.new" -v failures "${GB[@]}"; mv -f "$CONF.new" "$CONF"' 0
churn "replaced by a broken file" 'echo "hosts = (" > "$CONF.new"; mv -f "$CONF.new" "$CONF"' 1
churn "truncated to empty" ': > "$CONF"' 1

# ---- a 10 MB config ------------------------------------------------------------

# Under AddressSanitizer loading 10 MB takes minutes (longer than the test
# server waits for a ClientHello): there 1 MB, the same code paths.
BIG_HOSTS=120000 BIG_MB=10
if ldd "$PINSHIM_LIB" 2>/dev/null | grep -q libasan; then
    BIG_HOSTS=12000 BIG_MB=1
fi
case_begin "a $BIG_MB MB config ($BIG_HOSTS hosts) loads and judges: pass, block, a middle host"
"$PYTHON3" - "$T/big.conf" "$LOG" "$PIN_LEAF" "$PIN_UNRELATED" "$BIG_HOSTS" <<'PY' || case_fail "cannot generate the big config"
import sys, hashlib, base64
path, log, good, bad, n = sys.argv[1:6]
with open(path, "w") as f:
    f.write('mode = "enforce";\nunpinned = "allow";\n')
    f.write('log = { stderr = true; syslog = false; json = "%s"; verdicts = "all"; };\n' % log)
    f.write("hosts = (\n")
    for i in range(int(n)):
        pin = base64.b64encode(hashlib.sha256(b"%d" % i).digest()).decode()
        if pin.startswith("/"):
            pin = "/" + pin
        f.write('  { name = "host%06d.example.org"; pins = [ "sha256/%s" ]; },\n' % (i, pin))
    f.write('  { name = "middle.test"; pins = [ "sha256/%s" ]; },\n' % good)
    f.write('  { name = "good.test"; pins = [ "sha256/%s" ]; },\n' % good)
    f.write('  { name = "bad.test"; pins = [ "sha256/%s" ]; }\n);\n' % bad)
PY
size=$(stat -c %s "$T/big.conf")
[ "$size" -ge $((BIG_MB * 1000000)) ] || case_fail "the big config is only $size bytes"
CONF=$T/big.conf
RUN_TIMEOUT=90 tc good.test
expect_pass
mark
RUN_TIMEOUT=90 tc bad.test
expect_block
mark
RUN_TIMEOUT=90 client --threads 1 --count 3 --hosts middle.test,host000007.example.org,bad.test \
    --cafile "$PKI/root.pem" --quiet
check_out_has '^summary sni=middle\.test ok=1 '
check_out_has '^summary sni=host000007\.example\.org ok=0 refused=1 pinblock=1 '
check_out_has '^summary sni=bad\.test ok=0 refused=1 pinblock=1 '
CONF=$T/pinshim.conf
case_end

# ---- long chains ---------------------------------------------------------------

# 98 unrelated self-signed certificates (one key) as extra chain certs.
mkdir -p "$T/junk"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/junk/k.pem" 2>/dev/null
for i in $(seq 1 98); do
    openssl req -new -x509 -key "$T/junk/k.pem" -subj "/CN=junk $i" -days 30 -out "$T/junk/$i.pem" 2>/dev/null
done
junk() { local i; for i in $(seq 1 98); do cat "$T/junk/$i.pem"; done; }
{ cat "$PKI/leaf.pem" "$PKI/int.pem"; junk; } > "$T/chain100-intfirst.pem"
{ cat "$PKI/leaf.pem"; junk; cat "$PKI/int.pem"; } > "$T/chain100-intlast.pem"
{ cat "$PKI/attacker-leaf.pem" "$PKI/int.pem"; junk; } > "$T/chain100-attacker.pem"
n100=$(grep -c 'BEGIN CERT' "$T/chain100-intlast.pem")

if start_server -n c100a "$T/chain100-intfirst.pem" "$PKI/leaf.key" &&
    start_server -n c100b "$T/chain100-intlast.pem" "$PKI/leaf.key" &&
    start_server -n c100x "$T/chain100-attacker.pem" "$PKI/attacker-leaf.key"; then
    write_conf "$CONF" good.test "$PIN_INT" leaf.test "$PIN_LEAF" bad.test "$PIN_UNRELATED"
    for srv in c100a c100b; do
        use_server $srv
        case_begin "$n100-certificate chain ($srv): pin on the intermediate passes (verified), leaf pin passes (-k), wrong pin blocked"
        tc good.test
        expect_pass
        mark
        client --sni leaf.test --insecure --send "fault probe"
        expect_pass
        mark
        tc bad.test
        expect_block
        check_log_fields
        case_end
    done
    use_server c100x
    case_begin "$n100-certificate chain, attacker's leaf + genuine intermediate: blocked with -k (pin on the intermediate)"
    client --sni good.test --insecure --send "fault probe"
    expect_block
    case_end
else
    fail "$n100-certificate chain: the server did not start"
fi

# A genuine chain 20 CAs deep: the root is the 22nd certificate.
mkdir -p "$T/deep"
(
    cd "$T/deep" || exit 1
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out k.pem 2>/dev/null &&
        openssl req -new -x509 -key k.pem -subj "/CN=deep root" -days 30 -config "$PKI/ext.cnf" \
            -extensions v3_root -out ca0.pem 2>/dev/null || exit 1
    cat > ext.cnf <<EOF
[ca]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[leaf]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:good.test,DNS:bad.test,DNS:deep.test
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
    prev=ca0
    for i in $(seq 1 20); do
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out k$i.pem 2>/dev/null &&
            openssl req -new -key k$i.pem -subj "/CN=deep ca $i" -out c.csr 2>/dev/null &&
            openssl x509 -req -in c.csr -CA $prev.pem -CAkey "$([ $prev = ca0 ] && echo k.pem || echo k${prev#ca}.pem)" \
                -set_serial $((1000 + i)) -days 30 -extfile ext.cnf -extensions ca -out ca$i.pem 2>/dev/null || exit 1
        prev=ca$i
    done
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out leaf.key 2>/dev/null &&
        openssl req -new -key leaf.key -subj "/CN=deep.test" -out l.csr 2>/dev/null &&
        openssl x509 -req -in l.csr -CA ca20.pem -CAkey k20.pem -set_serial 77 -days 30 \
            -extfile ext.cnf -extensions leaf -out leaf.pem 2>/dev/null || exit 1
    { cat leaf.pem; for i in $(seq 20 -1 0); do cat ca$i.pem; done; } > chain.pem
) || hard_error "cannot make the deep chain"
PIN_DEEP_ROOT=$(pin_of "$T/deep/ca0.pem")
PIN_DEEP_LEAF=$(pin_of "$T/deep/leaf.pem")
if start_server -n deep "$T/deep/chain.pem" "$T/deep/leaf.key"; then
    write_conf "$CONF" good.test "$PIN_DEEP_ROOT" leaf.test "$PIN_DEEP_LEAF" bad.test "$PIN_UNRELATED"
    case_begin "a genuine chain 20 CAs deep (22 certificates): pin on the root passes, on the leaf passes, wrong pin blocked"
    client --sni good.test --cafile "$T/deep/ca0.pem" --send "fault probe"
    expect_pass
    mark
    client --sni leaf.test --cafile "$T/deep/ca0.pem" --send "fault probe"
    expect_pass
    mark
    client --sni bad.test --cafile "$T/deep/ca0.pem" --send "fault probe"
    expect_block
    case_end
else
    fail "deep chain: the server did not start"
fi
use_server main

# ---- key types -------------------------------------------------------------------

# keypki DIR ALG: DIR/root.pem (CA) and DIR/leaf.pem, both with ALG keys.
keypki() {
    local d=$1 alg=$2 md=-sha256
    mkdir -p "$d"
    case $alg in
    rsa4096) set -- -algorithm RSA -pkeyopt rsa_keygen_bits:4096 ;;
    p384) set -- -algorithm EC -pkeyopt ec_paramgen_curve:P-384 ;;
    ed25519) set -- -algorithm ED25519; md="" ;;
    esac
    openssl genpkey "$@" -out "$d/root.key" 2>/dev/null &&
        openssl genpkey "$@" -out "$d/leaf.key" 2>/dev/null &&
        openssl req -new -x509 -key "$d/root.key" -subj "/CN=$alg root" -days 30 $md \
            -config "$PKI/ext.cnf" -extensions v3_root -out "$d/root.pem" 2>/dev/null &&
        openssl req -new -key "$d/leaf.key" -subj "/CN=pinned.test" -out "$d/leaf.csr" 2>/dev/null &&
        openssl x509 -req -in "$d/leaf.csr" -CA "$d/root.pem" -CAkey "$d/root.key" -set_serial 4242 \
            -days 30 $md -extfile "$PKI/ext.cnf" -extensions v3_leaf -out "$d/leaf.pem" 2>/dev/null &&
        cat "$d/leaf.pem" "$d/root.pem" > "$d/chain.pem"
}

for alg in rsa4096 p384 ed25519; do
    d=$T/key-$alg
    if ! keypki "$d" "$alg"; then
        fail "$alg: cannot make the certificates"
        continue
    fi
    pl=$(pin_of "$d/leaf.pem")
    pr=$(pin_of "$d/root.pem")
    case_begin "$alg: the command's pins equal openssl's (leaf and CA)"
    if [ -x "$PINSHIM_BIN" ]; then
        run_plain "$PINSHIM_BIN" pin "$d/leaf.pem" "$d/root.pem"
        check_out_has "$(printf '%s' "$pl" | sed 's/[+/.]/\\&/g')"
        check_out_has "$(printf '%s' "$pr" | sed 's/[+/.]/\\&/g')"
    else
        case_fail "$PINSHIM_BIN not built"
    fi
    case_end
    for v in 1.3 1.2; do
        start_server -n "$alg-$v" -t "$v" "$d/chain.pem" "$d/leaf.key" || {
            fail "$alg TLS $v: the server did not start"
            continue
        }
        write_conf "$CONF" leaf.test "$pl" root.test "$pr" bad.test "$PIN_UNRELATED,$PIN_LEAF"
        case_begin "$alg TLS $v: leaf pin passes, CA pin passes (verified and -k), wrong pins blocked"
        for h in leaf.test root.test; do
            mark
            client --sni "$h" --cafile "$d/root.pem" --tls "$v" --send "fault probe"
            expect_pass
            check_out_has "version=TLSv$v "
        done
        mark
        client --sni root.test --insecure --tls "$v" --send "fault probe"
        expect_pass
        mark
        client --sni bad.test --cafile "$d/root.pem" --tls "$v" --send "fault probe"
        expect_block
        check_log pass allowed leaf.test 1
        check_log fail blocked bad.test 1
        grep -qF "\"pin\":\"sha256/$pl\"" "$LOG" || case_fail "the JSON log does not show the leaf's pin sha256/$pl"
        case_end
    done
done
use_server main

# ---- IPv6 ----------------------------------------------------------------------

if start_server -n v6 -6 "$PKI/chain-leaf.pem" "$PKI/leaf.key"; then
    write_conf "$CONF" ::1 "$PIN_LEAF" pinned.test "$PIN_INT" bad.test "$PIN_UNRELATED"
    case_begin "IPv6 peer [::1]: IP-literal entry (no SNI) passes, a name passes, a wrong pin is blocked; peer logged as [::1]:port"
    CLIENT_HOST=::1 client --sni none --cafile "$PKI/root.pem" --send "fault probe"
    expect_pass
    check_log pass allowed ::1 1
    grep -qF "\"peer\":\"[::1]:$SERVER_PORT\"" "$LOG" || case_fail "the log has no peer [::1]:$SERVER_PORT"
    mark
    CLIENT_HOST=::1 tc pinned.test
    expect_pass
    mark
    CLIENT_HOST=::1 tc bad.test
    expect_block
    check_err_has "bad\\.test:$SERVER_PORT \\(\\[::1\\]:$SERVER_PORT\\)|bad\\.test.*::1"
    case_end
    write_conf "$CONF" ::1 "$PIN_UNRELATED"
    case_begin "IPv6 peer [::1]: a wrong pin on the IP-literal entry blocks"
    CLIENT_HOST=::1 client --sni none --cafile "$PKI/root.pem" --send "fault probe"
    expect_block
    check_log fail blocked ::1 1
    case_end
    use_server main
else
    skip "IPv6 peer: no ::1 here (the server could not bind it)"
fi

# ---- SIGPIPE -------------------------------------------------------------------

# nopipe CMD...: run CMD with fd 2 a pipe whose reader is gone and SIGPIPE at
# its default action (python would pass on its SIG_IGN).
cat > "$T/nopipe.py" <<'PY'
import os, signal, sys
r, w = os.pipe()
os.close(r)
os.dup2(w, 2)
os.close(w)
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])
PY
write_conf "$CONF" "${GB[@]}"
case_begin "stderr a pipe whose reader is gone: the blocked program is not killed by SIGPIPE"
run_preloaded "$PYTHON3" "$T/nopipe.py" "$TEST_CLIENT" --host 127.0.0.1 --port "$SERVER_PORT" \
    --sni bad.test --cafile "$PKI/root.pem" --send "fault probe"
[ "$RC" = 141 ] && case_fail "killed by SIGPIPE"
expect_block
case_end

case_begin "stderr a closed pipe, 2 threads x 200 blocks: no SIGPIPE, exact counts"
run_preloaded "$PYTHON3" "$T/nopipe.py" "$TEST_CLIENT" --host 127.0.0.1 --port "$SERVER_PORT" \
    --cafile "$PKI/root.pem" --threads 2 --count 200 --hosts bad.test,good.test --quiet
[ "$RC" = 141 ] && case_fail "killed by SIGPIPE"
check_rc 2
check_out_has '^summary total ok=100 refused=100 pinblock=100 error=0 io_failed=0$'
case_end

# The JSON log a FIFO: its reader gone (open fails, no hang), or a reader that never reads (full pipe).
mkfifo "$T/fifo"
write_conf "$CONF" -j "$T/fifo" "${GB[@]}"
case_begin "json log a FIFO whose reader is gone: no hang, verdicts right"
timeout 5 cat "$T/fifo" >/dev/null &
rd=$!
sleep 0.2
kill "$rd" 2>/dev/null
wait "$rd" 2>/dev/null
RUN_TIMEOUT=20 tc bad.test
[ "$RC" = 141 ] && case_fail "killed by SIGPIPE"
expect_block
mark
RUN_TIMEOUT=20 tc good.test
expect_pass
case_end

case_begin "json log a FIFO whose reader never reads: 100 distinct events fill it, no hang"
exec 7<>"$T/fifo"   # a reader (this shell) that never reads
hosts=$(seq -f 'u%g.test' 1 100 | paste -sd,)
write_conf "$CONF" -j "$T/fifo" -u block "${GB[@]}"
RUN_TIMEOUT=60 client --cafile "$PKI/root.pem" --threads 2 --count 100 --hosts "$hosts" --quiet --deadline 50
check_timeout
check_rc 2
check_out_has '^summary total ok=0 refused=100 pinblock=100 error=0 io_failed=0$'
exec 7<&-
case_end

# ---- fd 2 closed by the program -------------------------------------------------

cat > "$T/fd2.py" <<'PY'
# fd2.py KIND PORT CAFILE SNI DATAFILE: close fd 2 (if open), let a KIND
# (file, socket, pipe) take it, then one handshake; report what reached it.
import os, socket, ssl, sys
kind, port, cafile, sni, data = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
try:
    os.close(2)
except OSError:
    pass
other = None
if kind == "file":
    fd = os.open(data, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, b"data line 1\n")
elif kind == "socket":
    a, other = socket.socketpair()
    fd = a.fileno()
else:
    r, w = os.pipe()
    if w != 2:
        if r == 2:
            r = os.dup(r)
        os.dup2(w, 2)
        os.close(w)
    fd, other = 2, r
assert fd == 2, "fd %d, not 2" % fd
print("fd2 is", os.readlink("/proc/self/fd/2"), flush=True)
ctx = ssl.create_default_context(cafile=cafile)
ctx.check_hostname = False
s = socket.create_connection(("127.0.0.1", port), timeout=10)
try:
    t = ctx.wrap_socket(s, server_hostname=sni)
    t.sendall(b"fd2 probe")
    print("result=ok", flush=True)
    t.close()
except ssl.SSLError as e:
    print("result=refused", type(e).__name__, flush=True)
if kind == "file":
    os.write(2, b"data line 2\n")
else:
    try:
        if isinstance(other, socket.socket):
            other.setblocking(False)
            got = other.recv(65536)
        else:
            os.set_blocking(other, False)
            got = os.read(other, 65536)
    except BlockingIOError:
        got = b""
    print("leaked=%d %r" % (len(got), got[:80]), flush=True)
PY
write_conf "$CONF" "${GB[@]}"
for kind in file socket pipe; do
    case_begin "fd 2 closed, then a $kind takes it: a block writes nothing into it"
    rm -f "$T/data"
    run_preloaded "$PYTHON3" "$T/fd2.py" "$kind" "$SERVER_PORT" "$PKI/root.pem" bad.test "$T/data"
    check_timeout
    check_rc 0
    check_out_has '^result=refused SSLCertVerificationError'
    check_zero_bytes 1
    if [ "$kind" = file ]; then
        [ "$(cat "$T/data" 2>/dev/null)" = "data line 1
data line 2" ] || case_fail "the data file holds: $(head -c 300 "$T/data" 2>/dev/null | tr '\n' '|')"
    else
        check_out_has '^leaked=0 '
    fi
    check_log fail blocked bad.test 1
    case_end
    mark
done

case_begin "fd 2 closed before python starts, then a socket takes it: a block writes nothing into it"
_RUN_N=$((_RUN_N + 1))
OUT=$T/run$_RUN_N.out ERR=$T/run$_RUN_N.err
timeout -k 5 30 env LD_PRELOAD="${PINSHIM_PRELOAD:-$PINSHIM_LIB}" PINSHIM_CONFIG="$CONF" "$PYTHON3" "$T/fd2.py" \
    socket "$SERVER_PORT" "$PKI/root.pem" bad.test "$T/data" >"$OUT" 2>&-
RC=$?
check_rc 0
check_out_has '^result=refused SSLCertVerificationError'
check_out_has '^leaked=0 '
check_zero_bytes 1
case_end
mark

case_begin "fd 2 closed before tls_client starts (its socket may take fd 2): a block is still refused"
_RUN_N=$((_RUN_N + 1))
OUT=$T/run$_RUN_N.out ERR=$T/run$_RUN_N.err
timeout -k 5 30 env LD_PRELOAD="${PINSHIM_PRELOAD:-$PINSHIM_LIB}" PINSHIM_CONFIG="$CONF" "$TEST_CLIENT" \
    --host 127.0.0.1 --port "$SERVER_PORT" --sni bad.test --cafile "$PKI/root.pem" --send "fault probe" \
    >"$OUT" 2>&-
RC=$?
expect_block
case_end

finish
