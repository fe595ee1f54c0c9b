#pragma once
/// @file
/// Linux security settings of sandboxes and containers as the upstream
/// kubelet derives them (kuberuntime security_context.go
/// determineEffectiveSecurityContext, kuberuntime/util NamespacesForPod,
/// securitycontext helpers, getSeccompProfile, verifyRunAsNonRoot), plus
/// the checks the API server would have made, so that a spec cafelet cannot
/// honour fails with `errc::invalid` instead of reaching the runtime.

#include "runtime/kuberuntime/pb.hpp"
#include "runtime/kuberuntime/settings.hpp"

#include "messages/k8s/pod.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cafelet::kuberuntime {

/// The default user of an image, from ImageStatus (`Image.uid`,
/// `Image.username`). Neither set means root, as upstream assumes.
struct image_user {
  /// Numeric user id, if the image names one.
  std::optional<int64_t> uid;
  /// User name, if the image names a non-numeric user.
  std::string username;
};

/// Namespace modes of a pod's sandbox and containers: network NODE with
/// hostNetwork else POD; pid NODE with hostPID, POD with
/// shareProcessNamespace, else CONTAINER; ipc NODE with hostIPC else POD.
pb::NamespaceOption namespaces_for_pod(const k8s::pod& pod);

/// True if any init or app container asks to be privileged.
bool has_privileged_container(const k8s::pod& pod);

/// The sandbox's security context: namespaces, privileged if any container
/// is, runAsUser/runAsGroup of the pod, supplemental groups (fsGroup
/// first), seccomp RuntimeDefault, rootfs writable. Fails with
/// `errc::invalid` for negative ids.
caf::expected<pb::LinuxSandboxSecurityContext>
sandbox_security_context(const k8s::pod& pod);

/// The container's security context with the pod-level runAsUser,
/// runAsGroup, runAsNonRoot and seccompProfile filled in where the
/// container sets none (upstream DetermineEffectiveSecurityContext).
k8s::security_context effective_security_context(const k8s::pod& pod,
                                                 const k8s::container& c);

/// Upstream verifyRunAsNonRoot: with runAsNonRoot, runAsUser must not be 0,
/// or without runAsUser the image user must be numeric and not 0. Returns
/// an `errc::invalid` error with upstream's message (e.g. "container's
/// runAsUser breaks non-root policy (pod: ..., container: app)"), or none.
caf::error verify_run_as_non_root(const k8s::pod& pod, const k8s::container& c,
                                  const image_user& user);

/// The container's seccomp profile: the container's, else the pod's, else
/// RuntimeDefault with seccompDefault and Unconfined without. Localhost
/// profiles resolve below `<root_dir>/seccomp/`. Fails with
/// `errc::invalid` for an unknown type or a missing, absolute or escaping
/// localhostProfile.
caf::expected<pb::SecurityProfile>
seccomp_profile(const k8s::pod& pod, const k8s::container& c,
                const settings& s);

/// Paths masked in /proc and /sys unless privileged or procMount Unmasked.
const std::vector<std::string>& default_masked_paths();

/// Paths made read-only in /proc unless privileged or procMount Unmasked.
const std::vector<std::string>& default_readonly_paths();

/// The container's security context: capabilities as written, privileged,
/// runAsUser (else the image's uid or user name), runAsGroup,
/// readonly_rootfs, supplemental groups (fsGroup first), namespaces,
/// no_new_privs when allowPrivilegeEscalation is false, default masked and
/// read-only paths unless privileged or Unmasked, seccomp. Fails with
/// `errc::invalid` for negative ids, privileged or CAP_SYS_ADMIN together
/// with allowPrivilegeEscalation false, an unknown procMount, a bad seccomp
/// profile, or a runAsNonRoot violation.
caf::expected<pb::LinuxContainerSecurityContext>
container_security_context(const k8s::pod& pod, const k8s::container& c,
                           const image_user& user, const settings& s);

} // namespace cafelet::kuberuntime
