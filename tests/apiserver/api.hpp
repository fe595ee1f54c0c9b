#pragma once
/// @file
/// The transport-independent request/response model of the test API
/// server: what a request carries (including the authenticated user), what
/// a response is, and the channel a handler answers through (once, or as a
/// stream of watch events).

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cafelet::apiserver {

/// One HTTP header field.
struct header {
  /// Field name, e.g. "Content-Type".
  std::string name;
  /// Field value.
  std::string value;
};

/// An authenticated user as the API server sees it.
struct user_info {
  /// User name, e.g. "system:node:edge-1" or "system:anonymous".
  std::string name;
  /// Groups, e.g. {"system:nodes", "system:authenticated"}.
  std::vector<std::string> groups;

  /// True if the user belongs to `group`.
  bool in_group(std::string_view group) const;

  /// The node name if this is a node identity (user "system:node:<name>"
  /// in group "system:nodes"), else an empty string.
  std::string node_name() const;

  /// The anonymous user (no client certificate).
  static user_info anonymous();

  /// The user of a verified client certificate: CN is the name, each O a
  /// group, plus "system:authenticated".
  static user_info from_certificate(std::string common_name,
                                    std::vector<std::string> organizations);
};

/// A request as handed to the API server core.
struct request {
  /// Method, e.g. "GET".
  std::string method;
  /// Decoded path, e.g. "/api/v1/namespaces/default/pods".
  std::string path;
  /// Decoded query parameters in order.
  std::vector<std::pair<std::string, std::string>> query;
  /// Header fields.
  std::vector<header> headers;
  /// Body bytes.
  std::string body;
  /// The authenticated user; nullopt if the client presented credentials
  /// that failed authentication (answered with 401).
  std::optional<user_info> user = user_info::anonymous();

  /// The first value of query parameter `key`, if present.
  std::optional<std::string_view> param(std::string_view key) const;

  /// The first header called `name` (any case), if present.
  std::optional<std::string_view> header_value(std::string_view name) const;
};

/// A complete response.
struct response {
  /// Status code.
  int status = 200;
  /// Content-Type of the body.
  std::string content_type = "application/json";
  /// Body bytes.
  std::string body;
  /// Further header fields (Warning, Retry-After, ...).
  std::vector<header> headers;
};

/// The body of a streaming response (watch). All members are safe to call
/// from any thread.
class stream_sink {
public:
  virtual ~stream_sink() = default;

  /// Sends one chunk; false if the stream has ended.
  virtual bool write(std::string chunk) = 0;

  /// Ends the stream gracefully (terminating chunk).
  virtual void close() = 0;

  /// Cuts the connection without ending the stream properly.
  virtual void abort() = 0;

  /// True once the stream ended (closed, aborted or client gone).
  virtual bool ended() const = 0;

  /// Calls `fn` once when the stream ends for any reason (at once if it
  /// already ended).
  virtual void on_end(std::function<void()> fn) = 0;
};

/// How a handler answers one request: `respond` or `stream`, once.
/// Implementations are safe to call from any thread.
class reply_channel {
public:
  virtual ~reply_channel() = default;

  /// Sends a complete response.
  virtual void respond(response res) = 0;

  /// Sends status and headers and returns the stream for the body.
  virtual std::shared_ptr<stream_sink> stream(int status,
                                              std::vector<header> headers)
    = 0;

  /// Drops the request without any answer (the connection is closed).
  virtual void drop() = 0;
};

/// Shared handle to a reply channel.
using reply_ptr = std::shared_ptr<reply_channel>;

} // namespace cafelet::apiserver
