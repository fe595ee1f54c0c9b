#include "net/watch/line_splitter.hpp"

#include <cstring>

namespace cafelet::net {

namespace {

/// Buffers above this capacity are released when emptied, so one huge line
/// does not pin memory for the rest of the stream.
constexpr size_t keep_capacity = size_t{1} << 20;

} // namespace

line_splitter::line_splitter(size_t max_line) noexcept
  : max_line_(max_line == 0 ? 1 : max_line) {
}

void line_splitter::reset() noexcept {
  clear_buffer();
  skipping_ = false;
  ++epoch_;
}

void line_splitter::clear_buffer() noexcept {
  if (buf_.capacity() > keep_capacity)
    std::string{}.swap(buf_);
  else
    buf_.clear();
}

bool line_splitter::deliver(std::string_view line, sink fn, void* ctx) {
  if (!line.empty() && line.back() == '\r')
    line.remove_suffix(1);
  if (line.empty())
    return false;
  ++lines_;
  fn(ctx, line);
  return true;
}

size_t line_splitter::feed_impl(std::string_view chunk, sink fn, void* ctx) {
  size_t delivered = 0;
  const auto epoch = epoch_;
  const char* pos = chunk.data();
  const char* end = chunk.data() + chunk.size();
  while (pos < end) {
    auto rest = static_cast<size_t>(end - pos);
    auto* nl = static_cast<const char*>(std::memchr(pos, '\n', rest));
    if (skipping_) {
      // Inside an overlong line: drop everything up to its '\n'.
      if (nl == nullptr)
        return delivered;
      skipping_ = false;
      pos = nl + 1;
      continue;
    }
    if (nl == nullptr) {
      // Incomplete tail: keep it, unless the line is already too long.
      if (buf_.size() + rest > max_line_) {
        ++overlong_;
        clear_buffer();
        skipping_ = true;
      } else {
        buf_.append(pos, rest);
      }
      return delivered;
    }
    auto len = static_cast<size_t>(nl - pos);
    if (buf_.size() + len > max_line_) {
      ++overlong_;
      clear_buffer();
    } else if (buf_.empty()) {
      // The whole line is inside this chunk: no copy.
      if (deliver({pos, len}, fn, ctx))
        ++delivered;
    } else {
      buf_.append(pos, len);
      if (deliver(buf_, fn, ctx))
        ++delivered;
      if (epoch != epoch_)
        return delivered;
      clear_buffer();
    }
    if (epoch != epoch_)
      return delivered; // on_line called reset(): drop the rest
    pos = nl + 1;
  }
  return delivered;
}

size_t line_splitter::finish_impl(sink fn, void* ctx) {
  if (skipping_) {
    skipping_ = false;
    return 0;
  }
  if (buf_.empty())
    return 0;
  std::string last;
  last.swap(buf_);
  return deliver(last, fn, ctx) ? 1 : 0;
}

} // namespace cafelet::net
