#!/bin/bash
# t_enable.sh - system-wide use, safely (issue 12): `pinshim enable` puts the
# library into /etc/ld.so.preload only after the config every process will
# read checks clean and a trial process loads it quietly; programs started
# afterwards, with no LD_PRELOAD of their own, are judged; `disable` takes it
# out again, leaving every other entry as it was, and works through sudo when
# a broken config is live; `--unit` writes and removes a systemd drop-in;
# `apply` replaces the live config atomically and only with one that checks
# clean.
#
# Never on this machine's own files: every case that touches /etc runs in a
# private mount namespace (unshare -m) where /etc and the build's sysconfdir
# are bind mounts of copies, and a marker file proves it before anything runs.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

common_setup
need_pinshim_bin
require_cmd unshare mount cp cmp setpriv
[ "$(id -u)" = 0 ] || skip_all "needs root (a private mount namespace)"
unshare -m --propagation private true 2>/dev/null || skip_all "cannot make a mount namespace here"
start_server "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server did not start"
RUN_TIMEOUT=30

# The config every process reads: the build's sysconfdir, as its help says.
SYSCONF=$("$PINSHIM_BIN" check --help | sed -n 's/.*else \(\/[^ ;]*\)\/pinshim\.conf.*/\1/p' | head -n 1)
[ -n "$SYSCONF" ] || hard_error "no sysconfdir found in 'pinshim check --help' (its text changed?)"
[ -d "$SYSCONF" ] || skip_all "the build's sysconfdir '$SYSCONF' is not a folder here to mount over"
MULTIARCH_DIR=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
[ -e "/lib/$MULTIARCH_DIR/libdl.so.2" ] || skip_all "no /lib/$MULTIARCH_DIR/libdl.so.2 to stand for another preload"
REAL_PRELOAD_BEFORE=$(cat /etc/ld.so.preload 2>/dev/null || echo "(none)")

# The copies the namespace sees as /etc and as $SYSCONF.
ETC=$T/etc
cp -a /etc "$ETC" || hard_error "cannot copy /etc"
rm -f "$ETC/ld.so.preload"
touch "$ETC/.pinshim-private-etc"
if [ "$SYSCONF" = /etc ]; then
    SYSCOPY=$ETC
else
    SYSCOPY=$T/sysconf
    mkdir -p "$SYSCOPY"
    touch "$SYSCOPY/.pinshim-private-sysconf"
fi
LIVE=$SYSCOPY/pinshim.conf     # seen as $SYSCONF/pinshim.conf inside
PRELOAD=$ETC/ld.so.preload    # seen as /etc/ld.so.preload inside

# in_ns CMD...: CMD in the private namespace (stdout/stderr to OUT/ERR, RC),
# with no PINSHIM_* or LD_PRELOAD of its own: as a program started by init.
in_ns() {
    _RUN_N=$((_RUN_N + 1))
    OUT=$T/run$_RUN_N.out
    ERR=$T/run$_RUN_N.err
    # shellcheck disable=SC2016
    timeout -k 5 "$RUN_TIMEOUT" env -u LD_PRELOAD -u PINSHIM_CONFIG -u PINSHIM_MODE \
        unshare -m --propagation private bash -c '
        etc=$1 sysconf=$2 copy=$3; shift 3
        mount --bind "$etc" /etc || exit 99
        if [ "$sysconf" != /etc ]; then mount --bind "$copy" "$sysconf" || exit 99; fi
        [ -e /etc/.pinshim-private-etc ] || exit 99
        [ "$sysconf" = /etc ] || [ -e "$sysconf/.pinshim-private-sysconf" ] || exit 99
        exec "$@"' in_ns "$ETC" "$SYSCONF" "$SYSCOPY" "$@" >"$OUT" 2>"$ERR"
    RC=$?
    [ "$RC" != 99 ] || hard_error "the private namespace could not be set up: $(cat "$ERR")"
}

ns_client() {  # ns_client ARGS...: tls_client inside, against the server
    in_ns "$TEST_CLIENT" --host "$SERVER_ADDR" --port "$SERVER_PORT" --sni pinned.test --cafile "$PKI/root.pem" "$@"
}

good_conf() {  # good_conf FILE [PIN]: enforce, pinned.test pinned (to PIN)
    write_conf "$1" -j "$T/ns-log.jsonl" pinned.test "${2:-$PIN_INT}"
}

# ---------------------------------------------------------------- enable ---

case_begin "enable with a broken live config: refused (78), the error shown, /etc/ld.so.preload not made"
printf 'mode = "enforce";\nhosts = ( { name = "pinned.test"; pins = [ "sha256/x" ] }\n' > "$LIVE"
in_ns "$PINSHIM_BIN" enable --library "$PINSHIM_LIB"
check_rc 78
check_err_has 'pinshim\.conf:[0-9]+: '
check_err_has 'enable: .*pinshim\.conf has an error: nothing was changed'
[ ! -e "$PRELOAD" ] || case_fail "/etc/ld.so.preload made: $(cat "$PRELOAD")"
case_end

case_begin "enable with no live config at all: refused (66), nothing made"
rm -f "$LIVE"
in_ns "$PINSHIM_BIN" enable --library "$PINSHIM_LIB"
check_rc 66
[ ! -e "$PRELOAD" ] || case_fail "/etc/ld.so.preload made"
case_end

case_begin "enable with a library the loader cannot load: the trial process catches it (78), nothing made"
good_conf "$LIVE"
cp "$PKI/root.pem" "$T/not-a-library.so"
in_ns "$PINSHIM_BIN" enable --library "$T/not-a-library.so"
check_rc 78
check_err_has 'trial process with LD_PRELOAD=.*not-a-library\.so said: .*ld\.so'
[ ! -e "$PRELOAD" ] || case_fail "/etc/ld.so.preload made"
case_end

case_begin "enable --library with no such file: 72, nothing made"
in_ns "$PINSHIM_BIN" enable --library "$T/nowhere/libpinshim.so"
check_rc 72
[ ! -e "$PRELOAD" ] || case_fail "/etc/ld.so.preload made"
case_end

case_begin "enable -c without --unit: a usage error (every process reads the sysconfdir config)"
in_ns "$PINSHIM_BIN" enable -c "$LIVE" --library "$PINSHIM_LIB"
check_rc 64
check_err_has "pinshim apply"
case_end

# Another program's entries and comments, which must survive enable and disable.
# (Real, harmless libraries: every process in the namespace loads them.  A
# comment only first: glibc's ld.so blanks the first '#' to the end of its
# line, and not reliably a later one.)
OTHERS="# kept by the test: another preload and a comment
/lib/$MULTIARCH_DIR/libdl.so.2:/lib/$MULTIARCH_DIR/libutil.so.1"
printf '%s\n' "$OTHERS" > "$T/preload.orig"

case_begin "enable with a clean config: the line is added after the others, and a new program with no LD_PRELOAD is judged (blocked on a wrong pin)"
cp "$T/preload.orig" "$PRELOAD"
good_conf "$LIVE" "$PIN_UNRELATED"
in_ns "$PINSHIM_BIN" enable --library "$PINSHIM_LIB"
check_rc 0
check_out_has "ld\\.so\\.preload: added $PINSHIM_LIB"
head -n 2 "$PRELOAD" | cmp -s - "$T/preload.orig" || case_fail "the other entries changed: $(cat "$PRELOAD")"
grep -qx "$PINSHIM_LIB" "$PRELOAD" || case_fail "no line $PINSHIM_LIB: $(cat "$PRELOAD")"
mark
ns_client --send "probe enabled"
check_rc 2
check_err_has 'pinshim: .*pinned\.test'
check_zero_bytes 1
case_end

case_begin "... and with the right pin in the live config it passes, judged (a pass in the log)"
good_conf "$LIVE" "$PIN_INT"
: > "$T/ns-log.jsonl"
mark
ns_client --send "probe pass"
check_rc 0
check_received "probe pass"
LOG=$T/ns-log.jsonl check_log pass allowed pinned.test
case_end

case_begin "enable again: 'enabled already', the file byte for byte the same"
cp "$PRELOAD" "$T/preload.before"
in_ns "$PINSHIM_BIN" enable --library "$PINSHIM_LIB"
check_rc 0
check_out_has 'enabled already'
cmp -s "$PRELOAD" "$T/preload.before" || case_fail "changed: $(cat "$PRELOAD")"
case_end

case_begin "disable: every pinshim entry goes (two, one on another line with another entry), every other word stays"
cp "$T/preload.orig" "$PRELOAD"
printf '%s\n' "$PINSHIM_LIB" >> "$PRELOAD"
# A second entry on another program's line, as an admin might have added it
# (the $LIB one is not installed here: the loader's complaint is tolerated).
printf '/usr/$LIB/pinshim/libpinshim.so /lib/%s/libanl.so.1\n' "$MULTIARCH_DIR" >> "$PRELOAD"
in_ns "$PINSHIM_BIN" disable
check_rc 0
check_out_has 'pinshim taken out'
printf '%s\n' "$OTHERS" "/lib/$MULTIARCH_DIR/libanl.so.1" > "$T/preload.want"
cmp -s "$PRELOAD" "$T/preload.want" || case_fail "got: $(cat "$PRELOAD")"
case_end

case_begin "disable when the file holds only pinshim: the file is removed; disable again says so (0)"
good_conf "$LIVE"
rm -f "$PRELOAD"
in_ns "$PINSHIM_BIN" enable --library "$PINSHIM_LIB"
check_rc 0
in_ns "$PINSHIM_BIN" disable
check_rc 0
[ ! -e "$PRELOAD" ] || case_fail "left: $(cat "$PRELOAD")"
in_ns "$PINSHIM_BIN" disable
check_rc 0
check_out_has 'not in it'
case_end

case_begin "after disable a new program is not judged any more (the wrong pin passes)"
good_conf "$LIVE" "$PIN_UNRELATED"
mark
ns_client --send "probe disabled"
check_rc 0
check_received "probe disabled"
check_err_lacks 'pinshim'
case_end

case_begin "enable over a stale pinshim line (a library moved away): replaced; another program's stale line: kept, with a warning"
good_conf "$LIVE"
printf '/opt/gone/pinshim/libpinshim.so\n/opt/gone/libother.so\n' > "$PRELOAD"
in_ns "$PINSHIM_BIN" enable --library "$PINSHIM_LIB"
check_rc 0
check_err_has '^pinshim: enable: warning: /etc/ld\.so\.preload holds /opt/gone/libother\.so, which the loader cannot load'
check_err_lacks 'holds /opt/gone/pinshim'
printf '%s\n' /opt/gone/libother.so "$PINSHIM_LIB" > "$T/preload.want"
cmp -s "$PRELOAD" "$T/preload.want" || case_fail "got: $(cat "$PRELOAD")"
rm -f "$PRELOAD"
case_end

# ------------------------------------------------- the way back, via sudo ---

case_begin "the way back: enabled with a broken config live (every TLS client fails closed), 'sudo pinshim disable' works"
require_cmd sudo
good_conf "$LIVE" "$PIN_INT"
in_ns "$PINSHIM_BIN" enable --library "$PINSHIM_LIB"
check_rc 0
printf 'mode = "enforce";\nhosts = ( broken\n' > "$LIVE"   # live, as an editor would leave it
mark
ns_client --send "probe broken"
check_rc 2
check_err_has 'pinshim: '
# PINSHIM_MODE=off does not help: sudo strips it.  disable needs no config.
in_ns env PINSHIM_MODE=off sudo -n "$PINSHIM_BIN" disable
check_rc 0
check_out_has 'pinshim taken out'
[ ! -e "$PRELOAD" ] || case_fail "left: $(cat "$PRELOAD")"
mark
ns_client --send "probe after way back"
check_rc 0
check_received "probe after way back"
case_end

case_begin "disable as a user who cannot write /etc: 77 with a hint, the file untouched"
good_conf "$LIVE"
in_ns "$PINSHIM_BIN" enable --library "$PINSHIM_LIB"
cp "$PRELOAD" "$T/preload.before"
in_ns setpriv --reuid=65534 --regid=65534 --clear-groups "$PINSHIM_BIN" disable
check_rc 77
check_err_has 'run as root'
cmp -s "$PRELOAD" "$T/preload.before" || case_fail "changed"
in_ns "$PINSHIM_BIN" disable
case_end

# --------------------------------------------------------- a systemd unit ---

UNITDIR=$ETC/systemd/system
case_begin "enable --unit NAME -c CONF: a drop-in with LD_PRELOAD and the absolute PINSHIM_CONFIG; no ld.so.preload"
good_conf "$T/unit.conf"
in_ns "$PINSHIM_BIN" enable --unit pinshim-test -c "$T/unit.conf" --library "$PINSHIM_LIB"
check_rc 0
check_out_has 'pinshim-test\.service\.d/pinshim\.conf: written.*systemctl restart pinshim-test\.service'
D=$UNITDIR/pinshim-test.service.d/pinshim.conf
grep -qx '\[Service\]' "$D" || case_fail "no [Service]: $(cat "$D")"
grep -qx "Environment=\"LD_PRELOAD=$PINSHIM_LIB\"" "$D" || case_fail "no LD_PRELOAD: $(cat "$D")"
grep -qx "Environment=\"PINSHIM_CONFIG=$T/unit.conf\"" "$D" || case_fail "no PINSHIM_CONFIG: $(cat "$D")"
[ ! -e "$PRELOAD" ] || case_fail "/etc/ld.so.preload made"
case_end

case_begin "... the drop-in's environment judges the unit's program (blocked on a wrong pin)"
good_conf "$T/unit.conf" "$PIN_UNRELATED"
envs=$(sed -n 's/^Environment="\(.*\)"$/\1/p' "$D")
mark
# shellcheck disable=SC2086
in_ns env $envs "$TEST_CLIENT" --host "$SERVER_ADDR" --port "$SERVER_PORT" --sni pinned.test \
    --cafile "$PKI/root.pem" --send "probe unit"
check_rc 2
check_zero_bytes 1
case_end

# systemd cannot run here (no PID 1 of its own): a stand-in `systemctl` answers
# `show` as systemd 252 prints it and records `daemon-reload`, and
# /run/systemd/system exists in the namespace, as on a machine running it.
mkdir -p "$T/stub/bin" "$T/run-systemd/system"
cat > "$T/stub/bin/systemctl" <<'STUB'
#!/bin/sh
case $1 in
show) cat "$STUB_DIR/show" ;;
daemon-reload) echo daemon-reload >> "$STUB_DIR/calls" ;;
*) exit 1 ;;
esac
STUB
chmod +x "$T/stub/bin/systemctl"
with_systemd() {  # with_systemd CMD...: CMD in the namespace, systemd "running"
    in_ns bash -c 'mount --bind "$1" /run/systemd || exit 99; shift; exec "$@"' with_systemd \
        "$T/run-systemd" env STUB_DIR="$T/stub" PATH="$T/stub/bin:$PATH" "$@"
}

case_begin "enable --unit when the unit sets LD_PRELOAD itself: kept after the library; daemon-reload run"
good_conf "$T/unit.conf"
printf '%s\n' "Environment=FOO=1 \"LD_PRELOAD=/lib/$MULTIARCH_DIR/libdl.so.2 /old/place/libpinshim.so\"" \
    "EnvironmentFiles=" > "$T/stub/show"
rm -f "$T/stub/calls"
with_systemd "$PINSHIM_BIN" enable --unit keep-test -c "$T/unit.conf" --library "$PINSHIM_LIB"
check_rc 0
check_out_has "keep-test\\.service sets LD_PRELOAD itself"
D2=$UNITDIR/keep-test.service.d/pinshim.conf
grep -qx "Environment=\"LD_PRELOAD=$PINSHIM_LIB /lib/$MULTIARCH_DIR/libdl.so.2\"" "$D2" || case_fail "drop-in: $(cat "$D2")"
grep -qx daemon-reload "$T/stub/calls" 2>/dev/null || case_fail "no daemon-reload"
case_end

case_begin "enable --unit when the unit's EnvironmentFile sets LD_PRELOAD (it would override the drop-in): refused, no drop-in"
printf 'OTHER=1\nexport LD_PRELOAD=/lib/%s/libdl.so.2\n' "$MULTIARCH_DIR" > "$T/unit.env"
printf '%s\n' "Environment=" "EnvironmentFiles=$T/unit.env (ignore_errors=no)" > "$T/stub/show"
with_systemd "$PINSHIM_BIN" enable --unit envfile-test -c "$T/unit.conf" --library "$PINSHIM_LIB"
check_rc 78
check_err_has "sets LD_PRELOAD in its EnvironmentFile .*unit\\.env"
[ ! -e "$UNITDIR/envfile-test.service.d" ] || case_fail "drop-in made"
with_systemd "$PINSHIM_BIN" disable --unit keep-test
check_rc 0
grep -c daemon-reload "$T/stub/calls" | grep -qx 2 || case_fail "disable ran no daemon-reload: $(cat "$T/stub/calls")"
case_end

case_begin "enable --unit with a broken CONF: refused, no drop-in"
printf 'hosts = (\n' > "$T/broken.conf"
in_ns "$PINSHIM_BIN" enable --unit other-test -c "$T/broken.conf" --library "$PINSHIM_LIB"
check_rc 78
[ ! -e "$UNITDIR/other-test.service.d" ] || case_fail "drop-in folder made"
case_end

case_begin "enable --unit with a name that leaves the folder: a usage error"
in_ns "$PINSHIM_BIN" enable --unit ../../evil -c "$T/unit.conf" --library "$PINSHIM_LIB"
check_rc 64
case_end

case_begin "disable --unit: a drop-in pinshim did not write is left alone (65); ours is removed with its empty folder"
mkdir -p "$UNITDIR/foreign.service.d"
printf '[Service]\nEnvironment=X=1\n' > "$UNITDIR/foreign.service.d/pinshim.conf"
in_ns "$PINSHIM_BIN" disable --unit foreign
check_rc 65
[ -e "$UNITDIR/foreign.service.d/pinshim.conf" ] || case_fail "the foreign drop-in was removed"
in_ns "$PINSHIM_BIN" disable --unit pinshim-test
check_rc 0
[ ! -e "$UNITDIR/pinshim-test.service.d" ] || case_fail "left: $(ls -A "$UNITDIR/pinshim-test.service.d")"
case_end

case_begin "disable --all (the package's prerm): the preload line and every drop-in of ours, nothing else"
good_conf "$LIVE"
in_ns "$PINSHIM_BIN" enable --library "$PINSHIM_LIB"
in_ns "$PINSHIM_BIN" enable --unit a-test -c "$T/unit.conf" --library "$PINSHIM_LIB"
in_ns "$PINSHIM_BIN" enable --unit b-test.service -c "$T/unit.conf" --library "$PINSHIM_LIB"
mkdir -p "$UNITDIR/a-test.service.d" && printf '[Service]\nNice=5\n' > "$UNITDIR/a-test.service.d/other.conf"
in_ns "$PINSHIM_BIN" disable --all
check_rc 0
[ ! -e "$PRELOAD" ] || case_fail "ld.so.preload left: $(cat "$PRELOAD")"
[ ! -e "$UNITDIR/a-test.service.d/pinshim.conf" ] || case_fail "a-test's drop-in left"
[ -e "$UNITDIR/a-test.service.d/other.conf" ] || case_fail "a-test's other drop-in removed"
[ ! -e "$UNITDIR/b-test.service.d" ] || case_fail "b-test's folder left"
[ -e "$UNITDIR/foreign.service.d/pinshim.conf" ] || case_fail "the foreign drop-in was removed"
case_end

# ----------------------------------------------------------------- apply ---

case_begin "apply a broken config: refused (1) naming the new file and line, the live config byte for byte untouched, no stray file"
good_conf "$LIVE"
cp "$LIVE" "$T/live.before"
ino_before=$(stat -c %i "$LIVE")
printf 'mode = "enforce";\n\nhosts = ( { name = "x"; pins = [ 1 ] } );\n' > "$T/new-broken.conf"
in_ns "$PINSHIM_BIN" apply "$T/new-broken.conf"
check_rc 1
check_err_has "new-broken\\.conf:3"
check_err_has 'untouched'
check_err_lacks '\.pinshim\.conf\.pinshim-'
cmp -s "$LIVE" "$T/live.before" || case_fail "the live config changed"
[ "$(stat -c %i "$LIVE")" = "$ino_before" ] || case_fail "the live config was replaced"
[ -z "$(ls -A "$SYSCOPY" | grep '\.pinshim-......$')" ] || case_fail "stray: $(ls -A "$SYSCOPY")"
case_end

case_begin "apply a clean config: renamed over the live one (a new inode, same mode 0640), a client judges by it"
chmod 0640 "$LIVE"
good_conf "$T/new-good.conf" "$PIN_UNRELATED"
in_ns "$PINSHIM_BIN" apply "$T/new-good.conf"
check_rc 0
check_out_has 'now the config from .*new-good\.conf'
cmp -s "$LIVE" "$T/new-good.conf" || case_fail "the live config is not the new one"
[ "$(stat -c %i "$LIVE")" != "$ino_before" ] || case_fail "the same inode: written in place, not renamed"
[ "$(stat -c %a "$LIVE")" = 640 ] || case_fail "mode $(stat -c %a "$LIVE")"
mark
in_ns env LD_PRELOAD="$PINSHIM_LIB" "$TEST_CLIENT" --host "$SERVER_ADDR" --port "$SERVER_PORT" --sni pinned.test \
    --cafile "$PKI/root.pem" --send "probe applied"
check_rc 2
case_end

case_begin "apply checks NEW where it will live: an @include beside the live config resolves, one beside NEW only does not"
mkdir -p "$T/newdir"
printf 'unpinned = "allow";\n' > "$SYSCOPY/pinshim-extra.conf"
good_conf "$T/newdir/inc-new.conf"
echo '@include "pinshim-extra-only-here.conf"' >> "$T/newdir/inc-new.conf"
printf 'mode = "enforce";\n' > "$T/newdir/pinshim-extra-only-here.conf"
cp "$LIVE" "$T/live.before"
in_ns "$PINSHIM_BIN" apply "$T/newdir/inc-new.conf"
check_rc 1
cmp -s "$LIVE" "$T/live.before" || case_fail "the live config changed"
good_conf "$T/newdir/inc-live.tmp"
{ grep -v '^unpinned' "$T/newdir/inc-live.tmp"; echo '@include "pinshim-extra.conf"'; } > "$T/newdir/inc-live.conf"
in_ns "$PINSHIM_BIN" apply "$T/newdir/inc-live.conf"
check_rc 0
case_end

case_begin "apply -c LIVE with warnings: applied, warnings shown; --strict refuses them"
good_conf "$T/own-live.conf"
write_conf "$T/one-pin.conf" pinned.test "$PIN_INT"
run_plain "$PINSHIM_BIN" apply --strict -c "$T/own-live.conf" "$T/one-pin.conf"
check_rc 1
check_err_has 'single pin'
run_plain "$PINSHIM_BIN" apply -c "$T/own-live.conf" "$T/one-pin.conf"
check_rc 0
check_err_has 'single pin'
cmp -s "$T/own-live.conf" "$T/one-pin.conf" || case_fail "not applied"
case_end

case_begin "apply of a FIFO: refused at once, no hang"
mkfifo "$T/new.fifo"
run_plain "$PINSHIM_BIN" apply -c "$T/own-live.conf" "$T/new.fifo"
check_timeout
check_rc 66
case_end

case_begin "this machine's own /etc/ld.so.preload was never touched"
now=$(cat /etc/ld.so.preload 2>/dev/null || echo "(none)")
[ "$now" = "$REAL_PRELOAD_BEFORE" ] || case_fail "changed: $now"
case_end

finish
