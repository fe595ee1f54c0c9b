#include "actors/watchdog.hpp"

#include "actors/supervisor.hpp"
#include "messages/atoms.hpp"

namespace cafelet::actors {

caf::behavior watchdog(caf::event_based_actor* self,
                       std::shared_ptr<actor_directory> directory,
                       std::chrono::milliseconds period) {
  directory->heartbeat();
  self->delayed_send(self, period, tick_atom::value);
  return {
    [self, directory, period](tick_atom) {
      note_mailbox(self, *directory, "watchdog");
      directory->heartbeat();
      self->delayed_send(self, period, tick_atom::value);
    },
  };
}

} // namespace cafelet::actors
