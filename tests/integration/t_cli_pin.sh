#!/bin/bash
# t_cli_pin.sh - `pinshim pin`: the pin of every kind of input equals the
# openssl pipeline (pkey -pubin -outform DER | dgst -sha256 | base64): PEM and
# DER certificates, a chain bundle, public keys (SubjectPublicKeyInfo PEM/DER,
# PKCS#1 RSA PEM/DER), CSRs, private keys (with a warning); encrypted keys and
# bad input (missing, empty, garbage, 10 MB of random bytes) give one line on
# stderr and a non-zero exit; --format pin/curl/json/text; the curl form works
# with curl --pinnedpubkey against a local server.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_cmd openssl base64 timeout head
[ -x "$PYTHON3" ] || skip_all "$PYTHON3 not found"
need_pinshim_bin
make_pki "$T/pki" || hard_error "make_pki failed"
K=$T/keys
mkdir -p "$K"

# cli ARGS...: run the command (stdin: the caller's).  Sets OUT ERR RC.
cli() { RUN_TIMEOUT=${RUN_TIMEOUT:-30} run_plain "$PINSHIM_BIN" "$@"; }

# spki_pin [openssl pkey options...]: the reference pin of a public key read
# by `openssl pkey -pubin` (stdin).
spki_pin() {
    openssl pkey -pubin "$@" -outform DER | openssl dgst -sha256 -binary | base64
}
# key_pin KEYFILE [-inform DER]: the reference pin of a private key's public half.
key_pin() {
    openssl pkey -in "$1" ${2:+"$2" "$3"} -pubout | spki_pin
}

# check_pins PIN...: stdout (--format pin) is exactly these pins, in order.
check_pins() {
    local want got
    want=$(printf 'sha256/%s\n' "$@")
    got=$(cat "$OUT")
    [ "$got" = "$want" ] || case_fail "pins: got [$(echo $got)], expected [$(echo $want)]"
}

# check_no_crash: exited by itself (no signal, no timeout).
check_no_crash() {
    [ "$RC" -lt 124 ] || case_fail "exit status $RC: crashed, killed or timed out"
}

# check_one_error STATUS REGEX: exit STATUS, exactly one stderr line
# "pinshim: ..." matching REGEX, nothing on stdout.
check_one_error() {
    check_rc "$1"
    check_no_crash
    local n
    n=$(wc -l < "$ERR")
    [ "$n" = 1 ] || case_fail "stderr has $n lines, expected exactly 1"
    check_err_has "^pinshim: .*$2"
    check_err_lacks 'error:[0-9A-Fa-f]{8}:'   # no raw OpenSSL error stack
    [ -s "$OUT" ] && case_fail "stdout is not empty"
    return 0
}

# -------------------------------------------------------------- inputs ---

P=$T/pki
openssl x509 -in "$P/leaf.pem" -outform DER -out "$K/leaf.der"
openssl x509 -in "$P/root.pem" -outform DER -out "$K/root.der"
openssl pkey -in "$P/leaf.key" -pubout -out "$K/leaf.pub.pem"
openssl pkey -in "$P/leaf.key" -pubout -outform DER -out "$K/leaf.pub.der"
openssl req -new -key "$P/leaf.key" -subj "/CN=csr.pinned.test" -out "$K/leaf.csr" 2>/dev/null
openssl req -in "$K/leaf.csr" -outform DER -out "$K/leaf.csr.der"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$K/rsa.key" 2>/dev/null
openssl rsa -in "$K/rsa.key" -RSAPublicKey_out -out "$K/rsa.pkcs1.pem" 2>/dev/null
openssl rsa -in "$K/rsa.key" -RSAPublicKey_out -outform DER -out "$K/rsa.pkcs1.der" 2>/dev/null
openssl rsa -in "$K/rsa.key" -traditional -out "$K/rsa.trad.key" 2>/dev/null
openssl ec -in "$P/leaf.key" -out "$K/ec.trad.key" 2>/dev/null
openssl pkey -in "$P/leaf.key" -outform DER -out "$K/ec.p8.der"
openssl pkcs8 -topk8 -in "$P/leaf.key" -passout pass:secret -out "$K/enc.p8.pem" 2>/dev/null
openssl pkcs8 -topk8 -in "$P/leaf.key" -passout pass:secret -outform DER -out "$K/enc.p8.der" 2>/dev/null
openssl rsa -in "$K/rsa.key" -aes128 -passout pass:secret -traditional -out "$K/enc.trad.pem" 2>/dev/null
for f in leaf.der leaf.pub.pem leaf.pub.der leaf.csr leaf.csr.der rsa.key rsa.pkcs1.pem rsa.pkcs1.der \
    rsa.trad.key ec.trad.key ec.p8.der enc.p8.pem enc.p8.der enc.trad.pem; do
    [ -s "$K/$f" ] || hard_error "could not make $f"
done
grep -q 'BEGIN RSA PUBLIC KEY' "$K/rsa.pkcs1.pem" || hard_error "rsa.pkcs1.pem is not PKCS#1"
grep -q 'Proc-Type: 4,ENCRYPTED' "$K/enc.trad.pem" || hard_error "enc.trad.pem is not a traditional encrypted key"
PIN_RSA=$(key_pin "$K/rsa.key")

# ------------------------------------------------------------ the pins ---

case_begin "chain bundle (leaf, intermediate, root): one pin per certificate, each equal to the openssl pipeline"
cli pin --format pin "$P/chain-leaf-full.pem"
check_rc 0
check_pins "$PIN_LEAF" "$PIN_INT" "$PIN_ROOT"
[ -s "$ERR" ] && case_fail "stderr is not empty"
case_end

case_begin "chain bundle: every pin equals 'openssl x509 -pubkey | pkey -pubin -outform DER | dgst | base64'"
cli pin --format pin "$P/chain-leaf-full.pem"
i=0
while IFS= read -r line; do
    i=$((i + 1))
    # the i-th certificate of the bundle, through openssl
    ref=$(awk -v n="$i" '/BEGIN CERT/ { c++ } c == n' "$P/chain-leaf-full.pem" |
        openssl x509 -pubkey -noout | spki_pin)
    [ "$line" = "sha256/$ref" ] || case_fail "certificate $i: $line, openssl says sha256/$ref"
done < "$OUT"
[ "$i" = 3 ] || case_fail "$i pins, expected 3"
case_end

case_begin "text format: kind, role (leaf/intermediate/root), subject, issuer, notAfter per certificate"
cli pin "$P/chain-leaf-full.pem"
check_rc 0
check_count '^sha256/' 3
check_count '^  kind: +certificate$' 3
check_count '^  role: +leaf$' 1
check_count '^  role: +intermediate$' 1
check_count '^  role: +root$' 1
check_out_has '^  subject: +CN=pinned\.test,O=pinshim test$'
check_out_has '^  issuer: +CN=pinshim test intermediate CA,O=pinshim test$'
check_out_has '^  not after: +20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-9:]{8}Z$'
# block order follows the file: leaf block first, root block last
roles=$(awk '$1 == "role:" { print $2 }' "$OUT" | paste -sd ' ')
[ "$roles" = "leaf intermediate root" ] || case_fail "roles not in file order: $roles"
case_end

case_begin "roles of single certificates: leaf alone is leaf, the CA alone is intermediate, self-signed is root"
cli pin --format json "$P/leaf.pem" "$P/int.pem" "$P/root.pem" "$P/self.pem"
check_rc 0
roles=$("$PYTHON3" -c 'import json,sys; print(" ".join(o["role"] for o in json.load(open(sys.argv[1]))))' "$OUT" 2>&1)
[ "$roles" = "leaf intermediate root root" ] || case_fail "roles: $roles"
case_end

case_begin "DER certificate: same pin as PEM"
cli pin --format pin "$K/leaf.der"
check_rc 0
check_pins "$PIN_LEAF"
case_end

case_begin "public key, PEM SubjectPublicKeyInfo"
cli pin --format pin "$K/leaf.pub.pem"
check_rc 0
check_pins "$(spki_pin -in "$K/leaf.pub.pem")"
check_pins "$PIN_LEAF"
case_end

case_begin "public key, DER SubjectPublicKeyInfo"
cli pin --format pin "$K/leaf.pub.der"
check_rc 0
check_pins "$(spki_pin -inform DER -in "$K/leaf.pub.der")"
case_end

case_begin "RSA PKCS#1 public key (PEM 'RSA PUBLIC KEY'): pinned as SubjectPublicKeyInfo"
cli pin --format pin "$K/rsa.pkcs1.pem"
check_rc 0
check_pins "$PIN_RSA"
# the naive hash of the PKCS#1 DER would be another value
naive=$(openssl rsa -RSAPublicKey_in -in "$K/rsa.pkcs1.pem" -RSAPublicKey_out -outform DER 2>/dev/null |
    openssl dgst -sha256 -binary | base64)
[ "sha256/$naive" != "$(cat "$OUT")" ] || case_fail "the pin is the hash of the PKCS#1 structure"
case_end

case_begin "RSA PKCS#1 public key, DER"
cli pin --format pin "$K/rsa.pkcs1.der"
check_rc 0
check_pins "$PIN_RSA"
case_end

case_begin "text format names a PKCS#1 key and its re-encoding"
cli pin "$K/rsa.pkcs1.pem"
check_rc 0
check_out_has '^  kind: +public key \(PKCS#1'
check_out_has '^  key: +RSA 2048 bits'
case_end

case_begin "CSR, PEM: the pin of the requested key"
cli pin --format pin "$K/leaf.csr"
check_rc 0
check_pins "$(openssl req -in "$K/leaf.csr" -pubkey -noout | spki_pin)"
check_pins "$PIN_LEAF"
case_end

case_begin "CSR, DER"
cli pin "$K/leaf.csr.der"
check_rc 0
grep -qxF "sha256/$PIN_LEAF" "$OUT" || case_fail "stdout lacks the line sha256/$PIN_LEAF"
check_out_has '^  kind: +csr$'
check_out_has '^  subject: +CN=csr\.pinned\.test$'
check_out_lacks '^  (issuer|role|not after):'
case_end

for f in "$P/leaf.key:PKCS#8 PEM" "$K/ec.trad.key:traditional EC PEM" "$K/ec.p8.der:PKCS#8 DER" \
    "$K/rsa.trad.key:traditional RSA PEM" "$K/rsa.key:PKCS#8 RSA PEM"; do
    file=${f%%:*}
    what=${f#*:}
    case_begin "private key ($what): the pin of its public key, and a warning"
    cli pin --format pin "$file"
    check_rc 0
    case $file in
    *.der) check_pins "$(key_pin "$file" -inform DER)" ;;
    *) check_pins "$(key_pin "$file")" ;;
    esac
    check_err_has '^pinshim: pin: warning: .*private key'
    [ "$(wc -l < "$ERR")" = 1 ] || case_fail "the warning is not one line"
    case_end
done

for f in enc.p8.pem enc.p8.der enc.trad.pem; do
    case_begin "encrypted private key ($f): one-line error, exit 65, never a password prompt"
    RUN_TIMEOUT=10 cli pin "$K/$f" < /dev/null
    check_one_error 65 "$f.*encrypted"
    check_timeout
    case_end
done

case_begin "standard input ('-')"
cli pin --format pin - < "$P/chain-leaf.pem"
check_rc 0
check_pins "$PIN_LEAF" "$PIN_INT"
case_end

case_begin "several files: pins in argument order"
cli pin --format pin "$K/leaf.pub.der" "$P/root.pem" "$K/rsa.pkcs1.pem"
check_rc 0
check_pins "$PIN_LEAF" "$PIN_ROOT" "$PIN_RSA"
case_end

# ------------------------------------------------------------- formats ---

case_begin "--format json: an array of {file, kind, pin, subject, issuer, role, not_after}"
cli pin --format json "$P/chain-leaf-full.pem" "$K/leaf.pub.pem" "$K/leaf.csr" "$K/rsa.key"
check_rc 0
msg=$("$PYTHON3" - "$OUT" "$PIN_LEAF" "$PIN_INT" "$PIN_ROOT" "$PIN_RSA" "$P/chain-leaf-full.pem" <<'EOF' 2>&1
import json, re, sys
out, leaf, inter, root, rsa, chain = sys.argv[1:]
data = json.load(open(out))
assert isinstance(data, list), "not an array"
assert len(data) == 6, "%d objects, expected 6" % len(data)
fields = {"file", "kind", "pin", "subject", "issuer", "role", "not_after"}
for o in data:
    assert set(o) == fields, "fields %s" % sorted(o)
kinds = [o["kind"] for o in data]
assert kinds == ["certificate"] * 3 + ["public key", "csr", "private key"], kinds
assert [o["pin"] for o in data] == ["sha256/" + p for p in (leaf, inter, root, leaf, leaf, rsa)], "pins"
assert [o["role"] for o in data] == ["leaf", "intermediate", "root", None, None, None], "roles"
assert data[0]["file"] == chain, data[0]["file"]
assert data[0]["subject"] == "CN=pinned.test,O=pinshim test", data[0]["subject"]
assert data[2]["subject"] == data[2]["issuer"], "root issuer"
for o in data[:3]:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", o["not_after"]), o["not_after"]
assert data[3]["subject"] is None and data[3]["issuer"] is None and data[3]["not_after"] is None
assert data[4]["subject"] == "CN=csr.pinned.test" and data[4]["issuer"] is None
assert data[5]["subject"] is None
EOF
) || case_fail "json: $msg"
check_err_has 'warning: .*private key'
case_end

case_begin "--format json on standard input: file is \"-\""
cli pin --format json - < "$K/leaf.der"
check_rc 0
msg=$("$PYTHON3" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d[0]["file"]=="-", d' "$OUT" 2>&1) ||
    case_fail "json: $msg"
case_end

case_begin "--format curl: one line sha256//A;sha256//B"
cli pin --format curl "$P/chain-leaf.pem"
check_rc 0
[ "$(cat "$OUT")" = "sha256//$PIN_LEAF;sha256//$PIN_INT" ] || case_fail "curl line: $(cat "$OUT")"
check_count '' 1
case_end

if command -v curl >/dev/null 2>&1; then
    start_server -n pinsrv "$P/chain-leaf.pem" "$P/leaf.key" || hard_error "server did not start"
    curl_pinned() {
        run_plain curl -sS --max-time 20 --cacert "$P/root.pem" \
            --resolve "pinned.test:$SERVER_PORT:127.0.0.1" --pinnedpubkey "$1" "https://pinned.test:$SERVER_PORT/"
    }

    case_begin "curl --pinnedpubkey with 'pinshim pin --format curl' of the served chain: passes"
    cli pin --format curl "$P/chain-leaf.pem"
    pins=$(cat "$OUT")
    curl_pinned "$pins"
    check_rc 0
    check_out_has 'pinshim test server: ok'
    case_end

    case_begin "curl --pinnedpubkey with the pins of other keys: refused (curl exit 90)"
    cli pin --format curl "$P/leaf2.pem" "$P/unrelated.pem"
    pins=$(cat "$OUT")
    curl_pinned "$pins"
    check_rc 90
    case_end
else
    skip "curl --pinnedpubkey (curl not installed)"
fi

# ----------------------------------------------------------- bad input ---

: > "$T/empty"
printf 'this is not a certificate\nnor a key\n' > "$T/garbage.txt"
head -c 10M /dev/urandom > "$T/random.bin"
head -c 17M /dev/zero > "$T/huge.bin"
printf -- '-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n' > "$T/badpem.pem"
head -c 300 "$K/leaf.der" > "$T/truncated.der"

case_begin "missing file: one line naming it, exit 66"
cli pin "$T/no-such-file.pem"
check_one_error 66 "no-such-file\.pem.*(No such file|cannot)"
case_end

case_begin "a directory: one line, exit 66"
cli pin "$T"
check_one_error 66 "$(basename "$T")"
case_end

case_begin "empty file: one line naming it, exit 65"
cli pin "$T/empty"
check_one_error 65 "empty"
case_end

case_begin "empty standard input: one line, exit 65"
cli pin - < /dev/null
check_one_error 65 "standard input"
case_end

case_begin "garbage text: one line naming it, exit 65"
cli pin "$T/garbage.txt"
check_one_error 65 "garbage\.txt: "
case_end

case_begin "10 MB of random bytes: one line, exit 65, no crash"
cli pin "$T/random.bin"
check_one_error 65 "random\.bin: "
case_end

case_begin "10 MB of random bytes on standard input, --format json: one line, exit 65"
cli pin --format json - < "$T/random.bin"
check_one_error 65 "standard input: "
case_end

case_begin "more than 16 MiB: refused with one line, exit 65"
cli pin "$T/huge.bin"
check_one_error 65 "huge\.bin: .*16 MiB"
case_end

case_begin "damaged PEM: one line, exit 65"
cli pin "$T/badpem.pem"
check_one_error 65 "badpem\.pem: "
case_end

case_begin "truncated DER certificate: one line, exit 65"
cli pin "$T/truncated.der"
check_one_error 65 "truncated\.der: "
case_end

case_begin "one bad file among good ones: its error, nothing on stdout, exit 65"
cli pin --format pin "$P/leaf.pem" "$T/garbage.txt" "$P/root.pem"
check_one_error 65 "garbage\.txt"
case_end

# --------------------------------------------------------------- usage ---

case_begin "no FILE: usage error 64"
cli pin
check_one_error 64 "FILE"
case_end

case_begin "unknown --format: usage error 64"
cli pin --format xml "$P/leaf.pem"
check_one_error 64 "xml"
case_end

case_begin "unknown option: usage error 64"
cli pin --bogus "$P/leaf.pem"
check_one_error 64 "bogus"
case_end

case_begin "--help: usage on stdout, exit 0"
cli pin --help
check_rc 0
check_out_has '^usage: pinshim pin'
check_out_has 'json'
[ -s "$ERR" ] && case_fail "stderr is not empty"
case_end

finish
