// Fault controls: injected failures, latency, cut watch streams, expired
// history and a server that stops answering.

#include "tests/apiserver/server.hpp"
#include "tests/apiserver/test_data.hpp"
#include "tests/apiserver/test_support.hpp"

#include <doctest/doctest.h>

#include <thread>

using namespace cafelet;
using namespace cafelet::apiserver;
using namespace cafelet::apiserver::testing;
using namespace std::chrono_literals;

namespace {

struct cluster {
  api_server srv;
  client admin_client{srv, admin()};
  client edge1{srv, node_user("edge-1")};

  cluster() {
    REQUIRE(edge1.post("/api/v1/nodes", std::string{node_body}).status == 201);
  }
};

} // namespace

TEST_CASE("injected failures hit matching requests the given number of times") {
  cluster k;
  auto id = k.srv.fail_requests(failure_rule{"PATCH", "/api/v1/nodes/*", 500, 2, "etcdserver: request timed out"});
  auto patch = [&] {
    return k.edge1.patch("/api/v1/nodes/edge-1/status", R"({"status":{}})");
  };
  auto first = patch();
  CHECK(first.status == 500);
  CHECK(body_of(first) == parse_json(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Internal error occurred: etcdserver: request timed out","reason":"InternalError","details":{"causes":[{"message":"etcdserver: request timed out"}]},"code":500})"));
  // Other methods and paths are not affected.
  CHECK(k.edge1.get("/api/v1/nodes/edge-1").status == 200);
  CHECK(patch().status == 500);
  CHECK(patch().status == 200);
  // Until cleared; 429 comes as API Priority and Fairness sends it.
  id = k.srv.fail_requests({"*", "/apis/coordination.k8s.io/*", 429, -1, ""});
  auto throttled = k.edge1.get("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/edge-1");
  CHECK(throttled.status == 429);
  CHECK(throttled.content_type == "text/plain; charset=utf-8");
  bool retry_after = false;
  for (const auto& h : throttled.headers)
    retry_after = retry_after || (h.name == "Retry-After" && h.value == "1");
  CHECK(retry_after);
  CHECK(k.edge1.get("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/edge-1").status == 429);
  k.srv.clear_failure(id);
  CHECK(k.edge1.get("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/edge-1").status == 404);
  k.srv.fail_requests({"GET", "*", 503, -1, ""});
  CHECK(k.edge1.get("/api/v1/nodes/edge-1").status == 503);
  k.srv.clear_failures();
  CHECK(k.edge1.get("/api/v1/nodes/edge-1").status == 200);
}

TEST_CASE("latency delays matching requests") {
  cluster k;
  k.srv.add_latency({"GET", "/api/v1/nodes/*", 300ms});
  auto start = std::chrono::steady_clock::now();
  CHECK(k.edge1.get("/api/v1/nodes/edge-1").status == 200);
  CHECK(std::chrono::steady_clock::now() - start >= 300ms);
  k.srv.clear_latency();
  start = std::chrono::steady_clock::now();
  CHECK(k.edge1.get("/api/v1/nodes/edge-1").status == 200);
  CHECK(std::chrono::steady_clock::now() - start < 300ms);
}

TEST_CASE("open watches can be cut gracefully, abruptly or selectively") {
  cluster k;
  auto pods = k.edge1.watch("/api/v1/pods?watch=1&fieldSelector=spec.nodeName%3Dedge-1");
  auto nodes = k.edge1.watch("/api/v1/nodes?watch=1&fieldSelector=metadata.name%3Dedge-1");
  REQUIRE(nodes->watch_stream()->wait_lines(1));
  CHECK(k.srv.watch_count() == 2);
  CHECK(k.srv.cut_watches("/api/v1/pods") == 1);
  REQUIRE(pods->watch_stream()->wait_ended());
  CHECK(pods->watch_stream()->closed_gracefully());
  CHECK_FALSE(nodes->watch_stream()->ended());
  CHECK(k.srv.cut_watches("*", true) == 1);
  REQUIRE(nodes->watch_stream()->wait_ended());
  CHECK_FALSE(nodes->watch_stream()->closed_gracefully());
  CHECK(k.srv.watch_count() == 0);
}

TEST_CASE("expired history answers a relisting client's old watch with 410") {
  cluster k;
  auto list = body_of(k.edge1.get("/api/v1/pods?fieldSelector=spec.nodeName%3Dedge-1"));
  auto rv = list.find_path({"metadata", "resourceVersion"})->as_string();
  REQUIRE(k.admin_client.post("/api/v1/namespaces/default/pods",
                              R"({"metadata":{"name":"p"},"spec":{"nodeName":"edge-1","containers":[{"name":"c","image":"i:1"}]}})").status == 201);
  k.srv.expire_history();
  auto reply = k.edge1.watch("/api/v1/pods?watch=1&fieldSelector=spec.nodeName%3Dedge-1&resourceVersion=" + rv);
  REQUIRE(reply->watch_stream()->wait_ended());
  auto ev = reply->watch_stream()->events().at(0);
  CHECK(ev.get_string("type") == "ERROR");
  CHECK(ev.find_path({"object", "reason"})->as_string() == "Expired");
}

TEST_CASE("a hanging server parks requests and stalls watches until resumed") {
  cluster k;
  auto watch = k.edge1.watch("/api/v1/nodes?watch=1&fieldSelector=metadata.name%3Dedge-1");
  auto stream = watch->watch_stream();
  REQUIRE(stream->wait_lines(1));
  k.srv.hang(0ms);
  auto parked = std::make_shared<recording_reply>();
  auto req = make_request("GET", "/api/v1/nodes/edge-1");
  req.user = node_user("edge-1");
  k.srv.handle(std::move(req), parked);
  CHECK_FALSE(parked->wait(200ms));
  // Writes made meanwhile (by the control plane itself) reach no watcher.
  std::thread writer{[&] {
    // The admin's request is parked as well.
    k.admin_client.patch("/api/v1/nodes/edge-1", R"({"metadata":{"labels":{"a":"b"}}})");
  }};
  CHECK_FALSE(stream->wait_lines(2, 200ms));
  k.srv.resume();
  writer.join();
  REQUIRE(parked->wait());
  CHECK(parked->result().status == 200);
  REQUIRE(stream->wait_lines(2));
  CHECK(stream->events()[1].get_string("type") == "MODIFIED");
  // A timed hang ends by itself.
  k.srv.hang(200ms);
  auto start = std::chrono::steady_clock::now();
  CHECK(k.edge1.get("/api/v1/nodes/edge-1").status == 200);
  CHECK(std::chrono::steady_clock::now() - start >= 150ms);
}
