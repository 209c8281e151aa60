#!/bin/bash
# t_mitmproxy.sh - a real intercepting proxy (mitmproxy's mitmdump) whose CA
# the client trusts: OpenSSL's verification succeeds, only the pins can tell.
#
# The proxy itself runs WITHOUT the preload, with its own confdir in the temp
# dir (it generates its CA there), on 127.0.0.1, in front of tls_server.py,
# which serves the genuine test chain.  The clients (curl 7.88 and Python's
# urllib, both OpenSSL 3) run preloaded, trust mitmproxy's CA and have the
# GENUINE pins (leaf and intermediate of the test PKI) configured.
#
#   mitm-works       without the preload, curl through the proxy gets the page,
#                    sees mitmproxy's certificate, and the request reaches the
#                    server (so "zero bytes" below means something)
#   direct           the same config, curl straight to the server: pass
#   enforce          curl through the proxy (reverse mode): exit 60, the server
#                    gets zero application bytes, log fail/blocked with
#                    mitmproxy's chain
#   enforce-k        the same with curl -k (no verification at all)
#   addup, addup-k   mitmproxy with add_upstream_certs_to_client_chain: the
#                    GENUINE leaf and intermediate follow its own leaf in the
#                    served chain; blocked with and without verification
#   pin-mitm-ca      pinning mitmproxy's own CA key passes through it (control)
#   report-config    mode = "report": exit 0, body received, log fail/allowed,
#                    served_chain issued by mitmproxy
#   report-env       mode = "enforce" + PINSHIM_MODE=report: the same
#   report-host      the host entry's own mode = "report": the same
#   proxy-enforce    regular proxy mode (curl -x, CONNECT): exit 60, zero bytes
#   python-*         /usr/bin/python3 urllib through the proxy (regular mode):
#                    works without the preload; blocked with
#                    SSLCertVerificationError and zero bytes in enforce; allowed
#                    and logged in report; direct with the preload: pass
#
# Skipped when mitmdump is not installed (Debian package mitmproxy).

. "$(dirname "$0")/lib.sh"

if ! command -v mitmdump >/dev/null 2>&1; then
    echo "SKIP: mitmdump not installed (Debian package mitmproxy)"
    skip_all "mitmdump not installed (Debian package mitmproxy)"
fi
require_cmd curl openssl timeout base64 stat
[ -x "$PYTHON3" ] || skip_all "$PYTHON3 not found"
require_lib
make_pki "$T/pki" || hard_error "make_pki failed"

# ------------------------------------------------------------- mitmdump ----

MITM_CONFDIR=$T/mitm
MITM_CA=$MITM_CONFDIR/mitmproxy-ca-cert.pem
_MITM_PIDS=""

stop_mitm() {
    # shellcheck disable=SC2086
    stop_pids 50 $_MITM_PIDS
    _MITM_PIDS=""
}
trap 'stop_mitm; cleanup' EXIT

# start_mitm NAME MODE [MITMDUMP ARGS]: mitmdump in MODE
# ("reverse:https://..." or "regular"), listening on 127.0.0.1 on a free
# port.  Sets MITM_PORT and MITM_PORT_<NAME>.  A few tries, in case another
# process takes the port in between.
start_mitm() {
    local name=$1 mode=$2 try i port pid log
    shift 2
    for try in 1 2 3; do
        port=$(unused_port) || return 1
        log=$T/mitm-$name.$try.log
        # Never preloaded; bounded even if the trap is never run.
        env -u LD_PRELOAD -u PINSHIM_CONFIG -u PINSHIM_MODE \
            timeout -k 5 "${MITM_LIFETIME:-300}" mitmdump \
            --set confdir="$MITM_CONFDIR" \
            --listen-host 127.0.0.1 --listen-port "$port" \
            --mode "$mode" --ssl-insecure \
            --set termlog_verbosity=info --set flow_detail=1 "$@" \
            >"$log" 2>&1 </dev/null &
        pid=$!
        _MITM_PIDS="$_MITM_PIDS $pid"
        for i in $(seq 1 300); do   # 30 s
            if grep -q "listening at" "$log" 2>/dev/null; then
                MITM_PORT=$port
                MITM_LOG=$log
                eval "MITM_PORT_$name=$port"
                return 0
            fi
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        echo "# mitmdump ($name, try $try, port $port) did not come up:"
        diag "$(tail -n 10 "$log")"
        stop_pids 30 "$pid"
    done
    return 1
}

start_server -n upstream "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "upstream server did not start"

case_begin "mitm-up: mitmdump (reverse and regular mode) listens, CA generated"
start_mitm reverse "reverse:https://127.0.0.1:$SERVER_PORT" ||
    case_fail "mitmdump in reverse mode did not start"
start_mitm regular regular ||
    case_fail "mitmdump in regular mode did not start"
# The same reverse proxy that also appends the upstream's GENUINE
# certificates to the chain it serves (CVE-2016-2402's attack, by a real tool).
start_mitm addup "reverse:https://127.0.0.1:$SERVER_PORT" --set add_upstream_certs_to_client_chain=true ||
    case_fail "mitmdump with add_upstream_certs_to_client_chain did not start"
[ -s "$MITM_CA" ] || case_fail "no CA at $MITM_CA"
if [ -s "$MITM_CA" ]; then
    openssl x509 -in "$MITM_CA" -noout -subject | grep -q mitmproxy ||
        case_fail "CA subject lacks mitmproxy: $(openssl x509 -in "$MITM_CA" -noout -subject)"
fi
case_end || hard_error "mitmdump cannot run here"
REV_PORT=$MITM_PORT_reverse
REG_PORT=$MITM_PORT_regular
ADDUP_PORT=$MITM_PORT_addup
use_server upstream

# Genuine pins of the test PKI for pinned.test (reverse mode, SNI) and for
# localhost (regular mode: mitmproxy resolves the CONNECT target).
CONF_ENFORCE=$T/enforce.conf
CONF_REPORT=$T/report.conf
CONF_HOSTREPORT=$T/hostreport.conf
write_conf "$CONF_ENFORCE" pinned.test "$PIN_LEAF,$PIN_INT" localhost "$PIN_LEAF,$PIN_INT"
write_conf "$CONF_REPORT" -m report pinned.test "$PIN_LEAF,$PIN_INT" localhost "$PIN_LEAF,$PIN_INT"
write_conf "$CONF_HOSTREPORT" 'pinned.test{mode = "report";}' "$PIN_LEAF,$PIN_INT"

BODY_RE='pinshim test server: ok'

# curl, never through an environment proxy; -q: no ~/.curlrc.
CURL_BASE=(curl -q -sS -v --max-time 20 --noproxy '*')

# check_mitm_log HOST VERDICT ACTION MODE [genuine-served]: a JSON log line
# for HOST with that verdict, action and mode whose served chain is
# mitmproxy's (leaf issued by mitmproxy, and none of the genuine pins served
# -- or, with genuine-served, the genuine ones served after mitmproxy's
# leaf), no matched pin, and the genuine pins as known_pins.
check_mitm_log() {
    local msg
    if ! msg=$("$PYTHON3" - "$LOG" "$1" "$2" "$3" "$4" "$PIN_LEAF" "$PIN_INT" "${5:-}" <<'EOF' 2>&1
import json, sys
log, host, verdict, action, mode, pin_leaf, pin_int, genuine_served = sys.argv[1:9]
try:
    lines = [json.loads(l) for l in open(log, encoding="utf-8") if l.strip()]
except Exception as e:
    print("cannot read the JSON log: %s" % e); sys.exit(1)
mine = [o for o in lines if str(o.get("host", "")).lower().rstrip(".") == host]
if not mine:
    print("no line for %s (%d lines)" % (host, len(lines))); sys.exit(1)
hits = [o for o in mine if o.get("verdict") == verdict and o.get("action") == action]
if not hits:
    print("no line with verdict %s action %s: %s" % (verdict, action,
          [(o.get("verdict"), o.get("action")) for o in mine])); sys.exit(1)
def pin(p):
    # The log writes "sha256/" + base64, whose first character may be "/"
    # (one key in 64): strip the prefix only, never curl's "sha256//".
    if isinstance(p, str) and p.startswith("sha256/"):
        return p[len("sha256/"):]
    return p
for o in hits:
    if o.get("mode") != mode:
        print("mode %r, expected %r" % (o.get("mode"), mode)); sys.exit(1)
    if o.get("matched_pin") is not None:
        print("matched_pin %r, expected null" % o.get("matched_pin")); sys.exit(1)
    known = {pin(p) for p in o.get("known_pins") or []}
    if not {pin_leaf, pin_int} <= known:
        print("known_pins %r lack the genuine pins" % o.get("known_pins")); sys.exit(1)
    chain = o.get("served_chain") or []
    if not chain:
        print("served_chain empty"); sys.exit(1)
    if "mitmproxy" not in str(chain[0].get("issuer", "")):
        print("served leaf not issued by mitmproxy: %r" % chain[0]); sys.exit(1)
    served = {pin(c.get("pin")) for c in chain}
    if genuine_served:
        if not {pin_leaf, pin_int} <= served:
            print("served_chain lacks the genuine certificates: %r" % chain); sys.exit(1)
    elif served & {pin_leaf, pin_int}:
        print("served_chain holds a genuine pin: %r" % chain); sys.exit(1)
EOF
    ); then
        case_fail "json log: $msg"
    fi
}

# check_upstream_zero: the upstream server got no application byte since
# mark.  mitmproxy may or may not have opened (and then closed) its own
# connection upstream; wait a bounded while for those to finish first.
check_upstream_zero() {
    local i
    for i in $(seq 1 40); do
        [ "$(new_conns)" -ge 1 ] && break
        sleep 0.1
    done
    local b
    b=$(new_bytes)
    if [ "$b" != 0 ]; then
        case_fail "upstream server received $b application bytes, expected none: $(new_record | head -c 200 | tr -c '[:print:]' '.')"
    fi
    if new_conn_lines | grep -qv ' bytes=0 '; then
        case_fail "upstream conns: $(new_conn_lines | grep -v ' bytes=0 ' | head -n 3)"
    fi
}

# -------------------------------------------------------------- controls ----

case_begin "mitm-works: without the preload curl gets the page through mitmproxy"
run_plain "${CURL_BASE[@]}" --cacert "$MITM_CA" --resolve "pinned.test:$REV_PORT:127.0.0.1" \
    "https://pinned.test:$REV_PORT/mitm-works"
check_rc 0
check_out_has "$BODY_RE"
check_err_has 'issuer: .*mitmproxy'
check_received "GET /mitm-works"
case_end

CONF=$CONF_ENFORCE
case_begin "direct: same config, straight to the server: pass"
run_preloaded "${CURL_BASE[@]}" --cacert "$PKI/root.pem" --resolve "pinned.test:$SERVER_PORT:127.0.0.1" \
    "https://pinned.test:$SERVER_PORT/direct"
check_rc 0
check_out_has "$BODY_RE"
check_received "GET /direct"
check_log pass allowed pinned.test 1
check_log_fields
case_end

# --------------------------------------------------------------- enforce ----

CONF=$CONF_ENFORCE
case_begin "enforce: curl through mitmproxy is blocked (exit 60), zero bytes upstream"
run_preloaded "${CURL_BASE[@]}" --cacert "$MITM_CA" --resolve "pinned.test:$REV_PORT:127.0.0.1" \
    "https://pinned.test:$REV_PORT/enforce-must-not-arrive"
check_rc 60
check_timeout
check_out_lacks "$BODY_RE"
check_upstream_zero
check_log fail blocked pinned.test 1
check_mitm_log pinned.test fail blocked enforce
check_log_fields
case_end

CONF=$CONF_ENFORCE
case_begin "enforce-k: curl -k (no verification) through mitmproxy is blocked too, zero bytes"
run_preloaded "${CURL_BASE[@]}" -k --resolve "pinned.test:$REV_PORT:127.0.0.1" \
    "https://pinned.test:$REV_PORT/enforce-k-must-not-arrive"
check_rc 60
check_timeout
check_out_lacks "$BODY_RE"
check_upstream_zero
check_log fail blocked pinned.test 1
check_mitm_log pinned.test fail blocked enforce
case_end

# mitmproxy serving [its leaf, genuine leaf, genuine int]: the genuine
# certificates are in the handshake but neither verified (trusting
# mitmproxy's CA) nor issuers of the leaf (-k): blocked either way.
CONF=$CONF_ENFORCE
case_begin "addup: mitmproxy appends the genuine chain, client verifies: blocked"
run_preloaded "${CURL_BASE[@]}" --cacert "$MITM_CA" --resolve "pinned.test:$ADDUP_PORT:127.0.0.1" \
    "https://pinned.test:$ADDUP_PORT/addup-must-not-arrive"
check_rc 60
check_timeout
check_out_lacks "$BODY_RE"
check_upstream_zero
check_log fail blocked pinned.test 1
check_mitm_log pinned.test fail blocked enforce genuine-served
case_end

case_begin "addup-k: mitmproxy appends the genuine chain, curl -k: blocked"
run_preloaded "${CURL_BASE[@]}" -k --resolve "pinned.test:$ADDUP_PORT:127.0.0.1" \
    "https://pinned.test:$ADDUP_PORT/addup-k-must-not-arrive"
check_rc 60
check_timeout
check_out_lacks "$BODY_RE"
check_upstream_zero
check_log fail blocked pinned.test 1
check_mitm_log pinned.test fail blocked enforce genuine-served
case_end

case_begin "addup-works: without the preload curl gets the page through it (control)"
run_plain "${CURL_BASE[@]}" --cacert "$MITM_CA" --resolve "pinned.test:$ADDUP_PORT:127.0.0.1" \
    "https://pinned.test:$ADDUP_PORT/addup-works"
check_rc 0
check_out_has "$BODY_RE"
check_received "GET /addup-works"
case_end

# A tester who pins the proxy's own CA key passes through it: the block
# above comes from the pins, not from anything else about the proxy.
# (mitmproxy signs its leaves with its CA's key pair, so leaf and CA share
# one pin.)
CONF=$T/mitmca.conf
case_begin "pin-mitm-ca: pinning mitmproxy's CA key passes through the proxy (control)"
PIN_MITM_CA=$(pin_of "$MITM_CA")
write_conf "$CONF" pinned.test "$PIN_MITM_CA"
run_preloaded "${CURL_BASE[@]}" --cacert "$MITM_CA" --resolve "pinned.test:$REV_PORT:127.0.0.1" \
    "https://pinned.test:$REV_PORT/pin-mitm-ca"
check_rc 0
check_out_has "$BODY_RE"
check_received "GET /pin-mitm-ca"
check_log pass allowed pinned.test 1
case_end

# ---------------------------------------------------------------- report ----

report_case() {
    check_rc 0
    check_out_has "$BODY_RE"
    check_received "GET /$1"
    check_log fail allowed pinned.test 1
    check_mitm_log pinned.test fail allowed report
    check_log_fields
}

CONF=$CONF_REPORT
case_begin "report-config: mode = \"report\": curl gets through, log fail/allowed with mitmproxy's chain"
run_preloaded "${CURL_BASE[@]}" --cacert "$MITM_CA" --resolve "pinned.test:$REV_PORT:127.0.0.1" \
    "https://pinned.test:$REV_PORT/report-config"
report_case report-config
case_end

CONF=$CONF_ENFORCE
case_begin "report-env: PINSHIM_MODE=report over an enforce config: the same"
PINSHIM_RUN_ENV="PINSHIM_MODE=report" \
    run_preloaded "${CURL_BASE[@]}" --cacert "$MITM_CA" --resolve "pinned.test:$REV_PORT:127.0.0.1" \
    "https://pinned.test:$REV_PORT/report-env"
report_case report-env
case_end

CONF=$CONF_HOSTREPORT
case_begin "report-host: the entry's own mode = \"report\": the same"
run_preloaded "${CURL_BASE[@]}" --cacert "$MITM_CA" --resolve "pinned.test:$REV_PORT:127.0.0.1" \
    "https://pinned.test:$REV_PORT/report-host"
report_case report-host
case_end

# ---------------------------------------------------- regular proxy mode ----

case_begin "proxy-works: without the preload curl -x through mitmproxy gets the page"
run_plain curl -q -sS -v --max-time 20 --cacert "$MITM_CA" -x "http://127.0.0.1:$REG_PORT" \
    "https://localhost:$SERVER_PORT/proxy-works"
check_rc 0
check_out_has "$BODY_RE"
check_err_has 'issuer: .*mitmproxy'
check_received "GET /proxy-works"
case_end

CONF=$CONF_ENFORCE
case_begin "proxy-enforce: curl -x through mitmproxy is blocked (exit 60), zero bytes upstream"
run_preloaded curl -q -sS -v --max-time 20 --cacert "$MITM_CA" -x "http://127.0.0.1:$REG_PORT" \
    "https://localhost:$SERVER_PORT/proxy-must-not-arrive"
check_rc 60
check_timeout
check_out_lacks "$BODY_RE"
check_upstream_zero
check_log fail blocked localhost 1
check_mitm_log localhost fail blocked enforce
case_end

# --------------------------------------------------------- python urllib ----

cat > "$T/urlget.py" <<'EOF'
# urlget.py URL CAFILE [PROXY]: fetch URL with urllib; exit 0 ok (body on
# stdout), 2 certificate verification error, 3 another TLS error, 1 other.
import ssl
import sys
import urllib.error
import urllib.request

url, cafile = sys.argv[1], sys.argv[2]
proxy = sys.argv[3] if len(sys.argv) > 3 else None
ctx = ssl.create_default_context(cafile=cafile)
handlers = [urllib.request.HTTPSHandler(context=ctx)]
handlers.append(urllib.request.ProxyHandler({"https": proxy} if proxy else {}))
opener = urllib.request.build_opener(*handlers)
try:
    with opener.open(url, timeout=20) as r:
        sys.stdout.write(r.read().decode("utf-8", "replace"))
    sys.exit(0)
except Exception as e:
    reason = getattr(e, "reason", e)
    print("urlget: %s: %s" % (type(reason).__name__, reason), file=sys.stderr)
    if isinstance(reason, ssl.SSLCertVerificationError):
        sys.exit(2)
    if isinstance(reason, ssl.SSLError):
        sys.exit(3)
    sys.exit(1)
EOF

case_begin "python-mitm-works: without the preload urllib gets the page through mitmproxy"
run_plain "$PYTHON3" "$T/urlget.py" "https://localhost:$SERVER_PORT/py-works" "$MITM_CA" "http://127.0.0.1:$REG_PORT"
check_rc 0
check_out_has "$BODY_RE"
check_received "GET /py-works"
case_end

CONF=$CONF_ENFORCE
case_begin "python-direct: urllib preloaded, straight to the server: pass"
run_preloaded "$PYTHON3" "$T/urlget.py" "https://localhost:$SERVER_PORT/py-direct" "$PKI/root.pem"
check_rc 0
check_out_has "$BODY_RE"
check_received "GET /py-direct"
check_log pass allowed localhost 1
case_end

CONF=$CONF_ENFORCE
case_begin "python-enforce: urllib through mitmproxy: SSLCertVerificationError, zero bytes upstream"
run_preloaded "$PYTHON3" "$T/urlget.py" "https://localhost:$SERVER_PORT/py-must-not-arrive" "$MITM_CA" "http://127.0.0.1:$REG_PORT"
check_rc 2
check_timeout
check_err_has 'SSLCertVerificationError'
check_out_lacks "$BODY_RE"
check_upstream_zero
check_log fail blocked localhost 1
check_mitm_log localhost fail blocked enforce
case_end

CONF=$CONF_ENFORCE
case_begin "python-report: urllib through mitmproxy with PINSHIM_MODE=report: allowed, logged"
PINSHIM_RUN_ENV="PINSHIM_MODE=report" \
    run_preloaded "$PYTHON3" "$T/urlget.py" "https://localhost:$SERVER_PORT/py-report" "$MITM_CA" "http://127.0.0.1:$REG_PORT"
check_rc 0
check_out_has "$BODY_RE"
check_received "GET /py-report"
check_log fail allowed localhost 1
check_mitm_log localhost fail allowed report
case_end

finish
