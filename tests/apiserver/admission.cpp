// Admission plugins of a kubeadm-like cluster as far as a kubelet meets
// them: NamespaceLifecycle, ServiceAccount (token volume injection),
// NodeRestriction, TaintNodesByCondition, Priority and
// DefaultTolerationSeconds.

#include "tests/apiserver/server_impl.hpp"
#include "tests/apiserver/support.hpp"

#include <algorithm>
#include <set>

namespace cafelet::apiserver {

namespace {

constexpr std::string_view mirror_annotation = "kubernetes.io/config.mirror";
constexpr std::string_view token_mount_path
  = "/var/run/secrets/kubernetes.io/serviceaccount";

std::string str_at(const json::value& obj,
                   std::initializer_list<std::string_view> path) {
  const auto* v = obj.find_path(path);
  return v && v->is_string() ? v->as_string() : std::string{};
}

bool has_annotation(const json::value& obj, std::string_view key) {
  const auto* a = obj.find_path({"metadata", "annotations"});
  return a && a->find(key);
}

/// Calls `fn` for each container list of a pod spec.
template <class F>
void for_each_container(json::value& spec, F fn) {
  for (auto key : {"initContainers", "containers", "ephemeralContainers"})
    if (auto* list = spec.find(key); list && list->is_array())
      for (auto& c : list->as_array())
        fn(c);
}

/// Names of secrets (`want_secrets`) or configmaps a pod references.
std::set<std::string> references(const json::value& pod, bool want_secrets) {
  std::set<std::string> out;
  const auto* spec = pod.find("spec");
  if (spec == nullptr)
    return out;
  auto add = [&out](const json::value* v) {
    if (v && v->is_string() && !v->as_string().empty())
      out.insert(v->as_string());
  };
  if (want_secrets)
    if (const auto* ips = spec->find("imagePullSecrets"); ips && ips->is_array())
      for (const auto& s : ips->as_array())
        add(s.find("name"));
  if (const auto* vols = spec->find("volumes"); vols && vols->is_array()) {
    for (const auto& v : vols->as_array()) {
      if (want_secrets) {
        add(v.find_path({"secret", "secretName"}));
      } else {
        add(v.find_path({"configMap", "name"}));
      }
      if (const auto* srcs = v.find_path({"projected", "sources"});
          srcs && srcs->is_array())
        for (const auto& s : srcs->as_array())
          add(s.find_path({want_secrets ? "secret" : "configMap", "name"}));
    }
  }
  for (auto key : {"initContainers", "containers", "ephemeralContainers"}) {
    const auto* list = spec->find(key);
    if (list == nullptr || !list->is_array())
      continue;
    for (const auto& c : list->as_array()) {
      if (const auto* env = c.find("env"); env && env->is_array())
        for (const auto& e : env->as_array())
          add(e.find_path({"valueFrom", want_secrets ? "secretKeyRef"
                                                     : "configMapKeyRef",
                           "name"}));
      if (const auto* from = c.find("envFrom"); from && from->is_array())
        for (const auto& e : from->as_array())
          add(e.find_path({want_secrets ? "secretRef" : "configMapRef", "name"}));
    }
  }
  return out;
}

/// Label changes between two label maps (added, removed or changed keys).
std::set<std::string> modified_labels(const json::value* now,
                                      const json::value* before) {
  std::set<std::string> out;
  auto get = [](const json::value* m, const std::string& k) -> const json::value* {
    return m && m->is_object() ? m->find(k) : nullptr;
  };
  if (now && now->is_object())
    for (const auto& [k, v] : now->as_object()) {
      const auto* old = get(before, k);
      if (old == nullptr || !(*old == v))
        out.insert(k);
    }
  if (before && before->is_object())
    for (const auto& [k, v] : before->as_object())
      if (get(now, k) == nullptr)
        out.insert(k);
  return out;
}

std::string label_namespace(const std::string& label) {
  auto slash = label.find('/');
  return slash == std::string::npos ? std::string{} : label.substr(0, slash);
}

bool in_namespace(const std::string& ns, std::string_view domain) {
  return ns == domain
         || (ns.size() > domain.size() && ns.ends_with(domain)
             && ns[ns.size() - domain.size() - 1] == '.');
}

/// Labels a node may not set on itself (NodeRestriction).
std::vector<std::string> forbidden_labels(const std::set<std::string>& labels) {
  static const std::set<std::string> kubelet_labels = {
    "kubernetes.io/hostname",
    "kubernetes.io/arch",
    "kubernetes.io/os",
    "beta.kubernetes.io/arch",
    "beta.kubernetes.io/os",
    "beta.kubernetes.io/instance-type",
    "node.kubernetes.io/instance-type",
    "failure-domain.beta.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/zone",
    "topology.kubernetes.io/region",
    "topology.kubernetes.io/zone",
  };
  std::vector<std::string> out;
  for (const auto& l : labels) {
    auto ns = label_namespace(l);
    if (in_namespace(ns, "node-restriction.kubernetes.io")) {
      out.push_back(l);
      continue;
    }
    bool kubernetes = in_namespace(ns, "kubernetes.io") || in_namespace(ns, "k8s.io");
    bool kubelet = kubelet_labels.count(l) > 0
                   || in_namespace(ns, "kubelet.kubernetes.io")
                   || in_namespace(ns, "node.kubernetes.io");
    if (kubernetes && !kubelet)
      out.push_back(l);
  }
  return out; // std::set iteration keeps them sorted
}

std::string join(const std::vector<std::string>& xs) {
  std::string out;
  for (const auto& x : xs) {
    if (!out.empty())
      out += ", ";
    out += x;
  }
  return out;
}

void add_toleration(json::value& spec, std::string_view key) {
  auto& tolerations = spec["tolerations"];
  if (!tolerations.is_array())
    tolerations = json::value{json::array{}};
  for (const auto& t : tolerations.as_array()) {
    auto tk = t.get_string("key");
    auto effect = t.get_string("effect");
    bool exists_all = tk.empty() && t.get_string("operator") == "Exists";
    if ((tk == key || exists_all) && (effect.empty() || effect == "NoExecute"))
      return;
  }
  json::object t;
  t.emplace_back("key", key);
  t.emplace_back("operator", "Exists");
  t.emplace_back("effect", "NoExecute");
  t.emplace_back("tolerationSeconds", 300);
  tolerations.push_back(json::value{std::move(t)});
}

} // namespace

std::optional<api_error> api_server::impl::admit(call& c,
                                                 const resource_def& def,
                                                 json::value& obj,
                                                 const json::value* old) {
  const auto& user = *c.req.user;
  auto node = user.node_name();
  auto name = str_at(obj, {"metadata", "name"});
  auto ns = str_at(obj, {"metadata", "namespace"});
  auto target = error_target::of(def, name);
  bool creating = old == nullptr;
  const auto& sub = c.info.subresource;
  // NamespaceLifecycle.
  if (creating && def.namespaced) {
    const auto* ns_def = find_resource("", "v1", "namespaces");
    auto ns_obj = store.get(*ns_def, ns);
    if (!ns_obj)
      return errors::not_found(error_target::of(*ns_def, ns));
    if (ns_obj->find_path({"metadata", "deletionTimestamp"})) {
      auto e = errors::forbidden(target, "unable to create new content in "
                                         "namespace " + ns
                                           + " because it is being terminated");
      json::object cause;
      cause.emplace_back("reason", "NamespaceTerminating");
      cause.emplace_back("message", "namespace " + ns + " is being terminated");
      cause.emplace_back("field", "metadata.namespace");
      e.body["details"]["causes"] = json::array{json::value{std::move(cause)}};
      return e;
    }
  }
  if (def.kind == "Pod" && creating) {
    auto& spec = obj["spec"];
    bool mirror = has_annotation(obj, mirror_annotation);
    if (!node.empty()) {
      // NodeRestriction: nodes may only create mirror pods of their own.
      auto deny = [&](std::string msg) {
        return std::optional<api_error>{errors::forbidden(target, msg)};
      };
      if (!mirror)
        return deny("pod does not have \"kubernetes.io/config.mirror\" "
                    "annotation, node \"" + node
                    + "\" can only create mirror pods");
      if (spec.get_string("nodeName") != node)
        return deny("node \"" + node
                    + "\" can only create pods with spec.nodeName set to itself");
      const auto* owners = obj.find_path({"metadata", "ownerReferences"});
      size_t n = owners && owners->is_array() ? owners->size() : 0;
      if (n > 1)
        return deny("node \"" + node + "\" can only create pods with a single "
                    "owner reference set to itself");
      if (n == 0)
        return deny("node \"" + node + "\" can only create pods with an owner "
                    "reference set to itself");
      const auto& owner = owners->as_array().front();
      if (owner.get_string("apiVersion") != "v1"
          || owner.get_string("kind") != "Node"
          || owner.get_string("name") != node)
        return deny("node \"" + node + "\" can only create pods with an owner "
                    "reference set to itself");
      if (!owner.get_bool("controller"))
        return deny("node \"" + node + "\" can only create pods with a "
                    "controller owner reference set to itself");
      if (owner.get_bool("blockOwnerDeletion"))
        return deny("node \"" + node
                    + "\" must not set blockOwnerDeletion on an owner reference");
      auto node_obj = store.get(*find_resource("", "v1", "nodes"), node);
      if (!node_obj)
        return errors::not_found(
          error_target::of(*find_resource("", "v1", "nodes"), node));
      auto node_uid = str_at(*node_obj, {"metadata", "uid"});
      if (owner.get_string("uid") != node_uid)
        return deny("node " + node + " UID mismatch: expected " + node_uid
                    + " got " + owner.get_string("uid"));
      if (!spec.get_string("serviceAccountName").empty())
        return deny("node \"" + node
                    + "\" can not create pods that reference a service account");
      if (!references(obj, true).empty())
        return deny("node \"" + node
                    + "\" can not create pods that reference secrets");
      if (!references(obj, false).empty())
        return deny("node \"" + node
                    + "\" can not create pods that reference configmaps");
    }
    // ServiceAccount admission.
    if (!mirror) {
      auto sa = spec.get_string("serviceAccountName");
      if (sa.empty())
        sa = spec.get_string("serviceAccount", "default");
      if (sa.empty())
        sa = "default";
      spec["serviceAccountName"] = sa;
      spec["serviceAccount"] = sa;
      const auto* sa_def = find_resource("", "v1", "serviceaccounts");
      auto sa_obj = store.get(*sa_def, object_store::key_of(*sa_def, ns, sa));
      if (!sa_obj)
        return errors::forbidden(target, "error looking up service account "
                                           + ns + "/" + sa
                                           + ": serviceaccount \"" + sa
                                           + "\" not found");
      bool automount = true;
      if (const auto* a = sa_obj->find("automountServiceAccountToken");
          a && a->is_bool())
        automount = a->as_bool();
      if (const auto* a = spec.find("automountServiceAccountToken");
          a && a->is_bool())
        automount = a->as_bool();
      bool has_mount = false;
      for_each_container(spec, [&](json::value& ctr) {
        if (const auto* ms = ctr.find("volumeMounts"); ms && ms->is_array())
          for (const auto& m : ms->as_array())
            if (m.get_string("mountPath") == token_mount_path)
              has_mount = true;
      });
      if (automount && !has_mount) {
        auto vol_name = "kube-api-access-" + random_suffix(5);
        json::value vol{json::object{}};
        vol["name"] = vol_name;
        auto& projected = vol["projected"];
        json::array sources;
        {
          json::value s{json::object{}};
          s["serviceAccountToken"]["expirationSeconds"] = 3607;
          s["serviceAccountToken"]["path"] = "token";
          sources.push_back(std::move(s));
        }
        {
          json::value s{json::object{}};
          s["configMap"]["name"] = "kube-root-ca.crt";
          json::object item;
          item.emplace_back("key", "ca.crt");
          item.emplace_back("path", "ca.crt");
          s["configMap"]["items"] = json::array{json::value{std::move(item)}};
          sources.push_back(std::move(s));
        }
        {
          json::value item{json::object{}};
          item["path"] = "namespace";
          item["fieldRef"]["apiVersion"] = "v1";
          item["fieldRef"]["fieldPath"] = "metadata.namespace";
          json::value s{json::object{}};
          s["downwardAPI"]["items"] = json::array{std::move(item)};
          sources.push_back(std::move(s));
        }
        projected["sources"] = json::value{std::move(sources)};
        projected["defaultMode"] = 420;
        spec["volumes"].push_back(std::move(vol));
        for (auto key : {"initContainers", "containers"})
          if (auto* list = spec.find(key); list && list->is_array())
            for (auto& ctr : list->as_array()) {
              json::value mount{json::object{}};
              mount["name"] = vol_name;
              mount["readOnly"] = true;
              mount["mountPath"] = token_mount_path;
              ctr["volumeMounts"].push_back(std::move(mount));
            }
      }
    }
    // Priority and DefaultTolerationSeconds.
    if (spec.get_string("priorityClassName").empty()) {
      if (const auto* p = spec.find("priority"); p && !p->is_null()
                                                 && p->as_int() != 0)
        return errors::forbidden(
          target, "the integer value of priority (" + std::to_string(p->as_int())
                    + ") must not be provided in pod spec; priority admission "
                      "controller computed 0 from the given PriorityClass name");
      spec["priority"] = 0;
    }
    if (spec.find("preemptionPolicy") == nullptr
        || spec.find("preemptionPolicy")->is_null())
      spec["preemptionPolicy"] = "PreemptLowerPriority";
    add_toleration(spec, "node.kubernetes.io/not-ready");
    add_toleration(spec, "node.kubernetes.io/unreachable");
  }
  if (def.kind == "Node" && creating) {
    // TaintNodesByCondition.
    auto& taints = obj["spec"]["taints"];
    if (!taints.is_array())
      taints = json::value{json::array{}};
    bool present = std::any_of(taints.as_array().begin(),
                               taints.as_array().end(), [](const auto& t) {
                                 return t.get_string("key")
                                          == "node.kubernetes.io/not-ready"
                                        && t.get_string("effect")
                                             == "NoSchedule";
                               });
    if (!present) {
      json::object t;
      t.emplace_back("key", "node.kubernetes.io/not-ready");
      t.emplace_back("effect", "NoSchedule");
      taints.push_back(json::value{std::move(t)});
    }
  }
  if (node.empty())
    return std::nullopt;
  // NodeRestriction for node identities.
  if (def.kind == "Node") {
    if (name != node)
      return errors::forbidden(target, "node \"" + node
                                         + "\" is not allowed to modify node \""
                                         + name + "\"");
    const auto* labels = obj.find_path({"metadata", "labels"});
    if (creating) {
      auto bad = forbidden_labels(modified_labels(labels, nullptr));
      if (!bad.empty())
        return errors::forbidden(target, "node \"" + node
                                           + "\" is not allowed to set the "
                                             "following labels: "
                                           + join(bad));
    } else {
      const auto* taints = obj.find_path({"spec", "taints"});
      const auto* old_taints = old->find_path({"spec", "taints"});
      json::value none{json::array{}};
      if (!(*(taints ? taints : &none) == *(old_taints ? old_taints : &none)))
        return errors::forbidden(target, "node \"" + node
                                           + "\" is not allowed to modify taints");
      auto bad = forbidden_labels(
        modified_labels(labels, old->find_path({"metadata", "labels"})));
      if (!bad.empty())
        return errors::forbidden(target, "is not allowed to modify labels: "
                                           + join(bad));
    }
  } else if (def.kind == "Pod" && !creating && sub == "status") {
    if (str_at(*old, {"spec", "nodeName"}) != node)
      return errors::forbidden(target, "node \"" + node
                                         + "\" can only update pod status for "
                                           "pods with spec.nodeName set to "
                                           "itself");
    if (!modified_labels(obj.find_path({"metadata", "labels"}),
                         old->find_path({"metadata", "labels"}))
           .empty())
      return errors::forbidden(target, "node \"" + node
                                         + "\" cannot update labels through "
                                           "pod status");
  } else if (def.kind == "CSINode") {
    if (name != node)
      return errors::forbidden(target, "can only access CSINode with the "
                                       "same name as the requesting node");
  } else if (def.kind == "Lease") {
    if (ns != "kube-node-lease")
      return errors::forbidden(target, "can only access leases in the "
                                       "\"kube-node-lease\" system namespace");
    if (name != node)
      return errors::forbidden(target, "can only access node lease with the "
                                       "same name as the requesting node");
  }
  return std::nullopt;
}

bool api_server::impl::related(std::string_view node,
                               std::string_view resource, std::string_view ns,
                               std::string_view name) const {
  bool found = false;
  std::string wanted{name};
  store.for_each(*find_resource("", "v1", "pods"), ns,
                 [&](const std::string&, const json::value& pod) {
    if (found || str_at(pod, {"spec", "nodeName"}) != node)
      return;
    if (resource == "pods") {
      found = str_at(pod, {"metadata", "name"}) == name;
    } else if (resource == "secrets") {
      found = references(pod, true).count(wanted) > 0;
    } else if (resource == "configmaps") {
      found = references(pod, false).count(wanted) > 0;
    } else if (resource == "serviceaccounts") {
      found = str_at(pod, {"spec", "serviceAccountName"}) == name;
    } else if (resource == "persistentvolumeclaims") {
      const auto* vols = pod.find_path({"spec", "volumes"});
      if (vols && vols->is_array())
        for (const auto& v : vols->as_array())
          found = found || str_at(v, {"persistentVolumeClaim", "claimName"}) == name;
    }
  });
  return found;
}

} // namespace cafelet::apiserver
