#!/bin/bash
# t_cli_args.sh - one argument convention for every subcommand (issue 13):
# options anywhere before `--` (exec stops at its COMMAND), `--` ends the
# options, `-` is standard input where a file is read, and every message
# starts with "pinshim: SUBCOMMAND: ".
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_cmd openssl
need_pinshim_bin

cli() { run_plain "$PINSHIM_BIN" "$@"; }

A=sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
B=sha256/BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=

cd "$T" || hard_error "cd $T"
mkdir -p state
cat > good.conf <<EOF
state = "$PWD/state/tofu.state";
hosts = (
  { name = "api.example.com"; pins = [ "$A", "$B" ]; },
  { name = "learned.example.com"; tofu = "chain"; }
);
EOF
printf 'hosts = ( { name = "x.example.com"; pins = [ "%s" ]; } );\n' "$A" > single.conf
printf 'hosts = ( { name = "bad.example.com" pins = [ ] } );\n' > bad.conf
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=args.example \
    -keyout key.pem -out cert.pem -days 30 2>/dev/null || hard_error "openssl req failed"
PIN=$(openssl x509 -in cert.pem -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary | base64)

case_begin "pin FILE --format pin: the option after the file"
cli pin cert.pem --format pin
check_rc 0
grep -Fxq -- "sha256/$PIN" "$OUT" || case_fail "stdout lacks the line sha256/$PIN"
case_end

case_begin "check CONF --strict: the option after the config"
cli check single.conf --strict
check_rc 1
check_out_has '^single\.conf: 1 host, 1 pin, 0 errors, 1 warning$'
case_end

case_begin "export CONF --format curl: the option after the config"
cli export good.conf --format curl
check_rc 0
check_out_has 'sha256//'
case_end

case_begin "tofu list -c CONF: the option after the action"
cli tofu list -c good.conf
check_rc 0
case_end

case_begin "tofu list --json -c CONF"
cli tofu list --json -c good.conf
check_rc 0
check_out_has '"records":\['
case_end

case_begin "tofu -c CONF list: the option before the action"
cli tofu -c good.conf list
check_rc 0
case_end

case_begin "check - reads the config from standard input"
run_plain sh -c '"$1" check - < good.conf' sh "$PINSHIM_BIN"
check_rc 0
check_out_has '^standard input: 2 hosts, 2 pins, 0 errors, 0 warnings$'
case_end

case_begin "check - with an error names standard input, leaves no temporary file"
mkdir -p tmp
run_plain env TMPDIR="$PWD/tmp" sh -c '"$1" check - < bad.conf' sh "$PINSHIM_BIN"
check_rc 1
check_err_has '^standard input:1: '
check_err_lacks 'pinshim-stdin'
[ -z "$(ls tmp)" ] || case_fail "left in TMPDIR: $(ls tmp)"
case_end

case_begin "check -c - is the same as check -"
run_plain sh -c '"$1" check --strict -c - < single.conf' sh "$PINSHIM_BIN"
check_rc 1
check_out_has '^standard input: 1 host, 1 pin, 0 errors, 1 warning$'
case_end

case_begin "apply -c LIVE -: the new config from standard input"
cp single.conf live.conf
run_plain sh -c '"$1" apply -c live.conf - < good.conf' sh "$PINSHIM_BIN"
check_rc 0
check_out_has '/live\.conf: now the config from standard input$'
cmp -s live.conf good.conf || case_fail "live.conf is not the new config"
case_end

case_begin "apply - with an error: the live config untouched, the message names standard input"
cp single.conf live.conf
run_plain sh -c '"$1" apply - -c live.conf < bad.conf' sh "$PINSHIM_BIN"
check_rc 1
check_err_has '^pinshim: apply: standard input has an error: .*/live\.conf is untouched$'
cmp -s live.conf single.conf || case_fail "live.conf changed"
case_end

# `-` as the config of every command that loads it once, itself (issue 13):
# export, audit, probe and tofu read standard input as check does, name it
# "standard input" and leave no temporary file.  Where the config is read
# again later by its name (exec, enable --unit, apply's live config), `-c -`
# is a usage error that says why.
printf 'hosts = ( { name = "*.w.example.com"; pins = [ "%s", "%s" ]; } );\n' "$A" "$B" > wild.conf

# stdin_case NAME RC STDIN_FILE ARGS...: pinshim ARGS < STDIN_FILE, exit RC,
# TMPDIR empty afterwards, no temporary file named in the messages.
stdin_case() {
    local name=$1 rc=$2 in=$3
    shift 3
    case_begin "$name"
    rm -rf tmp-stdin
    mkdir -p tmp-stdin
    run_plain env TMPDIR="$PWD/tmp-stdin" sh -c '"$@" < "$0"' "$in" "$PINSHIM_BIN" "$@"
    check_rc "$rc"
    check_err_lacks 'pinshim-stdin'
    check_out_lacks 'pinshim-stdin'
    [ -z "$(ls tmp-stdin)" ] || case_fail "left in TMPDIR: $(ls tmp-stdin)"
}

stdin_case "export -c - --format curl: the config from standard input" 0 good.conf export -c - --format curl
check_out_has "^api\.example\.com --pinnedpubkey 'sha256//"
case_end

stdin_case "export --format curl - (CONF as argument)" 0 good.conf export --format curl -
check_out_has "^api\.example\.com --pinnedpubkey"
case_end

stdin_case "export - with an error: exit 78, the error names standard input" 78 bad.conf export --format curl -
check_err_has '^pinshim: export: standard input:1: '
case_end

stdin_case "audit -c - --json: the config from standard input, named so" 0 wild.conf audit --json -c -
check_out_has '"config":"standard input"'
check_out_has 'not probed \(wildcard\)'
case_end

stdin_case "audit - with an error: exit 78, the error names standard input" 78 bad.conf audit -
check_err_has '^pinshim: audit: standard input:1: '
case_end

stdin_case "probe -c - HOST: the config is read (then the closed port: 69)" 69 good.conf \
    probe -c - "127.0.0.1:$(unused_port)"
check_err_lacks 'cannot read the config'
check_err_has '^pinshim: probe: .*(refused|unreachable|connect)'
case_end

stdin_case "probe -c - with an error: exit 78 before any connection, the error names standard input" 78 bad.conf \
    probe -c - 127.0.0.1:1
check_err_has '^pinshim: probe: standard input:1: '
case_end

stdin_case "tofu -c - list: the state the config from standard input names" 0 good.conf tofu -c - list
check_out_has "^no records in $PWD/state/tofu\.state"
case_end

stdin_case "tofu -c - list with an error: exit 78, the error names standard input" 78 bad.conf tofu -c - list
check_err_has '^pinshim: tofu: standard input:1: '
case_end

stdin_case "exec -c -: a usage error (the library reads the config later, by name), COMMAND not run" 64 good.conf \
    exec -c - sh -c 'echo ran'
check_err_has '^pinshim: exec: -c -: the config must be a file'
check_out_lacks 'ran'
case_end

stdin_case "enable --unit NAME -c -: a usage error (the unit reads the config later, by name)" 64 good.conf \
    enable --unit pinshim-args-test -c -
check_err_has '^pinshim: enable: -c -: the config must be a file'
case_end

case_begin "apply -c - NEW: a usage error (the live config is a file to replace), nothing written"
cp single.conf live.conf
run_plain sh -c '"$1" apply -c - good.conf < good.conf' sh "$PINSHIM_BIN"
check_rc 64
check_err_has "^pinshim: apply: -c -: the live config must be a file"
[ ! -e ./- ] || case_fail "a file named - was written"
cmp -s live.conf single.conf || case_fail "live.conf changed"
case_end

case_begin "-- ends the options: check -- -odd-name.conf"
cp good.conf ./-odd-name.conf
cli check -- -odd-name.conf
check_rc 0
check_out_has '^-odd-name\.conf: 2 hosts, 2 pins, 0 errors, 0 warnings$'
case_end

case_begin "exec passes the options after COMMAND to COMMAND"
PINSHIM_LIBRARY=$PINSHIM_LIB cli exec -c good.conf sh -c 'echo "args:$*"' sh -v --strict
check_rc 0
check_out_has '^args:-v --strict$'
case_end

case_begin "exec -- COMMAND"
PINSHIM_LIBRARY=$PINSHIM_LIB cli exec -c good.conf -- sh -c 'echo ran'
check_rc 0
check_out_has '^ran$'
case_end

case_begin "every subcommand of --help names itself in an unknown option's message"
cli --help
cmds=$(sed -n '/^Commands:/,/^$/s/^  \([a-z]*\) .*/\1/p' "$OUT")
[ -n "$cmds" ] || case_fail "no commands in pinshim --help"
for c in $cmds; do
    run_plain "$PINSHIM_BIN" "$c" --no-such-option
    [ "$RC" = 64 ] || case_fail "$c --no-such-option: exit $RC, not 64"
    grep -q "^pinshim: $c: unknown option --no-such-option" "$ERR" || case_fail "$c: $(head -1 "$ERR")"
done
case_end

case_begin "every subcommand's other messages start with pinshim: SUBCOMMAND:"
cli export --format curl nowhere.conf
check_err_has '^pinshim: export: '
cli tofu -c nowhere.conf list
check_err_has '^pinshim: tofu: '
cli pin nowhere.pem
check_err_has '^pinshim: pin: '
cli exec -c bad.conf true
check_err_has '^pinshim: exec: '
cli pin key.pem
check_err_has '^pinshim: pin: warning: key\.pem: contains a private key'
case_end

finish
