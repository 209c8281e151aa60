#!/bin/bash
# t_gnutls_clients.sh - real GnuTLS programs with libpinshim.so preloaded
# (DESIGN 12): wget, lynx, gnutls-cli (also --resume) and msmtp.  Each does
# its job once without the library (the harness works), then with the right
# pin (job done, a pass record naming the GnuTLS it loaded), a wrong pin
# (its usual certificate error, not one application byte, one fail/blocked
# record) and in report mode (job done, fail/allowed).
#
# Names: wget and lynx send SNI "localhost" (the certificate names it; no
# other name resolves here and system files are not edited); wget to
# https://127.0.0.1/ sends none and is judged by the address; gnutls-cli
# sends --sni-hostname and verifies --verify-hostname; msmtp sends its
# tls_host_override.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gnutls_lib.sh"

gnutls_setup
make_docroot "$T/doc" || hard_error "cannot make the documents"

start_server -n web -d "$T/doc" "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "web server did not start"
WEB_PORT=$SERVER_PORT

# ---------------------------------------------------------------- wget ---
if need_gnutls_prog wget "$(command -v wget || echo /usr/bin/wget)"; then
    use_server web
    G_JOB="the file is fetched"
    # its words when the handshake fails at verification, or when its own
    # check after the handshake does
    G_ERR_RE='GnuTLS: Error in the certificate verification|ERROR: .*certificate'
    WGET_URL=""
    g_run() {
        rm -f "$T/wget.out"
        "$RUNNER" wget --no-config -nv --tries=1 --timeout=10 -4 --ca-certificate="$PKI/root.pem" \
            -O "$T/wget.out" "$WGET_URL"
    }
    g_job_done() {
        grep -qxF "$DOC_MARK" "$T/wget.out" 2>/dev/null || case_fail "wget did not save the document"
        check_received "GET /hello.txt HTTP/1.1"
    }
    g_job_not_done() {
        ! grep -qF "$DOC_MARK" "$T/wget.out" 2>/dev/null || case_fail "wget saved the document"
    }
    WGET_URL="https://localhost:$WEB_PORT/hello.txt"
    gnutls_matrix "wget https://localhost/ (SNI)" localhost "$PIN_INT"
    WGET_URL="https://127.0.0.1:$WEB_PORT/hello.txt"
    gnutls_matrix "wget https://127.0.0.1/ (no SNI: the address)" 127.0.0.1 "$PIN_LEAF"

    # wget verifies after the handshake with gnutls_certificate_verify_peers2,
    # which pinshim asked already inside it: that call gets the same answer,
    # a chain that does not verify included, whatever the pins say.
    WGET_URL="https://localhost:$WEB_PORT/hello.txt"
    for pins in "localhost $PIN_INT" "other.test $PIN_UNRELATED"; do
        # shellcheck disable=SC2086
        write_conf "$CONF" -v all $pins
        case_begin "wget trusting another root, ${pins%% *} pinned: its own 'not trusted' error, nothing fetched"
        rm -f "$T/wget.out"
        run_preloaded wget --no-config -nv --tries=1 --timeout=10 -4 --ca-certificate="$PKI/attacker-root.pem" \
            -O "$T/wget.out" "$WGET_URL"
        check_rc_not 0
        check_err_has "ERROR: The certificate of .localhost. is not trusted"
        g_job_not_done
        case_end
    done
fi

# ---------------------------------------------------------------- lynx ---
if need_gnutls_prog lynx "$(command -v lynx || echo /usr/bin/lynx)"; then
    use_server web
    G_JOB="the page is shown"
    # lynx -dump says only this about a certificate it does not accept
    G_ERR_RE="Can.t access startfile"
    g_run() {
        "$RUNNER" env SSL_CERT_FILE="$PKI/root.pem" lynx -dump -stderr -nolist \
            "https://localhost:$WEB_PORT/page.html"
    }
    g_job_done() {
        check_out_has "$DOC_MARK"
        check_received "GET /page.html HTTP/1."
    }
    g_job_not_done() { check_out_lacks "$DOC_MARK"; }
    gnutls_matrix "lynx -dump https://localhost/" localhost "$PIN_LEAF"
fi

# ---------------------------------------------------------- gnutls-cli ---
if need_gnutls_prog gnutls-cli "$(command -v gnutls-cli || echo /usr/bin/gnutls-cli)"; then
    start_server -n echo "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "echo server did not start"
    # TLS 1.2 for --resume: its session comes inside the handshake.  (Under
    # TLS 1.3 gnutls-cli waits only a round trip + 60 ms for a ticket.)
    start_server -n echo12 -t 1.2 "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "echo server did not start"
    use_server echo
    LINE="line from gnutls-cli $$"
    GCLI_SNI=pinned.test
    GCLI_VHOST=pinned.test
    GCLI_OPTS=""
    G_JOB="the line reaches the server"
    G_ERR_RE='\*\*\* Fatal error: Error in the certificate'
    g_run() {
        # shellcheck disable=SC2086
        "$RUNNER" gnutls-cli -p "$SERVER_PORT" --x509cafile "$PKI/root.pem" --sni-hostname "$GCLI_SNI" \
            --verify-hostname "$GCLI_VHOST" $GCLI_OPTS 127.0.0.1 <<<"$LINE"
    }
    g_job_done() { check_received "$LINE"; }
    g_job_not_done() { :; }
    gnutls_matrix "gnutls-cli" pinned.test "$PIN_LEAF"

    write_conf "$CONF" pinned.test "$PIN_ROOT"
    case_begin "gnutls-cli, pin on the root CA (verified chain): passes"
    RUNNER=run_preloaded g_run
    check_rc 0
    check_received "$LINE"
    check_glog pass allowed pinned.test 1
    case_end

    write_conf "$CONF" -u block other.test "$PIN_LEAF"
    case_begin "gnutls-cli, no entry for the name, unpinned = block: refused, zero bytes, unpinned/blocked"
    RUNNER=run_preloaded g_run
    check_rc_not 0
    check_any_has "$G_ERR_RE"
    check_zero_bytes 1
    check_glog unpinned blocked pinned.test 1
    case_end

    # The verify hostname is a name too (DESIGN 3.1): SNI good.test (right
    # pin), verified as pinned.test (wrong pin): refused by pinned.test.
    GCLI_SNI=good.test
    write_conf "$CONF" good.test "$PIN_LEAF" pinned.test "$PIN_UNRELATED"
    case_begin "gnutls-cli, SNI good.test (right pin), verify hostname pinned.test (wrong pin): refused"
    RUNNER=run_preloaded g_run
    check_rc_not 0
    check_any_has "$G_ERR_RE"
    check_zero_bytes 1
    check_glog fail blocked pinned.test 1
    case_end

    write_conf "$CONF" pinned.test "$PIN_INT"
    case_begin "gnutls-cli, SNI good.test (no entry), verify hostname pinned.test (right pin): passes, judged as pinned.test"
    RUNNER=run_preloaded g_run
    check_rc 0
    check_received "$LINE"
    check_glog pass allowed pinned.test
    case_end
    GCLI_SNI=pinned.test

    # --resume: two handshakes, the second resumed; both are judged.
    use_server echo12
    GCLI_OPTS=--resume
    LINE="resumed line from gnutls-cli $$"
    case_begin "gnutls-cli --resume (TLS 1.2) without the library: the second handshake resumes"
    RUNNER=run_plain g_run
    check_rc 0
    check_out_has 'This is a resumed session'
    check_received "$LINE" 2
    check_conn 'resumed=1'
    check_no_log
    case_end
    for pinname in LEAF INT; do
        pin=PIN_$pinname
        write_conf "$CONF" pinned.test "${!pin}"
        case_begin "gnutls-cli --resume (TLS 1.2), pin on $pinname: both handshakes pass, the second resumed, two pass records"
        RUNNER=run_preloaded g_run
        check_rc 0
        check_out_has 'This is a resumed session'
        check_received "$LINE" 2
        check_conn 'resumed=1'
        check_glog pass allowed pinned.test 2
        case_end
    done

    write_conf "$CONF" pinned.test "$PIN_UNRELATED"
    case_begin "gnutls-cli --resume (TLS 1.2), wrong pin: the first handshake refused, zero bytes, one record"
    RUNNER=run_preloaded g_run
    check_rc_not 0
    check_any_has "$G_ERR_RE"
    check_out_lacks 'resumed session'
    check_zero_bytes 1
    check_glog fail blocked pinned.test 1
    case_end

    write_conf "$CONF" -m report pinned.test "$PIN_UNRELATED"
    case_begin "gnutls-cli --resume (TLS 1.2), report mode, wrong pin: both go through, two fail/allowed records"
    RUNNER=run_preloaded g_run
    check_rc 0
    check_out_has 'This is a resumed session'
    check_received "$LINE" 2
    check_glog fail allowed pinned.test 2
    case_end
    GCLI_OPTS=""
fi

# --------------------------------------------------------------- msmtp ---
if apparmor_enforced msmtp; then
    skip "msmtp: its AppArmor profile is enforced here (it may not read the test's files nor map the library)"
elif need_gnutls_prog msmtp "$(command -v msmtp || echo /usr/bin/msmtp)" --version; then
    start_server -n smtp -s "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "smtp server did not start"
    MAIL_MARK="pinshim gnutls mail $$"
    G_JOB="the mail is sent"
    G_ERR_RE='TLS (certificate verification|handshake) failed|certificate'
    g_run() {
        "$RUNNER" msmtp -C /dev/null --host=127.0.0.1 --port="$SERVER_PORT" --tls=on --tls-starttls=off \
            --tls-trust-file="$PKI/root.pem" --tls-host-override=pinned.test --auth=off \
            --from=sender@pinned.test rcpt@pinned.test <<<"Subject: $MAIL_MARK

body of the test mail"
    }
    g_job_done() {
        check_received "Subject: $MAIL_MARK"
        new_record | grep -q '^QUIT' || case_fail "the client did not end the session (QUIT)"
        check_conn 'status=smtp'
    }
    g_job_not_done() { :; }
    gnutls_matrix "msmtp (implicit TLS, tls_host_override)" pinned.test "$PIN_INT"
fi

finish
