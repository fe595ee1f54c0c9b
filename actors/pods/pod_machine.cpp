#include "actors/pods/pod_machine.hpp"

#include "messages/errors.hpp"

#include <string>

namespace cafelet::actors {

std::string_view to_string(pod_state x) {
  switch (x) {
    case pod_state::admitting: return "admitting";
    case pod_state::rejected: return "rejected";
    case pod_state::creating_sandbox: return "creating_sandbox";
    case pod_state::sandbox_backoff: return "sandbox_backoff";
    case pod_state::initializing: return "initializing";
    case pod_state::running: return "running";
    case pod_state::completed: return "completed";
    case pod_state::terminating: return "terminating";
    case pod_state::cleaning_up: return "cleaning_up";
    case pod_state::terminated: return "terminated";
  }
  return "?";
}

std::string_view to_string(pod_event x) {
  switch (x) {
    case pod_event::admitted: return "admitted";
    case pod_event::rejected: return "rejected";
    case pod_event::sandbox_ready: return "sandbox_ready";
    case pod_event::sandbox_failed: return "sandbox_failed";
    case pod_event::backoff_expired: return "backoff_expired";
    case pod_event::init_succeeded: return "init_succeeded";
    case pod_event::init_failed: return "init_failed";
    case pod_event::container_exited: return "container_exited";
    case pod_event::all_done: return "all_done";
    case pod_event::sandbox_lost: return "sandbox_lost";
    case pod_event::delete_requested: return "delete_requested";
    case pod_event::grace_expired: return "grace_expired";
    case pod_event::all_stopped: return "all_stopped";
    case pod_event::cleaned: return "cleaned";
  }
  return "?";
}

std::string_view to_string(pod_action x) {
  switch (x) {
    case pod_action::none: return "none";
    case pod_action::run_sandbox: return "run_sandbox";
    case pod_action::arm_sandbox_backoff: return "arm_sandbox_backoff";
    case pod_action::start_next_init: return "start_next_init";
    case pod_action::restart_init_after_backoff: return "restart_init_after_backoff";
    case pod_action::start_containers: return "start_containers";
    case pod_action::restart_per_policy: return "restart_per_policy";
    case pod_action::publish_completed: return "publish_completed";
    case pod_action::publish_rejected: return "publish_rejected";
    case pod_action::recreate_sandbox: return "recreate_sandbox";
    case pod_action::stop_containers: return "stop_containers";
    case pod_action::kill_containers: return "kill_containers";
    case pod_action::remove_all: return "remove_all";
    case pod_action::publish_final_and_delete: return "publish_final_and_delete";
  }
  return "?";
}

bool is_live(pod_state x) noexcept {
  switch (x) {
    case pod_state::creating_sandbox:
    case pod_state::sandbox_backoff:
    case pod_state::initializing:
    case pod_state::running:
      return true;
    default:
      return false;
  }
}

bool is_final(pod_state x) noexcept {
  return x == pod_state::rejected || x == pod_state::completed
         || x == pod_state::terminated;
}

namespace {

using s = pod_state;
using e = pod_event;
using a = pod_action;

/// After the sandbox (or the last init container): init containers first.
pod_transition begin_containers(const pod_facts& f, uint32_t next_init) {
  if (next_init < f.init_containers)
    return {s::initializing, a::start_next_init};
  return {s::running, a::start_containers};
}

caf::expected<pod_transition> lookup(s from, e ev, const pod_facts& f) {
  // Deletion first: it applies to every state that still holds something.
  if (ev == e::delete_requested) {
    if (is_live(from) || from == s::admitting)
      return pod_transition{s::terminating, a::stop_containers};
    if (from == s::completed || from == s::rejected)
      return pod_transition{s::cleaning_up, a::remove_all};
    if (from == s::terminating || from == s::cleaning_up)
      return pod_transition{from, a::none}; // already on its way
  }
  switch (from) {
    case s::admitting:
      if (ev == e::admitted)
        return pod_transition{s::creating_sandbox, a::run_sandbox};
      if (ev == e::rejected)
        return pod_transition{s::rejected, a::publish_rejected};
      break;
    case s::creating_sandbox:
      if (ev == e::sandbox_ready)
        return begin_containers(f, 0);
      if (ev == e::sandbox_failed)
        return pod_transition{s::sandbox_backoff, a::arm_sandbox_backoff};
      break;
    case s::sandbox_backoff:
      if (ev == e::backoff_expired)
        return pod_transition{s::creating_sandbox, a::run_sandbox};
      break;
    case s::initializing:
      if (ev == e::init_succeeded)
        return begin_containers(f, f.init_index + 1);
      if (ev == e::init_failed)
        return f.restart_never
                 ? pod_transition{s::completed, a::publish_completed}
                 : pod_transition{s::initializing, a::restart_init_after_backoff};
      if (ev == e::sandbox_lost)
        return pod_transition{s::creating_sandbox, a::recreate_sandbox};
      break;
    case s::running:
      if (ev == e::container_exited)
        return pod_transition{s::running, a::restart_per_policy};
      if (ev == e::all_done)
        return pod_transition{s::completed, a::publish_completed};
      if (ev == e::sandbox_lost)
        return pod_transition{s::creating_sandbox, a::recreate_sandbox};
      break;
    case s::terminating:
      if (ev == e::grace_expired)
        return pod_transition{s::terminating, a::kill_containers};
      if (ev == e::all_stopped)
        return pod_transition{s::cleaning_up, a::remove_all};
      break;
    case s::cleaning_up:
      if (ev == e::cleaned)
        return pod_transition{s::terminated, a::publish_final_and_delete};
      break;
    case s::rejected:
    case s::completed:
    case s::terminated:
      break;
  }
  return make_error(errc::internal, "pod state machine: no transition from "
                                      + std::string{to_string(from)} + " on "
                                      + std::string{to_string(ev)});
}

} // namespace

caf::expected<pod_transition> step(pod_state from, pod_event ev,
                                   const pod_facts& facts) {
  return lookup(from, ev, facts);
}

std::vector<std::pair<pod_state, pod_event>> accepted_pairs() {
  std::vector<std::pair<pod_state, pod_event>> out;
  for (int si = 0; si <= static_cast<int>(s::terminated); ++si)
    for (int ei = 0; ei <= static_cast<int>(e::cleaned); ++ei) {
      auto st = static_cast<s>(si);
      auto ev = static_cast<e>(ei);
      if (lookup(st, ev, pod_facts{}))
        out.emplace_back(st, ev);
    }
  return out;
}

} // namespace cafelet::actors
