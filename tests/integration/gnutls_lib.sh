# gnutls_lib.sh - helpers of the GnuTLS suites (t_gnutls_*.sh), bash.
#
# Sourced after lib.sh:
#     . "$(dirname "$0")/lib.sh"
#     . "$(dirname "$0")/gnutls_lib.sh"
#
# What the GnuTLS backend must show (DESIGN 3-5, 12), checked on real GnuTLS
# programs: the same config gives the same judgement; a refused client fails
# its handshake with GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR (the program
# prints its usual certificate error), the server gets no application byte,
# and the JSON log has one record with "library": "gnutls VERSION" (the
# version of the libgnutls the program loaded).
#
# Environment: GNUTLS_CLIENT (default: the built tests/integration/gnutls_client,
# else compiled into the test's temp dir).

: "${GNUTLS_CLIENT:=$top_builddir/tests/integration/gnutls_client}"

# Make $GNUTLS_CLIENT usable: the built one, else compile it into $T.
require_gnutls_client() {
    if [ -x "$GNUTLS_CLIENT" ] && ! [ "$_lib_dir/gnutls_client.c" -nt "$GNUTLS_CLIENT" ]; then
        return 0
    fi
    local cflags libs
    if ! cflags=$(pkg-config --cflags gnutls 2>/dev/null) || ! libs=$(pkg-config --libs gnutls 2>/dev/null); then
        hard_error "libgnutls headers not found by pkg-config (Debian package libgnutls28-dev)"
    fi
    # shellcheck disable=SC2086
    if ${CC:-cc} -Wall -Wextra -O1 -pthread $cflags -o "$T/gnutls_client" \
        "$_lib_dir/gnutls_client.c" $libs >"$T/cc-gnutls.log" 2>&1; then
        GNUTLS_CLIENT=$T/gnutls_client
    else
        cat "$T/cc-gnutls.log"
        hard_error "cannot build gnutls_client (make check builds it)"
    fi
}

# uses_gnutls FILE: FILE is linked with libgnutls (directly or through a
# library it needs) and not with OpenSSL's libssl.
uses_gnutls() {
    local l
    l=$(ldd "$1" 2>/dev/null) || return 1
    case $l in *libgnutls.so.30*) ;; *) return 1 ;; esac
    case $l in *libssl.so*) return 1 ;; esac
    return 0
}

# need_gnutls_prog LABEL FILE [ARG]: 0 when FILE exists and uses GnuTLS (and,
# given ARG, runs "FILE ARG" under the other preloads), else
# a skipped case with the reason (the caller skips that client's cases).
need_gnutls_prog() {
    if ! [ -x "$2" ]; then
        skip "$1: $2 not installed"
        return 1
    fi
    if ! uses_gnutls "$2"; then
        skip "$1: $2 does not use GnuTLS here ($(ldd "$2" 2>/dev/null | grep -E 'ssl|tls' | tr -s ' \t\n' ' '))"
        return 1
    fi
    # What PINSHIM_PRELOAD puts before the library (the sanitizer stage's ASan
    # runtime) must let the program start on its own: msmtp hangs in
    # bindtextdomain under libasan, with or without pinshim.
    local others=${PINSHIM_PRELOAD:-}
    others=$(echo ${others//$PINSHIM_LIB/})
    if [ -n "$others" ] && [ -n "${3:-}" ] &&
        ! timeout -k 2 10 env LD_PRELOAD="$others" "$2" "$3" </dev/null >/dev/null 2>&1; then
        skip "$1: $2 $3 does not finish with only $others preloaded (no pinshim): not a case for this preload"
        return 1
    fi
    return 0
}

# apparmor_enforced NAME: the running kernel enforces an AppArmor profile
# NAME (e.g. Debian's msmtp profile, which keeps the program from reading the
# test's files under /tmp/pinshim-*/ and from mapping the library).
apparmor_enforced() {
    local f=/sys/kernel/security/apparmor/profiles
    [ -r "$f" ] && grep -q "^$1 (enforce)" "$f"
}

# gnutls_setup: common_setup, the GnuTLS client, the library's version, and
# an environment that tells every client only what the test gives it.
gnutls_setup() {
    common_setup
    require_gnutls_client
    GNUTLS_VERSION=$("$GNUTLS_CLIENT" --lib-version) || hard_error "gnutls_client --lib-version failed"
    GNUTLS_LIBRARY="gnutls $GNUTLS_VERSION"
    # No CA bundle, proxy or user config from the caller's environment.
    unset SSL_CERT_FILE SSL_CERT_DIR GIT_SSL_CAINFO GIT_SSL_CAPATH GIT_SSL_NO_VERIFY CURL_CA_BUNDLE \
        http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY \
        LDAPTLS_CACERT LDAPTLS_REQCERT LDAPRC LDAPCONF WGETRC GNUTLS_SYSTEM_PRIORITY_FILE 2>/dev/null || true
    export HOME=$T/home
    export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_TERMINAL_PROMPT=0
    mkdir -p "$HOME"
}

# check_log_library LIBRARY VERDICT ACTION HOST [COUNT]: check_log, and
# every record for HOST names LIBRARY (the TLS library the program loaded),
# and every line has every field.
check_log_library() {
    local lib=$1 msg
    shift
    if ! [ -s "$LOG" ]; then
        case_fail "json log: empty, expected $1/$2 for $3${4:+ ($4 event(s))}"
        return
    fi
    if ! msg=$("$PYTHON3" -S "$LOGCHECK_PY" "$LOG" --host "$3" --verdict "$1" --action "$2" \
        ${4:+--count "$4"} --library "$lib" 2>&1); then
        case_fail "json log: $msg"
    fi
    check_log_fields
}

# check_glog VERDICT ACTION HOST [COUNT]: the same for the GnuTLS loaded.
check_glog() {
    check_log_library "$GNUTLS_LIBRARY" "$@"
}

# check_glog_n VERDICT ACTION HOST N: exactly N events (a line's "repeat"
# counted, absent = 1) with that verdict and action for HOST, each naming
# the GnuTLS the program loaded (other verdicts for HOST may be logged too).
check_glog_n() {
    local msg
    msg=$("$PYTHON3" -S - "$LOG" "$1" "$2" "$3" "$4" "$GNUTLS_LIBRARY" 2>&1 <<'PY'
import json, sys
log, verdict, action, host, n, lib = sys.argv[1:7]
norm = lambda h: (h or "").lower().rstrip(".")
lines = [json.loads(l) for l in open(log, "rb").read().decode().splitlines() if l.strip()]
mine = [o for o in lines if norm(o.get("host")) == norm(host)
        and o.get("verdict") == verdict and o.get("action") == action]
got = sum(o.get("repeat", 1) for o in mine)
if got != int(n):
    print("%d %s/%s event(s) for %s, expected %s; log: %s" % (got, verdict, action, host, n,
          [(o.get("host"), o.get("verdict"), o.get("action"), o.get("repeat", 1)) for o in lines]))
    sys.exit(1)
bad = [o.get("library") for o in mine if o.get("library") != lib]
if bad:
    print("library %r, expected %r" % (bad[0], lib))
    sys.exit(1)
PY
    ) || case_fail "json log: $msg"
}

# check_no_log: the JSON log is empty (nothing was judged).
check_no_log() {
    [ ! -s "$LOG" ] || case_fail "the JSON log is not empty: $(head -c 400 "$LOG")"
}

# check_any_has REGEX: stdout or stderr matches (extended, case-insensitive).
check_any_has() {
    grep -Eqi -- "$1" "$OUT" "$ERR" || case_fail "neither stdout nor stderr matches /$1/"
}

# check_conns_sni_zero NAME: every connection since mark that sent SNI NAME
# got zero application bytes, and there was at least one.
check_conns_sni_zero() {
    local lines
    lines=$(new_conn_lines | grep -F " sni=$1 " || true)
    [ -n "$lines" ] || case_fail "no connection with SNI $1"
    ! printf '%s\n' "$lines" | grep -qv ' bytes=0 ' ||
        case_fail "connections with SNI $1 sent bytes: $(printf '%s\n' "$lines" | grep -v ' bytes=0 ' | head -n 3 | tr '\n' ';')"
}

# ------------------------------------------------------------ the PKI ---

# make_client_cert: $PKI/client.pem (clientAuth, issued by the genuine
# intermediate), client.key, chain-client.pem.
make_client_cert() {
    grep -q '^\[v3_client\]' "$PKI/ext.cnf" || cat >> "$PKI/ext.cnf" <<'EOF'
[v3_client]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
    _gen_key "$PKI/client.key" &&
        (cd "$PKI" && _sign client.pem client.key "/O=pinshim test/CN=pinshim test client" int.pem int.key v3_client) &&
        cat "$PKI/client.pem" "$PKI/int.pem" > "$PKI/chain-client.pem"
}

# ------------------------------------------------------- the documents ---

# make_docroot DIR: what the static-file server serves:
#   hello.txt, page.html      (wget, lynx)
#   repo.git                  a bare repository ready for a dumb-HTTP clone
#   apt/                      a flat apt repository: one package, Packages(.gz), Release
# Sets DOC_MARK (in hello.txt and page.html) and GIT_MARK (in the repository's README).
make_docroot() {
    local d=$1
    DOC_MARK="pinshim gnutls document $$"
    GIT_MARK="pinshim gnutls repository $$"
    mkdir -p "$d" || return 1
    printf '%s\n' "$DOC_MARK" > "$d/hello.txt"
    printf '<html><head><title>pinshim</title></head><body><p>%s</p></body></html>\n' "$DOC_MARK" > "$d/page.html"
    if command -v git >/dev/null 2>&1; then
        (
            set -e
            git init -q "$T/gitsrc"
            cd "$T/gitsrc"
            printf '%s\n' "$GIT_MARK" > README
            git add README
            git -c user.name=pinshim -c user.email=tests@pinned.test commit -qm "pinshim test repository"
            git clone -q --bare "$T/gitsrc" "$d/repo.git"
            git -C "$d/repo.git" update-server-info
        ) >"$T/git-setup.log" 2>&1 || { cat "$T/git-setup.log"; return 1; }
    fi
    if command -v dpkg-deb >/dev/null 2>&1 && command -v apt-ftparchive >/dev/null 2>&1; then
        (
            set -e
            mkdir -p "$T/pkgsrc/DEBIAN" "$d/apt"
            cat > "$T/pkgsrc/DEBIAN/control" <<EOF
Package: pinshim-test-pkg
Version: 1.0
Architecture: all
Maintainer: pinshim tests <tests@pinned.test>
Description: a package only the pinshim tests serve
EOF
            dpkg-deb -Zgzip -b "$T/pkgsrc" "$d/apt/pinshim-test-pkg_1.0_all.deb"
            cd "$d/apt"
            apt-ftparchive packages . > Packages
            gzip -9k Packages
            apt-ftparchive release . > "$T/Release"
            mv "$T/Release" Release
        ) >"$T/apt-setup.log" 2>&1 || { cat "$T/apt-setup.log"; return 1; }
    fi
    return 0
}

# apt_prepare URL CAFILE: a private apt configuration in $T/apt (nothing of
# the system's: no apt.conf.d, no sources, no lists, no dpkg status), with
# "deb [trusted=yes] URL ./" as its only source and empty lists.  Sets
# APT_CONF (give it as APT_CONFIG=...).
apt_prepare() {
    local a=$T/apt
    rm -rf "$a"
    mkdir -p "$a/etc/apt.conf.d" "$a/etc/preferences.d" "$a/etc/sources.list.d" "$a/etc/trusted.gpg.d" \
        "$a/state/lists/partial" "$a/cache/archives/partial" "$a/log"
    : > "$a/status"
    echo "deb [trusted=yes] $1 ./" > "$a/etc/sources.list"
    APT_CONF=$a/apt.conf
    cat > "$APT_CONF" <<EOF
Dir::Etc "$a/etc";
Dir::Etc::main "/dev/null";
Dir::Etc::parts "$a/etc/apt.conf.d";
Dir::State "$a/state";
Dir::State::status "$a/status";
Dir::Cache "$a/cache";
Dir::Log "$a/log";
APT::Sandbox::User "root";
Acquire::https::CaInfo "$2";
Acquire::ForceIPv4 "true";
Acquire::Retries "0";
Acquire::Languages "none";
Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled "false";
Debug::NoLocking "true";
EOF
}

# ---------------------------------------------------------------- slapd ---

# start_slapd CHAIN KEY: slapd serving ldaps on 127.0.0.1 (a port from the
# OS, bound again by slapd: three tries), its database and config in $T,
# lifetime bounded.  Sets SLAPD_PORT, SLAPD_LOG (its stats log), LDAP_BASE,
# LDAP_MARK.  Returns 1 with the reason in SLAPD_WHY when it cannot start.
start_slapd() {
    local chain=$1 key=$2 d=$T/slapd pid i port
    SLAPD_WHY=""
    local slapd slapadd
    slapd=$(command -v slapd 2>/dev/null || echo /usr/sbin/slapd)
    slapadd=$(command -v slapadd 2>/dev/null || echo /usr/sbin/slapadd)
    if ! [ -x "$slapd" ] || ! [ -x "$slapadd" ]; then
        SLAPD_WHY="slapd not installed (Debian package slapd)"
        return 1
    fi
    LDAP_BASE="dc=pinned,dc=test"
    LDAP_MARK="pinshim-ldap-$$"
    rm -rf "$d"
    mkdir -p "$d/db"
    cat > "$d/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
pidfile $d/slapd.pid
argsfile $d/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCertificateFile $chain
TLSCertificateKeyFile $key
database mdb
maxsize 1048576
suffix "$LDAP_BASE"
rootdn "cn=admin,$LDAP_BASE"
directory $d/db
EOF
    cat > "$d/data.ldif" <<EOF
dn: $LDAP_BASE
objectClass: dcObject
objectClass: organization
o: pinshim test
dc: pinned

dn: cn=pinned entry,$LDAP_BASE
objectClass: person
cn: pinned entry
sn: $LDAP_MARK
EOF
    if ! "$slapadd" -f "$d/slapd.conf" -l "$d/data.ldif" >"$d/slapadd.log" 2>&1; then
        SLAPD_WHY="slapadd failed: $(tail -n 2 "$d/slapadd.log" | tr '\n' ' ')"
        return 1
    fi
    for _ in 1 2 3; do
        port=$(unused_port)
        : > "$d/stats.log"
        timeout -k 5 "${SERVER_LIFETIME:-300}" "$slapd" -f "$d/slapd.conf" -h "ldaps://127.0.0.1:$port/" \
            -d stats >"$d/stdout" 2>"$d/stats.log" </dev/null &
        pid=$!
        for i in $(seq 1 200); do
            grep -q 'slapd starting' "$d/stats.log" && break
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
        if grep -q 'slapd starting' "$d/stats.log" && kill -0 "$pid" 2>/dev/null; then
            _SERVER_PIDS="$_SERVER_PIDS $pid"
            SLAPD_PORT=$port
            SLAPD_LOG=$d/stats.log
            return 0
        fi
        stop_pids 20 "$pid"
        SLAPD_WHY="slapd did not start: $(grep -v '^[[:space:]]' "$d/stats.log" | tail -n 3 | tr '\n' ' ')"
    done
    return 1
}

# slapd_mark / slapd_new_log: the stats lines since the mark.
SLAPD_BASE=0
slapd_mark() { SLAPD_BASE=$(stat -c %s "$SLAPD_LOG"); }
slapd_new_log() { tail -c +$((SLAPD_BASE + 1)) "$SLAPD_LOG"; }

# slapd_wait_closed N: wait (bounded) until N connections since the mark
# were closed (slapd logs "closed" when it has let go of one).
slapd_wait_closed() {
    local n=$1 i
    for ((i = 0; i < 400; i++)); do
        [ "$(slapd_new_log | grep -c ' closed')" -ge "$n" ] && return 0
        sleep 0.025
    done
    return 1
}

# ------------------------------------------------------- the case matrix ---

# gnutls_matrix LABEL HOST RIGHTPINS: four cases for one client, driven by
# functions the suite defines:
#   g_run             run the client once, through "$RUNNER" (run_plain or
#                     run_preloaded)
#   g_job_done        the client did its job (file fetched, mail sent, ...)
#   g_job_not_done    it did not
#   g_zero            no application byte reached the server (default:
#                     check_zero_bytes 1)
# and G_JOB (words for the job) and G_ERR_RE (its usual certificate error,
# on stdout or stderr).  Cases: without the library (the harness works),
# right pin (job done, log pass/allowed), wrong pin (refused, zero bytes,
# one record fail/blocked), report mode with the wrong pin (job done, log
# fail/allowed).
g_zero() { check_zero_bytes 1; }
gnutls_matrix() {
    local label=$1 host=$2 right=$3 wrong="$PIN_UNRELATED,$PIN_LEAF2"

    case_begin "$label without the library: $G_JOB"
    RUNNER=run_plain g_run
    check_rc 0
    g_job_done
    check_no_log
    case_end

    write_conf "$CONF" "$host" "$right"
    case_begin "$label, right pin: $G_JOB, log pass/allowed for $host, library $GNUTLS_LIBRARY"
    RUNNER=run_preloaded g_run
    check_rc 0
    g_job_done
    check_glog pass allowed "$host"
    case_end

    write_conf "$CONF" "$host" "$wrong"
    case_begin "$label, wrong pin: refused with its certificate error, zero bytes, one record fail/blocked"
    RUNNER=run_preloaded g_run
    check_rc_not 0
    check_timeout
    check_any_has "$G_ERR_RE"
    g_job_not_done
    g_zero
    check_glog fail blocked "$host" 1
    case_end

    write_conf "$CONF" -m report "$host" "$wrong"
    case_begin "$label, report mode, wrong pin: $G_JOB, log fail/allowed"
    RUNNER=run_preloaded g_run
    check_rc 0
    g_job_done
    check_glog fail allowed "$host"
    case_end
}
