#pragma once
/// @file
/// Authorization as a cluster started with --authorization-mode=Node,RBAC:
/// system:masters may do anything; nodes are checked by the Node authorizer
/// (own Node and Lease, pods bound to them, objects those pods reference);
/// everyone else gets the default RBAC roles plus explicit grants.

#include "tests/apiserver/api.hpp"
#include "tests/apiserver/request_info.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace cafelet::apiserver {

/// Relationships the Node authorizer looks up (answered from the store).
class node_graph {
public:
  virtual ~node_graph() = default;

  /// True if `node` is related to object `resource` `ns`/`name`: a pod bound
  /// to the node, or a secret, configmap, serviceaccount or PVC that such a
  /// pod references.
  virtual bool related(std::string_view node, std::string_view resource,
                       std::string_view ns, std::string_view name) const
    = 0;
};

/// An RBAC-style rule granted to users or groups.
struct access_rule {
  /// User or group names the rule applies to.
  std::vector<std::string> subjects;
  /// Verbs, or {"*"}.
  std::vector<std::string> verbs;
  /// API groups, or {"*"}.
  std::vector<std::string> groups;
  /// Resources ("pods", "pods/status"), or {"*"}.
  std::vector<std::string> resources;
};

/// The outcome of authorization.
struct authz_decision {
  /// True if the request may proceed.
  bool allowed = false;
  /// Reason appended to the 403 message (from the Node authorizer).
  std::string reason;
};

/// Decides whether `user` may perform `info`; `req` supplies the field
/// selector for the Node authorizer's pod list/watch rule.
authz_decision authorize(const user_info& user, const request_info& info,
                         const request& req, const node_graph& graph,
                         const std::vector<access_rule>& grants);

} // namespace cafelet::apiserver
