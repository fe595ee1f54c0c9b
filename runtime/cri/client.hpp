#pragma once
/// @file
/// The CRI client: RuntimeService and ImageService calls over one gRPC
/// channel to the container runtime's unix socket, never blocking the
/// caller.
///
/// Every call takes its request by value and a completion callback that
/// receives the response or a `caf::error` (status.hpp), exactly once. The
/// callback runs on a gRPC thread (in rare cases on the caller's thread
/// before the call returns): keep it short, e.g. `caf::anon_send` the result
/// to the owning actor. Requests and responses are the generated
/// `runtime::v1` types (api.pb.h); types.hpp has plain results for Version
/// and Status.
///
/// Each call has a deadline: `query_timeout` for reads (Version, Status,
/// lists, status and stats calls), `request_timeout` (runtimeRequestTimeout)
/// for changes, plus the grace period for StopContainer and the command
/// timeout for ExecSync; PullImage uses `pull_timeout` (none by default, as
/// upstream; cancel it with its handle).
///
/// The channel connects lazily and reconnects by itself with a short backoff
/// when the runtime restarts; calls made while the runtime is unreachable
/// fail fast with `errc::connection_failed` (retryable). Destroying the
/// client never blocks: it cancels the calls in flight, whose callbacks
/// still run (with a cancelled error), possibly after the destructor
/// returned. The channel is released once they are done, never on a gRPC
/// thread (gRPC cannot destroy a channel from its own callback thread).
///
/// Thread-safe: calls may be made from any thread.

#include "runtime/cri/endpoint.hpp"
#include "runtime/cri/types.hpp"

#include "api.pb.h"

#include <caf/expected.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace grpc {
class Channel;
} // namespace grpc

namespace cafelet::cri {

/// The generated CRI message types.
namespace pb = ::runtime::v1;

/// Completion callback of a call returning `T`.
template <class T>
using callback = std::function<void(caf::expected<T>)>;

/// Settings of a client.
struct client_options {
  /// Value of --container-runtime-endpoint (see endpoint.hpp).
  std::string endpoint = "unix:///run/containerd/containerd.sock";
  /// runtimeRequestTimeout: deadline of calls that change state.
  std::chrono::milliseconds request_timeout = std::chrono::minutes{2};
  /// Deadline of reads (Version, Status, List*, *Status, *Stats,
  /// ImageFsInfo, RuntimeConfig); capped at `request_timeout`.
  std::chrono::milliseconds query_timeout = std::chrono::seconds{10};
  /// Deadline of PullImage; zero means none.
  std::chrono::milliseconds pull_timeout = std::chrono::milliseconds{0};
  /// First delay before reconnecting after a failed connection attempt.
  std::chrono::milliseconds initial_reconnect_backoff
    = std::chrono::milliseconds{100};
  /// Upper bound of the reconnect backoff (upstream kubelet: 3 s).
  std::chrono::milliseconds max_reconnect_backoff = std::chrono::seconds{3};
  /// Minimum time one connection attempt may take.
  std::chrono::milliseconds connect_timeout = std::chrono::seconds{5};
  /// Interval of HTTP/2 keepalive pings while calls are open. Go gRPC
  /// servers (containerd) reject pings more often than every 5 minutes.
  std::chrono::milliseconds keepalive_time = std::chrono::minutes{5};
  /// How long a keepalive ping may go unanswered before the connection is
  /// considered dead.
  std::chrono::milliseconds keepalive_timeout = std::chrono::seconds{20};
  /// Largest message sent or received (upstream kubelet: 16 MiB).
  int max_message_bytes = 16 * 1024 * 1024;
};

namespace detail {
struct call_base;
struct client_shared;
} // namespace detail

/// Refers to one call in flight; default-constructed handles refer to none.
/// Copyable; does not keep the call alive.
class call_handle {
public:
  call_handle() = default;

  /// Wraps a call (used by the client).
  explicit call_handle(std::weak_ptr<detail::call_base> call)
    : call_(std::move(call)) {
  }

  /// Cancels the call if it is still in flight: its callback then runs with
  /// an error for which `is_cancelled` is true. No effect otherwise.
  void cancel() const;

  /// True while the call has not completed.
  bool pending() const noexcept {
    return !call_.expired();
  }

private:
  std::weak_ptr<detail::call_base> call_;
};

/// A client of one container runtime.
class client {
public:
  /// Creates a client for `opts.endpoint`. Fails with
  /// `errc::invalid_flag` for a malformed endpoint. Does not connect: the
  /// first call does.
  static caf::expected<std::unique_ptr<client>> make(client_options opts);

  /// Cancels every call in flight (see above).
  ~client();

  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// The endpoint this client talks to.
  const endpoint& target() const noexcept;

  /// The options this client was made with.
  const client_options& options() const noexcept;

  /// Connectivity of the channel without waiting: "idle", "connecting",
  /// "ready", "transient_failure" or "shutdown". With `try_to_connect`, an
  /// idle channel starts connecting.
  std::string channel_state(bool try_to_connect = false) const;

  /// The underlying channel (for tests and diagnostics). Never call its
  /// blocking members (WaitForConnected, ...) on an actor thread.
  std::shared_ptr<grpc::Channel> channel() const;

  /// Cancels every call in flight; later calls fail at once with a
  /// cancelled error. Idempotent; the destructor calls it.
  void shutdown();

  // -- convenience calls with plain results ---------------------------------

  /// Version with the kubelet's API version ("0.1.0").
  call_handle runtime_version(callback<version_info> cb);

  /// Status (not verbose), converted to readiness and upstream messages.
  call_handle runtime_status(callback<runtime_status> cb);

  // -- RuntimeService -------------------------------------------------------

  call_handle version(pb::VersionRequest req, callback<pb::VersionResponse> cb);

  call_handle status(pb::StatusRequest req, callback<pb::StatusResponse> cb);

  call_handle run_pod_sandbox(pb::RunPodSandboxRequest req,
                              callback<pb::RunPodSandboxResponse> cb);

  call_handle stop_pod_sandbox(pb::StopPodSandboxRequest req,
                               callback<pb::StopPodSandboxResponse> cb);

  call_handle remove_pod_sandbox(pb::RemovePodSandboxRequest req,
                                 callback<pb::RemovePodSandboxResponse> cb);

  call_handle pod_sandbox_status(pb::PodSandboxStatusRequest req,
                                 callback<pb::PodSandboxStatusResponse> cb);

  call_handle list_pod_sandbox(pb::ListPodSandboxRequest req,
                               callback<pb::ListPodSandboxResponse> cb);

  call_handle create_container(pb::CreateContainerRequest req,
                               callback<pb::CreateContainerResponse> cb);

  call_handle start_container(pb::StartContainerRequest req,
                              callback<pb::StartContainerResponse> cb);

  /// Deadline: request_timeout plus the request's grace period.
  call_handle stop_container(pb::StopContainerRequest req,
                             callback<pb::StopContainerResponse> cb);

  call_handle remove_container(pb::RemoveContainerRequest req,
                               callback<pb::RemoveContainerResponse> cb);

  call_handle list_containers(pb::ListContainersRequest req,
                              callback<pb::ListContainersResponse> cb);

  call_handle container_status(pb::ContainerStatusRequest req,
                               callback<pb::ContainerStatusResponse> cb);

  call_handle
  update_container_resources(pb::UpdateContainerResourcesRequest req,
                             callback<pb::UpdateContainerResourcesResponse> cb);

  call_handle reopen_container_log(pb::ReopenContainerLogRequest req,
                                   callback<pb::ReopenContainerLogResponse> cb);

  /// Deadline: request_timeout plus the command's timeout.
  call_handle exec_sync(pb::ExecSyncRequest req,
                        callback<pb::ExecSyncResponse> cb);

  call_handle container_stats(pb::ContainerStatsRequest req,
                              callback<pb::ContainerStatsResponse> cb);

  call_handle list_container_stats(pb::ListContainerStatsRequest req,
                                   callback<pb::ListContainerStatsResponse> cb);

  call_handle pod_sandbox_stats(pb::PodSandboxStatsRequest req,
                                callback<pb::PodSandboxStatsResponse> cb);

  call_handle
  list_pod_sandbox_stats(pb::ListPodSandboxStatsRequest req,
                         callback<pb::ListPodSandboxStatsResponse> cb);

  call_handle update_runtime_config(pb::UpdateRuntimeConfigRequest req,
                                    callback<pb::UpdateRuntimeConfigResponse> cb);

  call_handle runtime_config(pb::RuntimeConfigRequest req,
                             callback<pb::RuntimeConfigResponse> cb);

  // -- ImageService ---------------------------------------------------------

  call_handle list_images(pb::ListImagesRequest req,
                          callback<pb::ListImagesResponse> cb);

  call_handle image_status(pb::ImageStatusRequest req,
                           callback<pb::ImageStatusResponse> cb);

  /// Deadline: pull_timeout (none by default).
  call_handle pull_image(pb::PullImageRequest req,
                         callback<pb::PullImageResponse> cb);

  call_handle remove_image(pb::RemoveImageRequest req,
                           callback<pb::RemoveImageResponse> cb);

  call_handle image_fs_info(pb::ImageFsInfoRequest req,
                            callback<pb::ImageFsInfoResponse> cb);

private:
  client(client_options opts, endpoint ep);

  std::chrono::milliseconds query_deadline() const;

  client_options opts_;
  endpoint endpoint_;
  std::shared_ptr<detail::client_shared> shared_;
};

} // namespace cafelet::cri
