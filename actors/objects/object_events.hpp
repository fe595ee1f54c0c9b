#pragma once
/// @file
/// Watch events of ConfigMaps and Secrets as actor messages: the object
/// manager's per-object list+watch streams send them. Include it wherever
/// `watch_stream<k8s::config_map>` or `watch_stream<k8s::secret>` is
/// instantiated or its events are handled.

#include "messages/k8s/config.hpp"
#include "messages/k8s/watch.hpp"

#include <caf/allowed_unsafe_message_type.hpp>

namespace cafelet::k8s {

/// A decoded watch event of a ConfigMap stream.
using config_map_watch_event = watch_event<config_map>;

/// A decoded watch event of a Secret stream.
using secret_watch_event = watch_event<secret>;

} // namespace cafelet::k8s

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafelet::k8s::config_map_watch_event)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafelet::k8s::secret_watch_event)
