#pragma once
/// @file
/// The list+watch stream of one API resource (client-go's reflector): lists
/// the objects (following `continue` pages), emits the differences to the
/// previously known set, then watches from the list's resourceVersion,
/// re-watching when a watch ends and relisting when the server says the
/// resourceVersion is gone (410).
///
/// Receives: `api_response` / `stream_chunk` / `api_send_atom` of its own
///   calls (api::api_calls), `(watch_timer_atom, seq)` from itself, and
///   `get_atom` -> (uint64_t known objects, std::string last
///   resourceVersion).
/// Sends: to `consumer`, in order: one `k8s::watch_event<T>` per ADDED,
///   MODIFIED, DELETED (with the last known object) and BOOKMARK (only its
///   resourceVersion is meaningful; consumers may ignore it), and one
///   `watch_synced` after every (re)list (its added/modified/deleted count
///   the differences of relists; 0 for the first list, whose objects all
///   arrive as ADDED). ERROR events are handled here and never forwarded.
/// Supervised by: the node supervisor (permanent). A restarted stream
///   starts with an empty known set, so its first list sends ADDED for
///   every object again: consumers must treat ADDED for a uid they know as
///   an update. `watch_synced::generation` is 1 again after a restart;
///   `watch_stats` survive restarts.
///
/// Retries: a watch that ends cleanly (server timeout) is re-opened at
/// once from the last resourceVersion; a failed one (cut, 5xx, 429,
/// timeout) after a jittered backoff (reset after a watch that delivered
/// events or lived over a minute); 401/403 are logged as errors and retried
/// at the backoff cap. Relists have their own backoff, reset on the same
/// condition, so a server that keeps answering 410 sees a bounded relist
/// rate. Malformed event lines are logged, counted and skipped.

#include "actors/api/transport.hpp"
#include "net/client/backoff.hpp"

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace cafelet {

/// A retry timer of a watch stream fired (payload: its sequence number).
using watch_timer_atom = caf::atom_constant<caf::atom("w_timer")>;

} // namespace cafelet

namespace cafelet::actors {

/// Counters of one watched resource, shared with metrics and tests; they
/// outlive restarts of the stream actor.
struct watch_stats {
  /// ADDED events sent to the consumer (from watches and list diffs).
  std::atomic<uint64_t> added{0};
  /// MODIFIED events sent.
  std::atomic<uint64_t> modified{0};
  /// DELETED events sent.
  std::atomic<uint64_t> deleted{0};
  /// BOOKMARK events received (and sent).
  std::atomic<uint64_t> bookmarks{0};
  /// ERROR events received.
  std::atomic<uint64_t> error_events{0};
  /// Malformed or overlong event lines and undecodable list pages.
  std::atomic<uint64_t> decode_errors{0};
  /// Completed lists, the first one included.
  std::atomic<uint64_t> lists{0};
  /// Completed lists after the first one of an actor incarnation.
  std::atomic<uint64_t> relists{0};
  /// Watch requests sent.
  std::atomic<uint64_t> watches{0};
  /// Watches re-opened after a failed or refused one.
  std::atomic<uint64_t> reconnects{0};
  /// Body bytes received (list pages and watch streams).
  std::atomic<uint64_t> bytes{0};
  /// Objects currently known.
  std::atomic<uint64_t> objects{0};
};

/// How a watch stream logs.
struct watch_log_context {
  /// Names the stream in every line (`watch=<name>`), e.g. "pods".
  std::string name = "watch";
  /// Verbosity of routine lines (list summaries, watch ends); lines about
  /// single events and requests use `verbosity + 2`. Warnings and errors
  /// always print.
  int verbosity = 2;
};

/// Everything a watch stream needs besides its transport.
struct watch_stream_config {
  /// Collection path, e.g. "/api/v1/pods".
  std::string path = "/api/v1/pods";
  /// fieldSelector (e.g. "spec.nodeName=edge-1"); empty: none.
  std::string field_selector;
  /// labelSelector; empty: none.
  std::string label_selector;
  /// `limit` of list pages; 0 disables paging.
  uint32_t page_size = 500;
  /// Each watch asks for `timeoutSeconds` drawn from [min, 2 * min).
  std::chrono::seconds min_watch_timeout{std::chrono::minutes{5}};
  /// Backoff of re-watches after failures and of relists.
  net::backoff_policy backoff = net::watch_reconnect_policy();
  /// Seed of jitter and timeouts (reproducible runs); 0: random.
  uint64_t seed = 0;
  /// Lines longer than this are dropped (and counted as decode errors).
  size_t max_line_bytes = size_t{64} << 20;
  /// Receives the events and `watch_synced`.
  caf::actor consumer;
  /// Counters; created by the stream if null.
  std::shared_ptr<watch_stats> stats;
  /// Logging.
  watch_log_context log;
};

/// Escapes a query parameter value as Go's url.QueryEscape does (space as
/// '+', everything but [A-Za-z0-9-_.~] as %XX).
std::string query_escape(std::string_view x);

/// The list request path: `<path>?fieldSelector=..&labelSelector=..&limit=N
/// &resourceVersion=RV` (or `continue=` instead of resourceVersion), keys
/// sorted as client-go sends them; empty values and `limit == 0` are left
/// out.
std::string list_path(const watch_stream_config& cfg, std::string_view rv,
                      uint32_t limit, std::string_view continue_token);

/// The watch request path: `<path>?allowWatchBookmarks=true&fieldSelector=..
/// &labelSelector=..&resourceVersion=RV&timeoutSeconds=N&watch=true`.
std::string watch_path(const watch_stream_config& cfg, std::string_view rv,
                       int64_t timeout_seconds);

/// Behavior of the watch stream of objects of type `T`. Instantiated for
/// `k8s::pod` (the consumer receives `k8s::pod_watch_event`); other types
/// also need CAF_ALLOW_UNSAFE_MESSAGE_TYPE for `k8s::watch_event<T>`.
/// `limiter` may be null.
template <class T>
caf::behavior watch_stream(caf::event_based_actor* self,
                           std::shared_ptr<api::transport> transport,
                           std::shared_ptr<api::rate_limiter> limiter,
                           watch_stream_config cfg);

} // namespace cafelet::actors
