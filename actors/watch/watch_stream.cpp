#include "actors/watch/watch_stream.hpp"

#include "actors/api/api_calls.hpp"
#include "actors/objects/object_events.hpp"
#include "messages/api.hpp"
#include "messages/errors.hpp"
#include "messages/k8s/decode.hpp"
#include "messages/log.hpp"
#include "net/watch/line_splitter.hpp"

#include <caf/actor_cast.hpp>
#include <caf/result.hpp>

#include <algorithm>
#include <functional>
#include <random>
#include <unordered_map>
#include <vector>

namespace cafelet::actors {

// -- request paths ------------------------------------------------------------

std::string query_escape(std::string_view x) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(x.size());
  for (unsigned char c : x) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'
        || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0x0F];
    }
  }
  return out;
}

namespace {

/// Appends `key=escaped(value)` with the right separator.
void add_param(std::string& out, std::string_view key, std::string_view value) {
  out += out.find('?') == std::string::npos ? '?' : '&';
  out += key;
  out += '=';
  out += query_escape(value);
}

} // namespace

std::string list_path(const watch_stream_config& cfg, std::string_view rv,
                      uint32_t limit, std::string_view continue_token) {
  // Keys in the order of Go's url.Values.Encode (sorted).
  std::string out = cfg.path;
  if (!continue_token.empty())
    add_param(out, "continue", continue_token);
  if (!cfg.field_selector.empty())
    add_param(out, "fieldSelector", cfg.field_selector);
  if (!cfg.label_selector.empty())
    add_param(out, "labelSelector", cfg.label_selector);
  if (limit > 0)
    add_param(out, "limit", std::to_string(limit));
  if (!rv.empty() && continue_token.empty())
    add_param(out, "resourceVersion", rv);
  return out;
}

std::string watch_path(const watch_stream_config& cfg, std::string_view rv,
                       int64_t timeout_seconds) {
  std::string out = cfg.path;
  add_param(out, "allowWatchBookmarks", "true");
  if (!cfg.field_selector.empty())
    add_param(out, "fieldSelector", cfg.field_selector);
  if (!cfg.label_selector.empty())
    add_param(out, "labelSelector", cfg.label_selector);
  if (!rv.empty())
    add_param(out, "resourceVersion", rv);
  add_param(out, "timeoutSeconds", std::to_string(timeout_seconds));
  add_param(out, "watch", "true");
  return out;
}

// -- the stream ---------------------------------------------------------------

namespace {

using std::chrono::milliseconds;

/// A watch that lived this long counts as healthy even without events.
constexpr auto healthy_watch_age = std::chrono::minutes{1};

/// A clean end sooner than this without any event counts as a failure.
constexpr auto short_watch_age = std::chrono::seconds{1};

/// Extra time over timeoutSeconds before the client gives up on a watch
/// whose connection went silent.
constexpr auto watch_timeout_grace = std::chrono::seconds{30};

/// Bytes of a malformed line quoted in the log.
constexpr size_t excerpt_bytes = 160;

std::string excerpt(std::string_view line) {
  if (line.size() <= excerpt_bytes)
    return std::string{line};
  std::string out{line.substr(0, excerpt_bytes)};
  out += "...";
  return out;
}

uint64_t pick_seed(uint64_t seed) {
  if (seed != 0)
    return seed;
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

bool is_gone(const api_response& res) {
  return res.status == 410 || is(res.error, errc::gone);
}

bool is_auth_failure(const api_response& res) {
  return res.status == 401 || res.status == 403
         || is(res.error, errc::unauthorized) || is(res.error, errc::forbidden);
}

/// What to do when a retry timer fires.
enum class next_step { none, list, watch };

/// One list in progress (possibly over several pages).
template <class T>
struct list_run {
  /// resourceVersion of the first page ("" consistent, "0" any, or N).
  std::string rv;
  /// True if pages carry `limit`.
  bool paged = false;
  /// Continue token of the page in flight (empty for the first page).
  std::string cont;
  /// Items of the pages so far.
  std::vector<std::shared_ptr<const T>> items;
};

/// The objects a stream knows, keyed by namespace/name. The key views point
/// into the stored object itself, so an entry costs one hash node (two
/// views and the shared pointer) plus its bucket; objects are never copied.
template <class T>
class known_set {
public:
  using pointer = std::shared_ptr<const T>;

  size_t size() const noexcept {
    return map_.size();
  }

  /// Inserts `x` or replaces the object of the same namespace/name.
  void put(pointer x) {
    auto i = map_.find(key_of(*x));
    if (i == map_.end()) {
      auto k = key_of(*x);
      map_.emplace(k, std::move(x));
      return;
    }
    // Reuse the node; its key must point into the new object.
    auto node = map_.extract(i);
    node.key() = key_of(*x);
    node.mapped() = std::move(x);
    map_.insert(std::move(node));
  }

  /// Removes the object with the namespace/name of `x`.
  void erase(const T& x) {
    map_.erase(key_of(x));
  }

  /// Makes `items` the known set, calling `emit(type, object)` for every
  /// difference: ADDED for new objects, MODIFIED for a changed
  /// resourceVersion, DELETED + ADDED for a changed uid (in list order),
  /// then DELETED with the last known object for those gone. Unchanged
  /// objects keep their old pointer.
  template <class F>
  void replace(std::vector<pointer> items, F&& emit) {
    using k8s::watch_event_type;
    map_type next;
    next.reserve(items.size());
    for (auto& x : items) {
      if (!x || next.count(key_of(*x)) > 0)
        continue; // a duplicate in the list: the first one wins
      auto i = map_.find(key_of(*x));
      if (i == map_.end()) {
        emit(watch_event_type::added, x);
      } else if (i->second->metadata.uid != x->metadata.uid) {
        emit(watch_event_type::deleted, i->second);
        emit(watch_event_type::added, x);
      } else if (i->second->metadata.resource_version
                 != x->metadata.resource_version) {
        emit(watch_event_type::modified, x);
      } else {
        x = i->second;
      }
      auto k = key_of(*x);
      next.emplace(k, std::move(x));
    }
    for (auto& [k, old] : map_)
      if (next.count(k) == 0)
        emit(watch_event_type::deleted, old);
    map_.swap(next);
  }

private:
  struct key {
    std::string_view ns;
    std::string_view name;
    bool operator==(const key&) const = default;
  };

  struct key_hash {
    size_t operator()(const key& k) const noexcept {
      std::hash<std::string_view> h;
      return h(k.ns) * 31 + h(k.name);
    }
  };

  using map_type = std::unordered_map<key, pointer, key_hash>;

  static key key_of(const T& x) noexcept {
    return {x.metadata.namespace_, x.metadata.name};
  }

  map_type map_;
};

/// Differences emitted by a relist.
struct diff_counts {
  uint64_t added = 0;
  uint64_t modified = 0;
  uint64_t deleted = 0;
};

template <class T>
class stream_impl {
public:
  stream_impl(caf::event_based_actor* self,
              std::shared_ptr<api::transport> transport,
              std::shared_ptr<api::rate_limiter> limiter,
              watch_stream_config cfg)
    : self_(self),
      cfg_(std::move(cfg)),
      calls_(self, std::move(transport), std::move(limiter)),
      splitter_(cfg_.max_line_bytes),
      watch_backoff_(cfg_.backoff, pick_seed(cfg_.seed)),
      list_backoff_(cfg_.backoff, pick_seed(cfg_.seed) ^ 0x9E3779B97F4A7C15ull),
      rng_(pick_seed(cfg_.seed) + 1) {
    if (!cfg_.stats)
      cfg_.stats = std::make_shared<watch_stats>();
    stats_ = cfg_.stats;
    if (cfg_.min_watch_timeout < std::chrono::seconds{1})
      cfg_.min_watch_timeout = std::chrono::seconds{1};
  }

  ~stream_impl() {
    stats_->objects = 0;
  }

  /// Starts the first list and returns the actor's behavior, which owns
  /// `impl` (the stream lives until the actor terminates).
  static caf::behavior start(std::shared_ptr<stream_impl> impl) {
    impl->begin_list();
    caf::behavior own{
      [impl](watch_timer_atom, uint64_t seq) { impl->on_timer(seq); },
      [impl](caf::get_atom) -> caf::result<uint64_t, std::string> {
        return {static_cast<uint64_t>(impl->known_.size()), impl->last_rv_};
      },
    };
    return impl->calls_.handlers().or_else(own);
  }

private:
  // -- logging ----------------------------------------------------------------

  int v_routine() const {
    return cfg_.log.verbosity;
  }

  int v_detail() const {
    return cfg_.log.verbosity + 2;
  }

  const std::string& name() const {
    return cfg_.log.name;
  }

  // -- timers -----------------------------------------------------------------

  void schedule(next_step step, milliseconds delay) {
    pending_ = step;
    self_->delayed_send(self_, delay, watch_timer_atom::value, ++timer_seq_);
  }

  void on_timer(uint64_t seq) {
    if (seq != timer_seq_ || pending_ == next_step::none)
      return; // superseded
    auto step = pending_;
    pending_ = next_step::none;
    if (step == next_step::list) {
      begin_list();
    } else {
      ++stats_->reconnects;
      start_watch();
    }
  }

  /// The backoff cap with jitter (for 401/403).
  milliseconds capped_delay() {
    const auto& p = watch_backoff_.policy();
    auto u = std::uniform_real_distribution<double>{0.0, 1.0}(rng_);
    auto ms = static_cast<double>(p.cap.count()) * (1.0 - p.jitter * u);
    return milliseconds{std::max<int64_t>(1, static_cast<int64_t>(ms))};
  }

  static milliseconds at_least_retry_after(milliseconds d,
                                           const api_response& res) {
    return std::max(d, milliseconds{res.retry_after_ms});
  }

  // -- list -------------------------------------------------------------------

  /// client-go's relistResourceVersion: "0" (any, from the cache) for the
  /// first list, the last seen version afterwards, "" (consistent read)
  /// once that version was reported gone.
  std::string relist_rv() const {
    if (rv_unavailable_)
      return {};
    if (last_rv_.empty())
      return "0";
    return last_rv_;
  }

  void begin_list() {
    list_ = list_run<T>{};
    list_.rv = relist_rv();
    // As client-go: page only where the server may page (a list at a
    // specific version is served whole from the watch cache), or if it
    // paged before.
    list_.paged = cfg_.page_size > 0
                  && (list_.rv.empty() || list_.rv == "0" || paginated_);
    request_page();
  }

  void request_page() {
    net::http_request req;
    req.path = list_path(cfg_, list_.rv, list_.paged ? cfg_.page_size : 0,
                         list_.cont);
    log::info(v_detail(), "listing",
              {log::kv("watch", name()), log::kv("path", req.path)});
    calls_.request(std::move(req),
                   [this](api_response& res) { on_list_page(res); });
  }

  void retry_list(milliseconds delay) {
    schedule(next_step::list, delay);
  }

  void on_list_page(api_response& res) {
    if (res.cancelled)
      return;
    stats_->bytes += res.body.size();
    if (res.ok()) {
      auto decoded = k8s::decode_list<T>(res.body);
      if (!decoded) {
        ++stats_->decode_errors;
        auto delay = list_backoff_.next();
        log::warning("cannot decode list",
                     {log::kv("watch", name()), log::kv("path", cfg_.path),
                      log::kv("error", describe(decoded.error())),
                      log::kv("retry_in_ms", delay.count())});
        retry_list(delay);
        return;
      }
      const auto& page = **decoded;
      list_.items.insert(list_.items.end(), page.items.begin(),
                         page.items.end());
      if (!page.metadata.continue_.empty()) {
        paginated_ = true;
        list_.cont = page.metadata.continue_;
        request_page();
        return;
      }
      finish_list(page.metadata.resource_version);
      return;
    }
    if (is_gone(res)) {
      if (!list_.cont.empty()) {
        // The continue token expired: list everything at once instead
        // (client-go's pager falls back to a full list).
        log::info(v_routine(), "list continue token expired, listing whole",
                  {log::kv("watch", name()), log::kv("path", cfg_.path)});
        list_.items.clear();
        list_.cont.clear();
        list_.paged = false;
        request_page();
        return;
      }
      if (!list_.rv.empty()) {
        // The version is gone: fall back to a consistent read now.
        log::info(v_routine(), "list resourceVersion gone, listing current",
                  {log::kv("watch", name()), log::kv("rv", list_.rv)});
        rv_unavailable_ = true;
        begin_list();
        return;
      }
    }
    if (is_auth_failure(res)) {
      auto delay = capped_delay();
      log::error("list not authorized: check the node's credentials and the "
                 "API server's authorization",
                 {log::kv("watch", name()), log::kv("path", cfg_.path),
                  log::kv("status", res.status),
                  log::kv("error", describe(res.error)),
                  log::kv("retry_in_ms", delay.count())});
      retry_list(delay);
      return;
    }
    auto delay = at_least_retry_after(list_backoff_.next(), res);
    log::warning("list failed", {log::kv("watch", name()),
                                 log::kv("path", cfg_.path),
                                 log::kv("status", res.status),
                                 log::kv("error", describe(res.error)),
                                 log::kv("retry_in_ms", delay.count())});
    retry_list(delay);
  }

  void send(k8s::watch_event_type type, std::shared_ptr<const T> obj) {
    switch (type) {
      case k8s::watch_event_type::added:
        ++stats_->added;
        break;
      case k8s::watch_event_type::modified:
        ++stats_->modified;
        break;
      case k8s::watch_event_type::deleted:
        ++stats_->deleted;
        break;
      default:
        break;
    }
    if (!cfg_.consumer)
      return;
    k8s::watch_event<T> ev;
    ev.type = type;
    ev.object = std::move(obj);
    self_->send(cfg_.consumer, std::move(ev));
  }

  void finish_list(const std::string& rv) {
    using k8s::watch_event_type;
    auto items = std::move(list_.items);
    list_ = list_run<T>{};
    ++generation_;
    diff_counts n;
    auto emit = [&](watch_event_type type, const std::shared_ptr<const T>& x) {
      switch (type) {
        case watch_event_type::added:
          ++n.added;
          break;
        case watch_event_type::modified:
          ++n.modified;
          break;
        default:
          ++n.deleted;
      }
      send(type, x);
    };
    known_.replace(std::move(items), emit);
    last_rv_ = rv;
    rv_unavailable_ = false;
    stats_->objects = known_.size();
    ++stats_->lists;
    watch_synced synced;
    synced.resource = cfg_.path;
    synced.resource_version = rv;
    synced.items = known_.size();
    synced.generation = generation_;
    if (generation_ > 1) {
      ++stats_->relists;
      synced.added = n.added;
      synced.modified = n.modified;
      synced.deleted = n.deleted;
      log::info(v_routine(), "relisted",
                {log::kv("watch", name()), log::kv("rv", rv),
                 log::kv("items", known_.size()), log::kv("added", n.added),
                 log::kv("modified", n.modified),
                 log::kv("deleted", n.deleted),
                 log::kv("generation", generation_)});
    } else {
      log::info(v_routine(), "listed",
                {log::kv("watch", name()), log::kv("rv", rv),
                 log::kv("items", known_.size())});
    }
    if (cfg_.consumer)
      self_->send(cfg_.consumer, std::move(synced));
    start_watch();
  }

  // -- watch ------------------------------------------------------------------

  void start_watch() {
    auto min_s = cfg_.min_watch_timeout.count();
    std::uniform_int_distribution<int64_t> dist{min_s, 2 * min_s - 1};
    auto timeout_s = dist(rng_);
    net::http_request req;
    req.path = watch_path(cfg_, last_rv_, timeout_s);
    req.timeout = std::chrono::duration_cast<milliseconds>(
      std::chrono::seconds{timeout_s} + watch_timeout_grace);
    splitter_.reset();
    seen_overlong_ = splitter_.overlong();
    watch_started_ = self_->clock().now();
    watch_events_ = 0;
    ++stats_->watches;
    log::info(v_detail(), "watching",
              {log::kv("watch", name()), log::kv("rv", last_rv_),
               log::kv("timeout_s", timeout_s)});
    watch_token_ = calls_.stream(
      std::move(req), [this](std::string_view chunk) { on_chunk(chunk); },
      [this](api_response& res) { on_watch_done(res); });
  }

  /// Ends the current watch from our side (after an ERROR event).
  void stop_watch() {
    if (watch_token_ != 0)
      calls_.cancel(watch_token_);
    watch_token_ = 0;
    splitter_.reset(); // drops the rest of the chunk being split
  }

  bool watch_was_healthy() const {
    return watch_events_ > 0
           || self_->clock().now() - watch_started_ >= healthy_watch_age;
  }

  /// Resets both backoffs after a healthy watch.
  void note_watch_end() {
    if (watch_was_healthy()) {
      watch_backoff_.reset();
      list_backoff_.reset();
    }
  }

  void on_chunk(std::string_view chunk) {
    if (watch_token_ == 0)
      return;
    stats_->bytes += chunk.size();
    splitter_.feed(chunk, [this](std::string_view line) { on_line(line); });
    if (splitter_.overlong() != seen_overlong_) {
      auto n = splitter_.overlong() - seen_overlong_;
      seen_overlong_ = splitter_.overlong();
      stats_->decode_errors += n;
      log::warning("overlong watch event skipped",
                   {log::kv("watch", name()),
                    log::kv("max_bytes", splitter_.max_line())});
    }
  }

  void on_line(std::string_view line) {
    using k8s::watch_event_type;
    if (watch_token_ == 0)
      return;
    auto decoded = k8s::decode_watch_event<T>(line);
    if (!decoded) {
      ++stats_->decode_errors;
      log::warning("malformed watch event skipped",
                   {log::kv("watch", name()),
                    log::kv("error", describe(decoded.error())),
                    log::kv("bytes", line.size()),
                    log::kv("excerpt", excerpt(line))});
      return;
    }
    auto& ev = *decoded;
    if (ev.type == watch_event_type::error) {
      on_error_event(ev.error ? *ev.error : k8s::status{});
      return;
    }
    if (!ev.object) {
      ++stats_->decode_errors;
      return;
    }
    ++watch_events_;
    const auto& rv = ev.object->metadata.resource_version;
    if (!rv.empty())
      last_rv_ = rv;
    switch (ev.type) {
      case watch_event_type::added:
      case watch_event_type::modified:
        known_.put(ev.object);
        break;
      case watch_event_type::deleted:
        known_.erase(*ev.object);
        break;
      default: // bookmark
        ++stats_->bookmarks;
        break;
    }
    stats_->objects = known_.size();
    if (log::enabled(v_detail() + 1))
      log::info(v_detail() + 1, "watch event",
                {log::kv("watch", name()), log::kv("type", to_string(ev.type)),
                 log::kv("rv", rv)});
    send(ev.type, std::move(ev.object));
  }

  void on_error_event(const k8s::status& st) {
    ++stats_->error_events;
    note_watch_end();
    stop_watch();
    if (st.code == 410 || st.reason == "Expired" || st.reason == "Gone") {
      auto delay = list_backoff_.next();
      log::info(v_routine(), "watch expired, relisting",
                {log::kv("watch", name()), log::kv("rv", last_rv_),
                 log::kv("message", st.message),
                 log::kv("relist_in_ms", delay.count())});
      retry_list(delay);
      return;
    }
    auto delay = watch_backoff_.next();
    log::warning("watch ERROR event",
                 {log::kv("watch", name()), log::kv("code", st.code),
                  log::kv("reason", st.reason), log::kv("message", st.message),
                  log::kv("retry_in_ms", delay.count())});
    schedule(next_step::watch, delay);
  }

  void on_watch_done(api_response& res) {
    watch_token_ = 0;
    if (res.cancelled)
      return;
    stats_->bytes += res.body.size();
    if (splitter_.buffered() > 0)
      log::info(v_detail(), "watch ended inside an event",
                {log::kv("watch", name()),
                 log::kv("dropped_bytes", splitter_.buffered())});
    splitter_.reset();
    note_watch_end();
    auto age = self_->clock().now() - watch_started_;
    if (res.ok()) {
      if (watch_events_ > 0 || age >= short_watch_age) {
        log::info(v_detail(), "watch ended, re-watching",
                  {log::kv("watch", name()), log::kv("rv", last_rv_)});
        start_watch();
        return;
      }
      auto delay = watch_backoff_.next();
      // As client-go's reflector: a watch that closes at once without any
      // event points at a broken server or proxy.
      log::warning("very short watch, backing off",
                {log::kv("watch", name()), log::kv("rv", last_rv_),
                 log::kv("retry_in_ms", delay.count())});
      schedule(next_step::watch, delay);
      return;
    }
    if (is_gone(res)) {
      auto delay = list_backoff_.next();
      log::info(v_routine(), "watch resourceVersion gone, relisting",
                {log::kv("watch", name()), log::kv("rv", last_rv_),
                 log::kv("relist_in_ms", delay.count())});
      retry_list(delay);
      return;
    }
    if (is_auth_failure(res)) {
      auto delay = capped_delay();
      log::error("watch not authorized: check the node's credentials and the "
                 "API server's authorization",
                 {log::kv("watch", name()), log::kv("path", cfg_.path),
                  log::kv("status", res.status),
                  log::kv("error", describe(res.error)),
                  log::kv("retry_in_ms", delay.count())});
      schedule(next_step::watch, delay);
      return;
    }
    auto delay = at_least_retry_after(watch_backoff_.next(), res);
    log::warning("watch failed", {log::kv("watch", name()),
                                  log::kv("rv", last_rv_),
                                  log::kv("status", res.status),
                                  log::kv("error", describe(res.error)),
                                  log::kv("retry_in_ms", delay.count())});
    schedule(next_step::watch, delay);
  }

  caf::event_based_actor* self_;
  watch_stream_config cfg_;
  std::shared_ptr<watch_stats> stats_;
  api::api_calls calls_;
  net::line_splitter splitter_;
  net::backoff watch_backoff_;
  net::backoff list_backoff_;
  std::mt19937_64 rng_;
  known_set<T> known_;
  /// Version of the last list or event: where the next watch starts.
  std::string last_rv_;
  /// The server said `last_rv_` is gone: list with "" (consistent read).
  bool rv_unavailable_ = false;
  /// The server paged a list before: keep sending `limit`.
  bool paginated_ = false;
  uint64_t generation_ = 0;
  list_run<T> list_;
  uint64_t watch_token_ = 0;
  caf::actor_clock::time_point watch_started_;
  uint64_t watch_events_ = 0;
  uint64_t seen_overlong_ = 0;
  next_step pending_ = next_step::none;
  uint64_t timer_seq_ = 0;
};

} // namespace

template <class T>
caf::behavior watch_stream(caf::event_based_actor* self,
                           std::shared_ptr<api::transport> transport,
                           std::shared_ptr<api::rate_limiter> limiter,
                           watch_stream_config cfg) {
  auto impl = std::make_shared<stream_impl<T>>(self, std::move(transport),
                                               std::move(limiter),
                                               std::move(cfg));
  return stream_impl<T>::start(std::move(impl));
}

template caf::behavior
watch_stream<k8s::pod>(caf::event_based_actor*,
                       std::shared_ptr<api::transport>,
                       std::shared_ptr<api::rate_limiter>, watch_stream_config);

template caf::behavior
watch_stream<k8s::config_map>(caf::event_based_actor*,
                              std::shared_ptr<api::transport>,
                              std::shared_ptr<api::rate_limiter>,
                              watch_stream_config);

template caf::behavior
watch_stream<k8s::service>(caf::event_based_actor*,
                           std::shared_ptr<api::transport>,
                           std::shared_ptr<api::rate_limiter>,
                           watch_stream_config);

template caf::behavior
watch_stream<k8s::secret>(caf::event_based_actor*,
                          std::shared_ptr<api::transport>,
                          std::shared_ptr<api::rate_limiter>,
                          watch_stream_config);

} // namespace cafelet::actors
