#pragma once
/// @file
/// A grpc.health.v1 server for probe tests: a synchronous grpc::Server whose
/// Health/Check answers from a table of per-service statuses (the empty
/// name is the server as a whole); unknown services get NOT_FOUND "unknown
/// service", Watch is UNIMPLEMENTED. Answers can be delayed (to test
/// timeouts), and the Health service can be left out entirely (a server
/// that does not implement the protocol). Binds any address: loopback with
/// port 0 for unit tests, "0.0.0.0:<port>" for end-to-end tests where a
/// hostNetwork pod's probe reaches it. Thread-safe; stops in the destructor.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace cafelet::testing {

/// grpc.health.v1 HealthCheckResponse.ServingStatus (same numbers).
enum class health_status : int {
  unknown = 0,
  serving = 1,
  not_serving = 2,
  service_unknown = 3,
};

/// Settings of a health server.
struct grpc_health_server_options {
  /// Address to listen on; port 0 picks a free one.
  std::string address = "127.0.0.1:0";
  /// Status of the server as a whole (service "").
  health_status server_status = health_status::serving;
  /// Delay before each answer (ends early when the caller gives up).
  std::chrono::milliseconds delay{0};
  /// False: register no Health service (every call is UNIMPLEMENTED).
  bool implement_health = true;
};

/// A running health server.
class grpc_health_server {
public:
  /// Starts listening; check `running()`.
  explicit grpc_health_server(grpc_health_server_options opts = {});

  /// Stops: answers waiting on a delay end at once, then the server shuts
  /// down.
  ~grpc_health_server();

  grpc_health_server(const grpc_health_server&) = delete;
  grpc_health_server& operator=(const grpc_health_server&) = delete;

  /// True if the server bound its address and runs.
  bool running() const noexcept;

  /// The bound port (0 if not running).
  uint16_t port() const noexcept;

  /// Sets the status of `service` ("" is the server).
  void set_status(const std::string& service, health_status st);

  /// Forgets `service`: it answers NOT_FOUND again.
  void remove_service(const std::string& service);

  /// Changes the delay of later answers.
  void set_delay(std::chrono::milliseconds delay);

  /// Number of Check calls received so far.
  size_t checks() const;

  /// Waits until at least `n` Check calls arrived; false on timeout.
  bool wait_for_checks(size_t n, std::chrono::milliseconds timeout) const;

  /// The user-agent header of the latest Check call.
  std::string last_user_agent() const;

  /// Stops the server (idempotent; the destructor calls it).
  void stop();

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

} // namespace cafelet::testing
