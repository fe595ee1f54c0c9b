#pragma once
/// @file
/// The pod manager: the one place that knows which pods this node runs.
/// It admits new pods (upstream's admit handlers: pod count, cpu, memory,
/// ephemeral storage, node affinity, ports, NoExecute taints), starts one
/// pod worker per admitted pod UID under the pods supervisor, routes pod
/// updates from the API server and container events from the PLEG to it,
/// and forgets a pod once its worker reports it cleaned up.
///
/// Receives: `k8s::pod_watch_event` and `watch_synced` from the pod watch;
///   `static_pod_set_ptr` from the static pod source (the complete set of
///   static pods: new ones are admitted and started, missing ones stopped;
///   a new static pod whose name a terminating one still holds waits for it
///   to finish, as upstream's pod workers make static pods wait);
///   `container_event` from the PLEG; `(pod_hello_atom, uid)` from each
///   worker incarnation -> replies `(pod_update_atom, pod_ptr)` with the
///   newest pod (null for a pod it does not know; that worker also gets
///   `pod_removed_atom` and must clean up); `(pod_done_atom, uid)` from a worker; `caf::get_atom` ->
///   `pod_manager_stats_view`.
/// Mirror pods (annotation kubernetes.io/config.mirror) from the watch never
///   run: their events and the watch's `watch_synced` go to the mirror
///   manager. The mirror manager also gets, as a `static_pod_set_ptr`, the
///   static pods that have a worker (running or still terminating: a
///   terminating static pod keeps its mirror until it is done, as
///   upstream), after every change and on `static_resync_atom`. API pods
///   never count as static pods: a config.source annotation they carry is
///   replaced with "api", as upstream's config layer does.
/// Sends: `start_child{"pod", uid, transient, (pod_ptr)}` and
///   `stop_child{uid}` to the pods supervisor; `(pod_update_atom, pod_ptr)`
///   and `(pod_removed_atom, uid)` and `container_event` to workers;
///   `pod_status_update` (rejected pods) to the status manager;
///   `record_event` to the event recorder; `get_atom` to the PLEG once,
///   after the first sync of every source (API watch, static pods), to find
///   orphaned pods (each gets a worker that adopts and removes it);
///   `static_resync_atom` to the static pod source when it starts.
/// Supervised by: the node supervisor (permanent). A new incarnation knows
///   nothing; the watch's next relist and the workers' hellos rebuild it
///   (workers keep running meanwhile under the pods supervisor).

#include "actors/clock.hpp"
#include "actors/recent_set.hpp"
#include "actors/pods/admission.hpp"
#include "actors/pods/pod_board.hpp"
#include "actors/volumes/io_thread.hpp"
#include "actors/runtime/pleg.hpp"
#include "messages/api.hpp"
#include "messages/k8s/decode.hpp"
#include "messages/pods.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <deque>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace cafelet::actors {

/// Counters of the pod manager; outlive restarts.
struct pod_manager_stats {
  std::atomic<uint64_t> admitted{0};
  std::atomic<uint64_t> rejected{0};
  std::atomic<uint64_t> running{0};
  /// Pods known (admitted or rejected, not yet forgotten).
  std::atomic<uint64_t> known{0};
  std::atomic<uint64_t> routed_events{0};
  std::atomic<uint64_t> orphan_events{0};
};

/// Reply to `get_atom`.
struct pod_manager_stats_view {
  uint64_t known = 0;
  uint64_t workers = 0;
  uint64_t rejected = 0;
};

/// Settings of the pod manager.
struct pod_manager_config {
  /// Where pod workers run (kind "pod").
  caf::actor pods_supervisor;
  /// Receives `pod_status_update` for rejected pods (may be null).
  caf::actor status_manager;
  /// Receives `record_event` (may be null).
  caf::actor events;
  /// The PLEG (may be null): after the first sync with the API server its
  /// snapshot tells which pods run here without being bound here any more
  /// (orphans of an earlier cafelet), and they are cleaned up.
  caf::actor pleg;
  /// Pods leave the board when their worker is done (may be null).
  std::shared_ptr<pods::pod_board> board;
  /// The mirror manager: receives the mirror pods seen on the watch and
  /// the static pods that should have one (null: none, standalone).
  caf::actor mirrors;
  /// The static pod source (null: no staticPodPath).
  caf::actor static_source;
  /// Pods come from the API server (orphans are looked for only after its
  /// first sync).
  bool api_source = true;
  /// What admission checks against.
  pods::admission_node node;
  /// Wall clock for status times.
  wall_clock clock;
  /// Counters (may be null).
  std::shared_ptr<pod_manager_stats> stats;
  /// Volume I/O thread and kubelet root dir: after the first sync, the
  /// directories of pods neither bound here nor in the runtime are removed
  /// there (null: not done).
  std::shared_ptr<volumes::io_thread> io;
  std::string root_dir;
};

/// One pod the manager knows.
struct managed_pod {
  /// Newest version from the API server.
  k8s::pod_ptr pod;
  /// Its worker (null until the worker said hello, and for rejected pods).
  caf::actor worker;
  /// Rejected at admission: no worker, nothing runs.
  bool rejected = false;
  /// Removed from the API server; waiting for the worker to finish.
  bool removed = false;
};

/// State of the pod manager.
struct pod_manager_state {
  pod_manager_config cfg;
  /// True once orphans were looked for.
  bool orphans_checked = false;
  /// The sources that completed a first sync.
  bool api_synced = false;
  bool static_synced = false;
  /// UIDs of the static pods in the source's current set.
  std::unordered_set<std::string> static_uids;
  /// Static pods waiting for a terminating pod of the same name
  /// (namespace/name -> newest pod).
  std::unordered_map<std::string, k8s::pod_ptr> static_waiting;
  /// The static pods of the current set and those still terminating, by
  /// UID (their manifest JSON feeds the mirror manager).
  std::unordered_map<std::string, static_pod_entry> static_entries;
  /// The last set applied from the static source.
  static_pod_set_ptr static_set;
  /// The last set sent to the mirror manager.
  static_pod_set_ptr mirror_feed;
  /// Every pod UID bound here per the API server, finished ones included
  /// (their containers stay until the pod is deleted; they are no orphans).
  std::unordered_set<std::string> api_uids;
  std::unordered_map<std::string, managed_pod> pods;
  /// UIDs whose worker finished (bounded, oldest dropped first): later
  /// MODIFIED events for them (status patches, the final delete) must not
  /// start the pod again.
  recent_set finished{4096};
  static const char* name;
};

/// The pod manager actor.
caf::behavior pod_manager(caf::stateful_actor<pod_manager_state>* self,
                          pod_manager_config cfg);

} // namespace cafelet::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafelet::actors::pod_manager_stats_view)
