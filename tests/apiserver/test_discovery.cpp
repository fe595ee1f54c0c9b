// Discovery documents, /version, Table output and namespace lifecycle.

#include "tests/apiserver/server.hpp"
#include "tests/apiserver/test_data.hpp"
#include "tests/apiserver/test_support.hpp"

#include <doctest/doctest.h>

using namespace cafelet;
using namespace cafelet::apiserver;
using namespace cafelet::apiserver::testing;

namespace {

const json::value* find_resource(const json::value& list, std::string_view name) {
  for (const auto& r : list.find("resources")->as_array())
    if (r.get_string("name") == name)
      return &r;
  return nullptr;
}

} // namespace

TEST_CASE("legacy discovery lists resources as the real server does") {
  api_server srv;
  client node{srv, node_user("edge-1")};
  auto api = node.get("/api");
  CHECK(api.body == R"({"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1:6443"}]})");
  auto v1 = body_of(node.get("/api/v1"));
  CHECK(v1.find("apiVersion") == nullptr);
  // Entries copied from the real server's /api/v1.
  for (auto [name, expected] : {
         std::pair{"pods", R"({"name":"pods","singularName":"pod","namespaced":true,"kind":"Pod","verbs":["create","delete","deletecollection","get","list","patch","update","watch"],"shortNames":["po"],"categories":["all"],"storageVersionHash":"xPOwRZ+Yhw8="})"},
         std::pair{"pods/status", R"({"name":"pods/status","singularName":"","namespaced":true,"kind":"Pod","verbs":["get","patch","update"]})"},
         std::pair{"nodes", R"({"name":"nodes","singularName":"node","namespaced":false,"kind":"Node","verbs":["create","delete","deletecollection","get","list","patch","update","watch"],"shortNames":["no"],"storageVersionHash":"XwShjMxG9Fs="})"},
         std::pair{"serviceaccounts/token", R"({"name":"serviceaccounts/token","singularName":"","namespaced":true,"group":"authentication.k8s.io","version":"v1","kind":"TokenRequest","verbs":["create"]})"},
         std::pair{"namespaces", R"({"name":"namespaces","singularName":"namespace","namespaced":false,"kind":"Namespace","verbs":["create","delete","get","list","patch","update","watch"],"shortNames":["ns"],"storageVersionHash":"Q3oi5N2YM8M="})"},
       }) {
    const auto* r = find_resource(v1, name);
    REQUIRE_MESSAGE(r != nullptr, name);
    CHECK(json::dump(*r) == expected);
  }
  auto leases = node.get("/apis/coordination.k8s.io/v1");
  CHECK(leases.body == R"({"kind":"APIResourceList","apiVersion":"v1","groupVersion":"coordination.k8s.io/v1","resources":[{"name":"leases","singularName":"lease","namespaced":true,"kind":"Lease","verbs":["create","delete","deletecollection","get","list","patch","update","watch"],"storageVersionHash":"gqkMMb/YqFM="}]})");
  auto version = body_of(node.get("/version"));
  CHECK(version.get_string("gitVersion") == "v1.32.13");
}

TEST_CASE("aggregated discovery answers with its own media type") {
  api_server srv;
  client node{srv, node_user("edge-1")};
  auto req = make_request("GET", "/apis");
  req.headers.clear();
  req.headers.push_back({"Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"});
  auto res = node.send(req);
  CHECK(res.content_type == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
  auto list = body_of(res);
  CHECK(list.get_string("kind") == "APIGroupDiscoveryList");
  bool leases = false;
  for (const auto& item : list.find("items")->as_array())
    if (item.find_path({"metadata", "name"})->as_string() == "coordination.k8s.io")
      leases = json::dump(item) == R"({"metadata":{"name":"coordination.k8s.io","creationTimestamp":null},"versions":[{"version":"v1","resources":[{"resource":"leases","responseKind":{"group":"","version":"","kind":"Lease"},"scope":"Namespaced","singularResource":"lease","verbs":["create","delete","deletecollection","get","list","patch","update","watch"]}],"freshness":"Current"}]})";
  CHECK(leases);
  auto plain = body_of(node.get("/apis"));
  CHECK(plain.get_string("kind") == "APIGroupList");
}

TEST_CASE("Table output for kubectl get") {
  api_server srv;
  client adm{srv, admin()};
  client node{srv, node_user("edge-1")};
  REQUIRE(node.post("/api/v1/nodes", std::string{node_body}).status == 201);
  REQUIRE(adm.post("/api/v1/namespaces/default/pods", std::string{pod_body}).status == 201);
  auto req = make_request("GET", "/api/v1/namespaces/default/pods?limit=500");
  req.headers.clear();
  req.headers.push_back({"Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"});
  auto res = adm.send(req);
  CHECK(res.content_type == "application/json;as=Table;v=v1;g=meta.k8s.io");
  auto table = body_of(res);
  CHECK(table.get_string("kind") == "Table");
  CHECK(table.get_string("apiVersion") == "meta.k8s.io/v1");
  std::vector<std::string> columns;
  for (const auto& c : table.find("columnDefinitions")->as_array())
    columns.push_back(c.get_string("name"));
  CHECK(columns == std::vector<std::string>{"Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node", "Readiness Gates"});
  const auto& row = table.find("rows")->as_array().at(0);
  auto cells = json::dump(*row.find("cells"));
  CHECK(cells.starts_with(R"(["web-1","0/2","Pending",0,")"));
  CHECK(cells.ends_with(R"(","<none>","edge-1","<none>","<none>"])"));
  CHECK(row.find_path({"object", "kind"})->as_string() == "PartialObjectMetadata");
  auto nodes_req = make_request("GET", "/api/v1/nodes/edge-1");
  nodes_req.headers = req.headers;
  auto ntable = body_of(adm.send(nodes_req));
  auto ncells = json::dump(*ntable.find("rows")->as_array().at(0).find("cells"));
  CHECK(ncells.starts_with(R"(["edge-1","NotReady","<none>",")"));
  CHECK(ncells.ends_with(R"~(","v1.32.13","10.88.0.1","<none>","Debian GNU/Linux 12 (bookworm)","6.1.0-27-amd64","containerd://1.6.20"])~"));
}

TEST_CASE("a deleted namespace terminates, refuses content and disappears") {
  api_server srv;
  client adm{srv, admin()};
  REQUIRE(adm.post("/api/v1/namespaces", R"({"metadata":{"name":"team"}})").status == 201);
  auto ns = body_of(adm.get("/api/v1/namespaces/team"));
  CHECK(ns.find_path({"metadata", "labels", "kubernetes.io/metadata.name"})->as_string() == "team");
  CHECK(ns.find_path({"status", "phase"})->as_string() == "Active");
  // The controllers of a full cluster add a default service account and
  // the root CA configmap.
  CHECK(adm.get("/api/v1/namespaces/team/serviceaccounts/default").status == 200);
  CHECK(adm.get("/api/v1/namespaces/team/configmaps/kube-root-ca.crt").status == 200);
  REQUIRE(adm.post("/api/v1/namespaces/team/configmaps", R"({"metadata":{"name":"c"}})").status == 201);
  auto watch = adm.watch("/api/v1/namespaces?watch=1&fieldSelector=metadata.name%3Dteam");
  REQUIRE(watch->watch_stream()->wait_lines(1));
  auto deleted = adm.del("/api/v1/namespaces/team");
  CHECK(deleted.status == 200);
  CHECK(body_of(deleted).find_path({"status", "phase"})->as_string() == "Terminating");
  REQUIRE(watch->watch_stream()->wait_lines(3));
  auto events = watch->watch_stream()->events();
  CHECK(events[1].get_string("type") == "MODIFIED");
  CHECK(events[2].get_string("type") == "DELETED");
  CHECK(adm.get("/api/v1/namespaces/team/configmaps/c").status == 404);
  auto missing = adm.post("/api/v1/namespaces/team/configmaps", R"({"metadata":{"name":"d"}})");
  CHECK(missing.status == 404);
  CHECK(body_of(missing).get_string("message") == "namespaces \"team\" not found");
}
