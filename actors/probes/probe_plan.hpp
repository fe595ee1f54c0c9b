#pragma once
/// @file
/// What a container probe does, checked and resolved from the pod spec, and
/// how its attempts add up to a result (upstream's prober worker counting).
/// Pure logic: no I/O, no actors.
///
/// Validation follows the API server's (a spec it would refuse is refused
/// here too, naming the field): exactly one handler; numeric fields >= 0
/// with 0 meaning the API default (timeout 1 s, period 10 s, thresholds
/// 1/3); successThreshold 1 for liveness and startup probes;
/// terminationGracePeriodSeconds > 0 and not on readiness probes; ports in
/// 1..65535. Beyond the API server (which leaves it to the kubelet), a port
/// name must name one of the container's ports: cafelet refuses such a
/// container (CreateContainerConfigError) instead of running a probe that
/// can only fail.

#include "messages/k8s/container.hpp"
#include "messages/probes.hpp"
#include "net/probe/probe_outcome.hpp"

#include <caf/expected.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace cafelet::actors::probes {

using cafelet::probe_kind;

/// "Liveness", "Readiness" or "Startup" (as in upstream's event messages).
const char* to_string(probe_kind x);

/// "liveness", "readiness" or "startup" (metric labels, logs).
const char* label_of(probe_kind x);

/// Runs a command in the container (CRI ExecSync).
struct exec_target {
  std::vector<std::string> command;
};

/// HTTP GET; an empty host means the pod IP.
struct http_target {
  std::string scheme = "HTTP";
  std::string host;
  uint16_t port = 0;
  std::string path;
  std::vector<std::pair<std::string, std::string>> headers;
};

/// TCP connect; an empty host means the pod IP.
struct tcp_target {
  std::string host;
  uint16_t port = 0;
};

/// gRPC health check on the pod IP.
struct grpc_target {
  uint16_t port = 0;
  std::string service;
};

/// A probe's handler with its port resolved.
using probe_target = std::variant<exec_target, http_target, tcp_target, grpc_target>;

/// "exec", "httpGet", "tcpSocket" or "grpc".
const char* handler_name(const probe_target& x);

/// A checked probe, defaults applied.
struct probe_plan {
  probe_kind kind = probe_kind::liveness;
  probe_target target;
  std::chrono::seconds initial_delay{0};
  std::chrono::seconds timeout{1};
  std::chrono::seconds period{10};
  int32_t success_threshold = 1;
  int32_t failure_threshold = 3;
  /// Probe-level terminationGracePeriodSeconds (liveness, startup).
  std::optional<int64_t> termination_grace_seconds;
};

/// Checks `p` (the `kind` probe of container `c`) and resolves it. `field`
/// is the container's path in the pod, e.g. "spec.containers[0]"; errors
/// (`errc::invalid`) name the offending field below it, as the API server
/// does: "spec.containers[0].livenessProbe: Required value: must specify a
/// handler type".
caf::expected<probe_plan> plan_probe(probe_kind kind, const k8s::probe& p,
                                     const k8s::container& c, std::string_view field);

/// Every probe of container `c` (startup, liveness, readiness order), or
/// the first error.
caf::expected<std::vector<probe_plan>> plan_probes(const k8s::container& c,
                                                   std::string_view field);

/// Counts attempts into a result, as upstream's probe worker: a result
/// changes only after `success_threshold` successes or `failure_threshold`
/// failures in a row; `unknown` outcomes (the probe could not run) count
/// for nothing; a warning counts as success. Initial results: readiness
/// failure (not ready), liveness success, startup none (not started).
class probe_counter {
public:
  explicit probe_counter(const probe_plan& plan);

  /// Feeds one attempt; returns the new result when it changed (true:
  /// success).
  std::optional<bool> observe(net::probe::probe_result r);

  /// The current result; nullopt for a startup probe that has not decided.
  std::optional<bool> result() const noexcept {
    return result_;
  }

  /// Attempts in a row with the same outcome.
  int32_t run() const noexcept {
    return run_;
  }

private:
  int32_t success_threshold_;
  int32_t failure_threshold_;
  std::optional<bool> result_;
  std::optional<bool> last_;
  int32_t run_ = 0;
};

/// The Unhealthy event message: "Liveness probe failed: <output>" (output
/// cut at 10 KiB and kept as it is, trailing newline included, as upstream).
std::string unhealthy_message(probe_kind kind, std::string_view output);

/// The Killing event message after a liveness or startup failure:
/// "Container app failed liveness probe, will be restarted".
std::string killing_message(probe_kind kind, std::string_view container);

} // namespace cafelet::actors::probes
