#include "actors/pods/admission.hpp"

#include "actors/pods/qos.hpp"
#include "messages/units/quantity.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <string_view>

namespace cafelet::actors::pods {

namespace {

constexpr std::string_view os_label = "kubernetes.io/os";
constexpr std::string_view node_os = "linux";

/// Adds without overflowing.
int64_t sat_add(int64_t a, int64_t b) noexcept {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r))
    return b > 0 ? std::numeric_limits<int64_t>::max()
                 : std::numeric_limits<int64_t>::min();
  return r;
}

bool contains(std::string_view s, std::string_view x) noexcept {
  return s.find(x) != std::string_view::npos;
}

/// Upstream `IsNativeResource`: no domain, or the kubernetes.io domain.
bool is_native(std::string_view name) noexcept {
  return !contains(name, "/") || contains(name, "kubernetes.io/");
}

/// Upstream `IsExtendedResourceName` (without the qualified-name syntax check).
bool is_extended(std::string_view name) noexcept {
  return !is_native(name) && !name.starts_with("requests.");
}

/// Upstream `IsScalarResourceName`.
bool is_scalar(std::string_view name) noexcept {
  return is_extended(name) || name.starts_with("hugepages-")
         || contains(name, "kubernetes.io/")
         || name.starts_with("attachable-volumes-");
}

/// Requests per resource name in scheduler units (cpu in millicores).
using amount_map = std::map<std::string, int64_t, std::less<>>;

/// Value of `text` in scheduler units for `name`, or nullopt if invalid.
std::optional<int64_t> units_of(std::string_view name,
                                const std::string& text) {
  auto q = units::parse_quantity(text);
  if (!q)
    return std::nullopt;
  return name == "cpu" ? q->milli_value() : q->value();
}

void add_into(amount_map& acc, const amount_map& xs) {
  for (const auto& [name, v] : xs)
    acc[name] = sat_add(acc[name], v);
}

void max_into(amount_map& acc, const amount_map& xs) {
  for (const auto& [name, v] : xs) {
    auto [i, added] = acc.emplace(name, v);
    if (!added)
      i->second = std::max(i->second, v);
  }
}

amount_map to_map(const k8s::resource_list& xs) {
  amount_map result;
  for (const auto& [name, text] : xs)
    if (auto v = units_of(name, text))
      result[name] = sat_add(result[name], *v);
  return result;
}

resource_amounts to_amounts(const amount_map& xs) {
  resource_amounts result;
  for (const auto& [name, v] : xs) {
    if (name == "cpu")
      result.milli_cpu = v;
    else if (name == "memory")
      result.memory = v;
    else if (name == "ephemeral-storage")
      result.ephemeral_storage = v;
    else if (is_scalar(name))
      result.scalar[name] = v;
  }
  return result;
}

amount_map request_map(const k8s::pod_spec& spec,
                       const k8s::resource_list& overhead) {
  amount_map reqs;
  for (const auto& c : spec.containers)
    add_into(reqs, to_map(effective_requests(c.resources)));
  amount_map sidecars;
  amount_map init_max;
  for (const auto& c : spec.init_containers) {
    auto r = to_map(effective_requests(c.resources));
    if (c.restart_policy == "Always") {
      add_into(reqs, r);
      add_into(sidecars, r);
      max_into(init_max, sidecars);
    } else {
      add_into(r, sidecars);
      max_into(init_max, r);
    }
  }
  max_into(reqs, init_max);
  add_into(reqs, to_map(overhead));
  return reqs;
}

int64_t scalar_of(const resource_amounts& x, std::string_view name) {
  auto i = x.scalar.find(name);
  return i == x.scalar.end() ? 0 : i->second;
}

admission_result insufficient(std::string_view resource, int64_t requested,
                              int64_t used, int64_t capacity) {
  admission_result r;
  r.admitted = false;
  r.reason = "OutOf";
  r.reason += resource;
  r.message = "Node didn't have enough resource: ";
  r.message += resource;
  r.message += ", requested: " + std::to_string(requested);
  r.message += ", used: " + std::to_string(used);
  r.message += ", capacity: " + std::to_string(capacity);
  return r;
}

admission_result predicate_failure(std::string name, std::string_view desc) {
  admission_result r;
  r.admitted = false;
  r.message = "Predicate " + name + " failed: ";
  r.message += desc;
  r.reason = std::move(name);
  return r;
}

/// The first resource that does not fit (upstream `fitsRequest` order).
std::optional<admission_result>
check_resources(const k8s::pod& pod, const pod_extras& extras,
                const admission_node& node,
                const std::vector<const k8s::pod*>& others) {
  auto count = static_cast<int64_t>(others.size());
  if (count + 1 > node.max_pods)
    return insufficient("pods", 1, count, node.max_pods);
  auto alloc = allocatable_amounts(node.allocatable);
  // Extended resources unknown to the node are not checked (upstream
  // removeMissingExtendedResources).
  auto want = pod_requests(pod.spec, extras.overhead);
  std::erase_if(want.scalar, [&](const auto& kv) {
    return is_extended(kv.first) && !alloc.scalar.contains(kv.first);
  });
  if (want.milli_cpu == 0 && want.memory == 0 && want.ephemeral_storage == 0
      && want.scalar.empty())
    return std::nullopt;
  resource_amounts used;
  for (const auto* other : others) {
    auto r = pod_requests(other->spec);
    used.milli_cpu = sat_add(used.milli_cpu, r.milli_cpu);
    used.memory = sat_add(used.memory, r.memory);
    used.ephemeral_storage = sat_add(used.ephemeral_storage,
                                     r.ephemeral_storage);
    for (const auto& [name, v] : r.scalar)
      used.scalar[name] = sat_add(used.scalar[name], v);
  }
  auto exceeds = [](int64_t want, int64_t cap, int64_t used) {
    return want > 0 && want > cap - used;
  };
  if (exceeds(want.milli_cpu, alloc.milli_cpu, used.milli_cpu))
    return insufficient("cpu", want.milli_cpu, used.milli_cpu,
                        alloc.milli_cpu);
  if (exceeds(want.memory, alloc.memory, used.memory))
    return insufficient("memory", want.memory, used.memory, alloc.memory);
  if (exceeds(want.ephemeral_storage, alloc.ephemeral_storage,
              used.ephemeral_storage))
    return insufficient("ephemeral-storage", want.ephemeral_storage,
                        used.ephemeral_storage, alloc.ephemeral_storage);
  for (const auto& [name, v] : want.scalar) {
    auto cap = scalar_of(alloc, name);
    auto in_use = scalar_of(used, name);
    if (exceeds(v, cap, in_use))
      return insufficient(name, v, in_use, cap);
  }
  return std::nullopt;
}

std::optional<int64_t> to_int64(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || s.empty())
    return std::nullopt;
  return v;
}

bool has_value(const std::vector<std::string>& xs, std::string_view v) {
  return std::find(xs.begin(), xs.end(), v) != xs.end();
}

/// Evaluates one requirement against `value` (nullptr: key absent).
/// Malformed requirements never match.
bool requirement_holds(const node_selector_requirement& r,
                       const std::string* value) {
  const auto& op = r.operator_;
  if (op == "In")
    return !r.values.empty() && value != nullptr && has_value(r.values, *value);
  if (op == "NotIn")
    return !r.values.empty() && (value == nullptr || !has_value(r.values, *value));
  if (op == "Exists")
    return r.values.empty() && value != nullptr;
  if (op == "DoesNotExist")
    return r.values.empty() && value == nullptr;
  if (op == "Gt" || op == "Lt") {
    if (r.values.size() != 1 || value == nullptr)
      return false;
    auto bound = to_int64(r.values.front());
    auto actual = to_int64(*value);
    if (!bound || !actual)
      return false;
    return op == "Gt" ? *actual > *bound : *actual < *bound;
  }
  return false;
}

bool term_matches(const node_selector_term& t, const admission_node& node) {
  if (t.match_expressions.empty() && t.match_fields.empty())
    return false;
  for (const auto& r : t.match_expressions) {
    auto i = node.labels.find(r.key);
    if (!requirement_holds(r, i == node.labels.end() ? nullptr : &i->second))
      return false;
  }
  for (const auto& r : t.match_fields) {
    if (r.key != "metadata.name" || (r.operator_ != "In" && r.operator_ != "NotIn"))
      return false;
    if (!requirement_holds(r, &node.name))
      return false;
  }
  return true;
}

struct host_port {
  std::string ip;
  std::string protocol;
  int32_t port;
};

host_port host_port_of(const k8s::container_port& p) {
  return {p.host_ip.empty() ? "0.0.0.0" : p.host_ip,
          p.protocol.empty() ? "TCP" : p.protocol, p.host_port};
}

bool ports_fit(const k8s::pod_spec& spec,
               const std::vector<const k8s::pod*>& others) {
  std::vector<host_port> used;
  for (const auto* other : others)
    for (const auto& c : other->spec.containers)
      for (const auto& p : c.ports)
        if (p.host_port > 0)
          used.push_back(host_port_of(p));
  if (used.empty())
    return true;
  for (const auto& c : spec.containers) {
    for (const auto& p : c.ports) {
      if (p.host_port <= 0)
        continue;
      auto want = host_port_of(p);
      for (const auto& u : used) {
        if (u.port != want.port || u.protocol != want.protocol)
          continue;
        if (want.ip == "0.0.0.0" || u.ip == "0.0.0.0" || u.ip == want.ip)
          return false;
      }
    }
  }
  return true;
}

bool untolerated_no_execute(const k8s::pod& pod, const admission_node& node) {
  for (const auto& t : node.taints) {
    if (t.effect != "NoExecute")
      continue;
    auto ok = std::any_of(pod.spec.tolerations.begin(),
                          pod.spec.tolerations.end(),
                          [&](const auto& tol) { return tolerates(tol, t); });
    if (!ok)
      return true;
  }
  return false;
}

/// True for the conditions the kubelet owns (upstream
/// `PodConditionByKubelet`).
bool kubelet_owned(std::string_view type) {
  return type == "PodScheduled" || type == "Ready" || type == "Initialized"
         || type == "ContainersReady" || type == "PodReadyToStartContainers";
}

} // namespace

admission_node admission_node_of(const k8s::node& n, int64_t max_pods) {
  admission_node result;
  result.name = n.metadata.name;
  result.labels = n.metadata.labels;
  result.allocatable = n.status.allocatable;
  result.taints = n.spec.taints;
  result.max_pods = max_pods;
  if (const auto* pods = k8s::find(n.status.allocatable, "pods"))
    if (auto q = units::parse_quantity(*pods))
      result.max_pods = q->value();
  return result;
}

resource_amounts pod_requests(const k8s::pod_spec& spec,
                              const k8s::resource_list& overhead) {
  return to_amounts(request_map(spec, overhead));
}

resource_amounts allocatable_amounts(const k8s::resource_list& xs) {
  return to_amounts(to_map(xs));
}

bool is_static_pod(const k8s::pod& pod) {
  auto i = pod.metadata.annotations.find("kubernetes.io/config.source");
  return i != pod.metadata.annotations.end() && i->second != "api";
}

std::string mirror_hash(const k8s::pod& pod) {
  auto i = pod.metadata.annotations.find(std::string{mirror_annotation});
  return i == pod.metadata.annotations.end() ? std::string{} : i->second;
}

std::string full_name(const k8s::pod& pod) {
  return pod.metadata.namespace_ + "/" + pod.metadata.name;
}

bool tolerates(const k8s::toleration& t, const k8s::taint& x) {
  if (!t.effect.empty() && t.effect != x.effect)
    return false;
  if (!t.key.empty() && t.key != x.key)
    return false;
  if (t.operator_.empty() || t.operator_ == "Equal")
    return t.value == x.value;
  return t.operator_ == "Exists";
}

bool matches_node_affinity(const k8s::pod_spec& spec,
                           const pod_extras& extras,
                           const admission_node& node) {
  for (const auto& [key, value] : spec.node_selector) {
    auto i = node.labels.find(key);
    if (i == node.labels.end() || i->second != value)
      return false;
  }
  if (!extras.required_node_affinity)
    return true;
  const auto& terms = *extras.required_node_affinity;
  return std::any_of(terms.begin(), terms.end(), [&](const auto& t) {
    return term_matches(t, node);
  });
}

admission_result admit(const k8s::pod& pod, const admission_node& node,
                       const std::vector<k8s::pod_ptr>& admitted,
                       const pod_extras& extras) {
  if (auto i = pod.metadata.labels.find(os_label);
      i != pod.metadata.labels.end() && i->second != node_os) {
    admission_result r;
    r.admitted = false;
    r.reason = "PodOSSelectorNodeLabelDoesNotMatch";
    r.message = "Failed to admit pod as the `kubernetes.io/os` label doesn't "
                "match node label";
    return r;
  }
  std::vector<const k8s::pod*> others;
  others.reserve(admitted.size());
  for (const auto& p : admitted)
    if (p && (pod.metadata.uid.empty() || p->metadata.uid != pod.metadata.uid))
      others.push_back(p.get());
  if (auto r = check_resources(pod, extras, node, others))
    return std::move(*r);
  if (!matches_node_affinity(pod.spec, extras, node))
    return predicate_failure("NodeAffinity",
                             "node(s) didn't match Pod's node affinity/selector");
  if (!pod.spec.node_name.empty() && pod.spec.node_name != node.name)
    return predicate_failure("NodeName",
                             "node(s) didn't match the requested node name");
  if (!ports_fit(pod.spec, others))
    return predicate_failure(
      "NodePorts", "node(s) didn't have free ports for the requested pod ports");
  if (!is_static_pod(pod) && untolerated_no_execute(pod, node))
    return predicate_failure("TaintToleration",
                             "node(s) had taints that the pod didn't tolerate");
  return {};
}

k8s::pod_status rejected_status(const k8s::pod& pod,
                                const admission_result& why,
                                k8s::timestamp now) {
  k8s::pod_status s;
  s.phase = "Failed";
  s.reason = why.reason;
  s.message = "Pod was rejected: " + why.message;
  s.qos_class = pod.status.qos_class;
  s.start_time = pod.status.start_time ? pod.status.start_time : now;
  for (const auto& c : pod.status.conditions)
    if (!kubelet_owned(c.type))
      s.conditions.push_back(c);
  return s;
}

} // namespace cafelet::actors::pods
