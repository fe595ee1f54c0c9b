// Decoding of v1.Node and coordination/v1 Lease.
#include "messages/k8s/decode.hpp"
#include "messages/k8s/decode_objects.hpp"

namespace cafelet::k8s::detail {

error_code read(reader& r, od::value v, taint& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "key")
      return read(r, val, out.key);
    if (key == "value")
      return read(r, val, out.value);
    if (key == "effect")
      return read(r, val, out.effect);
    if (key == "timeAdded")
      return read(r, val, out.time_added);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, node_spec& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "podCIDR")
      return read(r, val, out.pod_cidr);
    if (key == "podCIDRs")
      return read(r, val, out.pod_cidrs);
    if (key == "providerID")
      return read(r, val, out.provider_id);
    if (key == "unschedulable")
      return read(r, val, out.unschedulable);
    if (key == "taints")
      return read(r, val, out.taints);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, node_condition& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "type")
      return read(r, val, out.type);
    if (key == "status")
      return read(r, val, out.status);
    if (key == "lastHeartbeatTime")
      return read(r, val, out.last_heartbeat_time);
    if (key == "lastTransitionTime")
      return read(r, val, out.last_transition_time);
    if (key == "reason")
      return read(r, val, out.reason);
    if (key == "message")
      return read(r, val, out.message);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, node_address& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "type")
      return read(r, val, out.type);
    if (key == "address")
      return read(r, val, out.address);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, node_system_info& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "machineID")
      return read(r, val, out.machine_id);
    if (key == "systemUUID")
      return read(r, val, out.system_uuid);
    if (key == "bootID")
      return read(r, val, out.boot_id);
    if (key == "kernelVersion")
      return read(r, val, out.kernel_version);
    if (key == "osImage")
      return read(r, val, out.os_image);
    if (key == "containerRuntimeVersion")
      return read(r, val, out.container_runtime_version);
    if (key == "kubeletVersion")
      return read(r, val, out.kubelet_version);
    if (key == "kubeProxyVersion")
      return read(r, val, out.kube_proxy_version);
    if (key == "operatingSystem")
      return read(r, val, out.operating_system);
    if (key == "architecture")
      return read(r, val, out.architecture);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, container_image& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "names")
      return read(r, val, out.names);
    if (key == "sizeBytes")
      return read(r, val, out.size_bytes);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, node_status& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "capacity")
      return read(r, val, out.capacity);
    if (key == "allocatable")
      return read(r, val, out.allocatable);
    if (key == "conditions")
      return read(r, val, out.conditions);
    if (key == "addresses")
      return read(r, val, out.addresses);
    if (key == "daemonEndpoints")
      return read_object(r, val, [&](std::string_view k1, od::value v1) {
        if (k1 != "kubeletEndpoint")
          return simdjson::SUCCESS;
        return read_object(r, v1, [&](std::string_view k2, od::value v2) {
          if (k2 == "Port")
            return read(r, v2, out.kubelet_endpoint_port);
          return simdjson::SUCCESS;
        });
      });
    if (key == "nodeInfo")
      return read(r, val, out.node_info);
    if (key == "images")
      return read(r, val, out.images);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, node& out) {
  return read_spec_status(r, v, out);
}

error_code read(reader& r, od::value v, lease_spec& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "holderIdentity")
      return read(r, val, out.holder_identity);
    if (key == "leaseDurationSeconds")
      return read(r, val, out.lease_duration_seconds);
    if (key == "acquireTime")
      return read(r, val, out.acquire_time);
    if (key == "renewTime")
      return read(r, val, out.renew_time);
    if (key == "leaseTransitions")
      return read(r, val, out.lease_transitions);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, lease& out) {
  return read_spec_status(r, v, out);
}

} // namespace cafelet::k8s::detail

namespace cafelet::k8s {

caf::expected<node_ptr> decode_node(std::string_view json) {
  return detail::decode_object<node>(json);
}

caf::expected<lease_ptr> decode_lease(std::string_view json) {
  return detail::decode_object<lease>(json);
}

} // namespace cafelet::k8s
