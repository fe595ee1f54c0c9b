#include "tests/apiserver/patch.hpp"

namespace cafelet::apiserver {

json::value apply_merge_patch(json::value target, const json::value& patch) {
  if (!patch.is_object())
    return patch;
  if (!target.is_object())
    target = json::value{json::object{}};
  for (const auto& [key, value] : patch.as_object()) {
    if (value.is_null()) {
      target.erase(key);
      continue;
    }
    auto* existing = target.find(key);
    json::value base = existing != nullptr ? std::move(*existing) : json::value{};
    target[key] = apply_merge_patch(std::move(base), value);
  }
  return target;
}

} // namespace cafelet::apiserver
