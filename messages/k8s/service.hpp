#pragma once
/// @file
/// `v1.Service`, as far as a kubelet reads it: the ClusterIP and ports of
/// services whose environment variables containers get.

#include "messages/k8s/meta.hpp"

#include <caf/allowed_unsafe_message_type.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cafelet::k8s {

/// `v1.ServicePort` (the fields environment variables use).
struct service_port {
  /// Port name (may be empty for a single port).
  std::string name;
  /// "TCP", "UDP" or "SCTP".
  std::string protocol = "TCP";
  /// Service port.
  int32_t port = 0;
};

/// `v1.Service`.
struct service {
  /// apiVersion/kind as sent.
  type_meta type;
  /// Metadata.
  object_meta metadata;
  /// spec.clusterIP ("None" for headless services).
  std::string cluster_ip;
  /// spec.ports.
  std::vector<service_port> ports;
};

/// A decoded Service, shared read-only.
using service_ptr = std::shared_ptr<const service>;

} // namespace cafelet::k8s

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafelet::k8s::service_ptr)
