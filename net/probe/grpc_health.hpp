#pragma once
/// @file
/// gRPC container probes (upstream pkg/probe/grpc): one grpc.health.v1
/// Health/Check call per attempt, over plain-text HTTP/2 (no TLS), with the
/// user agent "kube-probe/<major>.<minor>" and the whole attempt (connect
/// and call) bounded by the probe's timeout. Outputs match upstream's:
///
///   success                              "service healthy"
///   no connection within the timeout     timeout: failed to connect service
///                                        "10.0.0.5:9000" within 1s: context
///                                        deadline exceeded
///   call deadline exceeded               timeout: health rpc did not
///                                        complete within 1s
///   UNIMPLEMENTED                        error: this server does not
///                                        implement the grpc health protocol
///                                        (grpc.health.v1.Health): <message>
///   any other status (e.g. NOT_FOUND)    error: health rpc probe failed: rpc
///                                        error: code = NotFound desc = <m>
///   answered, but not SERVING            service unhealthy (responded with
///                                        "NOT_SERVING")
///
/// Like upstream, a refused connection is retried until the deadline (Go's
/// blocking dial), so it also ends as the connect timeout.
///
/// One prober serves every probe of the node: one thread ("grpc-probe")
/// drives a completion queue; `check` never blocks and each callback runs
/// exactly once on that thread (keep it short: `caf::anon_send` the outcome).
///
/// Channels: kept in a small cache per target (host:port), so that probes
/// every few seconds reuse one HTTP/2 connection instead of a handshake per
/// attempt. An entry is closed when unused for `channel_idle_ttl`, after a
/// failed connect or a call that timed out or found the connection
/// unavailable (the next attempt dials afresh, like upstream's dial per
/// probe) and when found in transient failure with no attempt using it. A
/// zero TTL gives a fresh channel per attempt. Channels are only created and
/// released on the prober's own thread, never on a gRPC-internal thread.

#include "net/probe/probe_outcome.hpp"

#include <caf/expected.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace cafelet::net::probe {

/// One gRPC probe attempt.
struct grpc_probe_request {
  /// Pod IP (or host) to dial.
  std::string host;
  /// Port of the health service.
  uint16_t port = 0;
  /// Service name sent in the request; empty asks about the whole server.
  std::string service;
  /// Bound of the whole attempt (timeoutSeconds).
  std::chrono::milliseconds timeout{1000};
};

/// Settings of a prober.
struct grpc_prober_options {
  /// How long a cached channel may stay unused before it is closed; zero
  /// closes each channel when its last attempt ends.
  std::chrono::milliseconds channel_idle_ttl = std::chrono::minutes{2};
};

namespace detail {
struct grpc_prober_state;
} // namespace detail

/// Runs gRPC health checks for every probe of the node.
class grpc_prober {
public:
  /// Starts the completion-queue thread. Fails with `errc::internal` if the
  /// thread cannot be started.
  static caf::expected<std::unique_ptr<grpc_prober>>
  make(grpc_prober_options opts = {});

  /// Returns at once, never waiting for the prober's thread: attempts in
  /// flight are cancelled and their callbacks run (once, on that thread)
  /// with `unknown` and output "cancelled", possibly after this returns.
  /// The thread ends once the last of them is done.
  ~grpc_prober();

  grpc_prober(const grpc_prober&) = delete;
  grpc_prober& operator=(const grpc_prober&) = delete;

  /// Starts one attempt; `cb` receives its outcome. Thread-safe, never
  /// blocks.
  void check(grpc_probe_request req, std::function<void(probe_outcome)> cb);

  /// Attempts whose callback has not run yet.
  size_t in_flight() const noexcept;

  /// Channels currently cached (for tests and diagnostics).
  size_t cached_channels() const noexcept;

  /// The user agent sent with every call, e.g. "kube-probe/1.32".
  static std::string user_agent();

private:
  explicit grpc_prober(std::shared_ptr<detail::grpc_prober_state> state);

  std::shared_ptr<detail::grpc_prober_state> state_;
};

} // namespace cafelet::net::probe
