#include "actors/objects/token_manager.hpp"

#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/json/json.hpp"
#include "messages/log.hpp"

#include <caf/system_messages.hpp>

#include <algorithm>

namespace cafelet::actors {

const char* token_manager_state::name = "token_manager";

namespace {

using self_ptr = caf::stateful_actor<token_manager_state>*;
using namespace std::chrono;

/// The API server's bounds of spec.expirationSeconds.
constexpr int64_t min_expiration = 600;
constexpr int64_t max_expiration = (int64_t{1} << 32) - 1;

/// Upstream's maxTTL: tokens living longer are renewed after a day.
constexpr auto max_ttl = hours{24};

/// Shortest delay before a refresh (guards against a busy loop when the
/// server hands out tokens that expire at once).
constexpr auto min_refresh = seconds{1};

/// True for a DNS-subdomain-like name that is safe in a URL path.
bool valid_path_name(std::string_view x) {
  if (x.empty() || x.size() > 253)
    return false;
  return std::all_of(x.begin(), x.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
           || c == '.';
  });
}

/// Why `key` cannot be requested; empty if it can.
std::string check_key(const token_key& key) {
  if (!valid_path_name(key.namespace_))
    return "invalid namespace \"" + key.namespace_ + "\"";
  if (!valid_path_name(key.service_account))
    return "invalid service account name \"" + key.service_account + "\"";
  if (key.pod_name.empty() || key.pod_uid.empty())
    return "a token must be bound to a pod (name and uid)";
  return {};
}

int64_t unix_seconds(k8s::timestamp t) {
  return duration_cast<seconds>(t.time_since_epoch()).count();
}

k8s::timestamp wall_now(const token_manager_state& st) {
  return st.cfg.clock ? st.cfg.clock() : k8s::now();
}

bool has_valid_token(const token_manager_state& st, const token_entry& e) {
  return !e.token.empty() && wall_now(st) < e.expires_at;
}

void update_gauges(token_manager_state& st) {
  if (!st.cfg.stats)
    return;
  uint64_t tokens = 0;
  for (const auto& [id, e] : st.entries)
    if (!e.token.empty())
      ++tokens;
  st.cfg.stats->tokens = tokens;
  st.cfg.stats->keys = st.entries.size();
}

token_update make_update(const token_entry& e) {
  token_update x;
  x.key = e.key;
  x.token = e.token;
  x.expires_at = unix_seconds(e.expires_at);
  return x;
}

token_update make_error_update(const token_key& key, std::string error) {
  token_update x;
  x.key = key;
  x.error = std::move(error);
  return x;
}

void broadcast(self_ptr self, const token_entry& e, const token_update& x) {
  for (const auto& sub : e.subscribers)
    self->send(sub, x);
}

void schedule(self_ptr self, token_entry& e, milliseconds delay) {
  ++e.timer_gen;
  e.due = self->clock().now() + delay;
  self->delayed_send(self, delay, tick_atom::value, e.id, e.timer_gen);
}

std::string token_path(const token_key& key) {
  return "/api/v1/namespaces/" + key.namespace_ + "/serviceaccounts/"
         + key.service_account + "/token";
}

/// A token and its expiry decoded from a TokenRequest answer.
struct issued_token {
  std::string token;
  k8s::timestamp expires_at;
};

caf::expected<issued_token> decode_answer(const std::string& body) {
  auto doc = json::parse(body);
  if (!doc)
    return doc.error();
  const auto* tok = doc->find_path({"status", "token"});
  if (tok == nullptr || !tok->is_string() || tok->as_string().empty())
    return make_error(errc::bad_response, "TokenRequest answer without status.token");
  const auto* exp = doc->find_path({"status", "expirationTimestamp"});
  if (exp == nullptr || !exp->is_string())
    return make_error(errc::bad_response,
                      "TokenRequest answer without status.expirationTimestamp");
  auto t = k8s::parse_time(exp->as_string());
  if (!t)
    return t.error();
  return issued_token{tok->as_string(), *t};
}

/// True for answers a fast retry cannot fix: the pod is gone or not on
/// this node, the service account is missing, the request is invalid.
bool slow_retry(const caf::error& err) {
  return is(err, errc::forbidden) || is(err, errc::not_found)
         || is(err, errc::unauthorized) || is(err, errc::invalid);
}

void request(self_ptr self, token_entry& e);

void succeed(self_ptr self, token_entry& e, issued_token x) {
  auto& st = self->state;
  auto now = wall_now(st);
  bool refresh = !e.token.empty();
  e.token = std::move(x.token);
  e.issued_at = now;
  e.expires_at = x.expires_at;
  e.last_error.clear();
  if (e.failures_in_row > 0)
    log::info(1, "service account token obtained again",
              {log::pod_field(e.key.namespace_, e.key.pod_name),
               {"serviceAccount", e.key.service_account},
               log::kv("failed_attempts", e.failures_in_row)});
  e.failures_in_row = 0;
  e.retry->reset();
  if (st.cfg.stats && refresh)
    ++st.cfg.stats->refreshes;
  update_gauges(st);
  auto fallback = seconds{effective_expiration_seconds(e.key.expiration_seconds)};
  if (x.expires_at <= now)
    log::warning("service account token expires before it arrived; is the "
                 "node's clock ahead of the API server's?",
                 {log::pod_field(e.key.namespace_, e.key.pod_name),
                  {"serviceAccount", e.key.service_account},
                  {"expirationTimestamp", k8s::format_time(x.expires_at)}});
  auto delay = refresh_delay(now, e.expires_at, fallback);
  log::info(4, refresh ? "service account token refreshed" : "service account token obtained",
            {log::pod_field(e.key.namespace_, e.key.pod_name),
             {"serviceAccount", e.key.service_account},
             {"expirationTimestamp", k8s::format_time(e.expires_at)},
             log::kv("refresh_in_ms", static_cast<int64_t>(delay.count()))});
  broadcast(self, e, make_update(e));
  schedule(self, e, delay);
}

void fail(self_ptr self, token_entry& e, const caf::error& err,
          int64_t retry_after_ms) {
  auto& st = self->state;
  ++e.failures_in_row;
  if (st.cfg.stats)
    ++st.cfg.stats->failures;
  auto cap = e.retry->policy().cap;
  milliseconds delay;
  if (slow_retry(err)) {
    delay = cap;
  } else {
    delay = std::max(e.retry->next(), std::min(milliseconds{retry_after_ms}, cap));
  }
  auto what = describe(err);
  if (has_valid_token(st, e)) {
    // As upstream: a still valid token keeps being used.
    log::warning("could not refresh service account token; the cached one "
                 "stays in use",
                 {log::pod_field(e.key.namespace_, e.key.pod_name),
                  {"serviceAccount", e.key.service_account},
                  {"expirationTimestamp", k8s::format_time(e.expires_at)},
                  {"err", what},
                  log::kv("retry_in_ms", static_cast<int64_t>(delay.count()))});
  } else {
    log::warning("could not obtain service account token",
                 {log::pod_field(e.key.namespace_, e.key.pod_name),
                  {"serviceAccount", e.key.service_account},
                  log::kv("attempt", e.failures_in_row),
                  {"err", what},
                  log::kv("retry_in_ms", static_cast<int64_t>(delay.count()))});
    e.token.clear();
    update_gauges(st);
    e.last_error = what;
    broadcast(self, e, make_error_update(e.key, what));
  }
  schedule(self, e, delay);
}

void on_answer(self_ptr self, uint64_t id, api_response& res) {
  auto& st = self->state;
  auto i = st.entries.find(id);
  if (i == st.entries.end())
    return; // forgotten meanwhile
  auto& e = i->second;
  e.call = 0;
  if (!res.ok()) {
    fail(self, e, res.error, res.retry_after_ms);
    return;
  }
  auto x = decode_answer(res.body);
  if (!x) {
    fail(self, e, x.error(), 0);
    return;
  }
  succeed(self, e, std::move(*x));
}

void request(self_ptr self, token_entry& e) {
  auto& st = self->state;
  if (e.call != 0)
    return; // one request in flight per key
  ++e.timer_gen; // a pending timer is superseded
  net::http_request req;
  req.method = net::http_method::post;
  req.path = token_path(e.key);
  req.body = encode_token_request(e.key);
  if (st.cfg.request_timeout.count() > 0)
    req.timeout = st.cfg.request_timeout;
  if (st.cfg.stats)
    ++st.cfg.stats->requests;
  auto id = e.id;
  e.call = st.calls->request(std::move(req), [self, id](api_response& res) {
    on_answer(self, id, res);
  });
}

/// Drops `e` (no subscribers left): cancels its request and timer.
void forget(self_ptr self, uint64_t id) {
  auto& st = self->state;
  auto i = st.entries.find(id);
  if (i == st.entries.end())
    return;
  if (i->second.call != 0)
    st.calls->cancel(i->second.call);
  log::info(4, "service account token no longer needed",
            {log::pod_field(i->second.key.namespace_, i->second.key.pod_name),
             {"serviceAccount", i->second.key.service_account}});
  st.ids.erase(i->second.key);
  st.entries.erase(i);
  update_gauges(st);
}

/// Removes `sub` from key `id`; forgets the key when it was the last.
void remove_subscriber(self_ptr self, uint64_t id, const caf::actor_addr& sub) {
  auto& st = self->state;
  auto i = st.entries.find(id);
  if (i == st.entries.end())
    return;
  auto& subs = i->second.subscribers;
  subs.erase(std::remove_if(subs.begin(), subs.end(),
                            [&](const caf::actor& x) { return x.address() == sub; }),
             subs.end());
  if (subs.empty())
    forget(self, id);
}

void subscribe(self_ptr self, const token_key& key, const caf::actor& sub) {
  auto& st = self->state;
  if (!sub) {
    log::warning("token subscription without subscriber ignored",
                 {log::pod_field(key.namespace_, key.pod_name)});
    return;
  }
  if (auto why = check_key(key); !why.empty()) {
    log::warning("refusing service account token request",
                 {log::pod_field(key.namespace_, key.pod_name),
                  {"serviceAccount", key.service_account},
                  {"err", why}});
    self->send(sub, make_error_update(key, why));
    return;
  }
  auto [ki, fresh] = st.ids.emplace(key, st.next_id);
  if (fresh) {
    auto id = st.next_id++;
    auto& e = st.entries[id];
    e.key = key;
    e.id = id;
    e.retry = std::make_unique<net::backoff>(st.cfg.retry, st.cfg.seed + id);
    auto eff = effective_expiration_seconds(key.expiration_seconds);
    if (eff != key.expiration_seconds)
      log::warning("service account token expirationSeconds out of the API "
                   "server's range; requesting the nearest allowed value",
                   {log::pod_field(key.namespace_, key.pod_name),
                    {"serviceAccount", key.service_account},
                    log::kv("requested", key.expiration_seconds),
                    log::kv("sent", eff)});
  }
  auto id = ki->second;
  auto& e = st.entries.at(id);
  auto& keys = st.watched[sub.address()];
  if (keys.empty())
    self->monitor(sub);
  keys.insert(id);
  if (std::find(e.subscribers.begin(), e.subscribers.end(), sub)
      == e.subscribers.end())
    e.subscribers.push_back(sub);
  update_gauges(st);
  if (has_valid_token(st, e)) {
    self->send(sub, make_update(e));
    return;
  }
  if (e.call != 0)
    return; // the answer reaches every subscriber
  if (!e.last_error.empty()) {
    // Failing and waiting for the next retry: say so now, keep the pace.
    self->send(sub, make_error_update(e.key, e.last_error));
    return;
  }
  request(self, e);
}

void unsubscribe(self_ptr self, const token_key& key, const caf::actor& sub) {
  auto& st = self->state;
  if (!sub)
    return;
  auto ki = st.ids.find(key);
  if (ki == st.ids.end())
    return;
  auto id = ki->second;
  auto wi = st.watched.find(sub.address());
  if (wi != st.watched.end()) {
    wi->second.erase(id);
    if (wi->second.empty()) {
      self->demonitor(sub);
      st.watched.erase(wi);
    }
  }
  remove_subscriber(self, id, sub.address());
}

void on_down(self_ptr self, const caf::down_msg& dm) {
  auto& st = self->state;
  auto wi = st.watched.find(dm.source);
  if (wi == st.watched.end())
    return;
  auto ids = std::move(wi->second);
  st.watched.erase(wi);
  for (auto id : ids)
    remove_subscriber(self, id, dm.source);
}

} // namespace

int64_t effective_expiration_seconds(int64_t requested) noexcept {
  return std::clamp(requested, min_expiration, max_expiration);
}

milliseconds refresh_delay(k8s::timestamp issued_at, k8s::timestamp expires_at,
                           seconds fallback) {
  auto ttl = duration_cast<milliseconds>(expires_at - issued_at);
  if (ttl.count() <= 0)
    ttl = duration_cast<milliseconds>(fallback);
  auto delay = milliseconds{ttl.count() * 4 / 5};
  if (ttl > max_ttl)
    delay = std::min<milliseconds>(delay, max_ttl);
  return std::max<milliseconds>(delay, min_refresh);
}

std::string encode_token_request(const token_key& key) {
  // Member order as the real kubelet's (Go struct order).
  json::value ref{json::object{
    {"kind", "Pod"},
    {"apiVersion", "v1"},
    {"name", key.pod_name},
    {"uid", key.pod_uid},
  }};
  // No audience: null, as upstream's nil slice, for the API server's own.
  json::value audiences;
  if (!key.audience.empty())
    audiences = json::value{json::array{json::value{key.audience}}};
  json::value spec{json::object{
    {"audiences", std::move(audiences)},
    {"expirationSeconds", effective_expiration_seconds(key.expiration_seconds)},
    {"boundObjectRef", std::move(ref)},
  }};
  json::value body{json::object{
    {"apiVersion", "authentication.k8s.io/v1"},
    {"kind", "TokenRequest"},
    {"spec", std::move(spec)},
  }};
  return json::dump(body);
}

caf::behavior token_manager(caf::stateful_actor<token_manager_state>* self,
                            std::shared_ptr<api::transport> transport,
                            token_manager_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  if (!st.cfg.clock)
    st.cfg.clock = system_wall_clock();
  st.calls = std::make_unique<api::api_calls>(self, std::move(transport),
                                              st.cfg.limiter);
  self->set_down_handler([self](caf::down_msg& dm) { on_down(self, dm); });
  if (st.cfg.stats) {
    // This incarnation's cache goes away with it.
    auto stats = st.cfg.stats;
    self->attach_functor([stats] {
      stats->tokens = 0;
      stats->keys = 0;
    });
  }
  return st.calls->handlers().or_else(caf::behavior{
    [self](subscribe_atom, const token_key& key, const caf::actor& sub) {
      subscribe(self, key, sub);
      // Subscribers monitor this incarnation and subscribe again to the
      // next one if it dies (its subscriptions die with it).
      return caf::actor_cast<caf::actor>(self);
    },
    [self](unsubscribe_atom, const token_key& key, const caf::actor& sub) {
      unsubscribe(self, key, sub);
    },
    [self](tick_atom, uint64_t id, uint64_t gen) {
      auto& st = self->state;
      auto i = st.entries.find(id);
      if (i != st.entries.end() && i->second.timer_gen == gen)
        request(self, i->second);
    },
  });
}

} // namespace cafelet::actors
