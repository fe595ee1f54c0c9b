#include "tests/runtime/fake_runtime.hpp"

#include "api.grpc.pb.h"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/server_context.h>

#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>

namespace cafelet::test {

namespace pb = ::runtime::v1;

using namespace std::chrono_literals;

// -- temp_dir -----------------------------------------------------------------

temp_dir::temp_dir() {
  char tmpl[] = "/tmp/cafelet-cri-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr)
    throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

// -- shared state -------------------------------------------------------------

struct fake_runtime::state {
  mutable std::mutex mtx;
  std::condition_variable cv;
  bool stopping = false;
  std::map<std::string, grpc::Status> failures;
  std::set<std::string> held;
  std::map<std::string, int> holding;
  std::map<std::string, int> calls;
  std::map<std::string, std::optional<std::chrono::milliseconds>> deadlines;
  std::string user_agent;
  std::string version_request;
  bool network_ready = true;
  std::string network_reason;
  std::string network_message;

  /// Bookkeeping and knobs common to every implemented method.
  grpc::Status enter(const std::string& method, grpc::ServerContext* ctx) {
    std::unique_lock<std::mutex> lock{mtx};
    ++calls[method];
    auto deadline = ctx->deadline();
    if (deadline == std::chrono::system_clock::time_point::max())
      deadlines[method] = std::nullopt;
    else
      deadlines[method] = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::system_clock::now());
    const auto& md = ctx->client_metadata();
    if (auto i = md.find("user-agent"); i != md.end())
      user_agent.assign(i->second.data(), i->second.size());
    if (held.count(method) > 0) {
      ++holding[method];
      cv.notify_all();
      // The client's cancellation has no notification in the synchronous
      // API: look at it between short waits.
      while (held.count(method) > 0 && !stopping && !ctx->IsCancelled())
        cv.wait_for(lock, 5ms);
      --holding[method];
      if (ctx->IsCancelled())
        return grpc::Status{grpc::StatusCode::CANCELLED, "cancelled"};
      if (stopping)
        return grpc::Status{grpc::StatusCode::UNAVAILABLE, "shutting down"};
    }
    if (auto i = failures.find(method); i != failures.end())
      return i->second;
    return grpc::Status::OK;
  }
};

namespace {

class runtime_service final : public pb::RuntimeService::Service {
public:
  explicit runtime_service(std::shared_ptr<fake_runtime::state> st)
    : st_(std::move(st)) {
  }

  grpc::Status Version(grpc::ServerContext* ctx, const pb::VersionRequest* req,
                       pb::VersionResponse* resp) override {
    {
      std::lock_guard<std::mutex> guard{st_->mtx};
      st_->version_request = req->version();
    }
    if (auto s = st_->enter("Version", ctx); !s.ok())
      return s;
    resp->set_version("0.1.0");
    resp->set_runtime_name("fakerd");
    resp->set_runtime_version("1.2.3");
    resp->set_runtime_api_version("v1");
    return grpc::Status::OK;
  }

  grpc::Status Status(grpc::ServerContext* ctx, const pb::StatusRequest*,
                      pb::StatusResponse* resp) override {
    if (auto s = st_->enter("Status", ctx); !s.ok())
      return s;
    auto* rt = resp->mutable_status()->add_conditions();
    rt->set_type("RuntimeReady");
    rt->set_status(true);
    auto* net = resp->mutable_status()->add_conditions();
    net->set_type("NetworkReady");
    std::lock_guard<std::mutex> guard{st_->mtx};
    net->set_status(st_->network_ready);
    net->set_reason(st_->network_reason);
    net->set_message(st_->network_message);
    return grpc::Status::OK;
  }

  grpc::Status ListPodSandbox(grpc::ServerContext* ctx,
                              const pb::ListPodSandboxRequest* req,
                              pb::ListPodSandboxResponse* resp) override {
    if (auto s = st_->enter("ListPodSandbox", ctx); !s.ok())
      return s;
    // One sandbox echoing the filter.
    auto* item = resp->add_items();
    item->set_id(req->filter().id().empty() ? "sb-1" : req->filter().id());
    item->set_state(pb::SANDBOX_READY);
    item->mutable_labels()->insert(req->filter().label_selector().begin(),
                                   req->filter().label_selector().end());
    return grpc::Status::OK;
  }

  grpc::Status RunPodSandbox(grpc::ServerContext* ctx,
                             const pb::RunPodSandboxRequest* req,
                             pb::RunPodSandboxResponse* resp) override {
    if (auto s = st_->enter("RunPodSandbox", ctx); !s.ok())
      return s;
    resp->set_pod_sandbox_id("sb-" + req->config().metadata().uid());
    return grpc::Status::OK;
  }

  grpc::Status StopContainer(grpc::ServerContext* ctx,
                             const pb::StopContainerRequest*,
                             pb::StopContainerResponse*) override {
    return st_->enter("StopContainer", ctx);
  }

private:
  std::shared_ptr<fake_runtime::state> st_;
};

class image_service final : public pb::ImageService::Service {
public:
  explicit image_service(std::shared_ptr<fake_runtime::state> st)
    : st_(std::move(st)) {
  }

  grpc::Status ListImages(grpc::ServerContext* ctx, const pb::ListImagesRequest*,
                          pb::ListImagesResponse* resp) override {
    if (auto s = st_->enter("ListImages", ctx); !s.ok())
      return s;
    for (auto name : {"localhost/pause:ci", "localhost/busybox:ci"}) {
      auto* img = resp->add_images();
      img->set_id(std::string{"sha256:"} + name);
      img->add_repo_tags(name);
      img->set_size(1024);
    }
    return grpc::Status::OK;
  }

  grpc::Status ImageStatus(grpc::ServerContext* ctx,
                           const pb::ImageStatusRequest* req,
                           pb::ImageStatusResponse* resp) override {
    if (auto s = st_->enter("ImageStatus", ctx); !s.ok())
      return s;
    if (req->image().image() == "localhost/busybox:ci")
      resp->mutable_image()->set_id("sha256:busybox");
    return grpc::Status::OK;
  }

  grpc::Status PullImage(grpc::ServerContext* ctx,
                         const pb::PullImageRequest* req,
                         pb::PullImageResponse* resp) override {
    if (auto s = st_->enter("PullImage", ctx); !s.ok())
      return s;
    resp->set_image_ref("sha256:" + req->image().image());
    return grpc::Status::OK;
  }

private:
  std::shared_ptr<fake_runtime::state> st_;
};

} // namespace

// -- fake_runtime -------------------------------------------------------------

struct fake_runtime::server_parts {
  explicit server_parts(const std::shared_ptr<state>& st)
    : runtime(st), images(st) {
  }
  runtime_service runtime;
  image_service images;
  std::unique_ptr<grpc::Server> server;
};

fake_runtime::fake_runtime(std::string socket_path)
  : socket_path_(std::move(socket_path)),
    state_(std::make_shared<state>()) {
  start();
}

fake_runtime::~fake_runtime() {
  stop();
}

std::string fake_runtime::endpoint() const {
  return "unix://" + socket_path_;
}

void fake_runtime::start() {
  if (server_)
    return;
  auto parts = std::make_unique<server_parts>(state_);
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + socket_path_,
                           grpc::InsecureServerCredentials());
  builder.RegisterService(&parts->runtime);
  builder.RegisterService(&parts->images);
  parts->server = builder.BuildAndStart();
  if (!parts->server)
    throw std::runtime_error("fake runtime cannot listen on " + socket_path_);
  server_ = std::move(parts);
}

void fake_runtime::stop() {
  if (!server_)
    return;
  {
    std::lock_guard<std::mutex> guard{state_->mtx};
    state_->stopping = true;
  }
  state_->cv.notify_all();
  server_->server->Shutdown(std::chrono::system_clock::now() + 2s);
  server_->server->Wait();
  server_.reset();
  std::lock_guard<std::mutex> guard{state_->mtx};
  state_->stopping = false;
}

void fake_runtime::fail(const std::string& method, grpc::StatusCode code,
                        std::string message) {
  std::lock_guard<std::mutex> guard{state_->mtx};
  state_->failures[method] = grpc::Status{code, std::move(message)};
}

void fake_runtime::succeed(const std::string& method) {
  std::lock_guard<std::mutex> guard{state_->mtx};
  state_->failures.erase(method);
}

void fake_runtime::hold(const std::string& method) {
  std::lock_guard<std::mutex> guard{state_->mtx};
  state_->held.insert(method);
}

void fake_runtime::release() {
  {
    std::lock_guard<std::mutex> guard{state_->mtx};
    state_->held.clear();
  }
  state_->cv.notify_all();
}

bool fake_runtime::wait_held(const std::string& method, int n,
                             std::chrono::milliseconds guard) {
  std::unique_lock<std::mutex> lock{state_->mtx};
  return state_->cv.wait_for(lock, guard, [&] {
    return state_->holding[method] >= n;
  });
}

int fake_runtime::calls(const std::string& method) const {
  std::lock_guard<std::mutex> guard{state_->mtx};
  auto i = state_->calls.find(method);
  return i == state_->calls.end() ? 0 : i->second;
}

std::optional<std::chrono::milliseconds>
fake_runtime::last_deadline(const std::string& method) const {
  std::lock_guard<std::mutex> guard{state_->mtx};
  auto i = state_->deadlines.find(method);
  return i == state_->deadlines.end() ? std::nullopt : i->second;
}

std::string fake_runtime::last_user_agent() const {
  std::lock_guard<std::mutex> guard{state_->mtx};
  return state_->user_agent;
}

std::string fake_runtime::last_version_request() const {
  std::lock_guard<std::mutex> guard{state_->mtx};
  return state_->version_request;
}

void fake_runtime::set_network_ready(bool ready, std::string reason,
                                     std::string message) {
  std::lock_guard<std::mutex> guard{state_->mtx};
  state_->network_ready = ready;
  state_->network_reason = std::move(reason);
  state_->network_message = std::move(message);
}

} // namespace cafelet::test
