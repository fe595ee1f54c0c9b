#pragma once
/// @file
/// Capped, jittered exponential backoff for retries (watch reconnects,
/// lease renewals). The n-th delay is drawn from
///   (d * (1 - jitter), d]   with d = min(cap, base * factor^n),
/// so it never exceeds `cap`. Deterministic for a given seed. Not
/// thread-safe: one owner.

#include <chrono>
#include <cstdint>
#include <random>

namespace cafelet::net {

/// Parameters of a backoff sequence.
struct backoff_policy {
  /// First delay (before jitter).
  std::chrono::milliseconds base{800};
  /// Largest delay.
  std::chrono::milliseconds cap{30000};
  /// Growth per attempt (>= 1).
  double factor = 2.0;
  /// Fraction of each delay that is randomized, in [0, 1].
  double jitter = 0.2;
};

/// Watch reconnects: 0.8 s doubling up to 30 s.
backoff_policy watch_reconnect_policy();

/// Lease renewal retries: 200 ms doubling up to 7 s.
backoff_policy lease_retry_policy();

/// Produces successive delays; `reset()` after a success.
class backoff {
public:
  /// Creates a backoff seeded from std::random_device.
  explicit backoff(backoff_policy policy);

  /// Creates a backoff with a fixed seed (reproducible sequences).
  backoff(backoff_policy policy, uint64_t seed);

  /// Returns the next delay and advances.
  std::chrono::milliseconds next();

  /// Starts over at `base` (call after a success).
  void reset() noexcept;

  /// Number of delays handed out since the last reset.
  uint32_t attempts() const noexcept {
    return attempts_;
  }

  /// The (sanitized) policy in use.
  const backoff_policy& policy() const noexcept {
    return policy_;
  }

private:
  backoff_policy policy_;
  std::mt19937_64 rng_;
  uint32_t attempts_ = 0;
};

} // namespace cafelet::net
