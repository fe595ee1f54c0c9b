// The pod lifecycle state machine: every documented transition, the
// alternatives chosen by pod facts, and loud failure on anything else.
#include "actors/pods/pod_machine.hpp"
#include "messages/errors.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>

using namespace cafelet;
using namespace cafelet::actors;

namespace {

/// Applies `ev`, requires success, returns the action and updates `st`.
pod_action apply(pod_state& st, pod_event ev, pod_facts f = {}) {
  auto t = step(st, ev, f);
  REQUIRE_MESSAGE(static_cast<bool>(t), to_string(st) << " on " << to_string(ev));
  st = t->next;
  return t->action;
}

} // namespace

TEST_CASE("a pod without init containers runs, completes and is cleaned up") {
  auto st = pod_state::admitting;
  CHECK(apply(st, pod_event::admitted) == pod_action::run_sandbox);
  CHECK(st == pod_state::creating_sandbox);
  CHECK(apply(st, pod_event::sandbox_ready) == pod_action::start_containers);
  CHECK(st == pod_state::running);
  CHECK(apply(st, pod_event::container_exited) == pod_action::restart_per_policy);
  CHECK(st == pod_state::running);
  CHECK(apply(st, pod_event::all_done) == pod_action::publish_completed);
  CHECK(st == pod_state::completed);
  CHECK(is_final(st));
  CHECK(apply(st, pod_event::delete_requested) == pod_action::remove_all);
  CHECK(st == pod_state::cleaning_up);
  CHECK(apply(st, pod_event::cleaned) == pod_action::publish_final_and_delete);
  CHECK(st == pod_state::terminated);
}

TEST_CASE("init containers run one after another before the app containers") {
  pod_facts f;
  f.init_containers = 2;
  auto st = pod_state::creating_sandbox;
  CHECK(apply(st, pod_event::sandbox_ready, f) == pod_action::start_next_init);
  CHECK(st == pod_state::initializing);
  f.init_index = 0;
  CHECK(apply(st, pod_event::init_succeeded, f) == pod_action::start_next_init);
  CHECK(st == pod_state::initializing);
  f.init_index = 1;
  CHECK(apply(st, pod_event::init_succeeded, f) == pod_action::start_containers);
  CHECK(st == pod_state::running);
}

TEST_CASE("a failed init container restarts unless restartPolicy is Never") {
  pod_facts f;
  f.init_containers = 1;
  auto st = pod_state::initializing;
  CHECK(apply(st, pod_event::init_failed, f) == pod_action::restart_init_after_backoff);
  CHECK(st == pod_state::initializing);
  f.restart_never = true;
  CHECK(apply(st, pod_event::init_failed, f) == pod_action::publish_completed);
  CHECK(st == pod_state::completed);
}

TEST_CASE("sandbox failures back off and retry; a lost sandbox is recreated") {
  auto st = pod_state::creating_sandbox;
  CHECK(apply(st, pod_event::sandbox_failed) == pod_action::arm_sandbox_backoff);
  CHECK(st == pod_state::sandbox_backoff);
  CHECK(apply(st, pod_event::backoff_expired) == pod_action::run_sandbox);
  CHECK(st == pod_state::creating_sandbox);
  st = pod_state::running;
  CHECK(apply(st, pod_event::sandbox_lost) == pod_action::recreate_sandbox);
  CHECK(st == pod_state::creating_sandbox);
}

TEST_CASE("deletion stops a pod from every live state, even mid-start") {
  for (auto from : {pod_state::admitting, pod_state::creating_sandbox,
                    pod_state::sandbox_backoff, pod_state::initializing,
                    pod_state::running}) {
    auto st = from;
    CAPTURE(to_string(from));
    CHECK(apply(st, pod_event::delete_requested) == pod_action::stop_containers);
    CHECK(st == pod_state::terminating);
  }
  auto st = pod_state::terminating;
  CHECK(apply(st, pod_event::delete_requested) == pod_action::none);
  CHECK(apply(st, pod_event::grace_expired) == pod_action::kill_containers);
  CHECK(st == pod_state::terminating);
  CHECK(apply(st, pod_event::all_stopped) == pod_action::remove_all);
  CHECK(st == pod_state::cleaning_up);
  CHECK(apply(st, pod_event::delete_requested) == pod_action::none);
  CHECK(apply(st, pod_event::cleaned) == pod_action::publish_final_and_delete);
}

TEST_CASE("rejected pods publish Failed and are cleaned up on deletion") {
  auto st = pod_state::admitting;
  CHECK(apply(st, pod_event::rejected) == pod_action::publish_rejected);
  CHECK(st == pod_state::rejected);
  CHECK(is_final(st));
  CHECK(apply(st, pod_event::delete_requested) == pod_action::remove_all);
}

TEST_CASE("anything outside the table fails loudly, naming state and event") {
  auto bad = step(pod_state::running, pod_event::admitted);
  REQUIRE(!bad);
  CHECK(is(bad.error(), errc::internal));
  CHECK(context_of(bad.error()).find("running") != std::string::npos);
  CHECK(context_of(bad.error()).find("admitted") != std::string::npos);
  CHECK(!step(pod_state::terminated, pod_event::delete_requested));
  CHECK(!step(pod_state::terminated, pod_event::cleaned));
  CHECK(!step(pod_state::completed, pod_event::container_exited));
}

TEST_CASE("the accepted pairs are exactly the documented table") {
  using s = pod_state;
  using e = pod_event;
  std::set<std::pair<s, e>> expected{
    {s::admitting, e::admitted},          {s::admitting, e::rejected},
    {s::admitting, e::delete_requested},  {s::creating_sandbox, e::sandbox_ready},
    {s::creating_sandbox, e::sandbox_failed},
    {s::creating_sandbox, e::delete_requested},
    {s::sandbox_backoff, e::backoff_expired},
    {s::sandbox_backoff, e::delete_requested},
    {s::initializing, e::init_succeeded}, {s::initializing, e::init_failed},
    {s::initializing, e::sandbox_lost},   {s::initializing, e::delete_requested},
    {s::running, e::container_exited},    {s::running, e::all_done},
    {s::running, e::sandbox_lost},        {s::running, e::delete_requested},
    {s::completed, e::delete_requested},  {s::rejected, e::delete_requested},
    {s::terminating, e::delete_requested}, {s::terminating, e::grace_expired},
    {s::terminating, e::all_stopped},     {s::cleaning_up, e::delete_requested},
    {s::cleaning_up, e::cleaned},
  };
  auto got = accepted_pairs();
  std::set<std::pair<s, e>> got_set(got.begin(), got.end());
  CHECK(got_set.size() == got.size());
  CHECK(got_set == expected);
}
