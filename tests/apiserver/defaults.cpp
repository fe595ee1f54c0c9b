#include "tests/apiserver/defaults.hpp"

#include "tests/apiserver/support.hpp"

namespace cafelet::apiserver {

namespace {

void set_if_absent(json::value& obj, std::string_view key, json::value v) {
  auto* cur = obj.find(key);
  if (cur == nullptr || cur->is_null() || (cur->is_string() && cur->as_string().empty()))
    obj[key] = std::move(v);
}

void default_probe(json::value& probe) {
  if (!probe.is_object())
    return;
  for (auto [key, value] : {std::pair{"timeoutSeconds", 1},
                            std::pair{"periodSeconds", 10},
                            std::pair{"successThreshold", 1},
                            std::pair{"failureThreshold", 3}}) {
    auto* cur = probe.find(key);
    if (cur == nullptr || cur->is_null() || (cur->is_int() && cur->as_int() == 0))
      probe[key] = json::value{value};
  }
  if (auto* get = probe.find("httpGet"); get && get->is_object())
    set_if_absent(*get, "scheme", json::value{"HTTP"});
  if (auto* grpc = probe.find("grpc"); grpc && grpc->is_object())
    set_if_absent(*grpc, "service", json::value{""});
}

void default_handler(json::value& handler) {
  if (auto* get = handler.find("httpGet"); get && get->is_object())
    set_if_absent(*get, "scheme", json::value{"HTTP"});
}

void default_field_ref(json::value& holder) {
  if (auto* ref = holder.find("fieldRef"); ref && ref->is_object())
    set_if_absent(*ref, "apiVersion", json::value{"v1"});
}

void default_container(json::value& c) {
  if (!c.is_object())
    return;
  set_if_absent(c, "terminationMessagePath",
                json::value{"/dev/termination-log"});
  set_if_absent(c, "terminationMessagePolicy", json::value{"File"});
  set_if_absent(c, "imagePullPolicy",
                json::value{default_pull_policy(c.get_string("image"))});
  if (auto* ports = c.find("ports"); ports && ports->is_array())
    for (auto& p : ports->as_array())
      if (p.is_object())
        set_if_absent(p, "protocol", json::value{"TCP"});
  if (auto* env = c.find("env"); env && env->is_array())
    for (auto& e : env->as_array())
      if (auto* from = e.find("valueFrom"); from && from->is_object())
        default_field_ref(*from);
  for (auto key : {"livenessProbe", "readinessProbe", "startupProbe"})
    if (auto* p = c.find(key))
      default_probe(*p);
  if (auto* lc = c.find("lifecycle"); lc && lc->is_object()) {
    for (auto key : {"postStart", "preStop"})
      if (auto* h = lc->find(key); h && h->is_object())
        default_handler(*h);
  }
  // Requests default to limits where unset.
  if (auto* res = c.find("resources"); res && res->is_object()) {
    if (auto* limits = res->find("limits"); limits && limits->is_object()
                                             && !limits->as_object().empty()) {
      auto& requests = (*res)["requests"];
      if (!requests.is_object())
        requests = json::value{json::object{}};
      for (const auto& [name, q] : limits->as_object())
        if (requests.find(name) == nullptr)
          requests[name] = q;
    }
  }
}

void default_volume(json::value& v) {
  if (!v.is_object())
    return;
  bool has_source = false;
  for (const auto& [key, value] : v.as_object())
    if (key != "name" && !value.is_null())
      has_source = true;
  if (!has_source)
    v["emptyDir"] = json::value{json::object{}};
  for (auto key : {"secret", "configMap", "downwardAPI", "projected"}) {
    if (auto* src = v.find(key); src && src->is_object()) {
      set_if_absent(*src, "defaultMode", json::value{420});
      if (auto* items = src->find("items"); items && items->is_array())
        for (auto& item : items->as_array())
          if (item.is_object())
            default_field_ref(item);
      if (auto* sources = src->find("sources"); sources && sources->is_array())
        for (auto& s : sources->as_array()) {
          if (auto* token = s.find("serviceAccountToken"); token && token->is_object())
            set_if_absent(*token, "expirationSeconds", json::value{3600});
          if (auto* dapi = s.find("downwardAPI"); dapi && dapi->is_object())
            if (auto* items = dapi->find("items"); items && items->is_array())
              for (auto& item : items->as_array())
                default_field_ref(item);
        }
    }
  }
  if (auto* hp = v.find("hostPath"); hp && hp->is_object())
    if (hp->find("type") == nullptr)
      (*hp)["type"] = json::value{""};
}

void default_pod(json::value& pod) {
  auto& spec = pod["spec"];
  if (!spec.is_object())
    spec = json::value{json::object{}};
  set_if_absent(spec, "restartPolicy", json::value{"Always"});
  set_if_absent(spec, "terminationGracePeriodSeconds", json::value{30});
  set_if_absent(spec, "dnsPolicy", json::value{"ClusterFirst"});
  if (auto* sc = spec.find("securityContext"); sc == nullptr || sc->is_null())
    spec["securityContext"] = json::value{json::object{}};
  set_if_absent(spec, "schedulerName", json::value{"default-scheduler"});
  set_if_absent(spec, "enableServiceLinks", json::value{true});
  if (auto* vols = spec.find("volumes"); vols && vols->is_array())
    for (auto& v : vols->as_array())
      default_volume(v);
  bool host_network = spec.get_bool("hostNetwork");
  for (auto key : {"initContainers", "containers", "ephemeralContainers"}) {
    if (auto* list = spec.find(key); list && list->is_array())
      for (auto& c : list->as_array()) {
        default_container(c);
        if (host_network)
          if (auto* ports = c.find("ports"); ports && ports->is_array())
            for (auto& p : ports->as_array())
              if (p.is_object() && p.get_int("hostPort") == 0)
                p["hostPort"] = json::value{p.get_int("containerPort")};
      }
  }
}

void default_secret(json::value& secret) {
  set_if_absent(secret, "type", json::value{"Opaque"});
  if (auto* sd = secret.find("stringData"); sd && sd->is_object()) {
    auto& data = secret["data"];
    if (!data.is_object())
      data = json::value{json::object{}};
    for (const auto& [key, value] : sd->as_object())
      data[key] = json::value{base64_encode(value.as_string())};
    secret.erase("stringData");
  }
}

void default_namespace(json::value& ns) {
  auto& spec = ns["spec"];
  if (!spec.is_object())
    spec = json::value{json::object{}};
  if (auto* f = spec.find("finalizers"); f == nullptr || !f->is_array())
    spec["finalizers"] = json::value{json::array{json::value{"kubernetes"}}};
  auto& status = ns["status"];
  if (!status.is_object())
    status = json::value{json::object{}};
  set_if_absent(status, "phase", json::value{"Active"});
  auto name = ns.find_path({"metadata", "name"});
  if (name && name->is_string())
    ns["metadata"]["labels"]["kubernetes.io/metadata.name"] = *name;
}

bool resource_list_equal(const json::value* a, const json::value* b,
                         std::string_view name) {
  const json::value* x = a ? a->find(name) : nullptr;
  const json::value* y = b ? b->find(name) : nullptr;
  return x && y && *x == *y;
}

} // namespace

std::string default_pull_policy(std::string_view image) {
  auto slash = image.rfind('/');
  auto last = slash == std::string_view::npos ? image : image.substr(slash + 1);
  if (last.find('@') != std::string_view::npos)
    return "IfNotPresent";
  auto colon = last.rfind(':');
  if (colon == std::string_view::npos || last.substr(colon + 1) == "latest")
    return "Always";
  return "IfNotPresent";
}

void apply_defaults(std::string_view kind, json::value& obj) {
  if (kind == "Pod")
    default_pod(obj);
  else if (kind == "Secret")
    default_secret(obj);
  else if (kind == "Namespace")
    default_namespace(obj);
}

std::string qos_class(const json::value& pod) {
  bool any = false;
  bool guaranteed = true;
  const auto* spec = pod.find("spec");
  if (spec == nullptr)
    return "BestEffort";
  for (auto key : {"initContainers", "containers"}) {
    const auto* list = spec->find(key);
    if (list == nullptr || !list->is_array())
      continue;
    for (const auto& c : list->as_array()) {
      const auto* res = c.find("resources");
      const auto* requests = res ? res->find("requests") : nullptr;
      const auto* limits = res ? res->find("limits") : nullptr;
      for (const auto* m : {requests, limits})
        if (m && m->is_object())
          for (const auto& [name, q] : m->as_object())
            if (name == "cpu" || name == "memory")
              any = true;
      for (auto name : {"cpu", "memory"}) {
        if (!limits || !limits->find(name))
          guaranteed = false;
        else if (requests && requests->find(name)
                 && !resource_list_equal(requests, limits, name))
          guaranteed = false;
      }
    }
  }
  if (!any)
    return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

} // namespace cafelet::apiserver
