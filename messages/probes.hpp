#pragma once
/// @file
/// Messages of container probes: a probe actor tells its pod worker when a
/// probe's result changes.

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>

namespace cafelet {

/// The kind of a container probe.
enum class probe_kind : uint8_t { liveness, readiness, startup };

/// Probe actor -> pod worker: the `kind` probe of container `container_id`
/// now says `success` (after its thresholds).
struct probe_update {
  /// Runtime ID of the container probed (an update for a container that is
  /// no longer current is ignored).
  std::string container_id;
  probe_kind kind = probe_kind::liveness;
  bool success = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, probe_update& x) {
  return f(caf::meta::type_name("probe_update"), x.container_id, x.kind, x.success);
}

} // namespace cafelet
