#pragma once
/// @file
/// Builds the `v1.Node` cafelet registers and the status it reports, the
/// way the upstream kubelet does (pkg/kubelet/kubelet_node_status.go and
/// nodestatus/setters.go): default labels, the attach-detach annotation,
/// capacity and allocatable, addresses, nodeInfo, the four conditions with
/// upstream reasons and messages. Also: the status-changed predicate that
/// ignores heartbeats, the events to record on transitions, and the
/// reconciliation of a Node that already existed (409 on POST). Pure: no
/// I/O, no actors.

#include "actors/node/machine_info.hpp"
#include "messages/api.hpp"
#include "messages/config/kubelet_config.hpp"
#include "messages/k8s/node.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cafelet::actors {

/// Label `kubernetes.io/hostname`.
inline constexpr std::string_view label_hostname = "kubernetes.io/hostname";
/// Label `kubernetes.io/os`.
inline constexpr std::string_view label_os = "kubernetes.io/os";
/// Label `kubernetes.io/arch`.
inline constexpr std::string_view label_arch = "kubernetes.io/arch";
/// Deprecated label `beta.kubernetes.io/os`.
inline constexpr std::string_view label_beta_os = "beta.kubernetes.io/os";
/// Deprecated label `beta.kubernetes.io/arch`.
inline constexpr std::string_view label_beta_arch = "beta.kubernetes.io/arch";
/// The annotation telling the attach-detach controller to manage volumes.
inline constexpr std::string_view annotation_cmad
  = "volumes.kubernetes.io/controller-managed-attach-detach";

/// PIDPressure threshold used when `evictionHard` has no `pid.available`
/// (upstream has none by default, so it never reports PIDPressure): 10 %
/// of the usable PIDs.
inline constexpr double default_pid_available_fraction = 0.1;

/// What the Node is built from besides the machine facts.
struct node_settings {
  /// metadata.name.
  std::string node_name;
  /// Value of the hostname label and the Hostname address.
  std::string hostname;
  /// --node-labels (override default labels of the same key, as upstream).
  std::map<std::string, std::string> node_labels;
  /// InternalIP addresses in order (--node-ip, else the detected one).
  std::vector<std::string> node_ips;
  /// registerWithTaints.
  std::vector<config::taint> taints;
  /// daemonEndpoints.kubeletEndpoint.Port.
  int32_t kubelet_port = 10250;
  /// Capacity and allocatable "pods".
  int32_t max_pods = 110;
  /// kubeReserved.
  config::resource_map kube_reserved;
  /// systemReserved.
  config::resource_map system_reserved;
  /// evictionHard.
  std::map<std::string, config::threshold_value> eviction_hard;
  /// nodeInfo.kubeletVersion (and kubeProxyVersion), e.g. "v1.32.0".
  std::string kubelet_version;
  /// nodeInfo.containerRuntimeVersion, e.g. "containerd://1.7.0"; may be
  /// empty until a runtime is connected.
  std::string container_runtime_version;
};

/// Fills the settings taken from the KubeletConfiguration (port, maxPods,
/// reservations, eviction thresholds, taints).
node_settings settings_from(const config::kubelet_configuration& cfg);

/// Readiness of one component the Ready condition depends on.
struct component_readiness {
  /// True if ready.
  bool ready = false;
  /// Why not, in words.
  std::string message;
};

/// Which conditions hold.
struct condition_inputs {
  /// memory.available below its threshold.
  bool memory_pressure = false;
  /// nodefs.available or nodefs.inodesFree below its threshold.
  bool disk_pressure = false;
  /// Available PIDs below the threshold.
  bool pid_pressure = false;
  /// Empty: Ready; else the message of the NotReady condition.
  std::optional<std::string> not_ready;
};

/// Which pressure signals are below their eviction thresholds.
struct pressure_flags {
  /// MemoryPressure.
  bool memory = false;
  /// DiskPressure.
  bool disk = false;
  /// PIDPressure.
  bool pid = false;
};

/// The amount a threshold stands for on a resource of size `capacity`:
/// the quantity, or the percentage of `capacity` computed as upstream
/// (float32 fraction, truncated).
int64_t threshold_amount(const config::threshold_value& t, int64_t capacity);

/// Compares `sample` with the eviction thresholds: memory.available
/// (against MemAvailable), nodefs.available, nodefs.inodesFree and
/// pid.available (pid_max - tasks; default 10 % if not configured). A
/// signal that could not be read never signals pressure. imagefs
/// thresholds are not evaluated (no image file system stats here).
pressure_flags evaluate_pressure(
  const pressure_sample& sample, const machine_info& machine,
  const std::map<std::string, config::threshold_value>& eviction_hard);

/// The Ready condition's message if some component is not ready: one
/// message as is, several as "[a, b]" (upstream's aggregated error), in
/// component name order; an empty message reads "<component> is not
/// ready". nullopt if all known components are ready (or none is known).
std::optional<std::string>
not_ready_message(const std::map<std::string, component_readiness>& xs);

/// Default labels (hostname, os, arch, beta os/arch) plus --node-labels.
k8s::string_map node_labels(const node_settings& s, const machine_info& m);

/// status.capacity: cpu, ephemeral-storage (if known), hugepages-*, memory,
/// pods, sorted by name as the API server stores them.
k8s::resource_list node_capacity(const node_settings& s,
                                 const machine_info& m);

/// status.allocatable: capacity minus kubeReserved, systemReserved and the
/// hard eviction thresholds (memory.available from memory,
/// nodefs.available from ephemeral-storage), memory also minus the huge
/// pages; never negative.
k8s::resource_list node_allocatable(const node_settings& s,
                                    const machine_info& m);

/// InternalIP for each node IP, then Hostname.
std::vector<k8s::node_address> node_addresses(const node_settings& s);

/// status.nodeInfo.
k8s::node_system_info node_info(const node_settings& s, const machine_info& m);

/// The conditions MemoryPressure, DiskPressure, PIDPressure, Ready in that
/// order with upstream reasons and messages. lastHeartbeatTime is `now`;
/// lastTransitionTime is kept from `previous` when the status of that
/// condition did not change, else `now`.
std::vector<k8s::node_condition>
make_conditions(const condition_inputs& in,
                const std::vector<k8s::node_condition>& previous,
                k8s::timestamp now);

/// The full status (no images).
k8s::node_status build_node_status(const node_settings& s,
                                   const machine_info& m,
                                   const condition_inputs& in,
                                   const std::vector<k8s::node_condition>& prev,
                                   k8s::timestamp now);

/// The Node for `POST /api/v1/nodes`.
k8s::node build_node(const node_settings& s, const machine_info& m,
                     const condition_inputs& in, k8s::timestamp now);

/// True if the statuses differ in anything but heartbeat times (upstream
/// nodeStatusHasChanged); quantities compare numerically.
bool node_status_changed(const k8s::node_status& before,
                         const k8s::node_status& after);

/// True if the statuses differ in anything but their conditions
/// (capacity, allocatable, addresses, endpoint, nodeInfo): such changes
/// need a full status patch.
bool node_details_changed(const k8s::node_status& before,
                          const k8s::node_status& after);

/// Event reasons for the conditions of `after` that are new (`before` null
/// or lacking them) or changed status, in condition order:
/// NodeHasSufficientMemory / NodeHasInsufficientMemory,
/// NodeHasNoDiskPressure / NodeHasDiskPressure,
/// NodeHasSufficientPID / NodeHasInsufficientPID, NodeReady / NodeNotReady.
std::vector<std::string>
transition_event_reasons(const k8s::node_status* before,
                         const k8s::node_status& after);

/// The Normal event "Node <name> status is now: <reason>" about the Node
/// (involvedObject kind Node, name and uid = node name, as upstream).
record_event make_node_event(std::string_view node_name, std::string reason);

/// Reconciles a Node that already existed (the POST got 409) with the
/// freshly built `initial` one, as upstream: default labels (hostname,
/// os, arch, beta os/arch, and the zone/region/instance-type labels when
/// --node-labels sets them) brought up to date, the attach-detach
/// annotation, huge page capacity/allocatable (sizes added, changed or
/// removed). Returns the strategic-merge patch body for
/// `PATCH /api/v1/nodes/<name>/status`, or nullopt if nothing is off.
std::optional<std::string> reconcile_patch(const k8s::node& initial,
                                           const k8s::node& existing);

} // namespace cafelet::actors
