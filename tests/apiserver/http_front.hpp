#pragma once
/// @file
/// Serves an api_server over HTTPS with client-certificate authentication
/// (CN = user, O = groups; no certificate = system:anonymous; a certificate
/// that does not verify = 401), on the project's HTTP server.

#include "tests/apiserver/server.hpp"

#include "net/server/http_server.hpp"

#include <caf/expected.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace cafelet::apiserver {

/// Where and how to listen.
struct front_options {
  /// Address to bind.
  std::string host = "127.0.0.1";
  /// Port (0: pick a free one).
  uint16_t port = 0;
  /// Serving certificate and key (PEM); plain HTTP if empty.
  std::string cert_file;
  /// Serving key.
  std::string key_file;
  /// CA that client certificates must chain to.
  std::string client_ca_file;
};

/// An HTTP(S) listener in front of an api_server. Supports the server's
/// `hang_mode::refuse` by closing and later reopening its port.
class http_front {
public:
  /// Starts listening. `srv` must outlive the front.
  static caf::expected<std::unique_ptr<http_front>> start(api_server& srv,
                                                          front_options opts);

  ~http_front();

  http_front(const http_front&) = delete;
  http_front& operator=(const http_front&) = delete;

  /// The bound port.
  uint16_t port() const noexcept {
    return port_;
  }

  /// "https://127.0.0.1:PORT".
  std::string url() const;

  /// Stops listening and closes all connections.
  void stop();

private:
  http_front(api_server& srv, front_options opts)
    : srv_(srv), opts_(std::move(opts)) {
  }

  caf::error listen();

  void set_accepting(bool accepting);

  /// Lets the server's listener control reach this front only while it
  /// lives.
  struct handle {
    std::mutex mtx;
    http_front* front = nullptr;
  };

  api_server& srv_;
  front_options opts_;
  std::shared_ptr<handle> handle_ = std::make_shared<handle>();
  uint16_t port_ = 0;
  std::mutex mtx_;
  std::unique_ptr<net::http_server> server_;
};

} // namespace cafelet::apiserver
