#pragma once
/// @file
/// Server-side TLS settings and the OpenSSL context built from them.

#include "net/server/http_message.hpp"

#include <caf/expected.hpp>

#include <memory>
#include <string>

struct ssl_ctx_st;
struct ssl_st;

namespace cafelet::net {

/// How the server treats client certificates.
enum class client_auth {
  /// Do not ask for a certificate.
  none,
  /// Ask for one and accept any (or none); the handler sees whether it
  /// verified (`peer_identity::verified`) and can answer 401 itself, as
  /// kube-apiserver does.
  request,
  /// Ask for one; a client without a certificate is served, one whose
  /// certificate does not verify is rejected during the handshake.
  optional,
  /// Demand a certificate that verifies; reject the handshake otherwise.
  required,
};

/// TLS settings of a server.
struct tls_options {
  /// PEM file with the server certificate (and optional chain).
  std::string cert_file;
  /// PEM file with the server's private key.
  std::string key_file;
  /// PEM file with the CA(s) that client certificates must chain to;
  /// needed for `client_auth::optional` and `client_auth::required`.
  std::string ca_file;
  /// Client certificate policy.
  client_auth auth = client_auth::none;
};

/// An OpenSSL server context (TLS 1.2+, ALPN "http/1.1").
class tls_context {
public:
  /// Loads certificate, key and CA files. Fails with `errc::invalid_config`
  /// if a file is missing or malformed or the key does not match.
  static caf::expected<std::shared_ptr<tls_context>>
  make(const tls_options& opts);

  ~tls_context();

  tls_context(const tls_context&) = delete;
  tls_context& operator=(const tls_context&) = delete;

  /// The underlying `SSL_CTX*`.
  ssl_ctx_st* native() const noexcept {
    return ctx_;
  }

private:
  explicit tls_context(ssl_ctx_st* ctx) : ctx_(ctx) {
  }

  ssl_ctx_st* ctx_;
};

/// Reads the client identity of an established TLS connection `ssl`.
peer_identity read_peer_identity(ssl_st* ssl);

/// Drains OpenSSL's error queue of this thread into one line.
std::string openssl_errors();

} // namespace cafelet::net
