#pragma once
/// @file
/// Registers every cafelet message type and the `cafelet` error category
/// with an actor system configuration. Call before constructing the system.

#include <caf/actor_system_config.hpp>

namespace cafelet {

/// Adds all message types and the error renderer to `cfg`.
void register_message_types(caf::actor_system_config& cfg);

} // namespace cafelet
