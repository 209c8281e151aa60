#!/bin/sh
# fetch-openssl111.sh [DEST]
#
# Obtains OpenSSL 1.1.1 (runtime libraries and headers) from Debian 11
# "bullseye" and unpacks it into a private directory, so that the integration
# tests can build a client against 1.1.1 and prove that the one libpinshim.so
# build serves OpenSSL 1.1.1 programs too (DESIGN.md section 6).
#
# Nothing on the system is changed: apt runs with its own sources list, lists,
# cache and (empty) configuration parts, all under DEST; the system's dpkg
# status is only read; the packages are unpacked with `dpkg -x`, never
# installed.  /etc/apt and /var/lib/apt are not written.
#
# DEST defaults to $top_builddir/tests/integration/openssl111 (or the
# directory of this script when top_builddir is unset).  Idempotent: when DEST
# already holds an unpacked 1.1.1, the script only checks it and exits 0.
#
# Exit 0: DEST/root/usr/include/openssl/ssl.h, libssl.so.1.1 and
# libcrypto.so.1.1 (and their .so development links) are there.  Prints the
# root directory on stdout as its last line.
# Exit non-zero: the reason is on stderr (the test turns it into SKIP).

set -u

here=$(cd "$(dirname "$0")" && pwd)
if [ $# -ge 1 ] && [ -n "$1" ]; then
    dest=$1
elif [ -n "${top_builddir:-}" ]; then
    dest=$top_builddir/tests/integration/openssl111
else
    dest=$here/openssl111
fi
mkdir -p "$dest" || { echo "fetch-openssl111: cannot create $dest" >&2; exit 2; }
dest=$(cd "$dest" && pwd)
root=$dest/root
multiarch=x86_64-linux-gnu
libdir=$root/usr/lib/$multiarch

die() {
    echo "fetch-openssl111: $*" >&2
    exit 1
}

# What "done" means; checked both for the cached case and after unpacking.
complete() {
    [ -f "$root/usr/include/openssl/ssl.h" ] &&
    [ -f "$root/usr/include/$multiarch/openssl/opensslconf.h" ] &&
    grep -q 'OPENSSL_VERSION_NUMBER  *0x10101' "$root/usr/include/openssl/opensslv.h" 2>/dev/null &&
    [ -f "$libdir/libssl.so.1.1" ] &&
    [ -f "$libdir/libcrypto.so.1.1" ] &&
    [ -e "$libdir/libssl.so" ] &&
    [ -e "$libdir/libcrypto.so" ] &&
    [ -f "$dest/.complete" ]
}

if complete; then
    echo "fetch-openssl111: cached in $root" >&2
    echo "$root"
    exit 0
fi

arch=$(dpkg --print-architecture 2>/dev/null) || die "dpkg not found (not a Debian system)"
[ "$arch" = amd64 ] || die "architecture $arch: only amd64 (x86_64-linux-gnu) is supported"
command -v apt-get >/dev/null 2>&1 || die "apt-get not found"
command -v dpkg-deb >/dev/null 2>&1 || die "dpkg-deb not found"

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || die "$keyring missing (install the Debian package debian-archive-keyring)"
# bullseye's Release files are signed with the bullseye archive/security
# automatic keys (and newer ones); bookworm's debian-archive-keyring carries
# them.  Check so a missing key is a clear reason and not an apt error later.
if command -v gpg >/dev/null 2>&1; then
    if ! gpg --show-keys "$keyring" 2>/dev/null | grep -q '(11/bullseye)'; then
        die "$keyring has no bullseye (11) keys; a newer debian-archive-keyring is needed"
    fi
fi

# Private apt tree.
aptdir=$dest/apt
mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial" \
         "$aptdir/etc/apt.conf.d" "$aptdir/etc/preferences.d" "$aptdir/debs" ||
    die "cannot create $aptdir"
cat > "$aptdir/etc/sources.list" <<EOF
deb [signed-by=$keyring] http://deb.debian.org/debian bullseye main
deb [signed-by=$keyring] http://deb.debian.org/debian-security bullseye-security main
EOF
# Our own apt.conf, read first through APT_CONFIG: it points the config
# parts and the main config at empty places, so no system snippet applies
# (e.g. APT::Update::Post-Invoke-Success hooks that refresh system catalogs
# or notify PackageKit).  Proxy settings still come from the environment.
cat > "$aptdir/etc/apt.conf" <<EOF
Dir::Etc::Parts "$aptdir/etc/apt.conf.d";
Dir::Etc::Main "$aptdir/etc/apt.conf.main";
EOF
: > "$aptdir/etc/apt.conf.main"
APT_CONFIG=$aptdir/etc/apt.conf
export APT_CONFIG

set -- \
    -o Dir::Etc::SourceList="$aptdir/etc/sources.list" \
    -o Dir::Etc::SourceParts=/nonexistent \
    -o Dir::Etc::Preferences="$aptdir/etc/preferences" \
    -o Dir::Etc::PreferencesParts="$aptdir/etc/preferences.d" \
    -o Dir::State::Lists="$aptdir/lists" \
    -o Dir::Cache="$aptdir/cache" \
    -o Dir::Cache::archives="$aptdir/cache/archives" \
    -o Dir::Cache::pkgcache= \
    -o Dir::Cache::srcpkgcache= \
    -o Acquire::GzipIndexes=true \
    -o Dir::State::status=/var/lib/dpkg/status \
    -o Dir::State::extended_states="$aptdir/extended_states" \
    -o APT::Get::List-Cleanup=false \
    -o Acquire::Languages=none \
    -o Acquire::Retries=2 \
    -o Acquire::http::Timeout=30 \
    -o Debug::NoLocking=true \
    -o APT::Sandbox::User=root \
    -o Apt::Architectures::=amd64

log=$dest/apt.log
: > "$log"

# The lists are refreshed at most once a day; a list we already have is
# good enough for a retry within that time.
stamp=$aptdir/lists/.updated
if [ -z "$(find "$stamp" -mmin -1440 2>/dev/null)" ]; then
    echo "fetch-openssl111: apt-get update (private lists in $aptdir/lists)" >&2
    if ! timeout 600 apt-get -q "$@" update >>"$log" 2>&1; then
        tail -n 5 "$log" >&2
        die "apt-get update of the private bullseye lists failed (see $log)"
    fi
    # apt-get update exits 0 even when a source failed; make sure main is there.
    if grep -Eq '^(W|E): (Failed|Some index files failed|GPG error|The repository)' "$log"; then
        grep -E '^(W|E):' "$log" | head -n 5 >&2
        ls "$aptdir/lists/"*bullseye_main_binary-amd64_Packages* >/dev/null 2>&1 ||
            die "bullseye index could not be fetched or verified (see $log)"
    fi
    touch "$stamp"
fi

# Pick the bullseye 1.1.1 version explicitly (the newest 1.1.1 the private
# lists know; bullseye-security usually carries the newest).
version=$(apt-cache "$@" madison libssl-dev 2>>"$log" |
          awk -F'|' '{gsub(/ /, "", $2); print $2}' | grep '^1\.1\.1' |
          sort -V | tail -n 1)
[ -n "$version" ] || die "no libssl-dev 1.1.1 version in the private bullseye lists (see $log)"
echo "fetch-openssl111: libssl1.1 and libssl-dev $version" >&2

# apt-get download writes into the current directory.
rm -f "$aptdir/debs/"*.deb
if ! (cd "$aptdir/debs" &&
      timeout 600 apt-get -q "$@" download "libssl1.1=$version" "libssl-dev=$version") >>"$log" 2>&1; then
    tail -n 5 "$log" >&2
    die "apt-get download libssl1.1=$version libssl-dev=$version failed (see $log)"
fi

# Unpack into a fresh tree, then move it into place, so an interrupted run
# never leaves a half tree that looks complete.
rm -rf "$root.tmp" "$dest/.complete"
mkdir -p "$root.tmp" || die "cannot create $root.tmp"
for deb in "$aptdir/debs/"*.deb; do
    [ -f "$deb" ] || die "no .deb was downloaded"
    dpkg-deb --fsys-tarfile "$deb" >/dev/null 2>&1 || die "$deb is not a valid package"
    dpkg -x "$deb" "$root.tmp" || die "dpkg -x $deb failed"
done
rm -rf "$root"
mv "$root.tmp" "$root" || die "cannot move $root.tmp to $root"
echo "$version" > "$dest/.complete"

complete || die "unpacked, but headers or libraries are missing under $root"
echo "fetch-openssl111: OpenSSL $version unpacked in $root" >&2
echo "$root"
exit 0
