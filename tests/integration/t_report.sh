#!/bin/bash
# t_report.sh - `pinshim report` (issue 13) over a log that real clients
# wrote: report mode, pinned.test served by key LEAF, then (same port) by
# key LEAF2 after a rotation that the pins did not follow; good.test pinned
# to the intermediate; bad.test with no entry.  The report must say per
# host what happened and what enforcing would break, read the log in every
# form it travels in (gzip, stdin, syslog @cee: lines, rsyslog imfile lines,
# journalctl -o json), count coalesced lines by "repeat", suggest entries
# that really let the traffic pass, and keep its memory per host, not per
# line.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

need_pinshim_bin
require_cmd gzip awk
common_setup
cd "$T" || hard_error "cd $T"

TRAFFIC=$T/traffic.jsonl
NOW=2026-12-06T00:00:00Z

# s_server PORT CHAIN KEY: openssl s_server on 127.0.0.1:PORT (bounded life,
# killed at exit); waits until it accepts.  Sets S_PID.
S_N=0
s_server() {
    local i out
    # a new file each time: the background shell truncates a reused one only
    # when it gets to run, and the old server's ACCEPT would be read first
    S_N=$((S_N + 1))
    out=$T/s_server.$S_N.out
    timeout -k 5 300 openssl s_server -accept "127.0.0.1:$1" -cert "$PKI/$2" -cert_chain "$PKI/int.pem" \
        -key "$PKI/$3" -www -naccept 100 >"$out" 2>"$T/s_server.err" </dev/null &
    S_PID=$!
    _SERVER_PIDS="$_SERVER_PIDS $S_PID"
    for i in $(seq 1 200); do
        grep -q '^ACCEPT' "$out" 2>/dev/null && return 0
        kill -0 "$S_PID" 2>/dev/null || break
        sleep 0.05
    done
    diag "$(cat "$T/s_server.err")"
    return 1
}

# to SNI [N]: N (default 1) tls_client runs to SNI at the current server.
to() {
    local k
    for k in $(seq 1 "${2:-1}"); do
        client --sni "$1" --cafile "$PKI/root.pem" --quiet
        [ "$RC" = 0 ] || hard_error "client to $1 failed ($RC): $(cat "$ERR")"
    done
}

# ------------------------------------------------------- the traffic log ---
WRONG=sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
write_conf "$CONF" -m report -e false -j "$TRAFFIC" pinned.test "$PIN_LEAF,$WRONG" good.test "$PIN_INT"
P=$(unused_port)
s_server "$P" leaf.pem leaf.key || hard_error "s_server did not start"
SERVER_PORT=$P SERVER_ADDR=127.0.0.1
to pinned.test 3
start_server -n good "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server did not start"
GOOD_PORT=$SERVER_PORT
to good.test 2
to bad.test 1
# the rotation: the same port, a new key (the pins were not updated)
kill "$S_PID" 2>/dev/null
wait "$S_PID" 2>/dev/null
sleep 1.1   # a later second: the new key's first record is after the old key's last
s_server "$P" leaf2.pem leaf2.key || hard_error "s_server did not restart"
SERVER_PORT=$P SERVER_ADDR=127.0.0.1
to pinned.test 4
kill "$S_PID" 2>/dev/null
[ "$(grep -c . "$TRAFFIC")" = 10 ] || hard_error "expected 10 records, got: $(cat "$TRAFFIC")"
cp "$TRAFFIC" "$T/traffic.keep"

# the dates the answers must hold
LEAF2_END=$(openssl x509 -in "$PKI/leaf2.pem" -noout -enddate | sed 's/notAfter=//')
DAYS=$("$PYTHON3" -c '
import sys, datetime, email.utils
end = datetime.datetime.strptime(sys.argv[1], "%b %d %H:%M:%S %Y GMT").replace(tzinfo=datetime.timezone.utc)
now = datetime.datetime(2026, 12, 6, tzinfo=datetime.timezone.utc)
print((end - now).days)' "$LEAF2_END")

cli() { run_plain "$PINSHIM_BIN" "$@"; }
# the pin as an ERE (base64 has '+' and '/')
ere() { printf '%s' "$1" | sed 's/[][\\.*^$+?(){}|]/\\&/g'; }

# What every reading of this traffic must find (in --json), as Python.
FACTS='
h = {(x["host"], x["port"]): x for x in d["hosts"]}
p = h[("pinned.test", '"$P"')]
g = h[("good.test", '"$GOOD_PORT"')]
b = h[("bad.test", '"$GOOD_PORT"')]
assert len(h) == 3, list(h)
assert p["events"] == 7 and p["state"] == "would_break", (p["events"], p["state"])
assert p["by_verdict"] == {"pass": {"allowed": 3, "blocked": 0}, "fail": {"allowed": 4, "blocked": 0}}, p["by_verdict"]
assert p["modes"]["report"] == 7
assert p["would_block"]["events"] == 4 and p["blocked"]["events"] == 0
assert [(x["name"].split(":")[-1], x["events"]) for x in p["would_block"]["programs"]] == [("tls_client", 4)]
assert re.fullmatch(r"would break 4 connections from (edge[12]:)?tls_client since " + p["would_block"]["first"], p["verdict"]), p["verdict"]
k = {x["pin"]: x for x in p["keys"]}
old, new, ca = k["sha256/'"$PIN_LEAF"'"], k["sha256/'"$PIN_LEAF2"'"], k["sha256/'"$PIN_INT"'"]
assert (old["role"], old["events"], old["matched"], old["unmatched"]) == ("leaf", 3, 3, 0), old
assert (new["role"], new["events"], new["matched"], new["unmatched"]) == ("leaf", 4, 0, 4), new
assert (ca["role"], ca["events"], ca["depth"]) == ("ca", 7, 1), ca
assert old["last_seen"] < new["first_seen"], (old["last_seen"], new["first_seen"])
assert new["serving_now"] and not old["serving_now"] and ca["serving_now"]
assert "CN=pinned.test" in new["subject"] and "intermediate" in ca["subject"]
assert p["known_pins"] == ["sha256/'"$PIN_LEAF"'", "'"$WRONG"'"], p["known_pins"]
assert p["days_to_expiry"] == '"$DAYS"', (p["days_to_expiry"], p["earliest_expiry"])
cols = d["timeline"]["columns"]
assert len(p["timeline"]) == cols and len(new["timeline"]) == cols
assert sum(c["ok"] for c in p["timeline"]) == 3 and sum(c["would_block"] for c in p["timeline"]) == 4
used = lambda t: [i for i, n in enumerate(t) if n]
assert max(used(old["timeline"])) < min(used(new["timeline"])), (old["timeline"], new["timeline"])
assert sum(ca["timeline"]) == 7
assert g["state"] == "ready" and g["verdict"] == "ready to enforce" and g["events"] == 2, g
assert g["by_verdict"] == {"pass": {"allowed": 2, "blocked": 0}}
assert k["sha256/'"$PIN_INT"'"]["matched"] == 0
assert {x["pin"]: x["matched"] for x in g["keys"]}["sha256/'"$PIN_INT"'"] == 2
assert b["state"] == "unpinned" and b["events"] == 1 and b["by_verdict"] == {"unpinned": {"allowed": 1, "blocked": 0}}
assert [x["host"] for x in d["hosts"]][0] == "pinned.test"
'

# ------------------------------------------------------------- the views ---

case_begin "report (terminal): one row per host with counts, days to expiry and the verdict words"
cli report --now "$NOW" "$TRAFFIC"
check_rc 0
check_out_has "^pinshim report: 1 input, 10 lines, 10 records \\(10 connections\\), 0 lines skipped"
check_out_has "^pinned\\.test:$P +7 +3 +4 +4 +0 +$DAYS d +would break 4 connections from tls_client since 20[0-9-]+T"
check_out_has "^good\\.test:$GOOD_PORT +2 +2 +0 +0 +0 .* ready to enforce\$"
check_out_has "^bad\\.test:$GOOD_PORT +1 +0 +0 +0 +0 .* unpinned: no entry"
check_out_has "leaf sha256/$(ere "$PIN_LEAF2") .*CN ?= ?pinned\\.test"
check_out_has "would block  4, "
# the rotation on the terminal: the old key's row ends before the new one's starts
awk -v old="sha256/$PIN_LEAF" -v new="sha256/$PIN_LEAF2" '
    $2 == "leaf" && $3 == old { o = $1 } $2 == "leaf" && $3 == new { n = $1 }
    END { lo = 0; for (i = 1; i <= length(o); i++) if (substr(o, i, 1) == "#") lo = i
          fn = index(n, "#"); exit !(lo > 0 && fn > lo) }' "$OUT" ||
    case_fail "the terminal timeline does not show the old key ending before the new one"
[ -s "$ERR" ] && case_fail "stderr not empty"
case_end

case_begin "report --json: per host verdicts, keys first/last seen with programs, matched pins, would-block, expiry, timeline"
cli report --json --now "$NOW" "$TRAFFIC"
check_rc 0
check_json "$FACTS
assert d['version'] == 1 and d['lines'] == 10 and d['records'] == 10 and d['skipped'] == 0 and d['events'] == 10
assert d['inputs'] == ['$TRAFFIC'] and d['now'] == '$NOW' and d['machines'] == []"
case_end

# --------------------------------------------------------------- inputs ---

case_begin "rotated, gzip'd and split logs, in any order, one from stdin: the same sums"
head -n 4 "$TRAFFIC" > part1
tail -n +5 "$TRAFFIC" | gzip > part2.gz
cp part2.gz part2.1.gz
run_plain sh -c "'$PINSHIM_BIN' report --json --now $NOW part2.gz - < part1"
check_rc 0
check_json "$FACTS
assert d['inputs'] == ['part2.gz', '-'] and d['lines'] == 10"
case_end

case_begin "no LOG argument: standard input when it is not a terminal"
run_plain sh -c "'$PINSHIM_BIN' report --json --now $NOW < '$TRAFFIC'"
check_rc 0
check_json "$FACTS"
case_end

# syslog files: the library's @cee: form, rsyslog imfile's form, the human
# line (skipped), other programs' lines (skipped); journalctl -o json.
"$PYTHON3" - "$TRAFFIC" <<'EOF'
import json, sys
lines = [l.rstrip("\n") for l in open(sys.argv[1]) if l.strip()]
with open("central.log", "w") as f:
    for i, l in enumerate(lines):
        if i % 2:
            f.write("2026-12-05T10:00:%02d.123456+00:00 edge1 pinshim[%d]: @cee: %s\n" % (i, 100 + i, l))
            f.write("2026-12-05T10:00:%02d.123456+00:00 edge1 pinshim[%d]: allowed pinned.test ... (human line)\n" % (i, 100 + i))
        else:
            f.write("Dec  5 10:00:%02d edge1 pinshim-json: %s\n" % (i, l))
        f.write("Dec  5 10:00:%02d edge1 sshd[7]: Accepted publickey for root: {not json\n" % i)
with open("journal.json", "w") as f:
    for l in lines:
        f.write(json.dumps({"__REALTIME_TIMESTAMP": "1", "_HOSTNAME": "edge2", "SYSLOG_IDENTIFIER": "pinshim",
                            "MESSAGE": "@cee: " + l}) + "\n")
        f.write(json.dumps({"_HOSTNAME": "edge2", "MESSAGE": "allowed good.test (human line)"}) + "\n")
EOF

case_begin "syslog files (@cee: and imfile lines) and journalctl -o json: the records counted, the client machines named, the rest skipped"
cli report --json --now "$NOW" central.log
check_rc 0
check_json "$FACTS
assert d['lines'] == 25 and d['records'] == 10 and d['skipped'] == 15, (d['lines'], d['records'], d['skipped'])
assert d['machines'] == [{'name': 'edge1', 'events': 10}], d['machines']
assert all(x['name'].startswith('edge1:') for x in p['programs']), p['programs']"
cli report --json --now "$NOW" journal.json
check_rc 0
check_json "$FACTS
assert d['records'] == 10 and d['skipped'] == 10 and d['machines'] == [{'name': 'edge2', 'events': 10}]"
case_end

case_begin "lines longer than a read block (3 MiB, 2 MiB, exactly 1 MiB) are skipped whole; CRLF and a last line without a newline are read"
"$PYTHON3" - "$TRAFFIC" <<'EOF'
import sys
recs = open(sys.argv[1]).read().splitlines()
with open("edge.jsonl", "w", newline="") as f:
    f.write(recs[0] + "\n" + "x" * (3 << 20) + "\n" + recs[1] + "\r\n" + "y" * ((1 << 20) - 1) + "\n")
    f.write(recs[2] + "\n" + "z" * (2 << 20) + "\n" + recs[3])
EOF
cli report --json --now "$NOW" edge.jsonl
check_rc 0
check_json "assert (d['lines'], d['records'], d['skipped'], d['events']) == (7, 4, 3, 4), (d['lines'], d['records'], d['skipped'])"
case_end

case_begin "coalesced lines count \"repeat\" connections"
{ cat "$TRAFFIC"; tail -n 1 "$TRAFFIC" | sed 's/}$/,"repeat":41}/'; } > repeat.jsonl
cli report --json --now "$NOW" repeat.jsonl
check_rc 0
check_json "
p = [x for x in d['hosts'] if x['host'] == 'pinned.test'][0]
assert d['records'] == 11 and d['events'] == 51 and p['events'] == 48 and p['would_block']['events'] == 45, (d['events'], p['events'])"
case_end

# ------------------------------------------------------------ --suggest ---

case_begin "--suggest: entries that pinshim check accepts and under which today's traffic passes, enforced"
cli report --suggest "$TRAFFIC"
check_rc 0
SUGGEST=$OUT
check_out_has 'name = "pinned\.test";'
check_out_has "port = $P;"
check_out_has "\"sha256/$(ere "$PIN_LEAF2")\", +# leaf .*NOT matched by the current pins"
check_out_has "CAUTION: some keys below were served only in connections that matched none"
check_out_has "BACKUP: add the pin of a key that is not in use yet"
check_out_has 'name = "bad\.test";'
{ echo 'mode = "enforce";'; echo "log = { stderr = true; syslog = false; };"; cat "$SUGGEST"; } > suggested.conf
cli check suggested.conf
check_rc 0
CONF_SAVED=$CONF
CONF=$T/suggested.conf
s_server "$P" leaf2.pem leaf2.key || case_fail "s_server did not restart"
SERVER_PORT=$P SERVER_ADDR=127.0.0.1
client --sni pinned.test --cafile "$PKI/root.pem" --quiet
check_rc 0
use_server good
client --sni good.test --cafile "$PKI/root.pem" --quiet
check_rc 0
kill "$S_PID" 2>/dev/null
CONF=$CONF_SAVED
case_end

# ------------------------------------------------------------- failures ---

case_begin "a LOG that cannot be read: exit 66 after reporting the others; a damaged gzip: exit 65, the records before it counted"
cli report --json --now "$NOW" "$TRAFFIC" no-such.log
check_rc 66
check_err_has "^pinshim: report: no-such\\.log: No such file or directory\$"
check_json "assert d['records'] == 10"
gzip -c "$TRAFFIC" > whole.gz
head -c $(( $(stat -c %s whole.gz) - 20 )) whole.gz > cut.gz
cli report --now "$NOW" cut.gz
check_rc 65
check_err_has "^pinshim: report: cut\\.gz: .*the records before it are counted"
case_end

case_begin "--html FILE: a regular file is replaced whole; a device or a symlink is written into, never renamed over"
cli report --html page.html "$TRAFFIC"
check_rc 0
grep -q '</html>' page.html || case_fail "page.html is not a whole page"
ln -s target.html link.html
cli report --html link.html "$TRAFFIC"
check_rc 0
[ -L link.html ] && grep -q '</html>' target.html || case_fail "the symlink was replaced or its target not written"
cli report --html /dev/full "$TRAFFIC"
check_rc 74
check_err_has "^pinshim: report: /dev/full: No space left on device\$"
[ -c /dev/full ] || { mknod -m 666 /dev/full c 1 7; case_fail "/dev/full was replaced by a file"; }
case_end

case_begin "usage errors: two views, a bad --now, stdin twice: exit 64 with one line"
cli report --json --suggest "$TRAFFIC"
check_rc 64
check_err_has "^pinshim: report: --json and --suggest: one view at a time\$"
cli report --now yesterday "$TRAFFIC"
check_rc 64
check_err_has "^pinshim: report: --now yesterday: not an RFC 3339 time"
cli report - - < /dev/null
check_rc 64
cli report --frobnicate
check_rc 64
check_err_has "^pinshim: report: unknown option --frobnicate"
case_end

case_begin "names from the log are text: no control byte reaches the terminal, --suggest skips what a config cannot hold"
sed -n 1p "$TRAFFIC" | sed 's/"host":"pinned.test"/"host":"evil\\u001b[31m\\n<x>\\"q"/' > evil.jsonl
cli report --now "$NOW" evil.jsonl
check_rc 0
LC_ALL=C grep -q $'\x1b' "$OUT" && case_fail "an escape byte reached stdout"
check_out_has 'evil\?\[31m\?<x>"q'
cli report --suggest evil.jsonl
check_rc 0
check_out_has '^# \(no entry for evil'
check_out_lacks '^hosts = \('
case_end

# ------------------------------------------------------ bounded memory ---

# maxrss LINES: the report's peak resident size in KiB over a log of LINES
# records: the real ones, their times spread over 30 days, 3 hosts.
maxrss() {
    "$PYTHON3" - "$TRAFFIC" "$1" "$PINSHIM_BIN" <<'EOF'
import json, resource, subprocess, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
n = int(sys.argv[2])
with open("many.jsonl", "w") as f:
    for i in range(n):
        r = recs[i % len(recs)]
        t = 1764547200 + i * 30 * 86400 // n
        r["time"] = "%04d-%02d-%02dT%02d:%02d:%02dZ" % __import__("time").gmtime(t)[:6]
        r["pid"] = 1000 + i
        f.write(json.dumps(r, separators=(",", ":")) + "\n")
out = subprocess.run([sys.argv[3], "report", "--json", "many.jsonl"], stdout=subprocess.PIPE, check=True).stdout
d = json.loads(out)
assert d["records"] == n and sum(h["events"] for h in d["hosts"]) == n
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
EOF
}

case_begin "bounded memory: 250 000 records take no more memory than 50 000 (state per host and key, not per line)"
# (both logs are long enough to fill the reading threads' queue of blocks)
small=$(maxrss 50000) || case_fail "the 50 000-record run failed"
large=$(maxrss 250000) || case_fail "the 250 000-record run failed"
echo "# peak RSS: $small KiB for 50 000 records, $large KiB for 250 000"
[ -n "$small" ] && [ -n "$large" ] && [ "$large" -le $((small + 1024)) ] && [ "$large" -le 65536 ] ||
    case_fail "peak RSS grew from $small KiB to $large KiB"
case_end

# The test log and the report's answers, kept as test artifacts (the HTML
# page and its screenshot are t_report_html's).
ART=${top_builddir:-.}/tests/artifacts
if mkdir -p "$ART" 2>/dev/null; then
    cp "$T/traffic.keep" "$ART/report-traffic.jsonl"
    "$PINSHIM_BIN" report "$ART/report-traffic.jsonl" > "$ART/report.txt" 2>&1
    "$PINSHIM_BIN" report --json "$ART/report-traffic.jsonl" > "$ART/report.json" 2>&1
    "$PINSHIM_BIN" report --suggest "$ART/report-traffic.jsonl" > "$ART/report-suggest.conf" 2>&1
    diag "artifacts: $ART/report-traffic.jsonl, report.txt, report.json, report-suggest.conf"
fi

finish
