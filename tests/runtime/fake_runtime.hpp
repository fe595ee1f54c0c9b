#pragma once
/// @file
/// An in-process fake container runtime for CRI client tests: a synchronous
/// gRPC server for runtime.v1 RuntimeService and ImageService on a unix
/// socket in a private temporary directory.
///
/// Implemented: Version, Status, ListPodSandbox, RunPodSandbox,
/// StopContainer, ListImages, ImageStatus, PullImage. Every other method
/// answers UNIMPLEMENTED (the generated base class does).
///
/// Knobs (thread-safe): make a method fail with a status, hold its calls
/// until released (or cancelled by the client), count calls, see the
/// deadline a call arrived with. `stop()` / `start()` restart the server on
/// the same socket.

#include <grpcpp/support/status.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace cafelet::test {

/// A private temporary directory, removed with its files on destruction.
class temp_dir {
public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  /// Absolute path of the directory.
  const std::string& path() const noexcept {
    return path_;
  }

private:
  std::string path_;
};

/// The fake runtime.
class fake_runtime {
public:
  /// Starts serving on the unix socket `socket_path`.
  explicit fake_runtime(std::string socket_path);

  /// Stops serving (held calls are cancelled).
  ~fake_runtime();

  fake_runtime(const fake_runtime&) = delete;
  fake_runtime& operator=(const fake_runtime&) = delete;

  /// "unix://" + socket path.
  std::string endpoint() const;

  /// Stops the server; held calls end with CANCELLED.
  void stop();

  /// Starts the server again on the same socket.
  void start();

  /// Makes every call of `method` (e.g. "Version") fail with `code`.
  void fail(const std::string& method, grpc::StatusCode code,
            std::string message);

  /// Undoes `fail` for `method`.
  void succeed(const std::string& method);

  /// Makes calls of `method` wait until `release()` or until the client
  /// cancels them (deadline, cancel).
  void hold(const std::string& method);

  /// Lets held calls (and later calls) proceed.
  void release();

  /// Waits until `n` calls of `method` are being held; false if that did
  /// not happen within `guard`.
  bool wait_held(const std::string& method, int n,
                 std::chrono::milliseconds guard);

  /// Number of calls of `method` that reached the server.
  int calls(const std::string& method) const;

  /// Time left until the deadline of the last call of `method` when it
  /// arrived; nullopt if it had none (or no call arrived yet).
  std::optional<std::chrono::milliseconds>
  last_deadline(const std::string& method) const;

  /// User-agent metadata of the last call.
  std::string last_user_agent() const;

  /// `version` field of the last VersionRequest.
  std::string last_version_request() const;

  /// Sets the NetworkReady condition Status reports (default true).
  void set_network_ready(bool ready, std::string reason = {},
                         std::string message = {});

  struct state;
  struct server_parts;

private:
  std::string socket_path_;
  std::shared_ptr<state> state_;
  std::unique_ptr<server_parts> server_;
};

} // namespace cafelet::test
