// Encoders: request bodies match what the upstream kubelet sends and parse
// back with the expected fields.
#include "messages/errors.hpp"
#include "messages/json/json.hpp"
#include "messages/k8s/decode.hpp"
#include "messages/k8s/encode.hpp"

#include "samples.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace cafelet;

namespace {

json::value parsed(std::string_view text) {
  auto res = json::parse(text);
  REQUIRE_MESSAGE(res, describe(res.error()), " in ", std::string{text});
  return std::move(*res);
}

k8s::timestamp time_of(std::string_view text) {
  auto res = k8s::parse_time(text);
  REQUIRE(res);
  return *res;
}

} // namespace

TEST_CASE("node create body round-trips the kubelet's request") {
  auto n = k8s::decode_node(samples::node_create);
  REQUIRE(n);
  auto body = k8s::encode_node(**n);
  CHECK(parsed(body) == parsed(samples::node_create));
  // A minimal node built in code.
  k8s::node x;
  x.metadata.name = "edge-9";
  x.metadata.labels["kubernetes.io/os"] = "linux";
  x.spec.taints.push_back({"k", "", "NoSchedule", std::nullopt});
  x.status.capacity = {{"cpu", "2"}, {"pods", "110"}};
  x.status.kubelet_endpoint_port = 10250;
  auto v = parsed(k8s::encode_node(x));
  CHECK(v.get_string("kind") == "Node");
  CHECK(v.find_path({"metadata", "name"})->as_string() == "edge-9");
  CHECK(v.find_path({"status", "capacity", "pods"})->as_string() == "110");
  CHECK(v.find_path({"status", "daemonEndpoints", "kubeletEndpoint", "Port"})
          ->as_int()
        == 10250);
  CHECK(v.find_path({"spec", "taints"})->as_array().at(0).get_string("effect")
        == "NoSchedule");
  CHECK(v.find_path({"status", "images"}) == nullptr);
}

TEST_CASE("node status patch has $setElementOrder and full conditions") {
  k8s::node_status st;
  auto t = time_of("2026-11-22T02:59:18Z");
  for (auto type : {"MemoryPressure", "DiskPressure", "PIDPressure"})
    st.conditions.push_back({type, "False", t, t, "KubeletHasSufficient", "ok"});
  st.conditions.push_back(
    {"Ready", "True", t, t, "KubeletReady", "kubelet is posting ready status"});
  auto body = k8s::encode_node_status_patch(st);
  auto v = parsed(body);
  CHECK(v.size() == 1);
  const auto* status = v.find("status");
  REQUIRE(status);
  CHECK(status->size() == 2);
  CHECK(*status->find("$setElementOrder/conditions")
        == parsed(R"([{"type":"MemoryPressure"},{"type":"DiskPressure"},)"
                  R"({"type":"PIDPressure"},{"type":"Ready"}])"));
  const auto& conds = status->find("conditions")->as_array();
  REQUIRE(conds.size() == 4);
  CHECK(conds[3]
        == parsed(R"({"type":"Ready","status":"True","lastHeartbeatTime":)"
                  R"("2026-11-22T02:59:18Z","lastTransitionTime":"2026-11-22T02:59:18Z",)"
                  R"("reason":"KubeletReady","message":"kubelet is posting ready status"})"));
  // The full form adds the other status parts.
  st.addresses = {{"InternalIP", "10.88.0.1"}, {"Hostname", "edge-1"}};
  st.capacity = {{"cpu", "2"}};
  st.node_info.kubelet_version = "v1.32.0";
  auto full = parsed(k8s::encode_node_status_patch(st, true));
  CHECK(full.find_path({"status", "capacity", "cpu"})->as_string() == "2");
  CHECK(full.find_path({"status", "$setElementOrder/addresses"})->size() == 2);
  CHECK(full.find_path({"status", "nodeInfo", "kubeletVersion"})->as_string()
        == "v1.32.0");
}

TEST_CASE("lease create and renew bodies") {
  auto l = k8s::decode_lease(samples::lease_create);
  REQUIRE(l);
  CHECK(parsed(k8s::encode_lease(**l)) == parsed(samples::lease_create));
  // Renew: resourceVersion for the PUT precondition, microsecond renewTime.
  k8s::lease x = **l;
  x.metadata.resource_version = "228";
  x.spec.renew_time = time_of("2026-11-22T02:56:18.000001Z");
  x.spec.acquire_time = time_of("2026-11-22T02:56:08.5Z");
  x.spec.lease_transitions = 0;
  auto body = k8s::encode_lease(x);
  CHECK(body.find(R"("renewTime":"2026-11-22T02:56:18.000001Z")")
        != std::string::npos);
  CHECK(body.find(R"("acquireTime":"2026-11-22T02:56:08.500000Z")")
        != std::string::npos);
  auto v = parsed(body);
  CHECK(v.get_string("kind") == "Lease");
  CHECK(v.get_string("apiVersion") == "coordination.k8s.io/v1");
  CHECK(v.find_path({"metadata", "resourceVersion"})->as_string() == "228");
  CHECK(v.find_path({"spec", "leaseTransitions"})->as_int() == 0);
  auto back = k8s::decode_lease(body);
  REQUIRE(back);
  CHECK((*back)->spec.renew_time == x.spec.renew_time);
}

TEST_CASE("event create body matches the recorder byte for byte") {
  auto e = k8s::decode_event(samples::event_create);
  REQUIRE(e);
  CHECK(k8s::encode_event(**e) == samples::event_create);
}

TEST_CASE("event count patch") {
  CHECK(k8s::encode_event_count_patch(2, time_of("2026-11-22T02:58:31Z"),
                                      "Node edge-1 status is now: "
                                      "NodeHasSufficientMemory")
        == R"({"count":2,"lastTimestamp":"2026-11-22T02:58:31Z",)"
           R"("message":"Node edge-1 status is now: NodeHasSufficientMemory"})");
  CHECK(k8s::encode_event_count_patch(3, time_of("2026-11-22T02:58:31Z"))
        == R"({"count":3,"lastTimestamp":"2026-11-22T02:58:31Z"})");
}

TEST_CASE("pod status merge patch round-trips the kubelet's body") {
  // The patch body has the shape of a Pod with only a status.
  auto p = k8s::decode_pod(samples::pod_status_patch);
  REQUIRE_MESSAGE(p, describe(p.error()));
  auto body = k8s::encode_pod_status_patch((*p)->status);
  CHECK(parsed(body) == parsed(samples::pod_status_patch));
}

TEST_CASE("pod status patch with uid precondition, strategic form") {
  k8s::pod_status st;
  st.phase = "Running";
  auto t = time_of("2026-11-22T02:57:44Z");
  st.conditions.push_back({"Initialized", "True", std::nullopt, t, "", ""});
  st.conditions.push_back({"Ready", "True", std::nullopt, t, "", ""});
  st.pod_ip = "10.88.0.17";
  st.pod_ips = {"10.88.0.17"};
  k8s::container_status cs;
  cs.name = "app";
  cs.ready = true;
  cs.started = true;
  cs.image = "localhost/busybox:ci";
  cs.container_id = "containerd://abc";
  cs.state.terminated = k8s::container_state_terminated{
    137, 9, "Error", "", t, t, "containerd://abc"};
  cs.last_state.waiting = k8s::container_state_waiting{"CrashLoopBackOff", ""};
  st.container_statuses.push_back(cs);
  auto v = parsed(k8s::encode_pod_status_patch(
    st, "a43dfde4-248f-4ffa-aa9d-98e0cedcbcd0", k8s::patch_type::strategic));
  CHECK(v.find_path({"metadata", "uid"})->as_string()
        == "a43dfde4-248f-4ffa-aa9d-98e0cedcbcd0");
  const auto* status = v.find("status");
  REQUIRE(status);
  CHECK(*status->find("$setElementOrder/conditions")
        == parsed(R"([{"type":"Initialized"},{"type":"Ready"}])"));
  const auto& ready = status->find("conditions")->as_array().at(1);
  CHECK(ready
        == parsed(R"({"type":"Ready","status":"True","lastProbeTime":null,)"
                  R"("lastTransitionTime":"2026-11-22T02:57:44Z","reason":null,"message":null})"));
  CHECK(status->get_string("podIP") == "10.88.0.17");
  CHECK(*status->find("podIPs") == parsed(R"([{"ip":"10.88.0.17"}])"));
  CHECK(status->find("hostIP") == nullptr);
  const auto& c = status->find("containerStatuses")->as_array().at(0);
  CHECK(*c.find("state")
        == parsed(R"({"terminated":{"exitCode":137,"signal":9,"reason":"Error",)"
                  R"("startedAt":"2026-11-22T02:57:44Z","finishedAt":"2026-11-22T02:57:44Z",)"
                  R"("containerID":"containerd://abc"}})"));
  CHECK(*c.find("lastState")
        == parsed(R"({"waiting":{"reason":"CrashLoopBackOff"}})"));
  CHECK(c.get_bool("started") == true);
  CHECK(c.get_int("restartCount", -1) == 0);
  // Decoding the patch back restores the status.
  auto back = k8s::decode_pod(k8s::encode_pod_status_patch(st));
  REQUIRE_MESSAGE(back, describe(back.error()));
  const auto& bs = (*back)->status;
  CHECK(bs.phase == "Running");
  CHECK(bs.container_statuses.at(0).state.terminated->exit_code == 137);
  CHECK(bs.conditions.at(1).last_transition_time == t);
  CHECK(k8s::content_type(k8s::patch_type::merge)
        == "application/merge-patch+json");
  CHECK(k8s::content_type(k8s::patch_type::strategic)
        == "application/strategic-merge-patch+json");
}

TEST_CASE("DeleteOptions bodies") {
  CHECK(k8s::encode_delete_options(30)
        == R"({"kind":"DeleteOptions","apiVersion":"v1","gracePeriodSeconds":30})");
  CHECK(k8s::encode_delete_options(0, "a43dfde4-248f-4ffa-aa9d-98e0cedcbcd0")
        == R"({"kind":"DeleteOptions","apiVersion":"v1","gracePeriodSeconds":0,)"
           R"("preconditions":{"uid":"a43dfde4-248f-4ffa-aa9d-98e0cedcbcd0"}})");
  CHECK(k8s::encode_delete_options(std::nullopt)
        == R"({"kind":"DeleteOptions","apiVersion":"v1"})");
}

TEST_CASE("Status body round-trips") {
  auto st = k8s::decode_status(samples::status_422);
  REQUIRE(st);
  CHECK(parsed(k8s::encode_status(**st)) == parsed(samples::status_422));
}

TEST_CASE("encoders escape hostile strings") {
  k8s::event e;
  e.metadata.name = "x";
  e.message = "quote \" backslash \\ newline \n ctrl \x01 bad \xFF end";
  auto body = k8s::encode_event(e);
  auto v = parsed(body);
  CHECK(v.get_string("message")
        == "quote \" backslash \\ newline \n ctrl \x01 bad \xEF\xBF\xBD end");
}
