#!/bin/bash
# t_cli_json.sh - `--json` of check, tofu list, covers, audit and probe (issue
# 13): one JSON document on stdout, parsed by Python's json module, with the
# documented field names, types and values; the exit statuses are those of
# the human form; stdout holds nothing else.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

need_pinshim_bin
require_cmd awk date
common_setup

cli() { run_plain "$PINSHIM_BIN" "$@"; }

A=sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
B=sha256/BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=

cd "$T" || hard_error "cd $T"

# ------------------------------------------------------------------ check ---

cat > warn.conf <<EOF
hosts = (
  { name = "single.example.com"; pins = [ "$A" ]; },
  { name = "two.example.com"; pins = [ "$A", "$B" ]; colour = 1; }
);
EOF
chmod 600 warn.conf

case_begin "check --json of a config with two warnings: {config, hosts, pins, errors, warnings}, exit 0"
cli check --json warn.conf
check_rc 0
check_json '
assert set(d) == {"config", "hosts", "pins", "errors", "warnings"}, sorted(d)
assert d["config"] == "warn.conf"
assert d["hosts"] == 2 and d["pins"] == 3
assert d["errors"] == []
w = d["warnings"]
assert isinstance(w, list) and len(w) == 2, w
for x in w:
    assert set(x) == {"file", "line", "message"}, x
    assert x["file"] == "warn.conf" and isinstance(x["line"], int)
assert w[0]["line"] == 2 and "single pin" in w[0]["message"], w[0]
assert w[1]["line"] == 3 and "unknown key \"colour\"" in w[1]["message"], w[1]
'
case_end

case_begin "check --json --strict with warnings: exit 1, the same document"
cli check --json --strict warn.conf
check_rc 1
check_json 'assert len(d["warnings"]) == 2 and d["errors"] == []'
case_end

printf 'mode = "enforce";\nhosts = (\n  { name = "x.example.com"; pins = [ "sha256/nope" ]; }\n);\n' > err.conf
chmod 600 err.conf
case_begin "check --json of a config with an error: the error with file and line, hosts and pins null, exit 1"
cli check --json err.conf
check_rc 1
check_json '
assert d["config"] == "err.conf"
assert d["hosts"] is None and d["pins"] is None
assert d["warnings"] == []
assert len(d["errors"]) == 1, d["errors"]
e = d["errors"][0]
assert set(e) == {"file", "line", "message"}
assert e["file"] == "err.conf" and e["line"] == 3, e
assert "pin" in e["message"] and not e["message"].startswith("err.conf"), e
'
case_end

# Every error in one run (issue 13): three entries wrong in three ways, a
# wrong top-level key, a typo check calls an error, and a bad pin in an
# @include'd file: all under errors, in file order, with their lines.
printf '{ name = "inc.example.com"; pins = [ "%s", "sha256/short" ]; }\n' "$A" > many-inc.conf
cat > many.conf <<EOF
unpinned = "sometimes";
hosts = (
  { name = "a.example.com"; pins = [ "sha256/nope", "$B" ]; },
  { name = "b.example.com"; pins = [ "$A", "$B" ]; port = 0; },
  { name = "c.example.com"; pins = [ "$A", "$B" ]; mdoe = "report"; mode = "loud"; },
  @include "many-inc.conf"
);
EOF
chmod 600 many.conf many-inc.conf
case_begin "check --json of a config with six errors (one in an @include): all of them, in file order, exit 1"
cli check --json many.conf
check_rc 1
check_json '
assert d["hosts"] is None and d["pins"] is None and d["warnings"] == []
e = d["errors"]
got = [(x["file"], x["line"]) for x in e]
assert got == [("many.conf", 1), ("many.conf", 3), ("many.conf", 4), ("many.conf", 5), ("many.conf", 5),
               ("many-inc.conf", 1)], got
assert e[0]["message"].startswith("unpinned must be"), e[0]
assert e[1]["message"].startswith("bad pin \"sha256/nope\""), e[1]
assert e[2]["message"] == "port must be between 1 and 65535, not 0", e[2]
assert {e[3]["message"], e[4]["message"]} == {"unknown key \"mdoe\" in a host entry: did you mean \"mode\"?",
        "mode must be \"enforce\", \"report\" or \"off\", not \"loud\""}, e[3:5]
assert e[5]["message"].startswith("bad pin \"sha256/short\""), e[5]
'
case_end

case_begin "check --json of many errors from standard input: the file is \"standard input\", not a temporary file"
mkdir -p "$T/stdin-tmp"
cp many-inc.conf "$T/stdin-tmp/"
run_plain env TMPDIR="$T/stdin-tmp" "$PINSHIM_BIN" check --json - < many.conf
check_rc 1
check_json '
assert d["config"] == "standard input", d["config"]
files = [x["file"] for x in d["errors"]]
assert files[:5] == ["standard input"] * 5, files
assert len(files) == 6 and files[5].endswith("many-inc.conf"), files
'
case_end

case_begin "check --json of a missing config: one error, line null, exit 66"
cli check --json missing.conf
check_rc 66
check_json '
assert len(d["errors"]) == 1 and d["errors"][0]["line"] is None, d["errors"]
assert d["errors"][0]["file"] == "missing.conf"
'
case_end

# Control characters, quotes, backslashes and a byte that is not UTF-8 in a
# (bad) pin: the loader's message quotes it; escaped, the document parses.
printf 'hosts = (\n  { name = "q.example.com"; pins = [ "x\\"y\\\\z\\t\\x01\\xff" ]; }\n);\n' > odd.conf
chmod 600 odd.conf
case_begin "check --json: a message with a quote, a backslash, a tab, a control byte and a byte that is not UTF-8 stays valid JSON"
cli check --json odd.conf
check_rc 1
check_json '
m = d["errors"][0]["message"]
assert m.startswith("bad pin \"x\"y\\z\t\x01\ufffd\""), repr(m)
'
case_end

case_begin "check without --json: the summary line, unchanged"
cli check warn.conf
check_rc 0
check_out_has '^warn\.conf: 2 hosts, 3 pins, 0 errors, 2 warnings$'
case_end

# -------------------------------------------------------------- tofu list ---

mkdir -p "$T/state"
STATE=$T/state/tofu.state
cat > "$CONF" <<EOF
mode = "enforce";
unpinned = "allow";
state = "$STATE";
log = { stderr = true; syslog = false; json = "$LOG"; verdicts = "all"; };
hosts = ( { name = "pinned.test"; tofu = "chain"; } );
EOF
start_server -n main "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server did not start"
PORT=$SERVER_PORT
export STATE PIN_LEAF PIN_INT PIN_ROOT

case_begin "tofu list --json with no records: {state, records: []}"
cli tofu -c "$CONF" list --json
check_rc 0
check_json '
import os
assert set(d) == {"state", "records"}, sorted(d)
assert d["state"] == os.environ["STATE"] and d["records"] == []
'
case_end

case_begin "a verified first connection is learned; tofu list --json shows the record with its pins and RFC 3339 time"
t0=$(date -u +%s)
CLIENT_HOST=127.0.0.1 client --sni pinned.test --cafile "$PKI/root.pem" --send hi
check_rc 0
cli tofu -c "$CONF" list --json
check_rc 0
EXPECT_PINS="sha256/$PIN_LEAF sha256/$PIN_INT sha256/$PIN_ROOT" T0=$t0 check_json '
import os, calendar, time
r = d["records"]
assert len(r) == 1, r
r = r[0]
assert set(r) == {"host", "kind", "pins", "learned"}, sorted(r)
assert r["host"] == "pinned.test" and r["kind"] == "chain"
assert isinstance(r["pins"], list) and r["pins"], r
want = set(os.environ["EXPECT_PINS"].split())
assert set(r["pins"]) <= want and "sha256/" + os.environ["PIN_LEAF"] in r["pins"], r["pins"]
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["learned"]), r["learned"]
t = calendar.timegm(time.strptime(r["learned"], "%Y-%m-%dT%H:%M:%SZ"))
assert int(os.environ["T0"]) - 1 <= t <= time.time() + 1, (t, os.environ["T0"])
'
case_end

case_begin "tofu --json with forget: refused (list only), exit 64"
cli tofu -c "$CONF" --json forget pinned.test
check_rc 64
[ -s "$OUT" ] && case_fail "stdout is not empty"
case_end

# ----------------------------------------------------------------- covers ---

COVERS_KEYS='{"program", "result", "libraries", "line"}'
case_begin "covers --json /usr/bin/curl: one program, judged, openssl among its libraries, the human line"
if [ -x /usr/bin/curl ]; then
    cli covers --json /usr/bin/curl
    check_rc 0
    check_json '
assert set(d) == {"programs"}, sorted(d)
p = d["programs"]
assert len(p) == 1, p
p = p[0]
assert set(p) == '"$COVERS_KEYS"', sorted(p)
assert p["program"] == "/usr/bin/curl" and p["result"] == "judged", p
assert isinstance(p["libraries"], list) and any(x.startswith("openssl (libssl.so") for x in p["libraries"]), p
assert p["line"].startswith("/usr/bin/curl: ") and p["line"].endswith(": judged"), p
'
else
    case_fail "/usr/bin/curl missing"
fi
case_end

if ${CC:-cc} -static -o "$T/static" -x c - <<<'int main(void) { return 0; }' >"$T/cc.log" 2>&1; then
    case_begin "covers --json of a static program, a name, a missing file and a non-program: every result, exit 66"
    printf 'not a program\n' > "$T/text"
    cli covers --json "$T/static" curl "$T/nothere" "$T/text"
    check_rc 66
    STATIC=$T/static TEXT=$T/text NOTHERE=$T/nothere check_json '
import os
p = d["programs"]
assert len(p) == 4, p
for x in p:
    assert set(x) == '"$COVERS_KEYS"', sorted(x)
    assert isinstance(x["libraries"], list) and isinstance(x["line"], str), x
assert p[0]["program"] == os.environ["STATIC"] and p[0]["result"] == "not coverable", p[0]
assert p[0]["line"] == os.environ["STATIC"] + ": statically linked: not coverable by a preload", p[0]
assert p[1]["program"] == "curl" and p[1]["result"] == "judged", p[1]
assert p[2]["result"] == "not found" and p[2]["libraries"] == [] and os.environ["NOTHERE"] in p[2]["line"], p[2]
assert p[3]["result"] == "not a program" and p[3]["libraries"] == [], p[3]
'
    check_err_has 'nothere'
    case_end
else
    skip "covers --json of a static program (no static libc: $(head -n 2 "$T/cc.log"))"
fi

# ------------------------------------------------------------------ audit ---

CLOSED=$(unused_port)
ROUTES=(--connect-to "closed.test:443:127.0.0.1:$CLOSED" --connect-to ":443:127.0.0.1:$PORT")
IN10=$(day +10)
write_conf "$T/audit.conf" \
    pinned.test "$PIN_LEAF" \
    bad.test "$PIN_UNRELATED,$PIN_LEAF2" \
    closed.test "$PIN_LEAF" \
    "good.test{expires = \"$IN10\";}" "$PIN_INT"
export PIN_UNRELATED CLOSED PORT

case_begin "audit --json: {config, results}, a row per entry with verdict, pin, days and error; exit 1 as the table's"
run_plain "$PINSHIM_BIN" audit --json -c "$T/audit.conf" --cafile "$PKI/root.pem" "${ROUTES[@]}"
check_rc 1
AUDIT_CONF=$T/audit.conf check_json '
import os
assert set(d) == {"config", "results"}, sorted(d)
assert d["config"] == os.environ["AUDIT_CONF"]
rows = {r["host"]: r for r in d["results"]}
assert set(rows) == {"pinned.test", "bad.test", "closed.test", "good.test"}, sorted(rows)
keys = {"host", "port", "verdict", "matched_pin", "leaf_days_left", "pins_days_left", "error"}
for r in d["results"]:
    assert set(r) == keys, sorted(r)
    assert r["port"] == 443 and isinstance(r["verdict"], str)
p = rows["pinned.test"]
assert p["verdict"] == "pass" and p["matched_pin"] == "sha256/" + os.environ["PIN_LEAF"], p
assert isinstance(p["leaf_days_left"], int) and 390 <= p["leaf_days_left"] <= 400, p
assert p["pins_days_left"] is None and p["error"] is None, p
b = rows["bad.test"]
assert b["verdict"] == "fail" and b["matched_pin"] is None and "none of the" in b["error"], b
c = rows["closed.test"]
assert c["verdict"] == "unreachable" and c["leaf_days_left"] is None and c["matched_pin"] is None, c
assert "Connection refused" in c["error"] and os.environ["CLOSED"] in c["error"], c
g = rows["good.test"]
assert g["verdict"] == "pass" and g["matched_pin"] == "sha256/" + os.environ["PIN_INT"], g
assert g["pins_days_left"] in (9, 10), g
'
case_end

write_conf "$T/audit-pass.conf" pinned.test "$PIN_UNRELATED,$PIN_INT"
case_begin "audit --json of passes only: exit 0, the same rows as the table"
run_plain "$PINSHIM_BIN" audit --json -c "$T/audit-pass.conf" --cafile "$PKI/root.pem" "${ROUTES[@]}"
check_rc 0
check_json '
import os
assert len(d["results"]) == 1 and d["results"][0]["verdict"] == "pass", d
assert d["results"][0]["matched_pin"] == "sha256/" + os.environ["PIN_INT"]
'
case_end

write_conf "$T/audit-wild.conf" pinned.test "$PIN_UNRELATED,$PIN_INT" "*.wild.test" "$PIN_INT"
case_begin "audit --json with a wildcard entry: its row, verdict 'not probed (wildcard)', port null, the reason; exit 0"
run_plain "$PINSHIM_BIN" audit --json -c "$T/audit-wild.conf" --cafile "$PKI/root.pem" "${ROUTES[@]}"
check_rc 0
check_json '
rows = {r["host"]: r for r in d["results"]}
assert set(rows) == {"pinned.test", "*.wild.test"}, sorted(rows)
w = rows["*.wild.test"]
assert w["verdict"] == "not probed (wildcard)" and w["port"] is None, w
assert "wild.test" in w["error"] and w["matched_pin"] is None and w["leaf_days_left"] is None, w
assert rows["pinned.test"]["verdict"] == "pass"
'
case_end

# ------------------------------------------------------------------ probe ---

VIA="pinned.test:443:127.0.0.1:$PORT"
PROBE_KEYS='{"host", "port", "address", "tls_version", "sni", "verified", "verify_error", "chain", "verdict", "suggested_entry"}'
CERT_KEYS='{"subject", "issuer", "pin", "role", "not_after", "served"}'

case_begin "probe --json --cafile, no config: the document, verified, the served chain with its pins, verdict null"
run_plain "$PINSHIM_BIN" probe --json --cafile "$PKI/root.pem" --connect-to "$VIA" pinned.test
check_rc 0
check_json '
import os
assert set(d) == '"$PROBE_KEYS"', sorted(d)
assert d["host"] == "pinned.test" and d["port"] == 443
assert d["address"] == "127.0.0.1:" + os.environ["PORT"], d["address"]
assert re.fullmatch(r"TLSv1\.[23]", d["tls_version"]), d["tls_version"]
assert d["sni"] == "pinned.test"
assert d["verified"] is True and d["verify_error"] is None
ch = d["chain"]
assert isinstance(ch, list) and len(ch) >= 2, ch
for c in ch:
    assert set(c) == '"$CERT_KEYS"', sorted(c)
    assert c["role"] in ("leaf", "intermediate", "root"), c
assert ch[0]["role"] == "leaf" and ch[0]["served"] is True
assert ch[0]["pin"] == "sha256/" + os.environ["PIN_LEAF"], ch[0]
assert ch[1]["pin"] == "sha256/" + os.environ["PIN_INT"], ch[1]
assert "sha256/" + os.environ["PIN_ROOT"] in [c["pin"] for c in ch if not c["served"]], ch
assert re.search(r"\d{4}", ch[0]["not_after"]), ch[0]
assert d["verdict"] is None
e = d["suggested_entry"]
assert e.startswith("hosts = (") and "name = \"pinned.test\"" in e and os.environ["PIN_LEAF"] in e, e
'
case_end


write_conf "$T/probe.conf" pinned.test "$PIN_UNRELATED,$PIN_LEAF2"
case_begin "probe --json with a config the chain fails and without --cafile: verdict fail, verified false with the reason, exit 1"
run_plain "$PINSHIM_BIN" probe --json -c "$T/probe.conf" --connect-to "$VIA" pinned.test
check_rc 1
check_json '
assert d["verdict"] == "fail", d["verdict"]
assert d["verified"] is False and isinstance(d["verify_error"], str) and d["verify_error"], d["verify_error"]
assert all(c["served"] for c in d["chain"]), d["chain"]
'
case_end

write_conf "$T/probe-pass.conf" pinned.test "$PIN_UNRELATED,$PIN_INT"
case_begin "probe --json with a config the chain passes: verdict pass, exit 0"
run_plain "$PINSHIM_BIN" probe --json -c "$T/probe-pass.conf" --cafile "$PKI/root.pem" --connect-to "$VIA" pinned.test
check_rc 0
check_json 'assert d["verdict"] == "pass" and d["verified"] is True, d'
case_end

case_begin "probe --json of a closed port: nothing on stdout, the error on stderr, exit 69"
run_plain "$PINSHIM_BIN" probe --json --timeout 5 "127.0.0.1:$CLOSED"
check_rc 69
[ -s "$OUT" ] && case_fail "stdout is not empty: $(head -c 200 "$OUT")"
check_err_has 'Connection refused'
case_end

finish
