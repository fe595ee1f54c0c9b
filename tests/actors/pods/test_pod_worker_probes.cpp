// The pod worker with probes, under virtual time: readiness drives `ready`
// and the pod's Ready condition, a failing liveness probe restarts the
// container (Killing event, the probe's grace period), a startup probe holds
// liveness and readiness off until it passes, and probe specs that cannot
// work keep the container from starting with a clear reason.
#include "tests/actors/pods/pod_worker_fixture.hpp"

#include <map>

using namespace cafelet;
using namespace cafelet::actors;
using namespace cafelet::test;
using namespace std::chrono_literals;
using net::probe::probe_outcome;
using net::probe::probe_result;

namespace {

/// Answers exec probes at once; the command's first word names the probe
/// ("live", "ready", "start"), whose next outcome is `outcome[word]`.
class scripted_probes : public probes::probe_executor {
public:
  std::map<std::string, probe_result> outcome;
  std::map<std::string, int> attempts;
  std::vector<std::string> container_ids;

  void run(const probes::probe_request& req, probes::probe_done done) override {
    const auto* exec = std::get_if<probes::exec_target>(&req.target);
    REQUIRE(exec != nullptr);
    auto word = exec->command.front();
    ++attempts[word];
    container_ids.push_back(req.container_id);
    auto r = outcome.count(word) ? outcome[word] : probe_result::success;
    done(probe_outcome{r, r == probe_result::failure ? word + " says no\n" : ""});
  }
};

k8s::probe exec_probe(std::string word, int32_t period = 1, int32_t failures = 3) {
  k8s::probe p;
  p.exec = k8s::exec_action{{std::move(word)}};
  p.period_seconds = period;
  p.failure_threshold = failures;
  return p;
}

struct probe_fixture : fixture {
  std::shared_ptr<scripted_probes> scripted = std::make_shared<scripted_probes>();

  probe_fixture() {
    probes = scripted;
  }

  k8s::pod_ptr pod_probed(std::optional<k8s::probe> live, std::optional<k8s::probe> ready,
                          std::optional<k8s::probe> start = std::nullopt) {
    auto p = *pod_with("Always");
    p.spec.containers[0].liveness_probe = std::move(live);
    p.spec.containers[0].readiness_probe = std::move(ready);
    p.spec.containers[0].startup_probe = std::move(start);
    return std::make_shared<const k8s::pod>(std::move(p));
  }

  /// Advances virtual time second by second (timers set while one step
  /// runs fire in the next).
  void seconds(int n) {
    for (int i = 0; i < n; ++i)
      advance(1s);
  }

  std::string condition(const std::string& type) {
    for (const auto& c : seen().last().conditions)
      if (c.type == type)
        return c.status;
    return "<none>";
  }
};

} // namespace

TEST_CASE_FIXTURE(probe_fixture, "readiness follows the readiness probe") {
  scripted->outcome["ready"] = probe_result::failure;
  start(pod_probed(std::nullopt, exec_probe("ready")));
  REQUIRE(seen().last().phase == "Running");
  // Running but not ready until the probe passes.
  CHECK_FALSE(app().ready);
  CHECK(condition("Ready") == "False");
  seconds(5);
  CHECK(scripted->attempts["ready"] >= 4);
  CHECK_FALSE(app().ready);
  CHECK(seen().has_event("Unhealthy"));
  CHECK(seen().event("Unhealthy")->message == "Readiness probe failed: ready says no\n");
  CHECK(seen().event("Unhealthy")->involved.field_path == "spec.containers{app}");
  // One success (successThreshold 1) makes it ready.
  scripted->outcome["ready"] = probe_result::success;
  seconds(1);
  CHECK(app().ready);
  CHECK(condition("Ready") == "True");
  CHECK(condition("ContainersReady") == "True");
  // Two failures are below the threshold; the third turns it unready.
  scripted->outcome["ready"] = probe_result::failure;
  seconds(2);
  CHECK(app().ready);
  seconds(1);
  CHECK_FALSE(app().ready);
  CHECK(condition("Ready") == "False");
  // Readiness never restarts a container.
  CHECK(!rt->called("stop c1 30"));
  CHECK(scripted->container_ids.front() == "c1");
}

TEST_CASE_FIXTURE(probe_fixture, "a failing liveness probe restarts the container") {
  auto live = exec_probe("live");
  live.termination_grace_period_seconds = 7;
  start(pod_probed(live, std::nullopt));
  REQUIRE(app().ready);
  seconds(5);
  CHECK(!rt->called("stop c1 7"));
  scripted->outcome["live"] = probe_result::failure;
  seconds(2);
  CHECK(!rt->called("stop c1 7"));
  seconds(1);
  // The probe's own grace period, not the pod's 30 s.
  CHECK(rt->called("stop c1 7"));
  REQUIRE(seen().event("Killing") != nullptr);
  CHECK(seen().event("Killing")->message == "Container app failed liveness probe, will be restarted");
  CHECK(seen().event("Unhealthy")->message == "Liveness probe failed: live says no\n");
  // On hold: no more attempts on the stopped instance.
  auto tries = scripted->attempts["live"];
  seconds(3);
  CHECK(scripted->attempts["live"] == tries);
  // The exit the PLEG reports restarts it, counted, with fresh probes.
  scripted->outcome["live"] = probe_result::success;
  died("c1", 137, "Error");
  CHECK(rt->called("create app 1"));
  CHECK(app().restart_count == 1);
  seconds(5);
  CHECK(scripted->container_ids.back() == "c2");
  CHECK(!rt->called("stop c2 7"));
}

TEST_CASE_FIXTURE(probe_fixture, "under restartPolicy Never a liveness failure ends the pod") {
  auto p = *pod_with("Never");
  p.spec.containers[0].liveness_probe = exec_probe("live", 1, 1);
  scripted->outcome["live"] = probe_result::failure;
  start(std::make_shared<const k8s::pod>(std::move(p)));
  seconds(2);
  CHECK(rt->called("stop c1 30"));
  died("c1", 137, "Error");
  CHECK(seen().last().phase == "Failed");
  CHECK(!rt->called("create app 1"));
}

TEST_CASE_FIXTURE(probe_fixture, "a startup probe holds liveness and readiness off until it passes") {
  scripted->outcome["start"] = probe_result::failure;
  scripted->outcome["live"] = probe_result::failure; // would kill at once
  start(pod_probed(exec_probe("live", 1, 1), exec_probe("ready"), exec_probe("start", 1, 10)));
  CHECK_FALSE(app().started.value_or(true));
  CHECK_FALSE(app().ready);
  seconds(5);
  CHECK(scripted->attempts["start"] >= 4);
  CHECK(scripted->attempts["live"] == 0);
  CHECK(scripted->attempts["ready"] == 0);
  CHECK(!rt->called("stop c1 30"));
  // It passes: started, and the other probes begin.
  scripted->outcome["start"] = probe_result::success;
  scripted->outcome["live"] = probe_result::success;
  seconds(1);
  CHECK(app().started.value_or(false));
  auto starts = scripted->attempts["start"];
  seconds(3);
  CHECK(scripted->attempts["start"] == starts); // done for this instance
  CHECK(scripted->attempts["live"] >= 2);
  CHECK(scripted->attempts["ready"] >= 2);
  CHECK(app().ready);
}

TEST_CASE_FIXTURE(probe_fixture, "a startup probe failing past its threshold restarts the container") {
  scripted->outcome["start"] = probe_result::failure;
  start(pod_probed(std::nullopt, std::nullopt, exec_probe("start", 1, 3)));
  seconds(4);
  CHECK(rt->called("stop c1 30"));
  REQUIRE(seen().event("Killing") != nullptr);
  CHECK(seen().event("Killing")->message == "Container app failed startup probe, will be restarted");
}

TEST_CASE_FIXTURE(probe_fixture, "probe specs that cannot work keep the container from starting") {
  k8s::probe bad;
  std::string expected;
  SUBCASE("no handler") {
    expected = "spec.containers[0].livenessProbe: Required value: must specify a handler type";
  }
  SUBCASE("two handlers") {
    bad.exec = k8s::exec_action{{"true"}};
    bad.tcp_socket = k8s::tcp_socket_action{};
    bad.tcp_socket->port.int_value = 80;
    expected = "spec.containers[0].livenessProbe.tcpSocket: Forbidden: may not specify more "
               "than 1 handler type";
  }
  SUBCASE("a port name the container does not have") {
    bad.http_get = k8s::http_get_action{};
    bad.http_get->port.is_string = true;
    bad.http_get->port.string_value = "metrics";
    expected = "spec.containers[0].livenessProbe.httpGet.port: Invalid value: \"metrics\": no "
               "port of container app has this name";
  }
  SUBCASE("a negative period") {
    bad.exec = k8s::exec_action{{"true"}};
    bad.period_seconds = -5;
    expected = "spec.containers[0].livenessProbe.periodSeconds: Invalid value: -5: must be "
               "greater than or equal to 0";
  }
  start(pod_probed(bad, std::nullopt));
  REQUIRE(app().state.waiting.has_value());
  CHECK(app().state.waiting->reason == "CreateContainerConfigError");
  CHECK(app().state.waiting->message == expected);
  CHECK(!rt->called("create app 0"));
  REQUIRE(seen().event("Failed") != nullptr);
  CHECK(seen().event("Failed")->message == "Error: " + expected);
  CHECK(seen().last().phase == "Pending");
}

TEST_CASE_FIXTURE(probe_fixture, "deleting the pod stops its probes") {
  start(pod_probed(exec_probe("live"), exec_probe("ready")));
  seconds(3);
  caf::anon_send(worker, pod_removed_atom::value, std::string{"uid-1"});
  run();
  REQUIRE(seen().done.size() == 1);
  auto live = scripted->attempts["live"];
  auto ready = scripted->attempts["ready"];
  seconds(5);
  CHECK(scripted->attempts["live"] == live);
  CHECK(scripted->attempts["ready"] == ready);
}
