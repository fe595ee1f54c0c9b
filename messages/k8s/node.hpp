#pragma once
/// @file
/// `v1.Node`: the object cafelet registers and keeps reporting status for.

#include "messages/k8s/meta.hpp"

#include <caf/allowed_unsafe_message_type.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cafelet::k8s {

/// `v1.Taint`.
struct taint {
  /// Taint key.
  std::string key;
  /// Taint value.
  std::string value;
  /// "NoSchedule", "PreferNoSchedule" or "NoExecute".
  std::string effect;
  /// When a NoExecute taint was added.
  opt_time time_added;
};

/// `v1.NodeSpec` (subset).
struct node_spec {
  /// Pod IP range of this node.
  std::string pod_cidr;
  /// Pod IP ranges (dual stack).
  std::vector<std::string> pod_cidrs;
  /// Cloud provider id.
  std::string provider_id;
  /// Cordoned.
  bool unschedulable = false;
  /// Taints.
  std::vector<taint> taints;
};

/// `v1.NodeCondition`.
struct node_condition {
  /// "Ready", "MemoryPressure", "DiskPressure", "PIDPressure", ...
  std::string type;
  /// "True", "False" or "Unknown".
  std::string status;
  /// Last heartbeat.
  opt_time last_heartbeat_time;
  /// Last status change.
  opt_time last_transition_time;
  /// Machine-readable reason.
  std::string reason;
  /// Human-readable message.
  std::string message;
};

/// `v1.NodeAddress`.
struct node_address {
  /// "InternalIP", "ExternalIP", "Hostname", ...
  std::string type;
  /// The address.
  std::string address;
};

/// `v1.NodeSystemInfo`.
struct node_system_info {
  /// `machineID`.
  std::string machine_id;
  /// `systemUUID`.
  std::string system_uuid;
  /// `bootID`.
  std::string boot_id;
  /// `kernelVersion`.
  std::string kernel_version;
  /// `osImage`.
  std::string os_image;
  /// `containerRuntimeVersion`, e.g. "containerd://1.6.20".
  std::string container_runtime_version;
  /// `kubeletVersion`.
  std::string kubelet_version;
  /// `kubeProxyVersion`.
  std::string kube_proxy_version;
  /// `operatingSystem`, e.g. "linux".
  std::string operating_system;
  /// `architecture`, e.g. "amd64".
  std::string architecture;
};

/// `v1.ContainerImage`.
struct container_image {
  /// Names (tags and digests).
  std::vector<std::string> names;
  /// Size in bytes.
  int64_t size_bytes = 0;
};

/// `v1.NodeStatus` (subset).
struct node_status {
  /// Total resources.
  resource_list capacity;
  /// Resources available for pods.
  resource_list allocatable;
  /// Conditions.
  std::vector<node_condition> conditions;
  /// Addresses.
  std::vector<node_address> addresses;
  /// `daemonEndpoints.kubeletEndpoint.Port` (0: unset).
  int32_t kubelet_endpoint_port = 0;
  /// System information.
  node_system_info node_info;
  /// Images present on the node.
  std::vector<container_image> images;
};

/// `v1.Node`.
struct node {
  /// apiVersion/kind as sent.
  type_meta type;
  /// Metadata.
  object_meta metadata;
  /// Spec.
  node_spec spec;
  /// Status.
  node_status status;
};

/// A decoded node, shared read-only.
using node_ptr = std::shared_ptr<const node>;

} // namespace cafelet::k8s

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafelet::k8s::node_ptr)
