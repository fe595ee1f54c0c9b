#include "actors/pods/crash_backoff.hpp"
#include "pod_builders.hpp"

#include <doctest/doctest.h>

using namespace cafelet;
using namespace cafelet::actors::pods;
using namespace std::chrono_literals;

namespace {

/// A steady clock the test moves by hand.
struct fake_clock {
  steady_time now = steady_time{} + 1000h;

  steady_clock_fn fn() {
    return [this] { return now; };
  }
};

} // namespace

TEST_SUITE("pods.backoff") {
  TEST_CASE("CrashLoopBackOff: 10 s doubling to 300 s") {
    fake_clock clk;
    crash_backoff b{clk.fn()};
    // First exit: restart at once, a second crash would wait 10 s.
    auto d = b.on_exit("uid", "app", clk.now);
    CHECK(d.restart);
    CHECK(d.delay == 10s);
    std::vector<backoff_duration> delays;
    for (int i = 0; i < 7; ++i) {
      clk.now += 1s; // runs for a second, then crashes
      auto exited = clk.now;
      auto w = b.on_exit("uid", "app", exited);
      REQUIRE_FALSE(w.restart);
      CHECK(w.wait == w.delay);
      delays.push_back(w.delay);
      clk.now += w.wait - 1ms;
      CHECK_FALSE(b.on_exit("uid", "app", exited).restart);
      CHECK(b.on_exit("uid", "app", exited).wait == 1ms);
      clk.now += 1ms;
      CHECK(b.on_exit("uid", "app", exited).restart);
    }
    CHECK(delays
          == std::vector<backoff_duration>{10s, 20s, 40s, 80s, 160s, 300s,
                                           300s});
  }

  TEST_CASE("the delay resets after ten minutes of running") {
    fake_clock clk;
    crash_backoff b{clk.fn()};
    b.on_exit("uid", "app", clk.now);
    clk.now += 1s;
    auto w = b.on_exit("uid", "app", clk.now);
    clk.now += w.wait;
    CHECK(b.on_exit("uid", "app", clk.now - w.wait).restart);
    CHECK(b.table().delay({"uid", "app"}) == 20s);
    SUBCASE("exactly ten minutes is not enough") {
      clk.now += 600s;
      auto d = b.on_exit("uid", "app", clk.now);
      CHECK_FALSE(d.restart);
      CHECK(d.delay == 20s);
    }
    SUBCASE("longer resets to 10 s and restarts at once") {
      clk.now += 601s;
      auto d = b.on_exit("uid", "app", clk.now);
      CHECK(d.restart);
      CHECK(d.delay == 10s);
    }
  }

  TEST_CASE("containers and pods back off independently") {
    fake_clock clk;
    crash_backoff b{clk.fn()};
    b.on_exit("uid", "a", clk.now);
    CHECK_FALSE(b.on_exit("uid", "a", clk.now).restart);
    CHECK(b.on_exit("uid", "b", clk.now).restart);
    CHECK(b.on_exit("other", "a", clk.now).restart);
    CHECK(b.table().size() == 3);
    CHECK(b.table().forget_pod("uid") == 2);
    CHECK(b.table().size() == 1);
    CHECK(b.on_exit("uid", "a", clk.now).restart);
  }

  TEST_CASE("garbage collection drops entries idle for ten minutes") {
    fake_clock clk;
    backoff_table t{10s, 300s, clk.fn()};
    t.next({"u", "a"}, clk.now);
    clk.now += 300s;
    t.next({"u", "b"}, clk.now);
    clk.now += 300s;
    CHECK(t.gc() == 0); // a: exactly 600 s
    clk.now += 1ms;
    CHECK(t.gc() == 1);
    CHECK(t.delay({"u", "a"}) == 0ms);
    CHECK(t.delay({"u", "b"}) == 10s);
    t.reset({"u", "b"});
    CHECK(t.size() == 0);
  }

  TEST_CASE("image pull backoff") {
    fake_clock clk;
    image_pull_backoff b{clk.fn()};
    CHECK(b.wait_before_pull("uid", "busybox") == 0ms);
    b.pull_failed("uid", "busybox");
    CHECK(b.wait_before_pull("uid", "busybox") == 10s);
    CHECK(b.wait_before_pull("uid", "alpine") == 0ms);
    clk.now += 4s;
    CHECK(b.wait_before_pull("uid", "busybox") == 6s);
    clk.now += 6s;
    CHECK(b.wait_before_pull("uid", "busybox") == 0ms);
    b.pull_failed("uid", "busybox");
    CHECK(b.wait_before_pull("uid", "busybox") == 20s);
    clk.now += 601s;
    b.pull_failed("uid", "busybox"); // long after: starts over
    CHECK(b.wait_before_pull("uid", "busybox") == 10s);
    clk.now += 601s;
    b.pull_succeeded();
    CHECK(b.table().size() == 0);
  }

  TEST_CASE("degenerate settings do not crash") {
    backoff_table t{-5s, 1s, nullptr};
    t.next({"u", "a"}, t.now());
    t.next({"u", "a"}, t.now());
    CHECK(t.delay({"u", "a"}) == 0ms);
    CHECK_FALSE(t.in_backoff_since_update({"u", "a"}));
    backoff_table big{200s, 100s, nullptr};
    CHECK(big.max() == 200s);
  }

  TEST_CASE("messages as upstream prints them") {
    CHECK(go_duration(10s) == "10s");
    CHECK(go_duration(80s) == "1m20s");
    CHECK(go_duration(160s) == "2m40s");
    CHECK(go_duration(300s) == "5m0s");
    CHECK(go_duration(3600s) == "1h0m0s");
    CHECK(go_duration(0ms) == "0s");
    CHECK(go_duration(500ms) == "500ms");
    CHECK(go_duration(1500ms) == "1.5s");
    CHECK(go_duration(-2s) == "-2s");
    auto pod = cafelet::test::make_pod("web", "uid-1");
    CHECK(format_pod(pod) == "web_default(uid-1)");
    CHECK(crash_loop_message(20s, "app", pod)
          == "back-off 20s restarting failed container=app "
             "pod=web_default(uid-1)");
    CHECK(crash_loop_event_message("app", pod)
          == "Back-off restarting failed container app in pod "
             "web_default(uid-1)");
    CHECK(image_pull_backoff_message("busybox:nope")
          == "Back-off pulling image \"busybox:nope\"");
  }
}
