#!/bin/bash
# t_more_clients.sh - more real Debian clients with libpinshim.so preloaded,
# each against a local TLS server (DESIGN 3-5, 12), so the README's table of
# covered programs can cite a test for them:
#   - Perl's IO::Socket::SSL (OpenSSL through Net::SSLeay): an HTTPS GET;
#   - Ruby's net/http (OpenSSL through its openssl extension): an HTTPS GET;
#   - mutt (GnuTLS on Debian 12): a mail sent over smtps://, in batch mode;
#   - GIO's TLS (glib-networking's GnuTLS module) from python3-gi: a
#     GTlsClientConnection over a plain socket connection, an HTTP GET.
# Each does its job once without the library (the harness works), then with
# the right pin (job done, a pass/allowed record naming the TLS library the
# process loaded), a wrong pin (its usual certificate error, not one
# application byte at the server, one fail/blocked record) and in report mode
# (job done, fail/allowed).  A program that is missing, or does not use the
# TLS library it is here for, is a skipped case with the reason.
#
# Names: every client connects to 127.0.0.1 (nothing else resolves here and
# no system file is edited) and is given the name some other way: Perl and
# GIO send SNI pinned.test and verify that name, Ruby's Net::HTTP is told
# the address of pinned.test (Net::HTTP#ipaddr=); mutt takes only a URL, so
# it goes to smtps://localhost/ (SNI localhost; the leaf names localhost).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gnutls_lib.sh"

gnutls_setup
# and nothing of the caller's for Perl, Ruby or GLib either
unset PERL5LIB PERL5OPT PERL_LWP_SSL_CA_FILE PERL_LWP_SSL_CA_PATH RUBYLIB RUBYOPT \
    GIO_USE_TLS GIO_MODULE_DIR GIO_EXTRA_MODULES G_TLS_GNUTLS_PRIORITY 2>/dev/null || true

DOC_MARK="pinshim more clients document $$"
if ! mkdir -p "$T/doc" || ! printf '%s\n' "$DOC_MARK" > "$T/doc/hello.txt"; then
    hard_error "cannot make the document"
fi
start_server -n web -d "$T/doc" "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "web server did not start"
WEB_PORT=$SERVER_PORT

# ------------------------------------------------------------ the matrix ---

# uses_openssl FILE: FILE is linked with OpenSSL's libssl 3 (directly or
# through a library it needs) and not with libgnutls.
uses_openssl() {
    local l
    l=$(ldd "$1" 2>/dev/null) || return 1
    case $l in *libssl.so.3*) ;; *) return 1 ;; esac
    case $l in *libgnutls.so*) return 1 ;; esac
    return 0
}

# check_llog VERDICT ACTION HOST [COUNT]: check_glog for $LIBRARY, the TLS
# library the client loaded.
check_llog() {
    check_log_library "$LIBRARY" "$@"
}

# client_matrix LABEL HOST RIGHTPINS: gnutls_matrix's four cases (the harness
# works; right pin; wrong pin refused with zero bytes and one fail/blocked
# record; report mode) with the library the client loaded, $LIBRARY, instead
# of a GnuTLS one.  g_run, g_job_done, g_job_not_done, g_zero, G_JOB and
# G_ERR_RE as for gnutls_matrix.
client_matrix() {
    local label=$1 host=$2 right=$3 wrong="$PIN_UNRELATED,$PIN_LEAF2"

    case_begin "$label without the library: $G_JOB"
    RUNNER=run_plain g_run
    check_rc 0
    g_job_done
    check_no_log
    case_end

    write_conf "$CONF" "$host" "$right"
    case_begin "$label, right pin: $G_JOB, log pass/allowed for $host, library $LIBRARY"
    RUNNER=run_preloaded g_run
    check_rc 0
    g_job_done
    check_llog pass allowed "$host"
    case_end

    write_conf "$CONF" "$host" "$wrong"
    case_begin "$label, wrong pin: refused with its certificate error, zero bytes, one record fail/blocked"
    RUNNER=run_preloaded g_run
    check_rc_not 0
    check_timeout
    check_any_has "$G_ERR_RE"
    g_job_not_done
    g_zero
    check_llog fail blocked "$host" 1
    case_end

    write_conf "$CONF" -m report "$host" "$wrong"
    case_begin "$label, report mode, wrong pin: $G_JOB, log fail/allowed"
    RUNNER=run_preloaded g_run
    check_rc 0
    g_job_done
    check_llog fail allowed "$host"
    case_end
}

# The HTTPS GET clients (all send SNI pinned.test): the document printed by
# the client, the request seen by the server.
http_job_done() {
    check_out_has "^$DOC_MARK\$"
    check_received "GET /hello.txt HTTP/1."
    check_conn 'sni=pinned.test .*status=http'
}
http_job_not_done() { check_out_lacks "$DOC_MARK"; }

# ---------------------------------------------------- Perl IO::Socket::SSL ---
cat > "$T/get.pl" <<'EOF'
use strict;
use warnings;
use IO::Socket::SSL;
my ($port, $ca) = @ARGV;
my $s = IO::Socket::SSL->new(
    PeerHost => "127.0.0.1", PeerPort => $port, Timeout => 10,
    SSL_hostname => "pinned.test",            # SNI
    SSL_verifycn_name => "pinned.test", SSL_verifycn_scheme => "http",
    SSL_verify_mode => SSL_VERIFY_PEER, SSL_ca_file => $ca,
) or die "connect failed: $SSL_ERROR\n";
print $s "GET /hello.txt HTTP/1.1\r\nHost: pinned.test\r\nConnection: close\r\n\r\n" or die "write: $SSL_ERROR\n";
my $reply = "";
while (defined(my $l = <$s>)) { $reply .= $l; }
close $s;
$reply =~ m{^HTTP/1\.[01] 200 } or die "no 200 reply: " . substr($reply, 0, 80) . "\n";
my ($body) = $reply =~ /\r\n\r\n(.*)\z/s;
print $body;
EOF
if ! perl -MIO::Socket::SSL -e 1 >/dev/null 2>&1; then
    skip "perl IO::Socket::SSL: the module is not installed (Debian package libio-socket-ssl-perl)"
elif ! SSLEAY_SO=$(perl -MNet::SSLeay -e 'for (@INC) { my $f = "$_/auto/Net/SSLeay/SSLeay.so"; if (-f $f) { print $f; exit 0 } } exit 1') ||
    ! uses_openssl "$SSLEAY_SO"; then
    skip "perl IO::Socket::SSL: Net::SSLeay does not use OpenSSL 3 here (${SSLEAY_SO:-SSLeay.so not found})"
else
    use_server web
    # the version of the libssl Net::SSLeay loaded, as the library says it
    LIBRARY=$(perl -MNet::SSLeay -e 'my $v = Net::SSLeay::SSLeay_version(0); $v =~ /^OpenSSL (\d+\.\d+\.\d+)/ and print "openssl $1"')
    [ -n "$LIBRARY" ] || hard_error "cannot read Net::SSLeay's OpenSSL version"
    G_JOB="the document is fetched"
    G_ERR_RE='connect failed: .*certificate verify failed'
    g_run() { "$RUNNER" perl "$T/get.pl" "$WEB_PORT" "$PKI/root.pem"; }
    g_job_done() { http_job_done; }
    g_job_not_done() { http_job_not_done; }
    client_matrix "perl IO::Socket::SSL (SNI and verified name pinned.test)" pinned.test "$PIN_INT"
fi

# ------------------------------------------------------- Ruby's net/http ---
cat > "$T/get.rb" <<'EOF'
require "net/http"
require "openssl"
port, ca = Integer(ARGV[0]), ARGV[1]
http = Net::HTTP.new("pinned.test", port)
http.ipaddr = "127.0.0.1"          # where pinned.test is; the name stays the SNI and verified name
http.use_ssl = true
http.verify_mode = OpenSSL::SSL::VERIFY_PEER
http.cert_store = OpenSSL::X509::Store.new.tap { |s| s.add_file(ca) }   # the test root only
http.open_timeout = 10
http.read_timeout = 10
res = http.start { |h| h.get("/hello.txt") }
abort "no 200 reply: #{res.code}" unless res.code == "200"
print res.body
EOF
# shellcheck disable=SC2016
RUBY_OPENSSL_SO=$(ruby -e 'require "openssl"; print $LOADED_FEATURES.grep(%r{/openssl\.so$}).first.to_s' 2>/dev/null)
if ! command -v ruby >/dev/null 2>&1; then
    skip "ruby net/http: ruby not installed (Debian package ruby)"
elif [ -z "$RUBY_OPENSSL_SO" ] || ! uses_openssl "$RUBY_OPENSSL_SO"; then
    skip "ruby net/http: its openssl extension does not use OpenSSL 3 here (${RUBY_OPENSSL_SO:-openssl.so not loaded})"
elif ! ruby -rnet/http -e 'exit Net::HTTP.method_defined?(:ipaddr=)' 2>/dev/null; then
    skip "ruby net/http: this Net::HTTP has no ipaddr= (connecting to 127.0.0.1 as pinned.test needs it)"
else
    use_server web
    # shellcheck disable=SC2016
    LIBRARY=$(ruby -ropenssl -e 'OpenSSL::OPENSSL_LIBRARY_VERSION =~ /^OpenSSL (\d+\.\d+\.\d+)/ and print "openssl #{$1}"')
    [ -n "$LIBRARY" ] || hard_error "cannot read Ruby's OpenSSL version"
    G_JOB="the document is fetched"
    G_ERR_RE='certificate verify failed'
    g_run() { "$RUNNER" ruby "$T/get.rb" "$WEB_PORT" "$PKI/root.pem"; }
    g_job_done() { http_job_done; }
    g_job_not_done() { http_job_not_done; }
    client_matrix "ruby net/http (SNI and verified name pinned.test)" pinned.test "$PIN_LEAF"
fi

# ------------------------------------------------------------------ mutt ---
# Batch mode: no config read (-n -F /dev/null), everything by -e, the body on
# stdin (never a tty), no copy saved.  mutt verifies after the handshake
# (gnutls_certificate_verify_peers2 against ssl_ca_certificates_file, the
# URL's host name against the leaf) and, in batch mode, gives up instead of
# asking about a certificate it does not accept.
if need_gnutls_prog mutt "$(command -v mutt || echo /usr/bin/mutt)" -v; then
    start_server -n smtp -s "$PKI/chain-leaf.pem" "$PKI/leaf.key" || hard_error "smtp server did not start"
    LIBRARY=$GNUTLS_LIBRARY
    MAIL_MARK="pinshim mutt mail $$"
    mkdir -p "$T/mutt"
    G_JOB="the mail is sent"
    G_ERR_RE='gnutls_handshake: Error in the certificate verification'
    g_run() {
        "$RUNNER" mutt -n -F /dev/null -e "set smtp_url=\"smtps://localhost:$SERVER_PORT/\" \
ssl_ca_certificates_file=\"$PKI/root.pem\" ssl_force_tls=yes ssl_verify_host=yes \
certificate_file=\"$T/mutt/certificates\" from=\"sender@pinned.test\" hostname=pinned.test \
record=\"\" copy=no tmpdir=\"$T/mutt\"" -s "$MAIL_MARK" rcpt@pinned.test <<<"body of the test mail"
    }
    g_job_done() {
        check_received "Subject: $MAIL_MARK"
        new_record | grep -q '^QUIT' || case_fail "the client did not end the session (QUIT)"
        check_conn 'sni=localhost .*status=smtp'
    }
    g_job_not_done() { check_any_has 'Could not send the message'; }
    client_matrix "mutt smtps://localhost/ (SNI localhost)" localhost "$PIN_LEAF"
fi

# ----------------------------------------------------- GIO (glib-networking) ---
# A GTlsClientConnection over a plain connection to 127.0.0.1, its server
# identity pinned.test (SNI and the name GIO verifies), its database the test
# root only (a GTlsFileDatabase).  glib-networking loads libgnutls with its
# module (dlopen, RTLD_LOCAL: not in the global scope) and verifies in a
# verify function on the certificate credentials, in a handshake thread.
cat > "$T/gio_get.py" <<'EOF'
import sys
import gi
gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib
if sys.argv[1] == "--backend":
    print(type(Gio.TlsBackend.get_default()).__name__)
    sys.exit(0)
port, ca = int(sys.argv[1]), sys.argv[2]
client = Gio.SocketClient.new()
client.set_enable_proxy(False)
client.set_timeout(10)
try:
    plain = client.connect_to_host("127.0.0.1", port, None)
    tls = Gio.TlsClientConnection.new(plain, Gio.NetworkAddress.new("pinned.test", port))
    tls.set_database(Gio.TlsFileDatabase.new(ca))
    tls.handshake(None)
    tls.get_output_stream().write_all(
        b"GET /hello.txt HTTP/1.1\r\nHost: pinned.test\r\nConnection: close\r\n\r\n", None)
    reply = b""
    inp = tls.get_input_stream()
    for _ in range(1000):
        chunk = inp.read_bytes(65536, None).get_data()
        if not chunk:
            break
        reply += chunk
    tls.close(None)
except GLib.Error as e:
    sys.exit("gio: %s (%s %d)" % (e.message, e.domain, e.code))
head, _, body = reply.partition(b"\r\n\r\n")
if not head.startswith(b"HTTP/1.1 200 "):
    sys.exit("no 200 reply: %r" % head[:80])
sys.stdout.write(body.decode())
EOF
GIO_MODULE=""
for f in /usr/lib/*/gio/modules/libgiognutls.so /usr/lib/gio/modules/libgiognutls.so; do
    [ -f "$f" ] && { GIO_MODULE=$f; break; }
done
if ! GIO_BACKEND=$("$PYTHON3" "$T/gio_get.py" --backend 2>"$T/gio-backend.err"); then
    skip "GIO: python3 cannot use Gio ($(tail -n 1 "$T/gio-backend.err"); Debian packages python3-gi gir1.2-glib-2.0)"
elif [ "$GIO_BACKEND" != GTlsBackendGnutls ] || [ -z "$GIO_MODULE" ]; then
    skip "GIO: its TLS backend is $GIO_BACKEND, not glib-networking's GnuTLS one (Debian package glib-networking)"
elif ! uses_gnutls "$GIO_MODULE"; then
    skip "GIO: $GIO_MODULE does not use GnuTLS here"
else
    use_server web
    LIBRARY=$GNUTLS_LIBRARY
    G_JOB="the document is fetched"
    G_ERR_RE='gio: .*(certificate|Unacceptable TLS)'
    g_run() { "$RUNNER" "$PYTHON3" "$T/gio_get.py" "$WEB_PORT" "$PKI/root.pem"; }
    g_job_done() { http_job_done; }
    g_job_not_done() { http_job_not_done; }
    client_matrix "GIO GTlsClientConnection (python3-gi; SNI and identity pinned.test)" pinned.test "$PIN_INT"
fi

finish
