#pragma once
/// @file
/// `coordination.k8s.io/v1` Lease: the node heartbeat in kube-node-lease.

#include "messages/k8s/meta.hpp"

#include <caf/allowed_unsafe_message_type.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace cafelet::k8s {

/// `LeaseSpec`.
struct lease_spec {
  /// Current holder (the node name).
  std::optional<std::string> holder_identity;
  /// How long a holder is trusted without renewal.
  std::optional<int32_t> lease_duration_seconds;
  /// When the current holder acquired it (MicroTime).
  opt_time acquire_time;
  /// Last renewal (MicroTime).
  opt_time renew_time;
  /// Number of holder changes.
  std::optional<int32_t> lease_transitions;
};

/// `Lease`.
struct lease {
  /// apiVersion/kind as sent.
  type_meta type;
  /// Metadata.
  object_meta metadata;
  /// Spec.
  lease_spec spec;
};

/// A decoded lease, shared read-only.
using lease_ptr = std::shared_ptr<const lease>;

} // namespace cafelet::k8s

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafelet::k8s::lease_ptr)
