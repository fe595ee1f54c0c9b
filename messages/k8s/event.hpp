#pragma once
/// @file
/// core/v1 Event, as the kubelet's event recorder creates and patches them.

#include "messages/k8s/meta.hpp"

#include <caf/allowed_unsafe_message_type.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace cafelet::k8s {

/// `v1.EventSource`.
struct event_source {
  /// Component, e.g. "kubelet".
  std::string component;
  /// Node name.
  std::string host;
};

/// core/v1 `Event`.
struct event {
  /// apiVersion/kind as sent.
  type_meta type;
  /// Metadata (name "<object>.<hex nanos>").
  object_meta metadata;
  /// The object the event is about.
  object_reference involved_object;
  /// Short CamelCase reason.
  std::string reason;
  /// Human-readable description.
  std::string message;
  /// Reporting component (deprecated form).
  event_source source;
  /// First occurrence (Time).
  opt_time first_timestamp;
  /// Latest occurrence (Time).
  opt_time last_timestamp;
  /// Number of occurrences.
  int32_t count = 0;
  /// "Normal" or "Warning".
  std::string type_;
  /// First observation (MicroTime), null for recorder events.
  opt_time event_time;
  /// What was done, e.g. "Binding".
  std::string action;
  /// Reporting controller, e.g. "kubelet".
  std::string reporting_component;
  /// Reporting instance, e.g. the node name.
  std::string reporting_instance;
};

/// A decoded event, shared read-only.
using event_ptr = std::shared_ptr<const event>;

} // namespace cafelet::k8s

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafelet::k8s::event_ptr)
