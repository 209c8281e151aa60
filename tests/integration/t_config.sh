#!/bin/bash
# t_config.sh - configuration errors (FILE:LINE, fail closed for TLS, no
# effect at all on programs without TLS), the shipped sample config, and how
# entries are matched (case, trailing dot, wildcard, include_subdomains, most
# specific entry, port, expires).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_cmd curl cmp
common_setup
start_server -n main "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server"

GOOD="sha256/$PIN_LEAF"
HEAD_LINES='mode = "enforce";
unpinned = "allow";
log = { stderr = true; syslog = false; json = "'"$LOG"'"; verdicts = "all"; };'

tc() {  # a TLS client handshake to pinned.test that would pass with a valid config
    client --sni pinned.test --cafile "$PKI/root.pem" --send "config probe $$" "$@"
}

expect_config_block() {  # expect_config_block FILE LINE
    check_rc 2
    check_timeout
    check_out_has '^handshake .*result=refused .*err=1 verify=50 '
    check_err_has "$(printf '%s' "$1" | sed 's/[][\.*^$]/\\&/g'):$2: "
    check_zero_bytes 1
}

# bad_conf NAME LINE TEXT: TEXT is the whole file; LINE the line of the error
# ($HEAD_LINES is 3 lines).
bad_conf() {
    local name=$1 line=$2 text=$3
    CONF=$T/bad-$name.conf
    printf '%s\n' "$text" > "$CONF"
    case_begin "config error ($name): reported as FILE:$line on stderr, TLS blocked"
    tc
    expect_config_block "$CONF" "$line"
    case_end
}

bad_conf syntax 7 "$HEAD_LINES
hosts = (
  { name = \"pinned.test\"; pins = [ \"$GOOD\" ]; }
);
this is not libconfig ;;"

bad_conf base64 7 "$HEAD_LINES
hosts = (
  { name = \"pinned.test\";
    pins = [ \"$GOOD\",
             \"sha256/not*base64!@#\$%^&*()_not*base64!@#\$%^=\" ]; }
);"

bad_conf length 6 "$HEAD_LINES
hosts = (
  { name = \"pinned.test\";
    pins = [ \"sha256/$(head -c 20 /dev/zero | base64)\" ]; }
);"

bad_conf prefix 6 "$HEAD_LINES
hosts = (
  { name = \"pinned.test\";
    pins = [ \"sha1/$PIN_LEAF\" ]; }
);"

bad_conf bare-pin 6 "$HEAD_LINES
hosts = (
  { name = \"pinned.test\";
    pins = [ \"$PIN_LEAF\" ]; }
);"

bad_conf mode 2 "# a comment line
mode = \"enforcing\";
unpinned = \"allow\";
log = { stderr = true; syslog = false; json = \"$LOG\"; verdicts = \"all\"; };
hosts = ( { name = \"pinned.test\"; pins = [ \"$GOOD\" ]; } );"

bad_conf host-mode 7 "$HEAD_LINES
hosts = (
  { name = \"pinned.test\";
    pins = [ \"$GOOD\" ];
    mode = \"sometimes\"; }
);"

bad_conf unpinned 2 "mode = \"enforce\";
unpinned = \"maybe\";
log = { stderr = true; syslog = false; json = \"$LOG\"; verdicts = \"all\"; };
hosts = ( { name = \"pinned.test\"; pins = [ \"$GOOD\" ]; } );"

# Pins whose base64 starts with "/" (0xFC.. as the first byte): in the
# OkHttp form that is "sha256//...", which also starts like curl's prefix;
# the length tells them apart (44 base64 characters after the prefix).
SLASH_PIN=$(printf '\374' | cat - <(head -c 31 /dev/zero) | base64)
case $SLASH_PIN in
/*) ;;
*) hard_error "SLASH_PIN does not start with /: $SLASH_PIN" ;;
esac
for form in "sha256/" "sha256//"; do
    CONF=$T/slash.conf
    printf '%s\nhosts = ( { name = "pinned.test"; pins = [ "%s%s", "sha256/%s" ]; } );\n' \
        "$HEAD_LINES" "$form" "$SLASH_PIN" "${PIN_LEAF#/}" > "$CONF"
    [ "${PIN_LEAF#/}" = "$PIN_LEAF" ] || sed -i "s|\"sha256/${PIN_LEAF#/}\"|\"sha256//$PIN_LEAF\"|" "$CONF"
    case_begin "pin starting with '/' in the form $form$SLASH_PIN: accepted, the entry works"
    tc
    check_rc 0
    check_err_lacks 'slash\.conf:[0-9]+'
    check_received "config probe $$"
    check_log pass allowed pinned.test 1
    case_end
done

# A broken config is "error", always blocked - report mode does not open it.
CONF=$T/bad-mode.conf
case_begin "config error + PINSHIM_MODE=report: still blocked"
PINSHIM_RUN_ENV="PINSHIM_MODE=report " tc
expect_config_block "$CONF" 2
case_end

CONF=$T/does-not-exist.conf
case_begin "missing config file: TLS blocked, the file named on stderr"
tc
check_rc 2
check_out_has '^handshake .*result=refused .*err=1 verify=50 '
check_err_has "does-not-exist\\.conf"
check_zero_bytes 1
case_end

CONF=$T/pki
case_begin "config path is a directory (unreadable as a file): TLS blocked"
tc
check_rc 2
check_out_has '^handshake .*result=refused .*err=1 verify=50 '
check_zero_bytes 1
case_end

# The environment is emptied before the first handshake (nginx workers):
# the config named at load time is still the one used (DESIGN 9).
CONF=$T/clearenv-right.conf
write_conf "$CONF" pinned.test "$PIN_LEAF"
case_begin "clearenv() before the first handshake: the load-time config applies (right pin passes)"
tc --clearenv
check_rc 0
check_received "config probe $$"
check_log pass allowed pinned.test 1
case_end

CONF=$T/clearenv-wrong.conf
write_conf "$CONF" pinned.test "$PIN_UNRELATED"
case_begin "clearenv() before the first handshake: wrong pin blocked with verdict fail (not a config error)"
tc --clearenv
check_rc 2
check_zero_bytes 1
check_log fail blocked pinned.test 1
case_end

# verdicts = "failures": a pass is not logged, a failure is.
CONF=$T/failures-only.conf
write_conf "$CONF" -v failures pinned.test "$PIN_LEAF" bad.test "$PIN_UNRELATED"
case_begin "verdicts = failures: a pass writes no JSON line"
tc
check_rc 0
check_received "config probe $$"
if [ -s "$LOG" ]; then
    case_fail "a pass was logged: $(head -c 300 "$LOG")"
fi
case_end
case_begin "verdicts = failures: a failure is logged"
client --sni bad.test --cafile "$PKI/root.pem" --send "config probe $$"
check_rc 2
check_zero_bytes 1
check_log fail blocked bad.test 1
case_end

# Programs that never do TLS behave exactly as without the library.
same_as_plain() {  # same_as_plain DESC CMD...
    local desc=$1
    shift
    case_begin "$desc"
    run_plain "$@"
    local out0=$OUT err0=$ERR rc0=$RC
    run_preloaded "$@"
    [ "$RC" = "$rc0" ] || case_fail "exit status $RC with the library, $rc0 without"
    cmp -s "$OUT" "$out0" || case_fail "stdout differs: '$(head -c 200 "$OUT")' vs '$(head -c 200 "$out0")'"
    cmp -s "$ERR" "$err0" || case_fail "stderr differs: '$(head -c 300 "$ERR")' vs '$(head -c 300 "$err0")'"
    case_end
}

for c in syntax base64 mode; do
    CONF=$T/bad-$c.conf
    same_as_plain "broken config ($c): /bin/true unaffected" /bin/true
    same_as_plain "broken config ($c): sh -c 'echo hi; exit 3' unaffected" sh -c 'echo hi; exit 3'
done
CONF=$T/does-not-exist.conf
same_as_plain "missing config: sh -c 'echo hi; echo err >&2; exit 3' unaffected" \
    sh -c 'echo hi; echo err >&2; exit 3'
same_as_plain "missing config: curl --version (links libssl, no handshake) unaffected" curl --version
CONF=$T/bad-syntax.conf
same_as_plain "broken config: python3 -c 'import ssl' (loads libssl, no handshake) unaffected" \
    "$PYTHON3" -c 'import ssl, sys; print(ssl.OPENSSL_VERSION); sys.exit(4)'

# The shipped sample config parses.
SAMPLE=$top_srcdir/conf/pinshim.conf
if ! [ -f "$SAMPLE" ]; then
    fail "conf/pinshim.conf: not found at $SAMPLE"
else
    CONF=$SAMPLE
    case_begin "conf/pinshim.conf as shipped: parses (no FILE:LINE error), unpinned host passes"
    tc
    check_rc 0
    check_err_lacks 'pinshim\.conf:[0-9]+'
    check_received "config probe $$"
    case_end

    # The same file with only its log settings pointed here, to read the verdict.
    CONF=$T/sample.conf
    sed -e 's|^\([[:space:]]*\)#*[[:space:]]*json[[:space:]]*=.*|\1json = "'"$LOG"'";|' \
        -e 's|^\([[:space:]]*\)syslog[[:space:]]*=.*|\1syslog = false;|' \
        -e 's|^\([[:space:]]*\)verdicts[[:space:]]*=.*|\1verdicts = "all";|' "$SAMPLE" > "$CONF"
    case_begin "conf/pinshim.conf (log redirected): verdict unpinned, not error"
    tc
    check_rc 0
    check_log unpinned allowed pinned.test 1
    case_end

    # Its entries are live: *.cdn.example.com has placeholder pins.
    case_begin "conf/pinshim.conf (log redirected): a.cdn.example.com judged by its wildcard entry: blocked"
    client --sni a.cdn.example.com --insecure --send "cdn probe $$"
    check_rc 2
    check_zero_bytes 1
    check_log fail blocked a.cdn.example.com 1
    case_end
fi

# Unknown keys, likely typos included, are ignored by the library (only
# `pinshim check` calls a typo an error): an upgrade must not fail closed.
CONF=$T/typo.conf
printf '%s\nmdoe = "report";\nhosts = ( { name = "pinned.test"; pins = [ "%s", "%s" ]; pinz = [ "%s" ];\n  expirse = "2000-01-01"; } );\n' \
    "$HEAD_LINES" "$GOOD" "sha256/$PIN_UNRELATED" "sha256/$PIN_UNRELATED" > "$CONF"
case_begin "a config with typo'd keys (mdoe, pinz, expirse) still loads in the library: the client connects, judged by its pins"
: > "$LOG"
tc
check_rc 0
check_err_lacks 'typo\.conf:[0-9]+'
check_received "config probe $$"
check_log pass allowed pinned.test 1
case_end

# ---- matching (DESIGN 2) ----
match() {  # match DESC SNI EXPECT(pass|fail|unpinned) WRITE_CONF-ARGS...
    local desc=$1 sni=$2 want=$3
    shift 3
    CONF=$T/match.conf
    write_conf "$CONF" "$@"
    case_begin "match: $desc"
    client --sni "$sni" --insecure --send "match $$"
    case $want in
    pass)
        check_rc 0
        check_received "match $$"
        check_log pass allowed "$sni" 1
        ;;
    fail)
        check_rc 2
        check_zero_bytes 1
        check_log fail blocked "$sni" 1
        ;;
    unpinned)
        check_rc 0
        check_received "match $$"
        check_log unpinned allowed "$sni" 1
        ;;
    expired)
        check_rc 0
        check_received "match $$"
        check_log expired allowed "$sni" 1
        ;;
    esac
    case_end
}

W=$PIN_UNRELATED   # a wrong pin
match "SNI in another case (PINNED.Test) uses the entry pinned.test" PINNED.Test fail pinned.test "$W"
match "entry name with a trailing dot and capitals (Pinned.TEST.)" pinned.test fail "Pinned.TEST." "$W"
match "*.wild.test covers a.wild.test" a.wild.test fail "*.wild.test" "$W"
match "*.wild.test does not cover a.b.wild.test" a.b.wild.test unpinned "*.wild.test" "$W"
match "*.wild.test does not cover wild.test itself" wild.test unpinned "*.wild.test" "$W"
match "include_subdomains covers a.b.wild.test" a.b.wild.test fail \
    'wild.test{include_subdomains = true;}' "$W"
match "without include_subdomains a.wild.test is not covered by wild.test" a.wild.test unpinned \
    wild.test "$W"
match "exact entry beats the wildcard (exact right, wildcard wrong)" a.wild.test pass \
    "*.wild.test" "$W" a.wild.test "$PIN_LEAF"
match "exact entry beats the wildcard (exact wrong, wildcard right)" a.wild.test fail \
    "*.wild.test" "$PIN_LEAF" a.wild.test "$W"
match "longest include_subdomains parent wins" x.a.wild.test pass \
    'wild.test{include_subdomains = true;}' "$W" 'a.wild.test{include_subdomains = true;}' "$PIN_LEAF"
match "include_subdomains parent beats a wildcard" b.wild.test fail \
    "*.wild.test" "$PIN_LEAF" 'wild.test{include_subdomains = true;}' "$W"
use_server main
match "port = this server's port: the entry applies" pinned.test fail \
    "pinned.test{port = $SERVER_PORT;}" "$W"
other_port=$((SERVER_PORT == 65535 ? 1 : SERVER_PORT + 1))
match "port = another port: the entry does not apply" pinned.test unpinned \
    "pinned.test{port = $other_port;}" "$W"
match "expires in the past: verdict expired, allowed" pinned.test expired \
    'pinned.test{expires = "2001-02-03";}' "$W"
match "expires in the future: enforced" pinned.test fail \
    'pinned.test{expires = "2099-12-31";}' "$W"

# ---- where PINSHIM_CONFIG points (runtime.c copies it at load time) ----
# A relative name is the starting directory's file; a path longer than the
# library's inline buffer (255 bytes) is kept on the heap.  A wrong pin for
# pinned.test proves the file was the one read.
where() {  # where DESC DIR NAME
    local desc=$1 dir=$2 name=$3
    mkdir -p "$dir"
    write_conf "$dir/$(basename "$name")" pinned.test "$W"
    case_begin "PINSHIM_CONFIG $desc"
    (cd "$dir" && CONF=$name client --sni pinned.test --insecure --send "where $$")
    check_rc 2
    check_zero_bytes 1
    check_log fail blocked pinned.test 1
    case_end
}
: > "$LOG"
where "relative to the starting directory: that file's pins apply" "$T/rel" where.conf
: > "$LOG"
where "relative with a subdirectory: that file's pins apply" "$T/rel2" ./where2.conf
deep=$T/$(printf 'd%.0s' $(seq 60))/$(printf 'e%.0s' $(seq 60))/$(printf 'f%.0s' $(seq 60))/$(printf 'g%.0s' $(seq 60))
: > "$LOG"
where "of ${#deep} bytes and more (longer than the inline buffer): that file's pins apply" "$deep" "$deep/where.conf"
: > "$LOG"
where "relative, in a directory whose path is ${#deep} bytes: that file's pins apply" "$deep" where3.conf

finish
