/* `ossl` bound to the OpenSSL this program links: the pinshim command and the
 * unit tests.  The preload library never contains this file. */
#include "config.h"
/* SHA256_Init & co. are deprecated in 3.0: taken on purpose (ossl.h). */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "ossl.h"
#include <openssl/err.h>

struct ossl_api ossl;

void ossl_bind_linked(void)
{
    ossl.SSL_connect = SSL_connect;
    ossl.SSL_do_handshake = SSL_do_handshake;
    ossl.SSL_read = SSL_read;
    ossl.SSL_write = SSL_write;
    ossl.SSL_read_ex = SSL_read_ex;
    ossl.SSL_write_ex = SSL_write_ex;
    ossl.SSL_peek = SSL_peek;
    ossl.SSL_peek_ex = SSL_peek_ex;
    ossl.SSL_is_server = SSL_is_server;
    ossl.SSL_is_init_finished = SSL_is_init_finished;
    ossl.SSL_in_before = SSL_in_before;
    ossl.SSL_get_servername = SSL_get_servername;
    ossl.SSL_get0_peername = SSL_get0_peername;
    ossl.SSL_get0_param = SSL_get0_param;
    ossl.SSL_get_fd = SSL_get_fd;
    ossl.SSL_get_verify_result = SSL_get_verify_result;
    ossl.SSL_set_verify_result = SSL_set_verify_result;
    ossl.SSL_get0_verified_chain = SSL_get0_verified_chain;
    ossl.SSL_get_peer_cert_chain = SSL_get_peer_cert_chain;
    ossl.SSL_session_reused = SSL_session_reused;
    ossl.SSL_get_ex_data = SSL_get_ex_data;
    ossl.SSL_set_ex_data = SSL_set_ex_data;
    ossl.SSL_get_version = SSL_get_version;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    ossl.SSL_get1_peer_cert = SSL_get1_peer_certificate;
    ossl.X509_VERIFY_PARAM_get0_host = X509_VERIFY_PARAM_get0_host;
    ossl.ERR_new = ERR_new;
    ossl.ERR_set_debug = ERR_set_debug;
    ossl.ERR_set_error = ERR_set_error;
#else
    ossl.SSL_get1_peer_cert = SSL_get_peer_certificate;
    ossl.ERR_put_error_fn = ERR_put_error;
    ossl.ERR_add_error_data = ERR_add_error_data;
#endif
    ossl.CRYPTO_get_ex_new_index = CRYPTO_get_ex_new_index;
    ossl.OPENSSL_sk_num = OPENSSL_sk_num;
    ossl.OPENSSL_sk_value = OPENSSL_sk_value;
    ossl.X509_get_X509_PUBKEY = X509_get_X509_PUBKEY;
    ossl.i2d_X509_PUBKEY = i2d_X509_PUBKEY;
    ossl.i2d_X509 = i2d_X509;
    ossl.X509_check_issued = X509_check_issued;
    ossl.X509_verify = X509_verify;
    ossl.X509_get0_pubkey = X509_get0_pubkey;
    ossl.X509_get_subject_name = X509_get_subject_name;
    ossl.X509_get_issuer_name = X509_get_issuer_name;
    ossl.X509_NAME_print_ex = X509_NAME_print_ex;
    ossl.X509_get0_notAfter = X509_get0_notAfter;
    ossl.ASN1_TIME_to_tm = ASN1_TIME_to_tm;
    ossl.X509_free = X509_free;
    ossl.BIO_new = BIO_new;
    ossl.BIO_s_mem = BIO_s_mem;
    ossl.BIO_ctrl = BIO_ctrl;
    ossl.BIO_free = BIO_free;
    ossl.EVP_Digest = EVP_Digest;
    ossl.EVP_sha256 = EVP_sha256;
    ossl.EVP_EncodeBlock = EVP_EncodeBlock;
    ossl.EVP_DecodeBlock = EVP_DecodeBlock;
    ossl.ERR_peek_error = ERR_peek_error;
    ossl.ERR_set_mark = ERR_set_mark;
    ossl.ERR_pop_to_mark = ERR_pop_to_mark;
    /* The same fast path as the library takes (ossl.h). */
    ossl.SHA256_Init = SHA256_Init;
    ossl.SHA256_Update = SHA256_Update;
    ossl.SHA256_Final = SHA256_Final;
}
