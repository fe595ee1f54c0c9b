#include "actors/pods/cri_pod_runtime.hpp"

#include "actors/pods/expansion.hpp"
#include "actors/pods/qos.hpp"
#include "actors/volumes/etc_hosts.hpp"
#include "messages/errors.hpp"
#include "messages/log.hpp"
#include "net/client/base64.hpp"
#include "runtime/cri/client.hpp"
#include "runtime/kuberuntime/cgroups.hpp"
#include "runtime/kuberuntime/container.hpp"
#include "runtime/kuberuntime/labels.hpp"
#include "runtime/kuberuntime/sandbox.hpp"

#include <algorithm>
#include <cstdio>
#include <random>
#include <filesystem>
#include <mutex>
#include <unordered_map>

namespace cafelet::actors::pods {

namespace {

namespace fs = std::filesystem;
namespace kr = kuberuntime;

kr::qos_class qos_for(const k8s::pod& pod) {
  return qos_of(pod);
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

/// "spec.containers[i]" or "spec.initContainers[i]" of `c` in `pod`.
std::string field_of(const k8s::pod& pod, const k8s::container& c) {
  for (size_t i = 0; i < pod.spec.containers.size(); ++i)
    if (pod.spec.containers[i].name == c.name)
      return "spec.containers[" + std::to_string(i) + "]";
  for (size_t i = 0; i < pod.spec.init_containers.size(); ++i)
    if (pod.spec.init_containers[i].name == c.name)
      return "spec.initContainers[" + std::to_string(i) + "]";
  return "spec.containers[?]";
}

/// 8 random hex digits.
std::string random_suffix() {
  static thread_local std::mt19937 rng{std::random_device{}()};
  char buf[9];
  std::snprintf(buf, sizeof(buf), "%08x", static_cast<unsigned>(rng()));
  return buf;
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
    auto log_dir = kr::pod_log_directory(cfg_.settings, pod);
    auto config = made->config;
    auto parent = kr::pod_cgroup_parent(cfg_.settings, qos, pod.metadata.uid);
    auto self = this;
    client_->run_pod_sandbox(
      kr::make_run_sandbox_request(config),
      [self, config, parent, log_dir, cb = std::move(cb)](
        caf::expected<cri::pb::RunPodSandboxResponse> r) mutable {
        if (!r) {
          cb(r.error());
          return;
        }
        // File system work on the gRPC thread, not on the pod worker's;
        // containers write their logs here, so before any CreateContainer.
        std::error_code ec;
        fs::create_directories(log_dir, ec);
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

  void image_status(const k8s::container& c,
                    runtime_cb<std::optional<ready_image>> cb) override {
    cri::pb::ImageStatusRequest req;
    req.mutable_image()->set_image(c.image);
    client_->image_status(
      std::move(req),
      [cb = std::move(cb)](caf::expected<cri::pb::ImageStatusResponse> r) mutable {
        if (!r) {
          cb(r.error());
          return;
        }
        if (!r->has_image() || r->image().id().empty()) {
          cb(std::optional<ready_image>{});
          return;
        }
        cb(std::optional<ready_image>{ready_image{r->image().id(), r->image().size()}});
      });
  }

  void pull_image(const k8s::pod&, const k8s::container& c,
                  runtime_cb<ready_image> cb) override {
    cri::pb::PullImageRequest pull;
    pull.mutable_image()->set_image(c.image);
    auto client = client_;
    auto image = c.image;
    client_->pull_image(
      std::move(pull), [client, image, cb = std::move(cb)](
                         caf::expected<cri::pb::PullImageResponse> p) mutable {
        if (!p) {
          cb(p.error());
          return;
        }
        // The size for the Pulled event, as upstream asks after a pull.
        cri::pb::ImageStatusRequest req;
        req.mutable_image()->set_image(p->image_ref());
        auto ref = p->image_ref();
        client->image_status(
          std::move(req), [ref, cb = std::move(cb)](
                            caf::expected<cri::pb::ImageStatusResponse> r) mutable {
            uint64_t size = r && r->has_image() ? r->image().size() : 0;
            cb(ready_image{ref, size});
          });
      });
  }

  void create_container(const k8s::pod& pod, const k8s::container& c,
                        const sandbox_info& sandbox, uint32_t restart_count,
                        const container_context& ctx,
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
    if (cfg_.service_env)
      in.service_env = cfg_.service_env();
    in.config_map = [&ctx](std::string_view name) -> const k8s::string_map* {
      auto i = ctx.config_maps.find(std::string{name});
      return i == ctx.config_maps.end() || !i->second ? nullptr : &i->second->data;
    };
    // Secret values decoded once per container start (only if referenced).
    std::map<std::string, k8s::string_map> decoded;
    in.secret = [&ctx, &decoded](std::string_view name) -> const k8s::string_map* {
      auto i = ctx.secrets.find(std::string{name});
      if (i == ctx.secrets.end() || !i->second)
        return nullptr;
      auto& out = decoded[std::string{name}];
      if (out.empty())
        for (const auto& [key, value] : i->second->data)
          if (auto bytes = net::base64_decode(value, "secret data"))
            out.emplace(key, std::move(*bytes));
      return &out;
    };
    auto env = make_environment(pod, c, in);
    if (!env) {
      cb(make_error(errc::invalid, context_of(env.error())));
      return;
    }
    // Volume mounts (a subPath is resolved on the node's file system here:
    // a few openat calls, the only file-system work on this path).
    std::vector<kr::mount_spec> mounts;
    if (!c.volume_mounts.empty()) {
      auto field = field_of(pod, c);
      auto made = volumes::container_mounts(c, field, ctx.volumes, env->vars);
      if (!made) {
        cb(make_error(errc::invalid, context_of(made.error())));
        return;
      }
      mounts = std::move(*made);
    }
    if (!ctx.etc_hosts.empty() && !volumes::mounts_etc_hosts(c)) {
      kr::mount_spec hosts;
      hosts.host_path = ctx.etc_hosts;
      hosts.container_path = "/etc/hosts";
      mounts.push_back(std::move(hosts));
    }
    auto cmd = expand_command(c, env->vars);
    kr::container_inputs inputs;
    inputs.restart_count = static_cast<int32_t>(restart_count);
    inputs.image_ref = c.image;
    inputs.env = env->vars;
    inputs.command = cmd.command;
    inputs.args = cmd.args;
    inputs.mounts = std::move(mounts);
    // The termination-message file of this instance (upstream: a random
    // name under pods/<uid>/containers/<name>/, mode 0666).
    if (!c.termination_message_path.empty()) {
      auto id = std::to_string(restart_count) + "-" + random_suffix();
      auto path = kr::termination_log_path(cfg_.settings, pod.metadata.uid, c.name, id);
      std::error_code ec;
      fs::create_directories(fs::path{path}.parent_path(), ec);
      if (FILE* f = std::fopen(path.c_str(), "w")) {
        std::fclose(f);
        fs::permissions(path, fs::perms{0666}, ec);
        inputs.termination_message_host_path = path;
      }
    }
    auto config = kr::make_container_config(pod, c, qos_for(pod), inputs,
                                            cfg_.settings);
    if (!config) {
      cb(config.error());
      return;
    }
    client_->create_container(
      kr::make_create_container_request(sandbox.id, std::move(*config),
                                        std::move(sandbox_config)),
      [cb = std::move(cb)](
        caf::expected<cri::pb::CreateContainerResponse> r) mutable {
        if (!r) {
          cb(r.error());
          return;
        }
        // The image ID comes from image_status/pull_image.
        cb(created_container{r->container_id(), {}});
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

  void find_pod(const k8s::pod& pod, runtime_cb<existing_pod> cb) override {
    // Every sandbox of the pod, ready or not: the newest is adopted (or
    // replaced when not ready), older ones are stale.
    cri::pb::ListPodSandboxRequest req;
    auto* f = req.mutable_filter();
    (*f->mutable_label_selector())["io.kubernetes.pod.uid"] = pod.metadata.uid;
    auto self = this;
    auto pod_copy = std::make_shared<const k8s::pod>(pod);
    client_->list_pod_sandbox(
      std::move(req), [self, pod_copy, cb = std::move(cb)](
                        caf::expected<cri::pb::ListPodSandboxResponse> r) mutable {
        if (!r) {
          cb(r.error());
          return;
        }
        const cri::pb::PodSandbox* newest = nullptr;
        for (const auto& sb : r->items())
          if (newest == nullptr || sb.created_at() > newest->created_at())
            newest = &sb;
        if (newest == nullptr) {
          cb(existing_pod{});
          return;
        }
        std::vector<std::string> stale;
        for (const auto& sb : r->items())
          if (&sb != newest)
            stale.push_back(sb.id());
        self->adopt_sandbox(*pod_copy, *newest, std::move(stale), std::move(cb));
      });
  }

private:
  using pb_sandbox_config = cri::pb::PodSandboxConfig;

  /// Re-creates the bookkeeping of an adopted sandbox, then collects its
  /// containers (newest per name; exit codes of exited ones).
  void adopt_sandbox(const k8s::pod& pod, const cri::pb::PodSandbox& sb,
                     std::vector<std::string> stale, runtime_cb<existing_pod> cb) {
    auto qos = qos_for(pod);
    auto attempt = sb.metadata().attempt();
    if (auto made = kr::make_sandbox_config(pod, qos, attempt, cfg_.settings)) {
      std::lock_guard<std::mutex> guard{mtx_};
      sandboxes_[sb.id()] = sandbox_entry{made->config,
                                          kr::pod_cgroup_parent(cfg_.settings, qos,
                                                                pod.metadata.uid)};
    }
    auto found = std::make_shared<existing_pod>();
    found->sandbox = sandbox_info{sb.id(), {}};
    found->sandbox_ready = sb.state() == cri::pb::SANDBOX_READY;
    found->sandbox_attempt = attempt;
    found->stale_sandboxes = std::move(stale);
    auto self = this;
    cri::pb::PodSandboxStatusRequest sreq;
    sreq.set_pod_sandbox_id(sb.id());
    client_->pod_sandbox_status(
      std::move(sreq), [self, found, cb = std::move(cb)](
                         caf::expected<cri::pb::PodSandboxStatusResponse> s) mutable {
        if (s && s->has_status() && s->status().has_network()) {
          const auto& net = s->status().network();
          if (!net.ip().empty())
            found->sandbox->ips.push_back(net.ip());
          for (const auto& ip : net.additional_ips())
            found->sandbox->ips.push_back(ip.ip());
        }
        cri::pb::ListContainersRequest creq;
        creq.mutable_filter()->set_pod_sandbox_id(found->sandbox->id);
        self->client_->list_containers(
          std::move(creq), [self, found, cb = std::move(cb)](
                             caf::expected<cri::pb::ListContainersResponse> r) mutable {
            if (!r) {
              cb(r.error());
              return;
            }
            for (const auto& c : r->containers()) {
              auto info = kr::read_container_info(c);
              existing_container x;
              x.name = info ? info->container_name : c.metadata().name();
              x.id = c.id();
              x.running = c.state() == cri::pb::CONTAINER_RUNNING;
              x.restart_count = info ? info->restart_count
                                     : static_cast<int32_t>(c.metadata().attempt());
              x.image_ref = c.image_ref();
              if (c.state() != cri::pb::CONTAINER_RUNNING
                  && c.state() != cri::pb::CONTAINER_EXITED)
                continue;
              auto same = std::find_if(found->containers.begin(),
                                       found->containers.end(),
                                       [&](const existing_container& y) {
                                         return y.name == x.name;
                                       });
              if (same == found->containers.end())
                found->containers.push_back(std::move(x));
              else if (x.restart_count > same->restart_count)
                *same = std::move(x);
            }
            self->fill_exit_codes(found, 0, std::move(cb));
          });
      });
  }

  /// Asks ContainerStatus for the exit code of each exited container, one
  /// after another (few), then completes.
  void fill_exit_codes(std::shared_ptr<existing_pod> found, size_t i,
                       runtime_cb<existing_pod> cb) {
    while (i < found->containers.size() && found->containers[i].running)
      ++i;
    if (i >= found->containers.size()) {
      cb(std::move(*found));
      return;
    }
    cri::pb::ContainerStatusRequest req;
    req.set_container_id(found->containers[i].id);
    auto self = this;
    client_->container_status(
      std::move(req), [self, found, i, cb = std::move(cb)](
                        caf::expected<cri::pb::ContainerStatusResponse> r) mutable {
        if (r && r->has_status()) {
          found->containers[i].exit_code = r->status().exit_code();
          found->containers[i].reason = r->status().reason();
        }
        self->fill_exit_codes(found, i + 1, std::move(cb));
      });
  }

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
