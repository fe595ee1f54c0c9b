#pragma once
/// @file
/// The pod lifecycle as an explicit state machine (Krustlet-style small
/// named states). The pod actor feeds it events from the runtime, its
/// timers and the API server, and performs the action each transition
/// names; the machine itself does no I/O, so every path is testable.
///
/// Transition table (state --event--> next state / action):
///
///   admitting         --admitted-------------> creating_sandbox / run sandbox
///   admitting         --rejected-------------> rejected / publish Failed status
///   creating_sandbox  --sandbox_ready--------> initializing / start init 0
///                                               (running / start containers
///                                               when there are no init ones)
///   creating_sandbox  --sandbox_failed-------> sandbox_backoff / arm timer
///   sandbox_backoff   --backoff_expired------> creating_sandbox / run sandbox
///   initializing      --init_succeeded-------> initializing / start next init
///                                               (running / start containers
///                                               after the last one)
///   initializing      --init_failed----------> initializing / restart it after
///                                               backoff (completed / publish
///                                               Failed under restartPolicy
///                                               Never)
///   running           --container_exited-----> running / restart per policy
///   running           --all_done-------------> completed / publish
///                                               Succeeded or Failed
///   running,
///   initializing      --sandbox_lost---------> creating_sandbox / kill what
///                                               is left, new sandbox
///   any live state    --delete_requested-----> terminating / stop containers
///                                               with the grace period
///   terminating       --grace_expired--------> terminating / runtime kills
///   terminating       --all_stopped----------> cleaning_up / remove
///                                               containers and sandbox
///   completed,
///   rejected          --delete_requested-----> cleaning_up / remove
///   cleaning_up       --cleaned--------------> terminated / publish final
///                                               status, delete the object
///
/// Anything else is a broken invariant: `step` returns an error naming the
/// state and event, and the pod actor fails loudly (its supervisor restarts
/// it, and re-adoption rebuilds the state from the runtime).

#include <caf/expected.hpp>

#include <cstdint>
#include <string_view>
#include <vector>

namespace cafelet::actors {

/// Where a pod is in its life.
enum class pod_state : uint8_t {
  admitting,
  rejected,
  creating_sandbox,
  sandbox_backoff,
  initializing,
  running,
  completed,
  terminating,
  cleaning_up,
  terminated,
};

/// What happened to a pod.
enum class pod_event : uint8_t {
  admitted,
  rejected,
  sandbox_ready,
  sandbox_failed,
  backoff_expired,
  init_succeeded,
  init_failed,
  container_exited,
  all_done,
  sandbox_lost,
  delete_requested,
  grace_expired,
  all_stopped,
  cleaned,
};

/// What the pod actor must do after a transition.
enum class pod_action : uint8_t {
  none,
  run_sandbox,
  arm_sandbox_backoff,
  start_next_init,
  restart_init_after_backoff,
  start_containers,
  restart_per_policy,
  publish_completed,
  publish_rejected,
  recreate_sandbox,
  stop_containers,
  kill_containers,
  remove_all,
  publish_final_and_delete,
};

/// Facts about the pod that decide between alternatives.
struct pod_facts {
  /// Number of init containers in the spec.
  uint32_t init_containers = 0;
  /// Index of the init container that just succeeded (init_succeeded).
  uint32_t init_index = 0;
  /// restartPolicy is Never.
  bool restart_never = false;
};

/// A transition.
struct pod_transition {
  pod_state next;
  pod_action action;
};

/// Returns "admitting", "creating_sandbox", ...
std::string_view to_string(pod_state x);

/// Returns "admitted", "sandbox_ready", ...
std::string_view to_string(pod_event x);

/// Returns "run_sandbox", "stop_containers", ...
std::string_view to_string(pod_action x);

/// True for states in which containers may exist and must be stopped on
/// deletion.
bool is_live(pod_state x) noexcept;

/// True for states the pod never leaves except by deletion.
bool is_final(pod_state x) noexcept;

/// Computes the transition for `ev` in `from`; `errc::internal` naming
/// both if the table has no such transition.
caf::expected<pod_transition> step(pod_state from, pod_event ev,
                                   const pod_facts& facts = {});

/// Every (state, event) pair the table accepts, for documentation and tests.
std::vector<std::pair<pod_state, pod_event>> accepted_pairs();

} // namespace cafelet::actors
