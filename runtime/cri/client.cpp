#include "runtime/cri/client.hpp"

#include "runtime/cri/status.hpp"

#include "cafelet_build_info.hpp"

#include "api.grpc.pb.h"

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <condition_variable>
#include <limits>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace cafelet::cri {

namespace detail {

class call_registry;

/// Removes a call from its registry when destroyed. Declared before the
/// call's context so that it runs after the context (and with it the
/// context's reference to the channel) is gone.
struct registration {
  std::shared_ptr<call_registry> registry;
  uint64_t id = 0;
  registration() = default;
  registration(const registration&) = delete;
  registration& operator=(const registration&) = delete;
  ~registration();
};

/// What every call in flight has: its context (deadline, cancellation).
struct call_base {
  registration reg;
  grpc::ClientContext ctx;
  virtual ~call_base() = default;
  /// Hands the outcome to the caller's callback (at most once).
  virtual void finish(const grpc::Status& st) = 0;
};

/// One unary call: request, response slot and the caller's callback. Owned
/// by the completion function gRPC holds until the call ends.
template <class Req, class Resp>
struct unary_call final : call_base {
  Req req;
  Resp resp;
  callback<Resp> done;

  void finish(const grpc::Status& st) override {
    auto f = std::move(done);
    if (!f)
      return;
    if (st.ok())
      f(caf::expected<Resp>{std::move(resp)});
    else
      f(caf::expected<Resp>{make_rpc_error(static_cast<int>(st.error_code()),
                                           st.error_message())});
  }
};

/// The calls in flight, shared with the calls themselves so that they may
/// end after the client is gone.
class call_registry {
public:
  /// Registers a call; returns 0 if the registry is closed.
  uint64_t add(std::weak_ptr<call_base> call) {
    std::lock_guard<std::mutex> guard{mtx_};
    if (closed_)
      return 0;
    auto id = next_id_++;
    calls_.emplace(id, std::move(call));
    return id;
  }

  void remove(uint64_t id) {
    std::lock_guard<std::mutex> guard{mtx_};
    calls_.erase(id);
    if (calls_.empty())
      drained_.notify_all();
  }

  /// Closes the registry and returns the live calls.
  std::vector<std::shared_ptr<call_base>> close() {
    std::vector<std::shared_ptr<call_base>> live;
    std::lock_guard<std::mutex> guard{mtx_};
    closed_ = true;
    for (auto& [id, weak] : calls_)
      if (auto call = weak.lock())
        live.push_back(std::move(call));
    return live;
  }

  /// True if no call is registered.
  bool empty() {
    std::lock_guard<std::mutex> guard{mtx_};
    return calls_.empty();
  }

  /// Blocks until no call is registered.
  void wait_drained() {
    std::unique_lock<std::mutex> lock{mtx_};
    drained_.wait(lock, [this] { return calls_.empty(); });
  }

private:
  std::mutex mtx_;
  std::condition_variable drained_;
  bool closed_ = false;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, std::weak_ptr<call_base>> calls_;
};

registration::~registration() {
  if (registry != nullptr && id != 0)
    registry->remove(id);
}

/// Channel, stubs and registry of a client.
struct client_shared {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<pb::RuntimeService::Stub> runtime;
  std::unique_ptr<pb::ImageService::Stub> images;
  std::shared_ptr<call_registry> registry
    = std::make_shared<call_registry>();
};

} // namespace detail

namespace {

using std::chrono::milliseconds;

using runtime_async = pb::RuntimeService::Stub::async_interface;
using image_async = pb::ImageService::Stub::async_interface;

int to_int_ms(milliseconds d) {
  constexpr auto max = std::numeric_limits<int>::max();
  if (d.count() <= 0)
    return 0;
  return d.count() > max ? max : static_cast<int>(d.count());
}

std::shared_ptr<grpc::Channel> make_channel(const client_options& opts,
                                            const endpoint& ep) {
  grpc::ChannelArguments args;
  args.SetUserAgentPrefix(std::string{"cafelet/"} + CAFELET_VERSION);
  // Reconnect quickly after the runtime restarts; a connection attempt to a
  // unix socket fails at once, so the backoff is what bounds the gap.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
              to_int_ms(opts.initial_reconnect_backoff));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
              to_int_ms(opts.max_reconnect_backoff));
  // Despite the name: the minimum deadline of one connection attempt.
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS,
              to_int_ms(opts.connect_timeout));
  // Detect a runtime that stopped answering without closing the socket.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, to_int_ms(opts.keepalive_time));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
              to_int_ms(opts.keepalive_timeout));
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  args.SetMaxReceiveMessageSize(opts.max_message_bytes);
  args.SetMaxSendMessageSize(opts.max_message_bytes);
  // Do not share connection state with other channels to the same socket.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(ep.target,
                                   grpc::InsecureChannelCredentials(), args);
}

/// Sets the deadline and registers the call; false (after completing the
/// call with a cancelled error) if the client is shut down.
bool enlist(const detail::client_shared& shared,
            const std::shared_ptr<detail::call_base>& call,
            milliseconds timeout) {
  if (timeout.count() > 0)
    call->ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  auto id = shared.registry->add(call);
  if (id == 0) {
    call->finish(grpc::Status{grpc::StatusCode::CANCELLED,
                              "CRI client is shut down"});
    return false;
  }
  call->reg.registry = shared.registry;
  call->reg.id = id;
  return true;
}

/// The completion function given to gRPC; owns the call until it ends.
std::function<void(grpc::Status)>
completion(std::shared_ptr<detail::call_base> call) {
  return [call = std::move(call)](grpc::Status st) { call->finish(st); };
}

/// Starts one unary call. `invoke(async, ctx, req, resp, fn)` calls the
/// generated async method.
template <class Req, class Resp, class Async, class Invoke>
call_handle start(const detail::client_shared& shared, Async* async,
                  Req req, callback<Resp> done, milliseconds timeout,
                  Invoke invoke) {
  auto call = std::make_shared<detail::unary_call<Req, Resp>>();
  call->req = std::move(req);
  call->done = std::move(done);
  if (!enlist(shared, call, timeout))
    return {};
  call_handle handle{call};
  invoke(async, &call->ctx, &call->req, &call->resp, completion(call));
  return handle;
}

/// Adds a number of seconds from a request to a deadline (negative counts
/// as zero).
milliseconds plus_seconds(milliseconds base, int64_t seconds) {
  if (seconds <= 0)
    return base;
  constexpr int64_t max_seconds = int64_t{1} << 40;
  return base + std::chrono::seconds{std::min(seconds, max_seconds)};
}

} // namespace

// -- call_handle --------------------------------------------------------------

void call_handle::cancel() const {
  if (auto call = call_.lock())
    call->ctx.TryCancel();
}

// -- client: construction and state -------------------------------------------

caf::expected<std::unique_ptr<client>> client::make(client_options opts) {
  auto ep = parse_endpoint(opts.endpoint);
  if (!ep)
    return std::move(ep.error());
  return std::unique_ptr<client>{new client(std::move(opts), std::move(*ep))};
}

client::client(client_options opts, endpoint ep)
  : opts_(std::move(opts)), endpoint_(std::move(ep)),
    shared_(std::make_shared<detail::client_shared>()) {
  shared_->channel = make_channel(opts_, endpoint_);
  shared_->runtime = pb::RuntimeService::NewStub(shared_->channel);
  shared_->images = pb::ImageService::NewStub(shared_->channel);
}

client::~client() {
  shutdown();
  if (shared_->registry->empty())
    return; // The channel goes away on this thread.
  // Cancelled calls are still finishing; the last of them would release the
  // channel on a gRPC callback thread, which gRPC does not survive (it joins
  // its own thread). Hand the channel to a short-lived thread that releases
  // it once every call is gone.
  std::thread{[shared = std::move(shared_)]() mutable {
    shared->registry->wait_drained();
    shared.reset();
  }}.detach();
}

const endpoint& client::target() const noexcept {
  return endpoint_;
}

const client_options& client::options() const noexcept {
  return opts_;
}

std::string client::channel_state(bool try_to_connect) const {
  switch (shared_->channel->GetState(try_to_connect)) {
    case GRPC_CHANNEL_IDLE: return "idle";
    case GRPC_CHANNEL_CONNECTING: return "connecting";
    case GRPC_CHANNEL_READY: return "ready";
    case GRPC_CHANNEL_TRANSIENT_FAILURE: return "transient_failure";
    case GRPC_CHANNEL_SHUTDOWN: return "shutdown";
  }
  return "unknown";
}

std::shared_ptr<grpc::Channel> client::channel() const {
  return shared_->channel;
}

void client::shutdown() {
  // Cancel outside the registry's lock: a cancelled call may complete on
  // another thread right away and remove itself.
  for (auto& call : shared_->registry->close())
    call->ctx.TryCancel();
}

milliseconds client::query_deadline() const {
  return std::min(opts_.query_timeout, opts_.request_timeout);
}

// -- convenience calls --------------------------------------------------------

call_handle client::runtime_version(callback<version_info> cb) {
  pb::VersionRequest req;
  req.set_version(kubelet_api_version);
  return version(std::move(req),
                 [cb = std::move(cb)](caf::expected<pb::VersionResponse> r) {
                   if (r)
                     cb(to_version_info(*r));
                   else
                     cb(std::move(r.error()));
                 });
}

call_handle client::runtime_status(callback<cri::runtime_status> cb) {
  return status(pb::StatusRequest{},
                [cb = std::move(cb)](caf::expected<pb::StatusResponse> r) {
                  if (r)
                    cb(to_runtime_status(*r));
                  else
                    cb(std::move(r.error()));
                });
}

// -- RuntimeService -----------------------------------------------------------

call_handle client::version(pb::VersionRequest req,
                            callback<pb::VersionResponse> cb) {
  return start(*shared_, shared_->runtime->async(), std::move(req),
               std::move(cb), query_deadline(),
               [](runtime_async* a, auto&&... xs) { a->Version(std::forward<decltype(xs)>(xs)...); });
}

call_handle client::status(pb::StatusRequest req,
                           callback<pb::StatusResponse> cb) {
  return start(*shared_, shared_->runtime->async(), std::move(req),
               std::move(cb), query_deadline(),
               [](runtime_async* a, auto&&... xs) { a->Status(std::forward<decltype(xs)>(xs)...); });
}

call_handle client::run_pod_sandbox(pb::RunPodSandboxRequest req,
                                    callback<pb::RunPodSandboxResponse> cb) {
  return start(*shared_, shared_->runtime->async(), std::move(req),
               std::move(cb), opts_.request_timeout,
               [](runtime_async* a, auto&&... xs) { a->RunPodSandbox(std::forward<decltype(xs)>(xs)...); });
}

call_handle client::stop_pod_sandbox(pb::StopPodSandboxRequest req,
                                     callback<pb::StopPodSandboxResponse> cb) {
  return start(*shared_, shared_->runtime->async(), std::move(req),
               std::move(cb), opts_.request_timeout,
               [](runtime_async* a, auto&&... xs) {
                 a->StopPodSandbox(std::forward<decltype(xs)>(xs)...);
               });
}

call_handle
client::remove_pod_sandbox(pb::RemovePodSandboxRequest req,
                           callback<pb::RemovePodSandboxResponse> cb) {
  return start(*shared_, shared_->runtime->async(), std::move(req),
               std::move(cb), opts_.request_timeout,
               [](runtime_async* a, auto&&... xs) {
                 a->RemovePodSandbox(std::forward<decltype(xs)>(xs)...);
               });
}

call_handle
client::pod_sandbox_status(pb::PodSandboxStatusRequest req,
                           callback<pb::PodSandboxStatusResponse> cb) {
  return start(*shared_, shared_->runtime->async(), std::move(req),
               std::move(cb), query_deadline(),
               [](runtime_async* a, auto&&... xs) {
                 a->PodSandboxStatus(std::forward<decltype(xs)>(xs)...);
               });
}

call_handle client::list_pod_sandbox(pb::ListPodSandboxRequest req,
                                     callback<pb::ListPodSandboxResponse> cb) {
  return start(*shared_, shared_->runtime->async(), std::move(req),
               std::move(cb), query_deadline(),
               [](runtime_async* a, auto&&... xs) {
                 a->ListPodSandbox(std::forward<decltype(xs)>(xs)...);
               });
}

call_handle client::create_container(pb::CreateContainerRequest req,
                                     callback<pb::CreateContainerResponse> cb) {
  return start(*shared_, shared_->runtime->async(), std::move(req),
               std::move(cb), opts_.request_timeout,
               [](runtime_async* a, auto&&... xs) {
                 a->CreateContainer(std::forward<decltype(xs)>(xs)...);
               });
}

call_handle client::start_container(pb::StartContainerRequest req,
                                    callback<pb::StartContainerResponse> cb) {
  return start(*shared_, shared_->runtime->async(), std::move(req),
               std::move(cb), opts_.request_timeout,
               [](runtime_async* a, auto&&... xs) {
                 a->StartContainer(std::forward<decltype(xs)>(xs)...);
               });
}

call_handle client::stop_container(pb::StopContainerRequest req,
                                   callback<pb::StopContainerResponse> cb) {
  auto timeout = plus_seconds(opts_.request_timeout, req.timeout());
  return start(*shared_, shared_->runtime->async(), std::move(req),
               std::move(cb), timeout,
               [](runtime_async* a, auto&&... xs) { a->StopContainer(std::forward<decltype(xs)>(xs)...); });
}

call_handle client::remove_container(pb::RemoveContainerRequest req,
                                     callback<pb::RemoveContainerResponse> cb) {
  return start(*shared_, shared_->runtime->async(), std::move(req),
               std::move(cb), opts_.request_timeout,
               [](runtime_async* a, auto&&... xs) {
                 a->RemoveContainer(std::forward<decltype(xs)>(xs)...);
               });
}

call_handle client::list_containers(pb::ListContainersRequest req,
                                    callback<pb::ListContainersResponse> cb) {
  return start(*shared_, shared_->runtime->async(), std::move(req),
               std::move(cb), query_deadline(),
               [](runtime_async* a, auto&&... xs) {
                 a->ListContainers(std::forward<decltype(xs)>(xs)...);
               });
}

call_handle client::container_status(pb::ContainerStatusRequest req,
                                     callback<pb::ContainerStatusResponse> cb) {
  return start(*shared_, shared_->runtime->async(), std::move(req),
               std::move(cb), query_deadline(),
               [](runtime_async* a, auto&&... xs) {
                 a->ContainerStatus(std::forward<decltype(xs)>(xs)...);
               });
}

call_handle client::update_container_resources(
  pb::UpdateContainerResourcesRequest req,
  callback<pb::UpdateContainerResourcesResponse> cb) {
  return start(*shared_, shared_->runtime->async(), std::move(req),
               std::move(cb), opts_.request_timeout,
               [](runtime_async* a, auto&&... xs) {
                 a->UpdateContainerResources(std::forward<decltype(xs)>(xs)...);
               });
}

call_handle
client::reopen_container_log(pb::ReopenContainerLogRequest req,
                             callback<pb::ReopenContainerLogResponse> cb) {
  return start(*shared_, shared_->runtime->async(), std::move(req),
               std::move(cb), opts_.request_timeout,
               [](runtime_async* a, auto&&... xs) {
                 a->ReopenContainerLog(std::forward<decltype(xs)>(xs)...);
               });
}

call_handle client::exec_sync(pb::ExecSyncRequest req,
                              callback<pb::ExecSyncResponse> cb) {
  auto timeout = plus_seconds(opts_.request_timeout, req.timeout());
  return start(*shared_, shared_->runtime->async(), std::move(req),
               std::move(cb), timeout,
               [](runtime_async* a, auto&&... xs) { a->ExecSync(std::forward<decltype(xs)>(xs)...); });
}

call_handle client::container_stats(pb::ContainerStatsRequest req,
                                    callback<pb::ContainerStatsResponse> cb) {
  return start(*shared_, shared_->runtime->async(), std::move(req),
               std::move(cb), query_deadline(),
               [](runtime_async* a, auto&&... xs) {
                 a->ContainerStats(std::forward<decltype(xs)>(xs)...);
               });
}

call_handle
client::list_container_stats(pb::ListContainerStatsRequest req,
                             callback<pb::ListContainerStatsResponse> cb) {
  return start(*shared_, shared_->runtime->async(), std::move(req),
               std::move(cb), query_deadline(),
               [](runtime_async* a, auto&&... xs) {
                 a->ListContainerStats(std::forward<decltype(xs)>(xs)...);
               });
}

call_handle client::pod_sandbox_stats(pb::PodSandboxStatsRequest req,
                                      callback<pb::PodSandboxStatsResponse> cb) {
  return start(*shared_, shared_->runtime->async(), std::move(req),
               std::move(cb), query_deadline(),
               [](runtime_async* a, auto&&... xs) {
                 a->PodSandboxStats(std::forward<decltype(xs)>(xs)...);
               });
}

call_handle
client::list_pod_sandbox_stats(pb::ListPodSandboxStatsRequest req,
                               callback<pb::ListPodSandboxStatsResponse> cb) {
  return start(*shared_, shared_->runtime->async(), std::move(req),
               std::move(cb), query_deadline(),
               [](runtime_async* a, auto&&... xs) {
                 a->ListPodSandboxStats(std::forward<decltype(xs)>(xs)...);
               });
}

call_handle
client::update_runtime_config(pb::UpdateRuntimeConfigRequest req,
                              callback<pb::UpdateRuntimeConfigResponse> cb) {
  return start(*shared_, shared_->runtime->async(), std::move(req),
               std::move(cb), opts_.request_timeout,
               [](runtime_async* a, auto&&... xs) {
                 a->UpdateRuntimeConfig(std::forward<decltype(xs)>(xs)...);
               });
}

call_handle client::runtime_config(pb::RuntimeConfigRequest req,
                                   callback<pb::RuntimeConfigResponse> cb) {
  return start(*shared_, shared_->runtime->async(), std::move(req),
               std::move(cb), query_deadline(),
               [](runtime_async* a, auto&&... xs) {
                 a->RuntimeConfig(std::forward<decltype(xs)>(xs)...);
               });
}

// -- ImageService -------------------------------------------------------------

call_handle client::list_images(pb::ListImagesRequest req,
                                callback<pb::ListImagesResponse> cb) {
  return start(*shared_, shared_->images->async(), std::move(req),
               std::move(cb), query_deadline(),
               [](image_async* a, auto&&... xs) { a->ListImages(std::forward<decltype(xs)>(xs)...); });
}

call_handle client::image_status(pb::ImageStatusRequest req,
                                 callback<pb::ImageStatusResponse> cb) {
  return start(*shared_, shared_->images->async(), std::move(req),
               std::move(cb), query_deadline(),
               [](image_async* a, auto&&... xs) { a->ImageStatus(std::forward<decltype(xs)>(xs)...); });
}

call_handle client::pull_image(pb::PullImageRequest req,
                               callback<pb::PullImageResponse> cb) {
  return start(*shared_, shared_->images->async(), std::move(req),
               std::move(cb), opts_.pull_timeout,
               [](image_async* a, auto&&... xs) { a->PullImage(std::forward<decltype(xs)>(xs)...); });
}

call_handle client::remove_image(pb::RemoveImageRequest req,
                                 callback<pb::RemoveImageResponse> cb) {
  return start(*shared_, shared_->images->async(), std::move(req),
               std::move(cb), opts_.request_timeout,
               [](image_async* a, auto&&... xs) { a->RemoveImage(std::forward<decltype(xs)>(xs)...); });
}

call_handle client::image_fs_info(pb::ImageFsInfoRequest req,
                                  callback<pb::ImageFsInfoResponse> cb) {
  return start(*shared_, shared_->images->async(), std::move(req),
               std::move(cb), query_deadline(),
               [](image_async* a, auto&&... xs) { a->ImageFsInfo(std::forward<decltype(xs)>(xs)...); });
}

} // namespace cafelet::cri
