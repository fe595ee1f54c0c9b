// Kubernetes durations (Go's time.ParseDuration / Duration.String) and
// resource quantities (resource.Quantity), checked against the upstream
// behaviour and canonical forms.
#include "messages/errors.hpp"
#include "messages/units/duration.hpp"
#include "messages/units/quantity.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>

using namespace std::chrono;
using namespace std::chrono_literals;
using cafelet::units::format_duration;
using cafelet::units::parse_duration;
using cafelet::units::parse_quantity;
using cafelet::units::quantity;
using cafelet::units::quantity_format;

namespace {

nanoseconds dur(std::string_view text) {
  auto d = parse_duration(text);
  REQUIRE_MESSAGE(d, "parse_duration(\"", std::string{text}, "\") failed: ",
                  cafelet::describe(d.error()));
  return *d;
}

std::string dur_error(std::string_view text) {
  auto d = parse_duration(text);
  REQUIRE_MESSAGE(!d, "parse_duration(\"", std::string{text},
                  "\") unexpectedly succeeded");
  CHECK(cafelet::is(d.error(), cafelet::errc::invalid_config));
  return cafelet::context_of(d.error());
}

quantity qty(std::string_view text) {
  auto q = parse_quantity(text);
  REQUIRE_MESSAGE(q, "parse_quantity(\"", std::string{text}, "\") failed: ",
                  cafelet::describe(q.error()));
  return *q;
}

std::string canonical(std::string_view text) {
  return qty(text).to_string();
}

} // namespace

TEST_CASE("durations: simple values and units") {
  CHECK(dur("0") == 0ns);
  CHECK(dur("-0") == 0ns);
  CHECK(dur("+0") == 0ns);
  CHECK(dur("5s") == 5s);
  CHECK(dur("30s") == 30s);
  CHECK(dur("1478s") == 1478s);
  CHECK(dur("-5s") == -5s);
  CHECK(dur("+5s") == 5s);
  CHECK(dur("-0s") == 0ns);
  CHECK(dur("10ns") == 10ns);
  CHECK(dur("11us") == 11us);
  CHECK(dur("12\xc2\xb5s") == 12us); // micro sign
  CHECK(dur("12\xce\xbcs") == 12us); // Greek mu
  CHECK(dur("13ms") == 13ms);
  CHECK(dur("14s") == 14s);
  CHECK(dur("15m") == 15min);
  CHECK(dur("16h") == 16h);
  CHECK(dur("300ms") == 300ms);
  CHECK(dur("10s") == 10s);
}

TEST_CASE("durations: compound values and fractions") {
  CHECK(dur("1m30s") == 90s);
  CHECK(dur("2h45m") == 2h + 45min);
  CHECK(dur("3h30m") == 3h + 30min);
  CHECK(dur("10.5s4m") == 4min + 10500ms);
  CHECK(dur("-2m3.4s") == -(2min + 3400ms));
  CHECK(dur("1h2m3s4ms5us6ns") == 1h + 2min + 3s + 4ms + 5us + 6ns);
  CHECK(dur("39h9m14.425s") == 39h + 9min + 14425ms);
  CHECK(dur("1.5h") == 90min);
  CHECK(dur("-1.5h") == -90min);
  CHECK(dur("5.0s") == 5s);
  CHECK(dur("5.6s") == 5600ms);
  CHECK(dur("5.s") == 5s);
  CHECK(dur(".5s") == 500ms);
  CHECK(dur("1.004s") == 1004ms);
  CHECK(dur("1.0040s") == 1004ms);
  CHECK(dur("100.00100s") == 100001ms);
  CHECK(dur("52763797000ns") == 52763797000ns);
  // Fractions of the largest unit stay nanosecond accurate.
  CHECK(dur("0.3333333333333333333h") == 20min);
  CHECK(dur("0.100000000000000000000h") == 6min);
  CHECK(dur("0.830103483285477580700h") == 49min + 48s + 372539827ns);
  CHECK(dur("9007199254740993ns") == nanoseconds{9007199254740993});
}

TEST_CASE("durations: int64 limits and overflow") {
  constexpr auto max = std::numeric_limits<int64_t>::max();
  constexpr auto min = std::numeric_limits<int64_t>::min();
  CHECK(dur("9223372036854775807ns").count() == max);
  CHECK(dur("9223372036.854775807s").count() == max);
  CHECK(dur("-9223372036854775808ns").count() == min);
  CHECK(dur("-9223372036.854775808s").count() == min);
  CHECK(dur_error("9223372036854775808ns").find("out of range")
        != std::string::npos);
  dur_error("9223372036854775.808us");
  dur_error("9223372036854ms775us808ns");
  dur_error("-9223372036854775809ns");
  dur_error("2562048h");
  dur_error("99999999999999999999s");
}

TEST_CASE("durations: invalid forms name the input") {
  CHECK(dur_error("").find("\"\"") != std::string::npos);
  CHECK(dur_error("1").find("missing unit") != std::string::npos);
  CHECK(dur_error("3").find("\"3\"") != std::string::npos);
  auto msg = dur_error("1d");
  CHECK(msg.find("unknown unit \"d\"") != std::string::npos);
  CHECK(msg.find("\"1d\"") != std::string::npos);
  for (auto bad : {"-", "s", ".", "-.", ".s", "+.s", "1.5.5s", "1 s", " 1s",
                   "1s ", "1sec", "1H", "ten seconds", "\x85\x85", "1s-2s",
                   "--1s", "1e3s"})
    dur_error(bad);
}

TEST_CASE("durations: formatting like Go") {
  CHECK(format_duration(0ns) == "0s");
  CHECK(format_duration(1ns) == "1ns");
  CHECK(format_duration(1100ns) == "1.1\xc2\xb5s");
  CHECK(format_duration(2200us) == "2.2ms");
  CHECK(format_duration(3300ms) == "3.3s");
  CHECK(format_duration(4min + 5s) == "4m5s");
  CHECK(format_duration(4min + 5001ms) == "4m5.001s");
  CHECK(format_duration(5h + 6min + 7001ms) == "5h6m7.001s");
  CHECK(format_duration(8min + 1ns) == "8m0.000000001s");
  CHECK(format_duration(90s) == "1m30s");
  CHECK(format_duration(10s) == "10s");
  CHECK(format_duration(1500ms) == "1.5s");
  CHECK(format_duration(5min) == "5m0s");
  CHECK(format_duration(1h) == "1h0m0s");
  CHECK(format_duration(-90min) == "-1h30m0s");
  CHECK(format_duration(-1ns) == "-1ns");
  CHECK(format_duration(nanoseconds{std::numeric_limits<int64_t>::max()})
        == "2562047h47m16.854775807s");
  CHECK(format_duration(nanoseconds{std::numeric_limits<int64_t>::min()})
        == "-2562047h47m16.854775808s");
}

TEST_CASE("durations: format/parse round trip") {
  for (nanoseconds d : std::initializer_list<nanoseconds>{
         0ns, 1ns, 999ns, 1us, 1500us, 1ms, 300ms, 1s, 1500ms, 90s,
         5min, 1h, 26h + 3min + 7s + 11ns, -42ms,
         nanoseconds{std::numeric_limits<int64_t>::max()},
         nanoseconds{std::numeric_limits<int64_t>::min()}}) {
    auto text = format_duration(d);
    CHECK_MESSAGE(dur(text) == d, text);
  }
}

TEST_CASE("quantities: canonical forms") {
  CHECK(canonical("0") == "0");
  for (auto zero : {"0n", "0u", "0m", "0Ki", "0k", "0Mi", "0M", "0Gi", "-0",
                    "0.0", "00", "0e3"})
    CHECK_MESSAGE(canonical(zero) == "0", zero);
  CHECK(canonical("100Mi") == "100Mi");
  CHECK(canonical("500m") == "500m");
  CHECK(canonical("2") == "2");
  CHECK(canonical("1Gi") == "1Gi");
  CHECK(canonical("1024Mi") == "1Gi");
  CHECK(canonical("1000Mi") == "1000Mi");
  CHECK(canonical("1025Mi") == "1025Mi");
  CHECK(canonical("2048Ki") == "2Mi");
  CHECK(canonical("1.5Gi") == "1536Mi");
  CHECK(canonical("0.5Gi") == "512Mi");
  CHECK(canonical("0.5Ki") == "512");
  CHECK(canonical("1.1Ki") == "1126400m");
  CHECK(canonical("8Ki") == "8Ki");
  CHECK(canonical("3Ei") == "3Ei");
  CHECK(canonical("1.5") == "1500m");
  CHECK(canonical("0.5") == "500m");
  CHECK(canonical(".5") == "500m");
  CHECK(canonical("1.") == "1");
  CHECK(canonical("1000m") == "1");
  CHECK(canonical("1500m") == "1500m");
  CHECK(canonical("1.08") == "1080m");
  CHECK(canonical("12.3456") == "12345600u");
  CHECK(canonical("0.1m") == "100u");
  CHECK(canonical("5n") == "5n");
  CHECK(canonical("4u") == "4u");
  CHECK(canonical("1000") == "1k");
  CHECK(canonical("1000k") == "1M");
  CHECK(canonical("1.5k") == "1500");
  CHECK(canonical("8k") == "8k");
  CHECK(canonical("300T") == "300T");
  CHECK(canonical("2P") == "2P");
  CHECK(canonical("1E") == "1E");
  CHECK(canonical("1000E") == "1000E");
  CHECK(canonical("-1Gi") == "-1Gi");
  CHECK(canonical("+1Gi") == "1Gi");
  CHECK(canonical("-100m") == "-100m");
  CHECK(canonical("1e3") == "1e3");
  CHECK(canonical("1E3") == "1e3");
  CHECK(canonical("10e3") == "10e3");
  CHECK(canonical("1e-3") == "1e-3");
  CHECK(canonical("1e+6") == "1e6");
  CHECK(canonical("1.5e3") == "1500");
  CHECK(canonical("12e6") == "12e6");
  CHECK(canonical("12345678901234567890") == "12345678901234567890");
}

TEST_CASE("quantities: rounding up to nano units and the binary cap") {
  CHECK(canonical("0.0000000001") == "1n");
  CHECK(canonical("-0.0000000001") == "-1n");
  CHECK(canonical("1.0000000001") == "1000000001n");
  CHECK(canonical("1e-10") == "1e-9");
  CHECK(canonical("1.00000000000000000000000000000000000000000001")
        == "1000000001n");
  // Binary values are capped at 2^63-1.
  CHECK(canonical("8Ei") == "9223372036854775807");
  CHECK(canonical("-8Ei") == "-9223372036854775807");
  CHECK(qty("100Ei").value() == std::numeric_limits<int64_t>::max());
}

TEST_CASE("quantities: value, milli_value, scaled_value") {
  CHECK(qty("1Gi").value() == 1073741824);
  CHECK(qty("100Mi").value() == 104857600);
  CHECK(qty("100m").value() == 1);
  CHECK(qty("100m").milli_value() == 100);
  CHECK(qty("1.5").value() == 2);
  CHECK(qty("1.5").milli_value() == 1500);
  CHECK(qty("-1.5").value() == -2);
  CHECK(qty("-100m").value() == -1);
  CHECK(qty("1n").milli_value() == 1);
  CHECK(qty("1n").value() == 1);
  CHECK(qty("0").value() == 0);
  CHECK(qty("2").milli_value() == 2000);
  CHECK(qty("1k").scaled_value(3) == 1);
  CHECK(qty("1500").scaled_value(3) == 2);
  CHECK(qty("1M").scaled_value(-9) == 1000000000000000);
  CHECK(qty("1E").value() == 1000000000000000000);
  CHECK(qty("1E").milli_value() == std::numeric_limits<int64_t>::max());
  CHECK(qty("-1E").milli_value() == std::numeric_limits<int64_t>::min());
  CHECK(qty("1.5Gi").value() == 1610612736);
  CHECK(qty("10").as_int64() == 10);
  CHECK_FALSE(qty("1.5").as_int64().has_value());
  CHECK_FALSE(qty("100E").as_int64().has_value());
  CHECK(qty("250m").as_double() == doctest::Approx(0.25));
}

TEST_CASE("quantities: formats, constructors and comparison") {
  CHECK(qty("1Gi").format() == quantity_format::binary_si);
  CHECK(qty("1G").format() == quantity_format::decimal_si);
  CHECK(qty("1e9").format() == quantity_format::decimal_exponent);
  CHECK(quantity::from_value(5).to_string() == "5");
  CHECK(quantity::from_value(5, quantity_format::binary_si).to_string() == "5");
  CHECK(quantity::from_value(1 << 20, quantity_format::binary_si).to_string()
        == "1Mi");
  CHECK(quantity::from_milli(500).to_string() == "500m");
  CHECK(quantity::from_milli(1500, quantity_format::binary_si).to_string()
        == "1500m");
  CHECK(quantity::from_scaled(3, 3).to_string() == "3k");
  CHECK(quantity::from_scaled(1, -12).to_string() == "1n");
  CHECK(quantity{}.is_zero());
  CHECK(qty("1000m") == qty("1"));
  CHECK(qty("1Ki") == qty("1024"));
  CHECK(qty("1Gi") > qty("1G"));
  CHECK(qty("-1") < qty("0"));
  CHECK(qty("-2") < qty("-1"));
  CHECK(qty("999m") < qty("1"));
  CHECK(qty("1E") > qty("999P"));
  CHECK(qty("1n") > qty("0"));
  CHECK(qty("-1n").sign() == -1);
}

TEST_CASE("quantities: invalid forms") {
  for (auto bad : {"", "1.5.5", "Mi", "1 Mi", "1mi", "1KiB", " 1", "1 ",
                   "aoeu", ".", "-", "+", "1.1.M", "1+1.0M", "0.1mi", "0.1am",
                   ".5i", "1i", "-3.01i", "-3.01e-", "1e", "1e+", "1Kib",
                   "1ki", "10%", "--1", "1e3.5", "0x10", "1e99999999999"}) {
    auto q = parse_quantity(bad);
    CHECK_MESSAGE(!q, "accepted \"", bad, "\"");
    if (!q) {
      CHECK(cafelet::is(q.error(), cafelet::errc::invalid_config));
      CHECK(cafelet::context_of(q.error()).find("\"" + std::string{bad} + "\"")
            != std::string::npos);
    }
  }
  auto too_long = parse_quantity("123456789012345678901234567890123456789");
  CHECK_FALSE(too_long);
}
