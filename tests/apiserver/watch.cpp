// Watches: the chunked stream of {"type":...,"object":...} lines, starting
// points (resourceVersion semantics), selector transitions, bookmarks,
// timeouts and the 410/504 ERROR events, as the watch cache serves them.

#include "tests/apiserver/schema.hpp"
#include "tests/apiserver/server_impl.hpp"
#include "tests/apiserver/support.hpp"
#include "tests/apiserver/list_options.hpp"

#include <random>

namespace cafelet::apiserver {

namespace {

std::string event_line(std::string_view type, const json::value& obj) {
  std::string out = "{\"type\":\"";
  out += type;
  out += "\",\"object\":";
  json::dump_to(out, obj);
  out += "}\n";
  return out;
}

/// What a watcher sees of one change: the type to send and the object.
struct visible_event {
  std::string_view type;
  object_ptr object;
};

} // namespace

bool api_server::impl::watcher_matches(const watcher& w,
                                       const json::value& obj) const {
  if (!w.ns.empty()) {
    const auto* ns = obj.find_path({"metadata", "namespace"});
    if (ns == nullptr || ns->as_string() != w.ns)
      return false;
  }
  const auto* def = w.def;
  auto labels = [&obj](std::string_view key) -> std::optional<std::string> {
    const auto* ls = obj.find_path({"metadata", "labels"});
    const auto* v = ls ? ls->find(key) : nullptr;
    if (v == nullptr)
      return std::nullopt;
    return v->as_string();
  };
  auto fields = [&obj, def](std::string_view key) {
    return def->field_value(obj, key);
  };
  return w.labels.matches(labels) && w.fields.matches(fields);
}

namespace {

/// Filters `ev` for `w` as the watch cache does: an object that starts or
/// stops matching the selectors appears as ADDED or DELETED.
std::optional<visible_event> filter(const api_server::impl& self,
                                    const watcher& w, const change_event& ev) {
  bool now = ev.type != "DELETED" && self.watcher_matches(w, *ev.object);
  bool before = ev.previous && self.watcher_matches(w, *ev.previous);
  visible_event out;
  if (ev.type == "ADDED") {
    if (!now)
      return std::nullopt;
    out.type = "ADDED";
    out.object = ev.object;
  } else if (ev.type == "MODIFIED") {
    if (now && before) {
      out.type = "MODIFIED";
      out.object = ev.object;
    } else if (now) {
      out.type = "ADDED";
      out.object = ev.object;
    } else if (before) {
      out.type = "DELETED";
      json::value last = *ev.previous;
      set_resource_version(last, ev.rv);
      out.object = std::make_shared<const json::value>(std::move(last));
    } else {
      return std::nullopt;
    }
  } else {
    if (!before)
      return std::nullopt;
    out.type = "DELETED";
    out.object = ev.object;
  }
  return out;
}

} // namespace

void api_server::impl::dispatch(const resource_def& def,
                                const change_event& ev) {
  std::string cached_type;
  std::string cached_line;
  for (auto& [id, w] : watchers) {
    if (w->def != &def || w->waiting)
      continue;
    auto vis = filter(*this, *w, ev);
    if (!vis)
      continue;
    if (vis->object == ev.object) {
      if (cached_type != vis->type) {
        cached_type = std::string{vis->type};
        cached_line = event_line(vis->type, *ev.object);
      }
      write_to(*w, cached_line);
    } else {
      write_to(*w, event_line(vis->type, *vis->object));
    }
  }
  wake_waiters();
}

void api_server::impl::write_to(watcher& w, std::string chunk) {
  if (hanging) {
    w.backlog.push_back(std::move(chunk));
    return;
  }
  w.sink->write(std::move(chunk));
}

void api_server::impl::wake_waiters() {
  auto rv = store.current_rv();
  // Watches waiting for a future resourceVersion.
  for (auto& [id, w] : watchers) {
    if (!w->waiting || rv < w->start_rv)
      continue;
    w->waiting = false;
    timer->cancel(w->wait_timer);
    w->wait_timer = 0;
    if (auto events = store.events_after(*w->def, w->start_rv))
      for (const auto& ev : *events)
        if (auto vis = filter(*this, *w, ev))
          write_to(*w, event_line(vis->type, *vis->object));
  }
  // Lists waiting for a future resourceVersion.
  std::vector<std::function<void()>> ready;
  for (auto i = rv_waiters.begin(); i != rv_waiters.end();) {
    if (rv >= i->first) {
      ready.push_back(std::move(i->second));
      i = rv_waiters.erase(i);
    } else {
      ++i;
    }
  }
  for (auto& fn : ready)
    fn();
}

json::value api_server::impl::bookmark_object(const resource_def& def,
                                              uint64_t rv,
                                              const std::string& annotation) const {
  json::value obj{json::object{}};
  if (const auto* schema = schema_for(def.kind))
    obj = zero_value(*schema);
  obj["kind"] = def.kind;
  obj["apiVersion"] = def.api_version();
  obj["metadata"]["resourceVersion"] = std::to_string(rv);
  if (!annotation.empty())
    obj["metadata"]["annotations"][annotation] = "true";
  if (const auto* schema = schema_for(def.kind))
    normalize_as(*schema, obj);
  return obj;
}

void api_server::impl::send_bookmark(watcher& w, const std::string& annotation) {
  write_to(w, event_line("BOOKMARK", bookmark_object(*w.def, store.current_rv(),
                                                     annotation)));
}

void api_server::impl::schedule_bookmark(watcher& w) {
  using clock = timer_thread::clock;
  auto now = clock::now();
  auto next = now + opts.bookmark_interval;
  auto pre_timeout = w.deadline - opts.bookmark_before_timeout;
  if (pre_timeout < next)
    next = pre_timeout;
  if (next < now)
    return;
  auto id = w.id;
  w.bookmark_timer = timer->schedule_after(next - now, [this, id] {
    std::lock_guard<std::mutex> guard{mtx};
    auto i = watchers.find(id);
    if (i == watchers.end())
      return;
    auto& w = *i->second;
    w.bookmark_timer = 0;
    if (!w.waiting && !hanging)
      send_bookmark(w);
    schedule_bookmark(w);
  });
}

void api_server::impl::end_watch(uint64_t id, bool abrupt) {
  auto i = watchers.find(id);
  if (i == watchers.end())
    return;
  auto w = i->second;
  watchers.erase(i);
  for (auto t : {w->timeout_timer, w->bookmark_timer, w->wait_timer})
    if (t != 0)
      timer->cancel(t);
  if (abrupt)
    w->sink->abort();
  else
    w->sink->close();
}

void api_server::impl::serve_watch(call& c) {
  auto parsed = parse_list_options(c.req, *c.def, true);
  if (auto* err = std::get_if<api_error>(&parsed)) {
    fail(c, *err);
    return;
  }
  auto* params = &std::get<list_options>(parsed);
  auto w = std::make_shared<watcher>();
  w->id = next_watcher_id++;
  w->def = c.def;
  w->ns = c.info.ns;
  w->labels = std::move(params->labels);
  w->fields = std::move(params->fields);
  if (c.info.name_in_path) // GET /api/v1/watch/.../<name>
    w->fields.require("metadata.name", c.info.name);
  w->bookmarks = params->allow_bookmarks;
  w->path = c.req.path;
  using clock = timer_thread::clock;
  std::chrono::milliseconds timeout;
  if (params->timeout_seconds && *params->timeout_seconds > 0) {
    timeout = std::chrono::seconds{*params->timeout_seconds};
  } else {
    static std::mt19937 gen{std::random_device{}()};
    auto min = std::chrono::duration_cast<std::chrono::milliseconds>(
      opts.min_request_timeout);
    std::uniform_int_distribution<long long> dist{min.count(), 2 * min.count()};
    timeout = std::chrono::milliseconds{dist(gen)};
  }
  w->deadline = clock::now() + timeout;
  w->sink = c.reply->stream(200, {{"Content-Type", "application/json"},
                                  {"Cache-Control", "no-cache, private"}});
  if (!w->sink)
    return;
  auto id = w->id;
  watchers.emplace(id, w);
  std::weak_ptr<impl> weak = weak_from_this();
  w->sink->on_end([weak, id] {
    if (auto self = weak.lock()) {
      auto* raw = self.get();
      raw->timer->schedule_after(std::chrono::milliseconds{0}, [raw, id] {
        std::lock_guard<std::mutex> guard{raw->mtx};
        raw->end_watch(id, false);
      });
    }
  });
  auto current = store.current_rv();
  if (params->from_rv && !params->send_initial_events) {
    auto rv = *params->from_rv;
    auto floor = store.floor(*c.def);
    if (rv < floor) {
      auto status = make_status(410, "Expired",
                                "too old resource version: "
                                  + std::to_string(rv) + " ("
                                  + std::to_string(floor) + ")");
      write_to(*w, event_line("ERROR", status));
      end_watch(id, false);
      return;
    }
    if (rv > current) {
      w->waiting = true;
      w->start_rv = rv;
      w->wait_timer = timer->schedule_after(opts.future_rv_wait, [this, id] {
        std::lock_guard<std::mutex> guard{mtx};
        auto i = watchers.find(id);
        if (i == watchers.end() || !i->second->waiting)
          return;
        auto& w = *i->second;
        w.wait_timer = 0;
        write_to(w, event_line("ERROR", too_large_rv_status(
                                          w.start_rv, store.current_rv())));
        end_watch(w.id, false);
      });
    } else {
      w->start_rv = rv;
      if (auto events = store.events_after(*c.def, rv))
        for (const auto& ev : *events)
          if (auto vis = filter(*this, *w, ev))
            write_to(*w, event_line(vis->type, *vis->object));
    }
  } else {
    // Start "at any" / "most recent": synthetic ADDED events for the state.
    w->start_rv = current;
    if (auto items = store.list_at(*c.def, c.info.ns, current))
      for (const auto& [key, obj] : *items)
        if (watcher_matches(*w, *obj))
          write_to(*w, event_line("ADDED", *obj));
    if (params->send_initial_events)
      send_bookmark(*w, "k8s.io/initial-events-end");
  }
  w->timeout_timer = timer->schedule_after(timeout, [this, id] {
    std::lock_guard<std::mutex> guard{mtx};
    if (auto i = watchers.find(id); i != watchers.end())
      i->second->timeout_timer = 0;
    end_watch(id, false);
  });
  if (w->bookmarks)
    schedule_bookmark(*w);
}

} // namespace cafelet::apiserver
