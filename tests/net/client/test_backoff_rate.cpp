#include "net/client/backoff.hpp"
#include "net/client/token_bucket.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace cafelet::net;
using namespace std::chrono_literals;

namespace {

/// A manually advanced clock.
struct fake_clock {
  token_bucket::time_point now{std::chrono::seconds{1000}};

  token_bucket::clock_fn fn() {
    return [this] { return now; };
  }
};

} // namespace

TEST_CASE("token bucket starts full and refills at qps") {
  fake_clock clock;
  token_bucket tb{5.0, 2, clock.fn()};
  CHECK(tb.try_take());
  CHECK(tb.try_take());
  CHECK_FALSE(tb.try_take());
  CHECK(tb.delay() == 200ms);
  clock.now += 100ms;
  CHECK(tb.delay() == 100ms);
  CHECK_FALSE(tb.try_take());
  clock.now += 100ms;
  CHECK(tb.delay() == 0ms);
  CHECK(tb.try_take());
  // a long pause refills to burst, not beyond
  clock.now += 1h;
  CHECK(tb.tokens() == doctest::Approx(2.0));
  CHECK(tb.try_take());
  CHECK(tb.try_take());
  CHECK_FALSE(tb.try_take());
}

TEST_CASE("token bucket reservations queue up without sleeping") {
  fake_clock clock;
  token_bucket tb{5.0, 2, clock.fn()};
  CHECK(tb.reserve() == 0ms);
  CHECK(tb.reserve() == 0ms);
  CHECK(tb.reserve() == 200ms);
  CHECK(tb.reserve() == 400ms);
  CHECK(tb.tokens() == doctest::Approx(-2.0));
  CHECK_FALSE(tb.try_take()); // reservations come first
  clock.now += 400ms;
  CHECK(tb.reserve() == 200ms);
  clock.now += 200ms;
  CHECK(tb.delay() == 200ms);
}

TEST_CASE("token bucket edge cases") {
  fake_clock clock;
  SUBCASE("qps <= 0 disables limiting") {
    token_bucket tb{0.0, 1, clock.fn()};
    for (int i = 0; i < 100; ++i)
      CHECK(tb.reserve() == 0ms);
    CHECK(tb.try_take());
  }
  SUBCASE("burst below 1 behaves as 1") {
    token_bucket tb{10.0, 0, clock.fn()};
    CHECK(tb.burst() == 1);
    CHECK(tb.try_take());
    CHECK(tb.reserve() == 100ms);
  }
  SUBCASE("a clock going backwards does not mint tokens") {
    token_bucket tb{1.0, 1, clock.fn()};
    CHECK(tb.try_take());
    clock.now -= 10s;
    CHECK_FALSE(tb.try_take());
    clock.now += 10s + 1s;
    CHECK(tb.try_take());
  }
  SUBCASE("fractional rates") {
    token_bucket tb{0.5, 1, clock.fn()};
    CHECK(tb.reserve() == 0ms);
    CHECK(tb.reserve() == 2s);
  }
}

TEST_CASE("backoff stays within (d*(1-jitter), d] with d capped") {
  backoff_policy p{100ms, 1000ms, 2.0, 0.25};
  backoff b{p, 42};
  std::vector<int64_t> ceilings{100, 200, 400, 800, 1000, 1000, 1000};
  for (auto ceiling : ceilings) {
    auto d = b.next().count();
    CHECK(d <= ceiling);
    CHECK(d >= static_cast<int64_t>(ceiling * 0.75) - 1);
  }
  CHECK(b.attempts() == ceilings.size());
  // many more attempts never overflow past the cap
  for (int i = 0; i < 5000; ++i) {
    auto d = b.next();
    CHECK(d <= 1000ms);
    CHECK(d >= 749ms);
  }
}

TEST_CASE("backoff is reproducible by seed and resets") {
  auto p = watch_reconnect_policy();
  backoff a{p, 7};
  backoff b{p, 7};
  backoff c{p, 8};
  std::vector<std::chrono::milliseconds> sa;
  std::vector<std::chrono::milliseconds> sb;
  std::vector<std::chrono::milliseconds> sc;
  for (int i = 0; i < 12; ++i) {
    sa.push_back(a.next());
    sb.push_back(b.next());
    sc.push_back(c.next());
  }
  CHECK(sa == sb);
  CHECK(sa != sc);
  CHECK(sa.front() <= 800ms);
  CHECK(sa.front() >= 639ms);
  CHECK(sa.back() <= 30s);
  CHECK(sa.back() >= 23999ms);
  a.reset();
  CHECK(a.attempts() == 0);
  auto first = a.next();
  CHECK(first <= 800ms);
  CHECK(first >= 639ms);
}

TEST_CASE("backoff presets and sanitizing") {
  auto lease = lease_retry_policy();
  CHECK(lease.base == 200ms);
  CHECK(lease.cap == 7s);
  backoff b{lease, 1};
  std::chrono::milliseconds last{0};
  for (int i = 0; i < 10; ++i)
    last = b.next();
  CHECK(last <= 7s);
  CHECK(last > 5s);
  SUBCASE("no jitter gives exact doubling") {
    backoff exact{{10ms, 50ms, 2.0, 0.0}, 3};
    CHECK(exact.next() == 10ms);
    CHECK(exact.next() == 20ms);
    CHECK(exact.next() == 40ms);
    CHECK(exact.next() == 50ms);
  }
  SUBCASE("nonsense parameters are clamped") {
    backoff odd{{0ms, -5ms, 0.5, 7.0}, 3};
    CHECK(odd.policy().base == 1ms);
    CHECK(odd.policy().cap == 1ms);
    CHECK(odd.policy().factor == 1.0);
    CHECK(odd.policy().jitter == 1.0);
    CHECK(odd.next() == 1ms);
  }
}
