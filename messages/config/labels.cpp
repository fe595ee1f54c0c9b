#include "messages/config/labels.hpp"

#include "messages/errors.hpp"

#include <algorithm>
#include <set>

namespace cafelet::config {

namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9');
}

/// [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?
bool is_name_token(std::string_view s) {
  if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back()))
    return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return is_alnum(c) || c == '-' || c == '_' || c == '.';
  });
}

std::string_view trim(std::string_view s) {
  auto blank = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  };
  while (!s.empty() && blank(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && blank(s.back()))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    auto pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

caf::error flag_error(std::string msg) {
  return make_error(errc::invalid_flag, std::move(msg));
}

constexpr std::string_view name_rule
  = "must consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character";

bool ends_with_domain(std::string_view ns, std::string_view domain) {
  if (ns == domain)
    return true;
  return ns.size() > domain.size() && ns.ends_with(domain)
         && ns[ns.size() - domain.size() - 1] == '.';
}

} // namespace

std::optional<std::string> check_dns1123_subdomain(std::string_view name) {
  if (name.empty())
    return "must not be empty";
  if (name.size() > 253)
    return "must be no more than 253 characters";
  for (auto label : split(name, '.')) {
    auto lower_alnum = [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    };
    bool ok = !label.empty() && lower_alnum(label.front())
              && lower_alnum(label.back())
              && std::all_of(label.begin(), label.end(), [&](char c) {
                   return lower_alnum(c) || c == '-';
                 });
    if (!ok)
      return "a lowercase RFC 1123 subdomain must consist of lower case "
             "alphanumeric characters, '-' or '.', and must start and end "
             "with an alphanumeric character";
  }
  return std::nullopt;
}

std::optional<std::string> check_qualified_name(std::string_view key) {
  auto parts = split(key, '/');
  if (parts.size() > 2)
    return "a qualified name must be a name with an optional DNS subdomain "
           "prefix and '/' (e.g. 'example.com/MyName')";
  auto name = parts.back();
  if (parts.size() == 2) {
    if (parts[0].empty())
      return "prefix part must be non-empty";
    if (auto why = check_dns1123_subdomain(parts[0]))
      return "prefix part " + *why;
  }
  if (name.empty())
    return "name part must be non-empty";
  if (name.size() > 63)
    return "name part must be no more than 63 characters";
  if (!is_name_token(name))
    return "name part " + std::string{name_rule};
  return std::nullopt;
}

std::optional<std::string> check_label_value(std::string_view value) {
  if (value.empty())
    return std::nullopt;
  if (value.size() > 63)
    return "must be no more than 63 characters";
  if (!is_name_token(value))
    return "a valid label value must be an empty string or "
           + std::string{name_rule};
  return std::nullopt;
}

caf::expected<taint> parse_taint(std::string_view spec) {
  auto bad = [&](std::string why) {
    return flag_error("invalid taint \"" + std::string{spec} + "\": " + why);
  };
  auto parts = split(spec, ':');
  if (parts.size() != 2)
    return bad("expected key=value:Effect or key:Effect");
  auto effect = parse_taint_effect(parts[1]);
  if (!effect)
    return bad("effect \"" + std::string{parts[1]}
               + "\" is not one of NoSchedule, PreferNoSchedule, NoExecute");
  auto kv = split(parts[0], '=');
  if (kv.size() > 2)
    return bad("expected key=value:Effect or key:Effect");
  taint result;
  result.key = std::string{kv[0]};
  result.effect = *effect;
  if (auto why = check_qualified_name(result.key))
    return bad("key: " + *why);
  if (kv.size() == 2) {
    result.value = std::string{kv[1]};
    if (auto why = check_label_value(result.value))
      return bad("value: " + *why);
  }
  return result;
}

caf::expected<std::vector<taint>> parse_taints(std::string_view spec) {
  std::vector<taint> result;
  if (spec.empty())
    return result;
  for (auto item : split(spec, ',')) {
    auto t = parse_taint(item);
    if (!t)
      return t.error();
    for (const auto& other : result)
      if (other.key == t->key && other.effect == t->effect)
        return flag_error("duplicated taints with the same key and effect: "
                          + to_string(*t));
    result.push_back(std::move(*t));
  }
  return result;
}

caf::expected<std::map<std::string, std::string>>
parse_labels(std::string_view spec) {
  std::map<std::string, std::string> result;
  if (trim(spec).empty())
    return result;
  for (auto item : split(spec, ',')) {
    auto eq = item.find('=');
    if (eq == std::string_view::npos)
      return flag_error("malformed pair \"" + std::string{item}
                        + "\", expected key=value");
    auto key = std::string{trim(item.substr(0, eq))};
    auto value = std::string{trim(item.substr(eq + 1))};
    if (auto why = check_qualified_name(key))
      return flag_error("invalid label key \"" + key + "\": " + *why);
    if (auto why = check_label_value(value))
      return flag_error("invalid value \"" + value + "\" of label \"" + key
                        + "\": " + *why);
    result[key] = value;
  }
  return result;
}

std::optional<std::string>
check_node_label_namespaces(const std::map<std::string, std::string>& labels) {
  static const std::set<std::string_view> allowed_keys = {
    "kubernetes.io/hostname",
    "kubernetes.io/os",
    "kubernetes.io/arch",
    "beta.kubernetes.io/os",
    "beta.kubernetes.io/arch",
    "beta.kubernetes.io/instance-type",
    "node.kubernetes.io/instance-type",
    "topology.kubernetes.io/zone",
    "topology.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region",
  };
  std::string unknown;
  for (const auto& [key, value] : labels) {
    auto slash = key.find('/');
    if (slash == std::string::npos)
      continue;
    auto ns = std::string_view{key}.substr(0, slash);
    bool kubernetes = ends_with_domain(ns, "kubernetes.io")
                      || ends_with_domain(ns, "k8s.io");
    if (!kubernetes || allowed_keys.count(key) > 0
        || ends_with_domain(ns, "kubelet.kubernetes.io")
        || ends_with_domain(ns, "node.kubernetes.io"))
      continue;
    if (!unknown.empty())
      unknown += ", ";
    unknown += key;
  }
  if (unknown.empty())
    return std::nullopt;
  return "unknown 'kubernetes.io' or 'k8s.io' labels: " + unknown
         + "; labels in these namespaces must begin with an allowed prefix "
           "(kubelet.kubernetes.io, node.kubernetes.io) or be in the "
           "specifically allowed set (kubernetes.io/hostname, "
           "kubernetes.io/os, kubernetes.io/arch, "
           "node.kubernetes.io/instance-type, topology.kubernetes.io/zone, "
           "topology.kubernetes.io/region and their beta forms)";
}

} // namespace cafelet::config
