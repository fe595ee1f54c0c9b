#include "actors/runtime/pleg.hpp"

#include "actors/runtime/termination_message.hpp"

#include "messages/api.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/log.hpp"
#include "messages/units/duration.hpp"
#include "runtime/cri/client.hpp"

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <set>
#include <tuple>

namespace cafelet::actors {

const char* pleg_state::name = "pleg";

pleg_source::~pleg_source() = default;

const char* to_string(runtime_sandbox_state x) {
  return x == runtime_sandbox_state::ready ? "ready" : "not_ready";
}

const char* to_string(runtime_container_state x) {
  switch (x) {
    case runtime_container_state::created: return "created";
    case runtime_container_state::running: return "running";
    case runtime_container_state::exited: return "exited";
    case runtime_container_state::unknown: return "unknown";
  }
  return "unknown";
}

// -- grouping and diffing ----------------------------------------------------

namespace {

/// Newest first; ties broken by ID for a stable order.
template <class T>
bool newer(const T& x, const T& y) {
  return std::tie(y.created_at_ns, x.id) < std::tie(x.created_at_ns, y.id);
}

runtime_container* find_container(runtime_view& view, const std::string& uid,
                                  const std::string& id) {
  auto i = view.find(uid);
  if (i == view.end())
    return nullptr;
  for (auto& c : i->second.containers)
    if (c.id == id)
      return &c;
  return nullptr;
}

/// Marks a container whose exit could not be inspected.
void mark_unknown(runtime_container& c) {
  c.exit_code = unknown_exit_code;
  c.reason = unknown_exit_reason;
  c.inspected = true;
}

container_event make_event(const std::string& uid, container_event_type type,
                           const std::string& id, const std::string& name) {
  container_event ev;
  ev.pod_uid = uid;
  ev.type = type;
  ev.id = id;
  ev.name = name;
  return ev;
}

/// Pairs the records of both views by ID, oldest first.
template <class T>
std::vector<std::pair<const T*, const T*>>
pair_up(const std::vector<T>* before, const std::vector<T>* after) {
  std::map<std::string, std::pair<const T*, const T*>> by_id;
  if (before)
    for (const auto& x : *before)
      by_id[x.id].first = &x;
  if (after)
    for (const auto& x : *after)
      by_id[x.id].second = &x;
  std::vector<std::pair<const T*, const T*>> out;
  out.reserve(by_id.size());
  for (auto& kvp : by_id)
    out.push_back(kvp.second);
  auto rec = [](const std::pair<const T*, const T*>& p) -> const T& {
    return p.second ? *p.second : *p.first;
  };
  std::sort(out.begin(), out.end(), [&](const auto& x, const auto& y) {
    const auto& a = rec(x);
    const auto& b = rec(y);
    return std::tie(a.created_at_ns, a.id) < std::tie(b.created_at_ns, b.id);
  });
  return out;
}

void diff_pod(const std::string& uid, const runtime_pod* before,
              const runtime_pod* after, std::vector<container_event>& out) {
  using cs = runtime_container_state;
  for (auto [old, now] : pair_up(before ? &before->containers : nullptr,
                                 after ? &after->containers : nullptr)) {
    if (now == nullptr) {
      if (old->state != cs::exited) {
        // Gone without being seen exited: its exit is unknown.
        auto ev = make_event(uid, container_event_type::died, old->id, old->name);
        ev.exit_code = unknown_exit_code;
        ev.reason = unknown_exit_reason;
        out.push_back(std::move(ev));
      }
      out.push_back(make_event(uid, container_event_type::removed, old->id,
                               old->name));
      continue;
    }
    if (old != nullptr && old->state == now->state)
      continue;
    if (now->state == cs::running) {
      out.push_back(make_event(uid, container_event_type::started, now->id,
                               now->name));
    } else if (now->state == cs::exited) {
      auto ev = make_event(uid, container_event_type::died, now->id, now->name);
      if (now->inspected) {
        ev.exit_code = now->exit_code;
        ev.reason = now->reason;
        ev.message = now->message;
        ev.finished_at_ns = now->finished_at_ns;
      }
      out.push_back(std::move(ev));
    }
    // created / unknown: no event (upstream drops ContainerChanged).
  }
  for (auto [old, now] : pair_up(before ? &before->sandboxes : nullptr,
                                 after ? &after->sandboxes : nullptr)) {
    bool changed = now == nullptr
                   || (now->state == runtime_sandbox_state::not_ready
                       && (old == nullptr
                           || old->state == runtime_sandbox_state::ready));
    if (changed)
      out.push_back(make_event(uid, container_event_type::sandbox_changed,
                               now ? now->id : old->id, ""));
  }
}

} // namespace

runtime_view build_view(std::vector<runtime_sandbox> sandboxes,
                        std::vector<runtime_container> containers,
                        const runtime_view& previous) {
  runtime_view out;
  std::map<std::string, std::string> uid_of_sandbox;
  for (auto& sb : sandboxes) {
    if (sb.pod_uid.empty() || sb.id.empty()
        || !uid_of_sandbox.emplace(sb.id, sb.pod_uid).second)
      continue;
    auto& pod = out[sb.pod_uid];
    pod.uid = sb.pod_uid;
    pod.sandboxes.push_back(std::move(sb));
  }
  std::map<std::string, const runtime_container*> inspected;
  for (const auto& [uid, pod] : previous)
    for (const auto& c : pod.containers)
      if (c.inspected)
        inspected.emplace(c.id, &c);
  std::set<std::string> seen;
  for (auto& c : containers) {
    if (c.pod_uid.empty()) {
      auto i = uid_of_sandbox.find(c.sandbox_id);
      if (i != uid_of_sandbox.end())
        c.pod_uid = i->second;
    }
    if (c.pod_uid.empty() || c.id.empty() || !seen.insert(c.id).second)
      continue;
    if (auto i = inspected.find(c.id);
        !c.inspected && i != inspected.end() && i->second->state == c.state) {
      const auto& old = *i->second;
      c.started_at_ns = old.started_at_ns;
      c.finished_at_ns = old.finished_at_ns;
      c.exit_code = old.exit_code;
      c.reason = old.reason;
      c.message = old.message;
      c.inspected = true;
    }
    auto& pod = out[c.pod_uid];
    pod.uid = c.pod_uid;
    pod.containers.push_back(std::move(c));
  }
  for (auto& [uid, pod] : out) {
    std::sort(pod.sandboxes.begin(), pod.sandboxes.end(),
              newer<runtime_sandbox>);
    std::sort(pod.containers.begin(), pod.containers.end(),
              newer<runtime_container>);
    for (const auto& sb : pod.sandboxes)
      if (!sb.pod_name.empty()) {
        pod.name = sb.pod_name;
        pod.ns = sb.pod_namespace;
        break;
      }
  }
  return out;
}

std::vector<container_event> diff_views(const runtime_view& before,
                                        const runtime_view& after) {
  std::vector<container_event> out;
  std::set<std::string> uids;
  for (const auto& kvp : before)
    uids.insert(kvp.first);
  for (const auto& kvp : after)
    uids.insert(kvp.first);
  for (const auto& uid : uids) {
    auto b = before.find(uid);
    auto a = after.find(uid);
    diff_pod(uid, b == before.end() ? nullptr : &b->second,
             a == after.end() ? nullptr : &a->second, out);
  }
  return out;
}

// -- CRI source --------------------------------------------------------------

namespace {

template <class Map>
std::string lookup(const Map& m, const char* key) {
  auto i = m.find(key);
  return i == m.end() ? std::string{} : i->second;
}

runtime_container_state to_state(cri::pb::ContainerState x) {
  switch (x) {
    case cri::pb::CONTAINER_CREATED: return runtime_container_state::created;
    case cri::pb::CONTAINER_RUNNING: return runtime_container_state::running;
    case cri::pb::CONTAINER_EXITED: return runtime_container_state::exited;
    default: return runtime_container_state::unknown;
  }
}

/// The restartCount annotation; the metadata attempt if it is missing or
/// malformed (cafelet sets both to the restart count).
int32_t restart_count_of(const std::string& text, uint32_t attempt) {
  int32_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()
      || n < 0)
    return static_cast<int32_t>(std::min<uint32_t>(attempt, INT32_MAX));
  return n;
}

/// The fields Container and ContainerStatus share.
template <class T>
runtime_container common_fields(const T& x) {
  runtime_container out;
  out.id = x.id();
  out.pod_uid = lookup(x.labels(), pod_uid_label);
  out.name = lookup(x.labels(), container_name_label);
  if (out.name.empty())
    out.name = x.metadata().name();
  out.state = to_state(x.state());
  out.attempt = x.metadata().attempt();
  out.restart_count = restart_count_of(
    lookup(x.annotations(), restart_count_annotation), out.attempt);
  out.image = x.image().image();
  out.image_ref = x.image_ref();
  out.created_at_ns = x.created_at();
  return out;
}

} // namespace

runtime_sandbox to_runtime_sandbox(const cri::pb::PodSandbox& x) {
  runtime_sandbox out;
  out.id = x.id();
  out.pod_uid = lookup(x.labels(), pod_uid_label);
  if (out.pod_uid.empty())
    out.pod_uid = x.metadata().uid();
  out.pod_name = lookup(x.labels(), pod_name_label);
  if (out.pod_name.empty())
    out.pod_name = x.metadata().name();
  out.pod_namespace = lookup(x.labels(), pod_namespace_label);
  if (out.pod_namespace.empty())
    out.pod_namespace = x.metadata().namespace_();
  out.state = x.state() == cri::pb::SANDBOX_READY
                ? runtime_sandbox_state::ready
                : runtime_sandbox_state::not_ready;
  out.created_at_ns = x.created_at();
  out.attempt = x.metadata().attempt();
  return out;
}

runtime_container to_runtime_container(const cri::pb::Container& x) {
  auto out = common_fields(x);
  out.sandbox_id = x.pod_sandbox_id();
  return out;
}

runtime_container to_runtime_container(const cri::pb::ContainerStatus& x) {
  auto out = common_fields(x);
  out.started_at_ns = x.started_at();
  out.finished_at_ns = x.finished_at();
  out.exit_code = x.exit_code();
  out.reason = x.reason();
  out.message = x.message();
  out.inspected = true;
  return out;
}

namespace {

class cri_source final : public pleg_source {
public:
  explicit cri_source(std::shared_ptr<cri::client> client)
    : client_(std::move(client)) {
  }

  void list_sandboxes(callback<std::vector<runtime_sandbox>> cb) override {
    client_->list_pod_sandbox(
      {}, [cb](caf::expected<cri::pb::ListPodSandboxResponse> x) {
        if (!x) {
          cb(std::move(x.error()));
          return;
        }
        std::vector<runtime_sandbox> out;
        out.reserve(static_cast<size_t>(x->items_size()));
        for (const auto& item : x->items())
          out.push_back(to_runtime_sandbox(item));
        cb(std::move(out));
      });
  }

  void list_containers(callback<std::vector<runtime_container>> cb) override {
    client_->list_containers(
      {}, [cb](caf::expected<cri::pb::ListContainersResponse> x) {
        if (!x) {
          cb(std::move(x.error()));
          return;
        }
        std::vector<runtime_container> out;
        out.reserve(static_cast<size_t>(x->containers_size()));
        for (const auto& item : x->containers())
          out.push_back(to_runtime_container(item));
        cb(std::move(out));
      });
  }

  void container_status(const std::string& id,
                        callback<runtime_container> cb) override {
    cri::pb::ContainerStatusRequest req;
    req.set_container_id(id);
    client_->container_status(
      std::move(req),
      [cb, id](caf::expected<cri::pb::ContainerStatusResponse> x) {
        if (!x) {
          cb(std::move(x.error()));
          return;
        }
        if (!x->has_status()) {
          cb(make_error(errc::not_found, "no status for container " + id));
          return;
        }
        auto out = to_runtime_container(x->status());
        // The termination message is read here, on the gRPC thread.
        if (out.state == runtime_container_state::exited)
          if (auto msg = termination_message(x->status()); !msg.empty())
            out.message = std::move(msg);
        cb(std::move(out));
      });
  }

private:
  std::shared_ptr<cri::client> client_;
};

} // namespace

std::shared_ptr<pleg_source>
make_cri_pleg_source(std::shared_ptr<cri::client> client) {
  return std::make_shared<cri_source>(std::move(client));
}

// -- the actor ---------------------------------------------------------------

namespace {

using sandboxes_atom = caf::atom_constant<caf::atom("pleg_sbs")>;
using containers_atom = caf::atom_constant<caf::atom("pleg_cts")>;
using status_atom = caf::atom_constant<caf::atom("pleg_cst")>;
using self_ptr = caf::stateful_actor<pleg_state>*;

/// Microseconds of an actor-clock duration.
uint64_t micros(caf::actor_clock::duration_type d) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return us < 0 ? 0 : static_cast<uint64_t>(us);
}

void check_health(self_ptr self) {
  auto& st = self->state;
  auto now = self->clock().now();
  auto elapsed = now - st.last_seen;
  bool healthy = elapsed <= st.cfg.relist_threshold;
  if (!st.seen_once && healthy)
    return; // nothing to say before the first relist
  std::string msg;
  if (!healthy) {
    msg = "PLEG is not healthy: ";
    if (st.seen_once)
      msg += "pleg was last seen active "
             + units::format_duration(
               std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed))
             + " ago; threshold is "
             + units::format_duration(st.cfg.relist_threshold);
    else
      msg += "pleg has yet to be successful";
  }
  if (st.reported == healthy
      && now - st.reported_at < st.cfg.health_report_period)
    return;
  if (st.reported != healthy) {
    if (healthy)
      log::info(1, "PLEG is healthy again");
    else
      log::warning("PLEG is not healthy", {{"message", msg}});
  }
  st.reported = healthy;
  st.reported_at = now;
  st.cfg.stats->healthy = healthy;
  if (st.cfg.node_status)
    self->send(st.cfg.node_status, readiness_update{"pleg", healthy, msg});
}

runtime_pod pod_of(const pleg_state& st, const std::string& uid) {
  auto i = st.view.find(uid);
  if (i != st.view.end())
    return i->second;
  runtime_pod out;
  out.uid = uid;
  return out;
}

runtime_snapshot snapshot_of(const pleg_state& st) {
  runtime_snapshot out;
  out.relists = st.relists;
  out.pods.reserve(st.view.size());
  for (const auto& kvp : st.view)
    out.pods.push_back(kvp.second);
  return out;
}

void log_event(const container_event& ev) {
  auto v = ev.type == container_event_type::died ? 2 : 4;
  if (!log::enabled(v))
    return;
  log::info(v, "PLEG container event",
            {{"podUID", ev.pod_uid},
             {"event", to_string(ev.type)},
             {"containerID", ev.id},
             {"container", ev.name},
             log::kv("exitCode", ev.exit_code),
             {"reason", ev.reason}});
}

/// Commits the relist in flight: new view, events, counters, waiters.
void finish(self_ptr self) {
  auto& st = self->state;
  auto& r = *st.current;
  // Containers whose inspection failed keep their old state: the next
  // relist sees the same change and asks again.
  for (const auto& id : r.failed) {
    auto ev = std::find_if(r.events.begin(), r.events.end(), [&](auto& x) {
      return x.id == id && x.type == container_event_type::died;
    });
    if (ev == r.events.end())
      continue;
    auto uid = ev->pod_uid;
    r.events.erase(ev);
    auto& pod = r.view[uid];
    auto& cs = pod.containers;
    auto pos = std::find_if(cs.begin(), cs.end(),
                            [&](auto& c) { return c.id == id; });
    if (pos == cs.end())
      continue;
    if (auto* old = find_container(st.view, uid, id))
      *pos = *old;
    else
      cs.erase(pos);
  }
  for (auto i = r.view.begin(); i != r.view.end();)
    if (i->second.sandboxes.empty() && i->second.containers.empty())
      i = r.view.erase(i);
    else
      ++i;
  auto events = std::move(r.events);
  auto took = micros(self->clock().now() - r.started);
  st.view = std::move(r.view);
  st.current.reset();
  ++st.relists;
  auto& stats = *st.cfg.stats;
  ++stats.relists;
  stats.last_relist_us = took;
  stats.total_relist_us += took;
  stats.pods = st.view.size();
  uint64_t n = 0;
  for (const auto& kvp : st.view)
    n += kvp.second.containers.size();
  stats.containers = n;
  for (auto& ev : events) {
    log_event(ev);
    ++stats.events;
    if (st.cfg.consumer)
      self->send(st.cfg.consumer, std::move(ev));
  }
  for (auto& [uid, rp] : st.pod_waiters)
    rp.deliver(pod_of(st, uid));
  st.pod_waiters.clear();
  for (auto& rp : st.snapshot_waiters)
    rp.deliver(snapshot_of(st));
  st.snapshot_waiters.clear();
  check_health(self);
}

void relist_failed(self_ptr self, caf::error err) {
  auto& st = self->state;
  ++st.cfg.stats->relist_errors;
  st.current.reset();
  if (!st.failing)
    log::warning("PLEG: unable to list pods and containers",
                 {{"err", describe(err)}});
  else
    log::info(2, "PLEG: relist failed again", {{"err", describe(err)}});
  st.failing = true;
}

/// Asks for the exit details of every died container still listed.
void lists_done(self_ptr self) {
  auto& st = self->state;
  auto& r = *st.current;
  if (st.failing)
    log::info(1, "PLEG: relisting works again");
  st.failing = false;
  st.last_seen = r.started;
  st.seen_once = true;
  r.view = build_view(std::move(*r.sandboxes), std::move(*r.containers),
                      st.view);
  r.sandboxes.reset();
  r.containers.reset();
  r.events = diff_views(st.view, r.view);
  auto me = caf::actor_cast<caf::actor>(self);
  auto gen = st.gen;
  for (const auto& ev : r.events) {
    if (ev.type != container_event_type::died)
      continue;
    auto* c = find_container(r.view, ev.pod_uid, ev.id);
    if (c == nullptr || c->inspected)
      continue;
    ++r.open;
    st.source->container_status(
      ev.id, [me, gen, id = ev.id](caf::expected<runtime_container> x) {
        if (x)
          caf::anon_send(me, status_atom::value, gen, id, std::move(*x));
        else
          caf::anon_send(me, status_atom::value, gen, id, std::move(x.error()));
      });
  }
  if (r.open == 0)
    finish(self);
}

/// Handles one list answer; the relist goes on once both are in.
template <class T>
void list_answer(self_ptr self, uint64_t gen, caf::expected<T> x,
                 std::optional<T> pleg_relist::*slot) {
  auto& st = self->state;
  if (gen != st.gen || !st.current)
    return; // an abandoned relist
  auto& r = *st.current;
  if (x)
    r.*slot = std::move(*x);
  else if (!r.error)
    r.error = std::move(x.error());
  if (--r.lists_open > 0)
    return;
  if (r.error)
    relist_failed(self, r.error);
  else
    lists_done(self);
}

/// The died event of `id` in the relist in flight.
container_event* died_event(pleg_relist& r, const std::string& id) {
  for (auto& ev : r.events)
    if (ev.id == id && ev.type == container_event_type::died)
      return &ev;
  return nullptr;
}

void status_answer(self_ptr self, uint64_t gen, const std::string& id,
                   caf::expected<runtime_container> x) {
  auto& st = self->state;
  if (gen != st.gen || !st.current || st.current->open == 0)
    return;
  auto& r = *st.current;
  auto* ev = died_event(r, id);
  auto* c = ev ? find_container(r.view, ev->pod_uid, id) : nullptr;
  if (c != nullptr) {
    if (x) {
      st.status_failures.erase(id);
      c->started_at_ns = x->started_at_ns;
      c->finished_at_ns = x->finished_at_ns;
      c->exit_code = x->exit_code;
      c->reason = x->reason;
      c->message = x->message;
      c->inspected = true;
    } else {
      ++st.cfg.stats->status_errors;
      auto tries = ++st.status_failures[id];
      if (is(x.error(), errc::not_found) || tries >= st.cfg.max_status_attempts) {
        log::warning("PLEG: exit of container unknown",
                     {{"podUID", ev->pod_uid},
                      {"containerID", id},
                      {"err", describe(x.error())}});
        st.status_failures.erase(id);
        mark_unknown(*c);
      } else {
        log::info(2, "PLEG: container status failed, retrying next relist",
                  {{"podUID", ev->pod_uid},
                   {"containerID", id},
                   {"err", describe(x.error())}});
        r.failed.push_back(id);
      }
    }
    ev->exit_code = c->exit_code;
    ev->reason = c->reason;
    ev->message = c->message;
    ev->finished_at_ns = c->finished_at_ns;
  }
  if (--r.open == 0)
    finish(self);
}

void start_relist(self_ptr self) {
  auto& st = self->state;
  auto now = self->clock().now();
  if (st.current) {
    if (now - st.current->started <= st.cfg.relist_timeout) {
      ++st.cfg.stats->skipped_relists;
      log::info(4, "PLEG: relist still running, skipping this period");
      return;
    }
    relist_failed(self, make_error(errc::timeout, "relist did not complete within "
                                                    + units::format_duration(
                                                      st.cfg.relist_timeout)));
  }
  auto gen = ++st.gen;
  st.current.emplace();
  st.current->started = now;
  auto me = caf::actor_cast<caf::actor>(self);
  st.source->list_sandboxes(
    [me, gen](caf::expected<std::vector<runtime_sandbox>> x) {
      if (x)
        caf::anon_send(me, sandboxes_atom::value, gen, std::move(*x));
      else
        caf::anon_send(me, sandboxes_atom::value, gen, std::move(x.error()));
    });
  st.source->list_containers(
    [me, gen](caf::expected<std::vector<runtime_container>> x) {
      if (x)
        caf::anon_send(me, containers_atom::value, gen, std::move(*x));
      else
        caf::anon_send(me, containers_atom::value, gen, std::move(x.error()));
    });
}

} // namespace

caf::behavior pleg(caf::stateful_actor<pleg_state>* self,
                   std::shared_ptr<pleg_source> source, pleg_config cfg) {
  auto& st = self->state;
  st.source = std::move(source);
  st.cfg = std::move(cfg);
  if (!st.cfg.stats)
    st.cfg.stats = std::make_shared<pleg_stats>();
  st.last_seen = self->clock().now();
  start_relist(self);
  self->delayed_send(self, st.cfg.relist_period, tick_atom::value);
  using sandbox_list = std::vector<runtime_sandbox>;
  using container_list = std::vector<runtime_container>;
  return {
    [self](tick_atom) {
      self->delayed_send(self, self->state.cfg.relist_period, tick_atom::value);
      start_relist(self);
      check_health(self);
    },
    [self](sandboxes_atom, uint64_t gen, sandbox_list& x) {
      list_answer<sandbox_list>(self, gen, std::move(x), &pleg_relist::sandboxes);
    },
    [self](sandboxes_atom, uint64_t gen, caf::error& err) {
      list_answer<sandbox_list>(self, gen, std::move(err), &pleg_relist::sandboxes);
    },
    [self](containers_atom, uint64_t gen, container_list& x) {
      list_answer<container_list>(self, gen, std::move(x),
                                  &pleg_relist::containers);
    },
    [self](containers_atom, uint64_t gen, caf::error& err) {
      list_answer<container_list>(self, gen, std::move(err),
                                  &pleg_relist::containers);
    },
    [self](status_atom, uint64_t gen, const std::string& id,
           runtime_container& x) { status_answer(self, gen, id, std::move(x)); },
    [self](status_atom, uint64_t gen, const std::string& id, caf::error& err) {
      status_answer(self, gen, id, std::move(err));
    },
    [self](caf::get_atom, const std::string& uid) -> caf::result<runtime_pod> {
      auto& st = self->state;
      if (st.relists > 0)
        return pod_of(st, uid);
      auto rp = self->make_response_promise<runtime_pod>();
      st.pod_waiters.emplace_back(uid, rp);
      return rp;
    },
    [self](caf::get_atom) -> caf::result<runtime_snapshot> {
      auto& st = self->state;
      if (st.relists > 0)
        return snapshot_of(st);
      auto rp = self->make_response_promise<runtime_snapshot>();
      st.snapshot_waiters.push_back(rp);
      return rp;
    },
  };
}

} // namespace cafelet::actors
