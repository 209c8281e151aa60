#!/usr/bin/python3
"""tls_server.py - a small threaded TLS server for the pinshim integration tests.

It binds 127.0.0.1 (or ::1) on a port chosen by the OS, writes that port to a
file, serves one certificate chain, and records every application byte it
receives, so a test can prove that a blocked client sent nothing.

Files it writes (all appended, one write per event, safe to read while it runs):
  --port-file F   the port number, written atomically (tmp + rename) once listening
  --record F      every application byte received, in arrival order, per connection
  --conns F       one line per finished connection:
                  conn=N bytes=B resumed=0|1 sni=NAME|- version=TLSv1.x status=WORD
                  status: eof, closed, http, smtp, idle, handshake-error, error

Behaviour per connection: TLS handshake (10 s bound); with --greet it first sends
"hello from tls_server\\n"; then it reads.  A request that starts like HTTP
("GET ", "POST ", "HEAD ", ...) is answered, once its header is complete, with a
small "HTTP/1.1 200 OK" (Content-Length, Connection: close) and the connection
is closed; anything else is echoed back as "echo: <data>" until EOF or until the
client stays silent for --idle seconds.

With --docroot DIR it is a static-file HTTPS server instead (for git's dumb-HTTP
clone and an apt repository): GET and HEAD of the files under DIR (query strings
ignored, nothing outside DIR), 404 otherwise, keep-alive unless the client asks
for close; --requests F gets one line per request ("conn=N GET /path 200 bytes").
With --smtp it is an SMTP responder over implicit TLS (for msmtp): greeting
"220", then EHLO/HELO, MAIL, RCPT, DATA (to the lone "."), RSET, NOOP, QUIT;
the message is in the record like every other byte.

The server stops by itself after --lifetime seconds (default 120), on SIGTERM,
SIGINT or SIGHUP.  It uses nothing beyond the Python 3 standard library.
"""

import argparse
import mimetypes
import os
import select
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse

HTTP_METHODS = (b"GET ", b"POST ", b"HEAD ", b"PUT ", b"OPTIONS ", b"DELETE ", b"CONNECT ")
GREETING = b"hello from tls_server\n"
BODY = b"pinshim test server: ok\n"


class Recorder:
    """Serialises the writes to the record and conns files."""

    def __init__(self, record, conns):
        self.lock = threading.Lock()
        self.record = record
        self.conns = conns
        self.next_id = 0

    def new_id(self):
        with self.lock:
            self.next_id += 1
            return self.next_id

    def data(self, chunk):
        if not self.record or not chunk:
            return
        with self.lock:
            fd = os.open(self.record, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                os.write(fd, chunk)
            finally:
                os.close(fd)

    def request(self, path, line):
        if not path:
            return
        with self.lock:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                os.write(fd, (line + "\n").encode())
            finally:
                os.close(fd)

    def conn(self, line):
        if not self.conns:
            return
        with self.lock:
            fd = os.open(self.conns, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                os.write(fd, (line + "\n").encode())
            finally:
                os.close(fd)


def classify(buf):
    """True: an HTTP request; False: not one; None: too short to tell."""
    if buf.startswith(HTTP_METHODS):
        return True
    if any(m.startswith(buf) for m in HTTP_METHODS):
        return None
    return False


class Reader:
    """Reads a TLS socket, records every byte and counts them."""

    def __init__(self, tls, rec):
        self.tls = tls
        self.rec = rec
        self.nbytes = 0
        self.buf = b""

    def fill(self):
        """One recv into buf: True, or a status word (eof, closed, idle)."""
        try:
            chunk = self.tls.recv(65536)
        except socket.timeout:
            return "idle"
        except ssl.SSLZeroReturnError:
            return "closed"
        except (ssl.SSLError, OSError):
            return "eof"
        if not chunk:
            return "eof"
        self.nbytes += len(chunk)
        self.rec.data(chunk)
        self.buf += chunk
        return True

    def line(self, limit=65536):
        """The next CRLF- or LF-terminated line (without it), or a status word."""
        while b"\n" not in self.buf:
            if len(self.buf) > limit:
                return "error"
            r = self.fill()
            if r is not True:
                return r
        ln, self.buf = self.buf.split(b"\n", 1)
        return ln.rstrip(b"\r")


def serve_files(tls, rdr, cid, args, rec):
    """HTTP/1.1 GET/HEAD from --docroot; returns the connection's status."""
    root = os.path.realpath(args.docroot)
    served = 0
    for _ in range(10000):
        while b"\r\n\r\n" not in rdr.buf:
            if len(rdr.buf) > 65536:
                return "error"
            r = rdr.fill()
            if r is not True:
                return "http" if served and r in ("eof", "closed") else r
        head, rdr.buf = rdr.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3:
            tls.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return "error"
        method, target, version = parts
        hdrs = {}
        for h in lines[1:]:
            k, _sep, v = h.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        length = int(hdrs.get("content-length", "0") or 0)
        while len(rdr.buf) < length:
            r = rdr.fill()
            if r is not True:
                return r
        rdr.buf = rdr.buf[length:]
        path = urllib.parse.unquote(target.split("?", 1)[0].split("#", 1)[0])
        full = os.path.realpath(os.path.join(root, path.lstrip("/")))
        body = None
        if method in ("GET", "HEAD") and (full == root or full.startswith(root + os.sep)) and os.path.isfile(full):
            with open(full, "rb") as f:
                body = f.read()
            code = b"200 OK"
        else:
            code = b"404 Not Found" if method in ("GET", "HEAD") else b"405 Method Not Allowed"
        close = (hdrs.get("connection", "").lower() == "close"
                 or (version == "HTTP/1.0" and hdrs.get("connection", "").lower() != "keep-alive"))
        payload = body if body is not None else b"not found\n"
        ctype = (mimetypes.guess_type(full)[0] if body is not None else None) or "application/octet-stream"
        out = (b"HTTP/1.1 " + code + b"\r\nContent-Type: " + ctype.encode() + b"\r\n"
               b"Content-Length: %d\r\n" % len(payload)
               + (b"Connection: close\r\n" if close else b"")
               + b"\r\n")
        tls.sendall(out if method == "HEAD" else out + payload)
        served += 1
        rec.request(args.requests, "conn=%d %s %s %s %d" % (cid, method, path, code.split(b" ")[0].decode(),
                                                             len(payload)))
        if close:
            return "http"
    return "error"


def serve_smtp(tls, rdr, args):
    """A minimal SMTP server after an implicit-TLS handshake."""
    tls.sendall(b"220 pinned.test ESMTP pinshim test\r\n")
    for _ in range(10000):
        ln = rdr.line()
        if not isinstance(ln, bytes):
            return ln
        verb = ln[:4].upper()
        if verb == b"EHLO":
            tls.sendall(b"250-pinned.test\r\n250-8BITMIME\r\n250 SIZE 1000000\r\n")
        elif verb in (b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
            tls.sendall(b"250 OK\r\n")
        elif verb == b"DATA":
            tls.sendall(b"354 end with <CRLF>.<CRLF>\r\n")
            for _ in range(1000000):
                dl = rdr.line()
                if not isinstance(dl, bytes):
                    return dl
                if dl == b".":
                    break
            tls.sendall(b"250 OK queued\r\n")
        elif verb == b"QUIT":
            tls.sendall(b"221 bye\r\n")
            return "smtp"
        else:
            tls.sendall(b"502 not implemented\r\n")
    return "error"


def make_context(args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    if args.tls == "1.2":
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    elif args.tls == "1.3":
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if args.anon:
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("aNULL:@SECLEVEL=0")
    # Session tickets and the server-side session cache are OpenSSL's
    # defaults; one context for the whole run keeps one ticket key, so a
    # client can resume across connections.
    ctx.options &= ~ssl.OP_NO_TICKET
    ctx.num_tickets = 2

    def sni_cb(sslobj, name, _ctx):
        sslobj.pinshim_sni = name  # noqa: attribute on SSLObject
        return None

    ctx.sni_callback = sni_cb
    return ctx


def handle(conn, addr, ctx, rec, args):
    cid = rec.new_id()
    nbytes = 0
    status = "error"
    resumed = 0
    sni = "-"
    version = "-"
    tls = None
    try:
        conn.settimeout(10)
        try:
            tls = ctx.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
            tls.do_handshake()
        except (ssl.SSLError, OSError) as e:
            status = "handshake-error"
            # The name the client asked for, when it got that far: a client
            # refused inside the handshake still counts for its name.
            if tls is not None:
                sni = (getattr(tls, "pinshim_sni", None)
                       or getattr(getattr(tls, "_sslobj", None), "pinshim_sni", None) or "-")
            if args.verbose:
                print("tls_server: conn %d handshake: %s" % (cid, e), file=sys.stderr)
            return
        resumed = 1 if tls.session_reused else 0
        version = tls.version() or "-"
        sni = (getattr(tls, "pinshim_sni", None)
               or getattr(getattr(tls, "_sslobj", None), "pinshim_sni", None) or "-")
        if args.greet:
            tls.sendall(GREETING)
        tls.settimeout(args.idle)
        if args.docroot or args.smtp:
            rdr = Reader(tls, rec)
            try:
                status = serve_smtp(tls, rdr, args) if args.smtp else serve_files(tls, rdr, cid, args, rec)
            finally:
                nbytes = rdr.nbytes
            try:
                tls.settimeout(1)
                tls.unwrap()
            except (ssl.SSLError, OSError, ValueError):
                pass
            return
        buf = b""
        is_http = None
        while True:
            try:
                chunk = tls.recv(65536)
            except socket.timeout:
                status = "idle"
                break
            except ssl.SSLZeroReturnError:
                status = "closed"
                break
            except (ssl.SSLError, OSError) as e:
                # e.g. EOF without close_notify, reset by peer
                status = "eof"
                if args.verbose:
                    print("tls_server: conn %d read: %s" % (cid, e), file=sys.stderr)
                break
            if not chunk:
                status = "eof"
                break
            nbytes += len(chunk)
            rec.data(chunk)
            if is_http is None:
                buf += chunk
                is_http = classify(buf)
                if is_http is False:
                    chunk, buf = buf, b""
            elif is_http:
                buf += chunk
            if is_http:
                if b"\r\n\r\n" in buf:
                    head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                            b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(BODY))
                    tls.sendall(head if buf.startswith(b"HEAD ") else head + BODY)
                    status = "http"
                    break
                if len(buf) > 65536:
                    status = "error"
                    break
            elif is_http is False:
                tls.sendall(b"echo: " + chunk)
        try:
            tls.settimeout(1)
            tls.unwrap()
        except (ssl.SSLError, OSError, ValueError):
            pass
    except Exception as e:  # never let a thread die silently
        status = "error"
        if args.verbose:
            print("tls_server: conn %d: %r" % (cid, e), file=sys.stderr)
    finally:
        rec.conn("conn=%d bytes=%d resumed=%d sni=%s version=%s status=%s peer=%s"
                 % (cid, nbytes, resumed, sni, version, status, addr[0]))
        try:
            (tls or conn).close()
        except OSError:
            pass


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cert", required=True, help="PEM chain: leaf first, then CAs")
    p.add_argument("--key", required=True, help="PEM private key of the leaf")
    p.add_argument("--tls", choices=("1.2", "1.3", "any"), default="any")
    p.add_argument("--bind", default="127.0.0.1", help="127.0.0.1 (default) or ::1")
    p.add_argument("--port-file", required=True)
    p.add_argument("--record", help="append every application byte received here")
    p.add_argument("--conns", help="append one line per finished connection here")
    p.add_argument("--lifetime", type=float, default=120.0, help="exit after this many seconds")
    p.add_argument("--idle", type=float, default=5.0, help="close a silent connection after this many seconds")
    p.add_argument("--greet", action="store_true", help="send a greeting right after the handshake")
    p.add_argument("--anon", action="store_true",
                   help="TLS 1.2 with anonymous suites only: no certificate is shown (a man in the middle "
                        "for clients that allow them)")
    p.add_argument("--docroot", help="serve the files under this directory over HTTP/1.1 (GET, HEAD)")
    p.add_argument("--requests", help="with --docroot: append one line per request here")
    p.add_argument("--smtp", action="store_true", help="speak SMTP (implicit TLS) instead")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args()

    stop = threading.Event()

    def on_signal(_signum, _frame):
        stop.set()

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)

    ctx = make_context(args)
    rec = Recorder(args.record, args.conns)
    for f in (args.record, args.conns, args.requests):
        if f:
            open(f, "ab").close()

    family = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((args.bind, 0))
    srv.listen(512)
    port = srv.getsockname()[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, args.port_file)
    if args.verbose:
        print("tls_server: listening on %s port %d" % (args.bind, port), file=sys.stderr)

    deadline = time.monotonic() + args.lifetime
    while not stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            r, _, _ = select.select([srv], [], [], min(left, 0.5))
        except InterruptedError:
            continue
        if not r:
            continue
        try:
            conn, addr = srv.accept()
        except OSError:
            continue
        t = threading.Thread(target=handle, args=(conn, addr, ctx, rec, args), daemon=True)
        t.start()
    srv.close()
    # Give connections in flight a moment to write their conns line.
    end = time.monotonic() + 2
    for t in threading.enumerate():
        if t is not threading.current_thread():
            t.join(max(0, end - time.monotonic()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
