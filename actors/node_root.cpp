#include "actors/node_root.hpp"

#include "actors/relay.hpp"
#include "actors/watchdog.hpp"

#include <caf/atom.hpp>

namespace cafelet::actors {

namespace {

using namespace std::chrono_literals;

constexpr caf::atom_value events_name = caf::atom("events");
constexpr caf::atom_value pod_source_name = caf::atom("podsource");

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

/// Adds the API-server children to the node supervisor.
void add_api_children(supervisor_spec& node,
                      const config::resolved_configuration& cfg,
                      std::shared_ptr<agent_wiring> w) {
  const auto& link = *w->link;
  const auto& name = cfg.agent.node_name;

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

  node.children.push_back(
    start_child{"pod-source", "pod-source", restart_policy::permanent, {}});
  node.children.push_back(
    start_child{"lease", "lease", restart_policy::permanent, {}});
}

} // namespace

void make_relays(caf::actor_system& sys, agent_wiring& w) {
  w.events = spawn_relay(sys, events_name, w.stats.relay_drops);
  w.pod_source = spawn_relay(sys, pod_source_name, w.stats.relay_drops);
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
  return reg.add_callback_gauge("cafelet_pods_known",
                                "Pods bound to this node known from the API server.",
                                [pods] { return static_cast<double>(pods->pods.load()); });
}

supervisor_spec make_root_spec(const config::resolved_configuration& cfg,
                               std::shared_ptr<actor_directory> dir,
                               std::shared_ptr<agent_wiring> wiring) {
  supervisor_spec node;
  node.options = component_options();
  if (wiring && wiring->link)
    add_api_children(node, cfg, wiring);

  supervisor_spec pods;
  pods.options = component_options();
  pods.options.escalate = false; // one pod's crash loop must not stop others

  supervisor_spec root;
  root.options = component_options();
  root.factories["watchdog"] = [dir](caf::local_actor* parent,
                                     const std::string&, const caf::message&) {
    return parent->spawn(watchdog, dir, std::chrono::milliseconds{1000});
  };
  root.factories["node-supervisor"] = nested(dir, std::move(node));
  root.factories["pods-supervisor"] = nested(dir, std::move(pods));
  root.children = {
    start_child{"watchdog", "watchdog", restart_policy::permanent, {}},
    start_child{"node-supervisor", "node", restart_policy::permanent, {}},
    start_child{"pods-supervisor", "pods", restart_policy::permanent, {}},
  };
  return root;
}

} // namespace cafelet::actors
