#pragma once
/// @file
/// The mirror pod manager (upstream pkg/kubelet/pod/mirror_client.go and
/// the mirror handling of syncPod/HandlePodCleanups): gives every static
/// pod an API copy, its mirror pod, so the cluster sees what runs.
///
/// A mirror pod is the static pod's manifest as read (name-<node>, spec,
/// annotations) plus the annotation kubernetes.io/config.mirror = the
/// static pod's config.hash and a controller ownerReference to the Node
/// (apiVersion v1, kind Node, the node's name and UID), created with POST.
/// Per pod name it converges to "one mirror whose hash is the static pod's
/// UID": a mirror with another hash (the manifest changed), one being
/// deleted (someone deleted it: the static pod keeps running) or one
/// without a static pod is deleted (gracePeriodSeconds=0, UID
/// precondition), and a missing one is created. Orphans are deleted only
/// after both the static source and the pod list reported once. One call
/// per name at a time; failures retry after a capped, jittered backoff per
/// name (403/422: at the cap, with the server's message logged).
///
/// Receives: `static_pod_set_ptr` from the pod manager (the static pods
///   with a worker: running, or terminating, which keep their mirror until
///   done, as upstream; without staticPodPath an empty set, so orphaned
///   mirrors are still deleted);
///   `k8s::pod_watch_event` (mirror pods only) and `watch_synced` from the
///   pod manager; `(tick_atom, name)` retry timers to itself; API answers;
///   `caf::get_atom` -> `mirror_manager_view`.
/// Sends: GET /api/v1/nodes/<node> (the owner's UID), GET
///   /api/v1/pods?fieldSelector=spec.nodeName=<node> once at start (a new
///   incarnation learns the mirrors that exist), POST and DELETE
///   /api/v1/namespaces/<ns>/pods[/<name>]; `(mirror_pod_atom, uid,
///   mirror)` to the status manager whenever a static pod's mirror changes
///   (after writing it to the shared `mirror_table`); `static_resync_atom`
///   to the pod manager at start.
/// Supervised by: the node supervisor (permanent). A new incarnation lists
///   the mirrors, asks the static source for its set and converges again.

#include "actors/api/api_calls.hpp"
#include "actors/pods/status_manager.hpp"
#include "messages/api.hpp"
#include "messages/k8s/decode.hpp"
#include "messages/pods.hpp"
#include "net/client/backoff.hpp"

#include <caf/stateful_actor.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace cafelet::actors::pods {

/// Counters of the mirror manager; outlive restarts.
struct mirror_stats {
  std::atomic<uint64_t> created{0};
  std::atomic<uint64_t> deleted{0};
  std::atomic<uint64_t> failures{0};
};

/// Reply to `get_atom`.
struct mirror_manager_view {
  /// Static pods known.
  uint64_t statics = 0;
  /// Mirror pods known.
  uint64_t mirrors = 0;
  /// Static pods whose mirror matches.
  uint64_t matching = 0;
};

/// Settings of the mirror manager.
struct mirror_manager_config {
  std::string node_name;
  /// Receives `(mirror_pod_atom, uid, mirror)` (relay; may be null).
  caf::actor status_manager;
  /// Gets every mirror change (shared with the status manager; may be null).
  std::shared_ptr<mirror_table> table;
  /// Asked for the static pods at start: the pod manager (relay; may be
  /// null).
  caf::actor static_source;
  /// Retry backoff per pod name.
  net::backoff_policy retry{std::chrono::milliseconds{500},
                            std::chrono::milliseconds{10000}, 2.0, 0.2};
  std::chrono::milliseconds request_timeout{10000};
  uint64_t seed = 1;
  std::shared_ptr<mirror_stats> stats;
};

/// Per pod name (namespace/name).
struct mirror_slot {
  /// The static pod wanting this name, if any.
  std::optional<static_pod_entry> wanted;
  /// The mirror pod the API server has, if any.
  k8s::pod_ptr mirror;
  /// UID of the mirror last announced to the status manager ("" none).
  std::string announced;
  /// UID of the last mirror deleted here or seen DELETED: late watch
  /// events about it must not replace a newer mirror.
  std::string gone;
  bool busy = false;
  caf::actor_clock::time_point not_before;
  std::unique_ptr<net::backoff> retry;
};

/// State of the mirror manager.
struct mirror_manager_state {
  mirror_manager_config cfg;
  std::unique_ptr<api::api_calls> calls;
  std::map<std::string, mirror_slot> slots;
  std::string node_uid;
  bool node_lookup = false;
  /// The pods on the server are known (list answered or watch synced).
  bool listed = false;
  bool list_in_flight = false;
  /// The static pods are known (a first set arrived).
  bool statics_known = false;
  /// The last set applied.
  static_pod_set_ptr statics;
  /// Retry delays of the node lookup.
  std::unique_ptr<net::backoff> node_retry;
  static const char* name;
};

/// The mirror manager actor.
caf::behavior mirror_manager(caf::stateful_actor<mirror_manager_state>* self,
                             std::shared_ptr<api::transport> api,
                             std::shared_ptr<api::rate_limiter> limiter,
                             mirror_manager_config cfg);

/// The JSON body creating the mirror of `x` owned by node `node`/`node_uid`.
std::string mirror_pod_body(const static_pod_entry& x, const std::string& node,
                            const std::string& node_uid);

} // namespace cafelet::actors::pods

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafelet::actors::pods::mirror_manager_view)
