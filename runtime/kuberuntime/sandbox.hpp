#pragma once
/// @file
/// The pod's sandbox as a CRI PodSandboxConfig, as upstream
/// generatePodSandboxConfig builds it: metadata, hostname (empty for
/// hostNetwork), log directory, DNS, port mappings, labels and annotations
/// (labels.hpp), and the Linux part (cgroup parent per QoS class, security
/// context, sysctls, pod-level resources). Pure: no I/O, the caller creates
/// the log directory and the pod cgroups.

#include "runtime/kuberuntime/format.hpp"
#include "runtime/kuberuntime/pb.hpp"
#include "runtime/kuberuntime/settings.hpp"

#include "messages/k8s/pod.hpp"

#include <caf/expected.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cafelet::kuberuntime {

/// `<pod_logs_dir>/<namespace>_<name>_<uid>` (no trailing slash).
std::string pod_log_directory(const settings& s, std::string_view pod_namespace,
                              std::string_view pod_name,
                              std::string_view pod_uid);

/// `pod_log_directory` of `pod`.
std::string pod_log_directory(const settings& s, const k8s::pod& pod);

/// The port mappings of all app containers in order (upstream
/// MakePortMappings: a port whose name, or generated
/// "<family>-<protocol>-<hostIP>:<containerPort>" name, repeats within a
/// container is skipped).
std::vector<pb::PortMapping> port_mappings(const k8s::pod& pod);

/// A sandbox configuration and the warnings met building it.
struct sandbox_config {
  /// For RunPodSandbox, and for every CreateContainer of the pod.
  pb::PodSandboxConfig config;
  /// Warning events to record on the pod (see dns.hpp).
  std::vector<build_warning> warnings;
};

/// Builds the sandbox of `pod` (QoS class `qos`, sandbox attempt
/// `attempt`). Fails with `errc::invalid` and a message naming the field
/// when the pod has no UID, a bad hostname/subdomain, an unknown dnsPolicy,
/// negative ids in its security context, or invalid resource quantities
/// (upstream reports these as FailedCreatePodSandBox).
caf::expected<sandbox_config> make_sandbox_config(const k8s::pod& pod,
                                                  qos_class qos,
                                                  uint32_t attempt,
                                                  const settings& s);

/// A RunPodSandbox request for `config` with the RuntimeClass handler
/// `runtime_handler` (empty: the runtime's default).
pb::RunPodSandboxRequest
make_run_sandbox_request(pb::PodSandboxConfig config,
                         std::string runtime_handler = {});

} // namespace cafelet::kuberuntime
