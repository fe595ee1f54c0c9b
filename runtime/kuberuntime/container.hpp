#pragma once
/// @file
/// A container of the pod as a CRI ContainerConfig, as upstream
/// generateContainerConfig builds it: metadata (attempt = restart count),
/// image, command/args, working dir, env, mounts (the caller's host-path
/// mounts plus the termination-message file), labels and annotations
/// (labels.hpp), log path, stdin/tty, and the Linux part (resources.hpp,
/// security.hpp). Pure: what needs I/O or other actors (pulling the image,
/// the image's user, the environment, the termination-log file) comes in
/// `container_inputs`.

#include "runtime/kuberuntime/pb.hpp"
#include "runtime/kuberuntime/security.hpp"
#include "runtime/kuberuntime/settings.hpp"

#include "messages/k8s/pod.hpp"

#include <caf/expected.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cafelet::kuberuntime {

/// A host path the caller mounts into the container.
struct mount_spec {
  /// Path on the node.
  std::string host_path;
  /// Path in the container.
  std::string container_path;
  /// Mount read-only.
  bool read_only = false;
  /// "None" (or empty), "HostToContainer" or "Bidirectional" (privileged
  /// containers only).
  std::string propagation;
  /// Make submounts read-only too.
  bool recursive_read_only = false;
};

/// What the caller resolved for one container start.
struct container_inputs {
  /// Restarts so far: the metadata attempt, the restartCount annotation and
  /// the log file name.
  int32_t restart_count = 0;
  /// Image to run, as PullImage/ImageStatus resolved it (an image ID or
  /// reference); empty runs `container.image`.
  std::string image_ref;
  /// The image's default user (ImageStatus); decides runAsUser when the
  /// spec sets none and checks runAsNonRoot.
  image_user user;
  /// The environment, already built and expanded (e.g. with
  /// `actors::pods::make_environment`), in order.
  std::vector<std::pair<std::string, std::string>> env;
  /// Expanded command (e.g. `actors::pods::expand_command`); nullopt uses
  /// `container.command` as written (empty: the image's entrypoint).
  std::optional<std::vector<std::string>> command;
  /// Expanded args; nullopt uses `container.args` as written (empty with an
  /// empty command: the image's cmd).
  std::optional<std::vector<std::string>> args;
  /// Host-path mounts (volumes), in order.
  std::vector<mount_spec> mounts;
  /// The file created for the termination message (see
  /// `termination_log_path`); empty mounts none.
  std::string termination_message_host_path;
  /// RuntimeClass handler of the pod; empty for the default.
  std::string runtime_handler;
};

/// The log path relative to the sandbox's log directory:
/// "<container>/<restart_count>.log".
std::string container_log_path(std::string_view container_name,
                               int32_t restart_count);

/// `<root_dir>/pods/<uid>/containers/<name>`: where termination-message
/// files live.
std::string pod_container_dir(const settings& s, std::string_view pod_uid,
                              std::string_view container_name);

/// `<pod_container_dir>/<unique_id>`: the termination-message file of one
/// container instance (the caller creates it, mode 0666, before
/// CreateContainer; upstream uses a random id).
std::string termination_log_path(const settings& s, std::string_view pod_uid,
                                 std::string_view container_name,
                                 std::string_view unique_id);

/// Builds container `c` of `pod` (QoS class `qos`). Fails with
/// `errc::invalid` and a message naming the field for a spec cafelet cannot
/// honour (invalid or contradictory resources, bad security context,
/// runAsNonRoot violations, unknown terminationMessagePolicy or mount
/// propagation, a negative restart count): the pod actor reports it as
/// CreateContainerConfigError.
caf::expected<pb::ContainerConfig>
make_container_config(const k8s::pod& pod, const k8s::container& c,
                      qos_class qos, const container_inputs& in,
                      const settings& s);

/// A CreateContainer request (containerd needs `sandbox_config`).
pb::CreateContainerRequest
make_create_container_request(std::string sandbox_id,
                              pb::ContainerConfig config,
                              pb::PodSandboxConfig sandbox_config);

} // namespace cafelet::kuberuntime
