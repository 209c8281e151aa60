#!/bin/bash
# t_stderr.sh - what a host program's stderr carries (DESIGN 5, issue 13).
# log.stderr = true (the default): refusals, failures allowed only by report
# mode, errors (a config that cannot be read, a TOFU state that cannot be
# written) and NOT COVERED notices; passes, unpinned hosts allowed by the
# policy, expired entries and expiry warnings go to syslog and the JSON log
# only.  "all": every logged verdict on stderr too.  false: nothing -- but a
# config that failed to load cannot have said false, so its error is told.
# Each case also reads the JSON log: the quiet verdicts are logged, not lost.
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

write_conf "$CONF" -e '"loud"' pinned.test "$PIN_INT"
line=$(grep -n 'stderr = ' "$CONF" | cut -d: -f1)
case_begin "pinshim check: stderr = \"loud\" is an error with FILE:LINE"
run_plain "$PINSHIM_BIN" check "$CONF"
check_rc_not 0
check_err_has "$CONF:$line: stderr must be true, false or \"all\""
case_end

finish
