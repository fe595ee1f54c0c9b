#pragma once
/// @file
/// The generic supervisor actor.
///
/// Receives: `start_child` (spawn a child of a known kind), `stop_child`
///   (stop a child for good), `children_atom` (-> `children_snapshot`),
///   `(get_atom, name)` (-> the child's current handle or an error), and
///   down/exit messages of its children.
/// Sends: exit messages to its children when it quits (they are linked);
///   nothing else.
/// Supervised by: its parent supervisor (it escalates by quitting with
///   `errc::restart_budget_exhausted`); the root is watched by main().
///
/// Each child is restarted according to its restart_policy after an
/// exponential, jittered, capped backoff; more than `max_restarts` restarts
/// of one child within `window` exhaust the budget. Time comes from the
/// actor clock, so tests drive it with CAF's test coordinator.

#include "actors/actor_directory.hpp"
#include "messages/supervision.hpp"

#include <caf/actor.hpp>
#include <caf/local_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/event_based_actor.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace cafelet::actors {

/// Spawns a child of one kind. Runs in the supervisor's context; `path` is
/// the child's directory path (so it can supervise children of its own).
using child_factory = std::function<caf::actor(
  caf::local_actor* parent, const std::string& path, const caf::message& args)>;

/// Restart tuning of a supervisor.
struct supervisor_options {
  /// Restarts of one child allowed within `window` before escalation.
  uint32_t max_restarts = 5;
  std::chrono::milliseconds window{std::chrono::seconds{60}};
  /// First restart delay; doubles per restart inside the window.
  std::chrono::milliseconds base_backoff{100};
  /// Upper bound of a restart delay.
  std::chrono::milliseconds max_backoff{std::chrono::seconds{30}};
  /// Fraction of a delay taken off at random: delay * (1 - jitter * u).
  double jitter = 0.2;
  /// Seed of the jitter generator (reproducible fault experiments).
  uint64_t seed = 1;
  /// On an exhausted budget: true quits the supervisor (escalates to its
  /// parent), false gives up on that child only and keeps the others.
  bool escalate = true;
};

/// Everything a supervisor needs at spawn time.
struct supervisor_spec {
  /// Kind label of the supervisor itself (e.g. "supervisor").
  std::string kind = "supervisor";
  supervisor_options options;
  /// Factories by child kind.
  std::map<std::string, child_factory> factories;
  /// Children started at spawn, in order.
  std::vector<start_child> children;
};

/// Returns the delay before restart number `n` (0-based) inside the window,
/// before jitter: min(max_backoff, base_backoff * 2^n).
std::chrono::milliseconds restart_delay(const supervisor_options& opts,
                                        uint32_t n);

/// Book-keeping of one child.
struct supervised_child {
  start_child spec;
  caf::actor handle;
  uint32_t restarts = 0;
  std::deque<caf::actor_clock::time_point> recent;
  std::string last_exit;
  bool stopping = false;
  /// A start of the same name that arrived while this one was stopping: it
  /// is launched once the old incarnation is down.
  std::optional<start_child> start_after_stop;
};

/// State of a supervisor actor.
struct supervisor_state {
  std::string path;
  supervisor_spec spec;
  std::shared_ptr<actor_directory> directory;
  std::vector<supervised_child> children; // start order
  std::mt19937_64 rng;
  static const char* name;
};

/// Behavior of a supervisor at directory path `path`.
caf::behavior supervisor(caf::stateful_actor<supervisor_state>* self,
                         std::string path, supervisor_spec spec,
                         std::shared_ptr<actor_directory> directory);

/// Spawns a supervisor as a child of `parent` (linked by its own parent
/// supervisor); a convenience for factories of nested supervisors.
caf::actor spawn_supervisor(caf::local_actor* parent, const std::string& path,
                            supervisor_spec spec,
                            std::shared_ptr<actor_directory> directory);

/// Samples the calling actor's mailbox depth into the directory.
void note_mailbox(caf::local_actor* self, actor_directory& dir,
                  const std::string& kind);

} // namespace cafelet::actors
