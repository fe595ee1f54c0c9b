#pragma once
/// @file
/// Building blocks of the Prometheus text exposition format 0.0.4: name
/// validation, escaping and number rendering.

#include <string>
#include <string_view>

namespace cafelet::net::metrics {

/// Content-Type of a rendered registry.
inline constexpr std::string_view content_type
  = "text/plain; version=0.0.4; charset=utf-8";

/// True if `name` matches `[a-zA-Z_:][a-zA-Z0-9_:]*`.
bool valid_metric_name(std::string_view name) noexcept;

/// True if `name` matches `[a-zA-Z_][a-zA-Z0-9_]*` and does not start with
/// the reserved prefix "__".
bool valid_label_name(std::string_view name) noexcept;

/// Escapes a label value: backslash, double quote and newline.
std::string escape_label_value(std::string_view value);

/// Escapes a HELP text: backslash and newline.
std::string escape_help(std::string_view help);

/// Renders a sample value: integers without a fraction ("42"), others in
/// the shortest round-trip form ("0.25"), and "+Inf", "-Inf", "NaN".
std::string format_value(double value);

} // namespace cafelet::net::metrics
