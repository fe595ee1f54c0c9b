#pragma once
// Deterministic actor-system fixture: CAF's test coordinator runs every job
// on the test thread and owns a virtual clock that tests advance by hand.

#include "messages/register.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include <chrono>
#include <memory>
#include <optional>

namespace cafelet::testing {

/// An actor system on the test coordinator plus helpers to drive it.
struct deterministic_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;

  deterministic_fixture() {
    register_message_types(cfg);
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.set("logger.inline-output", true);
    sys = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
  }

  ~deterministic_fixture() {
    sched->run();
  }

  /// Runs all runnable jobs.
  void run() {
    sched->run();
  }

  /// Advances virtual time by `d`, fires due timers and runs what follows.
  void advance(std::chrono::milliseconds d) {
    sched->advance_time(d);
    sched->run();
  }

  /// Sends `xs...` to `target` as a request from a helper actor and runs
  /// the actors; the reply as `T`, or nullopt if none (or an error) came.
  template <class T, class... Ts>
  std::optional<T> ask(const caf::actor& target, Ts... xs) {
    std::optional<T> result;
    sys->spawn([&, target](caf::event_based_actor* self) {
      self->request(target, caf::infinite, xs...).then([&](const T& x) { result = x; });
    });
    run();
    return result;
  }

  /// Direct access to a stateful actor's state (test thread only).
  template <class State>
  State& state_of(const caf::actor& handle) {
    auto ptr = caf::actor_cast<caf::abstract_actor*>(handle);
    return dynamic_cast<caf::stateful_actor<State>&>(*ptr).state;
  }
};

} // namespace cafelet::testing
