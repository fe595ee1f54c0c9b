#pragma once
/// @file
/// Watch stream events: one JSON object per line,
/// `{"type":"ADDED","object":{...}}`.

#include "messages/k8s/status.hpp"

#include <cstdint>
#include <memory>
#include <string_view>

namespace cafelet::k8s {

/// The `type` of a watch event.
enum class watch_event_type : uint8_t {
  /// Object created (or present when the watch started).
  added,
  /// Object changed.
  modified,
  /// Object deleted; `object` is its last state.
  deleted,
  /// Progress marker: only `object.metadata.resourceVersion` is meaningful.
  bookmark,
  /// Watch failed; `error` holds the Status (e.g. 410 Expired).
  error,
};

/// Returns "ADDED", "MODIFIED", "DELETED", "BOOKMARK" or "ERROR".
std::string_view to_string(watch_event_type x);

/// One decoded watch event.
template <class T>
struct watch_event {
  /// What happened.
  watch_event_type type = watch_event_type::added;
  /// The object (null for ERROR events).
  std::shared_ptr<const T> object;
  /// The Status of an ERROR event (null otherwise).
  status_ptr error;
};

} // namespace cafelet::k8s
