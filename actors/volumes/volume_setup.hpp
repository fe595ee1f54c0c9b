#pragma once
/// @file
/// A pod's volumes on the node, as whole-pod operations: set every volume
/// up (directories, tmpfs, hostPath checks, payloads written atomically),
/// turn a container's volumeMounts into CRI mounts (subPath resolved inside
/// its volume), tear everything down. Blocking file-system work: callers
/// run it on an I/O thread (`io_thread`), never on an actor thread.
///
/// Media as upstream: emptyDir on disk (or tmpfs for medium Memory),
/// configMap and downwardAPI volumes on disk, secret and projected volumes
/// on tmpfs (never on disk), hostPath where it is after its type check.

#include "actors/pods/expansion.hpp"
#include "actors/volumes/payload.hpp"
#include "messages/k8s/config.hpp"
#include "messages/k8s/pod.hpp"
#include "runtime/kuberuntime/container.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace cafelet::actors::volumes {

/// What a pod's volumes need from the API server.
struct volume_inputs {
  /// ConfigMaps by name (absent or null: missing).
  std::map<std::string, k8s::config_map_ptr> config_maps;
  /// Secrets by name (absent or null: missing).
  std::map<std::string, k8s::secret_ptr> secrets;
  /// Service-account tokens by (projected volume name, source index).
  std::map<std::pair<std::string, size_t>, std::string> tokens;
  /// Node allocatable (downward API defaults for unset limits).
  k8s::resource_list node_allocatable;
  /// Pod IPs and cluster domain for the managed /etc/hosts.
  std::vector<std::string> pod_ips;
  std::string cluster_domain;
};

/// `<root>/pods/<uid>/etc-hosts`: the pod's managed hosts file.
std::string etc_hosts_path(const std::string& root, const std::string& uid);

/// A volume set up for a pod.
struct mounted_volume {
  /// The pod's name for it.
  std::string name;
  /// Where it is on the node.
  std::string host_path;
  /// Its content is the kubelet's (configMap, secret, downwardAPI,
  /// projected): mounted read-only whatever the volumeMount says.
  bool kubelet_managed = false;
};

/// Sets up every volume of `pod` under `root` (the kubelet root dir), and
/// (re)writes its managed hosts file (`etc_hosts_path`; etc_hosts.hpp).
/// Idempotent: called again (an object changed), payloads are rewritten
/// only where they changed. Errors name the volume, e.g. `volume "cfg":
/// configmap "app-config" not found`, with the cause's code (`not_found`
/// for a missing object: the container waits in
/// CreateContainerConfigError).
caf::expected<std::vector<mounted_volume>>
setup_pod_volumes(const std::string& root, const k8s::pod& pod, const volume_inputs& in);

/// The CRI mounts of container `c` (`field` its path, e.g.
/// "spec.containers[0]"): each volumeMount's volume host path, or its
/// subPath (subPathExpr expanded with `env`) resolved inside the volume,
/// read-only if asked or kubelet-managed, with its propagation. Errors:
/// `spec.containers[0].volumeMounts[1].name: Not found: "x"`, a subPath
/// escaping its volume.
caf::expected<std::vector<kuberuntime::mount_spec>>
container_mounts(const k8s::container& c, std::string_view field,
                 const std::vector<mounted_volume>& vols,
                 const pods::env_list& env);

/// Unmounts and removes every volume of pod `uid` and its directory.
caf::error teardown_pod_volumes(const std::string& root, const std::string& uid);

} // namespace cafelet::actors::volumes
