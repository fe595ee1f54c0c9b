#pragma once
/// @file
/// What a pod worker asks of the container runtime, as asynchronous
/// operations with completion callbacks (run on any thread). The production
/// implementation sits on the CRI client and the kuberuntime builders; the
/// simulated runtime and tests implement it directly, which keeps the pod
/// worker's logic independent of gRPC and testable under virtual time.

#include "actors/volumes/volume_setup.hpp"
#include "messages/k8s/config.hpp"
#include "messages/k8s/pod.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cafelet::actors::pods {

/// A running sandbox.
struct sandbox_info {
  /// Runtime ID.
  std::string id;
  /// Pod IPs (empty for host-network pods; the worker uses the node IP).
  std::vector<std::string> ips;
};

/// An image present on the node.
struct ready_image {
  /// Image reference from the runtime (imageID in the status).
  std::string ref;
  /// Size in bytes as the runtime reports it (0 if unknown).
  uint64_t size_bytes = 0;
};

/// A container as the runtime reports it after creation.
struct created_container {
  /// Runtime ID (without the "containerd://" prefix).
  std::string id;
  /// Image reference resolved by the runtime (imageID).
  std::string image_ref;
};

/// A container of the pod found in the runtime (re-adoption).
struct existing_container {
  /// Container name (io.kubernetes.container.name).
  std::string name;
  /// Runtime ID.
  std::string id;
  /// True if running; false if exited.
  bool running = false;
  /// Exit code and reason of an exited container.
  int32_t exit_code = 0;
  std::string reason;
  /// Restart count recorded when it was created.
  int32_t restart_count = 0;
  /// Image reference.
  std::string image_ref;
};

/// What the runtime already runs for a pod (after a cafelet restart).
struct existing_pod {
  /// Its newest sandbox, if any.
  std::optional<sandbox_info> sandbox;
  /// False if that sandbox is no longer ready (its pause process died, its
  /// network is gone): the worker replaces it, as after a sandbox loss.
  bool sandbox_ready = true;
  /// Attempt number of that sandbox.
  uint32_t sandbox_attempt = 0;
  /// The newest container per name in that sandbox.
  std::vector<existing_container> containers;
  /// Older sandboxes of the pod (left by an earlier sandbox loss): the
  /// worker stops and removes them, with their containers.
  std::vector<std::string> stale_sandboxes;
};

/// What a container needs beyond its spec: the pod's volumes as set up
/// (its volumeMounts are resolved against them) and the objects its
/// environment refers to (configMapKeyRef, secretKeyRef, envFrom).
struct container_context {
  /// The pod's volumes (empty: the pod has none, or they are not set up).
  std::vector<volumes::mounted_volume> volumes;
  /// ConfigMaps and Secrets of the pod's namespace by name (absent or
  /// null: missing).
  std::map<std::string, k8s::config_map_ptr> config_maps;
  std::map<std::string, k8s::secret_ptr> secrets;
  /// The pod's managed hosts file, mounted at /etc/hosts into containers
  /// that mount nothing there themselves (empty: none).
  std::string etc_hosts;
};

/// Completion of an operation returning `T`.
template <class T>
using runtime_cb = std::function<void(caf::expected<T>)>;

/// Completion of an operation returning nothing.
using runtime_done = std::function<void(caf::error)>;

/// The runtime as a pod worker sees it. Thread-safe.
class pod_runtime {
public:
  virtual ~pod_runtime();

  /// Creates and starts the pod's sandbox (RunPodSandbox) for `attempt`.
  virtual void run_sandbox(const k8s::pod& pod, uint32_t attempt,
                           runtime_cb<sandbox_info> cb) = 0;

  /// Asks whether the container's image is present (ImageStatus); nullopt
  /// if it is not. The pull policy is the worker's business.
  virtual void image_status(const k8s::container& c,
                            runtime_cb<std::optional<ready_image>> cb) = 0;

  /// Pulls the container's image (PullImage, then its size).
  virtual void pull_image(const k8s::pod& pod, const k8s::container& c,
                          runtime_cb<ready_image> cb) = 0;

  /// Creates a container (CreateContainer) with its environment and
  /// mounts from `ctx`; `errc::invalid` means the spec cannot be honoured
  /// or a referenced object or key is missing (CreateContainerConfigError).
  virtual void create_container(const k8s::pod& pod, const k8s::container& c,
                                const sandbox_info& sandbox,
                                uint32_t restart_count, const container_context& ctx,
                                runtime_cb<created_container> cb) = 0;

  /// Starts a created container.
  virtual void start_container(const std::string& id, runtime_done cb) = 0;

  /// Stops a container: SIGTERM, SIGKILL after `grace_seconds`.
  virtual void stop_container(const std::string& id, int64_t grace_seconds,
                              runtime_done cb) = 0;

  /// Removes a stopped container.
  virtual void remove_container(const std::string& id, runtime_done cb) = 0;

  /// Stops the sandbox (and its network).
  virtual void stop_sandbox(const std::string& id, runtime_done cb) = 0;

  /// Removes the sandbox.
  virtual void remove_sandbox(const std::string& id, runtime_done cb) = 0;

  /// Finds what already runs for `pod` (its newest sandbox and containers),
  /// so that a restarted cafelet adopts instead of starting again. The
  /// default finds nothing.
  virtual void find_pod(const k8s::pod& pod, runtime_cb<existing_pod> cb);
};

} // namespace cafelet::actors::pods
