#include "runtime/kuberuntime/container.hpp"

#include "runtime/kuberuntime/format.hpp"
#include "runtime/kuberuntime/labels.hpp"
#include "runtime/kuberuntime/resources.hpp"

namespace cafelet::kuberuntime {

namespace {

std::string trimmed_dir(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/')
    dir.pop_back();
  if (dir.empty() || dir.back() != '/')
    dir += '/';
  return dir;
}

caf::expected<pb::MountPropagation> to_propagation(const k8s::container& c,
                                                   const mount_spec& m,
                                                   bool privileged) {
  if (m.propagation.empty() || m.propagation == "None")
    return pb::PROPAGATION_PRIVATE;
  if (m.propagation == "HostToContainer")
    return pb::PROPAGATION_HOST_TO_CONTAINER;
  auto field = "volumeMounts[" + m.container_path + "].mountPropagation";
  if (m.propagation == "Bidirectional") {
    if (!privileged)
      return container_error(c.name, field,
                             "Bidirectional mount propagation is available "
                             "only to privileged containers");
    return pb::PROPAGATION_BIDIRECTIONAL;
  }
  return container_error(c.name, field,
                         "unsupported value \"" + m.propagation
                           + "\": supported values: \"Bidirectional\", "
                             "\"HostToContainer\", \"None\"");
}

caf::error check_container(const k8s::container& c,
                           const container_inputs& in) {
  if (c.name.empty())
    return container_error(c.name, "name", "Required value");
  if (c.image.empty() && in.image_ref.empty())
    return container_error(c.name, "image", "Required value");
  if (in.restart_count < 0)
    return container_error(c.name, "restartCount",
                           "must not be negative, got "
                             + std::to_string(in.restart_count));
  const auto& policy = c.termination_message_policy;
  if (!policy.empty() && policy != "File"
      && policy != "FallbackToLogsOnError")
    return container_error(c.name, "terminationMessagePolicy",
                           "unsupported value \"" + policy
                             + "\": supported values: \"File\", "
                               "\"FallbackToLogsOnError\"");
  return {};
}

} // namespace

std::string container_log_path(std::string_view container_name,
                               int32_t restart_count) {
  std::string out{container_name};
  out += '/';
  out += std::to_string(restart_count);
  out += ".log";
  return out;
}

std::string pod_container_dir(const settings& s, std::string_view pod_uid,
                              std::string_view container_name) {
  auto out = trimmed_dir(s.root_dir);
  out += "pods/";
  out += pod_uid;
  out += "/containers/";
  out += container_name;
  return out;
}

std::string termination_log_path(const settings& s, std::string_view pod_uid,
                                 std::string_view container_name,
                                 std::string_view unique_id) {
  auto out = pod_container_dir(s, pod_uid, container_name);
  out += '/';
  out += unique_id;
  return out;
}

caf::expected<pb::ContainerConfig>
make_container_config(const k8s::pod& pod, const k8s::container& c,
                      qos_class qos, const container_inputs& in,
                      const settings& s) {
  if (auto err = check_container(c, in))
    return err;
  auto sc = container_security_context(pod, c, in.user, s);
  if (!sc)
    return std::move(sc.error());
  auto resources = container_linux_resources(pod, c, qos, s);
  if (!resources)
    return std::move(resources.error());
  pb::ContainerConfig out;
  auto* meta = out.mutable_metadata();
  meta->set_name(c.name);
  meta->set_attempt(static_cast<uint32_t>(in.restart_count));
  auto* image = out.mutable_image();
  image->set_image(in.image_ref.empty() ? c.image : in.image_ref);
  image->set_user_specified_image(c.image);
  image->set_runtime_handler(in.runtime_handler);
  for (const auto& x : in.command ? *in.command : c.command)
    out.add_command(x);
  for (const auto& x : in.args ? *in.args : c.args)
    out.add_args(x);
  out.set_working_dir(c.working_dir);
  for (const auto& [k, v] : in.env) {
    auto* kv = out.add_envs();
    kv->set_key(k);
    kv->set_value(v);
  }
  for (const auto& m : in.mounts) {
    auto propagation = to_propagation(c, m, sc->privileged());
    if (!propagation)
      return std::move(propagation.error());
    auto* mount = out.add_mounts();
    mount->set_host_path(m.host_path);
    mount->set_container_path(m.container_path);
    mount->set_readonly(m.read_only);
    mount->set_propagation(*propagation);
    mount->set_recursive_read_only(m.recursive_read_only);
  }
  if (!in.termination_message_host_path.empty()
      && !c.termination_message_path.empty()) {
    auto* mount = out.add_mounts();
    mount->set_host_path(in.termination_message_host_path);
    mount->set_container_path(c.termination_message_path);
  }
  set_container_labels(pod, c, *out.mutable_labels());
  set_container_annotations(pod, c, in.restart_count,
                            *out.mutable_annotations());
  out.set_log_path(container_log_path(c.name, in.restart_count));
  out.set_stdin(c.stdin_);
  out.set_stdin_once(c.stdin_once);
  out.set_tty(c.tty);
  auto* lx = out.mutable_linux();
  *lx->mutable_resources() = std::move(*resources);
  *lx->mutable_security_context() = std::move(*sc);
  return out;
}

pb::CreateContainerRequest
make_create_container_request(std::string sandbox_id,
                              pb::ContainerConfig config,
                              pb::PodSandboxConfig sandbox_config) {
  pb::CreateContainerRequest out;
  out.set_pod_sandbox_id(std::move(sandbox_id));
  *out.mutable_config() = std::move(config);
  *out.mutable_sandbox_config() = std::move(sandbox_config);
  return out;
}

} // namespace cafelet::kuberuntime
