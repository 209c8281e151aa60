#!/bin/bash
# t_gnutls_tools.sh - GnuTLS programs that reach TLS through a library or a
# helper process, with libpinshim.so preloaded (DESIGN 12):
#   git clone over https (git-remote-https, libcurl3-gnutls), a dumb-HTTP
#     clone of a local bare repository; the name pinned.test is given to
#     libcurl by http.curloptResolve;
#   apt-get update (its https method, which calls GnuTLS itself) against a
#     local flat repository, with a private configuration: none of the
#     system's sources, lists, apt.conf.d or dpkg status is read or written;
#   ldapsearch -H ldaps:// (libldap) against slapd started by the test,
#     and against the recording server for the byte count.  libldap checks
#     "localhost" against the machine's own host name, so it is given
#     127.0.0.1 and judged by the address.
# Each: without the library (the harness works), right pin, wrong pin
# (refused, zero bytes, one fail/blocked record), report mode.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gnutls_lib.sh"

gnutls_setup
make_docroot "$T/doc" || hard_error "cannot make the documents"

start_server -n web -d "$T/doc" "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "web server did not start"
WEB_PORT=$SERVER_PORT

# ----------------------------------------------------------- git clone ---
GIT_REMOTE_HTTPS=$(git --exec-path 2>/dev/null)/git-remote-https
if need_gnutls_prog "git clone https" "$GIT_REMOTE_HTTPS"; then
    if ! [ -f "$T/doc/repo.git/info/refs" ]; then
        hard_error "the test repository was not made: $(cat "$T/git-setup.log" 2>/dev/null)"
    fi
    use_server web
    G_JOB="the repository is cloned"
    # libcurl-gnutls: "server certificate verification failed" (verified
    # after the handshake) or "gnutls_handshake() failed: Error in the
    # certificate verification." (refused inside it)
    G_ERR_RE='certificate verification'
    g_run() {
        rm -rf "$T/clone"
        "$RUNNER" git -c "http.curloptResolve=pinned.test:$WEB_PORT:127.0.0.1" \
            -c "http.sslCAInfo=$PKI/root.pem" clone -q "https://pinned.test:$WEB_PORT/repo.git" "$T/clone"
    }
    g_job_done() {
        grep -qxF "$GIT_MARK" "$T/clone/README" 2>/dev/null || case_fail "the clone has no README with the mark"
        check_received "GET /repo.git/info/refs"
    }
    g_job_not_done() {
        ! [ -e "$T/clone/README" ] || case_fail "the clone was made"
    }
    gnutls_matrix "git clone https://pinned.test/ (http.curloptResolve)" pinned.test "$PIN_INT"
fi

# ------------------------------------------------------ apt-get update ---
if ! command -v apt-ftparchive >/dev/null 2>&1; then
    skip "apt-get update: apt-ftparchive (Debian package apt-utils) not installed to make the repository"
elif need_gnutls_prog "apt-get update" /usr/lib/apt/methods/https; then
    if ! [ -f "$T/doc/apt/Release" ]; then
        hard_error "the test apt repository was not made: $(cat "$T/apt-setup.log" 2>/dev/null)"
    fi
    use_server web
    G_JOB="the package list is fetched"
    G_ERR_RE='certificate verification'
    g_run() {
        apt_prepare "https://localhost:$WEB_PORT/apt/" "$PKI/root.pem"
        "$RUNNER" env APT_CONFIG="$APT_CONF" apt-get -q update --error-on=any
    }
    apt_policy() {
        APT_CONFIG="$APT_CONF" apt-cache policy pinshim-test-pkg >"$T/apt-policy.out" 2>&1
    }
    g_job_done() {
        apt_policy
        grep -q 'Candidate: 1\.0' "$T/apt-policy.out" ||
            case_fail "apt-cache does not know the package: $(head -c 300 "$T/apt-policy.out")"
        check_received "GET /apt/./Release HTTP/1.1"
    }
    g_job_not_done() {
        apt_policy
        ! grep -q 'Candidate: 1\.0' "$T/apt-policy.out" || case_fail "apt-cache knows the package"
    }
    gnutls_matrix "apt-get update https://localhost/ (private config)" localhost "$PIN_LEAF"
fi

# ---------------------------------------------------------- ldapsearch ---
LDAPSEARCH=$(command -v ldapsearch || echo /usr/bin/ldapsearch)
if need_gnutls_prog "ldapsearch -H ldaps://" "$LDAPSEARCH"; then
    G_ERR_RE="Can.t contact LDAP server"
    g_ldapsearch() {  # g_ldapsearch PORT
        "$RUNNER" env LDAPTLS_CACERT="$PKI/root.pem" ldapsearch -x -o nettimeout=10 -H "ldaps://127.0.0.1:$1" \
            -b "dc=pinned,dc=test" -LLL "(sn=${LDAP_MARK:-pinshim-ldap})" cn
    }

    # Against the recording server first: the exact byte count.  Without
    # the library ldapsearch sends its bind request (then fails on the
    # echo), so the server does get bytes from an allowed client.
    start_server -n ldaps-rec -i 1 "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "server did not start"
    case_begin "ldapsearch to the recording server without the library: its bind request arrives"
    RUNNER=run_plain g_ldapsearch "$SERVER_PORT"
    wait_conns 1 || case_fail "server finished $(new_conns) connections, expected 1"
    [ "$(new_bytes)" -gt 0 ] || case_fail "the server received no byte"
    case_end

    write_conf "$CONF" 127.0.0.1 "$PIN_UNRELATED,$PIN_LEAF2"
    case_begin "ldapsearch to the recording server, wrong pin: refused, zero bytes, one record fail/blocked"
    RUNNER=run_preloaded g_ldapsearch "$SERVER_PORT"
    check_rc_not 0
    check_timeout
    check_any_has "$G_ERR_RE"
    check_zero_bytes 1
    check_glog fail blocked 127.0.0.1 1
    case_end

    if start_slapd "$PKI/chain-leaf.pem" "$PKI/leaf.key"; then
        SERVER_CONNS=""   # the byte count comes from slapd's log below
        G_JOB="the entry is found"
        g_run() {
            slapd_mark
            g_ldapsearch "$SLAPD_PORT"
        }
        g_job_done() {
            check_out_has '^cn: pinned entry$'
            slapd_new_log | grep -q ' SRCH base="dc=pinned,dc=test"' || case_fail "slapd logged no search"
        }
        g_job_not_done() { check_out_lacks 'pinned entry'; }
        # No application byte: slapd never finished the TLS handshake of the
        # refused connection (a client refused inside its handshake sends no
        # Finished) and decoded no LDAP operation from it.
        g_zero() {
            slapd_wait_closed 1 || case_fail "slapd did not see the connection close"
            ! slapd_new_log | grep -q 'TLS established' ||
                case_fail "slapd finished the TLS handshake: $(slapd_new_log | grep 'TLS established' | head -n 1)"
            ! slapd_new_log | grep -q ' op=' ||
                case_fail "slapd received an LDAP operation: $(slapd_new_log | grep ' op=' | head -n 2 | tr '\n' ';')"
        }
        gnutls_matrix "ldapsearch -H ldaps://127.0.0.1 against slapd" 127.0.0.1 "$PIN_INT"
    else
        skip "ldapsearch against slapd: $SLAPD_WHY"
    fi
fi

finish
