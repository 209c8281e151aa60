#!/bin/bash
# t_uncovered.sh - who is not covered, said plainly (DESIGN 12): a process
# doing TLS through a library pinshim cannot judge gets exactly one line
# ("pinshim: NOT COVERED: ...") and one JSON record with verdict "uncovered",
# the first time it connects after loading that library; its TLS is left
# alone (even with a wrong pin in enforce mode: pinshim never breaks what it
# cannot judge); out of scope (`programs`), not a word.  Covered clients
# (OpenSSL, GnuTLS) never get the notice.
#   - NSS: libcurl's NSS build (libcurl3-nss) through ctypes (nss_get.py),
#     NSS loaded before the first connection and after it;
#   - an OpenSSL linked into the program, which exports its functions: a
#     small C program, and NodeSource's node when it is installed.
# A foreign libssl (BoringSSL) calling in is t_foreign.sh's.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

common_setup
NSS_GET=$_lib_dir/nss_get.py
mkdir -p "$T/doc"
DOC_MARK="uncovered document $$"
echo "$DOC_MARK" > "$T/doc/hello.txt"
start_server -d "$T/doc" "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "web server did not start"
SCOPE_OTHER='programs = [ "/usr/bin/curl" ];'

# conf [SCOPE-LINE]: enforce, pinned.test pinned to a key it does not have
conf() {
    write_conf "$CONF" -v all ${1:+-g "$1"} pinned.test "$PIN_UNRELATED"
}

# notice_once WHAT-RE LIBRARY-RE: exactly one pinshim line, the notice, and
# one JSON record, verdict uncovered, action allowed, library matching.
notice_once() {
    local prog=$1 what=$2 lib=$3
    [ "$(grep -c 'pinshim' "$ERR")" = 1 ] ||
        case_fail "expected one pinshim line on stderr, got $(grep -c pinshim "$ERR"): $(grep pinshim "$ERR" | head -c 400)"
    check_err_has "^pinshim: NOT COVERED: $prog\\[[0-9]+\\]: this process does TLS with $what, which pinshim cannot judge: its connections are not pinned\$"
    "$PYTHON3" - "$LOG" "$prog" "$lib" > "$T/uncovered.out" 2>&1 <<'PY' || case_fail "JSON log: $(cat "$T/uncovered.out")"
import json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert len(lines) == 1, "%d records: %s" % (len(lines), lines)
o = lines[0]
assert o["verdict"] == "uncovered" and o["action"] == "allowed", o
assert o["program"] == sys.argv[2] and o["host"] is None, o
assert re.search(sys.argv[3], o["library"] or ""), o
PY
}

quiet() {
    [ ! -s "$ERR" ] || case_fail "stderr: $(head -c 300 "$ERR")"
    [ ! -s "$LOG" ] || case_fail "JSON log: $(head -c 300 "$LOG")"
}

URL="https://pinned.test:$SERVER_PORT/hello.txt"
RESOLVE="pinned.test:$SERVER_PORT:127.0.0.1"
if ! "$PYTHON3" -c 'import ctypes; ctypes.CDLL("libcurl-nss.so.4")' 2>/dev/null; then
    skip "NSS client (libcurl-nss.so.4 not installed: Debian package libcurl3-nss)"
else
    run_plain "$PYTHON3" "$NSS_GET" "$URL" "$PKI/root.pem" "$RESOLVE"
    [ "$RC" = 0 ] && grep -qxF "$DOC_MARK" "$OUT" ||
        hard_error "the NSS client does not work without the library: $(tail -c 300 "$OUT") $(tail -c 300 "$ERR")"

    for when in before after; do
        case_begin "NSS client (libcurl-nss), NSS loaded $when the first connection, wrong pin: the document is fetched, one notice"
        conf
        : > "$LOG"
        extra=()
        [ $when = before ] || extra=(--connect-first "127.0.0.1:$SERVER_PORT")
        run_preloaded "$PYTHON3" "$NSS_GET" "$URL" "$PKI/root.pem" "$RESOLVE" "${extra[@]}"
        check_rc 0
        grep -qxF "$DOC_MARK" "$OUT" || case_fail "the document was not fetched: $(tail -c 300 "$OUT")"
        notice_once python3 'NSS \(/.*/libssl3\.so\)' '^NSS \(/.*/libssl3\.so\)$'
        case_end
    done

    case_begin "NSS client, out of scope (programs): the document is fetched, not a word"
    conf "$SCOPE_OTHER"
    : > "$LOG"
    run_preloaded "$PYTHON3" "$NSS_GET" "$URL" "$PKI/root.pem" "$RESOLVE"
    check_rc 0
    grep -qxF "$DOC_MARK" "$OUT" || case_fail "the document was not fetched: $(tail -c 300 "$OUT")"
    quiet
    case_end
fi

# A program with an OpenSSL of its own, exported (as node's is): it connects
# and says so; its SSL_do_handshake is never pinshim's.
cat > "$T/ownssl.c" <<'C'
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
int SSL_do_handshake(void *s) { return s != NULL; }
int main(int argc, char **argv)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1])) };
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (argc < 2 || fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        return 1;
    close(fd);
    printf("connected %d\n", SSL_do_handshake(&a));
    return 0;
}
C
${CC:-cc} -Wall -Wextra -O1 -rdynamic -o "$T/ownssl" "$T/ownssl.c" >"$T/cc.log" 2>&1 ||
    hard_error "ownssl does not build: $(head -n 5 "$T/cc.log")"
case_begin "a program with its own OpenSSL (exported SSL_do_handshake): one notice when it connects"
conf
: > "$LOG"
run_preloaded "$T/ownssl" "$SERVER_PORT"
check_rc 0
check_out_has '^connected 1$'
notice_once ownssl 'an OpenSSL linked into the program' '^an OpenSSL linked into the program$'
case_end

case_begin "the same program, out of scope (programs): not a word"
conf "$SCOPE_OTHER"
: > "$LOG"
run_preloaded "$T/ownssl" "$SERVER_PORT"
check_rc 0
quiet
case_end

NODE=$(command -v node || true)
if [ -n "$NODE" ] && LC_ALL=C readelf -W --dyn-syms "$NODE" 2>/dev/null | grep -Eq ' FUNC +GLOBAL +DEFAULT +[0-9]+ SSL_do_handshake$'; then
    case_begin "node with OpenSSL built in, wrong pin: the document is fetched, one notice"
    conf
    : > "$LOG"
    run_preloaded "$NODE" -e '
const fs = require("fs"), https = require("https");
https.get({ host: "127.0.0.1", port: +process.argv[1], servername: "pinned.test", path: "/hello.txt",
            ca: fs.readFileSync(process.argv[2]), headers: { host: "pinned.test" } }, (r) => {
  let b = ""; r.on("data", (d) => b += d); r.on("end", () => { process.stdout.write(b); });
}).on("error", (e) => { console.error("node error: " + e.message); process.exit(1); });' "$SERVER_PORT" "$PKI/root.pem"
    check_rc 0
    grep -qxF "$DOC_MARK" "$OUT" || case_fail "the document was not fetched: $(tail -c 300 "$OUT") $(tail -c 300 "$ERR")"
    notice_once node 'an OpenSSL linked into the program' '^an OpenSSL linked into the program$'
    case_end
else
    skip "node with OpenSSL built in (no node exporting SSL_do_handshake here: NodeSource's does, Debian's links libssl)"
fi

# Covered clients never hear it: OpenSSL (tls_client) and, when built, GnuTLS.
case_begin "an OpenSSL client (tls_client), right pin: a pass record, no notice"
write_conf "$CONF" -v all pinned.test "$PIN_INT"
: > "$LOG"
client --sni pinned.test --cafile "$PKI/root.pem" --send "covered $$"
check_rc 0
check_err_lacks 'NOT COVERED'
check_log pass allowed pinned.test 1
case_end

GNUTLS_CLIENT=${GNUTLS_CLIENT:-$top_builddir/tests/integration/gnutls_client}
if [ -x "$GNUTLS_CLIENT" ]; then
    case_begin "a GnuTLS client (gnutls_client), right pin: a pass record, no notice"
    write_conf "$CONF" -v all pinned.test "$PIN_INT"
    : > "$LOG"
    run_preloaded "$GNUTLS_CLIENT" --host 127.0.0.1 --port "$SERVER_PORT" --sni pinned.test --cafile "$PKI/root.pem" \
        --send "GET /hello.txt HTTP/1.0"
    check_rc 0
    check_err_lacks 'NOT COVERED'
    check_log pass allowed pinned.test 1
    case_end
else
    skip "GnuTLS client (gnutls_client not built)"
fi

finish
