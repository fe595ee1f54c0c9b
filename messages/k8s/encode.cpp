// Encoders for Node, Lease, Event, DeleteOptions and Status bodies.
#include "messages/k8s/encode.hpp"

#include "messages/k8s/encode_meta.hpp"
#include "messages/k8s/writer.hpp"

namespace cafelet::k8s {

using detail::array_writer;
using detail::object_writer;

namespace {

void write_node_condition(std::string& out, const node_condition& x,
                          bool nulls) {
  object_writer o{out};
  o.str("type", x.type);
  o.str("status", x.status);
  o.time_if("lastHeartbeatTime", x.last_heartbeat_time);
  o.time_if("lastTransitionTime", x.last_transition_time);
  if (nulls) {
    o.str_or_null("reason", x.reason);
    o.str_or_null("message", x.message);
  } else {
    o.str_if("reason", x.reason);
    o.str_if("message", x.message);
  }
}

void write_conditions(object_writer& o, const std::vector<node_condition>& xs,
                      bool nulls) {
  array_writer a{o.key("conditions")};
  for (const auto& x : xs)
    write_node_condition(a.next(), x, nulls);
}

void write_addresses(object_writer& o, const std::vector<node_address>& xs) {
  array_writer a{o.key("addresses")};
  for (const auto& x : xs) {
    object_writer e{a.next()};
    e.str("type", x.type);
    e.str("address", x.address);
  }
}

void write_type_order(object_writer& o, std::string_view key,
                      const auto& xs) {
  array_writer a{o.key(key)};
  for (const auto& x : xs) {
    object_writer e{a.next()};
    e.str("type", x.type);
  }
}

void write_daemon_endpoints(object_writer& o, int32_t port) {
  object_writer d{o.key("daemonEndpoints")};
  object_writer k{d.key("kubeletEndpoint")};
  k.integer("Port", port);
}

void write_node_info(object_writer& o, const node_system_info& x) {
  object_writer n{o.key("nodeInfo")};
  n.str("machineID", x.machine_id);
  n.str("systemUUID", x.system_uuid);
  n.str("bootID", x.boot_id);
  n.str("kernelVersion", x.kernel_version);
  n.str("osImage", x.os_image);
  n.str("containerRuntimeVersion", x.container_runtime_version);
  n.str("kubeletVersion", x.kubelet_version);
  n.str("kubeProxyVersion", x.kube_proxy_version);
  n.str("operatingSystem", x.operating_system);
  n.str("architecture", x.architecture);
}

} // namespace

std::string_view content_type(patch_type x) {
  return x == patch_type::merge ? "application/merge-patch+json"
                                : "application/strategic-merge-patch+json";
}

std::string encode_node(const node& x) {
  return detail::build(2048, [&](object_writer& o) {
    o.str("kind", "Node");
    o.str("apiVersion", "v1");
    detail::write_metadata(o, x.metadata);
    {
      object_writer spec{o.key("spec")};
      spec.str_if("podCIDR", x.spec.pod_cidr);
      if (!x.spec.pod_cidrs.empty()) {
        array_writer a{spec.key("podCIDRs")};
        for (const auto& cidr : x.spec.pod_cidrs)
          a.str(cidr);
      }
      spec.str_if("providerID", x.spec.provider_id);
      if (x.spec.unschedulable)
        spec.boolean("unschedulable", true);
      if (!x.spec.taints.empty()) {
        array_writer a{spec.key("taints")};
        for (const auto& t : x.spec.taints) {
          object_writer e{a.next()};
          e.str("key", t.key);
          e.str_if("value", t.value);
          e.str("effect", t.effect);
          e.time_if("timeAdded", t.time_added);
        }
      }
    }
    const auto& st = x.status;
    object_writer status{o.key("status")};
    status.resources("capacity", st.capacity);
    status.resources("allocatable", st.allocatable);
    write_conditions(status, st.conditions, false);
    write_addresses(status, st.addresses);
    write_daemon_endpoints(status, st.kubelet_endpoint_port);
    write_node_info(status, st.node_info);
    if (!st.images.empty()) {
      array_writer a{status.key("images")};
      for (const auto& img : st.images) {
        object_writer e{a.next()};
        {
          array_writer names{e.key("names")};
          for (const auto& name : img.names)
            names.str(name);
        }
        e.integer("sizeBytes", img.size_bytes);
      }
    }
  });
}

std::string encode_node_status_patch(const node_status& x, bool full) {
  return detail::build(1024, [&](object_writer& o) {
    object_writer status{o.key("status")};
    if (full) {
      status.resources("capacity", x.capacity);
      status.resources("allocatable", x.allocatable);
      write_type_order(status, "$setElementOrder/addresses", x.addresses);
      write_addresses(status, x.addresses);
      write_daemon_endpoints(status, x.kubelet_endpoint_port);
      write_node_info(status, x.node_info);
    }
    write_type_order(status, "$setElementOrder/conditions", x.conditions);
    write_conditions(status, x.conditions, true);
  });
}

std::string encode_lease(const lease& x) {
  return detail::build(512, [&](object_writer& o) {
    o.str("kind", "Lease");
    o.str("apiVersion", "coordination.k8s.io/v1");
    detail::write_metadata(o, x.metadata);
    object_writer spec{o.key("spec")};
    if (x.spec.holder_identity)
      spec.str("holderIdentity", *x.spec.holder_identity);
    if (x.spec.lease_duration_seconds)
      spec.integer("leaseDurationSeconds", *x.spec.lease_duration_seconds);
    if (x.spec.acquire_time)
      spec.micro_time("acquireTime", x.spec.acquire_time);
    if (x.spec.renew_time)
      spec.micro_time("renewTime", x.spec.renew_time);
    if (x.spec.lease_transitions)
      spec.integer("leaseTransitions", *x.spec.lease_transitions);
  });
}

std::string encode_event(const event& x) {
  return detail::build(512, [&](object_writer& o) {
    o.str("kind", "Event");
    o.str("apiVersion", "v1");
    detail::write_metadata(o, x.metadata);
    {
      const auto& ref = x.involved_object;
      object_writer io{o.key("involvedObject")};
      io.str("kind", ref.kind);
      io.str_if("namespace", ref.namespace_);
      io.str("name", ref.name);
      io.str_if("uid", ref.uid);
      io.str_if("apiVersion", ref.api_version);
      io.str_if("resourceVersion", ref.resource_version);
      io.str_if("fieldPath", ref.field_path);
    }
    o.str("reason", x.reason);
    o.str("message", x.message);
    {
      object_writer src{o.key("source")};
      src.str_if("component", x.source.component);
      src.str_if("host", x.source.host);
    }
    o.time("firstTimestamp", x.first_timestamp);
    o.time("lastTimestamp", x.last_timestamp);
    o.integer("count", x.count);
    o.str("type", x.type_);
    o.micro_time("eventTime", x.event_time);
    o.str_if("action", x.action);
    o.str("reportingComponent", x.reporting_component);
    o.str("reportingInstance", x.reporting_instance);
  });
}

std::string encode_event_count_patch(int32_t count, timestamp last_timestamp,
                                     std::string_view message) {
  return detail::build(0, [&](object_writer& o) {
    o.integer("count", count);
    o.time("lastTimestamp", last_timestamp);
    o.str_if("message", message);
  });
}

std::string encode_delete_options(std::optional<int64_t> grace_period_seconds,
                                  std::string_view uid) {
  return detail::build(0, [&](object_writer& o) {
    o.str("kind", "DeleteOptions");
    o.str("apiVersion", "v1");
    if (grace_period_seconds)
      o.integer("gracePeriodSeconds", *grace_period_seconds);
    if (!uid.empty()) {
      object_writer pre{o.key("preconditions")};
      pre.str("uid", uid);
    }
  });
}

std::string encode_status(const status& x) {
  return detail::build(0, [&](object_writer& o) {
    o.str("kind", "Status");
    o.str("apiVersion", "v1");
    { object_writer meta{o.key("metadata")}; }
    o.str("status", x.status_);
    o.str_if("message", x.message);
    o.str_if("reason", x.reason);
    if (x.details) {
      const auto& d = *x.details;
      object_writer det{o.key("details")};
      det.str_if("name", d.name);
      det.str_if("group", d.group);
      det.str_if("kind", d.kind);
      det.str_if("uid", d.uid);
      if (!d.causes.empty()) {
        array_writer a{det.key("causes")};
        for (const auto& c : d.causes) {
          object_writer e{a.next()};
          e.str_if("reason", c.reason);
          e.str_if("message", c.message);
          e.str_if("field", c.field);
        }
      }
      if (d.retry_after_seconds != 0)
        det.integer("retryAfterSeconds", d.retry_after_seconds);
    }
    o.integer("code", x.code);
  });
}

} // namespace cafelet::k8s
