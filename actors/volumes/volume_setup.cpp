#include "actors/volumes/volume_setup.hpp"

#include "actors/volumes/atomic_writer.hpp"
#include "actors/volumes/etc_hosts.hpp"
#include "actors/volumes/projection.hpp"
#include "actors/volumes/volume_dirs.hpp"
#include "messages/errors.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace cafelet::actors::volumes {

namespace {

/// `volume "<name>": <cause>`, keeping the cause's code.
caf::error in_volume(const std::string& name, const caf::error& cause) {
  auto code = code_of(cause);
  return make_error(code == errc::none ? errc::internal : code,
                    "volume \"" + name + "\": "
                      + (context_of(cause).empty() ? describe(cause) : context_of(cause)));
}

/// Writes `files` into a (tmpfs or disk) directory atomically.
caf::error write_payload(const std::string& dir, const caf::expected<payload>& files,
                         bool tmpfs) {
  if (!files)
    return files.error();
  if (tmpfs) {
    if (auto err = setup_tmpfs(dir))
      return err;
  }
  auto written = write_atomically(dir, *files);
  return written ? caf::error{} : written.error();
}

caf::expected<mounted_volume> setup_one(const std::string& root, const k8s::pod& pod,
                                        const k8s::volume& v, const volume_inputs& in) {
  const auto& uid = pod.metadata.uid;
  mounted_volume out;
  out.name = v.name;
  if (v.empty_dir) {
    out.host_path = volume_dir(root, uid, "empty-dir", v.name);
    if (auto err = setup_empty_dir(out.host_path, *v.empty_dir))
      return err;
    return out;
  }
  if (v.host_path) {
    if (auto err = check_host_path(*v.host_path))
      return err;
    out.host_path = v.host_path->path;
    return out;
  }
  out.kubelet_managed = true;
  if (v.config_map) {
    out.host_path = volume_dir(root, uid, "configmap", v.name);
    auto i = in.config_maps.find(v.config_map->name);
    const k8s::config_map* cm = i == in.config_maps.end() ? nullptr : i->second.get();
    if (auto err = write_payload(out.host_path, config_map_payload(*v.config_map, cm), false))
      return err;
    return out;
  }
  if (v.secret) {
    out.host_path = volume_dir(root, uid, "secret", v.name);
    auto i = in.secrets.find(v.secret->secret_name);
    const k8s::secret* s = i == in.secrets.end() ? nullptr : i->second.get();
    if (auto err = write_payload(out.host_path, secret_payload(*v.secret, s), true))
      return err;
    return out;
  }
  if (v.downward_api) {
    out.host_path = volume_dir(root, uid, "downward-api", v.name);
    downward_inputs d{in.node_allocatable};
    if (auto err = write_payload(out.host_path, downward_payload(*v.downward_api, pod, d), false))
      return err;
    return out;
  }
  if (v.projected) {
    out.host_path = volume_dir(root, uid, "projected", v.name);
    projected_inputs p;
    for (const auto& [name, cm] : in.config_maps)
      p.config_maps[name] = cm.get();
    for (const auto& [name, s] : in.secrets)
      p.secrets[name] = s.get();
    for (const auto& [key, token] : in.tokens)
      if (key.first == v.name)
        p.tokens[key.second] = token;
    p.downward.node_allocatable = in.node_allocatable;
    if (auto err = write_payload(out.host_path, projected_payload(*v.projected, pod, p), true))
      return err;
    return out;
  }
  return make_error(errc::invalid, "volume type "
                                     + (v.unsupported.empty() ? std::string{"<none>"}
                                                              : "\"" + v.unsupported + "\"")
                                     + " is not supported by cafelet");
}

/// Writes `content` to `path` through a temporary file and one rename.
caf::error write_file_atomically(const std::string& path, const std::string& content) {
  auto tmp = path + ".tmp";
  {
    std::ofstream out{tmp, std::ios::trunc | std::ios::binary};
    out << content;
    if (!out.good())
      return make_error(errc::io_error, "writing " + tmp + " failed");
  }
  ::chmod(tmp.c_str(), 0644);
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    return make_error(errc::io_error, "renaming " + tmp + " to " + path + " failed");
  return {};
}

caf::error write_etc_hosts(const std::string& root, const k8s::pod& pod,
                           const volume_inputs& in) {
  std::string node_hosts;
  if (pod.spec.host_network) {
    std::ifstream hosts{"/etc/hosts"};
    std::stringstream ss;
    ss << hosts.rdbuf();
    node_hosts = ss.str();
  }
  auto dir = pod_dir(root, pod.metadata.uid);
  ::mkdir((root + "/pods").c_str(), 0750);
  ::mkdir(dir.c_str(), 0750);
  return write_file_atomically(
    etc_hosts_path(root, pod.metadata.uid),
    managed_hosts_content(pod, in.pod_ips, in.cluster_domain, node_hosts));
}

} // namespace

std::string etc_hosts_path(const std::string& root, const std::string& uid) {
  return pod_dir(root, uid) + "/etc-hosts";
}

caf::expected<std::vector<mounted_volume>>
setup_pod_volumes(const std::string& root, const k8s::pod& pod, const volume_inputs& in) {
  std::vector<mounted_volume> out;
  out.reserve(pod.spec.volumes.size());
  for (const auto& v : pod.spec.volumes) {
    auto one = setup_one(root, pod, v, in);
    if (!one)
      return in_volume(v.name, one.error());
    out.push_back(std::move(*one));
  }
  if (auto err = write_etc_hosts(root, pod, in))
    return err;
  return out;
}

caf::expected<std::vector<kuberuntime::mount_spec>>
container_mounts(const k8s::container& c, std::string_view field,
                 const std::vector<mounted_volume>& vols, const pods::env_list& env) {
  std::vector<kuberuntime::mount_spec> out;
  for (size_t i = 0; i < c.volume_mounts.size(); ++i) {
    const auto& m = c.volume_mounts[i];
    auto path = std::string{field} + ".volumeMounts[" + std::to_string(i) + "]";
    const mounted_volume* vol = nullptr;
    for (const auto& v : vols)
      if (v.name == m.name)
        vol = &v;
    if (vol == nullptr)
      return make_error(errc::invalid, path + ".name: Not found: \"" + m.name + "\"");
    std::string sub = m.sub_path;
    if (!m.sub_path_expr.empty()) {
      auto expanded = pods::expand_sub_path(m.sub_path_expr, env);
      if (!expanded)
        return make_error(errc::invalid,
                          path + ".subPathExpr: " + context_of(expanded.error()));
      sub = *expanded;
    }
    kuberuntime::mount_spec spec;
    spec.container_path = m.mount_path;
    spec.read_only = m.read_only || vol->kubelet_managed;
    spec.propagation = m.mount_propagation;
    spec.recursive_read_only = m.recursive_read_only == "Enabled";
    if (sub.empty()) {
      spec.host_path = vol->host_path;
    } else {
      auto resolved = resolve_sub_path(vol->host_path, sub);
      if (!resolved)
        return make_error(code_of(resolved.error()) == errc::none ? errc::invalid
                                                                  : code_of(resolved.error()),
                          path + ".subPath: " + context_of(resolved.error()));
      spec.host_path = *resolved;
    }
    out.push_back(std::move(spec));
  }
  return out;
}

caf::error teardown_pod_volumes(const std::string& root, const std::string& uid) {
  return remove_pod_dir(root, uid);
}

} // namespace cafelet::actors::volumes
