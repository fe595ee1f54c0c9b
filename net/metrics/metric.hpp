#pragma once
/// @file
/// Lock-free metric cells: counters, gauges and histograms. Every member
/// function is safe to call from any thread.

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace cafelet::net::metrics {

/// A monotonically increasing value.
class counter {
public:
  /// Adds `v`; negative or NaN values are ignored (counters never go down).
  void inc(double v = 1.0) noexcept {
    if (v > 0)
      value_.fetch_add(v, std::memory_order_relaxed);
  }

  /// The current value.
  double value() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

private:
  std::atomic<double> value_{0.0};
};

/// A value that goes up and down.
class gauge {
public:
  /// Sets the value.
  void set(double v) noexcept {
    value_.store(v, std::memory_order_relaxed);
  }

  /// Adds `v` (may be negative).
  void add(double v) noexcept {
    value_.fetch_add(v, std::memory_order_relaxed);
  }

  /// Adds 1.
  void inc() noexcept {
    add(1.0);
  }

  /// Subtracts 1.
  void dec() noexcept {
    add(-1.0);
  }

  /// The current value.
  double value() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

private:
  std::atomic<double> value_{0.0};
};

/// Counts observations into buckets with fixed upper bounds.
class histogram {
public:
  /// A consistent-enough reading for rendering.
  struct snapshot {
    /// Cumulative counts per bound, then the +Inf bucket (== count).
    std::vector<uint64_t> cumulative;
    /// Sum of all observations.
    double sum = 0;
    /// Number of observations.
    uint64_t count = 0;
  };

  /// Creates a histogram over `bounds` (sorted, strictly increasing,
  /// finite; the +Inf bucket is implicit).
  explicit histogram(std::shared_ptr<const std::vector<double>> bounds);

  /// Records one observation `v` (counted in every bucket with v <= le).
  void observe(double v) noexcept;

  /// Reads all buckets.
  snapshot collect() const;

  /// The upper bounds (without +Inf).
  const std::vector<double>& bounds() const noexcept {
    return *bounds_;
  }

private:
  std::shared_ptr<const std::vector<double>> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<double> sum_{0.0};
};

/// Prometheus' default buckets: .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10.
std::vector<double> default_buckets();

/// `count` bounds: start, start*factor, start*factor^2, ...
std::vector<double> exponential_buckets(double start, double factor,
                                        size_t count);

/// `count` bounds: start, start+width, start+2*width, ...
std::vector<double> linear_buckets(double start, double width, size_t count);

} // namespace cafelet::net::metrics
