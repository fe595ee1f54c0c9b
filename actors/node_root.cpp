#include "actors/node_root.hpp"

#include "actors/relay.hpp"
#include "actors/pods/cri_pod_runtime.hpp"
#include "actors/objects/object_manager.hpp"
#include "actors/objects/token_manager.hpp"
#include "actors/pods/pod_worker.hpp"
#include "actors/node/machine_info.hpp"
#include "actors/memory_trim.hpp"
#include "actors/watchdog.hpp"
#include "runtime/kuberuntime/settings.hpp"
#include "cafelet_build_info.hpp"
#include "messages/log.hpp"
#include "net/probe/grpc_health.hpp"
#include "net/probe/probe_loop.hpp"

#include <caf/actor_registry.hpp>
#include <caf/atom.hpp>
#include <random>

namespace cafelet::actors {

namespace {

using namespace std::chrono_literals;

constexpr caf::atom_value events_name = caf::atom("events");
constexpr caf::atom_value pod_source_name = caf::atom("podsource");
constexpr caf::atom_value node_status_name = caf::atom("nodestatus");
constexpr caf::atom_value pod_manager_name = caf::atom("podmgr");
constexpr caf::atom_value status_manager_name = caf::atom("statusmgr");
constexpr caf::atom_value pods_supervisor_name = caf::atom("podsup");
constexpr caf::atom_value pleg_name = caf::atom("pleg");
constexpr caf::atom_value objects_name = caf::atom("objects");
constexpr caf::atom_value tokens_name = caf::atom("tokens");
constexpr caf::atom_value static_source_name = caf::atom("static");
constexpr caf::atom_value mirrors_name = caf::atom("mirrors");

/// Options for supervisors of long-lived node components: restart quickly
/// (the lease must be back before its next renewal), give up only on a
/// tight crash loop.
supervisor_options component_options() {
  supervisor_options o;
  o.base_backoff = 50ms;
  o.max_backoff = 5s;
  o.max_restarts = 10;
  o.window = 60s;
  return o;
}

child_factory nested(std::shared_ptr<actor_directory> dir,
                     supervisor_spec spec) {
  return [dir, spec](caf::local_actor* parent, const std::string& path,
                     const caf::message&) {
    return spawn_supervisor(parent, path, spec, dir);
  };
}

/// Seeds jitter from the node name, so that a fleet does not retry in
/// lockstep while one node's runs stay reproducible.
uint64_t seed_for(const std::string& node, std::string_view what) {
  return std::hash<std::string>{}(node + "/" + std::string{what});
}

/// Adds the pod side (status manager, pod manager, PLEG) to the node
/// supervisor; pod workers run under the pods supervisor (see
/// make_root_spec).
void add_pod_side(supervisor_spec& node, const config::resolved_configuration& cfg,
                  std::shared_ptr<agent_wiring> w) {
  if (!w->volume_io)
    w->volume_io = std::make_shared<volumes::io_thread>("volume-io");
  pods::status_manager_config sm;
  sm.seed = seed_for(cfg.agent.node_name, "status-manager");
  sm.stats = w->stats.status_manager;
  sm.finals = w->stats.finals;
  sm.board = w->board;
  sm.mirrors = w->mirror_table;
  node.factories["status-manager"] = [w, sm](caf::local_actor* parent,
                                             const std::string&,
                                             const caf::message&) {
    // Standalone: local mode (statuses only reach /pods).
    auto h = w->link ? parent->spawn(pods::status_manager, w->link->main,
                                     w->link->limiter, sm)
                     : parent->spawn(pods::status_manager,
                                     std::shared_ptr<api::transport>{},
                                     std::shared_ptr<api::rate_limiter>{}, sm);
    register_incarnation(parent->home_system(), status_manager_name, h);
    return h;
  };

  // Admission sees the node as registered: allocatable from the machine.
  auto node_view = pods::admission_node{};
  node_view.name = cfg.agent.node_name;
  node_view.max_pods = cfg.kubelet.max_pods;
  node_view.labels = cfg.agent.node_labels.empty()
                       ? k8s::string_map{}
                       : k8s::string_map(cfg.agent.node_labels.begin(),
                                         cfg.agent.node_labels.end());
  node_view.labels["kubernetes.io/hostname"] = cfg.agent.node_name;
  node_view.labels["kubernetes.io/os"] = "linux";
  node_view.allocatable = w->allocatable;
  auto root_dir = cfg.agent.root_dir;
  bool statics = !cfg.kubelet.static_pod_path.empty();
  node.factories["pod-manager"] = [w, node_view, root_dir, statics](
                                    caf::local_actor* parent, const std::string&,
                                    const caf::message&) {
    pod_manager_config pm;
    pm.board = w->board;
    pm.api_source = w->link.has_value();
    if (statics)
      pm.static_source = w->static_source;
    if (w->link)
      pm.mirrors = w->mirrors;
    pm.pods_supervisor = w->pods_supervisor;
    pm.status_manager = w->status_manager;
    pm.events = w->events;
    pm.pleg = w->pleg;
    pm.node = node_view;
    pm.clock = system_wall_clock();
    pm.stats = w->stats.pod_manager;
    pm.io = w->volume_io;
    pm.root_dir = root_dir;
    auto h = parent->spawn(pod_manager, pm);
    register_incarnation(parent->home_system(), pod_manager_name, h);
    return h;
  };

  if (statics) {
    pods::static_source_config ss;
    ss.path = cfg.kubelet.static_pod_path;
    ss.node_name = cfg.agent.node_name;
    ss.check_period = std::chrono::duration_cast<std::chrono::milliseconds>(
      cfg.kubelet.file_check_frequency);
    node.factories["static-source"] = [w, ss](caf::local_actor* parent,
                                              const std::string&, const caf::message&) {
      auto cfg = ss;
      cfg.consumers.push_back(w->pod_manager);
      cfg.io = w->volume_io;
      cfg.clock = system_wall_clock();
      cfg.board = w->board;
      auto h = parent->spawn(pods::static_source, cfg);
      register_incarnation(parent->home_system(), static_source_name, h);
      return h;
    };
  }

  node.factories["pleg"] = [w](caf::local_actor* parent, const std::string&,
                               const caf::message&) {
    pleg_config pc;
    pc.consumer = w->pod_manager;
    pc.node_status = w->node_status;
    pc.stats = w->stats.pleg;
    auto h = parent->spawn(pleg, make_cri_pleg_source(w->cri), pc);
    register_incarnation(parent->home_system(), pleg_name, h);
    return h;
  };

  if (w->link) {
    // With an API server always: it also deletes orphaned mirror pods.
    pods::mirror_manager_config mm;
    mm.node_name = cfg.agent.node_name;
    mm.seed = seed_for(cfg.agent.node_name, "mirror-manager");
    mm.stats = w->stats.mirrors;
    node.factories["mirror-manager"] = [w, mm](caf::local_actor* parent,
                                               const std::string&, const caf::message&) {
      auto cfg = mm;
      cfg.status_manager = w->status_manager;
      cfg.table = w->mirror_table;
      cfg.static_source = w->pod_manager;
      auto h = parent->spawn(pods::mirror_manager, w->link->main, w->link->limiter, cfg);
      register_incarnation(parent->home_system(), mirrors_name, h);
      return h;
    };
  }

  if (!w->link)
    return; // standalone: no objects, tokens or services to fetch

  token_manager_config tm;
  tm.seed = seed_for(cfg.agent.node_name, "token-manager");
  tm.stats = w->stats.tokens;
  node.factories["token-manager"] = [w, tm](caf::local_actor* parent, const std::string&,
                                            const caf::message&) {
    auto cfg = tm;
    cfg.limiter = w->link->limiter;
    cfg.clock = system_wall_clock();
    auto h = parent->spawn(token_manager, w->link->main, cfg);
    register_incarnation(parent->home_system(), tokens_name, h);
    return h;
  };
  object_manager_config om;
  om.stats = w->stats.objects;
  om.stream.seed = seed_for(cfg.agent.node_name, "object-manager");
  node.factories["object-manager"] = [w, om](caf::local_actor* parent, const std::string&,
                                             const caf::message&) {
    auto cfg = om;
    cfg.transport = w->link->main;
    cfg.limiter = w->link->limiter;
    auto h = parent->spawn(object_manager, cfg);
    register_incarnation(parent->home_system(), objects_name, h);
    return h;
  };

  auto svc_seed = seed_for(cfg.agent.node_name, "service-env");
  node.factories["service-env"] = [w, svc_seed](caf::local_actor* parent,
                                                const std::string&, const caf::message&) {
    return parent->spawn(service_env, w->link->main, w->link->limiter, w->service_env,
                         svc_seed);
  };

}

/// Adds the API-server children to the node supervisor.
void add_api_children(supervisor_spec& node,
                      const config::resolved_configuration& cfg,
                      std::shared_ptr<agent_wiring> w) {
  const auto& link = *w->link;
  const auto& name = cfg.agent.node_name;

  if (!w->cri)
  node.factories["pod-source"] = [w](caf::local_actor* parent, const std::string&,
                                     const caf::message&) {
    auto h = parent->spawn(pod_source, w->stats.pods);
    register_incarnation(parent->home_system(), pod_source_name, h);
    return h;
  };

  lease_config lease;
  lease.node_name = name;
  lease.duration_seconds = cfg.kubelet.node_lease_duration_seconds;
  lease.seed = seed_for(name, "lease");
  lease.stats = w->stats.lease;
  node.factories["lease"] = [heartbeat = link.heartbeat, lease](
                              caf::local_actor* parent, const std::string&,
                              const caf::message&) {
    return parent->spawn(lease_actor, heartbeat, lease);
  };

  event_recorder_config events;
  events.node_name = name;
  events.qps = cfg.kubelet.event_record_qps;
  events.burst = cfg.kubelet.event_burst;
  events.seed = seed_for(name, "events");
  // The first incarnation announces the start, as the kubelet's "Starting"
  // event; restarts of the recorder do not repeat it.
  auto announced = std::make_shared<std::atomic<bool>>(false);
  node.factories["events"] = [w, events, announced, name](
                               caf::local_actor* parent, const std::string&,
                               const caf::message&) {
    auto cfg = events;
    cfg.clock = system_wall_clock();
    auto h = parent->spawn(event_recorder, w->link->main, cfg, w->stats.events);
    register_incarnation(parent->home_system(), events_name, h);
    if (!announced->exchange(true)) {
      record_event ev;
      ev.involved.kind = "Node";
      ev.involved.name = name;
      ev.involved.uid = name;
      ev.type = "Normal";
      ev.reason = "Starting";
      ev.message = "Starting kubelet.";
      caf::anon_send(h, std::move(ev));
    }
    return h;
  };

  auto status = make_node_status_config(cfg.kubelet, cfg.agent,
                                        CAFELET_KUBE_VERSION);
  status.seed = seed_for(name, "node-status");
  status.stats = w->stats.node;
  node.factories["node-status"] = [w, status](caf::local_actor* parent,
                                              const std::string&,
                                              const caf::message&) {
    auto cfg = status;
    cfg.events = w->events;
    cfg.clock = system_wall_clock();
    auto h = parent->spawn(node_status, w->link->heartbeat, cfg);
    register_incarnation(parent->home_system(), node_status_name, h);
    return h;
  };

  if (w->cri) {
    node.factories["runtime-health"] = [w](caf::local_actor* parent,
                                           const std::string&,
                                           const caf::message&) {
      return parent->spawn(runtime_health, make_cri_probe(w->cri),
                           runtime_health_config{std::chrono::seconds{5},
                                                 w->node_status});
    };
  }

  watch_stream_config pods;
  pods.path = "/api/v1/pods";
  pods.field_selector = "spec.nodeName=" + name;
  pods.seed = seed_for(name, "pod-watch");
  pods.stats = w->stats.pod_watch;
  pods.log.name = "pods";
  node.factories["pod-watch"] = [w, pods](caf::local_actor* parent,
                                          const std::string&,
                                          const caf::message&) {
    auto cfg = pods;
    cfg.consumer = w->cri ? w->pod_manager : w->pod_source;
    return parent->spawn(watch_stream<k8s::pod>, w->link->main, w->link->limiter,
                         cfg);
  };

}

/// Starts the node supervisor's children in order: the recorder first
/// (others report to it), consumers before the sources that feed them;
/// the lease does not wait for registration (as upstream).
void order_children(supervisor_spec& node) {
  for (const char* child : {"events", "node-status", "runtime-health", "lease",
                            "status-manager", "object-manager", "token-manager",
                            "service-env", "mirror-manager", "pod-manager", "pleg",
                            "static-source", "pod-source", "pod-watch"})
    if (node.factories.count(child) > 0)
      node.children.push_back(
        start_child{child, child, restart_policy::permanent, {}});
}

} // namespace

void make_relays(caf::actor_system& sys, agent_wiring& w) {
  if (w.link)
    w.events = spawn_relay(sys, events_name, w.stats.relay_drops);
  w.pod_source = spawn_relay(sys, pod_source_name, w.stats.relay_drops);
  w.node_status = spawn_relay(sys, node_status_name, w.stats.relay_drops);
  if (w.cri) {
    w.pod_manager = spawn_relay(sys, pod_manager_name, w.stats.relay_drops);
    w.status_manager = spawn_relay(sys, status_manager_name, w.stats.relay_drops);
    w.pods_supervisor = spawn_relay(sys, pods_supervisor_name, w.stats.relay_drops);
    w.pleg = spawn_relay(sys, pleg_name, w.stats.relay_drops);
    w.objects = spawn_relay(sys, objects_name, w.stats.relay_drops);
    w.tokens = spawn_relay(sys, tokens_name, w.stats.relay_drops);
    w.static_source = spawn_relay(sys, static_source_name, w.stats.relay_drops);
    w.mirrors = spawn_relay(sys, mirrors_name, w.stats.relay_drops);
  }
}

void stop_relays(caf::actor_system& sys, agent_wiring& w) {
  sys.registry().erase(events_name);
  sys.registry().erase(pod_source_name);
  sys.registry().erase(node_status_name);
  sys.registry().erase(pod_manager_name);
  sys.registry().erase(status_manager_name);
  sys.registry().erase(pods_supervisor_name);
  sys.registry().erase(pleg_name);
  sys.registry().erase(objects_name);
  sys.registry().erase(tokens_name);
  sys.registry().erase(static_source_name);
  sys.registry().erase(mirrors_name);
  for (auto* relay : {&w.events, &w.pod_source, &w.node_status, &w.pod_manager,
                      &w.status_manager, &w.pods_supervisor, &w.pleg, &w.objects,
                      &w.tokens, &w.static_source, &w.mirrors}) {
    if (*relay)
      caf::anon_send_exit(*relay, caf::exit_reason::user_shutdown);
    *relay = nullptr;
  }
}

caf::error register_agent_metrics(net::metrics::registry& reg, agent_wiring& w) {
  auto lateness = reg.add_histogram(
    "cafelet_node_lease_renewal_lateness_seconds",
    "How late each successful node Lease renewal completed after it was due.",
    {}, {0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40});
  if (!lateness)
    return lateness.error();
  w.stats.lease->lateness_histogram = &(*lateness)->labels({});
  auto lease = w.stats.lease;
  auto pods = w.stats.pods;
  auto drops = w.stats.relay_drops;
  auto node = w.stats.node;
  auto ev = w.stats.events;
  auto pw = w.stats.pod_watch;
  auto mirrors = w.stats.mirrors;
  struct counter_def {
    const char* name;
    const char* help;
    std::function<double()> fn;
  };
  std::vector<counter_def> counters{
    {"cafelet_node_lease_renewals_total", "Successful node Lease renewals.",
     [lease] { return static_cast<double>(lease->renewals.load()); }},
    {"cafelet_node_lease_failures_total", "Failed node Lease attempts.",
     [lease] { return static_cast<double>(lease->failures.load()); }},
    {"cafelet_node_lease_conflicts_total", "409 Conflicts on Lease renewal.",
     [lease] { return static_cast<double>(lease->conflicts.load()); }},
    {"cafelet_pod_watch_events_received_total",
     "Pod watch events that reached the pod source.",
     [pods] { return static_cast<double>(pods->events.load()); }},
    {"cafelet_node_status_patches_total", "Node status patches accepted.",
     [node] { return static_cast<double>(node->status_patches.load()); }},
    {"cafelet_node_status_patch_failures_total", "Failed node status patches.",
     [node] { return static_cast<double>(node->patch_failures.load()); }},
    {"cafelet_node_registrations_total", "Successful node registrations.",
     [node] { return static_cast<double>(node->registrations.load()); }},
    {"cafelet_events_posted_total", "Events created on the API server.",
     [ev] { return static_cast<double>(ev->posted.load()); }},
    {"cafelet_events_patched_total", "Event count updates sent.",
     [ev] { return static_cast<double>(ev->patched.load()); }},
    {"cafelet_events_dropped_total",
     "Events dropped (queue full, spam filter, rejected, out of retries).",
     [ev] {
       return static_cast<double>(ev->dropped.load() + ev->filtered.load()
                                  + ev->failed.load());
     }},
    {"cafelet_pod_watch_decode_errors_total",
     "Malformed pod watch events skipped.",
     [pw] { return static_cast<double>(pw->decode_errors.load()); }},
    {"cafelet_pod_watch_relists_total", "Pod relists after the first list.",
     [pw] { return static_cast<double>(pw->relists.load()); }},
    {"cafelet_pod_watch_reconnects_total", "Pod watch reconnects after failures.",
     [pw] { return static_cast<double>(pw->reconnects.load()); }},
    {"cafelet_pod_watch_bytes_total", "Bytes received on pod watches.",
     [pw] { return static_cast<double>(pw->bytes.load()); }},
    {"cafelet_mirror_pods_created_total", "Mirror pods of static pods created.",
     [mirrors] { return static_cast<double>(mirrors->created.load()); }},
    {"cafelet_mirror_pods_deleted_total",
     "Mirror pods deleted (outdated, orphaned, or deleted by someone else).",
     [mirrors] { return static_cast<double>(mirrors->deleted.load()); }},
    {"cafelet_mirror_pod_failures_total", "Failed mirror pod API calls.",
     [mirrors] { return static_cast<double>(mirrors->failures.load()); }},
    {"cafelet_memory_trims_total",
     "Times the heap's free pages were handed back to the kernel (malloc_trim).",
     [trims = w.stats.trims] { return static_cast<double>(trims->trims.load()); }},
    {"cafelet_relay_dropped_messages_total",
     "Messages for a restarting actor that found no incarnation.",
     [drops] { return static_cast<double>(drops->load()); }},
  };
  for (auto& c : counters) {
    auto fn = c.fn;
    if (auto err = reg.add_collector(c.name, c.help, net::metrics::metric_type::counter,
                                     {}, [fn] {
                                       return std::vector<net::metrics::sample>{
                                         {{}, fn()}};
                                     }))
      return err;
  }
  // Probes, as upstream's prober metrics but labelled by type and result
  // only (no per-pod series on dense nodes).
  auto totals = reg.add_counter("prober_probe_total",
                                "Probe attempts by probe type and result.",
                                {"probe_type", "result"});
  if (!totals)
    return totals.error();
  auto durations = reg.add_histogram("prober_probe_duration_seconds",
                                     "Duration of probe attempts by probe type.",
                                     {"probe_type"},
                                     {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
                                      10});
  if (!durations)
    return durations.error();
  for (auto kind : {probe_kind::liveness, probe_kind::readiness, probe_kind::startup}) {
    auto k = static_cast<size_t>(kind);
    const char* type = probes::to_string(kind);
    w.stats.probes->totals[k][0] = &(*totals)->labels({type, "successful"});
    w.stats.probes->totals[k][1] = &(*totals)->labels({type, "failed"});
    w.stats.probes->totals[k][2] = &(*totals)->labels({type, "unknown"});
    w.stats.probes->durations[k] = &(*durations)->labels({type});
  }
  auto probe_stats = w.stats.probes;
  if (auto err = reg.add_callback_gauge("cafelet_probe_actors", "Probe actors running.",
                                        [probe_stats] {
                                          return static_cast<double>(
                                            probe_stats->actors.load());
                                        }))
    return err;
  return reg.add_callback_gauge("cafelet_pods_known",
                                "Pods bound to this node known from the API server.",
                                [pods, pm = w.stats.pod_manager] {
                                  return static_cast<double>(pods->pods.load()
                                                             + pm->known.load());
                                });
}

supervisor_spec make_root_spec(const config::resolved_configuration& cfg,
                               std::shared_ptr<actor_directory> dir,
                               std::shared_ptr<agent_wiring> wiring) {
  supervisor_spec node;
  node.options = component_options();
  if (wiring && wiring->link)
    add_api_children(node, cfg, wiring);
  if (wiring && wiring->cri)
    add_pod_side(node, cfg, wiring);
  order_children(node);

  supervisor_spec pods;
  pods.options = component_options();
  pods.options.escalate = false; // one pod's crash loop must not stop others

  supervisor_spec root;
  root.options = component_options();
  auto trims = wiring ? wiring->stats.trims : std::make_shared<memory_trim_stats>();
  root.factories["memory-trim"] = [trims](caf::local_actor* parent, const std::string&,
                                          const caf::message&) {
    return parent->spawn(memory_trimmer, std::chrono::milliseconds{10000}, trims);
  };
  root.factories["watchdog"] = [dir](caf::local_actor* parent,
                                     const std::string&, const caf::message&) {
    return parent->spawn(watchdog, dir, std::chrono::milliseconds{1000});
  };
  root.factories["node-supervisor"] = nested(dir, std::move(node));
  if (wiring && wiring->cri) {
    auto w = wiring;
    pods::cri_pod_runtime_config rc;
    rc.settings = kuberuntime::from_config(cfg.kubelet, cfg.agent);
    rc.host_ips = w->host_ips;
    rc.allocatable = w->allocatable;
    rc.service_env = [cache = w->service_env] { return *cache->get(); };
    auto runtime = pods::make_cri_pod_runtime(w->cri, rc);
    if (!w->probes) {
      // One HTTP/TCP loop and one gRPC prober for every probe of the node.
      std::shared_ptr<net::probe::probe_loop> loop;
      if (auto made = net::probe::probe_loop::make())
        loop = std::move(*made);
      else
        log::warning("no probe loop: httpGet and tcpSocket probes end unknown",
                     {log::kv("err", describe(made.error()))});
      std::shared_ptr<net::probe::grpc_prober> grpc;
      if (auto made = net::probe::grpc_prober::make())
        grpc = std::move(*made);
      else
        log::warning("no gRPC prober: grpc probes end unknown",
                     {log::kv("err", describe(made.error()))});
      w->probes = probes::make_probe_executor(w->cri, std::move(loop), std::move(grpc));
    }
    // One I/O thread for the volumes of every pod.
    auto volume_io = w->volume_io;
    auto root_dir = cfg.agent.root_dir;
    auto cluster_domain = cfg.kubelet.cluster_domain;
    pods.factories["pod"] = [w, runtime, host_ips = w->host_ips, volume_io, root_dir,
                             cluster_domain](
                              caf::local_actor* parent, const std::string&,
                              const caf::message& args) -> caf::actor {
      if (!args.match_elements<k8s::pod_ptr>())
        return {};
      pod_worker_config pc;
      pc.runtime = runtime;
      pc.manager = w->pod_manager;
      pc.status_manager = w->status_manager;
      pc.events = w->events;
      pc.host_ips = host_ips;
      pc.clock = system_wall_clock();
      pc.probes = w->probes;
      pc.probe_metrics = w->stats.probes;
      pc.seed = std::random_device{}();
      pc.io = volume_io;
      pc.root_dir = root_dir;
      pc.objects = w->objects;
      pc.tokens = w->tokens;
      pc.allocatable = w->allocatable;
      pc.cluster_domain = cluster_domain;
      return parent->spawn(pod_worker, pc, args.get_as<k8s::pod_ptr>(0));
    };
    root.factories["pods-supervisor"] = [dir, pods](caf::local_actor* parent,
                                                    const std::string& path,
                                                    const caf::message&) {
      auto h = spawn_supervisor(parent, path, pods, dir);
      register_incarnation(parent->home_system(), pods_supervisor_name, h);
      return h;
    };
  } else {
    root.factories["pods-supervisor"] = nested(dir, std::move(pods));
  }
  root.children = {
    start_child{"watchdog", "watchdog", restart_policy::permanent, {}},
    start_child{"memory-trim", "memory-trim", restart_policy::permanent, {}},
    start_child{"node-supervisor", "node", restart_policy::permanent, {}},
    start_child{"pods-supervisor", "pods", restart_policy::permanent, {}},
  };
  return root;
}

} // namespace cafelet::actors
