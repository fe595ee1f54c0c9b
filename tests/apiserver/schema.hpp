#pragma once
/// @file
/// The Go types behind the JSON the API server accepts, as far as the test
/// server models them. A body is decoded as Go's encoding/json would decode
/// it into those types: wrong JSON types fail with Go's message ("json:
/// cannot unmarshal string into Go struct field LeaseSpec.spec.
/// leaseDurationSeconds of type int32"), and the decoded value is rendered
/// back as Go marshals it: fields in struct order, map keys sorted, empty
/// `omitempty` fields dropped, fields without `omitempty` always present
/// (e.g. `"lastProbeTime": null`), timestamps re-formatted.

#include "messages/json/json.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cafelet::apiserver {

struct go_type;

/// One field of a Go struct.
struct go_field {
  /// JSON name.
  std::string name;
  /// Field type.
  const go_type* type = nullptr;
  /// True for a pointer (`*T`): null means absent, zero values are kept.
  bool pointer = false;
  /// True if the tag has `omitempty` (most Kubernetes fields do).
  bool omitempty = true;
};

/// A Go type as far as JSON decoding and encoding are concerned.
struct go_type {
  /// The shapes the decoder distinguishes.
  enum class shape {
    string,
    boolean,
    int32,
    int64,
    float64,
    /// metav1.Time: RFC 3339 string, re-rendered with second precision.
    time,
    /// metav1.MicroTime: RFC 3339 string, re-rendered with microseconds.
    micro_time,
    /// resource.Quantity: string or number, rendered as string.
    quantity,
    /// intstr.IntOrString.
    int_or_string,
    /// []byte: base64 string.
    bytes,
    /// Anything (not modelled): kept as is.
    raw,
    /// A struct with fields.
    structure,
    /// A slice of `elem`.
    slice,
    /// A map from string to `elem`.
    map,
  };

  /// The shape.
  shape kind = shape::raw;
  /// Go name for structs, e.g. "LeaseSpec".
  std::string name;
  /// Fields of a struct in declaration order.
  std::vector<go_field> fields;
  /// Element type of a slice or map.
  const go_type* elem = nullptr;
  /// True if unknown fields of this struct are dropped (fully modelled);
  /// otherwise they are kept as they came.
  bool closed = false;

  /// The field called `json_name`, or nullptr.
  const go_field* field(std::string_view json_name) const;

  /// The name Go prints for this type, e.g. "int32", "v1.LeaseSpec",
  /// "[]v1.Container", "map[string]string".
  std::string go_name() const;
};

/// The root type of objects of `kind` (e.g. "Pod", "Lease"), or nullptr if
/// the kind is not modelled.
const go_type* schema_for(std::string_view kind);

/// Outcome of decoding a body into a Go type.
struct decode_result {
  /// Go's error message for the first mismatch (document order), if any.
  std::optional<std::string> error;
  /// Unknown fields that were dropped ("spec.foo"), for Warning headers.
  std::vector<std::string> unknown_fields;
};

/// Checks `v` against `type` as json.Unmarshal would and normalizes it in
/// place to what json.Marshal of the decoded value prints.
decode_result decode_as(const go_type& type, json::value& v);

/// Renders `v` in place as Go's json.Marshal prints an already valid value
/// of `type` (field order, zero-filled fields, sorted maps).
void normalize_as(const go_type& type, json::value& v);

/// Returns the JSON Go marshals for the zero value of `type`, e.g. `{}`,
/// `null`, `0` or `{"containers":null}` for a PodSpec.
json::value zero_value(const go_type& type);

} // namespace cafelet::apiserver
