#include "runtime/kuberuntime/labels.hpp"

#include "messages/errors.hpp"
#include "messages/json/json.hpp"

#include <charconv>

namespace cafelet::kuberuntime {

namespace {

constexpr uint32_t fnv_offset = 2166136261u;
constexpr uint32_t fnv_prime = 16777619u;

/// Appends `"key":` (with a leading comma unless `first`).
void key(std::string& out, bool& first, std::string_view k) {
  if (!first)
    out += ',';
  first = false;
  json::append_quoted(out, k);
  out += ':';
}

void port_value(std::string& out, const k8s::int_or_string& port) {
  if (port.is_string)
    json::append_quoted(out, port.string_value);
  else
    json::append_int(out, port.int_value);
}

template <class T>
std::optional<T> parse_number(std::string_view text, int base = 10) {
  T value{};
  auto end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value, base);
  if (text.empty() || ec != std::errc{} || ptr != end)
    return std::nullopt;
  return value;
}

const std::string* lookup(const pb_string_map& m, const char* k) {
  auto i = m.find(k);
  return i == m.end() ? nullptr : &i->second;
}

std::string value_of(const pb_string_map& m, const char* k) {
  const auto* v = lookup(m, k);
  return v == nullptr ? std::string{} : *v;
}

std::optional<int64_t> int_of(const pb_string_map& m, const char* k) {
  const auto* v = lookup(m, k);
  return v == nullptr ? std::nullopt : parse_number<int64_t>(*v);
}

void set_pod_identity(const k8s::pod& pod, pb_string_map& labels) {
  labels[pod_name_label] = pod.metadata.name;
  labels[pod_namespace_label] = pod.metadata.namespace_;
  labels[pod_uid_label] = pod.metadata.uid;
}

} // namespace

uint64_t container_hash(const k8s::container& c) {
  std::string text = "{\"image\":";
  json::append_quoted(text, c.image);
  text += ",\"name\":";
  json::append_quoted(text, c.name);
  text += '}';
  uint32_t h = fnv_offset;
  for (unsigned char ch : text) {
    h ^= ch;
    h *= fnv_prime;
  }
  return h;
}

std::string hash_text(uint64_t hash) {
  char buf[17];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), hash, 16);
  static_cast<void>(ec);
  return std::string(buf, ptr);
}

void set_sandbox_labels(const k8s::pod& pod, pb_string_map& labels) {
  for (const auto& [k, v] : pod.metadata.labels)
    labels[k] = v;
  set_pod_identity(pod, labels);
}

void set_sandbox_annotations(const k8s::pod& pod, qos_class qos,
                             std::string_view cgroup_parent,
                             pb_string_map& annotations) {
  for (const auto& [k, v] : pod.metadata.annotations)
    annotations[k] = v;
  annotations.erase(termination_grace_period_annotation);
  if (const auto& grace = pod.spec.termination_grace_period_seconds)
    annotations[termination_grace_period_annotation] = std::to_string(*grace);
  annotations[qos_class_annotation] = std::string{to_string(qos)};
  annotations[cgroup_parent_annotation] = std::string{cgroup_parent};
  annotations[host_network_annotation]
    = pod.spec.host_network ? "true" : "false";
}

void set_container_labels(const k8s::pod& pod, const k8s::container& c,
                          pb_string_map& labels) {
  labels[container_name_label] = c.name;
  set_pod_identity(pod, labels);
}

void set_container_annotations(const k8s::pod& pod, const k8s::container& c,
                               int32_t restart_count,
                               pb_string_map& annotations) {
  annotations[container_hash_annotation] = hash_text(container_hash(c));
  annotations[restart_count_annotation] = std::to_string(restart_count);
  annotations[termination_message_path_annotation]
    = c.termination_message_path;
  annotations[termination_message_policy_annotation]
    = c.termination_message_policy;
  if (const auto& grace = pod.metadata.deletion_grace_period_seconds)
    annotations[deletion_grace_period_annotation] = std::to_string(*grace);
  if (const auto& grace = pod.spec.termination_grace_period_seconds)
    annotations[termination_grace_period_annotation] = std::to_string(*grace);
  if (c.lifecycle && c.lifecycle->pre_stop)
    annotations[pre_stop_handler_annotation]
      = handler_json(*c.lifecycle->pre_stop);
  if (!c.ports.empty())
    annotations[container_ports_annotation] = ports_json(c);
}

std::string ports_json(const k8s::container& c) {
  std::string out = "[";
  for (size_t i = 0; i < c.ports.size(); ++i) {
    const auto& p = c.ports[i];
    if (i > 0)
      out += ',';
    out += '{';
    bool first = true;
    if (!p.name.empty()) {
      key(out, first, "name");
      json::append_quoted(out, p.name);
    }
    if (p.host_port != 0) {
      key(out, first, "hostPort");
      json::append_int(out, p.host_port);
    }
    key(out, first, "containerPort");
    json::append_int(out, p.container_port);
    if (!p.protocol.empty()) {
      key(out, first, "protocol");
      json::append_quoted(out, p.protocol);
    }
    if (!p.host_ip.empty()) {
      key(out, first, "hostIP");
      json::append_quoted(out, p.host_ip);
    }
    out += '}';
  }
  out += ']';
  return out;
}

std::string handler_json(const k8s::lifecycle_handler& h) {
  std::string out = "{";
  bool first = true;
  if (h.exec) {
    key(out, first, "exec");
    out += '{';
    if (!h.exec->command.empty()) {
      out += "\"command\":[";
      for (size_t i = 0; i < h.exec->command.size(); ++i) {
        if (i > 0)
          out += ',';
        json::append_quoted(out, h.exec->command[i]);
      }
      out += ']';
    }
    out += '}';
  }
  if (h.http_get) {
    const auto& g = *h.http_get;
    key(out, first, "httpGet");
    out += '{';
    bool inner = true;
    if (!g.path.empty()) {
      key(out, inner, "path");
      json::append_quoted(out, g.path);
    }
    key(out, inner, "port");
    port_value(out, g.port);
    if (!g.host.empty()) {
      key(out, inner, "host");
      json::append_quoted(out, g.host);
    }
    if (!g.scheme.empty()) {
      key(out, inner, "scheme");
      json::append_quoted(out, g.scheme);
    }
    if (!g.http_headers.empty()) {
      key(out, inner, "httpHeaders");
      out += '[';
      for (size_t i = 0; i < g.http_headers.size(); ++i) {
        if (i > 0)
          out += ',';
        out += "{\"name\":";
        json::append_quoted(out, g.http_headers[i].name);
        out += ",\"value\":";
        json::append_quoted(out, g.http_headers[i].value);
        out += '}';
      }
      out += ']';
    }
    out += '}';
  }
  if (h.tcp_socket) {
    key(out, first, "tcpSocket");
    out += "{\"port\":";
    port_value(out, h.tcp_socket->port);
    if (!h.tcp_socket->host.empty()) {
      out += ",\"host\":";
      json::append_quoted(out, h.tcp_socket->host);
    }
    out += '}';
  }
  if (h.sleep_seconds) {
    key(out, first, "sleep");
    out += "{\"seconds\":";
    json::append_int(out, *h.sleep_seconds);
    out += '}';
  }
  out += '}';
  return out;
}

caf::expected<sandbox_info>
read_sandbox_info(const pb_string_map& labels,
                  const pb_string_map& annotations) {
  sandbox_info out;
  out.pod_uid = value_of(labels, pod_uid_label);
  if (out.pod_uid.empty())
    return make_error(errc::invalid,
                      std::string{"sandbox has no "} + pod_uid_label
                        + " label");
  out.pod_name = value_of(labels, pod_name_label);
  out.pod_namespace = value_of(labels, pod_namespace_label);
  out.termination_grace_period
    = int_of(annotations, termination_grace_period_annotation);
  out.qos = parse_qos_class(value_of(annotations, qos_class_annotation));
  out.cgroup_parent = value_of(annotations, cgroup_parent_annotation);
  out.host_network = value_of(annotations, host_network_annotation) == "true";
  return out;
}

caf::expected<sandbox_info> read_sandbox_info(const pb::PodSandbox& x) {
  auto out = read_sandbox_info(x.labels(), x.annotations());
  if (out) {
    if (out->pod_name.empty())
      out->pod_name = x.metadata().name();
    if (out->pod_namespace.empty())
      out->pod_namespace = x.metadata().namespace_();
  }
  return out;
}

caf::expected<sandbox_info> read_sandbox_info(const pb::PodSandboxStatus& x) {
  auto out = read_sandbox_info(x.labels(), x.annotations());
  if (out) {
    if (out->pod_name.empty())
      out->pod_name = x.metadata().name();
    if (out->pod_namespace.empty())
      out->pod_namespace = x.metadata().namespace_();
  }
  return out;
}

caf::expected<container_info>
read_container_info(const pb_string_map& labels,
                    const pb_string_map& annotations, uint32_t attempt) {
  container_info out;
  out.pod_uid = value_of(labels, pod_uid_label);
  out.container_name = value_of(labels, container_name_label);
  if (out.pod_uid.empty() || out.container_name.empty())
    return make_error(errc::invalid,
                      std::string{"container lacks the "} + pod_uid_label
                        + " or " + container_name_label + " label");
  out.pod_name = value_of(labels, pod_name_label);
  out.pod_namespace = value_of(labels, pod_namespace_label);
  auto restarts = int_of(annotations, restart_count_annotation);
  if (restarts && *restarts >= 0 && *restarts <= INT32_MAX)
    out.restart_count = static_cast<int32_t>(*restarts);
  else
    out.restart_count = static_cast<int32_t>(
      std::min<uint32_t>(attempt, static_cast<uint32_t>(INT32_MAX)));
  if (const auto* h = lookup(annotations, container_hash_annotation))
    out.hash = parse_number<uint64_t>(*h, 16);
  out.termination_grace_period
    = int_of(annotations, termination_grace_period_annotation);
  out.deletion_grace_period
    = int_of(annotations, deletion_grace_period_annotation);
  out.termination_message_path
    = value_of(annotations, termination_message_path_annotation);
  out.termination_message_policy
    = value_of(annotations, termination_message_policy_annotation);
  return out;
}

caf::expected<container_info> read_container_info(const pb::Container& x) {
  return read_container_info(x.labels(), x.annotations(),
                             x.metadata().attempt());
}

caf::expected<container_info>
read_container_info(const pb::ContainerStatus& x) {
  return read_container_info(x.labels(), x.annotations(),
                             x.metadata().attempt());
}

} // namespace cafelet::kuberuntime
