#pragma once
/// @file
/// Maps what came back from the API server to cafelet error codes:
///
///   400, 422 -> invalid            401 -> unauthorized   403 -> forbidden
///   404 -> not_found               409 -> conflict       410 -> gone
///   429 -> too_many_requests       408, 504 -> timeout   5xx -> server_error
///   other 4xx -> invalid           1xx, 3xx, others -> bad_response
///
/// The context keeps the server's own words: the Status message when the
/// body is a metav1.Status, else a truncated excerpt of the body (an HTML
/// page from a proxy, say). A 2xx answer whose body is an HTML page is a
/// bad_response: something other than the API server answered.
///
/// Transport failures (libcurl codes) map to connection_failed, timeout,
/// bad_response, unauthorized (our client certificate was refused) or
/// invalid_config, with a plain-words explanation of TLS verification
/// failures (unknown authority, expired, name mismatch).

#include "net/client/api_status.hpp"

#include <caf/error.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace cafelet::net {

/// Result of classifying an HTTP response.
struct classification {
  /// None for a 2xx response.
  caf::error error;
  /// Retry-After header, else the Status' details.retryAfterSeconds.
  std::optional<std::chrono::seconds> retry_after;
  /// The decoded Status body of an error response, if it was one.
  std::optional<api_status> status;
};

/// Parses a Retry-After header value given in delta-seconds; nullopt for
/// anything else (HTTP dates are not used by the API server).
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value);

/// Classifies a finished HTTP exchange from its status code, Content-Type
/// and Retry-After headers (empty if absent) and its body. The error
/// context reads e.g. `409 Conflict: Operation cannot be fulfilled on ...`.
classification classify_response(long status, std::string_view content_type,
                                 std::string_view retry_after_header,
                                 std::string_view body);

/// Classifies a libcurl failure `curl_code` (a CURLcode). `ssl_verify_result`
/// is CURLINFO_SSL_VERIFYRESULT (an X509_V_ERR code), `detail` libcurl's
/// error buffer, `target` the URL or host we tried to reach.
caf::error classify_transport(int curl_code, long ssl_verify_result,
                              std::string_view detail, std::string_view target);

/// The standard reason phrase of `status`, e.g. "Not Found"; empty if
/// unknown.
std::string_view reason_phrase(long status);

/// Renders at most `max` bytes of `body` on one line, non-printable bytes
/// escaped, with "..." when truncated.
std::string excerpt(std::string_view body, size_t max = 160);

} // namespace cafelet::net
