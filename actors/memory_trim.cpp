#include "actors/memory_trim.hpp"

#include "messages/atoms.hpp"
#include "messages/log.hpp"

#include <malloc.h>

namespace cafelet::actors {

caf::behavior memory_trimmer(caf::event_based_actor* self, std::chrono::milliseconds period,
                             std::shared_ptr<memory_trim_stats> stats) {
  if (!stats)
    stats = std::make_shared<memory_trim_stats>();
  self->delayed_send(self, period, tick_atom::value);
  return {
    [self, period, stats](tick_atom) {
      ++stats->trims;
      if (::malloc_trim(0) != 0)
        ++stats->released;
      self->delayed_send(self, period, tick_atom::value);
    },
  };
}

} // namespace cafelet::actors
