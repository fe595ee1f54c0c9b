#pragma once
/// @file
/// Splits a watch response body into lines as it arrives. Chunk boundaries
/// may fall anywhere (inside a UTF-8 sequence, a JSON token or a "\r\n");
/// each complete line is handed to a callback without its '\n' (and
/// without a '\r' before it). Empty lines are skipped.
///
/// Only the incomplete tail of the last chunk is buffered, and every byte
/// is scanned once: a line that lies wholly inside one chunk is delivered
/// as a view into that chunk without copying. A line longer than
/// `max_line` bytes is dropped up to the next '\n' and counted in
/// `overlong()`; the stream continues with the following line.
///
///   net::line_splitter split;
///   split.feed(chunk, [&](std::string_view line) { decode(line); });

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace cafelet::net {

/// Incremental newline splitter for watch streams. Not thread-safe.
class line_splitter {
public:
  /// Default maximum line length: 64 MiB.
  static constexpr size_t default_max_line = size_t{64} << 20;

  /// Creates a splitter that drops lines longer than `max_line` bytes
  /// (a `max_line` of 0 is treated as 1).
  explicit line_splitter(size_t max_line = default_max_line) noexcept;

  /// Feeds the next piece of the body; calls `on_line(std::string_view)`
  /// for every line it completes, in order. The view is valid only during
  /// the call. `on_line` must not call `feed`; it may call `reset`, which
  /// drops the rest of `chunk`. Returns the number of lines delivered.
  template <class F>
  size_t feed(std::string_view chunk, F&& on_line) {
    using fn_type = std::remove_reference_t<F>;
    return feed_impl(
      chunk,
      [](void* ctx, std::string_view line) {
        (*static_cast<fn_type*>(ctx))(line);
      },
      const_cast<void*>(static_cast<const void*>(&on_line)));
  }

  /// Delivers a buffered final line that lacks its '\n' (for bodies that
  /// do not end with a newline) and empties the buffer. Returns the
  /// number of lines delivered (0 or 1).
  template <class F>
  size_t finish(F&& on_line) {
    using fn_type = std::remove_reference_t<F>;
    return finish_impl(
      [](void* ctx, std::string_view line) {
        (*static_cast<fn_type*>(ctx))(line);
      },
      const_cast<void*>(static_cast<const void*>(&on_line)));
  }

  /// Forgets buffered bytes and any line being skipped (a new stream
  /// starts). Counters are kept.
  void reset() noexcept;

  /// Bytes of an incomplete line held until its '\n' arrives.
  size_t buffered() const noexcept {
    return buf_.size();
  }

  /// True while the bytes of an overlong line are being skipped.
  bool skipping() const noexcept {
    return skipping_;
  }

  /// Lines delivered so far.
  uint64_t lines() const noexcept {
    return lines_;
  }

  /// Overlong lines dropped so far.
  uint64_t overlong() const noexcept {
    return overlong_;
  }

  /// The maximum line length in bytes.
  size_t max_line() const noexcept {
    return max_line_;
  }

private:
  using sink = void (*)(void*, std::string_view);

  size_t feed_impl(std::string_view chunk, sink fn, void* ctx);
  size_t finish_impl(sink fn, void* ctx);

  /// Hands `line` (without '\n') to `fn` unless it is empty after
  /// stripping a trailing '\r'; returns true if delivered.
  bool deliver(std::string_view line, sink fn, void* ctx);

  /// Empties the buffer, releasing its memory if it grew large.
  void clear_buffer() noexcept;

  std::string buf_;
  size_t max_line_;
  bool skipping_ = false;
  uint64_t epoch_ = 0;
  uint64_t lines_ = 0;
  uint64_t overlong_ = 0;
};

} // namespace cafelet::net
