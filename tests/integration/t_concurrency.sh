#!/bin/bash
# t_concurrency.sh - many handshakes from many threads of one process, each
# judged on its own (exact counts, no crash, whole JSON lines), and fork():
# a child of a process that already loaded the policy judges right.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

common_setup

write_conf "$CONF" good.test "$PIN_INT" bad.test "$PIN_UNRELATED,$PIN_ATTACKER_ROOT"

# threads_case TLS THREADS COUNT VERIFY-ARGS...
threads_case() {
    local v=$1 threads=$2 count=$3
    shift 3
    local half=$((count / 2))
    use_server "tls$v"
    case_begin "TLS $v: $threads threads x $count handshakes ($*), good.test all pass, bad.test all blocked"
    RUN_TIMEOUT=90 client --threads "$threads" --count "$count" --hosts good.test,bad.test \
        --tls "$v" --send x --deadline 80 "$@"
    check_rc 2
    check_timeout
    check_out_has "^summary sni=good\\.test ok=$half refused=0 pinblock=0 error=0 io_failed=0\$"
    check_out_has "^summary sni=bad\\.test ok=0 refused=$half pinblock=$half error=0 io_failed=0\$"
    check_count '^handshake .*sni=good\.test result=ok ' "$half"
    check_count '^handshake .*sni=bad\.test result=refused .*err=1 verify=50 ' "$half"
    check_count '^write .*sni=bad\.test' 0
    # every connection reached the server; one byte per good handshake, none
    # from a blocked one
    wait_conns "$count" 30 || case_fail "server finished $(new_conns) connections, expected $count"
    [ "$(new_bytes)" = "$half" ] ||
        case_fail "server received $(new_bytes) bytes, expected $half (one per good.test handshake)"
    [ "$(new_conn_lines | grep -c 'sni=bad\.test' | tr -d ' ')" = "$half" ] ||
        case_fail "server saw $(new_conn_lines | grep -c 'sni=bad\.test') bad.test connections, expected $half"
    if new_conn_lines | grep 'sni=bad\.test' | grep -qv ' bytes=0 '; then
        case_fail "a blocked bad.test connection sent bytes: $(new_conn_lines | grep 'sni=bad\.test' | grep -v ' bytes=0 ' | head -n 2)"
    fi
    # the log: whole lines, exact numbers of events
    check_log_fields
    check_log pass allowed good.test "$half"
    check_log fail blocked bad.test "$half"
    case_end
}

start_server -n tls1.3 -t 1.3 "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server"
start_server -n tls1.2 -t 1.2 "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server"

threads_case 1.3 64 512 --cafile "$PKI/root.pem"
threads_case 1.2 32 256 --insecure

# fork(): the parent handshakes first (policy loaded, memory warm), then the
# child handshakes with both names, then the parent again.
for v in 1.3 1.2; do
    use_server "tls$v"
    case_begin "TLS $v --fork: child and parent after fork() judge right (pass and block)"
    client --fork --hosts good.test,bad.test --tls "$v" --cafile "$PKI/root.pem" --send y
    check_rc 2
    check_timeout
    check_out_has '^handshake who=parent sni=good\.test result=ok '
    check_count '^handshake who=child sni=good\.test result=ok ' 1
    check_count '^handshake who=child sni=bad\.test result=refused .*err=1 verify=50 ' 1
    check_out_has '^child exit=2$'
    check_count '^handshake who=parent sni=good\.test result=ok ' 2
    check_count '^handshake who=parent sni=bad\.test result=refused .*err=1 verify=50 ' 1
    wait_conns 5 || case_fail "server finished $(new_conns) connections, expected 5"
    [ "$(new_bytes)" = 3 ] || case_fail "server received $(new_bytes) bytes, expected 3 (good.test only)"
    check_log pass allowed good.test 3
    check_log fail blocked bad.test 2
    # the child's events carry the child's pid
    "$PYTHON3" - "$LOG" > "$T/pids.out" 2>&1 <<'PYEOF' || case_fail "$(cat "$T/pids.out")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
pids = {o["pid"] for o in lines}
if len(pids) != 2:
    sys.exit("expected events from 2 pids (parent and child), got %r" % sorted(pids))
PYEOF
    case_end
done

finish
