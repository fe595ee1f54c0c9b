#include "tests/apiserver/authz.hpp"

#include "tests/apiserver/selectors.hpp"

#include <algorithm>

namespace cafelet::apiserver {

namespace {

bool contains(const std::vector<std::string>& xs, std::string_view x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end()
         || std::find(xs.begin(), xs.end(), "*") != xs.end();
}

/// One static rule: verbs on resources of a group.
struct rule {
  std::string_view group;
  std::vector<std::string_view> resources;
  std::vector<std::string_view> verbs;
};

/// The rules of the system:node role (bootstrappolicy.NodeRules).
const std::vector<rule>& node_rules() {
  static const std::vector<rule> rules = {
    {"authentication.k8s.io", {"tokenreviews"}, {"create"}},
    {"authorization.k8s.io",
     {"subjectaccessreviews", "localsubjectaccessreviews"},
     {"create"}},
    {"", {"services"}, {"get", "list", "watch"}},
    {"", {"nodes"}, {"create", "get", "list", "watch"}},
    {"", {"nodes/status"}, {"update", "patch"}},
    {"", {"nodes"}, {"update", "patch"}},
    {"", {"events"}, {"create", "update", "patch"}},
    {"", {"pods"}, {"get", "list", "watch"}},
    {"", {"pods"}, {"create", "delete"}},
    {"", {"pods/status"}, {"update", "patch"}},
    {"", {"pods/eviction"}, {"create"}},
    {"", {"secrets", "configmaps"}, {"get", "list", "watch"}},
    {"", {"persistentvolumeclaims", "persistentvolumes"}, {"get"}},
    {"", {"persistentvolumeclaims/status"}, {"get", "update", "patch"}},
    {"", {"endpoints"}, {"get"}},
    {"certificates.k8s.io",
     {"certificatesigningrequests"},
     {"create", "get", "list", "watch"}},
    {"coordination.k8s.io",
     {"leases"},
     {"get", "create", "update", "patch", "delete"}},
    {"storage.k8s.io", {"volumeattachments"}, {"get"}},
    {"", {"serviceaccounts/token"}, {"create"}},
    {"storage.k8s.io", {"csidrivers"}, {"get", "watch", "list"}},
    {"storage.k8s.io",
     {"csinodes"},
     {"create", "delete", "get", "patch", "update"}},
    {"node.k8s.io", {"runtimeclasses"}, {"get", "list", "watch"}},
  };
  return rules;
}

std::string full_resource(const request_info& info) {
  return info.subresource.empty() ? info.resource
                                  : info.resource + "/" + info.subresource;
}

bool node_rules_allow(const request_info& info) {
  auto res = full_resource(info);
  for (const auto& r : node_rules()) {
    if (r.group != info.group)
      continue;
    bool res_ok = std::find(r.resources.begin(), r.resources.end(), res)
                  != r.resources.end();
    bool verb_ok = std::find(r.verbs.begin(), r.verbs.end(), info.verb)
                   != r.verbs.end();
    if (res_ok && verb_ok)
      return true;
  }
  return false;
}

authz_decision allow() {
  return authz_decision{true, {}};
}

authz_decision no_opinion(std::string reason = {}) {
  return authz_decision{false, std::move(reason)};
}

authz_decision related_or_deny(const std::string& node,
                               const request_info& info,
                               const node_graph& graph) {
  if (info.name.empty())
    return no_opinion("No Object name found");
  if (graph.related(node, info.resource, info.ns, info.name))
    return allow();
  return no_opinion("no relationship found between node '" + node
                    + "' and this object");
}

authz_decision read_namespaced(const std::string& node,
                               const request_info& info,
                               const node_graph& graph) {
  if (info.verb != "get" && info.verb != "list" && info.verb != "watch")
    return no_opinion("can only read resources of this type");
  if (!info.subresource.empty())
    return no_opinion("cannot read subresource");
  if (info.ns.empty())
    return no_opinion("can only read namespaced object of this type");
  return related_or_deny(node, info, graph);
}

authz_decision authorize_pod(const std::string& node, const request_info& info,
                             const request& req, const node_graph& graph) {
  if (info.verb == "get")
    return related_or_deny(node, info, graph);
  if (info.verb == "list" || info.verb == "watch") {
    if (auto fs = req.param("fieldSelector")) {
      auto parsed = field_selector::parse(*fs);
      if (auto* sel = std::get_if<field_selector>(&parsed))
        for (const auto& r : sel->requirements())
          if (r.field == "spec.nodeName" && !r.negated && r.value == node)
            return allow();
    }
    if (!info.name.empty())
      return related_or_deny(node, info, graph);
    return no_opinion("can only list/watch pods with spec.nodeName field "
                      "selector");
  }
  return node_rules_allow(info) ? allow() : no_opinion();
}

authz_decision authorize_node_object(const std::string& node,
                                     const request_info& info) {
  if (info.verb == "get" || info.verb == "list" || info.verb == "watch") {
    if (info.name == node)
      return allow();
    if (info.name.empty())
      return no_opinion("node '" + node
                        + "' cannot read all nodes, only its own Node object");
    return no_opinion("node '" + node + "' cannot read '" + info.name
                      + "', only its own Node object");
  }
  return node_rules_allow(info) ? allow() : no_opinion();
}

authz_decision authorize_lease(const std::string& node,
                               const request_info& info) {
  const auto& v = info.verb;
  if (v != "get" && v != "create" && v != "update" && v != "patch"
      && v != "delete")
    return no_opinion("can only get, create, update, patch, or delete a node "
                      "lease");
  if (info.ns != "kube-node-lease")
    return no_opinion("can only access leases in the \"kube-node-lease\" "
                      "system namespace");
  if (v != "create" && info.name != node)
    return no_opinion("can only access node lease with the same name as the "
                      "requesting node");
  return allow();
}

authz_decision authorize_token(const std::string& node,
                               const request_info& info,
                               const node_graph& graph) {
  if (info.verb != "create" || info.name.empty())
    return no_opinion("can only create tokens for individual service "
                      "accounts");
  if (info.subresource != "token")
    return no_opinion("can only create token subresource of serviceaccount");
  return related_or_deny(node, info, graph);
}

authz_decision node_authorizer(const std::string& node,
                               const request_info& info, const request& req,
                               const node_graph& graph) {
  if (info.group.empty()) {
    if (info.resource == "secrets" || info.resource == "configmaps")
      return read_namespaced(node, info, graph);
    if (info.resource == "pods")
      return authorize_pod(node, info, req, graph);
    if (info.resource == "nodes")
      return authorize_node_object(node, info);
    if (info.resource == "serviceaccounts")
      return authorize_token(node, info, graph);
    if (info.resource == "persistentvolumeclaims") {
      if (info.subresource == "status")
        return node_rules_allow(info) ? related_or_deny(node, info, graph)
                                      : no_opinion();
      if (info.verb != "get")
        return no_opinion("can only get individual resources of this type");
      return related_or_deny(node, info, graph);
    }
  }
  if (info.group == "coordination.k8s.io" && info.resource == "leases")
    return authorize_lease(node, info);
  if (info.group == "storage.k8s.io" && info.resource == "csinodes") {
    const auto& v = info.verb;
    if (v != "get" && v != "create" && v != "update" && v != "patch"
        && v != "delete")
      return no_opinion("can only get, create, update, patch, or delete a "
                        "CSINode");
    if (!info.subresource.empty())
      return no_opinion("cannot authorize CSINode subresources");
    if (v != "create" && info.name != node)
      return no_opinion("can only access CSINode with the same name as the "
                        "requesting node");
    return allow();
  }
  return node_rules_allow(info) ? allow() : no_opinion();
}

bool grants_allow(const user_info& user, const request_info& info,
                  const std::vector<access_rule>& grants) {
  auto res = full_resource(info);
  for (const auto& g : grants) {
    bool subject = std::any_of(g.subjects.begin(), g.subjects.end(),
                               [&](const std::string& s) {
                                 return s == user.name || user.in_group(s);
                               });
    if (subject && contains(g.verbs, info.verb)
        && contains(g.groups, info.group) && contains(g.resources, res))
      return true;
  }
  return false;
}

bool public_path(std::string_view path) {
  return path == "/healthz" || path == "/livez" || path == "/readyz"
         || path == "/version" || path == "/version/"
         || path.starts_with("/healthz/") || path.starts_with("/livez/")
         || path.starts_with("/readyz/");
}

bool discovery_path(std::string_view path) {
  return path == "/api" || path == "/apis" || path.starts_with("/api/")
         || path.starts_with("/apis/") || path.starts_with("/openapi/");
}

} // namespace

authz_decision authorize(const user_info& user, const request_info& info,
                         const request& req, const node_graph& graph,
                         const std::vector<access_rule>& grants) {
  if (user.in_group("system:masters"))
    return allow();
  if (!info.is_resource) {
    if (public_path(req.path))
      return allow();
    if (discovery_path(req.path) && user.in_group("system:authenticated")
        && info.verb == "get")
      return allow();
    return grants_allow(user, info, grants) ? allow() : no_opinion();
  }
  authz_decision decision;
  if (auto node = user.node_name(); !node.empty()) {
    decision = node_authorizer(node, info, req, graph);
    if (decision.allowed)
      return decision;
  }
  if (grants_allow(user, info, grants))
    return allow();
  return decision;
}

} // namespace cafelet::apiserver
