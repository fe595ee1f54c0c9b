// cafelet: the node agent's entry point. Parses kubelet-compatible flags and
// the KubeletConfiguration file, starts the actor system and the supervision
// tree, serves the healthz endpoints, and shuts down in order on SIGTERM or
// SIGINT. Shutting down never touches running containers: a kubelet restart
// must not kill pods.

#include "actors/api/link.hpp"
#include "actors/endpoints.hpp"
#include "actors/node/machine_info.hpp"
#include "actors/node/node_builder.hpp"
#include "actors/node_root.hpp"
#include "runtime/cri/client.hpp"
#include "cafelet_build_info.hpp"
#include "messages/config/flags.hpp"
#include "messages/errors.hpp"
#include "messages/log.hpp"
#include "messages/register.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include <csignal>
#include <filesystem>
#include <cstdio>
#include <iostream>
#include <pthread.h>
#include <thread>

using namespace cafelet;

namespace {

int fatal(const std::string& what) {
  log::error("fatal start-up error", {log::kv("err", what)});
  std::fprintf(stderr, "cafelet: %s\n", what.c_str());
  return 1;
}

/// Blocks SIGTERM/SIGINT in this thread and every thread started later, so
/// that only the dedicated signal thread receives them (via sigwait).
sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto cl = config::parse_command_line(args);
  if (!cl) {
    std::fprintf(stderr, "cafelet: %s\nRun 'cafelet --help' for usage.\n",
                 context_of(cl.error()).c_str());
    return 1;
  }
  if (cl->help) {
    std::cout << config::usage_text();
    return 0;
  }
  if (cl->version) {
    std::cout << "cafelet " << CAFELET_VERSION << " (commit "
              << CAFELET_GIT_COMMIT << ", Kubernetes " << CAFELET_KUBE_VERSION
              << " node API)\n";
    return 0;
  }
  std::vector<std::string> warnings;
  auto cfg = config::resolve_configuration(*cl, warnings);
  log::set_verbosity(cl->agent.verbosity);
  for (const auto& w : warnings)
    log::warning("configuration", {log::kv("warning", w)});
  if (!cfg)
    return fatal(context_of(cfg.error()));
  log::info(0, "starting cafelet",
            {log::kv("version", CAFELET_VERSION),
             log::kv("node", cfg->agent.node_name),
             log::kv("config", cfg->agent.config_file),
             log::kv("kubeconfig", cfg->agent.kubeconfig),
             log::kv("runtime", cfg->kubelet.container_runtime_endpoint),
             log::kv("manifests", cfg->kubelet.static_pod_path)});

  auto stop_signals = block_stop_signals();

  // The kubelet's data directories (upstream setupDataDirs): the root and
  // its pods directory, 0750.
  for (const auto& d : {cfg->agent.root_dir, cfg->agent.root_dir + "/pods"}) {
    std::error_code ec;
    if (std::filesystem::create_directories(d, ec))
      std::filesystem::permissions(d, std::filesystem::perms{0750}, ec);
    if (ec || !std::filesystem::is_directory(d, ec))
      return fatal("cannot create the root directory " + d + ": "
                   + (ec ? ec.message() : std::string{"not a directory"}));
  }

  auto dir = std::make_shared<actors::actor_directory>();
  auto reg = std::make_shared<net::metrics::registry>();
  if (auto err = actors::register_actor_metrics(*reg, dir))
    return fatal(describe(err));
  auto wiring = std::make_shared<actors::agent_wiring>();
  actors::endpoints_options eopts;
  eopts.bind_address = cfg->kubelet.healthz_bind_address;
  eopts.port = static_cast<uint16_t>(cfg->kubelet.healthz_port);
  std::unique_ptr<actors::endpoints> http;
  if (cfg->kubelet.healthz_port > 0) {
    auto started = actors::endpoints::start(eopts, dir, reg, wiring->board);
    if (!started)
      return fatal(context_of(started.error()));
    http = std::move(*started);
    log::info(0, "serving healthz",
              {log::kv("address", eopts.bind_address),
               log::kv("port", http->port())});
  }

  caf::actor_system_config sys_cfg;
  register_message_types(sys_cfg);
  // Two scheduler threads: the node agent must stay small; actors never block.
  sys_cfg.set("scheduler.max-threads", 2);
  // The sharing policy parks idle workers on a condition variable; the
  // default work-stealing policy polls (sleeping 10 ms at a time), which
  // costs ~1.5 % of a core on an idle node and delays messages arriving
  // from the HTTP threads by up to that sleep.
  sys_cfg.set("scheduler.policy", caf::atom("sharing"));
  caf::actor_system sys{sys_cfg};

  if (!cfg->agent.kubeconfig.empty()) {
    auto link = api::connect_api(*cfg);
    if (!link)
      return fatal(context_of(link.error()));
    log::info(0, "API server link configured",
              {log::kv("server", link->rest.server),
               log::kv("kubeconfig", link->rest.source),
               log::kv("context", link->rest.context)});
    wiring->link = std::move(*link);
  } else {
    log::info(0, "no --kubeconfig: running standalone, without an API server "
                 "(static pods only)",
              {log::kv("node", cfg->agent.node_name),
               log::kv("manifests", cfg->kubelet.static_pod_path)});
  }
  cri::client_options copts;
  copts.endpoint = cfg->kubelet.container_runtime_endpoint;
  copts.request_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
    cfg->kubelet.runtime_request_timeout);
  auto runtime = cri::client::make(copts);
  if (!runtime)
    return fatal(context_of(runtime.error()));
  wiring->cri = std::move(*runtime);
  // Admission and the downward API need the node's allocatable as the
  // node status actor registers it.
  actors::host_paths paths;
  paths.root_dir = cfg->agent.root_dir;
  auto machine = actors::read_machine_info(paths);
  wiring->allocatable
    = actors::node_allocatable(actors::settings_from(cfg->kubelet), machine);
  wiring->host_ips = cfg->agent.node_ips;
  if (wiring->host_ips.empty()) {
    std::vector<std::string> ip_warnings;
    auto ip = actors::detect_node_ip(paths, cfg->agent.node_name, ip_warnings);
    if (!ip.empty())
      wiring->host_ips.push_back(ip);
  }
  log::info(0, "container runtime endpoint",
            {log::kv("endpoint", cfg->kubelet.container_runtime_endpoint)});
  actors::make_relays(sys, *wiring);
  if (auto err = actors::register_agent_metrics(*reg, *wiring))
    return fatal(describe(err));
  auto root = sys.spawn(actors::supervisor, std::string{"root"},
                        actors::make_root_spec(*cfg, dir, wiring), dir);
  dir->started("root", "supervisor", "root", root.id());

  // The signal thread turns SIGTERM/SIGINT into an orderly stop of the tree.
  std::thread([stop_signals, root]() mutable {
    int sig = 0;
    if (sigwait(&stop_signals, &sig) != 0)
      return;
    log::info(0, "received signal, shutting down (containers keep running)",
              {log::kv("signal", sig == SIGTERM ? "SIGTERM" : "SIGINT")});
    caf::anon_send_exit(root, caf::exit_reason::user_shutdown);
  }).detach();

  caf::error reason;
  {
    caf::scoped_actor self{sys};
    self->monitor(root);
    self->receive([&](caf::down_msg& msg) { reason = msg.reason; });
  }
  root = nullptr;
  actors::stop_relays(sys, *wiring);
  if (http)
    http->stop();
  sys.await_all_actors_done();
  if (reason && reason != caf::exit_reason::user_shutdown) {
    log::error("supervision tree failed", {log::kv("reason", describe(reason))});
    std::fprintf(stderr, "cafelet: supervision tree failed: %s\n",
                 describe(reason).c_str());
    return 1;
  }
  log::info(0, "cafelet stopped");
  return 0;
}
