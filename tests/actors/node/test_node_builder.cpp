// The Node and its status as the upstream kubelet builds them, checked
// against the real-kubelet transcripts and the test API server.
#include "actors/node/node_builder.hpp"
#include "messages/k8s/decode.hpp"
#include "messages/k8s/encode.hpp"
#include "messages/json/json.hpp"

#include <doctest/doctest.h>

using namespace cafelet;
using namespace cafelet::actors;
using namespace std::chrono_literals;

namespace {

k8s::timestamp at(std::string_view text) {
  auto t = k8s::parse_time(text);
  REQUIRE(t);
  return *t;
}

constexpr int64_t ki = 1024;

/// The machine of 01-node-create.txt.
machine_info transcript_machine() {
  machine_info m;
  m.machine_id = "5f0c3e6f2b8e4c39a1b2c3d4e5f60718";
  m.system_uuid = "8a1b2c3d-4e5f-6789-abcd-ef0123456789";
  m.boot_id = "0d5e2a1c-7b3f-4f0e-9a8d-1c2b3a4d5e6f";
  m.kernel_version = "6.1.0-27-amd64";
  m.os_image = "Debian GNU/Linux 12 (bookworm)";
  m.architecture = "amd64";
  m.cpu_millis = 2000;
  m.memory_bytes = 24568028 * ki;
  m.ephemeral_storage_bytes = 40901312 * ki;
  m.hugepages = {{"hugepages-2Mi", 2 * ki * ki, 0},
                 {"hugepages-1Gi", ki * ki * ki, 0}};
  m.pid_max = 4194304;
  return m;
}

node_settings transcript_settings() {
  auto s = settings_from(config::kubelet_configuration{});
  s.node_name = "edge-1";
  s.hostname = "edge-1";
  s.node_ips = {"10.88.0.1"};
  s.kubelet_version = "v1.32.13";
  s.container_runtime_version = "containerd://1.6.20";
  return s;
}

condition_inputs all_good() {
  return {};
}

const std::string* value_of(const k8s::resource_list& xs, std::string_view k) {
  return k8s::find(xs, k);
}

std::string res(const k8s::resource_list& xs, std::string_view k) {
  const auto* v = value_of(xs, k);
  return v ? *v : std::string{"<absent>"};
}

json::value parse(std::string_view text) {
  auto v = json::parse(text);
  REQUIRE_MESSAGE(v, "not JSON: " << text);
  return *v;
}

} // namespace

TEST_CASE("the registration body equals the real kubelet's (01-node-create)") {
  // 01-node-create.txt, exchange 1, without the image list (images are not
  // reported by the node status actor).
  constexpr std::string_view expected
    = R"~({"kind":"Node","apiVersion":"v1","metadata":{"name":"edge-1","labels":{"beta.kubernetes.io/arch":"amd64","beta.kubernetes.io/os":"linux","kubernetes.io/arch":"amd64","kubernetes.io/hostname":"edge-1","kubernetes.io/os":"linux"},"annotations":{"volumes.kubernetes.io/controller-managed-attach-detach":"true"}},"spec":{},"status":{"capacity":{"cpu":"2","ephemeral-storage":"40901312Ki","hugepages-1Gi":"0","hugepages-2Mi":"0","memory":"24568028Ki","pods":"110"},"allocatable":{"cpu":"2","ephemeral-storage":"37694649077","hugepages-1Gi":"0","hugepages-2Mi":"0","memory":"24465628Ki","pods":"110"},"conditions":[{"type":"MemoryPressure","status":"False","lastHeartbeatTime":"2026-11-22T02:56:08Z","lastTransitionTime":"2026-11-22T02:56:08Z","reason":"KubeletHasSufficientMemory","message":"kubelet has sufficient memory available"},{"type":"DiskPressure","status":"False","lastHeartbeatTime":"2026-11-22T02:56:08Z","lastTransitionTime":"2026-11-22T02:56:08Z","reason":"KubeletHasNoDiskPressure","message":"kubelet has no disk pressure"},{"type":"PIDPressure","status":"False","lastHeartbeatTime":"2026-11-22T02:56:08Z","lastTransitionTime":"2026-11-22T02:56:08Z","reason":"KubeletHasSufficientPID","message":"kubelet has sufficient PID available"},{"type":"Ready","status":"False","lastHeartbeatTime":"2026-11-22T02:56:08Z","lastTransitionTime":"2026-11-22T02:56:08Z","reason":"KubeletNotReady","message":"container runtime status check may not have completed yet"}],"addresses":[{"type":"InternalIP","address":"10.88.0.1"},{"type":"Hostname","address":"edge-1"}],"daemonEndpoints":{"kubeletEndpoint":{"Port":10250}},"nodeInfo":{"machineID":"5f0c3e6f2b8e4c39a1b2c3d4e5f60718","systemUUID":"8a1b2c3d-4e5f-6789-abcd-ef0123456789","bootID":"0d5e2a1c-7b3f-4f0e-9a8d-1c2b3a4d5e6f","kernelVersion":"6.1.0-27-amd64","osImage":"Debian GNU/Linux 12 (bookworm)","containerRuntimeVersion":"containerd://1.6.20","kubeletVersion":"v1.32.13","kubeProxyVersion":"v1.32.13","operatingSystem":"linux","architecture":"amd64"}}})~";
  condition_inputs in;
  in.not_ready = "container runtime status check may not have completed yet";
  auto node = build_node(transcript_settings(), transcript_machine(), in,
                         at("2026-11-22T02:56:08Z"));
  CHECK(k8s::encode_node(node) == expected);
}

TEST_CASE("allocatable subtracts the eviction thresholds as upstream (21-real-kubelet-audit)") {
  auto m = transcript_machine();
  m.memory_bytes = 24684084 * ki;
  m.ephemeral_storage_bytes = 264212084 * ki;
  auto s = transcript_settings();
  auto cap = node_capacity(s, m);
  auto alloc = node_allocatable(s, m);
  CHECK(res(cap, "memory") == "24684084Ki");
  CHECK(res(cap, "ephemeral-storage") == "264212084Ki");
  CHECK(res(alloc, "memory") == "24581684Ki"); // - 100Mi
  CHECK(res(alloc, "ephemeral-storage") == "243497856212"); // - float32(10%)
  CHECK(res(alloc, "cpu") == "2");
  CHECK(res(alloc, "pods") == "110");
  std::vector<std::string> names;
  for (const auto& [name, value] : alloc)
    names.push_back(name);
  CHECK(names == std::vector<std::string>{"cpu", "ephemeral-storage",
                                          "hugepages-1Gi", "hugepages-2Mi",
                                          "memory", "pods"});
}

TEST_CASE("reservations and huge pages lower allocatable, never below zero") {
  auto m = transcript_machine();
  m.hugepages[0].pages = 512; // 1Gi of 2Mi pages
  auto s = transcript_settings();
  s.kube_reserved["cpu"] = *units::parse_quantity("100m");
  s.system_reserved["cpu"] = *units::parse_quantity("150m");
  s.kube_reserved["memory"] = *units::parse_quantity("1Gi");
  s.system_reserved["ephemeral-storage"] = *units::parse_quantity("1Gi");
  s.max_pods = 20;
  auto cap = node_capacity(s, m);
  auto alloc = node_allocatable(s, m);
  CHECK(res(cap, "hugepages-2Mi") == "1Gi");
  CHECK(res(alloc, "hugepages-2Mi") == "1Gi");
  CHECK(res(alloc, "cpu") == "1750m");
  // 24568028Ki - 1Gi (kube) - 100Mi (eviction) - 1Gi (huge pages)
  CHECK(res(alloc, "memory") == std::to_string(24568028 - 2 * 1048576 - 102400) + "Ki");
  CHECK(res(alloc, "ephemeral-storage")
        == std::to_string(40901312 * ki - ki * ki * ki - 4188294411));
  CHECK(res(cap, "pods") == "20");
  s.kube_reserved["cpu"] = *units::parse_quantity("3");
  s.eviction_hard["memory.available"].quantity = units::parse_quantity("100Gi").value();
  alloc = node_allocatable(s, m);
  CHECK(res(alloc, "cpu") == "0");
  CHECK(res(alloc, "memory") == "0");
}

TEST_CASE("unknown storage capacity leaves ephemeral-storage out") {
  auto m = transcript_machine();
  m.ephemeral_storage_bytes = 0;
  m.hugepages.clear();
  auto s = transcript_settings();
  CHECK(value_of(node_capacity(s, m), "ephemeral-storage") == nullptr);
  CHECK(value_of(node_allocatable(s, m), "ephemeral-storage") == nullptr);
  CHECK(value_of(node_capacity(s, m), "hugepages-2Mi") == nullptr);
}

TEST_CASE("labels: defaults plus --node-labels, which win") {
  auto s = transcript_settings();
  s.node_labels = {{"example.com/x", "y"}, {"kubernetes.io/hostname", "alias"}};
  auto labels = node_labels(s, transcript_machine());
  CHECK(labels.size() == 6);
  CHECK(labels["kubernetes.io/os"] == "linux");
  CHECK(labels["beta.kubernetes.io/arch"] == "amd64");
  CHECK(labels["kubernetes.io/hostname"] == "alias");
  CHECK(labels["example.com/x"] == "y");
}

TEST_CASE("taints, addresses and the kubelet port come from the settings") {
  auto s = transcript_settings();
  s.taints = {{"dedicated", "edge", config::taint_effect::no_execute},
              {"node-role.kubernetes.io/control-plane", "",
               config::taint_effect::no_schedule}};
  s.node_ips = {"10.88.0.1", "fd00::1"};
  s.kubelet_port = 10251;
  auto node = build_node(s, transcript_machine(), all_good(),
                         at("2026-11-22T02:56:08Z"));
  REQUIRE(node.spec.taints.size() == 2);
  CHECK(node.spec.taints[0].effect == "NoExecute");
  CHECK(node.spec.taints[1].value.empty());
  REQUIRE(node.status.addresses.size() == 3);
  CHECK(node.status.addresses[1].type == "InternalIP");
  CHECK(node.status.addresses[1].address == "fd00::1");
  CHECK(node.status.addresses[2].type == "Hostname");
  CHECK(node.status.kubelet_endpoint_port == 10251);
  auto body = parse(k8s::encode_node(node));
  CHECK(*body.find_path({"spec", "taints"})
        == parse(R"([{"key":"dedicated","value":"edge","effect":"NoExecute"},{"key":"node-role.kubernetes.io/control-plane","effect":"NoSchedule"}])"));
}

TEST_CASE("conditions keep their transition time while the status holds") {
  auto t0 = at("2026-11-22T02:59:17Z");
  auto t1 = at("2026-11-22T02:59:27Z");
  auto first = make_conditions(all_good(), {}, t0);
  REQUIRE(first.size() == 4);
  CHECK(first[0].type == "MemoryPressure");
  CHECK(first[1].type == "DiskPressure");
  CHECK(first[2].type == "PIDPressure");
  CHECK(first[3].type == "Ready");
  CHECK(first[3].status == "True");
  CHECK(first[3].reason == "KubeletReady");
  CHECK(first[3].message == "kubelet is posting ready status");
  auto same = make_conditions(all_good(), first, t1);
  CHECK(same[3].last_heartbeat_time == t1);
  CHECK(same[3].last_transition_time == t0);
  condition_inputs bad;
  bad.memory_pressure = true;
  bad.disk_pressure = true;
  bad.pid_pressure = true;
  bad.not_ready = "container runtime is down";
  auto flipped = make_conditions(bad, same, t1);
  CHECK(flipped[0].status == "True");
  CHECK(flipped[0].reason == "KubeletHasInsufficientMemory");
  CHECK(flipped[0].message == "kubelet has insufficient memory available");
  CHECK(flipped[1].reason == "KubeletHasDiskPressure");
  CHECK(flipped[1].message == "kubelet has disk pressure");
  CHECK(flipped[2].reason == "KubeletHasInsufficientPID");
  CHECK(flipped[2].message == "kubelet has insufficient PID available");
  CHECK(flipped[3].status == "False");
  CHECK(flipped[3].reason == "KubeletNotReady");
  CHECK(flipped[3].message == "container runtime is down");
  for (const auto& c : flipped)
    CHECK(c.last_transition_time == t1);
  // A new message with the same status keeps the transition time.
  bad.not_ready = "network plugin is not ready";
  auto t2 = at("2026-11-22T02:59:37Z");
  auto reworded = make_conditions(bad, flipped, t2);
  CHECK(reworded[3].last_transition_time == t1);
}

TEST_CASE("heartbeat-only changes do not count as status changes") {
  auto m = transcript_machine();
  auto s = transcript_settings();
  auto t0 = at("2026-11-22T02:59:17Z");
  auto a = build_node_status(s, m, all_good(), {}, t0);
  auto b = build_node_status(s, m, all_good(), a.conditions, t0 + 10s);
  CHECK(!node_status_changed(a, b));
  CHECK(!node_details_changed(a, b));
  // Reordered conditions are the same conditions.
  auto c = b;
  std::swap(c.conditions[0], c.conditions[3]);
  CHECK(!node_status_changed(a, c));
  // A numerically equal quantity is no change.
  auto d = b;
  d.capacity[4].second = "24568028Ki";
  for (auto& [name, value] : d.capacity)
    if (name == "hugepages-1Gi")
      value = "0Mi";
  CHECK(!node_status_changed(a, d));
  condition_inputs nr;
  nr.not_ready = "runtime down";
  auto e = build_node_status(s, m, nr, a.conditions, t0 + 20s);
  CHECK(node_status_changed(a, e));
  CHECK(!node_details_changed(a, e));
  auto s2 = s;
  s2.container_runtime_version = "containerd://1.7.0";
  auto f = build_node_status(s2, m, all_good(), a.conditions, t0 + 20s);
  CHECK(node_status_changed(a, f));
  CHECK(node_details_changed(a, f));
  auto g = b;
  g.allocatable.pop_back();
  CHECK(node_details_changed(a, g));
}

TEST_CASE("events are recorded for new and changed conditions") {
  auto m = transcript_machine();
  auto s = transcript_settings();
  auto t0 = at("2026-11-22T02:59:17Z");
  auto a = build_node_status(s, m, all_good(), {}, t0);
  CHECK(transition_event_reasons(nullptr, a)
        == std::vector<std::string>{"NodeHasSufficientMemory",
                                    "NodeHasNoDiskPressure",
                                    "NodeHasSufficientPID", "NodeReady"});
  auto b = build_node_status(s, m, all_good(), a.conditions, t0 + 10s);
  CHECK(transition_event_reasons(&a, b).empty());
  condition_inputs bad;
  bad.memory_pressure = true;
  bad.disk_pressure = true;
  bad.pid_pressure = true;
  bad.not_ready = "x";
  auto c = build_node_status(s, m, bad, b.conditions, t0 + 20s);
  CHECK(transition_event_reasons(&b, c)
        == std::vector<std::string>{"NodeHasInsufficientMemory",
                                    "NodeHasDiskPressure",
                                    "NodeHasInsufficientPID", "NodeNotReady"});
  bad.not_ready = "y"; // same status, other message: no event
  auto d = build_node_status(s, m, bad, c.conditions, t0 + 30s);
  CHECK(transition_event_reasons(&c, d).empty());
  auto ev = make_node_event("edge-1", "NodeReady");
  CHECK(ev.type == "Normal");
  CHECK(ev.reason == "NodeReady");
  CHECK(ev.message == "Node edge-1 status is now: NodeReady");
  CHECK(ev.involved.kind == "Node");
  CHECK(ev.involved.name == "edge-1");
  CHECK(ev.involved.uid == "edge-1");
  CHECK(ev.involved.namespace_.empty());
}

TEST_CASE("the Ready message aggregates unready components") {
  std::map<std::string, component_readiness> xs;
  CHECK(!not_ready_message(xs));
  xs["runtime"] = {true, ""};
  CHECK(!not_ready_message(xs));
  xs["runtime"] = {false, "container runtime is down"};
  CHECK(not_ready_message(xs) == "container runtime is down");
  xs["network"] = {false, ""};
  CHECK(not_ready_message(xs)
        == "[network is not ready, container runtime is down]");
  xs["storage"] = {false, "container runtime is down"};
  CHECK(not_ready_message(xs)
        == "[network is not ready, container runtime is down]");
}

TEST_CASE("pressure is decided against the eviction thresholds") {
  auto m = transcript_machine();
  auto thresholds = config::default_eviction_hard();
  pressure_sample s;
  s.memory_available = 200 * ki * ki;
  s.nodefs = fs_stats{1000 * ki * ki, 500 * ki * ki, 1000, 900};
  s.processes = 100;
  s.pid_max = 1000;
  auto p = evaluate_pressure(s, m, thresholds);
  CHECK((!p.memory && !p.disk && !p.pid));
  s.memory_available = 100 * ki * ki - 1; // below 100Mi
  s.nodefs->available_bytes = 99 * ki * ki; // below 10 %
  s.processes = 901; // 99 left, below the default 10 %
  p = evaluate_pressure(s, m, thresholds);
  CHECK((p.memory && p.disk && p.pid));
  s.memory_available = 100 * ki * ki; // not below
  s.nodefs->available_bytes = 500 * ki * ki;
  s.nodefs->inodes_free = 40; // below nodefs.inodesFree 5 %
  thresholds["pid.available"].quantity = units::parse_quantity("50").value();
  p = evaluate_pressure(s, m, thresholds);
  CHECK(!p.memory);
  CHECK(p.disk);
  CHECK(!p.pid); // 99 left, threshold 50
  // Unknown signals never signal pressure.
  p = evaluate_pressure(pressure_sample{}, m, thresholds);
  CHECK((!p.memory && !p.disk && !p.pid));
  CHECK(threshold_amount(*config::parse_threshold_value("nodefs.available", "10%"),
                         264212084 * ki)
        == 27055317804);
}

TEST_CASE("reconcile: nothing to do for a Node that matches") {
  auto t0 = at("2026-11-22T02:59:17Z");
  auto initial = build_node(transcript_settings(), transcript_machine(),
                            all_good(), t0);
  auto existing = k8s::decode_node(k8s::encode_node(initial));
  REQUIRE(existing);
  CHECK(!reconcile_patch(initial, **existing));
  // --node-labels are not reconciled (as upstream), extra labels stay.
  auto other = **existing;
  other.metadata.labels["example.com/x"] = "y";
  CHECK(!reconcile_patch(initial, other));
}

TEST_CASE("reconcile: default labels, the annotation and huge pages") {
  auto t0 = at("2026-11-22T02:59:17Z");
  auto m = transcript_machine();
  auto initial = build_node(transcript_settings(), m, all_good(), t0);
  auto existing = initial;
  existing.metadata.labels["kubernetes.io/hostname"] = "old-name";
  existing.metadata.labels.erase("kubernetes.io/arch");
  existing.metadata.annotations.clear();
  existing.status.capacity.emplace_back("hugepages-64Ki", "0");
  for (auto& [name, value] : existing.status.allocatable)
    if (name == "hugepages-2Mi")
      value = "2Mi";
  auto patch = reconcile_patch(initial, existing);
  REQUIRE(patch);
  CHECK(parse(*patch) == parse(R"({
    "metadata": {
      "labels": {"kubernetes.io/hostname": "edge-1", "kubernetes.io/arch": "amd64"},
      "annotations": {"volumes.kubernetes.io/controller-managed-attach-detach": "true"}
    },
    "status": {
      "capacity": {"hugepages-64Ki": null},
      "allocatable": {"hugepages-2Mi": "0"}
    }
  })"));
  // An existing Node without capacity gets all of it.
  auto bare = initial;
  bare.status.capacity.clear();
  patch = reconcile_patch(initial, bare);
  REQUIRE(patch);
  CHECK(*parse(*patch).find_path({"status", "capacity"})
        == parse(R"({"cpu":"2","ephemeral-storage":"40901312Ki","hugepages-1Gi":"0","hugepages-2Mi":"0","memory":"24568028Ki","pods":"110"})"));
  // The annotation is removed when the initial Node does not carry it.
  auto no_cmad = initial;
  no_cmad.metadata.annotations.clear();
  patch = reconcile_patch(no_cmad, initial);
  REQUIRE(patch);
  CHECK(parse(*patch) == parse(R"({"metadata":{"annotations":{"volumes.kubernetes.io/controller-managed-attach-detach":null}}})"));
}
