#pragma once
/// @file
/// Kubernetes resource quantities ("100Mi", "500m", "1.5Gi", "1e3"), the
/// fixed-point numbers of `resource.Quantity`, with the upstream grammar,
/// rounding and canonical text form.

#include <caf/expected.hpp>

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cafelet::units {

/// How a quantity is written back as text (upstream's `Format`).
enum class quantity_format : uint8_t {
  /// Powers of ten with SI suffixes: "500m", "2k", "1G".
  decimal_si,
  /// Powers of 1024 with IEC suffixes: "100Mi", "1Gi".
  binary_si,
  /// Powers of ten with an exponent: "1e3", "12e6".
  decimal_exponent,
};

/// Returns "DecimalSI", "BinarySI" or "DecimalExponent".
std::string_view to_string(quantity_format f);

/// An exact decimal number `mantissa * 10^scale`, rounded up (away from zero)
/// to a multiple of 10^-9 as upstream does, plus the format it was written
/// in. Up to 38 significant digits are representable.
class quantity {
public:
  /// Zero, formatted as DecimalSI.
  constexpr quantity() noexcept = default;

  /// `value` units (upstream `NewQuantity`).
  static quantity from_value(int64_t value,
                             quantity_format f = quantity_format::decimal_si);

  /// `value / 1000` units (upstream `NewMilliQuantity`).
  static quantity from_milli(int64_t value,
                             quantity_format f = quantity_format::decimal_si);

  /// `value * 10^scale` units (upstream `NewScaledQuantity`); scales below
  /// -9 round up to the next nano unit.
  static quantity from_scaled(int64_t value, int32_t scale,
                              quantity_format f = quantity_format::decimal_si);

  /// The format used by `to_string()`.
  quantity_format format() const noexcept {
    return format_;
  }

  /// -1, 0 or 1.
  int sign() const noexcept {
    return mantissa_ < 0 ? -1 : (mantissa_ > 0 ? 1 : 0);
  }

  /// True if the quantity is zero.
  bool is_zero() const noexcept {
    return mantissa_ == 0;
  }

  /// The value in whole units, rounded away from zero (upstream `Value()`:
  /// "1.5" gives 2, "100m" gives 1). Saturates at the int64 limits.
  int64_t value() const noexcept;

  /// The value in thousandths, rounded away from zero (upstream
  /// `MilliValue()`: "1.5" gives 1500, "1n" gives 1). Saturates.
  int64_t milli_value() const noexcept;

  /// The value in units of 10^`scale`, rounded away from zero (upstream
  /// `ScaledValue`: scale -3 is milli, -9 nano, 6 mega). Saturates.
  int64_t scaled_value(int32_t scale) const noexcept;

  /// The value as int64 if it is an integer within range, else nullopt.
  std::optional<int64_t> as_int64() const noexcept;

  /// The value as a double (approximate).
  double as_double() const noexcept;

  /// The canonical text form, as upstream's `String()`: "100Mi", "500m",
  /// "2", "1Gi", "1536Mi" for "1.5Gi", "1500m" for "1.5", "1e3".
  std::string to_string() const;

  /// Numeric comparison (the format is ignored, as upstream's `Cmp`).
  std::strong_ordering operator<=>(const quantity& other) const noexcept;

  /// Numeric equality (the format is ignored, as upstream's `Equal`).
  bool operator==(const quantity& other) const noexcept {
    return mantissa_ == other.mantissa_ && scale_ == other.scale_;
  }

  friend caf::expected<quantity> parse_quantity(std::string_view text);

private:
  /// Builds a quantity from a mantissa and scale, rounding scales below -9
  /// up to nano units and stripping trailing zeros of the mantissa. Requires
  /// `scale` to fit into int32 after normalization.
  static quantity make(__int128 mantissa, int64_t scale, quantity_format f);

  /// Value = mantissa_ * 10^scale_; no trailing zero digits unless zero.
  __int128 mantissa_ = 0;
  int32_t scale_ = 0;
  quantity_format format_ = quantity_format::decimal_si;
};

/// Parses `text` with the upstream grammar:
///   <quantity> ::= <sign>? <number> <suffix>
///   <number>   ::= <digits> | <digits>. | <digits>.<digits> | .<digits>
///   <suffix>   ::= n | u | m | "" | k | M | G | T | P | E
///                | Ki | Mi | Gi | Ti | Pi | Ei | (e|E) <sign>? <digits>
/// No whitespace is allowed. Values are rounded up to nano units and binary
/// values are capped at 2^63-1, as upstream. Errors carry
/// `errc::invalid_config` and quote the input ("1.5.5", "Mi", "1 Mi", "1mi",
/// "1KiB" are rejected).
caf::expected<quantity> parse_quantity(std::string_view text);

/// Returns `x.to_string()`.
std::string to_string(const quantity& x);

} // namespace cafelet::units
