#pragma once
/// @file
/// The shape of cafelet's supervision tree:
///
///   root (supervisor)
///   +-- watchdog            scheduler heartbeat for /healthz
///   +-- memory-trim         gives freed heap pages back every 10 s
///   +-- node (supervisor)
///   |   +-- events            event recorder                  (API server)
///   |   +-- node-status       registration and node status    (API server)
///   |   +-- runtime-health    runtime readiness and version   (API server)
///   |   +-- lease             node Lease heartbeat            (API server)
///   |   +-- status-manager    pod statuses (API and /pods; local only
///   |   |                     when standalone)
///   |   +-- object-manager, token-manager, service-env        (API server)
///   |   +-- pod-manager       admission, one worker per pod
///   |   +-- pleg              container events from the runtime
///   |   +-- static-source     static pods from staticPodPath
///   |   +-- mirror-manager    mirror pods of static pods, orphaned
///   |   |                     mirrors deleted                 (API server)
///   |   +-- pod-watch         list+watch of the pods bound here (API server)
///   +-- pods (supervisor)   one actor per pod
///
/// Without --kubeconfig (standalone) only the pod side and the static pod
/// source run.
///
/// Siblings reach restartable actors through relays (actors/relay.hpp), so
/// a restart never leaves a stale handle behind. `make_root_spec` builds
/// the root's spec; main() spawns it and watches it.

#include "actors/actor_directory.hpp"
#include "actors/api/link.hpp"
#include "actors/events/event_recorder.hpp"
#include "actors/lease/lease.hpp"
#include "actors/memory_trim.hpp"
#include "actors/node/node_status.hpp"
#include "actors/pods/mirror_manager.hpp"
#include "actors/pods/pod_board.hpp"
#include "actors/pods/pod_manager.hpp"
#include "actors/pods/static_source.hpp"
#include "actors/pods/pod_source.hpp"
#include "actors/pods/status_manager.hpp"
#include "actors/objects/object_manager.hpp"
#include "actors/objects/service_env.hpp"
#include "actors/objects/token_manager.hpp"
#include "actors/probes/probe_actor.hpp"
#include "actors/volumes/io_thread.hpp"
#include "actors/runtime/pleg.hpp"
#include "actors/runtime/runtime_health.hpp"
#include "actors/supervisor.hpp"
#include "actors/watch/watch_stream.hpp"
#include "messages/config/flags.hpp"
#include "net/metrics/registry.hpp"

#include <caf/actor_system.hpp>

#include <memory>
#include <optional>

namespace cafelet::actors {

/// Counters of the node agent's actors; they outlive restarts and feed
/// /metrics.
struct agent_stats {
  std::shared_ptr<lease_stats> lease = std::make_shared<lease_stats>();
  std::shared_ptr<pod_source_stats> pods = std::make_shared<pod_source_stats>();
  std::shared_ptr<node_status_stats> node = std::make_shared<node_status_stats>();
  std::shared_ptr<event_stats> events = std::make_shared<event_stats>();
  std::shared_ptr<watch_stats> pod_watch = std::make_shared<watch_stats>();
  std::shared_ptr<pod_manager_stats> pod_manager
    = std::make_shared<pod_manager_stats>();
  std::shared_ptr<pods::status_manager_stats> status_manager
    = std::make_shared<pods::status_manager_stats>();
  std::shared_ptr<pods::final_status_journal> finals
    = std::make_shared<pods::final_status_journal>();
  std::shared_ptr<pods::mirror_stats> mirrors = std::make_shared<pods::mirror_stats>();
  std::shared_ptr<memory_trim_stats> trims = std::make_shared<memory_trim_stats>();
  std::shared_ptr<pleg_stats> pleg = std::make_shared<pleg_stats>();
  std::shared_ptr<probe_stats> probes = std::make_shared<probe_stats>();
  std::shared_ptr<token_stats> tokens = std::make_shared<token_stats>();
  std::shared_ptr<object_manager_stats> objects = std::make_shared<object_manager_stats>();
  /// Messages to a restarting actor that a relay had to drop.
  std::shared_ptr<std::atomic<uint64_t>> relay_drops
    = std::make_shared<std::atomic<uint64_t>>(0);
};

/// What the node supervisor's children share.
struct agent_wiring {
  /// The API server connection; none: standalone mode (no API server).
  std::optional<api::api_link> link;
  /// Counters.
  agent_stats stats;
  /// Relay to the event recorder (null in standalone mode).
  caf::actor events;
  /// Relay to the pod source.
  caf::actor pod_source;
  /// Relay to the node status actor.
  caf::actor node_status;
  /// Relays of the pod side (null without a container runtime).
  caf::actor pod_manager;
  caf::actor status_manager;
  caf::actor pods_supervisor;
  caf::actor pleg;
  /// Relays to the object manager and the token manager.
  caf::actor objects;
  caf::actor tokens;
  /// Relays to the static pod source and the mirror manager.
  caf::actor static_source;
  caf::actor mirrors;
  /// Mirror pods of static pods (mirror manager -> status manager).
  std::shared_ptr<pods::mirror_table> mirror_table = std::make_shared<pods::mirror_table>();
  /// The pods this node runs with their statuses (`/pods`).
  std::shared_ptr<pods::pod_board> board = std::make_shared<pods::pod_board>();
  /// The container runtime (null: none configured).
  std::shared_ptr<cri::client> cri;
  /// The API server Service's variables for containers.
  std::shared_ptr<service_env_cache> service_env = std::make_shared<service_env_cache>();
  /// Runs the blocking file-system work of pod volumes.
  /// (Made with the pod side when there is a container runtime.)
  std::shared_ptr<volumes::io_thread> volume_io;
  /// Runs probe attempts (made with the pod side when there is a runtime).
  std::shared_ptr<probes::probe_executor> probes;
  /// Node allocatable as registered (for admission and the downward API).
  k8s::resource_list allocatable;
  /// The node's IPs (--node-ip, else detected as the node status does).
  std::vector<std::string> host_ips;
};

/// Creates the relays of `w` in `sys`.
void make_relays(caf::actor_system& sys, agent_wiring& w);

/// Stops the relays of `w` and forgets the registered incarnations (after
/// the tree is down; they would otherwise keep the actor system waiting).
void stop_relays(caf::actor_system& sys, agent_wiring& w);

/// Registers the agent's metrics (lease lateness histogram, renewals,
/// pods, ...) in `reg`.
caf::error register_agent_metrics(net::metrics::registry& reg, agent_wiring& w);

/// Builds the spec of the root supervisor for `cfg`.
supervisor_spec make_root_spec(const config::resolved_configuration& cfg,
                               std::shared_ptr<actor_directory> dir,
                               std::shared_ptr<agent_wiring> wiring = nullptr);

} // namespace cafelet::actors
