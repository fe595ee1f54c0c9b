// The mirror pod manager under virtual time, answered by a scripted
// transport: node lookup, mirror creation, re-creation after deletion,
// outdated and orphaned mirrors, 409 and backoff.
#include "actors/pods/mirror_manager.hpp"
#include "messages/atoms.hpp"
#include "messages/json/json.hpp"
#include "messages/k8s/manifest.hpp"
#include "tests/actors/api/scripted_calls.hpp"
#include "tests/actors/test_fixture.hpp"

#include <doctest/doctest.h>

#include <caf/send.hpp>

#include <string>
#include <vector>

using namespace cafelet;
using namespace cafelet::actors::pods;
using namespace std::chrono_literals;
using cafelet::testing::scripted_call;
using cafelet::testing::scripted_transport;

namespace {

constexpr auto list_url = "GET /api/v1/pods";
constexpr auto node_url = "GET /api/v1/nodes/edge-1";
constexpr auto post_url = "POST /api/v1/namespaces/default/pods";
constexpr auto web_url = "/api/v1/namespaces/default/pods/web-edge-1";
constexpr auto node_uid = "5e4b1c2d-0000-4000-8000-00000000a0de";

const std::string node_json = std::string{R"({"kind":"Node","apiVersion":"v1","metadata":{"name":"edge-1","uid":")"}
                              + node_uid + R"(","resourceVersion":"10"}})";
const std::string empty_list
  = R"({"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"100"},"items":[]})";
const std::string forbidden
  = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"web-edge-1\" is forbidden: node \"edge-1\" can only create pods with spec.nodeName set to itself","reason":"Forbidden","code":403})";
const std::string already_exists
  = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"web-edge-1\" already exists","reason":"AlreadyExists","details":{"name":"web-edge-1","kind":"pods"},"code":409})";

json::value parse(std::string_view text) {
  auto v = json::parse(text);
  REQUIRE_MESSAGE(v, "not JSON: " << text);
  return *v;
}

/// Static pod `name` as the static source makes it (image varies the UID).
static_pod_entry static_pod(const std::string& name, const std::string& image) {
  auto text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name
              + "\nspec:\n  containers:\n  - name: app\n    image: " + image + "\n";
  k8s::static_pod_origin origin;
  origin.file = "/etc/kubernetes/manifests/" + name + ".yaml";
  origin.node_name = "edge-1";
  origin.seen = k8s::parse_time("2026-11-22T04:35:00Z").value();
  auto res = k8s::read_static_pod(text, origin);
  REQUIRE(std::holds_alternative<k8s::static_pod>(res));
  auto& sp = std::get<k8s::static_pod>(res);
  return static_pod_entry{sp.pod, sp.json, origin.file};
}

static_pod_set_ptr set_of(std::vector<static_pod_entry> pods, uint64_t generation = 1) {
  auto s = std::make_shared<static_pod_set>();
  s->pods = std::move(pods);
  s->generation = generation;
  return s;
}

/// The pod the API server makes of a POST body: `uid` and a resourceVersion
/// added (and `deleting`: a deletionTimestamp).
std::string as_created(const std::string& body, const std::string& uid,
                       bool deleting = false) {
  auto doc = parse(body);
  auto& meta = doc["metadata"];
  meta["uid"] = uid;
  meta["resourceVersion"] = "200";
  meta["creationTimestamp"] = "2026-11-22T04:35:01Z";
  if (deleting) {
    meta["deletionTimestamp"] = "2026-11-22T04:40:00Z";
    meta["deletionGracePeriodSeconds"] = 30;
  }
  return json::dump(doc);
}

/// A mirror pod of `x` with uid `uid` as the watch or a list shows it.
k8s::pod_ptr mirror_of(const static_pod_entry& x, const std::string& uid,
                       bool deleting = false) {
  auto pod = k8s::decode_pod(as_created(mirror_pod_body(x, "edge-1", node_uid), uid,
                                        deleting));
  REQUIRE(pod);
  return *pod;
}

k8s::pod_watch_event event(k8s::watch_event_type t, k8s::pod_ptr p) {
  k8s::pod_watch_event ev;
  ev.type = t;
  ev.object = std::move(p);
  return ev;
}

/// What the mirror manager tells the status manager.
struct announced {
  std::string uid;
  k8s::pod_ptr mirror;
};

/// Stands in for the status manager and the static source.
struct peer_state {
  std::vector<announced> mirrors;
  int resyncs = 0;
  static const char* name;
};
const char* peer_state::name = "peer";

caf::behavior peer(caf::stateful_actor<peer_state>* self) {
  return {
    [self](mirror_pod_atom, const std::string& uid, const k8s::pod_ptr& m) {
      self->state.mirrors.push_back({uid, m});
    },
    [self](static_resync_atom) { ++self->state.resyncs; },
  };
}

struct fixture : cafelet::testing::deterministic_fixture,
                 cafelet::testing::scripted_calls<fixture> {
  std::shared_ptr<scripted_transport> api = std::make_shared<scripted_transport>();
  std::shared_ptr<mirror_stats> stats = std::make_shared<mirror_stats>();
  caf::actor status = sys->spawn(peer);
  caf::actor source = sys->spawn(peer);
  caf::actor mgr;
  /// Given to the manager as `cfg.table` (null: none).
  std::shared_ptr<mirror_table> table;

  void start() {
    mirror_manager_config cfg;
    cfg.node_name = "edge-1";
    cfg.status_manager = status;
    cfg.table = table;
    cfg.static_source = source;
    cfg.seed = 7;
    cfg.stats = stats;
    mgr = sys->spawn(mirror_manager, api, nullptr, cfg);
    run();
  }

  ~fixture() {
    for (auto& a : {mgr, status, source})
      if (a)
        caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    run();
  }

  template <class T>
  void send(T x) {
    caf::anon_send(mgr, std::move(x));
    run();
  }

  std::vector<announced>& told() {
    return state_of<peer_state>(status).mirrors;
  }

  mirror_manager_view view() {
    auto seen = ask<mirror_manager_view>(mgr, caf::get_atom::value);
    REQUIRE(seen);
    return *seen;
  }

  /// Starts with no mirrors on the server and `x` as the only static pod;
  /// answers the node lookup and the POST (mirror uid `mirror_uid`).
  void start_with_mirror(const static_pod_entry& x, const std::string& mirror_uid) {
    start();
    answer(list_url, 200, empty_list);
    send(set_of({x}));
    answer(node_url, 200, node_json);
    auto post = expect(post_url);
    api->reply(post.key, 201, as_created(post.req.body, mirror_uid));
    run();
    REQUIRE(api->open().empty());
    REQUIRE(!told().empty());
    REQUIRE(told().back().mirror);
    REQUIRE(told().back().mirror->metadata.uid == mirror_uid);
  }

  /// Checks a DELETE of the mirror with uid `uid`.
  void check_delete(const scripted_call& c, const std::string& uid) {
    CHECK(c.summary() == std::string{"DELETE "} + web_url);
    auto opts = parse(c.req.body);
    CHECK(opts.find("gracePeriodSeconds")->as_int() == 0);
    CHECK(opts.find_path({"preconditions", "uid"})->as_string() == uid);
  }
};

} // namespace

TEST_CASE_FIXTURE(fixture, "a static pod gets a mirror pod owned by the node") {
  start();
  CHECK(state_of<peer_state>(source).resyncs == 1); // asked for the set
  auto list = expect(list_url);
  CHECK(list.req.path == "/api/v1/pods?fieldSelector=spec.nodeName%3Dedge-1");
  auto web = static_pod("web", "localhost/web:1");
  const auto& uid = web.pod->metadata.uid;
  // The set arrives before the list answer: nothing is created yet.
  send(set_of({web}));
  CHECK(api->open().size() == 1);
  api->reply(list.key, 200, empty_list);
  run();
  // The node's UID first (the owner), then the POST.
  answer(node_url, 200, node_json);
  auto post = expect(post_url);
  CHECK(post.req.content_type == "application/json");
  auto body = parse(post.req.body);
  CHECK(body.get_string("kind") == "Pod");
  const auto& meta = *body.find("metadata");
  CHECK(meta.get_string("name") == "web-edge-1");
  CHECK(meta.get_string("namespace") == "default");
  CHECK(meta.find("uid") == nullptr);
  CHECK(meta.find("resourceVersion") == nullptr);
  const auto& ann = *meta.find("annotations");
  CHECK(ann.get_string("kubernetes.io/config.mirror") == uid);
  CHECK(ann.get_string("kubernetes.io/config.hash") == uid);
  CHECK(ann.get_string("kubernetes.io/config.source") == "file");
  CHECK(ann.get_string("kubernetes.io/config.seen") == "2026-11-22T04:35:00Z");
  auto owners = meta.find("ownerReferences");
  REQUIRE(owners != nullptr);
  REQUIRE(owners->size() == 1);
  CHECK(owners->as_array()[0]
        == parse(std::string{R"({"apiVersion":"v1","kind":"Node","name":"edge-1","uid":")"}
                 + node_uid + R"(","controller":true})"));
  CHECK(body.find_path({"spec", "nodeName"})->as_string() == "edge-1");
  CHECK(body.find_path({"spec", "containers"})->as_array().at(0).get_string("image")
        == "localhost/web:1");
  CHECK(told().empty());
  api->reply(post.key, 201, as_created(post.req.body, "mirror-1"));
  run();
  // The status manager learns the mirror.
  REQUIRE(told().size() == 1);
  CHECK(told()[0].uid == uid);
  REQUIRE(told()[0].mirror);
  CHECK(told()[0].mirror->metadata.uid == "mirror-1");
  CHECK(api->open().empty());
  CHECK(stats->created == 1);
  auto v = view();
  CHECK(v.statics == 1);
  CHECK(v.mirrors == 1);
  CHECK(v.matching == 1);
  // The mirror's own ADDED event changes nothing.
  send(event(k8s::watch_event_type::added, mirror_of(web, "mirror-1")));
  CHECK(api->open().empty());
  CHECK(told().size() == 1);
}

TEST_CASE_FIXTURE(fixture, "an existing matching mirror is kept and announced") {
  auto web = static_pod("web", "localhost/web:1");
  start();
  auto m = mirror_of(web, "mirror-0");
  // The list knows the mirror; an unrelated API pod is ignored.
  auto list = parse(empty_list);
  list["items"].push_back(parse(as_created(mirror_pod_body(web, "edge-1", node_uid),
                                           "mirror-0")));
  list["items"].push_back(parse(R"({"metadata":{"name":"api","namespace":"default","uid":"u-api"},"spec":{"containers":[{"name":"a","image":"x"}]}})"));
  answer(list_url, 200, json::dump(list));
  send(set_of({web}));
  CHECK(api->open().empty()); // no node lookup: nothing to create
  REQUIRE(told().size() == 1);
  CHECK(told()[0].mirror->metadata.uid == "mirror-0");
}

TEST_CASE_FIXTURE(fixture, "a deleted mirror pod is created again") {
  auto web = static_pod("web", "localhost/web:1");
  start_with_mirror(web, "mirror-1");
  send(event(k8s::watch_event_type::deleted, mirror_of(web, "mirror-1")));
  // The status manager hears "no mirror", then the new one.
  REQUIRE(told().size() == 2);
  CHECK(told()[1].mirror == nullptr);
  auto post = expect(post_url);
  CHECK(parse(post.req.body).find_path({"metadata", "annotations"})
          ->get_string("kubernetes.io/config.mirror")
        == web.pod->metadata.uid);
  api->reply(post.key, 201, as_created(post.req.body, "mirror-2"));
  run();
  REQUIRE(told().size() == 3);
  CHECK(told()[2].mirror->metadata.uid == "mirror-2");
  CHECK(stats->created == 2);
  // A late DELETED of the old mirror changes nothing.
  send(event(k8s::watch_event_type::deleted, mirror_of(web, "mirror-1")));
  CHECK(api->open().empty());
}

TEST_CASE_FIXTURE(fixture, "a mirror being deleted is deleted at once and created again") {
  auto web = static_pod("web", "localhost/web:1");
  start_with_mirror(web, "mirror-1");
  send(event(k8s::watch_event_type::modified, mirror_of(web, "mirror-1", true)));
  REQUIRE(told().size() == 2);
  CHECK(told()[1].mirror == nullptr);
  auto del = expect(std::string{"DELETE "} + web_url);
  check_delete(del, "mirror-1");
  CHECK(del.req.path == web_url);
  api->reply(del.key, 200, as_created(mirror_pod_body(web, "edge-1", node_uid), "mirror-1", true));
  run();
  CHECK(stats->deleted == 1);
  auto post = expect(post_url);
  api->reply(post.key, 201, as_created(post.req.body, "mirror-2"));
  run();
  REQUIRE(told().size() == 3);
  CHECK(told()[2].mirror->metadata.uid == "mirror-2");
  CHECK(api->open().empty());
}

TEST_CASE_FIXTURE(fixture, "a changed static pod replaces its outdated mirror") {
  auto v1 = static_pod("web", "localhost/web:1");
  auto v2 = static_pod("web", "localhost/web:2");
  REQUIRE(v1.pod->metadata.uid != v2.pod->metadata.uid);
  start_with_mirror(v1, "mirror-1");
  send(set_of({v2}, 2));
  check_delete(expect(std::string{"DELETE "} + web_url), "mirror-1");
  api->reply(api->next()->key, 200, "{}");
  run();
  auto post = expect(post_url);
  CHECK(parse(post.req.body).find_path({"metadata", "annotations"})
          ->get_string("kubernetes.io/config.mirror")
        == v2.pod->metadata.uid);
  CHECK(parse(post.req.body).find_path({"spec", "containers"})->as_array().at(0)
          .get_string("image")
        == "localhost/web:2");
  api->reply(post.key, 201, as_created(post.req.body, "mirror-2"));
  run();
  REQUIRE(!told().empty());
  CHECK(told().back().uid == v2.pod->metadata.uid);
  CHECK(told().back().mirror->metadata.uid == "mirror-2");
  CHECK(api->open().empty());
}

TEST_CASE_FIXTURE(fixture, "an orphaned mirror is deleted only once the statics and the pods are known") {
  auto old = static_pod("old", "localhost/old:1");
  start();
  auto list = expect(list_url);
  // The watch shows a mirror before the static set and the sync arrived.
  auto orphan = mirror_of(old, "mirror-old");
  send(event(k8s::watch_event_type::added, orphan));
  CHECK(api->open().size() == 1); // only the list
  // The static set (without it): the pods on the server are not known yet.
  send(set_of({}));
  CHECK(api->open().size() == 1);
  // The watch synced: now it is an orphan.
  watch_synced synced;
  synced.generation = 1;
  send(synced);
  expect(list_url); // the list is still open (oldest first)
  api->reply(list.key, 200, empty_list); // late: ignored
  run();
  auto d = api->next();
  REQUIRE(d);
  CHECK(d->summary() == "DELETE /api/v1/namespaces/default/pods/old-edge-1");
  auto opts = parse(d->req.body);
  CHECK(opts.find("gracePeriodSeconds")->as_int() == 0);
  CHECK(opts.find_path({"preconditions", "uid"})->as_string() == "mirror-old");
  api->reply(d->key, 200, "{}");
  run();
  CHECK(api->open().empty());
  CHECK(told().empty()); // no static pod: nothing to tell
  CHECK(view().mirrors == 0);
}

TEST_CASE_FIXTURE(fixture, "an orphan from the list waits for the static set") {
  auto old = static_pod("old", "localhost/old:1");
  start();
  auto list = parse(empty_list);
  list["items"].push_back(parse(as_created(mirror_pod_body(old, "edge-1", node_uid),
                                           "mirror-old")));
  answer(list_url, 200, json::dump(list));
  CHECK(api->open().empty());
  CHECK(view().mirrors == 1);
  send(set_of({}));
  auto d = expect("DELETE /api/v1/namespaces/default/pods/old-edge-1");
  api->reply(d.key, 404, "{}"); // already gone: fine
  run();
  CHECK(api->open().empty());
}

TEST_CASE_FIXTURE(fixture, "a static pod removed from the set loses its mirror") {
  auto web = static_pod("web", "localhost/web:1");
  start_with_mirror(web, "mirror-1");
  send(set_of({}, 2));
  REQUIRE(told().size() == 2);
  CHECK(told()[1].uid == web.pod->metadata.uid);
  CHECK(told()[1].mirror == nullptr);
  check_delete(expect(std::string{"DELETE "} + web_url), "mirror-1");
}

TEST_CASE_FIXTURE(fixture, "POST 409 reads the existing pod") {
  auto web = static_pod("web", "localhost/web:1");
  start();
  answer(list_url, 200, empty_list);
  send(set_of({web}));
  answer(node_url, 200, node_json);
  auto post = expect(post_url);
  auto existing = as_created(post.req.body, "mirror-9");
  api->reply(post.key, 409, already_exists);
  run();
  auto get = expect(std::string{"GET "} + web_url);
  api->reply(get.key, 200, existing);
  run();
  REQUIRE(told().size() == 1);
  CHECK(told()[0].mirror->metadata.uid == "mirror-9");
  CHECK(api->open().empty());
}

TEST_CASE_FIXTURE(fixture, "POST 403 is retried at the backoff cap, with the node read again") {
  auto web = static_pod("web", "localhost/web:1");
  start();
  answer(list_url, 200, empty_list);
  send(set_of({web}));
  answer(node_url, 200, node_json);
  answer(post_url, 403, forbidden);
  CHECK(stats->failures == 1);
  advance(9999ms);
  CHECK(api->open().empty());
  advance(1ms);
  // (The Node may have been registered again with a new UID.)
  answer(node_url, 200, node_json);
  auto post = expect(post_url);
  api->reply(post.key, 201, as_created(post.req.body, "mirror-1"));
  run();
  REQUIRE(told().size() == 1);
  CHECK(stats->created == 1);
}

TEST_CASE_FIXTURE(fixture, "POST 500 is retried after a short jittered backoff") {
  auto web = static_pod("web", "localhost/web:1");
  start();
  answer(list_url, 200, empty_list);
  send(set_of({web}));
  answer(node_url, 200, node_json);
  answer(post_url, 500,
         R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"etcd timeout","reason":"InternalError","code":500})");
  advance(399ms); // (0.8 * 500 ms, 500 ms]
  CHECK(api->open().empty());
  advance(101ms);
  expect(post_url);
}

TEST_CASE_FIXTURE(fixture, "an unregistered node is looked up again") {
  auto web = static_pod("web", "localhost/web:1");
  start();
  answer(list_url, 200, empty_list);
  send(set_of({web}));
  answer(node_url, 404, R"({"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404})");
  CHECK(api->open().empty());
  advance(1s);
  answer(node_url, 200, node_json);
  expect(post_url);
}

namespace {

const std::string not_found
  = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"nodes \"edge-1\" not found","reason":"NotFound","details":{"name":"edge-1","kind":"nodes"},"code":404})";
const std::string invalid
  = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Pod \"web-edge-1\" is invalid: metadata.ownerReferences.uid: Invalid value: \"\": uid must not be empty","reason":"Invalid","details":{"name":"web-edge-1","kind":"Pod"},"code":422})";

/// A set as sent by the pod manager with actor id `source`.
static_pod_set_ptr set_from(uint64_t source, std::vector<static_pod_entry> pods,
                            uint64_t generation) {
  auto s = std::make_shared<static_pod_set>();
  s->pods = std::move(pods);
  s->generation = generation;
  s->source = source;
  return s;
}

std::string owner_uid_of(const scripted_call& post) {
  auto body = parse(post.req.body);
  auto owners = body.find_path({"metadata", "ownerReferences"});
  REQUIRE(owners != nullptr);
  REQUIRE(owners->size() == 1);
  return owners->as_array()[0].get_string("uid");
}

} // namespace

TEST_CASE_FIXTURE(fixture, "an older static set is ignored") {
  auto web = static_pod("web", "localhost/web:1");
  start_with_mirror(web, "mirror-1"); // (generation 1)
  // A set of the same or an older generation from the same sender (a
  // resync answer that overtook a change) changes nothing.
  send(set_of({}, 1));
  CHECK(api->open().empty());
  CHECK(told().size() == 1);
  CHECK(view().statics == 1);
  send(set_of({}, 3));
  REQUIRE(told().size() == 2);
  CHECK(told()[1].mirror == nullptr);
  auto del = expect(std::string{"DELETE "} + web_url);
  check_delete(del, "mirror-1");
  api->reply(del.key, 200, "{}");
  run();
  send(set_of({web}, 2));
  send(set_of({web}, 3));
  CHECK(api->open().empty());
  CHECK(view().statics == 0);
  CHECK(told().size() == 2);
  // A restarted pod manager (another sender) counts from 1 again.
  send(set_from(77, {web}, 1));
  CHECK(view().statics == 1);
  auto post = expect(post_url);
  api->reply(post.key, 201, as_created(post.req.body, "mirror-2"));
  run();
  REQUIRE(told().size() == 3);
  CHECK(told()[2].mirror->metadata.uid == "mirror-2");
  // ... and its older sets are ignored likewise.
  send(set_from(77, {}, 1));
  CHECK(api->open().empty());
  CHECK(view().statics == 1);
}

TEST_CASE_FIXTURE(fixture, "the mirror table holds the mirror after a POST and loses it when the static pod leaves the set") {
  table = std::make_shared<mirror_table>();
  auto web = static_pod("web", "localhost/web:1");
  const auto uid = web.pod->metadata.uid;
  start();
  answer(list_url, 200, empty_list);
  send(set_of({web}));
  answer(node_url, 200, node_json);
  auto post = expect(post_url);
  CHECK(table->size() == 0); // not before the server created it
  api->reply(post.key, 201, as_created(post.req.body, "mirror-1"));
  run();
  REQUIRE(table->get(uid));
  CHECK(table->get(uid)->metadata.uid == "mirror-1");
  REQUIRE(told().size() == 1);
  CHECK(told()[0].mirror == table->get(uid));
  CHECK(table->size() == 1);
  // Deleted on the server: gone from the table; the new one replaces it.
  send(event(k8s::watch_event_type::deleted, mirror_of(web, "mirror-1")));
  CHECK(table->get(uid) == nullptr);
  auto again = expect(post_url);
  api->reply(again.key, 201, as_created(again.req.body, "mirror-2"));
  run();
  REQUIRE(table->get(uid));
  CHECK(table->get(uid)->metadata.uid == "mirror-2");
  // The static pod leaves the set: out of the table at once, before the
  // DELETE is answered.
  send(set_of({}, 2));
  CHECK(table->get(uid) == nullptr);
  CHECK(table->size() == 0);
  auto del = expect(std::string{"DELETE "} + web_url);
  check_delete(del, "mirror-2");
  api->reply(del.key, 200, "{}");
  run();
  CHECK(table->size() == 0);
  CHECK(told().back().mirror == nullptr);
}

TEST_CASE_FIXTURE(fixture, "a changed static pod: the old UID leaves the mirror table") {
  table = std::make_shared<mirror_table>();
  auto v1 = static_pod("web", "localhost/web:1");
  auto v2 = static_pod("web", "localhost/web:2");
  start_with_mirror(v1, "mirror-1");
  REQUIRE(table->get(v1.pod->metadata.uid));
  send(set_of({v2}, 2));
  // mirror-1 is v1's no more (it is being deleted as outdated).
  CHECK(table->get(v1.pod->metadata.uid) == nullptr);
  CHECK(table->get(v2.pod->metadata.uid) == nullptr);
  check_delete(expect(std::string{"DELETE "} + web_url), "mirror-1");
  api->reply(api->open().front().key, 200, "{}");
  run();
  auto post = expect(post_url);
  api->reply(post.key, 201, as_created(post.req.body, "mirror-2"));
  run();
  REQUIRE(table->get(v2.pod->metadata.uid));
  CHECK(table->get(v2.pod->metadata.uid)->metadata.uid == "mirror-2");
  CHECK(table->size() == 1);
}

TEST_CASE_FIXTURE(fixture, "the node lookup backs off") {
  auto web = static_pod("web", "localhost/web:1");
  start();
  answer(list_url, 200, empty_list);
  send(set_of({web}));
  // cfg.retry: 500 ms doubling, 20% jitter.
  answer(node_url, 404, not_found);
  advance(399ms);
  CHECK(api->open().empty());
  advance(101ms);
  answer(node_url, 404, not_found);
  advance(799ms);
  CHECK(api->open().empty());
  advance(201ms);
  answer(node_url, 404, not_found);
  advance(1599ms);
  CHECK(api->open().empty());
  advance(401ms);
  answer(node_url, 200, node_json);
  auto post = expect(post_url);
  CHECK(owner_uid_of(post) == node_uid);
}

TEST_CASE_FIXTURE(fixture, "POST 422 forgets the node UID: the next POST is owned by the node read again") {
  auto web = static_pod("web", "localhost/web:1");
  start();
  answer(list_url, 200, empty_list);
  send(set_of({web}));
  answer(node_url, 200, node_json);
  auto first = expect(post_url);
  CHECK(owner_uid_of(first) == node_uid);
  api->reply(first.key, 422, invalid);
  run();
  CHECK(stats->failures == 1);
  advance(10s);
  // The Node was registered again meanwhile: a new UID.
  auto renamed = node_json;
  renamed.replace(renamed.find(node_uid), std::string{node_uid}.size(),
                  "0a0b0c0d-0000-4000-8000-0000000000b2");
  answer(node_url, 200, renamed);
  auto post = expect(post_url);
  CHECK(owner_uid_of(post) == "0a0b0c0d-0000-4000-8000-0000000000b2");
  api->reply(post.key, 201, as_created(post.req.body, "mirror-1"));
  run();
  REQUIRE(told().size() == 1);
  CHECK(stats->created == 1);
  // Later attempts (a deleted mirror) use the node UID known now: no lookup.
  send(event(k8s::watch_event_type::deleted, mirror_of(web, "mirror-1")));
  auto again = expect(post_url);
  CHECK(owner_uid_of(again) == "0a0b0c0d-0000-4000-8000-0000000000b2");
}
