#pragma once
/// @file
/// How the kuberuntime builders name pods and report specs they cannot
/// honour: `errc::invalid` errors whose context names the field, which the
/// pod actor reports as CreateContainerConfigError (containers) or
/// FailedCreatePodSandBox (sandboxes).

#include "messages/k8s/pod.hpp"

#include <caf/error.hpp>

#include <string>
#include <string_view>

namespace cafelet::kuberuntime {

/// Something a builder worked around that deserves a Warning event on the
/// pod (upstream reasons: MissingClusterDNS, DNSConfigForming).
struct build_warning {
  /// Event reason.
  std::string reason;
  /// Event message.
  std::string message;
};

/// "<name>_<namespace>(<uid>)", as upstream's format.Pod.
std::string format_pod(const k8s::pod& pod);

/// An `errc::invalid` error: `container "<name>": <field>: <what>`.
caf::error container_error(std::string_view container, std::string_view field,
                           std::string_view what);

/// An `errc::invalid` error: `pod "<namespace>/<name>": <field>: <what>`.
caf::error pod_error(const k8s::pod& pod, std::string_view field,
                     std::string_view what);

} // namespace cafelet::kuberuntime
