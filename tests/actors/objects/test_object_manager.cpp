// The object manager under virtual time with a scripted transport: one
// list+watch per referenced object shared by its subscribers, cached state
// for later subscribers, change detection, deletion, refused lists, stream
// stop on the last unsubscribe or a dead subscriber, immutable objects,
// stream restarts, invalid keys.

#include "actors/objects/object_manager.hpp"
#include "actors/objects/object_streams.hpp"
#include "tests/actors/api/scripted_transport.hpp"
#include "tests/actors/test_fixture.hpp"
#include "tests/actors/watch/watch_test_support.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

using namespace cafelet;
using namespace cafelet::actors;
using namespace cafelet::testing;
using namespace std::chrono_literals;

namespace {

// -- JSON as the API server prints it -----------------------------------------

std::string object_json(std::string_view kind, std::string_view ns,
                        std::string_view name, std::string_view rv,
                        std::string_view uid = {}, bool immutable = false) {
  std::string out = R"({"kind":")";
  out += kind;
  out += R"(","apiVersion":"v1","metadata":{"name":")";
  out += name;
  out += R"(","namespace":")";
  out += ns;
  out += R"(","uid":")";
  out += uid.empty() ? "uid-" + std::string{name} : std::string{uid};
  out += R"(","resourceVersion":")";
  out += rv;
  out += R"("},)";
  if (immutable)
    out += R"("immutable":true,)";
  if (kind == "Secret")
    out += R"("type":"Opaque","data":{"password":"czNjcjN0"}})";
  else
    out += R"("data":{"mode":"edge","rv":")" + std::string{rv} + R"("}})";
  return out;
}

std::string cm_json(std::string_view name, std::string_view rv,
                    std::string_view uid = {}, bool immutable = false) {
  return object_json("ConfigMap", "ns1", name, rv, uid, immutable);
}

std::string object_list(std::string_view kind, std::string_view rv,
                        const std::vector<std::string>& items) {
  std::string out = R"({"kind":")";
  out += kind;
  out += R"(List","apiVersion":"v1","metadata":{"resourceVersion":")";
  out += rv;
  out += R"("},"items":[)";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0)
      out += ',';
    out += items[i];
  }
  out += "]}";
  return out;
}

std::string forbidden_json(std::string_view resource, std::string_view name) {
  std::string out = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":")";
  out += resource;
  out += R"( \")";
  out += name;
  out += R"(\" is forbidden: User \"system:node:edge-1\" cannot list resource \")";
  out += resource;
  out += R"(\" in API group \"\" in the namespace \"ns1\": no relationship found between node 'edge-1' and this object","reason":"Forbidden","details":{"name":")";
  out += name;
  out += R"(","kind":")";
  out += resource;
  out += R"("},"code":403})";
  return out;
}

object_key cm_key(std::string name = "cm1") {
  return object_key{object_kind::config_map, "ns1", std::move(name)};
}

object_key secret_key(std::string name = "s1") {
  return object_key{object_kind::secret, "ns2", std::move(name)};
}

// -- subscribers --------------------------------------------------------------

using inbox = std::vector<object_update>;

caf::behavior update_recorder(caf::event_based_actor*,
                              std::shared_ptr<inbox> box) {
  return {
    [box](const object_update& x) { box->push_back(x); },
  };
}

/// The resourceVersion an update carries ("-" for none).
std::string rv_of(const object_update& x) {
  if (x.config_map)
    return x.config_map->metadata.resource_version;
  if (x.secret)
    return x.secret->metadata.resource_version;
  return "-";
}

struct object_fixture : deterministic_fixture {
  std::shared_ptr<scripted_transport> tr
    = std::make_shared<scripted_transport>();
  std::shared_ptr<object_manager_stats> stats
    = std::make_shared<object_manager_stats>();
  log_capture logs;
  caf::actor mgr;
  std::vector<caf::actor> spawned;

  object_fixture() {
    object_manager_config cfg;
    cfg.transport = tr;
    cfg.stats = stats;
    cfg.stream.seed = 42;
    mgr = sys->spawn(object_manager, std::move(cfg));
    run();
  }

  ~object_fixture() {
    caf::anon_send_exit(mgr, caf::exit_reason::user_shutdown);
    for (auto& x : spawned)
      caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
    run();
  }

  /// A subscriber actor recording into `box`.
  caf::actor subscriber(std::shared_ptr<inbox> box) {
    auto h = sys->spawn(update_recorder, std::move(box));
    spawned.push_back(h);
    return h;
  }

  void subscribe(const object_key& key, const caf::actor& sub) {
    caf::anon_send(mgr, subscribe_atom::value, key, sub);
    run();
  }

  void unsubscribe(const object_key& key, const caf::actor& sub) {
    caf::anon_send(mgr, unsubscribe_atom::value, key, sub);
    run();
  }

  /// The only open call; fails the test if there is none or several.
  scripted_call open_call() {
    auto xs = tr->open();
    REQUIRE(xs.size() == 1);
    return xs.front();
  }

  /// Answers the open call, which must be a list of `collection`.
  scripted_call answer_list(std::string_view collection, int status,
                            const std::string& body) {
    auto c = open_call();
    REQUIRE_FALSE(c.streaming);
    REQUIRE(c.summary() == "GET " + std::string{collection});
    tr->reply(c.key, status, body);
    run();
    return c;
  }

  /// Checks that the open call is a watch of `collection` and returns it.
  scripted_call open_watch(std::string_view collection) {
    auto c = open_call();
    REQUIRE(c.streaming);
    REQUIRE(c.summary() == "GET " + std::string{collection});
    REQUIRE(param(c.req.path, "watch") == "true");
    return c;
  }

  void chunk(const scripted_call& c, std::string data) {
    tr->chunk(c.key, std::move(data));
    run();
  }

  object_entry* entry(const object_key& key) {
    auto& objs = state_of<object_manager_state>(mgr).objects;
    auto i = objs.find(key);
    return i == objs.end() ? nullptr : &i->second;
  }
};

constexpr std::string_view cms = "/api/v1/namespaces/ns1/configmaps";
constexpr std::string_view secrets = "/api/v1/namespaces/ns2/secrets";

} // namespace

TEST_CASE_FIXTURE(object_fixture,
                  "two subscribers of one ConfigMap share one list+watch") {
  auto a = std::make_shared<inbox>();
  auto b = std::make_shared<inbox>();
  auto sa = subscriber(a);
  auto sb = subscriber(b);
  subscribe(cm_key(), sa);
  subscribe(cm_key(), sb);
  REQUIRE(tr->all().size() == 1);
  auto list = tr->all().front();
  CHECK_FALSE(list.streaming);
  CHECK(list.req.path
        == "/api/v1/namespaces/ns1/configmaps?fieldSelector=metadata.name%3Dcm1"
           "&limit=500&resourceVersion=0");
  CHECK(a->empty());
  CHECK(b->empty());
  answer_list(cms, 200, object_list("ConfigMap", "10", {cm_json("cm1", "7")}));
  for (auto& box : {a, b}) {
    REQUIRE(box->size() == 1);
    auto& u = box->front();
    CHECK(u.key == cm_key());
    REQUIRE(u.config_map);
    CHECK(u.config_map->metadata.name == "cm1");
    CHECK(u.config_map->data.at("mode") == "edge");
    CHECK(rv_of(u) == "7");
    CHECK_FALSE(u.secret);
    CHECK(u.error.empty());
  }
  auto w = open_watch(cms);
  CHECK(param(w.req.path, "fieldSelector") == "metadata.name%3Dcm1");
  CHECK(param(w.req.path, "resourceVersion") == "10");
  CHECK(tr->all().size() == 2);
  CHECK(stats->watches_open == 1);
  CHECK(stats->objects_cached == 1);
  CHECK(stats->updates_sent == 2);
}

TEST_CASE_FIXTURE(object_fixture,
                  "a later subscriber gets the cached state without a request") {
  auto a = std::make_shared<inbox>();
  subscribe(cm_key(), subscriber(a));
  answer_list(cms, 200, object_list("ConfigMap", "10", {cm_json("cm1", "7")}));
  open_watch(cms);
  auto calls = tr->all().size();
  auto c = std::make_shared<inbox>();
  subscribe(cm_key(), subscriber(c));
  REQUIRE(c->size() == 1);
  CHECK(rv_of(c->front()) == "7");
  CHECK(c->front().config_map == a->front().config_map); // shared, not copied
  CHECK(a->size() == 1);
  CHECK(tr->all().size() == calls);
  CHECK(stats->watches_open == 1);
}

TEST_CASE_FIXTURE(object_fixture,
                  "changes reach subscribers, unchanged relists send nothing") {
  auto a = std::make_shared<inbox>();
  auto b = std::make_shared<inbox>();
  subscribe(cm_key(), subscriber(a));
  subscribe(cm_key(), subscriber(b));
  answer_list(cms, 200, object_list("ConfigMap", "10", {cm_json("cm1", "7")}));
  auto w = open_watch(cms);
  SUBCASE("MODIFIED") {
    chunk(w, event_line("MODIFIED", cm_json("cm1", "11")));
    for (auto& box : {a, b}) {
      REQUIRE(box->size() == 2);
      CHECK(rv_of(box->back()) == "11");
      CHECK(box->back().config_map->data.at("rv") == "11");
    }
  }
  SUBCASE("an event without a change and a bookmark send nothing") {
    chunk(w, event_line("ADDED", cm_json("cm1", "7")));
    chunk(w, bookmark_line("12"));
    CHECK(a->size() == 1);
    CHECK(b->size() == 1);
  }
  SUBCASE("relist after 410: unchanged sends nothing, changed sends") {
    tr->reply(w.key, 410, expired_status("10"));
    run();
    advance(2s);
    auto l = answer_list(cms, 200,
                         object_list("ConfigMap", "20", {cm_json("cm1", "7")}));
    CHECK(param(l.req.path, "fieldSelector") == "metadata.name%3Dcm1");
    CHECK(a->size() == 1);
    CHECK(b->size() == 1);
    auto w2 = open_watch(cms);
    tr->reply(w2.key, 410, expired_status("20"));
    run();
    advance(5s);
    answer_list(cms, 200, object_list("ConfigMap", "30", {cm_json("cm1", "25")}));
    REQUIRE(a->size() == 2);
    CHECK(rv_of(a->back()) == "25");
    CHECK(b->size() == 2);
  }
  SUBCASE("DELETED sends a null update, a new object another one") {
    chunk(w, event_line("DELETED", cm_json("cm1", "12")));
    for (auto& box : {a, b}) {
      REQUIRE(box->size() == 2);
      CHECK_FALSE(box->back().config_map);
      CHECK_FALSE(box->back().secret);
      CHECK(box->back().error.empty());
    }
    CHECK(stats->objects_cached == 0);
    chunk(w, event_line("ADDED", cm_json("cm1", "13", "uid-new")));
    REQUIRE(a->size() == 3);
    CHECK(a->back().config_map->metadata.uid == "uid-new");
    CHECK(stats->objects_cached == 1);
  }
  SUBCASE("an object gone at a relist sends a null update") {
    tr->reply(w.key, 410, expired_status("10"));
    run();
    advance(2s);
    answer_list(cms, 200, object_list("ConfigMap", "20", {}));
    REQUIRE(a->size() == 2);
    CHECK_FALSE(a->back().config_map);
    CHECK(a->back().error.empty());
  }
}

TEST_CASE_FIXTURE(object_fixture, "a missing object is reported as null") {
  auto a = std::make_shared<inbox>();
  subscribe(cm_key(), subscriber(a));
  answer_list(cms, 200, object_list("ConfigMap", "10", {}));
  REQUIRE(a->size() == 1);
  CHECK_FALSE(a->front().config_map);
  CHECK_FALSE(a->front().secret);
  CHECK(a->front().error.empty());
  CHECK(stats->objects_cached == 0);
  auto w = open_watch(cms);
  chunk(w, event_line("ADDED", cm_json("cm1", "11")));
  REQUIRE(a->size() == 2);
  CHECK(rv_of(a->back()) == "11");
}

TEST_CASE_FIXTURE(object_fixture, "a Secret stream uses the secrets path") {
  auto a = std::make_shared<inbox>();
  subscribe(secret_key(), subscriber(a));
  auto c = open_call();
  CHECK(c.req.path
        == "/api/v1/namespaces/ns2/secrets?fieldSelector=metadata.name%3Ds1"
           "&limit=500&resourceVersion=0");
  answer_list(secrets, 200,
              object_list("Secret", "10",
                          {object_json("Secret", "ns2", "s1", "8")}));
  REQUIRE(a->size() == 1);
  CHECK(a->front().key == secret_key());
  REQUIRE(a->front().secret);
  CHECK(a->front().secret->data.at("password") == "czNjcjN0");
  CHECK_FALSE(a->front().config_map);
  auto w = open_watch(secrets);
  chunk(w, event_line("MODIFIED", object_json("Secret", "ns2", "s1", "9")));
  REQUIRE(a->size() == 2);
  CHECK(rv_of(a->back()) == "9");
}

TEST_CASE_FIXTURE(object_fixture,
                  "a ConfigMap and a Secret of the same name are two objects") {
  auto a = std::make_shared<inbox>();
  auto sa = subscriber(a);
  object_key cm{object_kind::config_map, "ns2", "s1"};
  subscribe(cm, sa);
  subscribe(secret_key(), sa);
  auto calls = tr->open();
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].summary() == "GET /api/v1/namespaces/ns2/configmaps");
  CHECK(calls[1].summary() == "GET /api/v1/namespaces/ns2/secrets");
  CHECK(stats->watches_open == 2);
}

TEST_CASE_FIXTURE(object_fixture,
                  "a refused list sends an error update and keeps retrying") {
  auto a = std::make_shared<inbox>();
  subscribe(cm_key(), subscriber(a));
  answer_list(cms, 403, forbidden_json("configmaps", "cm1"));
  REQUIRE(a->size() == 1);
  CHECK_FALSE(a->front().config_map);
  CHECK_FALSE(a->front().secret);
  CHECK(a->front().error.find("403") != std::string::npos);
  CHECK(a->front().error.find("no relationship found") != std::string::npos);
  // A later subscriber hears the error at once.
  auto b = std::make_shared<inbox>();
  subscribe(cm_key(), subscriber(b));
  REQUIRE(b->size() == 1);
  CHECK_FALSE(b->front().error.empty());
  // The stream retries at its backoff cap; the same refusal is not
  // reported again.
  CHECK(tr->open().empty());
  advance(31s);
  answer_list(cms, 403, forbidden_json("configmaps", "cm1"));
  CHECK(a->size() == 1);
  // Once the pod is known to the authorizer, the object arrives.
  advance(31s);
  answer_list(cms, 200, object_list("ConfigMap", "10", {cm_json("cm1", "7")}));
  REQUIRE(a->size() == 2);
  CHECK(rv_of(a->back()) == "7");
  CHECK(a->back().error.empty());
  CHECK(b->size() == 2);
  // A refused watch after a successful read keeps the last state.
  auto w = open_watch(cms);
  tr->reply(w.key, 403, forbidden_json("configmaps", "cm1"));
  run();
  CHECK(a->size() == 2);
  CHECK(logs.count({"keeping its last state"}) == 1);
}

TEST_CASE_FIXTURE(object_fixture, "the last unsubscribe stops the stream") {
  auto a = std::make_shared<inbox>();
  auto b = std::make_shared<inbox>();
  auto sa = subscriber(a);
  auto sb = subscriber(b);
  subscribe(cm_key(), sa);
  subscribe(cm_key(), sb);
  answer_list(cms, 200, object_list("ConfigMap", "10", {cm_json("cm1", "7")}));
  auto w = open_watch(cms);
  unsubscribe(cm_key(), sa);
  CHECK(tr->open().size() == 1); // b still watches
  unsubscribe(cm_key(), sa);     // twice: no effect
  CHECK(tr->open().size() == 1);
  unsubscribe(cm_key(), sb);
  CHECK(tr->open().empty());
  CHECK(tr->all().back().cancelled);
  CHECK(entry(cm_key()) == nullptr);
  CHECK(stats->watches_open == 0);
  CHECK(stats->objects_cached == 0);
  auto calls = tr->all().size();
  advance(10min);
  CHECK(tr->all().size() == calls);
  // A new subscription starts from scratch: a new list, no cached state.
  subscribe(cm_key(), sa);
  CHECK(a->size() == 1);
  CHECK(tr->all().size() == calls + 1);
  CHECK(param(open_call().req.path, "resourceVersion") == "0");
}

TEST_CASE_FIXTURE(object_fixture, "the same subscription twice counts once") {
  auto a = std::make_shared<inbox>();
  auto sa = subscriber(a);
  subscribe(cm_key(), sa);
  subscribe(cm_key(), sa);
  CHECK(tr->all().size() == 1);
  answer_list(cms, 200, object_list("ConfigMap", "10", {cm_json("cm1", "7")}));
  CHECK(a->size() == 1);
  subscribe(cm_key(), sa); // re-sends the current state
  CHECK(a->size() == 2);
  unsubscribe(cm_key(), sa);
  CHECK(tr->open().empty());
  CHECK(stats->watches_open == 0);
}

TEST_CASE_FIXTURE(object_fixture, "a subscriber that dies is dropped") {
  auto a = std::make_shared<inbox>();
  auto b = std::make_shared<inbox>();
  auto sa = subscriber(a);
  auto sb = subscriber(b);
  subscribe(cm_key(), sa);
  subscribe(secret_key(), sa);
  subscribe(cm_key(), sb);
  CHECK(stats->watches_open == 2);
  caf::anon_send_exit(sa, caf::exit_reason::kill);
  run();
  // The Secret had only `sa`: its stream stopped; the ConfigMap stays.
  CHECK(stats->watches_open == 1);
  CHECK(entry(secret_key()) == nullptr);
  REQUIRE(entry(cm_key()) != nullptr);
  CHECK(entry(cm_key())->subscribers.size() == 1);
  auto open = tr->open();
  REQUIRE(open.size() == 1);
  CHECK(open.front().summary() == "GET /api/v1/namespaces/ns1/configmaps");
  answer_list(cms, 200, object_list("ConfigMap", "10", {cm_json("cm1", "7")}));
  CHECK(a->empty());
  CHECK(b->size() == 1);
  caf::anon_send_exit(sb, caf::exit_reason::kill);
  run();
  CHECK(tr->open().empty());
  CHECK(stats->watches_open == 0);
  auto calls = tr->all().size();
  advance(10min);
  CHECK(tr->all().size() == calls);
}

TEST_CASE_FIXTURE(object_fixture, "an immutable object is no longer watched") {
  auto a = std::make_shared<inbox>();
  subscribe(cm_key(), subscriber(a));
  answer_list(cms, 200,
              object_list("ConfigMap", "10", {cm_json("cm1", "7", {}, true)}));
  REQUIRE(a->size() == 1);
  REQUIRE(a->front().config_map);
  CHECK(a->front().config_map->immutable == true);
  CHECK(tr->open().empty()); // the watch was cancelled
  CHECK(stats->watches_open == 0);
  CHECK(stats->objects_cached == 1);
  auto calls = tr->all().size();
  advance(10min);
  CHECK(tr->all().size() == calls);
  auto b = std::make_shared<inbox>();
  subscribe(cm_key(), subscriber(b));
  REQUIRE(b->size() == 1);
  CHECK(rv_of(b->front()) == "7");
  CHECK(tr->all().size() == calls);
}

TEST_CASE_FIXTURE(object_fixture, "a crashed stream is restarted") {
  auto a = std::make_shared<inbox>();
  subscribe(cm_key(), subscriber(a));
  answer_list(cms, 200, object_list("ConfigMap", "10", {cm_json("cm1", "7")}));
  open_watch(cms);
  auto old = entry(cm_key())->stream;
  REQUIRE(old);
  // As a stream that threw would end (`kill` would take the manager along).
  caf::anon_send_exit(old, caf::exit_reason::unhandled_exception);
  run();
  CHECK(tr->open().empty());
  CHECK(stats->watches_open == 0);
  CHECK_FALSE(entry(cm_key())->stream);
  advance(1100ms);
  CHECK(stats->stream_restarts == 1);
  CHECK(stats->watches_open == 1);
  auto l = answer_list(cms, 200,
                       object_list("ConfigMap", "12", {cm_json("cm1", "7")}));
  CHECK(param(l.req.path, "resourceVersion") == "0"); // a fresh reflector
  CHECK(a->size() == 1); // unchanged: nothing sent
  auto w = open_watch(cms);
  chunk(w, event_line("DELETED", cm_json("cm1", "13")));
  REQUIRE(a->size() == 2);
  CHECK_FALSE(a->back().config_map);
}

TEST_CASE_FIXTURE(object_fixture, "an object deleted while its stream was "
                                  "down is reported after the restart") {
  auto a = std::make_shared<inbox>();
  subscribe(cm_key(), subscriber(a));
  answer_list(cms, 200, object_list("ConfigMap", "10", {cm_json("cm1", "7")}));
  caf::anon_send_exit(entry(cm_key())->stream,
                      caf::exit_reason::unhandled_exception);
  run();
  advance(1100ms);
  answer_list(cms, 200, object_list("ConfigMap", "12", {}));
  REQUIRE(a->size() == 2);
  CHECK_FALSE(a->back().config_map);
}

TEST_CASE_FIXTURE(object_fixture, "invalid keys are refused without requests") {
  auto a = std::make_shared<inbox>();
  auto sa = subscriber(a);
  subscribe(object_key{object_kind::config_map, "ns1", "a/b"}, sa);
  subscribe(object_key{object_kind::secret, "", "s1"}, sa);
  subscribe(object_key{object_kind::config_map, "ns1", ""}, sa);
  subscribe(object_key{object_kind::config_map, "ns1", "x?watch=true"}, sa);
  CHECK(tr->all().empty());
  REQUIRE(a->size() == 4);
  for (auto& u : *a) {
    CHECK_FALSE(u.error.empty());
    CHECK_FALSE(u.config_map);
    CHECK_FALSE(u.secret);
  }
  CHECK(a->front().key.name == "a/b");
  CHECK(stats->watches_open == 0);
  // Dotted names are valid (DNS subdomains).
  subscribe(object_key{object_kind::config_map, "ns1", "kube-root-ca.crt"}, sa);
  CHECK(tr->all().size() == 1);
}

TEST_CASE_FIXTURE(object_fixture,
                  "the manager's exit ends its streams and resets the gauges") {
  auto a = std::make_shared<inbox>();
  subscribe(cm_key(), subscriber(a));
  auto first = tr->open();
  REQUIRE(first.size() == 1);
  tr->reply(first.front().key, 200,
            object_list("ConfigMap", "10", {cm_json("cm1", "7")}));
  run();
  subscribe(secret_key(), subscriber(a));
  REQUIRE(tr->open().size() == 2);
  CHECK(stats->watches_open == 2);
  CHECK(stats->objects_cached == 1);
  caf::anon_send_exit(mgr, caf::exit_reason::user_shutdown);
  run();
  CHECK(tr->open().empty());
  CHECK(stats->watches_open == 0);
  CHECK(stats->objects_cached == 0);
}

TEST_CASE("object stream paths and key checks") {
  CHECK(object_collection_path(cm_key()) == "/api/v1/namespaces/ns1/configmaps");
  CHECK(object_collection_path(secret_key()) == "/api/v1/namespaces/ns2/secrets");
  auto cfg = object_stream_config(secret_key(), watch_stream_config{});
  CHECK(cfg.path == "/api/v1/namespaces/ns2/secrets");
  CHECK(cfg.field_selector == "metadata.name=s1");
  CHECK(cfg.log.name == "secret/ns2/s1");
  CHECK(list_path(cfg, "0", 500, "")
        == "/api/v1/namespaces/ns2/secrets?fieldSelector=metadata.name%3Ds1"
           "&limit=500&resourceVersion=0");
  CHECK(check_object_key(cm_key()).empty());
  CHECK(check_object_key({object_kind::config_map, "ns1", "a.b-c.d"}).empty());
  CHECK_FALSE(check_object_key({object_kind::config_map, "ns1", "A"}).empty());
  CHECK_FALSE(check_object_key({object_kind::config_map, "ns1", "-a"}).empty());
  CHECK_FALSE(check_object_key({object_kind::config_map, "ns1", "a..b"}).empty());
  CHECK_FALSE(check_object_key({object_kind::config_map, "n.s", "a"}).empty());
  CHECK_FALSE(
    check_object_key({object_kind::config_map, std::string(64, 'a'), "a"})
      .empty());
}
