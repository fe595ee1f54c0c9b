#pragma once
/// @file
/// Internal to the encoders: scoped writers that append compact JSON
/// objects and arrays to a string (closing brackets on destruction).

#include "messages/json/json.hpp"
#include "messages/k8s/meta.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace cafelet::k8s::detail {

/// Writes one JSON object; the closing brace is written on destruction.
class object_writer {
public:
  /// Opens an object at the end of `out`.
  explicit object_writer(std::string& out) : out_(out) {
    out_ += '{';
  }

  object_writer(const object_writer&) = delete;

  object_writer& operator=(const object_writer&) = delete;

  ~object_writer() {
    out_ += '}';
  }

  /// Writes the (separator and) key; the caller appends the value.
  std::string& key(std::string_view k) {
    if (!first_)
      out_ += ',';
    first_ = false;
    json::append_quoted(out_, k);
    out_ += ':';
    return out_;
  }

  /// Writes a string member.
  void str(std::string_view k, std::string_view v) {
    json::append_quoted(key(k), v);
  }

  /// Writes a string member unless `v` is empty.
  void str_if(std::string_view k, std::string_view v) {
    if (!v.empty())
      str(k, v);
  }

  /// Writes a string member, null if `v` is empty.
  void str_or_null(std::string_view k, std::string_view v) {
    if (v.empty())
      null(k);
    else
      str(k, v);
  }

  /// Writes an integer member.
  void integer(std::string_view k, int64_t v) {
    json::append_int(key(k), v);
  }

  /// Writes a boolean member.
  void boolean(std::string_view k, bool v) {
    key(k) += v ? "true" : "false";
  }

  /// Writes a null member.
  void null(std::string_view k) {
    key(k) += "null";
  }

  /// Writes a Time member (null if absent).
  void time(std::string_view k, const opt_time& t) {
    if (t)
      append_quoted_time(key(k), *t, false);
    else
      null(k);
  }

  /// Writes a Time member unless absent.
  void time_if(std::string_view k, const opt_time& t) {
    if (t)
      append_quoted_time(key(k), *t, false);
  }

  /// Writes a MicroTime member (null if absent).
  void micro_time(std::string_view k, const opt_time& t) {
    if (t)
      append_quoted_time(key(k), *t, true);
    else
      null(k);
  }

  /// Writes a string map member as an object.
  void map(std::string_view k, const string_map& xs) {
    object_writer o{key(k)};
    for (const auto& [name, value] : xs)
      o.str(name, value);
  }

  /// Writes a resource list member as an object of quantity strings.
  void resources(std::string_view k, const resource_list& xs) {
    object_writer o{key(k)};
    for (const auto& [name, value] : xs)
      o.str(name, value);
  }

private:
  static void append_quoted_time(std::string& out, timestamp t, bool micro) {
    out += '"';
    if (micro)
      append_micro_time(out, t);
    else
      append_time(out, t);
    out += '"';
  }

  std::string& out_;
  bool first_ = true;
};

/// Writes one JSON array; the closing bracket is written on destruction.
class array_writer {
public:
  /// Opens an array at the end of `out`.
  explicit array_writer(std::string& out) : out_(out) {
    out_ += '[';
  }

  array_writer(const array_writer&) = delete;

  array_writer& operator=(const array_writer&) = delete;

  ~array_writer() {
    out_ += ']';
  }

  /// Writes the separator; the caller appends the element.
  std::string& next() {
    if (!first_)
      out_ += ',';
    first_ = false;
    return out_;
  }

  /// Appends a string element.
  void str(std::string_view v) {
    json::append_quoted(next(), v);
  }

private:
  std::string& out_;
  bool first_ = true;
};

/// Returns the text of one JSON object written by `f(object_writer&)`,
/// reserving `capacity` bytes first.
template <class F>
std::string build(size_t capacity, F&& f) {
  std::string out;
  out.reserve(capacity);
  {
    object_writer o{out};
    f(o);
  }
  return out;
}

} // namespace cafelet::k8s::detail
