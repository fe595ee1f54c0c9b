#pragma once
/// @file
/// The /etc/hosts cafelet writes for a pod and mounts into its containers,
/// as upstream's kubelet (kubelet_pods.go managedHostsFileContent): the
/// standard localhost lines, one line per pod IP with the pod's hostname
/// (and FQDN with a subdomain), then the hostAliases; for host-network pods
/// the node's own /etc/hosts followed by the hostAliases.

#include "messages/k8s/pod.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace cafelet::actors::volumes {

/// The pod's hostname: spec.hostname, else the pod name, cut to 63
/// characters (trailing '-' and '.' dropped) as upstream.
std::string pod_hostname(const k8s::pod& pod);

/// Content of the pod's managed hosts file. `pod_ips` are the pod's IPs
/// (unused for host-network pods); `node_hosts` is the node's /etc/hosts
/// (used for host-network pods only); `cluster_domain` names the FQDN of a
/// pod with a subdomain (`<hostname>.<subdomain>.<ns>.svc.<domain>`).
std::string managed_hosts_content(const k8s::pod& pod,
                                  const std::vector<std::string>& pod_ips,
                                  std::string_view cluster_domain,
                                  std::string_view node_hosts);

/// True if `c` gets the managed hosts file: it does not mount anything at
/// /etc/hosts itself.
bool mounts_etc_hosts(const k8s::container& c);

} // namespace cafelet::actors::volumes
