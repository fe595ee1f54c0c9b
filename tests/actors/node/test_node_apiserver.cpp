// Against the faithful test API server: the builder's bodies are accepted
// as the real kube-apiserver would, and the node status actor registers,
// reports and re-registers after a restart.
#include "actors/node/node_builder.hpp"
#include "actors/node/node_status.hpp"
#include "messages/k8s/decode.hpp"
#include "messages/k8s/encode.hpp"
#include "tests/actors/node/node_fixture.hpp"
#include "tests/apiserver/server.hpp"
#include "tests/apiserver/test_support.hpp"

#include <doctest/doctest.h>

using namespace cafelet;
using namespace cafelet::actors;
using namespace std::chrono_literals;
using cafelet::testing::parse;
using cafelet::testing::status_path;

namespace {

using fixture = cafelet::testing::node_fixture;

k8s::timestamp at(std::string_view text) {
  auto t = k8s::parse_time(text);
  REQUIRE(t);
  return *t;
}

machine_info small_machine() {
  machine_info m;
  m.machine_id = "5f0c3e6f2b8e4c39a1b2c3d4e5f60718";
  m.system_uuid = m.machine_id;
  m.boot_id = "0d5e2a1c-7b3f-4f0e-9a8d-1c2b3a4d5e6f";
  m.kernel_version = "6.1.0-27-amd64";
  m.os_image = "Debian GNU/Linux 12 (bookworm)";
  m.architecture = "amd64";
  m.cpu_millis = 2000;
  m.memory_bytes = int64_t{24568028} * 1024;
  m.ephemeral_storage_bytes = int64_t{40901312} * 1024;
  m.hugepages = {{"hugepages-2Mi", 2 << 20, 0}, {"hugepages-1Gi", 1 << 30, 0}};
  return m;
}

node_settings small_settings() {
  auto s = settings_from(config::kubelet_configuration{});
  s.node_name = "edge-1";
  s.hostname = "edge-1";
  s.node_ips = {"10.88.0.1"};
  s.kubelet_version = "v1.32.13";
  s.container_runtime_version = "containerd://1.6.20";
  return s;
}

} // namespace

TEST_CASE("the test API server accepts registration, reconcile and status patches") {
  using namespace cafelet::apiserver;
  using namespace cafelet::apiserver::testing;
  api_server srv;
  client admin_client{srv, admin()};
  client node{srv, node_user("edge-1")};
  auto t0 = at("2026-11-22T02:59:17Z");
  auto m = small_machine();
  auto s = small_settings();
  condition_inputs starting;
  starting.not_ready = "container runtime status check may not have completed yet";
  auto initial = build_node(s, m, starting, t0);
  auto created = node.post("/api/v1/nodes", k8s::encode_node(initial));
  REQUIRE(created.status == 201);
  auto again = node.post("/api/v1/nodes", k8s::encode_node(initial));
  CHECK(again.status == 409);
  CHECK(body_of(again).get_string("reason") == "AlreadyExists");
  // Someone changed the default labels and dropped the annotation.
  auto meddled = admin_client.patch(
    "/api/v1/nodes/edge-1",
    R"({"metadata":{"labels":{"kubernetes.io/hostname":"wrong"},"annotations":null}})",
    "application/merge-patch+json");
  REQUIRE(meddled.status == 200);
  auto got = node.get("/api/v1/nodes/edge-1");
  REQUIRE(got.status == 200);
  auto existing = k8s::decode_node(got.body);
  REQUIRE(existing);
  auto patch = reconcile_patch(initial, **existing);
  REQUIRE(patch);
  auto reconciled = node.patch("/api/v1/nodes/edge-1/status", *patch);
  REQUIRE(reconciled.status == 200);
  auto after = k8s::decode_node(reconciled.body);
  REQUIRE(after);
  CHECK((*after)->metadata.labels.at("kubernetes.io/hostname") == "edge-1");
  CHECK((*after)->metadata.annotations.at(std::string{annotation_cmad}) == "true");
  CHECK(!reconcile_patch(initial, **after));
  // The first status patch turns Ready True; a full patch is accepted too.
  auto status = build_node_status(s, m, condition_inputs{}, initial.status.conditions,
                                  t0 + 1s);
  auto patched = node.patch("/api/v1/nodes/edge-1/status",
                            k8s::encode_node_status_patch(status));
  REQUIRE(patched.status == 200);
  auto ready = k8s::decode_node(patched.body);
  REQUIRE(ready);
  REQUIRE((*ready)->status.conditions.size() == 4);
  CHECK((*ready)->status.conditions[3].status == "True");
  CHECK((*ready)->status.conditions[3].reason == "KubeletReady");
  s.container_runtime_version = "containerd://1.7.0";
  status = build_node_status(s, m, condition_inputs{}, status.conditions, t0 + 11s);
  auto full = node.patch("/api/v1/nodes/edge-1/status",
                         k8s::encode_node_status_patch(status, true));
  REQUIRE(full.status == 200);
  auto updated = k8s::decode_node(full.body);
  REQUIRE(updated);
  CHECK((*updated)->status.node_info.container_runtime_version
        == "containerd://1.7.0");
  CHECK(!node_status_changed((*updated)->status, status));
}

TEST_CASE_FIXTURE(fixture, "against the test API server: register, report, restart with 409") {
  using namespace cafelet::apiserver;
  api_server srv;
  apiserver::testing::client edge1{srv, apiserver::testing::node_user("edge-1")};
  auto serve = [&] {
    int served = 0;
    while (auto c = api->next()) {
      auto req = apiserver::testing::make_request(
        std::string{net::to_string(c->req.method)}, c->req.path, c->req.body,
        c->req.content_type.empty() ? "application/json" : c->req.content_type);
      auto res = edge1.send(std::move(req));
      api->reply(c->key, res.status, res.body, res.content_type);
      run();
      REQUIRE(++served < 20);
    }
    return served;
  };
  auto stored = [&] {
    auto got = edge1.get("/api/v1/nodes/edge-1");
    REQUIRE(got.status == 200);
    auto n = k8s::decode_node(got.body);
    REQUIRE(n);
    return *n;
  };
  start();
  CHECK(serve() == 1);
  CHECK(stats->registered);
  CHECK(stored()->status.conditions[3].status == "True");
  caf::anon_send(node, readiness_update{"runtime", false, "container runtime is down"});
  run();
  CHECK(serve() == 1);
  auto n = stored();
  CHECK(n->status.conditions[3].status == "False");
  CHECK(n->status.conditions[3].message == "container runtime is down");
  // The kubelet restarts: POST 409, GET, full status patch.
  caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
  run();
  start();
  CHECK(serve() == 3);
  CHECK(stats->registrations == 2);
  n = stored();
  CHECK(n->status.conditions[3].status == "True");
  CHECK(n->metadata.labels.at("kubernetes.io/hostname") == "edge-1");
  auto summaries = std::vector<std::string>{};
  for (const auto& c : api->all())
    summaries.push_back(c.summary());
  CHECK(summaries
        == std::vector<std::string>{"POST /api/v1/nodes", status_path,
                                    "POST /api/v1/nodes", "GET /api/v1/nodes/edge-1",
                                    status_path});
}
