// The pod manager under virtual time: admission, worker start/stop through
// the supervisor, routing of updates and container events, rejection.
#include "actors/pods/pod_manager.hpp"
#include "actors/runtime/pleg.hpp"
#include "messages/supervision.hpp"
#include "tests/actors/pods/pod_builders.hpp"
#include "tests/actors/test_fixture.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace cafelet;
using namespace cafelet::actors;

namespace {

/// Records what the manager sends to the supervisor, status manager and
/// event recorder.
struct recorder_state {
  std::vector<start_child> started;
  std::vector<stop_child> stopped;
  std::vector<pod_status_update> statuses;
  std::vector<record_event> events;
  static const char* name;
};
const char* recorder_state::name = "recorder";

caf::behavior recorder(caf::stateful_actor<recorder_state>* self) {
  return {
    [self](const start_child& x) { self->state.started.push_back(x); },
    [self](const stop_child& x) { self->state.stopped.push_back(x); },
    [self](const pod_status_update& x) { self->state.statuses.push_back(x); },
    [self](const record_event& x) { self->state.events.push_back(x); },
  };
}

/// A stand-in pod worker: says hello, records what it gets.
struct worker_state {
  std::vector<k8s::pod_ptr> updates;
  std::vector<std::string> removed;
  std::vector<container_event> events;
  static const char* name;
};
const char* worker_state::name = "worker";

caf::behavior fake_worker(caf::stateful_actor<worker_state>* self,
                          caf::actor manager, std::string uid) {
  self->request(manager, caf::infinite, pod_hello_atom::value, uid)
    .then([self](pod_update_atom, k8s::pod_ptr p) {
      self->state.updates.push_back(std::move(p));
    });
  return {
    [self](pod_update_atom, k8s::pod_ptr p) {
      self->state.updates.push_back(std::move(p));
    },
    [self](pod_removed_atom, const std::string& uid) {
      self->state.removed.push_back(uid);
    },
    [self](const container_event& ev) { self->state.events.push_back(ev); },
  };
}

k8s::pod_watch_event event(k8s::watch_event_type t, k8s::pod_ptr p) {
  k8s::pod_watch_event ev;
  ev.type = t;
  ev.object = std::move(p);
  return ev;
}

k8s::pod_ptr with_phase(k8s::pod_ptr p, std::string phase) {
  auto copy = *p;
  copy.status.phase = std::move(phase);
  return std::make_shared<const k8s::pod>(std::move(copy));
}

struct fixture : cafelet::testing::deterministic_fixture {
  caf::actor rec = sys->spawn(recorder);
  std::shared_ptr<pod_manager_stats> stats = std::make_shared<pod_manager_stats>();
  caf::actor mgr;
  std::vector<caf::actor> workers;

  caf::actor pleg_actor;

  void start(int64_t max_pods = 110) {
    pod_manager_config cfg;
    cfg.pleg = pleg_actor;
    cfg.pods_supervisor = rec;
    cfg.status_manager = rec;
    cfg.events = rec;
    cfg.node.name = "edge-1";
    cfg.node.max_pods = max_pods;
    cfg.node.allocatable = {{"cpu", "2"}, {"memory", "4Gi"}, {"pods", std::to_string(max_pods)}};
    cfg.stats = stats;
    mgr = sys->spawn(pod_manager, cfg);
    run();
  }

  recorder_state& seen() {
    return state_of<recorder_state>(rec);
  }

  caf::actor worker_for(const std::string& uid) {
    auto w = sys->spawn(fake_worker, mgr, uid);
    workers.push_back(w);
    run();
    return w;
  }

  ~fixture() {
    for (auto& w : workers)
      caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(mgr, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(rec, caf::exit_reason::user_shutdown);
    run();
  }
};

} // namespace

TEST_CASE_FIXTURE(fixture, "an admitted pod gets a worker that receives its updates and events") {
  start();
  auto pod = test::shared_pod("uid-1", test::make_container("app"));
  caf::anon_send(mgr, event(k8s::watch_event_type::added, pod));
  run();
  REQUIRE(seen().started.size() == 1);
  CHECK(seen().started[0].kind == "pod");
  CHECK(seen().started[0].name == "uid-1");
  CHECK(seen().started[0].policy == restart_policy::transient);
  REQUIRE(seen().started[0].args.match_elements<k8s::pod_ptr>());
  CHECK(seen().started[0].args.get_as<k8s::pod_ptr>(0) == pod);
  // The worker says hello and gets the newest pod.
  auto w = worker_for("uid-1");
  auto& ws = state_of<worker_state>(w);
  REQUIRE(ws.updates.size() == 1);
  CHECK(ws.updates[0] == pod);
  // Updates and container events are routed to it.
  auto newer = with_phase(pod, "Running");
  caf::anon_send(mgr, event(k8s::watch_event_type::modified, newer));
  caf::anon_send(mgr, container_event{"uid-1", container_event_type::died, "c1",
                                      "app", 3, "Error", 0, ""});
  run();
  REQUIRE(ws.updates.size() == 2);
  CHECK(ws.updates[1] == newer);
  REQUIRE(ws.events.size() == 1);
  CHECK(ws.events[0].exit_code == 3);
  CHECK(stats->routed_events == 1);
  // Deleted from the API server: the worker is told, and once it is done
  // the manager stops it and forgets the pod.
  caf::anon_send(mgr, event(k8s::watch_event_type::deleted, newer));
  run();
  REQUIRE(ws.removed.size() == 1);
  caf::anon_send(mgr, pod_done_atom::value, std::string{"uid-1"});
  run();
  REQUIRE(seen().stopped.size() == 1);
  CHECK(seen().stopped[0].name == "uid-1");
  caf::anon_send(mgr, container_event{"uid-1", container_event_type::removed,
                                      "c1", "app", 0, "", 0, ""});
  run();
  CHECK(stats->orphan_events == 1);
}

TEST_CASE_FIXTURE(fixture, "over maxPods a pod is rejected with OutOfpods, Failed status and event") {
  start(1);
  caf::anon_send(mgr, event(k8s::watch_event_type::added,
                            test::shared_pod("uid-1", test::make_container("a"))));
  caf::anon_send(mgr, event(k8s::watch_event_type::added,
                            test::shared_pod("uid-2", test::make_container("b"))));
  run();
  CHECK(seen().started.size() == 1);
  REQUIRE(seen().statuses.size() == 1);
  auto& st = seen().statuses[0];
  CHECK(st.final);
  CHECK(st.pod->metadata.uid == "uid-2");
  CHECK(st.status->phase == "Failed");
  CHECK(st.status->reason == "OutOfpods");
  REQUIRE(seen().events.size() == 1);
  CHECK(seen().events[0].type == "Warning");
  CHECK(seen().events[0].reason == "OutOfpods");
  CHECK(seen().events[0].involved.uid == "uid-2");
  CHECK(stats->rejected == 1);
  // A rejected pod that is deleted is simply forgotten.
  caf::anon_send(mgr, event(k8s::watch_event_type::deleted,
                            test::shared_pod("uid-2", test::make_container("b"))));
  run();
  CHECK(seen().stopped.empty());
}

TEST_CASE_FIXTURE(fixture, "a pod asking for more cpu than allocatable is rejected with OutOfcpu") {
  start();
  auto big = test::shared_pod("uid-1", test::make_container("a", {{"cpu", "3"}}));
  caf::anon_send(mgr, event(k8s::watch_event_type::added, big));
  run();
  CHECK(seen().started.empty());
  REQUIRE(seen().statuses.size() == 1);
  CHECK(seen().statuses[0].status->reason == "OutOfcpu");
}

TEST_CASE_FIXTURE(fixture, "finished pods are not started; unknown workers are told to clean up") {
  start();
  auto done = with_phase(test::shared_pod("uid-1", test::make_container("a")), "Succeeded");
  caf::anon_send(mgr, event(k8s::watch_event_type::added, done));
  run();
  CHECK(seen().started.empty());
  // A worker the manager does not know (e.g. the manager restarted and the
  // pod is gone) learns that its pod was removed.
  auto w = worker_for("uid-9");
  auto& ws = state_of<worker_state>(w);
  REQUIRE(ws.updates.size() == 1);
  CHECK(ws.updates[0] == nullptr);
  REQUIRE(ws.removed.size() == 1);
  CHECK(ws.removed[0] == "uid-9");
}

TEST_CASE_FIXTURE(fixture, "a pod removed before its worker said hello is removed on hello") {
  start();
  auto pod = test::shared_pod("uid-1", test::make_container("a"));
  caf::anon_send(mgr, event(k8s::watch_event_type::added, pod));
  caf::anon_send(mgr, event(k8s::watch_event_type::deleted, pod));
  run();
  auto w = worker_for("uid-1");
  auto& ws = state_of<worker_state>(w);
  CHECK(ws.updates.size() == 1);
  REQUIRE(ws.removed.size() == 1);
}

TEST_CASE_FIXTURE(fixture, "pods running here but no longer bound here are cleaned up after the first sync") {
  // The runtime runs two pods: one the API server still binds here, and
  // an orphan; a finished pod known to the API server is left alone too.
  pleg_actor = sys->spawn([](caf::event_based_actor*) -> caf::behavior {
    return {[](caf::get_atom) {
      runtime_snapshot snap;
      for (auto uid : {"uid-1", "uid-orphan", "uid-done"}) {
        runtime_pod p;
        p.uid = uid;
        p.name = std::string{"p-"} + uid;
        p.ns = "default";
        runtime_sandbox sb;
        sb.id = std::string{"sb-"} + uid;
        sb.pod_uid = uid;
        p.sandboxes.push_back(sb);
        snap.pods.push_back(std::move(p));
      }
      return snap;
    }};
  });
  start();
  caf::anon_send(mgr, event(k8s::watch_event_type::added,
                            test::shared_pod("uid-1", test::make_container("a"))));
  caf::anon_send(mgr, event(k8s::watch_event_type::added,
                            with_phase(test::shared_pod("uid-done", test::make_container("a")),
                                       "Succeeded")));
  watch_synced synced;
  synced.generation = 1;
  caf::anon_send(mgr, synced);
  run();
  REQUIRE(seen().started.size() == 2);
  CHECK(seen().started[0].name == "uid-1");
  CHECK(seen().started[1].name == "uid-orphan");
  // The orphan's worker learns at hello that its pod is gone.
  auto w = worker_for("uid-orphan");
  auto& ws = state_of<worker_state>(w);
  REQUIRE(ws.removed.size() == 1);
  // Later syncs do not look again.
  caf::anon_send(mgr, synced);
  run();
  CHECK(seen().started.size() == 2);
  caf::anon_send_exit(pleg_actor, caf::exit_reason::user_shutdown);
}
