#pragma once
/// @file
/// The pods this node runs with their newest status, readable from any
/// thread: the endpoints server renders `/pods` from it without sending a
/// message to an actor. The status manager writes statuses (every update
/// pod workers send), the pod manager erases a pod when its worker is done
/// (and revives a static pod put back); the static pod source
/// records the full manifest JSON of static pods so `/pods` shows their
/// whole spec. Entries share the decoded objects; nothing is copied.

#include "actors/recent_set.hpp"
#include "messages/k8s/pod.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace cafelet::actors::pods {

/// Thread-safe board of pods and statuses.
class pod_board {
public:
  /// Records the newest status of `pod` (keyed by its UID), unless the pod
  /// was erased.
  void put(k8s::pod_ptr pod, std::shared_ptr<const k8s::pod_status> status);

  /// Forgets pod `uid` for good: later `put`s for it are ignored (a late
  /// status must not bring it back) until `revive`.
  void erase(const std::string& uid);

  /// Accepts `put`s for `uid` again (a static pod added back).
  void revive(const std::string& uid);

  /// Records the manifest JSON of static pod `uid` (null: forget it).
  void set_manifest(const std::string& uid, std::shared_ptr<const std::string> json);

  /// Number of pods with a status.
  size_t size() const;

  /// A v1 PodList of every pod with a status, ordered by namespace and
  /// name: metadata as the node knows it, the spec (a static pod's whole
  /// manifest spec; for API pods nodeName, restartPolicy and the
  /// containers' names and images), and the status the node computed.
  std::string pod_list_json() const;

private:
  struct entry {
    k8s::pod_ptr pod;
    std::shared_ptr<const k8s::pod_status> status;
  };
  mutable std::mutex mtx_;
  std::map<std::string, entry, std::less<>> pods_;
  /// Static pods' manifest JSON and, once a request needed it, its spec.
  struct manifest {
    std::shared_ptr<const std::string> json;
    std::shared_ptr<const std::string> spec;
  };
  mutable std::map<std::string, manifest, std::less<>> manifests_;
  /// Erased UIDs (bounded, oldest forgotten first).
  recent_set erased_{4096};
};

} // namespace cafelet::actors::pods
