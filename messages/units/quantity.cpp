#include "messages/units/quantity.hpp"

#include "messages/errors.hpp"

#include <cmath>
#include <limits>

namespace cafelet::units {

namespace {

using int128 = __int128;

constexpr int64_t int64_max = std::numeric_limits<int64_t>::max();
constexpr int64_t int64_min = std::numeric_limits<int64_t>::min();

/// Most significant decimal digits a mantissa may have (10^38 < 2^127).
constexpr size_t max_digits = 38;

/// Lowest scale a value keeps: everything is rounded up to nano units.
constexpr int64_t nano_scale = -9;

int128 abs128(int128 x) {
  return x < 0 ? -x : x;
}

/// Number of decimal digits of `x` (>= 1).
int digit_count(int128 x) {
  x = abs128(x);
  int n = 1;
  while (x >= 10) {
    x /= 10;
    ++n;
  }
  return n;
}

/// 10^n for 0 <= n <= 38.
int128 pow10(int n) {
  int128 r = 1;
  for (int i = 0; i < n; ++i)
    r *= 10;
  return r;
}

std::string digits_of(int128 x) {
  x = abs128(x);
  std::string out;
  do {
    out.insert(out.begin(), static_cast<char>('0' + static_cast<int>(x % 10)));
    x /= 10;
  } while (x > 0);
  return out;
}

caf::error invalid(std::string_view text, std::string_view why) {
  std::string msg = "invalid quantity \"";
  msg += text;
  msg += "\": ";
  msg += why;
  return make_error(errc::invalid_config, std::move(msg));
}

/// Multiplies the decimal digit string `d` by a small factor in place.
void multiply(std::string& d, unsigned factor) {
  unsigned carry = 0;
  for (auto i = d.size(); i-- > 0;) {
    auto v = static_cast<unsigned>(d[i] - '0') * factor + carry;
    d[i] = static_cast<char>('0' + v % 10);
    carry = v / 10;
  }
  while (carry > 0) {
    d.insert(d.begin(), static_cast<char>('0' + carry % 10));
    carry /= 10;
  }
}

/// Adds one to the decimal digit string `d` in place.
void increment(std::string& d) {
  for (auto i = d.size(); i-- > 0;) {
    if (d[i] != '9') {
      ++d[i];
      return;
    }
    d[i] = '0';
  }
  d.insert(d.begin(), '1');
}

struct suffix_info {
  int64_t exponent = 0;
  quantity_format format = quantity_format::decimal_si;
};

/// Interprets a suffix; nullopt if it is not one of the upstream forms.
std::optional<suffix_info> interpret_suffix(std::string_view s) {
  struct entry {
    std::string_view name;
    int exponent;
  };
  static constexpr entry decimal[] = {{"", 0},  {"n", -9}, {"u", -6},
                                      {"m", -3}, {"k", 3},  {"M", 6},
                                      {"G", 9},  {"T", 12}, {"P", 15},
                                      {"E", 18}};
  static constexpr entry binary[] = {{"Ki", 10}, {"Mi", 20}, {"Gi", 30},
                                     {"Ti", 40}, {"Pi", 50}, {"Ei", 60}};
  for (const auto& e : decimal)
    if (e.name == s)
      return suffix_info{e.exponent, quantity_format::decimal_si};
  for (const auto& e : binary)
    if (e.name == s)
      return suffix_info{e.exponent, quantity_format::binary_si};
  if (s.size() < 2 || (s[0] != 'e' && s[0] != 'E'))
    return std::nullopt;
  // A decimal exponent: e or E, an optional sign, at least one digit.
  auto rest = s.substr(1);
  bool neg = false;
  if (rest[0] == '+' || rest[0] == '-') {
    neg = rest[0] == '-';
    rest.remove_prefix(1);
  }
  if (rest.empty())
    return std::nullopt;
  int64_t v = 0;
  for (char c : rest) {
    if (c < '0' || c > '9')
      return std::nullopt;
    v = v * 10 + (c - '0');
    if (v > std::numeric_limits<int32_t>::max())
      return std::nullopt;
  }
  return suffix_info{neg ? -v : v, quantity_format::decimal_exponent};
}

} // namespace

std::string_view to_string(quantity_format f) {
  switch (f) {
    case quantity_format::decimal_si: return "DecimalSI";
    case quantity_format::binary_si: return "BinarySI";
    case quantity_format::decimal_exponent: return "DecimalExponent";
  }
  return "DecimalSI";
}

quantity quantity::make(int128 mantissa, int64_t scale, quantity_format f) {
  quantity q;
  q.format_ = f;
  if (mantissa == 0)
    return q;
  while (mantissa % 10 == 0) {
    mantissa /= 10;
    ++scale;
  }
  if (scale < nano_scale) {
    auto drop = nano_scale - scale;
    int128 sign = mantissa < 0 ? -1 : 1;
    if (drop >= static_cast<int64_t>(max_digits) + 1) {
      mantissa = sign;
    } else {
      auto p = pow10(static_cast<int>(drop));
      auto rem = mantissa % p;
      mantissa /= p;
      if (rem != 0)
        mantissa += sign; // round away from zero
    }
    scale = nano_scale;
    while (mantissa % 10 == 0) {
      mantissa /= 10;
      ++scale;
    }
  }
  q.mantissa_ = mantissa;
  q.scale_ = static_cast<int32_t>(scale);
  return q;
}

quantity quantity::from_value(int64_t value, quantity_format f) {
  return make(value, 0, f);
}

quantity quantity::from_milli(int64_t value, quantity_format f) {
  return make(value, -3, f);
}

quantity quantity::from_scaled(int64_t value, int32_t scale,
                               quantity_format f) {
  return make(value, scale, f);
}

int64_t quantity::scaled_value(int32_t scale) const noexcept {
  if (mantissa_ == 0)
    return 0;
  auto m = mantissa_;
  auto diff = static_cast<int64_t>(scale_) - scale;
  auto saturated = m < 0 ? int64_min : int64_max;
  if (diff >= 0) {
    for (int64_t i = 0; i < diff; ++i) {
      if (abs128(m) > int64_max)
        return saturated;
      m *= 10;
    }
  } else {
    auto k = -diff;
    if (k > static_cast<int64_t>(max_digits))
      return m < 0 ? -1 : 1;
    auto p = pow10(static_cast<int>(k));
    auto rem = m % p;
    m /= p;
    if (rem != 0)
      m += mantissa_ < 0 ? -1 : 1;
  }
  if (m > int64_max || m < int64_min)
    return saturated;
  return static_cast<int64_t>(m);
}

int64_t quantity::value() const noexcept {
  return scaled_value(0);
}

int64_t quantity::milli_value() const noexcept {
  return scaled_value(-3);
}

std::optional<int64_t> quantity::as_int64() const noexcept {
  if (scale_ < 0)
    return std::nullopt;
  if (digit_count(mantissa_) + scale_ > 19)
    return std::nullopt;
  auto v = mantissa_ * pow10(scale_);
  if (v > int64_max || v < int64_min)
    return std::nullopt;
  return static_cast<int64_t>(v);
}

double quantity::as_double() const noexcept {
  return static_cast<double>(mantissa_) * std::pow(10.0, scale_);
}

std::strong_ordering
quantity::operator<=>(const quantity& other) const noexcept {
  if (auto c = sign() <=> other.sign(); c != 0 || sign() == 0)
    return c;
  auto a = abs128(mantissa_);
  auto b = abs128(other.mantissa_);
  auto ma = digit_count(a) + static_cast<int64_t>(scale_);
  auto mb = digit_count(b) + static_cast<int64_t>(other.scale_);
  std::strong_ordering magnitude = ma <=> mb;
  if (magnitude == 0) {
    // Same order of magnitude: aligning the scales keeps both within the
    // digits of the longer mantissa.
    if (scale_ > other.scale_)
      a *= pow10(scale_ - other.scale_);
    else
      b *= pow10(other.scale_ - scale_);
    magnitude = a <=> b;
  }
  if (sign() > 0)
    return magnitude;
  return 0 <=> magnitude; // both negative: larger magnitude is smaller
}

std::string quantity::to_string() const {
  if (mantissa_ == 0)
    return "0";
  auto fmt = format_;
  std::string sign_str = mantissa_ < 0 ? "-" : "";
  if (fmt == quantity_format::binary_si) {
    // Small magnitudes and fractions print as DecimalSI (no rounding).
    auto a = abs128(mantissa_);
    bool small = scale_ >= 0
                   ? digit_count(a) + scale_ <= 4 && a * pow10(scale_) < 1024
                   : a < int128{1024} * pow10(-scale_);
    if (small || scale_ < 0 || digit_count(a) + scale_ > 38) {
      fmt = quantity_format::decimal_si;
    } else {
      auto n = a * pow10(scale_);
      static constexpr std::string_view suffixes[] = {"",   "Ki", "Mi", "Gi",
                                                      "Ti", "Pi", "Ei"};
      size_t e = 0;
      while (e + 1 < std::size(suffixes) && n >= 1024 && n % 1024 == 0) {
        n /= 1024;
        ++e;
      }
      return sign_str + digits_of(n) + std::string{suffixes[e]};
    }
  }
  // Decimal: mantissa digits and an exponent that is a multiple of three.
  auto digits = digits_of(mantissa_);
  int64_t e = scale_;
  auto r = ((e % 3) + 3) % 3;
  digits.append(static_cast<size_t>(r), '0');
  e -= r;
  if (fmt == quantity_format::decimal_exponent) {
    if (e != 0)
      digits += "e" + std::to_string(e);
    return sign_str + digits;
  }
  if (e > 18) {
    digits.append(static_cast<size_t>(e - 18), '0');
    e = 18;
  }
  static constexpr std::string_view si[] = {"n", "u", "m", "",  "k",
                                            "M", "G", "T", "P", "E"};
  return sign_str + digits + std::string{si[(e + 9) / 3]};
}

caf::expected<quantity> parse_quantity(std::string_view text) {
  if (text.empty())
    return invalid(text, "empty string");
  size_t pos = 0;
  bool neg = false;
  if (text[0] == '+' || text[0] == '-') {
    neg = text[0] == '-';
    ++pos;
  }
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  auto start = pos;
  while (pos < text.size() && is_digit(text[pos]))
    ++pos;
  auto num = text.substr(start, pos - start);
  std::string_view denom;
  if (pos < text.size() && text[pos] == '.') {
    start = ++pos;
    while (pos < text.size() && is_digit(text[pos]))
      ++pos;
    denom = text.substr(start, pos - start);
  }
  if (num.empty() && denom.empty())
    return invalid(text, "expected a number before the suffix");
  auto suffix = text.substr(pos);
  auto info = interpret_suffix(suffix);
  if (!info)
    return invalid(text, "unknown suffix \"" + std::string{suffix}
                           + "\" (use n, u, m, k, M, G, T, P, E, Ki, Mi, "
                             "Gi, Ti, Pi, Ei or an exponent like e3)");
  // Exact digits: value = d * 10^scale (* 2^exponent for binary suffixes).
  std::string d{num};
  d += denom;
  auto first = d.find_first_not_of('0');
  if (first == std::string::npos)
    return quantity::make(0, 0, info->format);
  d.erase(0, first);
  int64_t scale = -static_cast<int64_t>(denom.size());
  if (info->format == quantity_format::binary_si)
    for (int64_t i = 0; i < info->exponent; i += 10)
      multiply(d, 1024);
  else
    scale += info->exponent;
  // Round up to nano units (away from zero, as upstream).
  if (scale < nano_scale) {
    auto drop = nano_scale - scale;
    if (drop >= static_cast<int64_t>(d.size())) {
      d = "1";
    } else {
      auto keep = d.size() - static_cast<size_t>(drop);
      bool inexact = d.find_first_not_of('0', keep) != std::string::npos;
      d.resize(keep);
      if (inexact)
        increment(d);
    }
    scale = nano_scale;
  }
  while (d.size() > 1 && d.back() == '0') {
    d.pop_back();
    ++scale;
  }
  auto fmt = info->format;
  if (fmt == quantity_format::binary_si) {
    // Upstream caps binary values at 2^63-1 and prints values below one
    // as DecimalSI.
    bool capped = static_cast<int64_t>(d.size()) + scale > 19;
    if (!capped) {
      int128 n = 0;
      for (char c : d)
        n = n * 10 + (c - '0');
      auto nanos = n * pow10(static_cast<int>(scale - nano_scale));
      capped = nanos > int128{int64_max} * 1000000000;
      if (nanos < 1000000000)
        fmt = quantity_format::decimal_si;
    }
    if (capped) {
      d = std::to_string(int64_max);
      scale = 0;
    }
  }
  if (d.size() > max_digits)
    return invalid(text, "more than 38 significant digits");
  if (scale > std::numeric_limits<int32_t>::max())
    return invalid(text, "exponent out of range");
  int128 m = 0;
  for (char c : d)
    m = m * 10 + (c - '0');
  return quantity::make(neg ? -m : m, scale, fmt);
}

std::string to_string(const quantity& x) {
  return x.to_string();
}

} // namespace cafelet::units
