#!/bin/bash
# t_stderr.sh - what a host program's stderr carries (DESIGN 5, issue 13).
# log.stderr = true (the default): refusals, failures allowed only by report
# mode, errors (a config that cannot be read, a TOFU state that cannot be
# written) and NOT COVERED notices; passes, unpinned hosts allowed by the
# policy, expired entries and expiry warnings go to syslog and the JSON log
# only.  "all": every logged verdict on stderr too.  false: nothing -- but a
# config that failed to load cannot have said false, so its error is told.
# Each case also reads the JSON log: the quiet verdicts are logged, not lost.
# log.syslog = "json" (issue 13): verdicts at /dev/log as "@cee: " + the JSON
# object (a reader at /dev/log in a private mount namespace).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gnutls_lib.sh"

common_setup
start_server "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server did not start"

# tc [ARGS...]: tls_client to pinned.test (verified against the test root).
tc() {
    client --sni "${SNI:-pinned.test}" --cafile "$PKI/root.pem" --send "stderr $$" "$@"
}

# no_pinshim_line: not one line of the library on the program's stderr.
no_pinshim_line() {
    ! grep -q 'pinshim' "$ERR" || case_fail "stderr has a pinshim line: $(grep pinshim "$ERR" | head -c 400)"
}

# one_pinshim_line REGEX: exactly one line of the library, matching REGEX.
one_pinshim_line() {
    local n
    n=$(grep -c 'pinshim' "$ERR")
    [ "$n" = 1 ] || case_fail "expected one pinshim line on stderr, got $n: $(grep pinshim "$ERR" | head -c 400)"
    check_err_has "$1"
}

# check_warning_logged HOST RE: the JSON log has a pass for HOST whose
# warning field matches RE.
check_warning_logged() {
    "$PYTHON3" - "$LOG" "$1" "$2" > "$T/warn.out" 2>&1 <<'PY' || case_fail "JSON log: $(cat "$T/warn.out")"
import json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
hits = [o for o in lines if o.get("host") == sys.argv[2] and o.get("verdict") == "pass"
        and re.search(sys.argv[3], o.get("warning") or "")]
assert len(hits) == 1, "%d matching records: %s" % (len(hits), lines)
PY
}

# ---------------------------------------------------------- the default ---

write_conf "$CONF" -e true pinned.test "$PIN_INT"
case_begin "stderr = true, right pin, verdicts = all (tls_client): passes, not a word on stderr; the JSON log has the pass"
tc
check_rc 0
check_received "stderr $$"
no_pinshim_line
check_log pass allowed pinned.test 1
case_end

# The library's own default, with no log.stderr at all.
cat > "$CONF" <<EOF
# written by $TEST_NAME
log = { syslog = false; json = "$LOG"; verdicts = "all"; };
hosts = ( { name = "pinned.test"; pins = [ "sha256/$PIN_INT" ]; } );
EOF
case_begin "log.stderr not set (default true), right pin: passes, not a word on stderr; the JSON log has the pass"
tc
check_rc 0
no_pinshim_line
check_log pass allowed pinned.test 1
case_end

if command -v curl >/dev/null 2>&1; then
    write_conf "$CONF" -e true pinned.test "$PIN_INT"
    case_begin "stderr = true, right pin (curl): the page, not a word on stderr; the JSON log has the pass"
    run_preloaded curl -sS --max-time 20 --cacert "$PKI/root.pem" \
        --resolve "pinned.test:$SERVER_PORT:127.0.0.1" "https://pinned.test:$SERVER_PORT/"
    check_rc 0
    check_out_has 'pinshim test server: ok'
    no_pinshim_line
    check_log pass allowed pinned.test 1
    case_end
else
    skip "curl not installed"
fi

if require_gnutls_client 2>/dev/null; then
    gcv() {
        run_preloaded "$GNUTLS_CLIENT" --host 127.0.0.1 --port "$SERVER_PORT" --deadline 25 --sni pinned.test \
            --verify-host sni --cafile "$PKI/root.pem" "$@"
    }
    write_conf "$CONF" -e true pinned.test "$PIN_INT"
    case_begin "stderr = true, right pin (GnuTLS client): passes, not a word on stderr; the JSON log has the pass"
    gcv
    check_rc 0
    no_pinshim_line
    check_log pass allowed pinned.test 1
    case_end

    write_conf "$CONF" -e true pinned.test "$PIN_UNRELATED"
    case_begin "stderr = true, wrong pin (GnuTLS client): refused, the BLOCKED line on stderr"
    gcv
    check_rc 2
    one_pinshim_line '^pinshim: BLOCKED pinned\.test:[0-9]+ .* verdict fail, mode enforce: '
    check_log fail blocked pinned.test 1
    case_end
else
    skip "GnuTLS client (gnutls_client not available)"
fi

write_conf "$CONF" -e true -v failures "pinned.test{warn_days = 1000;}" "$PIN_LEAF"
case_begin "stderr = true, a pass with an expiry warning (verdicts = failures): not on stderr; in the JSON log with its warning"
tc
check_rc 0
no_pinshim_line
check_log pass allowed pinned.test 1
check_warning_logged pinned.test 'the pinned certificate expires on'
case_end

write_conf "$CONF" -e true -v failures "pinned.test{expires = \"2020-01-01\";}" "$PIN_UNRELATED"
case_begin "stderr = true, an expired entry (not enforced, wrong pin): allowed, not on stderr; the JSON log has it (expired)"
tc
check_rc 0
check_received "stderr $$"
no_pinshim_line
check_log expired allowed pinned.test 1
case_end

write_conf "$CONF" -e true -u allow good.test "$PIN_INT"
case_begin "stderr = true, an unpinned host allowed by the policy (verdicts = all): not on stderr; the JSON log has it"
tc
check_rc 0
no_pinshim_line
check_log unpinned allowed pinned.test 1
case_end

write_conf "$CONF" -e true -v failures pinned.test "$PIN_UNRELATED"
case_begin "stderr = true, wrong pin in enforce mode: refused, the BLOCKED line on stderr, the JSON log has it"
tc
check_rc 2
check_zero_bytes 1
one_pinshim_line '^pinshim: BLOCKED pinned\.test:[0-9]+ .* verdict fail, mode enforce: '
check_log fail blocked pinned.test 1
case_end

write_conf "$CONF" -e true -v failures -m report pinned.test "$PIN_UNRELATED"
case_begin "stderr = true, wrong pin in report mode: allowed, the failure on stderr (what a tester behind a proxy wants), and in the JSON log"
tc
check_rc 0
check_received "stderr $$"
one_pinshim_line '^pinshim: allowed pinned\.test:[0-9]+ .* verdict fail, mode report: '
check_log fail allowed pinned.test 1
case_end

write_conf "$CONF" -e true -v failures -m report -u block good.test "$PIN_INT"
case_begin "stderr = true, report mode, unpinned = block, a host with no entry: allowed only by report mode, so on stderr"
tc
check_rc 0
one_pinshim_line '^pinshim: allowed pinned\.test:[0-9]+ .* verdict unpinned, mode report: '
check_log unpinned allowed pinned.test 1
case_end

cat > "$CONF" <<EOF
# written by $TEST_NAME
log = { stderr = true; syslog = false; json = "$LOG"; verdicts = "all"; };
hosts = ( { name = "pinned.test"; pins = [ "sha256/$PIN_INT" ]; }
EOF
case_begin "stderr = true, a config with a syntax error: refused, verdict error with FILE:LINE on stderr"
tc
check_rc 2
check_zero_bytes 1
one_pinshim_line "^pinshim: BLOCKED pinned\\.test:[0-9]+ .* verdict error, .*$CONF:[0-9]+: "
case_end

STATE_NOWHERE=$T/no-such-dir/tofu.state
cat > "$CONF" <<EOF
# written by $TEST_NAME
state = "$STATE_NOWHERE";
log = { stderr = true; syslog = false; json = "$LOG"; verdicts = "failures"; };
hosts = ( { name = "pinned.test"; tofu = "leaf"; } );
EOF
case_begin "stderr = true, TOFU, the state cannot be written: the connection passes, pinshim's own trouble is on stderr and in the JSON log"
tc
check_rc 0
check_received "stderr $$"
one_pinshim_line '^pinshim: allowed pinned\.test:[0-9]+ .* verdict pass, .*WARNING: cannot record the pins learned on first use'
check_log pass allowed pinned.test 1
case_end

# A process doing TLS through a library pinshim cannot judge (an OpenSSL
# linked into the program, exporting its functions; t_uncovered.sh has more).
cat > "$T/ownssl.c" <<'C'
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
int SSL_do_handshake(void *s);
int SSL_do_handshake(void *s)
{
    (void)s;
    return 1;
}
int main(int argc, char **argv)
{
    if (argc < 2)
        return 1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1])) };
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        return 1;
    close(fd);
    printf("connected %d\n", SSL_do_handshake(&a));
    return 0;
}
C
if ${CC:-cc} -Wall -Wextra -O1 -rdynamic -o "$T/ownssl" "$T/ownssl.c" >"$T/cc.log" 2>&1; then
    write_conf "$CONF" -e true -v failures pinned.test "$PIN_UNRELATED"
    case_begin "stderr = true, a program with its own OpenSSL: the NOT COVERED notice is on stderr"
    run_preloaded "$T/ownssl" "$SERVER_PORT"
    check_rc 0
    check_out_has '^connected 1$'
    one_pinshim_line '^pinshim: NOT COVERED: ownssl\[[0-9]+\]: '
    case_end
else
    skip "NOT COVERED notice (ownssl does not build: $(head -c 200 "$T/cc.log"))"
fi

# ---------------------------------------------------------------- false ---

write_conf "$CONF" -e false -v failures pinned.test "$PIN_UNRELATED"
case_begin "stderr = false, wrong pin: refused, not a word on stderr; the JSON log has the refusal"
tc
check_rc 2
check_zero_bytes 1
no_pinshim_line
check_log fail blocked pinned.test 1
case_end

write_conf "$CONF" -e false -v failures -m report pinned.test "$PIN_UNRELATED"
case_begin "stderr = false, wrong pin in report mode: allowed, not a word on stderr; the JSON log has the failure"
tc
check_rc 0
no_pinshim_line
check_log fail allowed pinned.test 1
case_end

cat > "$CONF" <<EOF
# written by $TEST_NAME
log = { stderr = false; syslog = false; json = "$LOG"; verdicts = "all"; };
hosts = ( { name = "pinned.test"; pins = [ "sha256/nonsense" ]; } );
EOF
case_begin "stderr = false in a config that cannot be loaded (bad pin): the error is still on stderr, FILE:LINE"
tc
check_rc 2
one_pinshim_line "^pinshim: BLOCKED pinned\\.test:[0-9]+ .* verdict error, .*$CONF:3: "
case_end

# ------------------------------------------------------------------ all ---

write_conf "$CONF" -e '"all"' pinned.test "$PIN_INT"
case_begin "stderr = \"all\", right pin, verdicts = all: the pass is on stderr too"
tc
check_rc 0
one_pinshim_line '^pinshim: allowed pinned\.test:[0-9]+ .* verdict pass, mode enforce: '
check_log pass allowed pinned.test 1
case_end

write_conf "$CONF" -e '"all"' -v failures "pinned.test{warn_days = 1000;}" "$PIN_LEAF"
case_begin "stderr = \"all\", a pass with an expiry warning: on stderr with its WARNING"
tc
check_rc 0
one_pinshim_line '^pinshim: allowed pinned\.test:[0-9]+ .* verdict pass, .*WARNING: the pinned certificate expires on '
check_warning_logged pinned.test 'the pinned certificate expires on'
case_end

write_conf "$CONF" -e '"all"' -v failures pinned.test "$PIN_INT"
case_begin "stderr = \"all\", verdicts = failures, right pin: a pass that is not logged is not on stderr either"
tc
check_rc 0
no_pinshim_line
[ ! -s "$LOG" ] || case_fail "JSON log: $(head -c 300 "$LOG")"
case_end

# -------------------------------------------------------- syslog = "json" ---

# log.syslog = "json": every verdict reaches /dev/log as "@cee: " and the very
# JSON object of the JSON log (CEE, what rsyslog's mmjsonparse reads), the
# coalesced repeat line too; one that would not fit the datagram whole goes
# as the human line.  true keeps the human line.  In a private mount
# namespace /dev is a fresh tmpfs with a reader at /dev/log (devlog.py); the
# system's /dev is never touched.
cat > "$T/ns.sh" <<'NSEOF'
# ns.sh GOT CMD...: inside `unshare -m`: a fresh /dev, a reader at /dev/log
# appending each datagram to GOT; then CMD.
set -u
got=$1
shift
. "$NS_LIB/fresh_dev.sh"
"$PYTHON3" "$DEVLOG_PY" dgram-read "$got" &
reader=$!
for _ in $(seq 1 200); do
    [ -e "$got.ready" ] && break
    sleep 0.05
done
[ -e "$got.ready" ] || exit 97
"$@"
rc=$?
: > "$got.stop"
wait "$reader"
exit $rc
NSEOF

GOT=$T/syslog.got
# ns_run CMD...: CMD preloaded (bounded), in the namespace; sets OUT ERR RC.
ns_run() {
    rm -f "$GOT" "$GOT.ready" "$GOT.stop"
    _RUN_N=$((_RUN_N + 1))
    OUT=$T/run$_RUN_N.out
    ERR=$T/run$_RUN_N.err
    RUN_CMD="(unshare -m, a reader at /dev/log) $*"
    timeout -k 5 60 env NS_T="$T" NS_LIB="$_lib_dir" PYTHON3="$PYTHON3" DEVLOG_PY="$_lib_dir/devlog.py" unshare -m --propagation private \
        bash "$T/ns.sh" "$GOT" env LD_PRELOAD="${PINSHIM_PRELOAD:-$PINSHIM_LIB}" PINSHIM_CONFIG="$CONF" \
        "$@" >"$OUT" 2>"$ERR"
    RC=$?
    [ "$RC" = 97 ] && case_fail "namespace set-up failed: $(head -c 300 "$ERR")"
    check_timeout
}

# check_syslog FORM EXPECT...: what arrived at /dev/log against the JSON log.
#   FORM cee: every message is "<PRI>pinshim[PID]: @cee: {...}", its object
#     json.loads-able and equal to one line of the JSON log, one for one.
#   FORM human: no message has "@cee:"; one message per JSON log line.
#   EXPECT: VERDICT=EVENTS (sum of repeat, absent = 1, over the messages),
#     lines=N (messages), repeats=N (messages with "repeat"), pri:VERDICT=P
#     (the syslog priority of that verdict's messages), human:REGEX (some
#     message is the human line matching REGEX).
check_syslog() {
    "$PYTHON3" - "$GOT" "$LOG" "$@" > "$T/syslog.check" 2>&1 <<'PY' || case_fail "syslog: $(cat "$T/syslog.check")"
import json, re, sys
got, log, form = sys.argv[1], sys.argv[2], sys.argv[3]
raw = [m for m in open(got, "rb").read().split(b"\n") if m]
assert raw, "nothing arrived at /dev/log"
msgs = []
for m in raw:
    mm = re.match(rb"^<(\d+)>pinshim\[(\d+)\]: (.*)$", m, re.S)
    assert mm, "not a pinshim syslog message: %r" % m[:300]
    msgs.append((int(mm.group(1)), mm.group(3).decode("utf-8")))
logged = [json.loads(l) for l in open(log) if l.strip()]
cee = [(pri, json.loads(body[6:])) for pri, body in msgs if body.startswith("@cee: ")]
human = [body for pri, body in msgs if not body.startswith("@cee: ")]
key = lambda o: json.dumps(o, sort_keys=True)
if form == "cee":
    assert not human, "messages that are not @cee: %r" % [h[:200] for h in human]
    assert all(isinstance(o, dict) for _, o in cee), "an @cee: message that is not an object"
    assert sorted(key(o) for _, o in cee) == sorted(key(o) for o in logged), \
        "the @cee objects are not the JSON log's lines:\n%s\n---\n%s" % (
            "\n".join(key(o)[:300] for _, o in cee), "\n".join(key(o)[:300] for o in logged))
else:
    assert not cee, "@cee: messages: %r" % [key(o)[:200] for _, o in cee]
    assert len(human) == len(logged), "%d messages for %d JSON log lines" % (len(human), len(logged))
for want in sys.argv[4:]:
    name, _, value = want.partition("=") if not want.startswith("human:") else ("human", "", want[6:])
    if name == "human":
        assert any(re.search(value, h) for h in human), "no human line matches /%s/: %r" % (value, [h[:200] for h in human])
    elif name == "lines":
        assert len(msgs) == int(value), "%d messages, expected %s" % (len(msgs), value)
    elif name == "repeats":
        n = sum(1 for _, o in cee if "repeat" in o)
        assert n == int(value), "%d messages with repeat, expected %s" % (n, value)
    elif name.startswith("pri:"):
        pris = {pri for pri, o in cee if o.get("verdict") == name[4:]}
        assert pris == {int(value)}, "priorities of %s: %s, expected %s" % (name[4:], pris, value)
    else:
        n = sum(o.get("repeat", 1) for _, o in cee if o.get("verdict") == name)
        assert n == int(value), "%s: %d events in @cee messages, expected %s" % (name, n, value)
PY
}

# syslog_conf VALUE ARGS...: write_conf ARGS, with log.syslog = VALUE.
syslog_conf() {
    local v=$1
    shift
    write_conf "$CONF" "$@"
    sed -i "s/syslog = false;/syslog = $v;/" "$CONF"
    grep -qF "syslog = $v;" "$CONF" || hard_error "syslog_conf: no syslog line in $CONF"
}

NS_SYSLOG=0
if command -v unshare >/dev/null 2>&1 && [ "$(id -u)" = 0 ] &&
    timeout 10 unshare -m --propagation private sh -c \
        "mkdir -p '$T/nsprobe' && mount -t tmpfs none '$T/nsprobe' && umount '$T/nsprobe'" 2>/dev/null; then
    NS_SYSLOG=1
fi

if [ $NS_SYSLOG = 1 ]; then
    # pinned.test passes, bad.test fails (report mode: allowed); three of
    # each in one process: one line at once and one "repeat": 2 at exit.
    syslog_conf '"json"' -e false -m report pinned.test "$PIN_INT" bad.test "$PIN_UNRELATED"
    case_begin "syslog = \"json\", report mode: passes, failures and their coalesced repeats reach /dev/log as @cee: + the JSON log's objects"
    ns_run "$TEST_CLIENT" --host 127.0.0.1 --port "$SERVER_PORT" --cafile "$PKI/root.pem" \
        --threads 1 --count 6 --hosts pinned.test,bad.test --send "syslog json"
    check_rc 0
    check_out_has '^summary total ok=6 refused=0 '
    no_pinshim_line
    check_log pass allowed pinned.test 3
    check_log fail allowed bad.test 3
    check_log_fields
    # LOG_AUTHPRIV (10 << 3) | LOG_INFO (6) for a pass, | LOG_WARNING (4) for a failure
    check_syslog cee pass=3 fail=3 lines=4 repeats=2 pri:pass=86 pri:fail=84
    case_end

    syslog_conf '"json"' -e false -v failures pinned.test "$PIN_UNRELATED"
    case_begin "syslog = \"json\", enforce mode, wrong pin twice: the refusal and its repeat as @cee: objects (LOG_ERR)"
    ns_run "$TEST_CLIENT" --host 127.0.0.1 --port "$SERVER_PORT" --cafile "$PKI/root.pem" \
        --threads 1 --count 2 --hosts pinned.test
    check_rc 2
    check_log fail blocked pinned.test 2
    check_syslog cee fail=2 lines=2 repeats=1 pri:fail=83
    case_end

    syslog_conf '"json"' -e false -v all bad.test "$PIN_UNRELATED"
    case_begin "syslog = \"json\", no JSON log file: the @cee: objects still arrive"
    sed -i 's/ json = "[^"]*";//' "$CONF"
    ns_run "$TEST_CLIENT" --host 127.0.0.1 --port "$SERVER_PORT" --cafile "$PKI/root.pem" \
        --threads 1 --count 3 --hosts pinned.test,bad.test,pinned.test
    check_rc 2
    [ ! -s "$LOG" ] || case_fail "a JSON log was written: $(head -c 300 "$LOG")"
    "$PYTHON3" - "$GOT" > "$T/nolog.check" 2>&1 <<'PY' || case_fail "syslog: $(cat "$T/nolog.check")"
import json, sys
objs = [json.loads(m.split(b"@cee: ", 1)[1]) for m in open(sys.argv[1], "rb").read().split(b"\n") if m]
ev = {}
for o in objs:
    ev[(o["host"], o["verdict"], o["action"])] = ev.get((o["host"], o["verdict"], o["action"]), 0) + o.get("repeat", 1)
assert ev == {("pinned.test", "unpinned", "allowed"): 2, ("bad.test", "fail", "blocked"): 1}, ev
assert len(objs) == 3, objs
PY
    case_end

    # 300 pins: the failure's JSON object is far longer than a datagram.
    many=$("$PYTHON3" -c 'import base64, os; print(",".join(base64.b64encode(os.urandom(32)).decode() for _ in range(300)))')
    syslog_conf '"json"' -e false -m report pinned.test "$PIN_INT" bad.test "$many"
    case_begin "syslog = \"json\", a record longer than the datagram: the human line, never a cut JSON object"
    ns_run "$TEST_CLIENT" --host 127.0.0.1 --port "$SERVER_PORT" --cafile "$PKI/root.pem" \
        --threads 1 --count 2 --hosts pinned.test,bad.test
    check_rc 0
    check_log fail allowed bad.test 1
    check_log pass allowed pinned.test 1
    "$PYTHON3" - "$GOT" "$LOG" > "$T/long.check" 2>&1 <<'PY' || case_fail "syslog: $(cat "$T/long.check")"
import json, sys
msgs = [m.decode() for m in open(sys.argv[1], "rb").read().split(b"\n") if m]
logged = [l for l in open(sys.argv[2]) if l.strip()]
assert max(len(l) for l in logged) > 9000, "the long record is only %d bytes" % max(len(l) for l in logged)
assert len(msgs) == 2, "%d messages: %r" % (len(msgs), [m[:200] for m in msgs])
cee = [m for m in msgs if "@cee:" in m]
assert len(cee) == 1 and json.loads(cee[0].split("@cee: ", 1)[1])["host"] == "pinned.test", [m[:200] for m in cee]
human = [m for m in msgs if "@cee:" not in m]
assert len(human) == 1 and "]: allowed bad.test:" in human[0] and "verdict fail, mode report" in human[0], \
    [m[:300] for m in human]
PY
    case_end

    if [ -x "$T/ownssl" ]; then
        syslog_conf '"json"' -e false -v failures pinned.test "$PIN_UNRELATED"
        case_begin "syslog = \"json\", a program with its own OpenSSL: the NOT COVERED notice as an @cee: object (verdict uncovered)"
        ns_run "$T/ownssl" "$SERVER_PORT"
        check_rc 0
        check_out_has '^connected 1$'
        check_log uncovered allowed '' 1
        check_syslog cee uncovered=1 lines=1
        case_end
    fi

    syslog_conf true -e false -m report pinned.test "$PIN_INT" bad.test "$PIN_UNRELATED"
    case_begin "syslog = true: the human lines, not @cee:, repeats as \"[N more times within 60 s]\""
    ns_run "$TEST_CLIENT" --host 127.0.0.1 --port "$SERVER_PORT" --cafile "$PKI/root.pem" \
        --threads 1 --count 4 --hosts pinned.test,bad.test
    check_rc 0
    check_log pass allowed pinned.test 2
    check_log fail allowed bad.test 2
    check_syslog human lines=4 'human:^allowed pinned\.test:[0-9]+ .* verdict pass, mode report: ' \
        'human:^allowed bad\.test:[0-9]+ .* verdict fail, mode report: .*\[1 more times within 60 s\]$'
    case_end

    syslog_conf false -e false -m report pinned.test "$PIN_INT" bad.test "$PIN_UNRELATED"
    case_begin "syslog = false: nothing at /dev/log"
    ns_run "$TEST_CLIENT" --host 127.0.0.1 --port "$SERVER_PORT" --cafile "$PKI/root.pem" \
        --threads 1 --count 2 --hosts pinned.test,bad.test
    check_rc 0
    check_log fail allowed bad.test 1
    [ ! -s "$GOT" ] || case_fail "syslog got: $(head -c 300 "$GOT")"
    case_end
else
    skip "syslog = \"json\" at /dev/log (needs root and unshare -m with tmpfs mounts)"
fi

for bad in '"JSON"' '"cee"' '"human"' '1'; do
    syslog_conf "$bad" pinned.test "$PIN_INT"
    line=$(grep -n 'syslog = ' "$CONF" | cut -d: -f1)
    case_begin "syslog = $bad: the config is refused with $CONF:$line, the connection too"
    tc
    check_rc 2
    check_err_has "$CONF:$line: syslog must be true, false or \"json\""
    case_end
done

# ------------------------------------------------------------ the value ---

for bad in '"yes"' '"All"' '"failures"' '1'; do
    write_conf "$CONF" -e "$bad" pinned.test "$PIN_INT"
    line=$(grep -n 'stderr = ' "$CONF" | cut -d: -f1)
    case_begin "stderr = $bad: the config is refused with $CONF:$line, the connection too"
    tc
    check_rc 2
    check_err_has "$CONF:$line: stderr must be true, false or \"all\""
    case_end
done

need_pinshim_bin
write_conf "$CONF" -e '"all"' pinned.test "$PIN_INT"
case_begin "pinshim check: stderr = \"all\" is a valid config"
run_plain "$PINSHIM_BIN" check "$CONF"
check_rc 0
check_err_lacks 'stderr must'
check_out_has ' 0 errors'
case_end

syslog_conf '"json"' -e '"all"' pinned.test "$PIN_INT"
case_begin "pinshim check: syslog = \"json\" is a valid config"
run_plain "$PINSHIM_BIN" check "$CONF"
check_rc 0
check_err_lacks 'syslog must'
check_out_has ' 0 errors'
case_end

syslog_conf '"cee"' pinned.test "$PIN_INT"
line=$(grep -n 'syslog = ' "$CONF" | cut -d: -f1)
case_begin "pinshim check: syslog = \"cee\" is an error with FILE:LINE"
run_plain "$PINSHIM_BIN" check "$CONF"
check_rc_not 0
check_err_has "$CONF:$line: syslog must be true, false or \"json\""
case_end

write_conf "$CONF" -e '"loud"' pinned.test "$PIN_INT"
line=$(grep -n 'stderr = ' "$CONF" | cut -d: -f1)
case_begin "pinshim check: stderr = \"loud\" is an error with FILE:LINE"
run_plain "$PINSHIM_BIN" check "$CONF"
check_rc_not 0
check_err_has "$CONF:$line: stderr must be true, false or \"all\""
case_end

finish
