// Create (POST), update (PUT) and patch (PATCH): body decoding with the
// real server's errors, system metadata, strategies (status subresources),
// admission, validation, optimistic concurrency and no-op detection.

#include "tests/apiserver/defaults.hpp"
#include "tests/apiserver/go_json.hpp"
#include "tests/apiserver/patch.hpp"
#include "tests/apiserver/schema.hpp"
#include "tests/apiserver/server_impl.hpp"
#include "tests/apiserver/support.hpp"
#include "tests/apiserver/validation.hpp"

namespace cafelet::apiserver {

namespace {

std::string str_at(const json::value& obj,
                   std::initializer_list<std::string_view> path) {
  const auto* v = obj.find_path(path);
  return v && v->is_string() ? v->as_string() : std::string{};
}

std::string media_type(const request& req) {
  std::string ct{req.header_value("Content-Type").value_or("application/json")};
  auto semi = ct.find(';');
  if (semi != std::string::npos)
    ct.resize(semi);
  while (!ct.empty() && ct.back() == ' ')
    ct.pop_back();
  for (auto& ch : ct)
    if (ch >= 'A' && ch <= 'Z')
      ch = static_cast<char>(ch - 'A' + 'a');
  return ct;
}

/// First 30 bytes of a body as the decoder's error summary shows them.
std::string summarize(std::string_view body) {
  if (body.empty())
    return "<empty>";
  if (body.front() == '{') {
    if (body.size() > 30)
      return std::string{body.substr(0, 30)} + " ...";
    return std::string{body};
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < body.size() && i < 30; ++i) {
    out += hex[static_cast<unsigned char>(body[i]) >> 4];
    out += hex[static_cast<unsigned char>(body[i]) & 15];
  }
  if (body.size() > 30)
    out += " ...";
  return out;
}

/// Keeps podIP/podIPs and hostIP/hostIPs consistent as the conversion
/// between the v1 and internal pod status does.
void sync_pod_ips(json::value& pod) {
  auto* status = pod.find("status");
  if (status == nullptr || !status->is_object())
    return;
  for (auto [single, plural] : {std::pair{"podIP", "podIPs"},
                                std::pair{"hostIP", "hostIPs"}}) {
    auto one = status->get_string(single);
    auto* many = status->find(plural);
    bool has_many = many && many->is_array() && !many->as_array().empty();
    if (!one.empty() && (!has_many || many->as_array().front().get_string("ip") != one)) {
      json::object entry;
      entry.emplace_back("ip", one);
      (*status)[plural] = json::array{json::value{std::move(entry)}};
    } else if (one.empty() && has_many) {
      (*status)[single] = many->as_array().front().get_string("ip");
    }
  }
}

/// Resets the fields a client may not set on create.
void prepare_create(const resource_def& def, json::value& obj,
                    const user_info& user) {
  auto& meta = obj["metadata"];
  meta["uid"] = new_uid();
  meta["creationTimestamp"] = format_time(std::chrono::system_clock::now());
  for (auto key : {"deletionTimestamp", "deletionGracePeriodSeconds",
                   "resourceVersion", "managedFields", "selfLink",
                   "generation"})
    meta.erase(key);
  apply_defaults(def.kind, obj);
  if (def.kind == "Pod") {
    json::value status{json::object{}};
    status["phase"] = "Pending";
    status["qosClass"] = qos_class(obj);
    obj["status"] = std::move(status);
  } else if (def.kind == "Node") {
    if (auto* spec = obj.find("spec"))
      spec->erase("configSource");
    if (auto* status = obj.find("status"))
      status->erase("config");
  } else if (def.kind == "CertificateSigningRequest") {
    auto& spec = obj["spec"];
    spec["username"] = user.name;
    json::array groups;
    for (const auto& g : user.groups)
      groups.emplace_back(g);
    spec["groups"] = json::value{std::move(groups)};
    spec.erase("uid");
    spec.erase("extra");
    obj["status"] = json::value{json::object{}};
  }
}

} // namespace

std::optional<json::value> api_server::impl::decode_body(call& c,
                                                         const resource_def& def) {
  auto type = media_type(c.req);
  if (type != "application/json") {
    api_error e{415,
                make_status(415, "UnsupportedMediaType",
                            "the body of the request was in an unknown format "
                            "- accepted media types include: application/json, "
                            "application/yaml, "
                            "application/vnd.kubernetes.protobuf"),
                {}};
    fail(c, e);
    return std::nullopt;
  }
  const auto& body = c.req.body;
  auto unrecognized = [&](const std::string& err) {
    fail(c, errors::bad_request("the object provided is unrecognized (must be "
                                "of type " + def.kind + "): couldn't get "
                                "version/kind; json parse error: " + err + " ("
                                + summarize(body) + ")"));
  };
  if (auto syntax = go_syntax_error(body)) {
    unrecognized(*syntax);
    return std::nullopt;
  }
  auto parsed = json::parse(body);
  if (!parsed) {
    unrecognized("invalid character in string literal");
    return std::nullopt;
  }
  auto obj = std::move(*parsed);
  if (!obj.is_object()) {
    std::string what = obj.is_array()    ? "array"
                       : obj.is_string() ? "string"
                       : obj.is_bool()   ? "bool"
                       : obj.is_null()   ? "null"
                                         : "number";
    unrecognized("json: cannot unmarshal " + what
                 + " into Go value of type struct { APIVersion string "
                   "\"json:\\\"apiVersion,omitempty\\\"\"; Kind string "
                   "\"json:\\\"kind,omitempty\\\"\" }");
    return std::nullopt;
  }
  auto kind = obj.get_string("kind", def.kind);
  auto api_version = obj.get_string("apiVersion", def.api_version());
  if (kind.empty())
    kind = def.kind;
  if (api_version.empty())
    api_version = def.api_version();
  auto slash = api_version.rfind('/');
  auto version = slash == std::string::npos ? api_version
                                            : api_version.substr(slash + 1);
  if (api_version != def.api_version()) {
    fail(c, errors::bad_request("the API version in the data (" + api_version
                                + ") does not match the expected API version ("
                                + def.api_version() + ")"));
    return std::nullopt;
  }
  if (kind != def.kind) {
    fail(c, errors::bad_request(kind + " in version " + go_quote(version)
                                + " cannot be handled as a " + def.kind
                                + ": no kind " + go_quote(kind)
                                + " is registered for version "
                                + go_quote(api_version)));
    return std::nullopt;
  }
  obj["kind"] = def.kind;
  obj["apiVersion"] = def.api_version();
  if (const auto* schema = schema_for(def.kind)) {
    auto res = decode_as(*schema, obj);
    if (res.error) {
      fail(c, errors::bad_request(kind + " in version " + go_quote(version)
                                  + " cannot be handled as a " + def.kind
                                  + ": " + *res.error));
      return std::nullopt;
    }
  }
  return obj;
}

void api_server::impl::serve_create(call& c) {
  const auto& def = *c.def;
  if (c.info.subresource == "token") {
    serve_token_request(c);
    return;
  }
  if (!c.info.subresource.empty()) {
    fail(c, errors::method_not_allowed(error_target::of(def), c.req.method));
    return;
  }
  auto decoded = decode_body(c, def);
  if (!decoded)
    return;
  auto obj = std::move(*decoded);
  auto& meta = obj["metadata"];
  if (!meta.is_object())
    meta = json::value{json::object{}};
  if (def.namespaced) {
    auto ns = meta.get_string("namespace");
    if (ns.empty()) {
      meta["namespace"] = c.info.ns;
    } else if (ns != c.info.ns) {
      fail(c, errors::bad_request("the namespace of the provided object does "
                                  "not match the namespace sent on the "
                                  "request"));
      return;
    }
  } else {
    meta.erase("namespace");
  }
  if (meta.get_string("name").empty() && !meta.get_string("generateName").empty())
    meta["name"] = meta.get_string("generateName") + random_suffix(5);
  prepare_create(def, obj, *c.req.user);
  if (auto err = admit(c, def, obj, nullptr)) {
    fail(c, *err);
    return;
  }
  if (def.kind == "Pod")
    sync_pod_ips(obj);
  auto name = str_at(obj, {"metadata", "name"});
  auto errs = validate_create(def.kind, obj);
  if (!errs.empty()) {
    fail(c, errors::invalid(error_target::of_kind(def, name), errs));
    return;
  }
  auto key = object_store::key_of(def, c.info.ns, name);
  if (store.get(def, key)) {
    fail(c, errors::already_exists(error_target::of(def, name)));
    return;
  }
  if (const auto* schema = schema_for(def.kind))
    normalize_as(*schema, obj);
  const auto& ev = commit_create(def, key, std::move(obj));
  auto result = ev.object;
  if (def.kind == "Namespace" && opts.run_controllers)
    create_namespace_objects(name);
  send(c, 201, *result);
}

void api_server::impl::prepare_update(const resource_def& def,
                                      std::string_view subresource,
                                      json::value& obj,
                                      const json::value& old) {
  auto& meta = obj["metadata"];
  const auto* old_meta = old.find("metadata");
  if (meta.get_string("uid").empty())
    meta["uid"] = old_meta->get_string("uid");
  for (auto key : {"creationTimestamp", "deletionTimestamp", "generation"}) {
    if (const auto* v = old_meta->find(key))
      meta[key] = *v;
    else
      meta.erase(key);
  }
  if (const auto* g = old_meta->find("deletionGracePeriodSeconds");
      g && meta.find("deletionGracePeriodSeconds") == nullptr)
    meta["deletionGracePeriodSeconds"] = *g;
  meta.erase("managedFields");
  meta.erase("selfLink");
  if (def.has_status) {
    if (subresource == "status" || subresource == "approval") {
      if (const auto* spec = old.find("spec"))
        obj["spec"] = *spec;
      else
        obj.erase("spec");
      if (def.kind == "Pod") {
        if (const auto* owners = old_meta->find("ownerReferences"))
          meta["ownerReferences"] = *owners;
        else
          meta.erase("ownerReferences");
      }
      if (subresource == "approval") {
        // Only conditions change through /approval.
        json::value status = old.find("status") ? *old.find("status")
                                                : json::value{json::object{}};
        if (const auto* conds = obj.find_path({"status", "conditions"}))
          status["conditions"] = *conds;
        obj["status"] = std::move(status);
      }
    } else {
      if (const auto* status = old.find("status"))
        obj["status"] = *status;
      else
        obj.erase("status");
    }
  }
  if (def.kind == "Pod")
    sync_pod_ips(obj);
  if (def.kind == "CertificateSigningRequest") {
    auto now = format_time(std::chrono::system_clock::now());
    if (auto* conds = obj.find_path({"status", "conditions"});
        conds && conds->is_array())
      for (auto& cond : obj["status"]["conditions"].as_array()) {
        if (cond.get_string("lastUpdateTime").empty())
          cond["lastUpdateTime"] = now;
        if (cond.get_string("lastTransitionTime").empty())
          cond["lastTransitionTime"] = now;
      }
  }
}

void api_server::impl::finish_update(call& c, const std::string& key,
                                     json::value obj, const object_ptr& old) {
  const auto& def = *c.def;
  const auto& sub = c.info.subresource;
  auto name = c.info.name;
  prepare_update(def, sub, obj, *old);
  if (auto err = admit(c, def, obj, old.get())) {
    fail(c, *err);
    return;
  }
  auto errs = validate_update(def.kind, sub, obj, *old);
  if (!errs.empty()) {
    fail(c, errors::invalid(error_target::of_kind(def, name), errs));
    return;
  }
  if (const auto* schema = schema_for(def.kind))
    normalize_as(*schema, obj);
  // A no-op update writes nothing and notifies nobody.
  set_resource_version(obj, parse_rv(str_at(*old, {"metadata", "resourceVersion"}))
                              .value_or(0));
  if (obj == *old) {
    send(c, 200, *old);
    return;
  }
  const auto& ev = commit_update(def, key, std::move(obj));
  auto result = ev.object;
  // Removing the last finalizer of an object being deleted deletes it.
  const auto* deletion = result->find_path({"metadata", "deletionTimestamp"});
  const auto* finalizers = result->find_path({"metadata", "finalizers"});
  const auto* grace
    = result->find_path({"metadata", "deletionGracePeriodSeconds"});
  if (deletion && (!finalizers || finalizers->size() == 0)
      && (!def.graceful_delete || (grace && grace->as_int() == 0))
      && def.kind != "Namespace") {
    commit_remove(def, key);
  }
  send(c, 200, *result);
}

void api_server::impl::serve_update(call& c) {
  const auto& def = *c.def;
  auto decoded = decode_body(c, def);
  if (!decoded)
    return;
  auto obj = std::move(*decoded);
  auto& meta = obj["metadata"];
  if (!meta.is_object())
    meta = json::value{json::object{}};
  auto body_name = meta.get_string("name");
  if (body_name != c.info.name) {
    fail(c, errors::bad_request("the name of the object (" + body_name
                                + ") does not match the name on the URL ("
                                + c.info.name + ")"));
    return;
  }
  if (def.namespaced) {
    auto ns = meta.get_string("namespace");
    if (ns.empty())
      meta["namespace"] = c.info.ns;
    else if (ns != c.info.ns) {
      fail(c, errors::bad_request("the namespace of the provided object does "
                                  "not match the namespace sent on the "
                                  "request"));
      return;
    }
  } else {
    meta.erase("namespace");
  }
  auto key = object_store::key_of(def, c.info.ns, c.info.name);
  auto old = store.get(def, key);
  if (!old) {
    if (def.kind == "Event" && c.info.subresource.empty()) {
      // Events allow create on update.
      prepare_create(def, obj, *c.req.user);
      if (auto err = admit(c, def, obj, nullptr)) {
        fail(c, *err);
        return;
      }
      auto errs = validate_create(def.kind, obj);
      if (!errs.empty()) {
        fail(c, errors::invalid(error_target::of_kind(def, c.info.name), errs));
        return;
      }
      if (const auto* schema = schema_for(def.kind))
        normalize_as(*schema, obj);
      const auto& ev = commit_create(def, key, std::move(obj));
      send(c, 201, *ev.object);
      return;
    }
    fail(c, errors::not_found(error_target::of(def, c.info.name)));
    return;
  }
  auto rv = meta.get_string("resourceVersion");
  auto current = str_at(*old, {"metadata", "resourceVersion"});
  if (rv.empty()) {
    if (!def.allow_unconditional_update) {
      auto target = error_target::of(def, c.info.name);
      target.kind = def.plural;
      target.qualified = def.qualified();
      fail(c, errors::invalid(
                target, {field_error::invalid_raw("metadata.resourceVersion",
                                                  "0x0",
                                                  "must be specified for an "
                                                  "update")}));
      return;
    }
  } else if (rv != current) {
    fail(c, errors::conflict_modified(error_target::of(def, c.info.name)));
    return;
  }
  finish_update(c, key, std::move(obj), old);
}

void api_server::impl::serve_patch(call& c) {
  const auto& def = *c.def;
  auto type = media_type(c.req);
  bool strategic = type == "application/strategic-merge-patch+json";
  bool merge = type == "application/merge-patch+json";
  bool json_patch = type == "application/json-patch+json";
  if (!strategic && !merge && !json_patch) {
    fail(c, errors::unsupported_media_type(type));
    return;
  }
  if (auto syntax = go_syntax_error(c.req.body)) {
    fail(c, errors::bad_request(strategic ? *syntax
                                          : "error decoding patch: " + *syntax));
    return;
  }
  auto patch = json::parse(c.req.body);
  if (!patch) {
    fail(c, errors::bad_request("error decoding patch: invalid character in "
                                "string literal"));
    return;
  }
  auto key = object_store::key_of(def, c.info.ns, c.info.name);
  auto old = store.get(def, key);
  if (!old) {
    fail(c, errors::not_found(error_target::of(def, c.info.name)));
    return;
  }
  json::value patched;
  if (strategic) {
    auto res = apply_strategic_merge_patch(*old, *patch, def.kind);
    if (!res.error.empty()) {
      if (res.code == 500)
        fail(c, errors::internal(res.error));
      else
        fail(c, api_error{res.code,
                          make_status(res.code,
                                      res.code == 400 ? "BadRequest" : "Invalid",
                                      res.error),
                          {}});
      return;
    }
    patched = std::move(res.object);
  } else if (json_patch) {
    auto res = apply_json_patch(*old, *patch);
    if (auto* err = std::get_if<std::string>(&res)) {
      fail(c, api_error{422, make_status(422, "Invalid", *err), {}});
      return;
    }
    patched = std::move(std::get<json::value>(res));
  } else {
    patched = apply_merge_patch(*old, *patch);
  }
  if (!patched.is_object())
    patched = json::value{json::object{}};
  if (const auto* schema = schema_for(def.kind)) {
    auto text = json::dump(patched);
    auto res = decode_as(*schema, patched);
    if (res.error) {
      auto e = errors::invalid(error_target{},
                               {field_error::invalid("patch", text, *res.error)});
      e.body["message"] = " \"\" is invalid: patch: Invalid value: "
                          + go_quote(text) + ": " + *res.error;
      fail(c, e);
      return;
    }
  }
  // The patched object keeps identity fields of the URL.
  auto& meta = patched["metadata"];
  if (!meta.is_object())
    meta = json::value{json::object{}};
  if (meta.get_string("name") != c.info.name) {
    fail(c, errors::bad_request("the name of the object ("
                                + meta.get_string("name")
                                + ") does not match the name on the URL ("
                                + c.info.name + ")"));
    return;
  }
  patched["kind"] = def.kind;
  patched["apiVersion"] = def.api_version();
  auto rv = meta.get_string("resourceVersion");
  auto current = str_at(*old, {"metadata", "resourceVersion"});
  if (rv.empty())
    meta["resourceVersion"] = current;
  else if (rv != current) {
    fail(c, errors::conflict_modified(error_target::of(def, c.info.name)));
    return;
  }
  finish_update(c, key, std::move(patched), old);
}

} // namespace cafelet::apiserver
