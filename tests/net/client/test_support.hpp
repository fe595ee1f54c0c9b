#pragma once
/// @file
/// Shared fixtures of the net/client tests: a temporary directory, a test
/// PKI generated with the openssl command line, and the loopback HTTPS
/// server (tls_server.py) run by $PYTHON3.

#include "net/client/http_client.hpp"
#include "net/client/rest_config.hpp"

#include <chrono>
#include <future>
#include <memory>
#include <string>

namespace cafelet::net::test {

/// A directory removed (recursively) when the object dies.
class temp_dir {
public:
  /// Creates a fresh directory under $TMPDIR.
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  /// Absolute path.
  const std::string& path() const {
    return path_;
  }

  /// Path of `name` inside the directory.
  std::string file(const std::string& name) const {
    return path_ + "/" + name;
  }

private:
  std::string path_;
};

/// Writes `content` to `path`.
void write_file(const std::string& path, const std::string& content);

/// Reads `path`.
std::string read_file(const std::string& path);

/// Test certificates: ca, server (localhost, apiserver.internal,
/// 127.0.0.1), expired (same names), client (system:node:edge-1),
/// other-ca and rogue-client (signed by other-ca). Files are
/// <name>.crt / <name>.key in `dir()`.
class pki {
public:
  /// The process-wide instance, generated on first use.
  static const pki& get();

  /// Directory holding the files.
  const std::string& dir() const {
    return dir_.path();
  }

  /// PEM text of `<name>.crt` or `<name>.key`.
  std::string pem(const std::string& file) const;

private:
  pki();
  temp_dir dir_;
};

/// The loopback HTTPS server, started on first use, stopped at exit.
class tls_server {
public:
  /// The process-wide instance.
  static const tls_server& get();

  ~tls_server();

  /// Port with a valid server certificate.
  int good_port() const {
    return good_;
  }

  /// Port with an expired server certificate.
  int expired_port() const {
    return expired_;
  }

  /// Port that accepts TCP but never answers the TLS handshake.
  int blackhole_port() const {
    return blackhole_;
  }

private:
  tls_server();
  int pid_ = -1;
  int stdin_fd_ = -1;
  int good_ = 0;
  int expired_ = 0;
  int blackhole_ = 0;
};

/// A rest_config for the good port with the test CA, client certificate
/// and token "test-token".
rest_config good_config();

/// Creates a client or fails the test.
std::unique_ptr<http_client> make_client(rest_config cfg,
                                         client_options opts = {});

/// Collects one http_result across threads.
class result_waiter {
public:
  result_waiter();

  /// The callback to pass as completion.
  completion_fn callback();

  /// True if the result arrived.
  bool ready() const;

  /// Waits up to `limit` for the result; fails the test on timeout.
  http_result get(std::chrono::milliseconds limit = std::chrono::seconds{20});

private:
  std::shared_ptr<std::promise<http_result>> promise_;
  std::shared_future<http_result> future_;
};

/// Runs a request synchronously (for tests only).
http_result run(http_client& client, http_request req);

} // namespace cafelet::net::test
