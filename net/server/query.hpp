#pragma once
/// @file
/// Percent-decoding and query-string parsing for request targets.

#include <caf/expected.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cafelet::net {

/// Decodes `%XX` escapes in `in`. With `plus_as_space`, '+' becomes ' '
/// (form encoding, used in query strings; paths keep '+').
/// Fails with `errc::invalid` on a truncated or non-hex escape.
caf::expected<std::string> percent_decode(std::string_view in,
                                          bool plus_as_space = false);

/// Encodes every byte outside RFC 3986's unreserved set as `%XX`.
std::string percent_encode(std::string_view in);

/// One decoded `key=value` pair of a query string.
struct query_param {
  /// Decoded key.
  std::string key;
  /// Decoded value; empty for "key" and "key=".
  std::string value;
};

/// The decoded parameters of a query string, in order.
class query_params {
public:
  /// Parses `query` (without the leading '?'). Pairs are separated by '&';
  /// empty pairs are skipped. Fails with `errc::invalid` on bad escapes.
  static caf::expected<query_params> parse(std::string_view query);

  /// The first value of `key`, if present.
  std::optional<std::string_view> get(std::string_view key) const noexcept;

  /// All values of `key`, in order.
  std::vector<std::string_view> get_all(std::string_view key) const;

  /// True if `key` occurs at least once.
  bool has(std::string_view key) const noexcept {
    return get(key).has_value();
  }

  /// All pairs in order.
  const std::vector<query_param>& items() const noexcept {
    return items_;
  }

private:
  std::vector<query_param> items_;
};

} // namespace cafelet::net
