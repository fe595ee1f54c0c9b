#pragma once
/// @file
/// The memory trimmer: hands the heap's free pages back to the kernel
/// every `period` (glibc malloc_trim). A burst (a hundred pods starting,
/// a relist) leaves freed memory resident in malloc's arenas; on a node
/// that is otherwise idle it would stay there. Trimming a heap of a few
/// MiB takes well under a millisecond.
///
/// Receives: `tick_atom` from itself every `period`.
/// Sends: nothing.
/// Supervised by: the root supervisor (permanent).

#include <caf/event_based_actor.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

namespace cafelet::actors {

/// Counters of the trimmer (for /metrics).
struct memory_trim_stats {
  std::atomic<uint64_t> trims{0};
  /// Trims that gave memory back.
  std::atomic<uint64_t> released{0};
};

/// Behavior of the memory trimmer.
caf::behavior memory_trimmer(caf::event_based_actor* self, std::chrono::milliseconds period,
                             std::shared_ptr<memory_trim_stats> stats);

} // namespace cafelet::actors
