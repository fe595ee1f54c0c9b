#pragma once
/// @file
/// Non-blocking HTTPS client for kube-apiserver, built on libcurl's multi
/// interface. Each `http_client` owns ONE event-loop thread and its own
/// connection pool (kept-alive HTTP/1.1 connections, or one multiplexed
/// HTTP/2 connection when the server offers h2). Requests may be submitted
/// from any thread; their results arrive through callbacks.
///
/// Separate clients are fully independent: their requests never queue
/// behind each other. cafelet runs one client for heartbeats (Lease renewal
/// and node status) and another for list/watch traffic, so a burst of
/// lists or a stuck watch connection never delays the heartbeat that keeps
/// the node Ready.
///
/// Callbacks run on the client's event-loop thread: they must be quick and
/// must not block (the actor layer just `anon_send`s a message). They may
/// submit or cancel calls, but must not destroy the client.

#include "net/client/http_types.hpp"
#include "net/client/rest_config.hpp"

#include <caf/expected.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace cafelet::net {

namespace detail {
struct call_state;
class client_core;
} // namespace detail

/// Tuning of one client. The defaults suit list/get/update traffic.
struct client_options {
  /// Names the client in logs and its thread ("http-<name>").
  std::string name = "api";
  /// User-Agent header; empty: `default_user_agent()`.
  std::string user_agent;
  /// Limit for establishing a connection including the TLS handshake.
  std::chrono::milliseconds connect_timeout{10000};
  /// Default total limit of a non-streaming request; zero: none.
  std::chrono::milliseconds request_timeout{60000};
  /// Default idle limit of a non-streaming request (see
  /// `http_request::idle_timeout`); zero disables.
  std::chrono::seconds idle_timeout{30};
  /// Default idle limit of a stream; zero disables (watches can be quiet
  /// for minutes; ask for bookmarks and set a limit above their period).
  std::chrono::seconds stream_idle_timeout{0};
  /// Bytes per second below which a transfer counts as idle.
  long low_speed_limit = 1;
  /// Largest accepted body of a non-streaming response (and of the error
  /// body of a stream); larger ones fail with `errc::bad_response`.
  size_t max_response_bytes = size_t{64} << 20;
  /// Upper bound of open connections; zero: unlimited.
  long max_connections = 0;
  /// Idle connections kept for reuse (libcurl's connection cache; the
  /// oldest idle one is closed when it is full); zero: libcurl's default
  /// (four per transfer ever added, so a burst's connections all stay).
  long max_idle_connections = 0;
  /// Offer HTTP/2 via ALPN (fall back to HTTP/1.1).
  bool http2 = true;
  /// Redirects to follow (https only); zero: do not follow.
  long max_redirects = 5;
  /// How often to re-read `rest_config::token_file`.
  std::chrono::seconds token_reload_period{60};
};

/// Receives the body of a stream as it arrives, chunk by chunk (chunk
/// boundaries fall anywhere, also inside a line).
using data_fn = std::function<void(std::string_view chunk)>;

/// Receives the final outcome of a call, exactly once.
using completion_fn = std::function<void(http_result)>;

/// Refers to one submitted call; cheap to copy, usable from any thread.
class call_handle {
public:
  /// Creates an empty handle.
  call_handle() = default;

  /// Stops the call. The completion then reports `cancelled` (unless the
  /// call already finished). Called from another thread, one on_data call
  /// already being dispatched may still run; called from on_data itself,
  /// none follows. Nothing ever follows the completion. Idempotent; safe
  /// after the client is gone.
  void cancel() const;

  /// True if this handle refers to a call.
  bool valid() const noexcept {
    return state_ != nullptr;
  }

  /// Identifier of the call, unique per client (0 for an empty handle).
  uint64_t id() const noexcept;

private:
  friend class detail::client_core;
  explicit call_handle(std::shared_ptr<detail::call_state> state)
    : state_(std::move(state)) {
  }

  std::shared_ptr<detail::call_state> state_;
};

/// An API-server client with its own connection pool and event thread.
class http_client {
public:
  /// Validates `cfg` (server URL, PEM material) and starts the event thread.
  static caf::expected<std::unique_ptr<http_client>>
  make(rest_config cfg, client_options opts = {});

  /// Stops the event thread. Calls still running complete with
  /// `cancelled` before this returns.
  ~http_client();

  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// Sends `req` and collects the whole response; `done` gets it.
  call_handle request(http_request req, completion_fn done);

  /// Sends `req` and hands a 2xx response body to `on_data` as it arrives;
  /// `done` reports how the stream ended. Non-2xx answers are collected and
  /// classified like `request`'s. No total timeout unless `req.timeout`.
  call_handle stream(http_request req, data_fn on_data, completion_fn done);

  /// The configuration in use.
  const rest_config& config() const noexcept;

  /// The options in use.
  const client_options& options() const noexcept;

  /// Number of calls submitted and not yet completed.
  size_t in_flight() const noexcept;

private:
  explicit http_client(std::shared_ptr<detail::client_core> core);

  std::shared_ptr<detail::client_core> core_;
};

/// The default User-Agent, e.g.
/// "cafelet/v0.1.0 (linux/amd64) kubernetes/4353ed451011".
std::string default_user_agent();

} // namespace cafelet::net
