#!/bin/bash
# t_tofu.sh - trust on first use (issue 5, DESIGN 10): entries with
# tofu = "chain" (pinned.test) and tofu = "leaf" (good.test) and a state file.
#   - 12 processes (curl and tls_client, 8 of them for pinned.test) make their
#     first connection at the same moment: all pass, ONE well-formed record
#     per host with the genuine chain's pins, no temporary files left
#   - an impostor chain the client trusts (attacker root) is blocked
#   - a renewed leaf under the same intermediate: chain passes, leaf blocks
#   - pinshim tofu list / forget / trust
#   - an unverified first chain (curl -k, tls_client --tolerant) is never
#     learned ("no pins learned yet"); a session unknown to the shim is not
#     resumed, the full handshake is learned from
#   - a state path that cannot be read or written: the connection is still
#     judged, with a `warning` in the JSON log, and nothing crashes
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

common_setup
require_cmd curl cmp mkfifo

# A pin whose base64 starts with '/' ("sha256//...") was misread as curl's
# form (fixed in 95f824c; the last cases test it on purpose); the records of
# the genuine chain must not depend on that luck, so such a PKI is made again
# (bounded).
slash_pin() {
    local p
    for p in "$@"; do
        case $p in /*) return 0 ;; esac
    done
    return 1
}
for try in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    slash_pin "$PIN_LEAF" "$PIN_LEAF2" "$PIN_INT" "$PIN_ROOT" || break
    make_pki "$T/pki$try" || hard_error "make_pki failed"
done
slash_pin "$PIN_LEAF" "$PIN_LEAF2" "$PIN_INT" "$PIN_ROOT" && hard_error "no PKI without a '/' pin in 20 tries"
PINSHIM_CMD=$top_builddir/src/pinshim
[ -x "$PINSHIM_CMD" ] || hard_error "$PINSHIM_CMD not built (make)"

STATE_DIR=$T/state
STATE=$STATE_DIR/tofu.state
mkdir -p "$STATE_DIR"

# write_tofu_conf FILE STATE [VERDICTS]
write_tofu_conf() {
    cat > "$1" <<EOF
# written by $TEST_NAME
mode = "enforce";
unpinned = "allow";
state = "$2";
log = { stderr = true; syslog = false; json = "$LOG"; verdicts = "${3:-all}"; };
hosts = (
  { name = "pinned.test"; tofu = "chain"; },
  { name = "good.test"; tofu = "leaf"; }
);
EOF
}
write_tofu_conf "$CONF" "$STATE"

start_server -n genuine "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server genuine"
start_server -n genuine12 -t 1.2 "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server genuine12"
start_server -n renewed "$PKI/chain-leaf2.pem" "$PKI/leaf2.key" || hard_error "server renewed"
start_server -n attacker "$PKI/chain-att.pem" "$PKI/attacker-leaf.key" || hard_error "server attacker"
start_server -n selfsigned "$PKI/chain-self.pem" "$PKI/self.key" || hard_error "server selfsigned"

# record HOST: the state file's line for HOST (empty when none).
record() {
    [ -f "$STATE" ] || return 0
    awk -v h="$1" '$1 == h' "$STATE"
}

# record_pins HOST: its pins, one per line, sorted.
record_pins() {
    record "$1" | awk '{ print $3 }' | tr ',' '\n' | sort
}

# want_pins PIN...: sha256/PIN one per line, sorted.
want_pins() {
    local p
    for p in "$@"; do echo "sha256/$p"; done | sort
}

# check_record HOST KIND PIN...: exactly one well-formed line for HOST, of
# KIND, with exactly these pins (as computed by the openssl pipeline).
check_record() {
    local host=$1 kind=$2 n line
    shift 2
    n=$(record "$host" | wc -l)
    if [ "$n" != 1 ]; then
        case_fail "the state has $n records for $host, expected exactly 1: $(cat "$STATE" 2>/dev/null)"
        return
    fi
    line=$(record "$host")
    # HOST KIND PIN[,PIN...] LEARNED
    echo "$line" | grep -Eq "^$host $kind sha256/[A-Za-z0-9+/]{43}=(,sha256/[A-Za-z0-9+/]{43}=)* [0-9]+\$" ||
        case_fail "the record is not 'HOST KIND PINS TIME': $line"
    [ "$(record_pins "$host")" = "$(want_pins "$@")" ] ||
        case_fail "the record's pins for $host: $(record_pins "$host" | tr '\n' ' '); expected $(want_pins "$@" | tr '\n' ' ')"
}

# check_no_record HOST
check_no_record() {
    local n
    n=$(record "$1" | wc -l)
    [ "$n" = 0 ] || case_fail "the state has a record for $1: $(record "$1")"
}

# check_state_dir: nothing but the state and its lock file.
check_state_dir() {
    local extra
    extra=$(ls -A "$STATE_DIR" | grep -Ev '^tofu\.state(\.lock)?$')
    [ -z "$extra" ] || case_fail "files left beside the state: $extra"
}

# check_state_syntax: every line is a comment or a record.
check_state_syntax() {
    local bad
    bad=$(grep -Ev '^#|^[a-z0-9.-]+ (leaf|chain) sha256/[A-Za-z0-9+/]{43}=(,sha256/[A-Za-z0-9+/]{43}=)* [0-9]+$' "$STATE")
    [ -z "$bad" ] || case_fail "the state has malformed lines: $bad"
}

# check_reason TEXT: some log line's reason contains TEXT.
check_reason() {
    grep -qF -- "$1" "$LOG" || case_fail "no JSON log line says '$1'"
}

# cl SERVER SNI ARGS...: tls_client against a named server.
cl() {
    use_server "$1"
    local sni=$2
    shift 2
    CLIENT_HOST=127.0.0.1 client --sni "$sni" --send "hi" "$@"
}

# curl_to SERVER NAME ARGS...
curl_to() {
    use_server "$1"
    local name=$2
    shift 2
    run_preloaded curl -sS --max-time 20 --resolve "$name:$SERVER_PORT:127.0.0.1" "$@" \
        "https://$name:$SERVER_PORT/tofu"
}

pinshim_tofu() {
    _RUN_N=$((_RUN_N + 1))
    OUT=$T/run$_RUN_N.out
    ERR=$T/run$_RUN_N.err
    RUN_CMD="pinshim tofu -c $CONF $*"
    timeout -k 5 30 "$PINSHIM_CMD" tofu -c "$CONF" "$@" >"$OUT" 2>"$ERR"
    RC=$?
}

# ------------------------------------------------------------------ cases ---

case_begin "12 processes start together, none with a record (8 pinned.test tofu=chain: 4 curl + 4 tls_client; 4 good.test tofu=leaf): all pass, ONE record per host, genuine pins, no temp files"
use_server genuine
t_start=$(date +%s)
FIFO=$T/go.fifo
rm -f "$FIFO"
mkfifo "$FIFO"
BURST=""
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
    case $i in
    1 | 2 | 3 | 4)
        cmd=(curl -sS --max-time 20 --resolve "pinned.test:$SERVER_PORT:127.0.0.1" --cacert "$PKI/root.pem"
            "https://pinned.test:$SERVER_PORT/burst$i") ;;
    5 | 6 | 7 | 8)
        cmd=("$TEST_CLIENT" --host 127.0.0.1 --port "$SERVER_PORT" --sni pinned.test --cafile "$PKI/root.pem"
            --send "burst$i") ;;
    9 | 10)
        cmd=(curl -sS --max-time 20 --resolve "good.test:$SERVER_PORT:127.0.0.1" --cacert "$PKI/root.pem"
            "https://good.test:$SERVER_PORT/burst$i") ;;
    *)
        cmd=("$TEST_CLIENT" --host 127.0.0.1 --port "$SERVER_PORT" --sni good.test --cafile "$PKI/root.pem"
            --send "burst$i") ;;
    esac
    # Each waits at the FIFO; all are let go when its writer closes.
    (
        timeout 15 cat "$FIFO" >/dev/null
        exec timeout -k 5 30 env LD_PRELOAD="$PINSHIM_LIB" PINSHIM_CONFIG="$CONF" "${cmd[@]}"
    ) >"$T/burst$i.out" 2>"$T/burst$i.err" </dev/null &
    BURST="$BURST $!"
done
_SERVER_PIDS="$_SERVER_PIDS $BURST"
sleep 0.5
# The writer: open (every reader waiting in open() is released from it),
# hold 0.3 s, close: every reader sees EOF at the same moment.
timeout 10 bash -c 'exec 4>"$1"; sleep 0.3' _ "$FIFO" || case_fail "nobody opened the FIFO"
i=0
for pid in $BURST; do
    i=$((i + 1))
    wait "$pid"
    rc=$?
    [ "$rc" = 0 ] || case_fail "process $i exit status $rc: $(head -c 300 "$T/burst$i.err" "$T/burst$i.out")"
done
for i in 1 2 3 4 9 10; do
    grep -q 'pinshim test server: ok' "$T/burst$i.out" || case_fail "curl $i got no reply"
done
for i in 5 6 7 8 11 12; do
    grep -q '^handshake who=main sni=[a-z.]* result=ok ' "$T/burst$i.out" || case_fail "tls_client $i did not pass"
done
check_record pinned.test chain "$PIN_LEAF" "$PIN_INT" "$PIN_ROOT"
check_record good.test leaf "$PIN_LEAF"
check_state_syntax
[ "$(grep -vc '^#' "$STATE")" = 2 ] || case_fail "the state has $(grep -vc '^#' "$STATE") records, expected 2: $(cat "$STATE")"
check_state_dir
learned=$(record pinned.test | awk '{ print $4 }')
[ -n "$learned" ] && [ "$learned" -ge "$t_start" ] && [ "$learned" -le "$(date +%s)" ] ||
    case_fail "learned time $learned is not the time of this run"
check_log pass allowed pinned.test 8
check_log pass allowed good.test 4
check_log_fields
[ -n "$_CASE_ERRS" ] && diag "--- state:" "$(cat "$STATE" 2>/dev/null)"
case_end
cp "$STATE" "$T/state.learned"

case_begin "the same host in another case with a trailing dot (SNI PINNED.Test.): the same record, no second one"
cl genuine PINNED.Test. --cafile "$PKI/root.pem"
check_rc 0
cmp -s "$STATE" "$T/state.learned" || case_fail "the state changed: $(cat "$STATE")"
check_log pass allowed pinned.test 1
cl attacker PINNED.Test. --cafile "$PKI/attacker-root.pem"
check_rc 2
cmp -s "$STATE" "$T/state.learned" || case_fail "the state changed: $(cat "$STATE")"
case_end

case_begin "impostor chain whose root the client trusts (attacker root), tofu=chain: blocked, the record unchanged"
cl attacker pinned.test --cafile "$PKI/attacker-root.pem"
check_rc 2
check_out_has '^handshake who=main sni=pinned\.test result=refused .*err=1 verify=50 '
check_zero_bytes 1
check_log fail blocked pinned.test 1
cmp -s "$STATE" "$T/state.learned" || case_fail "the state changed: $(cat "$STATE")"
case_end

case_begin "impostor chain whose root the client trusts, tofu=leaf (curl): blocked (60), the record unchanged"
curl_to attacker good.test --cacert "$PKI/attacker-root.pem"
check_rc 60
check_zero_bytes 1
check_log fail blocked good.test 1
cmp -s "$STATE" "$T/state.learned" || case_fail "the state changed: $(cat "$STATE")"
case_end

case_begin "renewed leaf (leaf2, same intermediate): tofu=chain passes, tofu=leaf blocks"
cl renewed pinned.test --cafile "$PKI/root.pem"
check_rc 0
check_out_has '^handshake who=main sni=pinned\.test result=ok '
check_log pass allowed pinned.test 1
cl renewed good.test --cafile "$PKI/root.pem"
check_rc 2
check_out_has '^handshake who=main sni=good\.test result=refused .*err=1 verify=50 '
check_log fail blocked good.test 1
cmp -s "$STATE" "$T/state.learned" || case_fail "the state changed: $(cat "$STATE")"
case_end

case_begin "pinshim tofu list: both records, kinds, learned time, every pin"
pinshim_tofu list
check_rc 0
check_out_has '^pinned\.test +chain +learned [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$'
check_out_has '^good\.test +leaf +learned [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$'
for p in "$PIN_LEAF" "$PIN_INT" "$PIN_ROOT"; do
    grep -qxF "    sha256/$p" "$OUT" || case_fail "list lacks the pin sha256/$p"
done
[ "$(grep -c '^    sha256/' "$OUT")" = 4 ] || case_fail "list shows $(grep -c '^    sha256/' "$OUT") pins, expected 4 (3 chain + 1 leaf)"
case_end

case_begin "pinshim tofu forget pinned.test: the record goes, good.test stays; the next verified connection learns a new record (leaf2 chain)"
pinshim_tofu forget pinned.test
check_rc 0
check_out_has '^forgot pinned\.test'
check_no_record pinned.test
check_record good.test leaf "$PIN_LEAF"
check_state_dir
cl renewed pinned.test --cafile "$PKI/root.pem"
check_rc 0
check_out_has '^handshake who=main sni=pinned\.test result=ok '
check_record pinned.test chain "$PIN_LEAF2" "$PIN_INT" "$PIN_ROOT"
check_state_syntax
check_state_dir
case_end

case_begin "pinshim tofu forget of a host with no record: says so, exit 0, state unchanged"
cp "$STATE" "$T/state.before"
pinshim_tofu forget nothing.test
check_rc 0
check_out_has '^no record for nothing\.test'
cmp -s "$STATE" "$T/state.before" || case_fail "the state changed"
case_end

case_begin "unverified first chain (curl -k, self-signed, state has no record): blocked with 'no pins learned yet', never learned"
pinshim_tofu forget pinned.test
[ "$RC" = 0 ] || case_fail "forget failed: $(cat "$ERR")"
check_no_record pinned.test
curl_to selfsigned pinned.test -k
check_rc_not 0
check_zero_bytes 1
check_log fail blocked pinned.test 1
check_reason "no pins learned yet"
check_err_has 'no pins learned yet'
check_no_record pinned.test
case_end

case_begin "unverified first chain (tls_client --tolerant: attacker chain fails verification, handshake goes on): blocked, never learned"
cl attacker pinned.test --cafile "$PKI/root.pem" --tolerant
check_rc 2
check_out_has 'result=refused .*err=1 verify=50 '
check_zero_bytes 1
check_log fail blocked pinned.test 1
check_reason "no pins learned yet"
check_no_record pinned.test
case_end

# A resumption is never learned from: a session the shim knows nothing of is
# not even offered (DESIGN 3.5), so the handshake is a full one, and that is
# what is learned (a verified chain), never the session's leaf alone.
case_begin "a session taken without the shim is not resumed: the full handshake is verified and learned from"
use_server genuine12
mark
run_plain "$TEST_CLIENT" --host 127.0.0.1 --port "$SERVER_PORT" --sni pinned.test --cafile "$PKI/root.pem" \
    --tls 1.2 --sess-out "$T/sess.pem"
[ "$RC" = 0 ] && [ -s "$T/sess.pem" ] || case_fail "no session saved (exit $RC)"
wait_conns 1 || case_fail "server did not finish the saving connection"
mark
cl genuine12 pinned.test --cafile "$PKI/root.pem" --tls 1.2 --sess-in "$T/sess.pem"
check_rc 0
check_out_has 'result=ok reused=0 '
wait_conns 1 || true
check_conn 'resumed=0'
check_log pass allowed pinned.test 1
check_record pinned.test chain "$PIN_LEAF" "$PIN_INT" "$PIN_ROOT"
check_record good.test leaf "$PIN_LEAF"
case_end

case_begin "after all that, a verified full handshake learns again (genuine chain)"
cl genuine pinned.test --cafile "$PKI/root.pem"
check_rc 0
check_record pinned.test chain "$PIN_LEAF" "$PIN_INT" "$PIN_ROOT"
check_log pass allowed pinned.test 1
case_end

case_begin "pinshim tofu trust pinned.test --pin LEAF2: the record is set to that pin; genuine leaf then blocked, leaf2 passes"
pinshim_tofu trust pinned.test --pin "sha256/$PIN_LEAF2"
check_rc 0
check_out_has '^pinned\.test now trusts 1 pin\(s\) \(chain\)'
check_record pinned.test chain "$PIN_LEAF2"
check_record good.test leaf "$PIN_LEAF"
check_state_syntax
check_state_dir
pinshim_tofu list
grep -qxF "    sha256/$PIN_LEAF2" "$OUT" || case_fail "list does not show the trusted pin"
cl genuine pinned.test --cafile "$PKI/root.pem"
check_rc 2
check_out_has 'result=refused .*err=1 verify=50 '
check_log fail blocked pinned.test 1
: > "$LOG"
cl renewed pinned.test --cafile "$PKI/root.pem"
check_rc 0
check_log pass allowed pinned.test 1
case_end

case_begin "pinshim tofu trust with curl's sha256// form and two pins, kind leaf for good.test"
pinshim_tofu trust good.test --pin "sha256//$PIN_LEAF" --pin "sha256/$PIN_LEAF2"
check_rc 0
check_record good.test leaf "$PIN_LEAF" "$PIN_LEAF2"
cl renewed good.test --cafile "$PKI/root.pem"
check_rc 0
case_end

# ---- a state that cannot be read or written ----

mkdir -p "$T/ro"
echo "a regular file" > "$T/ro/afile"
BAD_STATE=$T/ro/afile/tofu.state
CONF_BAD=$T/pinshim-badstate.conf
write_tofu_conf "$CONF_BAD" "$BAD_STATE" failures

case_begin "state under a regular file (ENOTDIR): a verified first use passes with a 'warning' about the state in the JSON log, nothing created"
CONF_SAVED=$CONF
CONF=$CONF_BAD
cl genuine pinned.test --cafile "$PKI/root.pem"
check_rc 0
check_out_has '^handshake who=main sni=pinned\.test result=ok '
check_log pass allowed pinned.test 1
"$PYTHON3" - "$LOG" "$BAD_STATE" > "$T/warn.out" 2>&1 <<'PYEOF' || case_fail "$(cat "$T/warn.out")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
w = [o.get("warning") for o in lines if o.get("host") == "pinned.test"]
if not w or not all(w):
    sys.exit("no warning field on the pinned.test lines: %r" % w)
if not any(sys.argv[2] in x and "state" in x for x in w):
    sys.exit("the warning does not name the state %s: %r" % (sys.argv[2], w))
print(w[0])
PYEOF
diag "warning: $(cat "$T/warn.out")"
check_err_has 'WARNING: .*state'
[ -f "$T/ro/afile" ] && [ "$(cat "$T/ro/afile")" = "a regular file" ] || case_fail "the regular file changed"
CONF=$CONF_SAVED
case_end

case_begin "state under a regular file: an unverified chain (curl -k) is still judged and blocked, no crash"
CONF=$CONF_BAD
curl_to selfsigned pinned.test -k
check_rc_not 0
[ "$RC" -lt 128 ] || case_fail "curl died of a signal (exit $RC)"
check_zero_bytes 1
check_log fail blocked pinned.test 1
CONF=$CONF_SAVED
case_end

NODIR_STATE=$T/no-such-dir/tofu.state
CONF_NODIR=$T/pinshim-nodir.conf
write_tofu_conf "$CONF_NODIR" "$NODIR_STATE" failures

case_begin "state in a directory that does not exist: a verified first use passes (curl) with a 'warning' that it could not be recorded; the directory is not created"
CONF=$CONF_NODIR
curl_to genuine pinned.test --cacert "$PKI/root.pem"
check_rc 0
check_out_has 'pinshim test server: ok'
check_log pass allowed pinned.test 1
grep -q '"warning":"[^"]*no-such-dir' "$LOG" || case_fail "no warning naming the state's path in the JSON log"
[ ! -e "$T/no-such-dir" ] || case_fail "$T/no-such-dir was created"
CONF=$CONF_SAVED
case_end

case_begin "state in a directory that does not exist: tls_client verified passes, unverified (--insecure, self-signed) blocked, no crash"
CONF=$CONF_NODIR
cl genuine pinned.test --cafile "$PKI/root.pem"
check_rc 0
cl selfsigned pinned.test --insecure
check_rc 2
check_out_has 'result=refused .*verify=50 '
CONF=$CONF_SAVED
case_end

# ---- a key whose pin starts with '/' ----
# Its pin in the usual form is "sha256//X..." (X... 43 characters): the parser
# must not take it for curl's sha256// form with a 42-character base64.  The
# state file holds pins in the usual form, so such a learned record must be
# read back, or trust on first use learns every chain again.

SLASH_KEY=""
for try in $(seq 1 1500); do
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$PKI/slash.key" 2>/dev/null ||
        hard_error "genpkey failed"
    p=$(openssl pkey -in "$PKI/slash.key" -pubout -outform DER 2>/dev/null | openssl dgst -sha256 -binary | base64)
    case $p in
    /*) SLASH_KEY=$PKI/slash.key; break ;;
    esac
done
[ -n "$SLASH_KEY" ] || hard_error "no key with a pin starting with '/' in 1500 tries"
(
    cd "$PKI" &&
        openssl req -new -key slash.key -subj "/O=pinshim test/CN=pinned.test" -out slash.csr 2>/dev/null &&
        openssl x509 -req -in slash.csr -CA int.pem -CAkey int.key -set_serial "$(_serial)" -days 30 -sha256 \
            -extfile ext.cnf -extensions v3_leaf -out slash.pem 2>/dev/null &&
        cat slash.pem int.pem > chain-slash.pem
) || hard_error "cannot make the slash leaf"
PIN_SLASH=$(pin_of "$PKI/slash.pem")
echo "# a leaf key whose pin starts with '/' after $try key(s): sha256/$PIN_SLASH"
start_server -n slash "$PKI/chain-slash.pem" "$PKI/slash.key" || hard_error "server slash"

SLASH_DIR=$T/state-slash
mkdir -p "$SLASH_DIR"
CONF_SLASH=$T/pinshim-slash.conf
{
    echo "state = \"$SLASH_DIR/tofu.state\";"
    echo "log = { stderr = true; syslog = false; json = \"$LOG\"; verdicts = \"all\"; };"
    echo 'hosts = ( { name = "pinned.test"; tofu = "leaf"; } );'
} > "$CONF_SLASH"

case_begin "leaf key whose pin starts with '/', tofu=leaf: learned, and the record is read back: pinshim tofu list shows it"
CONF=$CONF_SLASH
cl slash pinned.test --cafile "$PKI/root.pem"
check_rc 0
grep -qxF "pinned.test leaf sha256/$PIN_SLASH $(awk '{ print $4 }' "$SLASH_DIR/tofu.state" 2>/dev/null | tail -n 1)" \
    "$SLASH_DIR/tofu.state" 2>/dev/null ||
    case_fail "the state lacks the record 'pinned.test leaf sha256/$PIN_SLASH TIME': $(cat "$SLASH_DIR/tofu.state" 2>/dev/null)"
pinshim_tofu list
check_rc 0
check_out_has '^pinned\.test +leaf +learned '
grep -qxF "    sha256/$PIN_SLASH" "$OUT" || case_fail "list does not show sha256/$PIN_SLASH"
CONF=$CONF_SAVED
case_end

case_begin "leaf key whose pin starts with '/': an impostor the client trusts is then blocked, the record stays"
CONF=$CONF_SLASH
cp "$SLASH_DIR/tofu.state" "$T/slash.learned" 2>/dev/null
cl attacker pinned.test --cafile "$PKI/attacker-root.pem"
check_rc 2
check_out_has 'result=refused .*err=1 verify=50 '
check_zero_bytes 1
cmp -s "$SLASH_DIR/tofu.state" "$T/slash.learned" ||
    case_fail "the state changed: $(cat "$SLASH_DIR/tofu.state")"
CONF=$CONF_SAVED
case_end

case_begin "pinshim tofu trust with a pin in the usual form that starts with '/' (sha256//...): accepted"
CONF=$CONF_SLASH
pinshim_tofu trust pinned.test --pin "sha256/$PIN_SLASH"
check_rc 0
check_out_has '^pinned\.test now trusts 1 pin'
CONF=$CONF_SAVED
case_end

case_begin "a config pin in the usual form that starts with '/' (sha256//...) is accepted, and passes"
write_conf "$T/pinshim-slash-pins.conf" pinned.test "sha256/$PIN_SLASH"
CONF=$T/pinshim-slash-pins.conf
cl slash pinned.test --cafile "$PKI/root.pem"
check_rc 0
check_err_lacks 'bad pin'
CONF=$CONF_SAVED
case_end

case_begin "pinshim tofu list with a state whose folder is missing: no records, and why nothing can be learned there"
CONF_SAVED=$CONF
CONF=$T/pinshim-nostate.conf
write_tofu_conf "$CONF" "$T/nowhere/tofu.state"
pinshim_tofu list
check_rc 0
check_out_has "^no records in $T/nowhere/tofu\\.state\$"
check_err_has "tofu: $T/nowhere/tofu\\.state: its folder $T/nowhere is missing: trust on first use learns nothing"
CONF=$CONF_SAVED
case_end

finish
