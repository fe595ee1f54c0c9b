#pragma once
/// @file
/// Pod QoS class (upstream `GetPodQOS`): Guaranteed, Burstable or BestEffort,
/// computed from the cpu and memory requests and limits of all app and init
/// containers. Pure functions, no actors.

#include "messages/k8s/qos.hpp"
#include "messages/k8s/pod.hpp"

#include <string_view>

namespace cafelet::actors::pods {

/// The pod QoS class (defined with the object model in messages/k8s/qos.hpp).
using k8s::qos_class;
using k8s::to_string;

/// Computes the QoS class of `pod` as upstream does: only cpu and memory
/// count, only quantities above zero count, init containers count, and a
/// container's missing request defaults to its limit (the API server's
/// defaulting, applied here too for pods that never went through it).
/// Unparseable quantities count as absent.
qos_class qos_of(const k8s::pod_spec& spec);

/// Shorthand for `qos_of(pod.spec)`.
inline qos_class qos_of(const k8s::pod& pod) {
  return qos_of(pod.spec);
}

/// The container's requests with missing entries filled from its limits
/// (upstream `SetDefaults_Pod`); entries keep document order, defaulted
/// ones follow.
k8s::resource_list effective_requests(const k8s::resource_requirements& r);

} // namespace cafelet::actors::pods
