#pragma once
/// @file
/// The patch formats of the API server: JSON merge patch (RFC 7386,
/// `application/merge-patch+json`), JSON patch (RFC 6902,
/// `application/json-patch+json`) and Kubernetes' strategic merge patch
/// (`application/strategic-merge-patch+json`) with merge keys per list,
/// `$patch` (merge/replace/delete), `$setElementOrder/<list>`,
/// `$deleteFromPrimitiveList/<list>` and `$retainKeys` directives.

#include "messages/json/json.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace cafelet::apiserver {

/// Applies RFC 7386: objects merge recursively, null deletes, anything else
/// (including arrays) replaces.
json::value apply_merge_patch(json::value target, const json::value& patch);

/// Applies an RFC 6902 JSON patch (`application/json-patch+json`): add,
/// remove, replace, move, copy and test operations on JSON pointers.
/// Returns the patched value, or an error message naming the failed
/// operation (the server answers 422 with it).
std::variant<json::value, std::string>
apply_json_patch(json::value target, const json::value& patch);

/// How a list field is patched strategically.
struct list_strategy {
  /// True to merge elements instead of replacing the list.
  bool merge = false;
  /// Merge key of object elements; empty for a list of primitives.
  std::string key;
};

/// The patch strategy of the list at `path` (JSON field names joined by
/// '.', without indices, e.g. "status.conditions") in objects of `kind`.
/// Lists without a declared strategy are replaced as a whole.
list_strategy list_strategy_for(std::string_view kind, std::string_view path);

/// Outcome of a strategic merge patch.
struct smp_result {
  /// The patched object (valid if `error` is empty).
  json::value object;
  /// HTTP status of a failure (400, 422 or 500).
  int code = 0;
  /// Message of a failure; empty on success.
  std::string error;
};

/// Applies a strategic merge patch to `original`, an object of `kind`.
smp_result apply_strategic_merge_patch(json::value original,
                                       const json::value& patch,
                                       std::string_view kind);

} // namespace cafelet::apiserver
