#pragma once
/// @file
/// cafelet's error codes: one enum for every failure that crosses an actor
/// boundary, wrapped in a `caf::error` of category `cafelet`. Each code is
/// classified as retryable (back off and try again) or not (report and stop).

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace cafelet {

/// Error codes carried by `caf::error` values of category `cafelet`.
enum class errc : uint8_t {
  none = 0,
  /// A configuration file or value is malformed (not retryable).
  invalid_config,
  /// A command-line flag is malformed or unknown (not retryable).
  invalid_flag,
  /// A file could not be read or written (retryable: it may appear).
  io_error,
  /// A supervisor exhausted its restart budget and escalates.
  restart_budget_exhausted,
  /// A supervised child failed (the context names it).
  child_failed,
  /// A component needed by the node is not ready yet (retryable).
  not_ready,
  /// An operation ran out of time (retryable).
  timeout,
  /// A network connection failed or was refused (retryable).
  connection_failed,
  /// The peer sent a body that cannot be decoded (not retryable as is).
  bad_response,
  /// The object does not exist (404).
  not_found,
  /// Optimistic-concurrency conflict or already exists (409): re-read, retry.
  conflict,
  /// The requested resourceVersion is too old (410): relist.
  gone,
  /// Authenticated but not allowed (403).
  forbidden,
  /// Not authenticated (401).
  unauthorized,
  /// The object failed validation (422) or the request was malformed (400).
  invalid,
  /// The server asked us to slow down (429): honour Retry-After.
  too_many_requests,
  /// The server failed (5xx): retry with backoff.
  server_error,
  /// The container runtime failed a call.
  runtime_error,
  /// A broken internal invariant: fail loudly.
  internal,
};

/// The category atom used for all cafelet errors.
inline constexpr std::string_view error_category_name = "cafelet";

/// Returns the symbolic name of `x`, e.g. "invalid_config".
std::string to_string(errc x);

/// Creates a `caf::error` with code `x` and a human-readable context.
caf::error make_error(errc x, std::string context = {});

/// True if `err` is a cafelet error with code `x`.
bool is(const caf::error& err, errc x);

/// Extracts the cafelet code of `err`, or `errc::internal` for foreign errors.
errc code_of(const caf::error& err);

/// Returns the context string attached by `make_error` (empty if none).
std::string context_of(const caf::error& err);

/// Renders any `caf::error` without needing an actor system:
/// "cafelet.invalid_config: config.yaml:3: field syncFrequency: ...".
std::string describe(const caf::error& err);

/// True if an operation that failed with `x` may succeed when retried later.
bool is_retryable(errc x);

/// True if an operation that failed with `err` may succeed when retried later.
bool is_retryable(const caf::error& err);

} // namespace cafelet
