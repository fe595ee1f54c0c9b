#pragma once
/// @file
/// The node status actor: registers this node's Node object and keeps its
/// status current, as the upstream kubelet's registerWithAPIServer and
/// syncNodeStatus do.
///
/// Receives: `readiness_update` (a component's readiness; Ready is True
///   only when every known component is ready; a change patches the
///   status at once), `(runtime_version_atom, std::string)` (the container
///   runtime version, once a runtime is connected), `caf::get_atom` (->
///   the `k8s::node_ptr` computed last, null before the first), and from
///   itself `tick_atom` (every nodeStatusUpdateFrequency),
///   `(register_retry_atom, gen)` and `(patch_retry_atom, gen)`; API
///   answers via its `api_calls`.
/// Sends: POST /api/v1/nodes, GET /api/v1/nodes/<name>, PATCH
///   /api/v1/nodes/<name>/status (strategic merge) over the heartbeat
///   transport; `record_event` to `events` (if set) for condition
///   transitions ("Node <name> status is now: <Reason>").
/// Supervised by: the node supervisor (permanent). Its counters live in
///   `node_status_stats`, which survives restarts.
///
/// Registration: POST; 201 registered; 409 AlreadyExists -> GET, reconcile
/// (node_builder's reconcile_patch), PATCH if needed -> registered; other
/// failures retry after a jittered backoff of 100 ms doubling to 7 s (403
/// and 401 with a plain error naming the node identity). The Node is
/// registered with the Ready condition as computed then (True unless some
/// known component is unready), not with a transient "not ready" as
/// upstream; all four conditions' reasons are recorded as events on every
/// registration. After a 409 the status is patched at once in full.
///
/// Status loop: every nodeStatusUpdateFrequency the status is computed;
/// it is patched when it changed (heartbeats ignored) since the last
/// successful patch or nodeStatusReportFrequency passed since then. Up to
/// 5 tries per update for retryable errors (immediately, or after the
/// server's Retry-After); 404 means the Node was deleted: register again.
/// Pressure conditions come from a `pressure_sample` against evictionHard
/// and stay True for evictionPressureTransitionPeriod after the signal
/// was last seen (as the upstream eviction manager).

#include "actors/api/api_calls.hpp"
#include "actors/clock.hpp"
#include "actors/node/machine_info.hpp"
#include "actors/node/node_builder.hpp"
#include "messages/config/kubelet_config.hpp"
#include "messages/k8s/node.hpp"
#include "net/client/backoff.hpp"

#include <caf/actor.hpp>
#include <caf/actor_clock.hpp>
#include <caf/atom.hpp>
#include <caf/stateful_actor.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cafelet::actors {

/// Sets the container runtime version reported in nodeInfo.
using runtime_version_atom = caf::atom_constant<caf::atom("rtversion")>;
/// Retry a registration (payload: registration generation).
using register_retry_atom = caf::atom_constant<caf::atom("regretry")>;
/// Retry a status patch (payload: update generation).
using patch_retry_atom = caf::atom_constant<caf::atom("patchretry")>;

/// Counters of the node status actor; shared with metrics and /debug and
/// kept across actor restarts. Thread-safe.
struct node_status_stats {
  /// Successful registrations (201, or 409 reconciled).
  std::atomic<uint64_t> registrations{0};
  /// Successful status patches.
  std::atomic<uint64_t> status_patches{0};
  /// Failed status patch tries.
  std::atomic<uint64_t> patch_failures{0};
  /// Failed registration attempts.
  std::atomic<uint64_t> register_failures{0};
  /// `cafelet::errc` of the last failure (0: none yet).
  std::atomic<int32_t> last_error_code{0};
  /// HTTP status of the last failure (0: no answer).
  std::atomic<int32_t> last_http_status{0};
  /// True while the node is registered.
  std::atomic<bool> registered{false};
};

/// Everything the node status actor needs at spawn time.
struct node_status_config {
  /// metadata.name.
  std::string node_name;
  /// Hostname label and address; empty: `node_name`.
  std::string hostname;
  /// The KubeletConfiguration (port, maxPods, reservations, eviction,
  /// taints, status frequencies).
  config::kubelet_configuration kubelet;
  /// --node-labels.
  std::map<std::string, std::string> node_labels;
  /// --node-ip; empty: detected at start (default route, then hostname).
  std::vector<std::string> node_ips;
  /// nodeInfo.kubeletVersion, e.g. "v1.32.0".
  std::string kubelet_version;
  /// nodeInfo.containerRuntimeVersion; may be empty until known.
  std::string container_runtime_version;
  /// Where the host's files are.
  host_paths paths;
  /// Resolves the hostname when detecting the node IP; null: getaddrinfo.
  resolve_fn resolve;
  /// Wall clock for condition times; null: the system clock.
  wall_clock clock;
  /// Receives `record_event`; may be null.
  caf::actor events;
  /// Counters; null: the actor makes its own.
  std::shared_ptr<node_status_stats> stats;
  /// Registration retry backoff (upstream: 100 ms doubling to 7 s).
  net::backoff_policy register_backoff{std::chrono::milliseconds{100},
                                       std::chrono::milliseconds{7000}, 2.0,
                                       0.2};
  /// Seed of the backoff jitter; 0: random.
  uint64_t seed = 0;
};

/// Builds the configuration from the resolved kubelet configuration.
node_status_config make_node_status_config(const config::kubelet_configuration& kc,
                                           const config::agent_options& opts,
                                           std::string kubelet_version);

/// Status patch tries per update (upstream nodeStatusUpdateRetry).
inline constexpr int node_status_update_retry = 5;

/// State of the node status actor.
struct node_status_state {
  /// Actor name in CAF's logs.
  static inline const char* name = "node-status";

  /// The configuration given at spawn (clock and stats filled in).
  node_status_config cfg;
  /// API calls in flight.
  std::unique_ptr<api::api_calls> calls;
  /// What the Node is built from (node IP detected if not given).
  node_settings settings;
  /// Machine facts, read at spawn.
  machine_info machine;
  /// Registration retry delays.
  std::unique_ptr<net::backoff> backoff;
  /// Known components and their readiness.
  std::map<std::string, component_readiness> components;
  /// The Node as last computed (null before registration starts).
  k8s::node_ptr current;
  /// The status of the last successful POST or patch (none: send full).
  std::optional<k8s::node_status> last_sent;
  /// When the last status was accepted (steady clock).
  caf::actor_clock::time_point last_report;
  /// True once registered (until a 404 says the Node is gone).
  bool registered = false;
  /// Incremented per registration attempt (stale retry timers).
  uint64_t register_gen = 0;
  /// A status patch is in flight or waits for its retry.
  bool patching = false;
  /// An update was asked for while patching.
  bool update_pending = false;
  /// The status being patched.
  k8s::node_status patch_status;
  /// True if the patch carries everything, not just the conditions.
  bool patch_full = false;
  /// Tries of the current update so far.
  int patch_tries = 0;
  /// Incremented per update (stale retry timers and answers).
  uint64_t patch_gen = 0;
  /// When each pressure signal (memory, disk, pid) was last seen.
  std::array<std::optional<caf::actor_clock::time_point>, 3> pressure_seen;
  /// Warnings of the last pressure sample (logged when they change).
  std::vector<std::string> sample_warnings;
};

/// Behavior of the node status actor; `transport` is the heartbeat
/// transport (no rate limiter).
caf::behavior node_status(caf::stateful_actor<node_status_state>* self,
                          std::shared_ptr<api::transport> transport,
                          node_status_config cfg);

} // namespace cafelet::actors
