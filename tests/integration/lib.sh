# lib.sh - shared helpers of the pinshim integration tests (bash).
#
# Sourced by every tests/integration/t_*.sh:
#     . "$(dirname "$0")/lib.sh"
#
# Environment (set by `make check` through AM_TESTS_ENVIRONMENT; every one has
# a fallback so a script also runs by hand from the top of a built tree):
#   top_srcdir, top_builddir   default: the tree this file is in / the cwd or
#                               top_srcdir, whichever holds src/.libs
#   PINSHIM_LIB                default: $top_builddir/src/.libs/libpinshim.so
#   PINSHIM_PRELOAD            what run_preloaded and start_server -p put in
#                               LD_PRELOAD; default: $PINSHIM_LIB (the
#                               sanitizer stage puts the ASan runtime first)
#   PYTHON3                    default: /usr/bin/python3 (not a pyenv shim)
#   TEST_CLIENT                default: $top_builddir/tests/integration/tls_client,
#                               else compiled into the test's temp dir
#   PINSHIM_KEEP_TMP=1         keep the temp dir (its path is printed)
#
# Output: one line per sub-case, "ok - NAME" / "not ok - NAME" (+ "# ..."
# diagnostics), and the exit status automake wants: 0 pass, 1 fail,
# 77 skip, 99 hard error.

set -u

# ---------------------------------------------------------------- paths ----

_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$_lib_dir/../..}"
top_srcdir=$(cd "$top_srcdir" && pwd)
if [ -z "${top_builddir:-}" ]; then
    if [ -d "$PWD/src/.libs" ] || [ -f "$PWD/config.status" ]; then
        top_builddir=$PWD
    else
        top_builddir=$top_srcdir
    fi
fi
top_builddir=$(cd "$top_builddir" && pwd)
: "${PINSHIM_LIB:=$top_builddir/src/.libs/libpinshim.so}"
if [ -z "${PYTHON3:-}" ] || ! [ -x "$PYTHON3" ]; then
    PYTHON3=/usr/bin/python3
fi
: "${TEST_CLIENT:=$top_builddir/tests/integration/tls_client}"
SERVER_PY=$_lib_dir/tls_server.py
LOGCHECK_PY=$_lib_dir/logcheck.py
CONF_FLIP_PY=$_lib_dir/conf_flip.py
export top_srcdir top_builddir PINSHIM_LIB PYTHON3 TEST_CLIENT

TEST_NAME=$(basename "$0" .sh)

# The preload must reach the client under test only: nothing inherited.
unset LD_PRELOAD PINSHIM_CONFIG PINSHIM_MODE PINSHIM_LIBRARY 2>/dev/null || true
# Programs print in a known language.
export LC_ALL=C

# ------------------------------------------------------- temp dir, trap ----

T=$(mktemp -d "${TMPDIR:-/tmp}/pinshim-$TEST_NAME.XXXXXX") || {
    echo "Bail out! mktemp failed"
    exit 99
}
_SERVER_PIDS=""
_N_OK=0
_N_FAIL=0
_N_SKIP=0
_RUN_N=0

# stop_pids TENTHS PID...: TERM each, wait at most TENTHS/10 s for each to
# go, then KILL it; reaps them.
stop_pids() {
    local tenths=$1 pid i
    shift
    for pid in "$@"; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in "$@"; do
        for i in $(seq 1 "$tenths"); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
}

cleanup() {
    # shellcheck disable=SC2086
    stop_pids 30 $_SERVER_PIDS
    _SERVER_PIDS=""
    if [ "${PINSHIM_KEEP_TMP:-0}" = 1 ]; then
        echo "# temp dir kept: $T"
    else
        rm -rf "$T"
    fi
}
trap cleanup EXIT
trap 'exit 99' INT TERM HUP

# ------------------------------------------------------ results, cases ----

diag() {
    local l
    printf '%s\n' "$@" | while IFS= read -r l; do printf '# %s\n' "$l"; done
}

pass() { _N_OK=$((_N_OK + 1)); echo "ok - $*"; }
fail() { _N_FAIL=$((_N_FAIL + 1)); echo "not ok - $*"; }
skip() { _N_SKIP=$((_N_SKIP + 1)); echo "ok - $* # SKIP"; }

# skip_all REASON: the whole test cannot run here (automake SKIP).
skip_all() {
    echo "1..0 # SKIP $*"
    exit 77
}

# hard_error REASON: the harness itself is broken (automake ERROR).
hard_error() {
    echo "Bail out! $*"
    exit 99
}

# finish: the exit status from what was counted.
finish() {
    echo "# $TEST_NAME: $_N_OK passed ($_N_SKIP skipped), $_N_FAIL failed"
    if [ "$_N_FAIL" -gt 0 ]; then
        exit 1
    fi
    if [ "$_N_OK" -eq 0 ] || [ "$_N_OK" -eq "$_N_SKIP" ]; then
        exit 77
    fi
    exit 0
}

# A sub-case: case_begin NAME; run and check...; case_end.
# Every check_* that fails adds a diagnostic and makes the case fail.
CASE=""
_CASE_ERRS=""
case_begin() {
    CASE=$*
    _CASE_ERRS=""
    _CASE_T0=${EPOCHREALTIME:-0}
    : > "$LOG"
    mark
}

case_fail() {
    _CASE_ERRS="$_CASE_ERRS$*
"
}

case_end() {
    if [ "${PINSHIM_TEST_TIMING:-0}" = 1 ]; then
        echo "# $(awk -v a="$_CASE_T0" -v b="${EPOCHREALTIME:-0}" 'BEGIN { printf "%.2f", b - a }') s"
    fi
    if [ -z "$_CASE_ERRS" ]; then
        pass "$CASE"
        return 0
    fi
    fail "$CASE"
    diag "$(printf '%s' "$_CASE_ERRS")"
    if [ -n "${OUT:-}" ]; then
        diag "command: ${RUN_CMD:-?}" "exit status: ${RC:-?}"
        [ -s "$OUT" ] && diag "--- stdout:" "$(head -n 20 "$OUT")"
        [ -s "$ERR" ] && diag "--- stderr:" "$(head -n 20 "$ERR")"
    fi
    if [ -s "$LOG" ]; then
        diag "--- json log:" "$(head -c 3000 "$LOG")"
    fi
    return 1
}

# ------------------------------------------------------------ requirements --

require_cmd() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || skip_all "$c not installed"
    done
}

# The library under test must exist: a missing library is an error, never a skip.
require_lib() {
    if ! [ -f "$PINSHIM_LIB" ]; then
        hard_error "preload library $PINSHIM_LIB not found (build it: make)"
    fi
}

# Make $TEST_CLIENT usable: the built one, else compile it into $T.
require_client() {
    # The built one, unless its source is newer (a run by hand after an edit).
    if [ -x "$TEST_CLIENT" ] && ! [ "$_lib_dir/tls_client.c" -nt "$TEST_CLIENT" ]; then
        return 0
    fi
    local cflags libs
    cflags=$(pkg-config --cflags openssl 2>/dev/null)
    libs=$(pkg-config --libs openssl 2>/dev/null || echo "-lssl -lcrypto")
    # shellcheck disable=SC2086
    if ${CC:-cc} -Wall -Wextra -O1 -pthread $cflags -o "$T/tls_client" \
        "$_lib_dir/tls_client.c" $libs >"$T/cc.log" 2>&1; then
        TEST_CLIENT=$T/tls_client
    else
        cat "$T/cc.log"
        hard_error "cannot build tls_client (make check builds it)"
    fi
}

# -------------------------------------------------------------------- PKI ---

# pin_of CERT.pem: base64(SHA-256(DER SubjectPublicKeyInfo)), the pin format.
pin_of() {
    openssl x509 -in "$1" -pubkey -noout |
        openssl pkey -pubin -outform DER |
        openssl dgst -sha256 -binary |
        base64
}

_gen_key() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

_serial() {
    printf '0x%04x%04x%04x%04x\n' $RANDOM $RANDOM $RANDOM $RANDOM
}

# Validity: CAs 10 years, leaves 397 days - far from any "expires soon"
# warning window, so a pass is a plain pass.
_days() {
    case $1 in
    v3_root | v3_int) echo 3650 ;;
    *) echo 397 ;;
    esac
}

# _sign OUT.pem CSR/KEY SUBJECT CA.pem CA.key EXTSECTION
_sign() {
    local out=$1 key=$2 subj=$3 ca=$4 cakey=$5 ext=$6
    openssl req -new -key "$key" -subj "$subj" -out "$out.csr" 2>/dev/null &&
        openssl x509 -req -in "$out.csr" -CA "$ca" -CAkey "$cakey" \
            -set_serial "$(_serial)" -days "$(_days "$ext")" -sha256 \
            -extfile "$PKI/ext.cnf" -extensions "$ext" -out "$out" 2>/dev/null &&
        rm -f "$out.csr"
}

# _selfsign OUT.pem KEY SUBJECT EXTSECTION
_selfsign() {
    openssl req -new -x509 -key "$2" -subj "$3" -days "$(_days "$4")" -sha256 \
        -config "$PKI/ext.cnf" -extensions "$4" -set_serial "$(_serial)" \
        -out "$1" 2>/dev/null
}

# make_pki DIR
#   root CA -> intermediate CA -> leaf, leaf2 (a second leaf key, same CA)
#   attacker root -> attacker leaf (same names)
#   forged leaf: issuer NAME of the genuine intermediate, no AKID, signed by
#     the attacker's key (names and key ids alone cannot tell it apart)
#   self-signed impostor leaf
# Sets PKI=DIR and PIN_ROOT PIN_INT PIN_LEAF PIN_LEAF2 PIN_ATTACKER_ROOT
# PIN_ATTACKER_LEAF PIN_FORGED PIN_SELF PIN_UNRELATED (also DIR/pins/NAME).
# Chains (PEM, leaf first):
#   chain-leaf.pem          leaf + int           (key leaf.key)
#   chain-leaf-full.pem     leaf + int + root    (key leaf.key)
#   chain-leaf2.pem         leaf2 + int          (key leaf2.key)
#   chain-att-genint.pem    attacker leaf + GENUINE int         (attacker-leaf.key)
#   chain-att-genfull.pem   attacker leaf + GENUINE int + root  (attacker-leaf.key)
#   chain-att.pem           attacker leaf + attacker root       (attacker-leaf.key)
#   chain-forged-genint.pem forged leaf + GENUINE int + root    (forged.key)
#   self.pem                self-signed impostor                (self.key)
make_pki() {
    PKI=$1
    mkdir -p "$PKI/pins" || return 1
    local san="DNS:pinned.test,DNS:good.test,DNS:bad.test,DNS:*.wild.test,DNS:localhost,IP:127.0.0.1,IP:::1"
    cat > "$PKI/ext.cnf" <<EOF
[req]
distinguished_name = dn
[dn]
[v3_root]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[v3_int]
basicConstraints = critical,CA:true,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_leaf]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = $san
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_forged]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = $san
subjectKeyIdentifier = none
authorityKeyIdentifier = none
[v3_self]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = $san
EOF
    local k pids=""
    # (wait on these jobs only: a server may already run in the background)
    for k in root int leaf leaf2 attacker-root attacker-leaf forged self unrelated; do
        _gen_key "$PKI/$k.key" &
        pids="$pids $!"
    done
    # shellcheck disable=SC2086
    wait $pids
    for k in root int leaf leaf2 attacker-root attacker-leaf forged self unrelated; do
        [ -s "$PKI/$k.key" ] || return 1
    done
    (
        cd "$PKI" || exit 1
        _selfsign root.pem root.key "/O=pinshim test/CN=pinshim test root CA" v3_root &&
        _sign int.pem int.key "/O=pinshim test/CN=pinshim test intermediate CA" root.pem root.key v3_int &&
        _sign leaf.pem leaf.key "/O=pinshim test/CN=pinned.test" int.pem int.key v3_leaf &&
        _sign leaf2.pem leaf2.key "/O=pinshim test/CN=pinned.test" int.pem int.key v3_leaf &&
        _selfsign attacker-root.pem attacker-root.key "/O=pinshim attacker/CN=attacker root CA" v3_root &&
        _sign attacker-leaf.pem attacker-leaf.key "/O=pinshim test/CN=pinned.test" attacker-root.pem attacker-root.key v3_leaf &&
        # A CA certificate of the attacker's own key that bears the genuine
        # intermediate's name: the forged leaf's issuer name equals the
        # genuine intermediate's subject, and it has no AKID.
        _selfsign attacker-as-int.pem attacker-root.key "/O=pinshim test/CN=pinshim test intermediate CA" v3_root &&
        _sign forged.pem forged.key "/O=pinshim test/CN=pinned.test" attacker-as-int.pem attacker-root.key v3_forged &&
        _selfsign self.pem self.key "/O=pinshim test/CN=pinned.test" v3_self &&
        _selfsign unrelated.pem unrelated.key "/CN=unrelated" v3_self &&
        cat leaf.pem int.pem > chain-leaf.pem &&
        cat leaf.pem int.pem root.pem > chain-leaf-full.pem &&
        cat leaf2.pem int.pem > chain-leaf2.pem &&
        cat attacker-leaf.pem int.pem > chain-att-genint.pem &&
        cat attacker-leaf.pem int.pem root.pem > chain-att-genfull.pem &&
        cat attacker-leaf.pem attacker-root.pem > chain-att.pem &&
        cat forged.pem int.pem root.pem > chain-forged-genint.pem &&
        cat self.pem > chain-self.pem
    ) || return 1
    local v f
    for v in ROOT:root INT:int LEAF:leaf LEAF2:leaf2 ATTACKER_ROOT:attacker-root \
             ATTACKER_LEAF:attacker-leaf FORGED:forged SELF:self UNRELATED:unrelated; do
        pin_of "$PKI/${v#*:}.pem" > "$PKI/pins/${v%%:*}" &
        pids="$pids $!"
    done
    # shellcheck disable=SC2086
    wait $pids
    for f in ROOT INT LEAF LEAF2 ATTACKER_ROOT ATTACKER_LEAF FORGED SELF UNRELATED; do
        v=$(cat "$PKI/pins/$f")
        [ ${#v} -eq 44 ] || return 1
        eval "PIN_$f=\$v"
    done
    return 0
}

# ----------------------------------------------------------------- server ---

# start_server [-n NAME] [-t 1.2|1.3|any] [-6] [-g] [-i IDLE] [-p] [-d DOCROOT|-s] CHAIN KEY
#   -g: greet first (for clients whose first call is SSL_read)
#   -p: run the server itself with the library preloaded and $CONF
#   -d: serve the files under DOCROOT (HTTP GET/HEAD, keep-alive); one line
#       per request in $SERVER_REQS
#   -s: speak SMTP (implicit TLS)
#   Starts tls_server.py in the background (lifetime bounded, killed at exit),
#   waits for its port file (bounded).  Sets SERVER_NAME SERVER_PORT
#   SERVER_ADDR SERVER_CONNS SERVER_REC SERVER_PID; `use_server NAME` brings
#   a server's variables back.  Returns 1 if it did not come up.
_NSERVERS=0
start_server() {
    local name="" tls=any bind=127.0.0.1 greet="" idle=5 anon="" OPTIND=1 opt
    local -a pre=() proto=()
    while getopts n:t:6gi:pad:s opt; do
        case $opt in
        a) anon=--anon ;;
        d) proto=(--docroot "$OPTARG") ;;
        s) proto=(--smtp) ;;
        p) pre=(env LD_PRELOAD="${PINSHIM_PRELOAD:-$PINSHIM_LIB}" PINSHIM_CONFIG="$CONF") ;;
        n) name=$OPTARG ;;
        t) tls=$OPTARG ;;
        6) bind=::1 ;;
        g) greet=--greet ;;
        i) idle=$OPTARG ;;
        *) hard_error "start_server: bad option" ;;
        esac
    done
    shift $((OPTIND - 1))
    local chain=$1 key=$2
    _NSERVERS=$((_NSERVERS + 1))
    [ -n "$name" ] || name=srv$_NSERVERS
    local d=$T/server-$name
    mkdir -p "$d"
    "${pre[@]}" "$PYTHON3" "$SERVER_PY" --cert "$chain" --key "$key" --tls "$tls" --bind "$bind" \
        --port-file "$d/port" --record "$d/record" --conns "$d/conns" \
        --lifetime "${SERVER_LIFETIME:-300}" --idle "$idle" $greet $anon "${proto[@]}" --requests "$d/requests" \
        >"$d/stdout" 2>"$d/stderr" </dev/null &
    local pid=$!
    _SERVER_PIDS="$_SERVER_PIDS $pid"
    local i
    for i in $(seq 1 200); do
        [ -s "$d/port" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if ! [ -s "$d/port" ]; then
        echo "# server $name did not start:"
        diag "$(cat "$d/stderr")"
        return 1
    fi
    eval "_SRV_${name//[^A-Za-z0-9_]/_}=\"\$pid \$(cat \"\$d/port\") \$bind\""
    use_server "$name"
}

use_server() {
    local v="_SRV_${1//[^A-Za-z0-9_]/_}" d=$T/server-$1
    SERVER_NAME=$1
    # shellcheck disable=SC2086
    set -- ${!v}
    SERVER_PID=$1
    SERVER_PORT=$2
    SERVER_ADDR=$3
    SERVER_CONNS=$d/conns
    SERVER_REC=$d/record
    SERVER_REQS=$d/requests
    mark
}

# mark: remember how much the current server has recorded so far; the
# assertions below look only at what came after.
CONN_BASE=0
REC_BASE=0
# _nlines FILE: its number of lines, without a fork.
_nlines() {
    local -a _l
    mapfile -t _l < "$1"
    _NLINES=${#_l[@]}
}

mark() {
    if [ -n "${SERVER_CONNS:-}" ] && [ -f "$SERVER_CONNS" ]; then
        _nlines "$SERVER_CONNS"
        CONN_BASE=$_NLINES
        REC_BASE=$(stat -c %s "$SERVER_REC")
    else
        CONN_BASE=0
        REC_BASE=0
    fi
}

# new_conns: number of connections the server finished since mark.
new_conns() {
    _nlines "$SERVER_CONNS"
    echo $((_NLINES - CONN_BASE))
}

# wait_conns N [SECS]: wait (bounded) until N connections finished since mark.
wait_conns() {
    local n=$1 secs=${2:-15} i
    for ((i = 0; i < secs * 40; i++)); do
        _nlines "$SERVER_CONNS"
        [ $((_NLINES - CONN_BASE)) -ge "$n" ] && return 0
        sleep 0.025
    done
    return 1
}

# new_bytes: application bytes the server received since mark.
new_bytes() {
    echo $(( $(stat -c %s "$SERVER_REC") - REC_BASE ))
}

# new_record: what it received since mark.
new_record() {
    tail -c +$((REC_BASE + 1)) "$SERVER_REC"
}

# new_conn_lines: the conns lines since mark.
new_conn_lines() {
    tail -n +$((CONN_BASE + 1)) "$SERVER_CONNS"
}

# ---------------------------------------------------------------- config ---

LOG=$T/log.jsonl
CONF=$T/pinshim.conf

# _pin_str PIN: "sha256/PIN" unless PIN already has a prefix.  A pin whose
# base64 starts with "/" (one key in 64) is written in curl's sha256// form:
# "sha256/" + "/..." reads like curl's prefix, and t_config.sh tests that
# case on purpose, with fixed pins, instead of by the luck of the keys.
_pin_str() {
    case $1 in
    sha256/*) printf '"%s"' "$1" ;;
    /*) printf '"sha256//%s"' "$1" ;;
    *) printf '"sha256/%s"' "$1" ;;
    esac
}

# write_conf FILE [-m MODE] [-u UNPINNED] [-v VERDICTS] [-j JSONLOG] [-e STDERR]
#            [-g TEXT] [HOST PINS [HOST PINS ...]]
#   HOST: a name (or IP literal); "NAME{attr = value; ...}" adds attributes to
#         the entry (e.g. 'pinned.test{mode = "report";}').
#   PINS: comma separated base64 pins (sha256/ is added unless present).
#   -e STDERR: log.stderr, verbatim (true, false or '"all"').  Default "all":
#         every logged verdict on stderr, which the suites read (passes
#         included); the default of the library itself (true) is t_stderr's.
#   -g TEXT: extra global lines, verbatim.
write_conf() {
    local file=$1
    shift
    local mode=enforce unpinned=allow verdicts=all json=$LOG stderr='"all"' extra="" OPTIND=1 opt
    while getopts m:u:v:j:e:g: opt; do
        case $opt in
        m) mode=$OPTARG ;;
        u) unpinned=$OPTARG ;;
        v) verdicts=$OPTARG ;;
        j) json=$OPTARG ;;
        e) stderr=$OPTARG ;;
        g) extra="$extra$OPTARG
" ;;
        *) hard_error "write_conf: bad option" ;;
        esac
    done
    shift $((OPTIND - 1))
    {
        echo "# written by $TEST_NAME"
        echo "mode = \"$mode\";"
        echo "unpinned = \"$unpinned\";"
        echo "log = { stderr = $stderr; syslog = false; json = \"$json\"; verdicts = \"$verdicts\"; };"
        printf '%s' "$extra"
        echo "hosts = ("
        local first=1 host attrs pins p sep
        while [ $# -ge 2 ]; do
            host=$1 pins=$2
            shift 2
            attrs=""
            case $host in
            *"{"*"}")
                attrs=${host#*\{}
                attrs=${attrs%\}}
                host=${host%%\{*}
                ;;
            esac
            [ $first = 1 ] || echo ","
            first=0
            printf '  { name = "%s"; pins = [ ' "$host"
            sep=""
            local IFS=,
            for p in $pins; do
                printf '%s%s' "$sep" "$(_pin_str "$p")"
                sep=", "
            done
            unset IFS
            printf ' ]; %s}' "$attrs"
        done
        echo
        echo ");"
    } > "$file"
}

# need_pinshim_bin: PINSHIM_BIN (default: the built src/pinshim) must run.
need_pinshim_bin() {
    : "${PINSHIM_BIN:=$top_builddir/src/pinshim}"
    [ -x "$PINSHIM_BIN" ] || hard_error "$PINSHIM_BIN not built (make)"
}

# unused_port: a 127.0.0.1 port nothing listens on (bound by the OS, then
# closed; another process may take it before it is used).
unused_port() {
    "$PYTHON3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# day OFFSET: the UTC date OFFSET days from today ("+100", "-3"), YYYY-MM-DD.
day() { date -u -d "$1 days" +%F; }

# marker_line MARKER FILE: the number of the line of FILE holding "# @MARKER".
marker_line() {
    local n
    n=$(grep -n "# @$1\$" "$2" | cut -d: -f1)
    [ -n "$n" ] || hard_error "no marker @$1 in $2"
    echo "$n"
}

# --------------------------------------------------------------- running ---

# run_preloaded CMD...: run CMD with the library preloaded and $CONF,
# bounded by ${RUN_TIMEOUT:-30} s.  Sets OUT ERR (files) and RC.
# stdin is the caller's; PINSHIM_RUN_ENV (e.g. "PINSHIM_MODE=report")
# adds environment.
run_preloaded() {
    _RUN_N=$((_RUN_N + 1))
    OUT=$T/run$_RUN_N.out
    ERR=$T/run$_RUN_N.err
    RUN_CMD="LD_PRELOAD=${PINSHIM_PRELOAD:-$PINSHIM_LIB} PINSHIM_CONFIG=$CONF ${PINSHIM_RUN_ENV:-}$*"
    # shellcheck disable=SC2086
    timeout -k 5 "${RUN_TIMEOUT:-30}" env LD_PRELOAD="${PINSHIM_PRELOAD:-$PINSHIM_LIB}" PINSHIM_CONFIG="$CONF" \
        ${PINSHIM_RUN_ENV:-} "$@" >"$OUT" 2>"$ERR"
    RC=$?
    return 0
}

# run_plain CMD...: the same without the library (for comparisons).
run_plain() {
    _RUN_N=$((_RUN_N + 1))
    OUT=$T/run$_RUN_N.out
    ERR=$T/run$_RUN_N.err
    RUN_CMD="$*"
    timeout -k 5 "${RUN_TIMEOUT:-30}" "$@" >"$OUT" 2>"$ERR"
    RC=$?
    return 0
}

# client ARGS...: tls_client preloaded against the current server.
client() {
    run_preloaded "$TEST_CLIENT" --host "${CLIENT_HOST:-$SERVER_ADDR}" --port "$SERVER_PORT" "$@"
}

# ------------------------------------------------------------ assertions ---

check_rc() {
    local want=$1
    if [ "$RC" != "$want" ]; then
        case_fail "exit status $RC, expected $want"
    fi
}

check_rc_not() {
    local bad=$1
    if [ "$RC" = "$bad" ]; then
        case_fail "exit status $RC, expected anything else"
    fi
}

check_timeout() {
    if [ "$RC" = 124 ] || [ "$RC" = 137 ]; then
        case_fail "command timed out"
    fi
}

# check_out_has REGEX / check_err_has REGEX / ..._lacks
# check_json PYTHON: stdout is one JSON document (nothing else) and PYTHON,
# run with the document as `d`, raises nothing.  Its failures are the case's.
check_json() {
    local why
    why=$("$PYTHON3" -c '
import json, sys
text = open(sys.argv[1], encoding="utf-8").read()
try:
    d = json.loads(text)
except ValueError as e:
    print("stdout is not one JSON document: %s: %r" % (e, text[:300]))
    sys.exit(0)
if not text.endswith("}\n") or text.count("\n") != 1:
    print("stdout is not one line with one object: %r" % text[:300])
try:
    exec(sys.argv[2], {"d": d, "re": __import__("re")})
except AssertionError as e:
    print("assertion failed: %s; the document: %s" % (e, json.dumps(d)[:600]))
except Exception as e:
    print("%s: %s; the document: %s" % (type(e).__name__, e, json.dumps(d)[:600]))
' "$OUT" "$1" 2>&1)
    [ -z "$why" ] || case_fail "$why"
}

check_out_has() { grep -Eq -- "$1" "$OUT" || case_fail "stdout lacks /$1/"; }
check_err_has() { grep -Eq -- "$1" "$ERR" || case_fail "stderr lacks /$1/"; }
check_out_lacks() { ! grep -Eq -- "$1" "$OUT" || case_fail "stdout has /$1/"; }
check_err_lacks() { ! grep -Eq -- "$1" "$ERR" || case_fail "stderr has /$1/"; }

# check_count REGEX N: exactly N stdout lines match.
check_count() {
    local n
    n=$(grep -Ec -- "$1" "$OUT")
    [ "$n" = "$2" ] || case_fail "stdout has $n lines matching /$1/, expected $2"
}

# check_zero_bytes [NCONN]: the server finished NCONN (default 1) connections
# since mark and received not one application byte.
check_zero_bytes() {
    local n=${1:-1}
    if ! wait_conns "$n"; then
        case_fail "server finished $(new_conns) connections, expected $n"
    fi
    local b
    b=$(new_bytes)
    if [ "$b" != 0 ]; then
        case_fail "server received $b application bytes, expected none: $(new_record | head -c 200 | tr -c '[:print:]' '.')"
    fi
    if new_conn_lines | grep -qv ' bytes=0 '; then
        case_fail "server conns: $(new_conn_lines | grep -v ' bytes=0 ' | head -n 3)"
    fi
}

# check_bytes N [NCONN]: exactly N bytes received since mark.
check_bytes() {
    local want=$1 n=${2:-1}
    wait_conns "$n" || case_fail "server finished $(new_conns) connections, expected $n"
    local b
    b=$(new_bytes)
    [ "$b" = "$want" ] || case_fail "server received $b application bytes, expected $want"
}

# check_received STRING [NCONN]: the server received STRING since mark.
check_received() {
    local s=$1 n=${2:-1}
    wait_conns "$n" || case_fail "server finished $(new_conns) connections, expected $n"
    new_record | grep -qF -- "$s" || case_fail "server did not receive '$s' (got $(new_bytes) bytes)"
}

# check_conn REGEX: some conns line since mark matches (e.g. 'resumed=1').
check_conn() {
    new_conn_lines | grep -Eq -- "$1" || case_fail "no server connection matches /$1/: $(new_conn_lines | tr '\n' ';')"
}

# check_log VERDICT ACTION HOST [COUNT]: every JSON log line for HOST has
# that verdict and action, and there is at least one (exactly COUNT events,
# counting "repeat", when given).
check_log() {
    local msg
    if ! msg=$("$PYTHON3" -S "$LOGCHECK_PY" "$LOG" --host "$3" --verdict "$1" --action "$2" \
        ${4:+--count "$4"} 2>&1); then
        case_fail "json log: $msg"
    fi
}

# check_log_fields: every line of the JSON log has every field of DESIGN 5.
check_log_fields() {
    local msg
    if ! msg=$("$PYTHON3" -S "$LOGCHECK_PY" "$LOG" --fields "$@" 2>&1); then
        case_fail "json log: $msg"
    fi
}

# ------------------------------------------------------------ the basics ---

# common_setup: what almost every test needs (library, client, PKI, tools).
common_setup() {
    require_cmd openssl timeout base64 stat
    [ -x "$PYTHON3" ] || skip_all "$PYTHON3 not found"
    require_lib
    require_client
    make_pki "$T/pki" || hard_error "make_pki failed"
}
