// The pod manager under virtual time: admission, worker start/stop through
// the supervisor, routing of updates and container events, rejection.
#include "actors/pods/pod_manager.hpp"
#include "actors/pods/status_manager.hpp"
#include "actors/runtime/pleg.hpp"
#include "messages/supervision.hpp"
#include "tests/actors/pods/pod_builders.hpp"
#include "tests/actors/test_fixture.hpp"

#include <doctest/doctest.h>

#include <set>
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

// -- static pods, mirror pods, sources --------------------------------------

namespace {

/// Stands in for the static source, the mirror manager, the status manager
/// and the PLEG:
/// records what it gets; answers `get_atom` with an empty snapshot.
struct peer_state {
  int resyncs = 0;
  int snapshots = 0;
  std::vector<k8s::pod_watch_event> events;
  std::vector<watch_synced> synced;
  std::vector<std::string> forgotten;
  std::vector<pod_status_update> statuses;
  std::vector<std::string> revived;
  std::vector<static_pod_set_ptr> feeds;
  static const char* name;
};
const char* peer_state::name = "peer";

caf::behavior peer(caf::stateful_actor<peer_state>* self) {
  return {
    [self](static_resync_atom) { ++self->state.resyncs; },
    [self](const k8s::pod_watch_event& ev) { self->state.events.push_back(ev); },
    [self](const watch_synced& x) { self->state.synced.push_back(x); },
    [self](pods::status_forget_atom, const std::string& uid) {
      self->state.forgotten.push_back(uid);
    },
    [self](const pod_status_update& x) { self->state.statuses.push_back(x); },
    [self](pods::status_revive_atom, const std::string& uid) {
      self->state.revived.push_back(uid);
    },
    [self](const static_pod_set_ptr& x) { self->state.feeds.push_back(x); },
    [self](caf::get_atom) {
      ++self->state.snapshots;
      return runtime_snapshot{};
    },
  };
}

/// Static pod `name`-edge-1 from a file with UID `uid`.
k8s::pod_ptr static_pod(const std::string& name, const std::string& uid,
                        const std::string& image = "localhost/web:1") {
  auto p = test::make_pod(name + "-edge-1", uid);
  auto c = test::make_container("app");
  c.image = image;
  p.spec.containers.push_back(std::move(c));
  p.metadata.annotations["kubernetes.io/config.source"] = "file";
  p.metadata.annotations["kubernetes.io/config.hash"] = uid;
  p.status.phase = "Pending";
  return std::make_shared<const k8s::pod>(std::move(p));
}

static_pod_set_ptr set_of(std::vector<k8s::pod_ptr> pods, uint64_t generation = 1) {
  auto s = std::make_shared<static_pod_set>();
  for (auto& p : pods)
    s->pods.push_back(static_pod_entry{p, nullptr, "/etc/kubernetes/manifests/x.yaml"});
  s->generation = generation;
  return s;
}

struct static_fixture : fixture {
  caf::actor source = sys->spawn(peer);
  caf::actor mirrors = sys->spawn(peer);
  caf::actor pleg = sys->spawn(peer);
  caf::actor status = sys->spawn(peer);
  std::shared_ptr<pods::pod_board> board = std::make_shared<pods::pod_board>();

  /// The pod manager's settings with the fixture's peers.
  pod_manager_config config() {
    pod_manager_config cfg;
    cfg.pleg = pleg;
    cfg.pods_supervisor = rec;
    cfg.status_manager = status;
    cfg.events = rec;
    cfg.mirrors = mirrors;
    cfg.static_source = source;
    cfg.board = board;
    cfg.node.name = "edge-1";
    cfg.node.max_pods = 110;
    cfg.node.allocatable = {{"cpu", "2"}, {"memory", "4Gi"}, {"pods", "110"}};
    cfg.stats = stats;
    return cfg;
  }

  void start_static(bool api_source = true) {
    auto cfg = config();
    cfg.api_source = api_source;
    mgr = sys->spawn(pod_manager, cfg);
    run();
  }

  ~static_fixture() {
    for (auto& a : {source, mirrors, pleg, status})
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    run();
  }

  void send_set(static_pod_set_ptr s) {
    caf::anon_send(mgr, std::move(s));
    run();
  }

  void done(const std::string& uid) {
    caf::anon_send(mgr, pod_done_atom::value, uid);
    run();
  }

  peer_state& peer_of(const caf::actor& a) {
    return state_of<peer_state>(a);
  }

  std::vector<std::string> started_names() {
    std::vector<std::string> out;
    for (const auto& x : seen().started)
      out.push_back(x.name);
    return out;
  }
};

} // namespace

TEST_CASE_FIXTURE(static_fixture, "static pods get workers; one left out of the next set is removed") {
  start_static();
  CHECK(peer_of(source).resyncs == 1); // asked for the set at start
  auto a = static_pod("a", "uid-a");
  auto b = static_pod("b", "uid-b");
  send_set(set_of({a, b}));
  CHECK(started_names() == std::vector<std::string>{"uid-a", "uid-b"});
  CHECK(seen().started[0].args.get_as<k8s::pod_ptr>(0) == a);
  auto wa = worker_for("uid-a");
  auto wb = worker_for("uid-b");
  // The same set again changes nothing.
  send_set(set_of({a, b}, 2));
  CHECK(seen().started.size() == 2);
  // b is gone from the manifests: its worker is told, a is not touched.
  send_set(set_of({a}, 3));
  CHECK(state_of<worker_state>(wb).removed == std::vector<std::string>{"uid-b"});
  CHECK(state_of<worker_state>(wa).removed.empty());
  CHECK(state_of<worker_state>(wa).updates.size() == 1);
  // The status manager forgets it once its worker is done (its final
  // status goes to its mirror first).
  CHECK(peer_of(status).forgotten.empty());
  done("uid-b");
  CHECK(peer_of(status).forgotten == std::vector<std::string>{"uid-b"});
  REQUIRE(seen().stopped.size() == 1);
  CHECK(seen().stopped[0].name == "uid-b");
  CHECK(seen().started.size() == 2);
}

TEST_CASE_FIXTURE(static_fixture, "a changed static pod waits until its predecessor of the same name is done") {
  start_static();
  auto v1 = static_pod("web", "uid-1", "localhost/web:1");
  auto v2 = static_pod("web", "uid-2", "localhost/web:2");
  send_set(set_of({v1}));
  auto w1 = worker_for("uid-1");
  send_set(set_of({v2}, 2));
  CHECK(state_of<worker_state>(w1).removed == std::vector<std::string>{"uid-1"});
  CHECK(started_names() == std::vector<std::string>{"uid-1"}); // v2 waits
  // The set comes again meanwhile: still waiting.
  send_set(set_of({v2}, 2));
  CHECK(seen().started.size() == 1);
  done("uid-1");
  CHECK(started_names() == std::vector<std::string>{"uid-1", "uid-2"});
  CHECK(seen().started[1].args.get_as<k8s::pod_ptr>(0) == v2);
}

TEST_CASE_FIXTURE(static_fixture, "a waiting static pod removed from the set never starts") {
  start_static();
  auto v1 = static_pod("web", "uid-1", "localhost/web:1");
  auto v2 = static_pod("web", "uid-2", "localhost/web:2");
  auto v3 = static_pod("web", "uid-3", "localhost/web:3");
  send_set(set_of({v1}));
  worker_for("uid-1");
  send_set(set_of({v2}, 2));
  send_set(set_of({v3}, 3)); // v2 never ran; v3 waits instead
  done("uid-1");
  CHECK(started_names() == std::vector<std::string>{"uid-1", "uid-3"});
}

TEST_CASE_FIXTURE(static_fixture, "mirror pods from the watch go to the mirror manager and never run") {
  start_static();
  auto m = test::make_pod("web-edge-1", "mirror-1");
  m.spec.containers.push_back(test::make_container("app"));
  m.metadata.annotations["kubernetes.io/config.mirror"] = "uid-1";
  m.metadata.annotations["kubernetes.io/config.source"] = "file";
  auto mirror = std::make_shared<const k8s::pod>(std::move(m));
  caf::anon_send(mgr, event(k8s::watch_event_type::added, mirror));
  caf::anon_send(mgr, event(k8s::watch_event_type::modified, mirror));
  caf::anon_send(mgr, event(k8s::watch_event_type::deleted, mirror));
  // An ordinary pod is not forwarded.
  caf::anon_send(mgr, event(k8s::watch_event_type::added,
                            test::shared_pod("uid-api", test::make_container("a"))));
  watch_synced synced;
  synced.generation = 1;
  caf::anon_send(mgr, synced);
  run();
  auto& ms = peer_of(mirrors);
  REQUIRE(ms.events.size() == 3);
  CHECK(ms.events[0].type == k8s::watch_event_type::added);
  CHECK(ms.events[0].object == mirror);
  CHECK(ms.events[2].type == k8s::watch_event_type::deleted);
  CHECK(ms.synced.size() == 1); // the sync is forwarded too
  CHECK(started_names() == std::vector<std::string>{"uid-api"});
  CHECK(peer_of(status).statuses.empty());
  CHECK(peer_of(status).forgotten.empty());
}

TEST_CASE_FIXTURE(static_fixture, "orphans are looked for only once the watch and the static source synced") {
  start_static();
  watch_synced synced;
  synced.generation = 1;
  caf::anon_send(mgr, synced);
  run();
  CHECK(peer_of(pleg).snapshots == 0); // static source not yet
  send_set(set_of({}));
  CHECK(peer_of(pleg).snapshots == 1);
  send_set(set_of({static_pod("a", "uid-a")}, 2));
  caf::anon_send(mgr, synced);
  run();
  CHECK(peer_of(pleg).snapshots == 1); // once
}

TEST_CASE_FIXTURE(static_fixture, "orphans: the static set first, then the watch sync") {
  start_static();
  send_set(set_of({static_pod("a", "uid-a")}));
  CHECK(peer_of(pleg).snapshots == 0);
  watch_synced synced;
  synced.generation = 1;
  caf::anon_send(mgr, synced);
  run();
  CHECK(peer_of(pleg).snapshots == 1);
}

TEST_CASE_FIXTURE(static_fixture, "standalone (no API source): the static set alone allows the orphan lookup") {
  start_static(false);
  CHECK(peer_of(pleg).snapshots == 0);
  send_set(set_of({}));
  CHECK(peer_of(pleg).snapshots == 1);
}

TEST_CASE_FIXTURE(static_fixture, "pod_done erases the board entry; a static pod added back is revived") {
  start_static();
  auto a = static_pod("a", "uid-a");
  auto status = std::make_shared<const k8s::pod_status>();
  send_set(set_of({a}));
  worker_for("uid-a");
  board->put(a, status);
  CHECK(board->size() == 1);
  send_set(set_of({}, 2));
  done("uid-a");
  CHECK(board->size() == 0);
  board->put(a, status); // a late status: ignored
  CHECK(board->size() == 0);
  // The manifest is back (same content, same UID): runs again.
  send_set(set_of({a}, 3));
  CHECK(started_names() == std::vector<std::string>{"uid-a", "uid-a"});
  board->put(a, status);
  CHECK(board->size() == 1);
}

// A static pod removed from the set and added back (same manifest, same
// UID) before its worker finished waits for that worker and then runs again.
TEST_CASE_FIXTURE(static_fixture, "a static pod added back before its worker finished runs again") {
  start_static();
  auto a = static_pod("a", "uid-a");
  send_set(set_of({a}));
  worker_for("uid-a");
  send_set(set_of({}, 2)); // removed: the worker starts terminating
  send_set(set_of({a}, 3)); // back before it is done
  done("uid-a");
  CHECK(seen().started.size() == 2);
}

// -- API pods vs static pods, status forget/revive, the mirror feed ---------

namespace {

/// An API pod `name` (as the watch shows it) with UID `uid`; `source`
/// non-empty: it carries that kubernetes.io/config.source annotation.
k8s::pod_ptr api_pod(const std::string& name, const std::string& uid,
                     const std::string& source = {}) {
  auto p = test::make_pod(name, uid);
  p.spec.containers.push_back(test::make_container("app"));
  if (!source.empty())
    p.metadata.annotations["kubernetes.io/config.source"] = source;
  return std::make_shared<const k8s::pod>(std::move(p));
}

/// Static pod `name`-edge-1 asking for more cpu than the node has.
k8s::pod_ptr big_static_pod(const std::string& name, const std::string& uid) {
  auto p = *static_pod(name, uid);
  p.spec.containers[0].resources.requests = {{"cpu", "3"}};
  return std::make_shared<const k8s::pod>(std::move(p));
}

std::string source_of(const k8s::pod_ptr& p) {
  REQUIRE(p);
  auto i = p->metadata.annotations.find("kubernetes.io/config.source");
  return i == p->metadata.annotations.end() ? std::string{} : i->second;
}

std::vector<std::string> uids_of(const static_pod_set_ptr& s) {
  std::vector<std::string> out;
  REQUIRE(s);
  for (const auto& p : s->pods)
    out.push_back(p.pod->metadata.uid);
  return out;
}

/// Records, in arrival order, what the manager sends to the pods
/// supervisor and the status manager when both are this actor.
struct sequence_state {
  std::vector<std::string> seen;
  static const char* name;
};
const char* sequence_state::name = "sequence";

caf::behavior sequence(caf::stateful_actor<sequence_state>* self) {
  return {
    [self](const start_child& x) { self->state.seen.push_back("start:" + x.name); },
    [self](const stop_child& x) { self->state.seen.push_back("stop:" + x.name); },
    [self](pods::status_forget_atom, const std::string& uid) {
      self->state.seen.push_back("forget:" + uid);
    },
    [self](pods::status_revive_atom, const std::string& uid) {
      self->state.seen.push_back("revive:" + uid);
    },
    [self](const pod_status_update& x) {
      self->state.seen.push_back("status:" + x.pod->metadata.uid);
    },
  };
}

struct feed_fixture : static_fixture {
  caf::actor seq = sys->spawn(sequence);
  caf::actor asker = sys->spawn(peer);

  ~feed_fixture() {
    for (auto& a : {seq, asker})
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    run();
  }

  void start_with(pod_manager_config cfg) {
    mgr = sys->spawn(pod_manager, std::move(cfg));
    run();
  }

  /// The pods supervisor and the status manager are `seq`.
  void start_sequenced() {
    auto cfg = config();
    cfg.pods_supervisor = seq;
    cfg.status_manager = seq;
    start_with(cfg);
  }

  std::vector<std::string>& sequence_seen() {
    return state_of<sequence_state>(seq).seen;
  }

  std::vector<static_pod_set_ptr>& feeds() {
    return peer_of(mirrors).feeds;
  }

  /// Sends `static_resync_atom` as `asker`; what it got back.
  std::vector<static_pod_set_ptr>& resync() {
    caf::send_as(asker, mgr, static_resync_atom::value);
    run();
    return peer_of(asker).feeds;
  }

  void send_event(k8s::watch_event_type t, k8s::pod_ptr p) {
    caf::anon_send(mgr, event(t, std::move(p)));
    run();
  }
};

} // namespace

TEST_CASE_FIXTURE(feed_fixture, "an API pod carrying config.source=file runs as an API pod") {
  start_static();
  auto web = static_pod("web", "uid-1");
  send_set(set_of({web}));
  worker_for("uid-1");
  // Same name as the static pod, and a file source claimed by the API.
  auto api = api_pod("web-edge-1", "uid-api", "file");
  send_event(k8s::watch_event_type::added, api);
  // Not serialized behind the static pod of its name: it starts at once,
  // as a copy marked "api" (the watch's object is untouched).
  CHECK(started_names() == std::vector<std::string>{"uid-1", "uid-api"});
  auto ran = seen().started.at(1).args.get_as<k8s::pod_ptr>(0);
  CHECK(ran != api);
  CHECK(source_of(ran) == "api");
  CHECK(source_of(api) == "file");
  auto w = worker_for("uid-api");
  auto& ws = state_of<worker_state>(w);
  REQUIRE(ws.updates.size() == 1);
  CHECK(source_of(ws.updates[0]) == "api");
  // Its updates are marked likewise.
  send_event(k8s::watch_event_type::modified, with_phase(api, "Running"));
  REQUIRE(ws.updates.size() == 2);
  CHECK(source_of(ws.updates[1]) == "api");
  CHECK(ws.updates[1]->status.phase == "Running");
  // It gets no mirror.
  REQUIRE(!feeds().empty());
  CHECK(uids_of(feeds().back()) == std::vector<std::string>{"uid-1"});
  auto fed = feeds().size();
  // Deleted on the API server: forgotten at once, as an API pod.
  send_event(k8s::watch_event_type::deleted, with_phase(api, "Running"));
  CHECK(ws.removed == std::vector<std::string>{"uid-api"});
  CHECK(peer_of(status).forgotten == std::vector<std::string>{"uid-api"});
  done("uid-api");
  CHECK(peer_of(status).forgotten == std::vector<std::string>{"uid-api"});
  CHECK(feeds().size() == fed);
  CHECK(peer_of(status).revived.empty());
}

TEST_CASE_FIXTURE(feed_fixture, "an API pod named like a static pod does not make it wait") {
  start_static();
  send_event(k8s::watch_event_type::added, api_pod("web-edge-1", "uid-api"));
  send_event(k8s::watch_event_type::added, api_pod("db-edge-1", "uid-api-db", "file"));
  worker_for("uid-api");
  worker_for("uid-api-db");
  send_set(set_of({static_pod("web", "uid-web"), static_pod("db", "uid-db")}));
  CHECK(started_names()
        == std::vector<std::string>{"uid-api", "uid-api-db", "uid-web", "uid-db"});
}

TEST_CASE_FIXTURE(feed_fixture, "an API pod still terminating does not hold a static pod of its name") {
  start_static();
  auto api = api_pod("web-edge-1", "uid-api", "file");
  send_event(k8s::watch_event_type::added, api);
  worker_for("uid-api");
  // Deleted (the watch's object still says "file"); its worker terminates.
  send_event(k8s::watch_event_type::deleted, api);
  send_set(set_of({static_pod("web", "uid-web")}));
  CHECK(started_names() == std::vector<std::string>{"uid-api", "uid-web"});
  REQUIRE(!feeds().empty());
  CHECK(uids_of(feeds().back()) == std::vector<std::string>{"uid-web"});
}

TEST_CASE_FIXTURE(feed_fixture, "a waiting static pod starts when its rejected predecessor is removed") {
  start_static();
  auto big = big_static_pod("web", "uid-1");
  auto v2 = static_pod("web", "uid-2");
  // Two manifests with one pod name: the first is rejected, the second
  // waits for it.
  send_set(set_of({big, v2}));
  CHECK(seen().started.empty());
  REQUIRE(peer_of(status).statuses.size() == 1);
  CHECK(peer_of(status).statuses[0].pod->metadata.uid == "uid-1");
  CHECK(peer_of(status).statuses[0].status->reason == "OutOfcpu");
  REQUIRE(feeds().size() == 1); // neither rejected nor waiting pods have one
  CHECK(feeds()[0]->pods.empty());
  // The rejected one's manifest goes: it had no worker, so it is forgotten
  // at once, and the waiting one starts.
  send_set(set_of({v2}, 2));
  CHECK(started_names() == std::vector<std::string>{"uid-2"});
  CHECK(seen().started.at(0).args.get_as<k8s::pod_ptr>(0) == v2);
  CHECK(peer_of(status).forgotten == std::vector<std::string>{"uid-1"});
  REQUIRE(feeds().size() == 2);
  CHECK(uids_of(feeds()[1]) == std::vector<std::string>{"uid-2"});
}

TEST_CASE_FIXTURE(feed_fixture, "a static pod is forgotten when its worker is done; it is revived before it runs again") {
  start_sequenced();
  auto a = static_pod("a", "uid-a");
  send_set(set_of({a}));
  worker_for("uid-a");
  CHECK(sequence_seen() == std::vector<std::string>{"start:uid-a"}); // new: no revive
  send_set(set_of({}, 2));
  CHECK(sequence_seen().size() == 1); // removed, still terminating: kept
  done("uid-a");
  REQUIRE(sequence_seen().size() == 3);
  CHECK(std::set<std::string>{sequence_seen()[1], sequence_seen()[2]}
        == std::set<std::string>{"forget:uid-a", "stop:uid-a"});
  // The same manifest again (same UID): revived, then started.
  send_set(set_of({a}, 3));
  REQUIRE(sequence_seen().size() == 5);
  CHECK(sequence_seen()[3] == "revive:uid-a");
  CHECK(sequence_seen()[4] == "start:uid-a");
  // API pods are forgotten at removal, never revived.
  auto api = api_pod("api", "uid-api");
  send_event(k8s::watch_event_type::added, api);
  worker_for("uid-api");
  send_event(k8s::watch_event_type::deleted, api);
  REQUIRE(sequence_seen().size() == 7);
  CHECK(sequence_seen()[5] == "start:uid-api");
  CHECK(sequence_seen()[6] == "forget:uid-api");
  done("uid-api");
  REQUIRE(sequence_seen().size() == 8);
  CHECK(sequence_seen()[7] == "stop:uid-api");
}

TEST_CASE_FIXTURE(feed_fixture, "a static pod put back before its worker finished is revived when it is done") {
  start_sequenced();
  auto a = static_pod("a", "uid-a");
  send_set(set_of({a}));
  worker_for("uid-a");
  send_set(set_of({}, 2));
  send_set(set_of({a}, 3)); // back while terminating: waits
  CHECK(sequence_seen() == std::vector<std::string>{"start:uid-a"});
  done("uid-a");
  REQUIRE(sequence_seen().size() == 5);
  CHECK(std::set<std::string>{sequence_seen()[1], sequence_seen()[2]}
        == std::set<std::string>{"forget:uid-a", "stop:uid-a"});
  CHECK(sequence_seen()[3] == "revive:uid-a");
  CHECK(sequence_seen()[4] == "start:uid-a");
}

TEST_CASE_FIXTURE(feed_fixture, "the mirror manager gets the static pods that have a worker") {
  start_static();
  CHECK(feeds().empty()); // nothing before the static source's first set
  auto a = static_pod("a", "uid-a");
  auto b = static_pod("b", "uid-b");
  send_set(set_of({b, a}));
  REQUIRE(feeds().size() == 1);
  CHECK(feeds()[0]->generation == 1);
  CHECK(feeds()[0]->source == mgr.id());
  REQUIRE(uids_of(feeds()[0]) == std::vector<std::string>{"uid-a", "uid-b"});
  CHECK(feeds()[0]->pods[0].pod == a);
  CHECK(feeds()[0]->pods[0].file == "/etc/kubernetes/manifests/x.yaml");
  worker_for("uid-a");
  worker_for("uid-b");
  // The same pods again: no new feed.
  send_set(set_of({a, b}, 2));
  CHECK(feeds().size() == 1);
  // b leaves the manifests; it keeps its mirror while it terminates.
  send_set(set_of({a}, 3));
  CHECK(feeds().size() == 1);
  done("uid-b");
  REQUIRE(feeds().size() == 2);
  CHECK(feeds()[1]->generation == 2);
  CHECK(feeds()[1]->source == mgr.id());
  CHECK(uids_of(feeds()[1]) == std::vector<std::string>{"uid-a"});
  // a changes: the new version waits (no mirror yet), the old one keeps
  // its mirror until done, then the new one has it.
  auto a2 = static_pod("a", "uid-a2", "localhost/web:2");
  send_set(set_of({a2}, 4));
  CHECK(feeds().size() == 2);
  done("uid-a");
  REQUIRE(feeds().size() == 3);
  CHECK(feeds()[2]->generation == 3);
  CHECK(uids_of(feeds()[2]) == std::vector<std::string>{"uid-a2"});
  CHECK(feeds()[2]->pods[0].pod == a2);
  // A rejected static pod has none.
  send_set(set_of({a2, big_static_pod("c", "uid-c")}, 5));
  CHECK(peer_of(status).statuses.size() == 1);
  CHECK(feeds().size() == 3);
  // API pods never change it.
  send_event(k8s::watch_event_type::added, api_pod("api", "uid-api"));
  CHECK(feeds().size() == 3);
}

TEST_CASE_FIXTURE(feed_fixture, "static_resync_atom is answered with the current feed") {
  start_static();
  CHECK(resync().empty()); // nothing known yet
  send_set(set_of({static_pod("a", "uid-a")}));
  REQUIRE(feeds().size() == 1);
  REQUIRE(resync().size() == 1);
  CHECK(peer_of(asker).feeds[0] == feeds().back());
  CHECK(feeds().size() == 1); // only the asker got it
  send_set(set_of({}, 2)); // removed; terminating: unchanged
  REQUIRE(resync().size() == 2);
  CHECK(uids_of(peer_of(asker).feeds[1]) == std::vector<std::string>{"uid-a"});
  done("uid-a");
  REQUIRE(resync().size() == 3);
  CHECK(peer_of(asker).feeds[2] == feeds().back());
  CHECK(peer_of(asker).feeds[2]->pods.empty());
  CHECK(peer_of(asker).feeds[2]->generation == 2);
}

TEST_CASE_FIXTURE(feed_fixture, "without a static source an empty feed is sent at start") {
  auto cfg = config();
  cfg.static_source = nullptr;
  start_with(cfg);
  REQUIRE(feeds().size() == 1);
  CHECK(feeds()[0]->pods.empty());
  CHECK(feeds()[0]->generation == 1);
  CHECK(feeds()[0]->source == mgr.id());
  CHECK(peer_of(source).resyncs == 0);
  send_event(k8s::watch_event_type::added, api_pod("api", "uid-api", "file"));
  CHECK(started_names() == std::vector<std::string>{"uid-api"});
  CHECK(feeds().size() == 1);
  REQUIRE(resync().size() == 1);
  CHECK(peer_of(asker).feeds[0] == feeds()[0]);
}

TEST_CASE_FIXTURE(feed_fixture, "an older static set is ignored") {
  start_static();
  auto a = static_pod("a", "uid-a");
  auto b = static_pod("b", "uid-b");
  send_set(set_of({a}, 5));
  // A resync answer overtook these: older or equal generations change
  // nothing.
  send_set(set_of({a, b}, 3));
  send_set(set_of({a, b}, 5));
  send_set(set_of({}, 4));
  CHECK(started_names() == std::vector<std::string>{"uid-a"});
  CHECK(seen().stopped.empty());
  REQUIRE(feeds().size() == 1);
  CHECK(uids_of(feeds()[0]) == std::vector<std::string>{"uid-a"});
  // A newer one applies.
  send_set(set_of({a, b}, 6));
  CHECK(started_names() == std::vector<std::string>{"uid-a", "uid-b"});
  // Another sender (a restarted static source) counts on its own.
  auto other = std::make_shared<static_pod_set>();
  other->pods.push_back(static_pod_entry{a, nullptr, "/etc/kubernetes/manifests/x.yaml"});
  other->generation = 1;
  other->source = 42;
  auto wb = worker_for("uid-b");
  send_set(other);
  CHECK(state_of<worker_state>(wb).removed == std::vector<std::string>{"uid-b"});
}
