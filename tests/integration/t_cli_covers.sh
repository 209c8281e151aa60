#!/bin/bash
# t_cli_covers.sh - `pinshim covers PROGRAM...` (DESIGN 12) on the system's
# programs (curl: OpenSSL; wget: GnuTLS; git-remote-https: GnuTLS through
# libcurl-gnutls; python3 through its _ssl module; /bin/true: nothing) and on
# programs built here (BoringSSL, static, NSS, OpenSSL linked in, a private
# OpenSSL copy, Qt's and .NET's libraries, Go's marker, scripts); the exit
# status; and `pinshim exec` telling the line first for a program it does
# not cover, and nothing for one it does.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

need_pinshim_bin
require_cmd "${CC:-cc}" realpath
ARCH_LIB=/usr/lib/$(${CC:-cc} -print-multiarch 2>/dev/null)
[ -d "$ARCH_LIB" ] || ARCH_LIB=/usr/lib/x86_64-linux-gnu

# covers ARGS...: `pinshim covers ARGS...` (bounded); sets OUT ERR RC.
covers() {
    run_plain "$PINSHIM_BIN" covers "$@"
}

# check_line REGEX: stdout is exactly one line, and it matches.
check_line() {
    [ "$(wc -l < "$OUT")" = 1 ] || case_fail "stdout has $(wc -l < "$OUT") lines, expected 1"
    check_out_has "$1"
}

# cc_fixture OUTPUT SOURCE-TEXT CC-ARGS...: compile a program into $T.
cc_fixture() {
    local out=$1 src=$2
    shift 2
    printf '%s\n' "$src" > "$T/$(basename "$out").c"
    # shellcheck disable=SC2086
    ${CC:-cc} -o "$out" "$T/$(basename "$out").c" "$@" >"$T/cc.log" 2>&1 ||
        hard_error "fixture $(basename "$out") does not build: $(head -n 5 "$T/cc.log")"
}

USE_SSL='int SSL_is_server(const void *); int main(int c, char **v) { return c > 9 ? SSL_is_server(v) : 0; }'

# ---- the system's programs ------------------------------------------------

if command -v curl >/dev/null 2>&1; then
    case_begin "curl: OpenSSL through libcurl.so.4, judged; exit 0"
    covers curl
    check_rc 0
    check_line "^$(realpath "$(command -v curl)"): openssl \(libssl\.so\.3 via libcurl\.so\.4\)(, [^:]*)?: judged\$"
    [ ! -s "$ERR" ] || case_fail "stderr: $(head -c 300 "$ERR")"
    case_end
else
    skip "curl (not installed)"
fi

if command -v wget >/dev/null 2>&1; then
    case_begin "wget: GnuTLS (libgnutls.so.30), judged"
    covers wget
    check_rc 0
    check_line "^$(realpath "$(command -v wget)"): gnutls \(libgnutls\.so\.30\): judged\$"
    case_end
else
    skip "wget (not installed)"
fi

if [ -x /usr/lib/git-core/git-remote-https ]; then
    case_begin "git-remote-https: GnuTLS through libcurl-gnutls.so.4, judged"
    covers /usr/lib/git-core/git-remote-https
    check_rc 0
    # (a symlink to git-remote-http on Debian: the line names the file itself)
    check_line "^$(realpath /usr/lib/git-core/git-remote-https): gnutls \(libgnutls\.so\.30 via libcurl-gnutls\.so\.4\): judged\$"
    case_end
else
    skip "git-remote-https (git not installed)"
fi

case_begin "/bin/true: no TLS library, exit 0; a name is found in PATH, symlinks resolved"
covers /bin/true
check_rc 0
check_line "^$(realpath /bin/true): no TLS library\$"
ln -s "$(realpath /bin/true)" "$T/link-to-true"
PATH=$T:$PATH covers link-to-true
check_rc 0
check_line "^$(realpath /bin/true): no TLS library\$"
case_end

PY=$(realpath /usr/bin/python3 2>/dev/null)
SSLMOD=$(ls "$(dirname "$(dirname "$PY")")"/lib/python3*/lib-dynload/_ssl.*.so 2>/dev/null | sed -n 1p)
if [ -n "$SSLMOD" ]; then
    SSLMOD=$(basename "$SSLMOD")
    SSLMOD_RE=${SSLMOD//./\\.}
    case_begin "python3: OpenSSL through its _ssl module, judged"
    covers /usr/bin/python3
    check_rc 0
    check_line "^$PY: openssl \(libssl\.so\.3 via $SSLMOD_RE\): judged\$"
    case_end

    case_begin "scripts: the interpreter of #! (and of #!/usr/bin/env) is judged in their place"
    printf '#!/usr/bin/python3 -u\nprint(1)\n' > "$T/script-py"
    printf '#!/usr/bin/env -S python3 -u\nprint(1)\n' > "$T/script-env"
    printf '#!/bin/sh\necho hi\n' > "$T/script-sh"
    chmod +x "$T/script-py" "$T/script-env" "$T/script-sh"
    PATH=/usr/bin:/bin covers "$T/script-py" "$T/script-env" "$T/script-sh"
    check_rc 0
    check_count "^$T/script-(py|env) \(run by $PY\): openssl \(libssl\.so\.3 via $SSLMOD_RE\): judged\$" 2
    check_out_has "^$T/script-sh \(run by $(realpath /bin/sh)\): no TLS library\$"
    case_end
else
    skip "python3's _ssl module (no python3 with lib-dynload/_ssl)"
fi

# Perl's TLS is Net::SSLeay's, ruby's its openssl extension: judged when they are there.
for interp in perl:auto/Net/SSLeay/SSLeay.so ruby:openssl.so; do
    name=${interp%%:*}
    exe=$(realpath "$(command -v "$name" 2>/dev/null)" 2>/dev/null)
    prefix=$(dirname "$(dirname "${exe:-/x/y}")")
    mod=$(find "$prefix/lib" -path "*/${interp#*:}" 2>/dev/null | sed -n 1p)
    if [ -n "$exe" ] && [ -n "$mod" ]; then
        case_begin "$name: OpenSSL through $(basename "$mod"), judged"
        covers "$name"
        check_rc 0
        check_line "^$exe: openssl \(libssl\.so\.3 via $(basename "$mod" | sed 's/\./\\./g')\): judged\$"
        case_end
    else
        skip "$name's TLS module (not installed)"
    fi
done

# ---- programs built here -----------------------------------------------

BORING_INC=/usr/include/android
BORING_LIB=$ARCH_LIB/android
if [ -f "$BORING_INC/openssl/ssl.h" ] && [ -e "$BORING_LIB/libssl.so" ]; then
    # Built as t_foreign.sh builds it.
    BORING=$T/boring_peer
    ${CC:-cc} -Wall -Wextra -O1 -I"$BORING_INC" -o "$BORING" "$_lib_dir/boring_peer.c" -L"$BORING_LIB" \
        -Wl,--disable-new-dtags -Wl,-rpath,"$BORING_LIB" -lssl -lcrypto >"$T/cc.log" 2>&1 ||
        hard_error "boring_peer does not build: $(head -n 5 "$T/cc.log")"
    case_begin "a program linked to BoringSSL (a libssl pinshim cannot bind): NOT judged, exit 1"
    covers "$BORING"
    check_rc 1
    check_line "^$BORING: other libssl \(libssl\.so\.0 at $BORING_LIB/libssl\.so\.0, without SSL_[a-z_0-9]+\): NOT judged\$"
    case_end

    case_begin "several programs: one line each, in order; exit 1 when any is not covered"
    covers /bin/true "$BORING" /bin/true
    check_rc 1
    [ "$(wc -l < "$OUT")" = 3 ] || case_fail "stdout has $(wc -l < "$OUT") lines, expected 3"
    [ "$(sed -n 2p "$OUT" | cut -d' ' -f1)" = "$BORING:" ] || case_fail "line 2 is not the BoringSSL program's"
    case_end
else
    skip "BoringSSL program (android-libboringssl-dev not installed)"
fi

if ${CC:-cc} -static -o "$T/static" -x c - <<<'int main(void) { return 0; }' >"$T/cc.log" 2>&1; then
    case_begin "a static program: not coverable by a preload, exit 1; OpenSSL linked in is named"
    covers "$T/static"
    check_rc 1
    check_line "^$T/static: statically linked: not coverable by a preload\$"
    cc_fixture "$T/static-ssl" "$USE_SSL" -static -lssl -lcrypto -pthread
    covers "$T/static-ssl"
    check_rc 1
    check_line "^$T/static-ssl: openssl linked in statically: not coverable by a preload\$"
    case_end
else
    skip "static program (no static libc: $(head -n 2 "$T/cc.log"))"
fi

case_begin "a program with its own exported SSL_connect (OpenSSL linked in): not coverable by a preload"
cc_fixture "$T/ownssl" 'int SSL_connect(void *s) { return s != 0; } int main(void) { return SSL_connect(0); }' -rdynamic
covers "$T/ownssl"
check_rc 1
check_line "^$T/ownssl: openssl linked in statically: not coverable by a preload\$"
case_end

if [ -x /usr/bin/node ] && LC_ALL=C readelf -W --dyn-syms /usr/bin/node 2>/dev/null | grep -Eq ' FUNC +GLOBAL +DEFAULT +[0-9]+ SSL_connect$'; then
    case_begin "node with OpenSSL built in (it exports SSL_connect): not coverable by a preload"
    covers /usr/bin/node
    check_rc 1
    check_line "^$(realpath /usr/bin/node): openssl linked in statically: not coverable by a preload\$"
    case_end
fi

if [ -e "$ARCH_LIB/libssl3.so" ]; then
    case_begin "NSS (libssl3.so): NOT judged"
    cc_fixture "$T/nss" 'int SSL_ForceHandshake(void *); int main(int c, char **v) { return c > 9 ? SSL_ForceHandshake(v) : 0; }' \
        -l:libssl3.so
    covers "$T/nss"
    check_rc 1
    check_line "^$T/nss: nss \(libssl3\.so\): NOT judged\$"
    case_end
else
    skip "NSS (libnss3 not installed)"
fi

case_begin "a private copy of the system's OpenSSL, found through RUNPATH: judged, and where it is said"
mkdir -p "$T/priv"
cp "$(${CC:-cc} -print-file-name=libssl.so.3)" "$(${CC:-cc} -print-file-name=libcrypto.so.3)" "$T/priv/"
cc_fixture "$T/privssl" "$USE_SSL" -L"$T/priv" -l:libssl.so.3 -Wl,--enable-new-dtags,-rpath,"$T/priv"
covers "$T/privssl"
check_rc 0
check_line "^$T/privssl: openssl \(libssl\.so\.3 at $T/priv/libssl\.so\.3\): judged\$"
case_end

# OpenSSL 1.1.1, when t_openssl111.sh has fetched it (it is not fetched here).
O111_DIR=${PINSHIM_OPENSSL111_DIR:-$top_builddir/tests/integration/openssl111}
O111_LIB=$O111_DIR/root/usr/lib/x86_64-linux-gnu
if [ -f "$O111_DIR/.complete" ] && [ -e "$O111_LIB/libssl.so.1.1" ]; then
    case_begin "OpenSSL 1.1.1 found through RPATH: judged; through RUNPATH its libcrypto is not found"
    cc_fixture "$T/ssl111" "$USE_SSL" "$O111_LIB/libssl.so.1.1" -Wl,--disable-new-dtags,-rpath,"$O111_LIB"
    covers "$T/ssl111"
    check_rc 0
    check_line "^$T/ssl111: openssl \(libssl\.so\.1\.1 at $O111_LIB/libssl\.so\.1\.1\): judged\$"
    # A RUNPATH is for the program's own needs: libssl.so.1.1's libcrypto.so.1.1 is in no system directory.
    cc_fixture "$T/ssl111-runpath" "$USE_SSL" "$O111_LIB/libssl.so.1.1" -Wl,-rpath-link,"$O111_LIB" \
        -Wl,--enable-new-dtags,-rpath,"$O111_LIB"
    covers "$T/ssl111-runpath"
    check_rc 1
    check_line "^$T/ssl111-runpath: openssl \(libssl\.so\.1\.1 at $O111_LIB/libssl\.so\.1\.1, libcrypto\.so\.1\.1 not found\): NOT judged\$"
    LD_LIBRARY_PATH=$O111_LIB covers "$T/ssl111-runpath"
    check_rc 0
    check_line "^$T/ssl111-runpath: openssl \(libssl\.so\.1\.1 at $O111_LIB/libssl\.so\.1\.1\): judged\$"
    case_end
else
    skip "OpenSSL 1.1.1 (not fetched yet: t_openssl111.sh fetches it)"
fi

case_begin "Qt's network library loads libssl with dlopen: judged"
mkdir -p "$T/qt"
${CC:-cc} -shared -fPIC -Wl,-soname,libQt5Network.so.5 -o "$T/qt/libQt5Network.so.5" -x c - \
    <<<'int qt_network(void) { return 5; }' >"$T/cc.log" 2>&1 || hard_error "libQt5Network fixture: $(head -n 3 "$T/cc.log")"
cc_fixture "$T/qtprog" 'int qt_network(void); int main(void) { return qt_network() != 5; }' \
    "$T/qt/libQt5Network.so.5" -Wl,-rpath,"$T/qt"
covers "$T/qtprog"
check_rc 0
check_line "^$T/qtprog: openssl \(libssl\.so\.3 dlopened by libQt5Network\.so\.5\): judged\$"
case_end

case_begin ".NET (its own verification callback, functions taken with dlsym): judged at libssl's verification bracket"
mkdir -p "$T/dotnet" "$T/apphost"
${CC:-cc} -shared -fPIC -Wl,-soname,libSystem.Security.Cryptography.Native.OpenSsl.so \
    -o "$T/dotnet/libSystem.Security.Cryptography.Native.OpenSsl.so" -x c - \
    <<<'int CryptoNative_EnsureOpenSslInitialized(void) { return 0; }' >"$T/cc.log" 2>&1 ||
    hard_error ".NET fixture: $(head -n 3 "$T/cc.log")"
cc_fixture "$T/dotnet/app" 'int CryptoNative_EnsureOpenSslInitialized(void); int main(void) { return CryptoNative_EnsureOpenSslInitialized(); }' \
    "$T/dotnet/libSystem.Security.Cryptography.Native.OpenSsl.so" -Wl,-rpath,'$ORIGIN'
covers "$T/dotnet/app"
check_rc 0
check_line "^$T/dotnet/app: \.NET \(openssl, with its own verification callback\): judged\$"
# A framework-dependent app: its launcher has the runtime's config beside it.
cc_fixture "$T/apphost/app" 'int main(void) { return 0; }'
printf '{ "runtimeOptions": { "tfm": "net8.0" } }\n' > "$T/apphost/app.runtimeconfig.json"
covers "$T/apphost/app"
check_rc 0
check_line "^$T/apphost/app: \.NET \(openssl, with its own verification callback\): judged\$"
case_end

case_begin "a Go program (its .go.buildinfo section), dynamic or static: not coverable by a preload"
cc_fixture "$T/goprog" '__attribute__((section(".go.buildinfo"), used)) static const char bi[32] = "\xff Go buildinf:";
int main(void) { return 0; }'
covers "$T/goprog"
check_rc 1
check_line "^$T/goprog: go \(crypto/tls\): not coverable by a preload\$"
if [ -x "$T/static" ]; then    # Go links statically unless cgo is used
    cc_fixture "$T/goprog-static" '__attribute__((section(".go.buildinfo"), used)) static const char bi[32] = "\xff Go buildinf:";
int main(void) { return 0; }' -static
    covers "$T/goprog-static"
    check_rc 1
    check_line "^$T/goprog-static: go \(crypto/tls\): not coverable by a preload\$"
fi
case_end

JAVA=$(realpath "$(command -v java 2>/dev/null)" 2>/dev/null)
if [ -n "$JAVA" ] && [ -x "$JAVA" ]; then
    case_begin "java: not coverable by a preload"
    covers java
    check_rc 1
    check_line "^$JAVA: java \(JSSE via libjli\.so\): not coverable by a preload\$"
    case_end
fi

# ---- bad input ------------------------------------------------------------

case_begin "a program that does not exist: exit 66, one line on stderr; the others are still told"
covers no-such-program-pinshim
check_rc 66
[ ! -s "$OUT" ] || case_fail "stdout: $(head -c 300 "$OUT")"
[ "$(wc -l < "$ERR")" = 1 ] || case_fail "stderr has $(wc -l < "$ERR") lines, expected 1"
check_err_has '^pinshim: covers: no-such-program-pinshim: not found in PATH$'
covers /bin/true "$T/no/such/file"
check_rc 66
check_line "^$(realpath /bin/true): no TLS library\$"
check_err_has "^pinshim: covers: $T/no/such/file: No such file or directory\$"
case_end

case_begin "not a program (no ELF, no #!): exit 65; a script whose interpreter is missing: exit 66"
printf 'just text\n' > "$T/text"
covers "$T/text"
check_rc 65
check_err_has "^pinshim: covers: $T/text: not an ELF file nor a script\$"
printf '#!/no/such/interpreter\n' > "$T/orphan"
covers "$T/orphan"
check_rc 66
check_err_has "^pinshim: covers: $T/orphan: its interpreter /no/such/interpreter: No such file or directory\$"
case_end

case_begin "usage: no program, unknown option: exit 64; --help: exit 0"
covers
check_rc 64
check_err_has '^pinshim: covers: which program'
covers --bogus /bin/true
check_rc 64
check_err_has '^pinshim: covers: unknown option --bogus'
covers --help
check_rc 0
check_out_has '^usage: pinshim covers '
case_end

# ---- pinshim exec tells it first ------------------------------------------

printf 'hosts = ( { name = "a.test"; pins = [ "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" ]; } );\n' > "$T/exec.conf"

case_begin "pinshim exec: a program it does not cover gets the covers line on stderr first, and still runs"
cc_fixture "$T/ran" 'int SSL_connect(void *s) { return s != 0; }
#include <stdio.h>
int main(void) { puts("program ran"); return SSL_connect(0) + 3; }' -rdynamic
run_plain "$PINSHIM_BIN" exec -c "$T/exec.conf" -- "$T/ran"
check_rc 3
check_out_has '^program ran$'
[ "$(wc -l < "$ERR")" = 1 ] || case_fail "stderr has $(wc -l < "$ERR") lines, expected 1"
check_err_has "^pinshim: exec: $T/ran: openssl linked in statically: not coverable by a preload\$"
if [ -n "${BORING:-}" ]; then
    PATH=$T:$PATH run_plain "$PINSHIM_BIN" exec -c "$T/exec.conf" boring_peer
    check_err_has "^pinshim: exec: $BORING: other libssl \(.*\): NOT judged\$"
fi
case_end

case_begin "pinshim exec: not a word for a covered program or one without TLS"
if command -v curl >/dev/null 2>&1; then
    run_plain "$PINSHIM_BIN" exec -c "$T/exec.conf" -- curl --version
    check_rc 0
    check_err_lacks 'pinshim'
fi
run_plain "$PINSHIM_BIN" exec -c "$T/exec.conf" -- "$T/privssl"
check_rc 0
[ ! -s "$ERR" ] || case_fail "stderr: $(head -c 300 "$ERR")"
run_plain "$PINSHIM_BIN" exec -c "$T/exec.conf" -- true
check_rc 0
[ ! -s "$ERR" ] || case_fail "stderr: $(head -c 300 "$ERR")"
case_end

finish
