// The token manager under virtual time, answered by a scripted transport.
#include "actors/objects/token_manager.hpp"
#include "messages/errors.hpp"
#include "messages/json/json.hpp"
#include "tests/actors/api/scripted_transport.hpp"
#include "tests/actors/test_fixture.hpp"

#include <caf/event_based_actor.hpp>

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

using namespace cafelet;
using namespace cafelet::actors;
using namespace std::chrono_literals;
using cafelet::testing::scripted_call;
using cafelet::testing::scripted_transport;

namespace {

constexpr auto token_url = "POST /api/v1/namespaces/default/serviceaccounts/default/token";

/// 2023-11-14T22:13:20Z.
const k8s::timestamp epoch = k8s::timestamp{} + 1'700'000'000'000'000us;

using update_log = std::shared_ptr<std::vector<token_update>>;

/// A subscriber that records what it receives.
caf::behavior recorder(caf::event_based_actor*, update_log got) {
  return {
    [got](const token_update& x) { got->push_back(x); },
  };
}

token_key web_key(int64_t expiration = 3607, std::string audience = {}) {
  token_key k;
  k.namespace_ = "default";
  k.service_account = "default";
  k.pod_name = "web-1";
  k.pod_uid = "a43dfde4-248f-4ffa-aa9d-98e0cedcbcd0";
  k.audience = std::move(audience);
  k.expiration_seconds = expiration;
  return k;
}

/// A TokenRequest answer as the API server sends it.
std::string answer(const std::string& token, k8s::timestamp expires) {
  return R"({"kind":"TokenRequest","apiVersion":"authentication.k8s.io/v1",)"
         R"("metadata":{"name":"default","namespace":"default"},)"
         R"("spec":{"audiences":["https://kubernetes.default.svc.cluster.local"],)"
         R"("expirationSeconds":3607},"status":{"token":")"
         + token + R"(","expirationTimestamp":")" + k8s::format_time(expires)
         + R"("}})";
}

const std::string forbidden_status
  = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"serviceaccounts \"default\" is forbidden: the UID in the bound object reference does not match","reason":"Forbidden","details":{"name":"default","kind":"serviceaccounts"},"code":403})";

const std::string server_error_status
  = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"etcdserver: request timed out","reason":"InternalError","code":500})";

struct fixture : cafelet::testing::deterministic_fixture {
  std::shared_ptr<scripted_transport> api = std::make_shared<scripted_transport>();
  std::shared_ptr<token_stats> stats = std::make_shared<token_stats>();
  caf::actor mgr;
  std::vector<caf::actor> subs;
  /// The wall clock the manager sees.
  wall_clock wall_now;

  fixture() {
    wall_now = actor_wall_clock(*sys, epoch);
    token_manager_config cfg;
    cfg.seed = 7;
    cfg.clock = wall_now;
    cfg.stats = stats;
    mgr = sys->spawn(token_manager, api, std::move(cfg));
    run();
  }

  ~fixture() {
    caf::anon_send_exit(mgr, caf::exit_reason::user_shutdown);
    for (auto& s : subs)
      caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
    run();
  }

  /// Spawns a recording subscriber.
  std::pair<caf::actor, update_log> subscriber() {
    auto got = std::make_shared<std::vector<token_update>>();
    auto a = sys->spawn(recorder, got);
    subs.push_back(a);
    return {a, got};
  }

  void subscribe(const token_key& k, const caf::actor& s) {
    caf::anon_send(mgr, subscribe_atom::value, k, s);
    run();
  }

  void unsubscribe(const token_key& k, const caf::actor& s) {
    caf::anon_send(mgr, unsubscribe_atom::value, k, s);
    run();
  }

  /// The only open call; fails the test unless it is a TokenRequest.
  scripted_call expect_request() {
    auto open = api->open();
    REQUIRE_MESSAGE(open.size() == 1, "open calls: " << open.size());
    CHECK(open.front().summary() == token_url);
    return open.front();
  }

  /// Answers the open TokenRequest with `token`, valid for `lifetime`
  /// from now (wall clock).
  void grant(const std::string& token, std::chrono::seconds lifetime) {
    auto c = expect_request();
    api->reply(c.key, 201, answer(token, wall_now() + lifetime));
    run();
  }

  void fail_with(int status, const std::string& body) {
    auto c = expect_request();
    api->reply(c.key, status, body);
    run();
  }
};

} // namespace

TEST_CASE("token manager: refresh delay is 80 % of the lifetime, at most a day") {
  auto t0 = epoch;
  CHECK(refresh_delay(t0, t0 + 1000s, 3607s) == 800s);
  CHECK(refresh_delay(t0, t0 + 3607s, 3607s) == 2885600ms);
  // Longer than 24 h: after a day (upstream's maxTTL).
  CHECK(refresh_delay(t0, t0 + 24h * 7, 3607s) == 24h);
  // Already expired (clock skew): the requested lifetime stands in.
  CHECK(refresh_delay(t0, t0 - 5s, 1000s) == 800s);
  // Never a busy loop.
  CHECK(refresh_delay(t0, t0 + 1s, 1000s) == 1s);
}

TEST_CASE("token manager: expirationSeconds is clamped to the API server's range") {
  CHECK(effective_expiration_seconds(3607) == 3607);
  CHECK(effective_expiration_seconds(599) == 600);
  CHECK(effective_expiration_seconds(-1) == 600);
  CHECK(effective_expiration_seconds(int64_t{1} << 40) == (int64_t{1} << 32) - 1);
}

TEST_CASE_FIXTURE(fixture, "token manager: a subscription requests a token bound to the pod") {
  auto [s, got] = subscriber();
  subscribe(web_key(), s);
  auto c = expect_request();
  CHECK(c.req.method == net::http_method::post);
  CHECK(c.req.path == "/api/v1/namespaces/default/serviceaccounts/default/token");
  auto body = json::parse(c.req.body);
  REQUIRE(body);
  CHECK(body->get_string("apiVersion") == "authentication.k8s.io/v1");
  CHECK(body->get_string("kind") == "TokenRequest");
  const auto* spec = body->find("spec");
  REQUIRE(spec != nullptr);
  // No audience: null, the API server's own (as the real kubelet sends).
  REQUIRE(spec->find("audiences") != nullptr);
  CHECK(spec->find("audiences")->is_null());
  CHECK(spec->get_int("expirationSeconds") == 3607);
  auto ref = json::parse(R"({"kind":"Pod","apiVersion":"v1","name":"web-1",)"
                         R"("uid":"a43dfde4-248f-4ffa-aa9d-98e0cedcbcd0"})");
  REQUIRE(ref);
  REQUIRE(spec->find("boundObjectRef") != nullptr);
  CHECK(*spec->find("boundObjectRef") == *ref);
  CHECK(got->empty());
  api->reply(c.key, 201, answer("tok-1", epoch + 3607s));
  run();
  REQUIRE(got->size() == 1);
  CHECK(got->front().key == web_key());
  CHECK(got->front().token == "tok-1");
  CHECK(got->front().expires_at == 1'700'000'000 + 3607);
  CHECK(got->front().error.empty());
  CHECK(stats->requests == 1);
  CHECK(stats->tokens == 1);
  CHECK(stats->keys == 1);
  CHECK(api->open().empty());
}

TEST_CASE_FIXTURE(fixture, "token manager: an audience is requested as the only one") {
  auto [s, got] = subscriber();
  subscribe(web_key(7200, "vault"), s);
  auto c = expect_request();
  auto body = json::parse(c.req.body);
  REQUIRE(body);
  const auto* auds = body->find_path({"spec", "audiences"});
  REQUIRE(auds != nullptr);
  REQUIRE(auds->is_array());
  REQUIRE(auds->size() == 1);
  CHECK(auds->as_array().front().as_string() == "vault");
  CHECK(body->find_path({"spec", "expirationSeconds"})->as_int() == 7200);
}

TEST_CASE_FIXTURE(fixture, "token manager: too short a lifetime is raised to 600 s") {
  auto [s, got] = subscriber();
  subscribe(web_key(60), s);
  auto c = expect_request();
  auto body = json::parse(c.req.body);
  REQUIRE(body);
  CHECK(body->find_path({"spec", "expirationSeconds"})->as_int() == 600);
  api->reply(c.key, 201, answer("tok-1", epoch + 600s));
  run();
  REQUIRE(got->size() == 1);
  CHECK(got->front().key.expiration_seconds == 60); // the subscriber's key
}

TEST_CASE_FIXTURE(fixture, "token manager: two subscribers share one request") {
  auto [a, got_a] = subscriber();
  auto [b, got_b] = subscriber();
  subscribe(web_key(), a);
  subscribe(web_key(), b);
  CHECK(api->all().size() == 1);
  grant("tok-1", 3607s);
  REQUIRE(got_a->size() == 1);
  REQUIRE(got_b->size() == 1);
  CHECK(got_a->front().token == "tok-1");
  CHECK(got_b->front().token == "tok-1");
  CHECK(stats->requests == 1);
}

TEST_CASE_FIXTURE(fixture, "token manager: different keys get separate tokens") {
  auto [s, got] = subscriber();
  subscribe(web_key(), s);
  subscribe(web_key(3607, "vault"), s);
  CHECK(api->open().size() == 2);
  CHECK(stats->keys == 2);
}

TEST_CASE_FIXTURE(fixture, "token manager: a later subscriber gets the cached token at once") {
  auto [a, got_a] = subscriber();
  subscribe(web_key(), a);
  grant("tok-1", 3607s);
  advance(60s);
  auto [b, got_b] = subscriber();
  subscribe(web_key(), b);
  REQUIRE(got_b->size() == 1);
  CHECK(got_b->front().token == "tok-1");
  CHECK(api->all().size() == 1);
  CHECK(api->open().empty());
  CHECK(got_a->size() == 1); // nothing new for the first one
}

TEST_CASE_FIXTURE(fixture, "token manager: refresh at 80 % of the lifetime reaches every subscriber") {
  auto [a, got_a] = subscriber();
  auto [b, got_b] = subscriber();
  subscribe(web_key(1000), a);
  subscribe(web_key(1000), b);
  grant("tok-1", 1000s);
  advance(799'999ms);
  CHECK(api->open().empty()); // not before
  advance(1ms);
  auto c = expect_request();
  CHECK(c.req.body.find(R"("expirationSeconds":1000)") != std::string::npos);
  api->reply(c.key, 201, answer("tok-2", wall_now() + 1000s));
  run();
  REQUIRE(got_a->size() == 2);
  REQUIRE(got_b->size() == 2);
  CHECK(got_a->back().token == "tok-2");
  CHECK(got_b->back().token == "tok-2");
  CHECK(got_a->back().expires_at == 1'700'000'000 + 800 + 1000);
  CHECK(stats->refreshes == 1);
  // The next refresh counts from the new token's arrival.
  advance(799'999ms);
  CHECK(api->open().empty());
  advance(1ms);
  CHECK(api->open().size() == 1);
}

TEST_CASE_FIXTURE(fixture, "token manager: a token living longer than a day is renewed daily") {
  auto [s, got] = subscriber();
  subscribe(web_key(7 * 24 * 3600), s);
  grant("tok-1", 7 * 24h);
  advance(24h - 1ms);
  CHECK(api->open().empty());
  advance(1ms);
  CHECK(api->open().size() == 1);
}

TEST_CASE_FIXTURE(fixture, "token manager: failures are retried with backoff, with an error while no token exists") {
  auto [s, got] = subscriber();
  subscribe(web_key(), s);
  fail_with(500, server_error_status);
  REQUIRE(got->size() == 1);
  CHECK(got->back().token.empty());
  CHECK(!got->back().error.empty());
  CHECK(got->back().key == web_key());
  CHECK(stats->failures == 1);
  // First retry within (0.8 s, 1 s].
  advance(799ms);
  CHECK(api->open().empty());
  advance(201ms);
  REQUIRE(api->open().size() == 1);
  api->fail(api->open().front().key, make_error(errc::connection_failed, "refused"));
  run();
  REQUIRE(got->size() == 2);
  CHECK(!got->back().error.empty());
  // Second retry within (1.6 s, 2 s].
  advance(1599ms);
  CHECK(api->open().empty());
  advance(401ms);
  // A subscriber arriving while the retry is in flight shares it.
  auto [t, got_t] = subscriber();
  subscribe(web_key(), t);
  CHECK(got_t->empty()); // a request is in flight: wait for it
  grant("tok-1", 3607s);
  REQUIRE(got->size() == 3);
  CHECK(got->back().token == "tok-1");
  CHECK(got->back().error.empty());
  REQUIRE(got_t->size() == 1);
  CHECK(got_t->back().token == "tok-1");
  CHECK(stats->requests == 3);
  CHECK(stats->failures == 2);
}

TEST_CASE_FIXTURE(fixture, "token manager: a subscriber arriving during a backoff gets the error at once") {
  auto [a, got_a] = subscriber();
  subscribe(web_key(), a);
  fail_with(500, server_error_status);
  auto [b, got_b] = subscriber();
  subscribe(web_key(), b);
  REQUIRE(got_b->size() == 1);
  CHECK(!got_b->front().error.empty());
  CHECK(api->open().empty()); // the backoff keeps its pace
  advance(1s);
  CHECK(api->open().size() == 1);
}

TEST_CASE_FIXTURE(fixture, "token manager: 403 and 404 are retried only at the cap") {
  auto [s, got] = subscriber();
  subscribe(web_key(), s);
  fail_with(403, forbidden_status);
  REQUIRE(got->size() == 1);
  CHECK(got->back().error.find("forbidden") != std::string::npos);
  advance(29'999ms);
  CHECK(api->open().empty());
  advance(1ms);
  fail_with(404, R"({"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404})");
  advance(29'999ms);
  CHECK(api->open().empty());
  advance(1ms);
  CHECK(api->open().size() == 1);
}

TEST_CASE_FIXTURE(fixture, "token manager: an undecodable answer is a failure") {
  auto [s, got] = subscriber();
  subscribe(web_key(), s);
  auto c = expect_request();
  api->reply(c.key, 201, R"({"kind":"TokenRequest","status":{}})");
  run();
  REQUIRE(got->size() == 1);
  CHECK(got->back().error.find("status.token") != std::string::npos);
  CHECK(stats->failures == 1);
  CHECK(stats->tokens == 0);
  advance(1s);
  CHECK(api->open().size() == 1);
}

TEST_CASE_FIXTURE(fixture, "token manager: a failed refresh keeps the old token until it expires") {
  auto [s, got] = subscriber();
  subscribe(web_key(1000), s);
  grant("tok-1", 1000s);
  advance(800s);
  fail_with(503, server_error_status);
  CHECK(got->size() == 1); // no error update: tok-1 is still valid
  CHECK(stats->failures == 1);
  CHECK(stats->tokens == 1);
  // Retry after the backoff; a success replaces the token.
  advance(1s);
  grant("tok-2", 1000s);
  REQUIRE(got->size() == 2);
  CHECK(got->back().token == "tok-2");
  CHECK(got->back().error.empty());
  // Keep failing the next refresh until tok-2 expires: then an error.
  advance(800s);
  size_t rounds = 0;
  while (got->size() == 2 && rounds++ < 100) {
    REQUIRE(api->open().size() == 1);
    fail_with(500, server_error_status);
    advance(30s);
  }
  REQUIRE(got->size() == 3);
  CHECK(!got->back().error.empty());
  CHECK(wall_now() >= epoch + 801s + 1000s);
}

TEST_CASE_FIXTURE(fixture, "token manager: unsubscribing the last subscriber stops refreshes") {
  auto [a, got_a] = subscriber();
  auto [b, got_b] = subscriber();
  subscribe(web_key(1000), a);
  subscribe(web_key(1000), b);
  grant("tok-1", 1000s);
  unsubscribe(web_key(1000), a);
  CHECK(stats->keys == 1);
  advance(800s);
  grant("tok-2", 1000s);
  CHECK(got_a->size() == 1); // gone before the refresh
  CHECK(got_b->size() == 2);
  unsubscribe(web_key(1000), b);
  CHECK(stats->keys == 0);
  CHECK(stats->tokens == 0);
  advance(2000s);
  CHECK(api->open().empty());
  CHECK(stats->requests == 2);
  // Subscribing again starts over with a fresh request.
  subscribe(web_key(1000), a);
  CHECK(api->open().size() == 1);
}

TEST_CASE_FIXTURE(fixture, "token manager: forgetting a key cancels its request") {
  auto [s, got] = subscriber();
  subscribe(web_key(), s);
  auto c = expect_request();
  unsubscribe(web_key(), s);
  CHECK(api->open().empty());
  CHECK(api->all().front().cancelled);
  api->reply(c.key, 201, answer("tok-late", epoch + 3607s)); // ignored
  run();
  CHECK(got->empty());
}

TEST_CASE_FIXTURE(fixture, "token manager: a subscriber's death counts as unsubscribing") {
  auto [a, got_a] = subscriber();
  auto [b, got_b] = subscriber();
  subscribe(web_key(1000), a);
  subscribe(web_key(1000, "vault"), a);
  subscribe(web_key(1000), b);
  auto open = api->open();
  REQUIRE(open.size() == 2);
  for (auto& c : open)
    api->reply(c.key, 201, answer("tok", wall_now() + 1000s));
  run();
  CHECK(stats->keys == 2);
  caf::anon_send_exit(a, caf::exit_reason::kill);
  run();
  CHECK(stats->keys == 1); // the "vault" key had only `a`
  caf::anon_send_exit(b, caf::exit_reason::kill);
  run();
  CHECK(stats->keys == 0);
  advance(2000s);
  CHECK(api->open().empty());
  CHECK(stats->requests == 2);
}

TEST_CASE_FIXTURE(fixture, "token manager: a key that cannot be requested gets an error, no request") {
  auto [s, got] = subscriber();
  auto k = web_key();
  k.pod_uid.clear();
  subscribe(k, s);
  auto bad_ns = web_key();
  bad_ns.namespace_ = "../nodes";
  subscribe(bad_ns, s);
  CHECK(api->all().empty());
  REQUIRE(got->size() == 2);
  CHECK(!(*got)[0].error.empty());
  CHECK(!(*got)[1].error.empty());
  CHECK(stats->keys == 0);
}
