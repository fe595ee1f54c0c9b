#include "actors/node/node_builder.hpp"

#include "messages/json/json.hpp"
#include "messages/units/quantity.hpp"

#include <algorithm>
#include <limits>

namespace cafelet::actors {

namespace {

using units::quantity;
using units::quantity_format;

constexpr std::string_view memory_pressure = "MemoryPressure";
constexpr std::string_view disk_pressure = "DiskPressure";
constexpr std::string_view pid_pressure = "PIDPressure";
constexpr std::string_view ready = "Ready";

int64_t sat_sub(int64_t a, int64_t b) {
  if (b > 0 && a < std::numeric_limits<int64_t>::min() + b)
    return std::numeric_limits<int64_t>::min();
  if (b < 0 && a > std::numeric_limits<int64_t>::max() + b)
    return std::numeric_limits<int64_t>::max();
  return a - b;
}

/// Sum of kubeReserved and systemReserved for `name` in units (or
/// millis).
int64_t reserved(const node_settings& s, const std::string& name,
                 bool millis) {
  int64_t total = 0;
  for (const auto* m : {&s.kube_reserved, &s.system_reserved})
    if (auto i = m->find(name); i != m->end())
      total += millis ? i->second.milli_value() : i->second.value();
  return total;
}

const config::threshold_value* find_threshold(
  const std::map<std::string, config::threshold_value>& xs,
  std::string_view signal) {
  auto i = xs.find(std::string{signal});
  return i == xs.end() ? nullptr : &i->second;
}

std::string cpu_text(int64_t millis) {
  return millis % 1000 == 0 ? quantity::from_value(millis / 1000).to_string()
                            : quantity::from_milli(millis).to_string();
}

std::string bytes_text(int64_t bytes) {
  return quantity::from_value(bytes, quantity_format::binary_si).to_string();
}

int64_t hugepage_bytes(const machine_info& m) {
  int64_t total = 0;
  for (const auto& h : m.hugepages)
    total += h.pages * h.page_bytes;
  return total;
}

k8s::resource_list to_list(std::map<std::string, std::string> xs) {
  return {std::make_move_iterator(xs.begin()),
          std::make_move_iterator(xs.end())};
}

/// Quantity texts compared numerically (textually if unparsable).
bool same_quantity(const std::string& a, const std::string& b) {
  if (a == b)
    return true;
  auto x = units::parse_quantity(a);
  auto y = units::parse_quantity(b);
  return x && y && *x == *y;
}

bool same_resources(const k8s::resource_list& a, const k8s::resource_list& b) {
  if (a.size() != b.size())
    return false;
  for (const auto& [name, value] : a) {
    const auto* other = k8s::find(b, name);
    if (other == nullptr || !same_quantity(value, *other))
      return false;
  }
  return true;
}

bool same_info(const k8s::node_system_info& a, const k8s::node_system_info& b) {
  return a.machine_id == b.machine_id && a.system_uuid == b.system_uuid
         && a.boot_id == b.boot_id && a.kernel_version == b.kernel_version
         && a.os_image == b.os_image
         && a.container_runtime_version == b.container_runtime_version
         && a.kubelet_version == b.kubelet_version
         && a.kube_proxy_version == b.kube_proxy_version
         && a.operating_system == b.operating_system
         && a.architecture == b.architecture;
}

bool same_condition(const k8s::node_condition& a,
                    const k8s::node_condition& b) {
  return a.type == b.type && a.status == b.status && a.reason == b.reason
         && a.message == b.message
         && a.last_transition_time == b.last_transition_time;
}

const k8s::node_condition* find_condition(
  const std::vector<k8s::node_condition>& xs, std::string_view type) {
  for (const auto& c : xs)
    if (c.type == type)
      return &c;
  return nullptr;
}

k8s::node_condition make_condition(std::string_view type, bool is_true,
                                   std::string reason, std::string message,
                                   const std::vector<k8s::node_condition>& prev,
                                   k8s::timestamp now) {
  k8s::node_condition c;
  c.type = std::string{type};
  c.status = is_true ? "True" : "False";
  c.reason = std::move(reason);
  c.message = std::move(message);
  c.last_heartbeat_time = now;
  const auto* old = find_condition(prev, type);
  c.last_transition_time = (old != nullptr && old->status == c.status
                            && old->last_transition_time)
                             ? old->last_transition_time
                             : k8s::opt_time{now};
  return c;
}

/// The labels upstream's updateDefaultLabels keeps in sync (if the
/// initial Node has them).
constexpr std::string_view reconciled_labels[] = {
  label_hostname,
  "topology.kubernetes.io/zone",
  "topology.kubernetes.io/region",
  "failure-domain.beta.kubernetes.io/zone",
  "failure-domain.beta.kubernetes.io/region",
  "node.kubernetes.io/instance-type",
  "beta.kubernetes.io/instance-type",
  label_os,
  label_arch,
  "node.kubernetes.io/windows-build",
  label_beta_os,
  label_beta_arch,
};

bool is_hugepage(std::string_view name) {
  return name.starts_with("hugepages-");
}

} // namespace

node_settings settings_from(const config::kubelet_configuration& cfg) {
  node_settings s;
  s.taints = cfg.register_with_taints;
  s.kubelet_port = cfg.port;
  s.max_pods = cfg.max_pods;
  s.kube_reserved = cfg.kube_reserved;
  s.system_reserved = cfg.system_reserved;
  s.eviction_hard = cfg.eviction_hard;
  return s;
}

int64_t threshold_amount(const config::threshold_value& t, int64_t capacity) {
  if (t.quantity)
    return t.quantity->value();
  // Upstream keeps the percentage as float32 and truncates the product.
  auto fraction = static_cast<double>(static_cast<float>(t.percentage));
  return static_cast<int64_t>(static_cast<double>(capacity) * fraction);
}

pressure_flags evaluate_pressure(
  const pressure_sample& sample, const machine_info& machine,
  const std::map<std::string, config::threshold_value>& eviction_hard) {
  pressure_flags out;
  if (const auto* t = find_threshold(eviction_hard, "memory.available");
      t && sample.memory_available)
    out.memory = *sample.memory_available
                 < threshold_amount(*t, machine.memory_bytes);
  if (sample.nodefs) {
    const auto& fs = *sample.nodefs;
    if (const auto* t = find_threshold(eviction_hard, "nodefs.available"))
      out.disk = fs.available_bytes < threshold_amount(*t, fs.capacity_bytes);
    if (const auto* t = find_threshold(eviction_hard, "nodefs.inodesFree");
        t && fs.inodes > 0)
      out.disk = out.disk
                 || fs.inodes_free < threshold_amount(*t, fs.inodes);
  }
  if (sample.processes && sample.pid_max && *sample.pid_max > 0) {
    auto available = *sample.pid_max - *sample.processes;
    const auto* t = find_threshold(eviction_hard, "pid.available");
    auto limit = t != nullptr
                   ? threshold_amount(*t, *sample.pid_max)
                   : static_cast<int64_t>(static_cast<double>(*sample.pid_max)
                                          * default_pid_available_fraction);
    out.pid = available < limit;
  }
  return out;
}

std::optional<std::string>
not_ready_message(const std::map<std::string, component_readiness>& xs) {
  std::vector<std::string> msgs;
  for (const auto& [name, c] : xs) {
    if (c.ready)
      continue;
    auto msg = c.message.empty() ? name + " is not ready" : c.message;
    if (std::find(msgs.begin(), msgs.end(), msg) == msgs.end())
      msgs.push_back(std::move(msg));
  }
  if (msgs.empty())
    return std::nullopt;
  if (msgs.size() == 1)
    return msgs.front();
  std::string out = "[";
  for (size_t i = 0; i < msgs.size(); ++i) {
    if (i > 0)
      out += ", ";
    out += msgs[i];
  }
  out += ']';
  return out;
}

k8s::string_map node_labels(const node_settings& s, const machine_info& m) {
  k8s::string_map labels;
  labels.emplace(label_hostname, s.hostname);
  labels.emplace(label_os, m.operating_system);
  labels.emplace(label_arch, m.architecture);
  labels.emplace(label_beta_os, m.operating_system);
  labels.emplace(label_beta_arch, m.architecture);
  for (const auto& [k, v] : s.node_labels)
    labels.insert_or_assign(k, v);
  return labels;
}

k8s::resource_list node_capacity(const node_settings& s,
                                 const machine_info& m) {
  std::map<std::string, std::string> xs;
  xs["cpu"] = cpu_text(m.cpu_millis);
  xs["memory"] = bytes_text(m.memory_bytes);
  if (m.ephemeral_storage_bytes > 0)
    xs["ephemeral-storage"] = bytes_text(m.ephemeral_storage_bytes);
  for (const auto& h : m.hugepages)
    xs[h.resource] = bytes_text(h.pages * h.page_bytes);
  xs["pods"] = quantity::from_value(s.max_pods).to_string();
  return to_list(std::move(xs));
}

k8s::resource_list node_allocatable(const node_settings& s,
                                    const machine_info& m) {
  std::map<std::string, std::string> xs;
  auto cpu = sat_sub(m.cpu_millis, reserved(s, "cpu", true));
  xs["cpu"] = cpu_text(std::max<int64_t>(cpu, 0));
  auto mem = sat_sub(m.memory_bytes, reserved(s, "memory", false));
  if (const auto* t = find_threshold(s.eviction_hard, "memory.available"))
    mem = sat_sub(mem, threshold_amount(*t, m.memory_bytes));
  mem = sat_sub(mem, hugepage_bytes(m));
  xs["memory"] = bytes_text(std::max<int64_t>(mem, 0));
  if (m.ephemeral_storage_bytes > 0) {
    auto eph = sat_sub(m.ephemeral_storage_bytes,
                       reserved(s, "ephemeral-storage", false));
    if (const auto* t = find_threshold(s.eviction_hard, "nodefs.available"))
      eph = sat_sub(eph, threshold_amount(*t, m.ephemeral_storage_bytes));
    xs["ephemeral-storage"] = bytes_text(std::max<int64_t>(eph, 0));
  }
  for (const auto& h : m.hugepages)
    xs[h.resource] = bytes_text(h.pages * h.page_bytes);
  xs["pods"] = quantity::from_value(s.max_pods).to_string();
  return to_list(std::move(xs));
}

std::vector<k8s::node_address> node_addresses(const node_settings& s) {
  std::vector<k8s::node_address> out;
  for (const auto& ip : s.node_ips)
    if (!ip.empty())
      out.push_back({"InternalIP", ip});
  if (!s.hostname.empty())
    out.push_back({"Hostname", s.hostname});
  return out;
}

k8s::node_system_info node_info(const node_settings& s,
                                const machine_info& m) {
  k8s::node_system_info x;
  x.machine_id = m.machine_id;
  x.system_uuid = m.system_uuid;
  x.boot_id = m.boot_id;
  x.kernel_version = m.kernel_version;
  x.os_image = m.os_image;
  x.container_runtime_version = s.container_runtime_version;
  x.kubelet_version = s.kubelet_version;
  x.kube_proxy_version = s.kubelet_version; // upstream 1.32 still sends it
  x.operating_system = m.operating_system;
  x.architecture = m.architecture;
  return x;
}

std::vector<k8s::node_condition>
make_conditions(const condition_inputs& in,
                const std::vector<k8s::node_condition>& prev,
                k8s::timestamp now) {
  std::vector<k8s::node_condition> out;
  out.reserve(4);
  if (in.memory_pressure)
    out.push_back(make_condition(memory_pressure, true,
                                 "KubeletHasInsufficientMemory",
                                 "kubelet has insufficient memory available",
                                 prev, now));
  else
    out.push_back(make_condition(memory_pressure, false,
                                 "KubeletHasSufficientMemory",
                                 "kubelet has sufficient memory available",
                                 prev, now));
  if (in.disk_pressure)
    out.push_back(make_condition(disk_pressure, true, "KubeletHasDiskPressure",
                                 "kubelet has disk pressure", prev, now));
  else
    out.push_back(make_condition(disk_pressure, false,
                                 "KubeletHasNoDiskPressure",
                                 "kubelet has no disk pressure", prev, now));
  if (in.pid_pressure)
    out.push_back(make_condition(pid_pressure, true,
                                 "KubeletHasInsufficientPID",
                                 "kubelet has insufficient PID available",
                                 prev, now));
  else
    out.push_back(make_condition(pid_pressure, false,
                                 "KubeletHasSufficientPID",
                                 "kubelet has sufficient PID available", prev,
                                 now));
  if (in.not_ready)
    out.push_back(make_condition(ready, false, "KubeletNotReady",
                                 *in.not_ready, prev, now));
  else
    out.push_back(make_condition(ready, true, "KubeletReady",
                                 "kubelet is posting ready status", prev,
                                 now));
  return out;
}

k8s::node_status build_node_status(const node_settings& s,
                                   const machine_info& m,
                                   const condition_inputs& in,
                                   const std::vector<k8s::node_condition>& prev,
                                   k8s::timestamp now) {
  k8s::node_status st;
  st.capacity = node_capacity(s, m);
  st.allocatable = node_allocatable(s, m);
  st.conditions = make_conditions(in, prev, now);
  st.addresses = node_addresses(s);
  st.kubelet_endpoint_port = s.kubelet_port;
  st.node_info = node_info(s, m);
  return st;
}

k8s::node build_node(const node_settings& s, const machine_info& m,
                     const condition_inputs& in, k8s::timestamp now) {
  k8s::node n;
  n.type.api_version = "v1";
  n.type.kind = "Node";
  n.metadata.name = s.node_name;
  n.metadata.labels = node_labels(s, m);
  n.metadata.annotations.emplace(annotation_cmad, "true");
  for (const auto& t : s.taints) {
    k8s::taint x;
    x.key = t.key;
    x.value = t.value;
    x.effect = std::string{config::to_string(t.effect)};
    n.spec.taints.push_back(std::move(x));
  }
  n.status = build_node_status(s, m, in, {}, now);
  return n;
}

bool node_details_changed(const k8s::node_status& a,
                          const k8s::node_status& b) {
  if (!same_resources(a.capacity, b.capacity)
      || !same_resources(a.allocatable, b.allocatable)
      || a.kubelet_endpoint_port != b.kubelet_endpoint_port
      || !same_info(a.node_info, b.node_info)
      || a.addresses.size() != b.addresses.size()
      || a.images.size() != b.images.size())
    return true;
  for (size_t i = 0; i < a.addresses.size(); ++i)
    if (a.addresses[i].type != b.addresses[i].type
        || a.addresses[i].address != b.addresses[i].address)
      return true;
  for (size_t i = 0; i < a.images.size(); ++i)
    if (a.images[i].names != b.images[i].names
        || a.images[i].size_bytes != b.images[i].size_bytes)
      return true;
  return false;
}

bool node_status_changed(const k8s::node_status& a,
                         const k8s::node_status& b) {
  if (a.conditions.size() != b.conditions.size())
    return true;
  // Compared by type, in any order; heartbeat times are ignored.
  for (const auto& c : a.conditions) {
    const auto* other = find_condition(b.conditions, c.type);
    if (other == nullptr || !same_condition(c, *other))
      return true;
  }
  return node_details_changed(a, b);
}

std::vector<std::string>
transition_event_reasons(const k8s::node_status* before,
                         const k8s::node_status& after) {
  std::vector<std::string> out;
  for (const auto& c : after.conditions) {
    const auto* old = before != nullptr
                        ? find_condition(before->conditions, c.type)
                        : nullptr;
    if (old != nullptr && old->status == c.status)
      continue;
    bool yes = c.status == "True";
    if (c.type == memory_pressure)
      out.emplace_back(yes ? "NodeHasInsufficientMemory"
                           : "NodeHasSufficientMemory");
    else if (c.type == disk_pressure)
      out.emplace_back(yes ? "NodeHasDiskPressure" : "NodeHasNoDiskPressure");
    else if (c.type == pid_pressure)
      out.emplace_back(yes ? "NodeHasInsufficientPID"
                           : "NodeHasSufficientPID");
    else if (c.type == ready)
      out.emplace_back(yes ? "NodeReady" : "NodeNotReady");
  }
  return out;
}

record_event make_node_event(std::string_view node_name, std::string reason) {
  record_event ev;
  ev.involved.kind = "Node";
  ev.involved.name = std::string{node_name};
  ev.involved.uid = std::string{node_name}; // upstream's nodeRef
  ev.type = "Normal";
  ev.message = "Node " + std::string{node_name} + " status is now: " + reason;
  ev.reason = std::move(reason);
  return ev;
}

std::optional<std::string> reconcile_patch(const k8s::node& initial,
                                           const k8s::node& existing) {
  json::value labels{json::object{}};
  json::value annotations{json::object{}};
  json::value capacity{json::object{}};
  json::value allocatable{json::object{}};
  // Default labels: set to the initial value where it differs; an empty
  // initial value removes the label.
  for (auto key : reconciled_labels) {
    auto want = initial.metadata.labels.find(key);
    if (want == initial.metadata.labels.end())
      continue;
    auto have = existing.metadata.labels.find(key);
    auto have_value = have == existing.metadata.labels.end()
                        ? std::string_view{}
                        : std::string_view{have->second};
    if (want->second.empty()) {
      if (have != existing.metadata.labels.end())
        labels[key] = nullptr;
    } else if (have == existing.metadata.labels.end()
               || have_value != want->second) {
      labels[key] = want->second;
    }
  }
  // The attach-detach annotation.
  auto want = initial.metadata.annotations.find(annotation_cmad);
  auto have = existing.metadata.annotations.find(annotation_cmad);
  bool want_set = want != initial.metadata.annotations.end();
  bool have_set = have != existing.metadata.annotations.end();
  if (want_set && (!have_set || have->second != want->second))
    annotations[annotation_cmad] = want->second;
  else if (!want_set && have_set)
    annotations[annotation_cmad] = nullptr;
  // Resources: a Node without any capacity/allocatable gets all of it;
  // huge page sizes are brought up to date.
  const auto& ist = initial.status;
  const auto& est = existing.status;
  auto sync = [](json::value& patch, const k8s::resource_list& want,
                 const k8s::resource_list& have) {
    if (have.empty()) {
      for (const auto& [name, value] : want)
        patch[name] = value;
      return;
    }
    for (const auto& [name, value] : want) {
      if (!is_hugepage(name))
        continue;
      const auto* cur = k8s::find(have, name);
      if (cur == nullptr || !same_quantity(*cur, value))
        patch[name] = value;
    }
    for (const auto& [name, value] : have)
      if (is_hugepage(name) && k8s::find(want, name) == nullptr)
        patch[name] = nullptr;
  };
  sync(capacity, ist.capacity, est.capacity);
  sync(allocatable, ist.allocatable, est.allocatable);
  if (labels.size() + annotations.size() + capacity.size()
        + allocatable.size()
      == 0)
    return std::nullopt;
  json::value patch{json::object{}};
  if (labels.size() > 0)
    patch["metadata"]["labels"] = std::move(labels);
  if (annotations.size() > 0)
    patch["metadata"]["annotations"] = std::move(annotations);
  if (capacity.size() > 0)
    patch["status"]["capacity"] = std::move(capacity);
  if (allocatable.size() > 0)
    patch["status"]["allocatable"] = std::move(allocatable);
  return json::dump(patch);
}

} // namespace cafelet::actors
