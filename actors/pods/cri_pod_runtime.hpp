#pragma once
/// @file
/// The pod workers' runtime over CRI: builds the sandbox and container
/// configurations with runtime/kuberuntime (QoS class and environment from
/// actors/pods) and calls the CRI client. Completions arrive on gRPC
/// threads, as `pods::pod_runtime` allows.

#include "actors/pods/pod_runtime.hpp"
#include "actors/pods/expansion.hpp"
#include "runtime/kuberuntime/settings.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cafelet::cri {
class client;
} // namespace cafelet::cri

namespace cafelet::actors::pods {

/// What the CRI pod runtime needs besides the client.
struct cri_pod_runtime_config {
  /// Builder settings (log and root dirs, cgroups, DNS).
  kuberuntime::settings settings;
  /// The node's IPs (for the downward API).
  std::vector<std::string> host_ips;
  /// Node allocatable (for resourceFieldRef defaults).
  k8s::resource_list allocatable;
  /// Service variables every container gets (the API server's Service);
  /// null: none.
  std::function<pods::env_list()> service_env;
};

/// Makes the CRI-backed runtime.
std::shared_ptr<pod_runtime> make_cri_pod_runtime(std::shared_ptr<cri::client> client,
                                                  cri_pod_runtime_config cfg);

} // namespace cafelet::actors::pods
