#include "tests/support/grpc_health_server.hpp"

#include "health.grpc.pb.h"

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/server_context.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>

namespace cafelet::testing {

namespace hv1 = ::grpc::health::v1;

struct grpc_health_server::impl final : hv1::Health::Service {
  mutable std::mutex mtx;
  mutable std::condition_variable changed;
  std::map<std::string, health_status> statuses;
  std::chrono::milliseconds delay{0};
  size_t check_count = 0;
  std::string user_agent;
  bool stopping = false;
  int port = 0;
  /// Answers every call UNIMPLEMENTED when Health is left out (a server
  /// needs at least one service).
  grpc::CallbackGenericService no_methods;
  std::unique_ptr<grpc::Server> server;

  grpc::Status Check(grpc::ServerContext* ctx,
                     const hv1::HealthCheckRequest* req,
                     hv1::HealthCheckResponse* resp) override {
    std::unique_lock<std::mutex> lock{mtx};
    ++check_count;
    auto ua = ctx->client_metadata().find("user-agent");
    if (ua != ctx->client_metadata().end())
      user_agent.assign(ua->second.data(), ua->second.size());
    changed.notify_all();
    auto until = std::chrono::steady_clock::now() + delay;
    // Wait out the delay; poll for the caller giving up, which the sync
    // API does not signal.
    while (!stopping && std::chrono::steady_clock::now() < until) {
      if (ctx->IsCancelled())
        return {grpc::StatusCode::CANCELLED, "caller gave up"};
      changed.wait_until(lock,
                         std::min(until, std::chrono::steady_clock::now()
                                           + std::chrono::milliseconds{20}));
    }
    if (stopping)
      return {grpc::StatusCode::UNAVAILABLE, "server stopping"};
    auto i = statuses.find(req->service());
    if (i == statuses.end())
      return {grpc::StatusCode::NOT_FOUND, "unknown service"};
    resp->set_status(
      static_cast<hv1::HealthCheckResponse::ServingStatus>(i->second));
    return grpc::Status::OK;
  }
};

grpc_health_server::grpc_health_server(grpc_health_server_options opts)
  : impl_(std::make_unique<impl>()) {
  impl_->statuses.emplace("", opts.server_status);
  impl_->delay = opts.delay;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(opts.address, grpc::InsecureServerCredentials(),
                           &impl_->port);
  if (opts.implement_health)
    builder.RegisterService(impl_.get());
  else
    builder.RegisterCallbackGenericService(&impl_->no_methods);
  impl_->server = builder.BuildAndStart();
  if (impl_->server == nullptr)
    impl_->port = 0;
}

grpc_health_server::~grpc_health_server() {
  stop();
}

bool grpc_health_server::running() const noexcept {
  return impl_->server != nullptr && impl_->port > 0;
}

uint16_t grpc_health_server::port() const noexcept {
  return running() ? static_cast<uint16_t>(impl_->port) : 0;
}

void grpc_health_server::set_status(const std::string& service,
                                    health_status st) {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  impl_->statuses[service] = st;
}

void grpc_health_server::remove_service(const std::string& service) {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  impl_->statuses.erase(service);
}

void grpc_health_server::set_delay(std::chrono::milliseconds delay) {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  impl_->delay = delay;
}

size_t grpc_health_server::checks() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->check_count;
}

bool grpc_health_server::wait_for_checks(
  size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock{impl_->mtx};
  return impl_->changed.wait_for(lock, timeout,
                                 [&] { return impl_->check_count >= n; });
}

std::string grpc_health_server::last_user_agent() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->user_agent;
}

void grpc_health_server::stop() {
  {
    std::lock_guard<std::mutex> guard{impl_->mtx};
    impl_->stopping = true;
    impl_->changed.notify_all();
  }
  if (impl_->server != nullptr) {
    impl_->server->Shutdown(std::chrono::system_clock::now()
                            + std::chrono::seconds{1});
    impl_->server->Wait();
    impl_->server.reset();
  }
}

} // namespace cafelet::testing
