// RFC 3339 Time and MicroTime parsing and formatting.
#include "messages/errors.hpp"
#include "messages/k8s/time.hpp"

#include <doctest/doctest.h>

using namespace cafelet;
using namespace std::chrono;
using k8s::timestamp;

namespace {

timestamp at(int y, unsigned mo, unsigned d, int h, int mi, int s,
             int64_t micros = 0) {
  return timestamp{sys_days{year{y} / month{mo} / day{d}}.time_since_epoch()
                   + hours{h} + minutes{mi} + seconds{s}
                   + microseconds{micros}};
}

} // namespace

TEST_CASE("Time parses and formats whole seconds") {
  auto t = k8s::parse_time("2026-11-22T04:35:00Z");
  REQUIRE(t);
  CHECK(*t == at(2026, 11, 22, 4, 35, 0));
  CHECK(k8s::format_time(*t) == "2026-11-22T04:35:00Z");
  // The Unix epoch and a leap day.
  CHECK(k8s::parse_time("1970-01-01T00:00:00Z")->time_since_epoch().count()
        == 0);
  CHECK(k8s::format_time(at(2024, 2, 29, 23, 59, 59)) == "2024-02-29T23:59:59Z");
  // Time truncates sub-second parts.
  CHECK(k8s::format_time(at(2026, 11, 22, 4, 35, 0, 999999))
        == "2026-11-22T04:35:00Z");
}

TEST_CASE("MicroTime keeps microseconds exactly") {
  auto t = k8s::parse_time("2026-11-22T02:56:08.723759Z");
  REQUIRE(t);
  CHECK(*t == at(2026, 11, 22, 2, 56, 8, 723759));
  CHECK(k8s::format_micro_time(*t) == "2026-11-22T02:56:08.723759Z");
  CHECK(k8s::format_micro_time(at(2026, 1, 2, 3, 4, 5, 1))
        == "2026-01-02T03:04:05.000001Z");
  CHECK(k8s::format_micro_time(at(2026, 1, 2, 3, 4, 5))
        == "2026-01-02T03:04:05.000000Z");
  // Fewer digits are scaled, more digits (nanoseconds) truncated.
  CHECK(*k8s::parse_time("2026-11-22T02:56:08.5Z")
        == at(2026, 11, 22, 2, 56, 8, 500000));
  CHECK(*k8s::parse_time("2026-11-22T02:56:08.123456789Z")
        == at(2026, 11, 22, 2, 56, 8, 123456));
  // Round trip of the current time.
  auto now = k8s::now();
  CHECK(*k8s::parse_time(k8s::format_micro_time(now)) == now);
}

TEST_CASE("time zone offsets convert to UTC") {
  CHECK(*k8s::parse_time("2026-11-22T06:35:00+02:00")
        == at(2026, 11, 22, 4, 35, 0));
  CHECK(*k8s::parse_time("2026-11-21T23:05:00-05:30")
        == at(2026, 11, 22, 4, 35, 0));
  CHECK(*k8s::parse_time("2026-11-22t04:35:00z") == at(2026, 11, 22, 4, 35, 0));
}

TEST_CASE("invalid times are rejected with a reason") {
  for (auto bad : {"", "2026-11-22", "2026-11-22T04:35:00", "2026-13-01T00:00:00Z",
                   "2026-02-30T00:00:00Z", "2026-11-22T24:00:00Z",
                   "2026-11-22T04:60:00Z", "2026-11-22 04:35:00Z",
                   "2026-11-22T04:35:00ZZ", "2026-11-22T04:35:00.Z",
                   "2026-11-22T04:35:00+0200", "yesterday at noon...."}) {
    CAPTURE(bad);
    auto t = k8s::parse_time(bad);
    REQUIRE(!t);
    CHECK(is(t.error(), errc::bad_response));
    CHECK(context_of(t.error()).find("invalid RFC 3339 time") == 0);
  }
}
