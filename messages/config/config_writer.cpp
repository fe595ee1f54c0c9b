#include "messages/config/config_file.hpp"

#include "messages/units/duration.hpp"

#include <yaml-cpp/yaml.h>

namespace cafelet::config {

namespace {

void put(YAML::Emitter& out, std::string_view key, std::string_view value) {
  out << YAML::Key << std::string{key} << YAML::Value << YAML::DoubleQuoted
      << std::string{value};
}

void put(YAML::Emitter& out, std::string_view key, bool value) {
  out << YAML::Key << std::string{key} << YAML::Value << value;
}

void put(YAML::Emitter& out, std::string_view key, int64_t value) {
  out << YAML::Key << std::string{key} << YAML::Value << value;
}

void put(YAML::Emitter& out, std::string_view key,
         std::chrono::nanoseconds value) {
  put(out, key, units::format_duration(value));
}

void put(YAML::Emitter& out, std::string_view key,
         const std::vector<std::string>& xs) {
  out << YAML::Key << std::string{key} << YAML::Value << YAML::Flow
      << YAML::BeginSeq;
  for (const auto& x : xs)
    out << YAML::DoubleQuoted << x;
  out << YAML::EndSeq;
}

template <class Map, class Render>
void put_map(YAML::Emitter& out, std::string_view key, const Map& m,
             Render render) {
  out << YAML::Key << std::string{key} << YAML::Value << YAML::BeginMap;
  for (const auto& [k, v] : m)
    out << YAML::Key << k << YAML::Value << YAML::DoubleQuoted << render(v);
  out << YAML::EndMap;
}

} // namespace

std::string to_yaml(const kubelet_configuration& c) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  put(out, "apiVersion", kubelet_config_api_version);
  put(out, "kind", kubelet_config_kind);
  put(out, "staticPodPath", c.static_pod_path);
  put(out, "syncFrequency", c.sync_frequency);
  put(out, "fileCheckFrequency", c.file_check_frequency);
  put(out, "httpCheckFrequency", c.http_check_frequency);
  put(out, "address", c.address);
  put(out, "port", int64_t{c.port});
  put(out, "readOnlyPort", int64_t{c.read_only_port});
  put(out, "healthzPort", int64_t{c.healthz_port});
  put(out, "healthzBindAddress", c.healthz_bind_address);
  put(out, "tlsCertFile", c.tls_cert_file);
  put(out, "tlsPrivateKeyFile", c.tls_private_key_file);
  put(out, "rotateCertificates", c.rotate_certificates);
  put(out, "serverTLSBootstrap", c.server_tls_bootstrap);
  put(out, "kubeAPIQPS", int64_t{c.kube_api_qps});
  put(out, "kubeAPIBurst", int64_t{c.kube_api_burst});
  put(out, "eventRecordQPS", int64_t{c.event_record_qps});
  put(out, "eventBurst", int64_t{c.event_burst});
  put(out, "registryPullQPS", int64_t{c.registry_pull_qps});
  put(out, "registryBurst", int64_t{c.registry_burst});
  put(out, "serializeImagePulls", c.serialize_image_pulls);
  if (c.max_parallel_image_pulls)
    put(out, "maxParallelImagePulls", int64_t{*c.max_parallel_image_pulls});
  put(out, "imageGCHighThresholdPercent",
      int64_t{c.image_gc_high_threshold_percent});
  put(out, "imageGCLowThresholdPercent",
      int64_t{c.image_gc_low_threshold_percent});
  put(out, "imageMinimumGCAge", c.image_minimum_gc_age);
  put(out, "nodeStatusUpdateFrequency", c.node_status_update_frequency);
  put(out, "nodeStatusReportFrequency", c.node_status_report_frequency);
  put(out, "nodeLeaseDurationSeconds", int64_t{c.node_lease_duration_seconds});
  put(out, "containerRuntimeEndpoint", c.container_runtime_endpoint);
  put(out, "runtimeRequestTimeout", c.runtime_request_timeout);
  put(out, "maxPods", int64_t{c.max_pods});
  put(out, "podPidsLimit", c.pod_pids_limit);
  put(out, "clusterDomain", c.cluster_domain);
  put(out, "clusterDNS", c.cluster_dns);
  put(out, "resolvConf", c.resolv_conf);
  put(out, "cgroupDriver", c.cgroup_driver);
  put(out, "cgroupRoot", c.cgroup_root);
  put(out, "cgroupsPerQOS", c.cgroups_per_qos);
  put(out, "failSwapOn", c.fail_swap_on);
  put_map(out, "evictionHard", c.eviction_hard,
          [](const threshold_value& v) { return to_string(v); });
  put(out, "evictionPressureTransitionPeriod",
      c.eviction_pressure_transition_period);
  auto qty = [](const units::quantity& q) { return q.to_string(); };
  put_map(out, "systemReserved", c.system_reserved, qty);
  put_map(out, "kubeReserved", c.kube_reserved, qty);
  put(out, "enforceNodeAllocatable", c.enforce_node_allocatable);
  put(out, "registerNode", c.register_node);
  out << YAML::Key << "registerWithTaints" << YAML::Value << YAML::BeginSeq;
  for (const auto& t : c.register_with_taints) {
    out << YAML::BeginMap;
    put(out, "key", t.key);
    if (!t.value.empty())
      put(out, "value", t.value);
    put(out, "effect", to_string(t.effect));
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  put(out, "shutdownGracePeriod", c.shutdown_grace_period);
  put(out, "shutdownGracePeriodCriticalPods",
      c.shutdown_grace_period_critical_pods);
  put(out, "containerLogMaxSize", c.container_log_max_size.to_string());
  put(out, "containerLogMaxFiles", int64_t{c.container_log_max_files});
  out << YAML::EndMap;
  std::string result = out.c_str();
  result += '\n';
  return result;
}

} // namespace cafelet::config
