#pragma once
/// @file
/// A single background thread that runs callbacks at given times: watch
/// timeouts, bookmark ticks, injected latency and hang periods.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace cafelet::apiserver {

/// Runs callbacks on one thread, each at (or soon after) its due time.
/// Callbacks must not block for long; they may schedule and cancel others.
class timer_thread {
public:
  /// Identifies a scheduled callback for `cancel`.
  using timer_id = uint64_t;

  /// The clock used for due times.
  using clock = std::chrono::steady_clock;

  timer_thread();

  /// Stops the thread; pending callbacks are dropped without running.
  ~timer_thread();

  timer_thread(const timer_thread&) = delete;
  timer_thread& operator=(const timer_thread&) = delete;

  /// Runs `fn` once `delay` has passed. Returns an id for `cancel`.
  timer_id schedule_after(clock::duration delay, std::function<void()> fn);

  /// Drops a pending callback; no effect if it already ran or is running.
  void cancel(timer_id id);

private:
  void run();

  std::mutex mtx_;
  std::condition_variable cv_;
  /// Pending callbacks ordered by (due time, id).
  std::map<std::pair<clock::time_point, timer_id>, std::function<void()>>
    queue_;
  /// Due time of every pending id, for cancel.
  std::map<timer_id, clock::time_point> due_;
  timer_id next_id_ = 1;
  bool stop_ = false;
  std::thread thread_;
};

} // namespace cafelet::apiserver
