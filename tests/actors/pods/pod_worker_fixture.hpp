#pragma once
// The pod worker's test world: a scripted runtime answering every call at
// once, a stand-in for the pod manager, status manager and event recorder,
// and a deterministic fixture that starts one worker. Shared by the pod
// worker test files.
#include "actors/pods/pod_worker.hpp"
#include "messages/api.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "tests/actors/pods/pod_builders.hpp"
#include "tests/actors/test_fixture.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace cafelet::test {

using namespace cafelet::actors;
using namespace std::chrono_literals;


/// Answers every runtime call at once, as scripted; records the calls.
class scripted_runtime : public pods::pod_runtime {
public:
  std::vector<std::string> calls;
  int fail_sandbox = 0;      // next N sandboxes fail
  int fail_pulls = 0;        // next N pulls fail
  bool image_present = true; // ImageStatus finds the image
  bool invalid_spec = false; // creates fail with invalid
  int next_id = 1;

  void run_sandbox(const k8s::pod&, uint32_t attempt,
                   pods::runtime_cb<pods::sandbox_info> cb) override {
    calls.push_back("run_sandbox " + std::to_string(attempt));
    if (fail_sandbox > 0) {
      --fail_sandbox;
      cb(make_error(errc::runtime_error, "failed to setup network"));
      return;
    }
    // sb1 for the first attempt, sb2 for the next, ...
    cb(pods::sandbox_info{"sb" + std::to_string(attempt + 1),
                          {"10.88.0." + std::to_string(7 + attempt)}});
  }

  void image_status(const k8s::container& c,
                    pods::runtime_cb<std::optional<pods::ready_image>> cb) override {
    calls.push_back("image_status " + c.name);
    if (image_present)
      cb(std::optional<pods::ready_image>{pods::ready_image{"sha256:abc", 1234}});
    else
      cb(std::optional<pods::ready_image>{});
  }

  void pull_image(const k8s::pod&, const k8s::container& c,
                  pods::runtime_cb<pods::ready_image> cb) override {
    calls.push_back("pull " + c.name);
    if (fail_pulls > 0) {
      --fail_pulls;
      cb(make_error(errc::runtime_error, "pull access denied"));
      return;
    }
    image_present = true;
    cb(pods::ready_image{"sha256:abc", 5678});
  }

  void create_container(const k8s::pod&, const k8s::container& c,
                        const pods::sandbox_info&, uint32_t restarts,
                        const pods::container_context&,
                        pods::runtime_cb<pods::created_container> cb) override {
    calls.push_back("create " + c.name + " " + std::to_string(restarts));
    if (invalid_spec) {
      cb(make_error(errc::invalid, "runAsNonRoot and runAsUser 0"));
      return;
    }
    cb(pods::created_container{"c" + std::to_string(next_id++), "sha256:abc"});
  }

  void start_container(const std::string& id, pods::runtime_done cb) override {
    calls.push_back("start " + id);
    cb({});
  }

  void stop_container(const std::string& id, int64_t grace,
                      pods::runtime_done cb) override {
    calls.push_back("stop " + id + " " + std::to_string(grace));
    cb({});
  }

  void remove_container(const std::string& id, pods::runtime_done cb) override {
    calls.push_back("remove " + id);
    cb({});
  }

  void stop_sandbox(const std::string& id, pods::runtime_done cb) override {
    calls.push_back("stop_sandbox " + id);
    cb({});
  }

  void remove_sandbox(const std::string& id, pods::runtime_done cb) override {
    calls.push_back("remove_sandbox " + id);
    cb({});
  }

  /// What find_pod reports (re-adoption); empty: nothing runs yet.
  pods::existing_pod existing;

  void find_pod(const k8s::pod&, pods::runtime_cb<pods::existing_pod> cb) override {
    calls.push_back("find_pod");
    cb(existing);
  }

  bool called(const std::string& x) const {
    return std::find(calls.begin(), calls.end(), x) != calls.end();
  }
};

/// Stands in for the pod manager, status manager and event recorder.
struct world_state {
  k8s::pod_ptr pod;
  std::vector<pod_status_update> statuses;
  std::vector<record_event> events;
  std::vector<std::string> done;
  std::vector<object_key> object_subscriptions;
  std::vector<token_key> token_subscriptions;
  /// Stands in for the managers' current incarnation (subscriptions are
  /// answered with it, as the real managers do).
  caf::actor incarnation;
  static const char* name;

  const k8s::pod_status& last() const {
    REQUIRE(!statuses.empty());
    return *statuses.back().status;
  }

  bool has_event(const std::string& reason) const {
    return event(reason) != nullptr;
  }

  const record_event* event(const std::string& reason) const {
    for (auto& e : events)
      if (e.reason == reason)
        return &e;
    return nullptr;
  }
};
inline const char* world_state::name = "world";

inline caf::behavior idle_actor() {
  return {[](int) {}};
}

template <class Self>
caf::actor incarnation_of(Self* self) {
  if (!self->state.incarnation)
    self->state.incarnation = self->spawn(idle_actor);
  return self->state.incarnation;
}

inline caf::behavior world(caf::stateful_actor<world_state>* self) {
  return {
    [self](pod_hello_atom, const std::string&) {
      return caf::make_message(pod_update_atom::value, self->state.pod);
    },
    [self](const pod_status_update& x) { self->state.statuses.push_back(x); },
    [self](const record_event& x) { self->state.events.push_back(x); },
    [self](pod_done_atom, const std::string& uid) { self->state.done.push_back(uid); },
    [self](subscribe_atom, const object_key& key, const caf::actor&) {
      self->state.object_subscriptions.push_back(key);
      return incarnation_of(self);
    },
    [self](subscribe_atom, const token_key& key, const caf::actor&) {
      self->state.token_subscriptions.push_back(key);
      return incarnation_of(self);
    },
  };
}

struct fixture : cafelet::testing::deterministic_fixture {
  std::shared_ptr<scripted_runtime> rt = std::make_shared<scripted_runtime>();
  caf::actor w = sys->spawn(world);
  caf::actor worker;
  /// Probe executor given to the worker (null: containers are not probed).
  std::shared_ptr<probes::probe_executor> probes;
  /// Volume I/O thread and root given to the worker (null: no volumes).
  std::shared_ptr<volumes::io_thread> io;
  std::string root_dir;

  world_state& seen() {
    return state_of<world_state>(w);
  }

  void start(k8s::pod_ptr pod) {
    seen().pod = pod;
    pod_worker_config cfg;
    cfg.runtime = rt;
    cfg.manager = w;
    cfg.status_manager = w;
    cfg.events = w;
    cfg.host_ips = {"192.0.2.2"};
    cfg.clock = actor_wall_clock(*sys, k8s::timestamp{} + 1'700'000'000'000'000us);
    cfg.probes = probes;
    cfg.io = io;
    cfg.root_dir = root_dir;
    if (io) {
      cfg.objects = w;
      cfg.tokens = w;
    }
    worker = sys->spawn(pod_worker, cfg, pod);
    run();
  }

  void died(const std::string& id, int32_t code, std::string reason = {}) {
    caf::anon_send(worker, container_event{seen().pod->metadata.uid,
                                           container_event_type::died, id, "",
                                           code, std::move(reason), 0, ""});
    run();
  }

  const k8s::container_status& app(size_t i = 0) {
    REQUIRE(seen().last().container_statuses.size() > i);
    return seen().last().container_statuses[i];
  }

  ~fixture() {
    caf::anon_send_exit(worker, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
    run();
  }
};

inline k8s::pod_ptr pod_with(std::string policy, std::vector<std::string> inits = {}) {
  auto p = test::make_pod("web", "uid-1");
  p.spec.restart_policy = std::move(policy);
  p.spec.termination_grace_period_seconds = 30;
  for (auto& n : inits)
    p.spec.init_containers.push_back(test::make_container(n));
  p.spec.containers.push_back(test::make_container("app"));
  return std::make_shared<const k8s::pod>(std::move(p));
}

inline k8s::pod_ptr deleting(const k8s::pod_ptr& p, int64_t grace) {
  auto copy = *p;
  copy.metadata.deletion_timestamp = k8s::timestamp{} + 1'700'000'100'000'000us;
  copy.metadata.deletion_grace_period_seconds = grace;
  return std::make_shared<const k8s::pod>(std::move(copy));
}


} // namespace cafelet::test
