#include "messages/config/kubelet_config.hpp"

#include "messages/errors.hpp"
#include "messages/units/duration.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace cafelet::config {

namespace {

constexpr std::string_view eviction_signals[] = {
  "memory.available",     "allocatableMemory.available",
  "nodefs.available",     "nodefs.inodesFree",
  "imagefs.available",    "imagefs.inodesFree",
  "containerfs.available", "containerfs.inodesFree",
  "pid.available",
};

constexpr std::string_view reservable_resources[] = {"cpu", "memory",
                                                     "ephemeral-storage",
                                                     "pid"};

template <class Range>
bool contains(const Range& xs, std::string_view x) {
  return std::find(std::begin(xs), std::end(xs), x) != std::end(xs);
}

/// Collects issues with a compact syntax.
struct checker {
  std::vector<config_issue> issues;

  void add(std::string field, std::string message) {
    issues.push_back({std::move(field), std::move(message)});
  }

  void port(std::string_view field, int32_t v, bool zero_disables) {
    if (zero_disables && v == 0)
      return;
    if (v < 1 || v > 65535)
      add(std::string{field},
          std::string{zero_disables ? "must be 0 (disabled) or " : "must be "}
            + "between 1 and 65535, inclusive, got " + std::to_string(v));
  }

  void positive(std::string_view field, std::chrono::nanoseconds d) {
    if (d <= std::chrono::nanoseconds{0})
      add(std::string{field},
          "must be greater than 0, got " + units::format_duration(d));
  }

  void non_negative(std::string_view field, std::chrono::nanoseconds d) {
    if (d < std::chrono::nanoseconds{0})
      add(std::string{field},
          "must not be negative, got " + units::format_duration(d));
  }

  void non_negative(std::string_view field, int64_t v) {
    if (v < 0)
      add(std::string{field},
          "must not be a negative number, got " + std::to_string(v));
  }

  void percent(std::string_view field, int32_t v) {
    if (v < 0 || v > 100)
      add(std::string{field},
          "must be between 0 and 100, inclusive, got " + std::to_string(v));
  }

  void reserved(std::string_view field, const resource_map& m) {
    for (const auto& [name, q] : m) {
      auto f = std::string{field} + "[" + name + "]";
      if (!contains(reservable_resources, name))
        add(f, "cannot reserve \"" + name
                 + "\" resource (supported: cpu, memory, ephemeral-storage, "
                   "pid)");
      else if (q.sign() < 0)
        add(f, "resource quantity cannot be negative, got " + q.to_string());
    }
  }
};

} // namespace

std::string_view to_string(taint_effect x) {
  switch (x) {
    case taint_effect::no_schedule: return "NoSchedule";
    case taint_effect::prefer_no_schedule: return "PreferNoSchedule";
    case taint_effect::no_execute: return "NoExecute";
  }
  return "NoSchedule";
}

std::optional<taint_effect> parse_taint_effect(std::string_view text) {
  for (auto x : {taint_effect::no_schedule, taint_effect::prefer_no_schedule,
                 taint_effect::no_execute})
    if (to_string(x) == text)
      return x;
  return std::nullopt;
}

std::string to_string(const taint& x) {
  std::string out = x.key;
  if (!x.value.empty()) {
    out += '=';
    out += x.value;
  }
  out += ':';
  out += to_string(x.effect);
  return out;
}

caf::expected<threshold_value> parse_threshold_value(std::string_view signal,
                                                     std::string_view text) {
  auto fail = [&](std::string why) {
    return make_error(errc::invalid_config,
                      "eviction threshold " + std::string{signal} + ": " + why);
  };
  if (!text.empty() && text.back() == '%') {
    auto num = text.substr(0, text.size() - 1);
    double v = 0;
    auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
    if (num.empty() || ec != std::errc{} || ptr != num.data() + num.size()
        || !std::isfinite(v))
      return fail("invalid percentage \"" + std::string{text} + "\"");
    if (v < 0)
      return fail("percentage must be >= 0%, got " + std::string{text});
    if (v > 100)
      return fail("percentage must be <= 100%, got " + std::string{text});
    return threshold_value{std::nullopt, v / 100};
  }
  auto q = units::parse_quantity(text);
  if (!q)
    return fail(context_of(q.error()));
  if (q->sign() <= 0)
    return fail("must be positive, got " + q->to_string());
  return threshold_value{*q, 0};
}

std::string to_string(const threshold_value& x) {
  if (x.quantity)
    return x.quantity->to_string();
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g%%", x.percentage * 100);
  return buf;
}

std::map<std::string, threshold_value> default_eviction_hard() {
  auto mi100 = units::quantity::from_value(100 * 1024 * 1024,
                                           units::quantity_format::binary_si);
  return {
    {"memory.available", {mi100, 0}},
    {"nodefs.available", {std::nullopt, 0.10}},
    {"imagefs.available", {std::nullopt, 0.15}},
    {"nodefs.inodesFree", {std::nullopt, 0.05}},
  };
}

bool is_ip_address(std::string_view text) {
  std::string s{text};
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1
         || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

std::vector<config_issue> validate(const kubelet_configuration& cfg) {
  checker c;
  c.positive("syncFrequency", cfg.sync_frequency);
  c.positive("fileCheckFrequency", cfg.file_check_frequency);
  c.positive("httpCheckFrequency", cfg.http_check_frequency);
  if (!is_ip_address(cfg.address))
    c.add("address", "\"" + cfg.address + "\" is not a valid IP address");
  c.port("port", cfg.port, false);
  c.port("readOnlyPort", cfg.read_only_port, true);
  c.port("healthzPort", cfg.healthz_port, true);
  if (!cfg.healthz_bind_address.empty()
      && !is_ip_address(cfg.healthz_bind_address))
    c.add("healthzBindAddress",
          "\"" + cfg.healthz_bind_address + "\" is not a valid IP address");
  if (cfg.tls_cert_file.empty() != cfg.tls_private_key_file.empty())
    c.add(cfg.tls_cert_file.empty() ? "tlsCertFile" : "tlsPrivateKeyFile",
          "tlsCertFile and tlsPrivateKeyFile must be set together");
  c.non_negative("kubeAPIQPS", cfg.kube_api_qps);
  c.non_negative("kubeAPIBurst", cfg.kube_api_burst);
  c.non_negative("eventRecordQPS", cfg.event_record_qps);
  c.non_negative("eventBurst", cfg.event_burst);
  c.non_negative("registryPullQPS", cfg.registry_pull_qps);
  c.non_negative("registryBurst", cfg.registry_burst);
  if (auto n = cfg.max_parallel_image_pulls) {
    if (*n < 1)
      c.add("maxParallelImagePulls",
            "must be a positive number, got " + std::to_string(*n));
    else if (cfg.serialize_image_pulls && *n > 1)
      c.add("maxParallelImagePulls",
            "cannot be larger than 1 unless serializeImagePulls is false");
  }
  c.percent("imageGCHighThresholdPercent", cfg.image_gc_high_threshold_percent);
  c.percent("imageGCLowThresholdPercent", cfg.image_gc_low_threshold_percent);
  if (cfg.image_gc_low_threshold_percent >= cfg.image_gc_high_threshold_percent)
    c.add("imageGCLowThresholdPercent",
          "must be less than imageGCHighThresholdPercent ("
            + std::to_string(cfg.image_gc_low_threshold_percent)
            + " >= " + std::to_string(cfg.image_gc_high_threshold_percent)
            + ")");
  c.non_negative("imageMinimumGCAge", cfg.image_minimum_gc_age);
  c.positive("nodeStatusUpdateFrequency", cfg.node_status_update_frequency);
  c.positive("nodeStatusReportFrequency", cfg.node_status_report_frequency);
  if (cfg.node_lease_duration_seconds <= 0)
    c.add("nodeLeaseDurationSeconds",
          "must be greater than 0, got "
            + std::to_string(cfg.node_lease_duration_seconds));
  if (cfg.container_runtime_endpoint.empty())
    c.add("containerRuntimeEndpoint", "must not be empty");
  c.positive("runtimeRequestTimeout", cfg.runtime_request_timeout);
  c.non_negative("maxPods", cfg.max_pods);
  if (cfg.pod_pids_limit < -1)
    c.add("podPidsLimit", "must be -1 (unlimited) or a non-negative number, "
                          "got "
                            + std::to_string(cfg.pod_pids_limit));
  for (size_t i = 0; i < cfg.cluster_dns.size(); ++i)
    if (!is_ip_address(cfg.cluster_dns[i]))
      c.add("clusterDNS[" + std::to_string(i) + "]",
            "\"" + cfg.cluster_dns[i] + "\" is not a valid IP address");
  if (cfg.cgroup_driver != "cgroupfs" && cfg.cgroup_driver != "systemd")
    c.add("cgroupDriver", "must be \"cgroupfs\" or \"systemd\", got \""
                            + cfg.cgroup_driver + "\"");
  for (const auto& [signal, value] : cfg.eviction_hard) {
    auto f = "evictionHard[" + signal + "]";
    if (!contains(eviction_signals, signal))
      c.add(f, "unsupported eviction signal \"" + signal + "\"");
    else if (value.quantity && value.quantity->sign() <= 0)
      c.add(f, "must be positive, got " + value.quantity->to_string());
    else if (!value.quantity
             && (value.percentage < 0 || value.percentage > 1))
      c.add(f, "percentage must be within 0% and 100%");
  }
  c.non_negative("evictionPressureTransitionPeriod",
                 cfg.eviction_pressure_transition_period);
  c.reserved("systemReserved", cfg.system_reserved);
  c.reserved("kubeReserved", cfg.kube_reserved);
  for (size_t i = 0; i < cfg.enforce_node_allocatable.size(); ++i) {
    const auto& x = cfg.enforce_node_allocatable[i];
    auto f = "enforceNodeAllocatable[" + std::to_string(i) + "]";
    if (x != "pods" && x != "system-reserved" && x != "kube-reserved"
        && x != "none")
      c.add(f, "unknown value \"" + x
                 + "\" (valid: pods, system-reserved, kube-reserved, none)");
    else if (x == "none" && cfg.enforce_node_allocatable.size() > 1)
      c.add(f, "\"none\" cannot be combined with other values");
  }
  c.non_negative("shutdownGracePeriod", cfg.shutdown_grace_period);
  c.non_negative("shutdownGracePeriodCriticalPods",
                 cfg.shutdown_grace_period_critical_pods);
  if (cfg.shutdown_grace_period_critical_pods > cfg.shutdown_grace_period)
    c.add("shutdownGracePeriodCriticalPods",
          "must be <= shutdownGracePeriod ("
            + units::format_duration(cfg.shutdown_grace_period) + ")");
  if (cfg.container_log_max_size.sign() < 0)
    c.add("containerLogMaxSize", "must not be negative, got "
                                   + cfg.container_log_max_size.to_string());
  if (cfg.container_log_max_files < 2)
    c.add("containerLogMaxFiles",
          "must be greater than 1, got "
            + std::to_string(cfg.container_log_max_files));
  return std::move(c.issues);
}

} // namespace cafelet::config
