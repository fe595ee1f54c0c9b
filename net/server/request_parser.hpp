#pragma once
/// @file
/// Incremental HTTP/1.x request parser: bytes go in as they arrive, complete
/// requests come out one at a time (so pipelined requests stay queued).

#include "net/server/http_message.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace cafelet::net {

/// Size limits enforced while parsing.
struct parser_limits {
  /// Request line plus header fields (and chunked trailers), in bytes.
  size_t max_header_bytes = 64 * 1024;
  /// Decoded body, in bytes.
  size_t max_body_bytes = 16 * 1024 * 1024;
};

/// Parses one connection's request stream.
class request_parser {
public:
  /// Outcome of `next`.
  enum class state {
    /// More bytes are needed.
    incomplete,
    /// Headers asked for `Expect: 100-continue` and the body may be sent:
    /// the caller writes an interim 100 response and calls `next` again.
    expect_continue,
    /// A request was moved into the output argument.
    complete,
    /// The stream is malformed or over a limit; `error_status` says how to
    /// answer (400, 413, 414, 417, 431, 501, 505) before closing.
    error,
  };

  /// Creates a parser enforcing `limits`.
  explicit request_parser(parser_limits limits = {}) : limits_(limits) {
  }

  /// Appends received bytes.
  void feed(std::string_view bytes);

  /// Bytes received but not consumed yet.
  size_t buffered() const noexcept {
    return buf_.size() - pos_;
  }

  /// True if some bytes of an unfinished request were consumed or are
  /// buffered (i.e. the client is mid-request).
  bool mid_request() const noexcept {
    return phase_ != phase::start_line || buffered() > 0;
  }

  /// Tries to produce the next request into `out`.
  state next(server_request& out);

  /// Status code to answer with after `state::error`.
  int error_status() const noexcept {
    return error_status_;
  }

  /// Human-readable reason after `state::error`.
  const std::string& error_reason() const noexcept {
    return error_reason_;
  }

private:
  enum class phase {
    start_line,
    headers,
    body_length,
    chunk_size,
    chunk_data,
    chunk_data_end,
    trailers,
    failed,
  };

  bool next_line(std::string_view& line);
  state fail(int status, std::string reason);
  state on_request_line(std::string_view line);
  state on_header_line(std::string_view line, bool trailer);
  state on_headers_done();
  state on_chunk_size(std::string_view line);
  state finish(server_request& out);

  parser_limits limits_;
  std::string buf_;
  size_t pos_ = 0;
  phase phase_ = phase::start_line;
  server_request req_;
  size_t head_bytes_ = 0;
  size_t remaining_ = 0;
  bool continue_pending_ = false;
  int error_status_ = 0;
  std::string error_reason_;
};

} // namespace cafelet::net
