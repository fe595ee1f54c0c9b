#pragma once
/// @file
/// Messages of the pod side: container events found by the PLEG, pod
/// statuses handed to the status manager.

#include "messages/k8s/pod.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cafelet {

/// Pod worker -> pod manager: "I run pod <uid>" (each incarnation says it;
/// the reply carries the newest pod).
using pod_hello_atom = caf::atom_constant<caf::atom("pod_hello")>;
/// Pod manager -> pod worker: a newer version of its pod.
using pod_update_atom = caf::atom_constant<caf::atom("pod_upd")>;
/// Pod manager -> pod worker: the pod is gone from the API server.
using pod_removed_atom = caf::atom_constant<caf::atom("pod_rm")>;
/// Pod worker -> pod manager: done with pod <uid> (cleaned up).
using pod_done_atom = caf::atom_constant<caf::atom("pod_done")>;

/// What the PLEG saw happen to a container (or a sandbox).
enum class container_event_type : uint8_t {
  /// Now running (created and started, or seen running for the first time).
  started,
  /// Exited; `exit_code` and `reason` say how.
  died,
  /// Gone from the runtime.
  removed,
  /// Something else changed (e.g. created but not started).
  changed,
  /// The pod's sandbox is no longer ready.
  sandbox_changed,
};

/// Returns "started", "died", ...
const char* to_string(container_event_type x);

/// One container event from the PLEG, addressed by pod UID.
struct container_event {
  /// Pod UID (from the sandbox's io.kubernetes.pod.uid label).
  std::string pod_uid;
  /// What happened.
  container_event_type type = container_event_type::changed;
  /// Runtime ID of the container (or of the sandbox for sandbox_changed).
  std::string id;
  /// Container name (io.kubernetes.container.name label); empty for
  /// sandbox events.
  std::string name;
  /// Exit code of a died container.
  int32_t exit_code = 0;
  /// Runtime's reason of a died container ("Completed", "Error",
  /// "OOMKilled").
  std::string reason;
  /// When it finished (unix nanoseconds; 0 if unknown).
  int64_t finished_at_ns = 0;
  /// Termination message of a died container (its terminationMessagePath
  /// file, or the log tail under FallbackToLogsOnError).
  std::string message;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, container_event& x) {
  return f(caf::meta::type_name("container_event"), x.pod_uid, x.type, x.id,
           x.name, x.exit_code, x.reason, x.finished_at_ns, x.message);
}

/// A pod status computed by a pod actor for the status manager, shared
/// read-only.
struct pod_status_update {
  /// The pod as last seen from the API server (namespace, name, uid).
  k8s::pod_ptr pod;
  /// The status to publish.
  std::shared_ptr<const k8s::pod_status> status;
  /// True when this is the pod's final status: the status manager must get
  /// it accepted, then delete the pod object (gracePeriodSeconds=0 with a
  /// uid precondition) if it is being deleted.
  bool final = false;
};

/// Static pod source -> pod manager: the complete set of static pods the
/// manifests describe now (sent on every change). Pod manager -> mirror
/// manager: the static pods that have a worker (running or terminating),
/// which are the ones that should have a mirror pod.
struct static_pod_entry {
  /// The static pod (identity applied: name-<node>, UID, annotations).
  k8s::pod_ptr pod;
  /// The same pod as JSON, with every field of its manifest (for mirror
  /// pods and /pods).
  std::shared_ptr<const std::string> json;
  /// Manifest file it came from.
  std::string file;
};

/// The file source's pods, shared read-only.
struct static_pod_set {
  std::vector<static_pod_entry> pods;
  /// Bumped by every change; 1 is the first complete read.
  uint64_t generation = 0;
  /// Actor id of the sender: a consumer drops a set older than one it
  /// applied from the same sender (a resync answer can overtake changes).
  uint64_t source = 0;
};

/// True if `x` should be applied after `last` (null: nothing applied yet).
inline bool newer_than(const static_pod_set& x, const static_pod_set* last) {
  return last == nullptr || x.source != last->source || x.generation > last->generation;
}

/// Shared pointer to a `static_pod_set`.
using static_pod_set_ptr = std::shared_ptr<const static_pod_set>;

/// Anyone -> static pod source: send the current set again (a restarted
/// consumer asks; the reply is the set, or nothing before the first read).
using static_resync_atom = caf::atom_constant<caf::atom("st_resync")>;

/// Mirror manager -> status manager: the mirror pod of static pod <uid>
/// (payload: uid, mirror pod or null when it has none).
using mirror_pod_atom = caf::atom_constant<caf::atom("mirror_pod")>;

} // namespace cafelet

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafelet::pod_status_update)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafelet::static_pod_set_ptr)
