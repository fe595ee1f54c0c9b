#pragma once
/// @file
/// Small helpers of the test API server: timestamps in Kubernetes' formats,
/// uids, generated name suffixes and base64.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace cafelet::apiserver {

/// Wall-clock time as used in object metadata.
using wall_time = std::chrono::system_clock::time_point;

/// Formats `t` as RFC 3339 with second precision, e.g.
/// "2026-11-22T02:57:38Z" (metav1.Time).
std::string format_time(wall_time t);

/// Formats `t` as RFC 3339 with microseconds, e.g.
/// "2026-11-22T02:56:08.723759Z" (metav1.MicroTime).
std::string format_micro_time(wall_time t);

/// Parses an RFC 3339 timestamp ("Z" or numeric offset, optional fraction).
std::optional<wall_time> parse_time(std::string_view s);

/// A random version-4 UUID in lowercase text form.
std::string new_uid();

/// `n` random characters from the alphabet Kubernetes uses for generated
/// names ("bcdfghjklmnpqrstvwxz2456789").
std::string random_suffix(size_t n);

/// Standard base64 with padding.
std::string base64_encode(std::string_view in);

/// Decodes standard base64 (padding required as Go's StdEncoding does).
/// On error returns nullopt and stores the offset of the first bad byte.
std::optional<std::string> base64_decode(std::string_view in,
                                         size_t* bad_offset = nullptr);

/// URL-safe base64 without padding (continue tokens, JWT parts).
std::string base64url_encode(std::string_view in);

/// Decodes URL-safe base64 without padding.
std::optional<std::string> base64url_decode(std::string_view in);

/// Renders a duration the way kubectl's AGE column does ("5s", "3m12s",
/// "4h", "2d3h", ...).
std::string human_duration(std::chrono::seconds d);

} // namespace cafelet::apiserver
