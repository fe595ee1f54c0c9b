#pragma once
/// @file
/// Container and pod resources as CRI Linux resources, as the upstream
/// kubelet computes them (kuberuntime_container_linux.go
/// calculateLinuxResources, cm MilliCPUToShares, helpers_linux.go
/// milliCPUToQuota, qos/policy.go GetContainerOOMScoreAdjust,
/// GetHugepageLimitsFromResources, the sandbox's pod-level resources).

#include "runtime/kuberuntime/settings.hpp"

#include "messages/k8s/pod.hpp"

#include "runtime/kuberuntime/pb.hpp"

#include <caf/expected.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cafelet::kuberuntime {

/// Fewest CPU shares a container gets.
inline constexpr int64_t min_shares = 2;
/// Most CPU shares a container gets.
inline constexpr int64_t max_shares = 262144;
/// Shares of one CPU.
inline constexpr int64_t shares_per_cpu = 1024;
/// Smallest CFS quota set for a CPU limit (microseconds).
inline constexpr int64_t min_quota_us = 1000;
/// OOM score adjustment of Guaranteed and node-critical containers.
inline constexpr int64_t guaranteed_oom_score_adj = -997;
/// OOM score adjustment of BestEffort containers.
inline constexpr int64_t best_effort_oom_score_adj = 1000;

/// CPU shares for a CPU request in millicores: 1024 per CPU, at least 2
/// (also for 0), at most 262144.
int64_t milli_cpu_to_shares(int64_t milli_cpu) noexcept;

/// CFS quota for a CPU limit in millicores and a period in microseconds:
/// 0 (unlimited) for no limit, else limit * period / 1000, at least 1000.
int64_t milli_cpu_to_quota(int64_t milli_cpu, int64_t period_us) noexcept;

/// A container's cpu and memory requests and limits, validated.
struct compute_resources {
  /// CPU request in millicores; nullopt if neither requested nor limited
  /// (a missing request defaults to the limit, as the API server does).
  std::optional<int64_t> cpu_request_milli;
  /// CPU limit in millicores; 0 if none.
  int64_t cpu_limit_milli = 0;
  /// Memory request in bytes (defaulting to the limit); 0 if none.
  int64_t memory_request = 0;
  /// Memory limit in bytes; 0 if none.
  int64_t memory_limit = 0;
  /// Huge page limits: page size in bytes and limit in bytes.
  std::vector<std::pair<int64_t, int64_t>> hugepage_limits;
};

/// Parses and checks `c`'s requests and limits: every quantity must parse
/// and be non-negative, a request must not exceed its limit, huge page
/// sizes must be valid. Fails with `errc::invalid` and a message naming the
/// container and field, e.g. `container "app": resources.limits.cpu:
/// invalid quantity "abc"`.
caf::expected<compute_resources> parse_resources(const k8s::container& c);

/// Upstream calculateLinuxResources: cpu_shares from the request (or the
/// limit when there is no request; 2 when neither), memory limit, and with
/// cpuCFSQuota the period and the quota (0 without a CPU limit).
pb::LinuxContainerResources
linux_resources(std::optional<int64_t> cpu_request_milli,
                int64_t cpu_limit_milli, int64_t memory_limit,
                const settings& s);

/// True for a node-critical pod: priorityClassName system-node-critical
/// and critical (static, mirror, or priority >= 2000000000).
bool is_node_critical(const k8s::pod& pod);

/// OOM score adjustment of container `c`: -997 for Guaranteed and
/// node-critical pods, 1000 for BestEffort, else 1000 - 1000 * memory
/// request / capacity clamped to [3, 999] (sidecars no higher than the
/// regular container with the smallest request).
int64_t oom_score_adj(const k8s::pod& pod, const k8s::container& c,
                      qos_class qos, int64_t memory_capacity);

/// Renders a huge page size in CRI spelling: 2097152 -> "2MB",
/// 1073741824 -> "1GB"; nullopt if it does not divide into a unit.
std::optional<std::string> hugepage_size_name(int64_t bytes);

/// The container's Linux resources: `linux_resources` of its requests and
/// limits, the OOM score adjustment, and a limit for each machine huge page
/// size. Fails like `parse_resources`.
caf::expected<pb::LinuxContainerResources>
container_linux_resources(const k8s::pod& pod, const k8s::container& c,
                          qos_class qos, const settings& s);

/// The sandbox's pod-level resources (upstream calculateSandboxResources):
/// `linux_resources` of the pod's aggregated requests and limits (app
/// containers and sidecars summed, each init container's needs maxed in).
/// Fails like `parse_resources` for any container.
caf::expected<pb::LinuxContainerResources>
sandbox_linux_resources(const k8s::pod& pod, const settings& s);

} // namespace cafelet::kuberuntime
