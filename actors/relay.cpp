#include "actors/relay.hpp"

#include <caf/actor_registry.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message_view.hpp>
#include <caf/delegated.hpp>
#include <caf/result.hpp>

namespace cafelet::actors {

namespace {

/// Never sent: a relay needs some behavior to stay alive.
using relay_ping_atom = caf::atom_constant<caf::atom("relay_ping")>;

} // namespace

caf::actor spawn_relay(caf::actor_system& sys, caf::atom_value name,
                       std::shared_ptr<std::atomic<uint64_t>> dropped) {
  return sys.spawn([name, dropped](caf::event_based_actor* self) -> caf::behavior {
    self->set_default_handler(
      [name, dropped](caf::scheduled_actor* self,
                      caf::message_view& x) -> caf::result<caf::message> {
        auto target = self->home_system().registry().get<caf::actor>(name);
        if (!target) {
          if (dropped)
            ++*dropped;
          return caf::message{};
        }
        // Forward with the original sender and message ID, so that the
        // target answers a request directly to whoever asked; the relay
        // itself does not answer (delegated).
        target->enqueue(self->current_sender(), self->take_current_message_id(),
                        x.move_content_to_message(), self->context());
        return caf::delegated<caf::message>{};
      });
    // A behavior keeps the relay alive; everything else goes through the
    // default handler above.
    return caf::behavior{[](relay_ping_atom) {}};
  });
}

void register_incarnation(caf::actor_system& sys, caf::atom_value name,
                          const caf::actor& incarnation) {
  sys.registry().put(name, incarnation);
}

} // namespace cafelet::actors
