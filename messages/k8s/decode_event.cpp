// Decoding of core/v1 Event, ConfigMap, Secret and metav1.Status.
#include "messages/k8s/decode.hpp"
#include "messages/k8s/decode_objects.hpp"

namespace cafelet::k8s::detail {

error_code read(reader& r, od::value v, event_source& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "component")
      return read(r, val, out.component);
    if (key == "host")
      return read(r, val, out.host);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, event& out) {
  return read_resource(r, v, out, [&](std::string_view key, od::value val) {
    if (key == "involvedObject")
      return read(r, val, out.involved_object);
    if (key == "reason")
      return read(r, val, out.reason);
    if (key == "message")
      return read(r, val, out.message);
    if (key == "source")
      return read(r, val, out.source);
    if (key == "firstTimestamp")
      return read(r, val, out.first_timestamp);
    if (key == "lastTimestamp")
      return read(r, val, out.last_timestamp);
    if (key == "count")
      return read(r, val, out.count);
    if (key == "type")
      return read(r, val, out.type_);
    if (key == "eventTime")
      return read(r, val, out.event_time);
    if (key == "action")
      return read(r, val, out.action);
    if (key == "reportingComponent")
      return read(r, val, out.reporting_component);
    if (key == "reportingInstance")
      return read(r, val, out.reporting_instance);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, config_map& out) {
  return read_resource(r, v, out, [&](std::string_view key, od::value val) {
    if (key == "data")
      return read(r, val, out.data);
    if (key == "binaryData")
      return read(r, val, out.binary_data);
    if (key == "immutable")
      return read(r, val, out.immutable);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, secret& out) {
  return read_resource(r, v, out, [&](std::string_view key, od::value val) {
    if (key == "data")
      return read(r, val, out.data);
    if (key == "type")
      return read(r, val, out.type_);
    if (key == "immutable")
      return read(r, val, out.immutable);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, service_port& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "name")
      return read(r, val, out.name);
    if (key == "protocol")
      return read(r, val, out.protocol);
    if (key == "port")
      return read(r, val, out.port);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, service& out) {
  return read_resource(r, v, out, [&](std::string_view key, od::value val) {
    if (key != "spec")
      return simdjson::SUCCESS;
    return read_object(r, val, [&](std::string_view k, od::value x) {
      if (k == "clusterIP")
        return read(r, x, out.cluster_ip);
      if (k == "ports")
        return read(r, x, out.ports);
      return simdjson::SUCCESS;
    });
  });
}

error_code read(reader& r, od::value v, status_cause& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "reason")
      return read(r, val, out.reason);
    if (key == "message")
      return read(r, val, out.message);
    if (key == "field")
      return read(r, val, out.field);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, status_details& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "name")
      return read(r, val, out.name);
    if (key == "group")
      return read(r, val, out.group);
    if (key == "kind")
      return read(r, val, out.kind);
    if (key == "uid")
      return read(r, val, out.uid);
    if (key == "causes")
      return read(r, val, out.causes);
    if (key == "retryAfterSeconds")
      return read(r, val, out.retry_after_seconds);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, status& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "kind") {
      std::string kind;
      if (auto ec = read(r, val, kind))
        return ec;
      return r.check_kind(kind);
    }
    if (key == "status")
      return read(r, val, out.status_);
    if (key == "message")
      return read(r, val, out.message);
    if (key == "reason")
      return read(r, val, out.reason);
    if (key == "code")
      return read(r, val, out.code);
    if (key == "details")
      return read(r, val, out.details);
    return simdjson::SUCCESS;
  });
}

} // namespace cafelet::k8s::detail

namespace cafelet::k8s {

caf::expected<event_ptr> decode_event(std::string_view json) {
  return detail::decode_object<event>(json);
}

caf::expected<config_map_ptr> decode_config_map(std::string_view json) {
  return detail::decode_object<config_map>(json);
}

caf::expected<secret_ptr> decode_secret(std::string_view json) {
  return detail::decode_object<secret>(json);
}

caf::expected<status_ptr> decode_status(std::string_view json) {
  return detail::decode_object<status>(json);
}

} // namespace cafelet::k8s
