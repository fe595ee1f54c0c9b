#pragma once
/// @file
/// The shape of cafelet's supervision tree:
///
///   root (supervisor)
///   +-- watchdog            scheduler heartbeat for /healthz
///   +-- node (supervisor)   registration, lease, node status, events, watches
///   +-- pods (supervisor)   one actor per pod
///
/// `make_root_spec` builds the root's spec from the resolved configuration;
/// main() spawns it and watches it.

#include "actors/actor_directory.hpp"
#include "actors/supervisor.hpp"
#include "messages/config/flags.hpp"

#include <memory>

namespace cafelet::actors {

/// Builds the spec of the root supervisor for `cfg`.
supervisor_spec make_root_spec(const config::resolved_configuration& cfg,
                               std::shared_ptr<actor_directory> dir);

} // namespace cafelet::actors
