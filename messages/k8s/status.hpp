#pragma once
/// @file
/// `metav1.Status`: the body of API errors (and of watch ERROR events).

#include "messages/errors.hpp"

#include <caf/error.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cafelet::k8s {

/// `metav1.StatusCause`.
struct status_cause {
  /// E.g. "FieldValueInvalid".
  std::string reason;
  /// Human-readable message.
  std::string message;
  /// Field path, e.g. "metadata.uid".
  std::string field;
};

/// `metav1.StatusDetails`.
struct status_details {
  /// Name of the object.
  std::string name;
  /// API group of the object.
  std::string group;
  /// Kind (or resource) of the object.
  std::string kind;
  /// UID of the object.
  std::string uid;
  /// Individual causes.
  std::vector<status_cause> causes;
  /// Suggested delay before retrying (0: none).
  int32_t retry_after_seconds = 0;
};

/// `metav1.Status`.
struct status {
  /// "Success" or "Failure" (`status`).
  std::string status_;
  /// Human-readable message.
  std::string message;
  /// Machine-readable reason, e.g. "NotFound", "Conflict", "Expired".
  std::string reason;
  /// HTTP status code.
  int32_t code = 0;
  /// Extra details.
  std::optional<status_details> details;
};

/// A decoded status, shared read-only.
using status_ptr = std::shared_ptr<const status>;

/// Maps an HTTP status code (and reason) to a cafelet error code: 2xx none,
/// 400/422 invalid, 401, 403, 404, 409 conflict, 410 gone, 429, 504
/// timeout, other 5xx server_error.
errc to_errc(int32_t code, std::string_view reason = {});

/// Converts `x` to a `caf::error` whose context is "<code> <reason>:
/// <message>".
caf::error to_error(const status& x);

} // namespace cafelet::k8s
