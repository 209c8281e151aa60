#!/bin/bash
# t_openssl111.sh - the one libpinshim.so build serves OpenSSL 1.1.1 programs.
#
# DESIGN 6: the library links neither libssl nor libcrypto and takes every
# function from the libssl the program uses, so the SAME $PINSHIM_LIB that
# serves OpenSSL 3 programs must judge and block in a program linked against
# libssl.so.1.1 -- without dragging libssl.so.3/libcrypto.so.3 into it.
#
# OpenSSL 1.1.1 comes from Debian bullseye through fetch-openssl111.sh (a
# private apt tree under the build dir; the system is not touched).  When it
# cannot be had, the test is SKIPPED with the reason.
#
# tls_client.c is compiled against the 1.1.1 headers and libraries, with an
# rpath to them, then run preloaded against tls_server.py:
#   build            client is 1.1.1 in header and at run time; ldd: libssl.so.1.1, no .so.3
#   trace            LD_TRACE_LOADED_OBJECTS with the preload: no libssl.so.3/libcrypto.so.3
#   pass             right leaf pin: handshake, bytes reach the server, JSON log pass/allowed
#   pass-int         right intermediate pin (verified chain walk on 1.1.1)
#   no-ossl3         at run time (LD_DEBUG) neither libssl.so.3 nor libcrypto.so.3
#                    is mapped, on a pass and on a block; libssl.so.1.1 is
#   block 1.2 / 1.3  wrong pin: SSL_ERROR_SSL, verify 50, error names pinning and host,
#                    zero application bytes at the server, log fail/blocked
#   io-after-block   every later write on that SSL fails, nothing reaches the server
#   insecure-int     --insecure, genuine leaf + int, pinned to int: passes (control)
#   insecure-attack  --insecure, attacker leaf + GENUINE int, pinned to int: blocked
#   resume 1.2       resumed TLS 1.2 session passes (leaf pin and int pin), resumed=1
#   resume 1.3       the same with TLS 1.3 tickets
#   resume-wrong     a 1.2 session saved under the right pin, offered in a new
#                    process whose pin is wrong: not offered (DESIGN 3.5), the full
#                    handshake is blocked (never pass what fails in full)
#   implicit         first SSL_write drives the handshake: right pin passes,
#                    wrong pin blocked with zero bytes (TLS 1.2 and 1.3)
#   mode *           do_handshake, write_ex, nonblocking, read, read_ex, peek:
#                    wrong pin blocked with zero bytes; read with the right pin passes
#   threads          4 threads x 40 handshakes over two names, judged one by one

. "$(dirname "$0")/lib.sh"

require_cmd openssl timeout base64 stat ldd "${CC:-cc}"
[ -x "$PYTHON3" ] || skip_all "$PYTHON3 not found"
require_lib

# ---------------------------------------------------------- OpenSSL 1.1.1 --

O111_DIR=${PINSHIM_OPENSSL111_DIR:-$top_builddir/tests/integration/openssl111}
if ! O111_ROOT=$("$_lib_dir/fetch-openssl111.sh" "$O111_DIR" 2>"$T/fetch.err" | tail -n 1) ||
    [ -z "$O111_ROOT" ]; then
    reason=$(grep 'fetch-openssl111:' "$T/fetch.err" | tail -n 1)
    [ -n "$reason" ] || reason=$(tail -n 1 "$T/fetch.err")
    echo "SKIP: OpenSSL 1.1.1 not available: ${reason:-fetch-openssl111.sh failed}"
    skip_all "OpenSSL 1.1.1 not available: ${reason:-fetch-openssl111.sh failed}"
fi
O111_LIB=$O111_ROOT/usr/lib/x86_64-linux-gnu
O111_INC="-I$O111_ROOT/usr/include -I$O111_ROOT/usr/include/x86_64-linux-gnu"
# DT_RPATH (not RUNPATH): it also serves libssl.so.1.1's own need of
# libcrypto.so.1.1, which no system directory has.
O111_LDFLAGS="-L$O111_LIB -Wl,--disable-new-dtags -Wl,-rpath,$O111_LIB"

make_pki "$T/pki" || hard_error "make_pki failed"

# -------------------------------------------------------------- build ----

O111_VER=$(cat "$O111_DIR/.complete" 2>/dev/null)
case_begin "build: tls_client against OpenSSL ${O111_VER:-1.1.1}"
CLIENT111=$T/tls_client111
# shellcheck disable=SC2086
if ! ${CC:-cc} -Wall -Wextra -O1 -pthread $O111_INC -o "$CLIENT111" \
    "$top_srcdir/tests/integration/tls_client.c" $O111_LDFLAGS -lssl -lcrypto >"$T/cc.log" 2>&1; then
    diag "$(head -n 30 "$T/cc.log")"
    hard_error "tls_client.c does not build against OpenSSL 1.1.1"
fi
# A tiny program: the header version and the run-time version must both be 1.1.1.
cat > "$T/ver.c" <<'EOF'
#include <stdio.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <openssl/ssl.h>
int main(void)
{
    printf("header=%lx runtime=%lx %s\n", (unsigned long)OPENSSL_VERSION_NUMBER,
           (unsigned long)OpenSSL_version_num(), OpenSSL_version(OPENSSL_VERSION));
    return !(OPENSSL_VERSION_NUMBER >> 12 == 0x10101 && OpenSSL_version_num() >> 12 == 0x10101);
}
EOF
# shellcheck disable=SC2086
if ! ${CC:-cc} $O111_INC -o "$T/ver" "$T/ver.c" $O111_LDFLAGS -lssl -lcrypto >"$T/cc-ver.log" 2>&1; then
    case_fail "version probe does not build: $(head -n 5 "$T/cc-ver.log")"
else
    run_plain "$T/ver"
    check_rc 0
    check_out_has '^header=10101[0-9a-f]+ runtime=10101[0-9a-f]+ OpenSSL 1\.1\.1'
fi
ldd "$CLIENT111" > "$T/ldd.out" 2>&1
grep -Eq "libssl\.so\.1\.1 => $O111_LIB/libssl\.so\.1\.1" "$T/ldd.out" ||
    case_fail "ldd: libssl.so.1.1 not resolved to $O111_LIB: $(tr '\n' ';' < "$T/ldd.out")"
grep -Eq "libcrypto\.so\.1\.1 => $O111_LIB/libcrypto\.so\.1\.1" "$T/ldd.out" ||
    case_fail "ldd: libcrypto.so.1.1 not resolved to $O111_LIB: $(tr '\n' ';' < "$T/ldd.out")"
! grep -Eq 'lib(ssl|crypto)\.so\.3' "$T/ldd.out" ||
    case_fail "ldd: the 1.1.1 client uses OpenSSL 3: $(grep -E 'so\.3' "$T/ldd.out" | tr '\n' ';')"
! grep -q 'not found' "$T/ldd.out" ||
    case_fail "ldd: $(grep 'not found' "$T/ldd.out" | tr '\n' ';')"
case_end || hard_error "the OpenSSL 1.1.1 client is not what this test needs"
TEST_CLIENT=$CLIENT111

# The library itself must not need OpenSSL (DESIGN 6).
case_begin "trace: LD_PRELOAD of the library adds no libssl.so.3/libcrypto.so.3"
run_plain env LD_TRACE_LOADED_OBJECTS=1 LD_PRELOAD="$PINSHIM_LIB" "$CLIENT111"
check_rc 0
check_out_has "libpinshim\.so"
check_out_has "libssl\.so\.1\.1 => $O111_LIB/libssl\.so\.1\.1"
check_out_lacks 'lib(ssl|crypto)\.so\.3'
case_end

# ------------------------------------------------------------- servers ----

start_server -n good12 -t 1.2 "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server good12"
start_server -n good13 -t 1.3 "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server good13"
start_server -n attack -t any "$PKI/chain-att-genint.pem" "$PKI/attacker-leaf.key" || hard_error "server attack"

CONF_LEAF=$T/leaf.conf
CONF_INT=$T/int.conf
CONF_WRONG=$T/wrong.conf
write_conf "$CONF_LEAF" pinned.test "$PIN_LEAF"
write_conf "$CONF_INT" pinned.test "$PIN_INT"
write_conf "$CONF_WRONG" pinned.test "$PIN_UNRELATED,$PIN_ATTACKER_LEAF"

# common checks of a refused handshake (tls_client's "result=refused" line)
check_pin_block() {
    check_rc 2
    check_timeout
    check_out_has '^handshake .*result=refused .*err=1 verify=50 '
    check_out_has '^handshake .*result=refused .*reason="[^"]*[Pp][Ii][Nn][^"]*"'
    check_out_has '^handshake .*result=refused .*reason="[^"]*pinned\.test[^"]*"'
    check_zero_bytes 1
}

# --------------------------------------------------------- pass / block ----

for tls in 1.2 1.3; do
    use_server "good${tls/./}"

    CONF=$CONF_LEAF
    case_begin "pass TLS $tls: right leaf pin, bytes reach the server"
    client --sni pinned.test --cafile "$PKI/root.pem" --tls "$tls" --send "hello-111-$tls" --read
    check_rc 0
    check_out_has "^handshake .*result=ok .*version=TLSv$tls"
    check_out_has '^read .*result=ok'
    check_received "hello-111-$tls"
    check_log pass allowed pinned.test 1
    check_log_fields
    case_end

    CONF=$CONF_INT
    case_begin "pass-int TLS $tls: right intermediate pin (verified chain)"
    client --sni pinned.test --cafile "$PKI/root.pem" --tls "$tls" --send "int-111-$tls"
    check_rc 0
    check_received "int-111-$tls"
    check_log pass allowed pinned.test 1
    case_end

    CONF=$CONF_WRONG
    case_begin "block TLS $tls: wrong pin, SSL_ERROR_SSL + verify 50, zero bytes"
    client --sni pinned.test --cafile "$PKI/root.pem" --tls "$tls" --send "must-not-arrive-$tls"
    check_pin_block
    check_out_lacks '^write .*result=ok'
    check_log fail blocked pinned.test 1
    check_log_fields
    case_end

    case_begin "io-after-block TLS $tls: later write and read on the blocked SSL fail"
    client --sni pinned.test --cafile "$PKI/root.pem" --tls "$tls" --send "after-block-$tls" \
        --write-after-refusal
    check_pin_block
    check_out_has '^write .*result=failed'
    check_out_lacks '^write .*result=ok'
    check_out_lacks '^read .*result=ok'
    case_end

    CONF=$CONF_WRONG
    case_begin "implicit TLS $tls: first SSL_write runs the handshake, wrong pin blocked"
    client --sni pinned.test --cafile "$PKI/root.pem" --tls "$tls" --mode implicit \
        --send "implicit-must-not-arrive-$tls"
    check_pin_block
    check_out_has '^handshake .*mode=implicit'
    check_out_lacks '^write .*result=ok'
    check_log fail blocked pinned.test 1
    case_end

    CONF=$CONF_LEAF
    case_begin "implicit TLS $tls: right pin passes (control)"
    client --sni pinned.test --cafile "$PKI/root.pem" --tls "$tls" --mode implicit \
        --send "implicit-ok-$tls"
    check_rc 0
    check_out_has '^write .*result=ok'
    check_received "implicit-ok-$tls"
    check_log pass allowed pinned.test 1
    case_end
done

# ----------------------------------------- every way into the handshake ----

# The other entry points, on 1.1.1, with a wrong pin: each is refused the
# same way and nothing reaches the server.  The read modes need a server
# that speaks first.
start_server -n greet13 -t 1.3 -g "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server greet13"
CONF=$CONF_WRONG
for mode in do_handshake write_ex nonblocking read read_ex peek; do
    case $mode in
    read*|peek) use_server greet13 ;;
    *) use_server good13 ;;
    esac
    case_begin "mode $mode: wrong pin blocked, zero bytes"
    client --sni pinned.test --cafile "$PKI/root.pem" --mode "$mode" --send "mode-$mode-must-not-arrive"
    check_pin_block
    check_out_has "^handshake .*mode=$mode"
    check_out_lacks '^(write|read) .*result=ok'
    check_log fail blocked pinned.test 1
    case_end
done

use_server greet13
CONF=$CONF_LEAF
case_begin "mode read: right pin passes, greeting read (control)"
client --sni pinned.test --cafile "$PKI/root.pem" --mode read --send "mode-read-ok"
check_rc 0
check_out_has '^read .*result=ok .*data="hello from tls_server"'
check_received "mode-read-ok"
case_end

# --------------------------------------------------------------- threads ----

# Many handshakes from several threads of one 1.1.1 process: good.test is
# pinned right, bad.test wrong; every one of them is judged on its own.
use_server good13
CONF=$T/threads.conf
write_conf "$CONF" good.test "$PIN_INT" bad.test "$PIN_UNRELATED"
case_begin "threads: 4 threads x 40 handshakes, good.test passes, bad.test blocked, each one"
RUN_TIMEOUT=60 client --cafile "$PKI/root.pem" --threads 4 --count 40 --hosts good.test,bad.test --quiet --send "t"
check_rc 2
check_out_has '^summary sni=good\.test ok=20 refused=0 pinblock=0 error=0 io_failed=0$'
check_out_has '^summary sni=bad\.test ok=0 refused=20 pinblock=20 error=0 io_failed=0$'
check_log pass allowed good.test 20
check_log fail blocked bad.test 20
wait_conns 40 || case_fail "server finished $(new_conns) connections, expected 40"
[ "$(new_bytes)" = 20 ] || case_fail "server received $(new_bytes) bytes, expected 20 (one per good.test handshake)"
case_end

# ------------------------------------------------ OpenSSL 3 never loaded ----

# LD_DEBUG=files prints "file=NAME [ns];  generating link map" only for an
# object that is really mapped (a dlopen(RTLD_NOLOAD) probe of libssl.so.3
# searches but never gets there), and "calling init:" when it runs.
check_no_ossl3_mapped() {
    local f
    f=$(ls "$T"/lddebug."$1".* 2>/dev/null | head -n 1)
    if [ -z "$f" ]; then
        case_fail "no LD_DEBUG output"
        return
    fi
    if grep -Eq 'file=lib(ssl|crypto)\.so\.3 \[[0-9]+\];  generating link map|calling init: .*lib(ssl|crypto)\.so\.3' "$f"; then
        case_fail "OpenSSL 3 was loaded into the 1.1.1 process: $(grep -E 'lib(ssl|crypto)\.so\.3' "$f" | head -n 6 | tr -s '\t ' ' ')"
    fi
    # Control: the detection does see the 1.1.1 libraries being mapped.
    grep -Eq 'file=libssl\.so\.1\.1 \[[0-9]+\];  generating link map' "$f" ||
        case_fail "LD_DEBUG does not show libssl.so.1.1 being mapped (detection broken?)"
    grep -Eq 'calling init: .*libpinshim\.so' "$f" ||
        case_fail "LD_DEBUG does not show libpinshim.so being initialised"
}

use_server good13
CONF=$CONF_INT
case_begin "no-ossl3: a passing handshake maps no libssl.so.3/libcrypto.so.3"
PINSHIM_RUN_ENV="LD_DEBUG=libs,files LD_DEBUG_OUTPUT=$T/lddebug.pass" \
    client --sni pinned.test --cafile "$PKI/root.pem" --send "no-ossl3-pass"
check_rc 0
check_received "no-ossl3-pass"
check_no_ossl3_mapped pass
case_end

CONF=$CONF_WRONG
case_begin "no-ossl3: a blocked handshake maps no libssl.so.3/libcrypto.so.3"
PINSHIM_RUN_ENV="LD_DEBUG=libs,files LD_DEBUG_OUTPUT=$T/lddebug.block" \
    client --sni pinned.test --cafile "$PKI/root.pem" --send "no-ossl3-block"
check_pin_block
check_no_ossl3_mapped block
case_end

# ------------------------------------------------ chain rule (--insecure) ----

use_server good13
CONF=$CONF_INT
case_begin "insecure-int: no verification, genuine leaf + int pinned to int passes (control)"
client --sni pinned.test --insecure --send "insecure-genuine"
check_rc 0
check_received "insecure-genuine"
check_log pass allowed pinned.test 1
case_end

use_server attack
CONF=$CONF_INT
case_begin "insecure-attack: attacker leaf + GENUINE int pinned to int is blocked"
client --sni pinned.test --insecure --send "insecure-attack-must-not-arrive"
check_pin_block
check_log fail blocked pinned.test 1
case_end

# ---------------------------------------------------------------- resume ----

for tls in 1.2 1.3; do
    use_server "good${tls/./}"
    for which in LEAF INT; do
        eval "CONF=\$CONF_$which"
        case_begin "resume TLS $tls: resumed session passes, $which pin"
        client --sni pinned.test --cafile "$PKI/root.pem" --tls "$tls" --resume --send "resume-$tls-$which"
        check_rc 0
        check_count '^handshake .*result=ok' 2
        check_out_has '^handshake who=resume .*result=ok reused=1'
        wait_conns 2 || case_fail "server finished $(new_conns) connections, expected 2"
        check_conn 'resumed=1'
        [ "$(new_record | grep -oF "resume-$tls-$which" | wc -l)" = 2 ] ||
            case_fail "server did not receive the payload twice: $(new_record | tr -c '[:print:]' '.')"
        check_log pass allowed pinned.test 2
        case_end
    done
done

# A session saved by a passing process, resumed in a new process whose pin
# is wrong: the resumed handshake has no verified chain, the leaf does not
# match, so it must be blocked.
use_server good12
CONF=$CONF_LEAF
case_begin "resume-wrong TLS 1.2: session from a passing run, wrong pin in a new process: not offered, full handshake blocked"
client --sni pinned.test --cafile "$PKI/root.pem" --tls 1.2 --sess-out "$T/sess12.pem" --send "save-session"
if [ "$RC" != 0 ] || ! [ -s "$T/sess12.pem" ]; then
    case_fail "could not save a session (exit $RC)"
else
    check_received "save-session"
    mark
    # control: the saved session does resume under the right pin
    client --sni pinned.test --cafile "$PKI/root.pem" --tls 1.2 --sess-in "$T/sess12.pem" \
        --send "resumed-right-pin"
    check_rc 0
    check_out_has '^handshake .*result=ok reused=1'
    check_received "resumed-right-pin"
    mark
    : > "$LOG"
    CONF=$CONF_WRONG
    client --sni pinned.test --cafile "$PKI/root.pem" --tls 1.2 --sess-in "$T/sess12.pem" \
        --send "resumed-must-not-arrive"
    check_pin_block
    check_conn 'resumed=0'
    check_log fail blocked pinned.test 1
fi
case_end

finish
