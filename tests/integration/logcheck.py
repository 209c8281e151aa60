#!/usr/bin/python3
"""logcheck.py LOG [--host H --verdict V --action A [--count N] [--library L]] [--fields]

Checks pinshim's JSON log (DESIGN 5): one JSON object per line.
  --host/--verdict/--action: every line whose host is H (case-insensitive,
      trailing dot ignored) has that verdict and action, and there is at
      least one; with --count, the events (sum of "repeat", absent = 1)
      number exactly N; with --library, each says exactly that library.
  --fields: every line is a JSON object with every field of DESIGN 5 of the
      right type.
Exit 0 when the check holds, 1 with the reason on stdout otherwise.
"""
import argparse
import json
import re
import sys


def norm(h):
    return (h or "").lower().rstrip(".")


def load(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        return None, "cannot read %s: %s" % (path, e)
    lines = []
    for n, raw in enumerate(data.split(b"\n"), 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            return None, "line %d is not JSON (%s): %r" % (n, e, raw[:200])
        if not isinstance(obj, dict):
            return None, "line %d is not a JSON object" % n
        lines.append(obj)
    if data and not data.endswith(b"\n"):
        return None, "the log does not end with a newline (a torn line?)"
    return lines, None


RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]00:00)$")


def check_fields(lines):
    if not lines:
        return "the log is empty"
    for i, o in enumerate(lines, 1):
        def bad(msg):
            return "line %d: %s: %s" % (i, msg, json.dumps(o)[:600])
        for k in ("time", "program", "pid", "host", "port", "peer", "mode", "verdict", "action",
                  "matched_pin", "known_pins", "served_chain", "reason", "library"):
            if k not in o:
                return bad("field %r missing" % k)
        if not isinstance(o["time"], str) or not RFC3339.match(o["time"]):
            return bad("time is not RFC 3339 UTC")
        if not isinstance(o["program"], str) or not o["program"]:
            return bad("program is not a non-empty string")
        if not isinstance(o["pid"], int) or o["pid"] <= 0:
            return bad("pid is not a positive integer")
        if not isinstance(o["host"], str) or not o["host"]:
            return bad("host is not a non-empty string")
        if not isinstance(o["port"], int) or not 0 < o["port"] < 65536:
            return bad("port is not a port number")
        if not isinstance(o["peer"], str) or not re.match(r"^(\[?[0-9A-Fa-f:.]+\]?):\d+$", o["peer"]):
            return bad("peer is not ip:port")
        if not isinstance(o["library"], str) or not re.match(r"^(openssl|gnutls) \d+\.\d+\.\d+", o["library"]):
            return bad("library is not 'openssl VERSION' or 'gnutls VERSION'")
        if o["mode"] not in ("enforce", "report", "off"):
            return bad("mode is not enforce/report/off")
        if o["verdict"] not in ("pass", "fail", "expired", "unpinned", "error"):
            return bad("unknown verdict")
        if o["action"] not in ("blocked", "allowed"):
            return bad("unknown action")
        if o["matched_pin"] is not None and not isinstance(o["matched_pin"], str):
            return bad("matched_pin is neither null nor a string")
        if o["verdict"] == "pass" and not o["matched_pin"]:
            return bad("verdict pass without matched_pin")
        if o["verdict"] == "fail" and o["matched_pin"] is not None:
            return bad("verdict fail with a matched_pin")
        if not isinstance(o["known_pins"], list) or not all(isinstance(p, str) for p in o["known_pins"]):
            return bad("known_pins is not a list of strings")
        if not isinstance(o["served_chain"], list):
            return bad("served_chain is not a list")
        for c in o["served_chain"]:
            if not isinstance(c, dict):
                return bad("served_chain entry is not an object")
            for k in ("subject", "issuer", "pin", "not_after"):
                if k not in c:
                    return bad("served_chain entry lacks %r" % k)
        if o["verdict"] in ("pass", "fail") and not o["served_chain"]:
            return bad("served_chain is empty")
        if not isinstance(o["reason"], str) or not o["reason"]:
            return bad("reason is not a non-empty string")
        if "repeat" in o and (not isinstance(o["repeat"], int) or o["repeat"] < 1):
            return bad("repeat is not a positive integer")
    return None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("log")
    p.add_argument("--host")
    p.add_argument("--verdict")
    p.add_argument("--action")
    p.add_argument("--count", type=int)
    p.add_argument("--fields", action="store_true")
    p.add_argument("--matched-pin", help="with --host: every line's matched_pin is this")
    p.add_argument("--library", help="with --host: every line's library is exactly this")
    a = p.parse_args()
    lines, err = load(a.log)
    if err:
        print(err)
        return 1
    if a.fields:
        err = check_fields(lines)
        if err:
            print(err)
            return 1
    if a.host is not None:
        mine = [o for o in lines if norm(o.get("host")) == norm(a.host)]
        if not mine:
            print("no line for host %s (hosts: %s)" % (a.host, sorted({str(o.get("host")) for o in lines})))
            return 1
        for o in mine:
            if a.verdict and o.get("verdict") != a.verdict:
                print("host %s: verdict %s, expected %s: %s" % (a.host, o.get("verdict"), a.verdict,
                                                               json.dumps(o)[:400]))
                return 1
            if a.action and o.get("action") != a.action:
                print("host %s: action %s, expected %s: %s" % (a.host, o.get("action"), a.action,
                                                              json.dumps(o)[:400]))
                return 1
            if a.library is not None and o.get("library") != a.library:
                print("host %s: library %r, expected %r" % (a.host, o.get("library"), a.library))
                return 1
            if a.matched_pin is not None and o.get("matched_pin") != a.matched_pin:
                print("host %s: matched_pin %s, expected %s" % (a.host, o.get("matched_pin"), a.matched_pin))
                return 1
        if a.count is not None:
            n = sum(o.get("repeat", 1) if isinstance(o.get("repeat", 1), int) else 1 for o in mine)
            if n != a.count:
                print("host %s: %d events logged, expected %d" % (a.host, n, a.count))
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
