#!/bin/bash
# t_python.sh - Python's ssl module (_ssl is loaded RTLD_LOCAL; sessions are
# copied through i2d/d2i) with libpinshim.so preloaded: ssl.wrap_socket +
# do_handshake, http.client, urllib, session resumption, asyncio (its TLS
# runs over memory BIOs: libssl never sees the socket).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

common_setup

cat > "$T/pyclient.py" <<'PYEOF'
import asyncio, http.client, socket, ssl, sys, urllib.error, urllib.request

kind, port, sni, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

def context():
    if cafile == "none":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    else:
        ctx = ssl.create_default_context(cafile=cafile)
    return ctx

def report_error(e):
    print("result=error type=%s verify_code=%s msg=%s" % (
        type(e).__name__, getattr(e, "verify_code", "-"), str(e).replace("\n", " ")))
    sys.stdout.flush()
    sys.exit(2)

def wrap(ctx, session=None):
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    s = ctx.wrap_socket(raw, server_hostname=sni, do_handshake_on_connect=False, session=session)
    s.do_handshake()
    return s

def request(s):
    s.sendall(b"GET /python HTTP/1.1\r\nHost: " + sni.encode() + b"\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        d = s.recv(4096)
        if not d:
            break
        data += d
    return data

try:
    if kind == "wrap":
        s = wrap(context())
        data = request(s)
        print("result=ok reused=%d status=%s" % (s.session_reused, data.split(b"\r\n")[0].decode()))
    elif kind == "http":
        c = http.client.HTTPSConnection(sni, port, context=context(), timeout=10)
        c.request("GET", "/python-http")
        r = c.getresponse()
        print("result=ok status=%d body=%s" % (r.status, r.read().decode().strip()))
    elif kind == "urllib":
        with urllib.request.urlopen("https://%s:%d/python-urllib" % (sni, port), context=context(),
                                    timeout=10) as r:
            print("result=ok status=%d body=%s" % (r.status, r.read().decode().strip()))
    elif kind == "resume":
        ctx = context()
        s1 = wrap(ctx)
        request(s1)
        sess = s1.session
        print("result=ok first reused=%d" % s1.session_reused)
        s1.close()
        s2 = wrap(ctx, session=sess)
        data = request(s2)
        print("result=ok second reused=%d status=%s" % (s2.session_reused, data.split(b"\r\n")[0].decode()))
    elif kind == "asyncio":
        async def fetch():
            r, w = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port, ssl=context(),
                                                                  server_hostname=sni), 10)
            w.write(b"GET /python-asyncio HTTP/1.1\r\nHost: " + sni.encode() + b"\r\nConnection: close\r\n\r\n")
            data = await asyncio.wait_for(r.read(), 10)
            w.close()
            return data
        data = asyncio.run(fetch())
        print("result=ok status=%s" % data.split(b"\r\n")[0].decode())
    else:
        sys.exit("unknown kind " + kind)
except ssl.SSLError as e:
    report_error(e)
except urllib.error.URLError as e:
    if isinstance(e.reason, ssl.SSLError):
        report_error(e.reason)
    print("result=oserror msg=%s" % e)
    sys.exit(1)
except OSError as e:
    print("result=oserror msg=%s" % e)
    sys.exit(1)
PYEOF

# The Pythons to test: /usr/bin/python3, and the python3 on PATH when it is
# another interpreter (e.g. pyenv) that imports ssl.
PYTHONS=$PYTHON3
other=$(command -v python3 2>/dev/null || true)
if [ -n "$other" ] && [ "$(readlink -f "$other")" != "$(readlink -f "$PYTHON3")" ] &&
    "$other" -c 'import ssl' >/dev/null 2>&1 &&
    [ "$("$other" -c 'import sys; print(sys.executable)' 2>/dev/null)" != "$("$PYTHON3" -c 'import sys; print(sys.executable)')" ]; then
    PYTHONS="$PYTHONS $other"
fi

py() {  # py PYTHON KIND SNI CAFILE
    run_preloaded "$1" "$T/pyclient.py" "$2" "$SERVER_PORT" "$3" "$4"
}

expect_block() {
    check_rc 2
    check_out_has 'result=error type=SSLCertVerificationError verify_code=50 '
    check_zero_bytes 1
    check_log fail blocked "$1" 1
}

for v in 1.3 1.2; do
    start_server -n "tls$v" -t "$v" "$PKI/chain-leaf.pem" "$PKI/leaf.key" ||
        hard_error "server did not start"
    for P in $PYTHONS; do
        pn=$P
        full=1
        if [ "$P" != "$PYTHON3" ]; then
            pn="$P (PATH)"
            full=0   # a smaller set for the second interpreter
        fi

        write_conf "$CONF" pinned.test "$PIN_LEAF" localhost "$PIN_LEAF"
        case_begin "TLS $v $pn: wrap_socket+do_handshake, cafile, right pin: passes"
        py "$P" wrap pinned.test "$PKI/root.pem"
        check_rc 0
        check_out_has 'result=ok reused=0 status=HTTP/1.1 200 OK'
        check_received 'GET /python HTTP/1.1'
        check_log pass allowed pinned.test 1
        case_end

        if [ $full = 1 ]; then
        case_begin "TLS $v $pn: http.client to localhost, right pin: passes"
        py "$P" http localhost "$PKI/root.pem"
        check_rc 0
        check_out_has 'result=ok status=200'
        check_received 'GET /python-http HTTP/1.1'
        check_log pass allowed localhost 1
        case_end

        case_begin "TLS $v $pn: urllib to localhost, right pin: passes"
        py "$P" urllib localhost "$PKI/root.pem"
        check_rc 0
        check_out_has 'result=ok status=200'
        check_received 'GET /python-urllib HTTP/1.1'
        check_log pass allowed localhost 1
        case_end
        fi

        write_conf "$CONF" pinned.test "$PIN_ATTACKER_LEAF" localhost "$PIN_ATTACKER_ROOT"
        case_begin "TLS $v $pn: wrap_socket, wrong pin: SSLCertVerificationError (50), zero bytes"
        py "$P" wrap pinned.test "$PKI/root.pem"
        expect_block pinned.test
        case_end

        if [ $full = 1 ]; then
        case_begin "TLS $v $pn: wrap_socket CERT_NONE, wrong pin: blocked, zero bytes"
        py "$P" wrap pinned.test none
        expect_block pinned.test
        case_end

        case_begin "TLS $v $pn: http.client to localhost, wrong pin: blocked, zero bytes"
        py "$P" http localhost "$PKI/root.pem"
        expect_block localhost
        case_end

        case_begin "TLS $v $pn: urllib to localhost, wrong pin: blocked, zero bytes"
        py "$P" urllib localhost "$PKI/root.pem"
        expect_block localhost
        case_end

        # asyncio: memory BIOs, so the peer is known only from the socket
        # the event loop read the certificate from.
        write_conf "$CONF" "pinned.test{port = $SERVER_PORT;}" "$PIN_LEAF"
        case_begin "TLS $v $pn: asyncio (memory BIO), entry for this port, right pin: passes, the record names the peer"
        py "$P" asyncio pinned.test "$PKI/root.pem"
        check_rc 0
        check_out_has 'result=ok status=HTTP/1.1 200 OK'
        check_received 'GET /python-asyncio HTTP/1.1'
        check_log pass allowed pinned.test 1
        grep -q "\"peer\":\"127.0.0.1:$SERVER_PORT\"" "$LOG" || case_fail "the record does not name the peer 127.0.0.1:$SERVER_PORT"
        case_end

        write_conf "$CONF" "pinned.test{port = $SERVER_PORT;}" "$PIN_ATTACKER_LEAF" pinned.test "$PIN_LEAF"
        for trust in "$PKI/root.pem" none; do
            case_begin "TLS $v $pn: asyncio (memory BIO), entry for this port, wrong pin, cafile=${trust##*/}: blocked, zero bytes"
            py "$P" asyncio pinned.test "$trust"
            expect_block pinned.test
            grep -q "\"peer\":\"127.0.0.1:$SERVER_PORT\"" "$LOG" || case_fail "the record does not name the peer 127.0.0.1:$SERVER_PORT"
            case_end
        done
        fi

        # Python copies sessions through i2d/d2i: a resumed session keeps
        # only the leaf (DESIGN 3.5).
        write_conf "$CONF" pinned.test "$PIN_LEAF"
        case_begin "TLS $v $pn: session resumption, leaf pin: both pass, second reused"
        py "$P" resume pinned.test "$PKI/root.pem"
        check_rc 0
        check_out_has 'result=ok first reused=0'
        check_out_has 'result=ok second reused=1 status=HTTP/1.1 200 OK'
        check_received 'GET /python HTTP/1.1' 2
        check_conn 'resumed=1'
        check_log pass allowed pinned.test 2
        case_end

        write_conf "$CONF" pinned.test "$PIN_INT"
        case_begin "TLS $v $pn: session resumption, intermediate pin: passes on resumption too"
        py "$P" resume pinned.test "$PKI/root.pem"
        check_rc 0
        check_out_has 'result=ok second reused=1 status=HTTP/1.1 200 OK'
        check_conn 'resumed=1'
        check_log pass allowed pinned.test 2
        case_end
    done
done

# O_CLOEXEC (DESIGN 6): after handshakes (config read, JSON log written),
# a program exec'd by the client inherits no descriptor of the library.
# The descriptors the same program inherits without the library (from
# whatever started the test) are the baseline.
cat > "$T/fdexec.py" <<'PYEOF'
import os, socket, ssl, sys
port = int(sys.argv[1])
for name in ("pinned.test", "bad.test"):
    ctx = ssl.create_default_context(cafile=sys.argv[2])
    try:
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname=name)
        print("handshake", name, "ok")
        s.close()
    except ssl.SSLError as e:
        print("handshake", name, "refused")
sys.stdout.flush()
os.execv("/bin/sh", ["sh", "-c", 'for f in /proc/$$/fd/*; do echo "fd ${f##*/} -> $(readlink $f)"; done'])
PYEOF
use_server tls1.3
write_conf "$CONF" pinned.test "$PIN_LEAF" bad.test "$PIN_UNRELATED"
case_begin "no descriptor of the library survives exec() (pass and block before it)"
run_plain "$PYTHON3" "$T/fdexec.py" "$SERVER_PORT" "$PKI/root.pem"
grep '^fd ' "$OUT" | awk '{print $2}' | sort > "$T/fd.baseline"
grep -q '^fd 1 ' "$OUT" || case_fail "the fd listing did not run: $(head -c 300 "$OUT")"
run_preloaded "$PYTHON3" "$T/fdexec.py" "$SERVER_PORT" "$PKI/root.pem"
check_rc 0
check_out_has '^handshake pinned.test ok'
check_out_has '^handshake bad.test refused'
check_log pass allowed pinned.test 1
check_log fail blocked bad.test 1
leaked=$(grep '^fd ' "$OUT" | awk '{print $2}' | sort | comm -13 "$T/fd.baseline" - || true)
[ -z "$leaked" ] ||
    case_fail "descriptors inherited across exec: $(grep '^fd ' "$OUT" | grep -E "^fd ($(echo $leaked | tr ' ' '|')) " | tr '\n' ';')"
case_end

finish
