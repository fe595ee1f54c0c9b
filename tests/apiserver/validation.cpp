#include "tests/apiserver/validation.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <set>
#include <string>

namespace cafelet::apiserver {

namespace {

constexpr std::string_view subdomain_msg
  = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
    "characters, '-' or '.', and must start and end with an alphanumeric "
    "character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

constexpr std::string_view label_msg
  = "a lowercase RFC 1123 label must consist of lower case alphanumeric "
    "characters or '-', and must start and end with an alphanumeric "
    "character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

constexpr std::string_view ip_msg
  = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";

constexpr std::string_view immutable_msg = "field is immutable";

bool is_alnum_lower(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool is_dns_label(std::string_view s) {
  if (s.empty() || s.size() > 63)
    return false;
  if (!is_alnum_lower(s.front()) || !is_alnum_lower(s.back()))
    return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return is_alnum_lower(c) || c == '-'; });
}

bool is_dns_subdomain(std::string_view s) {
  if (s.empty() || s.size() > 253)
    return false;
  size_t start = 0;
  while (start <= s.size()) {
    auto dot = s.find('.', start);
    auto part = s.substr(start, dot == std::string_view::npos
                                  ? std::string_view::npos
                                  : dot - start);
    if (part.empty() || !is_alnum_lower(part.front())
        || !is_alnum_lower(part.back())
        || !std::all_of(part.begin(), part.end(), [](char c) {
             return is_alnum_lower(c) || c == '-';
           }))
      return false;
    if (dot == std::string_view::npos)
      break;
    start = dot + 1;
  }
  return true;
}

bool is_config_key(std::string_view s) {
  if (s.empty() || s.size() > 253 || s == "." || s == ".." || s.starts_with(".."))
    return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

bool is_label_value(std::string_view s) {
  if (s.empty())
    return true;
  if (s.size() > 63)
    return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9');
  };
  if (!alnum(s.front()) || !alnum(s.back()))
    return false;
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return alnum(c) || c == '-' || c == '_' || c == '.';
  });
}

bool is_qualified_name(std::string_view s) {
  auto slash = s.find('/');
  auto name = s;
  if (slash != std::string_view::npos) {
    if (!is_dns_subdomain(s.substr(0, slash)))
      return false;
    name = s.substr(slash + 1);
  }
  return !name.empty() && is_label_value(name);
}

using errs = std::vector<field_error>;

std::string str(const json::value& obj, std::initializer_list<std::string_view> path) {
  const auto* v = obj.find_path(path);
  return v && v->is_string() ? v->as_string() : std::string{};
}

void validate_meta(std::string_view kind, const json::value& obj, errs& out) {
  auto name = str(obj, {"metadata", "name"});
  auto generate = str(obj, {"metadata", "generateName"});
  if (name.empty() && generate.empty()) {
    out.push_back(field_error::required("metadata.name",
                                        "name or generateName is required"));
  } else if (!name.empty()) {
    bool ok = kind == "Namespace" ? is_dns_label(name)
              : kind == "Event"   ? !name.empty()
                                  : is_dns_subdomain(name);
    if (!ok)
      out.push_back(field_error::invalid(
        "metadata.name", name,
        std::string{kind == "Namespace" ? label_msg : subdomain_msg}));
  }
  if (const auto* labels = obj.find_path({"metadata", "labels"});
      labels && labels->is_object()) {
    for (const auto& [key, value] : labels->as_object()) {
      if (!is_qualified_name(key))
        out.push_back(field_error::invalid(
          "metadata.labels", key,
          "name part must consist of alphanumeric characters, '-', '_' or "
          "'.', and must start and end with an alphanumeric character (e.g. "
          "'MyName',  or 'my.name',  or '123-abc', regex used for validation "
          "is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"));
      if (value.is_string() && !is_label_value(value.as_string()))
        out.push_back(field_error::invalid(
          "metadata.labels", value.as_string(),
          "a valid label must be an empty string or consist of alphanumeric "
          "characters, '-', '_' or '.', and must start and end with an "
          "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
          "'12345', regex used for validation is "
          "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"));
    }
  }
}

void validate_meta_update(const json::value& obj, const json::value& old,
                          errs& out) {
  auto check = [&](std::string_view key) {
    auto now = str(obj, {"metadata", key});
    auto before = str(old, {"metadata", key});
    if (now != before)
      out.push_back(field_error::invalid("metadata." + std::string{key}, now,
                                         std::string{immutable_msg}));
  };
  check("name");
  check("namespace");
  check("uid");
}

void validate_ips(const json::value& obj, std::string_view list,
                  errs& out) {
  const auto* ips = obj.find_path({"status", list});
  if (ips == nullptr || !ips->is_array())
    return;
  std::set<std::string> seen;
  size_t i = 0;
  for (const auto& entry : ips->as_array()) {
    auto ip = entry.get_string("ip");
    auto field = "status." + std::string{list} + "[" + std::to_string(i) + "]";
    if (!is_valid_ip(ip))
      out.push_back(field_error::invalid(field, ip, std::string{ip_msg}));
    else if (!seen.insert(ip).second)
      out.push_back(field_error::duplicate(field, ip));
    ++i;
  }
}

void validate_pod_spec(const json::value& pod, errs& out) {
  const auto* spec = pod.find("spec");
  const auto* containers = spec ? spec->find("containers") : nullptr;
  if (containers == nullptr || !containers->is_array()
      || containers->as_array().empty()) {
    out.push_back(field_error::required("spec.containers"));
  }
  std::set<std::string> names;
  std::set<std::string> volumes;
  if (const auto* vols = spec ? spec->find("volumes") : nullptr;
      vols && vols->is_array()) {
    size_t i = 0;
    for (const auto& v : vols->as_array()) {
      auto name = v.get_string("name");
      auto field = "spec.volumes[" + std::to_string(i++) + "].name";
      if (name.empty())
        out.push_back(field_error::required(field));
      else if (!is_dns_label(name))
        out.push_back(field_error::invalid(field, name, std::string{label_msg}));
      else if (!volumes.insert(name).second)
        out.push_back(field_error::duplicate(field, name));
    }
  }
  for (auto key : {"initContainers", "containers"}) {
    const auto* list = spec ? spec->find(key) : nullptr;
    if (list == nullptr || !list->is_array())
      continue;
    size_t i = 0;
    for (const auto& c : list->as_array()) {
      auto base = "spec." + std::string{key} + "[" + std::to_string(i++) + "]";
      auto name = c.get_string("name");
      if (name.empty())
        out.push_back(field_error::required(base + ".name"));
      else if (!is_dns_label(name))
        out.push_back(field_error::invalid(base + ".name", name,
                                           std::string{label_msg}));
      else if (!names.insert(name).second)
        out.push_back(field_error::duplicate(base + ".name", name));
      if (c.get_string("image").empty())
        out.push_back(field_error::required(base + ".image"));
      auto pull = c.get_string("imagePullPolicy");
      if (!pull.empty() && pull != "Always" && pull != "IfNotPresent"
          && pull != "Never")
        out.push_back(field_error::not_supported(
          base + ".imagePullPolicy", pull, {"Always", "IfNotPresent", "Never"}));
      if (const auto* mounts = c.find("volumeMounts"); mounts && mounts->is_array()) {
        size_t j = 0;
        for (const auto& m : mounts->as_array()) {
          auto mname = m.get_string("name");
          auto field = base + ".volumeMounts[" + std::to_string(j++) + "].name";
          if (!mname.empty() && volumes.count(mname) == 0)
            out.push_back(field_error::not_found(field, mname));
        }
      }
    }
  }
  if (spec) {
    auto rp = spec->get_string("restartPolicy");
    if (!rp.empty() && rp != "Always" && rp != "OnFailure" && rp != "Never")
      out.push_back(field_error::not_supported(
        "spec.restartPolicy", rp, {"Always", "OnFailure", "Never"}));
    auto dns = spec->get_string("dnsPolicy");
    if (!dns.empty() && dns != "ClusterFirstWithHostNet"
        && dns != "ClusterFirst" && dns != "Default" && dns != "None")
      out.push_back(field_error::not_supported(
        "spec.dnsPolicy", dns,
        {"ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"}));
  }
}

void validate_pod_spec_update(const json::value& obj, const json::value& old,
                              errs& out) {
  // Only images, activeDeadlineSeconds, tolerations (additions) and
  // terminationGracePeriodSeconds may change.
  json::value a = obj.find("spec") ? *obj.find("spec") : json::value{};
  json::value b = old.find("spec") ? *old.find("spec") : json::value{};
  for (auto* s : {&a, &b}) {
    for (auto key : {"containers", "initContainers"})
      if (auto* list = s->find(key); list && list->is_array())
        for (auto& c : list->as_array())
          c.erase("image");
    s->erase("activeDeadlineSeconds");
    s->erase("tolerations");
    s->erase("terminationGracePeriodSeconds");
  }
  if (!(a == b))
    out.push_back(field_error::forbidden(
      "spec",
      "pod updates may not change fields other than "
      "`spec.containers[*].image`,`spec.initContainers[*].image`,"
      "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "
      "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it "
      "to be set to 1 if it was previously negative)"));
}

void validate_lease(const json::value& obj, errs& out) {
  const auto* spec = obj.find("spec");
  if (spec == nullptr)
    return;
  if (const auto* d = spec->find("leaseDurationSeconds"); d && d->is_int()
                                                          && d->as_int() <= 0)
    out.push_back(field_error::invalid_raw("spec.leaseDurationSeconds",
                                           std::to_string(d->as_int()),
                                           "must be greater than 0"));
  if (const auto* t = spec->find("leaseTransitions"); t && t->is_int()
                                                      && t->as_int() < 0)
    out.push_back(field_error::invalid_raw("spec.leaseTransitions",
                                           std::to_string(t->as_int()),
                                           "must be greater than or equal to 0"));
}

void validate_event(const json::value& obj, errs& out) {
  auto ns = str(obj, {"metadata", "namespace"});
  auto involved = str(obj, {"involvedObject", "namespace"});
  if (!involved.empty() && involved != ns)
    out.push_back(field_error::invalid("involvedObject.namespace", involved,
                                       "does not match event.namespace"));
}

void validate_configmap(const json::value& obj, errs& out) {
  for (auto key : {"data", "binaryData"}) {
    const auto* data = obj.find(key);
    if (data == nullptr || !data->is_object())
      continue;
    for (const auto& [k, v] : data->as_object())
      if (!is_config_key(k))
        out.push_back(field_error::invalid(
          std::string{key} + "[" + k + "]", k,
          "a valid config key must consist of alphanumeric characters, '-', "
          "'_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', "
          "regex used for validation is '[-._a-zA-Z0-9]+')"));
  }
}

void validate_kind(std::string_view kind, const json::value& obj, errs& out) {
  if (kind == "Pod") {
    validate_pod_spec(obj, out);
    validate_ips(obj, "podIPs", out);
    validate_ips(obj, "hostIPs", out);
  } else if (kind == "Lease") {
    validate_lease(obj, out);
  } else if (kind == "Event") {
    validate_event(obj, out);
  } else if (kind == "ConfigMap" || kind == "Secret") {
    validate_configmap(obj, out);
  }
}

} // namespace

bool is_valid_ip(std::string_view s) {
  std::string str{s};
  unsigned char buf[16];
  if (inet_pton(AF_INET, str.c_str(), buf) == 1) {
    // Go rejects IPv4 octets with leading zeros.
    size_t start = 0;
    while (start < str.size()) {
      auto dot = str.find('.', start);
      auto part = str.substr(start, dot == std::string::npos ? std::string::npos
                                                              : dot - start);
      if (part.size() > 1 && part[0] == '0')
        return false;
      if (dot == std::string::npos)
        break;
      start = dot + 1;
    }
    return true;
  }
  return inet_pton(AF_INET6, str.c_str(), buf) == 1;
}

std::vector<field_error> validate_create(std::string_view kind,
                                         const json::value& obj) {
  errs out;
  validate_meta(kind, obj, out);
  validate_kind(kind, obj, out);
  return out;
}

std::vector<field_error> validate_update(std::string_view kind,
                                         std::string_view subresource,
                                         const json::value& obj,
                                         const json::value& old) {
  errs out;
  // The generic check of the registry and the strategy's own check both
  // validate immutable metadata, so each such error appears twice.
  validate_meta_update(obj, old, out);
  validate_meta_update(obj, old, out);
  validate_meta(kind, obj, out);
  if (kind == "Pod") {
    if (subresource == "status") {
      validate_ips(obj, "podIPs", out);
      validate_ips(obj, "hostIPs", out);
    } else {
      validate_pod_spec_update(obj, old, out);
    }
  } else {
    validate_kind(kind, obj, out);
  }
  return out;
}

} // namespace cafelet::apiserver
