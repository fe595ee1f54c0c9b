#pragma once
/// @file
/// Object metadata shared by every Kubernetes object (`metav1.ObjectMeta`,
/// `metav1.TypeMeta`, `metav1.ListMeta`) and small common value types.

#include "messages/k8s/time.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cafelet::k8s {

/// A string-to-string map (labels, annotations, nodeSelector, data).
using string_map = std::map<std::string, std::string, std::less<>>;

/// Resource name to quantity text ("cpu" -> "50m"), in document order. The
/// quantity strings are kept verbatim; parse them with `units::quantity`.
using resource_list = std::vector<std::pair<std::string, std::string>>;

/// Returns the quantity text for `name`, or nullptr.
const std::string* find(const resource_list& xs, std::string_view name);

/// `intstr.IntOrString`: a port number or a named port.
struct int_or_string {
  /// True if the JSON value was a string.
  bool is_string = false;
  /// The integer value (when `!is_string`).
  int32_t int_value = 0;
  /// The string value (when `is_string`).
  std::string string_value;
};

/// `apiVersion` and `kind` of a top-level object.
struct type_meta {
  /// E.g. "v1", "coordination.k8s.io/v1".
  std::string api_version;
  /// E.g. "Pod".
  std::string kind;
};

/// `metav1.OwnerReference`.
struct owner_reference {
  /// API version of the owner.
  std::string api_version;
  /// Kind of the owner.
  std::string kind;
  /// Name of the owner.
  std::string name;
  /// UID of the owner.
  std::string uid;
  /// True if the owner is the managing controller.
  std::optional<bool> controller;
  /// True if the owner cannot be deleted before this object.
  std::optional<bool> block_owner_deletion;
};

/// `metav1.ObjectMeta` (managedFields are skipped).
struct object_meta {
  /// Object name.
  std::string name;
  /// Prefix for server-generated names.
  std::string generate_name;
  /// Namespace (empty for cluster-scoped objects).
  std::string namespace_;
  /// Server-assigned unique id.
  std::string uid;
  /// Opaque version for optimistic concurrency and watches.
  std::string resource_version;
  /// Sequence number of the desired state.
  int64_t generation = 0;
  /// Creation time.
  opt_time creation_timestamp;
  /// Set once graceful deletion was requested.
  opt_time deletion_timestamp;
  /// Grace period of a pending deletion.
  std::optional<int64_t> deletion_grace_period_seconds;
  /// Labels.
  string_map labels;
  /// Annotations.
  string_map annotations;
  /// Owners of this object.
  std::vector<owner_reference> owner_references;
  /// Finalizers that block deletion.
  std::vector<std::string> finalizers;
};

/// `metav1.ListMeta`.
struct list_meta {
  /// Version of the collection, to start a watch from.
  std::string resource_version;
  /// Token to fetch the next page (`continue`).
  std::string continue_;
  /// Estimated number of items left, if paging.
  std::optional<int64_t> remaining_item_count;
};

/// `v1.ObjectReference` (an event's involvedObject).
struct object_reference {
  /// Kind of the referent.
  std::string kind;
  /// Namespace of the referent.
  std::string namespace_;
  /// Name of the referent.
  std::string name;
  /// UID of the referent.
  std::string uid;
  /// API version of the referent.
  std::string api_version;
  /// Specific resourceVersion referred to.
  std::string resource_version;
  /// Part of the object, e.g. "spec.containers{app}".
  std::string field_path;
};

} // namespace cafelet::k8s
