#include "messages/config/config_file.hpp"

#include "messages/config/labels.hpp"
#include "messages/config/yaml_scalar.hpp"
#include "messages/errors.hpp"
#include "messages/units/duration.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace cafelet::config {

namespace {

using namespace detail;

/// Upstream v1beta1 fields that cafelet accepts but does not implement.
constexpr std::string_view unsupported_fields[] = {
  "enableServer", "podLogsDir", "staticPodURL", "staticPodURLHeader",
  "tlsCipherSuites", "tlsMinVersion", "authentication", "authorization",
  "imagePullCredentialsVerificationPolicy",
  "preloadedImagesVerificationAllowlist", "enableDebuggingHandlers",
  "enableContentionProfiling", "oomScoreAdj", "streamingConnectionIdleTimeout",
  "imageMaximumGCAge", "volumeStatsAggPeriod", "kubeletCgroups",
  "systemCgroups", "cpuManagerPolicy", "singleProcessOOMKill",
  "cpuManagerPolicyOptions", "cpuManagerReconcilePeriod",
  "memoryManagerPolicy", "topologyManagerPolicy", "topologyManagerScope",
  "topologyManagerPolicyOptions", "qosReserved", "hairpinMode", "podCIDR",
  "runOnce", "cpuCFSQuota", "cpuCFSQuotaPeriod", "nodeStatusMaxImages",
  "maxOpenFiles", "contentType", "evictionSoft", "evictionSoftGracePeriod",
  "evictionMaxPodGracePeriod", "evictionMinimumReclaim", "podsPerCore",
  "enableControllerAttachDetach", "protectKernelDefaults",
  "makeIPTablesUtilChains", "iptablesMasqueradeBit", "iptablesDropBit",
  "featureGates", "memorySwap", "containerLogMaxWorkers",
  "containerLogMonitorInterval", "configMapAndSecretChangeDetectionStrategy",
  "reservedSystemCPUs", "showHiddenMetricsForVersion", "systemReservedCgroup",
  "kubeReservedCgroup", "allowedUnsafeSysctls", "volumePluginDir",
  "providerID", "kernelMemcgNotification", "logging", "enableSystemLogHandler",
  "enableSystemLogQuery", "shutdownGracePeriodByPodPriority",
  "crashLoopBackOff", "reservedMemory", "enableProfilingHandler",
  "enableDebugFlagsHandler", "seccompDefault", "memoryThrottlingFactor",
  "tracing", "localStorageCapacityIsolation", "imageServiceEndpoint",
  "failCgroupV1", "userNamespaces",
};

/// One field being decoded: its name, key node and value node.
struct field_ctx {
  std::string name;
  YAML::Node key;
  YAML::Node value;
};

/// Decoding state: where we are and what we found.
struct decoder {
  std::string_view source;
  std::vector<std::string>& warnings;
  /// Field path -> 1-based line of its key, for validation messages.
  std::map<std::string, int> lines;
  /// Top-level fields present in the document.
  std::set<std::string> present;

  std::string where(const YAML::Node& n) const {
    std::string out{source};
    auto m = n.Mark();
    if (m.line >= 0)
      out += ":" + std::to_string(m.line + 1);
    return out;
  }

  caf::error fail(const YAML::Node& at, std::string_view field,
                  std::string msg) const {
    return make_error(errc::invalid_config, where(at) + ": field "
                                              + std::string{field} + ": "
                                              + msg);
  }

  caf::error fail(const field_ctx& f, std::string msg) const {
    return fail(f.key, f.name, std::move(msg));
  }

  void warn(const YAML::Node& at, std::string msg) {
    warnings.push_back(where(at) + ": " + msg);
  }

  void note_line(const std::string& path, const YAML::Node& at) {
    auto m = at.Mark();
    if (m.line >= 0)
      lines[path] = m.line + 1;
  }
};

// -- readers: leave the target unchanged for null values ----------------------

caf::error read(decoder& d, const field_ctx& f, std::string& out) {
  auto v = scalar_string(f.value);
  if (!v)
    return d.fail(f, v.error());
  if (*v)
    out = **v;
  return {};
}

caf::error read(decoder& d, const field_ctx& f, bool& out) {
  auto v = scalar_bool(f.value);
  if (!v)
    return d.fail(f, v.error());
  if (*v)
    out = **v;
  return {};
}

template <class Int>
caf::error read_int(decoder& d, const field_ctx& f, Int& out) {
  auto v = scalar_int(f.value, std::numeric_limits<Int>::min(),
                      std::numeric_limits<Int>::max());
  if (!v)
    return d.fail(f, v.error());
  if (*v)
    out = static_cast<Int>(**v);
  return {};
}

caf::error read(decoder& d, const field_ctx& f, int32_t& out) {
  return read_int(d, f, out);
}

caf::error read(decoder& d, const field_ctx& f, int64_t& out) {
  return read_int(d, f, out);
}

caf::error read(decoder& d, const field_ctx& f, std::optional<int32_t>& out) {
  int32_t tmp = 0;
  if (f.value.IsNull()) {
    out.reset();
    return {};
  }
  if (auto err = read_int(d, f, tmp))
    return err;
  out = tmp;
  return {};
}

caf::error read(decoder& d, const field_ctx& f, std::chrono::nanoseconds& out) {
  auto v = scalar_duration(f.value);
  if (!v)
    return d.fail(f, v.error());
  if (*v)
    out = **v;
  return {};
}

caf::error read(decoder& d, const field_ctx& f, units::quantity& out) {
  auto v = scalar_string(f.value);
  if (!v)
    return d.fail(f, v.error());
  if (!*v)
    return {};
  if ((*v)->empty()) {
    out = units::quantity{};
    return {};
  }
  auto q = units::parse_quantity(**v);
  if (!q)
    return d.fail(f, context_of(q.error()));
  out = *q;
  return {};
}

caf::error read(decoder& d, const field_ctx& f, std::vector<std::string>& out) {
  if (f.value.IsNull())
    return {};
  if (!f.value.IsSequence())
    return d.fail(f, "must be a list of strings, got " + node_kind(f.value));
  std::vector<std::string> result;
  for (size_t i = 0; i < f.value.size(); ++i) {
    auto elem = f.value[i];
    auto path = f.name + "[" + std::to_string(i) + "]";
    d.note_line(path, elem.Mark().line >= 0 ? elem : f.key);
    auto v = scalar_string(elem);
    if (!v)
      return d.fail(elem, path, v.error());
    result.push_back(v->value_or(""));
  }
  out = std::move(result);
  return {};
}

/// Reads a mapping of string to string, calling `fn(key, value, key_node)`.
template <class Fn>
caf::error read_string_map(decoder& d, const field_ctx& f, Fn fn) {
  if (!f.value.IsMap())
    return d.fail(f, "must be a mapping of strings to strings, got "
                       + node_kind(f.value));
  for (auto it = f.value.begin(); it != f.value.end(); ++it) {
    auto k = scalar_string(it->first);
    if (!k || !*k)
      return d.fail(it->first, f.name, "keys must be strings");
    auto path = f.name + "[" + **k + "]";
    d.note_line(path, it->first);
    auto v = scalar_string(it->second);
    if (!v)
      return d.fail(it->first, path, v.error());
    if (auto err = fn(**k, v->value_or(""), it->first, path))
      return err;
  }
  return {};
}

caf::error read(decoder& d, const field_ctx& f, resource_map& out) {
  if (f.value.IsNull())
    return {};
  resource_map result;
  auto err = read_string_map(
    d, f,
    [&](const std::string& k, const std::string& v, const YAML::Node& at,
        const std::string& path) -> caf::error {
      auto q = units::parse_quantity(v);
      if (!q)
        return d.fail(at, path, context_of(q.error()));
      result[k] = *q;
      return {};
    });
  if (err)
    return err;
  out = std::move(result);
  return {};
}

caf::error read(decoder& d, const field_ctx& f,
                std::map<std::string, threshold_value>& out) {
  if (f.value.IsNull())
    return {};
  std::map<std::string, threshold_value> result;
  auto err = read_string_map(
    d, f,
    [&](const std::string& k, const std::string& v, const YAML::Node& at,
        const std::string& path) -> caf::error {
      auto t = parse_threshold_value(k, v);
      if (!t)
        return d.fail(at, path, context_of(t.error()));
      result[k] = *t;
      return {};
    });
  if (err)
    return err;
  out = std::move(result);
  return {};
}

caf::error read(decoder& d, const field_ctx& f, std::vector<taint>& out) {
  if (f.value.IsNull())
    return {};
  if (!f.value.IsSequence())
    return d.fail(f, "must be a list of taints, got " + node_kind(f.value));
  std::vector<taint> result;
  for (size_t i = 0; i < f.value.size(); ++i) {
    auto elem = f.value[i];
    auto path = f.name + "[" + std::to_string(i) + "]";
    const auto& at = elem.Mark().line >= 0 ? elem : f.key;
    d.note_line(path, at);
    if (!elem.IsMap())
      return d.fail(at, path, "must be a mapping with key, value and effect");
    taint t;
    bool has_effect = false;
    for (auto it = elem.begin(); it != elem.end(); ++it) {
      auto k = scalar_string(it->first);
      auto name = k && *k ? **k : std::string{"?"};
      auto sub = path + "." + name;
      auto v = scalar_string(it->second);
      if (!v)
        return d.fail(it->first, sub, v.error());
      auto text = v->value_or("");
      if (name == "key") {
        t.key = text;
      } else if (name == "value") {
        t.value = text;
      } else if (name == "effect") {
        auto e = parse_taint_effect(text);
        if (!e)
          return d.fail(it->first, sub,
                        "must be NoSchedule, PreferNoSchedule or NoExecute, "
                        "got \"" + text + "\"");
        t.effect = *e;
        has_effect = true;
      } else if (name != "timeAdded") {
        d.warn(it->first, "unknown field \"" + sub + "\"");
      }
    }
    if (auto why = check_qualified_name(t.key))
      return d.fail(at, path + ".key", "invalid taint key \"" + t.key
                                         + "\": " + *why);
    if (auto why = check_label_value(t.value))
      return d.fail(at, path + ".value", "invalid taint value \"" + t.value
                                           + "\": " + *why);
    if (!has_effect)
      return d.fail(at, path + ".effect", "is required");
    for (const auto& other : result)
      if (other.key == t.key && other.effect == t.effect)
        return d.fail(at, path, "duplicated taint with the same key and "
                                "effect: " + to_string(t));
    result.push_back(std::move(t));
  }
  out = std::move(result);
  return {};
}

// -- the field table ---------------------------------------------------------

using field_fn = caf::error (*)(decoder&, const field_ctx&,
                                kubelet_configuration&);

template <auto Member>
caf::error member(decoder& d, const field_ctx& f, kubelet_configuration& c) {
  return read(d, f, c.*Member);
}

struct field_entry {
  std::string_view name;
  field_fn fn;
};

using kc = kubelet_configuration;

constexpr field_entry fields[] = {
  {"staticPodPath", member<&kc::static_pod_path>},
  {"syncFrequency", member<&kc::sync_frequency>},
  {"fileCheckFrequency", member<&kc::file_check_frequency>},
  {"httpCheckFrequency", member<&kc::http_check_frequency>},
  {"address", member<&kc::address>},
  {"port", member<&kc::port>},
  {"readOnlyPort", member<&kc::read_only_port>},
  {"healthzPort", member<&kc::healthz_port>},
  {"healthzBindAddress", member<&kc::healthz_bind_address>},
  {"tlsCertFile", member<&kc::tls_cert_file>},
  {"tlsPrivateKeyFile", member<&kc::tls_private_key_file>},
  {"rotateCertificates", member<&kc::rotate_certificates>},
  {"serverTLSBootstrap", member<&kc::server_tls_bootstrap>},
  {"kubeAPIQPS", member<&kc::kube_api_qps>},
  {"kubeAPIBurst", member<&kc::kube_api_burst>},
  {"eventRecordQPS", member<&kc::event_record_qps>},
  {"eventBurst", member<&kc::event_burst>},
  {"registryPullQPS", member<&kc::registry_pull_qps>},
  {"registryBurst", member<&kc::registry_burst>},
  {"serializeImagePulls", member<&kc::serialize_image_pulls>},
  {"maxParallelImagePulls", member<&kc::max_parallel_image_pulls>},
  {"imageGCHighThresholdPercent", member<&kc::image_gc_high_threshold_percent>},
  {"imageGCLowThresholdPercent", member<&kc::image_gc_low_threshold_percent>},
  {"imageMinimumGCAge", member<&kc::image_minimum_gc_age>},
  {"nodeStatusUpdateFrequency", member<&kc::node_status_update_frequency>},
  {"nodeStatusReportFrequency", member<&kc::node_status_report_frequency>},
  {"nodeLeaseDurationSeconds", member<&kc::node_lease_duration_seconds>},
  {"containerRuntimeEndpoint", member<&kc::container_runtime_endpoint>},
  {"runtimeRequestTimeout", member<&kc::runtime_request_timeout>},
  {"maxPods", member<&kc::max_pods>},
  {"podPidsLimit", member<&kc::pod_pids_limit>},
  {"clusterDomain", member<&kc::cluster_domain>},
  {"clusterDNS", member<&kc::cluster_dns>},
  {"resolvConf", member<&kc::resolv_conf>},
  {"cgroupDriver", member<&kc::cgroup_driver>},
  {"cgroupRoot", member<&kc::cgroup_root>},
  {"cgroupsPerQOS", member<&kc::cgroups_per_qos>},
  {"failSwapOn", member<&kc::fail_swap_on>},
  {"evictionHard", member<&kc::eviction_hard>},
  {"evictionPressureTransitionPeriod",
   member<&kc::eviction_pressure_transition_period>},
  {"systemReserved", member<&kc::system_reserved>},
  {"kubeReserved", member<&kc::kube_reserved>},
  {"enforceNodeAllocatable", member<&kc::enforce_node_allocatable>},
  {"registerNode", member<&kc::register_node>},
  {"registerWithTaints", member<&kc::register_with_taints>},
  {"shutdownGracePeriod", member<&kc::shutdown_grace_period>},
  {"shutdownGracePeriodCriticalPods",
   member<&kc::shutdown_grace_period_critical_pods>},
  {"containerLogMaxSize", member<&kc::container_log_max_size>},
  {"containerLogMaxFiles", member<&kc::container_log_max_files>},
};

/// Upstream defaulting treats the zero value of non-pointer fields as unset.
void apply_zero_defaults(kubelet_configuration& c, const decoder& d) {
  const kubelet_configuration def;
  auto fix = [](auto& field, const auto& default_value) {
    using T = std::decay_t<decltype(field)>;
    if (field == T{})
      field = default_value;
  };
  fix(c.sync_frequency, def.sync_frequency);
  fix(c.file_check_frequency, def.file_check_frequency);
  fix(c.http_check_frequency, def.http_check_frequency);
  fix(c.address, def.address);
  fix(c.port, def.port);
  fix(c.healthz_bind_address, def.healthz_bind_address);
  fix(c.kube_api_burst, def.kube_api_burst);
  fix(c.event_burst, def.event_burst);
  fix(c.registry_burst, def.registry_burst);
  fix(c.image_minimum_gc_age, def.image_minimum_gc_age);
  fix(c.node_status_update_frequency, def.node_status_update_frequency);
  fix(c.node_status_report_frequency, def.node_status_report_frequency);
  fix(c.node_lease_duration_seconds, def.node_lease_duration_seconds);
  fix(c.container_runtime_endpoint, def.container_runtime_endpoint);
  fix(c.runtime_request_timeout, def.runtime_request_timeout);
  fix(c.max_pods, def.max_pods);
  fix(c.cgroup_driver, def.cgroup_driver);
  fix(c.cgroup_root, def.cgroup_root);
  fix(c.eviction_pressure_transition_period,
      def.eviction_pressure_transition_period);
  // serializeImagePulls defaults to false when parallel pulls are allowed.
  if (d.present.count("serializeImagePulls") == 0)
    c.serialize_image_pulls = !(c.max_parallel_image_pulls
                                && *c.max_parallel_image_pulls > 1);
}

caf::error check_header(decoder& d, const YAML::Node& root) {
  auto require = [&](std::string_view name,
                     std::string_view expected) -> caf::error {
    auto node = root[std::string{name}];
    if (!node || node.IsNull())
      return make_error(errc::invalid_config,
                        std::string{d.source} + ": missing " + std::string{name}
                          + " (expected \"" + std::string{expected} + "\")");
    auto v = scalar_string(node);
    if (!v || !*v || **v != expected)
      return d.fail(node, name,
                    "unsupported " + std::string{name} + " \""
                      + (v && *v ? **v : node_kind(node)) + "\" (expected \""
                      + std::string{expected} + "\")");
    return {};
  };
  if (auto err = require("kind", kubelet_config_kind))
    return err;
  return require("apiVersion", kubelet_config_api_version);
}

std::string join_issues(const decoder& d,
                        const std::vector<config_issue>& issues) {
  std::string out;
  for (const auto& issue : issues) {
    if (!out.empty())
      out += "; ";
    out += d.source;
    auto it = d.lines.find(issue.field);
    if (it == d.lines.end())
      it = d.lines.find(issue.field.substr(0, issue.field.find('[')));
    if (it != d.lines.end())
      out += ":" + std::to_string(it->second);
    out += ": field " + issue.field + ": " + issue.message;
  }
  return out;
}

caf::expected<kubelet_configuration>
decode(std::string_view text, std::string_view source,
       std::vector<std::string>& warnings) {
  decoder d{source, warnings, {}, {}};
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string{text});
  } catch (const YAML::Exception& e) {
    std::string where{source};
    if (e.mark.line >= 0)
      where += ":" + std::to_string(e.mark.line + 1) + ":"
               + std::to_string(e.mark.column + 1);
    return make_error(errc::invalid_config,
                      where + ": malformed YAML: " + e.msg);
  }
  if (docs.empty() || docs[0].IsNull())
    return make_error(errc::invalid_config,
                      std::string{source}
                        + ": empty document (expected a KubeletConfiguration)");
  if (docs.size() > 1)
    d.warn(docs[1], "ignoring " + std::to_string(docs.size() - 1)
                      + " additional YAML document(s)");
  const auto& root = docs[0];
  if (!root.IsMap())
    return make_error(errc::invalid_config,
                      d.where(root) + ": expected a mapping (a "
                                      "KubeletConfiguration object), got "
                        + node_kind(root));
  if (auto err = check_header(d, root))
    return err;
  kubelet_configuration cfg;
  std::set<std::string> seen;
  for (auto it = root.begin(); it != root.end(); ++it) {
    auto key = scalar_string(it->first);
    if (!key || !*key)
      return make_error(errc::invalid_config,
                        d.where(it->first) + ": field names must be strings");
    const auto& name = **key;
    if (!seen.insert(name).second)
      d.warn(it->first, "duplicate field \"" + name + "\"");
    if (name == "apiVersion" || name == "kind")
      continue;
    auto entry = std::find_if(std::begin(fields), std::end(fields),
                              [&](const auto& e) { return e.name == name; });
    if (entry == std::end(fields)) {
      if (std::find(std::begin(unsupported_fields),
                    std::end(unsupported_fields), name)
          != std::end(unsupported_fields))
        d.warn(it->first, "field \"" + name
                            + "\" is not supported by cafelet; ignored");
      else
        d.warn(it->first, "unknown field \"" + name + "\"");
      continue;
    }
    d.note_line(name, it->first);
    if (!it->second.IsNull())
      d.present.insert(name);
    field_ctx f{name, it->first, it->second};
    if (auto err = entry->fn(d, f, cfg))
      return err;
  }
  apply_zero_defaults(cfg, d);
  if (auto issues = validate(cfg); !issues.empty())
    return make_error(errc::invalid_config, join_issues(d, issues));
  return cfg;
}

} // namespace

caf::expected<kubelet_configuration>
parse_config_yaml(std::string_view text, std::string_view source_name,
                  std::vector<std::string>& warnings) {
  try {
    return decode(text, source_name, warnings);
  } catch (const std::exception& e) {
    return make_error(errc::invalid_config,
                      std::string{source_name} + ": cannot decode: "
                        + e.what());
  }
}

caf::expected<kubelet_configuration>
load_config_file(const std::string& path, std::vector<std::string>& warnings) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec))
    return make_error(errc::io_error, path + ": cannot read config file: is "
                                             "a directory");
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return make_error(errc::io_error, path + ": cannot read config file: "
                                        + std::strerror(errno));
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad())
    return make_error(errc::io_error, path + ": cannot read config file: "
                                        + std::strerror(errno));
  auto cfg = parse_config_yaml(buf.str(), path, warnings);
  if (!cfg)
    return cfg;
  // As upstream, relative paths in the file are relative to its directory.
  auto dir = fs::path{path}.parent_path();
  for (auto* p : {&cfg->static_pod_path, &cfg->tls_cert_file,
                  &cfg->tls_private_key_file, &cfg->resolv_conf})
    if (!p->empty() && fs::path{*p}.is_relative())
      *p = (dir / *p).lexically_normal().string();
  return cfg;
}

} // namespace cafelet::config
