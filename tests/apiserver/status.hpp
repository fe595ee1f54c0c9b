#pragma once
/// @file
/// metav1.Status bodies exactly as kube-apiserver renders them for each
/// failure (NotFound, AlreadyExists, Conflict, Invalid, Forbidden, ...),
/// and field errors as in k8s.io/apimachinery/pkg/util/validation/field.

#include "messages/text.hpp"
#include "tests/apiserver/api.hpp"
#include "tests/apiserver/resources.hpp"

#include "messages/json/json.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cafelet::apiserver {

/// A failure ready to be sent: HTTP status plus Status body.
struct api_error {
  /// HTTP status (also the Status' `code`).
  int code = 500;
  /// The Status object.
  json::value body;
  /// Extra response headers (e.g. Retry-After).
  std::vector<header> headers;
};

/// Identifies the resource an error is about (details.group/kind).
struct error_target {
  /// API group ("" for core).
  std::string group;
  /// The details.kind value: usually the plural resource name, sometimes a
  /// Kind (e.g. "Pod" for validation errors).
  std::string kind;
  /// Object name; empty if none.
  std::string name;
  /// The qualified name used in messages: "pods",
  /// "leases.coordination.k8s.io" or "Pod".
  std::string qualified;

  /// Target `name` of resource `def` (kind = plural).
  static error_target of(const resource_def& def, std::string name = {});

  /// Target `name` of kind `def.kind` (validation and precondition errors).
  static error_target of_kind(const resource_def& def, std::string name = {});
};

/// One field error (field.Error).
struct field_error {
  /// The error type.
  enum class kind {
    invalid,
    required,
    forbidden,
    not_supported,
    duplicate,
    not_found,
    too_long,
  };
  /// The type of the error.
  kind type = kind::invalid;
  /// The field path, e.g. "status.podIPs[0]".
  std::string field;
  /// The bad value already rendered as Go prints it (quoted strings,
  /// numbers, "0x0", ...); empty for required/forbidden.
  std::string bad_value;
  /// Detail text; for not_supported the list of supported values.
  std::string detail;

  /// "FieldValueInvalid", "FieldValueRequired", ...
  std::string reason() const;

  /// The error text without the field, e.g.
  /// "Invalid value: \"x\": must be a valid IP address".
  std::string body() const;

  /// The full text: "<field>: <body>".
  std::string text() const;

  /// An invalid-value error with a string value.
  static field_error invalid(std::string field, std::string_view value,
                             std::string detail);

  /// An invalid-value error with a preformatted value.
  static field_error invalid_raw(std::string field, std::string value,
                                 std::string detail);

  /// A required-value error.
  static field_error required(std::string field, std::string detail = {});

  /// A forbidden error.
  static field_error forbidden(std::string field, std::string detail);

  /// An unsupported-value error listing `supported` values.
  static field_error not_supported(std::string field, std::string_view value,
                                   const std::vector<std::string>& supported);

  /// A duplicate-value error.
  static field_error duplicate(std::string field, std::string_view value);

  /// A not-found error (a reference to something that does not exist).
  static field_error not_found(std::string field, std::string_view value);
};

/// Quotes `s` as Go's %q does.
using text::go_quote;

/// Builds a Status object (field order as the real server prints it).
json::value make_status(int code, std::string_view reason,
                        std::string_view message,
                        std::optional<json::value> details = std::nullopt);

/// Factory functions for the Status errors the server sends.
namespace errors {

/// 404 `pods "x" not found`.
api_error not_found(const error_target& t);

/// 409 `nodes "x" already exists`.
api_error already_exists(const error_target& t);

/// 409 `Operation cannot be fulfilled on <q> "<name>": <detail>`.
api_error conflict(const error_target& t, std::string_view detail);

/// 409 with the optimistic-concurrency message ("the object has been
/// modified; please apply your changes to the latest version and try
/// again").
api_error conflict_modified(const error_target& t);

/// 422 `<q> "<name>" is invalid: <errors>` with causes.
api_error invalid(const error_target& t, const std::vector<field_error>& errs);

/// 403 from an authorizer: `... is forbidden: User "<u>" cannot <verb>
/// resource ...[: <reason>]`.
api_error forbidden_user(const error_target& t, std::string_view user,
                         std::string_view verb, std::string_view resource,
                         std::string_view namespace_name,
                         std::string_view reason);

/// 403 for a non-resource path: `forbidden: User "<u>" cannot get path
/// "<path>"`.
api_error forbidden_path(std::string_view user, std::string_view verb,
                         std::string_view path);

/// 403 from admission: `<q> "<name>" is forbidden: <detail>`.
api_error forbidden(const error_target& t, std::string_view detail);

/// 400 BadRequest with `message` and no details.
api_error bad_request(std::string_view message);

/// 401 Unauthorized.
api_error unauthorized();

/// 405 MethodNotAllowed.
api_error method_not_allowed(const error_target& t, std::string_view method);

/// 406 NotAcceptable.
api_error not_acceptable(std::string_view accepted);

/// 410 Expired with `message` and no details.
api_error expired(std::string_view message);

/// 415 UnsupportedMediaType.
api_error unsupported_media_type(std::string_view content_type);

/// 429 TooManyRequests with Retry-After.
api_error too_many_requests(int retry_after_seconds = 1);

/// 500 InternalError.
api_error internal(std::string_view message);

/// 503 ServiceUnavailable.
api_error service_unavailable(std::string_view message);

/// 504 Timeout.
api_error timeout(std::string_view message, int retry_after_seconds = 0);

/// A generic Status for an injected failure with code `code`.
api_error for_code(int code, std::string_view message = {});

} // namespace errors

} // namespace cafelet::apiserver
