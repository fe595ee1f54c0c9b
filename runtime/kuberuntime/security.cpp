#include "runtime/kuberuntime/security.hpp"

#include "runtime/kuberuntime/format.hpp"

#include "messages/errors.hpp"

#include <algorithm>

namespace cafelet::kuberuntime {

namespace {

/// Checks an optional id field of the pod.
caf::error check_pod_id(const k8s::pod& pod, std::string_view field,
                        const std::optional<int64_t>& id) {
  if (id && *id < 0)
    return pod_error(pod, field,
                     "must be between 0 and 2147483647, inclusive, got "
                       + std::to_string(*id));
  return {};
}

/// Checks an optional id field of a container.
caf::error check_container_id(const k8s::container& c, std::string_view field,
                              const std::optional<int64_t>& id) {
  if (id && *id < 0)
    return container_error(c.name, field,
                           "must be between 0 and 2147483647, inclusive, got "
                             + std::to_string(*id));
  return {};
}

/// Pod-level groups: fsGroup first, then supplementalGroups.
std::vector<int64_t> pod_groups(const k8s::pod& pod) {
  std::vector<int64_t> out;
  if (const auto& sc = pod.spec.security_context) {
    if (sc->fs_group)
      out.push_back(*sc->fs_group);
    out.insert(out.end(), sc->supplemental_groups.begin(),
               sc->supplemental_groups.end());
  }
  return out;
}

caf::error check_pod_groups(const k8s::pod& pod) {
  const auto& sc = pod.spec.security_context;
  if (!sc)
    return {};
  if (auto err = check_pod_id(pod, "spec.securityContext.fsGroup",
                              sc->fs_group))
    return err;
  for (auto g : sc->supplemental_groups)
    if (auto err = check_pod_id(pod, "spec.securityContext.supplementalGroups",
                                g))
      return err;
  return {};
}

std::string non_root_suffix(const k8s::pod& pod, const k8s::container& c) {
  return " (pod: \"" + format_pod(pod) + "\", container: " + c.name + ")";
}

bool is_sys_admin(const std::string& cap) {
  return cap == "SYS_ADMIN" || cap == "CAP_SYS_ADMIN";
}

/// A localhostProfile must be a relative path inside the profile root.
bool is_local_descending_path(std::string_view path) {
  if (path.empty() || path.front() == '/')
    return false;
  while (!path.empty()) {
    auto slash = path.find('/');
    if (path.substr(0, slash) == "..")
      return false;
    if (slash == std::string_view::npos)
      break;
    path.remove_prefix(slash + 1);
  }
  return true;
}

caf::expected<pb::SecurityProfile>
to_profile(const k8s::seccomp_profile& p, std::string_view field,
           const k8s::container& c, const settings& s) {
  pb::SecurityProfile out;
  if (p.type == "RuntimeDefault") {
    out.set_profile_type(pb::SecurityProfile::RuntimeDefault);
  } else if (p.type == "Unconfined") {
    out.set_profile_type(pb::SecurityProfile::Unconfined);
  } else if (p.type == "Localhost") {
    auto where = std::string{field} + ".localhostProfile";
    if (p.localhost_profile.empty())
      return container_error(c.name, where,
                             "localhostProfile must be set if seccompProfile "
                             "type is Localhost.");
    if (!is_local_descending_path(p.localhost_profile))
      return container_error(c.name, where,
                             "must be a relative path without \"..\", got \""
                               + p.localhost_profile + "\"");
    auto root = s.root_dir;
    while (!root.empty() && root.back() == '/')
      root.pop_back();
    out.set_profile_type(pb::SecurityProfile::Localhost);
    out.set_localhost_ref(root + "/seccomp/" + p.localhost_profile);
  } else {
    return container_error(c.name, std::string{field} + ".type",
                           "unsupported value \"" + p.type
                             + "\": supported values: \"Localhost\", "
                               "\"RuntimeDefault\", \"Unconfined\"");
  }
  return out;
}

} // namespace

pb::NamespaceOption namespaces_for_pod(const k8s::pod& pod) {
  pb::NamespaceOption out;
  out.set_network(pod.spec.host_network ? pb::NODE : pb::POD);
  out.set_ipc(pod.spec.host_ipc ? pb::NODE : pb::POD);
  if (pod.spec.host_pid)
    out.set_pid(pb::NODE);
  else if (pod.spec.share_process_namespace.value_or(false))
    out.set_pid(pb::POD);
  else
    out.set_pid(pb::CONTAINER);
  return out;
}

bool has_privileged_container(const k8s::pod& pod) {
  auto privileged = [](const k8s::container& c) {
    return c.security_context && c.security_context->privileged.value_or(false);
  };
  return std::any_of(pod.spec.init_containers.begin(),
                     pod.spec.init_containers.end(), privileged)
         || std::any_of(pod.spec.containers.begin(), pod.spec.containers.end(),
                        privileged);
}

caf::expected<pb::LinuxSandboxSecurityContext>
sandbox_security_context(const k8s::pod& pod) {
  pb::LinuxSandboxSecurityContext out;
  *out.mutable_namespace_options() = namespaces_for_pod(pod);
  out.set_privileged(has_privileged_container(pod));
  out.mutable_seccomp()->set_profile_type(pb::SecurityProfile::RuntimeDefault);
  if (const auto& sc = pod.spec.security_context) {
    if (auto err = check_pod_id(pod, "spec.securityContext.runAsUser",
                                sc->run_as_user))
      return err;
    if (auto err = check_pod_id(pod, "spec.securityContext.runAsGroup",
                                sc->run_as_group))
      return err;
    if (auto err = check_pod_groups(pod))
      return err;
    if (sc->run_as_user)
      out.mutable_run_as_user()->set_value(*sc->run_as_user);
    if (sc->run_as_group)
      out.mutable_run_as_group()->set_value(*sc->run_as_group);
    for (auto g : pod_groups(pod))
      out.add_supplemental_groups(g);
  }
  return out;
}

k8s::security_context effective_security_context(const k8s::pod& pod,
                                                 const k8s::container& c) {
  k8s::security_context out;
  if (c.security_context)
    out = *c.security_context;
  if (const auto& psc = pod.spec.security_context) {
    if (!out.run_as_user)
      out.run_as_user = psc->run_as_user;
    if (!out.run_as_group)
      out.run_as_group = psc->run_as_group;
    if (!out.run_as_non_root)
      out.run_as_non_root = psc->run_as_non_root;
    if (!out.seccomp_profile)
      out.seccomp_profile = psc->seccomp_profile;
  }
  return out;
}

caf::error verify_run_as_non_root(const k8s::pod& pod, const k8s::container& c,
                                  const image_user& user) {
  auto sc = effective_security_context(pod, c);
  if (!sc.run_as_non_root.value_or(false))
    return {};
  if (sc.run_as_user) {
    if (*sc.run_as_user == 0)
      return make_error(errc::invalid,
                        "container's runAsUser breaks non-root policy"
                          + non_root_suffix(pod, c));
    return {};
  }
  if (user.uid) {
    if (*user.uid == 0)
      return make_error(errc::invalid,
                        "container has runAsNonRoot and image will run as root"
                          + non_root_suffix(pod, c));
    return {};
  }
  if (!user.username.empty())
    return make_error(errc::invalid,
                      "container has runAsNonRoot and image has non-numeric "
                      "user ("
                        + user.username
                        + "), cannot verify user is non-root"
                        + non_root_suffix(pod, c));
  return make_error(errc::invalid,
                    "container has runAsNonRoot and image will run as root"
                      + non_root_suffix(pod, c));
}

caf::expected<pb::SecurityProfile>
seccomp_profile(const k8s::pod& pod, const k8s::container& c,
                const settings& s) {
  if (c.security_context && c.security_context->seccomp_profile)
    return to_profile(*c.security_context->seccomp_profile,
                      "securityContext.seccompProfile", c, s);
  if (pod.spec.security_context && pod.spec.security_context->seccomp_profile)
    return to_profile(*pod.spec.security_context->seccomp_profile,
                      "spec.securityContext.seccompProfile", c, s);
  pb::SecurityProfile out;
  out.set_profile_type(s.seccomp_default ? pb::SecurityProfile::RuntimeDefault
                                         : pb::SecurityProfile::Unconfined);
  return out;
}

const std::vector<std::string>& default_masked_paths() {
  static const std::vector<std::string> paths{
    "/proc/asound",        "/proc/acpi",        "/proc/kcore",
    "/proc/keys",          "/proc/latency_stats", "/proc/timer_list",
    "/proc/timer_stats",   "/proc/sched_debug", "/proc/scsi",
    "/sys/firmware",       "/sys/devices/virtual/powercap",
  };
  return paths;
}

const std::vector<std::string>& default_readonly_paths() {
  static const std::vector<std::string> paths{
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
  };
  return paths;
}

caf::expected<pb::LinuxContainerSecurityContext>
container_security_context(const k8s::pod& pod, const k8s::container& c,
                           const image_user& user, const settings& s) {
  auto sc = effective_security_context(pod, c);
  if (auto err = check_container_id(c, "securityContext.runAsUser",
                                    sc.run_as_user))
    return err;
  if (auto err = check_container_id(c, "securityContext.runAsGroup",
                                    sc.run_as_group))
    return err;
  if (auto err = check_pod_groups(pod))
    return err;
  bool privileged = sc.privileged.value_or(false);
  bool no_new_privs = sc.allow_privilege_escalation
                      && !*sc.allow_privilege_escalation;
  if (privileged && no_new_privs)
    return container_error(c.name, "securityContext",
                           "cannot set `allowPrivilegeEscalation` to false "
                           "and `privileged` to true");
  if (no_new_privs && sc.capabilities
      && std::any_of(sc.capabilities->add.begin(), sc.capabilities->add.end(),
                     is_sys_admin))
    return container_error(c.name, "securityContext",
                           "cannot set `allowPrivilegeEscalation` to false "
                           "and `capabilities.Add` CAP_SYS_ADMIN");
  if (!sc.proc_mount.empty() && sc.proc_mount != "Default"
      && sc.proc_mount != "Unmasked")
    return container_error(c.name, "securityContext.procMount",
                           "unsupported value \"" + sc.proc_mount
                             + "\": supported values: \"Default\", "
                               "\"Unmasked\"");
  if (auto err = verify_run_as_non_root(pod, c, user))
    return err;
  auto seccomp = seccomp_profile(pod, c, s);
  if (!seccomp)
    return std::move(seccomp.error());
  pb::LinuxContainerSecurityContext out;
  if (sc.capabilities) {
    auto* caps = out.mutable_capabilities();
    for (const auto& x : sc.capabilities->add)
      caps->add_add_capabilities(x);
    for (const auto& x : sc.capabilities->drop)
      caps->add_drop_capabilities(x);
  }
  out.set_privileged(privileged);
  out.set_readonly_rootfs(sc.read_only_root_filesystem.value_or(false));
  if (sc.run_as_user) {
    out.mutable_run_as_user()->set_value(*sc.run_as_user);
  } else if (user.uid) {
    out.mutable_run_as_user()->set_value(*user.uid);
  } else if (!user.username.empty()) {
    out.set_run_as_username(user.username);
  } else {
    out.mutable_run_as_user()->set_value(0);
  }
  if (sc.run_as_group)
    out.mutable_run_as_group()->set_value(*sc.run_as_group);
  *out.mutable_namespace_options() = namespaces_for_pod(pod);
  for (auto g : pod_groups(pod))
    out.add_supplemental_groups(g);
  out.set_no_new_privs(no_new_privs);
  if (!privileged && sc.proc_mount != "Unmasked") {
    for (const auto& p : default_masked_paths())
      out.add_masked_paths(p);
    for (const auto& p : default_readonly_paths())
      out.add_readonly_paths(p);
  }
  *out.mutable_seccomp() = std::move(*seccomp);
  return out;
}

} // namespace cafelet::kuberuntime
