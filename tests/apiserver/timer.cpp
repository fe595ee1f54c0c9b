#include "tests/apiserver/timer.hpp"

namespace cafelet::apiserver {

timer_thread::timer_thread() : thread_([this] { run(); }) {
  // nop
}

timer_thread::~timer_thread() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

timer_thread::timer_id
timer_thread::schedule_after(clock::duration delay, std::function<void()> fn) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto id = next_id_++;
  auto at = clock::now() + delay;
  queue_.emplace(std::make_pair(at, id), std::move(fn));
  due_.emplace(id, at);
  cv_.notify_all();
  return id;
}

void timer_thread::cancel(timer_id id) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (auto i = due_.find(id); i != due_.end()) {
    queue_.erase(std::make_pair(i->second, id));
    due_.erase(i);
  }
}

void timer_thread::run() {
  std::unique_lock<std::mutex> guard{mtx_};
  while (!stop_) {
    if (queue_.empty()) {
      cv_.wait(guard);
      continue;
    }
    auto first = queue_.begin();
    // Copy the due time: the entry may be cancelled while we wait.
    auto due = first->first.first;
    if (due > clock::now()) {
      cv_.wait_until(guard, due);
      continue;
    }
    auto fn = std::move(first->second);
    due_.erase(first->first.second);
    queue_.erase(first);
    guard.unlock();
    fn();
    guard.lock();
  }
}

} // namespace cafelet::apiserver
