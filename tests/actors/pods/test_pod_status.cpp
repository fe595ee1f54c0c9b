#include "actors/pods/pod_phase.hpp"
#include "messages/errors.hpp"
#include "pod_builders.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace cafelet;
using namespace cafelet::actors::pods;
using namespace std::chrono_literals;
using cafelet::test::make_container;
using cafelet::test::make_pod;

namespace {

k8s::timestamp at(const char* text) {
  return k8s::parse_time(text).value();
}

const k8s::timestamp t0 = at("2026-11-22T02:59:31Z");
const k8s::timestamp t1 = at("2026-11-22T02:59:32Z");
const k8s::timestamp t2 = at("2026-11-22T02:59:59Z");

const k8s::pod_condition& cond(const k8s::pod_status& s, std::string_view t) {
  for (const auto& c : s.conditions)
    if (c.type == t)
      return c;
  FAIL("no condition ", t);
  return s.conditions.front();
}

std::vector<std::string> types(const k8s::pod_status& s) {
  std::vector<std::string> out;
  for (const auto& c : s.conditions)
    out.push_back(c.type);
  return out;
}

/// The pod of transcript 21: one container "c", restartPolicy Always.
k8s::pod try_pod() {
  auto p = make_pod("try-1", "73ad0760-0098-4379-b902-ae9e8275eee7");
  p.spec.containers.push_back(make_container("c"));
  p.status.phase = "Pending";
  p.status.qos_class = "BestEffort";
  return p;
}

observed_container running_c() {
  observed_container c;
  c.name = "c";
  c.state = observed_running{t1 + 400ms, std::nullopt, std::nullopt};
  c.image = "localhost/busybox:ci";
  c.image_id = "sha256:b0c19d8da682";
  c.container_id = "containerd://8eafa129";
  return c;
}

} // namespace

TEST_SUITE("pods.status") {
  TEST_CASE("the real kubelet's status sequence (transcript 21)") {
    auto pod = try_pod();
    observed_pod obs;
    obs.host_ips = {"192.0.2.2"};
    // 1. Nothing created yet.
    auto s1 = compute_status(pod, obs, pod.status, t0);
    CHECK(s1.phase == "Pending");
    CHECK(s1.qos_class == "BestEffort");
    CHECK(s1.host_ip == "192.0.2.2");
    CHECK(s1.host_ips == std::vector<std::string>{"192.0.2.2"});
    CHECK(s1.pod_ip.empty());
    CHECK(s1.start_time == t0);
    CHECK(types(s1)
          == std::vector<std::string>{"PodReadyToStartContainers",
                                      "Initialized", "Ready",
                                      "ContainersReady", "PodScheduled"});
    CHECK(cond(s1, "PodReadyToStartContainers").status == "False");
    CHECK(cond(s1, "Initialized").status == "True");
    CHECK(cond(s1, "Ready").status == "False");
    CHECK(cond(s1, "Ready").reason == "ContainersNotReady");
    CHECK(cond(s1, "Ready").message == "containers with unready status: [c]");
    CHECK(cond(s1, "ContainersReady").message
          == "containers with unready status: [c]");
    CHECK(cond(s1, "PodScheduled").status == "True");
    for (const auto& c : s1.conditions) {
      CHECK(c.last_transition_time == t0);
      CHECK_FALSE(c.last_probe_time);
    }
    REQUIRE(s1.container_statuses.size() == 1);
    const auto& c1 = s1.container_statuses[0];
    CHECK(c1.name == "c");
    CHECK(c1.image == "localhost/busybox:ci");
    CHECK(c1.image_id.empty());
    CHECK(c1.container_id.empty());
    REQUIRE(c1.state.waiting);
    CHECK(c1.state.waiting->reason == "ContainerCreating");
    CHECK_FALSE(c1.state.running);
    CHECK_FALSE(c1.last_state.terminated);
    CHECK(c1.started == std::optional<bool>{false});
    CHECK_FALSE(c1.ready);
    CHECK(c1.restart_count == 0);
    CHECK(status_changed(pod.status, s1));

    // 2. Sandbox up, container running.
    obs.sandbox_ready = true;
    obs.pod_ips = {"10.88.0.2"};
    obs.containers = {running_c()};
    auto s2 = compute_status(pod, obs, s1, t1);
    CHECK(s2.phase == "Running");
    CHECK(s2.pod_ip == "10.88.0.2");
    CHECK(s2.pod_ips == std::vector<std::string>{"10.88.0.2"});
    CHECK(s2.start_time == t0);
    CHECK(cond(s2, "PodReadyToStartContainers").status == "True");
    CHECK(cond(s2, "PodReadyToStartContainers").last_transition_time == t1);
    CHECK(cond(s2, "Initialized").last_transition_time == t0);
    CHECK(cond(s2, "Ready").status == "True");
    CHECK(cond(s2, "Ready").reason.empty());
    CHECK(cond(s2, "Ready").message.empty());
    CHECK(cond(s2, "Ready").last_transition_time == t1);
    CHECK(cond(s2, "ContainersReady").status == "True");
    CHECK(cond(s2, "PodScheduled").last_transition_time == t0);
    const auto& c2 = s2.container_statuses.at(0);
    REQUIRE(c2.state.running);
    CHECK(c2.state.running->started_at == t1); // truncated to seconds
    CHECK(c2.ready);
    CHECK(c2.started == std::optional<bool>{true});
    CHECK(c2.container_id == "containerd://8eafa129");
    CHECK(c2.image_id == "sha256:b0c19d8da682");
    CHECK(status_changed(s1, s2));
    CHECK_FALSE(status_changed(s2, compute_status(pod, obs, s2, t1 + 5s)));

    // 3. Deleted: the container was killed, the sandbox stopped.
    pod.metadata.deletion_timestamp = t2;
    obs.sandbox_ready = false;
    obs.pod_ips.clear();
    obs.terminal = true;
    k8s::container_state_terminated t;
    t.exit_code = 137;
    t.reason = "Error";
    t.started_at = t1;
    t.finished_at = t2;
    obs.containers[0].state = t;
    auto s3 = compute_status(pod, obs, s2, t2);
    CHECK(s3.phase == "Failed");
    CHECK(s3.pod_ip == "10.88.0.2"); // kept, as the real patch shows
    CHECK(cond(s3, "PodReadyToStartContainers").status == "False");
    CHECK(cond(s3, "PodReadyToStartContainers").last_transition_time == t2);
    CHECK(cond(s3, "Ready").reason == "PodFailed");
    CHECK(cond(s3, "Ready").message.empty());
    CHECK(cond(s3, "ContainersReady").reason == "PodFailed");
    CHECK(cond(s3, "Initialized").last_transition_time == t0);
    const auto& c3 = s3.container_statuses.at(0);
    REQUIRE(c3.state.terminated);
    CHECK(c3.state.terminated->exit_code == 137);
    CHECK(c3.state.terminated->container_id == "containerd://8eafa129");
    CHECK(c3.started == std::optional<bool>{false});
    CHECK_FALSE(c3.ready);
  }

  TEST_CASE("Succeeded conditions say PodCompleted") {
    auto pod = try_pod();
    pod.spec.restart_policy = "Never";
    observed_pod obs;
    auto c = running_c();
    k8s::container_state_terminated t;
    t.reason = "Completed";
    c.state = t;
    obs.containers = {c};
    auto s = compute_status(pod, obs, pod.status, t0);
    CHECK(s.phase == "Succeeded");
    CHECK(cond(s, "Ready").reason == "PodCompleted");
    CHECK(cond(s, "ContainersReady").reason == "PodCompleted");
    CHECK(cond(s, "Initialized").reason == "PodCompleted");
  }

  TEST_CASE("init containers: statuses, defaults, Initialized") {
    auto pod = try_pod();
    pod.spec.init_containers.push_back(make_container("init"));
    observed_pod obs;
    observed_container init;
    init.name = "init";
    init.state = observed_running{t0, std::nullopt, std::nullopt};
    obs.init_containers = {init};
    auto s = compute_status(pod, obs, pod.status, t0);
    REQUIRE(s.init_container_statuses.size() == 1);
    CHECK(s.init_container_statuses[0].state.running);
    CHECK_FALSE(s.init_container_statuses[0].ready);
    CHECK(s.container_statuses.at(0).state.waiting->reason
          == "PodInitializing");
    CHECK(cond(s, "Initialized").status == "False");
    CHECK(cond(s, "Initialized").reason == "ContainersNotInitialized");
    CHECK(cond(s, "Initialized").message
          == "containers with incomplete status: [init]");
    k8s::container_state_terminated done;
    done.reason = "Completed";
    obs.init_containers[0].state = done;
    auto s2 = compute_status(pod, obs, s, t1);
    CHECK(s2.init_container_statuses[0].ready);
    CHECK(cond(s2, "Initialized").status == "True");
    CHECK(cond(s2, "Initialized").reason.empty());
    CHECK(cond(s2, "Initialized").last_transition_time == t1);
    SUBCASE("a removed init container counts as completed once apps exist") {
      obs.init_containers.clear();
      obs.containers = {running_c()};
      auto s3 = compute_status(pod, obs, pod.status, t1);
      const auto& i = s3.init_container_statuses.at(0);
      REQUIRE(i.state.terminated);
      CHECK(i.state.terminated->reason == "Completed");
      CHECK(i.state.terminated->exit_code == 0);
      CHECK(i.ready);
      CHECK(s3.phase == "Running");
    }
  }

  TEST_CASE("readiness and startup probes") {
    auto pod = try_pod();
    pod.spec.containers[0].readiness_probe = k8s::probe{};
    observed_pod obs;
    obs.containers = {running_c()};
    auto s = compute_status(pod, obs, pod.status, t0);
    CHECK_FALSE(s.container_statuses[0].ready);
    CHECK(cond(s, "ContainersReady").message
          == "containers with unready status: [c]");
    std::get<observed_running>(obs.containers[0].state).ready = true;
    CHECK(compute_status(pod, obs, pod.status, t0).container_statuses[0].ready);
    pod.spec.containers[0].startup_probe = k8s::probe{};
    auto s2 = compute_status(pod, obs, pod.status, t0);
    CHECK(s2.container_statuses[0].started == std::optional<bool>{false});
    CHECK_FALSE(s2.container_statuses[0].ready);
  }

  TEST_CASE("a crash loop: waiting with the last termination") {
    auto pod = try_pod();
    observed_pod obs;
    auto c = running_c();
    k8s::container_state_terminated t;
    t.exit_code = 3;
    t.reason = "Error";
    c.last_termination = t;
    c.state = k8s::container_state_waiting{
      "CrashLoopBackOff", "back-off 10s restarting failed container=c "
                          "pod=try-1_default(uid)"};
    c.restart_count = 2;
    obs.containers = {c};
    auto s = compute_status(pod, obs, pod.status, t0);
    const auto& x = s.container_statuses[0];
    CHECK(x.state.waiting->reason == "CrashLoopBackOff");
    CHECK(x.last_state.terminated->exit_code == 3);
    CHECK(x.restart_count == 2);
    CHECK(s.phase == "Running");
  }

  TEST_CASE("containers the runtime lost") {
    auto pod = try_pod();
    k8s::pod_status previous;
    previous.phase = "Running";
    k8s::container_status old;
    old.name = "c";
    old.restart_count = 4;
    old.state.running = k8s::container_state_running{t0};
    previous.container_statuses = {old};
    SUBCASE("a running one gets lastState ContainerStatusUnknown") {
      auto s = compute_status(pod, {}, previous, t1);
      const auto& x = s.container_statuses.at(0);
      CHECK(x.state.waiting->reason == "ContainerCreating");
      REQUIRE(x.last_state.terminated);
      CHECK(x.last_state.terminated->reason == "ContainerStatusUnknown");
      CHECK(x.last_state.terminated->exit_code == 137);
      CHECK(x.restart_count == 5);
      CHECK(s.phase == "Running");
      pod.metadata.deletion_timestamp = t1;
      CHECK(compute_status(pod, {}, previous, t1)
              .container_statuses.at(0)
              .restart_count
            == 4);
    }
    SUBCASE("a terminated one keeps its status") {
      previous.container_statuses[0].state = {};
      previous.container_statuses[0].state.terminated
        = k8s::container_state_terminated{1, 0, "Error", "", t0, t1, "x"};
      auto s = compute_status(pod, {}, previous, t1);
      CHECK(s.container_statuses.at(0).state.terminated->reason == "Error");
      CHECK(s.container_statuses.at(0).restart_count == 4);
    }
  }

  TEST_CASE("app statuses are sorted by name, init ones keep spec order") {
    auto pod = make_pod();
    pod.spec.containers = {make_container("zeta"), make_container("alpha")};
    pod.spec.init_containers = {make_container("z-init"),
                                make_container("a-init")};
    auto s = compute_status(pod, {}, pod.status, t0);
    CHECK(s.container_statuses[0].name == "alpha");
    CHECK(s.container_statuses[1].name == "zeta");
    CHECK(s.init_container_statuses[0].name == "z-init");
    CHECK(s.init_container_statuses[1].name == "a-init");
    CHECK(cond(s, "Initialized").message
          == "containers with incomplete status: [z-init a-init]");
    CHECK(cond(s, "ContainersReady").message
          == "containers with unready status: [zeta alpha]");
  }

  TEST_CASE("pod IPs: node family first, one per family, host network") {
    auto pod = try_pod();
    observed_pod obs;
    obs.sandbox_ready = true;
    obs.host_ips = {"192.0.2.2", "2001:db8::2"};
    obs.pod_ips = {"fd00::5", "10.88.0.5", "10.88.0.6"};
    auto s = compute_status(pod, obs, pod.status, t0);
    CHECK(s.pod_ips == std::vector<std::string>{"10.88.0.5", "fd00::5"});
    CHECK(s.pod_ip == "10.88.0.5");
    CHECK(s.host_ips.size() == 2);
    obs.host_ips = {"2001:db8::2"};
    CHECK(compute_status(pod, obs, pod.status, t0).pod_ip == "fd00::5");
    pod.spec.host_network = true;
    obs.pod_ips.clear();
    obs.host_ips = {"192.0.2.2", "2001:db8::2"};
    auto h = compute_status(pod, obs, pod.status, t0);
    CHECK(h.pod_ips == std::vector<std::string>{"192.0.2.2", "2001:db8::2"});
    CHECK(cond(h, "PodReadyToStartContainers").status == "True");
  }

  TEST_CASE("startTime is kept once set") {
    auto pod = try_pod();
    pod.status.start_time = t0;
    CHECK(compute_status(pod, {}, {}, t2).start_time == t0);
    k8s::pod_status previous;
    previous.start_time = t1;
    CHECK(compute_status(pod, {}, previous, t2).start_time == t1);
  }

  TEST_CASE("conditions not owned by the kubelet come first and stay") {
    auto pod = try_pod();
    pod.status.conditions.push_back({"example.com/gate", "True", {}, t0, {}, {}});
    pod.status.conditions.push_back({"PodScheduled", "True", {}, t0, {}, {}});
    k8s::pod_status previous = pod.status;
    previous.conditions.push_back(
      {"DisruptionTarget", "True", {}, t1, "TerminationByKubelet", "x"});
    auto s = compute_status(pod, {}, previous, t2);
    CHECK(types(s)
          == std::vector<std::string>{"example.com/gate", "DisruptionTarget",
                                      "PodReadyToStartContainers",
                                      "Initialized", "Ready",
                                      "ContainersReady", "PodScheduled"});
    CHECK(cond(s, "PodScheduled").last_transition_time == t0);
    CHECK(cond(s, "DisruptionTarget").reason == "TerminationByKubelet");
  }

  TEST_CASE("termination messages are capped, times truncated") {
    auto pod = try_pod();
    observed_pod obs;
    auto c = running_c();
    k8s::container_state_terminated t;
    t.exit_code = 1;
    t.message = std::string(20000, 'x');
    t.finished_at = t1 + 999ms;
    c.state = t;
    obs.containers = {c};
    auto s = compute_status(pod, obs, pod.status, t0 + 500ms);
    CHECK(s.container_statuses[0].state.terminated->message.size() == 12288);
    CHECK(s.container_statuses[0].state.terminated->finished_at == t1);
    CHECK(s.start_time == t0);
  }

  TEST_CASE("status_changed ignores what does not warrant a patch") {
    auto pod = try_pod();
    observed_pod obs;
    obs.containers = {running_c()};
    auto a = compute_status(pod, obs, pod.status, t0);
    CHECK_FALSE(status_changed(a, a));
    auto b = a;
    for (auto& c : b.conditions)
      c.last_transition_time = t2;
    CHECK_FALSE(status_changed(a, b));
    std::reverse(b.conditions.begin(), b.conditions.end());
    CHECK_FALSE(status_changed(a, b));
    b.conditions.push_back({"example.com/gate", "False", {}, {}, {}, {}});
    CHECK_FALSE(status_changed(a, b));
    b = a;
    auto started = *a.container_statuses[0].state.running->started_at;
    b.container_statuses[0].state.running->started_at = started + 300ms;
    CHECK_FALSE(status_changed(a, b)); // sub-second only
    b.container_statuses[0].state.running->started_at = started + 3s;
    CHECK(status_changed(a, b));
    b = a;
    b.container_statuses[0].ready = !a.container_statuses[0].ready;
    CHECK(status_changed(a, b));
    b = a;
    b.conditions[2].message = "other";
    CHECK(status_changed(a, b));
    b = a;
    b.conditions.pop_back();
    CHECK(status_changed(a, b));
    b = a;
    b.container_statuses[0].started.reset();
    CHECK(status_changed(a, b));
    b = a;
    b.pod_ips.push_back("fd00::1");
    CHECK(status_changed(a, b));
  }

  TEST_CASE("check_transition refuses leaving terminated states") {
    auto pod = try_pod();
    k8s::pod_status old;
    k8s::container_status c;
    c.name = "c";
    c.state.terminated = k8s::container_state_terminated{};
    old.container_statuses = {c};
    k8s::pod_status next = old;
    next.container_statuses[0].state = {};
    next.container_statuses[0].state.running = k8s::container_state_running{};
    CHECK_FALSE(check_transition(pod.spec, old, next)); // Always
    pod.spec.restart_policy = "Never";
    auto err = check_transition(pod.spec, old, next);
    CHECK(is(err, errc::invalid));
    CHECK(context_of(err)
          == "terminated container c attempted illegal transition to "
             "non-terminated state");
    pod.spec.restart_policy = "OnFailure";
    CHECK(check_transition(pod.spec, old, next)); // succeeded: illegal
    old.container_statuses[0].state.terminated->exit_code = 2;
    CHECK_FALSE(check_transition(pod.spec, old, next)); // failed: may restart
    SUBCASE("init containers, sidecars exempt") {
      pod.spec.restart_policy = "Never";
      pod.spec.init_containers.push_back(make_container("i"));
      k8s::pod_status o;
      k8s::container_status ic;
      ic.name = "i";
      ic.state.terminated = k8s::container_state_terminated{};
      o.init_container_statuses = {ic};
      auto n = o;
      n.init_container_statuses[0].state = {};
      n.init_container_statuses[0].state.waiting
        = k8s::container_state_waiting{};
      CHECK(check_transition(pod.spec, o, n));
      pod.spec.init_containers[0].restart_policy = "Always";
      CHECK_FALSE(check_transition(pod.spec, o, n));
    }
  }

  TEST_CASE("a pod without containers does not crash") {
    auto pod = make_pod();
    auto s = compute_status(pod, {}, pod.status, t0);
    CHECK(s.phase == "Pending");
    CHECK(cond(s, "ContainersReady").reason == "UnknownContainerStatuses");
    observed_pod junk;
    junk.containers = {running_c()}; // not in the spec
    CHECK(compute_status(pod, junk, pod.status, t0).container_statuses.empty());
  }
}
