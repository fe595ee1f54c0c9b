#pragma once
/// @file
/// One thread that runs blocking file-system work (volume set-up and
/// tear-down) in submission order, so that actors never block. Tasks
/// deliver their results themselves (through `async_ops` completions).

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace cafelet::actors::volumes {

/// A single worker thread with a FIFO of tasks. Thread-safe.
class io_thread {
public:
  /// Starts the thread, named `name` (at most 15 characters).
  explicit io_thread(std::string name = "volume-io");

  /// Runs the tasks still queued, then joins the thread.
  ~io_thread();

  io_thread(const io_thread&) = delete;
  io_thread& operator=(const io_thread&) = delete;

  /// Queues `task`; it runs on the thread, after every earlier one.
  void post(std::function<void()> task);

  /// Tasks queued or running.
  size_t pending() const;

private:
  void run();

  mutable std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  size_t running_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace cafelet::actors::volumes
