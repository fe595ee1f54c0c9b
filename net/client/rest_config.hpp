#pragma once
/// @file
/// Everything needed to reach and authenticate to kube-apiserver, resolved
/// from a kubeconfig (see kubeconfig.hpp): the analogue of client-go's
/// `rest.Config`. All key material is held in memory as PEM text.

#include <string>

namespace cafelet::net {

/// Connection and credential settings for one API server.
struct rest_config {
  /// Base URL of the API server, e.g. "https://10.0.0.1:6443" (no trailing
  /// slash; may carry a path prefix such as "https://lb/k8s").
  std::string server;
  /// PEM bundle of CAs that may sign the server certificate. Empty means the
  /// system trust store.
  std::string ca_pem;
  /// PEM client certificate (may be followed by intermediates); empty if
  /// the user authenticates with a token only.
  std::string client_cert_pem;
  /// PEM private key matching `client_cert_pem`.
  std::string client_key_pem;
  /// Bearer token sent as "Authorization: Bearer ..."; empty for none.
  std::string token;
  /// File the token was read from; when set, clients re-read it
  /// periodically (projected tokens rotate) and the file wins over `token`.
  std::string token_file;
  /// Name to send in SNI and to verify the server certificate against,
  /// instead of the host of `server`. Empty: use the host of `server`.
  std::string tls_server_name;
  /// Skip all verification of the server certificate (never in production).
  bool insecure_skip_tls_verify = false;
  /// Where the CA / client certificate / key came from, when read from
  /// files (empty for inline data); kept for diagnostics and reloads.
  std::string ca_file;
  /// See `ca_file`.
  std::string client_cert_file;
  /// See `ca_file`.
  std::string client_key_file;
  /// The kubeconfig this was loaded from and the context used, for logs.
  std::string source;
  /// See `source`.
  std::string context;
};

} // namespace cafelet::net
