#pragma once
/// @file
/// Helpers shared by the simdjson-based decoders (the JSON DOM and the typed
/// Kubernetes objects). Include only from .cpp files: simdjson.h is large.

#include "messages/json/json.hpp"

#include <caf/error.hpp>

#include <simdjson.h>

#include <string>
#include <string_view>

namespace cafelet::json {

/// A per-thread ondemand parser plus the padded copy of the input it reads.
/// Not reentrant: a decoder must finish with one document before starting
/// the next on the same thread.
class ondemand_session {
public:
  /// Claims the thread's parser. Input copied in `iterate` lives until the
  /// session ends.
  ondemand_session();

  ondemand_session(const ondemand_session&) = delete;

  ondemand_session& operator=(const ondemand_session&) = delete;

  /// Releases oversized buffers so one huge body does not pin memory.
  ~ondemand_session();

  /// Starts iterating over a padded copy of `text`.
  simdjson::simdjson_result<simdjson::ondemand::document>
  iterate(std::string_view text);

  /// Start of the padded copy (for computing byte offsets).
  const char* base() const noexcept;

  /// The text given to `iterate` (original bytes, unpadded view of the copy).
  std::string_view text() const noexcept;

  /// Parser and buffer storage (defined in the implementation).
  struct state;

private:
  state* st_;
};

/// Human-readable reason for a simdjson error code.
std::string reason(simdjson::error_code err);

/// Byte offset of the iterator position in `doc` (relative to `base`), or
/// `npos` if the document is exhausted or the position is unknown.
size_t offset_of(simdjson::ondemand::document& doc, const char* base,
                 size_t size) noexcept;

/// Describes a syntax error `err` at `offset` (npos: unknown) in `text`:
/// "JSON: <reason> at byte N near \"...\" (input of M bytes)".
std::string syntax_message(simdjson::error_code err, std::string_view text,
                           size_t offset);

/// Builds `errc::bad_response` with `syntax_message`.
caf::error syntax_error(simdjson::error_code err, std::string_view text,
                        size_t offset);

/// Converts an ondemand value (and everything below it) to a DOM value.
/// `depth` is the nesting level of `v`; containers deeper than `max_depth`
/// fail. Returns SUCCESS or the first simdjson error (DEPTH_ERROR for depth).
simdjson::error_code to_value(simdjson::ondemand::value v, value& out,
                              size_t depth);

} // namespace cafelet::json
