#pragma once
/// @file
/// Kubernetes timestamps: `metav1.Time` is RFC 3339 with whole seconds
/// ("2026-11-22T04:35:00Z"), `metav1.MicroTime` has exactly six fractional
/// digits ("2026-11-22T04:35:00.123456Z"). The zero time is JSON null.

#include <caf/expected.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace cafelet::k8s {

/// A point in time: microseconds since the Unix epoch, UTC.
using timestamp = std::chrono::sys_time<std::chrono::microseconds>;

/// A timestamp that may be absent (null or missing in JSON).
using opt_time = std::optional<timestamp>;

/// Parses an RFC 3339 date-time ("2026-11-22T04:35:00Z",
/// "2026-11-22T04:35:00.123456789+02:00"); fractions beyond microseconds are
/// truncated. Fails with `errc::bad_response` naming the problem.
caf::expected<timestamp> parse_time(std::string_view text);

/// Appends `t` in `metav1.Time` form: whole seconds (truncated), UTC, "Z".
void append_time(std::string& out, timestamp t);

/// Appends `t` in `metav1.MicroTime` form: six fractional digits, UTC, "Z".
void append_micro_time(std::string& out, timestamp t);

/// Returns `t` in `metav1.Time` form.
std::string format_time(timestamp t);

/// Returns `t` in `metav1.MicroTime` form.
std::string format_micro_time(timestamp t);

/// The current wall-clock time with microsecond precision.
timestamp now() noexcept;

} // namespace cafelet::k8s
