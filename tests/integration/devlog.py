"""devlog.py KIND GOT: a stand-in syslog at /dev/log, for tests that run in a
mount namespace of their own with /dev a fresh tmpfs (the system's /dev/log is
never touched).  KIND: dgram-read appends each datagram to GOT, one a line;
dgram-full binds a datagram socket and never reads it (its queue fills);
stream listens on a stream socket (what some syslog daemons offer) and never
accepts.  GOT.ready is made once bound; the reader stops when GOT.stop
appears (having first read every datagram already queued: what was sent
before GOT.stop was made is all in GOT), or after 60 s."""
import os
import socket
import sys
import time

kind, got = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM if kind == "stream" else socket.SOCK_DGRAM)
s.bind("/dev/log")
if kind == "stream":
    s.listen(1)
open(got + ".ready", "w").close()
end = time.time() + 60
if kind == "dgram-read":
    s.settimeout(0.2)
    with open(got, "ab") as f:
        while time.time() < end and not os.path.exists(got + ".stop"):
            try:
                f.write(s.recv(65536) + b"\n")
                f.flush()
            except socket.timeout:
                pass
        s.setblocking(False)
        while True:
            try:
                f.write(s.recv(65536) + b"\n")
            except (BlockingIOError, InterruptedError):
                break
else:
    while time.time() < end and not os.path.exists(got + ".stop"):
        time.sleep(0.1)
