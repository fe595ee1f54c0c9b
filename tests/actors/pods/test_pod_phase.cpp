#include "actors/pods/pod_phase.hpp"
#include "pod_builders.hpp"

#include <doctest/doctest.h>

using namespace cafelet;
using namespace cafelet::actors::pods;
using cafelet::test::make_container;
using cafelet::test::make_pod;

namespace {

const k8s::timestamp t0 = k8s::parse_time("2026-11-22T02:59:31Z").value();

observed_container running(std::string name, bool ready = true) {
  observed_container c;
  c.name = std::move(name);
  c.state = observed_running{t0, ready, std::nullopt};
  c.container_id = "containerd://" + c.name;
  return c;
}

observed_container exited(std::string name, int32_t code) {
  observed_container c;
  c.name = std::move(name);
  k8s::container_state_terminated t;
  t.exit_code = code;
  t.reason = code == 0 ? "Completed" : "Error";
  t.started_at = t0;
  t.finished_at = t0 + std::chrono::seconds(5);
  c.state = t;
  c.container_id = "containerd://" + c.name;
  return c;
}

observed_container backing_off(std::string name, int32_t last_code) {
  auto c = exited(name, last_code);
  c.last_termination = std::get<k8s::container_state_terminated>(c.state);
  c.state = k8s::container_state_waiting{"CrashLoopBackOff", "back-off 10s"};
  c.restart_count = 1;
  return c;
}

observed_container waiting(std::string name, std::string reason) {
  observed_container c;
  c.name = std::move(name);
  c.state = k8s::container_state_waiting{std::move(reason), "msg"};
  return c;
}

k8s::pod two_apps(std::string policy) {
  auto p = make_pod();
  p.spec.restart_policy = std::move(policy);
  p.spec.containers.push_back(make_container("a"));
  p.spec.containers.push_back(make_container("b"));
  return p;
}

std::string phase_of(const k8s::pod& p, observed_pod obs) {
  obs.sandbox_ready = true;
  obs.pod_ips = {"10.88.0.2"};
  return compute_status(p, obs, p.status, t0).phase;
}

} // namespace

TEST_SUITE("pods.phase") {
  TEST_CASE("nothing observed yet is Pending") {
    CHECK(phase_of(two_apps("Always"), {}) == "Pending");
  }

  TEST_CASE("all running is Running; one unknown keeps it Pending") {
    auto p = two_apps("Always");
    observed_pod obs;
    obs.containers = {running("a"), running("b")};
    CHECK(phase_of(p, obs) == "Running");
    obs.containers = {running("a")};
    CHECK(phase_of(p, obs) == "Pending");
  }

  TEST_CASE("a waiting container without past run keeps it Pending") {
    auto p = two_apps("Always");
    observed_pod obs;
    obs.containers = {running("a"), waiting("b", "ErrImagePull")};
    CHECK(phase_of(p, obs) == "Pending");
  }

  TEST_CASE("restart policies when all containers stopped") {
    observed_pod ok;
    ok.containers = {exited("a", 0), exited("b", 0)};
    observed_pod mixed;
    mixed.containers = {exited("a", 0), exited("b", 3)};
    CHECK(phase_of(two_apps("Always"), ok) == "Running");
    CHECK(phase_of(two_apps("Always"), mixed) == "Running");
    CHECK(phase_of(two_apps("OnFailure"), ok) == "Succeeded");
    CHECK(phase_of(two_apps("OnFailure"), mixed) == "Running");
    CHECK(phase_of(two_apps("Never"), ok) == "Succeeded");
    CHECK(phase_of(two_apps("Never"), mixed) == "Failed");
  }

  TEST_CASE("a terminal pod is Succeeded or Failed whatever the policy") {
    observed_pod mixed;
    mixed.containers = {exited("a", 0), exited("b", 137)};
    mixed.terminal = true;
    CHECK(phase_of(two_apps("Always"), mixed) == "Failed");
    observed_pod ok;
    ok.containers = {exited("a", 0), exited("b", 0)};
    ok.terminal = true;
    CHECK(phase_of(two_apps("Always"), ok) == "Succeeded");
    SUBCASE("except static pods") {
      auto p = two_apps("Always");
      p.metadata.annotations["kubernetes.io/config.source"] = "file";
      CHECK(phase_of(p, mixed) == "Running");
    }
  }

  TEST_CASE("one running, one stopped is Running") {
    observed_pod obs;
    obs.containers = {running("a"), exited("b", 1)};
    CHECK(phase_of(two_apps("Never"), obs) == "Running");
  }

  TEST_CASE("CrashLoopBackOff counts as stopped") {
    observed_pod obs;
    obs.containers = {running("a"), backing_off("b", 3)};
    CHECK(phase_of(two_apps("Always"), obs) == "Running");
    obs.containers = {backing_off("a", 3), backing_off("b", 3)};
    CHECK(phase_of(two_apps("Always"), obs) == "Running");
    CHECK(phase_of(two_apps("OnFailure"), obs) == "Running");
  }

  TEST_CASE("init containers") {
    auto p = two_apps("Always");
    p.spec.init_containers.push_back(make_container("init"));
    observed_pod obs;
    SUBCASE("not yet run or running: Pending") {
      CHECK(phase_of(p, obs) == "Pending");
      obs.init_containers = {running("init")};
      CHECK(phase_of(p, obs) == "Pending");
    }
    SUBCASE("completed, apps running: Running") {
      obs.init_containers = {exited("init", 0)};
      obs.containers = {running("a"), running("b")};
      CHECK(phase_of(p, obs) == "Running");
    }
    SUBCASE("failed under Never: Failed") {
      p.spec.restart_policy = "Never";
      obs.init_containers = {exited("init", 1)};
      CHECK(phase_of(p, obs) == "Failed");
    }
    SUBCASE("failed and backing off under Always: Pending") {
      obs.init_containers = {backing_off("init", 1)};
      CHECK(phase_of(p, obs) == "Pending");
    }
  }

  TEST_CASE("sidecars") {
    auto p = two_apps("Always");
    auto sidecar = make_container("proxy");
    sidecar.restart_policy = "Always";
    sidecar.startup_probe = k8s::probe{};
    p.spec.init_containers.push_back(sidecar);
    observed_pod obs;
    auto proxy = running("proxy");
    SUBCASE("not started yet: Pending") {
      obs.init_containers = {proxy};
      CHECK(phase_of(p, obs) == "Pending");
    }
    SUBCASE("started, apps running: Running") {
      std::get<observed_running>(proxy.state).started = true;
      obs.init_containers = {proxy};
      obs.containers = {running("a"), running("b")};
      CHECK(phase_of(p, obs) == "Running");
    }
    SUBCASE("restarting after the apps ran: stays Running") {
      obs.init_containers = {proxy};
      obs.containers = {running("a"), running("b")};
      CHECK(phase_of(p, obs) == "Running");
    }
    SUBCASE("stopped sidecars do not block Succeeded") {
      p.spec.restart_policy = "Never";
      obs.init_containers = {exited("proxy", 137)};
      obs.containers = {exited("a", 0), exited("b", 0)};
      CHECK(phase_of(p, obs) == "Succeeded");
    }
  }

  TEST_CASE("pod_phase on converted statuses") {
    auto p = two_apps("Never");
    std::vector<k8s::container_status> app(2);
    app[0].name = "a";
    app[0].state.terminated = k8s::container_state_terminated{};
    app[1].name = "b";
    app[1].state.terminated = k8s::container_state_terminated{};
    CHECK(pod_phase(p, {}, app, false, false) == "Succeeded");
    app[1].state = {};
    CHECK(pod_phase(p, {}, app, false, false) == "Pending");
  }

  TEST_CASE("a terminal phase is never left") {
    auto p = two_apps("Always");
    observed_pod obs;
    obs.containers = {running("a"), running("b")};
    k8s::pod_status previous;
    previous.phase = "Succeeded";
    CHECK(compute_status(p, obs, previous, t0).phase == "Succeeded");
    p.status.phase = "Failed";
    CHECK(compute_status(p, obs, {}, t0).phase == "Failed");
  }

  TEST_CASE("reason and message are kept while the phase stays") {
    auto p = two_apps("Always");
    observed_pod obs;
    obs.containers = {running("a"), running("b")};
    k8s::pod_status previous;
    previous.phase = "Running";
    previous.reason = "Something";
    previous.message = "kept";
    auto s = compute_status(p, obs, previous, t0);
    CHECK(s.reason == "Something");
    CHECK(s.message == "kept");
    previous.phase = "Pending";
    s = compute_status(p, obs, previous, t0);
    CHECK(s.reason.empty());
    CHECK(s.message.empty());
  }
}
