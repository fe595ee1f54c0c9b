#include "runtime/kuberuntime/sandbox.hpp"

#include "runtime/kuberuntime/cgroups.hpp"
#include "runtime/kuberuntime/dns.hpp"
#include "runtime/kuberuntime/labels.hpp"
#include "runtime/kuberuntime/resources.hpp"
#include "runtime/kuberuntime/security.hpp"

#include <algorithm>

namespace cafelet::kuberuntime {

namespace {

pb::Protocol to_protocol(std::string_view x) {
  if (x == "UDP")
    return pb::UDP;
  if (x == "SCTP")
    return pb::SCTP;
  return pb::TCP;
}

std::string port_key(const k8s::container_port& p) {
  if (!p.name.empty())
    return p.name;
  std::string family = "any";
  if (!p.host_ip.empty())
    family = p.host_ip.find(':') != std::string::npos ? "v6" : "v4";
  return family + "-" + p.protocol + "-" + p.host_ip + ":"
         + std::to_string(p.container_port);
}

} // namespace

std::string pod_log_directory(const settings& s, std::string_view pod_namespace,
                              std::string_view pod_name,
                              std::string_view pod_uid) {
  auto out = s.pod_logs_dir;
  while (out.size() > 1 && out.back() == '/')
    out.pop_back();
  if (out.empty() || out.back() != '/')
    out += '/';
  out += pod_namespace;
  out += '_';
  out += pod_name;
  out += '_';
  out += pod_uid;
  return out;
}

std::string pod_log_directory(const settings& s, const k8s::pod& pod) {
  return pod_log_directory(s, pod.metadata.namespace_, pod.metadata.name,
                           pod.metadata.uid);
}

std::vector<pb::PortMapping> port_mappings(const k8s::pod& pod) {
  std::vector<pb::PortMapping> out;
  for (const auto& c : pod.spec.containers) {
    std::vector<std::string> seen;
    for (const auto& p : c.ports) {
      auto name = port_key(p);
      if (std::find(seen.begin(), seen.end(), name) != seen.end())
        continue;
      seen.push_back(std::move(name));
      pb::PortMapping m;
      m.set_protocol(to_protocol(p.protocol));
      m.set_container_port(p.container_port);
      m.set_host_port(p.host_port);
      m.set_host_ip(p.host_ip);
      out.push_back(std::move(m));
    }
  }
  return out;
}

caf::expected<sandbox_config> make_sandbox_config(const k8s::pod& pod,
                                                  qos_class qos,
                                                  uint32_t attempt,
                                                  const settings& s) {
  if (pod.metadata.uid.empty())
    return pod_error(pod, "metadata.uid", "must be set");
  sandbox_config out;
  auto& cfg = out.config;
  auto* meta = cfg.mutable_metadata();
  meta->set_name(pod.metadata.name);
  meta->set_uid(pod.metadata.uid);
  meta->set_namespace_(pod.metadata.namespace_);
  meta->set_attempt(attempt);
  auto cgroup_parent = pod_cgroup_parent(s, qos, pod.metadata.uid);
  set_sandbox_labels(pod, *cfg.mutable_labels());
  set_sandbox_annotations(pod, qos, cgroup_parent, *cfg.mutable_annotations());
  auto dns = make_dns_config(pod, s.dns);
  if (!dns)
    return std::move(dns.error());
  *cfg.mutable_dns_config() = std::move(dns->config);
  out.warnings = std::move(dns->warnings);
  auto hostname = sandbox_hostname(pod, s.dns.cluster_domain);
  if (!hostname)
    return std::move(hostname.error());
  cfg.set_hostname(std::move(*hostname));
  cfg.set_log_directory(pod_log_directory(s, pod));
  for (auto& m : port_mappings(pod))
    *cfg.add_port_mappings() = std::move(m);
  auto* lx = cfg.mutable_linux();
  lx->set_cgroup_parent(std::move(cgroup_parent));
  auto sc = sandbox_security_context(pod);
  if (!sc)
    return std::move(sc.error());
  *lx->mutable_security_context() = std::move(*sc);
  if (const auto& psc = pod.spec.security_context)
    for (const auto& x : psc->sysctls)
      (*lx->mutable_sysctls())[x.name] = x.value;
  auto resources = sandbox_linux_resources(pod, s);
  if (!resources)
    return std::move(resources.error());
  *lx->mutable_resources() = std::move(*resources);
  lx->mutable_overhead();
  return out;
}

pb::RunPodSandboxRequest make_run_sandbox_request(pb::PodSandboxConfig config,
                                                  std::string runtime_handler) {
  pb::RunPodSandboxRequest out;
  *out.mutable_config() = std::move(config);
  out.set_runtime_handler(std::move(runtime_handler));
  return out;
}

} // namespace cafelet::kuberuntime
