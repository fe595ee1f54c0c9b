#pragma once
/// @file
/// gRPC status codes of CRI calls and their mapping to `cafelet::errc`.
///
/// A failed call becomes a `caf::error` whose code says what the caller can
/// do (retry, give up, treat as gone) and whose context is the text the real
/// kubelet shows in events and logs:
///
///   rpc error: code = Unknown desc = failed to reserve container name ...
///
/// `rpc_code_of` recovers the gRPC code from such an error, e.g. to tell an
/// unimplemented method (fall back) from a cancelled call (ignore).
/// No gRPC headers here: `rpc_code` mirrors `grpc::StatusCode`.

#include "messages/errors.hpp"

#include <caf/error.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace cafelet::cri {

/// The gRPC status codes (same values as `grpc::StatusCode`).
enum class rpc_code : int {
  ok = 0,
  cancelled = 1,
  unknown = 2,
  invalid_argument = 3,
  deadline_exceeded = 4,
  not_found = 5,
  already_exists = 6,
  permission_denied = 7,
  resource_exhausted = 8,
  failed_precondition = 9,
  aborted = 10,
  out_of_range = 11,
  unimplemented = 12,
  internal = 13,
  unavailable = 14,
  data_loss = 15,
  unauthenticated = 16,
};

/// The code's name as Go's gRPC prints it ("DeadlineExceeded", "Unknown");
/// "Code(<n>)" for values outside the enum.
std::string_view rpc_code_name(rpc_code code);

/// The cafelet error code a failed call maps to:
/// unavailable -> connection_failed (retryable), deadline_exceeded ->
/// timeout, not_found -> not_found, already_exists -> conflict,
/// invalid_argument -> invalid, unimplemented -> invalid (not retryable:
/// the runtime lacks the method; see `rpc_code_of`), everything else ->
/// runtime_error. `ok` maps to `errc::none`.
errc errc_of(rpc_code code);

/// Builds the error of a failed call: code from `errc_of`, context
/// "rpc error: code = <name> desc = <message>". Returns an empty error for
/// `rpc_code::ok`.
caf::error make_rpc_error(rpc_code code, std::string_view message);

/// Builds the error of a failed call from a raw gRPC status code value.
caf::error make_rpc_error(int grpc_code, std::string_view message);

/// The gRPC code carried by an error made with `make_rpc_error`; `ok` for an
/// empty error, `unknown` for errors that did not come from a CRI call.
rpc_code rpc_code_of(const caf::error& err);

/// The server's message (the `desc` part) of an error made with
/// `make_rpc_error`; the whole context for other errors.
std::string rpc_message_of(const caf::error& err);

/// True if the runtime does not implement the called method.
inline bool is_unimplemented(const caf::error& err) {
  return rpc_code_of(err) == rpc_code::unimplemented;
}

/// True if the call was cancelled (by its handle or by destroying the
/// client).
inline bool is_cancelled(const caf::error& err) {
  return rpc_code_of(err) == rpc_code::cancelled;
}

} // namespace cafelet::cri
