#pragma once
/// @file
/// Handles through which a handler answers a request: `responder` for one
/// complete response (now or later) and `response_stream` for a chunked
/// response written piece by piece. Both are cheap to copy and every member
/// function is safe to call from any thread: calls are queued to the
/// server's loop thread, which wakes up through an eventfd.

#include "net/server/http_message.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace cafelet::net {

namespace detail {
struct exchange;
struct responder_token;
struct stream_token;
} // namespace detail

/// Why a response stream ended.
enum class stream_end {
  /// The writer called `close()`; the terminating chunk was queued.
  closed,
  /// The client closed the connection or it failed.
  peer_gone,
  /// `abort()` or `http_server::abort_streams()` cut the connection, or the
  /// client did not read fast enough (output buffer over its limit).
  aborted,
  /// The server stopped.
  server_stopped,
};

/// Returns "closed", "peer_gone", "aborted" or "server_stopped".
std::string_view to_string(stream_end x) noexcept;

/// Writes one chunked response. Copies share the stream; when the last copy
/// is destroyed before the stream ended, the stream is closed gracefully.
class response_stream {
public:
  /// An invalid handle (what `responder::start_stream` returns when the
  /// request was already answered).
  response_stream() = default;

  /// Queues `chunk` as one HTTP chunk (empty chunks are skipped). Returns
  /// false if the stream has ended (the data is dropped).
  bool write(std::string chunk) const;

  /// Ends the stream with the terminating zero-size chunk; the connection
  /// stays usable for further requests. Returns false if already ended.
  bool close() const;

  /// Ends the stream by closing the connection without the terminating
  /// chunk, so the client sees a truncated response.
  void abort() const;

  /// True once the stream ended for any reason (or the handle is invalid).
  bool ended() const noexcept;

  /// Bytes written but not yet handed to the kernel (queued plus buffered).
  size_t pending_bytes() const noexcept;

  /// Registers `fn`, called once when the stream ends, on the loop thread
  /// (or at once on the calling thread if it already ended). `fn` must not
  /// block; it must not capture this stream (use `ended()` instead).
  /// A later registration replaces an earlier one.
  void on_end(std::function<void(stream_end)> fn) const;

  /// True for a usable handle.
  explicit operator bool() const noexcept {
    return token_ != nullptr;
  }

private:
  friend class responder;

  explicit response_stream(std::shared_ptr<detail::stream_token> token)
    : token_(std::move(token)) {
  }

  std::shared_ptr<detail::stream_token> token_;
};

/// Answers one request exactly once: with `respond` or `start_stream`.
/// Copies share the answer; if the last copy is destroyed without an answer
/// the server sends 500, so a request can never hang forever.
class responder {
public:
  /// Creates a responder for an exchange (used by the server).
  explicit responder(std::shared_ptr<detail::exchange> ex);

  /// Sends `res`. Returns false if the request was already answered or the
  /// connection is gone.
  bool respond(server_response res) const;

  /// Shorthand for `respond(server_response::text(status, body))`.
  bool respond(int status, std::string body,
               std::string_view content_type
               = "text/plain; charset=utf-8") const {
    return respond(server_response::text(status, std::move(body), content_type));
  }

  /// Sends the status line and `headers`, then returns a stream for the
  /// body (chunked for HTTP/1.1 clients). Returns an invalid stream if the
  /// request was already answered.
  response_stream start_stream(int status, server_headers headers = {}) const;

  /// True if the request was answered (by respond or start_stream).
  bool answered() const noexcept;

  /// True if the client went away before the exchange finished.
  bool peer_gone() const noexcept;

private:
  std::shared_ptr<detail::responder_token> token_;
};

/// A request handler: runs on the server's loop thread, so it must not
/// block. It may answer at once or keep the responder and answer later from
/// any thread. Requests on one connection are handled one after another.
using request_handler = std::function<void(server_request, responder)>;

} // namespace cafelet::net
