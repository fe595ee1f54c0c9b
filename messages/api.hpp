#pragma once
/// @file
/// Messages of the API-server link: answers of API calls delivered to the
/// calling actor, chunks of watch streams, node events to record, readiness
/// inputs of the node status, watch progress notices.
///
/// They carry plain values (no libcurl or net/ types) so that every layer
/// can use them. Decoded API objects travel separately as shared pointers
/// (`k8s::pod_ptr`, `k8s::pod_watch_event`), never copied per message.

#include "messages/k8s/meta.hpp"

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>

namespace cafelet::k8s {

/// Makes object references serializable (found by ADL).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, object_reference& x) {
  return f(caf::meta::type_name("object_reference"), x.kind, x.namespace_,
           x.name, x.uid, x.api_version, x.resource_version, x.field_path);
}

} // namespace cafelet::k8s

namespace cafelet {

/// Submit an API call whose rate-limit delay has passed (api_calls).
using api_send_atom = caf::atom_constant<caf::atom("api_send")>;

/// The outcome of one API call (request or stream), delivered exactly once
/// to the actor that made it.
struct api_response {
  /// Identifies the call within the calling actor.
  uint64_t call = 0;
  /// HTTP status; 0 if no response arrived.
  int32_t status = 0;
  /// Response body (empty for a stream that ended normally).
  std::string body;
  /// None on a 2xx answer; else the classified error (cafelet::errc).
  caf::error error;
  /// Delay the server asked for (Retry-After), in milliseconds; 0: none.
  int64_t retry_after_ms = 0;
  /// `reason` of the Status body of an error answer (e.g. "AlreadyExists",
  /// "Conflict", "Expired"); empty if there was none.
  std::string reason;
  /// True if the call ended because it was cancelled.
  bool cancelled = false;

  /// True for a 2xx answer.
  bool ok() const noexcept {
    return !error;
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, api_response& x) {
  return f(caf::meta::type_name("api_response"), x.call, x.status, x.body,
           x.error, x.retry_after_ms, x.reason, x.cancelled);
}

/// A piece of a streaming response body (chunk boundaries fall anywhere).
struct stream_chunk {
  /// The stream's call id.
  uint64_t call = 0;
  /// The bytes.
  std::string data;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stream_chunk& x) {
  return f(caf::meta::type_name("stream_chunk"), x.call, x.data);
}

/// Asks the event recorder to record a core/v1 Event.
struct record_event {
  /// The object the event is about (kind, namespace, name, uid).
  k8s::object_reference involved;
  /// "Normal" or "Warning".
  std::string type;
  /// CamelCase reason, e.g. "NodeReady".
  std::string reason;
  /// Human-readable message.
  std::string message;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, record_event& x) {
  return f(caf::meta::type_name("record_event"), x.involved, x.type, x.reason,
           x.message);
}

/// Tells the node status actor whether one component the node's readiness
/// depends on (e.g. "runtime", "network") is ready.
struct readiness_update {
  /// Component name.
  std::string component;
  /// True if the component is ready.
  bool ready = false;
  /// Why not ready, in words (goes into the Ready condition's message).
  std::string message;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, readiness_update& x) {
  return f(caf::meta::type_name("readiness_update"), x.component, x.ready,
           x.message);
}

/// Sent by a watch stream to its consumer when a (re)list completed and
/// the consumer's view equals the server's state at `resource_version`.
struct watch_synced {
  /// Resource path watched, e.g. "/api/v1/pods".
  std::string resource;
  /// resourceVersion of the list.
  std::string resource_version;
  /// Objects known after the list.
  uint64_t items = 0;
  /// Differences emitted against the previously known set (0 on the first
  /// list): objects added, modified, deleted.
  uint64_t added = 0;
  /// See `added`.
  uint64_t modified = 0;
  /// See `added`.
  uint64_t deleted = 0;
  /// 1 for the first list, incremented by each relist.
  uint64_t generation = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, watch_synced& x) {
  return f(caf::meta::type_name("watch_synced"), x.resource,
           x.resource_version, x.items, x.added, x.modified, x.deleted,
           x.generation);
}

} // namespace cafelet
