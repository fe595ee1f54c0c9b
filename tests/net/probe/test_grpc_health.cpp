// The gRPC prober against real grpc.health.v1 servers on loopback.

#include "net/probe/grpc_health.hpp"

#include "tests/support/grpc_health_server.hpp"

#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <vector>

using namespace cafelet::net::probe;
using cafelet::testing::grpc_health_server;
using cafelet::testing::grpc_health_server_options;
using cafelet::testing::health_status;
using namespace std::chrono_literals;

namespace {

using steady = std::chrono::steady_clock;

/// Upper bound for anything that should finish quickly.
constexpr auto patience = 10s;

std::unique_ptr<grpc_prober> make_prober(grpc_prober_options opts = {}) {
  auto p = grpc_prober::make(opts);
  REQUIRE(p);
  return std::move(*p);
}

struct timed_outcome {
  probe_outcome outcome;
  steady::duration elapsed;
};

/// Runs one check and waits for its outcome.
timed_outcome run(grpc_prober& p, grpc_probe_request req) {
  auto done = std::make_shared<std::promise<probe_outcome>>();
  auto fut = done->get_future();
  auto start = steady::now();
  p.check(std::move(req), [done](probe_outcome x) { done->set_value(x); });
  REQUIRE(fut.wait_for(patience) == std::future_status::ready);
  return {fut.get(), steady::now() - start};
}

grpc_probe_request to(uint16_t port, std::string service = {},
                      std::chrono::milliseconds timeout = 1s) {
  return {"127.0.0.1", port, std::move(service), timeout};
}

/// A loopback TCP socket bound to a free port; listening or not.
class socket_guard {
public:
  explicit socket_guard(bool listen_on_it) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
    socklen_t len = sizeof(sa);
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len) == 0);
    port_ = ntohs(sa.sin_port);
    if (listen_on_it)
      REQUIRE(::listen(fd_, 16) == 0);
  }
  ~socket_guard() {
    ::close(fd_);
  }
  uint16_t port() const {
    return port_;
  }

private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

std::string connect_timeout_text(uint16_t port, const char* d) {
  return "timeout: failed to connect service \"127.0.0.1:" + std::to_string(port)
         + "\" within " + d + ": context deadline exceeded";
}

} // namespace

TEST_CASE("a SERVING server passes and sees the kube-probe user agent") {
  grpc_health_server srv;
  REQUIRE(srv.running());
  auto p = make_prober();
  auto r = run(*p, to(srv.port()));
  CHECK(r.outcome.result == probe_result::success);
  CHECK(r.outcome.output == "service healthy");
  CHECK(p->in_flight() == 0);
  CHECK(grpc_prober::user_agent() == "kube-probe/1.32");
  CHECK(srv.last_user_agent().rfind("kube-probe/1.32 ", 0) == 0);
  CHECK(srv.checks() == 1);
}

TEST_CASE("NOT_SERVING and back, over the same cached channel") {
  grpc_health_server srv;
  REQUIRE(srv.running());
  auto p = make_prober();
  srv.set_status("", health_status::not_serving);
  auto r = run(*p, to(srv.port()));
  CHECK(r.outcome.result == probe_result::failure);
  CHECK(r.outcome.output
        == R"(service unhealthy (responded with "NOT_SERVING"))");
  CHECK(p->cached_channels() == 1);
  srv.set_status("", health_status::serving);
  r = run(*p, to(srv.port()));
  CHECK(r.outcome.result == probe_result::success);
  CHECK(p->cached_channels() == 1);
}

TEST_CASE("named services: SERVING, UNKNOWN status and unknown service") {
  grpc_health_server srv;
  REQUIRE(srv.running());
  srv.set_status("shop.Cart", health_status::serving);
  srv.set_status("shop.Pay", health_status::unknown);
  auto p = make_prober();
  auto r = run(*p, to(srv.port(), "shop.Cart"));
  CHECK(r.outcome.result == probe_result::success);
  r = run(*p, to(srv.port(), "shop.Pay"));
  CHECK(r.outcome.result == probe_result::failure);
  CHECK(r.outcome.output == R"(service unhealthy (responded with "UNKNOWN"))");
  r = run(*p, to(srv.port(), "shop.Nope"));
  CHECK(r.outcome.result == probe_result::failure);
  CHECK(r.outcome.output
        == "error: health rpc probe failed: rpc error: code = NotFound desc = "
           "unknown service");
  srv.remove_service("shop.Cart");
  r = run(*p, to(srv.port(), "shop.Cart"));
  CHECK(r.outcome.result == probe_result::failure);
}

TEST_CASE("a server without the health service") {
  grpc_health_server_options opts;
  opts.implement_health = false;
  grpc_health_server srv{opts};
  REQUIRE(srv.running());
  auto p = make_prober();
  auto r = run(*p, to(srv.port()));
  CHECK(r.outcome.result == probe_result::failure);
  CHECK(r.outcome.output.rfind("error: this server does not implement the "
                               "grpc health protocol (grpc.health.v1.Health): ",
                               0)
        == 0);
}

TEST_CASE("nothing listening: connect timeout, not much after the timeout") {
  uint16_t port = 0;
  {
    socket_guard unused{false};
    port = unused.port();
  } // closed: connections are refused
  auto p = make_prober();
  auto r = run(*p, to(port, "", 1s));
  CHECK(r.outcome.result == probe_result::failure);
  CHECK(r.outcome.output == connect_timeout_text(port, "1s"));
  CHECK(r.elapsed < 2s);
  // A failed dial is not kept: the next attempt dials afresh.
  CHECK(p->cached_channels() == 0);
}

TEST_CASE("a listener that never speaks HTTP/2: connect timeout") {
  socket_guard silent{true};
  auto p = make_prober();
  auto r = run(*p, to(silent.port(), "", 500ms));
  CHECK(r.outcome.result == probe_result::failure);
  CHECK(r.outcome.output == connect_timeout_text(silent.port(), "500ms"));
  CHECK(r.elapsed >= 450ms);
  CHECK(r.elapsed < 1500ms);
}

TEST_CASE("a slow server: the health rpc does not complete in time") {
  grpc_health_server srv;
  REQUIRE(srv.running());
  auto p = make_prober();
  // Connect first, so that the timeout hits the call.
  REQUIRE(run(*p, to(srv.port())).outcome.result == probe_result::success);
  srv.set_delay(5s);
  auto r = run(*p, to(srv.port(), "", 500ms));
  CHECK(r.outcome.result == probe_result::failure);
  CHECK(r.outcome.output == "timeout: health rpc did not complete within 500ms");
  CHECK(r.elapsed >= 500ms);
  CHECK(r.elapsed < 1500ms);
  // The next attempt dials afresh.
  CHECK(p->cached_channels() == 0);
}

TEST_CASE("a slow server on a fresh channel: still bounded by the timeout") {
  grpc_health_server_options opts;
  opts.delay = 5s;
  grpc_health_server srv{opts};
  REQUIRE(srv.running());
  auto p = make_prober();
  auto r = run(*p, to(srv.port(), "", 1s));
  CHECK(r.outcome.result == probe_result::failure);
  CHECK(r.outcome.output == "timeout: health rpc did not complete within 1s");
  CHECK(r.elapsed >= 1s);
  CHECK(r.elapsed < 2s);
}

TEST_CASE("200 concurrent checks all complete") {
  grpc_health_server a;
  grpc_health_server b;
  REQUIRE(a.running());
  REQUIRE(b.running());
  b.set_status("", health_status::not_serving);
  auto p = make_prober();
  constexpr int n = 200;
  std::vector<std::promise<probe_outcome>> done(n);
  std::vector<std::future<probe_outcome>> futs;
  for (auto& x : done)
    futs.push_back(x.get_future());
  std::atomic<int> calls{0};
  for (int i = 0; i < n; ++i) {
    auto port = i % 2 == 0 ? a.port() : b.port();
    p->check(to(port, "", 5s), [&done, &calls, i](probe_outcome x) {
      ++calls;
      done[static_cast<size_t>(i)].set_value(std::move(x));
    });
  }
  int ok = 0;
  int failed = 0;
  for (auto& f : futs) {
    REQUIRE(f.wait_for(patience) == std::future_status::ready);
    auto x = f.get();
    if (x.result == probe_result::success)
      ++ok;
    else if (x.output == R"(service unhealthy (responded with "NOT_SERVING"))")
      ++failed;
  }
  CHECK(ok == n / 2);
  CHECK(failed == n / 2);
  CHECK(calls.load() == n);
  CHECK(p->in_flight() == 0);
  CHECK(p->cached_channels() == 2);
  CHECK(a.checks() + b.checks() == n);
}

TEST_CASE("destroying the prober cancels checks in flight, once each") {
  grpc_health_server_options opts;
  opts.delay = 60s;
  grpc_health_server slow{opts};
  REQUIRE(slow.running());
  socket_guard silent{true};
  auto p = make_prober();
  constexpr int n = 30;
  std::vector<std::promise<probe_outcome>> done(n);
  std::vector<std::future<probe_outcome>> futs;
  for (auto& x : done)
    futs.push_back(x.get_future());
  std::vector<std::atomic<int>> calls(n);
  auto start = [&](int i, uint16_t port) {
    p->check(to(port, "", 60s), [&done, &calls, i](probe_outcome x) {
      if (++calls[static_cast<size_t>(i)] == 1)
        done[static_cast<size_t>(i)].set_value(std::move(x));
    });
  };
  // Ten calls waiting on the slow server, ten dials that never complete...
  for (int i = 0; i < 10; ++i)
    start(i, slow.port());
  REQUIRE(slow.wait_for_checks(10, patience));
  for (int i = 10; i < 20; ++i)
    start(i, silent.port());
  // ... and ten that have barely started.
  for (int i = 20; i < n; ++i)
    start(i, slow.port());
  CHECK(p->in_flight() == n);
  auto before = steady::now();
  p.reset();
  CHECK(steady::now() - before < 1s); // does not wait for the checks
  for (auto& f : futs) {
    REQUIRE(f.wait_for(patience) == std::future_status::ready);
    auto x = f.get();
    CHECK(x.result == probe_result::unknown);
    CHECK(x.output == "cancelled");
  }
  CHECK(steady::now() - before < patience);
  for (auto& c : calls)
    CHECK(c.load() == 1);
}

TEST_CASE("a zero idle TTL keeps no channel") {
  grpc_health_server srv;
  REQUIRE(srv.running());
  grpc_prober_options opts;
  opts.channel_idle_ttl = 0ms;
  auto p = make_prober(opts);
  auto r = run(*p, to(srv.port()));
  CHECK(r.outcome.result == probe_result::success);
  CHECK(p->cached_channels() == 0);
  r = run(*p, to(srv.port()));
  CHECK(r.outcome.result == probe_result::success);
  CHECK(p->cached_channels() == 0);
}

TEST_CASE("malformed targets fail without crashing") {
  auto p = make_prober();
  auto r = run(*p, {"unix:/tmp/x", 1, "", 200ms});
  CHECK(r.outcome.result == probe_result::failure);
  CHECK(r.outcome.output
        == "timeout: failed to connect service \"[unix:/tmp/x]:1\" within "
           "200ms: context deadline exceeded");
  r = run(*p, {"", 0, "", 200ms});
  CHECK(r.outcome.result == probe_result::failure);
  r = run(*p, {"127.0.0.1", 1, "", 0ms});
  CHECK(r.outcome.result == probe_result::failure);
  CHECK(r.outcome.output
        == "timeout: failed to connect service \"127.0.0.1:1\" within 0s: "
           "context deadline exceeded");
}
