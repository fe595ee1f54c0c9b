// Decoding of v1.Volume and its supported sources.
#include "messages/k8s/decode_pod.hpp"

namespace cafelet::k8s::detail {

error_code read(reader& r, od::value v, key_to_path& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "key")
      return read(r, val, out.key);
    if (key == "path")
      return read(r, val, out.path);
    if (key == "mode")
      return read(r, val, out.mode);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, empty_dir_volume& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "medium")
      return read(r, val, out.medium);
    if (key == "sizeLimit")
      return read(r, val, out.size_limit);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, host_path_volume& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "path")
      return read(r, val, out.path);
    if (key == "type")
      return read(r, val, out.type);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, config_map_volume& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "name")
      return read(r, val, out.name);
    if (key == "items")
      return read(r, val, out.items);
    if (key == "defaultMode")
      return read(r, val, out.default_mode);
    if (key == "optional")
      return read(r, val, out.optional);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, secret_volume& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "secretName")
      return read(r, val, out.secret_name);
    if (key == "items")
      return read(r, val, out.items);
    if (key == "defaultMode")
      return read(r, val, out.default_mode);
    if (key == "optional")
      return read(r, val, out.optional);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, downward_api_file& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "path")
      return read(r, val, out.path);
    if (key == "fieldRef")
      return read(r, val, out.field_ref);
    if (key == "resourceFieldRef")
      return read(r, val, out.resource_field_ref);
    if (key == "mode")
      return read(r, val, out.mode);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, downward_api_volume& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "items")
      return read(r, val, out.items);
    if (key == "defaultMode")
      return read(r, val, out.default_mode);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, object_projection& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "name")
      return read(r, val, out.name);
    if (key == "items")
      return read(r, val, out.items);
    if (key == "optional")
      return read(r, val, out.optional);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v,
                service_account_token_projection& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "audience")
      return read(r, val, out.audience);
    if (key == "expirationSeconds")
      return read(r, val, out.expiration_seconds);
    if (key == "path")
      return read(r, val, out.path);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, volume_projection& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "configMap")
      return read(r, val, out.config_map);
    if (key == "secret")
      return read(r, val, out.secret);
    if (key == "downwardAPI")
      return read(r, val, out.downward_api);
    if (key == "serviceAccountToken")
      return read(r, val, out.service_account_token);
    if (out.unsupported.empty())
      out.unsupported = key;
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, projected_volume& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "sources")
      return read(r, val, out.sources);
    if (key == "defaultMode")
      return read(r, val, out.default_mode);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, volume& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "name")
      return read(r, val, out.name);
    if (key == "emptyDir")
      return read(r, val, out.empty_dir);
    if (key == "hostPath")
      return read(r, val, out.host_path);
    if (key == "configMap")
      return read(r, val, out.config_map);
    if (key == "secret")
      return read(r, val, out.secret);
    if (key == "downwardAPI")
      return read(r, val, out.downward_api);
    if (key == "projected")
      return read(r, val, out.projected);
    // Any other member is a volume source kind cafelet does not support.
    bool is_null = false;
    if (auto ec = check_null(r, val, is_null))
      return ec;
    if (!is_null && out.unsupported.empty())
      out.unsupported = key;
    return simdjson::SUCCESS;
  });
}

} // namespace cafelet::k8s::detail
