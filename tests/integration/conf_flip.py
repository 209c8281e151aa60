#!/usr/bin/python3
"""conf_flip.py PORT CAFILE CONF NEWCONF UNTIL - a live process across a config change.

Connects to pinned.test on 127.0.0.1:PORT every 0.2 s through python's ssl
(CAFILE trusted), one line per connection: "I ok" or "I blockedN" (N: the
verify code).  After the 3rd connection it puts NEWCONF in place of CONF
(copy, then rename).  It stops at the first connection after the change whose
result is UNTIL ("pass": ok; "refusal": anything else) and prints
"first pass|refusal S s after the change", or, after 10 s without one,
"no pass|refusal within 10 s".  At most 100 connections.
Used by t_reload.sh and t_programs.sh.
"""
import os
import shutil
import socket
import ssl
import sys
import time

port, ca, conf, newconf, until = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context(cafile=ca)


def one():
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="pinned.test"):
                return "ok"
    except ssl.SSLCertVerificationError as e:
        return "blocked%s" % e.verify_code


changed = None
for i in range(100):
    r = one()
    print("%d %s" % (i, r), flush=True)
    if changed is not None and (r == "ok") == (until == "pass"):
        print("first %s %.3f s after the change" % (until, time.time() - changed), flush=True)
        break
    if changed is None and i == 2:
        shutil.copy(newconf, conf + ".new")
        os.rename(conf + ".new", conf)
        changed = time.time()
    if changed is not None and time.time() - changed > 10:
        print("no %s within 10 s" % until, flush=True)
        break
    time.sleep(0.2)
