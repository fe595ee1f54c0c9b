#include "actors/pods/qos.hpp"

#include "messages/units/quantity.hpp"

#include <array>

namespace cafelet::actors::pods {

namespace {

/// Index of a QoS compute resource, or -1.
int compute_index(std::string_view name) noexcept {
  if (name == "cpu")
    return 0;
  if (name == "memory")
    return 1;
  return -1;
}

/// Positive value of `text` in milli-units, or 0 if absent, invalid or not
/// above zero.
__int128 positive_milli(const std::string& text) {
  auto q = units::parse_quantity(text);
  if (!q || q->sign() <= 0)
    return 0;
  return q->milli_value();
}

/// Per-resource sums; `present` marks a resource seen above zero.
struct totals {
  std::array<__int128, 2> sum{0, 0};
  std::array<bool, 2> present{false, false};

  bool empty() const noexcept {
    return !present[0] && !present[1];
  }
};

} // namespace

k8s::resource_list effective_requests(const k8s::resource_requirements& r) {
  auto result = r.requests;
  for (const auto& [name, value] : r.limits)
    if (k8s::find(result, name) == nullptr)
      result.emplace_back(name, value);
  return result;
}

qos_class qos_of(const k8s::pod_spec& spec) {
  totals requests;
  totals limits;
  bool guaranteed = true;
  auto visit = [&](const k8s::container& c) {
    for (const auto& [name, value] : effective_requests(c.resources)) {
      auto i = compute_index(name);
      if (i < 0)
        continue;
      if (auto v = positive_milli(value); v > 0) {
        requests.sum[i] += v;
        requests.present[i] = true;
      }
    }
    std::array<bool, 2> found{false, false};
    for (const auto& [name, value] : c.resources.limits) {
      auto i = compute_index(name);
      if (i < 0)
        continue;
      if (auto v = positive_milli(value); v > 0) {
        found[i] = true;
        limits.sum[i] += v;
        limits.present[i] = true;
      }
    }
    if (!found[0] || !found[1])
      guaranteed = false;
  };
  for (const auto& c : spec.containers)
    visit(c);
  for (const auto& c : spec.init_containers)
    visit(c);
  if (requests.empty() && limits.empty())
    return qos_class::best_effort;
  if (guaranteed) {
    for (size_t i = 0; i < 2; ++i) {
      if (!requests.present[i])
        continue;
      if (!limits.present[i] || limits.sum[i] != requests.sum[i]) {
        guaranteed = false;
        break;
      }
    }
  }
  if (guaranteed && requests.present == limits.present)
    return qos_class::guaranteed;
  return qos_class::burstable;
}

} // namespace cafelet::actors::pods
