#pragma once
/// @file
/// Node-level inputs of the CRI request builders (kuberuntime/): where pod
/// logs and cgroups go, CPU quota and seccomp defaults, machine memory and
/// huge page sizes, and the node's DNS settings. Plain values: the caller
/// fills them once from the kubelet configuration (`from_config`) and the
/// machine, and passes them to every builder. Also the pod QoS class the
/// builders take as input (computed by the caller, e.g. with
/// `actors::pods::qos_of`; runtime/ does not depend on actors/).

#include "messages/k8s/qos.hpp"
#include "messages/config/kubelet_config.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cafelet::kuberuntime {

/// The pod QoS class (defined with the object model, shared with the pod
/// logic in actors/pods).
using k8s::qos_class;
using k8s::parse_qos_class;
using k8s::to_string;

/// The node's resolver configuration (parsed resolv.conf, see dns.hpp).
struct host_dns {
  /// `nameserver` lines in order.
  std::vector<std::string> servers;
  /// The last `search` line (trailing dots removed, "." dropped).
  std::vector<std::string> searches;
  /// `options` lines merged by option name, in first-seen order.
  std::vector<std::string> options;
};

/// What pod DNS configuration is derived from (upstream dns.Configurer).
struct dns_settings {
  /// clusterDNS: IPs of the cluster DNS servers; empty makes ClusterFirst
  /// pods fall back to Default (with a MissingClusterDNS warning).
  std::vector<std::string> cluster_dns;
  /// clusterDomain, e.g. "cluster.local"; empty adds no cluster searches.
  std::string cluster_domain;
  /// False when resolvConf is "" (Default pods then get the loopback
  /// resolver and search ".").
  bool has_resolv_conf = true;
  /// The parsed resolvConf file (empty if it has no entries).
  host_dns host;
  /// Node IPs, primary first (only for the resolvConf "" case).
  std::vector<std::string> node_ips;
};

/// Node-level settings of the builders; defaults are the upstream ones.
struct settings {
  /// podLogsDir: root of the pod log directories.
  std::string pod_logs_dir = "/var/log/pods";
  /// --root-dir: holds pods/<uid>/containers/<name>/ (termination logs)
  /// and seccomp/ (Localhost seccomp profiles).
  std::string root_dir = "/var/lib/kubelet";
  /// cgroupDriver: "cgroupfs" or "systemd" (spelling of cgroup parents).
  std::string cgroup_driver = "cgroupfs";
  /// cgroupRoot: parent of the kubepods hierarchy, e.g. "/" or a test
  /// lab's own prefix such as "/cafelet-lab".
  std::string cgroup_root = "/";
  /// cgroupsPerQOS: pods under kubepods/<qos>/pod<uid>; else under the root.
  bool cgroups_per_qos = true;
  /// cpuCFSQuota: enforce CPU limits with CFS quota.
  bool cpu_cfs_quota = true;
  /// cpuCFSQuotaPeriod in microseconds.
  int64_t cpu_cfs_quota_period_us = 100000;
  /// seccompDefault: RuntimeDefault instead of Unconfined when a pod names
  /// no seccomp profile.
  bool seccomp_default = false;
  /// Machine memory capacity in bytes (Burstable OOM score); 0 means
  /// unknown, and every Burstable container then gets 999.
  int64_t memory_capacity = 0;
  /// Huge page sizes of the machine in CRI spelling ("2MB", "1GB"); each
  /// gets a limit (0 unless the container asks for pages of that size).
  std::vector<std::string> hugepage_sizes;
  /// DNS inputs.
  dns_settings dns;
};

/// Settings from the kubelet configuration and flags: cgroup root, driver
/// and per-QoS flag, root dir, clusterDNS/clusterDomain, whether resolvConf
/// is set, node IPs. Machine facts and the parsed resolv.conf are left for
/// the caller.
settings from_config(const config::kubelet_configuration& cfg,
                     const config::agent_options& opts);

} // namespace cafelet::kuberuntime
