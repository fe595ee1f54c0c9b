// The lease actor under virtual time, answered by a scripted transport.
#include "actors/lease/lease.hpp"
#include "actors/supervisor.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/k8s/decode.hpp"
#include "messages/log.hpp"
#include "tests/actors/api/scripted_calls.hpp"
#include "tests/actors/test_fixture.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace cafelet;
using namespace cafelet::actors;
using namespace std::chrono_literals;
using cafelet::testing::scripted_call;
using cafelet::testing::scripted_transport;

namespace {

constexpr auto lease_url
  = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/edge-1";

std::string lease_json(int rv, bool owner = true) {
  std::string s = R"({"kind":"Lease","apiVersion":"coordination.k8s.io/v1",)"
                  R"("metadata":{"name":"edge-1","namespace":"kube-node-lease",)"
                  R"("uid":"e4daaacd","resourceVersion":")"
                  + std::to_string(rv) + "\"";
  if (owner)
    s += R"(,"ownerReferences":[{"apiVersion":"v1","kind":"Node","name":"edge-1","uid":"node-uid-1"}])";
  s += R"(},"spec":{"holderIdentity":"edge-1","leaseDurationSeconds":40,)"
       R"("renewTime":"2026-11-22T02:59:27.676563Z"}})";
  return s;
}

const std::string node_json
  = R"({"kind":"Node","apiVersion":"v1","metadata":{"name":"edge-1","uid":"node-uid-1","resourceVersion":"5"}})";

struct fixture : cafelet::testing::deterministic_fixture,
                 cafelet::testing::scripted_calls<fixture> {
  std::shared_ptr<scripted_transport> api = std::make_shared<scripted_transport>();
  std::shared_ptr<lease_stats> stats = std::make_shared<lease_stats>();
  caf::actor lease;

  lease_config config() {
    lease_config cfg;
    cfg.node_name = "edge-1";
    cfg.seed = 42;
    cfg.clock = actor_wall_clock(*sys, k8s::timestamp{} + 1'700'000'000'000'000us);
    cfg.stats = stats;
    return cfg;
  }

  void start() {
    lease = sys->spawn(lease_actor, api, config());
    run();
  }

  ~fixture() {
    if (lease)
      caf::anon_send_exit(lease, caf::exit_reason::user_shutdown);
    run();
  }

  /// Completes the create path: GET lease 404, GET node, POST 201 rv=10.
  void create_lease() {
    answer(std::string{"GET "} + lease_url, 404,
           R"({"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404})");
    answer("GET /api/v1/nodes/edge-1", 200, node_json);
    answer("POST /apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
           201, lease_json(10));
  }
};

const std::string conflict_status
  = R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"Operation cannot be fulfilled on leases.coordination.k8s.io \"edge-1\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","code":409})";

} // namespace

TEST_CASE_FIXTURE(fixture, "a missing lease is created with owner, holder and MicroTime renewTime") {
  start();
  answer(std::string{"GET "} + lease_url, 404,
         R"({"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404})");
  answer("GET /api/v1/nodes/edge-1", 200, node_json);
  auto post = expect("POST /apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases");
  CHECK(post.req.path.find("timeout=10s") != std::string::npos);
  auto& body = post.req.body;
  CHECK(body.find(R"("holderIdentity":"edge-1")") != std::string::npos);
  CHECK(body.find(R"("leaseDurationSeconds":40)") != std::string::npos);
  CHECK(body.find(R"("uid":"node-uid-1")") != std::string::npos);
  CHECK(body.find(R"("kind":"Node")") != std::string::npos);
  // 1'700'000'000 s since the epoch, microsecond precision.
  CHECK(body.find(R"("renewTime":"2023-11-14T22:13:20.000000Z")") != std::string::npos);
  api->reply(post.key, 201, lease_json(10));
  run();
  CHECK(stats->creations == 1);
  CHECK(stats->renewals == 1);
  CHECK(api->open().empty());
}

TEST_CASE_FIXTURE(fixture, "renewals follow every 10 s with the last resourceVersion") {
  start();
  create_lease();
  for (int i = 0; i < 3; ++i) {
    advance(9999ms);
    CHECK(api->open().empty()); // not yet due
    advance(1ms);
    auto put = expect(std::string{"PUT "} + lease_url);
    CHECK(put.req.body.find("\"resourceVersion\":\"" + std::to_string(10 + i) + "\"")
          != std::string::npos);
    CHECK(put.req.body.find(R"("renewTime":"2023-11-14T22:13:)") != std::string::npos);
    api->reply(put.key, 200, lease_json(11 + i));
    run();
  }
  CHECK(stats->renewals == 4);
  auto late = stats->lateness_samples();
  REQUIRE(late.size() == 4);
  for (auto x : late)
    CHECK(x == doctest::Approx(0.0));
}

TEST_CASE_FIXTURE(fixture, "a 409 Conflict re-reads the lease and renews at once") {
  start();
  create_lease();
  advance(10s);
  answer(std::string{"PUT "} + lease_url, 409, conflict_status);
  answer(std::string{"GET "} + lease_url, 200, lease_json(20));
  auto put = expect(std::string{"PUT "} + lease_url);
  CHECK(put.req.body.find(R"("resourceVersion":"20")") != std::string::npos);
  api->reply(put.key, 200, lease_json(21));
  run();
  CHECK(stats->conflicts == 1);
  CHECK(stats->renewals == 2);
  CHECK(stats->failures == 0);
}

TEST_CASE_FIXTURE(fixture, "failures back off from 200 ms doubling to a 7 s cap, jittered") {
  start();
  create_lease();
  advance(10s);
  // Expected nominal delays; jitter draws each from (0.8 d, d].
  std::vector<int> nominal{200, 400, 800, 1600, 3200, 6400, 7000, 7000};
  for (auto d : nominal) {
    auto c = expect(std::string{"PUT "} + lease_url);
    api->fail(c.key, make_error(errc::connection_failed, "connection refused"));
    run();
    auto lo = std::chrono::milliseconds{d * 8 / 10};
    advance(lo - 1ms);
    CHECK_MESSAGE(api->open().empty(), "retry came before " << lo.count() << " ms");
    advance(std::chrono::milliseconds{d} - lo + 1ms);
    CHECK_MESSAGE(api->open().size() == 1, "no retry within " << d << " ms");
  }
  CHECK(stats->failures == nominal.size());
  // Success resets the backoff and lateness shows the outage.
  answer(std::string{"PUT "} + lease_url, 200, lease_json(30));
  auto late = stats->lateness_samples();
  REQUIRE(late.size() == 2);
  CHECK(late.back() > 20.0);
  CHECK(late.back() < 37.0);
}

TEST_CASE_FIXTURE(fixture, "after a 60 s outage the lease is renewed within one renew interval") {
  start();
  create_lease();
  advance(10s);
  // The API server is unreachable for 60 s: every attempt fails.
  auto outage_end = sys->clock().now() + 60s;
  int attempts = 0;
  while (sys->clock().now() < outage_end) {
    auto c = api->next();
    if (c) {
      ++attempts;
      api->fail(c->key, make_error(errc::timeout, "request timed out"));
      run();
    }
    advance(100ms);
  }
  CHECK(attempts > 5);
  CHECK(attempts < 30); // backed off, not hammering
  // Back: the next attempt comes within the 7 s cap (< 10 s) and succeeds.
  auto back = sys->clock().now();
  while (!api->next() && sys->clock().now() - back < 10s)
    advance(100ms);
  REQUIRE(api->next().has_value());
  CHECK(sys->clock().now() - back <= 7s);
  answer(std::string{"PUT "} + lease_url, 200, lease_json(40));
  CHECK(stats->renewals == 2);
  // Regular cadence again.
  advance(10s);
  CHECK(api->next().has_value());
}

TEST_CASE_FIXTURE(fixture, "403 is reported and retried, never crashes the actor") {
  std::vector<std::string> lines;
  log::set_sink([&](std::string_view line) { lines.emplace_back(line); });
  start();
  answer(std::string{"GET "} + lease_url, 403,
         R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"leases.coordination.k8s.io \"edge-1\" is forbidden: User \"system:node:edge-2\" cannot get resource \"leases\"","reason":"Forbidden","code":403})");
  log::set_sink(nullptr);
  bool reported = false;
  for (auto& l : lines)
    if (l.find("level=error") != std::string::npos
        && l.find("system:node:edge-1") != std::string::npos
        && l.find("forbidden") != std::string::npos)
      reported = true;
  CHECK(reported);
  CHECK(stats->failures == 1);
  advance(200ms);
  CHECK(api->next().has_value());
}

TEST_CASE_FIXTURE(fixture, "a crashed lease actor is restarted and renews before the next renewal is due") {
  supervisor_spec spec;
  spec.options.base_backoff = 50ms;
  spec.options.max_backoff = 5s;
  spec.options.max_restarts = 10;
  auto api_copy = api;
  auto cfg = config();
  spec.factories["lease"] = [api_copy, cfg](caf::local_actor* parent, const std::string&,
                                            const caf::message&) {
    return parent->spawn(lease_actor, api_copy, cfg);
  };
  spec.children = {start_child{"lease", "lease", restart_policy::permanent, {}}};
  auto dir = std::make_shared<actor_directory>();
  auto sup = sys->spawn(supervisor, std::string{"node"}, std::move(spec), dir);
  run();
  create_lease();
  advance(3s);
  // Find the lease child and crash it.
  auto entries = dir->entries();
  caf::actor child;
  for (auto& c : api->all())
    child = c.receiver;
  REQUIRE(child);
  caf::anon_send(child, crash_atom::value);
  run();
  // Back within the restart backoff (50 ms, jittered) and renewing at once,
  // long before the 10 s renewal would have been due.
  advance(60ms);
  auto c = api->next();
  REQUIRE(c.has_value());
  CHECK(c->summary() == std::string{"GET "} + lease_url);
  CHECK(c->receiver != child);
  api->reply(c->key, 200, lease_json(50));
  run();
  answer(std::string{"PUT "} + lease_url, 200, lease_json(51));
  CHECK(stats->renewals == 2);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  run();
}

TEST_CASE_FIXTURE(fixture, "429 Retry-After is honoured up to the backoff cap") {
  start();
  create_lease();
  advance(10s);
  auto c = expect(std::string{"PUT "} + lease_url);
  api->reply(c.key, 429,
             R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"too many requests","reason":"TooManyRequests","details":{"retryAfterSeconds":3},"code":429})");
  run();
  advance(2900ms);
  CHECK(api->open().empty());
  advance(200ms);
  CHECK(api->open().size() == 1);
  // A huge Retry-After is capped at 7 s.
  c = expect(std::string{"PUT "} + lease_url);
  api->reply(c.key, 429,
             R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"too many requests","reason":"TooManyRequests","details":{"retryAfterSeconds":60},"code":429})");
  run();
  advance(7001ms);
  CHECK(api->open().size() == 1);
}
