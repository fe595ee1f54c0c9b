#pragma once
/// @file
/// Decoding of the metav1.Status object the API server sends with errors:
///   {"kind":"Status","status":"Failure","message":"...","reason":"Conflict",
///    "details":{"name":"edge-1","kind":"leases","retryAfterSeconds":1},
///    "code":409}

#include <caf/expected.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cafelet::net {

/// One entry of Status.details.causes.
struct status_cause {
  /// Machine-readable reason, e.g. "FieldValueInvalid".
  std::string reason;
  /// Human-readable description.
  std::string message;
  /// The field at fault, e.g. "metadata.name".
  std::string field;
};

/// A decoded metav1.Status.
struct api_status {
  /// The object's kind ("Status" from the API server).
  std::string kind;
  /// "Success" or "Failure".
  std::string status;
  /// Human-readable description, shown in cafelet's error contexts.
  std::string message;
  /// Machine-readable reason, e.g. "Conflict", "AlreadyExists", "Expired".
  std::string reason;
  /// HTTP status code suggested by the server (0 if absent).
  int code = 0;
  /// details.name
  std::string details_name;
  /// details.group
  std::string details_group;
  /// details.kind
  std::string details_kind;
  /// details.causes
  std::vector<status_cause> causes;
  /// details.retryAfterSeconds, if present.
  std::optional<int> retry_after_seconds;
};

/// Decodes a Status JSON object. Fails with `errc::bad_response` if `json`
/// is not a JSON object; fields of the wrong type are ignored.
caf::expected<api_status> parse_api_status(std::string_view json);

} // namespace cafelet::net
