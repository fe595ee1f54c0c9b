#pragma once
/// @file
/// A small JSON document model for code that needs to build, inspect or
/// compare arbitrary JSON (test servers, patches, opaque sub-objects).
/// Parsing is strict RFC 8259 and never throws; dumping is compact and
/// prints numbers so that they parse back to the same value.

#include <caf/expected.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace cafelet::json {

class value;

/// A JSON array.
using array = std::vector<value>;

/// A JSON object: members keep their insertion order, keys are unique.
using object = std::vector<std::pair<std::string, value>>;

/// Maximum nesting of arrays and objects accepted by `parse`.
inline constexpr size_t max_depth = 512;

/// One JSON value: null, boolean, integer (int64), number (double), string,
/// array or object. Accessors for the wrong kind never crash: const
/// accessors return a neutral value (false, 0, empty), mutable accessors
/// first replace the value with an empty one of the requested kind.
class value {
public:
  /// The kind of a value.
  enum class type { null, boolean, integer, number, string, array, object };

  /// Constructs null.
  value() noexcept = default;

  /// Constructs null.
  value(std::nullptr_t) noexcept {
    // nop
  }

  /// Constructs a boolean.
  value(bool x) noexcept : data_(x) {
    // nop
  }

  /// Constructs an integer.
  value(int x) noexcept : data_(int64_t{x}) {
    // nop
  }

  /// Constructs an integer.
  value(int64_t x) noexcept : data_(x) {
    // nop
  }

  /// Constructs an integer.
  value(uint32_t x) noexcept : data_(int64_t{x}) {
    // nop
  }

  /// Constructs an integer from any other integral type; unsigned values
  /// above INT64_MAX become doubles.
  template <class T>
    requires(std::integral<T> && !std::same_as<T, bool>
             && !std::same_as<T, int> && !std::same_as<T, int64_t>
             && !std::same_as<T, uint32_t>)
  value(T x) noexcept {
    if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(int64_t)) {
      if (x > static_cast<T>(INT64_MAX)) {
        data_ = static_cast<double>(x);
        return;
      }
    }
    data_ = static_cast<int64_t>(x);
  }

  /// Constructs a number.
  value(double x) noexcept : data_(x) {
    // nop
  }

  /// Constructs a string.
  value(std::string x) noexcept : data_(std::move(x)) {
    // nop
  }

  /// Constructs a string.
  value(std::string_view x) : data_(std::string{x}) {
    // nop
  }

  /// Constructs a string (null pointer: empty string).
  value(const char* x) : data_(std::string{x ? x : ""}) {
    // nop
  }

  /// Constructs an array.
  value(array x) noexcept : data_(std::move(x)) {
    // nop
  }

  /// Constructs an object. Later duplicates of a key are dropped.
  value(object x);

  /// Returns the kind of this value.
  type kind() const noexcept {
    return static_cast<type>(data_.index());
  }

  /// True if null.
  bool is_null() const noexcept {
    return kind() == type::null;
  }

  /// True if a boolean.
  bool is_bool() const noexcept {
    return kind() == type::boolean;
  }

  /// True if an integer.
  bool is_int() const noexcept {
    return kind() == type::integer;
  }

  /// True if an integer or a double.
  bool is_number() const noexcept {
    return kind() == type::integer || kind() == type::number;
  }

  /// True if a double (not an integer).
  bool is_double() const noexcept {
    return kind() == type::number;
  }

  /// True if a string.
  bool is_string() const noexcept {
    return kind() == type::string;
  }

  /// True if an array.
  bool is_array() const noexcept {
    return kind() == type::array;
  }

  /// True if an object.
  bool is_object() const noexcept {
    return kind() == type::object;
  }

  /// The boolean, or false.
  bool as_bool() const noexcept;

  /// The integer, a double truncated (saturated) to int64, or 0.
  int64_t as_int() const noexcept;

  /// The number (integers converted), or 0.0.
  double as_double() const noexcept;

  /// The string, or an empty string.
  const std::string& as_string() const noexcept;

  /// The string; a value of another kind becomes an empty string first.
  std::string& as_string();

  /// The array, or an empty array.
  const array& as_array() const noexcept;

  /// The array; a value of another kind becomes an empty array first.
  array& as_array();

  /// The object, or an empty object.
  const object& as_object() const noexcept;

  /// The object; a value of another kind becomes an empty object first.
  object& as_object();

  /// The member `key`, or nullptr if absent or this is not an object.
  const value* find(std::string_view key) const noexcept;

  /// The member `key`, or nullptr if absent or this is not an object.
  value* find(std::string_view key) noexcept;

  /// Object access: a non-object becomes an empty object; a missing key is
  /// appended with a null value.
  value& operator[](std::string_view key);

  /// Removes member `key`; returns whether it existed.
  bool erase(std::string_view key);

  /// Follows `keys` through nested objects; nullptr if any step is missing.
  const value* find_path(std::initializer_list<std::string_view> keys) const
    noexcept;

  /// The string member `key`, or `fallback` if absent or not a string.
  std::string get_string(std::string_view key,
                         std::string_view fallback = {}) const;

  /// The integer member `key`, or `fallback` if absent or not an integer.
  int64_t get_int(std::string_view key, int64_t fallback = 0) const noexcept;

  /// The boolean member `key`, or `fallback` if absent or not a boolean.
  bool get_bool(std::string_view key, bool fallback = false) const noexcept;

  /// Appends `x` to an array; a non-array becomes an empty array first.
  value& push_back(value x);

  /// Number of elements of an array or members of an object, else 0.
  size_t size() const noexcept;

  /// Deep equality. Object equality ignores member order; an integer equals
  /// a double of the exact same value.
  friend bool operator==(const value& x, const value& y) noexcept;

private:
  using storage = std::variant<std::nullptr_t, bool, int64_t, double,
                               std::string, array, object>;

  storage data_;
};

/// Parses `text` as one JSON document (strict RFC 8259). Rejects invalid
/// UTF-8, trailing content and nesting deeper than `max_depth`. Integers that
/// fit int64 stay integers, other numbers become doubles. Errors are
/// `errc::bad_response` with a message naming the reason and byte offset.
caf::expected<value> parse(std::string_view text);

/// Renders `v` compactly, object members in insertion order.
std::string dump(const value& v);

/// Appends the compact rendering of `v` to `out`.
void dump_to(std::string& out, const value& v);

/// Appends `s` as a JSON string literal: escapes `"`, `\` and control
/// characters (short forms for \b \f \n \r \t, else \u00XX); valid UTF-8
/// passes through, each invalid byte becomes U+FFFD.
void append_quoted(std::string& out, std::string_view s);

/// Appends a JSON number for `x`: shortest round-trip form, always with a
/// fraction or exponent; NaN and infinities render as null.
void append_double(std::string& out, double x);

/// Appends a JSON integer.
void append_int(std::string& out, int64_t x);

/// Returns the byte offset of the first invalid UTF-8 sequence in `s`, or
/// `s.size()` if `s` is valid UTF-8.
size_t find_invalid_utf8(std::string_view s) noexcept;

/// Renders `v` for diagnostics; same as `dump`.
std::string to_string(const value& v);

/// Prints `dump(v)` (lets test frameworks show values).
std::ostream& operator<<(std::ostream& os, const value& v);

} // namespace cafelet::json
