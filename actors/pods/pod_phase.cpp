#include "actors/pods/pod_phase.hpp"

#include "messages/text.hpp"

#include "actors/pods/admission.hpp"
#include "actors/pods/qos.hpp"
#include "messages/errors.hpp"

#include <algorithm>
#include <chrono>

namespace cafelet::actors::pods {

using text::join;

namespace {

using k8s::container_status;
using status_list = std::vector<container_status>;

/// Upstream MaxPodTerminationMessageLogLength.
constexpr size_t max_termination_message_bytes = 1024 * 12;

const container_status* find_status(const status_list& xs,
                                    std::string_view name) {
  for (const auto& x : xs)
    if (x.name == name)
      return &x;
  return nullptr;
}

const observed_container*
find_observed(const std::vector<observed_container>& xs,
              std::string_view name) {
  for (const auto& x : xs)
    if (x.name == name)
      return &x;
  return nullptr;
}

bool is_sidecar(const k8s::container& c) {
  return c.restart_policy == "Always";
}

/// Go's fmt "%s" of a []string: "[a b]".
std::string go_list(const std::vector<std::string>& xs) {
  std::string out = "[";
  for (size_t i = 0; i < xs.size(); ++i) {
    if (i > 0)
      out += ' ';
    out += xs[i];
  }
  out += ']';
  return out;
}
k8s::opt_time to_seconds(k8s::opt_time t) {
  if (!t)
    return t;
  return std::chrono::floor<std::chrono::seconds>(*t);
}

// -- container statuses -------------------------------------------------------

/// Converts one observation (upstream convertContainerStatus plus the reason
/// cache, which the observation already carries as a waiting state).
container_status from_observed(const k8s::container& spec,
                               const observed_container& obs,
                               const container_status* old) {
  container_status s;
  s.name = spec.name;
  s.image = obs.image.empty() ? spec.image : obs.image;
  s.image_id = obs.image_id;
  s.container_id = obs.container_id;
  s.restart_count = obs.restart_count;
  if (obs.last_termination)
    s.last_state.terminated = obs.last_termination;
  if (const auto* w = std::get_if<k8s::container_state_waiting>(&obs.state)) {
    s.state.waiting = *w;
    // A container that failed to start keeps the last termination known.
    if (!obs.last_termination && old && !old->state.terminated)
      s.last_state = old->last_state;
  } else if (const auto* r = std::get_if<observed_running>(&obs.state)) {
    s.state.running = k8s::container_state_running{r->started_at};
  } else {
    auto t = std::get<k8s::container_state_terminated>(obs.state);
    if (t.container_id.empty())
      t.container_id = obs.container_id;
    s.state.terminated = std::move(t);
  }
  return s;
}

/// The status of a container the runtime does not know (upstream defaults
/// and the "used to be Running" rule).
container_status unobserved(const k8s::pod& pod, const k8s::container& spec,
                            const container_status* old,
                            const std::string& default_reason) {
  if (old && old->state.terminated)
    return *old;
  container_status s;
  s.name = spec.name;
  s.image = spec.image;
  s.state.waiting = k8s::container_state_waiting{default_reason, {}};
  if (old) {
    s.restart_count = old->restart_count;
    s.last_state = old->last_state;
    if (old->state.running && !s.last_state.terminated) {
      k8s::container_state_terminated t;
      t.exit_code = 137;
      t.reason = "ContainerStatusUnknown";
      t.message = "The container could not be located when the pod was "
                  "deleted.  The container used to be Running";
      s.last_state.terminated = std::move(t);
      if (!pod.metadata.deletion_timestamp)
        ++s.restart_count;
    }
  }
  return s;
}

bool has_probe(const k8s::boxed<k8s::probe>& p) {
  return p.has_value();
}

/// Sets `started` and `ready` as the probe manager does.
void apply_probes(const k8s::container& spec, const observed_container* obs,
                  bool regular_init, container_status& s) {
  const observed_running* run = nullptr;
  if (obs && s.state.running)
    run = std::get_if<observed_running>(&obs->state);
  bool started = run != nullptr
                 && run->started.value_or(!has_probe(spec.startup_probe));
  s.started = started;
  if (regular_init) {
    s.ready = s.state.terminated && s.state.terminated->exit_code == 0;
    return;
  }
  s.ready = started
            && run->ready.value_or(!has_probe(spec.readiness_probe));
}

status_list convert(const k8s::pod& pod,
                    const std::vector<k8s::container>& specs,
                    const std::vector<observed_container>& observed,
                    const status_list& previous, bool init,
                    bool app_containers_created) {
  std::string default_reason = pod.spec.init_containers.empty()
                                 ? "ContainerCreating"
                                 : "PodInitializing";
  status_list result;
  result.reserve(specs.size());
  for (const auto& spec : specs) {
    const auto* old = find_status(previous, spec.name);
    const auto* obs = find_observed(observed, spec.name);
    container_status s;
    if (obs) {
      s = from_observed(spec, *obs, old);
    } else {
      s = unobserved(pod, spec, old, default_reason);
      if (init && !is_sidecar(spec) && app_containers_created
          && s.state.waiting) {
        k8s::container_state_terminated t;
        t.reason = "Completed";
        t.message = "Unable to get init container status from container "
                    "runtime and pod has been initialized, treat it as "
                    "exited normally";
        s.state = k8s::container_state{};
        s.state.terminated = std::move(t);
      }
    }
    apply_probes(spec, obs, init && !is_sidecar(spec), s);
    result.push_back(std::move(s));
  }
  if (!init)
    std::stable_sort(result.begin(), result.end(),
                     [](const auto& a, const auto& b) {
                       return a.name < b.name;
                     });
  return result;
}

void normalize_state(k8s::container_state& s, size_t max_message) {
  if (s.running)
    s.running->started_at = to_seconds(s.running->started_at);
  if (s.terminated) {
    s.terminated->started_at = to_seconds(s.terminated->started_at);
    s.terminated->finished_at = to_seconds(s.terminated->finished_at);
    if (s.terminated->message.size() > max_message)
      s.terminated->message.resize(max_message);
  }
}

void normalize(const k8s::pod_spec& spec, k8s::pod_status& s) {
  auto n = spec.containers.size() + spec.init_containers.size();
  auto max_message = max_termination_message_bytes / std::max<size_t>(n, 1);
  s.start_time = to_seconds(s.start_time);
  for (auto& c : s.conditions) {
    c.last_probe_time = to_seconds(c.last_probe_time);
    c.last_transition_time = to_seconds(c.last_transition_time);
  }
  for (auto* xs : {&s.container_statuses, &s.init_container_statuses})
    for (auto& c : *xs) {
      normalize_state(c.state, max_message);
      normalize_state(c.last_state, max_message);
    }
}

// -- IPs ----------------------------------------------------------------------

bool is_v6(std::string_view ip) {
  return ip.find(':') != std::string_view::npos;
}

bool is_v4(std::string_view ip) {
  return !is_v6(ip) && ip.find('.') != std::string_view::npos;
}

/// Upstream `sortPodIPs`: the first IP of the node's primary family, then
/// the first of the other family.
std::vector<std::string> sort_pod_ips(const std::vector<std::string>& ips,
                                      const std::vector<std::string>& host) {
  bool primary_v6 = !host.empty() && is_v6(host.front());
  std::vector<std::string> result;
  for (bool want_v6 : {primary_v6, !primary_v6}) {
    auto i = std::find_if(ips.begin(), ips.end(), [&](const auto& ip) {
      return want_v6 ? is_v6(ip) : is_v4(ip);
    });
    if (i != ips.end())
      result.push_back(*i);
  }
  return result;
}

void set_ips(const k8s::pod& pod, const observed_pod& obs,
             const k8s::pod_status& previous, k8s::pod_status& s) {
  s.pod_ips = sort_pod_ips(obs.pod_ips, obs.host_ips);
  if (s.pod_ips.empty() && !obs.sandbox_ready)
    s.pod_ips = previous.pod_ips; // upstream PLEG keeps the old IPs
  if (!obs.host_ips.empty()) {
    s.host_ips.assign(obs.host_ips.begin(),
                      obs.host_ips.begin()
                        + std::min<size_t>(obs.host_ips.size(), 2));
    s.host_ip = s.host_ips.front();
  } else {
    s.host_ip = previous.host_ip;
    s.host_ips = previous.host_ips;
  }
  if (pod.spec.host_network && !s.host_ips.empty()) {
    if (s.pod_ips.empty())
      s.pod_ips.push_back(s.host_ips.front());
    if (s.host_ips.size() == 2 && s.pod_ips.size() == 1
        && is_v6(s.pod_ips.front()) != is_v6(s.host_ips[1]))
      s.pod_ips.push_back(s.host_ips[1]);
  }
  s.pod_ip = s.pod_ips.empty() ? std::string{} : s.pod_ips.front();
}

// -- conditions ---------------------------------------------------------------

bool kubelet_condition(std::string_view type) {
  return type == "PodScheduled" || type == "Ready" || type == "Initialized"
         || type == "ContainersReady" || type == "PodReadyToStartContainers";
}

bool compared_condition(std::string_view type) {
  return kubelet_condition(type) || type == "DisruptionTarget";
}

k8s::pod_condition condition(std::string type, bool ok, std::string reason = {},
                             std::string message = {}) {
  k8s::pod_condition c;
  c.type = std::move(type);
  c.status = ok ? "True" : "False";
  c.reason = std::move(reason);
  c.message = std::move(message);
  return c;
}

bool any_app_container_started(const k8s::pod_spec& spec,
                               const status_list& app) {
  for (const auto& c : spec.containers)
    if (const auto* s = find_status(app, c.name))
      if (s->state.running || s->state.terminated)
        return true;
  return false;
}

k8s::pod_condition containers_ready(const k8s::pod_spec& spec,
                                    const status_list& init,
                                    const status_list& app,
                                    std::string_view phase) {
  if (spec.containers.empty() && spec.init_containers.empty())
    return condition("ContainersReady", false, "UnknownContainerStatuses");
  std::vector<std::string> unknown;
  std::vector<std::string> unready;
  auto visit = [&](const k8s::container& c, const status_list& xs) {
    if (const auto* s = find_status(xs, c.name)) {
      if (!s->ready)
        unready.push_back(c.name);
    } else {
      unknown.push_back(c.name);
    }
  };
  for (const auto& c : spec.init_containers)
    if (is_sidecar(c))
      visit(c, init);
  for (const auto& c : spec.containers)
    visit(c, app);
  if ((phase == "Succeeded" && unknown.empty()) || phase == "Failed")
    return condition("ContainersReady", false,
                     phase == "Failed" ? "PodFailed" : "PodCompleted");
  std::vector<std::string> parts;
  if (!unknown.empty())
    parts.push_back("containers with unknown status: " + go_list(unknown));
  if (!unready.empty())
    parts.push_back("containers with unready status: " + go_list(unready));
  if (parts.empty())
    return condition("ContainersReady", true);
  return condition("ContainersReady", false, "ContainersNotReady",
                   join(parts, ", "));
}

k8s::pod_condition initialized(const k8s::pod_spec& spec,
                               const status_list& init,
                               const status_list& app, std::string_view phase) {
  std::vector<std::string> unknown;
  std::vector<std::string> incomplete;
  for (const auto& c : spec.init_containers) {
    const auto* s = find_status(init, c.name);
    if (!s) {
      unknown.push_back(c.name);
      continue;
    }
    bool done = is_sidecar(c) ? s->started.value_or(false) : s->ready;
    if (!done)
      incomplete.push_back(c.name);
  }
  if (phase == "Succeeded" && unknown.empty())
    return condition("Initialized", true, "PodCompleted");
  if (any_app_container_started(spec, app))
    return condition("Initialized", true);
  std::vector<std::string> parts;
  if (!unknown.empty())
    parts.push_back("containers with unknown status: " + go_list(unknown));
  if (!incomplete.empty())
    parts.push_back("containers with incomplete status: "
                    + go_list(incomplete));
  if (parts.empty())
    return condition("Initialized", true);
  return condition("Initialized", false, "ContainersNotInitialized",
                   join(parts, ", "));
}

const k8s::pod_condition* find_condition(const k8s::pod_status& s,
                                         std::string_view type) {
  for (const auto& c : s.conditions)
    if (c.type == type)
      return &c;
  return nullptr;
}

void set_conditions(const k8s::pod& pod, const observed_pod& obs,
                    const k8s::pod_status& previous, k8s::pod_status& s,
                    k8s::timestamp now) {
  for (const auto& c : pod.status.conditions)
    if (!kubelet_condition(c.type))
      s.conditions.push_back(c);
  if (const auto* d = find_condition(previous, "DisruptionTarget")) {
    auto i = std::find_if(s.conditions.begin(), s.conditions.end(),
                          [](const auto& c) {
                            return c.type == "DisruptionTarget";
                          });
    if (i != s.conditions.end())
      *i = *d;
    else
      s.conditions.push_back(*d);
  }
  auto first_owned = s.conditions.size();
  bool sandbox = obs.sandbox_ready
                 && (pod.spec.host_network || !obs.pod_ips.empty());
  s.conditions.push_back(condition("PodReadyToStartContainers", sandbox));
  s.conditions.push_back(initialized(pod.spec, s.init_container_statuses,
                                     s.container_statuses, s.phase));
  auto ready = containers_ready(pod.spec, s.init_container_statuses,
                                s.container_statuses, s.phase);
  auto pod_ready = ready;
  pod_ready.type = "Ready";
  s.conditions.push_back(std::move(pod_ready));
  s.conditions.push_back(std::move(ready));
  s.conditions.push_back(condition("PodScheduled", true));
  for (auto i = first_owned; i < s.conditions.size(); ++i) {
    auto& c = s.conditions[i];
    const auto* old = find_condition(previous, c.type);
    c.last_transition_time = old && old->status == c.status
                               ? old->last_transition_time
                               : k8s::opt_time{now};
  }
}

// -- equality -----------------------------------------------------------------

bool same_time(const k8s::opt_time& a, const k8s::opt_time& b) {
  return to_seconds(a) == to_seconds(b);
}

bool same(const k8s::container_state& a, const k8s::container_state& b) {
  if (a.waiting.has_value() != b.waiting.has_value()
      || a.running.has_value() != b.running.has_value()
      || a.terminated.has_value() != b.terminated.has_value())
    return false;
  if (a.waiting
      && (a.waiting->reason != b.waiting->reason
          || a.waiting->message != b.waiting->message))
    return false;
  if (a.running && !same_time(a.running->started_at, b.running->started_at))
    return false;
  if (a.terminated) {
    const auto& x = *a.terminated;
    const auto& y = *b.terminated;
    if (x.exit_code != y.exit_code || x.signal != y.signal
        || x.reason != y.reason || x.message != y.message
        || x.container_id != y.container_id
        || !same_time(x.started_at, y.started_at)
        || !same_time(x.finished_at, y.finished_at))
      return false;
  }
  return true;
}

bool same(const container_status& a, const container_status& b) {
  return a.name == b.name && a.ready == b.ready
         && a.restart_count == b.restart_count && a.image == b.image
         && a.image_id == b.image_id && a.container_id == b.container_id
         && a.started == b.started && same(a.state, b.state)
         && same(a.last_state, b.last_state);
}

bool same(const status_list& a, const status_list& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const auto& x, const auto& y) { return same(x, y); });
}

bool same_conditions(const k8s::pod_status& a, const k8s::pod_status& b) {
  auto count = [](const k8s::pod_status& s) {
    return std::count_if(s.conditions.begin(), s.conditions.end(),
                         [](const auto& c) {
                           return compared_condition(c.type);
                         });
  };
  if (count(a) != count(b))
    return false;
  for (const auto& c : b.conditions) {
    if (!compared_condition(c.type))
      continue;
    const auto* o = find_condition(a, c.type);
    if (!o || o->status != c.status || o->reason != c.reason
        || o->message != c.message)
      return false;
  }
  return true;
}

} // namespace

bool is_terminal_phase(std::string_view phase) noexcept {
  return phase == "Succeeded" || phase == "Failed";
}

std::string pod_phase(const k8s::pod& pod, const status_list& init,
                      const status_list& app, bool terminal,
                      bool has_initialized) {
  const auto& spec = pod.spec;
  int pending_regular_init = 0;
  int pending_sidecars = 0;
  int failed_init = 0;
  for (const auto& c : spec.init_containers) {
    if (is_sidecar(c))
      continue;
    const auto* s = find_status(init, c.name);
    if (!s || s->state.running) {
      ++pending_regular_init;
    } else if (s->state.terminated) {
      if (s->state.terminated->exit_code != 0)
        ++failed_init;
    } else if (s->state.waiting) {
      if (s->last_state.terminated) {
        if (s->last_state.terminated->exit_code != 0)
          ++failed_init;
      } else {
        ++pending_regular_init;
      }
    } else {
      ++pending_regular_init;
    }
  }
  int unknown = 0;
  int running = 0;
  int waiting = 0;
  int stopped = 0;
  int succeeded = 0;
  for (const auto& c : spec.init_containers) {
    if (!is_sidecar(c))
      continue;
    const auto* s = find_status(init, c.name);
    if (!s) {
      ++unknown;
    } else if (s->state.running) {
      if (!s->started.value_or(false))
        ++pending_sidecars;
      ++running;
    } else if (s->state.terminated) {
      // Stopped sidecars do not count for the phase.
    } else if (s->state.waiting) {
      if (!s->last_state.terminated) {
        ++pending_sidecars;
        ++waiting;
      }
    } else {
      ++pending_sidecars;
      ++unknown;
    }
  }
  for (const auto& c : spec.containers) {
    const auto* s = find_status(app, c.name);
    if (!s) {
      ++unknown;
    } else if (s->state.running) {
      ++running;
    } else if (s->state.terminated) {
      ++stopped;
      if (s->state.terminated->exit_code == 0)
        ++succeeded;
    } else if (s->state.waiting) {
      if (s->last_state.terminated)
        ++stopped;
      else
        ++waiting;
    } else {
      ++unknown;
    }
  }
  if (failed_init > 0 && spec.restart_policy == "Never")
    return "Failed";
  if (pending_regular_init > 0 || (pending_sidecars > 0 && !has_initialized)
      || waiting > 0)
    return "Pending";
  if (running > 0 && unknown == 0)
    return "Running";
  if (running == 0 && stopped > 0 && unknown == 0) {
    if (terminal && !is_static_pod(pod))
      return stopped == succeeded ? "Succeeded" : "Failed";
    if (spec.restart_policy == "Always")
      return "Running";
    if (stopped == succeeded)
      return "Succeeded";
    if (spec.restart_policy == "Never")
      return "Failed";
    return "Running";
  }
  return "Pending";
}

k8s::pod_status compute_status(const k8s::pod& pod, const observed_pod& obs,
                               const k8s::pod_status& previous,
                               k8s::timestamp now) {
  k8s::pod_status s;
  // Upstream HasAnyRegularContainerCreated / HasAnyActiveRegularContainer-
  // Started: some app container exists in the runtime.
  bool app_created = false;
  for (const auto& c : pod.spec.containers)
    if (const auto* o = find_observed(obs.containers, c.name))
      app_created = app_created || !o->container_id.empty()
                    || !std::holds_alternative<k8s::container_state_waiting>(
                      o->state);
  s.container_statuses = convert(pod, pod.spec.containers, obs.containers,
                                 previous.container_statuses, false,
                                 app_created);
  s.init_container_statuses = convert(pod, pod.spec.init_containers,
                                      obs.init_containers,
                                      previous.init_container_statuses, true,
                                      app_created);
  s.phase = pod_phase(pod, s.init_container_statuses, s.container_statuses,
                      obs.terminal, app_created);
  if (!is_terminal_phase(s.phase)) {
    if (is_terminal_phase(previous.phase))
      s.phase = previous.phase;
    else if (is_terminal_phase(pod.status.phase))
      s.phase = pod.status.phase;
  }
  if (s.phase == previous.phase) {
    s.reason = previous.reason.empty() ? pod.status.reason : previous.reason;
    s.message = previous.message.empty() ? pod.status.message
                                         : previous.message;
  }
  if (is_terminal_phase(pod.status.phase) && s.phase != pod.status.phase)
    s.phase = pod.status.phase;
  s.qos_class = std::string{to_string(qos_of(pod))};
  set_ips(pod, obs, previous, s);
  set_conditions(pod, obs, previous, s, now);
  if (previous.start_time)
    s.start_time = previous.start_time;
  else if (pod.status.start_time)
    s.start_time = pod.status.start_time;
  else
    s.start_time = now;
  normalize(pod.spec, s);
  return s;
}

bool status_changed(const k8s::pod_status& old, const k8s::pod_status& next) {
  return !(same_conditions(old, next) && old.phase == next.phase
           && old.message == next.message && old.reason == next.reason
           && old.host_ip == next.host_ip && old.host_ips == next.host_ips
           && old.pod_ip == next.pod_ip && old.pod_ips == next.pod_ips
           && same_time(old.start_time, next.start_time)
           && old.qos_class == next.qos_class
           && same(old.init_container_statuses, next.init_container_statuses)
           && same(old.container_statuses, next.container_statuses));
}

caf::error check_transition(const k8s::pod_spec& spec,
                            const k8s::pod_status& old,
                            const k8s::pod_status& next) {
  if (spec.restart_policy == "Always")
    return {};
  auto may_leave = [&](const container_status& s) {
    return !s.state.terminated
           || (s.state.terminated->exit_code != 0
               && spec.restart_policy == "OnFailure");
  };
  for (const auto& o : old.container_statuses) {
    if (may_leave(o))
      continue;
    const auto* n = find_status(next.container_statuses, o.name);
    if (n && !n->state.terminated)
      return make_error(errc::invalid,
                        "terminated container " + o.name
                          + " attempted illegal transition to "
                            "non-terminated state");
  }
  for (const auto& o : old.init_container_statuses) {
    auto i = std::find_if(spec.init_containers.begin(),
                          spec.init_containers.end(),
                          [&](const auto& c) { return c.name == o.name; });
    if (i == spec.init_containers.end() || is_sidecar(*i) || may_leave(o))
      continue;
    const auto* n = find_status(next.init_container_statuses, o.name);
    if (n && !n->state.terminated)
      return make_error(errc::invalid,
                        "terminated init container " + o.name
                          + " attempted illegal transition to "
                            "non-terminated state");
  }
  return {};
}

} // namespace cafelet::actors::pods
