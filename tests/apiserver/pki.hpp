#pragma once
/// @file
/// Test certificates for the API server, made with the openssl command
/// line at run time: a CA, a serving certificate for 127.0.0.1/localhost,
/// client certificates (CN = user, O = groups) and kubeconfig files.

#include <caf/expected.hpp>

#include <string>
#include <vector>

namespace cafelet::apiserver {

/// A certificate and its key on disk.
struct cert_pair {
  /// PEM certificate path.
  std::string cert;
  /// PEM private key path.
  std::string key;
};

/// A CA with a server certificate, able to issue client certificates.
class test_pki {
public:
  /// Creates `dir` (if needed) and generates ca.crt/ca.key and
  /// server.crt/server.key (SAN IP:127.0.0.1, DNS:localhost) in it.
  static caf::expected<test_pki> generate(std::string dir);

  /// Issues `<stem>.crt/.key` for user `common_name` in `organizations`,
  /// valid for `days` (a negative number gives an expired certificate).
  caf::expected<cert_pair> issue_client(const std::string& stem,
                                        const std::string& common_name,
                                        const std::vector<std::string>& organizations,
                                        int days = 365) const;

  /// Creates a self-signed client certificate the CA did not issue.
  caf::expected<cert_pair> self_signed_client(const std::string& stem,
                                              const std::string& common_name) const;

  /// Writes `<stem>.kubeconfig` for `client` against `server_url`; returns
  /// its path.
  caf::expected<std::string> write_kubeconfig(const std::string& stem,
                                              const cert_pair& client,
                                              const std::string& server_url,
                                              const std::string& user) const;

  /// The directory holding all files.
  const std::string& dir() const noexcept {
    return dir_;
  }

  /// The CA certificate.
  const cert_pair& ca() const noexcept {
    return ca_;
  }

  /// The serving certificate.
  const cert_pair& server() const noexcept {
    return server_;
  }

  /// PEM text of the CA certificate.
  std::string ca_pem() const;

private:
  std::string dir_;
  cert_pair ca_;
  cert_pair server_;
};

/// Runs `argv` (argv[0] looked up in PATH) and waits; returns its exit
/// code, or -1 if it could not be started. Output goes to `log_file`.
int run_program(const std::vector<std::string>& argv,
                const std::string& log_file);

} // namespace cafelet::apiserver
