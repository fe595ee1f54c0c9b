#include "actors/volumes/projection.hpp"

#include "actors/pods/expansion.hpp"
#include "messages/errors.hpp"
#include "net/client/base64.hpp"

#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace cafelet::actors::volumes {

namespace {

constexpr uint32_t default_file_mode = 0644;

/// Errors collected before failing, joined as Go's `utilerrors.Aggregate`.
class error_list {
public:
  void add(caf::error err) {
    errs_.push_back(std::move(err));
  }

  bool empty() const noexcept {
    return errs_.empty();
  }

  /// One error as is; several as "[a, b]" with duplicates dropped, carrying
  /// the first one's code.
  caf::error release() {
    if (errs_.size() == 1)
      return std::move(errs_.front());
    std::set<std::string> seen;
    std::string text;
    for (const auto& err : errs_) {
      auto msg = context_of(err);
      if (!seen.insert(msg).second)
        continue;
      if (!text.empty())
        text += ", ";
      text += msg;
    }
    if (seen.size() > 1)
      text = "[" + text + "]";
    return make_error(code_of(errs_.front()), std::move(text));
  }

private:
  std::vector<caf::error> errs_;
};

/// Checks a mode as the API server's validation does.
caf::expected<uint32_t> to_mode(std::optional<int32_t> mode,
                                uint32_t fallback) {
  if (!mode)
    return fallback;
  if (*mode < 0 || *mode > 0777)
    return make_error(errc::invalid,
                      "invalid file mode " + std::to_string(*mode)
                        + ": must be a number between 0 and 0777 (octal), "
                          "both inclusive");
  return static_cast<uint32_t>(*mode);
}

/// Wording of one object kind in upstream's messages.
struct kind_words {
  std::string_view kind; // "configmap"
  std::string_view key;  // "config"
};

constexpr kind_words config_map_words{"configmap", "config"};
constexpr kind_words secret_words{"secret", "secret"};

caf::error not_found(kind_words w, const std::string& name) {
  return make_error(errc::not_found,
                    std::string{w.kind} + " \"" + name + "\" not found");
}

/// Decodes base64 object data; `bad_response` names the object and key.
caf::error decode_into(const k8s::string_map& in, kind_words w,
                       const std::string& name, k8s::string_map& out) {
  for (const auto& [key, text] : in) {
    auto bytes = net::base64_decode(text, key);
    if (!bytes)
      return make_error(errc::bad_response,
                        std::string{w.kind} + " \"" + name + "\": key \"" + key
                          + "\" is not valid base64");
    out.insert_or_assign(key, std::move(*bytes));
  }
  return {};
}

/// Upstream `MakePayload` over an object's decoded contents.
caf::expected<payload> make_payload(const std::vector<k8s::key_to_path>& items,
                                    const k8s::string_map& contents,
                                    uint32_t default_mode, bool optional,
                                    kind_words w) {
  payload result;
  if (items.empty()) {
    for (const auto& [key, data] : contents)
      result.insert_or_assign(key, file_projection{data, default_mode});
    return result;
  }
  for (const auto& item : items) {
    auto i = contents.find(item.key);
    if (i == contents.end()) {
      if (optional)
        continue;
      return make_error(errc::invalid,
                        std::string{w.kind} + " references non-existent "
                          + std::string{w.key} + " key: " + item.key);
    }
    auto mode = to_mode(item.mode, default_mode);
    if (!mode)
      return mode.error();
    result.insert_or_assign(item.path, file_projection{i->second, *mode});
  }
  return result;
}

/// A ConfigMap's data and decoded binaryData (binaryData wins on a clash,
/// as upstream fills it last).
caf::expected<k8s::string_map> contents_of(const k8s::config_map& cm) {
  k8s::string_map out = cm.data;
  if (auto err = decode_into(cm.binary_data, config_map_words,
                             cm.metadata.name, out))
    return err;
  return out;
}

/// A Secret's decoded data.
caf::expected<k8s::string_map> contents_of(const k8s::secret& s) {
  k8s::string_map out;
  if (auto err = decode_into(s.data, secret_words, s.metadata.name, out))
    return err;
  return out;
}

/// The payload of one ConfigMap or Secret reference (`obj` may be null).
template <class Object>
caf::expected<payload> object_payload(const std::string& name,
                                      const std::vector<k8s::key_to_path>& items,
                                      uint32_t default_mode, bool optional,
                                      const Object* obj, kind_words w) {
  if (!obj) {
    if (optional)
      return payload{};
    return not_found(w, name);
  }
  auto contents = contents_of(*obj);
  if (!contents)
    return contents.error();
  return make_payload(items, *contents, default_mode, optional, w);
}

/// Go's `path.Clean`.
std::string clean_path(std::string_view p) {
  bool rooted = p.starts_with('/');
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (pos <= p.size()) {
    auto end = p.find('/', pos);
    if (end == std::string_view::npos)
      end = p.size();
    auto part = p.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty() || part == ".")
      continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..")
        parts.pop_back();
      else if (!rooted)
        parts.push_back(part);
      continue;
    }
    parts.push_back(part);
  }
  std::string out = rooted ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0)
      out += '/';
    out += parts[i];
  }
  return out.empty() ? "." : out;
}

const k8s::container* find_container(const k8s::pod& pod,
                                     std::string_view name) {
  for (const auto* xs : {&pod.spec.containers, &pod.spec.init_containers})
    for (const auto& c : *xs)
      if (c.name == name)
        return &c;
  return nullptr;
}

/// The value of one downwardAPI file (upstream `CollectData` per item).
caf::expected<std::string> downward_value(const k8s::downward_api_file& f,
                                          const k8s::pod& pod,
                                          const downward_inputs& in) {
  if (f.field_ref) {
    // The volume plugin's fieldpath.ExtractFieldPathAsString knows only
    // object metadata; the env-only fields (spec.*, status.*) are refused.
    if (!std::string_view{f.field_ref->field_path}.starts_with("metadata."))
      return make_error(errc::invalid,
                        "unsupported fieldPath: " + f.field_ref->field_path);
    return pods::field_ref_value(pod, *f.field_ref, {}, {});
  }
  if (f.resource_field_ref) {
    const auto& name = f.resource_field_ref->container_name;
    const auto* c = find_container(pod, name);
    if (!c)
      return make_error(errc::invalid, "container " + name + " not found");
    return pods::resource_field_value(*c, *f.resource_field_ref,
                                      in.node_allocatable);
  }
  return std::string{};
}

/// Upstream `CollectData`: every item, errors aggregated.
caf::expected<payload> collect_downward(
  const std::vector<k8s::downward_api_file>& items, const k8s::pod& pod,
  const downward_inputs& in, uint32_t default_mode) {
  payload result;
  error_list errs;
  for (const auto& item : items) {
    auto mode = to_mode(item.mode, default_mode);
    if (!mode) {
      errs.add(std::move(mode.error()));
      continue;
    }
    auto value = downward_value(item, pod, in);
    if (!value) {
      errs.add(make_error(code_of(value.error()),
                          "downwardAPI item \"" + item.path
                            + "\": " + context_of(value.error())));
      continue;
    }
    result.insert_or_assign(clean_path(item.path),
                            file_projection{std::move(*value), *mode});
  }
  if (!errs.empty())
    return errs.release();
  return result;
}

/// Upstream `FsUserFrom`: the user all init and app containers run as, if
/// they all set the same one.
std::optional<int64_t> common_run_as_user(const k8s::pod& pod) {
  std::optional<int64_t> pod_user;
  if (pod.spec.security_context)
    pod_user = pod.spec.security_context->run_as_user;
  std::optional<int64_t> user;
  for (const auto* xs : {&pod.spec.init_containers, &pod.spec.containers})
    for (const auto& c : *xs) {
      auto mine = pod_user;
      if (c.security_context && c.security_context->run_as_user)
        mine = c.security_context->run_as_user;
      if (!mine || (user && *user != *mine))
        return std::nullopt;
      user = mine;
    }
  return user;
}

template <class Object>
const Object* find_object(const std::map<std::string, const Object*>& xs,
                          const std::string& name) {
  auto i = xs.find(name);
  return i == xs.end() ? nullptr : i->second;
}

void merge(payload& into, payload&& from) {
  for (auto& [path, file] : from)
    into.insert_or_assign(path, std::move(file));
}

} // namespace

caf::expected<payload> config_map_payload(const k8s::config_map_volume& v,
                                          const k8s::config_map* cm) {
  auto mode = to_mode(v.default_mode, default_file_mode);
  if (!mode)
    return mode.error();
  return object_payload(v.name, v.items, *mode, v.optional.value_or(false), cm,
                        config_map_words);
}

caf::expected<payload> secret_payload(const k8s::secret_volume& v,
                                      const k8s::secret* s) {
  auto mode = to_mode(v.default_mode, default_file_mode);
  if (!mode)
    return mode.error();
  return object_payload(v.secret_name, v.items, *mode,
                        v.optional.value_or(false), s, secret_words);
}

caf::expected<payload> downward_payload(const k8s::downward_api_volume& v,
                                        const k8s::pod& pod,
                                        const downward_inputs& in) {
  auto mode = to_mode(v.default_mode, default_file_mode);
  if (!mode)
    return mode.error();
  return collect_downward(v.items, pod, in, *mode);
}

caf::expected<payload> projected_payload(const k8s::projected_volume& v,
                                         const k8s::pod& pod,
                                         const projected_inputs& in) {
  auto mode = to_mode(v.default_mode, default_file_mode);
  if (!mode)
    return mode.error();
  bool has_fs_group = pod.spec.security_context
                      && pod.spec.security_context->fs_group.has_value();
  uint32_t token_mode = (has_fs_group || common_run_as_user(pod)) ? 0600
                                                                  : *mode;
  payload result;
  error_list errs;
  auto take = [&](caf::expected<payload>&& part) {
    if (part)
      merge(result, std::move(*part));
    else
      errs.add(std::move(part.error()));
  };
  for (size_t i = 0; i < v.sources.size(); ++i) {
    const auto& src = v.sources[i];
    if (src.secret) {
      const auto& p = *src.secret;
      take(object_payload(p.name, p.items, *mode, p.optional.value_or(false),
                          find_object(in.secrets, p.name), secret_words));
    } else if (src.config_map) {
      const auto& p = *src.config_map;
      take(object_payload(p.name, p.items, *mode, p.optional.value_or(false),
                          find_object(in.config_maps, p.name),
                          config_map_words));
    } else if (src.downward_api) {
      take(collect_downward(src.downward_api->items, pod, in.downward, *mode));
    } else if (src.service_account_token) {
      auto t = in.tokens.find(i);
      if (t == in.tokens.end()) {
        errs.add(make_error(errc::not_ready,
                            "no service account token for projected source "
                              + std::to_string(i)));
        continue;
      }
      result.insert_or_assign(src.service_account_token->path,
                              file_projection{t->second, token_mode});
    } else if (!src.unsupported.empty()) {
      errs.add(make_error(errc::invalid, "projected volume source \""
                                           + src.unsupported
                                           + "\" is not supported"));
    }
  }
  if (!errs.empty())
    return errs.release();
  return result;
}

pod_references references_of(const k8s::pod& pod) {
  pod_references refs;
  auto add = [](std::set<std::string>& xs, const std::string& name) {
    if (!name.empty())
      xs.insert(name);
  };
  for (const auto& name : pod.spec.image_pull_secrets)
    add(refs.secrets, name);
  for (const auto* xs : {&pod.spec.init_containers, &pod.spec.containers})
    for (const auto& c : *xs) {
      for (const auto& src : c.env_from) {
        if (src.config_map_ref)
          add(refs.config_maps, src.config_map_ref->name);
        if (src.secret_ref)
          add(refs.secrets, src.secret_ref->name);
      }
      for (const auto& var : c.env) {
        if (!var.value_from)
          continue;
        if (var.value_from->config_map_key_ref)
          add(refs.config_maps, var.value_from->config_map_key_ref->name);
        if (var.value_from->secret_key_ref)
          add(refs.secrets, var.value_from->secret_key_ref->name);
      }
    }
  for (const auto& vol : pod.spec.volumes) {
    if (vol.config_map)
      add(refs.config_maps, vol.config_map->name);
    if (vol.secret)
      add(refs.secrets, vol.secret->secret_name);
    if (!vol.projected)
      continue;
    for (const auto& src : vol.projected->sources) {
      if (src.config_map)
        add(refs.config_maps, src.config_map->name);
      if (src.secret)
        add(refs.secrets, src.secret->name);
      if (src.service_account_token)
        refs.service_account_token = true;
    }
  }
  return refs;
}

} // namespace cafelet::actors::volumes
