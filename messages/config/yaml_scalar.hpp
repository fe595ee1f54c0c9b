#pragma once
/// @file
/// Typing YAML scalars the way the upstream decoder does (YAML 1.1 plain
/// scalars resolve to null, booleans, integers or floats; quoted scalars
/// are strings), so that "maxPods: ten" and "syncFrequency: 5" are rejected
/// as upstream rejects them. Internal to the configuration decoder.

#include <yaml-cpp/node/node.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace cafelet::config::detail {

/// The JSON type a YAML scalar resolves to.
enum class scalar_kind : uint8_t { null, boolean, integer, floating, string };

/// Resolves the type of a scalar or null node (quoted scalars are strings).
scalar_kind classify(const YAML::Node& node);

/// Describes a node for error messages: "a mapping", "a list", "null",
/// "boolean true", "number 5", "string \"ten\"".
std::string node_kind(const YAML::Node& node);

/// A decoded scalar: a value, nullopt for YAML null, or an error message.
template <class T>
class scalar_result {
public:
  /// A success: `value` is nullopt for null.
  scalar_result(std::optional<T> value) : value_(std::move(value)) {
    // nop
  }

  /// A failure with the reason `message`.
  static scalar_result failure(std::string message) {
    scalar_result r{std::nullopt};
    r.failed_ = true;
    r.error_ = std::move(message);
    return r;
  }

  /// True on success.
  explicit operator bool() const noexcept {
    return !failed_;
  }

  /// The value (nullopt for null); only meaningful on success.
  const std::optional<T>& operator*() const noexcept {
    return value_;
  }

  /// Member access to the optional value.
  const std::optional<T>* operator->() const noexcept {
    return &value_;
  }

  /// The failure reason.
  const std::string& error() const noexcept {
    return error_;
  }

private:
  std::optional<T> value_;
  bool failed_ = false;
  std::string error_;
};

/// Any scalar as its text (upstream converts numbers and booleans to
/// strings for string fields); rejects mappings and lists.
scalar_result<std::string> scalar_string(const YAML::Node& node);

/// A boolean (true/false and the YAML 1.1 spellings yes/no/on/off).
scalar_result<bool> scalar_bool(const YAML::Node& node);

/// An integer within [min, max]; rejects strings, floats and booleans.
scalar_result<int64_t> scalar_int(const YAML::Node& node, int64_t min,
                                  int64_t max);

/// A duration string such as "10s"; rejects numbers ("5") and booleans.
scalar_result<std::chrono::nanoseconds> scalar_duration(const YAML::Node& node);

} // namespace cafelet::config::detail
