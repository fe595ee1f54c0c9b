#pragma once
/// @file
/// Kubernetes durations: the text form of Go's `time.Duration`, as used by
/// every duration field of a KubeletConfiguration ("10s", "1m30s", "1.5h").

#include <caf/expected.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace cafelet::units {

/// Parses a duration exactly as Go's `time.ParseDuration` does: an optional
/// sign, then one or more decimal numbers (with optional fraction), each
/// followed by a unit out of `ns`, `us`, `µs`, `ms`, `s`, `m`, `h`. The bare
/// string "0" is accepted; an empty string, a number without a unit ("1") and
/// unknown units ("1d") are errors, as are values beyond the int64 range of
/// nanoseconds. Errors carry `errc::invalid_config` and quote the input.
caf::expected<std::chrono::nanoseconds> parse_duration(std::string_view text);

/// Formats `d` like Go's `Duration.String()`: "1h2m3.5s", "1m30s", "10s",
/// "1.5s", "300ms", "1.5µs", "10ns", "0s". Leading zero units are omitted,
/// the fraction of the smallest unit drops trailing zeros.
std::string format_duration(std::chrono::nanoseconds d);

} // namespace cafelet::units
