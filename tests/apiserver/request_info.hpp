#pragma once
/// @file
/// Classifies a request like the API server's RequestInfoFactory: API
/// group/version, namespace, resource, name, subresource and verb.

#include "tests/apiserver/api.hpp"

#include <string>

namespace cafelet::apiserver {

/// What a request is about.
struct request_info {
  /// True for /api/... and /apis/... resource requests.
  bool is_resource = false;
  /// "api" or "apis" (empty for non-resource paths).
  std::string prefix;
  /// API group ("" for core).
  std::string group;
  /// API version.
  std::string version;
  /// Namespace (empty for cluster-scoped or all-namespace requests).
  std::string ns;
  /// Resource, e.g. "pods" (empty for discovery paths).
  std::string resource;
  /// Object name (for list/watch also taken from a metadata.name field
  /// selector, as the real server does for authorization).
  std::string name;
  /// Subresource, e.g. "status".
  std::string subresource;
  /// Verb: get, list, watch, create, update, patch, delete,
  /// deletecollection (or the lowercase method for non-resource paths).
  std::string verb;
  /// True if `name` came from the path (not from a field selector).
  bool name_in_path = false;
  /// True if the path had more segments than a resource request allows.
  bool malformed = false;
};

/// Classifies `req`.
request_info classify(const request& req);

} // namespace cafelet::apiserver
