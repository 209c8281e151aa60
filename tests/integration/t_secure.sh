#!/bin/bash
# t_secure.sh - secure execution (DESIGN 1): under setuid/setgid
# (AT_SECURE), PINSHIM_CONFIG and PINSHIM_MODE are ignored and the library
# reads its default config ($(sysconfdir)/pinshim.conf).
#
# ld.so ignores an LD_PRELOAD path with a slash for a setuid program (unless
# the library is in a trusted directory and itself setuid), and this test
# changes nothing in the system (no /etc/ld.so.preload, nothing installed).
# So a small probe program, copied, made setuid root and run as nobody,
# dlopen()s the library by its absolute path (allowed in setuid programs) and
# drives one handshake through the library's own SSL_connect (dlsym on its
# handle).  The library's constructor takes the environment exactly as when
# preloaded.  Observable: what the refusal names.
#   - PINSHIM_CONFIG = a broken config: without AT_SECURE the refusal names
#     that file; with it, the file is never named and (the default config
#     being absent here) the refusal names the default path.
#   - PINSHIM_MODE = "bogus" with a valid config: without AT_SECURE the
#     refusal names PINSHIM_MODE; with it, PINSHIM_MODE is never named.
#   - PINSHIM_CONFIG = a config whose pin matches: passes without AT_SECURE;
#     with it, the default config decides (fail closed when it is absent).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_cmd cc pkg-config
common_setup

[ "$(id -u)" = 0 ] || skip_all "needs root: the probe must be a setuid-root copy run by an unprivileged user"
getent passwd nobody >/dev/null || skip_all "no user 'nobody' to run the setuid probe as"
if command -v setpriv >/dev/null 2>&1; then
    AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
elif command -v runuser >/dev/null 2>&1; then
    AS_NOBODY=(runuser -u nobody --)
else
    skip_all "neither setpriv nor runuser to run the probe as nobody"
fi
if grep -q '^NoNewPrivs:[[:space:]]*1' /proc/self/status 2>/dev/null; then
    skip_all "no_new_privs is set for this process tree: the kernel ignores setuid bits here"
fi

# The default config the library falls back to (compiled in).
DEFAULT_CONF=$(grep -a -o '/[[:print:]]*/pinshim\.conf' "$PINSHIM_LIB" | head -n 1)
[ -n "$DEFAULT_CONF" ] || hard_error "cannot find the default config path in $PINSHIM_LIB"

# A directory the unprivileged user can reach, on a filesystem that honours setuid.
pick_dir() {
    local d
    for d in "$T/suid" "$top_builddir/tests/integration/suid-$$"; do
        mkdir -p "$d" 2>/dev/null || continue
        if findmnt -n -o OPTIONS --target "$d" 2>/dev/null | tr ',' '\n' | grep -qx nosuid; then
            rm -rf "$d"
            continue
        fi
        echo "$d"
        return 0
    done
    return 1
}
D=$(pick_dir) || skip_all "every candidate directory ($T, $top_builddir) is on a nosuid mount"
case $D in "$T"/*) ;; *) trap 'rm -rf "$D"; cleanup' EXIT ;; esac

cat > "$T/probe.c" <<'EOF'
/* probe LIB PORT CAFILE SNI: dlopen the library, one handshake through its SSL_connect. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 5)
        return 1;
    alarm(30);
    printf("secure=%lu ruid=%d euid=%d\n", getauxval(AT_SECURE), (int)getuid(), (int)geteuid());
    fflush(stdout);
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        printf("dlopen failed: %s\n", dlerror());
        return 1;
    }
    int (*shim_connect)(SSL *) = (int (*)(SSL *))dlsym(h, "SSL_connect");
    if (!shim_connect || shim_connect == SSL_connect) {
        printf("the library has no SSL_connect of its own\n");
        return 1;
    }
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx || SSL_CTX_load_verify_locations(ctx, argv[3], NULL) != 1)
        return 1;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2])) };
    struct timeval tv = { 10, 0 };
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        printf("connect failed\n");
        return 1;
    }
    SSL *s = SSL_new(ctx);
    SSL_set_fd(s, fd);
    SSL_set_tlsext_host_name(s, argv[4]);
    int r = shim_connect(s);
    if (r == 1) {
        printf("result=ok\n");
        SSL_shutdown(s);
    } else {
        char buf[512] = "";
        ERR_error_string_n(ERR_peek_error(), buf, sizeof buf);
        printf("result=refused verify=%ld\n", SSL_get_verify_result(s));
    }
    SSL_free(s);
    SSL_CTX_free(ctx);
    close(fd);
    /* no dlclose: a preload library is never unloaded */
    return r == 1 ? 0 : 2;
}
EOF
SANFLAGS=""
# A library built with sanitizers needs their runtimes first in the probe.
if ldd "$PINSHIM_LIB" 2>/dev/null | grep -q libasan; then
    SANFLAGS="-fsanitize=address,undefined"
fi
# shellcheck disable=SC2046,SC2086
cc -Wall -O1 $SANFLAGS $(pkg-config --cflags openssl) -o "$D/probe" "$T/probe.c" \
    $(pkg-config --libs openssl) -ldl >"$T/cc.log" 2>&1 || {
    cat "$T/cc.log"
    hard_error "cannot build the probe"
}
cp "$PINSHIM_LIB" "$D/libpinshim.so"
chown root:root "$D/probe" "$D/libpinshim.so"
chmod 4755 "$D/probe"
chmod 644 "$D/libpinshim.so"
# nobody must reach the probe and read nothing else of ours: only x on the way.
chmod 711 "$T" "$D"

start_server -n main "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server did not start"
printf 'hosts = (\n  { name = "pinned.test";\n    pins = [ "not a pin" ]; }\n);\n' > "$T/broken.conf"
write_conf "$T/pass.conf" pinned.test "$PIN_LEAF"

# probe_as WHO NAME=VALUE...: run the probe (as root or as nobody) with that environment.
probe_as() {
    local who=$1
    shift
    local -a pre=()
    [ "$who" = nobody ] && pre=("${AS_NOBODY[@]}")
    _RUN_N=$((_RUN_N + 1))
    OUT=$T/run$_RUN_N.out
    ERR=$T/run$_RUN_N.err
    RUN_CMD="${pre[*]} env $* $D/probe ..."
    # (a sanitizer build: a setuid process cannot be traced, so no leak check in it)
    timeout -k 5 40 "${pre[@]}" env ${SANFLAGS:+ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"} "$@" "$D/probe" "$D/libpinshim.so" "$SERVER_PORT" "$PKI/root.pem" \
        pinned.test >"$OUT" 2>"$ERR"
    RC=$?
}
quote() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'; }

# Is the setuid bit honoured here at all?
probe_as nobody PINSHIM_CONFIG="$T/pass.conf"
if ! grep -q '^secure=1 ruid=65534 euid=0$' "$OUT"; then
    skip_all "the setuid-root probe run as nobody does not get AT_SECURE (got: $(head -n 1 "$OUT"); $(head -c 200 "$ERR"))"
fi

case_begin "not secure (root runs it): PINSHIM_CONFIG is read: a broken one is named, a matching one passes"
probe_as root PINSHIM_CONFIG="$T/broken.conf"
check_rc 2
check_out_has '^secure=0 '
check_out_has '^result=refused verify=50$'
check_err_has "$(quote "$T/broken.conf"):3: "
probe_as root PINSHIM_CONFIG="$T/pass.conf"
check_rc 0
check_out_has '^result=ok$'
case_end

case_begin "not secure: PINSHIM_MODE is read (an invalid value refuses, naming it)"
probe_as root PINSHIM_CONFIG="$T/pass.conf" PINSHIM_MODE=bogus
check_rc 2
check_out_has '^result=refused verify=50$'
check_err_has 'PINSHIM_MODE must be enforce, report or off, not "bogus"'
case_end

case_begin "AT_SECURE (setuid root, run as nobody): PINSHIM_CONFIG ignored, the default $DEFAULT_CONF used"
probe_as nobody PINSHIM_CONFIG="$T/broken.conf"
check_out_has '^secure=1 ruid=65534 euid=0$'
check_err_lacks "$(quote "$T/broken.conf")"
if [ -e "$DEFAULT_CONF" ]; then
    diag "($DEFAULT_CONF exists here: its verdict stands; only the ignored path is checked)"
else
    check_rc 2
    check_out_has '^result=refused verify=50$'
    check_err_has "$(quote "$DEFAULT_CONF")"
fi
case_end

case_begin "AT_SECURE: a permissive PINSHIM_CONFIG does not open the door"
probe_as nobody PINSHIM_CONFIG="$T/pass.conf"
check_err_lacks "$(quote "$T/pass.conf")"
if [ -e "$DEFAULT_CONF" ]; then
    diag "($DEFAULT_CONF exists here: its verdict stands)"
else
    check_rc 2
    check_out_has '^result=refused verify=50$'
    check_err_has "$(quote "$DEFAULT_CONF")"
fi
case_end

case_begin "AT_SECURE: PINSHIM_MODE ignored (an invalid value is not even looked at)"
probe_as nobody PINSHIM_CONFIG="$T/pass.conf" PINSHIM_MODE=bogus
check_out_has '^secure=1 '
check_err_lacks 'PINSHIM_MODE'
[ -e "$DEFAULT_CONF" ] || check_err_has "$(quote "$DEFAULT_CONF")"
case_end

finish
