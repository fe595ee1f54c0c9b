#pragma once
/// @file
/// Client-side rate limiting as client-go's token bucket (qps, burst): the
/// bucket holds up to `burst` tokens and refills at `qps` tokens per second.
/// It never sleeps: callers ask how long to wait and schedule themselves
/// (an actor uses `delayed_send`). Not thread-safe: one owner.

#include <chrono>
#include <functional>

namespace cafelet::net {

/// A token bucket with an injectable clock.
class token_bucket {
public:
  /// The clock type.
  using clock_type = std::chrono::steady_clock;
  /// A point in time.
  using time_point = clock_type::time_point;
  /// A delay.
  using duration = std::chrono::nanoseconds;
  /// Returns the current time; tests pass a fake one.
  using clock_fn = std::function<time_point()>;

  /// Creates a full bucket. `qps` <= 0 disables limiting; `burst` < 1 is
  /// treated as 1. An empty `clock` means steady_clock::now.
  token_bucket(double qps, int burst, clock_fn clock = {});

  /// Takes a token if one is available now; never borrows.
  bool try_take();

  /// Takes a token, borrowing from the future if needed, and returns how
  /// long the caller must wait before using it (zero: go now). Successive
  /// reservations queue up: with qps 5 and an empty bucket they return
  /// 200 ms, 400 ms, ...
  duration reserve();

  /// How long until a token would be available, without taking one.
  duration delay() const;

  /// Tokens available now (negative while reservations are outstanding).
  double tokens() const;

  /// Configured refill rate.
  double qps() const noexcept {
    return qps_;
  }

  /// Configured capacity.
  int burst() const noexcept {
    return burst_;
  }

private:
  time_point now() const;
  double tokens_at(time_point t) const;
  void advance(time_point t);
  duration wait_for(double deficit) const;

  double qps_;
  int burst_;
  clock_fn clock_;
  double tokens_;
  time_point last_;
};

} // namespace cafelet::net
