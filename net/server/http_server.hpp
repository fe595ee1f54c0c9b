#pragma once
/// @file
/// An HTTP/1.1 server (optionally over TLS) driven by one epoll event-loop
/// thread with non-blocking sockets. Handlers run on that thread and answer
/// through `responder` handles from any thread, so actors never block on it.
///
///   auto srv = http_server::start({.host = "127.0.0.1", .port = 0},
///     [](server_request req, responder res) {
///       res.respond(200, "ok\n");
///     });
///   if (!srv) ...; // caf::error
///   uint16_t port = (*srv)->port();

#include "net/server/http_message.hpp"
#include "net/server/responder.hpp"
#include "net/server/tls_context.hpp"

#include <caf/expected.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace cafelet::net {

namespace detail {
class server_core;
struct loop_state;
} // namespace detail

/// Settings of an `http_server`.
struct server_options {
  /// Numeric address or host name to bind, e.g. "127.0.0.1" or "::1".
  std::string host = "127.0.0.1";
  /// Port to bind; 0 picks a free one (see `http_server::port`).
  uint16_t port = 0;
  /// TLS settings; plain HTTP when empty.
  std::optional<tls_options> tls;
  /// Limit for the request line plus header fields (431 beyond).
  size_t max_header_bytes = 64 * 1024;
  /// Limit for a request body (413 beyond).
  size_t max_body_bytes = 16 * 1024 * 1024;
  /// A connection without a request in flight and without traffic for this
  /// long is closed; so is one whose client stops reading for this long.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds{120}};
  /// A stream whose unsent output exceeds this many bytes is aborted.
  size_t max_stream_buffer = 32 * 1024 * 1024;
  /// Connections beyond this number are closed right after accept.
  size_t max_connections = 4096;
  /// Name used in log lines, e.g. "healthz" or "apiserver".
  std::string name = "http";
};

/// A running HTTP server. Not copyable; `stop()` or the destructor closes
/// all connections (ending streams with `stream_end::server_stopped`) and
/// joins the loop thread.
class http_server {
public:
  /// Binds, listens and starts the loop thread. Fails with
  /// `errc::invalid_config` (bad host, TLS files) or `errc::io_error`
  /// (bind/listen failed, e.g. port in use).
  static caf::expected<std::unique_ptr<http_server>>
  start(server_options opts, request_handler handler);

  ~http_server();

  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// The bound port (the ephemeral one if `port` was 0).
  uint16_t port() const noexcept {
    return port_;
  }

  /// The bound numeric address, e.g. "127.0.0.1" or "::1".
  const std::string& address() const noexcept {
    return address_;
  }

  /// "http://127.0.0.1:PORT" or "https://[::1]:PORT".
  std::string url() const;

  /// Aborts every active response stream (their clients see the connection
  /// drop mid-response). Asynchronous; safe from any thread.
  void abort_streams();

  /// Number of open connections (for tests and diagnostics).
  size_t connection_count() const noexcept;

  /// Number of streams currently open.
  size_t stream_count() const noexcept;

  /// Closes everything and joins the loop thread. Idempotent and safe from
  /// any thread; from a handler (the loop thread) it only requests the stop.
  void stop();

private:
  http_server() = default;

  void run();

  std::unique_ptr<detail::loop_state> state_;
  std::shared_ptr<detail::server_core> core_;
  std::thread thread_;
  std::mutex stop_mtx_;
  std::atomic<bool> stopping_{false};
  uint16_t port_ = 0;
  std::string address_;
  bool tls_ = false;
};

} // namespace cafelet::net
