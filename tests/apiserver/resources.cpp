#include "tests/apiserver/resources.hpp"

#include <algorithm>
#include <tuple>

namespace cafelet::apiserver {

namespace {

const std::vector<std::string> all_verbs = {
  "create", "delete", "deletecollection", "get",
  "list",   "patch",  "update",           "watch",
};

std::vector<resource_def> make_resources() {
  std::vector<resource_def> out;
  auto add = [&](resource_def def) { out.push_back(std::move(def)); };
  {
    resource_def d;
    d.plural = "namespaces";
    d.singular = "namespace";
    d.kind = "Namespace";
    d.version = "v1";
    d.namespaced = false;
    d.subresources = {"status"};
    d.short_names = {"ns"};
    d.storage_version_hash = "Q3oi5N2YM8M=";
    d.verbs = {"create", "delete", "get", "list", "patch", "update", "watch"};
    d.return_deleted_object = true;
    d.has_status = true;
    d.field_labels = {"status.phase"};
    add(std::move(d));
  }
  {
    resource_def d;
    d.plural = "nodes";
    d.singular = "node";
    d.kind = "Node";
    d.version = "v1";
    d.namespaced = false;
    d.subresources = {"status"};
    d.short_names = {"no"};
    d.storage_version_hash = "XwShjMxG9Fs=";
    d.verbs = all_verbs;
    d.has_status = true;
    d.field_labels = {"spec.unschedulable"};
    add(std::move(d));
  }
  {
    resource_def d;
    d.plural = "pods";
    d.singular = "pod";
    d.kind = "Pod";
    d.version = "v1";
    d.subresources = {"status"};
    d.short_names = {"po"};
    d.categories = {"all"};
    d.storage_version_hash = "xPOwRZ+Yhw8=";
    d.verbs = all_verbs;
    d.graceful_delete = true;
    d.return_deleted_object = true;
    d.has_status = true;
    d.field_labels = {"spec.nodeName",           "spec.restartPolicy",
                      "spec.schedulerName",      "spec.serviceAccountName",
                      "spec.hostNetwork",        "status.phase",
                      "status.podIP",            "status.nominatedNodeName"};
    add(std::move(d));
  }
  {
    resource_def d;
    d.plural = "configmaps";
    d.singular = "configmap";
    d.kind = "ConfigMap";
    d.version = "v1";
    d.short_names = {"cm"};
    d.storage_version_hash = "qFsyl6wFWjQ=";
    d.verbs = all_verbs;
    add(std::move(d));
  }
  {
    resource_def d;
    d.plural = "secrets";
    d.singular = "secret";
    d.kind = "Secret";
    d.version = "v1";
    d.storage_version_hash = "S6u1pOWzb84=";
    d.verbs = all_verbs;
    d.field_labels = {"type"};
    add(std::move(d));
  }
  {
    resource_def d;
    d.plural = "serviceaccounts";
    d.singular = "serviceaccount";
    d.kind = "ServiceAccount";
    d.version = "v1";
    d.subresources = {"token"};
    d.short_names = {"sa"};
    d.storage_version_hash = "pbx9ZvyFpBE=";
    d.verbs = all_verbs;
    add(std::move(d));
  }
  {
    resource_def d;
    d.plural = "events";
    d.singular = "event";
    d.kind = "Event";
    d.version = "v1";
    d.short_names = {"ev"};
    d.storage_version_hash = "r2yiGXH7wu8=";
    d.verbs = all_verbs;
    d.field_labels = {"involvedObject.kind",
                      "involvedObject.namespace",
                      "involvedObject.name",
                      "involvedObject.uid",
                      "involvedObject.apiVersion",
                      "involvedObject.resourceVersion",
                      "involvedObject.fieldPath",
                      "reason",
                      "reportingComponent",
                      "source",
                      "type"};
    add(std::move(d));
  }
  {
    resource_def d;
    d.group = "coordination.k8s.io";
    d.plural = "leases";
    d.singular = "lease";
    d.kind = "Lease";
    d.version = "v1";
    d.storage_version_hash = "gqkMMb/YqFM=";
    d.verbs = all_verbs;
    d.allow_unconditional_update = false;
    add(std::move(d));
  }
  {
    resource_def d;
    d.plural = "services";
    d.singular = "service";
    d.kind = "Service";
    d.version = "v1";
    d.subresources = {"status"};
    d.short_names = {"svc"};
    d.categories = {"all"};
    d.storage_version_hash = "0/CO1lhkEBI=";
    d.verbs = all_verbs;
    d.has_status = true;
    d.field_labels = {"spec.clusterIP", "spec.type"};
    add(std::move(d));
  }
  for (auto [plural, singular, kind] :
       {std::tuple{"csinodes", "csinode", "CSINode"},
        std::tuple{"csidrivers", "csidriver", "CSIDriver"}}) {
    resource_def d;
    d.group = "storage.k8s.io";
    d.plural = plural;
    d.singular = singular;
    d.kind = kind;
    d.version = "v1";
    d.namespaced = false;
    d.verbs = all_verbs;
    add(std::move(d));
  }
  {
    resource_def d;
    d.group = "node.k8s.io";
    d.plural = "runtimeclasses";
    d.singular = "runtimeclass";
    d.kind = "RuntimeClass";
    d.version = "v1";
    d.namespaced = false;
    d.verbs = all_verbs;
    add(std::move(d));
  }
  {
    resource_def d;
    d.group = "certificates.k8s.io";
    d.plural = "certificatesigningrequests";
    d.singular = "certificatesigningrequest";
    d.kind = "CertificateSigningRequest";
    d.version = "v1";
    d.namespaced = false;
    d.subresources = {"approval", "status"};
    d.short_names = {"csr"};
    d.verbs = all_verbs;
    d.allow_unconditional_update = false;
    d.has_status = true;
    d.field_labels = {"spec.signerName"};
    add(std::move(d));
  }
  return out;
}

std::string path_string(const json::value& obj,
                        std::initializer_list<std::string_view> path) {
  const auto* v = obj.find_path(path);
  if (v == nullptr)
    return {};
  if (v->is_string())
    return v->as_string();
  if (v->is_bool())
    return v->as_bool() ? "true" : "false";
  if (v->is_null())
    return {};
  return json::dump(*v);
}

} // namespace

std::string resource_def::api_version() const {
  return group.empty() ? version : group + "/" + version;
}

std::string resource_def::qualified() const {
  return group.empty() ? plural : plural + "." + group;
}

bool resource_def::has_subresource(std::string_view sub) const {
  return std::find(subresources.begin(), subresources.end(), sub)
         != subresources.end();
}

std::optional<std::string>
resource_def::field_value(const json::value& obj,
                          std::string_view field) const {
  if (field == "metadata.name")
    return path_string(obj, {"metadata", "name"});
  if (field == "metadata.namespace")
    return path_string(obj, {"metadata", "namespace"});
  if (std::find(field_labels.begin(), field_labels.end(), field)
      == field_labels.end())
    return std::nullopt;
  if (field == "spec.hostNetwork" || field == "spec.unschedulable") {
    auto s = path_string(obj, {"spec", field.substr(5)});
    return s.empty() ? "false" : s;
  }
  if (field == "source")
    return path_string(obj, {"source", "component"});
  // Generic dotted path.
  const json::value* cur = &obj;
  std::string_view rest = field;
  while (cur != nullptr && !rest.empty()) {
    auto dot = rest.find('.');
    cur = cur->find(rest.substr(0, dot));
    rest = dot == std::string_view::npos ? std::string_view{}
                                         : rest.substr(dot + 1);
  }
  if (cur == nullptr || cur->is_null())
    return std::string{};
  if (cur->is_string())
    return cur->as_string();
  return json::dump(*cur);
}

const std::vector<resource_def>& all_resources() {
  static const std::vector<resource_def> instance = make_resources();
  return instance;
}

const resource_def* find_resource(std::string_view group,
                                  std::string_view version,
                                  std::string_view plural) {
  for (const auto& d : all_resources())
    if (d.group == group && d.version == version && d.plural == plural)
      return &d;
  return nullptr;
}

const resource_def* find_resource_by_kind(std::string_view kind) {
  for (const auto& d : all_resources())
    if (d.kind == kind)
      return &d;
  return nullptr;
}

} // namespace cafelet::apiserver
