#include "actors/volumes/io_thread.hpp"

#include "messages/log.hpp"

#include <exception>

#include <pthread.h>

namespace cafelet::actors::volumes {

io_thread::io_thread(std::string name) {
  thread_ = std::thread{[this, name = std::move(name)] {
    pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
    run();
  }};
}

io_thread::~io_thread() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

void io_thread::post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
}

size_t io_thread::pending() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return queue_.size() + running_;
}

void io_thread::run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock{mtx_};
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty())
        return; // stopping, nothing left
      task = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    try {
      task();
    } catch (const std::exception& e) {
      // A broken invariant in a task must not take the node down silently.
      log::error("volume I/O task threw", {log::kv("what", e.what())});
    }
    std::lock_guard<std::mutex> guard{mtx_};
    --running_;
  }
}

} // namespace cafelet::actors::volumes
