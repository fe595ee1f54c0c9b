#pragma once
/// @file
/// The event recorder actor: posts core/v1 Events as client-go's `record`
/// package does for the kubelet.
///
/// Receives: `record_event` (from any actor of the node agent);
///   `(caf::get_atom)` -> `event_recorder_snapshot` (tests, /debug);
///   `crash_atom` (fault injection); its own timers (drain, retry) and the
///   answers of its API calls.
/// Sends: `POST /api/v1/namespaces/<ns>/events` (new event, count 1 or the
///   count carried after a 404) and `PATCH .../events/<name>` with
///   `application/strategic-merge-patch+json`
///   `{"count":N,"lastTimestamp":"...","message":"..."}` (repeats), over the
///   main (non-heartbeat) transport at eventRecordQPS / eventBurst.
/// Supervised by: the node supervisor (permanent). A restart loses the
///   correlation caches and the queue; a repeat then makes a fresh POST
///   instead of a PATCH. Counters live in `event_stats`, which survives.
///
/// Pipeline per `record_event`: validate (type Normal/Warning, a name) ->
/// bounded queue check (full: drop, count) -> `event_correlator`
/// (similar-events aggregation, repeat counting, spam filter) -> queue ->
/// token bucket -> request. Events about a Node go to namespace "default"
/// with involvedObject {kind Node, name, uid = node name} (nothing else, as
/// the real kubelet; an empty name means this node); others to the
/// object's namespace ("default" if it has none). Names are
/// `<object>.<hex unix nanos>`, kept unique per incarnation.
///
/// Differences from client-go, by design: requests run concurrently (up to
/// the bucket's burst at once) instead of one at a time; a repeat seen while
/// a request for the same event is queued or in flight is folded into it
/// (the next request carries the latest count, message and lastTimestamp),
/// which yields the same server state with fewer requests; retryable
/// failures (5xx, 429 honouring Retry-After, timeouts, connection failures)
/// are retried up to `max_attempts` with a capped, jittered exponential
/// backoff (1 s doubling to 10 s, half of it randomized; client-go sleeps a
/// random share of 10 s, then 10 s, and retries only connection failures).
/// Non-retryable answers (400, 403, 404 on POST, 409, 422) drop the event
/// with a warning.

#include "actors/api/api_calls.hpp"
#include "actors/clock.hpp"
#include "messages/api.hpp"
#include "messages/k8s/event.hpp"
#include "net/client/backoff.hpp"
#include "net/client/token_bucket.hpp"

#include <caf/meta/type_name.hpp>
#include <caf/stateful_actor.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace cafelet::actors {

/// Counters of the event recorder; outlive its restarts. Thread-safe.
struct event_stats {
  /// Events created (POST answered 2xx).
  std::atomic<uint64_t> posted{0};
  /// Count bumps applied (PATCH answered 2xx).
  std::atomic<uint64_t> patched{0};
  /// Events dropped because the queue was full.
  std::atomic<uint64_t> dropped{0};
  /// Events dropped by the per-object spam filter.
  std::atomic<uint64_t> filtered{0};
  /// Events given up: invalid input, rejected by the server, or retries
  /// exhausted.
  std::atomic<uint64_t> failed{0};
  /// Requests retried after a retryable failure.
  std::atomic<uint64_t> retried{0};
  /// Events turned into "(combined from similar events): ..." events.
  std::atomic<uint64_t> combined{0};
  /// Repeats folded into a request already queued or in flight.
  std::atomic<uint64_t> coalesced{0};
};

/// Settings of the event recorder.
struct event_recorder_config {
  /// Node name: source.host, reportingInstance, the Node object's name.
  std::string node_name;
  /// source.component and reportingComponent.
  std::string component = "kubelet";
  /// eventRecordQPS (<= 0: unlimited).
  double qps = 50;
  /// eventBurst.
  int burst = 100;
  /// Events held at once (waiting for a token, in flight or backing off);
  /// beyond it new events are dropped (client-go's broadcaster queue).
  size_t queue_size = 1000;
  /// Entries of each correlation LRU cache.
  size_t cache_size = 4096;
  /// Distinct messages per source/object/type/reason within
  /// `aggregate_window` from which events are combined.
  size_t aggregate_max_events = 10;
  /// Idle time after which a similar-events group starts over.
  std::chrono::milliseconds aggregate_window{std::chrono::minutes{10}};
  /// Spam filter: burst and refill rate per source + object.
  int spam_burst = 25;
  /// See `spam_burst`.
  double spam_qps = 1.0 / 300.0;
  /// Attempts per request before giving up (client-go: 12).
  uint32_t max_attempts = 12;
  /// Backoff between attempts.
  net::backoff_policy retry{std::chrono::milliseconds{1000},
                            std::chrono::milliseconds{10000}, 2.0, 0.5};
  /// Per-request time limit; zero: the transport's default.
  std::chrono::milliseconds request_timeout{0};
  /// Seed of the retry jitter (reproducible runs).
  uint64_t seed = 1;
  /// Wall clock for timestamps and names; empty: the system clock.
  wall_clock clock;
};

/// What the recorder holds, as replied to `get_atom`.
struct event_recorder_snapshot {
  /// Events waiting for a token.
  size_t queued = 0;
  /// Requests in flight.
  size_t in_flight = 0;
  /// Events waiting for a retry.
  size_t backing_off = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f,
                                        event_recorder_snapshot& x) {
  return f(caf::meta::type_name("event_recorder_snapshot"), x.queued,
           x.in_flight, x.backing_off);
}

/// client-go's EventCorrelator: aggregates similar events, counts repeats,
/// filters spam. Pure logic on the actor's clocks; one owner.
class event_correlator {
public:
  /// Steady time source (the actor clock).
  using clock_fn = net::token_bucket::clock_fn;

  /// Outcome of `correlate`.
  struct result {
    /// The spam filter dropped the event.
    bool skip = false;
    /// The event became a "(combined from similar events)" event.
    bool combined = false;
    /// The event to send: count > 1 means a PATCH of `event.metadata.name`.
    k8s::event event;
  };

  /// Uses the cache sizes, aggregation and spam settings of `cfg`.
  event_correlator(const event_recorder_config& cfg, clock_fn now);
  ~event_correlator();

  event_correlator(const event_correlator&) = delete;
  event_correlator& operator=(const event_correlator&) = delete;

  /// Correlates a freshly made event (count 1, unique name, timestamps now).
  result correlate(k8s::event ev);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// State of the event recorder (details in the implementation).
struct event_recorder_state {
  event_recorder_state();
  ~event_recorder_state();
  /// Queue, correlator, in-flight bookkeeping.
  struct impl;
  std::unique_ptr<impl> data;
  static const char* name;
};

/// What `state` holds now (the reply to `get_atom`).
event_recorder_snapshot snapshot_of(const event_recorder_state& state);

/// The event recorder actor. `stats` may be null.
caf::behavior event_recorder(caf::stateful_actor<event_recorder_state>* self,
                             std::shared_ptr<api::transport> transport,
                             event_recorder_config cfg,
                             std::shared_ptr<event_stats> stats);

} // namespace cafelet::actors
