#pragma once
/// @file
/// The field tree of the Kubernetes core/v1 Pod as of Kubernetes 1.32
/// (ObjectMeta, PodSpec with every container, volume, probe, security and
/// scheduling type, PodStatus). Lets readers of hand-written manifests
/// reject fields the API does not know ("imagePullPolicyy") and values of
/// the wrong shape (a string where a list or an object belongs). Scalar
/// types (string, integer, boolean) are left to the decoders.

#include <string_view>
#include <utility>
#include <vector>

namespace cafelet::k8s {

/// One node of the schema: a struct type, a list, a scalar, a map with
/// arbitrary keys (labels, resource limits, raw JSON objects such as
/// managedFields[].fieldsV1) or a free-form value (the values of such maps),
/// below which anything goes.
struct schema_node {
  /// The shape of the values a node describes.
  enum class shape { scalar, list, object, map, any };

  /// A named member of an object type.
  using field = std::pair<std::string_view, const schema_node*>;

  /// The shape.
  shape kind = shape::scalar;

  /// The Go type name for objects ("Container"), "[]" + element name for
  /// lists, "scalar", "map" or "any".
  std::string_view name;

  /// Objects: the members, sorted by name.
  std::vector<field> fields;

  /// Lists: the element type; maps: the value type (`any`).
  const schema_node* elements = nullptr;

  /// The type of member `key`: for objects the field's node or nullptr if
  /// there is no such field; for maps the value type; for `any` the node
  /// itself; else nullptr.
  const schema_node* child(std::string_view key) const noexcept;

  /// The element type: for lists the element node, for `any` the node
  /// itself, else nullptr.
  const schema_node* element() const noexcept;
};

/// The root of the v1 Pod schema (built once from a compact table).
const schema_node* pod_schema();

/// Empty if the table behind `pod_schema` is consistent, else a message
/// naming the first broken type reference or duplicate field (for tests).
std::string_view pod_schema_error();

} // namespace cafelet::k8s
