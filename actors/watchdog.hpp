#pragma once
/// @file
/// The watchdog actor: proves the scheduler still runs actors.
///
/// Receives: `tick_atom` from itself every `period`.
/// Sends: nothing; stamps the actor directory's heartbeat on every tick,
///   which /healthz checks for staleness (a wedged scheduler turns it 500).
/// Supervised by: the root supervisor (permanent).

#include "actors/actor_directory.hpp"

#include <caf/event_based_actor.hpp>

#include <chrono>
#include <memory>

namespace cafelet::actors {

/// Behavior of the watchdog.
caf::behavior watchdog(caf::event_based_actor* self,
                       std::shared_ptr<actor_directory> directory,
                       std::chrono::milliseconds period);

} // namespace cafelet::actors
