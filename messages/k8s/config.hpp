#pragma once
/// @file
/// ConfigMap and Secret: the data cafelet materializes into volumes and
/// environment variables.

#include "messages/k8s/meta.hpp"

#include <caf/allowed_unsafe_message_type.hpp>

#include <memory>
#include <optional>
#include <string>

namespace cafelet::k8s {

/// `v1.ConfigMap`.
struct config_map {
  /// apiVersion/kind as sent.
  type_meta type;
  /// Metadata.
  object_meta metadata;
  /// UTF-8 data.
  string_map data;
  /// Binary data, base64 text as sent.
  string_map binary_data;
  /// Immutable flag.
  std::optional<bool> immutable;
};

/// `v1.Secret`.
struct secret {
  /// apiVersion/kind as sent.
  type_meta type;
  /// Metadata.
  object_meta metadata;
  /// Data, base64 text as sent.
  string_map data;
  /// Secret type, e.g. "Opaque".
  std::string type_;
  /// Immutable flag.
  std::optional<bool> immutable;
};

/// A decoded ConfigMap, shared read-only.
using config_map_ptr = std::shared_ptr<const config_map>;

/// A decoded Secret, shared read-only.
using secret_ptr = std::shared_ptr<const secret>;

} // namespace cafelet::k8s

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafelet::k8s::config_map_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafelet::k8s::secret_ptr)
