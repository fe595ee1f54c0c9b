#pragma once
/// @file
/// The pod status manager actor: publishes the statuses pod actors compute
/// to the API server, as upstream's status manager
/// (pkg/kubelet/status/status_manager.go) does.
///
/// Receives: `pod_status_update` from pod actors (any rate);
///   `(status_forget_atom, uid)` from the pod manager when a pod is gone
///   for good (upstream RemoveOrphanedStatuses); `(status_revive_atom, uid)`
///   from the pod manager; `(mirror_pod_atom, uid, mirror)` from the mirror
///   manager; `caf::get_atom` ->
///   `status_manager_snapshot` (tests, /debug); from itself
///   `status_sync_atom` (updates arrived), `(status_retry_atom, uid)` (a
///   pod's retry backoff expired) and `tick_atom` (periodic sync); API
///   answers via its `api_calls`; `crash_atom` (fault injection).
/// Sends: PATCH /api/v1/namespaces/<ns>/pods/<name>/status (strategic
///   merge patch with a metadata.uid precondition) and, after a pod's final
///   status was accepted while the pod has a deletionTimestamp, DELETE
///   /api/v1/namespaces/<ns>/pods/<name> with gracePeriodSeconds=0 and a
///   uid precondition; both on the main transport through the shared rate
///   limiter.
/// Supervised by: the node supervisor (permanent). A restarted incarnation
///   starts with an empty cache: the pod actors' next updates repopulate it
///   (each is compared with the pod's status as the API server has it, so
///   nothing unchanged is re-sent). Final statuses not yet done are kept in
///   a `final_status_journal` shared across restarts and resumed at once
///   (as if forgotten: a non-retryable answer ends them).
///   Counters live in `status_manager_stats`, which survives restarts too.
///
/// Per pod UID it keeps the newest wanted status and the one the server
/// last accepted. At most one call per pod is in flight; updates arriving
/// meanwhile (or in the same burst) replace the wanted status, so a pod's
/// pending update is sent once, with the newest status. A status is sent
/// only if `status_changed` (upstream `!isPodStatusByKubeletEqual`) against
/// the last accepted one (or the pod's status from the API server). Answers:
/// - 2xx: accepted; a newer wanted status goes out at once;
/// - 404: the pod is gone: the uid's entry is dropped;
/// - 409, or 422 naming metadata.uid: the pod was replaced (the uid
///   precondition failed): dropped likewise;
/// - other errors: retried after a capped, jittered backoff (retryable
///   errors) or at the cap (others, e.g. 403, 422 validation), until
///   accepted, superseded, or the pod is forgotten. A final status is never
///   dropped for an error other than the pod being gone or replaced (or,
///   once forgotten, a non-retryable one).
/// Contract with pod actors: `final` is set on the terminal status (phase
/// Succeeded/Failed, as upstream TerminatePod makes it); later non-final
/// updates are ignored. A final status of a pod without deletionTimestamp
/// is forgotten once accepted, so the pod actor sends it again (with the
/// deleting pod) when the pod gets a deletionTimestamp: then only the
/// DELETE goes out if the server already has that status.
/// A periodic sync (upstream: every 10 s) re-checks every pod whose last
/// call failed. Dropped uids are remembered (bounded) so late updates of a
/// dying pod actor cause no calls. An entry is forgotten when its final
/// status was accepted (and the pod deleted, if it was being deleted) or on
/// `status_forget_atom`; a final status still pending then is published
/// first (the pod manager may forget a pod as soon as its worker is done),
/// until accepted or a non-retryable answer (e.g. 404, or 403 once the
/// node authorizer no longer links the pod to this node). Mirror pods are
/// never deleted here (the mirror manager owns them).
///
/// Static pods: their status goes to their mirror pod (same name; the
/// mirror manager names it with `(mirror_pod_atom, uid, mirror)`), with
/// the mirror's UID as precondition; without a mirror nothing is sent, and
/// a new mirror gets the newest status at once. The mirrors live in a
/// shared `mirror_table` the mirror manager writes (it survives restarts of
/// this actor); `mirror_pod_atom` says one changed. Static entries stay
/// until forgotten, so a recreated mirror gets the final status again; a
/// 404/409 retries (the mirror manager replaces a mirror that is gone). A
/// forgotten UID counts again only after `status_revive_atom` from the pod
/// manager (a static pod put back has the same UID: late statuses of its
/// old worker must not stick to the new one).
///
/// Local mode (no API transport, standalone): statuses only go to the pod
/// board. In both modes every accepted update goes to the board (`/pods`).
///
/// Differences from upstream: no GET before each patch (the uid
/// precondition detects a replaced pod; upstream GETs to compute a
/// two-way diff, this sends every kubelet-owned field); failures back off
/// per pod instead of waiting for the next sync; the pod actors, not the
/// status manager, compute conditions' times, startTime and the terminal
/// phase of a final status (upstream updateStatusInternal/TerminatePod);
/// illegal container transitions (`check_transition`) are refused here as
/// upstream does.

#include "actors/api/api_calls.hpp"
#include "actors/recent_set.hpp"
#include "actors/pods/pod_board.hpp"
#include "messages/pods.hpp"
#include "net/client/backoff.hpp"

#include <caf/actor_clock.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/stateful_actor.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace cafelet::actors::pods {

/// Forget a pod (payload: its UID): the pod manager no longer has it.
using status_forget_atom = caf::atom_constant<caf::atom("st_forget")>;
/// A forgotten UID runs again (payload: its UID; a static pod put back):
/// its statuses count again, from a clean entry.
using status_revive_atom = caf::atom_constant<caf::atom("st_revive")>;
/// A pod's retry backoff expired (payload: its UID); sent to itself.
using status_retry_atom = caf::atom_constant<caf::atom("st_retry")>;
/// Updates arrived: sync the pods that changed; sent to itself.
using status_sync_atom = caf::atom_constant<caf::atom("st_sync")>;

/// Counters of the status manager; shared with metrics and /debug and kept
/// across restarts. Thread-safe.
struct status_manager_stats {
  /// `pod_status_update` messages received.
  std::atomic<uint64_t> updates{0};
  /// Updates replaced by a newer one before they were sent.
  std::atomic<uint64_t> coalesced{0};
  /// Statuses not sent because the server already has them.
  std::atomic<uint64_t> unchanged{0};
  /// PATCH calls made.
  std::atomic<uint64_t> patches_sent{0};
  /// PATCH calls the server accepted.
  std::atomic<uint64_t> patches_accepted{0};
  /// PATCH calls that failed (any error, including 404 and 422).
  std::atomic<uint64_t> patch_failures{0};
  /// DELETE calls made.
  std::atomic<uint64_t> deletes_sent{0};
  /// Pods deleted (200, or 404/409: already gone or replaced).
  std::atomic<uint64_t> deletes_done{0};
  /// DELETE calls that failed and will be retried.
  std::atomic<uint64_t> delete_failures{0};
  /// Pods dropped because they are gone or were replaced, and updates
  /// refused (illegal transition, malformed, for a dropped uid).
  std::atomic<uint64_t> dropped{0};
  /// Entries forgotten (final status done, or `status_forget_atom`).
  std::atomic<uint64_t> forgotten{0};
  /// HTTP status of the last failed call (0: none or no answer).
  std::atomic<int32_t> last_http_status{0};
};

/// Final statuses not yet done (accepted, and the pod deleted if needed),
/// by pod UID. Shared across restarts so that a crash never loses a final
/// status. Thread-safe.
class final_status_journal {
public:
  /// Records (or replaces) the final status of `x.pod`.
  void keep(const pod_status_update& x);

  /// Removes the entry of `uid`, if any.
  void drop(std::string_view uid);

  /// All entries.
  std::vector<pod_status_update> entries() const;

  /// Number of entries.
  size_t size() const;

private:
  mutable std::mutex mtx_;
  std::map<std::string, pod_status_update, std::less<>> entries_;
};

/// The mirror pod of each static pod (by static pod UID), as the mirror
/// manager knows it; shared so that a restarted status manager finds the
/// mirrors at once. Thread-safe.
class mirror_table {
public:
  /// Records the mirror of `uid` (null: it has none).
  void set(const std::string& uid, k8s::pod_ptr mirror);

  /// The mirror of `uid`, or null.
  k8s::pod_ptr get(const std::string& uid) const;

  /// Number of static pods with a mirror.
  size_t size() const;

private:
  mutable std::mutex mtx_;
  std::unordered_map<std::string, k8s::pod_ptr> mirrors_;
};

/// Settings of the status manager.
struct status_manager_config {
  /// Period of the full sync (upstream syncPeriod: 10 s).
  std::chrono::milliseconds sync_period{10000};
  /// Retry backoff per pod after a failed call; its cap is also the retry
  /// pace of non-retryable errors.
  net::backoff_policy retry{std::chrono::milliseconds{500},
                            std::chrono::milliseconds{10000}, 2.0, 0.2};
  /// Longest Retry-After (429/503) honoured.
  std::chrono::milliseconds max_retry_after{60000};
  /// Client-side time limit of each call.
  std::chrono::milliseconds request_timeout{10000};
  /// Dropped uids remembered (oldest forgotten first).
  size_t gone_capacity = 1024;
  /// Seed of the retry jitter (reproducible runs).
  uint64_t seed = 1;
  /// Counters; null: the actor makes its own.
  std::shared_ptr<status_manager_stats> stats;
  /// Pending final statuses; null: the actor makes its own (then a restart
  /// loses them).
  std::shared_ptr<final_status_journal> finals;
  /// Gets every accepted update (may be null).
  std::shared_ptr<pod_board> board;
  /// Mirrors of static pods; null: the actor makes its own (filled by
  /// `mirror_pod_atom` only).
  std::shared_ptr<mirror_table> mirrors;
};

/// What the status manager knows, as replied to `get_atom`.
struct status_manager_snapshot {
  /// Pods in the cache.
  uint64_t pods = 0;
  /// Pods with work left: a status not yet accepted, a call in flight, or
  /// a final status (or delete) not yet done.
  uint64_t pending = 0;
  /// Calls in flight (including those waiting for the rate limiter).
  uint64_t in_flight = 0;
  /// Remembered dropped uids.
  uint64_t gone = 0;
  /// PATCH calls made (all incarnations).
  uint64_t patches_sent = 0;
  /// PATCH calls failed (all incarnations).
  uint64_t patch_failures = 0;
  /// DELETE calls made (all incarnations).
  uint64_t deletes_sent = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f,
                                        status_manager_snapshot& x) {
  return f(caf::meta::type_name("status_manager_snapshot"), x.pods,
           x.pending, x.in_flight, x.gone, x.patches_sent, x.patch_failures,
           x.deletes_sent);
}

/// What the status manager keeps per pod UID.
struct pod_status_entry {
  /// The pod as last seen in an update (namespace, name, annotations).
  k8s::pod_ptr pod;
  /// The newest status wanted.
  std::shared_ptr<const k8s::pod_status> wanted;
  /// The status the server last accepted; null: `pod->status` (a static
  /// pod's: its mirror's).
  std::shared_ptr<const k8s::pod_status> accepted;
  /// A static pod's mirror pod (null: none, or not a static pod).
  k8s::pod_ptr mirror;
  /// Version of `wanted` (bumped by every update).
  uint64_t version = 0;
  /// Version the server has (accepted, or found unchanged).
  uint64_t accepted_version = 0;
  /// Version of the last PATCH made.
  uint64_t sent_version = 0;
  /// `wanted` is the pod's final status (sticky).
  bool final = false;
  /// The pod has a deletionTimestamp (sticky).
  bool deleting = false;
  /// The pod manager forgot the pod while its final status was pending:
  /// the final status is still published, but a non-retryable error now
  /// ends the attempt.
  bool orphaned = false;
  /// A PATCH or DELETE is in flight.
  bool in_flight = false;
  /// The `api_calls` token of the call in flight.
  uint64_t call = 0;
  /// Earliest time of the next call (after a failure).
  caf::actor_clock::time_point not_before;
  /// Retry delays after consecutive failures; null while all is well.
  std::unique_ptr<net::backoff> retry;
};

/// State of the status manager.
struct status_manager_state {
  status_manager_config cfg;
  std::unique_ptr<api::api_calls> calls;
  /// Entries by pod UID.
  std::unordered_map<std::string, pod_status_entry> pods;
  /// UIDs updated since the last `status_sync_atom`.
  std::unordered_set<std::string> dirty;
  /// True while a `status_sync_atom` is on its way.
  bool sync_pending = false;
  /// Dropped uids, and their order for eviction.
  recent_set gone{0};
  static const char* name;
};

/// The status manager actor. `limiter` is the main transport's shared rate
/// limiter (may be null in tests); a null `api` is local mode.
caf::behavior status_manager(caf::stateful_actor<status_manager_state>* self,
                             std::shared_ptr<api::transport> api,
                             std::shared_ptr<api::rate_limiter> limiter,
                             status_manager_config cfg);

/// `/api/v1/namespaces/<ns>/pods/<name>/status`.
std::string pod_status_path(std::string_view ns, std::string_view name);

/// `/api/v1/namespaces/<ns>/pods/<name>`.
std::string pod_path(std::string_view ns, std::string_view name);

} // namespace cafelet::actors::pods
