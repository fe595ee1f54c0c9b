#pragma once
/// @file
/// Plain request/response types of the API-server client. No libcurl or
/// actor types here, so they can travel in messages.

#include "net/client/api_status.hpp"

#include <caf/error.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cafelet::net {

/// HTTP methods the API server uses.
enum class http_method : uint8_t { get, head, post, put, patch, del };

/// Returns the method token, e.g. "PATCH".
std::string_view to_string(http_method x);

/// One header; names of received headers are lower-cased.
struct http_header {
  /// Header name.
  std::string name;
  /// Header value without surrounding whitespace.
  std::string value;
};

/// One request to the API server.
struct http_request {
  /// Method.
  http_method method = http_method::get;
  /// Path and query appended to `rest_config::server`, starting with '/',
  /// e.g. "/api/v1/nodes/edge-1" or "/api/v1/pods?watch=true&...".
  std::string path;
  /// Request body (POST/PUT/PATCH, DELETE options).
  std::string body;
  /// Content-Type of `body`; defaults to "application/json" when a body is
  /// present. Patches set e.g. "application/strategic-merge-patch+json".
  std::string content_type;
  /// Accept header.
  std::string accept = "application/json";
  /// Extra headers.
  std::vector<http_header> headers;
  /// Total time limit; unset: the client's default (none for streams).
  std::optional<std::chrono::milliseconds> timeout;
  /// Abort when fewer than `client_options::low_speed_limit` bytes/s arrive
  /// for this long (dead-connection detection); zero disables. Unset: the
  /// client's default for the kind of call.
  std::optional<std::chrono::seconds> idle_timeout;
};

/// What the server answered.
struct http_response {
  /// HTTP status code; 0 when no response arrived.
  long status = 0;
  /// Body (for streams with a 2xx status: empty, the data went to on_data).
  std::string body;
  /// Response headers with lower-cased names, in arrival order.
  std::vector<http_header> headers;
  /// Delay the server asked for (Retry-After header, else the Status body's
  /// details.retryAfterSeconds).
  std::optional<std::chrono::seconds> retry_after;
  /// 1 for HTTP/1.x, 2 for HTTP/2; 0 if unknown.
  int http_version = 0;
  /// True if the request ran over an already open (kept-alive) connection.
  bool connection_reused = false;

  /// Value of the first header called `name` (case-insensitive); empty if
  /// absent.
  std::string_view header(std::string_view name) const;
};

/// Final outcome of a request or stream, delivered exactly once.
struct http_result {
  /// None on a 2xx response; else the classified transport or HTTP error,
  /// whose context reads "<METHOD> <path>: <what happened>".
  caf::error error;
  /// The response, as far as it arrived.
  http_response response;
  /// The decoded metav1.Status of an error response, if it sent one (e.g.
  /// to tell reason AlreadyExists from Conflict, both 409).
  std::optional<api_status> status;
  /// True if the call ended because the caller cancelled it or the client
  /// shut down (then `error` says so, too).
  bool cancelled = false;

  /// True if the call succeeded with a 2xx status.
  bool ok() const noexcept {
    return !error;
  }
};

} // namespace cafelet::net
