// Watches: starting points, ordering, selector transitions, bookmarks,
// timeouts, 410 Expired and 504 for future resourceVersions, and the pod
// deletion sequence a kubelet sees.

#include "tests/apiserver/server.hpp"
#include "tests/apiserver/support.hpp"
#include "tests/apiserver/test_data.hpp"
#include "tests/apiserver/test_support.hpp"

#include <doctest/doctest.h>

#include <thread>

using namespace cafelet;
using namespace cafelet::apiserver;
using namespace cafelet::apiserver::testing;
using namespace std::chrono_literals;

namespace {

server_options fast_options() {
  server_options opts;
  opts.bookmark_interval = 150ms;
  opts.bookmark_before_timeout = 300ms;
  opts.future_rv_wait = 300ms;
  return opts;
}

struct cluster {
  api_server srv;
  client admin_client{srv, admin()};
  client edge1{srv, node_user("edge-1")};

  explicit cluster(server_options opts = {}) : srv(std::move(opts)) {
    REQUIRE(edge1.post("/api/v1/nodes", std::string{node_body}).status == 201);
  }

  response make_pod(std::string name, std::string node = "edge-1") {
    return admin_client.post("/api/v1/namespaces/default/pods",
                             R"({"metadata":{"name":")" + name
                               + R"("},"spec":{"nodeName":")" + node
                               + R"(","containers":[{"name":"c","image":"busybox:1"}]}})");
  }
};

std::string type_of(const json::value& ev) {
  return ev.get_string("type");
}

uint64_t rv_of(const json::value& ev) {
  return std::stoull(ev.find_path({"object", "metadata", "resourceVersion"})->as_string());
}

std::string name_of(const json::value& ev) {
  const auto* n = ev.find_path({"object", "metadata", "name"});
  return n ? n->as_string() : "";
}

} // namespace

TEST_CASE("a watch from a list's resourceVersion delivers later changes in order") {
  cluster k;
  REQUIRE(k.make_pod("before").status == 201);
  auto list = body_of(k.edge1.get("/api/v1/pods?fieldSelector=spec.nodeName%3Dedge-1"));
  auto rv = list.find_path({"metadata", "resourceVersion"})->as_string();
  CHECK(list["items"].size() == 1);
  REQUIRE(k.make_pod("a").status == 201);
  REQUIRE(k.make_pod("other", "edge-2").status == 201);
  auto reply = k.edge1.watch("/api/v1/pods?allowWatchBookmarks=true&fieldSelector=spec.nodeName%3Dedge-1&resourceVersion="
                             + rv + "&timeoutSeconds=30&watch=true");
  REQUIRE(reply->stream_status() == 200);
  auto stream = reply->watch_stream();
  REQUIRE(k.edge1.patch("/api/v1/namespaces/default/pods/a/status",
                        R"({"status":{"phase":"Running"}})",
                        "application/merge-patch+json").status == 200);
  REQUIRE(k.admin_client.del("/api/v1/namespaces/default/pods/before",
                             R"({"gracePeriodSeconds":0})").status == 200);
  REQUIRE(stream->wait_lines(4));
  auto events = stream->events();
  REQUIRE(events.size() == 4);
  CHECK(type_of(events[0]) == "ADDED");
  CHECK(name_of(events[0]) == "a");
  CHECK(type_of(events[1]) == "MODIFIED");
  CHECK(events[1].find_path({"object", "status", "phase"})->as_string() == "Running");
  CHECK(type_of(events[2]) == "MODIFIED"); // deletionTimestamp set (grace 0)
  CHECK(name_of(events[2]) == "before");
  CHECK(events[2].find_path({"object", "metadata", "deletionGracePeriodSeconds"})->as_int() == 0);
  CHECK(type_of(events[3]) == "DELETED");
  CHECK(rv_of(events[3]) == rv_of(events[2]) + 1);
  for (size_t i = 1; i < 4; ++i)
    CHECK(rv_of(events[i]) > rv_of(events[i - 1]));
  CHECK(events[0].find_path({"object", "kind"})->as_string() == "Pod");
}

TEST_CASE("a watch without resourceVersion starts with the current state") {
  cluster k;
  REQUIRE(k.make_pod("x").status == 201);
  REQUIRE(k.make_pod("y").status == 201);
  auto reply = k.admin_client.watch("/api/v1/namespaces/default/pods?watch=1");
  auto stream = reply->watch_stream();
  REQUIRE(stream->wait_lines(2));
  REQUIRE(k.make_pod("z").status == 201);
  REQUIRE(stream->wait_lines(3));
  auto events = stream->events();
  CHECK(type_of(events[0]) == "ADDED");
  CHECK(name_of(events[0]) == "x");
  CHECK(name_of(events[1]) == "y");
  CHECK(name_of(events[2]) == "z");
  // resourceVersion=0 behaves the same (state "at any" version).
  auto zero = k.admin_client.watch("/api/v1/namespaces/default/pods?watch=1&resourceVersion=0");
  REQUIRE(zero->watch_stream()->wait_lines(3));
  CHECK(k.srv.watch_count() == 2);
  // A client that goes away is forgotten.
  stream->disconnect();
  zero->watch_stream()->disconnect();
  for (int i = 0; i < 200 && k.srv.watch_count() != 0; ++i)
    std::this_thread::yield();
}

TEST_CASE("the legacy /watch/ path prefix watches one named object") {
  cluster k;
  REQUIRE(k.make_pod("a").status == 201);
  REQUIRE(k.make_pod("b").status == 201);
  auto reply = k.admin_client.watch("/api/v1/watch/namespaces/default/pods/b");
  REQUIRE(reply->watch_stream()->wait_lines(1));
  REQUIRE(k.make_pod("c").status == 201);
  REQUIRE(k.admin_client.patch("/api/v1/namespaces/default/pods/b",
                               R"({"metadata":{"labels":{"x":"y"}}})").status == 200);
  REQUIRE(reply->watch_stream()->wait_lines(2));
  auto events = reply->watch_stream()->events();
  CHECK(name_of(events[0]) == "b");
  CHECK(type_of(events[1]) == "MODIFIED");
  CHECK(name_of(events[1]) == "b");
}

TEST_CASE("objects entering or leaving a selector appear as ADDED or DELETED") {
  cluster k;
  auto cm = k.admin_client.post("/api/v1/namespaces/default/configmaps",
                                R"({"metadata":{"name":"c","labels":{"app":"db"}}})");
  REQUIRE(cm.status == 201);
  auto rv = body_of(cm).find_path({"metadata", "resourceVersion"})->as_string();
  auto reply = k.admin_client.watch(
    "/api/v1/namespaces/default/configmaps?watch=true&labelSelector=app%3Dweb&resourceVersion=" + rv);
  auto stream = reply->watch_stream();
  REQUIRE(k.admin_client.patch("/api/v1/namespaces/default/configmaps/c",
                               R"({"metadata":{"labels":{"app":"web"}}})").status == 200);
  REQUIRE(k.admin_client.patch("/api/v1/namespaces/default/configmaps/c",
                               R"({"data":{"k":"v"}})").status == 200);
  REQUIRE(k.admin_client.patch("/api/v1/namespaces/default/configmaps/c",
                               R"({"metadata":{"labels":{"app":"db"}}})").status == 200);
  REQUIRE(stream->wait_lines(3));
  auto events = stream->events();
  REQUIRE(events.size() == 3);
  CHECK(type_of(events[0]) == "ADDED");
  CHECK(type_of(events[1]) == "MODIFIED");
  CHECK(type_of(events[2]) == "DELETED");
  // The DELETED event carries the last matching state at the new version.
  CHECK(events[2].find_path({"object", "metadata", "labels", "app"})->as_string() == "web");
  CHECK(rv_of(events[2]) == rv_of(events[1]) + 1);
}

TEST_CASE("a too old resourceVersion gets one ERROR event with 410 Expired") {
  cluster k;
  auto reply = k.edge1.watch("/api/v1/pods?allowWatchBookmarks=true&fieldSelector=spec.nodeName%3Dedge-1&resourceVersion=1&timeoutSeconds=10&watch=true");
  CHECK(reply->stream_status() == 200);
  auto stream = reply->watch_stream();
  REQUIRE(stream->wait_ended());
  CHECK(stream->closed_gracefully());
  auto events = stream->events();
  REQUIRE(events.size() == 1);
  // The floor is the resourceVersion the watch cache started at.
  auto floor = k.srv.resource_version() - 1; // one write (the node) since
  CHECK(json::dump(events[0]) == R"~({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 ()~" + std::to_string(floor) + R"~()","reason":"Expired","code":410}})~");
  // An exact list at an old version is still served from the history.
  auto pods_rv = k.srv.resource_version();
  REQUIRE(k.make_pod("p").status == 201);
  auto exact = body_of(k.admin_client.get("/api/v1/pods?resourceVersion=" + std::to_string(pods_rv)
                                          + "&resourceVersionMatch=Exact"));
  CHECK(exact["items"].size() == 0);
  CHECK(exact.find_path({"metadata", "resourceVersion"})->as_string() == std::to_string(pods_rv));
  CHECK(body_of(k.admin_client.get("/api/v1/pods"))["items"].size() == 1);
}

TEST_CASE("expired or evicted history makes older watches fail with 410") {
  cluster k;
  REQUIRE(k.make_pod("a").status == 201);
  auto rv = k.srv.resource_version();
  REQUIRE(k.make_pod("b").status == 201);
  // Within the window: replay works.
  auto ok = k.admin_client.watch("/api/v1/pods?watch=1&resourceVersion=" + std::to_string(rv));
  REQUIRE(ok->watch_stream()->wait_lines(1));
  CHECK(name_of(ok->watch_stream()->events()[0]) == "b");
  k.srv.expire_history();
  auto gone = k.admin_client.watch("/api/v1/pods?watch=1&resourceVersion=" + std::to_string(rv));
  REQUIRE(gone->watch_stream()->wait_ended());
  auto ev = gone->watch_stream()->events().at(0);
  CHECK(type_of(ev) == "ERROR");
  CHECK(ev.find_path({"object", "code"})->as_int() == 410);
  // A bounded window: only the newest events are kept.
  k.srv.set_history_capacity(2);
  auto start = k.srv.resource_version();
  for (auto name : {"c", "d", "e"})
    REQUIRE(k.make_pod(name).status == 201);
  auto old = k.admin_client.watch("/api/v1/pods?watch=1&resourceVersion=" + std::to_string(start));
  REQUIRE(old->watch_stream()->wait_ended());
  CHECK(old->watch_stream()->events().at(0).find_path({"object", "message"})->as_string()
        == "too old resource version: " + std::to_string(start) + " (" + std::to_string(start + 1) + ")");
  auto recent = k.admin_client.watch("/api/v1/pods?watch=1&resourceVersion=" + std::to_string(start + 1));
  REQUIRE(recent->watch_stream()->wait_lines(2));
  CHECK(name_of(recent->watch_stream()->events()[1]) == "e");
}

TEST_CASE("bookmarks come at the configured cadence and before the timeout") {
  cluster k{fast_options()};
  REQUIRE(k.make_pod("a").status == 201);
  auto rv = std::to_string(k.srv.resource_version());
  auto plain = k.edge1.watch("/api/v1/pods?fieldSelector=spec.nodeName%3Dedge-1&resourceVersion=" + rv
                             + "&timeoutSeconds=1&watch=true");
  auto with = k.edge1.watch("/api/v1/pods?allowWatchBookmarks=true&fieldSelector=spec.nodeName%3Dedge-1&resourceVersion="
                            + rv + "&timeoutSeconds=1&watch=true");
  auto stream = with->watch_stream();
  REQUIRE(stream->wait_lines(1));
  auto first = stream->events()[0];
  CHECK(json::dump(first) == R"({"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":")"
                               + rv + R"(","creationTimestamp":null},"spec":{"containers":null},"status":{}}})");
  // timeoutSeconds ends both streams with the terminating chunk.
  REQUIRE(stream->wait_ended());
  CHECK(stream->closed_gracefully());
  auto all = stream->events();
  CHECK(all.size() >= 2);
  for (const auto& ev : all)
    CHECK(type_of(ev) == "BOOKMARK");
  REQUIRE(plain->watch_stream()->wait_ended());
  CHECK(plain->watch_stream()->events().empty());
  CHECK(k.srv.watch_count() == 0);
}

TEST_CASE("a future resourceVersion waits, then fails with 504 Too large") {
  cluster k{fast_options()};
  auto current = k.srv.resource_version();
  auto soon = k.admin_client.watch("/api/v1/pods?watch=1&resourceVersion=" + std::to_string(current + 1));
  auto late = k.admin_client.watch("/api/v1/pods?watch=1&resourceVersion=" + std::to_string(current + 5));
  REQUIRE(k.make_pod("a").status == 201);
  REQUIRE(k.make_pod("b").status == 201);
  // Events after the requested version only.
  REQUIRE(soon->watch_stream()->wait_lines(1));
  CHECK(name_of(soon->watch_stream()->events()[0]) == "b");
  REQUIRE(late->watch_stream()->wait_ended());
  auto err = late->watch_stream()->events().at(0);
  CHECK(json::dump(err) == R"({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Timeout: Too large resource version: )"
                             + std::to_string(current + 5) + ", current: " + std::to_string(current + 2)
                             + R"(","reason":"Timeout","details":{"causes":[{"reason":"ResourceVersionTooLarge","message":"Too large resource version"}],"retryAfterSeconds":1},"code":504}})");
  auto list = k.admin_client.get("/api/v1/pods?resourceVersion=" + std::to_string(current + 9));
  CHECK(list.status == 504);
}

TEST_CASE("sendInitialEvents ends the initial state with an annotated bookmark") {
  cluster k;
  REQUIRE(k.make_pod("a").status == 201);
  auto reply = k.admin_client.watch("/api/v1/pods?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan");
  REQUIRE(reply->watch_stream()->wait_lines(2));
  auto events = reply->watch_stream()->events();
  CHECK(type_of(events[0]) == "ADDED");
  CHECK(type_of(events[1]) == "BOOKMARK");
  CHECK(events[1].find_path({"object", "metadata", "annotations", "k8s.io/initial-events-end"})->as_string() == "true");
  auto bad = k.admin_client.get("/api/v1/pods?watch=1&sendInitialEvents=true");
  CHECK(bad.status == 422);
}

TEST_CASE("graceful pod deletion as the kubelet sees it") {
  cluster k;
  auto created = k.admin_client.post("/api/v1/namespaces/default/pods", std::string{pod_body});
  REQUIRE(created.status == 201);
  auto uid = body_of(created).find_path({"metadata", "uid"})->as_string();
  auto rv = body_of(created).find_path({"metadata", "resourceVersion"})->as_string();
  auto reply = k.edge1.watch("/api/v1/pods?fieldSelector=spec.nodeName%3Dedge-1&watch=true&resourceVersion=" + rv);
  auto stream = reply->watch_stream();
  auto graceful = k.admin_client.del("/api/v1/namespaces/default/pods/web-1",
                                     R"({"kind":"DeleteOptions","apiVersion":"v1","gracePeriodSeconds":30})");
  REQUIRE(graceful.status == 200);
  auto pod = body_of(graceful);
  CHECK(pod.get_string("kind") == "Pod");
  CHECK(pod.find_path({"metadata", "deletionGracePeriodSeconds"})->as_int() == 30);
  auto deletion_ts = pod.find_path({"metadata", "deletionTimestamp"})->as_string();
  // The pod is still there for the node; a longer grace period changes nothing.
  CHECK(k.edge1.get("/api/v1/namespaces/default/pods/web-1").status == 200);
  auto longer = k.admin_client.del("/api/v1/namespaces/default/pods/web-1", R"({"gracePeriodSeconds":60})");
  CHECK(body_of(longer).find_path({"metadata", "deletionGracePeriodSeconds"})->as_int() == 30);
  auto wrong = k.edge1.del("/api/v1/namespaces/default/pods/web-1",
                           R"({"kind":"DeleteOptions","apiVersion":"v1","gracePeriodSeconds":0,"preconditions":{"uid":"00000000-0000-0000-0000-000000000000"}})");
  CHECK(wrong.status == 409);
  CHECK(body_of(wrong) == parse_json(R"~({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on Pod \"web-1\": the UID in the precondition (00000000-0000-0000-0000-000000000000) does not match the UID in record ()~"
                                     + uid + R"~(). The object might have been deleted and then recreated","reason":"Conflict","details":{"name":"web-1","kind":"Pod"},"code":409})~"));
  auto final_delete = k.edge1.del("/api/v1/namespaces/default/pods/web-1",
                                  R"({"kind":"DeleteOptions","apiVersion":"v1","gracePeriodSeconds":0,"preconditions":{"uid":")" + uid + R"("}})");
  REQUIRE(final_delete.status == 200);
  auto last = body_of(final_delete);
  CHECK(last.find_path({"metadata", "deletionGracePeriodSeconds"})->as_int() == 0);
  // The deletion timestamp moves back by the 30 s no longer granted.
  auto ts = parse_time(deletion_ts);
  REQUIRE(ts);
  CHECK(last.find_path({"metadata", "deletionTimestamp"})->as_string()
        == format_time(*ts - std::chrono::seconds{30}));
  REQUIRE(stream->wait_lines(3));
  auto events = stream->events();
  REQUIRE(events.size() == 3);
  CHECK(type_of(events[0]) == "MODIFIED");
  CHECK(events[0].find_path({"object", "metadata", "deletionGracePeriodSeconds"})->as_int() == 30);
  CHECK(type_of(events[1]) == "MODIFIED");
  CHECK(events[1].find_path({"object", "metadata", "deletionGracePeriodSeconds"})->as_int() == 0);
  CHECK(type_of(events[2]) == "DELETED");
  CHECK(rv_of(events[2]) == rv_of(events[1]) + 1);
  CHECK(last.find_path({"metadata", "resourceVersion"})->as_string() == std::to_string(rv_of(events[2])));
  CHECK(k.admin_client.get("/api/v1/namespaces/default/pods/web-1").status == 404);
}

TEST_CASE("terminated or unscheduled pods are deleted at once") {
  cluster k;
  REQUIRE(k.make_pod("done").status == 201);
  REQUIRE(k.edge1.patch("/api/v1/namespaces/default/pods/done/status",
                        R"({"status":{"phase":"Succeeded"}})",
                        "application/merge-patch+json").status == 200);
  auto res = k.admin_client.del("/api/v1/namespaces/default/pods/done");
  REQUIRE(res.status == 200);
  CHECK(body_of(res).find_path({"metadata", "deletionGracePeriodSeconds"})->as_int() == 0);
  CHECK(k.admin_client.get("/api/v1/namespaces/default/pods/done").status == 404);
  REQUIRE(k.make_pod("unbound", "").status == 201);
  REQUIRE(k.admin_client.del("/api/v1/namespaces/default/pods/unbound").status == 200);
  CHECK(k.admin_client.get("/api/v1/namespaces/default/pods/unbound").status == 404);
  // Objects without graceful deletion answer with a Status.
  auto cm = k.admin_client.post("/api/v1/namespaces/default/configmaps", R"({"metadata":{"name":"c"}})");
  auto cm_uid = body_of(cm).find_path({"metadata", "uid"})->as_string();
  auto gone = k.admin_client.del("/api/v1/namespaces/default/configmaps/c");
  CHECK(gone.status == 200);
  CHECK(body_of(gone) == parse_json(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name":"c","kind":"configmaps","uid":")" + cm_uid + R"("}})"));
}
