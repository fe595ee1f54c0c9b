#pragma once
/// @file
/// Runs one probe attempt somewhere else than on an actor thread: exec
/// through CRI ExecSync, httpGet and tcpSocket on the node's probe loop,
/// grpc on the gRPC prober. The probe actor only sends a request and gets
/// a message back; tests script the outcomes.

#include "actors/probes/probe_plan.hpp"
#include "net/probe/probe_outcome.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace cafelet::cri {
class client;
} // namespace cafelet::cri

namespace cafelet::net::probe {
class probe_loop;
class grpc_prober;
} // namespace cafelet::net::probe

namespace cafelet::actors::probes {

/// One attempt, resolved: hosts filled in (the pod IP when the spec has
/// none), the container known.
struct probe_request {
  probe_target target;
  /// Runtime ID of the container (exec).
  std::string container_id;
  /// Host for httpGet/tcpSocket without `host`, and for grpc.
  std::string pod_ip;
  std::chrono::seconds timeout{1};
};

/// Completion of an attempt; runs exactly once, on any thread.
using probe_done = std::function<void(net::probe::probe_outcome)>;

/// Runs attempts. Thread-safe; never blocks the caller.
class probe_executor {
public:
  virtual ~probe_executor();

  /// Runs `req`; `done` gets the outcome (bounded by the request timeout
  /// plus a small margin).
  virtual void run(const probe_request& req, probe_done done) = 0;
};

/// The production executor over the CRI client, the probe loop and the
/// gRPC prober (each may be null: its probes then end `unknown`). The
/// pointees must outlive the executor.
std::shared_ptr<probe_executor> make_probe_executor(std::shared_ptr<cri::client> cri,
                                                   std::shared_ptr<net::probe::probe_loop> loop,
                                                   std::shared_ptr<net::probe::grpc_prober> grpc);

} // namespace cafelet::actors::probes
