#!/bin/bash
# t_cli_check.sh - `pinshim check`: every config error the loader finds is one
# FILE:LINE line (all of them in one run, in file order) and exit 1; each warning (single pin, expiry, duplicate host,
# duplicate pin, public suffix, include_subdomains on a suffix, unknown keys)
# comes with the line it is about; an unknown key that is a likely typo of a
# known one is an error (exit 1) with "did you mean"; the summary line; exit codes.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_cmd date
need_pinshim_bin

cli() { run_plain "$PINSHIM_BIN" "$@"; }

# Pins are only parsed, never matched here: fixed valid ones.
A=sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
B=sha256/BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=
C=sha256/CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCA=
B_CURL=sha256//BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=

# Messages name the config as given: run from $T with relative names.
cd "$T" || hard_error "cd $T"

# check_warning FILE MARKER REGEX: a "FILE:LINE: warning: ..." line on stderr
# for the line of MARKER.
check_warning() {
    local l
    l=$(marker_line "$2" "$1")
    grep -Eq -- "^$1:$l: warning: .*$3" "$ERR" || case_fail "no warning /$3/ at $1:$l"
}

# check_no_warning_at FILE MARKER: no warning for that line.
check_no_warning_at() {
    local l
    l=$(marker_line "$2" "$1")
    ! grep -Eq -- "^$1:$l: warning:" "$ERR" || case_fail "unexpected warning at $1:$l: $(grep -E "^$1:$l:" "$ERR")"
}

# check_only_lines: every stderr line is a FILE:LINE warning (no stray output).
check_only_warning_lines() {
    local bad
    bad=$(grep -Ev '^[^:]+:[0-9]+: warning: ' "$ERR")
    [ -z "$bad" ] || case_fail "stderr lines that are not FILE:LINE warnings: $bad"
}

# ------------------------------------------------------------ a clean one ---

mkdir -p state
cat > clean.conf <<EOF
mode = "enforce";
unpinned = "allow";
log = { stderr = true; syslog = false; json = "/tmp/pinshim-check.jsonl"; verdicts = "all"; };
state = "$PWD/state/tofu.state";
warn_days = 20;
programs = [ "/usr/bin/curl" ];
hosts = (
  { name = "api.example.com"; include_subdomains = true; pins = [ "$A", "$B" ];
    expires = "$(day +400)"; mode = "report"; port = 8443; warn_days = 10; },
  { name = "*.cdn.example.com"; pins = [ "$A", "$B" ]; },
  { name = "192.0.2.10"; pins = [ "$A", "$B" ]; },
  { name = "learned.example.com"; tofu = "chain"; },
  { name = "localhost"; pins = [ "$A", "$B" ]; },
  { name = "intranet"; pins = [ "$A", "$B" ]; },
  { name = "example.co.uk"; include_subdomains = true; pins = [ "$A", "$B" ]; },
  { name = "*.example.co.uk"; pins = [ "$A", "$C" ]; }
);
EOF

case_begin "clean config (every key, issue 5 keys too): exit 0, no warning, summary line"
cli check clean.conf
check_rc 0
[ -s "$ERR" ] && case_fail "stderr is not empty"
check_out_has '^clean\.conf: 8 hosts, 14 pins, 0 errors, 0 warnings$'
check_count '' 1
case_end

# DESIGN 6: privileged programs refuse a config another user may write;
# check says so to whoever runs it, and names a TOFU state it cannot write.
sed "s|state = .*|state = \"$PWD/nowhere/tofu.state\";|" clean.conf > nostate.conf
case_begin "trust on first use with a state whose folder is missing: one warning naming it"
cli check nostate.conf
check_rc 0
check_err_has "^nostate\.conf: warning: the state $PWD/nowhere/tofu\.state cannot be written: its folder $PWD/nowhere is missing"
check_out_has '^nostate\.conf: 8 hosts, 14 pins, 0 errors, 1 warning$'
case_end

cp clean.conf loose.conf
chmod 664 loose.conf
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
    chown 65534 loose.conf
    case_begin "a config owned by another user, group-writable: root gets the library's error"
    cli check loose.conf
    check_rc 1
    check_err_has '^loose\.conf: unsafe owner/permissions \(owner uid 65534, mode 0664'
    case_end
    case_begin "the same config checked by its owner (nobody): two warnings, it still works for them"
    chmod 755 "$PWD"
    run_plain setpriv --reuid=65534 --regid=65534 --clear-groups "$PINSHIM_BIN" check "$PWD/loose.conf"
    check_rc 0
    check_err_has 'loose\.conf: warning: owned by uid 65534, not root: privileged programs'
    check_err_has 'loose\.conf: warning: writable by its group \(mode 0664\): privileged programs refuse it'
    case_end
else
    skip "owner/permission warnings: need root and setpriv"
fi

case_begin "-c CONF is the same as CONF"
cli check -c clean.conf
check_rc 0
check_out_has '^clean\.conf: 8 hosts'
case_end

case_begin "no argument: \$PINSHIM_CONFIG"
PINSHIM_CONFIG=clean.conf run_plain env PINSHIM_CONFIG=clean.conf "$PINSHIM_BIN" check
check_rc 0
check_out_has '^clean\.conf: 8 hosts'
case_end

# --------------------------------------------------------------- errors ---

# err_case NAME CONTENT REGEX: CONTENT has one line with "# @err"; check
# reports exactly one error line FILE:LINE for it and exits 1.
err_case() {
    local name=$1 content=$2 regex=$3 f=err-$_RUN_N.conf
    printf '%s\n' "$content" > "$f"
    case_begin "error: $name -> $f:LINE, exit 1"
    cli check "$f"
    check_rc 1
    local l
    l=$(marker_line err "$f")
    check_err_has "^$f:$l: .*$regex"
    [ "$(wc -l < "$ERR")" = 1 ] || case_fail "stderr has $(wc -l < "$ERR") lines, expected 1"
    check_out_has "^$f: 1 error"
    case_end
}

err_case "bad pin" 'hosts = (
  { name = "a.example.com";
    pins = [ "sha256/AAAA" ]; }  # @err
);' 'bad pin'

err_case "pin not sha256/" "hosts = (
  { name = \"a.example.com\"; pins = [ \"$A\",
    \"md5/xyz\" ]; }  # @err
);" 'bad pin'

err_case "bad mode" 'mode = "strict";  # @err
hosts = ();' 'mode must be'

err_case "bad expires date" "hosts = (
  { name = \"a.example.com\"; pins = [ \"$A\", \"$B\" ];
    expires = \"2027-02-30\"; }  # @err
);" 'expires must be'

err_case "no pins" 'hosts = (
  { name = "a.example.com"; }  # @err
);' 'no pins'

err_case "bad host name" "hosts = (
  { name = \"a..example.com\"; pins = [ \"$A\" ]; }  # @err
);" 'not a host name'

err_case "include_subdomains on an IP" "hosts = (
  { name = \"192.0.2.1\"; include_subdomains = true; pins = [ \"$A\" ]; }  # @err
);" 'include_subdomains'

err_case "port out of range" "hosts = (
  { name = \"a.example.com\"; pins = [ \"$A\" ];
    port = 70000; }  # @err
);" 'port must be'

err_case "libconfig syntax error" "mode = \"enforce\";
hosts = (
  { name = ; pins = [ \"$A\" ]; }  # @err
);" 'syntax error'

# ----------------------------------------------- every error in one run ---
# The loader goes on after an error (for check only: the library stops at the
# first): each error of each entry, top-level key and @include'd file is its
# own FILE:LINE line, in file order, and the summary counts them.

cat > multi-inc.conf <<EOF
{ name = "inc-ok.example.com"; pins = [ "$A", "$B" ]; },
{ name = "inc.example.com"; pins = [ "$A",
                                     "sha256/short" ]; }  # @ierr
EOF
cat > multi.conf <<EOF
mode = "strict";  # @e1
unpinned = "allow";
log = { stderr = true; verdicts = "some"; };  # @e2
hosts = (
  { name = "ok.example.com"; pins = [ "$A" ]; },
  { name = "a.example.com"; pins = [ "$A", "sha256/AAAA" ]; },  # @e3
  { name = "b.example.com"; pins = [ "$A", "$B" ];
    port = 70000;  # @e4
    pinz = [ "$C" ]; },  # @e5
  { name = "*.w.example.com"; tofu = "leaf"; },  # @e6
  { name = "c.example.com"; pins = [ "$A", "$B" ]; expires = "2027-02-30"; },  # @e7
  @include "multi-inc.conf"
);
EOF
chmod 600 multi.conf multi-inc.conf
# multi_expected: the lines check prints for multi.conf, in this order.
multi_expected() {
    printf '%s\n' \
        "multi.conf:$(marker_line e1 multi.conf): mode must be \"enforce\", \"report\" or \"off\", not \"strict\"" \
        "multi.conf:$(marker_line e2 multi.conf): log.verdicts must be \"failures\" or \"all\", not \"some\"" \
        "multi.conf:$(marker_line e3 multi.conf): bad pin \"sha256/AAAA\": a pin must be the base64 of 32 bytes (a SHA-256 hash)" \
        "multi.conf:$(marker_line e4 multi.conf): port must be between 1 and 65535, not 70000" \
        "multi.conf:$(marker_line e5 multi.conf): error: unknown key \"pinz\" in a host entry: did you mean \"pins\"?" \
        "multi.conf:$(marker_line e6 multi.conf): tofu needs one host: it cannot be used with the wildcard *.w.example.com" \
        "multi.conf:$(marker_line e7 multi.conf): expires must be a date YYYY-MM-DD, not \"2027-02-30\"" \
        "multi-inc.conf:$(marker_line ierr multi-inc.conf): bad pin \"sha256/short\": the pin is not valid base64"
}

case_begin "every error in one run: 7 in the config's keys and entries, 1 in an @include, in file order, exit 1"
cli check multi.conf
check_rc 1
multi_expected > "$T/multi.want"
diff "$T/multi.want" "$ERR" > "$T/multi.diff" || case_fail "stderr is not the 8 errors: $(cat "$T/multi.diff")"
check_out_has '^multi\.conf: 8 errors: the library refuses every TLS connection with this config$'
check_count '' 1
case_end

case_begin "every error in one run: a refused config shows no warning (ok.example.com's single pin)"
cli check multi.conf
check_err_lacks 'warning'
case_end

case_begin "every error in one run, from standard input: named so"
mkdir -p "$T/stdin-tmp"
cp multi-inc.conf "$T/stdin-tmp/multi-inc.conf"
run_plain env TMPDIR="$T/stdin-tmp" "$PINSHIM_BIN" check - < multi.conf
check_rc 1
[ "$(grep -c '^standard input:[0-9]*: ' "$ERR")" = 7 ] || case_fail "not 7 errors of standard input: $(cat "$ERR")"
check_out_has '^standard input: 8 errors: '
case_end

case_begin "apply refuses a config with many errors, names every one, the live config untouched"
printf 'mode = "report";\nhosts = ( { name = "live.example.com"; pins = [ "%s", "%s" ]; } );\n' "$A" "$B" > live-m.conf
chmod 600 live-m.conf
cp live-m.conf live-m.before
cli apply -c live-m.conf multi.conf
check_rc 1
[ "$(grep -c '^multi\.conf:[0-9]*: ' "$ERR")" = 7 ] || case_fail "not 7 errors of multi.conf: $(cat "$ERR")"
check_err_has "multi-inc\.conf:$(marker_line ierr multi-inc.conf): bad pin"
cmp -s live-m.conf live-m.before || case_fail "the live config changed"
case_end

cat > syntax-after.conf <<EOF
mode = "strict";
hosts = (
  { name = "a.example.com"; pins = [ "sha256/AAAA" ]; },
  { name = ; pins = [ "$A" ]; }  # @err
);
EOF
case_begin "a syntax error after semantic errors: the syntax error is the only one"
cli check syntax-after.conf
check_rc 1
check_err_has "^syntax-after\.conf:$(marker_line err syntax-after.conf): .*syntax error"
[ "$(wc -l < "$ERR")" = 1 ] || case_fail "stderr has $(wc -l < "$ERR") lines, expected 1: $(cat "$ERR")"
check_out_has '^syntax-after\.conf: 1 error: '
case_end

case_begin "missing config: one line, exit 66"
cli check no-such.conf
check_rc 66
check_err_has '^no-such\.conf: .*(No such file|cannot read)'
[ "$(wc -l < "$ERR")" = 1 ] || case_fail "stderr has $(wc -l < "$ERR") lines"
case_end

# ------------------------------------------------------------- warnings ---

cat > warn.conf <<EOF
mode = "enforce";
colour = "report";  # @topkey
log = { stderr = true;
        facility = "daemon"; };  # @logkey
warn_days = 60;
hosts = (
  { name = "single.example.com";
    pins = [ "$A" ]; },  # @single
  { name = "dup-pin.example.com";
    pins = [ "$A",  # @pinfirst
             "$B",  # @pinB
             "$B_CURL" ]; },  # @pindup
  { name = "soon.example.com"; pins = [ "$A", "$B" ];
    expires = "$(day +10)"; },  # @soon
  { name = "past.example.com"; pins = [ "$A", "$B" ];
    expires = "$(day -3)"; },  # @past
  { name = "far.example.com"; pins = [ "$A", "$B" ];
    expires = "$(day +200)"; },  # @far
  { name = "global-window.example.com"; pins = [ "$A", "$B" ];
    expires = "$(day +45)"; },  # @global60
  { name = "own-window.example.com"; pins = [ "$A", "$B" ]; warn_days = 5;
    expires = "$(day +10)"; },  # @own5
  { name = "twice.example.com"; pins = [ "$A", "$B" ]; },  # @twice1
  { name = "TWICE.example.com."; pins = [ "$A", "$C" ]; },  # @twice2
  { name = "ports.example.com"; pins = [ "$A", "$B" ]; port = 8443; },  # @port1
  { name = "ports.example.com"; pins = [ "$A", "$B" ]; port = 9443; },  # @port2
  { name = "ports.example.com"; pins = [ "$A", "$B" ]; port = 8443; },  # @port3
  { name = "co.uk"; pins = [ "$A", "$B" ]; },  # @couk
  { name = "com"; pins = [ "$A", "$B" ];
    include_subdomains = true; },  # @comincl
  { name = "*.co.uk"; pins = [ "$A", "$B" ]; },  # @wildcouk
  { name = "*.github.io";
    include_subdomains = true;  # @wildincl
    pins = [ "$A", "$B" ]; },
  { name = "github.io"; pins = [ "$A", "$B" ]; },  # @ghio
  { name = "localhost"; pins = [ "$A", "$B" ]; },  # @localhost
  { name = "127.0.0.1"; pins = [ "$A", "$B" ]; },  # @ip
  { name = "intranet"; include_subdomains = true; pins = [ "$A", "$B" ]; },  # @intranet
  { name = "example.co.uk"; include_subdomains = true; pins = [ "$A", "$B" ]; },  # @exampleco
  { name = "keys.example.com"; pins = [ "$A", "$B" ];
    comment = "keys";  # @hostkey1
    note = "2030-01-01"; }  # @hostkey2
);
EOF

case_begin "warnings: exit 0, only FILE:LINE warning lines on stderr, summary with the count"
cli check warn.conf
check_rc 0
check_only_warning_lines
n=$(wc -l < "$ERR")
check_out_has "^warn\.conf: 22 hosts, 44 pins, 0 errors, $n warnings\$"
# warnings come in line order
sort -t: -k2,2n -s "$ERR" | cmp -s - "$ERR" || case_fail "warnings are not in line order"
case_end
cp "$ERR" "$T/warn.err"

w_case() {   # w_case NAME MARKER REGEX
    case_begin "warning: $1 (line of @$2)"
    ERR=$T/warn.err
    check_warning warn.conf "$2" "$3"
    case_end
}
no_w_case() {   # no_w_case NAME MARKER
    case_begin "no warning: $1 (line of @$2)"
    ERR=$T/warn.err
    check_no_warning_at warn.conf "$2"
    case_end
}

w_case "unknown top-level key far from every known one" topkey 'unknown key "colour" is ignored$'
w_case "unknown key in log far from every known one" logkey 'unknown key "facility" in log is ignored$'
w_case "a single pin" single 'single\.example\.com.*single pin'
w_case "a pin listed twice (sha256/ and sha256// forms)" pindup "dup-pin\.example\.com.*twice \(first at line $(marker_line pinB warn.conf)\)"
no_w_case "the pin's first listing" pinB
no_w_case "the first of the duplicate pins" pinfirst
w_case "pins expire within warn_days" soon 'soon\.example\.com.*expire on .*in (9|10) days'
w_case "pins expired" past 'past\.example\.com.*expired on'
no_w_case "expiry far away" far
w_case "top-level warn_days = 60 widens the window" global60 'global-window\.example\.com.*expire on'
no_w_case "entry warn_days = 5 narrows it" own5
no_w_case "first of two entries for one name" twice1
w_case "same name again (case, trailing dot ignored)" twice2 "twice\.example\.com.*listed twice \(first at line $(marker_line twice1 warn.conf)\)"
no_w_case "same name on another port" port2
w_case "same name and port again" port3 "ports\.example\.com.*port 8443.*listed twice \(first at line $(marker_line port1 warn.conf)\)"
w_case "a public suffix (co.uk)" couk '"co\.uk" is a public suffix'
w_case "include_subdomains on the public suffix com" comincl 'include_subdomains on the public suffix "com"'
w_case "a wildcard directly under a public suffix" wildcouk '"\*\.co\.uk" is directly under the public suffix "co\.uk"'
w_case "include_subdomains on a wildcard under a public suffix" wildincl 'include_subdomains on the wildcard "\*\.github\.io"'
w_case "a private-section public suffix (github.io)" ghio '"github\.io" is a public suffix'
no_w_case "localhost is not a public suffix" localhost
no_w_case "an IP literal is not a public suffix" ip
no_w_case "a single label outside the list (intranet)" intranet
no_w_case "include_subdomains on a registrable domain (example.co.uk)" exampleco
w_case "unknown key in a host entry" hostkey1 'unknown key "comment" in a host entry is ignored$'
w_case "unknown key two edits from a 4-letter key: a warning with a hint" hostkey2 'unknown key "note" in a host entry is ignored; did you mean "(name|mode)"\?$'

# ------------------------------------------------ likely typos: errors ---
# An unknown key one edit from a known key of its group (two for keys longer
# than 4 letters; case ignored) is an error of check (exit 1, counted), not a
# warning: the library ignores it, so the config would silently run without.

cat > typo.conf <<EOF
mdoe = "enforce";  # @mdoe
unpinned = "allow";
log = { stderr = true;
        sylog = false; };  # @sylog
hosts = (
  { name = "typo.example.com"; pins = [ "$A", "$B" ];
    pinz = [ "$C" ];  # @pinz
    expirse = "2030-01-01"; }  # @expirse
);
EOF
chmod 600 typo.conf

# check_error FILE MARKER REGEX: a "FILE:LINE: error: ..." line on stderr.
check_error() {
    local l
    l=$(marker_line "$2" "$1")
    grep -Eq -- "^$1:$l: error: .*$3" "$ERR" || case_fail "no error /$3/ at $1:$l: $(cat "$ERR")"
}

case_begin "typo mdoe at top level: FILE:1: error: unknown key \"mdoe\": did you mean \"mode\"?, exit 1, counted"
cli check typo.conf
check_rc 1
check_error typo.conf mdoe 'unknown key "mdoe": did you mean "mode"\?$'
grep -Eq '^typo\.conf:1: error: unknown key "mdoe": did you mean "mode"\?$' "$ERR" || case_fail "not at line 1: $(cat "$ERR")"
check_out_has '^typo\.conf: 1 host, 2 pins, 4 errors, 0 warnings$'
case_end
cp "$ERR" "$T/typo.err"

t_case() {   # t_case NAME MARKER REGEX
    case_begin "typo error: $1 (line of @$2)"
    ERR=$T/typo.err
    check_error typo.conf "$2" "$3"
    case_end
}
t_case "sylog in log" sylog 'unknown key "sylog" in log: did you mean "syslog"\?$'
t_case "pinz in a host entry" pinz 'unknown key "pinz" in a host entry: did you mean "pins"\?$'
t_case "expirse (two letters swapped) in a host entry" expirse 'unknown key "expirse" in a host entry: did you mean "expires"\?$'

printf 'Mode = "enforce";\nhosts = ( { name = "case.example.com"; pins = [ "%s", "%s" ]; } );\n' "$A" "$B" > case.conf
chmod 600 case.conf
case_begin "typo by case (Mode): an error with did you mean \"mode\", exit 1"
cli check case.conf
check_rc 1
grep -Eq '^case\.conf:1: error: unknown key "Mode": did you mean "mode"\?$' "$ERR" || case_fail "stderr: $(cat "$ERR")"
check_out_has '^case\.conf: 1 host, 2 pins, 1 error, 0 warnings$'
case_end

printf 'colour = "blue";\nhosts = ( { name = "far.example.com"; pins = [ "%s", "%s" ]; } );\n' "$A" "$B" > far.conf
chmod 600 far.conf
case_begin "an unknown key far from every known one (colour): still a warning, exit 0"
cli check far.conf
check_rc 0
grep -Eq '^far\.conf:1: warning: unknown key "colour" is ignored$' "$ERR" || case_fail "stderr: $(cat "$ERR")"
check_err_lacks 'error'
check_out_has '^far\.conf: 1 host, 2 pins, 0 errors, 1 warning$'
case_end

case_begin "check --json of a typo'd config: the typos under errors (file, line, message), exit 1"
cli check --json typo.conf
check_rc 1
"$PYTHON3" -c '
import json, sys
d = json.load(open(sys.argv[1]))
e = d["errors"]
assert d["hosts"] == 1 and d["warnings"] == [], d
assert [x["line"] for x in e] == [1, 4, 7, 8], e
assert e[0] == {"file": "typo.conf", "line": 1, "message": "unknown key \"mdoe\": did you mean \"mode\"?"}, e[0]
' "$OUT" > "$T/json.err" 2>&1 || case_fail "json: $(cat "$T/json.err") in $(cat "$OUT")"
case_end

case_begin "apply refuses a typo'd config (exit 1, the error named), the live config untouched"
printf 'mode = "report";\nhosts = ( { name = "live.example.com"; pins = [ "%s", "%s" ]; } );\n' "$A" "$B" > live.conf
chmod 600 live.conf
cp live.conf live.before
cli apply -c live.conf typo.conf
check_rc 1
check_err_has 'typo\.conf:1: error: unknown key "mdoe": did you mean "mode"\?'
cmp -s live.conf live.before || case_fail "the live config changed"
case_end

case_begin "--strict: warnings make exit 1"
cli check --strict warn.conf
check_rc 1
case_end

case_begin "--strict on a clean config: exit 0"
cli check --strict clean.conf
check_rc 0
case_end

# --------------------------------------------------------------- usage ---

case_begin "two configs: usage error 64"
cli check clean.conf warn.conf
check_rc 64
check_err_has '^pinshim: check: '
case_end

case_begin "unknown option: usage error 64"
cli check --bogus clean.conf
check_rc 64
case_end

case_begin "--help: usage on stdout, exit 0"
cli check --help
check_rc 0
check_out_has '^usage: pinshim check'
case_end

finish
