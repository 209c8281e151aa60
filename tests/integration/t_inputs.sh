#!/bin/bash
# t_inputs.sh - the library's own inputs cannot be used against the host
# program (DESIGN 6, issue 12): a config, an @include or a TOFU state that is
# a FIFO does not hang it (opened non-blocking, only regular files read); an
# @include cut in two by a 4096-byte read buffer is still checked; a writer
# waits for the TOFU lock at most about a second (another user holding it
# cannot hang first uses), and the lock file is 0600; the JSON log is not
# followed through a symlink.  Each case is bounded by a timeout: on a
# library that blocks, it fails instead of hanging.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

common_setup
require_cmd mkfifo flock stat
start_server "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server did not start"
RUN_TIMEOUT=15

# blocked_by_config: the handshake refused as a config error (fail closed),
# promptly, with WORDS on stderr.
blocked_by_config() {
    check_timeout
    check_rc 2
    check_out_has '^handshake .*result=refused'
    check_err_has "$1"
    check_zero_bytes 1
}

# ---- a FIFO where the config is expected ----
mkfifo "$T/config.fifo"
case_begin "the config is a FIFO: refused at once as a config error ('not a regular file'), no hang"
CONF_SAVED=$CONF
CONF=$T/config.fifo
client --sni pinned.test --cafile "$PKI/root.pem" --send "probe fifo"
blocked_by_config "config\\.fifo: cannot read the config: not a regular file"
CONF=$CONF_SAVED
case_end

# ---- an @include that is a FIFO, on a line longer than 4096 bytes ----
mkfifo "$T/inc.fifo"
case_begin "an @include of a FIFO after 4090 blanks (cut by a 4096-byte buffer): caught, refused, no hang"
write_conf "$CONF" pinned.test "$PIN_INT"
{ printf '%4090s' ''; printf '@include "inc.fifo"\n'; } >> "$CONF"
client --sni pinned.test --cafile "$PKI/root.pem" --send "probe include"
blocked_by_config '@include "inc\.fifo": not a regular file'
case_end

case_begin "the same @include on a short line: caught, refused, no hang"
write_conf "$CONF" pinned.test "$PIN_INT"
printf '@include "inc.fifo"\n' >> "$CONF"
client --sni pinned.test --cafile "$PKI/root.pem" --send "probe include"
blocked_by_config '@include "inc\.fifo": not a regular file'
case_end

# ---- the TOFU state ----
tofu_conf() {  # tofu_conf STATE
    cat > "$CONF" <<CONF
mode = "enforce";
state = "$1";
log = { stderr = true; syslog = false; json = "$LOG"; verdicts = "all"; };
hosts = ( { name = "pinned.test"; tofu = "chain"; } );
CONF
}
mkdir -p "$T/state"
mkfifo "$T/state/fifo.state"
case_begin "the TOFU state is a FIFO: the first use goes on at once, with a warning naming it"
tofu_conf "$T/state/fifo.state"
: > "$LOG"
client --sni pinned.test --cafile "$PKI/root.pem" --send "probe state fifo"
check_timeout
check_rc 0
check_received "probe state fifo"
grep -q 'fifo\.state: not a regular file' "$LOG" "$ERR" || case_fail "no word of the state being no regular file: $(head -c 400 "$LOG")"
case_end

case_begin "a first use learns, and the lock file beside the state is 0600"
tofu_conf "$T/state/tofu.state"
rm -f "$T/state/tofu.state" "$T/state/tofu.state.lock"
client --sni pinned.test --cafile "$PKI/root.pem" --send "probe learn"
check_rc 0
grep -q '^pinned\.test ' "$T/state/tofu.state" 2>/dev/null || case_fail "nothing learned: $(cat "$T/state/tofu.state" 2>/dev/null)"
mode=$(stat -c %a "$T/state/tofu.state.lock" 2>/dev/null)
[ "$mode" = 600 ] || case_fail "the lock file is ${mode:-missing}, expected 600"
case_end

case_begin "an old 0644 lock file is made 0600 by its owner at the next learning"
rm -f "$T/state/tofu.state"
chmod 644 "$T/state/tofu.state.lock"
client --sni pinned.test --cafile "$PKI/root.pem" --send "probe relearn"
check_rc 0
mode=$(stat -c %a "$T/state/tofu.state.lock")
[ "$mode" = 600 ] || case_fail "the lock file is $mode, expected 600"
case_end

case_begin "the lock held by another process that never lets go: the first use goes on within a few seconds, with a warning"
rm -f "$T/state/tofu.state"
flock "$T/state/tofu.state.lock" sleep 30 &
holder=$!
for _ in $(seq 1 100); do
    flock -n "$T/state/tofu.state.lock" true 2>/dev/null || break
    sleep 0.02
done
: > "$LOG"
t0=$(date +%s%N)
client --sni pinned.test --cafile "$PKI/root.pem" --send "probe held"
t1=$(date +%s%N)
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
check_timeout
check_rc 0
check_received "probe held"
ms=$(((t1 - t0) / 1000000))
[ "$ms" -lt 10000 ] || case_fail "the handshake took $ms ms"
grep -q 'held by another process' "$LOG" "$ERR" || case_fail "no warning about the held lock: $(head -c 400 "$LOG")"
[ ! -s "$T/state/tofu.state" ] || case_fail "learned while another process held the lock"
case_end

# ---- a privileged process (these tests run as root): inputs others can write ----
if [ "$(id -u)" = 0 ]; then
    case_begin "root's program, a config writable by others (0666): refused as 'unsafe owner/permissions'"
    write_conf "$CONF" pinned.test "$PIN_INT"
    chmod 666 "$CONF"
    client --sni pinned.test --cafile "$PKI/root.pem" --send "probe perm"
    blocked_by_config 'pinshim\.conf: unsafe owner/permissions'
    chmod 644 "$CONF"
    case_end

    case_begin "root's program, a config owned by another user (nobody): refused as 'unsafe owner/permissions'"
    write_conf "$CONF" pinned.test "$PIN_INT"
    chown 65534 "$CONF"
    client --sni pinned.test --cafile "$PKI/root.pem" --send "probe owner"
    blocked_by_config 'pinshim\.conf: unsafe owner/permissions'
    chown 0 "$CONF"
    case_end

    case_begin "root's program, an @include writable by group (0664): refused, the include named"
    write_conf "$CONF" pinned.test "$PIN_INT"
    echo '# nothing' > "$T/inc-group.conf"
    chmod 664 "$T/inc-group.conf"
    printf '@include "inc-group.conf"\n' >> "$CONF"
    client --sni pinned.test --cafile "$PKI/root.pem" --send "probe include perm"
    blocked_by_config 'inc-group\.conf: unsafe owner/permissions'
    case_end

    # A record planted by another user (the state writable by others) with
    # the attacker's key: the man in the middle must not pass on it.
    start_server -n attacker "$PKI/chain-att.pem" "$PKI/attacker-leaf.key" || hard_error "attacker server"
    case_begin "root's program, a TOFU state writable by others with a planted record: not trusted, the MitM refused"
    tofu_conf "$T/state/planted.state"
    printf 'pinned.test chain sha256/%s 1700000000\n' "$PIN_ATTACKER_LEAF" > "$T/state/planted.state"
    chmod 666 "$T/state/planted.state"
    : > "$LOG"
    client --sni pinned.test --insecure --send "probe planted"
    check_timeout
    check_rc 2
    check_zero_bytes 1
    grep -q 'planted\.state: unsafe owner/permissions' "$LOG" "$ERR" || case_fail "no word of the untrusted state: $(head -c 400 "$LOG")"
    case_end
    use_server srv1
else
    skip "privileged inputs: these cases need root"
fi

# ---- the JSON log ----
case_begin "the JSON log path is a symlink: not followed, the file it points to untouched"
: > "$T/target.jsonl"
ln -sf "$T/target.jsonl" "$T/link.jsonl"
write_conf "$CONF" -j "$T/link.jsonl" pinned.test "$PIN_UNRELATED"
client --sni pinned.test --cafile "$PKI/root.pem" --send "probe link"
check_rc 2
check_zero_bytes 1
[ ! -s "$T/target.jsonl" ] || case_fail "the record went through the symlink: $(head -c 300 "$T/target.jsonl")"
case_end

finish
