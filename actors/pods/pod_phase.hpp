#pragma once
/// @file
/// Pod status as the upstream kubelet computes it (`generateAPIPodStatus`,
/// `getPhase`, pkg/kubelet/status/generate.go, the probe manager's ready /
/// started flags and the status manager's normalisation): from the pod spec,
/// a plain view of what the runtime and probes observed, and the previous
/// status. Pure functions, no actors, no CRI.
///
/// The status manager uses `compute_status` on every change, then
/// `check_transition` and `status_changed` to decide whether to patch.

#include "messages/k8s/pod.hpp"

#include <caf/error.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace cafelet::actors::pods {

/// A running container with its probe results.
struct observed_running {
  /// When the container started.
  k8s::opt_time started_at;
  /// Readiness probe result; nullopt: no result yet, which counts as ready
  /// only if the container has no readiness probe.
  std::optional<bool> ready;
  /// Startup probe result; nullopt: no result yet, which counts as started
  /// only if the container has no startup probe.
  std::optional<bool> started;
};

/// Current state of one container as observed.
using observed_state = std::variant<k8s::container_state_waiting,
                                    observed_running,
                                    k8s::container_state_terminated>;

/// One init or app container as the runtime and probes see it. A container
/// without an entry has not been created (or was removed).
struct observed_container {
  /// Container name as in the spec.
  std::string name;
  /// Waiting (reason, message: e.g. CrashLoopBackOff, ErrImagePull,
  /// CreateContainerConfigError), running or terminated.
  observed_state state;
  /// Termination of the previous instance, if known.
  std::optional<k8s::container_state_terminated> last_termination;
  /// Restarts so far (from the runtime's labels).
  int32_t restart_count = 0;
  /// Image as the runtime reports it (empty: the spec's image).
  std::string image;
  /// Resolved image id ("sha256:...").
  std::string image_id;
  /// "<runtime>://<id>" of the newest instance (empty if none).
  std::string container_id;
};

/// Everything observed about one pod.
struct observed_pod {
  /// The pod sandbox exists and is ready.
  bool sandbox_ready = false;
  /// Sandbox IPs, in the runtime's order.
  std::vector<std::string> pod_ips;
  /// Node IPs (primary first).
  std::vector<std::string> host_ips;
  /// Observed init containers.
  std::vector<observed_container> init_containers;
  /// Observed app containers.
  std::vector<observed_container> containers;
  /// The pod worker decided the pod is terminal: no container will be
  /// (re)started (upstream `podIsTerminal`).
  bool terminal = false;
};

/// Computes the pod status. `previous` is the status last computed for the
/// pod (the status manager's cache), or `pod.status` if there is none;
/// `pod.status` is what the API server holds. Upstream rules kept:
/// - phase per restartPolicy, init containers and sidecars; a terminal phase
///   (previous or API) is never left; reason/message kept while the phase
///   stays;
/// - conditions: the non-kubelet ones of `pod.status` first, then
///   PodReadyToStartContainers, Initialized, Ready, ContainersReady,
///   PodScheduled (True), each with upstream reasons and messages;
///   lastTransitionTime is `now` only when a condition's status changes;
/// - initContainerStatuses in spec order, containerStatuses sorted by name
///   (upstream `SortedContainerStatuses`); missing containers are waiting
///   ContainerCreating / PodInitializing, a terminated previous status is
///   kept, one that was running gets lastState ContainerStatusUnknown;
///   `started` is always set, `ready` follows the probe manager;
/// - qosClass, startTime (kept once set), hostIP(s), podIP(s) (primary
///   family of the node first, at most one per family; kept while no
///   sandbox is ready; host-network pods use the node IPs);
/// - timestamps truncated to seconds and termination messages capped at
///   12 KiB shared by all containers (upstream `normalizeStatus`).
k8s::pod_status compute_status(const k8s::pod& pod, const observed_pod& obs,
                               const k8s::pod_status& previous,
                               k8s::timestamp now);

/// Upstream `getPhase` on already converted statuses: "Pending", "Running",
/// "Succeeded" or "Failed". `has_initialized`: some app container has run.
std::string pod_phase(const k8s::pod& pod,
                      const std::vector<k8s::container_status>& init,
                      const std::vector<k8s::container_status>& app,
                      bool terminal, bool has_initialized);

/// True unless `next` equals `old` in everything the kubelet reports
/// (upstream `!isPodStatusByKubeletEqual`): kubelet conditions compare by
/// type, status, reason and message only (not times, not order); other
/// conditions are ignored; every other field must be equal, timestamps at
/// whole-second precision.
bool status_changed(const k8s::pod_status& old, const k8s::pod_status& next);

/// Refuses illegal container transitions (upstream
/// `checkContainerStateTransition`): unless restartPolicy is Always, a
/// terminated container (or non-sidecar init container) may not become
/// non-terminated, except after a failure under OnFailure. Returns
/// `errc::invalid` naming the container, or an empty error.
caf::error check_transition(const k8s::pod_spec& spec,
                            const k8s::pod_status& old,
                            const k8s::pod_status& next);

/// True for "Succeeded" and "Failed".
bool is_terminal_phase(std::string_view phase) noexcept;

} // namespace cafelet::actors::pods
