#!/usr/bin/python3
"""nss_get.py - a real NSS TLS client for t_uncovered.sh: libcurl's NSS build
(Debian's libcurl3-nss, libcurl-nss.so.4) driven through ctypes, so the TLS
is NSS's (libssl3.so), which pinshim cannot judge.

usage: nss_get.py URL CAFILE RESOLVE [--connect-first HOST:PORT]
  RESOLVE: curl's "name:port:address"
  --connect-first: open (and close) a plain TCP connection before libcurl-nss
  is loaded, so NSS is loaded after the process's first connection.
Prints the body, then "curl rc=N TEXT"; exits with curl's code."""
import ctypes
import socket
import sys

CURLOPT_URL, CURLOPT_CAINFO, CURLOPT_RESOLVE = 10002, 10065, 10203
CURLOPT_TIMEOUT = 13


def main():
    url, cafile, resolve = sys.argv[1:4]
    if len(sys.argv) > 5 and sys.argv[4] == "--connect-first":
        host, port = sys.argv[5].rsplit(":", 1)
        socket.create_connection((host, int(port)), timeout=5).close()
    lib = ctypes.CDLL("libcurl-nss.so.4")
    lib.curl_easy_init.restype = ctypes.c_void_p
    lib.curl_slist_append.restype = ctypes.c_void_p
    lib.curl_slist_append.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.curl_easy_setopt.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
    lib.curl_easy_perform.argtypes = [ctypes.c_void_p]
    lib.curl_easy_strerror.restype = ctypes.c_char_p
    h = lib.curl_easy_init()
    lib.curl_easy_setopt(h, CURLOPT_URL, url.encode())
    lib.curl_easy_setopt(h, CURLOPT_CAINFO, cafile.encode())
    lib.curl_easy_setopt(h, CURLOPT_RESOLVE, lib.curl_slist_append(None, resolve.encode()))
    lib.curl_easy_setopt(h, CURLOPT_TIMEOUT, ctypes.c_void_p(20))
    sys.stdout.flush()
    rc = lib.curl_easy_perform(h)
    print("\ncurl rc=%d %s" % (rc, lib.curl_easy_strerror(rc).decode()))
    return rc


if __name__ == "__main__":
    sys.exit(main())
