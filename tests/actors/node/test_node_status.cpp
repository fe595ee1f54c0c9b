// The node status actor under virtual time: registration (201, 409 with
// reconcile, 403 with backoff), the status loop (patch on change, forced
// report, retries, recovery, re-registration), readiness and pressure.
#include "actors/node/node_status.hpp"
#include "messages/errors.hpp"
#include "messages/json/json.hpp"
#include "tests/actors/node/node_fixture.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace cafelet;
using namespace cafelet::actors;
using namespace std::chrono_literals;
using cafelet::testing::fake_host;
using cafelet::testing::scripted_call;
using cafelet::testing::scripted_transport;

namespace {

const std::string already_exists
  = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"nodes \"edge-1\" already exists","reason":"AlreadyExists","details":{"name":"edge-1","kind":"nodes"},"code":409})";

const std::string forbidden
  = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"nodes \"edge-1\" is forbidden: node \"edge-2\" is not allowed to modify node \"edge-1\"","reason":"Forbidden","details":{"name":"edge-1","kind":"nodes"},"code":403})";

const std::string internal_error
  = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Internal error occurred: etcdserver: request timed out","reason":"InternalError","code":500})";

const std::string not_found
  = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"nodes \"edge-1\" not found","reason":"NotFound","details":{"name":"edge-1","kind":"nodes"},"code":404})";

using fixture = cafelet::testing::node_fixture;
using cafelet::testing::initial_reasons;
using cafelet::testing::status_path;
using cafelet::testing::parse;
using cafelet::testing::condition;

} // namespace

TEST_CASE_FIXTURE(fixture, "the node registers with a POST of the full Node") {
  start();
  auto post = expect("POST /api/v1/nodes");
  CHECK(post.req.method == net::http_method::post);
  auto body = parse(post.req.body);
  CHECK(body.get_string("kind") == "Node");
  CHECK(body.find_path({"metadata", "name"})->as_string() == "edge-1");
  CHECK(*body.find_path({"metadata", "labels"})
        == parse(R"({"beta.kubernetes.io/arch":"amd64","beta.kubernetes.io/os":"linux","kubernetes.io/arch":"amd64","kubernetes.io/hostname":"edge-1","kubernetes.io/os":"linux"})"));
  CHECK(*body.find_path({"metadata", "annotations"})
        == parse(R"({"volumes.kubernetes.io/controller-managed-attach-detach":"true"})"));
  CHECK(*body.find_path({"status", "capacity"})
        == parse(R"({"cpu":"2","ephemeral-storage":"264212084Ki","hugepages-1Gi":"0","hugepages-2Mi":"0","memory":"24684084Ki","pods":"110"})"));
  CHECK(*body.find_path({"status", "allocatable"})
        == parse(R"({"cpu":"2","ephemeral-storage":"243497856212","hugepages-1Gi":"0","hugepages-2Mi":"0","memory":"24581684Ki","pods":"110"})"));
  CHECK(*body.find_path({"status", "addresses"})
        == parse(R"([{"type":"InternalIP","address":"192.0.2.2"},{"type":"Hostname","address":"edge-1"}])"));
  CHECK(*body.find_path({"status", "daemonEndpoints"})
        == parse(R"({"kubeletEndpoint":{"Port":10250}})"));
  CHECK(*body.find_path({"status", "nodeInfo"})
        == parse(R"~({"machineID":"3d1219c7c4c5404aaa1f6d2a48adfda4","systemUUID":"3d1219c7c4c5404aaa1f6d2a48adfda4","bootID":"053b4906-0cb6-4d35-905f-53215d1c9c57","kernelVersion":"6.18.44-fc-v669","osImage":"Debian GNU/Linux 12 (bookworm)","containerRuntimeVersion":"containerd://1.6.20","kubeletVersion":"v1.32.13","kubeProxyVersion":"v1.32.13","operatingSystem":"linux","architecture":")~"
                 + std::string{go_architecture()} + "\"}"));
  auto ready = condition(body, "Ready");
  CHECK(ready.get_string("status") == "True");
  CHECK(ready.get_string("reason") == "KubeletReady");
  CHECK(ready.get_string("lastHeartbeatTime") == "2026-11-22T02:59:17Z");
  CHECK(stats->registrations == 0);
  CHECK(events.empty());
  api->reply(post.key, 201, post.req.body);
  run();
  CHECK(stats->registrations == 1);
  CHECK(stats->registered);
  CHECK(api->open().empty());
  CHECK(event_reasons() == initial_reasons);
  for (const auto& ev : events) {
    CHECK(ev.type == "Normal");
    CHECK(ev.involved.kind == "Node");
    CHECK(ev.involved.name == "edge-1");
    CHECK(ev.message == "Node edge-1 status is now: " + ev.reason);
  }
  CHECK(logged({"Successfully registered node", "edge-1"}));
}

TEST_CASE_FIXTURE(fixture, "the status is patched only on change, and after 5 min regardless") {
  start();
  register_ok();
  for (int i = 1; i < 30; ++i) {
    advance(10s);
    CHECK_MESSAGE(api->open().empty(), "unexpected call at " << i * 10 << " s");
  }
  advance(10s); // 300 s after registration
  auto p = expect(status_path);
  CHECK(p.req.path == "/api/v1/nodes/edge-1/status?timeout=10s");
  CHECK(p.req.content_type == "application/strategic-merge-patch+json");
  auto body = parse(p.req.body);
  CHECK(*body.find_path({"status", "$setElementOrder/conditions"})
        == parse(R"([{"type":"MemoryPressure"},{"type":"DiskPressure"},{"type":"PIDPressure"},{"type":"Ready"}])"));
  CHECK(body.find_path({"status", "capacity"}) == nullptr); // not a full patch
  auto ready = condition(body, "Ready");
  CHECK(ready.get_string("lastHeartbeatTime") == "2026-11-22T03:04:17Z");
  CHECK(ready.get_string("lastTransitionTime") == "2026-11-22T02:59:17Z");
  api->reply(p.key, 200, "{}");
  run();
  CHECK(stats->status_patches == 1);
  advance(10s);
  CHECK(api->open().empty());
  advance(290s);
  expect(status_path);
  CHECK(events.size() == 4); // no transitions
}

TEST_CASE_FIXTURE(fixture, "a readiness change patches at once with Ready False and its reason") {
  start();
  register_ok();
  events.clear();
  advance(3s);
  caf::anon_send(node, readiness_update{"runtime", false, "container runtime is down"});
  run();
  auto p = expect(status_path);
  auto ready = condition(parse(p.req.body), "Ready");
  CHECK(ready.get_string("status") == "False");
  CHECK(ready.get_string("reason") == "KubeletNotReady");
  CHECK(ready.get_string("message") == "container runtime is down");
  CHECK(ready.get_string("lastTransitionTime") == "2026-11-22T02:59:20Z");
  CHECK(event_reasons() == std::vector<std::string>{"NodeNotReady"});
  CHECK(events[0].message == "Node edge-1 status is now: NodeNotReady");
  api->reply(p.key, 200);
  run();
  // The same news again changes nothing.
  caf::anon_send(node, readiness_update{"runtime", false, "container runtime is down"});
  run();
  advance(10s);
  CHECK(api->open().empty());
  // A second component while a patch is in flight: one more patch after it.
  caf::anon_send(node, readiness_update{"network", false, "network plugin not ready"});
  run();
  auto p2 = expect(status_path);
  caf::anon_send(node, readiness_update{"runtime", true, ""});
  run();
  CHECK(api->open().size() == 1);
  api->reply(p2.key, 200);
  run();
  auto p3 = expect(status_path);
  ready = condition(parse(p3.req.body), "Ready");
  CHECK(ready.get_string("message") == "network plugin not ready");
  api->reply(p3.key, 200);
  run();
  caf::anon_send(node, readiness_update{"network", true, ""});
  run();
  auto p4 = expect(status_path);
  ready = condition(parse(p4.req.body), "Ready");
  CHECK(ready.get_string("status") == "True");
  CHECK(ready.get_string("reason") == "KubeletReady");
  CHECK(ready.get_string("message") == "kubelet is posting ready status");
  api->reply(p4.key, 200);
  run();
  CHECK(event_reasons() == std::vector<std::string>{"NodeNotReady", "NodeReady"});
  CHECK(stats->status_patches == 4);
}

TEST_CASE_FIXTURE(fixture, "an unready component before registration is in the POST") {
  start();
  caf::anon_send(node, readiness_update{"runtime", false, "container runtime status check may not have completed yet"});
  run();
  CHECK(api->open().size() == 1); // no patch before registration
  answer("POST /api/v1/nodes", 500, internal_error);
  advance(100ms);
  auto post = expect("POST /api/v1/nodes");
  auto ready = condition(parse(post.req.body), "Ready");
  CHECK(ready.get_string("status") == "False");
  CHECK(ready.get_string("message") == "container runtime status check may not have completed yet");
  api->reply(post.key, 201, post.req.body);
  run();
  CHECK(event_reasons()
        == std::vector<std::string>{"NodeHasSufficientMemory", "NodeHasNoDiskPressure",
                                    "NodeHasSufficientPID", "NodeNotReady"});
  CHECK(api->open().empty());
}

TEST_CASE_FIXTURE(fixture, "409 AlreadyExists: GET, reconcile, then a full status patch") {
  start();
  auto post = answer("POST /api/v1/nodes", 409, already_exists);
  CHECK(!stats->registered);
  auto get = expect("GET /api/v1/nodes/edge-1");
  // The stored Node: stale hostname label, no annotation, an old
  // MemoryPressure transition and Ready False from before the restart.
  auto existing = parse(post.req.body);
  existing["metadata"]["labels"]["kubernetes.io/hostname"] = "old-name";
  existing["metadata"].erase("annotations");
  existing["metadata"]["uid"] = "f74aa255-c2dd-4f1f-8dad-db8332daf6e2";
  existing["metadata"]["resourceVersion"] = "292";
  for (auto& c : existing["status"]["conditions"].as_array()) {
    c["lastTransitionTime"] = "2026-11-01T00:00:00Z";
    if (c.get_string("type") == "Ready") {
      c["status"] = "False";
      c["reason"] = "KubeletNotReady";
    }
  }
  api->reply(get.key, 200, json::dump(existing));
  run();
  auto rec = expect(status_path);
  CHECK(rec.req.content_type == "application/strategic-merge-patch+json");
  CHECK(parse(rec.req.body)
        == parse(R"({"metadata":{"labels":{"kubernetes.io/hostname":"edge-1"},"annotations":{"volumes.kubernetes.io/controller-managed-attach-detach":"true"}}})"));
  CHECK(!stats->registered);
  api->reply(rec.key, 200, json::dump(existing));
  run();
  CHECK(stats->registered);
  CHECK(stats->registrations == 1);
  CHECK(logged({"Node was previously registered"}));
  auto full = expect(status_path);
  auto body = parse(full.req.body);
  CHECK(body.find_path({"status", "capacity"}) != nullptr);
  CHECK(body.find_path({"status", "allocatable"}) != nullptr);
  CHECK(body.find_path({"status", "nodeInfo"}) != nullptr);
  CHECK(body.find_path({"status", "$setElementOrder/addresses"}) != nullptr);
  CHECK(condition(body, "MemoryPressure").get_string("lastTransitionTime")
        == "2026-11-01T00:00:00Z");
  auto ready = condition(body, "Ready");
  CHECK(ready.get_string("status") == "True");
  CHECK(ready.get_string("lastTransitionTime") == "2026-11-22T02:59:17Z");
  api->reply(full.key, 200);
  run();
  CHECK(stats->status_patches == 1);
  CHECK(event_reasons() == initial_reasons);
  advance(10s);
  CHECK(api->open().empty());
}

TEST_CASE_FIXTURE(fixture, "409 AlreadyExists with a matching Node needs no reconcile patch") {
  start();
  auto post = answer("POST /api/v1/nodes", 409, already_exists);
  answer("GET /api/v1/nodes/edge-1", 200, post.req.body);
  auto full = expect(status_path);
  CHECK(parse(full.req.body).find_path({"status", "nodeInfo"}) != nullptr);
  CHECK(stats->registered);
}

TEST_CASE_FIXTURE(fixture, "403 logs the refused node identity and retries with capped backoff") {
  start();
  answer("POST /api/v1/nodes", 403, forbidden);
  CHECK(logged({"refused this node identity for node edge-1",
                "system:node:edge-1", "--hostname-override",
                "is not allowed to modify node"}));
  CHECK(stats->register_failures == 1);
  CHECK(stats->last_http_status == 403);
  CHECK(stats->last_error_code == static_cast<int32_t>(errc::forbidden));
  std::vector<int64_t> caps = {100, 200, 400, 800, 1600, 3200, 6400, 7000, 7000};
  for (auto cap : caps) {
    auto lo = static_cast<int64_t>(cap * 0.8 + 0.5);
    advance(std::chrono::milliseconds{lo - 1});
    CHECK_MESSAGE(api->open().empty(), "retried before " << lo << " ms");
    int64_t waited = lo - 1;
    while (api->open().empty() && waited < cap) {
      advance(1ms);
      ++waited;
    }
    CHECK_MESSAGE(api->open().size() == 1, "no retry within " << cap << " ms");
    answer("POST /api/v1/nodes", 403, forbidden);
  }
  CHECK(stats->register_failures == caps.size() + 1);
  CHECK(!stats->registered);
  // Once the identity is fixed, registration succeeds and the backoff resets.
  advance(7s);
  register_ok();
  CHECK(stats->registrations == 1);
}

TEST_CASE_FIXTURE(fixture, "401 says the credentials were not accepted") {
  start();
  answer("POST /api/v1/nodes", 401,
         R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401})");
  CHECK(logged({"did not accept this node's credentials"}));
  advance(100ms);
  expect("POST /api/v1/nodes");
}

TEST_CASE_FIXTURE(fixture, "60 s of failures, then a patch within one update interval of recovery") {
  start();
  register_ok();
  caf::anon_send(node, readiness_update{"runtime", false, "container runtime is down"});
  run();
  // Five immediate tries, all 500.
  for (int i = 0; i < node_status_update_retry; ++i)
    answer(status_path, 500, internal_error);
  CHECK(api->open().empty());
  CHECK(stats->patch_failures == 5);
  CHECK(logged({"Unable to update node status"}));
  // Every tick tries again while the API server is unreachable.
  for (int tick = 1; tick <= 6; ++tick) {
    advance(10s);
    for (int i = 0; i < node_status_update_retry; ++i) {
      auto c = expect(status_path);
      api->fail(c.key, make_error(errc::connection_failed,
                                  "PATCH /api/v1/nodes/edge-1/status: "
                                  "connection refused"));
      run();
    }
    CHECK(api->open().empty());
  }
  CHECK(stats->patch_failures == 35);
  CHECK(stats->last_error_code == static_cast<int32_t>(errc::connection_failed));
  CHECK(stats->status_patches == 0);
  // The API server is back: the next tick (within 10 s) gets through.
  advance(10s);
  auto p = expect(status_path);
  CHECK(condition(parse(p.req.body), "Ready").get_string("status") == "False");
  api->reply(p.key, 200);
  run();
  CHECK(stats->status_patches == 1);
  advance(10s);
  CHECK(api->open().empty());
  CHECK(stats->registrations == 1);
}

TEST_CASE_FIXTURE(fixture, "a non-retryable patch error stops the tries until the next tick") {
  start();
  register_ok();
  caf::anon_send(node, readiness_update{"runtime", false, "down"});
  run();
  answer(status_path, 422,
         R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Node \"edge-1\" is invalid","reason":"Invalid","code":422})");
  CHECK(api->open().empty());
  advance(10s);
  answer(status_path, 200);
  CHECK(stats->patch_failures == 1);
  CHECK(stats->status_patches == 1);
}

TEST_CASE_FIXTURE(fixture, "Retry-After delays the next try") {
  start();
  register_ok();
  caf::anon_send(node, readiness_update{"runtime", false, "down"});
  run();
  answer(status_path, 429,
         R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Too many requests, please try again later.","reason":"TooManyRequests","details":{"retryAfterSeconds":2},"code":429})");
  advance(1999ms);
  CHECK(api->open().empty());
  advance(1ms);
  answer(status_path, 200);
  CHECK(stats->status_patches == 1);
}

TEST_CASE_FIXTURE(fixture, "404 on a status patch registers the node again") {
  start();
  register_ok();
  caf::anon_send(node, readiness_update{"runtime", false, "down"});
  run();
  answer(status_path, 404, not_found);
  CHECK(!stats->registered);
  CHECK(logged({"registering again"}));
  auto body = register_ok();
  CHECK(condition(body, "Ready").get_string("status") == "False");
  CHECK(stats->registrations == 2);
  CHECK(api->open().empty());
}

TEST_CASE_FIXTURE(fixture, "disk pressure shows, and clears only after the transition period") {
  start();
  register_ok();
  events.clear();
  host.fs_available(fake_host::fs_capacity / 20); // 5 % < 10 %
  advance(10s);
  auto p = expect(status_path);
  auto disk = condition(parse(p.req.body), "DiskPressure");
  CHECK(disk.get_string("status") == "True");
  CHECK(disk.get_string("reason") == "KubeletHasDiskPressure");
  CHECK(event_reasons() == std::vector<std::string>{"NodeHasDiskPressure"});
  api->reply(p.key, 200);
  run();
  host.fs_available(fake_host::fs_capacity / 2);
  // Held for evictionPressureTransitionPeriod (5 min) after last seen.
  for (int t = 20; t < 310; t += 10) {
    advance(10s);
    CHECK_MESSAGE(api->open().empty(), "patch at " << t << " s");
  }
  advance(10s); // 310 s: 300 s after the pressure was last seen
  p = expect(status_path);
  disk = condition(parse(p.req.body), "DiskPressure");
  CHECK(disk.get_string("status") == "False");
  CHECK(disk.get_string("reason") == "KubeletHasNoDiskPressure");
  CHECK(event_reasons()
        == std::vector<std::string>{"NodeHasDiskPressure", "NodeHasNoDiskPressure"});
}

TEST_CASE_FIXTURE(fixture, "memory pressure from MemAvailable below 100Mi") {
  start();
  register_ok();
  host.meminfo(24684084, 50 * 1024);
  advance(10s);
  auto p = expect(status_path);
  auto mem = condition(parse(p.req.body), "MemoryPressure");
  CHECK(mem.get_string("status") == "True");
  CHECK(mem.get_string("message") == "kubelet has insufficient memory available");
}

TEST_CASE_FIXTURE(fixture, "a new runtime version is sent in a full patch") {
  auto cfg = config();
  cfg.container_runtime_version.clear();
  start(std::move(cfg));
  auto body = register_ok();
  CHECK(body.find_path({"status", "nodeInfo"})->get_string("containerRuntimeVersion").empty());
  caf::anon_send(node, runtime_version_atom::value, std::string{"containerd://1.7.24"});
  run();
  auto p = expect(status_path);
  auto patch = parse(p.req.body);
  CHECK(patch.find_path({"status", "nodeInfo"})->get_string("containerRuntimeVersion")
        == "containerd://1.7.24");
  CHECK(patch.find_path({"status", "capacity"}) != nullptr);
}

TEST_CASE_FIXTURE(fixture, "get_atom answers with the node computed last") {
  start();
  k8s::node_ptr seen;
  auto ask = [&] {
    auto x = fixture::ask<k8s::node_ptr>(node, caf::get_atom::value);
    REQUIRE(x);
    seen = *x;
  };
  ask();
  REQUIRE(seen);
  CHECK(seen->metadata.name == "edge-1");
  register_ok();
  caf::anon_send(node, readiness_update{"runtime", false, "down"});
  run();
  ask();
  REQUIRE(seen);
  REQUIRE(seen->status.conditions.size() == 4);
  CHECK(seen->status.conditions[3].status == "False");
  CHECK(seen == st().current);
}

TEST_CASE_FIXTURE(fixture, "the node IP is detected when --node-ip is not given") {
  auto cfg = config();
  cfg.node_ips.clear();
  host.remove("proc/net/route");
  SUBCASE("from the hostname") {
    cfg.resolve = [](const std::string& name) {
      return name == "edge-1" ? std::vector<std::string>{"198.51.100.7"}
                              : std::vector<std::string>{};
    };
    start(std::move(cfg));
    auto body = parse(expect("POST /api/v1/nodes").req.body);
    CHECK(*body.find_path({"status", "addresses"})
          == parse(R"([{"type":"InternalIP","address":"198.51.100.7"},{"type":"Hostname","address":"edge-1"}])"));
  }
  SUBCASE("nothing found: Hostname only, and a warning") {
    cfg.resolve = [](const std::string&) { return std::vector<std::string>{}; };
    start(std::move(cfg));
    auto body = parse(expect("POST /api/v1/nodes").req.body);
    CHECK(*body.find_path({"status", "addresses"})
          == parse(R"([{"type":"Hostname","address":"edge-1"}])"));
    CHECK(logged({"--node-ip"}));
  }
}
