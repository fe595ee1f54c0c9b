#include "tests/apiserver/server.hpp"

#include "tests/apiserver/go_json.hpp"
#include "tests/apiserver/schema.hpp"
#include "tests/apiserver/server_impl.hpp"
#include "tests/apiserver/support.hpp"

#include <algorithm>
#include <atomic>

namespace cafelet::apiserver {

// -- free helpers ---------------------------------------------------------------

bool glob_match(std::string_view glob, std::string_view text) {
  // Iterative wildcard matching with backtracking to the last '*'.
  size_t g = 0;
  size_t t = 0;
  size_t star = std::string_view::npos;
  size_t mark = 0;
  while (t < text.size()) {
    if (g < glob.size() && glob[g] == '*') {
      star = g++;
      mark = t;
    } else if (g < glob.size() && glob[g] == text[t]) {
      ++g;
      ++t;
    } else if (star != std::string_view::npos) {
      g = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (g < glob.size() && glob[g] == '*')
    ++g;
  return g == glob.size();
}

json::value as_list_item(const json::value& obj) {
  json::value out = obj;
  out.erase("kind");
  out.erase("apiVersion");
  return out;
}

std::string render(const json::value& v, bool pretty) {
  return pretty ? dump_indented(v) : json::dump(v);
}

// -- answer observer ------------------------------------------------------------

namespace {

/// Passes answers through to `inner` and reports the first one to
/// `server_options::on_reply`.
class observed_reply : public reply_channel {
public:
  using observer = std::function<void(const request&, int)>;

  observed_reply(request req, reply_ptr inner, observer fn)
    : req_(std::move(req)), inner_(std::move(inner)), fn_(std::move(fn)) {
  }

  void respond(response res) override {
    auto status = res.status;
    inner_->respond(std::move(res));
    report(status);
  }

  std::shared_ptr<stream_sink> stream(int status,
                                      std::vector<header> headers) override {
    auto out = inner_->stream(status, std::move(headers));
    report(status);
    return out;
  }

  void drop() override {
    inner_->drop();
    report(0);
  }

private:
  void report(int status) {
    if (!reported_.exchange(true))
      fn_(req_, status);
  }

  request req_;
  reply_ptr inner_;
  observer fn_;
  std::atomic<bool> reported_{false};
};

} // namespace

// -- api_server -----------------------------------------------------------------

api_server::api_server(server_options opts)
  : impl_(std::make_shared<impl>(std::move(opts))) {
  // nop
}

api_server::~api_server() = default;

void api_server::handle(request req, reply_ptr reply) {
  if (const auto& fn = impl_->opts.on_reply) {
    request seen{req.method, req.path, req.query, req.headers, {}, req.user};
    reply = std::make_shared<observed_reply>(std::move(seen), std::move(reply),
                                             fn);
  }
  impl_->handle(std::move(req), std::move(reply));
}

uint64_t api_server::resource_version() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->store.current_rv();
}

size_t api_server::watch_count() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->watchers.size();
}

size_t api_server::watch_count(std::string_view path_glob) const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  size_t n = 0;
  for (const auto& [id, w] : impl_->watchers)
    if (glob_match(path_glob, w->path))
      ++n;
  return n;
}

void api_server::grant(access_rule rule) {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  impl_->grants.push_back(std::move(rule));
}

uint64_t api_server::fail_requests(failure_rule rule) {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  auto id = impl_->next_rule_id++;
  impl_->failures.push_back(active_failure{id, std::move(rule)});
  return id;
}

void api_server::clear_failure(uint64_t id) {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  auto& fs = impl_->failures;
  fs.erase(std::remove_if(fs.begin(), fs.end(),
                          [id](const auto& f) { return f.id == id; }),
           fs.end());
}

void api_server::clear_failures() {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  impl_->failures.clear();
}

uint64_t api_server::add_latency(latency_rule rule) {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  auto id = impl_->next_rule_id++;
  impl_->latencies.emplace(id, std::move(rule));
  return id;
}

void api_server::clear_latency(uint64_t id) {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  if (id == 0)
    impl_->latencies.clear();
  else
    impl_->latencies.erase(id);
}

size_t api_server::cut_watches(std::string_view path_glob, bool abrupt) {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  std::vector<uint64_t> ids;
  for (const auto& [id, w] : impl_->watchers)
    if (glob_match(path_glob, w->path))
      ids.push_back(id);
  for (auto id : ids)
    impl_->end_watch(id, abrupt);
  return ids.size();
}

void api_server::expire_history() {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  impl_->store.expire_history();
}

void api_server::set_history_capacity(size_t n) {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  impl_->store.set_history_capacity(n);
}

void api_server::hang(std::chrono::milliseconds duration, hang_mode mode) {
  std::function<void(bool)> control;
  {
    std::lock_guard<std::mutex> guard{impl_->mtx};
    impl_->hanging = true;
    if (mode == hang_mode::refuse)
      control = impl_->listener_control;
    if (impl_->hang_timer != 0)
      impl_->timer->cancel(impl_->hang_timer);
    impl_->hang_timer = 0;
    if (duration.count() > 0) {
      auto* self = impl_.get();
      impl_->hang_timer
        = impl_->timer->schedule_after(duration, [self] { self->end_hang(); });
    }
  }
  if (control)
    control(false);
}

void api_server::resume() {
  impl_->end_hang();
}

void api_server::set_listener_control(std::function<void(bool)> fn) {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  impl_->listener_control = std::move(fn);
}

// -- impl: construction -----------------------------------------------------------

api_server::impl::impl(server_options options)
  : opts(std::move(options)), timer(std::make_unique<timer_thread>()) {
  store.set_history_capacity(opts.history_capacity);
  std::lock_guard<std::mutex> guard{mtx};
  for (const auto& ns : opts.initial_namespaces)
    create_namespace_objects(ns);
  // As after a restart of the real server: the watch cache starts at the
  // current revision, older ones are too old.
  store.expire_history();
}

api_server::impl::~impl() {
  // Stop timers first: their callbacks use this object.
  timer.reset();
  for (auto& [id, w] : watchers)
    w->sink->close();
  for (auto& [req, reply] : parked)
    reply->drop();
}

void api_server::impl::create_namespace_objects(const std::string& name) {
  const auto* ns_def = find_resource("", "v1", "namespaces");
  auto now = format_time(std::chrono::system_clock::now());
  if (!store.get(*ns_def, name)) {
    json::value ns{json::object{}};
    ns["kind"] = "Namespace";
    ns["apiVersion"] = "v1";
    ns["metadata"]["name"] = name;
    ns["metadata"]["uid"] = new_uid();
    ns["metadata"]["creationTimestamp"] = now;
    ns["spec"]["finalizers"] = json::array{json::value{"kubernetes"}};
    ns["status"]["phase"] = "Active";
    ns["metadata"]["labels"]["kubernetes.io/metadata.name"] = name;
    normalize_as(*schema_for("Namespace"), ns);
    commit_create(*ns_def, name, std::move(ns));
  }
  const auto* sa_def = find_resource("", "v1", "serviceaccounts");
  auto sa_key = object_store::key_of(*sa_def, name, "default");
  if (!store.get(*sa_def, sa_key)) {
    json::value sa{json::object{}};
    sa["kind"] = "ServiceAccount";
    sa["apiVersion"] = "v1";
    sa["metadata"]["name"] = "default";
    sa["metadata"]["namespace"] = name;
    sa["metadata"]["uid"] = new_uid();
    sa["metadata"]["creationTimestamp"] = now;
    normalize_as(*schema_for("ServiceAccount"), sa);
    commit_create(*sa_def, sa_key, std::move(sa));
  }
  const auto* cm_def = find_resource("", "v1", "configmaps");
  auto cm_key = object_store::key_of(*cm_def, name, "kube-root-ca.crt");
  if (!store.get(*cm_def, cm_key)) {
    json::value cm{json::object{}};
    cm["kind"] = "ConfigMap";
    cm["apiVersion"] = "v1";
    cm["metadata"]["name"] = "kube-root-ca.crt";
    cm["metadata"]["namespace"] = name;
    cm["metadata"]["uid"] = new_uid();
    cm["metadata"]["creationTimestamp"] = now;
    cm["metadata"]["annotations"]["kubernetes.io/description"]
      = "Contains a CA bundle that can be used to verify the kube-apiserver "
        "when using internal endpoints such as the internal service IP or "
        "kubernetes.default.svc. No other usage is guaranteed across "
        "distributions of Kubernetes clusters.";
    cm["data"]["ca.crt"] = opts.root_ca_pem;
    normalize_as(*schema_for("ConfigMap"), cm);
    commit_create(*cm_def, cm_key, std::move(cm));
  }
  // The API server's own Service, as kube-apiserver keeps it in "default"
  // (its ClusterIP is the first of the service range, 10.96.0.0/12 here).
  const auto* svc_def = find_resource("", "v1", "services");
  if (name == "default" && svc_def != nullptr) {
    auto svc_key = object_store::key_of(*svc_def, name, "kubernetes");
    if (!store.get(*svc_def, svc_key)) {
      json::value svc{json::object{}};
      svc["kind"] = "Service";
      svc["apiVersion"] = "v1";
      svc["metadata"]["name"] = "kubernetes";
      svc["metadata"]["namespace"] = name;
      svc["metadata"]["uid"] = new_uid();
      svc["metadata"]["creationTimestamp"] = now;
      svc["metadata"]["labels"]["component"] = "apiserver";
      svc["metadata"]["labels"]["provider"] = "kubernetes";
      auto& spec = svc["spec"];
      spec["clusterIP"] = "10.96.0.1";
      spec["clusterIPs"] = json::array{json::value{"10.96.0.1"}};
      json::value port{json::object{}};
      port["name"] = "https";
      port["protocol"] = "TCP";
      port["port"] = 443;
      port["targetPort"] = 6443;
      spec["ports"] = json::array{std::move(port)};
      spec["type"] = "ClusterIP";
      spec["sessionAffinity"] = "None";
      spec["ipFamilies"] = json::array{json::value{"IPv4"}};
      spec["ipFamilyPolicy"] = "SingleStack";
      spec["internalTrafficPolicy"] = "Cluster";
      svc["status"]["loadBalancer"] = json::value{json::object{}};
      normalize_as(*schema_for("Service"), svc);
      commit_create(*svc_def, svc_key, std::move(svc));
    }
  }
}

// -- impl: entry --------------------------------------------------------------------

void api_server::impl::end_hang() {
  std::function<void(bool)> control;
  std::vector<std::pair<request, reply_ptr>> waiting;
  {
    std::lock_guard<std::mutex> guard{mtx};
    if (hang_timer != 0)
      timer->cancel(hang_timer);
    hang_timer = 0;
    hanging = false;
    control = listener_control;
    waiting.swap(parked);
    for (auto& [id, w] : watchers) {
      for (auto& chunk : w->backlog)
        w->sink->write(std::move(chunk));
      w->backlog.clear();
    }
  }
  if (control)
    control(true);
  for (auto& [req, reply] : waiting)
    handle(std::move(req), std::move(reply));
}

void api_server::impl::handle(request req, reply_ptr reply) {
  std::unique_lock<std::mutex> guard{mtx};
  if (hanging) {
    parked.emplace_back(std::move(req), std::move(reply));
    return;
  }
  for (auto i = failures.begin(); i != failures.end(); ++i) {
    auto& rule = i->rule;
    if ((rule.method == "*" || rule.method == req.method)
        && glob_match(rule.path, req.path)) {
      auto err = errors::for_code(rule.status, rule.message);
      if (rule.times > 0 && --rule.times == 0)
        failures.erase(i);
      call c{std::move(req), std::move(reply), {}, nullptr, false, false};
      fail(c, err);
      return;
    }
  }
  std::chrono::milliseconds delay{0};
  for (const auto& [id, rule] : latencies)
    if ((rule.method == "*" || rule.method == req.method)
        && glob_match(rule.path, req.path))
      delay = std::max(delay, rule.delay);
  if (delay.count() > 0) {
    auto shared = std::make_shared<std::pair<request, reply_ptr>>(
      std::move(req), std::move(reply));
    timer->schedule_after(delay, [this, shared] {
      std::lock_guard<std::mutex> lock{mtx};
      call c{std::move(shared->first), std::move(shared->second), {}, nullptr,
             false, false};
      serve(c);
    });
    return;
  }
  call c{std::move(req), std::move(reply), {}, nullptr, false, false};
  serve(c);
}

namespace {

bool is_pretty(const request& req) {
  if (auto p = req.param("pretty"); p && !p->empty())
    return *p == "true" || *p == "1" || *p == "t" || *p == "T" || *p == "TRUE"
           || *p == "True";
  auto ua = req.header_value("User-Agent").value_or("");
  return ua.starts_with("curl") || ua.starts_with("Wget")
         || ua.starts_with("Mozilla/5.0");
}

/// Splits an Accept header into media ranges.
std::vector<std::string> media_ranges(std::string_view accept) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= accept.size()) {
    auto comma = accept.find(',', start);
    auto part = accept.substr(start, comma == std::string_view::npos
                                       ? std::string_view::npos
                                       : comma - start);
    while (!part.empty() && part.front() == ' ')
      part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ')
      part.remove_suffix(1);
    if (!part.empty()) {
      std::string s{part};
      s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
      out.push_back(std::move(s));
    }
    if (comma == std::string_view::npos)
      break;
    start = comma + 1;
  }
  return out;
}

} // namespace

void api_server::impl::serve(call& c) {
  c.pretty = is_pretty(c.req);
  if (!c.req.user) {
    fail(c, errors::unauthorized());
    return;
  }
  c.info = classify(c.req);
  // Content negotiation: JSON (possibly as a Table); we cannot produce
  // protobuf or YAML.
  if (auto accept = c.req.header_value("Accept"); accept && !accept->empty()) {
    bool json_ok = false;
    for (const auto& range : media_ranges(*accept)) {
      if (range.find("as=Table") != std::string::npos) {
        if (range.find("g=meta.k8s.io") != std::string::npos
            && (range.find("v=v1;") != std::string::npos
                || range.ends_with("v=v1") || range.find("v=v1beta1") != std::string::npos))
          c.table = true;
        continue;
      }
      if (range.find("as=APIGroupDiscoveryList") != std::string::npos) {
        json_ok = true;
        continue;
      }
      if (range.starts_with("application/json") || range.starts_with("*/*")
          || range.starts_with("application/*"))
        json_ok = true;
    }
    if (!json_ok && !c.table) {
      fail(c, errors::not_acceptable("application/json"));
      return;
    }
  }
  if (!c.info.is_resource) {
    if (!serve_non_resource(c))
      fail(c, errors::for_code(404));
    return;
  }
  serve_resource(c);
}

void api_server::impl::serve_resource(call& c) {
  auto& info = c.info;
  c.def = find_resource(info.group, info.version, info.resource);
  if (c.def == nullptr || info.malformed
      || (!info.subresource.empty() && !c.def->has_subresource(info.subresource))
      || (!c.def->namespaced && !info.ns.empty())) {
    fail(c, errors::for_code(404));
    return;
  }
  if (info.verb != "get" && info.verb != "list" && info.verb != "watch"
      && info.verb != "create" && info.verb != "update" && info.verb != "patch"
      && info.verb != "delete" && info.verb != "deletecollection") {
    fail(c, errors::method_not_allowed(error_target::of(*c.def), c.req.method));
    return;
  }
  auto decision = authorize(*c.req.user, info, c.req, *this, grants);
  if (!decision.allowed) {
    auto resource = info.subresource.empty()
                      ? info.resource
                      : info.resource + "/" + info.subresource;
    auto target = error_target::of(*c.def, info.name);
    fail(c, errors::forbidden_user(target, c.req.user->name, info.verb,
                                   resource, info.ns, decision.reason));
    return;
  }
  // Methods that do not apply to the path shape.
  bool named = !info.name.empty() && info.name_in_path;
  if ((info.verb == "create" && named && info.subresource.empty())
      || ((info.verb == "update" || info.verb == "patch") && !named)) {
    fail(c, errors::method_not_allowed(error_target::of(*c.def), c.req.method));
    return;
  }
  if (info.verb == "get")
    serve_get(c);
  else if (info.verb == "list")
    serve_list(c);
  else if (info.verb == "watch")
    serve_watch(c);
  else if (info.verb == "create")
    serve_create(c);
  else if (info.verb == "update")
    serve_update(c);
  else if (info.verb == "patch")
    serve_patch(c);
  else if (info.verb == "delete")
    serve_delete(c);
  else
    serve_delete_collection(c);
}

// -- impl: answers --------------------------------------------------------------------

void api_server::impl::fail(call& c, const api_error& e) {
  response res;
  res.status = e.code;
  res.headers = e.headers;
  res.headers.push_back({"Cache-Control", "no-cache, private"});
  if (e.code == 403)
    res.headers.push_back({"X-Content-Type-Options", "nosniff"});
  if (e.body.is_string()) {
    res.content_type = "text/plain; charset=utf-8";
    res.body = e.body.as_string();
  } else {
    res.body = render(e.body, c.pretty);
  }
  c.reply->respond(std::move(res));
}

void api_server::impl::send(call& c, int code, const json::value& body,
                            std::vector<header> extra) {
  response res;
  res.status = code;
  res.body = render(body, c.pretty);
  res.headers = std::move(extra);
  res.headers.push_back({"Cache-Control", "no-cache, private"});
  c.reply->respond(std::move(res));
}

// -- impl: writes and notifications ---------------------------------------------------

const change_event& api_server::impl::commit_create(const resource_def& def,
                                                    const std::string& key,
                                                    json::value obj) {
  const auto& ev = store.create(def, key, std::move(obj));
  dispatch(def, ev);
  return ev;
}

const change_event& api_server::impl::commit_update(const resource_def& def,
                                                    const std::string& key,
                                                    json::value obj) {
  const auto& ev = store.update(def, key, std::move(obj));
  dispatch(def, ev);
  return ev;
}

const change_event& api_server::impl::commit_remove(const resource_def& def,
                                                    const std::string& key) {
  const auto& ev = store.remove(def, key);
  dispatch(def, ev);
  return ev;
}

} // namespace cafelet::apiserver
