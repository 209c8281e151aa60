#!/usr/bin/env bash
# Writes the seed inputs of the chain fuzzer (tests/fuzz/fuzz_chain.c) to
# tests/fuzz/corpus/chain/ with the openssl command.  Run once; its output is
# committed (data files only, with fresh random keys each run).
#
# An input is one flag byte (bits 0-3: which certificate's key the entry pins,
# 15 none; bit 4: the entry has expired; bit 5: verification said OK) followed
# by DER certificates back to back, leaf first.
set -euo pipefail
cd "$(dirname "$0")"
out=$PWD/corpus/chain
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

ext_ca="basicConstraints=critical,CA:true
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid"
ext_leaf="basicConstraints=critical,CA:false
keyUsage=critical,digitalSignature
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
subjectAltName=DNS:host.example"
printf '%s\n' "$ext_ca" >ca.ext
printf '%s\n' "$ext_leaf" >leaf.ext

key() { # NAME ALG
  case $2 in
    ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null ;;
    rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key" 2>/dev/null ;;
    ed25519) openssl genpkey -algorithm ED25519 -out "$1.key" 2>/dev/null ;;
  esac
}
selfsigned() { # NAME CN
  openssl req -new -x509 -key "$1.key" -subj "/CN=$2" -days 3650 -addext basicConstraints=critical,CA:true \
    -addext keyUsage=critical,keyCertSign,cRLSign -out "$1.pem" 2>/dev/null
}
issue() { # NAME CN ISSUER SIGNING-KEY EXTFILE
  openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$4.key" -CAcreateserial -days 397 \
    -extfile "$5" -out "$1.pem" 2>/dev/null
}
der() { openssl x509 -in "$1.pem" -outform DER; }
seed() { # FILE FLAGS CERT...
  local file=$1 flags=$2
  shift 2
  { printf "\\x$flags"; for c in "$@"; do der "$c"; done; } >"$out/$file"
}

key root ec; selfsigned root "Fuzz Root"
key int ec; issue int "Fuzz Intermediate" root root ca.ext
key leaf ec; issue leaf host.example int int leaf.ext
key rroot rsa; selfsigned rroot "Fuzz RSA Root"
key rleaf rsa; issue rleaf host.example rroot rroot leaf.ext
key eroot ed25519; selfsigned eroot "Fuzz Ed25519 Root"
key eleaf ed25519; issue eleaf host.example eroot eroot leaf.ext
# The attacker (CVE-2016-2402): a leaf naming the genuine intermediate as its
# issuer (name and key id), signed by the attacker's own key, served with the
# real intermediate.  Made with a fake intermediate of the same name and key id.
skid=$(openssl x509 -in int.pem -noout -ext subjectKeyIdentifier | sed -n '2s/[[:space:]:]//gp')
key evilint ec
openssl req -new -x509 -key evilint.key -subj "/CN=Fuzz Intermediate" -days 3650 \
  -addext basicConstraints=critical,CA:true -addext "subjectKeyIdentifier=$skid" -out evilint.pem 2>/dev/null
key evleaf ec; issue evleaf host.example evilint evilint leaf.ext
# The intermediate's key in a second certificate (a cross-sign).
key xroot ec; selfsigned xroot "Fuzz Cross Root"
openssl req -new -key int.key -subj "/CN=Fuzz Intermediate" -out xint.csr 2>/dev/null
openssl x509 -req -in xint.csr -CA xroot.pem -CAkey xroot.key -CAcreateserial -days 397 -extfile ca.ext \
  -out xint.pem 2>/dev/null

mkdir -p "$out"
seed ec-chain 01 leaf int root            # pins the intermediate, unverified
seed ec-chain-verified 22 leaf int root   # pins the root, verified
seed ec-chain-unpinned 0f leaf int root
seed ec-chain-expired 10 leaf int root
seed ec-out-of-order 02 leaf root int
seed ec-leaf-only 00 leaf
seed rsa-chain 01 rleaf rroot
seed ed25519-chain 01 eleaf eroot
seed attacker 01 evleaf int root          # must fail: the intermediate did not sign this leaf
seed cross-signed 01 leaf xint int xroot root
seed repeated 02 leaf int int int root
seed self-signed-root 00 root
