#include "runtime/kuberuntime/cgroups.hpp"

#include <algorithm>

namespace cafelet::kuberuntime {

cgroup_name parse_cgroupfs(std::string_view path) {
  cgroup_name out;
  while (!path.empty()) {
    auto slash = path.find('/');
    auto part = path.substr(0, slash);
    if (!part.empty())
      out.emplace_back(part);
    if (slash == std::string_view::npos)
      break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

std::string to_cgroupfs(const cgroup_name& name) {
  if (name.empty())
    return "/";
  std::string out;
  for (const auto& part : name) {
    out += '/';
    out += part;
  }
  return out;
}

std::string to_systemd(const cgroup_name& name) {
  if (name.empty())
    return "/";
  std::string prefix;
  std::string out;
  for (const auto& part : name) {
    auto escaped = part;
    std::replace(escaped.begin(), escaped.end(), '-', '_');
    if (!prefix.empty())
      prefix += '-';
    prefix += escaped;
    out += '/';
    out += prefix;
    out += ".slice";
  }
  return out;
}

std::string to_driver(const settings& s, const cgroup_name& name) {
  return s.cgroup_driver == "systemd" ? to_systemd(name) : to_cgroupfs(name);
}

cgroup_name qos_cgroup_name(const settings& s, qos_class qos) {
  auto out = parse_cgroupfs(s.cgroup_root);
  if (!s.cgroups_per_qos)
    return out;
  out.emplace_back("kubepods");
  if (qos == qos_class::burstable)
    out.emplace_back("burstable");
  else if (qos == qos_class::best_effort)
    out.emplace_back("besteffort");
  return out;
}

cgroup_name pod_cgroup_name(const settings& s, qos_class qos,
                            std::string_view pod_uid) {
  auto out = qos_cgroup_name(s, qos);
  if (s.cgroups_per_qos)
    out.emplace_back("pod" + std::string{pod_uid});
  return out;
}

std::string pod_cgroup_parent(const settings& s, qos_class qos,
                              std::string_view pod_uid) {
  return to_driver(s, pod_cgroup_name(s, qos, pod_uid));
}

} // namespace cafelet::kuberuntime
