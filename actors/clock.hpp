#pragma once
/// @file
/// Wall-clock time for API timestamps (Lease renewTime, condition and event
/// times), injectable so that tests under CAF's test coordinator see
/// timestamps that move with virtual time. Intervals and timers always use
/// the actor system's clock (`self->clock()`, `delayed_send`), which the
/// test coordinator drives.

#include "messages/k8s/time.hpp"

#include <caf/actor_system.hpp>

#include <functional>

namespace cafelet::actors {

/// Returns "now" as an API timestamp.
using wall_clock = std::function<k8s::timestamp()>;

/// The system's real-time clock.
wall_clock system_wall_clock();

/// A clock that reads `epoch` plus the time the actor system's clock has
/// advanced since this call (virtual time under the test coordinator).
wall_clock actor_wall_clock(caf::actor_system& sys, k8s::timestamp epoch);

} // namespace cafelet::actors
