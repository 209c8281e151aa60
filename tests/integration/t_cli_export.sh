#!/bin/bash
# t_cli_export.sh - `pinshim export`: Android and TrustKit output is
# well-formed XML (xmllint) and says what the config says (python xml and
# plistlib); the curl lines work with curl --pinnedpubkey against a local
# server (right pins pass, wrong pins fail); OkHttp and HPKP output checked as
# text; every entry a format cannot express gets a FILE:LINE warning and is
# skipped or exported stricter, never wider; exit codes.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_cmd openssl date
[ -x "$PYTHON3" ] || skip_all "$PYTHON3 not found"
need_pinshim_bin
make_pki "$T/pki" || hard_error "make_pki failed"
HAVE_XMLLINT=0
command -v xmllint >/dev/null 2>&1 && HAVE_XMLLINT=1

cli() { run_plain "$PINSHIM_BIN" "$@"; }
cd "$T" || hard_error "cd $T"

A=sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
B=sha256/BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=
C=sha256/CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCA=
b64() { echo "${1#sha256/}"; }
SOON=$(day +100)
PAST=$(day -3)

# check_warn FILE MARKER REGEX: "pinshim: export: warning: FILE:LINE: ..." on stderr.
check_warn() {
    local l
    l=$(marker_line "$2" "$1")
    grep -Eq -- "^pinshim: export: warning: $1:$l: .*$3" "$ERR" || case_fail "no warning /$3/ for $1:$l"
}
check_no_warn() {
    local l
    l=$(marker_line "$2" "$1")
    ! grep -Eq -- "^pinshim: export: warning: $1:$l: " "$ERR" || case_fail "unexpected warning for $1:$l"
}

check_xml() {
    if [ "$HAVE_XMLLINT" = 1 ]; then
        xmllint --noout "$OUT" 2>"$T/xmllint.err" || case_fail "xmllint: $(head -c 500 "$T/xmllint.err")"
    fi
}

# py SCRIPT ARGS...: a python check on $OUT; its message on failure.
py() {
    local script=$1 msg
    shift
    msg=$("$PYTHON3" -c "$script" "$OUT" "$@" 2>&1) || case_fail "python: $(echo "$msg" | tail -n 3)"
}

cat > all.conf <<EOF
mode = "enforce";
hosts = (
  { name = "api.example.com"; pins = [ "$A", "$B" ]; expires = "$SOON"; },  # @api
  { name = "inc.example.com"; include_subdomains = true; pins = [ "$A", "$C" ]; },  # @inc
  { name = "*.cdn.example.com"; pins = [ "$A", "$B" ]; },  # @wild
  { name = "rep.example.com"; mode = "report"; pins = [ "$B", "$C" ]; },  # @rep
  { name = "one.example.com"; pins = [ "$A" ]; },  # @one
  { name = "192.0.2.10"; pins = [ "$A", "$B" ]; },  # @ip
  { name = "old.example.com"; pins = [ "$A", "$B" ]; expires = "$PAST"; },  # @old
  { name = "port.example.com"; pins = [ "$A", "$B" ]; port = 8443; },  # @port
  { name = "off.example.com"; mode = "off"; pins = [ "$A", "$B" ]; },  # @off
  { name = "tofu.example.com"; tofu = "leaf"; },  # @tofu
  { name = "dup.example.com"; pins = [ "$A", "$B", "${B/sha256\//sha256//}" ]; }  # @dup
);
EOF

# --------------------------------------------------------------- android ---

case_begin "android: well-formed network_security_config, domains, includeSubdomains, expiration, pins"
cli export --format android all.conf
check_rc 0
check_xml
py '
import sys, xml.etree.ElementTree as ET
out, a, b, c, soon, past = sys.argv[1:]
root = ET.parse(out).getroot()
assert root.tag == "network-security-config", root.tag
got = {}
for dc in root.findall("domain-config"):
    doms = dc.findall("domain")
    assert len(doms) == 1
    ps = dc.find("pin-set")
    pins = [p.text for p in ps.findall("pin")]
    assert all(p.get("digest") == "SHA-256" for p in ps.findall("pin"))
    got[doms[0].text] = (doms[0].get("includeSubdomains"), ps.get("expiration"), pins)
want = {
    "api.example.com": ("false", soon, [a, b]),
    "inc.example.com": ("true", None, [a, c]),
    "one.example.com": ("false", None, [a]),
    "old.example.com": ("false", past, [a, b]),
    "port.example.com": ("false", None, [a, b]),
    "dup.example.com": ("false", None, [a, b]),
}
assert got == want, "%r" % got
' "$(b64 $A)" "$(b64 $B)" "$(b64 $C)" "$SOON" "$PAST"
case_end

case_begin "android: wildcard, report mode, IP, off, tofu skipped with a warning; port dropped with a warning"
cli export --format android all.conf
check_warn all.conf wild 'not exported: .*wildcard'
check_warn all.conf rep 'not exported: .*report'
check_warn all.conf ip 'not exported: .*IP'
check_warn all.conf off 'not exported: .*off'
check_warn all.conf tofu 'not exported: .*tofu'
check_warn all.conf port 'port.*8443.*stricter'
check_no_warn all.conf api
check_no_warn all.conf one
check_out_lacks 'cdn\.example\.com|rep\.example\.com|192\.0\.2\.10|off\.example|tofu\.example'
case_end

cat > names.conf <<EOF
hosts = (
  { name = "a.example.com"; pins = [ "$A", "$B" ]; port = 8443; },  # @p8443
  { name = "a.example.com"; pins = [ "$A", "$C" ]; },  # @pany
  { name = "b.example.com"; pins = [ "$A", "$B" ]; },  # @b1
  { name = "b.example.com"; include_subdomains = true; pins = [ "$B", "$C" ]; }  # @b2
);
EOF

case_begin "android: one domain-config per name; the entry for every port wins, the others are skipped with a warning"
cli export --format android names.conf
check_rc 0
check_xml
check_count '<domain ' 2
check_warn names.conf p8443 "not exported: .*line $(marker_line pany names.conf)"
check_warn names.conf b2 "not exported: .*line $(marker_line b1 names.conf)"
check_no_warn names.conf pany
py '
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
for dc in root.findall("domain-config"):
    if dc.find("domain").text == "a.example.com":
        assert [p.text for p in dc.find("pin-set")] == [sys.argv[2], sys.argv[3]]
' "$(b64 $A)" "$(b64 $C)"
case_end

printf 'hosts = ( { name = "x&y.example.com"; pins = [ "%s" ]; } );\n' "$A" > amp.conf
case_begin "names are checked by the loader before they reach the XML (no markup from a config)"
cli export --format android amp.conf
check_rc 78
case_end

# -------------------------------------------------------------- trustkit ---

case_begin "trustkit: well-formed plist (xmllint, plistlib) with TSKPinnedDomains"
cli export --format trustkit all.conf
check_rc 0
check_xml
py '
import sys, plistlib, datetime
out, a, b, c, soon = sys.argv[1:]
d = plistlib.load(open(out, "rb"))
cfg = d["TSKConfiguration"]
assert cfg["TSKSwizzleNetworkDelegates"] is True
dom = cfg["TSKPinnedDomains"]
assert set(dom) == {"api.example.com", "inc.example.com", "rep.example.com", "old.example.com",
                    "port.example.com", "dup.example.com"}, sorted(dom)
api = dom["api.example.com"]
assert api["TSKPublicKeyHashes"] == [a, b]
assert api["TSKEnforcePinning"] is True and api["TSKIncludeSubdomains"] is False
assert api["TSKExpirationDate"] == soon
assert dom["inc.example.com"]["TSKIncludeSubdomains"] is True
assert "TSKExpirationDate" not in dom["inc.example.com"]
assert dom["rep.example.com"]["TSKEnforcePinning"] is False, "report mode must not enforce"
assert dom["dup.example.com"]["TSKPublicKeyHashes"] == [a, b], "duplicate pins"
' "$(b64 $A)" "$(b64 $B)" "$(b64 $C)" "$SOON"
case_end

case_begin "trustkit: single pin, wildcard, IP skipped with warnings"
cli export --format trustkit all.conf
check_warn all.conf one 'not exported: .*two pins'
check_warn all.conf wild 'not exported: .*wildcard'
check_warn all.conf ip 'not exported: .*IP'
check_no_warn all.conf rep
check_out_lacks 'one\.example\.com|cdn\.example|192\.0\.2\.10'
case_end

cat > tknames.conf <<EOF
hosts = (
  { name = "pinned.test"; pins = [ "$A", "$B" ]; },  # @test
  { name = "co.uk"; pins = [ "$A", "$B" ]; },  # @suffix
  { name = "api.example.co.uk"; pins = [ "$A", "$B" ]; }  # @fine
);
EOF

case_begin "trustkit: names TrustKit refuses at start-up (unknown TLD, a public suffix) skipped with warnings"
cli export --format trustkit tknames.conf
check_rc 0
check_xml
check_warn tknames.conf test 'not exported: .*unknown top-level domain "test"'
check_warn tknames.conf suffix 'not exported: .*public suffix'
check_no_warn tknames.conf fine
py '
import sys, plistlib
d = plistlib.load(open(sys.argv[1], "rb"))
assert list(d["TSKConfiguration"]["TSKPinnedDomains"]) == ["api.example.co.uk"], d
'
case_end

# ---------------------------------------------------------------- okhttp ---

case_begin "okhttp: CertificatePinner.Builder() with .add(pattern, pins...), *. and **. patterns"
cli export --format okhttp all.conf
check_rc 0
check_out_has '^CertificatePinner\.Builder\(\)$'
check_out_has "^    \\.add\\(\"api\\.example\\.com\", \"$A\", \"$B\"\\)\$"
check_out_has "^    \\.add\\(\"\\*\\*\\.inc\\.example\\.com\", \"$A\", \"$C\"\\)\$"
check_out_has "^    \\.add\\(\"\\*\\.cdn\\.example\\.com\", \"$A\", \"$B\"\\)\$"
check_out_has "^    \\.add\\(\"one\\.example\\.com\", \"$A\"\\)\$"
check_out_has "^    \\.add\\(\"192\\.0\\.2\\.10\", "
check_out_has "^    \\.add\\(\"dup\\.example\\.com\", \"$A\", \"$B\"\\)\$"
check_out_has '^    \.build\(\)$'
check_out_lacks 'rep\.example|old\.example|off\.example|tofu\.example'
case_end

case_begin "okhttp: no expiry (warned, stricter), report/expired/off skipped, port dropped"
cli export --format okhttp all.conf
check_warn all.conf api 'no expiry.*stricter'
check_warn all.conf rep 'not exported: .*report'
check_warn all.conf old 'not exported: .*expired'
check_warn all.conf port 'port.*stricter'
check_no_warn all.conf inc
check_no_warn all.conf wild
case_end

cat > union.conf <<EOF
hosts = (
  { name = "example.com"; include_subdomains = true; pins = [ "$A", "$B" ]; },  # @parent
  { name = "api.example.com"; pins = [ "$C", "$B" ]; },  # @child
  { name = "q.com"; include_subdomains = true; pins = [ "$A", "$B" ]; },  # @q
  { name = "*.q.com"; pins = [ "$C", "$A" ]; },  # @qwild
  { name = "ok.com"; include_subdomains = true; pins = [ "$A", "$B" ]; },  # @okparent
  { name = "a.ok.com"; pins = [ "$A", "$B", "$C" ]; }  # @okchild
);
EOF

case_begin "okhttp: a pattern that would add its pins to a host pinned to other keys is skipped (OkHttp unions)"
cli export --format okhttp union.conf
check_rc 0
check_warn union.conf parent "not exported: .*every pattern.*line $(marker_line child union.conf)"
check_warn union.conf qwild "not exported: .*line $(marker_line q union.conf)"
check_no_warn union.conf child
check_no_warn union.conf okparent
check_no_warn union.conf okchild
check_out_lacks '"\*\*\.example\.com"'
check_out_has '"api\.example\.com"'
check_out_has '"\*\*\.ok\.com"'
check_out_has '"a\.ok\.com"'
case_end

# ------------------------------------------------------------------ hpkp ---

case_begin "hpkp: Public-Key-Pins header per host, includeSubDomains, report-only, max-age"
cli export --format hpkp --max-age 600 --report-uri https://report.example/hpkp all.conf
check_rc 0
check_out_has "^# api\\.example\\.com "
check_out_has "^Public-Key-Pins: pin-sha256=\"$(b64 $A)\"; pin-sha256=\"$(b64 $B)\"; max-age=600; report-uri=\"https://report.example/hpkp\"\$"
check_out_has "^Public-Key-Pins: pin-sha256=\"$(b64 $A)\"; pin-sha256=\"$(b64 $C)\"; max-age=600; includeSubDomains; report-uri="
check_out_has "^Public-Key-Pins-Report-Only: pin-sha256=\"$(b64 $B)\"; pin-sha256=\"$(b64 $C)\"; max-age=600"
check_count '^Public-Key-Pins' 6
case_end

case_begin "hpkp: single pin, IP, expired skipped; expiry and port warned"
cli export --format hpkp all.conf
check_warn all.conf one 'not exported: .*two pins'
check_warn all.conf ip 'not exported: .*IP'
check_warn all.conf old 'not exported: .*expired'
check_warn all.conf api 'no expiry.*stricter'
check_warn all.conf port 'port.*stricter'
check_out_has 'max-age=5184000'
check_out_lacks 'one\.example|192\.0\.2\.10|old\.example'
case_end

# ------------------------------------------------------------------ curl ---

case_begin "curl: one line per entry, host[:port] --pinnedpubkey 'sha256//..;sha256//..'"
cli export --format curl all.conf
check_rc 0
check_out_has "^api\\.example\\.com --pinnedpubkey 'sha256//$(b64 $A);sha256//$(b64 $B)'\$"
check_out_has "^port\\.example\\.com:8443 --pinnedpubkey "
check_out_has "^dup\\.example\\.com --pinnedpubkey 'sha256//$(b64 $A);sha256//$(b64 $B)'\$"
check_warn all.conf rep 'not exported: .*report'
check_warn all.conf old 'not exported: .*expired'
check_no_warn all.conf port
case_end

if command -v curl >/dev/null 2>&1; then
    start_server -n srv "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server did not start"
    # curl_line CONF: the --pinnedpubkey value of pinned.test's line
    curl_pins() {
        "$PINSHIM_BIN" export --format curl "$1" 2>/dev/null |
            sed -n "s/^pinned\\.test\\(:[0-9]*\\)\\{0,1\\} --pinnedpubkey '\\(.*\\)'\$/\\2/p"
    }
    curl_to() {
        run_plain curl -sS --max-time 20 --cacert "$PKI/root.pem" \
            --resolve "pinned.test:$SERVER_PORT:127.0.0.1" --pinnedpubkey "$1" "https://pinned.test:$SERVER_PORT/"
    }

    write_conf "$T/right.conf" "pinned.test{port = $SERVER_PORT;}" "$PIN_LEAF,$PIN_LEAF2"
    case_begin "curl: the exported pins of the served leaf pass curl --pinnedpubkey"
    pins=$(curl_pins "$T/right.conf")
    [ -n "$pins" ] || case_fail "no pinned.test line in the export"
    curl_to "$pins"
    check_rc 0
    check_out_has 'pinshim test server: ok'
    case_end

    case_begin "curl: the line names the entry's port"
    cli export --format curl "$T/right.conf"
    check_out_has "^pinned\\.test:$SERVER_PORT --pinnedpubkey "
    case_end

    write_conf "$T/wrong.conf" pinned.test "$PIN_LEAF2,$PIN_UNRELATED"
    case_begin "curl: exported pins of other keys make curl --pinnedpubkey fail (exit 90)"
    pins=$(curl_pins "$T/wrong.conf")
    [ -n "$pins" ] || case_fail "no pinned.test line in the export"
    curl_to "$pins"
    check_rc 90
    case_end
else
    skip "curl --pinnedpubkey against a server (curl not installed)"
fi

# ------------------------------------------------------ errors and usage ---

printf 'hosts = (\n  { name = "a.example.com";\n    pins = [ "sha256/nope" ]; }\n);\n' > bad.conf
case_begin "invalid config: its FILE:LINE error on one line, nothing on stdout, exit 78"
cli export --format android bad.conf
check_rc 78
check_err_has '^pinshim: export: bad\.conf:3: bad pin'
[ "$(wc -l < "$ERR")" = 1 ] || case_fail "stderr has $(wc -l < "$ERR") lines"
[ -s "$OUT" ] && case_fail "stdout is not empty"
case_end

case_begin "missing config: exit 66"
cli export --format curl no-such.conf
check_rc 66
check_err_has 'no-such\.conf'
case_end

printf 'hosts = ( { name = "*.w.example.com"; pins = [ "%s", "%s" ]; } );\n' "$A" "$B" > none.conf
case_begin "nothing exportable: the warning, an error line, exit 1"
cli export --format android none.conf
check_rc 1
check_err_has 'warning: none\.conf:1: .*wildcard'
check_err_has '^pinshim: export: none of the 1 entries'
case_end

case_begin "--strict: a warning makes exit 1"
cli export --format okhttp --strict all.conf
check_rc 1
case_end

case_begin "\$PINSHIM_CONFIG when no config is named"
run_plain env PINSHIM_CONFIG=all.conf "$PINSHIM_BIN" export --format curl
check_rc 0
check_out_has '^api\.example\.com '
case_end

case_begin "no --format: usage error 64"
cli export all.conf
check_rc 64
check_err_has '^pinshim: export: .*format'
case_end

case_begin "unknown format: usage error 64"
cli export --format pkcs12 all.conf
check_rc 64
case_end

case_begin "--help: every format and the per-format rules, exit 0"
cli export --help
check_rc 0
for f in android trustkit okhttp curl hpkp; do
    check_out_has "^  $f "
done
case_end

finish
