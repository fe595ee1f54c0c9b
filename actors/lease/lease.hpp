#pragma once
/// @file
/// The node lease actor: keeps `kube-node-lease/<node>` fresh, which is
/// what tells the control plane the node is alive.
///
/// Receives: `tick_atom` from itself (renewal due, retry due);
///   `caf::get_atom` -> `lease_snapshot` (tests, /debug).
/// Sends: GET/POST/PUT of the Lease and one GET of the Node (for the Lease's
///   ownerReference) over the heartbeat transport, never rate limited and
///   never queued behind list/watch traffic.
/// Supervised by: the node supervisor (permanent). Its restart backoff is
///   far below the renew interval, and a fresh incarnation renews at once,
///   so a crash never lets the Lease lapse.
///
/// Follows the upstream lease controller: renew every 0.25 x
/// leaseDurationSeconds with optimistic concurrency (PUT of the last Lease
/// read, carrying its resourceVersion); 409 Conflict -> re-read and retry
/// at once; 404 -> create; other failures -> retry after a jittered backoff
/// of 200 ms doubling to 7 s. The next renewal is due one interval after
/// the last success. Lateness (success time minus due time) is recorded.

#include "actors/api/api_calls.hpp"
#include "actors/clock.hpp"
#include "messages/k8s/lease.hpp"
#include "net/client/backoff.hpp"
#include "net/metrics/metric.hpp"

#include <caf/stateful_actor.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace cafelet::actors {

/// Counters of the lease actor; outlive its restarts. Thread-safe.
struct lease_stats {
  /// Successful renewals (PUT 200) and creations (POST 201).
  std::atomic<uint64_t> renewals{0};
  /// Leases created.
  std::atomic<uint64_t> creations{0};
  /// 409 Conflicts answered to a renewal.
  std::atomic<uint64_t> conflicts{0};
  /// Failed attempts (any error).
  std::atomic<uint64_t> failures{0};
  /// Metrics histogram of renewal lateness in seconds (may be null).
  net::metrics::histogram* lateness_histogram = nullptr;

  /// Records one lateness sample (seconds).
  void observe_lateness(double seconds);

  /// The most recent lateness samples (up to 65536), oldest first.
  std::vector<double> lateness_samples() const;

private:
  mutable std::mutex mtx_;
  std::vector<double> samples_;
  size_t next_ = 0;
};

/// Settings of the lease actor.
struct lease_config {
  /// Node name = Lease name = holderIdentity.
  std::string node_name;
  /// leaseDurationSeconds (kubelet: nodeLeaseDurationSeconds, 40).
  int32_t duration_seconds = 40;
  /// Renew interval; zero: 0.25 x duration (upstream's ratio).
  std::chrono::milliseconds renew_interval{0};
  /// Per-request time limit (upstream sends `?timeout=10s`).
  std::chrono::milliseconds request_timeout{10000};
  /// Retry backoff after failures.
  net::backoff_policy retry = net::lease_retry_policy();
  /// Seed of the retry jitter (reproducible runs).
  uint64_t seed = 1;
  /// Wall clock for renewTime.
  wall_clock clock;
  /// Counters shared across restarts (may be null).
  std::shared_ptr<lease_stats> stats;
};

/// What the lease actor knows, as replied to `get_atom`.
struct lease_snapshot {
  /// The last Lease the server returned (null before the first success).
  k8s::lease_ptr lease;
  /// Successful renewals by this incarnation.
  uint64_t renewals = 0;
  /// Consecutive failed attempts.
  uint32_t failures_in_row = 0;
};

/// State of the lease actor.
struct lease_state {
  lease_config cfg;
  std::unique_ptr<api::api_calls> calls;
  std::unique_ptr<net::backoff> retry;
  /// The last Lease read or written (its resourceVersion makes the PUT).
  k8s::lease_ptr latest;
  /// uid of the Node, for the ownerReference (empty until known).
  std::string node_uid;
  /// When the next renewal is due (actor clock).
  caf::actor_clock::time_point due;
  /// True while a request sequence is running.
  bool busy = false;
  /// Successful renewals of this incarnation.
  uint64_t renewals = 0;
  /// Consecutive failures.
  uint32_t failures_in_row = 0;
  /// Bumps on every scheduled tick; stale ticks are ignored.
  uint64_t timer_gen = 0;
  static const char* name;
};

/// The lease actor.
caf::behavior lease_actor(caf::stateful_actor<lease_state>* self,
                          std::shared_ptr<api::transport> heartbeat,
                          lease_config cfg);

} // namespace cafelet::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafelet::actors::lease_snapshot)
