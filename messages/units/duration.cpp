#include "messages/units/duration.hpp"

#include "messages/errors.hpp"

#include <array>
#include <cstdint>

namespace cafelet::units {

namespace {

/// 2^63: the magnitude limit while accumulating (the minimum int64 is legal).
constexpr uint64_t limit = uint64_t{1} << 63;

/// Quotes `s` for an error message, escaping control characters.
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      constexpr std::string_view hex = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

caf::error invalid(std::string_view orig, std::string_view why = {}) {
  std::string msg = "invalid duration " + quote(orig);
  if (!why.empty()) {
    msg += ": ";
    msg += why;
  }
  return make_error(errc::invalid_config, std::move(msg));
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

/// Nanoseconds per unit, or 0 for an unknown unit.
uint64_t unit_factor(std::string_view u) {
  if (u == "ns")
    return 1;
  // "us", then U+00B5 MICRO SIGN and U+03BC GREEK SMALL LETTER MU.
  if (u == "us" || u == "\xc2\xb5s" || u == "\xce\xbcs")
    return 1000;
  if (u == "ms")
    return 1000 * 1000;
  if (u == "s")
    return 1000 * 1000 * 1000;
  if (u == "m")
    return uint64_t{60} * 1000 * 1000 * 1000;
  if (u == "h")
    return uint64_t{3600} * 1000 * 1000 * 1000;
  return 0;
}

/// Appends the digits of `v` in front of `buf[0..w)`; returns the new start.
size_t put_int(std::array<char, 40>& buf, size_t w, uint64_t v) {
  if (v == 0) {
    buf[--w] = '0';
    return w;
  }
  while (v > 0) {
    buf[--w] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return w;
}

/// Writes the `prec` lowest decimal digits of `v` as a fraction (without
/// trailing zeros, without the dot if all are zero) and divides them off.
size_t put_frac(std::array<char, 40>& buf, size_t w, uint64_t& v, int prec) {
  bool print = false;
  for (int i = 0; i < prec; ++i) {
    auto digit = v % 10;
    print = print || digit != 0;
    if (print)
      buf[--w] = static_cast<char>('0' + digit);
    v /= 10;
  }
  if (print)
    buf[--w] = '.';
  return w;
}

} // namespace

caf::expected<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  auto orig = text;
  auto s = text;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0")
    return std::chrono::nanoseconds{0};
  if (s.empty())
    return invalid(orig, orig.empty() ? "empty string" : "no number");
  uint64_t total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || is_digit(s[0])))
      return invalid(orig, "expected a number");
    // Integer part.
    uint64_t v = 0;
    size_t i = 0;
    for (; i < s.size() && is_digit(s[i]); ++i) {
      if (v > limit / 10)
        return invalid(orig, "value out of range");
      v = v * 10 + static_cast<uint64_t>(s[i] - '0');
      if (v > limit)
        return invalid(orig, "value out of range");
    }
    bool pre = i > 0;
    s.remove_prefix(i);
    // Fraction part: digits beyond the precision of uint64 are ignored.
    uint64_t f = 0;
    double scale = 1.0;
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      bool overflow = false;
      size_t j = 0;
      for (; j < s.size() && is_digit(s[j]); ++j) {
        if (overflow)
          continue;
        if (f > (limit - 1) / 10) {
          overflow = true;
          continue;
        }
        auto y = f * 10 + static_cast<uint64_t>(s[j] - '0');
        if (y > limit) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = j > 0;
      s.remove_prefix(j);
    }
    if (!pre && !post)
      return invalid(orig, "a dot needs digits");
    // Unit: everything up to the next number.
    size_t k = 0;
    while (k < s.size() && s[k] != '.' && !is_digit(s[k]))
      ++k;
    if (k == 0)
      return make_error(errc::invalid_config,
                        "missing unit in duration " + quote(orig)
                          + " (valid units are ns, us, ms, s, m, h)");
    auto unit_name = s.substr(0, k);
    s.remove_prefix(k);
    auto unit = unit_factor(unit_name);
    if (unit == 0)
      return make_error(errc::invalid_config,
                        "unknown unit " + quote(unit_name) + " in duration "
                          + quote(orig)
                          + " (valid units are ns, us, ms, s, m, h)");
    if (v > limit / unit)
      return invalid(orig, "value out of range");
    v *= unit;
    if (f > 0) {
      // A double is exact enough here: the fraction of one hour stays below
      // 3.6e12 ns.
      v += static_cast<uint64_t>(static_cast<double>(f)
                                 * (static_cast<double>(unit) / scale));
      if (v > limit)
        return invalid(orig, "value out of range");
    }
    total += v;
    if (total > limit)
      return invalid(orig, "value out of range");
  }
  if (neg)
    return std::chrono::nanoseconds{static_cast<int64_t>(0 - total)};
  if (total > limit - 1)
    return invalid(orig, "value out of range");
  return std::chrono::nanoseconds{static_cast<int64_t>(total)};
}

std::string format_duration(std::chrono::nanoseconds d) {
  std::array<char, 40> buf{};
  size_t w = buf.size();
  auto count = d.count();
  bool neg = count < 0;
  // Two's complement negation in unsigned arithmetic handles INT64_MIN.
  uint64_t u = neg ? 0 - static_cast<uint64_t>(count)
                   : static_cast<uint64_t>(count);
  constexpr uint64_t second = 1000 * 1000 * 1000;
  if (u < second) {
    buf[--w] = 's';
    int prec = 0;
    if (u == 0) {
      return "0s";
    } else if (u < 1000) {
      buf[--w] = 'n';
    } else if (u < 1000 * 1000) {
      prec = 3;
      buf[--w] = '\xb5'; // U+00B5 MICRO SIGN in UTF-8: C2 B5
      buf[--w] = '\xc2';
    } else {
      prec = 6;
      buf[--w] = 'm';
    }
    w = put_frac(buf, w, u, prec);
    w = put_int(buf, w, u);
  } else {
    buf[--w] = 's';
    w = put_frac(buf, w, u, 9);
    w = put_int(buf, w, u % 60);
    u /= 60;
    if (u > 0) {
      buf[--w] = 'm';
      w = put_int(buf, w, u % 60);
      u /= 60;
      if (u > 0) {
        buf[--w] = 'h';
        w = put_int(buf, w, u);
      }
    }
  }
  if (neg)
    buf[--w] = '-';
  return std::string{buf.data() + w, buf.size() - w};
}

} // namespace cafelet::units
