// The event recorder under virtual time, answered by a scripted transport.
#include "actors/events/event_recorder.hpp"
#include "messages/errors.hpp"
#include "messages/json/json.hpp"
#include "messages/log.hpp"
#include "tests/actors/api/scripted_calls.hpp"
#include "tests/actors/test_fixture.hpp"

#include <doctest/doctest.h>

#include <cinttypes>
#include <cstdio>
#include <string>
#include <vector>

using namespace cafelet;
using namespace cafelet::actors;
using namespace std::chrono_literals;
using cafelet::testing::scripted_call;
using cafelet::testing::scripted_transport;

namespace {

constexpr auto events_url = "/api/v1/namespaces/default/events";
constexpr auto memory_msg = "Node edge-1 status is now: NodeHasSufficientMemory";

const std::string not_found_status
  = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"events \"x\" not found","reason":"NotFound","details":{"name":"x","kind":"events"},"code":404})";

record_event node_event(std::string reason = "NodeHasSufficientMemory",
                        std::string message = memory_msg,
                        std::string type = "Normal") {
  record_event x;
  x.involved.kind = "Node";
  x.involved.name = "edge-1";
  x.type = std::move(type);
  x.reason = std::move(reason);
  x.message = std::move(message);
  return x;
}

record_event pod_event(const std::string& name, std::string reason = "Pulled") {
  record_event x;
  x.involved.kind = "Pod";
  x.involved.namespace_ = "web";
  x.involved.name = name;
  x.involved.uid = "uid-" + name;
  x.involved.api_version = "v1";
  x.involved.resource_version = "42";
  x.involved.field_path = "spec.containers{app}";
  x.type = "Normal";
  x.reason = std::move(reason);
  x.message = "Successfully pulled image";
  return x;
}

k8s::timestamp epoch() {
  return *k8s::parse_time("2026-11-22T02:58:29.123456Z");
}

/// `<name>.<hex unix nanos of t>`, as upstream's fmt "%v.%x".
std::string event_name(const std::string& name, k8s::timestamp t) {
  char buf[32];
  auto nanos = static_cast<uint64_t>(t.time_since_epoch().count()) * 1000;
  std::snprintf(buf, sizeof(buf), ".%016" PRIx64, nanos);
  return name + buf;
}

json::value parse(const std::string& text) {
  auto v = json::parse(text);
  REQUIRE_MESSAGE(static_cast<bool>(v), "not JSON: " << text);
  return std::move(*v);
}

struct fixture : cafelet::testing::deterministic_fixture,
                 cafelet::testing::scripted_calls<fixture> {
  std::shared_ptr<scripted_transport> api = std::make_shared<scripted_transport>();
  std::shared_ptr<event_stats> stats = std::make_shared<event_stats>();
  std::vector<std::string> logs;
  caf::actor rec;

  fixture() {
    log::set_sink([this](std::string_view line) { logs.emplace_back(line); });
  }

  ~fixture() {
    if (rec)
      caf::anon_send_exit(rec, caf::exit_reason::user_shutdown);
    run();
    log::set_sink(nullptr);
  }

  event_recorder_config config() {
    event_recorder_config cfg;
    cfg.node_name = "edge-1";
    cfg.seed = 7;
    cfg.clock = actor_wall_clock(*sys, epoch());
    return cfg;
  }

  void start(event_recorder_config cfg) {
    rec = sys->spawn(event_recorder, api, std::move(cfg), stats);
    run();
  }

  void start() {
    start(config());
  }

  void send(record_event x) {
    caf::anon_send(rec, std::move(x));
    run();
  }

  event_recorder_snapshot snapshot() {
    return snapshot_of(state_of<event_recorder_state>(rec));
  }

  bool logged(std::string_view level, std::string_view text) const {
    for (const auto& l : logs)
      if (l.find(level) != std::string::npos
          && l.find(text) != std::string::npos)
        return true;
    return false;
  }
};

} // namespace

TEST_CASE_FIXTURE(fixture, "a first event is POSTed with the real kubelet's body") {
  start();
  send(node_event());
  auto post = expect(std::string{"POST "} + events_url);
  CHECK(post.req.content_type == "application/json");
  auto body = parse(post.req.body);
  // Member order as client-go marshals a v1.Event.
  std::vector<std::string> keys;
  for (const auto& [k, v] : body.as_object())
    keys.push_back(k);
  CHECK(keys
        == std::vector<std::string>{"kind", "apiVersion", "metadata",
                                    "involvedObject", "reason", "message",
                                    "source", "firstTimestamp", "lastTimestamp",
                                    "count", "type", "eventTime",
                                    "reportingComponent", "reportingInstance"});
  CHECK(body.get_string("kind") == "Event");
  CHECK(body.get_string("apiVersion") == "v1");
  auto name = event_name("edge-1", epoch());
  CHECK(name.size() == std::string{"edge-1."}.size() + 16);
  CHECK(body["metadata"] == parse(R"({"name":")" + name + R"(","namespace":"default"})"));
  CHECK(body["involvedObject"] == parse(R"({"kind":"Node","name":"edge-1","uid":"edge-1"})"));
  CHECK(body.get_string("reason") == "NodeHasSufficientMemory");
  CHECK(body.get_string("message") == memory_msg);
  CHECK(body["source"] == parse(R"({"component":"kubelet","host":"edge-1"})"));
  CHECK(body.get_string("firstTimestamp") == "2026-11-22T02:58:29Z");
  CHECK(body.get_string("lastTimestamp") == "2026-11-22T02:58:29Z");
  CHECK(body.get_int("count") == 1);
  CHECK(body.get_string("type") == "Normal");
  REQUIRE(body.find("eventTime") != nullptr);
  CHECK(body.find("eventTime")->is_null());
  CHECK(body.get_string("reportingComponent") == "kubelet");
  CHECK(body.get_string("reportingInstance") == "edge-1");
  // Byte for byte what the real kubelet sent (audit log of file 21).
  CHECK(post.req.body
        == R"({"kind":"Event","apiVersion":"v1","metadata":{"name":")" + name
             + R"(","namespace":"default"},"involvedObject":{"kind":"Node","name":"edge-1",)"
               R"("uid":"edge-1"},"reason":"NodeHasSufficientMemory","message":"Node edge-1 )"
               R"(status is now: NodeHasSufficientMemory","source":{"component":"kubelet",)"
               R"("host":"edge-1"},"firstTimestamp":"2026-11-22T02:58:29Z","lastTimestamp":)"
               R"("2026-11-22T02:58:29Z","count":1,"type":"Normal","eventTime":null,)"
               R"("reportingComponent":"kubelet","reportingInstance":"edge-1"})");
  api->reply(post.key, 201, post.req.body);
  run();
  CHECK(stats->posted == 1);
  CHECK(stats->failed == 0);
  CHECK(api->open().empty());
}

TEST_CASE_FIXTURE(fixture, "pod events go to the pod's namespace with its full reference") {
  start();
  send(pod_event("web-1"));
  auto post = expect("POST /api/v1/namespaces/web/events");
  auto body = parse(post.req.body);
  CHECK(body["metadata"].get_string("namespace") == "web");
  CHECK(body["metadata"].get_string("name") == event_name("web-1", epoch()));
  CHECK(body["involvedObject"]
        == parse(R"({"kind":"Pod","namespace":"web","name":"web-1","uid":"uid-web-1",)"
                 R"("apiVersion":"v1","resourceVersion":"42","fieldPath":"spec.containers{app}"})"));
}

TEST_CASE_FIXTURE(fixture, "names stay unique when events share a timestamp") {
  start();
  send(node_event("Starting", "Starting kubelet."));
  send(node_event("NodeHasNoDiskPressure", "no disk pressure"));
  auto calls = api->open();
  REQUIRE(calls.size() == 2);
  auto a = parse(calls[0].req.body)["metadata"].get_string("name");
  auto b = parse(calls[1].req.body)["metadata"].get_string("name");
  CHECK(a == event_name("edge-1", epoch()));
  CHECK(a != b);
}

TEST_CASE_FIXTURE(fixture, "a repeat PATCHes count 2 as a strategic merge patch") {
  start();
  send(node_event());
  auto post = answer(std::string{"POST "} + events_url, 201);
  auto name = parse(post.req.body)["metadata"].get_string("name");
  advance(2s);
  send(node_event());
  auto patch = expect(std::string{"PATCH "} + events_url + "/" + name);
  CHECK(patch.req.content_type == "application/strategic-merge-patch+json");
  CHECK(patch.req.body
        == R"({"count":2,"lastTimestamp":"2026-11-22T02:58:31Z","message":")"
             + std::string{memory_msg} + "\"}");
  api->reply(patch.key, 200);
  run();
  advance(1s);
  send(node_event());
  auto third = expect(std::string{"PATCH "} + events_url + "/" + name);
  CHECK(parse(third.req.body).get_int("count") == 3);
  api->reply(third.key, 200);
  run();
  CHECK(stats->posted == 1);
  CHECK(stats->patched == 2);
}

TEST_CASE_FIXTURE(fixture, "a PATCH answered 404 falls back to a POST carrying the count") {
  start();
  send(node_event());
  auto post = answer(std::string{"POST "} + events_url, 201);
  auto name = parse(post.req.body)["metadata"].get_string("name");
  advance(5s);
  send(node_event());
  answer(std::string{"PATCH "} + events_url + "/" + name, 404, not_found_status);
  auto again = expect(std::string{"POST "} + events_url);
  auto body = parse(again.req.body);
  CHECK(body["metadata"].get_string("name") == name);
  CHECK(body.get_int("count") == 2);
  CHECK(body.get_string("firstTimestamp") == "2026-11-22T02:58:29Z");
  CHECK(body.get_string("lastTimestamp") == "2026-11-22T02:58:34Z");
  api->reply(again.key, 201);
  run();
  CHECK(stats->posted == 2);
  CHECK(stats->patched == 0);
  CHECK(stats->failed == 0);
  CHECK(api->open().empty());
}

TEST_CASE_FIXTURE(fixture, "a burst of 150: 100 go out at once, the rest at 50 per second") {
  start();
  for (int i = 0; i < 150; ++i)
    send(pod_event("pod-" + std::to_string(i)));
  CHECK(api->all().size() == 100);
  CHECK(snapshot().queued == 50);
  CHECK(snapshot().in_flight == 100);
  advance(19ms);
  CHECK(api->all().size() == 100);
  advance(1ms);
  CHECK(api->all().size() == 101);
  advance(480ms);
  CHECK(api->all().size() == 125);
  advance(500ms);
  CHECK(api->all().size() == 150);
  CHECK(snapshot().queued == 0);
  advance(10s);
  CHECK(api->all().size() == 150);
  CHECK(stats->dropped == 0);
  CHECK(stats->filtered == 0);
}

TEST_CASE_FIXTURE(fixture, "a full queue drops and counts new events") {
  auto cfg = config();
  cfg.queue_size = 10;
  cfg.qps = 1;
  cfg.burst = 4;
  start(cfg);
  for (int i = 0; i < 15; ++i)
    send(pod_event("pod-" + std::to_string(i)));
  CHECK(stats->dropped == 5);
  CHECK(api->open().size() == 4);
  CHECK(snapshot().queued == 6);
  CHECK(logged("level=warning", "too many queued events"));
  // Answered requests free room for new events.
  for (auto& c : api->open())
    api->reply(c.key, 201);
  run();
  send(pod_event("late"));
  CHECK(stats->dropped == 5);
  // One token per second: the seven waiting events go out one by one.
  for (int i = 0; i < 7; ++i) {
    CHECK(api->open().empty());
    advance(1s);
    REQUIRE(api->open().size() == 1);
    api->reply(api->open().front().key, 201);
    run();
  }
  CHECK(stats->posted == 11);
  auto all = api->all();
  CHECK(all.back().req.body.find("\"name\":\"late\"") != std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "a 500 is retried after a jittered backoff, then succeeds") {
  start();
  send(node_event());
  auto first = answer(std::string{"POST "} + events_url, 500,
                      R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"etcd down","reason":"InternalError","code":500})");
  CHECK(api->open().empty());
  CHECK(snapshot().backing_off == 1);
  // First delay: in (500 ms, 1000 ms].
  advance(499ms);
  CHECK(api->open().empty());
  advance(501ms);
  auto second = expect(std::string{"POST "} + events_url);
  CHECK(second.req.body == first.req.body);
  api->reply(second.key, 201);
  run();
  CHECK(stats->posted == 1);
  CHECK(stats->retried == 1);
  CHECK(stats->failed == 0);
}

TEST_CASE_FIXTURE(fixture, "a 429 waits for its Retry-After") {
  start();
  send(node_event());
  answer(std::string{"POST "} + events_url, 429,
         R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"too many requests",)"
         R"("reason":"TooManyRequests","details":{"retryAfterSeconds":5},"code":429})");
  advance(4999ms);
  CHECK(api->open().empty());
  advance(1ms);
  answer(std::string{"POST "} + events_url, 201);
  CHECK(stats->posted == 1);
  CHECK(stats->retried == 1);
}

TEST_CASE_FIXTURE(fixture, "connection failures are retried up to max_attempts") {
  auto cfg = config();
  cfg.max_attempts = 3;
  start(cfg);
  send(node_event());
  for (int attempt = 1; attempt <= 3; ++attempt) {
    auto c = expect(std::string{"POST "} + events_url);
    api->fail(c.key, make_error(errc::connection_failed, "connection refused"));
    run();
    advance(10s);
  }
  CHECK(api->all().size() == 3);
  CHECK(api->open().empty());
  CHECK(stats->retried == 2);
  CHECK(stats->failed == 1);
  CHECK(logged("level=error", "retry limit exceeded"));
  CHECK(snapshot().backing_off == 0);
}

TEST_CASE_FIXTURE(fixture, "a 403 is dropped, counted and logged, never retried") {
  start();
  send(node_event());
  answer(std::string{"POST "} + events_url, 403,
         R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"events is forbidden: User \"system:node:edge-1\" cannot create resource \"events\"","reason":"Forbidden","code":403})");
  advance(60s);
  CHECK(api->all().size() == 1);
  CHECK(stats->failed == 1);
  CHECK(stats->retried == 0);
  CHECK(logged("level=warning", "server rejected event"));
  CHECK(logged("level=warning", "forbidden"));
  // 422 likewise.
  send(node_event("Other", "other"));
  answer(std::string{"POST "} + events_url, 422,
         R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"invalid","reason":"Invalid","code":422})");
  advance(60s);
  CHECK(api->all().size() == 2);
  CHECK(stats->failed == 2);
}

TEST_CASE_FIXTURE(fixture, "similar events with different messages are combined") {
  start();
  std::string combined_name;
  for (int i = 1; i <= 12; ++i) {
    advance(1s);
    send(node_event("Rebooted", "message " + std::to_string(i), "Warning"));
    auto c = api->next();
    REQUIRE(c.has_value());
    auto body = parse(c->req.body);
    if (i < 10) {
      CHECK(c->summary() == std::string{"POST "} + events_url);
      CHECK(body.get_string("message") == "message " + std::to_string(i));
    } else if (i == 10) {
      CHECK(c->summary() == std::string{"POST "} + events_url);
      CHECK(body.get_string("message")
            == "(combined from similar events): message 10");
      CHECK(body.get_int("count") == 1);
      CHECK(body.get_string("reason") == "Rebooted");
      CHECK(body.get_string("type") == "Warning");
      combined_name = body["metadata"].get_string("name");
    } else {
      CHECK(c->summary()
            == std::string{"PATCH "} + events_url + "/" + combined_name);
      CHECK(body.get_int("count") == i - 9);
      CHECK(body.get_string("message")
            == "(combined from similar events): message " + std::to_string(i));
    }
    api->reply(c->key, i <= 10 ? 201 : 200);
    run();
  }
  CHECK(stats->combined == 3);
  CHECK(stats->posted == 10);
  CHECK(stats->patched == 2);
  // Ten idle minutes start the group over.
  advance(10min + 1ms);
  send(node_event("Rebooted", "message 13", "Warning"));
  auto c = expect(std::string{"POST "} + events_url);
  CHECK(parse(c.req.body).get_string("message") == "message 13");
}

TEST_CASE_FIXTURE(fixture, "the spam filter allows 25 events per object, then 1 per 5 minutes") {
  start();
  for (int i = 0; i < 30; ++i)
    send(node_event("Reason" + std::to_string(i), "m"));
  CHECK(api->all().size() == 25);
  CHECK(stats->filtered == 5);
  advance(299s);
  send(node_event("Late1", "m"));
  CHECK(stats->filtered == 6);
  advance(2s);
  send(node_event("Late2", "m"));
  CHECK(api->all().size() == 26);
  // Other objects have their own budget.
  send(pod_event("web-1"));
  CHECK(api->all().size() == 27);
}

TEST_CASE_FIXTURE(fixture, "repeats during a request fold into one PATCH with the latest count") {
  start();
  send(node_event());
  auto post = expect(std::string{"POST "} + events_url);
  auto name = parse(post.req.body)["metadata"].get_string("name");
  advance(1s);
  send(node_event());
  advance(1s);
  send(node_event());
  CHECK(api->all().size() == 1);
  CHECK(stats->coalesced == 2);
  api->reply(post.key, 201);
  run();
  auto patch = expect(std::string{"PATCH "} + events_url + "/" + name);
  CHECK(patch.req.body
        == R"({"count":3,"lastTimestamp":"2026-11-22T02:58:31Z","message":")"
             + std::string{memory_msg} + "\"}");
  api->reply(patch.key, 200);
  run();
  CHECK(stats->posted == 1);
  CHECK(stats->patched == 1);
  CHECK(api->open().empty());
}

TEST_CASE_FIXTURE(fixture, "invalid events are dropped and counted") {
  start();
  send(node_event("Reason", "message", "Bogus"));
  auto nameless = pod_event("");
  send(nameless);
  CHECK(api->all().empty());
  CHECK(stats->failed == 2);
  CHECK(logged("level=warning", "unsupported event type"));
  // A Node event without a name is about this node.
  auto x = node_event();
  x.involved.name.clear();
  x.involved.uid = "ignored";
  x.involved.api_version = "v1";
  x.involved.namespace_ = "kube-system";
  send(x);
  auto post = expect(std::string{"POST "} + events_url);
  CHECK(parse(post.req.body)["involvedObject"]
        == parse(R"({"kind":"Node","name":"edge-1","uid":"edge-1"})"));
}

TEST_CASE_FIXTURE(fixture, "a restart loses the cache but not the counters") {
  start();
  send(node_event());
  answer(std::string{"POST "} + events_url, 201);
  caf::anon_send_exit(rec, caf::exit_reason::kill);
  run();
  advance(1s);
  start();
  send(node_event());
  auto post = expect(std::string{"POST "} + events_url);
  CHECK(parse(post.req.body).get_int("count") == 1);
  api->reply(post.key, 201);
  run();
  CHECK(stats->posted == 2);
}

TEST_CASE_FIXTURE(fixture, "an event evicted from the LRU cache is created afresh") {
  auto cfg = config();
  cfg.cache_size = 2;
  start(cfg);
  for (auto reason : {"A", "B", "A", "C", "A", "B"}) {
    advance(1s);
    send(node_event(reason, "m"));
    auto c = api->next();
    REQUIRE(c.has_value());
    api->reply(c->key, 201);
    run();
  }
  // A, B: new; A: repeat; C evicts B; A: repeat; B: new again.
  auto all = api->all();
  REQUIRE(all.size() == 6);
  std::vector<std::string> kinds;
  for (auto& c : all)
    kinds.push_back(std::string{net::to_string(c.req.method)});
  CHECK(kinds
        == std::vector<std::string>{"POST", "POST", "PATCH", "POST", "PATCH", "POST"});
  CHECK(parse(all[4].req.body).get_int("count") == 3);
}
