#include "runtime/kuberuntime/settings.hpp"

namespace cafelet::kuberuntime {

settings from_config(const config::kubelet_configuration& cfg,
                     const config::agent_options& opts) {
  settings s;
  s.root_dir = opts.root_dir;
  s.cgroup_driver = cfg.cgroup_driver;
  s.cgroup_root = cfg.cgroup_root.empty() ? "/" : cfg.cgroup_root;
  s.cgroups_per_qos = cfg.cgroups_per_qos;
  s.dns.cluster_dns = cfg.cluster_dns;
  s.dns.cluster_domain = cfg.cluster_domain;
  s.dns.has_resolv_conf = !cfg.resolv_conf.empty();
  s.dns.node_ips = opts.node_ips;
  return s;
}

} // namespace cafelet::kuberuntime
