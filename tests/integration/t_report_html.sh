#!/bin/bash
# t_report_html.sh - `pinshim report --html FILE LOG...` (issue 13): one
# self-contained page, read in headless Chromium with no network at all
# (unshare -n), its DOM parsed with python3's html.parser.
#
# The log is real: tls_client, preloaded in report mode, against a server
# that serves key A, then the same host:port serving key B (a rotation; the
# pins match A only), and a second host that always passes.  The page must
# show both hosts with their counts and states, the rotation as two key rows
# (A's columns before B's), the would-block count equal to the B connections,
# no reference to anything outside, and logged strings (a host name and a
# subject with <script>, &, quotes) as text, never as elements.  The same log
# with its times spread over days renders too.  A screenshot is kept in
# $top_builddir/tests/artifacts/report.png (make clean removes it).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

common_setup
need_pinshim_bin
require_cmd unshare xmllint

CHROMIUM=""
for c in chromium chromium-browser; do
    if command -v "$c" >/dev/null 2>&1; then
        CHROMIUM=$(command -v "$c")
        break
    fi
done
[ -n "$CHROMIUM" ] || skip_all "chromium not installed (scripts/install-deps installs it)"

# Chromium runs without a network namespace of its own only for root (or with
# user namespaces: -r maps the caller to root inside).
NONET=""
if unshare -n true 2>/dev/null; then
    NONET="unshare -n"
elif unshare -rn true 2>/dev/null; then
    NONET="unshare -rn"
else
    skip_all "cannot make a network namespace (unshare -n) to prove the page needs no network"
fi

ARTIFACTS=$top_builddir/tests/artifacts
mkdir -p "$ARTIFACTS" || hard_error "cannot make $ARTIFACTS"

# chrome OUTFILE MODE PAGE: headless Chromium, offline, on PAGE; MODE dom
# (the serialized DOM into OUTFILE) or png (a 1280x2000 screenshot into
# OUTFILE).  Bounded; a second try when the browser itself fails (a crash or
# a hang at start-up on a loaded machine is not the page's fault), never more.
CHROME_N=0
chrome() {
    local out=$1 mode=$2 page=$3 try rc
    local -a what
    for try in 1 2; do
        CHROME_N=$((CHROME_N + 1))
        local ud=$T/chrome-profile-$CHROME_N
        mkdir -p "$ud"
        rm -f "$out"
        if [ "$mode" = dom ]; then
            what=(--dump-dom)
        else
            what=(--screenshot="$out" "--window-size=1280,2000" --hide-scrollbars)
        fi
        # shellcheck disable=SC2086
        timeout -k 5 60 $NONET "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
            --disable-background-networking --disable-component-update --disable-sync --no-default-browser-check \
            --user-data-dir="$ud" "${what[@]}" "file://$page" \
            >"$T/chrome-$CHROME_N.out" 2>"$T/chrome-$CHROME_N.err" </dev/null
        rc=$?
        if [ "$mode" = dom ]; then
            cp "$T/chrome-$CHROME_N.out" "$out"
            if [ "$rc" = 0 ] && grep -q '</html>' "$out"; then
                return 0
            fi
        elif [ "$rc" = 0 ] && [ -s "$out" ]; then
            return 0
        fi
        diag "chromium try $try ($mode $page): exit status $rc" "$(tail -n 5 "$T/chrome-$CHROME_N.err")"
    done
    return 1
}

# ----------------------------------------------------------- the server ---

# One listening socket, one host:port; a connection is served key A, or key B
# once the file $ROT_FLAG exists.  One line per connection in $ROT_CONNS.
cat > "$T/rotsrv.py" <<'PYEOF'
import os, socket, ssl, sys, threading, time
cert_a, key_a, cert_b, key_b, flag, portfile, conns, lifetime = sys.argv[1:9]
ctx = {}
for name, cert, key in (("A", cert_a, key_a), ("B", cert_b, key_b)):
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    c.load_cert_chain(cert, key)
    ctx[name] = c
lock = threading.Lock()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(64)
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(portfile + ".tmp", portfile)
deadline = time.monotonic() + float(lifetime)

def serve(c):
    name = "B" if os.path.exists(flag) else "A"
    got, ok = 0, 0
    try:
        c.settimeout(10)
        t = ctx[name].wrap_socket(c, server_side=True)
        ok = 1
        while True:
            d = t.recv(4096)
            if not d:
                break
            got += len(d)
    except (OSError, ssl.SSLError):
        pass
    finally:
        c.close()
        with lock, open(conns, "a") as f:
            f.write("key=%s handshake=%d bytes=%d\n" % (name, ok, got))

s.settimeout(1)
while time.monotonic() < deadline:
    try:
        c, _ = s.accept()
    except socket.timeout:
        continue
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PYEOF

ROT_FLAG=$T/rotated
ROT_CONNS=$T/rot-conns
ROT_PORTFILE=$T/rot-port
: > "$ROT_CONNS"
"$PYTHON3" "$T/rotsrv.py" "$PKI/chain-leaf.pem" "$PKI/leaf.key" "$PKI/chain-leaf2.pem" "$PKI/leaf2.key" \
    "$ROT_FLAG" "$ROT_PORTFILE" "$ROT_CONNS" "${SERVER_LIFETIME:-300}" >"$T/rotsrv.out" 2>"$T/rotsrv.err" </dev/null &
_SERVER_PIDS="$_SERVER_PIDS $!"
for _ in $(seq 1 200); do
    [ -s "$ROT_PORTFILE" ] && break
    sleep 0.05
done
[ -s "$ROT_PORTFILE" ] || hard_error "rotating server did not start: $(cat "$T/rotsrv.err")"
ROT_PORT=$(cat "$ROT_PORTFILE")

# good.test: the genuine chain, pinned by the intermediate: always passes.
start_server -n good "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server did not start"
GOOD_PORT=$SERVER_PORT

# Report mode; pinned.test pins key A (the leaf) only.
write_conf "$CONF" -m report -e false pinned.test "$PIN_LEAF" good.test "$PIN_INT"

# rot_conns KEY: connections the rotating server finished with KEY.
rot_conns() { grep -c "^key=$1 handshake=1 " "$ROT_CONNS"; }

NA=3 NB=4 NG=5
case_begin "a real log: $NA connections to pinned.test with key A, then $NB with key B (rotated), $NG to good.test"
CLIENT_RC=""
tc_to() { # tc_to PORT SNI
    run_preloaded "$TEST_CLIENT" --host 127.0.0.1 --port "$1" --sni "$2" --cafile "$PKI/root.pem" --send "report $$"
    CLIENT_RC="$CLIENT_RC $RC"
}
for i in $(seq 1 "$NA"); do
    tc_to "$ROT_PORT" pinned.test
    [ "$i" -le 2 ] && tc_to "$GOOD_PORT" good.test
done
# Wait until A's connections are all finished, then for two seconds more:
# the log's times are whole seconds, and a column is 1 s wide on a log this
# short (2 s if it ever took over 96 s), so A's last column < B's first.
for _ in $(seq 1 200); do
    [ "$(rot_conns A)" -ge "$NA" ] && break
    sleep 0.05
done
sleep 2.1
touch "$ROT_FLAG"
for i in $(seq 1 "$NB"); do
    tc_to "$ROT_PORT" pinned.test
    [ "$i" -le $((NG - 2)) ] && tc_to "$GOOD_PORT" good.test
done
for _ in $(seq 1 200); do
    [ "$(rot_conns B)" -ge "$NB" ] && break
    sleep 0.05
done
[ "$(rot_conns A)" = "$NA" ] || case_fail "server: $(rot_conns A) connections with key A, expected $NA"
[ "$(rot_conns B)" = "$NB" ] || case_fail "server: $(rot_conns B) connections with key B, expected $NB"
for rc in $CLIENT_RC; do
    [ "$rc" = 0 ] || case_fail "a client exited $rc (report mode allows every connection): $CLIENT_RC"
done
cp "$LOG" "$T/real.jsonl"
# the log says what the page must show
"$PYTHON3" - "$T/real.jsonl" "$NA" "$NB" "$NG" "$PIN_LEAF" "$PIN_LEAF2" > "$T/logsum.out" 2>&1 <<'PYEOF' ||
import json, sys
log, na, nb, ng, pa, pb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
recs = [json.loads(l) for l in open(log) if l.strip()]
def n(host, verdict, leaf):
    return sum(r.get("repeat", 1) for r in recs if r["host"] == host and r["verdict"] == verdict
               and r["served_chain"][0]["pin"] == "sha256/" + leaf)
assert n("pinned.test", "pass", pa) == na, ("pass with A", n("pinned.test", "pass", pa))
assert n("pinned.test", "fail", pb) == nb, ("fail with B", n("pinned.test", "fail", pb))
assert sum(r.get("repeat", 1) for r in recs if r["host"] == "good.test" and r["verdict"] == "pass") == ng
assert all(r["action"] == "allowed" for r in recs)
assert len(recs) == na + nb + ng, len(recs)
PYEOF
    case_fail "the JSON log is not what was run: $(cat "$T/logsum.out")"
case_end

# -------------------------------------------------------------- the page ---

# check_page NAME DOMFILE PYTHON-ARGS...: the DOM checks (below) on DOMFILE.
DOMCHECK=$T/domcheck.py
cat > "$DOMCHECK" <<'PYEOF'
"""Checks a page of `pinshim report --html` as the browser built it.

usage: domcheck.py DOM [--host NAME:PORT:STATE:EVENTS:WOULD_BLOCK]...
                       [--rotation NAME:PIN_A:PIN_B:NA:NB] [--text STRING]...
                       [--nhosts N]
"""
import sys
from html.parser import HTMLParser

REF_ATTRS = {"src", "href", "xlink:href", "srcset", "action", "formaction", "poster", "data", "background",
             "cite", "manifest", "ping", "longdesc", "codebase", "archive", "lowsrc", "dynsrc", "icon"}
FORBIDDEN = {"script", "link", "img", "iframe", "frame", "object", "embed", "base", "form", "video", "audio",
             "source", "track", "image", "use", "foreignobject", "applet", "meta-refresh"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children, self.text = tag, dict(attrs), parent, [], []

    def all(self):
        yield self
        for c in self.children:
            yield from c.all()

    def find(self, tag=None, cls=None):
        for n in self.all():
            if (tag is None or n.tag == tag) and (cls is None or cls in n.attrs.get("class", "").split()):
                yield n

    def textall(self):
        return "".join(t for n in self.all() for t in n.text)


class Tree(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", [], None)
        self.cur = self.root
        self.errors = []

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)
        if tag not in VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not self.root and n.tag != tag:
            n = n.parent
        if n is self.root:
            return
        self.cur = n.parent

    def handle_data(self, data):
        self.cur.text.append(data)


def main():
    args = sys.argv[1:]
    tree = Tree()
    tree.feed(open(args.pop(0), encoding="utf-8").read())
    tree.close()
    root = tree.root
    errs = []
    hosts, rotations, texts, nhosts = [], [], [], None
    while args:
        a = args.pop(0)
        if a == "--host":
            hosts.append(args.pop(0))
        elif a == "--rotation":
            rotations.append(args.pop(0))
        elif a == "--text":
            texts.append(args.pop(0))
        elif a == "--nhosts":
            nhosts = int(args.pop(0))
        else:
            sys.exit("bad argument " + a)

    # Nothing from elsewhere: no element that loads or runs anything, no
    # reference attribute but a fragment, no URL scheme in any attribute, no
    # url() or @import in the style.
    for n in root.all():
        if n.tag in FORBIDDEN:
            errs.append("a <%s> element: %s" % (n.tag, n.attrs))
        if n.tag == "meta" and n.attrs.get("http-equiv", "").lower() == "refresh":
            errs.append("a meta refresh")
        for k, v in n.attrs.items():
            v = v or ""
            if k in REF_ATTRS and not v.startswith("#"):
                errs.append("<%s %s=%r>: a reference to outside the page" % (n.tag, k, v))
            if k.startswith("on"):
                errs.append("<%s %s=...>: an event handler" % (n.tag, k))
            lv = v.lower().replace(" ", "")
            if "http:" in lv or "https:" in lv or "javascript:" in lv or "url(" in lv or "ftp:" in lv:
                errs.append("<%s %s=%r>: names a URL" % (n.tag, k, v))
    for st in root.find("style"):
        css = st.textall().lower()
        if "url(" in css or "@import" in css or "http" in css:
            errs.append("the style names a URL")

    sections = {}
    for s in root.find("section", "host"):
        key = "%s:%s" % (s.attrs.get("data-host"), s.attrs.get("data-port"))
        if key in sections:
            errs.append("two sections for " + key)
        sections[key] = s
    rows = {"%s:%s" % (r.attrs.get("data-host"), r.attrs.get("data-port")): r for r in root.find("tr", "host-row")}
    if nhosts is not None and (len(sections) != nhosts or len(rows) != nhosts):
        errs.append("%d host sections and %d summary rows, expected %d: %s"
                    % (len(sections), len(rows), nhosts, sorted(sections)))
    head = next(root.find("header"), None)
    if head is None or not head.attrs.get("data-events"):
        errs.append("no header with counts")

    for spec in hosts:
        name, port, state, events, wb = spec.rsplit(":", 4)
        key = name + ":" + port
        s, r = sections.get(key), rows.get(key)
        if s is None or r is None:
            errs.append("host %s: section %s, summary row %s (have %s)" % (key, s is not None, r is not None,
                                                                           sorted(sections)))
            continue
        for what, node in (("section", s), ("summary row", r)):
            got = (node.attrs.get("data-state"), node.attrs.get("data-events"), node.attrs.get("data-would-block"))
            if got != (state, events, wb):
                errs.append("host %s %s: state, events, would-block %s, expected %s"
                            % (key, what, got, (state, events, wb)))
        cells = {c.attrs.get("class"): c for c in r.find("td") if c.attrs.get("class")}
        if cells.get("num events") is None or cells["num events"].textall().strip() != events:
            errs.append("host %s: the summary's events cell does not read %s" % (key, events))
        if cells.get("num would-block") is None or cells["num would-block"].textall().strip() != wb:
            errs.append("host %s: the summary's would-block cell does not read %s" % (key, wb))
        conn = next(s.find("g", "conn-row"), None)
        if conn is None:
            errs.append("host %s: no connections row in the timeline" % key)
        else:
            tot = {"ok": 0, "would-block": 0, "blocked": 0}
            for c in conn.find("rect", "conn"):
                tot[c.attrs["data-class"]] += int(c.attrs["data-count"])
            if tot["would-block"] != int(wb) or sum(tot.values()) != int(events):
                errs.append("host %s: timeline connections %s, expected %s events, %s would block"
                            % (key, tot, events, wb))
            if conn.attrs.get("data-would-block") != wb:
                errs.append("host %s: conn-row data-would-block %s" % (key, conn.attrs.get("data-would-block")))
        # every key row's first/last column are those of its cells
        for g in s.find("g", "key-row"):
            cols = [int(c.attrs["data-col"]) for c in g.find("rect", "cell")]
            want = (str(min(cols)), str(max(cols))) if cols else ("-1", "-1")
            if (g.attrs.get("data-first-col"), g.attrs.get("data-last-col")) != want:
                errs.append("host %s key %s: data-first/last-col %s, cells say %s"
                            % (key, g.attrs.get("data-pin"), (g.attrs.get("data-first-col"),
                                                              g.attrs.get("data-last-col")), want))
        if not any(True for _ in s.find("table", "keys")):
            errs.append("host %s: no keys table" % key)

    for spec in rotations:
        key, pa, pb, na, nb = spec.rsplit(":", 4)
        s = sections.get(key)
        if s is None:
            errs.append("rotation: no section for " + key)
            continue
        krows = {g.attrs.get("data-pin"): g for g in s.find("g", "key-row")}
        leaves = [g for g in s.find("g", "key-row") if g.attrs.get("data-depth") == "0"]
        a, b = krows.get("sha256/" + pa), krows.get("sha256/" + pb)
        if len(leaves) != 2 or a is None or b is None:
            errs.append("rotation %s: leaf key rows %s, expected A and B" % (key, [g.attrs.get("data-pin")
                                                                                   for g in leaves]))
            continue
        order = [g.attrs.get("data-pin") for g in s.find("g", "key-row")]
        if order.index("sha256/" + pa) > 1 or order.index("sha256/" + pb) > 1:
            errs.append("rotation %s: the leaf rows are not first: %s" % (key, order))
        a_last, b_first = int(a.attrs["data-last-col"]), int(b.attrs["data-first-col"])
        a_first, b_last = int(a.attrs["data-first-col"]), int(b.attrs["data-last-col"])
        if not (0 <= a_first <= a_last < b_first <= b_last):
            errs.append("rotation %s: A in columns %d-%d, B in %d-%d: A's must end before B's begin"
                        % (key, a_first, a_last, b_first, b_last))
        for g, n, what in ((a, na, "A"), (b, nb, "B")):
            got = sum(int(c.attrs["data-events"]) for c in g.find("rect", "cell"))
            if got != int(n) or g.attrs.get("data-events") != n:
                errs.append("rotation %s: key %s has %d events in its cells (row says %s), expected %s"
                            % (key, what, got, g.attrs.get("data-events"), n))
        if a.attrs.get("data-pinned") != "yes" or b.attrs.get("data-pinned") != "no":
            errs.append("rotation %s: pinned marks A %s B %s" % (key, a.attrs.get("data-pinned"),
                                                                 b.attrs.get("data-pinned")))
        if a.attrs.get("data-colour") == b.attrs.get("data-colour"):
            errs.append("rotation %s: A and B have one colour" % key)
        for pin in (pa, pb):
            if not any(t.attrs.get("data-pin") == "sha256/" + pin for t in s.find("tr", "key")):
                errs.append("rotation %s: keys table lacks %s" % (key, pin))

    body = next(root.find("body"), None)
    alltext = body.textall() if body else ""
    for t in texts:
        if t not in alltext:
            errs.append("the page's text lacks %r" % t)

    if errs:
        print("\n".join(errs))
        sys.exit(1)
    print("%d hosts, %d key rows, %d cells" % (len(sections), sum(1 for _ in root.find("g", "key-row")),
                                               sum(1 for _ in root.find("rect", "cell"))))


main()
PYEOF

# check_xml PAGE: well-formed XML (the page is written so), and libxml2's
# HTML parser finds no error but the HTML5 and SVG element names it does not
# know (it is an HTML 4 parser).
check_xml() {
    if ! xmllint --noout "$1" >"$T/xmllint.out" 2>&1; then
        case_fail "xmllint: not well-formed: $(head -n 6 "$T/xmllint.out")"
    fi
    xmllint --html --noout "$1" >"$T/xmllint-html.out" 2>&1
    local other
    other=$(grep 'error :' "$T/xmllint-html.out" |
        grep -Ev 'error : Tag (section|header|main|footer|figure|figcaption|time|svg|g|rect|line|text|tspan|title) invalid$')
    [ -z "$other" ] || case_fail "xmllint --html: $(printf '%s' "$other" | head -n 6)"
}

# check_dom DOMFILE ARGS...: domcheck.py
check_dom() {
    if "$PYTHON3" -S "$DOMCHECK" "$@" >"$T/domcheck.out" 2>&1; then
        diag "$(cat "$T/domcheck.out")"
    else
        case_fail "the page in the browser: $(head -n 20 "$T/domcheck.out")"
    fi
}

# check_png FILE: a PNG of at least 800x600 and 20 kB (a page, not a blank).
check_png() {
    if ! "$PYTHON3" -S - "$1" >"$T/png.out" 2>&1 <<'PYEOF'; then
import struct, sys
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n", "no PNG signature"
assert d[12:16] == b"IHDR", "no IHDR first"
w, h = struct.unpack(">II", d[16:24])
assert w >= 800 and h >= 600 and len(d) >= 20000, "%dx%d, %d bytes" % (w, h, len(d))
print("%dx%d, %d bytes" % (w, h, len(d)))
PYEOF
        case_fail "screenshot $1: $(cat "$T/png.out")"
    fi
}

case_begin "report --html on the real log: pinned.test would break ($NB would block, the rotation A -> B on the timeline), good.test ready; offline in Chromium"
run_plain "$PINSHIM_BIN" report --html "$T/page.html" "$T/real.jsonl"
check_rc 0
if [ -s "$T/page.html" ]; then
    check_xml "$T/page.html"
    if chrome "$T/page.dom" dom "$T/page.html"; then
        check_dom "$T/page.dom" --nhosts 2 \
            --host "pinned.test:$ROT_PORT:would_break:$((NA + NB)):$NB" \
            --host "good.test:$GOOD_PORT:ready:$NG:0" \
            --rotation "pinned.test:$ROT_PORT:$PIN_LEAF:$PIN_LEAF2:$NA:$NB" \
            --text "would break $NB connections" --text "ready to enforce" --text "CN=pinned.test"
    else
        case_fail "chromium did not dump the page's DOM"
    fi
else
    case_fail "no page written"
fi
case_end

case_begin "the screenshot: a PNG of the page, kept as a test artifact"
if chrome "$ARTIFACTS/report.png" png "$T/page.html"; then
    check_png "$ARTIFACTS/report.png"
    diag "screenshot: $ARTIFACTS/report.png ($(cat "$T/png.out"))"
else
    case_fail "chromium made no screenshot"
fi
case_end

# The same lines, their times spread: each second of the run becomes a day.
case_begin "the same log over days: the axis in days, the rotation still A before B"
"$PYTHON3" - "$T/real.jsonl" "$T/days.jsonl" <<'PYEOF' || case_fail "cannot rewrite the log's times"
import calendar, json, sys, time
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ts = [calendar.timegm(time.strptime(r["time"], "%Y-%m-%dT%H:%M:%SZ")) for r in recs]
t0 = min(ts)
with open(sys.argv[2], "w") as f:
    for r, t in zip(recs, ts):
        r["time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0 - 30 * 86400 + (t - t0) * 86400 + 3600))
        f.write(json.dumps(r) + "\n")
PYEOF
run_plain "$PINSHIM_BIN" report --html "$T/days.html" "$T/days.jsonl"
check_rc 0
if [ -s "$T/days.html" ]; then
    check_xml "$T/days.html"
    if chrome "$T/days.dom" dom "$T/days.html"; then
        check_dom "$T/days.dom" --nhosts 2 \
            --host "pinned.test:$ROT_PORT:would_break:$((NA + NB)):$NB" \
            --host "good.test:$GOOD_PORT:ready:$NG:0" \
            --rotation "pinned.test:$ROT_PORT:$PIN_LEAF:$PIN_LEAF2:$NA:$NB"
        # each second of the run is a day: columns of over 10 minutes, and
        # the axis's first and last ticks on different dates
        width=$(grep -o 'data-width="[0-9]*"' "$T/days.dom" | head -n 1 | tr -dc 0-9)
        [ "${width:-0}" -ge 600 ] || case_fail "the days log's columns are ${width:-?} s wide, expected over 600"
        ticks=$(grep -o '<text class="tick"[^>]*>[0-9-]*' "$T/days.dom" | sed 's/.*>//' | sed -n '1p;$p' | sort -u |
            grep -c .)
        [ "$ticks" = 2 ] || case_fail "the axis's first and last ticks are on one date: $(grep -o '<text class="tick"[^>]*>[0-9-]*' "$T/days.dom" | sed 's/.*>//' | tr '\n' ' ')"
    else
        case_fail "chromium did not dump the page's DOM"
    fi
    chrome "$ARTIFACTS/report-days.png" png "$T/days.html" || case_fail "chromium made no screenshot"
else
    case_fail "no page written"
fi
case_end

# Strings from the log are attacker-influenced: a host name and a subject
# with markup, ampersands and quotes, and a program name, all shown as text;
# control characters (C0, DEL, C1) become U+FFFD, which check_xml proves too.
EVIL_HOST='evil<script>alert(1)</script>&"x'"'"'.test'
EVIL_SUBJECT='CN=<img src=x onerror=alert(2)>&amp; "q" '"'"'s'"'"
EVIL_PROGRAM='<b>prog</b>&'
case_begin "logged strings with <script>, & and quotes are text in the page, not elements"
"$PYTHON3" - "$T/real.jsonl" "$T/evil.jsonl" "$EVIL_HOST" "$EVIL_SUBJECT" "$EVIL_PROGRAM" <<'PYEOF' ||
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
r = [r for r in recs if r["host"] == "good.test"][0]
r["host"], r["program"] = sys.argv[3], sys.argv[5]
r["served_chain"][0]["subject"] = sys.argv[4]
r["served_chain"][0]["pin"] = "sha256/" + "E" * 43 + "="
r["served_chain"][1]["subject"] = "CN=bell\x07 esc\x1b[31m del\x7f c1\x85 end"
r["served_chain"][1]["pin"] = "sha256/" + "F" * 43 + "="
with open(sys.argv[2], "w") as f:
    f.write(json.dumps(r) + "\n")
PYEOF
    case_fail "cannot write the log"
run_plain "$PINSHIM_BIN" report --html "$T/evil.html" "$T/real.jsonl" "$T/evil.jsonl"
check_rc 0
if [ -s "$T/evil.html" ]; then
    check_xml "$T/evil.html"
    if chrome "$T/evil.dom" dom "$T/evil.html"; then
        port=$("$PYTHON3" -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["port"])' "$T/evil.jsonl")
        check_dom "$T/evil.dom" --nhosts 3 \
            --host "$EVIL_HOST:$port:ready:1:0" \
            --host "pinned.test:$ROT_PORT:would_break:$((NA + NB)):$NB" \
            --text "$EVIL_HOST" --text "$EVIL_SUBJECT" --text "$EVIL_PROGRAM" \
            --text $'CN=bell\xef\xbf\xbd esc\xef\xbf\xbd[31m del\xef\xbf\xbd c1\xef\xbf\xbd end'
        grep -q '<b>prog' "$T/evil.html" && case_fail "the program name is written unescaped"
    else
        case_fail "chromium did not dump the page's DOM"
    fi
else
    case_fail "no page written"
fi
case_end

case_begin "a page that cannot be written (--html - into /dev/full): exit status 74 (EX_IOERR), one line on stderr"
# (stdout, not --html /dev/full: a FILE is replaced by a rename, as it should)
if [ -c /dev/full ]; then
    ERR=$T/full.err
    OUT=$T/full.out
    : > "$OUT"
    RUN_CMD="$PINSHIM_BIN report --html - $T/real.jsonl >/dev/full"
    timeout -k 5 30 "$PINSHIM_BIN" report --html - "$T/real.jsonl" >/dev/full 2>"$ERR"
    RC=$?
    check_rc 74
    n=$(grep -c . "$ERR")
    [ "$n" = 1 ] || case_fail "stderr has $n lines, expected 1: $(head -c 400 "$ERR")"
    check_err_has '^pinshim: report: .*(space|write)'
else
    diag "no /dev/full here"
fi
case_end

finish
