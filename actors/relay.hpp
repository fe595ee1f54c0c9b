#pragma once
/// @file
/// Stable addresses for restartable actors. A supervised actor gets a new
/// handle on every restart; siblings that send to it hold a relay instead,
/// which forwards each message to whatever actor is currently registered
/// under a name in the actor system's registry (the child's factory
/// registers each new incarnation). Messages sent while no incarnation is
/// registered are dropped and counted, as they would be to a dead actor.
///
/// Receives: anything; forwards it unchanged (sender preserved).
/// Sends: the forwarded messages.
/// Supervised by: nobody; it holds no state worth restarting and lives as
///   long as someone holds its handle.

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/atom.hpp>

#include <atomic>
#include <cstdint>
#include <memory>

namespace cafelet::actors {

/// Spawns a relay to the actor registered as `name`. `dropped` (may be
/// null) counts messages that found no registered actor.
caf::actor spawn_relay(caf::actor_system& sys, caf::atom_value name,
                       std::shared_ptr<std::atomic<uint64_t>> dropped = nullptr);

/// Registers `incarnation` under `name` (call from the child's factory).
void register_incarnation(caf::actor_system& sys, caf::atom_value name,
                          const caf::actor& incarnation);

} // namespace cafelet::actors
