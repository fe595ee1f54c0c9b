#pragma once
/// @file
/// The pod worker: owns one pod's lifecycle on the container runtime,
/// driven by the pod state machine (actors/pods/pod_machine.hpp): sandbox,
/// image, init containers in order, app containers, restarts under the
/// restart policy with CrashLoopBackOff, graceful termination, clean-up,
/// final status.
///
/// Receives: `(pod_update_atom, pod_ptr)` (newest pod; a deletionTimestamp
///   starts termination) and `(pod_removed_atom, uid)` from the pod
///   manager; `container_event` (routed by the manager from the PLEG);
///   its own timers (`tick_atom, gen`) and runtime completions.
/// Sends: `(pod_hello_atom, uid)` to the manager when it starts (every
///   incarnation) and `(pod_done_atom, uid)` when cleaned up;
///   `pod_status_update` to the status manager on every real change (the
///   last one `final`); `record_event` (Created, Started, Killing, BackOff,
///   Failed, FailedCreatePodSandBox) to the event recorder; runtime calls
///   through `pods::pod_runtime`.
/// Supervised by: the pods supervisor (transient: a worker that finished
///   is not restarted; one that crashed is, and says hello again).
///
/// Re-adoption: before anything else the worker asks the runtime what
/// already runs for its pod (a cafelet restart); a ready sandbox and running
/// containers are adopted as they are (restart counts kept), exited ones
/// are handled by the restart policy.
/// activeDeadlineSeconds: when it passes (counted from status.startTime),
/// the containers are stopped and the pod ends Failed, reason
/// DeadlineExceeded, as upstream.
/// Sandbox loss (the PLEG's sandbox_changed, or a sandbox found not ready
/// at start-up): a SandboxChanged event, what runs is stopped, the old
/// sandbox removed, a new one created and the containers started again with
/// restartCount+1, as upstream; under restartPolicy Never a pod whose
/// containers already ran ends instead (no new sandbox). Older sandboxes of
/// the pod found at start-up are removed.
/// Probes (app containers): when a container runs, its startup probe actor
/// starts, and its liveness and readiness actors once that passed (at once
/// without one); readiness results set `ready`, a passed startup probe
/// `started`; a failed liveness or startup probe stops the container
/// (Killing, with the probe's terminationGracePeriodSeconds if set) and the
/// restart policy takes over. A probe spec that cannot work keeps the
/// container from starting: CreateContainerConfigError naming the field.
/// Receives `probe_update` from its probe actors.
/// Volumes (when `io` is set): the worker subscribes to the ConfigMaps,
/// Secrets and service-account tokens its pod refers to, sets the volumes
/// up on the I/O thread once every subscription answered (before the first
/// container is created), sets them up again whenever an input changes
/// (payloads rewritten atomically), reports a failure as FailedMount
/// (containers wait in ContainerCreating, as upstream) and removes them
/// after the pod's clean-up.
/// Receives `object_update` and `token_update`.

#include "actors/clock.hpp"
#include "actors/pods/async_ops.hpp"
#include "actors/pods/crash_backoff.hpp"
#include "actors/pods/images.hpp"
#include "actors/pods/pod_machine.hpp"
#include "actors/pods/pod_phase.hpp"
#include "actors/pods/pod_runtime.hpp"
#include "actors/probes/probe_actor.hpp"
#include "actors/volumes/io_thread.hpp"
#include "messages/objects.hpp"
#include "messages/pods.hpp"
#include "messages/probes.hpp"

#include <caf/stateful_actor.hpp>

#include <functional>
#include <memory>
#include <unordered_map>
#include <optional>
#include <map>
#include <set>
#include <string>

namespace cafelet::actors {

/// Settings shared by all pod workers.
struct pod_worker_config {
  /// The container runtime.
  std::shared_ptr<pods::pod_runtime> runtime;
  /// The pod manager (hello/done).
  caf::actor manager;
  /// Receives `pod_status_update` (may be null).
  caf::actor status_manager;
  /// Receives `record_event` (may be null).
  caf::actor events;
  /// The node's IPs (hostIPs; pod IPs of host-network pods).
  std::vector<std::string> host_ips;
  /// Delay before retrying a failed sandbox (upstream: pod sync backoff).
  std::chrono::milliseconds sandbox_retry{10000};
  /// Wall clock for status times.
  wall_clock clock;
  /// Prefix of container IDs in statuses ("containerd" -> containerd://id).
  std::string runtime_name = "containerd";
  /// Runs probe attempts (null: containers with probes are started but not
  /// probed, which tests of other parts use).
  std::shared_ptr<probes::probe_executor> probes;
  /// Probe metrics (may be null).
  std::shared_ptr<actors::probe_stats> probe_metrics;
  /// Seeds the probes' jitter (mixed with the pod UID).
  uint64_t seed = 1;
  /// Runs volume set-up and tear-down (null: volumes are not set up and
  /// containers get no volume mounts).
  std::shared_ptr<volumes::io_thread> io;
  /// The kubelet root directory (pods/<uid>/volumes/...).
  std::string root_dir;
  /// The object manager (ConfigMaps, Secrets) and the token manager
  /// (service-account tokens); null: what they would provide is missing.
  caf::actor objects;
  caf::actor tokens;
  /// Node allocatable (downward API defaults).
  k8s::resource_list allocatable;
  /// clusterDomain (FQDN lines of the managed /etc/hosts).
  std::string cluster_domain;
};

/// Where a pod's volumes stand.
enum class volume_phase : uint8_t {
  /// Not asked for yet.
  idle,
  /// Waiting for the first answer of every object and token subscription.
  waiting_inputs,
  /// Set-up running on the I/O thread.
  setting_up,
  /// Set up; containers may start.
  ready,
  /// Set-up failed (FailedMount); retried when an input changes and every
  /// 10 s.
  failed,
};

/// What the worker keeps per container.
struct container_slot {
  /// Observed state, as the status computation wants it.
  pods::observed_container obs;
  /// Runtime ID of its current container (empty: none).
  std::string id;
  /// The previous (exited) container, kept for `kubectl logs --previous`;
  /// older ones are removed (upstream's MaxPerPodContainer = 1).
  std::string dead_id;
  /// True for init containers.
  bool init = false;
  /// An operation (pull/create/start/stop) is in flight.
  bool busy = false;
  /// Current image pull backoff (zero after a successful pull).
  std::chrono::milliseconds pull_delay{0};
  /// Probe actors of the current container instance.
  std::vector<caf::actor> probes;
};

/// State of a pod worker.
struct pod_worker_state {
  pod_worker_config cfg;
  std::unique_ptr<async_ops> ops;
  std::unique_ptr<pods::crash_backoff> backoff;
  k8s::pod_ptr pod;
  std::string uid;
  pod_state machine = pod_state::admitting;
  std::optional<pods::sandbox_info> sandbox;
  uint32_t sandbox_attempt = 0;
  /// A ready sandbox found at start-up (re-adoption), used instead of
  /// creating one.
  std::optional<pods::sandbox_info> adopted_sandbox;
  /// The adopted sandbox is no longer ready (restartPolicy Never with
  /// containers that ran: the pod ends with what they did).
  bool adopted_not_ready = false;
  /// The sandbox is gone and will not be replaced (restartPolicy Never):
  /// nothing new starts; the pod completes once nothing runs.
  bool sandbox_gone = false;
  /// The start-up look for existing containers is still running.
  bool finding = true;
  /// Deletion arrived while `finding`: terminate once it is known what runs.
  bool delete_pending = false;
  /// activeDeadlineSeconds passed: the pod ends Failed/DeadlineExceeded.
  bool deadline_exceeded = false;
  std::vector<container_slot> init_containers;
  std::vector<container_slot> containers;
  /// Index of the init container running (initializing).
  uint32_t init_index = 0;
  /// Containers still stopping (terminating) / removals pending.
  uint32_t outstanding = 0;
  /// The last status sent.
  k8s::pod_status last_status;
  /// Objects and tokens the pod's volumes and environment refer to.
  volumes::volume_inputs volume_inputs;
  /// The pod's volumes as set up.
  std::vector<volumes::mounted_volume> mounted_volumes;
  volume_phase volumes = volume_phase::idle;
  /// Inputs changed while a set-up ran: run it again.
  bool volumes_dirty = false;
  /// Subscriptions not answered yet.
  std::set<object_key> awaiting_objects;
  std::set<token_key> awaiting_tokens;
  /// Objects subscribed to, and the manager incarnations that answered.
  std::vector<object_key> object_keys;
  caf::actor objects_incarnation;
  caf::actor tokens_incarnation;
  /// Where each token goes: (projected volume, source index).
  std::map<token_key, std::vector<std::pair<std::string, size_t>>> token_slots;
  /// Pending timers by generation (a cancelled timer has no entry).
  std::unordered_map<uint64_t, std::function<void()>> timers;
  uint64_t timer_gen = 0;
  static const char* name;
};

/// The pod worker; `pod` is the pod it was started for.
caf::behavior pod_worker(caf::stateful_actor<pod_worker_state>* self,
                         pod_worker_config cfg, k8s::pod_ptr pod);

} // namespace cafelet::actors
