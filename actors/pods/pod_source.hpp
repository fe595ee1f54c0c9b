#pragma once
/// @file
/// The API pod source: the node's view of the pods bound to it, fed by the
/// pod watch stream. Later issues hand its updates to the pod workers; for
/// now it keeps the set, logs changes and answers queries.
///
/// Receives: `k8s::pod_watch_event` (ADDED/MODIFIED/DELETED/BOOKMARK) and
///   `watch_synced` from the pod watch; `caf::get_atom` -> `uint64_t` number
///   of known pods.
/// Sends: nothing yet.
/// Supervised by: the node supervisor (permanent). After a restart the
///   watch's next relist refills it; an ADDED for a known uid is an update.

#include "messages/api.hpp"
#include "messages/k8s/decode.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <unordered_map>

namespace cafelet::actors {

/// Counters of the pod source; outlive restarts.
struct pod_source_stats {
  /// Pods currently known.
  std::atomic<uint64_t> pods{0};
  /// Watch events received, all types.
  std::atomic<uint64_t> events{0};
  /// Completed (re)lists.
  std::atomic<uint64_t> syncs{0};
};

/// State of the pod source.
struct pod_source_state {
  /// Known pods by uid; the pointers are shared with the watch, not copies.
  std::unordered_map<std::string, k8s::pod_ptr> pods;
  std::shared_ptr<pod_source_stats> stats;
  static const char* name;
};

/// The pod source actor.
caf::behavior pod_source(caf::stateful_actor<pod_source_state>* self,
                         std::shared_ptr<pod_source_stats> stats);

} // namespace cafelet::actors
