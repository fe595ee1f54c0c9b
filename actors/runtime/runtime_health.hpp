#pragma once
/// @file
/// The runtime health actor: asks the container runtime for its status
/// every few seconds (upstream's updateRuntimeUp, every 5 s) and tells the
/// node status actor whether the runtime and its network are ready and
/// which version it runs.
///
/// Receives: `tick_atom` from itself; the answers of its own status and
///   version queries; `caf::get_atom` -> `cri::runtime_status` (last seen).
/// Sends: `readiness_update{"runtime", ...}`, `readiness_update{"network",
///   ...}` and `(runtime_version_atom, "containerd://1.6.20")` to the node
///   status actor after every answer (it ignores repeats, and a restarted
///   node status actor so learns the state within one period); logs only
///   changes.
/// Supervised by: the node supervisor (permanent).

#include "runtime/cri/types.hpp"

#include <caf/error.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace cafelet::cri {
class client;
} // namespace cafelet::cri

namespace cafelet::actors {

/// Where runtime status and version come from; the CRI client in
/// production, a script in tests. Callbacks may run on any thread.
class runtime_probe {
public:
  virtual ~runtime_probe();

  /// Asks for the runtime's status.
  virtual void status(std::function<void(caf::expected<cri::runtime_status>)> cb) = 0;

  /// Asks for the runtime's version.
  virtual void version(std::function<void(caf::expected<cri::version_info>)> cb) = 0;
};

/// A probe over a CRI client.
std::shared_ptr<runtime_probe> make_cri_probe(std::shared_ptr<cri::client> client);

/// Settings of the runtime health actor.
struct runtime_health_config {
  /// Query period (upstream: 5 s).
  std::chrono::milliseconds period{5000};
  /// Receives readiness updates and the runtime version (may be null).
  caf::actor node_status;
};

/// State of the runtime health actor.
struct runtime_health_state {
  std::shared_ptr<runtime_probe> probe;
  runtime_health_config cfg;
  /// Last status seen; none before the first answer.
  std::optional<cri::runtime_status> last;
  /// Last readiness sent, per component, to send only changes.
  std::optional<bool> runtime_ready;
  std::optional<bool> network_ready;
  std::string runtime_message;
  std::string network_message;
  /// True once the version was learnt for the current connection.
  bool version_known = false;
  /// nodeInfo.containerRuntimeVersion, e.g. "containerd://1.6.20".
  std::string version;
  /// True while a status query is open.
  bool querying = false;
  static const char* name;
};

/// The runtime health actor.
caf::behavior runtime_health(caf::stateful_actor<runtime_health_state>* self,
                             std::shared_ptr<runtime_probe> probe,
                             runtime_health_config cfg);

} // namespace cafelet::actors
