#pragma once
/// @file
/// The object manager actor: the ConfigMaps and Secrets that this node's
/// pods reference, kept current with one list+watch per referenced object
/// (upstream's "Watch" ConfigMap/Secret manager strategy), shared by all
/// subscribers of that object and dropped with the last one.
///
/// Receives: `(subscribe_atom, object_key, caf::actor subscriber)` and
///   `(unsubscribe_atom, object_key, caf::actor subscriber)` from the pod
///   side (volumes, environment); `down_msg` of monitored subscribers
///   (counts as unsubscribing from every key); from its object streams
///   their watch events, `watch_synced` and `object_denied_atom`; exits of
///   its linked streams; `object_restart_atom` timers from itself.
/// Sends: `object_update` to the subscribers of a key after the object's
///   first list (or first refused list), at once to a later subscriber
///   (and again on a repeated subscribe), and on every change of the
///   object (presence, uid or resourceVersion). Exit `user_shutdown` to a
///   stream whose last subscriber left.
/// Supervised by: the node supervisor (permanent). Its streams are linked
///   to it: they end with it, and a crashed stream is restarted by the
///   manager after a backoff (1 s doubling to 60 s, reset by a completed
///   list). A restart of the manager forgets every subscription:
///   subscribers monitor it and subscribe again. Counters live in
///   `object_manager_stats`, which survives.
///
/// Semantics (upstream's watch_based_manager, behaviour not code):
/// - The stream lists `/api/v1/namespaces/<ns>/configmaps` (or `secrets`)
///   with `fieldSelector=metadata.name=<name>`, never a whole collection.
/// - An object that is absent after a list, or DELETED, is reported with
///   both pointers null.
/// - A list refused with 401/403 (the Node authorizer has not seen a pod of
///   this node that references the object yet) is reported with `error`
///   set while nothing was ever read; the stream keeps retrying at its
///   backoff cap. After a successful read, refusals only get logged and
///   the last known state stays (as a reflector's store keeps its items).
/// - An object marked `immutable: true` cannot change: its stream is
///   stopped once it was read, the cached state keeps being served.
/// - Keys that are not a valid namespace / object name are refused with an
///   error update and never requested.

#include "actors/api/transport.hpp"
#include "actors/watch/watch_stream.hpp"
#include "messages/objects.hpp"

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/atom.hpp>
#include <caf/stateful_actor.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

namespace cafelet {

/// Restart the crashed stream of a key (payload: key, restart number).
using object_restart_atom = caf::atom_constant<caf::atom("obj_restrt")>;

} // namespace cafelet

namespace cafelet::actors {

/// Counters of the object manager; outlive its restarts. Thread-safe.
struct object_manager_stats {
  /// Object streams running now (gauge): one per watched object.
  std::atomic<uint64_t> watches_open{0};
  /// Subscribed objects whose current state holds an object (gauge).
  std::atomic<uint64_t> objects_cached{0};
  /// `object_update` messages sent (one per subscriber and change).
  std::atomic<uint64_t> updates_sent{0};
  /// Streams restarted after a crash.
  std::atomic<uint64_t> stream_restarts{0};
};

/// Settings of the object manager.
struct object_manager_config {
  /// The main (rate-limited) API transport.
  std::shared_ptr<api::transport> transport;
  /// Shared client-side rate limit; may be null.
  std::shared_ptr<api::rate_limiter> limiter;
  /// Counters; created if null.
  std::shared_ptr<object_manager_stats> stats;
  /// Template of every object stream (backoff, watch timeout, page size,
  /// seed, verbosity). Path, selectors, consumer, stats and log name are
  /// set per object; a non-zero seed is mixed with each object's key.
  watch_stream_config stream = default_stream();
  /// Delay before restarting a crashed stream; doubles per crash in a row
  /// up to `restart_cap`.
  std::chrono::milliseconds restart_base{std::chrono::seconds{1}};
  /// See `restart_base`.
  std::chrono::milliseconds restart_cap{std::chrono::seconds{60}};
  /// Verbosity of the manager's routine log lines.
  int verbosity = 3;

  /// The default stream template: routine lines at verbosity 4 (there is
  /// one stream per referenced object).
  static watch_stream_config default_stream() {
    watch_stream_config cfg;
    cfg.log.verbosity = 4;
    return cfg;
  }
};

/// What the manager knows about one subscribed object.
struct object_entry {
  /// The object's stream; null while stopped (immutable object) or
  /// waiting to be restarted after a crash.
  caf::actor stream;
  /// Subscribers by address.
  std::map<caf::actor_addr, caf::actor> subscribers;
  /// The state subscribers were last told (`key` always set).
  object_update current;
  /// True once `current` was sent (a list completed or was refused).
  bool published = false;
  /// True once a list succeeded: later refusals keep the last state.
  bool read = false;
  /// The object as the current stream incarnation reports it.
  k8s::config_map_ptr seen_config_map;
  k8s::secret_ptr seen_secret;
  /// Immutable object read: its stream is stopped for good.
  bool frozen = false;
  /// Crashes of the stream since its last completed list.
  uint32_t crashes = 0;
  /// Restarts so far; identifies the pending restart timer.
  uint64_t restarts = 0;
  /// Counters of the stream, kept across its restarts.
  std::shared_ptr<watch_stats> watch;
};

/// State of the object manager.
struct object_manager_state {
  object_manager_config cfg;
  /// Subscribed objects.
  std::map<object_key, object_entry> objects;
  /// Running streams -> their object.
  std::map<caf::actor_addr, object_key> streams;
  /// Monitored subscribers -> their keys.
  std::map<caf::actor_addr, std::set<object_key>> subscribers;

  /// Takes this incarnation's contribution off the gauges.
  ~object_manager_state();

  static const char* name;
};

/// The object manager actor.
caf::behavior object_manager(caf::stateful_actor<object_manager_state>* self,
                             object_manager_config cfg);

} // namespace cafelet::actors
