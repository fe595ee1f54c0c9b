#include "net/server/tls_context.hpp"

#include "messages/errors.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstring>

namespace cafelet::net {

namespace {

constexpr unsigned char session_context[] = "cafelet-http";

/// Accepts every chain: `client_auth::request` leaves the decision to the
/// handler, which sees the verification result in `peer_identity`.
int accept_any_chain(int, X509_STORE_CTX*) {
  return 1;
}

/// Picks "http/1.1" if the client offers it; otherwise no ALPN.
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen,
                const unsigned char* in, unsigned int inlen, void*) {
  static constexpr unsigned char h11[] = "http/1.1";
  constexpr unsigned int h11_len = sizeof(h11) - 1;
  for (unsigned int i = 0; i < inlen;) {
    unsigned int len = in[i];
    if (i + 1 + len > inlen)
      break;
    if (len == h11_len && std::memcmp(in + i + 1, h11, h11_len) == 0) {
      *out = in + i + 1;
      *outlen = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + len;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

std::string entry_text(X509_NAME_ENTRY* entry) {
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
  if (len < 0)
    return {};
  std::string out{reinterpret_cast<char*>(utf8), static_cast<size_t>(len)};
  OPENSSL_free(utf8);
  return out;
}

caf::error config_error(std::string what, const std::string& file) {
  auto details = openssl_errors();
  what += " ";
  what += file;
  if (!details.empty()) {
    what += ": ";
    what += details;
  }
  return make_error(errc::invalid_config, std::move(what));
}

} // namespace

std::string openssl_errors() {
  std::string out;
  while (auto code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    if (!out.empty())
      out += "; ";
    out += buf;
  }
  return out;
}

caf::expected<std::shared_ptr<tls_context>>
tls_context::make(const tls_options& opts) {
  ERR_clear_error();
  if (opts.cert_file.empty() || opts.key_file.empty())
    return make_error(errc::invalid_config,
                      "TLS needs a certificate and a key file");
  if ((opts.auth == client_auth::optional
       || opts.auth == client_auth::required)
      && opts.ca_file.empty())
    return make_error(errc::invalid_config,
                      "verifying client certificates needs a CA file");
  SSL_CTX* raw = SSL_CTX_new(TLS_server_method());
  if (raw == nullptr)
    return make_error(errc::internal, "SSL_CTX_new: " + openssl_errors());
  std::shared_ptr<tls_context> ctx{new tls_context(raw)};
  SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION);
  SSL_CTX_set_options(raw, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(raw, SSL_MODE_ENABLE_PARTIAL_WRITE
                          | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
                          | SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_session_id_context(raw, session_context,
                                 sizeof(session_context) - 1);
  SSL_CTX_set_alpn_select_cb(raw, select_alpn, nullptr);
  if (SSL_CTX_use_certificate_chain_file(raw, opts.cert_file.c_str()) != 1)
    return config_error("cannot load certificate", opts.cert_file);
  if (SSL_CTX_use_PrivateKey_file(raw, opts.key_file.c_str(), SSL_FILETYPE_PEM)
      != 1)
    return config_error("cannot load private key", opts.key_file);
  if (SSL_CTX_check_private_key(raw) != 1)
    return config_error("private key does not match certificate",
                        opts.key_file);
  if (!opts.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(raw, opts.ca_file.c_str(), nullptr) != 1)
      return config_error("cannot load CA file", opts.ca_file);
    if (auto* names = SSL_load_client_CA_file(opts.ca_file.c_str()))
      SSL_CTX_set_client_CA_list(raw, names);
  }
  switch (opts.auth) {
    case client_auth::none:
      SSL_CTX_set_verify(raw, SSL_VERIFY_NONE, nullptr);
      break;
    case client_auth::request:
      SSL_CTX_set_verify(raw, SSL_VERIFY_PEER, accept_any_chain);
      break;
    case client_auth::optional:
      SSL_CTX_set_verify(raw, SSL_VERIFY_PEER, nullptr);
      break;
    case client_auth::required:
      SSL_CTX_set_verify(raw,
                         SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                         nullptr);
      break;
  }
  SSL_CTX_set_verify_depth(raw, 8);
  return ctx;
}

tls_context::~tls_context() {
  SSL_CTX_free(ctx_);
}

peer_identity read_peer_identity(ssl_st* ssl) {
  peer_identity id;
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr)
    return id;
  id.presented = true;
  auto result = SSL_get_verify_result(ssl);
  if (result != X509_V_OK) {
    id.verify_error = X509_verify_cert_error_string(result);
    return id;
  }
  id.verified = true;
  X509_NAME* subject = X509_get_subject_name(cert);
  // Like Go's crypto/x509 (and so Kubernetes): the last CN wins, all Os count.
  for (int i = -1;
       (i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) >= 0;)
    id.common_name = entry_text(X509_NAME_get_entry(subject, i));
  for (int i = -1;
       (i = X509_NAME_get_index_by_NID(subject, NID_organizationName, i))
       >= 0;)
    id.organizations.push_back(entry_text(X509_NAME_get_entry(subject, i)));
  return id;
}

} // namespace cafelet::net
