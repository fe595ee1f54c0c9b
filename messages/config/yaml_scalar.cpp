#include "messages/config/yaml_scalar.hpp"

#include "messages/errors.hpp"
#include "messages/units/duration.hpp"

#include <yaml-cpp/node/impl.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <string_view>

namespace cafelet::config::detail {

namespace {

constexpr std::string_view yaml_tag_prefix = "tag:yaml.org,2002:";

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
}

std::string_view strip_sign(std::string_view s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-'))
    s.remove_prefix(1);
  return s;
}

std::optional<bool> yaml_bool(std::string_view s) {
  static constexpr std::array<std::string_view, 11> yes
    = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
  static constexpr std::array<std::string_view, 11> no = {
    "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"};
  if (std::find(yes.begin(), yes.end(), s) != yes.end())
    return true;
  if (std::find(no.begin(), no.end(), s) != no.end())
    return false;
  return std::nullopt;
}

bool yaml_int(std::string_view s) {
  auto u = strip_sign(s);
  if (u.size() > 2 && u[0] == '0' && (u[1] == 'x' || u[1] == 'X'))
    return std::all_of(u.begin() + 2, u.end(), [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
             || (c >= 'A' && c <= 'F');
    });
  return is_digits(u);
}

bool yaml_float(std::string_view s) {
  auto u = strip_sign(s);
  if (u == ".inf" || u == ".Inf" || u == ".INF" || s == ".nan" || s == ".NaN"
      || s == ".NAN")
    return true;
  // (\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
  auto e = u.find_first_of("eE");
  auto mant = u.substr(0, e);
  auto dot = mant.find('.');
  bool mant_ok = dot == std::string_view::npos
                   ? is_digits(mant)
                   : (dot == 0 ? is_digits(mant.substr(1))
                               : is_digits(mant.substr(0, dot))
                                   && (dot + 1 == mant.size()
                                       || is_digits(mant.substr(dot + 1))));
  if (!mant_ok)
    return false;
  if (e == std::string_view::npos)
    return true;
  return is_digits(strip_sign(u.substr(e + 1)));
}

} // namespace

scalar_kind classify(const YAML::Node& node) {
  if (!node || node.IsNull())
    return scalar_kind::null;
  const auto& tag = node.Tag();
  if (tag.starts_with(yaml_tag_prefix)) {
    auto t = std::string_view{tag}.substr(yaml_tag_prefix.size());
    if (t == "bool")
      return scalar_kind::boolean;
    if (t == "int")
      return scalar_kind::integer;
    if (t == "float")
      return scalar_kind::floating;
    if (t == "null")
      return scalar_kind::null;
    return scalar_kind::string;
  }
  if (tag != "?")
    return scalar_kind::string; // quoted ("!") or an application tag
  const auto& s = node.Scalar();
  if (yaml_bool(s))
    return scalar_kind::boolean;
  if (yaml_int(s))
    return scalar_kind::integer;
  if (yaml_float(s))
    return scalar_kind::floating;
  return scalar_kind::string;
}

std::string node_kind(const YAML::Node& node) {
  if (!node || node.IsNull())
    return "null";
  if (node.IsMap())
    return "a mapping";
  if (node.IsSequence())
    return "a list";
  switch (classify(node)) {
    case scalar_kind::null: return "null";
    case scalar_kind::boolean: return "boolean " + node.Scalar();
    case scalar_kind::integer:
    case scalar_kind::floating: return "number " + node.Scalar();
    case scalar_kind::string: break;
  }
  return "string \"" + node.Scalar() + "\"";
}

scalar_result<std::string> scalar_string(const YAML::Node& node) {
  if (!node || node.IsNull())
    return std::optional<std::string>{};
  if (!node.IsScalar())
    return scalar_result<std::string>::failure("must be a string, got "
                                               + node_kind(node));
  return std::optional<std::string>{node.Scalar()};
}

scalar_result<bool> scalar_bool(const YAML::Node& node) {
  if (!node || node.IsNull())
    return std::optional<bool>{};
  if (node.IsScalar() && classify(node) == scalar_kind::boolean) {
    if (auto b = yaml_bool(node.Scalar()))
      return std::optional<bool>{*b};
  }
  return scalar_result<bool>::failure(
    "must be a boolean (true or false), got " + node_kind(node));
}

scalar_result<int64_t> scalar_int(const YAML::Node& node, int64_t min,
                                  int64_t max) {
  using result = scalar_result<int64_t>;
  if (!node || node.IsNull())
    return std::optional<int64_t>{};
  if (!node.IsScalar() || classify(node) != scalar_kind::integer)
    return result::failure("must be an integer, got " + node_kind(node));
  std::string_view s = node.Scalar();
  bool neg = !s.empty() && s[0] == '-';
  auto u = strip_sign(s);
  int base = 10;
  if (u.size() > 2 && u[0] == '0' && (u[1] == 'x' || u[1] == 'X')) {
    u.remove_prefix(2);
    base = 16;
  }
  uint64_t mag = 0;
  auto [ptr, ec] = std::from_chars(u.data(), u.data() + u.size(), mag, base);
  bool ok = ec == std::errc{} && ptr == u.data() + u.size();
  // Compare magnitudes in unsigned arithmetic to avoid overflow.
  auto limit = neg ? static_cast<uint64_t>(0) - static_cast<uint64_t>(min)
                   : static_cast<uint64_t>(max);
  if (neg && min >= 0)
    ok = ok && mag == 0;
  if (!ok || mag > limit)
    return result::failure("value " + std::string{s} + " is out of range ["
                           + std::to_string(min) + ", " + std::to_string(max)
                           + "]");
  auto v = neg ? static_cast<int64_t>(0 - mag) : static_cast<int64_t>(mag);
  return std::optional<int64_t>{v};
}

scalar_result<std::chrono::nanoseconds>
scalar_duration(const YAML::Node& node) {
  using result = scalar_result<std::chrono::nanoseconds>;
  if (!node || node.IsNull())
    return std::optional<std::chrono::nanoseconds>{};
  if (!node.IsScalar() || classify(node) != scalar_kind::string)
    return result::failure("must be a duration string such as \"10s\" or "
                           "\"1m30s\", got "
                           + node_kind(node));
  auto d = units::parse_duration(node.Scalar());
  if (!d)
    return result::failure(context_of(d.error()));
  return std::optional<std::chrono::nanoseconds>{*d};
}

} // namespace cafelet::config::detail
