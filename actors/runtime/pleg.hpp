#pragma once
/// @file
/// The PLEG actor (pod lifecycle event generator): finds container state
/// changes by relisting the runtime, as upstream's generic PLEG does
/// (containerd 1.6 has no GetContainerEvents), and keeps a per-pod cache of
/// what the runtime holds.
///
/// Receives: `tick_atom` from itself every relist period (a relist still
///   running makes the tick skip its relist); the answers of its own source
///   calls; `(caf::get_atom, std::string pod_uid)` -> `runtime_pod` and
///   `caf::get_atom` -> `runtime_snapshot` (both answered once the first
///   relist completed: callers request with a timeout).
/// Sends: `container_event` to the consumer (the pod manager), addressed
///   by pod UID; `readiness_update{"pleg", ...}` to the node status actor
///   (may be null) when health changes and every `health_report_period`.
/// Supervised by: the node supervisor (permanent). Counters live in
///   `pleg_stats`, which survives restarts; the view does not: a restarted
///   PLEG reports every running container as started and every exited one
///   as died again (consumers treat events as idempotent hints and read
///   the cache for details).
///
/// Relisting: every period (1 s) ListPodSandbox and ListContainers; the
/// results are grouped by pod UID (`build_view`) and compared with the
/// previous view (`diff_views`), as upstream: a container newly running ->
/// started; newly exited (also one first seen exited) -> died, with exit
/// code, reason and times from
/// ContainerStatus (asked for died containers only); an exited container
/// gone -> removed; a running one gone -> died (exit 137, reason
/// ContainerStatusUnknown) then removed; a sandbox that becomes NOTREADY
/// or vanishes -> sandbox_changed. Created/unknown states produce no event
/// (upstream drops its ContainerChanged as unreliable). A ContainerStatus
/// failure keeps the container's old state, so the next relist retries;
/// after `max_status_attempts` it is reported with the unknown marker.
///
/// Health (upstream's Healthy): a relist "succeeded" when both lists came
/// back; its start time is the last-seen time. When that is older than
/// `relist_threshold` (3 min) the PLEG reports "PLEG is not healthy: pleg
/// was last seen active <d> ago; threshold is 3m0s". A relist that hangs
/// longer than `relist_timeout` is abandoned (late answers are ignored);
/// a failed relist changes nothing. Before the first relist succeeded
/// nothing is reported until the threshold passed ("PLEG is not healthy:
/// pleg has yet to be successful").
///
/// Evented source later: the source interface and the diffing are apart.
/// An evented source (GetContainerEvents) would deliver container records
/// with their statuses per event; the actor would apply them to its view
/// and run the same `diff_views` on the old and new entry of that pod,
/// keeping a slow relist only as a safety net.

#include "runtime/kuberuntime/labels.hpp"
#include "messages/pods.hpp"

#include <caf/actor.hpp>
#include <caf/actor_clock.hpp>
#include <caf/error.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace runtime::v1 {
class PodSandbox;
class Container;
class ContainerStatus;
} // namespace runtime::v1

namespace cafelet::cri {
class client;
} // namespace cafelet::cri

namespace cafelet::actors {

// The identity labels and annotations are the ones the runtime builders
// write (runtime/kuberuntime/labels.hpp).
using kuberuntime::container_name_label;
using kuberuntime::pod_name_label;
using kuberuntime::pod_namespace_label;
using kuberuntime::pod_uid_label;
using kuberuntime::restart_count_annotation;
/// Reason of a died event whose container could not be inspected.
inline constexpr const char* unknown_exit_reason = "ContainerStatusUnknown";
/// Exit code of a died event whose container could not be inspected.
inline constexpr int32_t unknown_exit_code = 137;

/// State of a pod sandbox (CRI PodSandboxState).
enum class runtime_sandbox_state : uint8_t { ready, not_ready };

/// State of a container (CRI ContainerState).
enum class runtime_container_state : uint8_t { created, running, exited, unknown };

/// Returns "ready" or "not_ready".
const char* to_string(runtime_sandbox_state x);

/// Returns "created", "running", "exited" or "unknown".
const char* to_string(runtime_container_state x);

/// One pod sandbox as listed.
struct runtime_sandbox {
  std::string id;
  /// Pod identity (labels, else the sandbox metadata).
  std::string pod_uid;
  std::string pod_name;
  std::string pod_namespace;
  runtime_sandbox_state state = runtime_sandbox_state::not_ready;
  /// Unix nanoseconds.
  int64_t created_at_ns = 0;
  /// Sandbox metadata attempt.
  uint32_t attempt = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, runtime_sandbox& x) {
  return f(caf::meta::type_name("runtime_sandbox"), x.id, x.pod_uid,
           x.pod_name, x.pod_namespace, x.state, x.created_at_ns, x.attempt);
}

/// One container as listed and, once inspected, its exit details.
struct runtime_container {
  std::string id;
  std::string sandbox_id;
  /// Pod UID (label, else the sandbox's).
  std::string pod_uid;
  /// io.kubernetes.container.name label, else the metadata name.
  std::string name;
  runtime_container_state state = runtime_container_state::unknown;
  /// Container metadata attempt.
  uint32_t attempt = 0;
  /// io.kubernetes.container.restartCount annotation; the metadata attempt
  /// if it is absent or malformed.
  int32_t restart_count = 0;
  /// Image as configured and as resolved by the runtime.
  std::string image;
  std::string image_ref;
  /// Unix nanoseconds; 0 if unknown.
  int64_t created_at_ns = 0;
  /// Known only after ContainerStatus (`inspected`); 0 otherwise.
  int64_t started_at_ns = 0;
  int64_t finished_at_ns = 0;
  /// Exit details from ContainerStatus ("Completed", "Error", "OOMKilled").
  int32_t exit_code = 0;
  std::string reason;
  std::string message;
  /// True once ContainerStatus filled the fields above (the PLEG asks for
  /// died containers only).
  bool inspected = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, runtime_container& x) {
  return f(caf::meta::type_name("runtime_container"), x.id, x.sandbox_id,
           x.pod_uid, x.name, x.state, x.attempt, x.restart_count, x.image,
           x.image_ref, x.created_at_ns, x.started_at_ns, x.finished_at_ns,
           x.exit_code, x.reason, x.message, x.inspected);
}

/// What the runtime holds of one pod, newest sandbox and container first.
struct runtime_pod {
  std::string uid;
  /// From the sandboxes' labels (empty if the pod has none).
  std::string name;
  std::string ns;
  std::vector<runtime_sandbox> sandboxes;
  std::vector<runtime_container> containers;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, runtime_pod& x) {
  return f(caf::meta::type_name("runtime_pod"), x.uid, x.name, x.ns,
           x.sandboxes, x.containers);
}

/// The whole cache, replied to `caf::get_atom`.
struct runtime_snapshot {
  /// Completed relists of this incarnation.
  uint64_t relists = 0;
  /// Every pod with at least one sandbox or container.
  std::vector<runtime_pod> pods;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, runtime_snapshot& x) {
  return f(caf::meta::type_name("runtime_snapshot"), x.relists, x.pods);
}

/// Pods by UID.
using runtime_view = std::map<std::string, runtime_pod>;

/// Groups listed sandboxes and containers by pod UID. Containers without a
/// pod UID label take their sandbox's; records without any are dropped.
/// Exit details of containers `previous` already inspected carry over
/// while their state stays the same.
runtime_view build_view(std::vector<runtime_sandbox> sandboxes,
                        std::vector<runtime_container> containers,
                        const runtime_view& previous);

/// The events between two views (see the file comment), per pod in UID
/// order: container events (oldest container first), then sandbox events.
/// Died events take exit details from `after` when inspected there; a
/// running container that vanished carries the unknown marker.
std::vector<container_event> diff_views(const runtime_view& before,
                                        const runtime_view& after);

/// Where sandboxes and containers come from: the CRI client in production,
/// a script in tests. Callbacks run exactly once, on any thread.
class pleg_source {
public:
  template <class T>
  using callback = std::function<void(caf::expected<T>)>;

  virtual ~pleg_source();

  /// ListPodSandbox without filter.
  virtual void list_sandboxes(callback<std::vector<runtime_sandbox>> cb) = 0;

  /// ListContainers without filter.
  virtual void list_containers(callback<std::vector<runtime_container>> cb) = 0;

  /// ContainerStatus of one container, `inspected` set; fails with
  /// `errc::not_found` if it is gone.
  virtual void container_status(const std::string& id,
                                callback<runtime_container> cb) = 0;
};

/// A source over a CRI client.
std::shared_ptr<pleg_source>
make_cri_pleg_source(std::shared_ptr<cri::client> client);

/// Converts a ListPodSandbox item: pod identity from the
/// `io.kubernetes.pod.*` labels, else from the sandbox metadata.
runtime_sandbox to_runtime_sandbox(const runtime::v1::PodSandbox& x);

/// Converts a ListContainers item (not `inspected`).
runtime_container to_runtime_container(const runtime::v1::Container& x);

/// Converts a ContainerStatus (`inspected`; no sandbox ID).
runtime_container to_runtime_container(const runtime::v1::ContainerStatus& x);

/// Counters of the PLEG; outlive its restarts. Thread-safe.
struct pleg_stats {
  /// Completed relists.
  std::atomic<uint64_t> relists{0};
  /// Relists that failed (a list call failed or the relist timed out).
  std::atomic<uint64_t> relist_errors{0};
  /// Ticks skipped because a relist was still running.
  std::atomic<uint64_t> skipped_relists{0};
  /// Events sent.
  std::atomic<uint64_t> events{0};
  /// Failed ContainerStatus calls.
  std::atomic<uint64_t> status_errors{0};
  /// Duration of the last completed relist and the sum of all, in
  /// microseconds.
  std::atomic<uint64_t> last_relist_us{0};
  std::atomic<uint64_t> total_relist_us{0};
  /// Pods and containers in the last view.
  std::atomic<uint64_t> pods{0};
  std::atomic<uint64_t> containers{0};
  /// Last health reported.
  std::atomic<bool> healthy{false};
};

/// Settings of the PLEG actor.
struct pleg_config {
  /// Relist period (upstream: 1 s).
  std::chrono::milliseconds relist_period{1000};
  /// Health threshold (upstream: 3 min).
  std::chrono::milliseconds relist_threshold{std::chrono::minutes{3}};
  /// A relist running longer than this is abandoned at the next tick.
  std::chrono::milliseconds relist_timeout{std::chrono::minutes{1}};
  /// Health is re-sent this often (upstream checks it on every node status
  /// sync, 10 s); changes are sent at once.
  std::chrono::milliseconds health_report_period{10000};
  /// ContainerStatus tries for one died container before it is reported
  /// with the unknown marker.
  int max_status_attempts = 3;
  /// Receives `container_event`s (may be null).
  caf::actor consumer;
  /// Receives `readiness_update{"pleg", ...}` (may be null).
  caf::actor node_status;
  /// Counters; null: the actor makes its own.
  std::shared_ptr<pleg_stats> stats;
};

/// One relist in flight.
struct pleg_relist {
  /// Started at (actor clock).
  caf::actor_clock::time_point started;
  std::optional<std::vector<runtime_sandbox>> sandboxes;
  std::optional<std::vector<runtime_container>> containers;
  /// List answers still missing, and the first list error.
  int lists_open = 2;
  caf::error error;
  /// The new view and its events, while died containers are inspected.
  runtime_view view;
  std::vector<container_event> events;
  /// ContainerStatus calls still open.
  size_t open = 0;
  /// IDs whose inspection failed (their old state is kept).
  std::vector<std::string> failed;
};

/// State of the PLEG actor.
struct pleg_state {
  std::shared_ptr<pleg_source> source;
  pleg_config cfg;
  /// The view after the last completed relist.
  runtime_view view;
  /// Completed relists of this incarnation.
  uint64_t relists = 0;
  /// Numbers relists; answers of abandoned ones are ignored.
  uint64_t gen = 0;
  /// The relist in flight, if any.
  std::optional<pleg_relist> current;
  /// Failed ContainerStatus tries per container.
  std::map<std::string, int> status_failures;
  /// Start of the last relist whose lists succeeded; of the actor before.
  caf::actor_clock::time_point last_seen;
  bool seen_once = false;
  /// Health last sent and when.
  std::optional<bool> reported;
  caf::actor_clock::time_point reported_at;
  /// True while relists fail (logs only changes).
  bool failing = false;
  /// Queries waiting for the first relist.
  std::vector<std::pair<std::string, caf::typed_response_promise<runtime_pod>>>
    pod_waiters;
  std::vector<caf::typed_response_promise<runtime_snapshot>> snapshot_waiters;
  static const char* name;
};

/// The PLEG actor.
caf::behavior pleg(caf::stateful_actor<pleg_state>* self,
                   std::shared_ptr<pleg_source> source, pleg_config cfg);

} // namespace cafelet::actors
