#pragma once
/// @file
/// Structured, klog-like logging: one line per event, `key=value` fields.
///
///   ts=2026-11-22T04:35:00.123456Z level=info msg="restarted child" kind=lease
///
/// Errors and warnings always print; info lines carry a verbosity level and
/// print only when it is <= the `-v` setting (as klog's V(n)). Lines are
/// written with one write() each so concurrent threads never interleave.

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

namespace cafelet::log {

/// Severity of a log line.
enum class severity : uint8_t { error, warning, info };

/// One `key=value` pair of a log line.
struct field {
  std::string_view key;
  std::string value;
};

/// Builds a field from a string-like value.
inline field kv(std::string_view key, std::string_view value) {
  return field{key, std::string{value}};
}

/// Builds a field from a C string.
inline field kv(std::string_view key, const char* value) {
  return field{key, std::string{value ? value : ""}};
}

/// Builds a field from a bool ("true"/"false").
inline field kv(std::string_view key, bool value) {
  return field{key, value ? "true" : "false"};
}

/// Builds a field from an arithmetic value.
template <class T>
  requires std::is_arithmetic_v<T>
field kv(std::string_view key, T value) {
  return field{key, std::to_string(value)};
}

/// The klog-style pod identity fields: `pod="ns/name" podUID="uid"`.
inline field pod_field(std::string_view ns, std::string_view name) {
  std::string s{ns};
  s += '/';
  s += name;
  return field{"pod", std::move(s)};
}

/// A sink receives each complete line (without trailing newline).
using sink_fn = std::function<void(std::string_view line)>;

/// Sets the verbosity (`-v`); lines logged with a higher level are dropped.
void set_verbosity(int v);

/// Current verbosity.
int verbosity();

/// True if info lines at level `v` would be printed.
inline bool enabled(int v);

/// Replaces the sink (default: stderr). Pass nullptr to restore stderr.
void set_sink(sink_fn fn);

/// Formats one line; exposed for tests.
std::string format(severity sev, int v, std::string_view msg,
                   std::initializer_list<field> fields);

/// Writes one line at `sev` and verbosity `v` if enabled.
void write(severity sev, int v, std::string_view msg,
           std::initializer_list<field> fields);

/// Logs an error (always printed).
inline void error(std::string_view msg, std::initializer_list<field> f = {}) {
  write(severity::error, 0, msg, f);
}

/// Logs a warning (always printed).
inline void warning(std::string_view msg, std::initializer_list<field> f = {}) {
  write(severity::warning, 0, msg, f);
}

/// Logs an info line at verbosity `v` (klog's V(v).InfoS).
inline void info(int v, std::string_view msg,
                 std::initializer_list<field> f = {}) {
  write(severity::info, v, msg, f);
}

namespace detail {
extern std::atomic<int> verbosity_level;
} // namespace detail

inline bool enabled(int v) {
  return v <= detail::verbosity_level.load(std::memory_order_relaxed);
}

} // namespace cafelet::log
