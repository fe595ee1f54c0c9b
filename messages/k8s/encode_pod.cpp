// Encoder for pod status patches.
#include "messages/k8s/encode.hpp"

#include "messages/k8s/encode_meta.hpp"
#include "messages/k8s/writer.hpp"

namespace cafelet::k8s {

using detail::array_writer;
using detail::object_writer;

namespace {

void write_state(std::string& out, const container_state& x) {
  object_writer o{out};
  if (x.waiting) {
    object_writer w{o.key("waiting")};
    w.str_if("reason", x.waiting->reason);
    w.str_if("message", x.waiting->message);
  }
  if (x.running) {
    object_writer r{o.key("running")};
    r.time("startedAt", x.running->started_at);
  }
  if (x.terminated) {
    const auto& t = *x.terminated;
    object_writer e{o.key("terminated")};
    e.integer("exitCode", t.exit_code);
    if (t.signal != 0)
      e.integer("signal", t.signal);
    e.str_if("reason", t.reason);
    e.str_if("message", t.message);
    e.time("startedAt", t.started_at);
    e.time("finishedAt", t.finished_at);
    e.str_if("containerID", t.container_id);
  }
}

void write_statuses(object_writer& o, std::string_view key,
                    const std::vector<container_status>& xs) {
  array_writer a{o.key(key)};
  for (const auto& x : xs) {
    object_writer e{a.next()};
    e.str("name", x.name);
    write_state(e.key("state"), x.state);
    write_state(e.key("lastState"), x.last_state);
    e.boolean("ready", x.ready);
    e.integer("restartCount", x.restart_count);
    e.str("image", x.image);
    e.str("imageID", x.image_id);
    e.str_if("containerID", x.container_id);
    if (x.started)
      e.boolean("started", *x.started);
  }
}

void write_ips(object_writer& o, std::string_view key,
               const std::vector<std::string>& xs) {
  array_writer a{o.key(key)};
  for (const auto& ip : xs) {
    object_writer e{a.next()};
    e.str("ip", ip);
  }
}

void write_pod_status(object_writer& o, const pod_status& x,
                      patch_type type) {
  bool smp = type == patch_type::strategic;
  o.str_if("phase", x.phase);
  if (smp) {
    array_writer order{o.key("$setElementOrder/conditions")};
    for (const auto& c : x.conditions) {
      object_writer e{order.next()};
      e.str("type", c.type);
    }
  }
  {
    array_writer a{o.key("conditions")};
    for (const auto& c : x.conditions) {
      object_writer e{a.next()};
      e.str("type", c.type);
      e.str("status", c.status);
      e.time("lastProbeTime", c.last_probe_time);
      e.time("lastTransitionTime", c.last_transition_time);
      if (smp) {
        e.str_or_null("reason", c.reason);
        e.str_or_null("message", c.message);
      } else {
        e.str_if("reason", c.reason);
        e.str_if("message", c.message);
      }
    }
  }
  o.str_if("message", x.message);
  o.str_if("reason", x.reason);
  if (!x.host_ip.empty()) {
    o.str("hostIP", x.host_ip);
    write_ips(o, "hostIPs", x.host_ips);
  }
  if (!x.pod_ip.empty()) {
    o.str("podIP", x.pod_ip);
    write_ips(o, "podIPs", x.pod_ips);
  }
  o.time_if("startTime", x.start_time);
  if (!x.init_container_statuses.empty())
    write_statuses(o, "initContainerStatuses", x.init_container_statuses);
  write_statuses(o, "containerStatuses", x.container_statuses);
  o.str_if("qosClass", x.qos_class);
}

void write_container_names(object_writer& o, std::string_view key,
                           const std::vector<container>& xs) {
  array_writer a{o.key(key)};
  for (const auto& c : xs) {
    object_writer e{a.next()};
    e.str("name", c.name);
    e.str("image", c.image);
  }
}

} // namespace

std::string encode_pod_view(const pod& p, const pod_status& x,
                            std::string_view spec_json) {
  return detail::build(2048 + spec_json.size(), [&](object_writer& o) {
    o.str("kind", "Pod");
    o.str("apiVersion", "v1");
    detail::write_metadata(o, p.metadata, true);
    if (!spec_json.empty()) {
      o.key("spec") += spec_json;
    } else {
      object_writer s{o.key("spec")};
      s.str_if("restartPolicy", p.spec.restart_policy);
      s.str_if("nodeName", p.spec.node_name);
      if (!p.spec.init_containers.empty())
        write_container_names(s, "initContainers", p.spec.init_containers);
      write_container_names(s, "containers", p.spec.containers);
    }
    object_writer status{o.key("status")};
    write_pod_status(status, x, patch_type::merge);
  });
}

void append_pod_status(std::string& out, const pod_status& x,
                       patch_type type) {
  object_writer o{out};
  write_pod_status(o, x, type);
}

std::string encode_pod_status_patch(const pod_status& x, std::string_view uid,
                                    patch_type type) {
  return detail::build(1024, [&](object_writer& o) {
    if (!uid.empty()) {
      object_writer meta{o.key("metadata")};
      meta.str("uid", uid);
    }
    object_writer status{o.key("status")};
    write_pod_status(status, x, type);
  });
}

} // namespace cafelet::k8s
