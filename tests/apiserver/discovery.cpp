// Non-resource endpoints: discovery (/api, /api/v1, /apis, /apis/<g>,
// /apis/<g>/<v>, legacy and aggregated), /version and health checks.

#include "tests/apiserver/go_json.hpp"
#include "tests/apiserver/server_impl.hpp"

#include <algorithm>
#include <set>

namespace cafelet::apiserver {

namespace {

constexpr std::string_view aggregated_type
  = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

json::value strings(const std::vector<std::string>& xs) {
  json::array out;
  for (const auto& x : xs)
    out.emplace_back(x);
  return json::value{std::move(out)};
}

/// Verbs of a subresource.
std::vector<std::string> sub_verbs(std::string_view sub) {
  if (sub == "token")
    return {"create"};
  return {"get", "patch", "update"};
}

/// Entries of an APIResourceList for `group`/`version`, sorted by name.
json::value resource_list_entries(std::string_view group,
                                  std::string_view version) {
  std::vector<std::pair<std::string, json::value>> entries;
  for (const auto& d : all_resources()) {
    if (d.group != group || d.version != version)
      continue;
    json::object e;
    e.emplace_back("name", d.plural);
    e.emplace_back("singularName", d.singular);
    e.emplace_back("namespaced", d.namespaced);
    e.emplace_back("kind", d.kind);
    e.emplace_back("verbs", strings(d.verbs));
    if (!d.short_names.empty())
      e.emplace_back("shortNames", strings(d.short_names));
    if (!d.categories.empty())
      e.emplace_back("categories", strings(d.categories));
    if (!d.storage_version_hash.empty())
      e.emplace_back("storageVersionHash", d.storage_version_hash);
    entries.emplace_back(d.plural, json::value{std::move(e)});
    for (const auto& sub : d.subresources) {
      json::object s;
      s.emplace_back("name", d.plural + "/" + sub);
      s.emplace_back("singularName", "");
      s.emplace_back("namespaced", d.namespaced);
      if (sub == "token") {
        s.emplace_back("group", "authentication.k8s.io");
        s.emplace_back("version", "v1");
        s.emplace_back("kind", "TokenRequest");
      } else {
        s.emplace_back("kind", d.kind);
      }
      s.emplace_back("verbs", strings(sub_verbs(sub)));
      entries.emplace_back(d.plural + "/" + sub, json::value{std::move(s)});
    }
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  json::array out;
  for (auto& [name, e] : entries)
    out.push_back(std::move(e));
  return json::value{std::move(out)};
}

json::value response_kind(std::string_view group, std::string_view version,
                          std::string_view kind) {
  json::object o;
  o.emplace_back("group", group);
  o.emplace_back("version", version);
  o.emplace_back("kind", kind);
  return json::value{std::move(o)};
}

/// One APIGroupDiscovery item for `group` ("" for the core group).
json::value aggregated_group(const std::string& group) {
  json::array resources;
  std::vector<const resource_def*> defs;
  for (const auto& d : all_resources())
    if (d.group == group)
      defs.push_back(&d);
  std::sort(defs.begin(), defs.end(),
            [](auto* a, auto* b) { return a->plural < b->plural; });
  for (const auto* d : defs) {
    json::object r;
    r.emplace_back("resource", d->plural);
    r.emplace_back("responseKind", response_kind("", "", d->kind));
    r.emplace_back("scope", d->namespaced ? "Namespaced" : "Cluster");
    r.emplace_back("singularResource", d->singular);
    r.emplace_back("verbs", strings(d->verbs));
    if (!d->short_names.empty())
      r.emplace_back("shortNames", strings(d->short_names));
    if (!d->categories.empty())
      r.emplace_back("categories", strings(d->categories));
    if (!d->subresources.empty()) {
      json::array subs;
      for (const auto& sub : d->subresources) {
        json::object s;
        s.emplace_back("subresource", sub);
        if (sub == "token")
          s.emplace_back("responseKind",
                         response_kind("authentication.k8s.io", "v1",
                                       "TokenRequest"));
        else
          s.emplace_back("responseKind", response_kind("", "", d->kind));
        s.emplace_back("verbs", strings(sub_verbs(sub)));
        subs.emplace_back(std::move(s));
      }
      r.emplace_back("subresources", std::move(subs));
    }
    resources.emplace_back(std::move(r));
  }
  json::object version;
  version.emplace_back("version", "v1");
  version.emplace_back("resources", std::move(resources));
  version.emplace_back("freshness", "Current");
  json::object meta;
  if (!group.empty())
    meta.emplace_back("name", group);
  meta.emplace_back("creationTimestamp", nullptr);
  json::object item;
  item.emplace_back("metadata", std::move(meta));
  item.emplace_back("versions", json::array{json::value{std::move(version)}});
  return json::value{std::move(item)};
}

std::set<std::string> api_groups() {
  std::set<std::string> out;
  for (const auto& d : all_resources())
    if (!d.group.empty())
      out.insert(d.group);
  return out;
}

json::value group_object(const std::string& group) {
  json::object gv;
  gv.emplace_back("groupVersion", group + "/v1");
  gv.emplace_back("version", "v1");
  json::object g;
  g.emplace_back("name", group);
  g.emplace_back("versions", json::array{json::value{gv}});
  g.emplace_back("preferredVersion", json::value{gv});
  return json::value{std::move(g)};
}

bool wants_aggregated(const request& req) {
  auto accept = req.header_value("Accept").value_or("");
  return accept.find("as=APIGroupDiscoveryList") != std::string_view::npos;
}

} // namespace

bool api_server::impl::serve_non_resource(call& c) {
  const auto& path = c.req.path;
  auto decision = authorize(*c.req.user, c.info, c.req, *this, grants);
  bool known = path == "/api" || path == "/api/" || path == "/apis"
               || path == "/apis/" || path == "/version" || path == "/version/"
               || path == "/healthz" || path == "/livez" || path == "/readyz"
               || path.starts_with("/api/") || path.starts_with("/apis/");
  if (!known)
    return false;
  if (!decision.allowed) {
    fail(c, errors::forbidden_path(c.req.user->name,
                                   c.req.method == "GET" ? "get" : c.info.verb,
                                   path));
    return true;
  }
  if (path == "/healthz" || path == "/livez" || path == "/readyz") {
    response res;
    res.content_type = "text/plain; charset=utf-8";
    res.body = "ok";
    res.headers.push_back({"X-Content-Type-Options", "nosniff"});
    c.reply->respond(std::move(res));
    return true;
  }
  if (path == "/version" || path == "/version/") {
    json::object v;
    v.emplace_back("major", "1");
    v.emplace_back("minor", "32");
    v.emplace_back("gitVersion", "v1.32.13");
    v.emplace_back("gitCommit", "d4b43f374a5bc0e0f44c07ff773061e27c7f2a08");
    v.emplace_back("gitTreeState", "clean");
    v.emplace_back("buildDate", "2026-11-22T02:44:51Z");
    v.emplace_back("goVersion", "go1.23.5");
    v.emplace_back("compiler", "gc");
    v.emplace_back("platform", "linux/amd64");
    response res;
    res.body = dump_indented(json::value{std::move(v)});
    c.reply->respond(std::move(res));
    return true;
  }
  auto trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/')
    trimmed.pop_back();
  if (trimmed == "/api" || trimmed == "/apis") {
    if (wants_aggregated(c.req)) {
      json::array items;
      if (trimmed == "/api") {
        items.push_back(aggregated_group(""));
      } else {
        for (const auto& g : api_groups())
          items.push_back(aggregated_group(g));
      }
      json::object list;
      list.emplace_back("kind", "APIGroupDiscoveryList");
      list.emplace_back("apiVersion", "apidiscovery.k8s.io/v2");
      list.emplace_back("metadata", json::object{});
      list.emplace_back("items", std::move(items));
      response res;
      res.content_type = std::string{aggregated_type};
      res.body = render(json::value{std::move(list)}, c.pretty);
      res.headers.push_back({"Vary", "Accept"});
      c.reply->respond(std::move(res));
      return true;
    }
    if (trimmed == "/api") {
      json::object cidr;
      cidr.emplace_back("clientCIDR", "0.0.0.0/0");
      cidr.emplace_back("serverAddress", opts.advertise_address);
      json::object o;
      o.emplace_back("kind", "APIVersions");
      o.emplace_back("versions", json::array{json::value{"v1"}});
      o.emplace_back("serverAddressByClientCIDRs",
                     json::array{json::value{std::move(cidr)}});
      send(c, 200, json::value{std::move(o)});
      return true;
    }
    json::array groups;
    for (const auto& g : api_groups())
      groups.push_back(group_object(g));
    json::object o;
    o.emplace_back("kind", "APIGroupList");
    o.emplace_back("apiVersion", "v1");
    o.emplace_back("groups", std::move(groups));
    send(c, 200, json::value{std::move(o)});
    return true;
  }
  if (trimmed == "/api/v1") {
    json::object o;
    o.emplace_back("kind", "APIResourceList");
    o.emplace_back("groupVersion", "v1");
    o.emplace_back("resources", resource_list_entries("", "v1"));
    send(c, 200, json::value{std::move(o)});
    return true;
  }
  if (trimmed.starts_with("/apis/")) {
    auto rest = trimmed.substr(6);
    auto slash = rest.find('/');
    auto group = rest.substr(0, slash);
    if (api_groups().count(group) == 0)
      return false;
    if (slash == std::string::npos) {
      auto g = group_object(group);
      json::object o;
      o.emplace_back("kind", "APIGroup");
      o.emplace_back("apiVersion", "v1");
      for (auto& [k, v] : g.as_object())
        o.emplace_back(k, v);
      send(c, 200, json::value{std::move(o)});
      return true;
    }
    if (rest.substr(slash + 1) != "v1")
      return false;
    json::object o;
    o.emplace_back("kind", "APIResourceList");
    o.emplace_back("apiVersion", "v1");
    o.emplace_back("groupVersion", group + "/v1");
    o.emplace_back("resources", resource_list_entries(group, "v1"));
    send(c, 200, json::value{std::move(o)});
    return true;
  }
  return false;
}

} // namespace cafelet::apiserver
