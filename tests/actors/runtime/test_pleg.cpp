// The PLEG actor under virtual time with a scripted runtime.
#include "actors/runtime/pleg.hpp"
#include "messages/api.hpp"
#include "messages/errors.hpp"
#include "messages/pods.hpp"
#include "runtime/cri/client.hpp"
#include "tests/actors/test_fixture.hpp"

#include <doctest/doctest.h>

#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

using namespace cafelet;
using namespace cafelet::actors;
using namespace std::chrono_literals;

namespace {

using rcs = runtime_container_state;
using rss = runtime_sandbox_state;
using et = container_event_type;

/// Answers from a script; with `hold` it keeps the callbacks until
/// `release()` (a stuck runtime). Answers reflect the script at answer time.
class scripted_source : public pleg_source {
public:
  std::vector<runtime_sandbox> sandboxes;
  std::vector<runtime_container> containers;
  /// ContainerStatus answers by ID; missing IDs fail with not_found.
  std::map<std::string, caf::expected<runtime_container>> statuses;
  /// When set, ListContainers fails with it.
  caf::error list_error;
  bool hold = false;
  std::vector<std::function<void()>> held;
  int list_calls = 0;
  std::vector<std::string> status_calls;

  void list_sandboxes(callback<std::vector<runtime_sandbox>> cb) override {
    ++list_calls;
    answer([this, cb] { cb(sandboxes); });
  }

  void list_containers(callback<std::vector<runtime_container>> cb) override {
    ++list_calls;
    answer([this, cb] {
      if (list_error)
        cb(list_error);
      else
        cb(containers);
    });
  }

  void container_status(const std::string& id,
                        callback<runtime_container> cb) override {
    status_calls.push_back(id);
    answer([this, cb, id] {
      auto i = statuses.find(id);
      if (i == statuses.end())
        cb(make_error(errc::not_found, "no such container"));
      else
        cb(i->second);
    });
  }

  void release() {
    auto xs = std::move(held);
    held.clear();
    for (auto& f : xs)
      f();
  }

  runtime_container& container(const std::string& id) {
    for (auto& c : containers)
      if (c.id == id)
        return c;
    FAIL("no container " << id);
    throw std::logic_error("unreachable");
  }

private:
  void answer(std::function<void()> f) {
    if (hold)
      held.push_back(std::move(f));
    else
      f();
  }
};

runtime_sandbox sandbox(std::string id, std::string uid, rss state,
                        int64_t created, uint32_t attempt = 0) {
  runtime_sandbox x;
  x.id = std::move(id);
  x.pod_uid = std::move(uid);
  x.pod_name = "web";
  x.pod_namespace = "default";
  x.state = state;
  x.created_at_ns = created;
  x.attempt = attempt;
  return x;
}

runtime_container container(std::string id, std::string sandbox_id,
                            std::string uid, std::string name, rcs state,
                            int64_t created, int32_t restarts = 0) {
  runtime_container x;
  x.id = std::move(id);
  x.sandbox_id = std::move(sandbox_id);
  x.pod_uid = std::move(uid);
  x.name = std::move(name);
  x.state = state;
  x.created_at_ns = created;
  x.restart_count = restarts;
  x.attempt = static_cast<uint32_t>(restarts);
  x.image = "localhost/busybox:ci";
  x.image_ref = "sha256:abc";
  return x;
}

/// A ContainerStatus answer for an exited container.
runtime_container exited(const runtime_container& listed, int32_t code,
                         std::string reason, int64_t finished) {
  auto x = listed;
  x.state = rcs::exited;
  x.exit_code = code;
  x.reason = std::move(reason);
  x.started_at_ns = listed.created_at_ns + 1;
  x.finished_at_ns = finished;
  x.inspected = true;
  return x;
}

/// Collects what the PLEG sends.
struct sink_state {
  std::vector<container_event> events;
  std::vector<readiness_update> health;
  static const char* name;
};
const char* sink_state::name = "pleg-sink";

caf::behavior sink(caf::stateful_actor<sink_state>* self) {
  return {
    [self](const container_event& x) { self->state.events.push_back(x); },
    [self](const readiness_update& x) { self->state.health.push_back(x); },
  };
}

struct fixture : cafelet::testing::deterministic_fixture {
  std::shared_ptr<scripted_source> src = std::make_shared<scripted_source>();
  std::shared_ptr<pleg_stats> stats = std::make_shared<pleg_stats>();
  caf::actor out = sys->spawn(sink);
  caf::actor actor;

  void start() {
    pleg_config cfg;
    cfg.consumer = out;
    cfg.node_status = out;
    cfg.stats = stats;
    actor = sys->spawn(pleg, src, cfg);
    run();
  }

  std::vector<container_event>& events() {
    return state_of<sink_state>(out).events;
  }

  std::vector<readiness_update>& health() {
    return state_of<sink_state>(out).health;
  }

  /// Events received since the last call.
  std::vector<container_event> take() {
    auto xs = std::move(events());
    events().clear();
    return xs;
  }

  template <class T, class... Ts>
  T ask(Ts... xs) {
    auto result = deterministic_fixture::ask<T>(actor, xs...);
    REQUIRE(result);
    return *result;
  }

  /// One running pod "p1" with sandbox s1 and container c1 ("app").
  void one_pod() {
    src->sandboxes.push_back(sandbox("s1", "p1", rss::ready, 100));
    src->containers.push_back(
      container("c1", "s1", "p1", "app", rcs::running, 200));
  }

  ~fixture() {
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(out, caf::exit_reason::user_shutdown);
    run();
  }
};

} // namespace

TEST_CASE_FIXTURE(fixture, "the first relist reports running containers as started") {
  one_pod();
  src->containers.push_back(
    container("c2", "s1", "p1", "sidecar", rcs::created, 300));
  src->sandboxes.push_back(sandbox("s9", "p9", rss::ready, 100));
  src->containers.push_back(
    container("c9", "s9", "p9", "db", rcs::running, 150));
  start();
  auto xs = take();
  REQUIRE(xs.size() == 2);
  CHECK(xs[0].pod_uid == "p1");
  CHECK(xs[0].type == et::started);
  CHECK(xs[0].id == "c1");
  CHECK(xs[0].name == "app");
  CHECK(xs[1].pod_uid == "p9");
  CHECK(xs[1].id == "c9");
  CHECK(src->status_calls.empty()); // only died containers are inspected
  CHECK(stats->relists == 1);
  CHECK(stats->events == 2);
  CHECK(stats->pods == 2);
  CHECK(stats->containers == 3);
  REQUIRE(health().size() == 1);
  CHECK(health()[0].component == "pleg");
  CHECK(health()[0].ready);
  CHECK(health()[0].message.empty());
}

TEST_CASE_FIXTURE(fixture, "exits carry exit code and reason from ContainerStatus") {
  one_pod();
  src->containers.push_back(
    container("c2", "s1", "p1", "hog", rcs::running, 300));
  start();
  CHECK(take().size() == 2);
  src->container("c1").state = rcs::exited;
  src->statuses.emplace("c1", exited(src->container("c1"), 3, "Error", 5000));
  advance(1s);
  auto xs = take();
  REQUIRE(xs.size() == 1);
  CHECK(xs[0].type == et::died);
  CHECK(xs[0].id == "c1");
  CHECK(xs[0].name == "app");
  CHECK(xs[0].exit_code == 3);
  CHECK(xs[0].reason == "Error");
  CHECK(xs[0].finished_at_ns == 5000);
  CHECK(src->status_calls == std::vector<std::string>{"c1"});
  src->container("c2").state = rcs::exited;
  src->statuses.emplace("c2", exited(src->container("c2"), 137, "OOMKilled", 6000));
  advance(1s);
  xs = take();
  REQUIRE(xs.size() == 1);
  CHECK(xs[0].id == "c2");
  CHECK(xs[0].exit_code == 137);
  CHECK(xs[0].reason == "OOMKilled");
  // Later relists keep the details without asking again.
  advance(1s);
  advance(1s);
  CHECK(take().empty());
  CHECK(src->status_calls.size() == 2);
  auto pod = ask<runtime_pod>(caf::get_atom::value, std::string{"p1"});
  REQUIRE(pod.containers.size() == 2);
  CHECK(pod.containers[1].id == "c1");
  CHECK(pod.containers[1].inspected);
  CHECK(pod.containers[1].exit_code == 3);
  CHECK(pod.containers[1].reason == "Error");
  CHECK(pod.containers[1].started_at_ns == 201);
  CHECK(pod.containers[1].finished_at_ns == 5000);
  CHECK(pod.containers[0].reason == "OOMKilled");
}

TEST_CASE_FIXTURE(fixture, "a failing ContainerStatus is retried, then reported unknown") {
  one_pod();
  start();
  take();
  src->container("c1").state = rcs::exited;
  src->statuses.emplace("c1", make_error(errc::timeout, "deadline exceeded"));
  advance(1s);
  CHECK(take().empty()); // old state kept: the next relist asks again
  CHECK(src->status_calls.size() == 1);
  CHECK(ask<runtime_pod>(caf::get_atom::value, std::string{"p1"})
          .containers[0]
          .state
        == rcs::running);
  advance(1s);
  CHECK(take().empty());
  advance(1s);
  auto xs = take();
  REQUIRE(xs.size() == 1);
  CHECK(xs[0].type == et::died);
  CHECK(xs[0].exit_code == unknown_exit_code);
  CHECK(xs[0].reason == unknown_exit_reason);
  CHECK(src->status_calls.size() == 3);
  CHECK(stats->status_errors == 3);
}

TEST_CASE_FIXTURE(fixture, "removed containers are reported; a vanished running one died first") {
  one_pod();
  src->containers.push_back(
    container("c2", "s1", "p1", "side", rcs::exited, 50));
  src->statuses.emplace("c2", exited(src->container("c2"), 0, "Completed", 90));
  start();
  auto xs = take();
  REQUIRE(xs.size() == 2); // exited at first sight: died (as upstream)
  CHECK(xs[0].type == et::died);
  CHECK(xs[0].id == "c2");
  CHECK(xs[0].reason == "Completed");
  CHECK(xs[1].type == et::started);
  // c2 (exited) removed.
  src->containers.erase(src->containers.begin() + 1);
  advance(1s);
  xs = take();
  REQUIRE(xs.size() == 1);
  CHECK(xs[0].type == et::removed);
  CHECK(xs[0].id == "c2");
  CHECK(xs[0].name == "side");
  // c1 (running) vanished: died with the unknown marker, then removed.
  src->containers.clear();
  advance(1s);
  xs = take();
  REQUIRE(xs.size() == 2);
  CHECK(xs[0].type == et::died);
  CHECK(xs[0].id == "c1");
  CHECK(xs[0].exit_code == unknown_exit_code);
  CHECK(xs[0].reason == unknown_exit_reason);
  CHECK(xs[1].type == et::removed);
  CHECK(xs[1].id == "c1");
  CHECK(src->status_calls.size() == 1);
}

TEST_CASE_FIXTURE(fixture, "a restarted container: died, then the new one started") {
  one_pod();
  start();
  take();
  src->container("c1").state = rcs::exited;
  src->statuses.emplace("c1", exited(src->container("c1"), 1, "Error", 900));
  // The pod actor creates the replacement in the same period.
  src->containers.push_back(
    container("c1b", "s1", "p1", "app", rcs::created, 1000, 1));
  advance(1s);
  auto xs = take();
  REQUIRE(xs.size() == 1); // created: no event
  CHECK(xs[0].type == et::died);
  CHECK(xs[0].id == "c1");
  src->container("c1b").state = rcs::running;
  advance(1s);
  xs = take();
  REQUIRE(xs.size() == 1);
  CHECK(xs[0].type == et::started);
  CHECK(xs[0].id == "c1b");
  CHECK(xs[0].name == "app");
  auto pod = ask<runtime_pod>(caf::get_atom::value, std::string{"p1"});
  REQUIRE(pod.containers.size() == 2);
  CHECK(pod.containers[0].id == "c1b"); // newest first
  CHECK(pod.containers[0].restart_count == 1);
  CHECK(pod.containers[0].state == rcs::running);
  CHECK(pod.containers[1].restart_count == 0);
  CHECK(pod.containers[1].exit_code == 1);
}

TEST_CASE_FIXTURE(fixture, "a sandbox going NOTREADY or vanishing is a sandbox change") {
  one_pod();
  src->sandboxes.push_back(sandbox("s2", "p2", rss::ready, 100));
  start();
  take();
  src->sandboxes[0].state = rss::not_ready;
  advance(1s);
  auto xs = take();
  REQUIRE(xs.size() == 1);
  CHECK(xs[0].type == et::sandbox_changed);
  CHECK(xs[0].pod_uid == "p1");
  CHECK(xs[0].id == "s1");
  CHECK(xs[0].name.empty());
  advance(1s);
  CHECK(take().empty()); // still NOTREADY: reported once
  src->sandboxes.erase(src->sandboxes.begin() + 1);
  advance(1s);
  xs = take();
  REQUIRE(xs.size() == 1);
  CHECK(xs[0].type == et::sandbox_changed);
  CHECK(xs[0].pod_uid == "p2");
  CHECK(xs[0].id == "s2");
  // p2 had nothing else: it is gone from the cache.
  auto snap = ask<runtime_snapshot>(caf::get_atom::value);
  REQUIRE(snap.pods.size() == 1);
  CHECK(snap.pods[0].uid == "p1");
}

TEST_CASE_FIXTURE(fixture, "no events when nothing changed, one relist per period") {
  one_pod();
  start();
  CHECK(src->list_calls == 2); // one relist at once
  CHECK(take().size() == 1);
  advance(999ms);
  CHECK(src->list_calls == 2);
  advance(1ms);
  CHECK(src->list_calls == 4);
  for (int i = 0; i < 5; ++i)
    advance(1s);
  CHECK(src->list_calls == 14);
  CHECK(take().empty());
  CHECK(stats->relists == 7);
  CHECK(stats->events == 1);
}

TEST_CASE_FIXTURE(fixture, "a relist still running makes the next tick skip") {
  one_pod();
  start();
  take();
  src->hold = true;
  advance(1s);
  CHECK(src->list_calls == 4);
  src->container("c1").state = rcs::exited;
  src->statuses.emplace("c1", exited(src->container("c1"), 0, "Completed", 7));
  advance(1s);
  advance(1s);
  CHECK(src->list_calls == 4); // no overlap
  CHECK(stats->skipped_relists == 2);
  src->release(); // lists answered, ContainerStatus now held
  run();
  CHECK(take().empty());
  REQUIRE(src->status_calls.size() == 1);
  advance(1s);
  CHECK(src->list_calls == 4); // still busy with the status call
  src->hold = false;
  src->release();
  run();
  auto xs = take();
  REQUIRE(xs.size() == 1);
  CHECK(xs[0].type == et::died);
  CHECK(xs[0].reason == "Completed");
  CHECK(stats->last_relist_us == 3000000);
  advance(1s);
  CHECK(src->list_calls == 6);
  CHECK(take().empty());
}

TEST_CASE_FIXTURE(fixture, "a stuck runtime makes the PLEG unhealthy after 3 minutes") {
  one_pod();
  start();
  REQUIRE(health().size() == 1);
  CHECK(health()[0].ready);
  src->hold = true;
  for (int i = 1; i <= 180; ++i)
    advance(1s);
  for (const auto& h : health())
    CHECK(h.ready); // re-sent every 10 s, still healthy at exactly 3m0s
  CHECK(health().size() == 19);
  advance(1s);
  REQUIRE(health().back().component == "pleg");
  CHECK(!health().back().ready);
  CHECK(health().back().message
        == "PLEG is not healthy: pleg was last seen active 3m1s ago; "
           "threshold is 3m0s");
  CHECK(!stats->healthy);
  // Hung relists were abandoned after 1 min and started again.
  CHECK(stats->relist_errors == 2);
  CHECK(src->list_calls == 8);
  for (int i = 0; i < 10; ++i)
    advance(1s);
  CHECK(!health().back().ready);
  CHECK(health().back().message
        == "PLEG is not healthy: pleg was last seen active 3m11s ago; "
           "threshold is 3m0s");
  // The runtime answers again: the newest relist completes (answers to
  // the abandoned ones are ignored) and health comes back at once.
  src->hold = false;
  auto n = health().size();
  src->release();
  run();
  REQUIRE(health().size() == n + 1);
  CHECK(health().back().ready);
  CHECK(health().back().message.empty());
  CHECK(stats->healthy);
  CHECK(take().size() == 1); // only the first relist's started event
}

TEST_CASE_FIXTURE(fixture, "a runtime stuck from the start is reported after 3 minutes") {
  one_pod();
  src->hold = true;
  start();
  for (int i = 1; i <= 180; ++i)
    advance(1s);
  CHECK(health().empty()); // nothing to say yet
  advance(1s);
  REQUIRE(health().size() == 1);
  CHECK(!health()[0].ready);
  CHECK(health()[0].message
        == "PLEG is not healthy: pleg has yet to be successful");
}

TEST_CASE_FIXTURE(fixture, "failing lists count as errors and change nothing") {
  one_pod();
  start();
  take();
  src->list_error = make_error(errc::connection_failed, "connection refused");
  src->containers.clear();
  advance(1s);
  advance(1s);
  CHECK(take().empty());
  CHECK(stats->relist_errors == 2);
  CHECK(stats->relists == 1);
  CHECK(ask<runtime_pod>(caf::get_atom::value, std::string{"p1"}).containers.size()
        == 1);
  src->list_error = caf::error{};
  advance(1s);
  auto xs = take();
  REQUIRE(xs.size() == 2);
  CHECK(xs[0].type == et::died);
  CHECK(xs[1].type == et::removed);
}

TEST_CASE_FIXTURE(fixture, "the cache answers per pod, and waits for the first relist") {
  one_pod();
  src->containers[0].restart_count = 2;
  src->sandboxes.push_back(sandbox("s0", "p1", rss::not_ready, 10, 0));
  src->sandboxes[0].attempt = 1;
  src->hold = true;
  start();
  runtime_pod early;
  bool answered = false;
  sys->spawn([&, target = actor](caf::event_based_actor* self) {
    self->request(target, caf::infinite, caf::get_atom::value, std::string{"p1"})
      .then([&](const runtime_pod& x) {
        early = x;
        answered = true;
      });
  });
  run();
  CHECK(!answered);
  src->hold = false;
  src->release();
  run();
  REQUIRE(answered);
  CHECK(early.uid == "p1");
  CHECK(early.name == "web");
  CHECK(early.ns == "default");
  REQUIRE(early.sandboxes.size() == 2);
  CHECK(early.sandboxes[0].id == "s1"); // newest first
  CHECK(early.sandboxes[0].state == rss::ready);
  CHECK(early.sandboxes[0].attempt == 1);
  CHECK(early.sandboxes[0].created_at_ns == 100);
  CHECK(early.sandboxes[1].state == rss::not_ready);
  REQUIRE(early.containers.size() == 1);
  const auto& c = early.containers[0];
  CHECK(c.id == "c1");
  CHECK(c.name == "app");
  CHECK(c.state == rcs::running);
  CHECK(c.restart_count == 2);
  CHECK(c.image == "localhost/busybox:ci");
  CHECK(c.image_ref == "sha256:abc");
  CHECK(!c.inspected);
  auto unknown = ask<runtime_pod>(caf::get_atom::value, std::string{"nope"});
  CHECK(unknown.uid == "nope");
  CHECK(unknown.sandboxes.empty());
  CHECK(unknown.containers.empty());
  auto snap = ask<runtime_snapshot>(caf::get_atom::value);
  CHECK(snap.relists == 1);
  REQUIRE(snap.pods.size() == 1);
  CHECK(snap.pods[0].containers.size() == 1);
}

TEST_CASE("build_view groups by pod UID and drops what it cannot place") {
  std::vector<runtime_sandbox> sbs{sandbox("s1", "p1", rss::ready, 1),
                                   sandbox("s1", "p1", rss::ready, 1),
                                   sandbox("sx", "", rss::ready, 1)};
  std::vector<runtime_container> cs{
    container("c1", "s1", "", "app", rcs::running, 2), // uid from sandbox
    container("c2", "zz", "", "lost", rcs::running, 3), // no uid at all
    container("c3", "s7", "p7", "other", rcs::exited, 4)};
  auto view = build_view(sbs, cs, {});
  REQUIRE(view.size() == 2);
  REQUIRE(view["p1"].sandboxes.size() == 1);
  REQUIRE(view["p1"].containers.size() == 1);
  CHECK(view["p1"].containers[0].pod_uid == "p1");
  CHECK(view["p7"].sandboxes.empty());
  CHECK(view["p7"].name.empty());
  auto evs = diff_views({}, view);
  REQUIRE(evs.size() == 2);
  CHECK(evs[0].type == et::started);
  CHECK(evs[1].type == et::died);
  CHECK(evs[1].pod_uid == "p7");
  CHECK(diff_views(view, view).empty());
}

TEST_CASE("CRI records convert with labels, annotations and states") {
  cri::pb::PodSandbox sb;
  sb.set_id("s1");
  sb.mutable_metadata()->set_name("meta-name");
  sb.mutable_metadata()->set_uid("meta-uid");
  sb.mutable_metadata()->set_namespace_("meta-ns");
  sb.mutable_metadata()->set_attempt(2);
  sb.set_state(cri::pb::SANDBOX_NOTREADY);
  sb.set_created_at(42);
  auto x = to_runtime_sandbox(sb);
  CHECK(x.pod_uid == "meta-uid"); // no labels: the metadata
  CHECK(x.pod_name == "meta-name");
  CHECK(x.pod_namespace == "meta-ns");
  CHECK(x.state == rss::not_ready);
  CHECK(x.attempt == 2);
  CHECK(x.created_at_ns == 42);
  (*sb.mutable_labels())[pod_uid_label] = "u1";
  (*sb.mutable_labels())[pod_name_label] = "web";
  (*sb.mutable_labels())[pod_namespace_label] = "default";
  sb.set_state(cri::pb::SANDBOX_READY);
  x = to_runtime_sandbox(sb);
  CHECK(x.pod_uid == "u1");
  CHECK(x.pod_name == "web");
  CHECK(x.pod_namespace == "default");
  CHECK(x.state == rss::ready);

  cri::pb::Container c;
  c.set_id("c1");
  c.set_pod_sandbox_id("s1");
  c.mutable_metadata()->set_name("meta-app");
  c.mutable_metadata()->set_attempt(4);
  c.mutable_image()->set_image("localhost/busybox:ci");
  c.set_image_ref("sha256:abc");
  c.set_state(cri::pb::CONTAINER_RUNNING);
  c.set_created_at(7);
  (*c.mutable_labels())[pod_uid_label] = "u1";
  (*c.mutable_labels())[container_name_label] = "app";
  (*c.mutable_annotations())[restart_count_annotation] = "4";
  auto y = to_runtime_container(c);
  CHECK(y.id == "c1");
  CHECK(y.sandbox_id == "s1");
  CHECK(y.pod_uid == "u1");
  CHECK(y.name == "app");
  CHECK(y.state == rcs::running);
  CHECK(y.attempt == 4);
  CHECK(y.restart_count == 4);
  CHECK(y.image == "localhost/busybox:ci");
  CHECK(y.image_ref == "sha256:abc");
  CHECK(y.created_at_ns == 7);
  CHECK(!y.inspected);
  (*c.mutable_annotations())[restart_count_annotation] = "x1";
  c.mutable_labels()->erase(container_name_label);
  c.set_state(cri::pb::CONTAINER_UNKNOWN);
  y = to_runtime_container(c);
  CHECK(y.restart_count == 4); // malformed: the attempt
  c.mutable_annotations()->clear();
  c.mutable_metadata()->set_attempt(3);
  CHECK(to_runtime_container(c).restart_count == 3); // absent: the attempt
  (*c.mutable_annotations())[restart_count_annotation] = "5";
  CHECK(to_runtime_container(c).restart_count == 5);
  CHECK(y.name == "meta-app");
  CHECK(y.state == rcs::unknown);
  c.set_state(cri::pb::CONTAINER_CREATED);
  CHECK(to_runtime_container(c).state == rcs::created);

  cri::pb::ContainerStatus st;
  st.set_id("c1");
  st.set_state(cri::pb::CONTAINER_EXITED);
  st.set_started_at(10);
  st.set_finished_at(20);
  st.set_exit_code(137);
  st.set_reason("OOMKilled");
  st.set_message("out of memory");
  (*st.mutable_labels())[container_name_label] = "app";
  auto z = to_runtime_container(st);
  CHECK(z.state == rcs::exited);
  CHECK(z.name == "app");
  CHECK(z.started_at_ns == 10);
  CHECK(z.finished_at_ns == 20);
  CHECK(z.exit_code == 137);
  CHECK(z.reason == "OOMKilled");
  CHECK(z.message == "out of memory");
  CHECK(z.inspected);
}
