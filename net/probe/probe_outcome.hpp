#pragma once
/// @file
/// The outcome of one probe attempt, as upstream's prober reports it:
/// success, success with a warning (e.g. an HTTP redirect to another host),
/// failure, or unknown (the probe could not be run). `output` is what an
/// `Unhealthy` event shows: the failure text or the command's output.

#include <cstdint>
#include <string>

namespace cafelet::net::probe {

/// Result of one probe attempt.
enum class probe_result : uint8_t { success, warning, failure, unknown };

/// Returns "success", "warning", "failure" or "unknown".
const char* to_string(probe_result x);

/// One probe attempt's outcome.
struct probe_outcome {
  probe_result result = probe_result::unknown;
  /// Failure text or command output (may be empty); capped by the prober.
  std::string output;
};

/// Largest `output` kept (upstream caps probe output at 10 KiB).
inline constexpr size_t max_probe_output = 10 * 1024;

} // namespace cafelet::net::probe
