// The pod board behind /pods: put/erase/revive and the PodList it renders
// (k8s::encode_pod_view).
#include "actors/pods/pod_board.hpp"
#include "messages/json/json.hpp"
#include "messages/k8s/encode.hpp"
#include "tests/actors/pods/pod_builders.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace cafelet;
using namespace cafelet::actors::pods;

namespace {

k8s::pod_ptr pod_in(std::string ns, std::string name, std::string uid) {
  auto p = test::make_pod(std::move(name), std::move(uid));
  p.metadata.namespace_ = std::move(ns);
  p.spec.restart_policy = "Always";
  p.spec.containers.push_back(test::make_container("app"));
  return std::make_shared<const k8s::pod>(std::move(p));
}

std::shared_ptr<const k8s::pod_status> status(std::string phase) {
  auto s = std::make_shared<k8s::pod_status>();
  s->phase = std::move(phase);
  return s;
}

json::value list_of(const pod_board& b) {
  auto doc = json::parse(b.pod_list_json());
  REQUIRE_MESSAGE(doc, "not JSON: " << b.pod_list_json());
  return *doc;
}

const json::array& items_of(const json::value& list) {
  const auto* items = list.find("items");
  REQUIRE(items != nullptr);
  REQUIRE(items->is_array());
  return items->as_array();
}

/// namespace/name of every item.
std::vector<std::string> names_of(const json::value& list) {
  std::vector<std::string> out;
  for (const auto& x : items_of(list))
    out.push_back(x.find_path({"metadata", "namespace"})->as_string() + "/"
                  + x.find_path({"metadata", "name"})->as_string());
  return out;
}

} // namespace

TEST_CASE("pod board: put replaces, erase forgets for good, revive accepts again") {
  pod_board b;
  CHECK(b.size() == 0);
  auto p = pod_in("default", "web", "uid-1");
  b.put(p, status("Pending"));
  b.put(p, status("Running"));
  CHECK(b.size() == 1);
  CHECK(items_of(list_of(b)).at(0).find_path({"status", "phase"})->as_string()
        == "Running");
  // Null pods or statuses are ignored.
  b.put(nullptr, status("Running"));
  b.put(pod_in("default", "db", "uid-2"), nullptr);
  CHECK(b.size() == 1);
  b.erase("uid-1");
  CHECK(b.size() == 0);
  // A late status of the erased pod does not bring it back.
  b.put(p, status("Succeeded"));
  CHECK(b.size() == 0);
  // Other pods are not affected.
  b.put(pod_in("default", "db", "uid-2"), status("Running"));
  CHECK(b.size() == 1);
  // Revived (a static pod added back): accepted again.
  b.revive("uid-1");
  b.put(p, status("Running"));
  CHECK(b.size() == 2);
  // Erasing an unknown uid is harmless and blocks it too.
  b.erase("uid-9");
  b.put(pod_in("default", "x", "uid-9"), status("Running"));
  CHECK(b.size() == 2);
}

TEST_CASE("pod board: an empty board is an empty PodList") {
  pod_board b;
  auto list = list_of(b);
  CHECK(list.get_string("kind") == "PodList");
  CHECK(list.get_string("apiVersion") == "v1");
  CHECK(items_of(list).empty());
}

TEST_CASE("pod board: items are sorted by namespace and name") {
  pod_board b;
  b.put(pod_in("kube-system", "a", "uid-1"), status("Running"));
  b.put(pod_in("default", "z", "uid-2"), status("Running"));
  b.put(pod_in("default", "b", "uid-3"), status("Pending"));
  b.put(pod_in("apps", "m", "uid-4"), status("Running"));
  auto list = list_of(b);
  CHECK(list.get_string("kind") == "PodList");
  CHECK(names_of(list)
        == std::vector<std::string>{"apps/m", "default/b", "default/z", "kube-system/a"});
  for (const auto& x : items_of(list)) {
    CHECK(x.get_string("kind") == "Pod");
    CHECK(x.get_string("apiVersion") == "v1");
  }
}

TEST_CASE("pod board: API pods get the minimal spec, static pods their manifest spec") {
  pod_board b;
  auto api_pod = [] {
    auto p = test::make_pod("api", "uid-api");
    p.spec.restart_policy = "Never";
    p.spec.init_containers.push_back(test::make_container("init"));
    auto c = test::make_container("app");
    k8s::container_port port;
    port.container_port = 80;
    c.ports.push_back(port);
    p.spec.containers.push_back(std::move(c));
    p.metadata.deletion_timestamp = k8s::parse_time("2026-11-22T02:59:57Z").value();
    return std::make_shared<const k8s::pod>(std::move(p));
  }();
  b.put(api_pod, status("Running"));
  auto static_pod = pod_in("default", "web-edge-1", "uid-static");
  b.put(static_pod, status("Running"));
  std::string manifest
    = R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-edge-1","uid":"uid-static"},)"
      R"("spec":{"hostNetwork":true,"containers":[{"name":"app","image":"localhost/web:1",)"
      R"("ports":[{"containerPort":8080}]}],"nodeName":"edge-1"},"status":{"phase":"Pending"}})";
  b.set_manifest("uid-static", std::make_shared<const std::string>(manifest));
  auto list = list_of(b);
  REQUIRE(items_of(list).size() == 2);
  const auto& api = items_of(list)[0];
  const auto& st = items_of(list)[1];
  REQUIRE(api.find_path({"metadata", "name"})->as_string() == "api");
  // API pod: nodeName, restartPolicy, container names and images only.
  auto minimal = json::parse(
    R"({"restartPolicy":"Never","nodeName":"edge-1",)"
    R"("initContainers":[{"name":"init","image":"localhost/busybox:ci"}],)"
    R"("containers":[{"name":"app","image":"localhost/busybox:ci"}]})");
  REQUIRE(minimal);
  CHECK(*api.find("spec") == *minimal);
  CHECK(api.find_path({"metadata", "uid"})->as_string() == "uid-api");
  CHECK(api.find_path({"metadata", "deletionTimestamp"})->as_string()
        == "2026-11-22T02:59:57Z");
  CHECK(api.find_path({"status", "phase"})->as_string() == "Running");
  // Static pod: the manifest's whole spec, the node's metadata and status.
  auto whole = json::parse(manifest);
  REQUIRE(whole);
  CHECK(*st.find("spec") == *whole->find("spec"));
  CHECK(st.find_path({"status", "phase"})->as_string() == "Running");
  // Forgotten manifest: the minimal spec again.
  b.set_manifest("uid-static", nullptr);
  list = list_of(b);
  CHECK(items_of(list)[1].find_path({"spec", "hostNetwork"}) == nullptr);
  CHECK(items_of(list)[1].find_path({"spec", "restartPolicy"})->as_string() == "Always");
}

TEST_CASE("pod board: a manifest that is not JSON falls back to the minimal spec") {
  pod_board b;
  b.put(pod_in("default", "web", "uid-1"), status("Running"));
  b.set_manifest("uid-1", std::make_shared<const std::string>("{not json"));
  auto list = list_of(b);
  REQUIRE(items_of(list).size() == 1);
  CHECK(items_of(list)[0].find_path({"spec", "containers"}) != nullptr);
  b.set_manifest("uid-1", std::make_shared<const std::string>(R"({"spec":[1]})"));
  list = list_of(b);
  CHECK(items_of(list)[0].find_path({"spec", "restartPolicy"})->as_string() == "Always");
}

TEST_CASE("encode_pod_view renders one Pod with the given spec") {
  auto p = pod_in("default", "web", "uid-1");
  k8s::pod_status s;
  s.phase = "Running";
  s.pod_ip = "10.88.0.2";
  auto doc = json::parse(k8s::encode_pod_view(*p, s));
  REQUIRE(doc);
  CHECK(doc->get_string("kind") == "Pod");
  CHECK(doc->find_path({"metadata", "name"})->as_string() == "web");
  CHECK(doc->find_path({"spec", "nodeName"})->as_string() == "edge-1");
  CHECK(doc->find_path({"status", "podIP"})->as_string() == "10.88.0.2");
  auto given = json::parse(k8s::encode_pod_view(*p, s, R"({"hostPID":true})"));
  REQUIRE(given);
  CHECK(*given->find("spec") == *json::parse(R"({"hostPID":true})"));
}
