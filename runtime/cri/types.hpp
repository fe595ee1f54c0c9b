#pragma once
/// @file
/// Plain C++ results of CRI calls for callers that need only a few fields
/// (no protobuf types): the runtime's version and its readiness. Both can
/// travel in CAF messages (`inspect` overloads below).

#include <caf/meta/type_name.hpp>

#include <string>
#include <vector>

namespace runtime::v1 {
class VersionResponse;
class StatusResponse;
} // namespace runtime::v1

namespace cafelet::cri {

/// The kubelet's CRI API version sent in VersionRequest (as upstream).
inline constexpr const char* kubelet_api_version = "0.1.0";

/// Name and versions of the container runtime (VersionResponse).
struct version_info {
  /// Version of the kubelet runtime API the runtime speaks ("0.1.0").
  std::string version;
  /// E.g. "containerd".
  std::string runtime_name;
  /// E.g. "1.6.20".
  std::string runtime_version;
  /// E.g. "v1".
  std::string runtime_api_version;

  /// The node's `nodeInfo.containerRuntimeVersion`: "<name>://<version>",
  /// e.g. "containerd://1.6.20".
  std::string container_runtime_version() const;
};

/// One runtime condition (RuntimeCondition).
struct runtime_condition {
  /// E.g. "RuntimeReady", "NetworkReady".
  std::string type;
  bool status = false;
  std::string reason;
  std::string message;
};

/// Readiness of the runtime (StatusResponse).
struct runtime_status {
  /// The RuntimeReady condition is present and true.
  bool runtime_ready = false;
  /// The NetworkReady condition is present and true.
  bool network_ready = false;
  /// Every condition the runtime reported, in order.
  std::vector<runtime_condition> conditions;
  /// Why the node is not ready, worded as the upstream kubelet does, e.g.
  /// "container runtime network not ready: NetworkReady=false
  /// reason:NetworkPluginNotReady message:Network plugin returns error: cni
  /// plugin not initialized"; empty when both conditions are true.
  std::vector<std::string> messages;
};

/// Converts a VersionResponse.
version_info to_version_info(const runtime::v1::VersionResponse& resp);

/// Converts a StatusResponse and derives readiness and messages.
runtime_status to_runtime_status(const runtime::v1::StatusResponse& resp);

/// Renders a condition as upstream does:
/// "<type>=<true|false> reason:<reason> message:<message>".
std::string to_string(const runtime_condition& cond);

/// Makes `version_info` serializable (found by ADL).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, version_info& x) {
  return f(caf::meta::type_name("cri_version_info"), x.version,
           x.runtime_name, x.runtime_version, x.runtime_api_version);
}

/// Makes `runtime_condition` serializable (found by ADL).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, runtime_condition& x) {
  return f(caf::meta::type_name("cri_runtime_condition"), x.type, x.status,
           x.reason, x.message);
}

/// Makes `runtime_status` serializable (found by ADL).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, runtime_status& x) {
  return f(caf::meta::type_name("cri_runtime_status"), x.runtime_ready,
           x.network_ready, x.conditions, x.messages);
}

} // namespace cafelet::cri
