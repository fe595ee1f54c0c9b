#pragma once
/// @file
/// One probe of one container instance, as its own actor (upstream's probe
/// worker): after the initial delay plus a small random jitter (so hundreds
/// of probes do not fire together) it runs an attempt every period through
/// the probe executor, counts outcomes against the thresholds and reports
/// result changes.
///
/// Receives: its own ticks (`tick_atom, gen`), attempt completions (through
///   `async_ops`) and attempt guards (`timeout_atom, attempt`).
/// Sends: `probe_update` to its pod worker when the result changes;
///   `record_event` Unhealthy ("Liveness probe failed: <output>", or
///   "... errored and resulted in unknown state: ..."), ProbeWarning.
/// Supervised by: nobody restarts it: the pod worker spawns it (linked)
///   when the container starts (liveness and readiness only after the
///   startup probe succeeded) and stops it when the container stops or the
///   pod ends. A liveness or startup failure puts it on hold: no further
///   attempts; the pod worker restarts the container with a new actor.
///
/// Attempts never overlap: a tick that finds one running is skipped. An
/// attempt the executor does not complete within timeout + 2 s ends as
/// unknown (a broken executor must not wedge the probe).

#include "actors/pods/async_ops.hpp"
#include "actors/probes/probe_executor.hpp"
#include "actors/probes/probe_plan.hpp"
#include "messages/k8s/pod.hpp"

#include <caf/actor.hpp>
#include <caf/stateful_actor.hpp>

#include <array>
#include <atomic>
#include <memory>
#include <optional>
#include <random>
#include <string>

namespace cafelet::net::metrics {
class counter;
class histogram;
} // namespace cafelet::net::metrics

namespace cafelet::actors {

/// Probe metrics shared by all probe actors (upstream's prober_probe_total
/// and prober_probe_duration_seconds, labelled by probe type and result
/// only, to keep cardinality bounded on dense nodes). Null entries are
/// skipped.
struct probe_stats {
  /// By [kind][result] with results successful, failed, unknown.
  std::array<std::array<net::metrics::counter*, 3>, 3> totals{};
  /// Attempt duration by kind.
  std::array<net::metrics::histogram*, 3> durations{};
  /// Probe actors alive.
  std::atomic<int64_t> actors{0};
  /// Attempts started.
  std::atomic<uint64_t> attempts{0};
};

/// What a probe actor needs.
struct probe_actor_config {
  std::shared_ptr<probes::probe_executor> executor;
  /// Receives `probe_update`.
  caf::actor parent;
  /// Receives `record_event` (may be null).
  caf::actor events;
  /// May be null.
  std::shared_ptr<probe_stats> stats;
  /// The pod (events name it).
  k8s::pod_ptr pod;
  /// Container name, its field path ("spec.containers{app}") and runtime ID.
  std::string container;
  std::string field_path;
  std::string container_id;
  /// Pod IP (host of httpGet/tcpSocket without `host`, and of grpc).
  std::string pod_ip;
  probes::probe_plan plan;
  /// Seed of the initial jitter.
  uint64_t seed = 1;
};

/// State of a probe actor.
struct probe_actor_state {
  probe_actor_config cfg;
  std::unique_ptr<async_ops> ops;
  std::optional<probes::probe_counter> counter;
  /// Ticks of older schedules are ignored.
  uint64_t tick_gen = 0;
  /// Number of the attempt in flight (0: none).
  uint64_t attempt = 0;
  uint64_t attempts = 0;
  /// The async operation of the attempt in flight.
  uint64_t attempt_op = 0;
  caf::actor_clock::time_point attempt_started;
  /// A liveness/startup failure was reported: no more attempts.
  bool on_hold = false;
  static const char* name;
};

/// The probe actor.
caf::behavior probe_actor(caf::stateful_actor<probe_actor_state>* self,
                          probe_actor_config cfg);

} // namespace cafelet::actors
