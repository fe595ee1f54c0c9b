// The event recorder against the faithful test API server (called in
// process, answered synchronously), under virtual time.
#include "actors/events/event_recorder.hpp"
#include "messages/errors.hpp"
#include "messages/json/json.hpp"
#include "messages/log.hpp"
#include "net/client/classify.hpp"
#include "tests/actors/test_fixture.hpp"
#include "tests/apiserver/server.hpp"

#include <caf/send.hpp>

#include <doctest/doctest.h>

#include <optional>
#include <string>

using namespace cafelet;
using namespace cafelet::actors;
using namespace std::chrono_literals;

namespace {

/// Turns an api_server answer into the message the real transport sends.
class actor_reply : public apiserver::reply_channel {
public:
  actor_reply(caf::actor receiver, uint64_t tag)
    : receiver_(std::move(receiver)), tag_(tag) {
    // nop
  }

  void respond(apiserver::response res) override {
    std::string retry_after;
    for (const auto& h : res.headers)
      if (h.name == "Retry-After")
        retry_after = h.value;
    auto cls = net::classify_response(res.status, res.content_type,
                                      retry_after, res.body);
    api_response out;
    out.call = tag_;
    out.status = res.status;
    out.error = cls.error;
    if (cls.retry_after)
      out.retry_after_ms = cls.retry_after->count() * 1000;
    if (cls.status)
      out.reason = cls.status->reason;
    out.body = std::move(res.body);
    caf::anon_send(receiver_, std::move(out));
  }

  std::shared_ptr<apiserver::stream_sink>
  stream(int, std::vector<apiserver::header>) override {
    FAIL("the event recorder never streams");
    return nullptr;
  }

  void drop() override {
    api_response out;
    out.call = tag_;
    out.error = make_error(errc::connection_failed, "dropped");
    caf::anon_send(receiver_, std::move(out));
  }

private:
  caf::actor receiver_;
  uint64_t tag_;
};

/// Keeps a synchronous answer.
class sync_reply : public apiserver::reply_channel {
public:
  void respond(apiserver::response res) override {
    result = std::move(res);
  }
  std::shared_ptr<apiserver::stream_sink>
  stream(int, std::vector<apiserver::header>) override {
    return nullptr;
  }
  void drop() override {
  }
  std::optional<apiserver::response> result;
};

apiserver::request to_request(const net::http_request& x,
                              apiserver::user_info user) {
  apiserver::request req;
  req.method = std::string{net::to_string(x.method)};
  req.path = x.path.substr(0, x.path.find('?'));
  req.query.clear();
  if (!x.body.empty())
    req.headers.push_back({"Content-Type", x.content_type.empty()
                                             ? "application/json"
                                             : x.content_type});
  req.headers.push_back({"Accept", x.accept});
  req.body = x.body;
  req.user = std::move(user);
  return req;
}

/// A transport calling an api_server in process as node edge-1.
class server_transport : public api::transport {
public:
  explicit server_transport(apiserver::api_server& srv) : srv_(srv) {
    // nop
  }

  uint64_t request(net::http_request req, caf::actor receiver,
                   uint64_t tag) override {
    ++requests;
    auto user = apiserver::user_info::from_certificate("system:node:edge-1",
                                                       {"system:nodes"});
    srv_.handle(to_request(req, std::move(user)),
                std::make_shared<actor_reply>(std::move(receiver), tag));
    return requests;
  }

  uint64_t stream(net::http_request, caf::actor, uint64_t) override {
    FAIL("the event recorder never streams");
    return 0;
  }

  void cancel(uint64_t) override {
    // Answers are synchronous: nothing to cancel.
  }

  std::string_view name() const noexcept override {
    return "apiserver";
  }

  uint64_t requests = 0;

private:
  apiserver::api_server& srv_;
};

struct server_fixture : cafelet::testing::deterministic_fixture {
  apiserver::api_server srv;
  std::shared_ptr<server_transport> api = std::make_shared<server_transport>(srv);
  std::shared_ptr<event_stats> stats = std::make_shared<event_stats>();
  caf::actor rec;

  server_fixture() {
    log::set_sink([](std::string_view) {});
    event_recorder_config cfg;
    cfg.node_name = "edge-1";
    cfg.clock = actor_wall_clock(*sys, *k8s::parse_time("2026-11-22T02:58:29Z"));
    rec = sys->spawn(event_recorder, api, cfg, stats);
    run();
  }

  ~server_fixture() {
    caf::anon_send_exit(rec, caf::exit_reason::user_shutdown);
    run();
    log::set_sink(nullptr);
  }

  void send(record_event x) {
    caf::anon_send(rec, std::move(x));
    run();
  }

  /// Calls the server as the cluster admin.
  apiserver::response admin(std::string method, std::string path) {
    apiserver::request req;
    req.method = std::move(method);
    req.path = std::move(path);
    req.user = apiserver::user_info::from_certificate("admin",
                                                      {"system:masters"});
    auto reply = std::make_shared<sync_reply>();
    srv.handle(std::move(req), reply);
    REQUIRE(reply->result.has_value());
    return *reply->result;
  }

  /// The events in namespace default.
  json::array events() {
    auto res = admin("GET", "/api/v1/namespaces/default/events");
    REQUIRE(res.status == 200);
    auto v = json::parse(res.body);
    REQUIRE(static_cast<bool>(v));
    return (*v)["items"].as_array();
  }
};

record_event node_event(std::string reason, std::string message) {
  record_event x;
  x.involved.kind = "Node";
  x.involved.name = "edge-1";
  x.type = "Normal";
  x.reason = std::move(reason);
  x.message = std::move(message);
  return x;
}

} // namespace

TEST_CASE_FIXTURE(server_fixture, "the API server accepts created, patched and recreated events") {
  send(node_event("NodeHasSufficientMemory", "Node edge-1 status is now: NodeHasSufficientMemory"));
  CHECK(stats->posted == 1);
  auto items = events();
  REQUIRE(items.size() == 1);
  auto name = items[0]["metadata"].get_string("name");
  CHECK(items[0].get_int("count") == 1);
  CHECK(items[0]["involvedObject"].get_string("uid") == "edge-1");

  advance(2s);
  send(node_event("NodeHasSufficientMemory", "Node edge-1 status is now: NodeHasSufficientMemory"));
  CHECK(stats->patched == 1);
  items = events();
  REQUIRE(items.size() == 1);
  CHECK(items[0].get_int("count") == 2);
  CHECK(items[0].get_string("firstTimestamp") == "2026-11-22T02:58:29Z");
  CHECK(items[0].get_string("lastTimestamp") == "2026-11-22T02:58:31Z");

  // The event expires on the server: the next repeat recreates it.
  CHECK(admin("DELETE", "/api/v1/namespaces/default/events/" + name).status == 200);
  advance(2s);
  send(node_event("NodeHasSufficientMemory", "Node edge-1 status is now: NodeHasSufficientMemory"));
  CHECK(stats->posted == 2);
  items = events();
  REQUIRE(items.size() == 1);
  CHECK(items[0]["metadata"].get_string("name") == name);
  CHECK(items[0].get_int("count") == 3);
  CHECK(stats->failed == 0);
}

TEST_CASE_FIXTURE(server_fixture, "the API server accepts combined similar events") {
  for (int i = 1; i <= 11; ++i) {
    advance(1s);
    send(node_event("Rebooted", "reboot " + std::to_string(i)));
  }
  CHECK(stats->failed == 0);
  CHECK(stats->posted == 10);
  CHECK(stats->patched == 1);
  bool found = false;
  for (auto& e : events())
    if (e.get_string("message") == "(combined from similar events): reboot 11") {
      found = true;
      CHECK(e.get_int("count") == 2);
    }
  CHECK(found);
}
