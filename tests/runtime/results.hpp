#pragma once
/// @file
/// Collects the outcomes of CRI client callbacks (which run on gRPC
/// threads) and lets a test wait for them with a guard timeout.

#include "runtime/cri/client.hpp"

#include <caf/expected.hpp>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

namespace cafelet::test {

/// Outcomes of calls returning `T`, in completion order.
template <class T>
class results {
public:
  /// A callback recording into this collector; safe to outlive it.
  cri::callback<T> callback() {
    return [st = st_](caf::expected<T> r) {
      std::lock_guard<std::mutex> guard{st->mtx};
      st->items.push_back(std::move(r));
      st->cv.notify_all();
    };
  }

  /// Waits until at least `n` outcomes arrived; false after `guard`.
  bool wait(size_t n, std::chrono::milliseconds guard
                      = std::chrono::seconds{10}) {
    std::unique_lock<std::mutex> lock{st_->mtx};
    return st_->cv.wait_for(lock, guard,
                            [&] { return st_->items.size() >= n; });
  }

  /// Number of outcomes so far.
  size_t size() const {
    std::lock_guard<std::mutex> guard{st_->mtx};
    return st_->items.size();
  }

  /// The i-th outcome (call `wait` first).
  caf::expected<T> at(size_t i) const {
    std::lock_guard<std::mutex> guard{st_->mtx};
    return st_->items.at(i);
  }

private:
  struct state {
    mutable std::mutex mtx;
    std::condition_variable cv;
    std::vector<caf::expected<T>> items;
  };
  std::shared_ptr<state> st_ = std::make_shared<state>();
};

} // namespace cafelet::test
