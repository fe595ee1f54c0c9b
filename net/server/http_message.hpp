#pragma once
/// @file
/// HTTP/1.1 request and response values exchanged between the server and its
/// handlers, plus case-insensitive header helpers.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cafelet::net {

/// One header field as received or to be sent. Names keep their spelling;
/// lookups ignore case.
struct server_header {
  /// Field name, e.g. "Content-Type".
  std::string name;
  /// Field value without surrounding whitespace.
  std::string value;
};

/// Header fields in wire order (repeated names allowed).
using server_headers = std::vector<server_header>;

/// Compares two ASCII strings ignoring case.
bool iequals(std::string_view a, std::string_view b) noexcept;

/// Returns the value of the first field called `name` (any case), if any.
std::optional<std::string_view> find_header(const server_headers& hs,
                                            std::string_view name) noexcept;

/// True if a comma-separated field called `name` lists `token` (any case),
/// e.g. `has_header_token(hs, "Connection", "close")`.
bool has_header_token(const server_headers& hs, std::string_view name,
                      std::string_view token) noexcept;

/// Identity of a TLS client, taken from its certificate.
struct peer_identity {
  /// True if the client presented a certificate.
  bool presented = false;
  /// True if that certificate chained to the configured CA (and is valid now).
  bool verified = false;
  /// Subject CN of the verified certificate; empty when not verified.
  std::string common_name;
  /// All subject O values of the verified certificate, in order; empty when
  /// not verified.
  std::vector<std::string> organizations;
  /// Why verification failed (OpenSSL's text), empty when verified or absent.
  std::string verify_error;
};

/// A complete request as handed to a handler.
struct server_request {
  /// Method token, e.g. "GET" (case-sensitive as per RFC 9110).
  std::string method;
  /// Request target exactly as received, e.g. "/api/v1/pods?watch=1".
  std::string target;
  /// Path part of the target, still percent-encoded, e.g. "/api/v1/pods".
  std::string path;
  /// Query part of the target without '?', still encoded; empty if none.
  std::string query;
  /// Minor version: 1 for HTTP/1.1, 0 for HTTP/1.0.
  int version_minor = 1;
  /// Header fields in wire order (trailers of chunked bodies appended).
  server_headers headers;
  /// The body, de-chunked; empty if none.
  std::string body;
  /// Numeric address and port of the client, e.g. "127.0.0.1:53122".
  std::string remote_address;
  /// True if the request arrived over TLS.
  bool tls = false;
  /// Client certificate identity (TLS only).
  peer_identity peer;

  /// Returns the first header called `name` (any case), if present.
  std::optional<std::string_view> header(std::string_view name) const noexcept {
    return find_header(headers, name);
  }

  /// True if the connection may stay open after this request's response.
  bool keep_alive() const noexcept;
};

/// A complete response produced by a handler.
struct server_response {
  /// Status code, e.g. 200.
  int status = 200;
  /// Header fields. The server computes Content-Length and
  /// Transfer-Encoding itself and adds Date unless present.
  server_headers headers;
  /// The body; not sent for HEAD requests and 1xx/204/304 statuses.
  std::string body;

  /// Replaces all fields called `name` by one with `value`.
  server_response& set_header(std::string_view name, std::string_view value);

  /// Returns the first header called `name` (any case), if present.
  std::optional<std::string_view> header(std::string_view name) const noexcept {
    return find_header(headers, name);
  }

  /// A response with `body` and the given Content-Type.
  static server_response
  text(int status, std::string body,
       std::string_view content_type = "text/plain; charset=utf-8");
};

/// Standard reason phrase of `status`, e.g. "Not Found"; "Unknown" if none.
std::string_view reason_phrase(int status) noexcept;

/// The current time as an IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date_now();

} // namespace cafelet::net
