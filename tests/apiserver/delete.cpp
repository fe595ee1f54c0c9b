// DELETE: DeleteOptions (body or query), preconditions, graceful deletion
// of pods (deletionTimestamp/deletionGracePeriodSeconds, only shortening),
// finalizers, namespace termination, and deletecollection.

#include "tests/apiserver/go_json.hpp"
#include "tests/apiserver/list_options.hpp"
#include "tests/apiserver/schema.hpp"
#include "tests/apiserver/server_impl.hpp"
#include "tests/apiserver/support.hpp"

#include <charconv>
#include <variant>

namespace cafelet::apiserver {

namespace {

struct delete_options {
  std::optional<int64_t> grace;
  std::optional<std::string> uid;
  std::optional<std::string> rv;
};

std::string str_at(const json::value& obj,
                   std::initializer_list<std::string_view> path) {
  const auto* v = obj.find_path(path);
  return v && v->is_string() ? v->as_string() : std::string{};
}

std::variant<delete_options, api_error> parse_options(const request& req) {
  delete_options out;
  if (!req.body.empty()) {
    if (auto syntax = go_syntax_error(req.body))
      return errors::bad_request("the object provided is unrecognized (must be "
                                 "of type DeleteOptions): couldn't get "
                                 "version/kind; json parse error: "
                                 + *syntax);
    auto parsed = json::parse(req.body);
    if (!parsed || !parsed->is_object())
      return errors::bad_request("the object provided is unrecognized (must be "
                                 "of type DeleteOptions)");
    auto res = decode_as(*schema_for("DeleteOptions"), *parsed);
    if (res.error)
      return errors::bad_request("DeleteOptions in version \"v1\" cannot be "
                                 "handled as a DeleteOptions: "
                                 + *res.error);
    if (const auto* g = parsed->find("gracePeriodSeconds"))
      out.grace = g->as_int();
    if (const auto* p = parsed->find("preconditions")) {
      if (const auto* u = p->find("uid"))
        out.uid = u->as_string();
      if (const auto* r = p->find("resourceVersion"))
        out.rv = r->as_string();
    }
    return out;
  }
  if (auto g = req.param("gracePeriodSeconds"); g && !g->empty()) {
    int64_t v = 0;
    auto res = std::from_chars(g->data(), g->data() + g->size(), v);
    if (res.ec != std::errc{} || res.ptr != g->data() + g->size())
      return errors::bad_request("gracePeriodSeconds: Invalid value: "
                                 + go_quote(*g));
    out.grace = v;
  }
  return out;
}

json::value success_status(const resource_def& def, const json::value& obj) {
  json::object details;
  details.emplace_back("name", str_at(obj, {"metadata", "name"}));
  if (!def.group.empty())
    details.emplace_back("group", def.group);
  details.emplace_back("kind", def.plural);
  details.emplace_back("uid", str_at(obj, {"metadata", "uid"}));
  json::object o;
  o.emplace_back("kind", "Status");
  o.emplace_back("apiVersion", "v1");
  o.emplace_back("metadata", json::object{});
  o.emplace_back("status", "Success");
  o.emplace_back("details", std::move(details));
  return json::value{std::move(o)};
}

} // namespace

namespace detail {

/// Deletes one object as DELETE does; returns the response body or an
/// error.
std::variant<json::value, api_error>
delete_object(api_server::impl& self, const resource_def& def,
              const std::string& key, const delete_options& opts,
              const user_info& user) {
  auto obj = self.store.get(def, key);
  auto name = key.substr(key.find('/') == std::string::npos ? 0
                                                            : key.find('/') + 1);
  if (!obj)
    return errors::not_found(error_target::of(def, name));
  // NodeRestriction.
  if (auto node = user.node_name(); !node.empty() && def.kind == "Pod"
                                    && str_at(*obj, {"spec", "nodeName"}) != node)
    return errors::forbidden(error_target::of(def, name),
                             "node \"" + node + "\" can only delete pods with "
                                                "spec.nodeName set to itself");
  // Preconditions.
  auto uid = str_at(*obj, {"metadata", "uid"});
  auto rv = str_at(*obj, {"metadata", "resourceVersion"});
  if (opts.uid && *opts.uid != uid)
    return errors::conflict(error_target::of_kind(def, name),
                            "the UID in the precondition (" + *opts.uid
                              + ") does not match the UID in record (" + uid
                              + "). The object might have been deleted and "
                                "then recreated");
  if (opts.rv && *opts.rv != rv)
    return errors::conflict(error_target::of_kind(def, name),
                            "the ResourceVersion in the precondition ("
                              + *opts.rv
                              + ") does not match the ResourceVersion in "
                                "record (" + rv
                              + "). The object might have been modified");
  auto now = std::chrono::system_clock::now();
  auto respond_with = [&](const object_ptr& o) -> json::value {
    return def.return_deleted_object ? *o : success_status(def, *o);
  };
  if (def.kind == "Namespace") {
    if (obj->find_path({"metadata", "deletionTimestamp"}))
      return *obj;
    json::value updated = *obj;
    updated["metadata"]["deletionTimestamp"] = format_time(now);
    updated["metadata"]["deletionGracePeriodSeconds"] = 0;
    updated["status"]["phase"] = "Terminating";
    normalize_as(*schema_for("Namespace"), updated);
    const auto& ev = self.commit_update(def, key, std::move(updated));
    auto result = ev.object;
    if (self.opts.run_controllers) {
      auto* raw = &self;
      self.timer->schedule_after(std::chrono::milliseconds{0}, [raw, name] {
        std::lock_guard<std::mutex> guard{raw->mtx};
        raw->finalize_namespace(name);
      });
    }
    return *result;
  }
  const auto* existing_ts = obj->find_path({"metadata", "deletionTimestamp"});
  const auto* existing_grace
    = obj->find_path({"metadata", "deletionGracePeriodSeconds"});
  bool has_finalizers = false;
  if (const auto* f = obj->find_path({"metadata", "finalizers"}))
    has_finalizers = f->size() > 0;
  std::optional<int64_t> grace = opts.grace;
  if (grace && *grace < 0)
    grace = 1;
  if (def.graceful_delete) {
    int64_t period = 0;
    bool update = true;
    json::value updated = *obj;
    auto& meta = updated["metadata"];
    if (existing_ts) {
      int64_t old_grace = existing_grace ? existing_grace->as_int() : 0;
      if (old_grace == 0) {
        update = false; // delete at once
      } else if (!grace || *grace >= old_grace) {
        return *obj; // graceful deletion pending: nothing changes
      } else {
        auto old_ts = parse_time(existing_ts->as_string()).value_or(now);
        auto ts = old_ts - std::chrono::seconds{old_grace}
                  + std::chrono::seconds{*grace};
        meta["deletionTimestamp"] = format_time(ts);
        meta["deletionGracePeriodSeconds"] = *grace;
        period = *grace;
      }
    } else {
      if (grace) {
        period = *grace;
      } else if (const auto* t = obj->find_path(
                   {"spec", "terminationGracePeriodSeconds"})) {
        period = t->as_int();
      }
      auto phase = str_at(*obj, {"status", "phase"});
      if (str_at(*obj, {"spec", "nodeName"}).empty() || phase == "Failed"
          || phase == "Succeeded")
        period = 0;
      meta["deletionTimestamp"]
        = format_time(now + std::chrono::seconds{period});
      meta["deletionGracePeriodSeconds"] = period;
    }
    if (update) {
      if (const auto* schema = schema_for(def.kind))
        normalize_as(*schema, updated);
      const auto& ev = self.commit_update(def, key, std::move(updated));
      auto result = ev.object;
      if (period > 0 || has_finalizers)
        return *result;
    } else if (has_finalizers) {
      return *obj;
    }
    const auto& ev = self.commit_remove(def, key);
    return respond_with(ev.object);
  }
  if (has_finalizers) {
    if (existing_ts)
      return *obj;
    json::value updated = *obj;
    updated["metadata"]["deletionTimestamp"] = format_time(now);
    updated["metadata"]["deletionGracePeriodSeconds"] = 0;
    if (const auto* schema = schema_for(def.kind))
      normalize_as(*schema, updated);
    const auto& ev = self.commit_update(def, key, std::move(updated));
    return *ev.object;
  }
  const auto& ev = self.commit_remove(def, key);
  return respond_with(ev.object);
}

} // namespace detail

void api_server::impl::serve_delete(call& c) {
  if (!c.info.subresource.empty()) {
    fail(c, errors::method_not_allowed(error_target::of(*c.def), c.req.method));
    return;
  }
  auto parsed = parse_options(c.req);
  if (auto* err = std::get_if<api_error>(&parsed)) {
    fail(c, *err);
    return;
  }
  auto key = object_store::key_of(*c.def, c.info.ns, c.info.name);
  auto res = detail::delete_object(*this, *c.def, key,
                                   std::get<delete_options>(parsed),
                                   *c.req.user);
  if (auto* err = std::get_if<api_error>(&res)) {
    fail(c, *err);
    return;
  }
  send(c, 200, std::get<json::value>(res));
}

void api_server::impl::serve_delete_collection(call& c) {
  auto parsed = parse_options(c.req);
  if (auto* err = std::get_if<api_error>(&parsed)) {
    fail(c, *err);
    return;
  }
  auto listed = parse_list_options(c.req, *c.def, false);
  if (auto* err = std::get_if<api_error>(&listed)) {
    fail(c, *err);
    return;
  }
  const auto& lo = std::get<list_options>(listed);
  auto items = store.list_at(*c.def, c.info.ns, store.current_rv());
  json::array deleted;
  const auto* def = c.def;
  for (const auto& [key, obj] : *items) {
    auto labels = [&obj = *obj](std::string_view k) -> std::optional<std::string> {
      const auto* ls = obj.find_path({"metadata", "labels"});
      const auto* v = ls ? ls->find(k) : nullptr;
      if (v == nullptr)
        return std::nullopt;
      return v->as_string();
    };
    auto fields = [&obj = *obj, def](std::string_view f) {
      return def->field_value(obj, f);
    };
    if (!lo.labels.matches(labels) || !lo.fields.matches(fields))
      continue;
    auto res = detail::delete_object(*this, *def, key,
                                     std::get<delete_options>(parsed),
                                     *c.req.user);
    if (auto* err = std::get_if<api_error>(&res)) {
      fail(c, *err);
      return;
    }
    deleted.push_back(as_list_item(*obj));
  }
  json::value list{json::object{}};
  list["kind"] = c.def->kind + "List";
  list["apiVersion"] = c.def->api_version();
  list["metadata"]["resourceVersion"] = std::to_string(store.current_rv());
  list["items"] = json::value{std::move(deleted)};
  send(c, 200, list);
}

void api_server::impl::finalize_namespace(const std::string& name) {
  const auto* ns_def = find_resource("", "v1", "namespaces");
  auto ns = store.get(*ns_def, name);
  if (!ns || !ns->find_path({"metadata", "deletionTimestamp"}))
    return;
  auto root = user_info{"system:serviceaccount:kube-system:namespace-controller",
                        {"system:masters"}};
  for (const auto& def : all_resources()) {
    if (!def.namespaced)
      continue;
    auto items = store.list_at(def, name, store.current_rv());
    for (const auto& [key, obj] : *items) {
      delete_options force;
      force.grace = 0;
      (void) detail::delete_object(*this, def, key, force, root);
    }
  }
  commit_remove(*ns_def, name);
}

} // namespace cafelet::apiserver
