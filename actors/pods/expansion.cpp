#include "actors/pods/expansion.hpp"

#include "messages/text.hpp"

#include "actors/pods/qos.hpp"
#include "messages/errors.hpp"
#include "messages/units/quantity.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

namespace cafelet::actors::pods {

using text::go_quote;
using text::join;

namespace {

/// Ordered variables with by-name access; a redefinition updates in place.
class env_builder {
public:
  void set(const std::string& name, std::string value) {
    auto i = index_.find(name);
    if (i == index_.end()) {
      index_.emplace(name, vars_.size());
      vars_.emplace_back(name, std::move(value));
    } else {
      vars_[i->second].second = std::move(value);
    }
  }

  bool contains(std::string_view name) const {
    return index_.find(name) != index_.end();
  }

  const std::string* find(std::string_view name) const {
    auto i = index_.find(name);
    return i == index_.end() ? nullptr : &vars_[i->second].second;
  }

  env_list release() {
    return std::move(vars_);
  }

private:
  env_list vars_;
  std::map<std::string, size_t, std::less<>> index_;
};

const std::string* find_last(const env_list& env, std::string_view name) {
  for (auto i = env.rbegin(); i != env.rend(); ++i)
    if (i->first == name)
      return &i->second;
  return nullptr;
}

caf::error invalid(std::string msg) {
  return make_error(errc::invalid, std::move(msg));
}

const k8s::string_map* lookup(const data_lookup& f, std::string_view name) {
  return f ? f(name) : nullptr;
}

/// Upstream `FormatMap`: sorted `k="v"` lines.
std::string format_map(const k8s::string_map& m) {
  std::string out;
  for (const auto& [k, v] : m) {
    if (!out.empty())
      out += '\n';
    out += k + "=" + go_quote(v);
  }
  return out;
}
/// Splits "path['key']" into path and key.
bool split_subscript(std::string_view s, std::string_view& path,
                     std::string_view& key) {
  if (!s.ends_with("']"))
    return false;
  auto open = s.find("['");
  if (open == std::string_view::npos || open + 2 > s.size() - 2)
    return false;
  path = s.substr(0, open);
  key = s.substr(open + 2, s.size() - 2 - (open + 2));
  return true;
}

/// Ceiling of a / b for b > 0.
int64_t ceil_div(int64_t a, int64_t b) {
  auto q = a / b;
  return (a % b != 0 && a > 0) ? q + 1 : q;
}

/// Adds an envFrom source's data.
void add_env_from(const k8s::pod& pod, const k8s::env_from_source& src,
                  const k8s::string_map& data, std::string_view kind,
                  const std::string& name, env_builder& env,
                  std::vector<std::string>& warnings) {
  std::vector<std::string> invalid_keys;
  for (const auto& [key, value] : data) {
    auto k = src.prefix + key;
    if (!is_env_var_name(k)) {
      invalid_keys.push_back(std::move(k));
      continue;
    }
    env.set(k, value);
  }
  if (invalid_keys.empty())
    return;
  std::sort(invalid_keys.begin(), invalid_keys.end());
  std::string msg = "Keys [" + join(invalid_keys, ", ") + "] from the EnvFrom ";
  msg += kind;
  msg += " " + pod.metadata.namespace_ + "/" + name
         + " were skipped since they are considered invalid environment "
           "variable names.";
  warnings.push_back(std::move(msg));
}

/// Resolves a configMapKeyRef / secretKeyRef; nullopt: optional and absent.
caf::expected<std::optional<std::string>>
key_ref_value(const k8s::pod& pod, const k8s::key_selector& ref,
              const data_lookup& f, std::string_view kind,
              std::string_view title) {
  bool optional = ref.optional.value_or(false);
  const auto* data = lookup(f, ref.name);
  if (!data) {
    if (optional)
      return std::optional<std::string>{};
    return invalid(std::string{kind} + " \"" + ref.name + "\" not found");
  }
  auto i = data->find(ref.key);
  if (i == data->end()) {
    if (optional)
      return std::optional<std::string>{};
    return invalid("couldn't find key " + ref.key + " in " + std::string{title}
                   + " " + pod.metadata.namespace_ + "/" + ref.name);
  }
  return std::optional<std::string>{i->second};
}

} // namespace

std::string expand(std::string_view in, const var_lookup& lookup) {
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    if (in[i] != '$' || i + 1 >= in.size()) {
      out += in[i++];
      continue;
    }
    auto next = in[i + 1];
    if (next == '$') {
      out += '$';
      i += 2;
    } else if (next == '(') {
      auto close = in.find(')', i + 2);
      if (close == std::string_view::npos) {
        out += "$(";
        i += 2;
        continue;
      }
      auto name = in.substr(i + 2, close - i - 2);
      auto value = lookup ? lookup(name) : std::nullopt;
      if (value) {
        out += *value;
      } else {
        out += "$(";
        out += name;
        out += ')';
      }
      i = close + 1;
    } else {
      out += '$';
      out += next;
      i += 2;
    }
  }
  return out;
}

std::string expand(std::string_view input, const env_list& env) {
  return expand(input, [&env](std::string_view name) {
    const auto* v = find_last(env, name);
    return v ? std::optional<std::string>{*v} : std::nullopt;
  });
}

bool is_env_var_name(std::string_view name) noexcept {
  if (name.empty())
    return false;
  auto ok = [](char c, bool first) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'
        || c == '.' || c == '_')
      return true;
    return !first && c >= '0' && c <= '9';
  };
  for (size_t i = 0; i < name.size(); ++i)
    if (!ok(name[i], i == 0))
      return false;
  return true;
}

caf::expected<environment> make_environment(const k8s::pod& pod,
                                            const k8s::container& c,
                                            const env_inputs& in) {
  environment result;
  env_builder env;
  for (const auto& src : c.env_from) {
    const k8s::env_source_ref* ref = nullptr;
    const data_lookup* f = nullptr;
    std::string_view kind;
    if (src.config_map_ref) {
      ref = &*src.config_map_ref;
      f = &in.config_map;
      kind = "configmap";
    } else if (src.secret_ref) {
      ref = &*src.secret_ref;
      f = &in.secret;
      kind = "secret";
    } else {
      continue;
    }
    const auto* data = lookup(*f, ref->name);
    if (!data) {
      if (ref->optional.value_or(false))
        continue;
      return invalid(std::string{kind} + " \"" + ref->name + "\" not found");
    }
    add_env_from(pod, src, *data, kind == "configmap" ? "configMap" : "secret",
                 ref->name, env, result.warnings);
  }
  auto mapping = [&](std::string_view name) -> std::optional<std::string> {
    if (const auto* v = env.find(name))
      return *v;
    if (const auto* v = find_last(in.service_env, name))
      return *v;
    return std::nullopt;
  };
  for (const auto& var : c.env) {
    if (!var.value.empty() || !var.value_from) {
      env.set(var.name, expand(var.value, mapping));
      continue;
    }
    const auto& from = *var.value_from;
    if (from.field_ref) {
      auto v = field_ref_value(pod, *from.field_ref, in.pod_ips, in.host_ips);
      if (!v)
        return v.error();
      env.set(var.name, std::move(*v));
    } else if (from.resource_field_ref) {
      const auto* target = &c;
      const auto& wanted = from.resource_field_ref->container_name;
      if (!wanted.empty() && wanted != c.name) {
        for (const auto* xs : {&pod.spec.containers, &pod.spec.init_containers})
          for (const auto& other : *xs)
            if (other.name == wanted)
              target = &other;
      }
      auto v = resource_field_value(*target, *from.resource_field_ref,
                                    in.node_allocatable);
      if (!v)
        return v.error();
      env.set(var.name, std::move(*v));
    } else if (from.config_map_key_ref || from.secret_key_ref) {
      auto v = from.config_map_key_ref
                 ? key_ref_value(pod, *from.config_map_key_ref, in.config_map,
                                 "configmap", "ConfigMap")
                 : key_ref_value(pod, *from.secret_key_ref, in.secret,
                                 "secret", "Secret");
      if (!v)
        return v.error();
      if (*v)
        env.set(var.name, std::move(**v));
    } else {
      env.set(var.name, {});
    }
  }
  for (const auto& [name, value] : in.service_env)
    if (!env.contains(name))
      env.set(name, value);
  result.vars = env.release();
  return result;
}

command_line expand_command(const k8s::container& c, const env_list& env) {
  command_line result;
  for (const auto& x : c.command)
    result.command.push_back(expand(x, env));
  for (const auto& x : c.args)
    result.args.push_back(expand(x, env));
  return result;
}

caf::expected<std::string> expand_sub_path(std::string_view expr,
                                           const env_list& env) {
  std::set<std::string> missing;
  auto out = expand(expr, [&](std::string_view name) {
    const auto* v = find_last(env, name);
    if (!v || v->empty()) {
      missing.emplace(name);
      return std::optional<std::string>{std::string{}};
    }
    return std::optional<std::string>{*v};
  });
  if (!missing.empty())
    return invalid("missing value for "
                   + join(std::vector<std::string>(missing.begin(),
                                                   missing.end()),
                          ", "));
  return out;
}

caf::expected<std::string>
field_ref_value(const k8s::pod& pod, const k8s::object_field_selector& fs,
                const std::vector<std::string>& pod_ips,
                const std::vector<std::string>& host_ips) {
  if (!fs.api_version.empty() && fs.api_version != "v1")
    return invalid("unsupported pod version: " + fs.api_version);
  const auto& path = fs.field_path;
  const auto& meta = pod.metadata;
  std::string_view base;
  std::string_view key;
  if (split_subscript(path, base, key)) {
    const k8s::string_map* m = nullptr;
    if (base == "metadata.annotations")
      m = &meta.annotations;
    else if (base == "metadata.labels")
      m = &meta.labels;
    else
      return invalid("fieldPath \"" + path + "\" does not support subscript");
    auto i = m->find(key);
    return i == m->end() ? std::string{} : i->second;
  }
  if (path == "spec.nodeName")
    return pod.spec.node_name;
  if (path == "spec.serviceAccountName")
    return pod.spec.service_account_name;
  if (path == "status.hostIP")
    return host_ips.empty() ? std::string{} : host_ips.front();
  if (path == "status.hostIPs")
    return join(host_ips, ",");
  if (path == "status.podIP")
    return pod_ips.empty() ? std::string{} : pod_ips.front();
  if (path == "status.podIPs")
    return join(pod_ips, ",");
  if (path == "metadata.annotations")
    return format_map(meta.annotations);
  if (path == "metadata.labels")
    return format_map(meta.labels);
  if (path == "metadata.name")
    return meta.name;
  if (path == "metadata.namespace")
    return meta.namespace_;
  if (path == "metadata.uid")
    return meta.uid;
  return invalid("unsupported fieldPath: " + path);
}

caf::expected<std::string>
resource_field_value(const k8s::container& c,
                     const k8s::resource_field_selector& fs,
                     const k8s::resource_list& node_allocatable) {
  std::string_view res = fs.resource;
  bool limits = res.starts_with("limits.");
  if (!limits && !res.starts_with("requests."))
    return invalid("unsupported container resource : " + fs.resource);
  auto name = res.substr(limits ? 7 : 9);
  bool cpu = name == "cpu";
  bool defaultable = cpu || name == "memory" || name == "ephemeral-storage";
  if (!defaultable && !name.starts_with("hugepages-"))
    return invalid("unsupported container resource : " + fs.resource);
  units::quantity divisor = units::quantity::from_value(1);
  if (!fs.divisor.empty()) {
    auto d = units::parse_quantity(fs.divisor);
    if (!d)
      return invalid("invalid divisor \"" + fs.divisor + "\" for "
                     + fs.resource);
    if (!d->is_zero())
      divisor = *d;
  }
  // The value: the limit (node allocatable if unset or zero) or request.
  units::quantity value;
  auto requests = effective_requests(c.resources);
  const auto& list = limits ? c.resources.limits : requests;
  const std::string* text = k8s::find(list, name);
  std::optional<units::quantity> parsed;
  if (text)
    if (auto q = units::parse_quantity(*text))
      parsed = *q;
  if (limits && defaultable && (!parsed || parsed->is_zero()))
    if (const auto* alloc = k8s::find(node_allocatable, name))
      if (auto q = units::parse_quantity(*alloc))
        parsed = *q;
  if (parsed)
    value = *parsed;
  int64_t num = cpu ? value.milli_value() : value.value();
  int64_t den = cpu ? divisor.milli_value() : divisor.value();
  if (den <= 0)
    return invalid("invalid divisor \"" + fs.divisor + "\" for "
                   + fs.resource);
  return std::to_string(ceil_div(num, den));
}

} // namespace cafelet::actors::pods
