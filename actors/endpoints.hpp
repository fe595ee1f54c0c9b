#pragma once
/// @file
/// cafelet's own HTTP endpoints on healthzPort (127.0.0.1 by default):
///
///   /healthz        200 "ok" while the actor tree is healthy, else 500 and why
///   /metrics        Prometheus text format 0.0.4
///   /debug/actors   the supervision tree as JSON
///   /pods           a v1 PodList of the pods this node runs, with the
///                   status the node computed (as the kubelet's /pods)
///
/// The server runs its own event-loop thread and answers from thread-safe
/// snapshots (the actor directory, the metrics registry), so a scrape never
/// sends a message to an actor or waits for one.

#include "actors/actor_directory.hpp"
#include "actors/pods/pod_board.hpp"
#include "net/metrics/registry.hpp"
#include "net/server/http_server.hpp"

#include <caf/expected.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace cafelet::actors {

/// Settings of the endpoints server.
struct endpoints_options {
  std::string bind_address = "127.0.0.1";
  /// 0 picks a free port (tests).
  uint16_t port = 10248;
  /// /healthz fails when the watchdog heartbeat is older than this.
  std::chrono::milliseconds max_heartbeat_age{std::chrono::seconds{10}};
};

/// Registers the actor-tree metrics (restarts, live actors and mailbox
/// high-water marks by kind) computed from `dir` at scrape time, plus the
/// process metrics and build info.
caf::error register_actor_metrics(net::metrics::registry& reg,
                                  std::shared_ptr<actor_directory> dir);

/// The running endpoints server; stops when destroyed.
class endpoints {
public:
  /// Binds and starts serving. Fails with `errc::io_error` when the port is
  /// taken, naming address and port.
  static caf::expected<std::unique_ptr<endpoints>>
  start(endpoints_options opts, std::shared_ptr<actor_directory> dir,
        std::shared_ptr<net::metrics::registry> reg,
        std::shared_ptr<pods::pod_board> board = nullptr);

  /// The bound port.
  uint16_t port() const noexcept {
    return server_->port();
  }

  /// Stops serving (idempotent).
  void stop() {
    server_->stop();
  }

private:
  endpoints() = default;

  std::unique_ptr<net::http_server> server_;
};

} // namespace cafelet::actors
