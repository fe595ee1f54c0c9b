#include "actors/pods/cri_pod_runtime.hpp"

#include "actors/pods/expansion.hpp"
#include "actors/pods/qos.hpp"
#include "messages/errors.hpp"
#include "messages/log.hpp"
#include "runtime/cri/client.hpp"
#include "runtime/kuberuntime/cgroups.hpp"
#include "runtime/kuberuntime/container.hpp"
#include "runtime/kuberuntime/sandbox.hpp"

#include <filesystem>
#include <mutex>
#include <unordered_map>

namespace cafelet::actors::pods {

namespace {

namespace fs = std::filesystem;
namespace kr = kuberuntime;

kr::qos_class qos_for(const k8s::pod& pod) {
  auto q = kr::parse_qos_class(to_string(qos_of(pod)));
  return q ? *q : kr::qos_class::best_effort;
}

/// Removes the pod's cgroup in every v1 hierarchy (runc creates them on
/// demand; with the cgroupfs driver the kubelet removes them). Best effort.
void remove_pod_cgroups(const std::string& parent) {
  std::error_code ec;
  fs::path root{"/sys/fs/cgroup"};
  for (const auto& ctrl : fs::directory_iterator(root, ec)) {
    auto dir = ctrl.path() / fs::path{parent}.relative_path();
    if (fs::is_directory(dir, ec))
      fs::remove(dir, ec); // rmdir: only succeeds when empty
  }
}

/// Adapts a typed CRI completion to a plain done callback.
auto done(runtime_done cb) {
  return [cb = std::move(cb)](auto r) mutable { cb(r ? caf::error{} : r.error()); };
}

class cri_runtime final : public pod_runtime {
public:
  cri_runtime(std::shared_ptr<cri::client> client, cri_pod_runtime_config cfg)
    : client_(std::move(client)), cfg_(std::move(cfg)) {
  }

  void run_sandbox(const k8s::pod& pod, uint32_t attempt,
                   runtime_cb<sandbox_info> cb) override {
    auto qos = qos_for(pod);
    auto made = kr::make_sandbox_config(pod, qos, attempt, cfg_.settings);
    if (!made) {
      cb(made.error());
      return;
    }
    std::error_code ec;
    fs::create_directories(kr::pod_log_directory(cfg_.settings, pod), ec);
    auto config = made->config;
    auto parent = kr::pod_cgroup_parent(cfg_.settings, qos, pod.metadata.uid);
    auto self = this;
    client_->run_pod_sandbox(
      kr::make_run_sandbox_request(config),
      [self, config, parent, cb = std::move(cb)](
        caf::expected<cri::pb::RunPodSandboxResponse> r) mutable {
        if (!r) {
          cb(r.error());
          return;
        }
        auto id = r->pod_sandbox_id();
        {
          std::lock_guard<std::mutex> guard{self->mtx_};
          self->sandboxes_[id] = sandbox_entry{config, parent};
        }
        cri::pb::PodSandboxStatusRequest req;
        req.set_pod_sandbox_id(id);
        self->client_->pod_sandbox_status(
          std::move(req),
          [id, cb = std::move(cb)](
            caf::expected<cri::pb::PodSandboxStatusResponse> s) mutable {
            sandbox_info info;
            info.id = id;
            if (s && s->has_status() && s->status().has_network()) {
              const auto& net = s->status().network();
              if (!net.ip().empty())
                info.ips.push_back(net.ip());
              for (const auto& ip : net.additional_ips())
                info.ips.push_back(ip.ip());
            }
            cb(std::move(info));
          });
      });
  }

  void ensure_image(const k8s::pod&, const k8s::container& c,
                    runtime_cb<std::string> cb) override {
    auto policy = c.image_pull_policy.empty() ? std::string{"IfNotPresent"}
                                              : c.image_pull_policy;
    auto image = c.image;
    cri::pb::ImageStatusRequest req;
    req.mutable_image()->set_image(image);
    auto client = client_;
    client_->image_status(
      std::move(req), [client, image, policy, cb = std::move(cb)](
                        caf::expected<cri::pb::ImageStatusResponse> r) mutable {
        if (r && r->has_image() && policy != "Always") {
          cb(r->image().id());
          return;
        }
        if (policy == "Never") {
          cb(make_error(errc::not_found, "Container image \"" + image
                                           + "\" is not present with pull policy of Never"));
          return;
        }
        cri::pb::PullImageRequest pull;
        pull.mutable_image()->set_image(image);
        client->pull_image(std::move(pull),
                           [cb = std::move(cb)](
                             caf::expected<cri::pb::PullImageResponse> p) mutable {
                             if (!p)
                               cb(p.error());
                             else
                               cb(p->image_ref());
                           });
      });
  }

  void create_container(const k8s::pod& pod, const k8s::container& c,
                        const sandbox_info& sandbox, uint32_t restart_count,
                        runtime_cb<created_container> cb) override {
    pb_sandbox_config sandbox_config;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      auto i = sandboxes_.find(sandbox.id);
      if (i == sandboxes_.end()) {
        cb(make_error(errc::not_found, "sandbox " + sandbox.id + " unknown"));
        return;
      }
      sandbox_config = i->second.config;
    }
    env_inputs in;
    in.pod_ips = sandbox.ips;
    in.host_ips = cfg_.host_ips;
    in.node_allocatable = cfg_.allocatable;
    auto env = make_environment(pod, c, in);
    if (!env) {
      cb(make_error(errc::invalid, context_of(env.error())));
      return;
    }
    auto cmd = expand_command(c, env->vars);
    kr::container_inputs inputs;
    inputs.restart_count = static_cast<int32_t>(restart_count);
    inputs.image_ref = c.image;
    inputs.env = env->vars;
    inputs.command = cmd.command;
    inputs.args = cmd.args;
    auto config = kr::make_container_config(pod, c, qos_for(pod), inputs,
                                            cfg_.settings);
    if (!config) {
      cb(config.error());
      return;
    }
    client_->create_container(
      kr::make_create_container_request(sandbox.id, std::move(*config),
                                        std::move(sandbox_config)),
      [image = c.image, cb = std::move(cb)](
        caf::expected<cri::pb::CreateContainerResponse> r) mutable {
        if (!r) {
          cb(r.error());
          return;
        }
        cb(created_container{r->container_id(), image});
      });
  }

  void start_container(const std::string& id, runtime_done cb) override {
    cri::pb::StartContainerRequest req;
    req.set_container_id(id);
    client_->start_container(std::move(req), done(std::move(cb)));
  }

  void stop_container(const std::string& id, int64_t grace,
                      runtime_done cb) override {
    cri::pb::StopContainerRequest req;
    req.set_container_id(id);
    req.set_timeout(grace);
    client_->stop_container(std::move(req), done(std::move(cb)));
  }

  void remove_container(const std::string& id, runtime_done cb) override {
    cri::pb::RemoveContainerRequest req;
    req.set_container_id(id);
    client_->remove_container(std::move(req), done(std::move(cb)));
  }

  void stop_sandbox(const std::string& id, runtime_done cb) override {
    cri::pb::StopPodSandboxRequest req;
    req.set_pod_sandbox_id(id);
    client_->stop_pod_sandbox(std::move(req), done(std::move(cb)));
  }

  void remove_sandbox(const std::string& id, runtime_done cb) override {
    std::string parent;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (auto i = sandboxes_.find(id); i != sandboxes_.end()) {
        parent = i->second.cgroup_parent;
        sandboxes_.erase(i);
      }
    }
    cri::pb::RemovePodSandboxRequest req;
    req.set_pod_sandbox_id(id);
    client_->remove_pod_sandbox(
      std::move(req), [parent, cb = std::move(cb)](
                        caf::expected<cri::pb::RemovePodSandboxResponse> r) mutable {
        if (!parent.empty() && parent.find("pod") != std::string::npos)
          remove_pod_cgroups(parent);
        cb(r ? caf::error{} : r.error());
      });
  }

private:
  using pb_sandbox_config = cri::pb::PodSandboxConfig;

  struct sandbox_entry {
    pb_sandbox_config config;
    std::string cgroup_parent;
  };

  std::shared_ptr<cri::client> client_;
  cri_pod_runtime_config cfg_;
  std::mutex mtx_;
  std::unordered_map<std::string, sandbox_entry> sandboxes_;
};

} // namespace

std::shared_ptr<pod_runtime> make_cri_pod_runtime(std::shared_ptr<cri::client> client,
                                                  cri_pod_runtime_config cfg) {
  return std::make_shared<cri_runtime>(std::move(client), std::move(cfg));
}

} // namespace cafelet::actors::pods
