#pragma once
/// @file
/// The pod QoS class (`status.qosClass`), shared by the pod logic (which
/// computes it) and the runtime builders (which derive cgroups and OOM
/// scores from it).

#include <cstdint>
#include <optional>
#include <string_view>

namespace cafelet::k8s {

/// Quality of service class of a pod.
enum class qos_class : uint8_t {
  /// Every container has cpu and memory limits equal to its requests.
  guaranteed,
  /// Some requests or limits, but not Guaranteed.
  burstable,
  /// No cpu or memory request or limit anywhere.
  best_effort,
};

/// Returns "Guaranteed", "Burstable" or "BestEffort".
std::string_view to_string(qos_class x) noexcept;

/// Parses "Guaranteed", "Burstable" or "BestEffort" (exact spelling).
std::optional<qos_class> parse_qos_class(std::string_view text) noexcept;

} // namespace cafelet::k8s
