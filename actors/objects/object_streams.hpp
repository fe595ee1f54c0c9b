#pragma once
/// @file
/// The list+watch stream of one ConfigMap or Secret, as upstream's
/// watch-based object manager runs it: `watch_stream<T>` on
/// `/api/v1/namespaces/<ns>/{configmaps,secrets}` with
/// `fieldSelector=metadata.name=<name>` (the Node authorizer lets a node
/// list and watch exactly that for objects its pods reference), plus a
/// report of refused calls, which the generic stream only logs.
///
/// Receives: what `watch_stream<T>` receives (its API answers and timers).
/// Sends: to `consumer`, what `watch_stream<T>` sends
///   (`k8s::config_map_watch_event` or `k8s::secret_watch_event`, and
///   `watch_synced`), plus `(object_denied_atom, int32_t status,
///   std::string why)` for every list or watch answered 401/403 (the
///   stream itself keeps retrying at its backoff cap).
/// Supervised by: the object manager (linked; it restarts a crashed stream
///   and stops it with `user_shutdown` when the object's last subscriber
///   leaves).

#include "actors/api/transport.hpp"
#include "actors/objects/object_events.hpp"
#include "actors/watch/watch_stream.hpp"
#include "messages/objects.hpp"

#include <caf/atom.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>

#include <memory>
#include <string>

namespace cafelet {

/// Object stream -> object manager: a call of the stream was refused
/// (payload: HTTP status, reason in words).
using object_denied_atom = caf::atom_constant<caf::atom("obj_denied")>;

} // namespace cafelet

namespace cafelet::actors {

/// Returns an empty string if `key` names a valid namespace (DNS-1123
/// label) and object name (DNS-1123 subdomain), else why not.
std::string check_object_key(const object_key& key);

/// The collection path of `key`: "/api/v1/namespaces/<ns>/configmaps" or
/// ".../secrets".
std::string object_collection_path(const object_key& key);

/// `base` with the path, field selector and log name of `key`'s stream
/// ("configmap/<ns>/<name>").
watch_stream_config object_stream_config(const object_key& key,
                                         watch_stream_config base);

/// Behavior of the stream of one ConfigMap (`cfg` from
/// `object_stream_config`). `limiter` may be null.
caf::behavior config_map_stream(caf::event_based_actor* self,
                                std::shared_ptr<api::transport> transport,
                                std::shared_ptr<api::rate_limiter> limiter,
                                watch_stream_config cfg);

/// Behavior of the stream of one Secret; see `config_map_stream`.
caf::behavior secret_stream(caf::event_based_actor* self,
                            std::shared_ptr<api::transport> transport,
                            std::shared_ptr<api::rate_limiter> limiter,
                            watch_stream_config cfg);

} // namespace cafelet::actors
