#include "actors/node_root.hpp"

#include "actors/watchdog.hpp"

namespace cafelet::actors {

namespace {

using namespace std::chrono_literals;

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

} // namespace

supervisor_spec make_root_spec(const config::resolved_configuration&,
                               std::shared_ptr<actor_directory> dir) {
  supervisor_spec node;
  node.options = component_options();

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
