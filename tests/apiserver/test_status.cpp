// Status subresources as a kubelet writes them: node heartbeats with
// strategic merge patches ($setElementOrder), merge patches replacing
// lists, optimistic concurrency through metadata.resourceVersion, and the
// pod status sequence of a real kubelet including what validation accepts.

#include "tests/apiserver/server.hpp"
#include "tests/apiserver/test_data.hpp"
#include "tests/apiserver/test_support.hpp"

#include <doctest/doctest.h>

using namespace cafelet;
using namespace cafelet::apiserver;
using namespace cafelet::apiserver::testing;

namespace {

struct status_case {
  const char* content_type;
  std::string_view patch;
  std::string_view expected;
};

/// Recorded pod status patches and the status (or Status error) the real
/// server answered with: the kubelet's merge patches while the pod starts,
/// its strategic merge patch with a uid precondition and
/// $setElementOrder, an invalid podIP, and three odd statuses it accepts.
const status_case pod_status_cases[] = {
    {"application/merge-patch+json",
     R"~({"status":{"phase":"Pending","startTime":"2026-11-22T02:57:38Z","hostIP":"10.88.0.1","hostIPs":[{"ip":"10.88.0.1"}],"conditions":[{"type":"PodReadyToStartContainers","status":"False","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:41Z"},{"type":"Initialized","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:38Z"},{"type":"Ready","status":"False","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:38Z","reason":"ContainersNotReady","message":"containers with unready status: [app sidecar]"},{"type":"ContainersReady","status":"False","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:38Z","reason":"ContainersNotReady","message":"containers with unready status: [app sidecar]"},{"type":"PodScheduled","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:38Z"}],"containerStatuses":[{"name":"app","state":{"waiting":{"reason":"ContainerCreating"}},"lastState":{},"ready":false,"restartCount":0,"image":"localhost/busybox:ci","imageID":"","started":false},{"name":"sidecar","state":{"waiting":{"reason":"ContainerCreating"}},"lastState":{},"ready":false,"restartCount":0,"image":"localhost/busybox:ci","imageID":"","started":false}],"qosClass":"Burstable"}})~",
     R"~({"phase":"Pending","conditions":[{"type":"PodReadyToStartContainers","status":"False","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:41Z"},{"type":"Initialized","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:38Z"},{"type":"Ready","status":"False","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:38Z","reason":"ContainersNotReady","message":"containers with unready status: [app sidecar]"},{"type":"ContainersReady","status":"False","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:38Z","reason":"ContainersNotReady","message":"containers with unready status: [app sidecar]"},{"type":"PodScheduled","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:38Z"}],"hostIP":"10.88.0.1","hostIPs":[{"ip":"10.88.0.1"}],"startTime":"2026-11-22T02:57:38Z","containerStatuses":[{"name":"app","state":{"waiting":{"reason":"ContainerCreating"}},"lastState":{},"ready":false,"restartCount":0,"image":"localhost/busybox:ci","imageID":"","started":false},{"name":"sidecar","state":{"waiting":{"reason":"ContainerCreating"}},"lastState":{},"ready":false,"restartCount":0,"image":"localhost/busybox:ci","imageID":"","started":false}],"qosClass":"Burstable"})~"},
    {"application/merge-patch+json",
     R"~({"status":{"phase":"Running","podIP":"10.88.0.17","podIPs":[{"ip":"10.88.0.17"}],"hostIP":"10.88.0.1","hostIPs":[{"ip":"10.88.0.1"}],"startTime":"2026-11-22T02:57:38Z","conditions":[{"type":"PodReadyToStartContainers","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:42Z"},{"type":"Initialized","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:38Z"},{"type":"Ready","status":"False","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:38Z","reason":"ContainersNotReady","message":"containers with unready status: [app]"},{"type":"ContainersReady","status":"False","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:38Z","reason":"ContainersNotReady","message":"containers with unready status: [app]"},{"type":"PodScheduled","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:38Z"}],"containerStatuses":[{"name":"app","state":{"running":{"startedAt":"2026-11-22T02:57:42Z"}},"lastState":{},"ready":false,"restartCount":0,"image":"localhost/busybox:ci","imageID":"sha256:4e1b1c5a8e0d3f7a9b2c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a","containerID":"containerd://3f1e2d4c5b6a79880a1b2c3d4e5f60718293a4b5c6d7e8f90123456789abcdef","started":true},{"name":"sidecar","state":{"running":{"startedAt":"2026-11-22T02:57:42Z"}},"lastState":{},"ready":true,"restartCount":0,"image":"localhost/busybox:ci","imageID":"sha256:4e1b1c5a8e0d3f7a9b2c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a","containerID":"containerd://9a8b7c6d5e4f30211f2e3d4c5b6a79880123456789abcdef0fedcba987654321","started":true}]}})~",
     R"~({"phase":"Running","conditions":[{"type":"PodReadyToStartContainers","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:42Z"},{"type":"Initialized","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:38Z"},{"type":"Ready","status":"False","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:38Z","reason":"ContainersNotReady","message":"containers with unready status: [app]"},{"type":"ContainersReady","status":"False","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:38Z","reason":"ContainersNotReady","message":"containers with unready status: [app]"},{"type":"PodScheduled","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:38Z"}],"hostIP":"10.88.0.1","hostIPs":[{"ip":"10.88.0.1"}],"podIP":"10.88.0.17","podIPs":[{"ip":"10.88.0.17"}],"startTime":"2026-11-22T02:57:38Z","containerStatuses":[{"name":"app","state":{"running":{"startedAt":"2026-11-22T02:57:42Z"}},"lastState":{},"ready":false,"restartCount":0,"image":"localhost/busybox:ci","imageID":"sha256:4e1b1c5a8e0d3f7a9b2c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a","containerID":"containerd://3f1e2d4c5b6a79880a1b2c3d4e5f60718293a4b5c6d7e8f90123456789abcdef","started":true},{"name":"sidecar","state":{"running":{"startedAt":"2026-11-22T02:57:42Z"}},"lastState":{},"ready":true,"restartCount":0,"image":"localhost/busybox:ci","imageID":"sha256:4e1b1c5a8e0d3f7a9b2c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a","containerID":"containerd://9a8b7c6d5e4f30211f2e3d4c5b6a79880123456789abcdef0fedcba987654321","started":true}],"qosClass":"Burstable"})~"},
    {"application/strategic-merge-patch+json",
     R"~({"metadata":{"uid":"a43dfde4-248f-4ffa-aa9d-98e0cedcbcd0"},"status":{"$setElementOrder/conditions":[{"type":"PodReadyToStartContainers"},{"type":"Initialized"},{"type":"Ready"},{"type":"ContainersReady"},{"type":"PodScheduled"}],"conditions":[{"type":"Ready","status":"True","lastTransitionTime":"2026-11-22T02:57:44Z","reason":null,"message":null},{"type":"ContainersReady","status":"True","lastTransitionTime":"2026-11-22T02:57:44Z","reason":null,"message":null}],"containerStatuses":[{"name":"app","state":{"running":{"startedAt":"2026-11-22T02:57:42Z"}},"lastState":{},"ready":true,"restartCount":0,"image":"localhost/busybox:ci","imageID":"sha256:4e1b1c5a8e0d3f7a9b2c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a","containerID":"containerd://3f1e2d4c5b6a79880a1b2c3d4e5f60718293a4b5c6d7e8f90123456789abcdef","started":true},{"name":"sidecar","state":{"running":{"startedAt":"2026-11-22T02:57:42Z"}},"lastState":{},"ready":true,"restartCount":0,"image":"localhost/busybox:ci","imageID":"sha256:4e1b1c5a8e0d3f7a9b2c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a","containerID":"containerd://9a8b7c6d5e4f30211f2e3d4c5b6a79880123456789abcdef0fedcba987654321","started":true}]}})~",
     R"~({"phase":"Running","conditions":[{"type":"PodReadyToStartContainers","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:42Z"},{"type":"Initialized","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:38Z"},{"type":"Ready","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:44Z"},{"type":"ContainersReady","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:44Z"},{"type":"PodScheduled","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:38Z"}],"hostIP":"10.88.0.1","hostIPs":[{"ip":"10.88.0.1"}],"podIP":"10.88.0.17","podIPs":[{"ip":"10.88.0.17"}],"startTime":"2026-11-22T02:57:38Z","containerStatuses":[{"name":"app","state":{"running":{"startedAt":"2026-11-22T02:57:42Z"}},"lastState":{},"ready":true,"restartCount":0,"image":"localhost/busybox:ci","imageID":"sha256:4e1b1c5a8e0d3f7a9b2c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a","containerID":"containerd://3f1e2d4c5b6a79880a1b2c3d4e5f60718293a4b5c6d7e8f90123456789abcdef","started":true},{"name":"sidecar","state":{"running":{"startedAt":"2026-11-22T02:57:42Z"}},"lastState":{},"ready":true,"restartCount":0,"image":"localhost/busybox:ci","imageID":"sha256:4e1b1c5a8e0d3f7a9b2c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a","containerID":"containerd://9a8b7c6d5e4f30211f2e3d4c5b6a79880123456789abcdef0fedcba987654321","started":true}],"qosClass":"Burstable"})~"},
    {"application/merge-patch+json",
     R"~({"status":{"podIP":"10.88.0.300","podIPs":[{"ip":"10.88.0.300"}]}})~",
     R"~({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Pod \"web-1\" is invalid: status.podIPs[0]: Invalid value: \"10.88.0.300\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)","reason":"Invalid","details":{"name":"web-1","kind":"Pod","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: \"10.88.0.300\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)","field":"status.podIPs[0]"}]},"code":422})~"},
    {"application/merge-patch+json",
     R"~({"status":{"containerStatuses":[{"name":"app","ready":true,"restartCount":-1,"image":"localhost/busybox:ci","imageID":"sha256:4e1b1c5a8e0d3f7a9b2c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a","state":{"running":{"startedAt":"2026-11-22T02:57:42Z"}}}]}})~",
     R"~({"phase":"Running","conditions":[{"type":"PodReadyToStartContainers","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:42Z"},{"type":"Initialized","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:38Z"},{"type":"Ready","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:44Z"},{"type":"ContainersReady","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:44Z"},{"type":"PodScheduled","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:38Z"}],"hostIP":"10.88.0.1","hostIPs":[{"ip":"10.88.0.1"}],"podIP":"10.88.0.17","podIPs":[{"ip":"10.88.0.17"}],"startTime":"2026-11-22T02:57:38Z","containerStatuses":[{"name":"app","state":{"running":{"startedAt":"2026-11-22T02:57:42Z"}},"lastState":{},"ready":true,"restartCount":-1,"image":"localhost/busybox:ci","imageID":"sha256:4e1b1c5a8e0d3f7a9b2c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a"}],"qosClass":"Burstable"})~"},
    {"application/merge-patch+json",
     R"~({"status":{"containerStatuses":[{"name":"app","ready":true,"restartCount":0,"image":"localhost/busybox:ci","imageID":"sha256:4e1b1c5a8e0d3f7a9b2c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a","state":{"running":{"startedAt":"2026-11-22T02:57:42Z"},"terminated":{"exitCode":0,"startedAt":"2026-11-22T02:57:42Z","finishedAt":"2026-11-22T02:57:44Z"}}}]}})~",
     R"~({"phase":"Running","conditions":[{"type":"PodReadyToStartContainers","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:42Z"},{"type":"Initialized","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:38Z"},{"type":"Ready","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:44Z"},{"type":"ContainersReady","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:44Z"},{"type":"PodScheduled","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:38Z"}],"hostIP":"10.88.0.1","hostIPs":[{"ip":"10.88.0.1"}],"podIP":"10.88.0.17","podIPs":[{"ip":"10.88.0.17"}],"startTime":"2026-11-22T02:57:38Z","containerStatuses":[{"name":"app","state":{"running":{"startedAt":"2026-11-22T02:57:42Z"},"terminated":{"exitCode":0,"startedAt":"2026-11-22T02:57:42Z","finishedAt":"2026-11-22T02:57:44Z"}},"lastState":{},"ready":true,"restartCount":0,"image":"localhost/busybox:ci","imageID":"sha256:4e1b1c5a8e0d3f7a9b2c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a"}],"qosClass":"Burstable"})~"},
    {"application/merge-patch+json",
     R"~({"status":{"phase":"Bogus"}})~",
     R"~({"phase":"Bogus","conditions":[{"type":"PodReadyToStartContainers","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:42Z"},{"type":"Initialized","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:38Z"},{"type":"Ready","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:44Z"},{"type":"ContainersReady","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:44Z"},{"type":"PodScheduled","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:38Z"}],"hostIP":"10.88.0.1","hostIPs":[{"ip":"10.88.0.1"}],"podIP":"10.88.0.17","podIPs":[{"ip":"10.88.0.17"}],"startTime":"2026-11-22T02:57:38Z","containerStatuses":[{"name":"app","state":{"running":{"startedAt":"2026-11-22T02:57:42Z"},"terminated":{"exitCode":0,"startedAt":"2026-11-22T02:57:42Z","finishedAt":"2026-11-22T02:57:44Z"}},"lastState":{},"ready":true,"restartCount":0,"image":"localhost/busybox:ci","imageID":"sha256:4e1b1c5a8e0d3f7a9b2c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a"}],"qosClass":"Burstable"})~"},
};

constexpr std::string_view recorded_uid = "a43dfde4-248f-4ffa-aa9d-98e0cedcbcd0";

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
  return s;
}

struct cluster {
  api_server srv;
  client admin_client{srv, admin()};
  client edge1{srv, node_user("edge-1")};
};

} // namespace

TEST_CASE("pod status patches produce what the real server stored") {
  cluster k;
  auto created = k.admin_client.post("/api/v1/namespaces/default/pods",
                                     std::string{pod_body});
  REQUIRE(created.status == 201);
  auto uid = body_of(created).find_path({"metadata", "uid"})->as_string();
  for (const auto& c : pod_status_cases) {
    CAPTURE(c.patch);
    auto patch = replace_all(std::string{c.patch}, recorded_uid, uid);
    auto res = k.edge1.patch("/api/v1/namespaces/default/pods/web-1/status",
                             patch, c.content_type);
    auto body = body_of(res);
    if (body.get_string("kind") == "Status") {
      CHECK(res.status == 422);
      CHECK(body == parse_json(c.expected));
    } else {
      CHECK(res.status == 200);
      CHECK(json::dump(*body.find("status")) == c.expected);
    }
  }
}

TEST_CASE("a pod status patch with another uid is rejected as immutable") {
  cluster k;
  REQUIRE(k.admin_client.post("/api/v1/namespaces/default/pods", std::string{pod_body}).status == 201);
  auto res = k.edge1.patch("/api/v1/namespaces/default/pods/web-1/status",
                           R"({"metadata":{"uid":"00000000-0000-0000-0000-000000000000"},"status":{"phase":"Running"}})");
  CHECK(res.status == 422);
  CHECK(body_of(res) == parse_json(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Pod \"web-1\" is invalid: metadata.uid: Invalid value: \"00000000-0000-0000-0000-000000000000\": field is immutable","reason":"Invalid","details":{"name":"web-1","kind":"Pod","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: \"00000000-0000-0000-0000-000000000000\": field is immutable","field":"metadata.uid"},{"reason":"FieldValueInvalid","message":"Invalid value: \"00000000-0000-0000-0000-000000000000\": field is immutable","field":"metadata.uid"}]},"code":422})"));
}

TEST_CASE("node status: $setElementOrder patch, merge patch, merge by type") {
  cluster k;
  REQUIRE(k.edge1.post("/api/v1/nodes", std::string{node_body}).status == 201);
  auto conditions = [](const response& res) {
    std::vector<std::string> out;
    auto body = body_of(res);
    for (const auto& c : body.find_path({"status", "conditions"})->as_array())
      out.push_back(c.get_string("type") + "=" + c.get_string("status"));
    return out;
  };
  auto ready = k.edge1.patch("/api/v1/nodes/edge-1/status",
                             R"({"status":{"$setElementOrder/conditions":[{"type":"MemoryPressure"},{"type":"DiskPressure"},{"type":"PIDPressure"},{"type":"Ready"}],"conditions":[{"type":"MemoryPressure","lastHeartbeatTime":"2026-11-22T02:56:18Z"},{"type":"DiskPressure","lastHeartbeatTime":"2026-11-22T02:56:18Z"},{"type":"PIDPressure","lastHeartbeatTime":"2026-11-22T02:56:18Z"},{"type":"Ready","status":"True","lastHeartbeatTime":"2026-11-22T02:56:18Z","lastTransitionTime":"2026-11-22T02:56:18Z","reason":"KubeletReady","message":"kubelet is posting ready status"}]}})");
  REQUIRE(ready.status == 200);
  CHECK(conditions(ready) == std::vector<std::string>{"MemoryPressure=False", "DiskPressure=False", "PIDPressure=False", "Ready=True"});
  auto mem = body_of(ready).find_path({"status", "conditions"})->as_array()[0];
  CHECK(json::dump(mem) == R"({"type":"MemoryPressure","status":"False","lastHeartbeatTime":"2026-11-22T02:56:18Z","lastTransitionTime":"2026-11-22T02:56:08Z","reason":"KubeletHasSufficientMemory","message":"kubelet has sufficient memory available"})");
  // The taint and the rest of the node are untouched by a status patch.
  CHECK(body_of(ready).find_path({"spec", "taints"})->size() == 1);
  auto replaced = k.edge1.patch("/api/v1/nodes/edge-1/status",
                                R"({"status":{"conditions":[{"type":"Ready","status":"True","lastHeartbeatTime":"2026-11-22T02:56:08Z","lastTransitionTime":"2026-11-22T02:56:08Z","reason":"KubeletReady","message":"kubelet is posting ready status"}]}})",
                                "application/merge-patch+json");
  REQUIRE(replaced.status == 200);
  CHECK(conditions(replaced) == std::vector<std::string>{"Ready=True"});
  auto back = k.edge1.patch("/api/v1/nodes/edge-1/status",
                            R"({"status":{"conditions":[{"type":"MemoryPressure","status":"False"},{"type":"DiskPressure","status":"False"},{"type":"PIDPressure","status":"False"},{"type":"Ready","status":"True"}]}})");
  REQUIRE(back.status == 200);
  CHECK(conditions(back) == std::vector<std::string>{"MemoryPressure=False", "DiskPressure=False", "PIDPressure=False", "Ready=True"});
  // Spec changes through /status are ignored.
  auto spec = k.edge1.patch("/api/v1/nodes/edge-1/status",
                            R"({"spec":{"unschedulable":true}})");
  CHECK(spec.status == 200);
  CHECK(body_of(spec).find_path({"spec", "unschedulable"}) == nullptr);
}

TEST_CASE("stale or future resourceVersions in patch and PUT bodies get 409") {
  cluster k;
  auto created = k.edge1.post("/api/v1/nodes", std::string{node_body});
  REQUIRE(created.status == 201);
  auto stale_rv = body_of(created).find_path({"metadata", "resourceVersion"})->as_string();
  REQUIRE(k.edge1.patch("/api/v1/nodes/edge-1/status",
                        R"({"status":{"conditions":[{"type":"Ready","status":"True"}]}})").status == 200);
  auto conflict = parse_json(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on nodes \"edge-1\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"edge-1","kind":"nodes"},"code":409})");
  for (auto type : {"application/strategic-merge-patch+json", "application/merge-patch+json"}) {
    auto res = k.edge1.patch("/api/v1/nodes/edge-1/status",
                             R"({"metadata":{"resourceVersion":")" + stale_rv
                               + R"("},"status":{"conditions":[{"type":"Ready","lastHeartbeatTime":"2026-11-22T02:56:08Z"}]}})",
                             type);
    CHECK(res.status == 409);
    CHECK(body_of(res) == conflict);
  }
  auto put = k.edge1.put("/api/v1/nodes/edge-1/status", json::dump(body_of(created)));
  CHECK(put.status == 409);
  CHECK(body_of(put) == conflict);
  auto future = k.edge1.patch("/api/v1/nodes/edge-1/status",
                              R"({"metadata":{"resourceVersion":"999999999"},"status":{}})");
  CHECK(future.status == 409);
  CHECK(body_of(future) == conflict);
}
