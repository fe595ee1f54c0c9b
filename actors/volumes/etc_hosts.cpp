#include "actors/volumes/etc_hosts.hpp"

namespace cafelet::actors::volumes {

std::string pod_hostname(const k8s::pod& pod) {
  std::string name = pod.spec.hostname.empty() ? pod.metadata.name : pod.spec.hostname;
  if (name.size() > 63) {
    name.resize(63);
    while (!name.empty() && (name.back() == '-' || name.back() == '.'))
      name.pop_back();
  }
  return name;
}

namespace {

void append_aliases(std::string& out, const k8s::pod& pod) {
  if (pod.spec.host_aliases.empty())
    return;
  out += "\n# Entries added by HostAliases.\n";
  for (const auto& alias : pod.spec.host_aliases) {
    out += alias.ip;
    out += '\t';
    for (size_t i = 0; i < alias.hostnames.size(); ++i) {
      if (i > 0)
        out += '\t';
      out += alias.hostnames[i];
    }
    out += '\n';
  }
}

} // namespace

std::string managed_hosts_content(const k8s::pod& pod,
                                  const std::vector<std::string>& pod_ips,
                                  std::string_view cluster_domain,
                                  std::string_view node_hosts) {
  std::string out;
  if (pod.spec.host_network) {
    out = "# Kubernetes-managed hosts file (host network).\n";
    out += node_hosts;
    if (!node_hosts.empty() && node_hosts.back() != '\n')
      out += '\n';
    append_aliases(out, pod);
    return out;
  }
  out = "# Kubernetes-managed hosts file.\n"
        "127.0.0.1\tlocalhost\n"
        "::1\tlocalhost ip6-localhost ip6-loopback\n"
        "fe00::0\tip6-localnet\n"
        "fe00::0\tip6-mcastprefix\n"
        "fe00::1\tip6-allnodes\n"
        "fe00::2\tip6-allrouters\n";
  auto hostname = pod_hostname(pod);
  std::string names = hostname;
  if (!pod.spec.subdomain.empty() && !cluster_domain.empty())
    names = hostname + "." + pod.spec.subdomain + "." + pod.metadata.namespace_ + ".svc."
            + std::string{cluster_domain} + "\t" + hostname;
  for (const auto& ip : pod_ips)
    out += ip + "\t" + names + "\n";
  append_aliases(out, pod);
  return out;
}

bool mounts_etc_hosts(const k8s::container& c) {
  for (const auto& m : c.volume_mounts)
    if (m.mount_path == "/etc/hosts")
      return true;
  return false;
}

} // namespace cafelet::actors::volumes
