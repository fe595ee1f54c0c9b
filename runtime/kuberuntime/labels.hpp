#pragma once
/// @file
/// The labels and annotations cafelet puts on sandboxes and containers (as
/// upstream kuberuntime/labels.go) and reads back to re-adopt pods after a
/// restart, and the container hash that detects spec changes.
///
/// Sandboxes: labels = the pod's labels + io.kubernetes.pod.{name,
/// namespace,uid}; annotations = the pod's annotations + cafelet's own
/// (terminationGracePeriod, QoS class, cgroup parent, hostNetwork).
/// Containers: labels io.kubernetes.container.name + io.kubernetes.pod.*;
/// annotations hash, restartCount, terminationMessagePath/Policy,
/// pod.deletionGracePeriod and pod.terminationGracePeriod when set,
/// preStopHandler and ports as JSON when present.

#include "runtime/kuberuntime/pb.hpp"
#include "runtime/kuberuntime/settings.hpp"

#include "messages/k8s/pod.hpp"

#include <caf/expected.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cafelet::kuberuntime {

/// Label: pod name.
inline constexpr const char* pod_name_label = "io.kubernetes.pod.name";
/// Label: pod namespace.
inline constexpr const char* pod_namespace_label
  = "io.kubernetes.pod.namespace";
/// Label: pod UID.
inline constexpr const char* pod_uid_label = "io.kubernetes.pod.uid";
/// Label: container name in the pod spec.
inline constexpr const char* container_name_label
  = "io.kubernetes.container.name";
/// Annotation: container hash (hex).
inline constexpr const char* container_hash_annotation
  = "io.kubernetes.container.hash";
/// Annotation: restart count (decimal).
inline constexpr const char* restart_count_annotation
  = "io.kubernetes.container.restartCount";
/// Annotation: terminationMessagePath.
inline constexpr const char* termination_message_path_annotation
  = "io.kubernetes.container.terminationMessagePath";
/// Annotation: terminationMessagePolicy.
inline constexpr const char* termination_message_policy_annotation
  = "io.kubernetes.container.terminationMessagePolicy";
/// Annotation: preStop handler (JSON).
inline constexpr const char* pre_stop_handler_annotation
  = "io.kubernetes.container.preStopHandler";
/// Annotation: container ports (JSON).
inline constexpr const char* container_ports_annotation
  = "io.kubernetes.container.ports";
/// Annotation: the pod's deletionGracePeriodSeconds.
inline constexpr const char* deletion_grace_period_annotation
  = "io.kubernetes.pod.deletionGracePeriod";
/// Annotation: the pod's terminationGracePeriodSeconds (containers, and
/// cafelet's sandboxes).
inline constexpr const char* termination_grace_period_annotation
  = "io.kubernetes.pod.terminationGracePeriod";
/// Sandbox annotation (cafelet): the pod's QoS class.
inline constexpr const char* qos_class_annotation = "io.cafelet.pod.qosClass";
/// Sandbox annotation (cafelet): the cgroup parent given to the runtime.
inline constexpr const char* cgroup_parent_annotation
  = "io.cafelet.pod.cgroupParent";
/// Sandbox annotation (cafelet): "true" for hostNetwork pods.
inline constexpr const char* host_network_annotation
  = "io.cafelet.pod.hostNetwork";

/// Upstream HashContainer: FNV-1a (32 bit) of the fields whose change
/// restarts a container, which are only `name` and `image` (the other
/// fields of an API pod's containers are immutable), hashed as the JSON
/// object {"image":...,"name":...}. Stable across restarts and versions.
uint64_t container_hash(const k8s::container& c);

/// The hash as the annotation holds it: lowercase hex without leading
/// zeros.
std::string hash_text(uint64_t hash);

/// Labels of the pod's sandbox.
void set_sandbox_labels(const k8s::pod& pod, pb_string_map& labels);

/// Annotations of the pod's sandbox; cafelet's keys override the pod's.
void set_sandbox_annotations(const k8s::pod& pod, qos_class qos,
                             std::string_view cgroup_parent,
                             pb_string_map& annotations);

/// Labels of container `c`.
void set_container_labels(const k8s::pod& pod, const k8s::container& c,
                          pb_string_map& labels);

/// Annotations of container `c` at restart count `restart_count`.
void set_container_annotations(const k8s::pod& pod, const k8s::container& c,
                               int32_t restart_count,
                               pb_string_map& annotations);

/// `c.ports` as upstream's JSON (`[{"name":"http","containerPort":8080,
/// "protocol":"TCP"}]`).
std::string ports_json(const k8s::container& c);

/// A lifecycle handler as upstream's JSON.
std::string handler_json(const k8s::lifecycle_handler& h);

/// What a sandbox's labels and annotations say.
struct sandbox_info {
  std::string pod_uid;
  std::string pod_name;
  std::string pod_namespace;
  /// The pod's terminationGracePeriodSeconds, if recorded.
  std::optional<int64_t> termination_grace_period;
  /// QoS class, if recorded by cafelet.
  std::optional<qos_class> qos;
  /// Cgroup parent, if recorded by cafelet.
  std::string cgroup_parent;
  /// Recorded as a hostNetwork pod.
  bool host_network = false;
};

/// Reads a sandbox's labels and annotations. Fails with `errc::invalid` if
/// the pod UID label is missing (not a kubelet sandbox); other missing or
/// malformed entries stay empty.
caf::expected<sandbox_info> read_sandbox_info(const pb_string_map& labels,
                                              const pb_string_map& annotations);

/// `read_sandbox_info` of a listed sandbox.
caf::expected<sandbox_info> read_sandbox_info(const pb::PodSandbox& x);

/// `read_sandbox_info` of a sandbox status.
caf::expected<sandbox_info> read_sandbox_info(const pb::PodSandboxStatus& x);

/// What a container's labels and annotations say.
struct container_info {
  std::string pod_uid;
  std::string pod_name;
  std::string pod_namespace;
  std::string container_name;
  /// restartCount annotation (else the metadata attempt, else 0).
  int32_t restart_count = 0;
  /// Container hash, if recorded and well-formed.
  std::optional<uint64_t> hash;
  /// Pod's terminationGracePeriodSeconds, if recorded.
  std::optional<int64_t> termination_grace_period;
  /// Pod's deletionGracePeriodSeconds, if recorded.
  std::optional<int64_t> deletion_grace_period;
  std::string termination_message_path;
  std::string termination_message_policy;
};

/// Reads a container's labels and annotations; `attempt` is the metadata
/// attempt used when the restartCount annotation is missing or malformed.
/// Fails with `errc::invalid` if the pod UID or container name label is
/// missing (not a kubelet container).
caf::expected<container_info>
read_container_info(const pb_string_map& labels,
                    const pb_string_map& annotations, uint32_t attempt = 0);

/// `read_container_info` of a listed container.
caf::expected<container_info> read_container_info(const pb::Container& x);

/// `read_container_info` of a container status.
caf::expected<container_info>
read_container_info(const pb::ContainerStatus& x);

} // namespace cafelet::kuberuntime
