#pragma once
/// @file
/// Standard process metrics (read from /proc/self at scrape time) and the
/// `<prefix>_build_info` gauge.

#include "net/metrics/registry.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <string_view>

namespace cafelet::net::metrics {

/// One reading of the current process' resource usage.
struct process_stats {
  /// User plus system CPU time, in seconds.
  double cpu_seconds = 0;
  /// Resident set size, in bytes.
  double resident_bytes = 0;
  /// Virtual memory size, in bytes.
  double virtual_bytes = 0;
  /// Start time since the Unix epoch, in seconds.
  double start_time_seconds = 0;
  /// Number of open file descriptors.
  double open_fds = 0;
};

/// Reads /proc/self/stat, /proc/stat and /proc/self/fd. Fails with
/// `errc::io_error` if /proc is not readable or malformed.
caf::expected<process_stats> read_process_stats();

/// Registers process_cpu_seconds_total, process_resident_memory_bytes,
/// process_virtual_memory_bytes, process_start_time_seconds and
/// process_open_fds, computed at scrape time.
caf::error register_process_metrics(registry& reg);

/// Registers the gauge `<prefix>_build_info{version=...,git_commit=...} 1`.
caf::error register_build_info(registry& reg, std::string_view prefix,
                               std::string_view version,
                               std::string_view git_commit);

} // namespace cafelet::net::metrics
