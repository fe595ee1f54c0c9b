#include "actors/events/event_recorder.hpp"
#include "messages/k8s/decode.hpp"

#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/k8s/encode.hpp"
#include "messages/log.hpp"

#include <caf/atom.hpp>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <deque>
#include <list>
#include <optional>
#include <random>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace cafelet::actors {

namespace {

using namespace std::chrono;

/// A token may be available: send what waits in the queue.
using drain_atom = caf::atom_constant<caf::atom("ev_drain")>;
/// The backoff of a failed request expired.
using retry_atom = caf::atom_constant<caf::atom("ev_retry")>;

using steady_point = net::token_bucket::time_point;

constexpr std::string_view combined_prefix = "(combined from similar events): ";

// -- LRU cache ----------------------------------------------------------------

/// A string-keyed LRU map of bounded size (client-go uses groupcache/lru).
template <class V>
class lru_cache {
public:
  explicit lru_cache(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {
    // nop
  }

  /// The entry for `key` (marked as most recently used), or nullptr.
  V* get(const std::string& key) {
    auto i = index_.find(key);
    if (i == index_.end())
      return nullptr;
    items_.splice(items_.begin(), items_, i->second);
    return &i->second->second;
  }

  /// Sets the entry for `key`, evicting the least recently used one if full.
  V& put(const std::string& key, V value) {
    if (auto* v = get(key)) {
      *v = std::move(value);
      return *v;
    }
    items_.emplace_front(key, std::move(value));
    index_.emplace(std::string_view{items_.front().first}, items_.begin());
    if (items_.size() > capacity_) {
      index_.erase(std::string_view{items_.back().first});
      items_.pop_back();
    }
    return items_.front().second;
  }

private:
  using list_type = std::list<std::pair<std::string, V>>;
  size_t capacity_;
  list_type items_;
  std::unordered_map<std::string_view, typename list_type::iterator> index_;
};

/// Joins key parts with a separator that cannot be confused with text.
std::string join_key(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) {
    out += p;
    out += '\x1f';
  }
  return out;
}

/// Identical events: same source, object (incl. fieldPath), type, reason
/// and message.
std::string event_key(const k8s::event& ev) {
  const auto& o = ev.involved_object;
  return join_key({"e", ev.source.component, ev.source.host, o.kind,
                   o.namespace_, o.name, o.field_path, o.uid, o.api_version,
                   ev.type_, ev.reason, ev.message});
}

/// Similar events: as identical, but any message and no fieldPath.
std::string aggregate_key(const k8s::event& ev) {
  const auto& o = ev.involved_object;
  return join_key({"a", ev.source.component, ev.source.host, o.kind,
                   o.namespace_, o.name, o.uid, o.api_version, ev.type_,
                   ev.reason, ev.reporting_component, ev.reporting_instance});
}

/// Spam filter groups: source and object.
std::string spam_key(const k8s::event& ev) {
  const auto& o = ev.involved_object;
  return join_key({ev.source.component, ev.source.host, o.kind, o.namespace_,
                   o.name, o.uid, o.api_version});
}

} // namespace

// -- event_correlator ---------------------------------------------------------

struct event_correlator::impl {
  struct aggregate_record {
    std::unordered_set<std::string> messages;
    steady_point last;
  };

  struct observation {
    int32_t count = 0;
    k8s::opt_time first_timestamp;
    std::string name;
  };

  impl(const event_recorder_config& cfg, clock_fn now)
    : clock(std::move(now)),
      max_events(std::max<size_t>(cfg.aggregate_max_events, 1)),
      window(cfg.aggregate_window),
      spam_qps(cfg.spam_qps),
      spam_burst(cfg.spam_burst),
      aggregates(cfg.cache_size),
      observations(cfg.cache_size),
      spam(cfg.cache_size) {
    // nop
  }

  clock_fn clock;
  size_t max_events;
  milliseconds window;
  double spam_qps;
  int spam_burst;
  lru_cache<aggregate_record> aggregates;
  lru_cache<observation> observations;
  lru_cache<net::token_bucket> spam;
};

event_correlator::event_correlator(const event_recorder_config& cfg,
                                   clock_fn now)
  : impl_(std::make_unique<impl>(cfg, std::move(now))) {
  // nop
}

event_correlator::~event_correlator() = default;

event_correlator::result event_correlator::correlate(k8s::event ev) {
  auto& d = *impl_;
  auto now = d.clock();
  result res;
  // Similar events: the n-th distinct message within the window (and all
  // after it) turns into one combined event, counted under the group key.
  auto akey = aggregate_key(ev);
  auto* group = d.aggregates.get(akey);
  if (group == nullptr || now - group->last > d.window)
    group = &d.aggregates.put(akey, impl::aggregate_record{});
  group->messages.insert(ev.message);
  group->last = now;
  std::string key;
  if (group->messages.size() < d.max_events) {
    key = event_key(ev);
  } else {
    group->messages.erase(group->messages.begin());
    res.combined = true;
    ev.message.insert(0, combined_prefix);
    // client-go's combined copy carries no reporting fields or action.
    ev.reporting_component.clear();
    ev.reporting_instance.clear();
    ev.action.clear();
    key = std::move(akey);
  }
  // Identical events: bump the count of the event first created.
  if (auto* seen = d.observations.get(key)) {
    ev.metadata.name = seen->name;
    ev.first_timestamp = seen->first_timestamp;
    ev.count = seen->count + 1;
  }
  d.observations.put(key, impl::observation{ev.count, ev.first_timestamp,
                                            ev.metadata.name});
  // Spam: a token bucket per source + object.
  auto skey = spam_key(ev);
  auto* bucket = d.spam.get(skey);
  if (bucket == nullptr)
    bucket = &d.spam.put(skey, net::token_bucket{d.spam_qps, d.spam_burst,
                                                 d.clock});
  res.skip = !bucket->try_take();
  res.event = std::move(ev);
  return res;
}

// -- recorder state -----------------------------------------------------------

struct event_recorder_state::impl {
  using self_ptr = caf::stateful_actor<event_recorder_state>*;

  enum class phase : uint8_t { queued, in_flight, backoff };

  /// One event on its way to the server, keyed by "<ns>/<name>".
  struct slot {
    /// The latest observation (count, lastTimestamp, message).
    k8s::event ev;
    /// POST (else PATCH).
    bool create = true;
    phase at = phase::queued;
    /// A newer observation arrived while the request was in flight.
    bool dirty = false;
    uint32_t attempts = 0;
    uint64_t id = 0;
  };

  impl(self_ptr self, std::shared_ptr<api::transport> t,
       event_recorder_config config, std::shared_ptr<event_stats> st)
    : self(self),
      cfg(std::move(config)),
      stats(std::move(st)),
      calls(std::make_unique<api::api_calls>(self, std::move(t))),
      correlator(cfg, [self] { return self->clock().now(); }),
      bucket(cfg.qps, cfg.burst, [self] { return self->clock().now(); }),
      rng(cfg.seed) {
    // nop
  }

  self_ptr self;
  event_recorder_config cfg;
  std::shared_ptr<event_stats> stats;
  std::unique_ptr<api::api_calls> calls;
  event_correlator correlator;
  net::token_bucket bucket;
  std::mt19937_64 rng;
  std::unordered_map<std::string, slot> slots;
  std::deque<std::string> queue;
  bool drain_armed = false;
  int64_t last_nanos = 0;
  uint64_t next_id = 1;

  // -- input ------------------------------------------------------------------

  std::optional<k8s::event> make_event(const record_event& x) {
    auto ref = x.involved;
    auto reject = [&](std::string_view why) -> std::optional<k8s::event> {
      stats->failed.fetch_add(1, std::memory_order_relaxed);
      log::warning("dropping invalid event",
                   {log::kv("why", why), log::kv("kind", ref.kind),
                    log::kv("object", ref.name), log::kv("reason", x.reason)});
      return std::nullopt;
    };
    if (x.type != "Normal" && x.type != "Warning")
      return reject("unsupported event type '" + x.type + "'");
    std::string ns;
    if (ref.kind == "Node") {
      // The kubelet's node reference: {kind Node, name, uid = name}, no
      // apiVersion, in namespace default.
      auto name = ref.name.empty() ? cfg.node_name : std::move(ref.name);
      ref = k8s::object_reference{};
      ref.kind = "Node";
      ref.uid = name;
      ref.name = std::move(name);
      ns = "default";
    } else {
      ns = ref.namespace_.empty() ? std::string{"default"} : ref.namespace_;
    }
    if (ref.name.empty())
      return reject("involved object has no name");
    auto now = cfg.clock();
    auto nanos = static_cast<int64_t>(now.time_since_epoch().count()) * 1000;
    if (nanos <= last_nanos)
      nanos = last_nanos + 1;
    last_nanos = nanos;
    char hex[24];
    std::snprintf(hex, sizeof(hex), ".%" PRIx64, static_cast<uint64_t>(nanos));
    k8s::event ev;
    ev.type = {"v1", "Event"};
    ev.metadata.name = ref.name + hex;
    ev.metadata.namespace_ = std::move(ns);
    ev.involved_object = std::move(ref);
    ev.reason = x.reason;
    ev.message = x.message;
    ev.source = {cfg.component, cfg.node_name};
    ev.first_timestamp = now;
    ev.last_timestamp = now;
    ev.count = 1;
    ev.type_ = x.type;
    ev.reporting_component = cfg.component;
    ev.reporting_instance = cfg.node_name;
    return ev;
  }

  void record(const record_event& x) {
    auto ev = make_event(x);
    if (!ev)
      return;
    if (slots.size() >= std::max<size_t>(cfg.queue_size, 1)) {
      auto n = stats->dropped.fetch_add(1, std::memory_order_relaxed) + 1;
      if (n % 100 == 1)
        log::warning("too many queued events, dropping event",
                     {log::kv("object", ev->involved_object.name),
                      log::kv("reason", ev->reason),
                      log::kv("dropped", n)});
      return;
    }
    auto res = correlator.correlate(std::move(*ev));
    if (res.skip) {
      stats->filtered.fetch_add(1, std::memory_order_relaxed);
      log::info(4, "event filtered as spam",
                {log::kv("object", res.event.involved_object.name),
                 log::kv("reason", res.event.reason)});
      return;
    }
    if (res.combined)
      stats->combined.fetch_add(1, std::memory_order_relaxed);
    auto key = res.event.metadata.namespace_ + "/" + res.event.metadata.name;
    if (auto i = slots.find(key); i != slots.end()) {
      // Fold the repeat into the request already on its way.
      stats->coalesced.fetch_add(1, std::memory_order_relaxed);
      i->second.ev = std::move(res.event);
      if (i->second.at == phase::in_flight)
        i->second.dirty = true;
      return;
    }
    slot s;
    s.create = res.event.count <= 1;
    s.ev = std::move(res.event);
    s.id = next_id++;
    slots.emplace(key, std::move(s));
    queue.push_back(std::move(key));
    drain();
  }

  // -- sending ----------------------------------------------------------------

  void drain() {
    while (!queue.empty()) {
      auto i = slots.find(queue.front());
      if (i == slots.end() || i->second.at != phase::queued) {
        queue.pop_front();
        continue;
      }
      if (!bucket.try_take()) {
        arm_drain();
        return;
      }
      auto key = std::move(queue.front());
      queue.pop_front();
      submit(key, i->second);
    }
  }

  void arm_drain() {
    if (drain_armed)
      return;
    drain_armed = true;
    auto d = std::max<nanoseconds>(bucket.delay(), nanoseconds{1});
    self->delayed_send(self, d, drain_atom::value);
  }

  void submit(const std::string& key, slot& s) {
    s.at = phase::in_flight;
    s.dirty = false;
    ++s.attempts;
    const auto& ev = s.ev;
    auto path = "/api/v1/namespaces/" + ev.metadata.namespace_ + "/events";
    net::http_request req;
    if (s.create) {
      req.method = net::http_method::post;
      req.path = std::move(path);
      req.body = k8s::encode_event(ev);
      req.content_type = "application/json";
    } else {
      req.method = net::http_method::patch;
      req.path = path + "/" + ev.metadata.name;
      req.body = k8s::encode_event_count_patch(
        ev.count, ev.last_timestamp.value_or(k8s::timestamp{}), ev.message);
      req.content_type = std::string{
        k8s::content_type(k8s::patch_type::strategic)};
    }
    if (cfg.request_timeout > milliseconds::zero())
      req.timeout = cfg.request_timeout;
    calls->request(std::move(req), [this, key, id = s.id](api_response& r) {
      on_done(key, id, r);
    });
  }

  milliseconds backoff_delay(uint32_t attempt) {
    const auto& p = cfg.retry;
    auto base = static_cast<double>(std::max<int64_t>(p.base.count(), 1));
    auto cap = static_cast<double>(std::max(p.cap, p.base).count());
    auto exp = static_cast<double>(attempt > 0 ? attempt - 1 : 0);
    auto d = std::min(cap, base * std::pow(std::max(p.factor, 1.0), exp));
    auto jitter = std::clamp(p.jitter, 0.0, 1.0);
    std::uniform_real_distribution<double> u{0.0, 1.0};
    d *= 1.0 - jitter * u(rng);
    return milliseconds{std::max<int64_t>(1, std::llround(d))};
  }

  void on_done(const std::string& key, uint64_t id, api_response& r) {
    auto i = slots.find(key);
    if (i == slots.end() || i->second.id != id)
      return;
    auto& s = i->second;
    if (r.ok()) {
      // The 2xx is what counts; a body that is not an Event means
      // something in between mangled the answer: say so.
      if (auto ev = k8s::decode_event(r.body); !ev)
        log::warning("event write answered 2xx with a body that is not an Event",
                     {log::kv("event", key), log::kv("status", r.status),
                      log::kv("error", describe(ev.error()))});
      auto& counter = s.create ? stats->posted : stats->patched;
      counter.fetch_add(1, std::memory_order_relaxed);
      log::info(5, s.create ? "event created" : "event updated",
                {log::kv("event", key), log::kv("count", s.ev.count)});
      if (!s.dirty) {
        slots.erase(i);
        return;
      }
      // Repeats arrived meanwhile: one PATCH with the latest count.
      s.create = false;
      s.attempts = 0;
      s.at = phase::queued;
      queue.push_back(key);
      drain();
      return;
    }
    if (r.cancelled) {
      slots.erase(i);
      return;
    }
    auto code = code_of(r.error);
    if (!s.create && code == errc::not_found) {
      // The event expired on the server: create it anew with the count.
      log::info(4, "event to update not found, creating it",
                {log::kv("event", key), log::kv("count", s.ev.count)});
      s.create = true;
      s.at = phase::queued;
      queue.push_front(key);
      drain();
      return;
    }
    bool retryable = is_retryable(r.error) && code != errc::conflict
                     && code != errc::gone;
    if (!retryable) {
      stats->failed.fetch_add(1, std::memory_order_relaxed);
      std::initializer_list<log::field> fields{
        log::kv("event", key), log::kv("status", r.status),
        log::kv("reason", s.ev.reason), log::kv("error", describe(r.error))};
      if (r.reason == "AlreadyExists")
        log::info(5, "server rejected event (will not retry)", fields);
      else
        log::warning("server rejected event (will not retry)", fields);
      slots.erase(i);
      return;
    }
    if (s.attempts >= std::max<uint32_t>(cfg.max_attempts, 1)) {
      stats->failed.fetch_add(1, std::memory_order_relaxed);
      log::error("unable to write event (retry limit exceeded)",
                 {log::kv("event", key), log::kv("attempts", s.attempts),
                  log::kv("error", describe(r.error))});
      slots.erase(i);
      return;
    }
    auto delay = backoff_delay(s.attempts);
    delay = std::max(delay, milliseconds{std::max<int64_t>(r.retry_after_ms, 0)});
    stats->retried.fetch_add(1, std::memory_order_relaxed);
    log::warning("unable to write event, will retry",
              {log::kv("event", key), log::kv("attempt", s.attempts),
               log::kv("delay_ms", static_cast<int64_t>(delay.count())),
               log::kv("error", describe(r.error))});
    s.at = phase::backoff;
    self->delayed_send(self, delay, retry_atom::value, key, id);
  }

  void on_retry(const std::string& key, uint64_t id) {
    auto i = slots.find(key);
    if (i == slots.end() || i->second.id != id
        || i->second.at != phase::backoff)
      return;
    i->second.at = phase::queued;
    queue.push_front(key);
    drain();
  }

  void on_drain() {
    drain_armed = false;
    drain();
  }

  event_recorder_snapshot snapshot() const {
    event_recorder_snapshot out;
    for (const auto& [key, s] : slots) {
      switch (s.at) {
        case phase::queued:
          ++out.queued;
          break;
        case phase::in_flight:
          ++out.in_flight;
          break;
        case phase::backoff:
          ++out.backing_off;
          break;
      }
    }
    return out;
  }
};

const char* event_recorder_state::name = "event_recorder";

event_recorder_state::event_recorder_state() = default;

event_recorder_state::~event_recorder_state() = default;

event_recorder_snapshot snapshot_of(const event_recorder_state& state) {
  return state.data ? state.data->snapshot() : event_recorder_snapshot{};
}

caf::behavior event_recorder(caf::stateful_actor<event_recorder_state>* self,
                             std::shared_ptr<api::transport> transport,
                             event_recorder_config cfg,
                             std::shared_ptr<event_stats> stats) {
  if (!stats)
    stats = std::make_shared<event_stats>();
  if (!cfg.clock)
    cfg.clock = system_wall_clock();
  self->state.data = std::make_unique<event_recorder_state::impl>(
    self, std::move(transport), std::move(cfg), std::move(stats));
  auto* d = self->state.data.get();
  return d->calls->handlers().or_else(caf::behavior{
    [d](const record_event& x) { d->record(x); },
    [d](drain_atom) { d->on_drain(); },
    [d](retry_atom, const std::string& key, uint64_t id) {
      d->on_retry(key, id);
    },
    [d](caf::get_atom) { return d->snapshot(); },
    [self](crash_atom) {
      // Fault injection (tests, chaos lab): fail loudly.
      self->quit(make_error(errc::internal, "event recorder: injected crash"));
    },
  });
}

} // namespace cafelet::actors
