#pragma once
/// @file
/// Messages and value types of the supervision tree.

#include <caf/meta/type_name.hpp>
#include <caf/message.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace cafelet {

/// When a supervisor restarts a child that terminated (Erlang/OTP terms).
enum class restart_policy : uint8_t {
  /// Always restart, also after a normal exit.
  permanent,
  /// Restart only after an abnormal exit.
  transient,
  /// Never restart.
  temporary,
};

/// Returns "permanent", "transient" or "temporary".
const char* to_string(restart_policy x);

// Enums serialize as their underlying type (CAF 0.17 data_processor).


/// Asks a supervisor to start a child dynamically. `kind` selects the factory
/// the supervisor was given at spawn time; `args` is passed to it verbatim.
/// A child with the same name that is already running is left alone.
struct start_child {
  std::string kind;
  std::string name;
  restart_policy policy = restart_policy::permanent;
  caf::message args;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, start_child& x) {
  return f(caf::meta::type_name("start_child"), x.kind, x.name, x.policy,
           x.args);
}

/// Asks a supervisor to stop a child (no restart) and forget it.
struct stop_child {
  std::string name;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stop_child& x) {
  return f(caf::meta::type_name("stop_child"), x.name);
}

/// State of one supervised child as its supervisor sees it.
struct child_status {
  std::string kind;
  std::string name;
  /// CAF actor id of the current incarnation (0 while restarting).
  uint64_t actor_id = 0;
  /// Restarts of this child since its supervisor started it.
  uint32_t restarts = 0;
  /// True while an incarnation runs.
  bool alive = false;
  /// Rendered exit reason of the last incarnation (empty if none exited).
  std::string last_exit;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, child_status& x) {
  return f(caf::meta::type_name("child_status"), x.kind, x.name, x.actor_id,
           x.restarts, x.alive, x.last_exit);
}

/// Reply to `children_atom`: the supervisor's children in start order.
struct children_snapshot {
  std::string supervisor;
  std::vector<child_status> children;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, children_snapshot& x) {
  return f(caf::meta::type_name("children_snapshot"), x.supervisor,
           x.children);
}

/// A component's health as reported to the health aggregator.
struct health_report {
  std::string component;
  bool healthy = false;
  std::string reason;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, health_report& x) {
  return f(caf::meta::type_name("health_report"), x.component, x.healthy,
           x.reason);
}

} // namespace cafelet
