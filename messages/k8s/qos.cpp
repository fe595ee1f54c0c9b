#include "messages/k8s/qos.hpp"

namespace cafelet::k8s {

std::string_view to_string(qos_class x) noexcept {
  switch (x) {
    case qos_class::guaranteed:
      return "Guaranteed";
    case qos_class::burstable:
      return "Burstable";
    case qos_class::best_effort:
      break;
  }
  return "BestEffort";
}

std::optional<qos_class> parse_qos_class(std::string_view text) noexcept {
  if (text == "Guaranteed")
    return qos_class::guaranteed;
  if (text == "Burstable")
    return qos_class::burstable;
  if (text == "BestEffort")
    return qos_class::best_effort;
  return std::nullopt;
}

} // namespace cafelet::k8s
