#pragma once
/// @file
/// Decoders from API server JSON to the typed object model. They read the
/// text once with a reused per-thread simdjson parser, ignore unknown
/// fields, treat null like an absent field, and fail with
/// `errc::bad_response` and a message naming the field path, e.g.
/// "Pod: spec.containers[1].ports[0].containerPort: expected integer, got
/// string".

#include "messages/k8s/config.hpp"
#include "messages/k8s/event.hpp"
#include "messages/k8s/lease.hpp"
#include "messages/k8s/list.hpp"
#include "messages/k8s/node.hpp"
#include "messages/k8s/pod.hpp"
#include "messages/k8s/service.hpp"
#include "messages/k8s/status.hpp"
#include "messages/k8s/watch.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/expected.hpp>

#include <memory>
#include <string_view>

namespace cafelet::k8s {

/// A decoded PodList, shared read-only.
using pod_list_ptr = std::shared_ptr<const object_list<pod>>;

/// A decoded watch event of the pods watch.
using pod_watch_event = watch_event<pod>;

/// Decodes a Pod.
caf::expected<pod_ptr> decode_pod(std::string_view json);

/// Decodes a Node.
caf::expected<node_ptr> decode_node(std::string_view json);

/// Decodes a Lease.
caf::expected<lease_ptr> decode_lease(std::string_view json);

/// Decodes a core/v1 Event.
caf::expected<event_ptr> decode_event(std::string_view json);

/// Decodes a ConfigMap.
caf::expected<config_map_ptr> decode_config_map(std::string_view json);

/// Decodes a Secret.
caf::expected<secret_ptr> decode_secret(std::string_view json);

/// Decodes a metav1.Status.
caf::expected<status_ptr> decode_status(std::string_view json);

/// Decodes a list of `T` (pod, node, lease, event, config_map, secret).
template <class T>
caf::expected<std::shared_ptr<const object_list<T>>>
decode_list(std::string_view json);

/// Decodes one watch event line whose objects are `T` (pod, node, lease,
/// event, config_map, secret). ERROR events carry a Status.
template <class T>
caf::expected<watch_event<T>> decode_watch_event(std::string_view json);

} // namespace cafelet::k8s

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafelet::k8s::pod_list_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafelet::k8s::pod_watch_event)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafelet::k8s::watch_event<cafelet::k8s::service>)
