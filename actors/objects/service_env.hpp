#pragma once
/// @file
/// The environment variables of the API server's own Service
/// (`default/kubernetes`), which every container gets as upstream's kubelet
/// gives them (even with enableServiceLinks false): KUBERNETES_SERVICE_HOST,
/// KUBERNETES_SERVICE_PORT, KUBERNETES_SERVICE_PORT_HTTPS, KUBERNETES_PORT
/// and the KUBERNETES_PORT_443_TCP* link variables.
///
/// The service env actor keeps them current from one list+watch of that
/// Service (`fieldSelector=metadata.name=kubernetes`) in a shared cache the
/// container runtime side reads when it builds an environment.
///
/// Receives: `k8s::watch_event<k8s::service>` and `watch_synced` from its
///   linked watch stream.
/// Sends: nothing; writes `service_env_cache`.
/// Supervised by: the node supervisor (permanent); its stream dies with it.
///
/// Not done: the variables of the other services of a pod's namespace
/// (enableServiceLinks), which would need a watch of all Services.

#include "actors/api/transport.hpp"
#include "actors/pods/expansion.hpp"
#include "actors/watch/watch_stream.hpp"
#include "messages/k8s/service.hpp"

#include <caf/event_based_actor.hpp>

#include <memory>
#include <mutex>

namespace cafelet::actors {

/// Service variables of `svc` in upstream's order (envvars.FromServices);
/// none for a headless service or one without ports.
pods::env_list service_env_vars(const k8s::service& svc);

/// The current variables, shared between the actor and container creation.
/// Thread-safe.
class service_env_cache {
public:
  /// The variables (empty until the Service was read).
  std::shared_ptr<const pods::env_list> get() const;

  /// Replaces the variables.
  void set(pods::env_list vars);

private:
  mutable std::mutex mtx_;
  std::shared_ptr<const pods::env_list> vars_ = std::make_shared<const pods::env_list>();
};

/// The service env actor (see the file comment).
caf::behavior service_env(caf::event_based_actor* self,
                          std::shared_ptr<api::transport> transport,
                          std::shared_ptr<api::rate_limiter> limiter,
                          std::shared_ptr<service_env_cache> cache, uint64_t seed);

} // namespace cafelet::actors
