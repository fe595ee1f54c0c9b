#pragma once
/// @file
/// The node agent's connection to kube-apiserver: two independent HTTP
/// clients built from the kubeconfig. The heartbeat client carries only the
/// Lease and node status (short timeouts, never rate limited); the main
/// client carries lists, watches, events and everything else behind the
/// kubeAPIQPS/kubeAPIBurst token bucket.

#include "actors/api/transport.hpp"
#include "messages/config/flags.hpp"
#include "net/client/rest_config.hpp"

#include <caf/expected.hpp>

#include <memory>

namespace cafelet::api {

/// The transports and limiter of one API server connection.
struct api_link {
  /// Lease and node-status traffic.
  std::shared_ptr<transport> heartbeat;
  /// Everything else.
  std::shared_ptr<transport> main;
  /// kubeAPIQPS/kubeAPIBurst, shared by the users of `main`.
  std::shared_ptr<rate_limiter> limiter;
  /// Where the API server is and who we are, for logs.
  net::rest_config rest;
};

/// Loads `kubeconfig` and starts both clients. Errors name the kubeconfig
/// and field (a fatal start-up error for the caller).
caf::expected<api_link> connect_api(const config::resolved_configuration& cfg);

} // namespace cafelet::api
