#include "net/metrics/text_format.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace cafelet::net::metrics {

namespace {

bool is_alpha(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

} // namespace

bool valid_metric_name(std::string_view name) noexcept {
  if (name.empty() || is_digit(name.front()))
    return false;
  for (char c : name)
    if (!is_alpha(c) && !is_digit(c) && c != '_' && c != ':')
      return false;
  return true;
}

bool valid_label_name(std::string_view name) noexcept {
  if (name.empty() || is_digit(name.front()) || name.starts_with("__"))
    return false;
  for (char c : name)
    if (!is_alpha(c) && !is_digit(c) && c != '_')
      return false;
  return true;
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value))
    return "NaN";
  if (std::isinf(value))
    return value > 0 ? "+Inf" : "-Inf";
  if (value == 0)
    return "0";
  char buf[64];
  if (std::abs(value) < 1e15 && std::trunc(value) == value) {
    std::snprintf(buf, sizeof(buf), "%.0f", value);
    return buf;
  }
  auto res = std::to_chars(buf, buf + sizeof(buf), value);
  return std::string{buf, res.ptr};
}

} // namespace cafelet::net::metrics
