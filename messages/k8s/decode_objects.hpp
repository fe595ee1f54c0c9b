#pragma once
/// @file
/// Internal to the decoders: `read` overloads for every top-level object,
/// used by the list and watch-event decoders. Include only from .cpp files.

#include "messages/k8s/config.hpp"
#include "messages/k8s/event.hpp"
#include "messages/k8s/lease.hpp"
#include "messages/k8s/node.hpp"
#include "messages/k8s/pod.hpp"
#include "messages/k8s/reader.hpp"
#include "messages/k8s/service.hpp"
#include "messages/k8s/status.hpp"

#include <memory>
#include <string_view>
#include <type_traits>

namespace cafelet::k8s::detail {

/// Reads `v1.Pod`.
error_code read(reader& r, od::value v, pod& out);

/// Reads `v1.Node`.
error_code read(reader& r, od::value v, node& out);

/// Reads `coordination/v1.Lease`.
error_code read(reader& r, od::value v, lease& out);

/// Reads core/v1 `Event`.
error_code read(reader& r, od::value v, event& out);

/// Reads `v1.ConfigMap`.
error_code read(reader& r, od::value v, config_map& out);

/// Reads `v1.Secret`.
error_code read(reader& r, od::value v, secret& out);

/// Reads `v1.Service`.
error_code read(reader& r, od::value v, service& out);

/// Reads `metav1.Status`.
error_code read(reader& r, od::value v, status& out);

/// The `kind` of `T` ("Pod", "Node", ...).
template <class T>
constexpr std::string_view kind_name() {
  if constexpr (std::is_same_v<T, pod>)
    return "Pod";
  else if constexpr (std::is_same_v<T, node>)
    return "Node";
  else if constexpr (std::is_same_v<T, lease>)
    return "Lease";
  else if constexpr (std::is_same_v<T, event>)
    return "Event";
  else if constexpr (std::is_same_v<T, config_map>)
    return "ConfigMap";
  else if constexpr (std::is_same_v<T, secret>)
    return "Secret";
  else if constexpr (std::is_same_v<T, service>)
    return "Service";
  else
    return "Status";
}

/// The list `kind` of `T` ("PodList", ...).
template <class T>
constexpr std::string_view list_kind_name() {
  if constexpr (std::is_same_v<T, pod>)
    return "PodList";
  else if constexpr (std::is_same_v<T, node>)
    return "NodeList";
  else if constexpr (std::is_same_v<T, lease>)
    return "LeaseList";
  else if constexpr (std::is_same_v<T, event>)
    return "EventList";
  else if constexpr (std::is_same_v<T, config_map>)
    return "ConfigMapList";
  else if constexpr (std::is_same_v<T, service>)
    return "ServiceList";
  else
    return "SecretList";
}

/// Decodes a `T` (named `kind_name<T>()` in errors), shared read-only.
template <class T>
caf::expected<std::shared_ptr<const T>> decode_object(std::string_view json) {
  return decode_shared<T>(json, kind_name<T>());
}

} // namespace cafelet::k8s::detail
