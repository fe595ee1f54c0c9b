// The probe actor under virtual time against a scripted executor: first
// attempt after the initial delay plus a seeded jitter, one attempt per
// period, thresholds, on hold after a liveness/startup decision, no
// overlapping attempts, the guard on attempts that never complete, events,
// metrics, and the end of the actor with its parent.
#include "actors/probes/probe_actor.hpp"

#include "messages/api.hpp"
#include "messages/probes.hpp"
#include "net/metrics/metric.hpp"
#include "tests/actors/test_fixture.hpp"

#include <doctest/doctest.h>

#include <deque>
#include <set>
#include <string>
#include <vector>

using namespace cafelet;
using namespace cafelet::actors;
using namespace std::chrono_literals;
using net::probe::probe_outcome;
using net::probe::probe_result;

namespace {

using time_point = caf::actor_clock::time_point;

/// Records requests; answers at once with the next scripted outcome, or
/// else with `otherwise`, or else holds the completion for the test.
class scripted_executor : public probes::probe_executor {
public:
  struct request {
    probes::probe_request req;
    time_point at;
  };

  explicit scripted_executor(caf::scheduler::test_coordinator* sched) : sched_(sched) {
  }

  std::deque<probe_outcome> script;
  std::optional<probe_outcome> otherwise;
  std::vector<request> requests;
  std::vector<probes::probe_done> held;

  void run(const probes::probe_request& req, probes::probe_done done) override {
    requests.push_back({req, sched_->clock().now()});
    if (!script.empty()) {
      auto out = script.front();
      script.pop_front();
      done(out);
    } else if (otherwise) {
      done(*otherwise);
    } else {
      held.push_back(std::move(done));
    }
  }

  /// Requests for container `id`.
  std::vector<request> of(const std::string& id) const {
    std::vector<request> out;
    for (const auto& r : requests)
      if (r.req.container_id == id)
        out.push_back(r);
    return out;
  }

private:
  caf::scheduler::test_coordinator* sched_;
};

/// Stands in for the pod worker (parent) and the event recorder.
struct world_state {
  std::vector<probe_update> updates;
  std::vector<record_event> events;
  static const char* name;

  std::vector<std::string> messages(const std::string& reason) const {
    std::vector<std::string> out;
    for (const auto& e : events)
      if (e.reason == reason)
        out.push_back(e.message);
    return out;
  }
};
const char* world_state::name = "world";

caf::behavior world(caf::stateful_actor<world_state>* self) {
  return {
    [self](const probe_update& x) { self->state.updates.push_back(x); },
    [self](const record_event& x) { self->state.events.push_back(x); },
  };
}

probe_outcome ok() {
  return {probe_result::success, ""};
}

probe_outcome fail(std::string why = "HTTP probe failed with statuscode: 503") {
  return {probe_result::failure, std::move(why)};
}

probe_outcome unknown(std::string why = "connection to the runtime lost") {
  return {probe_result::unknown, std::move(why)};
}

probe_outcome warning(std::string why = "Probe terminated redirects") {
  return {probe_result::warning, std::move(why)};
}

probes::probe_plan plan_of(probe_kind kind, int period, int failures = 3,
                           int successes = 1) {
  probes::probe_plan p;
  p.kind = kind;
  p.target = probes::exec_target{{"check", "--fast"}};
  p.period = std::chrono::seconds{period};
  p.failure_threshold = failures;
  p.success_threshold = successes;
  return p;
}

k8s::pod_ptr test_pod() {
  k8s::pod p;
  p.metadata.namespace_ = "default";
  p.metadata.name = "web";
  p.metadata.uid = "uid-1";
  return std::make_shared<const k8s::pod>(std::move(p));
}

struct fixture : cafelet::testing::deterministic_fixture {
  std::shared_ptr<scripted_executor> exec = std::make_shared<scripted_executor>(sched);
  std::shared_ptr<probe_stats> stats = std::make_shared<probe_stats>();
  caf::actor w = sys->spawn(world);
  std::vector<caf::actor> probes_;
  caf::actor probe;
  time_point t0 = sched->clock().now();

  probe_actor_config config(probes::probe_plan plan, uint64_t seed = 1) {
    probe_actor_config cfg;
    cfg.executor = exec;
    cfg.parent = w;
    cfg.events = w;
    cfg.stats = stats;
    cfg.pod = test_pod();
    cfg.container = "app";
    cfg.field_path = "spec.containers{app}";
    cfg.container_id = "containerd://c1";
    cfg.pod_ip = "10.88.0.7";
    cfg.plan = std::move(plan);
    cfg.seed = seed;
    return cfg;
  }

  caf::actor spawn_probe(probe_actor_config cfg) {
    auto a = sys->spawn(probe_actor, std::move(cfg));
    probes_.push_back(a);
    run();
    return a;
  }

  void start(probes::probe_plan plan, uint64_t seed = 1) {
    t0 = sched->clock().now();
    probe = spawn_probe(config(std::move(plan), seed));
  }

  world_state& seen() {
    return state_of<world_state>(w);
  }

  probe_actor_state& st() {
    return state_of<probe_actor_state>(probe);
  }

  /// Virtual time passes in 1 ms steps (timers fire at their due time).
  void pass(std::chrono::milliseconds d) {
    for (auto i = 0; i < d.count(); ++i)
      advance(1ms);
  }

  /// Lets time pass until the executor sees one more request (at most
  /// `limit`); returns the time it took.
  std::chrono::milliseconds next_attempt(std::chrono::milliseconds limit = 20s) {
    auto n = exec->requests.size();
    auto from = sched->clock().now();
    for (auto i = 0; i < limit.count() && exec->requests.size() == n; ++i)
      advance(1ms);
    REQUIRE(exec->requests.size() == n + 1);
    return std::chrono::duration_cast<std::chrono::milliseconds>(sched->clock().now()
                                                                 - from);
  }

  /// The updates the parent got, as "<container> <kind> <success>".
  std::vector<std::string> updates() {
    std::vector<std::string> out;
    for (const auto& u : seen().updates)
      out.push_back(u.container_id + " " + probes::label_of(u.kind)
                    + (u.success ? " true" : " false"));
    return out;
  }

  std::chrono::milliseconds offset(time_point t) const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t - t0);
  }

  ~fixture() {
    for (auto& a : probes_)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
    run();
  }
};

} // namespace

namespace doctest {
template <>
struct StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& xs) {
    std::string s = "{";
    for (const auto& x : xs)
      s += (s.size() > 1 ? ", \"" : "\"") + x + "\"";
    s += "}";
    return String{s.c_str()};
  }
};
} // namespace doctest

TEST_CASE_FIXTURE(fixture, "the first attempt waits initialDelaySeconds plus a jitter below 1 s") {
  exec->otherwise = ok();
  auto plan = plan_of(probe_kind::readiness, 10);
  plan.initial_delay = 5s;
  plan.timeout = 4s;
  start(plan);
  pass(4999ms);
  CHECK(exec->requests.empty());
  pass(1001ms);
  REQUIRE(exec->requests.size() == 1);
  auto first = offset(exec->requests[0].at);
  CHECK(first >= 5s);
  CHECK(first < 6s);
  // The request carries what the executor needs.
  const auto& req = exec->requests[0].req;
  CHECK(req.container_id == "containerd://c1");
  CHECK(req.pod_ip == "10.88.0.7");
  CHECK(req.timeout == 4s);
  REQUIRE(std::holds_alternative<probes::exec_target>(req.target));
  CHECK(std::get<probes::exec_target>(req.target).command
        == std::vector<std::string>{"check", "--fast"});
  CHECK(stats->attempts == 1);
  CHECK(stats->actors == 1);
}

TEST_CASE_FIXTURE(fixture, "then one attempt every period") {
  exec->otherwise = ok();
  start(plan_of(probe_kind::readiness, 3));
  next_attempt();
  CHECK(next_attempt() == 3s);
  CHECK(next_attempt() == 3s);
  CHECK(next_attempt() == 3s);
  REQUIRE(exec->requests.size() == 4);
  CHECK(exec->requests[3].at - exec->requests[0].at == 9s);
  CHECK(stats->attempts == 4);
  CHECK(st().attempts == 4);
}

TEST_CASE_FIXTURE(fixture, "the jitter depends on the seed only, and stays below 1 s") {
  std::vector<std::chrono::milliseconds> firsts;
  exec->otherwise = ok();
  for (uint64_t round = 0; round < 2; ++round) {
    auto from = sched->clock().now();
    auto before = exec->requests.size();
    for (uint64_t seed = 1; seed <= 8; ++seed) {
      auto cfg = config(plan_of(probe_kind::liveness, 30), seed * 7919);
      cfg.container_id = "c" + std::to_string(round) + "-" + std::to_string(seed);
      spawn_probe(cfg);
    }
    pass(1000ms);
    REQUIRE(exec->requests.size() == before + 8);
    for (uint64_t seed = 1; seed <= 8; ++seed) {
      auto id = "c" + std::to_string(round) + "-" + std::to_string(seed);
      auto reqs = exec->of(id);
      REQUIRE(reqs.size() == 1);
      auto d = std::chrono::duration_cast<std::chrono::milliseconds>(reqs[0].at - from);
      CHECK(d < 1s);
      if (round == 0)
        firsts.push_back(d);
      else
        CHECK(d == firsts[seed - 1]); // the same seed, the same time
    }
  }
  std::set<std::chrono::milliseconds> distinct{firsts.begin(), firsts.end()};
  CHECK(distinct.size() >= 4);
}

TEST_CASE_FIXTURE(fixture, "readiness: starts not ready, turns ready and unready by thresholds") {
  start(plan_of(probe_kind::readiness, 1, 3, 2));
  exec->script = {fail("no"), fail("no"), fail("no")};
  next_attempt();
  next_attempt();
  CHECK(seen().updates.empty());
  // The third failure reaches the threshold, but readiness already is false.
  next_attempt();
  CHECK(seen().updates.empty());
  CHECK(st().counter->result() == false);
  // Two successes in a row: ready.
  exec->script = {ok(), ok()};
  next_attempt();
  CHECK(seen().updates.empty());
  next_attempt();
  CHECK(updates() == std::vector<std::string>{"containerd://c1 readiness true"});
  // Three failures in a row: not ready again (readiness keeps probing).
  exec->script = {fail("no"), fail("no"), fail("no"), ok()};
  next_attempt();
  next_attempt();
  CHECK(seen().updates.size() == 1);
  next_attempt();
  REQUIRE(seen().updates.size() == 2);
  CHECK(updates()[1] == "containerd://c1 readiness false");
  next_attempt();
  CHECK(seen().updates.size() == 2);
  CHECK(!st().on_hold);
  CHECK(seen().messages("Unhealthy") == std::vector<std::string>(6, "Readiness probe failed: no"));
}

TEST_CASE_FIXTURE(fixture, "liveness: fails at failureThreshold, then stops attempting") {
  start(plan_of(probe_kind::liveness, 2, 3));
  // A success in between breaks a failure run.
  exec->script = {ok(), fail(), fail(), ok(), fail(), fail(), fail()};
  for (int i = 0; i < 6; ++i)
    next_attempt();
  CHECK(seen().updates.empty());
  next_attempt();
  CHECK(updates() == std::vector<std::string>{"containerd://c1 liveness false"});
  CHECK(st().on_hold);
  exec->otherwise = fail();
  pass(30s);
  CHECK(exec->requests.size() == 7);
  CHECK(seen().updates.size() == 1);
  CHECK(seen().messages("Unhealthy")
        == std::vector<std::string>(5, "Liveness probe failed: HTTP probe failed with "
                                       "statuscode: 503"));
}

TEST_CASE_FIXTURE(fixture, "startup: a success decides and ends the probing") {
  start(plan_of(probe_kind::startup, 1, 5));
  exec->script = {fail("not yet"), fail("not yet"), ok()};
  next_attempt();
  next_attempt();
  CHECK(seen().updates.empty());
  next_attempt();
  CHECK(updates() == std::vector<std::string>{"containerd://c1 startup true"});
  CHECK(st().on_hold);
  exec->otherwise = ok();
  pass(10s);
  CHECK(exec->requests.size() == 3);
  CHECK(seen().messages("Unhealthy")
        == std::vector<std::string>{"Startup probe failed: not yet",
                                    "Startup probe failed: not yet"});
}

TEST_CASE_FIXTURE(fixture, "startup: failureThreshold failures decide too, and end the probing") {
  start(plan_of(probe_kind::startup, 1, 2));
  exec->otherwise = fail("refused");
  next_attempt();
  CHECK(seen().updates.empty());
  next_attempt();
  CHECK(updates() == std::vector<std::string>{"containerd://c1 startup false"});
  pass(10s);
  CHECK(exec->requests.size() == 2);
}

TEST_CASE_FIXTURE(fixture, "unknown outcomes neither count nor reset; warnings count as success") {
  start(plan_of(probe_kind::liveness, 1, 2));
  exec->script = {fail("a"), unknown("lost"), unknown("lost"), ok(), warning("redirect"),
                  fail("b"), unknown("lost"), fail("c")};
  for (int i = 0; i < 7; ++i)
    next_attempt();
  // The success and the warning broke the first failure run.
  CHECK(seen().updates.empty());
  CHECK(st().counter->run() == 1);
  next_attempt();
  CHECK(updates() == std::vector<std::string>{"containerd://c1 liveness false"});
  CHECK(seen().messages("Unhealthy")
        == std::vector<std::string>{
          "Liveness probe failed: a",
          "Liveness probe errored and resulted in unknown state: lost",
          "Liveness probe errored and resulted in unknown state: lost",
          "Liveness probe failed: b",
          "Liveness probe errored and resulted in unknown state: lost",
          "Liveness probe failed: c"});
  CHECK(seen().messages("ProbeWarning")
        == std::vector<std::string>{"Liveness probe warning: redirect"});
}

TEST_CASE_FIXTURE(fixture, "a warning makes a readiness probe ready") {
  start(plan_of(probe_kind::readiness, 1));
  exec->script = {warning("redirect to another host")};
  next_attempt();
  CHECK(updates() == std::vector<std::string>{"containerd://c1 readiness true"});
  CHECK(seen().messages("ProbeWarning")
        == std::vector<std::string>{"Readiness probe warning: redirect to another host"});
  CHECK(seen().messages("Unhealthy").empty());
}

TEST_CASE_FIXTURE(fixture, "events name the pod and the container as upstream's") {
  start(plan_of(probe_kind::liveness, 1));
  exec->script = {fail("boom")};
  next_attempt();
  REQUIRE(seen().events.size() == 1);
  const auto& e = seen().events[0];
  CHECK(e.type == "Warning");
  CHECK(e.reason == "Unhealthy");
  CHECK(e.message == "Liveness probe failed: boom");
  CHECK(e.involved.kind == "Pod");
  CHECK(e.involved.api_version == "v1");
  CHECK(e.involved.namespace_ == "default");
  CHECK(e.involved.name == "web");
  CHECK(e.involved.uid == "uid-1");
  CHECK(e.involved.field_path == "spec.containers{app}");
}

TEST_CASE_FIXTURE(fixture, "a tick during a running attempt is skipped; no overlap") {
  auto plan = plan_of(probe_kind::readiness, 1);
  plan.timeout = 10s; // guard after 12 s
  start(plan);
  next_attempt();
  REQUIRE(exec->held.size() == 1);
  pass(5s);
  CHECK(exec->requests.size() == 1);
  // Completed from another thread (here: the test's), as a message.
  exec->otherwise = ok();
  exec->held[0](ok());
  CHECK(seen().updates.empty());
  run();
  CHECK(updates() == std::vector<std::string>{"containerd://c1 readiness true"});
  CHECK(st().attempt == 0);
  // The next attempt comes with the next tick of the old schedule.
  auto wait = next_attempt(2s);
  CHECK(wait <= 1s);
  auto gap = exec->requests[1].at - exec->requests[0].at;
  CHECK(gap > 5s);
  CHECK(gap % 1s == 0s);
  CHECK(next_attempt() == 1s);
  CHECK(stats->attempts == 3);
}

TEST_CASE_FIXTURE(fixture, "an attempt not completed within timeout + 2 s counts as unknown") {
  net::metrics::counter failed, unknowns, successes;
  auto live = static_cast<size_t>(probe_kind::liveness);
  stats->totals[live] = {&successes, &failed, &unknowns};
  auto plan = plan_of(probe_kind::liveness, 10, 1);
  plan.timeout = 1s;
  start(plan);
  next_attempt();
  REQUIRE(exec->held.size() == 1);
  pass(2999ms);
  CHECK(seen().events.empty());
  CHECK(st().attempt == 1);
  pass(1ms);
  CHECK(seen().messages("Unhealthy")
        == std::vector<std::string>{
          "Liveness probe errored and resulted in unknown state: probe did not complete"});
  CHECK(st().attempt == 0);
  CHECK(unknowns.value() == 1);
  // The late completion of that attempt is ignored (a failure would end
  // the liveness probe at threshold 1).
  exec->held[0](fail("late"));
  run();
  CHECK(seen().updates.empty());
  CHECK(seen().events.size() == 1);
  CHECK(failed.value() == 0);
  // The next attempt still runs on schedule and counts.
  exec->script = {fail("now")};
  CHECK(next_attempt() <= 7s);
  CHECK(updates() == std::vector<std::string>{"containerd://c1 liveness false"});
  CHECK(seen().messages("Unhealthy").back() == "Liveness probe failed: now");
  CHECK(failed.value() == 1);
  CHECK(successes.value() == 0);
  CHECK(stats->attempts == 2);
}

TEST_CASE_FIXTURE(fixture, "an attempt completed in time is not counted again by its guard") {
  net::metrics::counter unknowns, successes;
  auto ready = static_cast<size_t>(probe_kind::readiness);
  stats->totals[ready][0] = &successes;
  stats->totals[ready][2] = &unknowns;
  auto plan = plan_of(probe_kind::readiness, 10);
  plan.timeout = 1s;
  start(plan);
  next_attempt();
  exec->held[0](ok());
  run();
  pass(5s);
  CHECK(seen().events.empty());
  CHECK(unknowns.value() == 0);
  CHECK(successes.value() == 1);
}

TEST_CASE_FIXTURE(fixture, "the probe ends when its parent goes down") {
  auto parent = sys->spawn(world);
  auto cfg = config(plan_of(probe_kind::readiness, 1));
  cfg.parent = parent;
  probe = spawn_probe(cfg);
  next_attempt();
  REQUIRE(exec->held.size() == 1);
  CHECK(stats->actors == 1);
  caf::anon_send_exit(parent, caf::exit_reason::user_shutdown);
  run();
  CHECK(stats->actors == 0);
  // Nothing more happens: no attempts, and a late completion is dropped.
  exec->otherwise = ok();
  pass(5s);
  CHECK(exec->requests.size() == 1);
  exec->held[0](ok());
  run();
  CHECK(seen().updates.empty());
}

TEST_CASE_FIXTURE(fixture, "without stats or event recorder the probe still works") {
  auto cfg = config(plan_of(probe_kind::liveness, 1, 1));
  cfg.stats = nullptr;
  cfg.events = caf::actor{};
  probe = spawn_probe(cfg);
  exec->script = {fail("x")};
  next_attempt();
  CHECK(updates() == std::vector<std::string>{"containerd://c1 liveness false"});
  CHECK(seen().events.empty());
  CHECK(stats->attempts == 0);
}
