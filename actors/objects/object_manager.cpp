#include "actors/objects/object_manager.hpp"

#include "actors/objects/object_streams.hpp"
#include "messages/api.hpp"
#include "messages/log.hpp"

#include <caf/actor_cast.hpp>
#include <caf/system_messages.hpp>
#include <caf/exit_reason.hpp>

#include <algorithm>
#include <functional>
#include <utility>

namespace cafelet::actors {

const char* object_manager_state::name = "object-manager";

object_manager_state::~object_manager_state() {
  if (!cfg.stats)
    return;
  uint64_t cached = 0;
  for (auto& [key, e] : objects)
    if (e.current.config_map || e.current.secret)
      ++cached;
  cfg.stats->watches_open -= streams.size();
  cfg.stats->objects_cached -= cached;
}

namespace {

using self_ptr = caf::stateful_actor<object_manager_state>*;

/// "configmap/ns/name" for logs.
std::string label(const object_key& key) {
  return std::string{to_string(key.kind)} + '/' + key.namespace_ + '/'
         + key.name;
}

const k8s::object_meta* meta_of(const object_update& x) {
  if (x.config_map)
    return &x.config_map->metadata;
  if (x.secret)
    return &x.secret->metadata;
  return nullptr;
}

bool is_immutable(const object_update& x) {
  if (x.config_map)
    return x.config_map->immutable.value_or(false);
  if (x.secret)
    return x.secret->immutable.value_or(false);
  return false;
}

/// True if subscribers must hear about `next` after `prev`.
bool differs(const object_update& prev, const object_update& next) {
  if (prev.error != next.error)
    return true;
  auto p = meta_of(prev);
  auto n = meta_of(next);
  if (!p || !n)
    return p != n;
  return p->uid != n->uid || p->resource_version != n->resource_version;
}

// -- streams ------------------------------------------------------------------

/// Seed of one stream: the configured seed mixed with the key (0 stays 0,
/// i.e. random).
uint64_t stream_seed(const object_manager_config& cfg, const object_key& key,
                     uint64_t restarts) {
  if (cfg.stream.seed == 0)
    return 0;
  auto h = std::hash<std::string>{}(label(key));
  auto seed = cfg.stream.seed ^ (h * 0x9E3779B97F4A7C15ull) ^ restarts;
  return seed == 0 ? 1 : seed;
}

void start_stream(self_ptr self, const object_key& key, object_entry& e) {
  auto& st = self->state;
  auto cfg = object_stream_config(key, st.cfg.stream);
  cfg.consumer = caf::actor_cast<caf::actor>(self);
  cfg.stats = e.watch;
  cfg.seed = stream_seed(st.cfg, key, e.restarts);
  e.stream = key.kind == object_kind::config_map
               ? self->spawn<caf::linked>(config_map_stream, st.cfg.transport,
                                          st.cfg.limiter, std::move(cfg))
               : self->spawn<caf::linked>(secret_stream, st.cfg.transport,
                                          st.cfg.limiter, std::move(cfg));
  e.seen_config_map = nullptr;
  e.seen_secret = nullptr;
  st.streams[e.stream.address()] = key;
  ++st.cfg.stats->watches_open;
  log::info(st.cfg.verbosity, "watching object",
            {log::kv("object", label(key)),
             log::kv("restarts", e.restarts)});
}

/// Stops the stream of `e` (if running) with `user_shutdown`.
void stop_stream(self_ptr self, object_entry& e) {
  if (!e.stream)
    return;
  auto& st = self->state;
  self->unlink_from(e.stream);
  self->send_exit(e.stream, caf::exit_reason::user_shutdown);
  st.streams.erase(e.stream.address());
  --st.cfg.stats->watches_open;
  e.stream = nullptr;
}

/// The entry fed by the sender of the current message, if it is a running
/// stream.
std::pair<const object_key*, object_entry*> sender_entry(self_ptr self) {
  auto& st = self->state;
  auto addr = caf::actor_cast<caf::actor_addr>(self->current_sender());
  auto i = st.streams.find(addr);
  if (i == st.streams.end())
    return {nullptr, nullptr}; // a stopped stream's last words
  auto j = st.objects.find(i->second);
  if (j == st.objects.end())
    return {nullptr, nullptr};
  return {&j->first, &j->second};
}

// -- publishing ---------------------------------------------------------------

void send_update(self_ptr self, const caf::actor& sub, const object_entry& e) {
  self->send(sub, e.current);
  ++self->state.cfg.stats->updates_sent;
}

/// Makes `next` the current state of `e` and tells every subscriber if it
/// differs (or nothing was published yet).
void publish(self_ptr self, const object_key& key, object_entry& e,
             object_update next) {
  auto& st = self->state;
  next.key = key;
  if (e.published && !differs(e.current, next))
    return;
  bool had = e.current.config_map || e.current.secret;
  bool has = next.config_map || next.secret;
  if (had != has) {
    if (has)
      ++st.cfg.stats->objects_cached;
    else
      --st.cfg.stats->objects_cached;
  }
  e.current = std::move(next);
  e.published = true;
  auto meta = meta_of(e.current);
  log::info(st.cfg.verbosity, "object changed",
            {log::kv("object", label(key)), log::kv("exists", meta != nullptr),
             log::kv("resourceVersion", meta ? meta->resource_version : ""),
             log::kv("error", e.current.error),
             log::kv("subscribers", e.subscribers.size())});
  for (auto& [addr, sub] : e.subscribers)
    send_update(self, sub, e);
  if (meta && is_immutable(e.current) && e.stream) {
    // Upstream stops watching an immutable object once it has it.
    log::info(st.cfg.verbosity, "object is immutable, no longer watching it",
              {log::kv("object", label(key))});
    stop_stream(self, e);
    e.frozen = true;
  }
}

/// Publishes what the stream reports now.
void publish_seen(self_ptr self, const object_key& key, object_entry& e) {
  object_update next;
  next.config_map = e.seen_config_map;
  next.secret = e.seen_secret;
  publish(self, key, e, std::move(next));
}

template <class T>
void on_event(self_ptr self, const k8s::watch_event<T>& ev) {
  auto [key, e] = sender_entry(self);
  if (!e)
    return;
  std::shared_ptr<const T> obj;
  switch (ev.type) {
    case k8s::watch_event_type::added:
    case k8s::watch_event_type::modified:
      obj = ev.object;
      break;
    case k8s::watch_event_type::deleted:
      break;
    default:
      return; // bookmarks carry no object state
  }
  if constexpr (std::is_same_v<T, k8s::config_map>)
    e->seen_config_map = std::move(obj);
  else
    e->seen_secret = std::move(obj);
  if (e->read)
    publish_seen(self, *key, *e);
}

void on_synced(self_ptr self, const watch_synced& x) {
  auto [key, e] = sender_entry(self);
  if (!e)
    return;
  if (x.items == 0) {
    e->seen_config_map = nullptr;
    e->seen_secret = nullptr;
  }
  e->read = true;
  e->crashes = 0;
  publish_seen(self, *key, *e);
}

void on_denied(self_ptr self, int32_t status, const std::string& why) {
  auto [key, e] = sender_entry(self);
  if (!e)
    return;
  if (e->read) {
    log::info(self->state.cfg.verbosity,
              "object no longer readable, keeping its last state",
              {log::kv("object", label(*key)), log::kv("status", status),
               log::kv("error", why)});
    return;
  }
  if (e->current.error != why)
    log::warning("object not readable by this node (yet), retrying",
                 {log::kv("object", label(*key)), log::kv("status", status),
                  log::kv("error", why)});
  object_update next;
  next.error = why.empty() ? "HTTP " + std::to_string(status) : why;
  publish(self, *key, *e, std::move(next));
}

// -- subscriptions ------------------------------------------------------------

void drop_entry(self_ptr self, std::map<object_key, object_entry>::iterator i) {
  auto& st = self->state;
  auto& e = i->second;
  stop_stream(self, e);
  if (e.current.config_map || e.current.secret)
    --st.cfg.stats->objects_cached;
  log::info(st.cfg.verbosity, "object no longer referenced, forgotten",
            {log::kv("object", label(i->first))});
  st.objects.erase(i);
}

/// Removes `sub` from the subscribers of `key`; drops the object when it
/// was the last one. Does not touch `st.subscribers`.
void remove_from_entry(self_ptr self, const object_key& key,
                       const caf::actor_addr& sub) {
  auto& st = self->state;
  auto i = st.objects.find(key);
  if (i == st.objects.end())
    return;
  i->second.subscribers.erase(sub);
  if (i->second.subscribers.empty())
    drop_entry(self, i);
}

void subscribe(self_ptr self, const object_key& key, const caf::actor& sub) {
  auto& st = self->state;
  if (!sub) {
    log::warning("object subscription without subscriber ignored",
                 {log::kv("object", label(key))});
    return;
  }
  if (auto why = check_object_key(key); !why.empty()) {
    log::warning("refusing object subscription",
                 {log::kv("object", label(key)), log::kv("error", why)});
    object_update refused;
    refused.key = key;
    refused.error = std::move(why);
    self->send(sub, std::move(refused));
    ++st.cfg.stats->updates_sent;
    return;
  }
  auto& keys = st.subscribers[sub.address()];
  if (keys.empty())
    self->monitor(sub);
  keys.insert(key);
  auto [i, fresh] = st.objects.try_emplace(key);
  auto& e = i->second;
  if (fresh) {
    e.current.key = key;
    e.watch = std::make_shared<watch_stats>();
    start_stream(self, key, e);
  }
  e.subscribers.emplace(sub.address(), sub);
  log::info(st.cfg.verbosity + 1, "object subscribed",
            {log::kv("object", label(key)),
             log::kv("subscribers", e.subscribers.size())});
  if (e.published)
    send_update(self, sub, e);
}

void unsubscribe(self_ptr self, const object_key& key, const caf::actor& sub) {
  auto& st = self->state;
  if (!sub)
    return;
  auto i = st.subscribers.find(sub.address());
  if (i == st.subscribers.end() || i->second.erase(key) == 0)
    return;
  if (i->second.empty()) {
    self->demonitor(sub.address());
    st.subscribers.erase(i);
  }
  remove_from_entry(self, key, sub.address());
}

void on_down(self_ptr self, const caf::down_msg& dm) {
  auto& st = self->state;
  auto i = st.subscribers.find(dm.source);
  if (i == st.subscribers.end())
    return;
  auto keys = std::move(i->second);
  st.subscribers.erase(i);
  for (auto& key : keys)
    remove_from_entry(self, key, dm.source);
}

// -- stream crashes -----------------------------------------------------------

std::chrono::milliseconds restart_delay(const object_manager_config& cfg,
                                        uint32_t crashes) {
  auto d = cfg.restart_base;
  for (uint32_t n = 1; n < crashes && d < cfg.restart_cap; ++n)
    d *= 2;
  return std::min(d, cfg.restart_cap);
}

/// Handles an exit of a linked actor: a stream crashed (restart it later)
/// or our supervisor / owner ends us.
void on_exit(self_ptr self, caf::exit_msg& msg) {
  auto& st = self->state;
  auto i = st.streams.find(msg.source);
  if (i == st.streams.end()) {
    self->quit(msg.reason);
    return;
  }
  auto key = i->second;
  st.streams.erase(i);
  --st.cfg.stats->watches_open;
  auto j = st.objects.find(key);
  if (j == st.objects.end())
    return;
  auto& e = j->second;
  e.stream = nullptr;
  ++e.crashes;
  ++e.restarts;
  auto delay = restart_delay(st.cfg, e.crashes);
  log::warning("object stream ended unexpectedly, restarting it",
               {log::kv("object", label(key)),
                log::kv("reason", to_string(msg.reason)),
                log::kv("restart_in_ms", delay.count())});
  self->delayed_send(self, delay, object_restart_atom::value, key,
                     e.restarts);
}

void on_restart(self_ptr self, const object_key& key, uint64_t n) {
  auto& st = self->state;
  auto i = st.objects.find(key);
  if (i == st.objects.end())
    return;
  auto& e = i->second;
  if (e.stream || e.frozen || e.restarts != n)
    return;
  ++st.cfg.stats->stream_restarts;
  start_stream(self, key, e);
}

} // namespace

caf::behavior object_manager(caf::stateful_actor<object_manager_state>* self,
                             object_manager_config cfg) {
  auto& st = self->state;
  if (!cfg.stats)
    cfg.stats = std::make_shared<object_manager_stats>();
  st.cfg = std::move(cfg);
  self->set_down_handler([self](caf::down_msg& dm) { on_down(self, dm); });
  self->set_exit_handler([self](caf::exit_msg& msg) { on_exit(self, msg); });
  return {
    [self](subscribe_atom, const object_key& key, const caf::actor& sub) {
      subscribe(self, key, sub);
      // Subscribers monitor this incarnation and subscribe again to the
      // next one if it dies (its subscriptions die with it).
      return caf::actor_cast<caf::actor>(self);
    },
    [self](unsubscribe_atom, const object_key& key, const caf::actor& sub) {
      unsubscribe(self, key, sub);
    },
    [self](const k8s::config_map_watch_event& ev) { on_event(self, ev); },
    [self](const k8s::secret_watch_event& ev) { on_event(self, ev); },
    [self](const watch_synced& x) { on_synced(self, x); },
    [self](object_denied_atom, int32_t status, const std::string& why) {
      on_denied(self, status, why);
    },
    [self](object_restart_atom, const object_key& key, uint64_t n) {
      on_restart(self, key, n);
    },
  };
}

} // namespace cafelet::actors
