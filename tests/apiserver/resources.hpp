#pragma once
/// @file
/// The resource types the test API server serves and their static
/// properties (names, scope, subresources, discovery data, storage
/// behaviour, supported field selectors).

#include "messages/json/json.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cafelet::apiserver {

/// Static description of one resource type.
struct resource_def {
  /// API group, empty for the core group.
  std::string group;
  /// Version, e.g. "v1".
  std::string version;
  /// Plural resource name, e.g. "pods".
  std::string plural;
  /// Singular name, e.g. "pod".
  std::string singular;
  /// Kind, e.g. "Pod".
  std::string kind;
  /// True for namespaced resources.
  bool namespaced = true;
  /// Subresources served, e.g. {"status"}.
  std::vector<std::string> subresources;
  /// Short names for discovery, e.g. {"po"}.
  std::vector<std::string> short_names;
  /// Categories for discovery, e.g. {"all"}.
  std::vector<std::string> categories;
  /// storageVersionHash of the real server's discovery document.
  std::string storage_version_hash;
  /// Verbs of the main resource in discovery order.
  std::vector<std::string> verbs;
  /// True if DELETE goes through graceful deletion (pods).
  bool graceful_delete = false;
  /// True if DELETE answers with the object instead of a Status.
  bool return_deleted_object = false;
  /// False if PUT requires metadata.resourceVersion (leases, ...).
  bool allow_unconditional_update = true;
  /// True if the main resource ignores status changes and a status
  /// subresource updates only the status.
  bool has_status = false;
  /// Field selector keys supported besides metadata.name/namespace.
  std::vector<std::string> field_labels;

  /// "v1" or "group/version".
  std::string api_version() const;

  /// "pods" or "leases.coordination.k8s.io" (as in Status messages).
  std::string qualified() const;

  /// True if `sub` is a served subresource.
  bool has_subresource(std::string_view sub) const;

  /// The value of field selector key `field` for `obj`; nullopt if `field`
  /// is not supported for this resource.
  std::optional<std::string> field_value(const json::value& obj,
                                         std::string_view field) const;
};

/// All served resource types.
const std::vector<resource_def>& all_resources();

/// The resource `plural` in `group`/`version`, or nullptr.
const resource_def* find_resource(std::string_view group,
                                  std::string_view version,
                                  std::string_view plural);

/// The resource whose kind is `kind` (first match), or nullptr.
const resource_def* find_resource_by_kind(std::string_view kind);

} // namespace cafelet::apiserver
