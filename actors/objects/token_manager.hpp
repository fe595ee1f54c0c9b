#pragma once
/// @file
/// The token manager actor: service-account tokens bound to pods, for the
/// projected `serviceAccountToken` sources (every pod's `kube-api-access-*`
/// volume), obtained with the TokenRequest API and kept fresh as upstream's
/// kubelet token manager does.
///
/// Receives: `(subscribe_atom, token_key, caf::actor subscriber)` and
///   `(unsubscribe_atom, token_key, caf::actor subscriber)` from the volume
///   setup of pods; `down_msg` of monitored subscribers (counts as
///   unsubscribing from every key); its own timers (refresh or retry due)
///   and the answers of its API calls.
/// Sends: `token_update` to the subscribers of a key: at once to a new
///   subscriber when a valid token is cached, to all after each new token,
///   and with `error` set after a failed request while no valid token is
///   cached (and at once to a new subscriber while the key waits for a
///   retry). `POST /api/v1/namespaces/<ns>/serviceaccounts/<sa>/token` over
///   the main (rate-limited) transport, at most one in flight per key.
/// Supervised by: the node supervisor (permanent). A restart forgets every
///   subscription and token: subscribers monitor the token manager and
///   subscribe again to its next incarnation. Counters live in
///   `token_stats`, which survives.
///
/// Refresh (upstream's rule, issue time = when the token arrived, lifetime
/// = expirationTimestamp - issue time): a token is renewed once 80 % of its
/// lifetime has passed, or after 24 h if it lives longer than that. A
/// failed request is retried with a capped, jittered backoff (1 s doubling
/// to 30 s); 400/401/403/404/422 answers (pod gone, token not bound to a
/// pod of this node, invalid request) retry only at the cap. During
/// failures an old token keeps being used while it is valid. A key whose
/// last subscriber left is forgotten: no refresh, its request cancelled.
/// expirationSeconds below the API server's minimum (600) is raised to it,
/// above its maximum (2^32 - 1) lowered to it, with a log line; the updates
/// still carry the subscriber's key.
///
/// Differences from upstream, by design: refreshes are timer-driven (the
/// kubelet refreshes lazily when a volume is remounted, every minute or
/// two) and carry no random jitter (upstream: up to 10 s early); no
/// periodic clean-up pass, keys are dropped when unsubscribed.

#include "actors/api/api_calls.hpp"
#include "actors/clock.hpp"
#include "messages/k8s/time.hpp"
#include "messages/objects.hpp"
#include "net/client/backoff.hpp"

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/stateful_actor.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace cafelet::actors {

/// Counters of the token manager; outlive its restarts. Thread-safe.
struct token_stats {
  /// TokenRequests sent.
  std::atomic<uint64_t> requests{0};
  /// TokenRequests that failed (error answer, undecodable body, no answer).
  std::atomic<uint64_t> failures{0};
  /// Tokens replaced by a newer one (refreshes that succeeded).
  std::atomic<uint64_t> refreshes{0};
  /// Tokens cached now (gauge).
  std::atomic<uint64_t> tokens{0};
  /// Keys with at least one subscriber now (gauge).
  std::atomic<uint64_t> keys{0};
};

/// Settings of the token manager.
struct token_manager_config {
  /// Retry backoff after failed requests; its cap also applies to
  /// answers that fast retries cannot fix (403, 404, ...).
  net::backoff_policy retry{std::chrono::milliseconds{1000},
                            std::chrono::milliseconds{30000}, 2.0, 0.2};
  /// Per-request time limit; zero: the transport's default.
  std::chrono::milliseconds request_timeout{std::chrono::seconds{10}};
  /// Seed of the retry jitter (reproducible runs); key n uses seed + n.
  uint64_t seed = 1;
  /// Wall clock compared with expirationTimestamp; empty: system clock.
  wall_clock clock;
  /// Client-side rate limit shared with the main transport (may be null).
  std::shared_ptr<api::rate_limiter> limiter;
  /// Counters shared across restarts (may be null).
  std::shared_ptr<token_stats> stats;
};

/// What the token manager knows about one key.
struct token_entry {
  /// The key as subscribers gave it (updates carry it).
  token_key key;
  /// Identifies the key in timers and continuations.
  uint64_t id = 0;
  /// Who gets updates, in subscription order.
  std::vector<caf::actor> subscribers;
  /// The cached token; empty: none yet.
  std::string token;
  /// When the cached token arrived (wall clock).
  k8s::timestamp issued_at{};
  /// Its status.expirationTimestamp.
  k8s::timestamp expires_at{};
  /// When the next request is due (actor clock); meaningful while
  /// `timer_gen` names a pending timer.
  caf::actor_clock::time_point due{};
  /// api_calls token of the request in flight; 0: none.
  uint64_t call = 0;
  /// Bumps on every scheduled timer; stale timers are ignored.
  uint64_t timer_gen = 0;
  /// Failures since the last success.
  uint32_t failures_in_row = 0;
  /// The last failure while no valid token was cached; empty otherwise.
  std::string last_error;
  /// Retry delays of this key.
  std::unique_ptr<net::backoff> retry;
};

/// State of the token manager.
struct token_manager_state {
  token_manager_config cfg;
  std::unique_ptr<api::api_calls> calls;
  /// Keys with subscribers, by id.
  std::map<uint64_t, token_entry> entries;
  /// Id of each key.
  std::map<token_key, uint64_t> ids;
  /// Keys of each monitored subscriber.
  std::map<caf::actor_addr, std::set<uint64_t>> watched;
  /// Next key id.
  uint64_t next_id = 1;
  static const char* name;
};

/// The expirationSeconds sent for `requested`: clamped to what the API
/// server accepts, [600, 2^32 - 1].
int64_t effective_expiration_seconds(int64_t requested) noexcept;

/// The delay from a token's arrival at `issued_at` to its refresh:
/// 80 % of its lifetime, at most 24 h (upstream's maxTTL) when it lives
/// longer. A lifetime <= 0 (clock skew) uses `fallback` instead.
std::chrono::milliseconds refresh_delay(k8s::timestamp issued_at,
                                        k8s::timestamp expires_at,
                                        std::chrono::seconds fallback);

/// The body of a TokenRequest for `key` (compact JSON).
std::string encode_token_request(const token_key& key);

/// The token manager actor.
caf::behavior token_manager(caf::stateful_actor<token_manager_state>* self,
                            std::shared_ptr<api::transport> transport,
                            token_manager_config cfg);

} // namespace cafelet::actors
