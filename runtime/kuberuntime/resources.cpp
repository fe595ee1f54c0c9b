#include "runtime/kuberuntime/resources.hpp"

#include "runtime/kuberuntime/format.hpp"

#include "messages/units/quantity.hpp"

#include <algorithm>
#include <array>

namespace cafelet::kuberuntime {

namespace {

constexpr std::string_view hugepages_prefix = "hugepages-";

/// Priority at and above which a pod is critical (SystemCriticalPriority).
constexpr int32_t system_critical_priority = 2000000000;

/// Parses one quantity of `c`'s `list` ("requests" or "limits").
caf::expected<units::quantity> parse_entry(const k8s::container& c,
                                           std::string_view list,
                                           const std::string& name,
                                           const std::string& text) {
  auto field = "resources." + std::string{list} + "." + name;
  auto q = units::parse_quantity(text);
  if (!q)
    return container_error(c.name, field,
                           "invalid quantity \"" + text + "\"");
  if (q->sign() < 0)
    return container_error(c.name, field,
                           "must be greater than or equal to 0, got \"" + text
                             + "\"");
  return *q;
}

/// Memory request of `c` in bytes (defaulting to the limit); 0 if none or
/// unparseable.
int64_t memory_request_of(const k8s::container& c) {
  const auto* text = k8s::find(c.resources.requests, "memory");
  if (text == nullptr)
    text = k8s::find(c.resources.limits, "memory");
  if (text == nullptr)
    return 0;
  auto q = units::parse_quantity(*text);
  return q && q->sign() > 0 ? q->value() : 0;
}

bool is_sidecar(const k8s::pod& pod, const k8s::container& c) {
  if (c.restart_policy != "Always")
    return false;
  return std::any_of(pod.spec.init_containers.begin(),
                     pod.spec.init_containers.end(),
                     [&](const k8s::container& x) { return x.name == c.name; });
}

int64_t burstable_adj(int64_t request, int64_t capacity) {
  if (capacity <= 0)
    return 1000;
  return static_cast<int64_t>(1000 - (__int128{1000} * request) / capacity);
}

/// Pod-level cpu and memory amounts for the sandbox.
struct pod_amounts {
  bool cpu_request_present = false;
  int64_t cpu_request = 0;
  int64_t cpu_limit = 0;
  int64_t memory_limit = 0;

  void add(const pod_amounts& x) {
    cpu_request_present = cpu_request_present || x.cpu_request_present;
    cpu_request = sat_add(cpu_request, x.cpu_request);
    cpu_limit = sat_add(cpu_limit, x.cpu_limit);
    memory_limit = sat_add(memory_limit, x.memory_limit);
  }

  void max_with(const pod_amounts& x) {
    cpu_request_present = cpu_request_present || x.cpu_request_present;
    cpu_request = std::max(cpu_request, x.cpu_request);
    cpu_limit = std::max(cpu_limit, x.cpu_limit);
    memory_limit = std::max(memory_limit, x.memory_limit);
  }

  static int64_t sat_add(int64_t a, int64_t b) {
    int64_t out = 0;
    if (__builtin_add_overflow(a, b, &out))
      return INT64_MAX;
    return out;
  }

  static pod_amounts of(const compute_resources& r) {
    pod_amounts out;
    out.cpu_request_present = r.cpu_request_milli.has_value();
    out.cpu_request = r.cpu_request_milli.value_or(0);
    out.cpu_limit = r.cpu_limit_milli;
    out.memory_limit = r.memory_limit;
    return out;
  }
};

} // namespace

int64_t milli_cpu_to_shares(int64_t milli_cpu) noexcept {
  if (milli_cpu <= 0)
    return min_shares;
  auto shares = (__int128{milli_cpu} * shares_per_cpu) / 1000;
  if (shares < min_shares)
    return min_shares;
  if (shares > max_shares)
    return max_shares;
  return static_cast<int64_t>(shares);
}

int64_t milli_cpu_to_quota(int64_t milli_cpu, int64_t period_us) noexcept {
  if (milli_cpu <= 0)
    return 0;
  auto quota = (__int128{milli_cpu} * period_us) / 1000;
  if (quota < min_quota_us)
    return min_quota_us;
  if (quota > INT64_MAX)
    return INT64_MAX;
  return static_cast<int64_t>(quota);
}

caf::expected<compute_resources> parse_resources(const k8s::container& c) {
  compute_resources out;
  std::optional<units::quantity> cpu_request;
  std::optional<units::quantity> cpu_limit;
  for (const auto& [name, text] : c.resources.limits) {
    auto q = parse_entry(c, "limits", name, text);
    if (!q)
      return std::move(q.error());
    if (name == "cpu") {
      cpu_limit = *q;
      out.cpu_limit_milli = q->milli_value();
    } else if (name == "memory") {
      out.memory_limit = q->value();
    } else if (std::string_view{name}.substr(0, hugepages_prefix.size())
               == hugepages_prefix) {
      auto size = units::parse_quantity(name.substr(hugepages_prefix.size()));
      if (!size || size->sign() <= 0 || !hugepage_size_name(size->value()))
        return container_error(c.name, "resources.limits." + name,
                               "invalid huge page size");
      out.hugepage_limits.emplace_back(size->value(), q->value());
    }
  }
  for (const auto& [name, text] : c.resources.requests) {
    auto q = parse_entry(c, "requests", name, text);
    if (!q)
      return std::move(q.error());
    if (const auto* limit_text = k8s::find(c.resources.limits, name)) {
      auto limit = units::parse_quantity(*limit_text);
      if (limit && *q > *limit)
        return container_error(c.name, "resources.requests." + name,
                               "must be less than or equal to " + name
                                 + " limit of " + *limit_text);
    }
    if (name == "cpu")
      cpu_request = *q;
    else if (name == "memory")
      out.memory_request = q->value();
  }
  if (cpu_request)
    out.cpu_request_milli = cpu_request->milli_value();
  else if (cpu_limit)
    out.cpu_request_milli = cpu_limit->milli_value();
  if (k8s::find(c.resources.requests, "memory") == nullptr)
    out.memory_request = out.memory_limit;
  return out;
}

pb::LinuxContainerResources
linux_resources(std::optional<int64_t> cpu_request_milli,
                int64_t cpu_limit_milli, int64_t memory_limit,
                const settings& s) {
  pb::LinuxContainerResources out;
  out.set_cpu_shares(milli_cpu_to_shares(cpu_request_milli.value_or(0)));
  if (memory_limit != 0)
    out.set_memory_limit_in_bytes(memory_limit);
  if (s.cpu_cfs_quota) {
    out.set_cpu_period(s.cpu_cfs_quota_period_us);
    out.set_cpu_quota(
      milli_cpu_to_quota(cpu_limit_milli, s.cpu_cfs_quota_period_us));
  }
  return out;
}

bool is_node_critical(const k8s::pod& pod) {
  if (pod.spec.priority_class_name != "system-node-critical")
    return false;
  const auto& ann = pod.metadata.annotations;
  auto source = ann.find("kubernetes.io/config.source");
  bool is_static = source != ann.end() && source->second != "api";
  bool is_mirror = ann.count("kubernetes.io/config.mirror") > 0;
  bool high_priority = pod.spec.priority
                       && *pod.spec.priority >= system_critical_priority;
  return is_static || is_mirror || high_priority;
}

int64_t oom_score_adj(const k8s::pod& pod, const k8s::container& c,
                      qos_class qos, int64_t memory_capacity) {
  if (is_node_critical(pod))
    return guaranteed_oom_score_adj;
  if (qos == qos_class::guaranteed)
    return guaranteed_oom_score_adj;
  if (qos == qos_class::best_effort)
    return best_effort_oom_score_adj;
  auto adj = burstable_adj(memory_request_of(c), memory_capacity);
  if (is_sidecar(pod, c) && !pod.spec.containers.empty()) {
    auto min_request = memory_request_of(pod.spec.containers.front());
    for (const auto& x : pod.spec.containers)
      min_request = std::min(min_request, memory_request_of(x));
    adj = std::min(adj, burstable_adj(min_request, memory_capacity));
  }
  if (adj < 1000 + guaranteed_oom_score_adj)
    return 1000 + guaranteed_oom_score_adj;
  if (adj >= best_effort_oom_score_adj)
    return best_effort_oom_score_adj - 1;
  return adj;
}

std::optional<std::string> hugepage_size_name(int64_t bytes) {
  static constexpr std::array<const char*, 6> units{"B",  "KB", "MB",
                                                    "GB", "TB", "PB"};
  if (bytes <= 0)
    return std::nullopt;
  size_t idx = 0;
  while (bytes % 1024 == 0 && idx + 1 < units.size()) {
    bytes /= 1024;
    ++idx;
  }
  if (bytes > 1024 && idx + 1 < units.size())
    return std::nullopt;
  return std::to_string(bytes) + units[idx];
}

caf::expected<pb::LinuxContainerResources>
container_linux_resources(const k8s::pod& pod, const k8s::container& c,
                          qos_class qos, const settings& s) {
  auto r = parse_resources(c);
  if (!r)
    return std::move(r.error());
  auto out = linux_resources(r->cpu_request_milli, r->cpu_limit_milli,
                             r->memory_limit, s);
  out.set_oom_score_adj(oom_score_adj(pod, c, qos, s.memory_capacity));
  for (const auto& size : s.hugepage_sizes) {
    auto* limit = out.add_hugepage_limits();
    limit->set_page_size(size);
    for (const auto& [page, bytes] : r->hugepage_limits)
      if (hugepage_size_name(page) == size)
        limit->set_limit(static_cast<uint64_t>(bytes));
  }
  return out;
}

caf::expected<pb::LinuxContainerResources>
sandbox_linux_resources(const k8s::pod& pod, const settings& s) {
  pod_amounts total;
  for (const auto& c : pod.spec.containers) {
    auto r = parse_resources(c);
    if (!r)
      return std::move(r.error());
    total.add(pod_amounts::of(*r));
  }
  pod_amounts sidecars;
  pod_amounts init_max;
  for (const auto& c : pod.spec.init_containers) {
    auto r = parse_resources(c);
    if (!r)
      return std::move(r.error());
    auto own = pod_amounts::of(*r);
    pod_amounts needed;
    if (c.restart_policy == "Always") {
      total.add(own);
      sidecars.add(own);
      needed = sidecars;
    } else {
      needed = own;
      needed.add(sidecars);
    }
    init_max.max_with(needed);
  }
  total.max_with(init_max);
  std::optional<int64_t> cpu_request;
  if (total.cpu_request_present)
    cpu_request = total.cpu_request;
  return linux_resources(cpu_request, total.cpu_limit, total.memory_limit, s);
}

} // namespace cafelet::kuberuntime
