#include "actors/clock.hpp"

#include <caf/actor_clock.hpp>

namespace cafelet::actors {

wall_clock system_wall_clock() {
  return [] { return k8s::now(); };
}

wall_clock actor_wall_clock(caf::actor_system& sys, k8s::timestamp epoch) {
  auto* clk = &sys.clock();
  auto start = clk->now();
  return [clk, start, epoch] {
    return epoch
           + std::chrono::duration_cast<std::chrono::microseconds>(clk->now()
                                                                   - start);
  };
}

} // namespace cafelet::actors
