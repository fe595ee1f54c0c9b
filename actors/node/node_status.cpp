#include "actors/node/node_status.hpp"

#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/k8s/decode.hpp"
#include "messages/k8s/encode.hpp"
#include "messages/log.hpp"
#include "net/client/classify.hpp"

#include <caf/event_based_actor.hpp>

#include <algorithm>

namespace cafelet::actors {

namespace {

using self_ptr = caf::stateful_actor<node_status_state>*;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

milliseconds to_ms(std::chrono::nanoseconds d) {
  return std::max(milliseconds{1}, duration_cast<milliseconds>(d));
}

/// The heartbeat timeout as upstream: nodeStatusUpdateFrequency, at most
/// the lease duration.
milliseconds heartbeat_timeout(const config::kubelet_configuration& kc) {
  auto t = to_ms(kc.node_status_update_frequency);
  if (kc.node_lease_duration_seconds > 0)
    t = std::min(t, milliseconds{int64_t{kc.node_lease_duration_seconds}
                                 * 1000});
  return t;
}

/// A Go duration for the `timeout` query parameter: "10s" or "500ms".
std::string go_duration(milliseconds d) {
  if (d.count() % 1000 == 0)
    return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

std::string node_path(const node_status_state& st) {
  return "/api/v1/nodes/" + st.cfg.node_name;
}

void record(self_ptr self, const std::vector<std::string>& reasons) {
  auto& st = self->state;
  for (const auto& reason : reasons) {
    log::info(2, "recording node event",
              {{"node", st.cfg.node_name}, {"reason", reason}});
    if (st.cfg.events)
      self->send(st.cfg.events, make_node_event(st.cfg.node_name, reason));
  }
}

void note_failure(self_ptr self, const api_response& r) {
  auto& stats = *self->state.cfg.stats;
  stats.last_error_code = static_cast<int32_t>(code_of(r.error));
  stats.last_http_status = r.status;
}

/// The conditions' inputs now: pressure (held for the transition period)
/// and the components' readiness.
condition_inputs current_inputs(self_ptr self) {
  auto& st = self->state;
  auto sample = read_pressure_sample(st.cfg.paths);
  if (sample.warnings != st.sample_warnings) {
    for (const auto& w : sample.warnings)
      log::warning("node pressure sample incomplete",
                   {{"node", st.cfg.node_name}, {"problem", w}});
    st.sample_warnings = sample.warnings;
  }
  auto flags = evaluate_pressure(sample, st.machine,
                                 st.cfg.kubelet.eviction_hard);
  auto now = self->clock().now();
  auto hold = st.cfg.kubelet.eviction_pressure_transition_period;
  auto held = [&](size_t i, bool observed) {
    if (observed)
      st.pressure_seen[i] = now;
    return st.pressure_seen[i].has_value() && now - *st.pressure_seen[i] < hold;
  };
  condition_inputs in;
  in.memory_pressure = held(0, flags.memory);
  in.disk_pressure = held(1, flags.disk);
  in.pid_pressure = held(2, flags.pid);
  in.not_ready = not_ready_message(st.components);
  return in;
}

void try_register(self_ptr self);
void update_status(self_ptr self);
void send_patch(self_ptr self);

void registration_failed(self_ptr self, const api_response& r,
                         std::string_view step) {
  auto& st = self->state;
  note_failure(self, r);
  ++st.cfg.stats->register_failures;
  auto delay = st.backoff->next();
  if (r.retry_after_ms > 0)
    delay = std::max(delay, milliseconds{r.retry_after_ms});
  auto why = context_of(r.error);
  if (why.empty())
    why = describe(r.error);
  if (r.status == 403 || is(r.error, errc::forbidden)) {
    log::error("the API server refused this node identity for node "
                 + st.cfg.node_name
                 + ": it may not register or read this Node; the client "
                   "certificate must be for user system:node:"
                 + st.cfg.node_name
                 + " in group system:nodes (check --hostname-override and "
                   "the kubeconfig)",
               {{"node", st.cfg.node_name},
                {"step", std::string{step}},
                {"server", why},
                log::kv("retryInMs", delay.count())});
  } else if (r.status == 401 || is(r.error, errc::unauthorized)) {
    log::error("the API server did not accept this node's credentials "
               "(expired or untrusted client certificate?)",
               {{"node", st.cfg.node_name},
                {"step", std::string{step}},
                {"server", why},
                log::kv("retryInMs", delay.count())});
  } else {
    log::error("Unable to register node with API server",
               {{"node", st.cfg.node_name},
                {"step", std::string{step}},
                {"err", describe(r.error)},
                log::kv("retryInMs", delay.count())});
  }
  self->delayed_send(self, delay, register_retry_atom::value,
                     st.register_gen);
}

void registered(self_ptr self, bool created) {
  auto& st = self->state;
  st.registered = true;
  st.backoff->reset();
  ++st.cfg.stats->registrations;
  st.cfg.stats->registered = true;
  if (created)
    log::info(0, "Successfully registered node", {{"node", st.cfg.node_name}});
  else
    log::info(0, "Node was previously registered",
              {{"node", st.cfg.node_name}});
  record(self, transition_event_reasons(nullptr, st.current->status));
  if (created) {
    st.last_sent = st.current->status;
    st.last_report = self->clock().now();
  } else {
    st.last_sent.reset(); // the server's status is stale: patch in full
  }
  st.update_pending = false;
  update_status(self);
}

void on_existing(self_ptr self, const k8s::node& initial, api_response& r) {
  auto& st = self->state;
  if (!r.ok()) {
    registration_failed(self, r, "get existing node");
    return;
  }
  auto existing = k8s::decode_node(r.body);
  if (!existing) {
    api_response bad = r;
    bad.error = existing.error();
    registration_failed(self, bad, "decode existing node");
    return;
  }
  // Keep the server's transition times where the status is unchanged.
  auto node = std::make_shared<k8s::node>(initial);
  node->status.conditions = make_conditions(
    current_inputs(self), (*existing)->status.conditions, st.cfg.clock());
  st.current = node;
  auto patch = reconcile_patch(initial, **existing);
  if (!patch) {
    registered(self, false);
    return;
  }
  log::info(0, "reconciling the existing Node with this kubelet",
            {{"node", st.cfg.node_name}, {"patch", *patch}});
  net::http_request req;
  req.method = net::http_method::patch;
  req.path = node_path(st) + "/status";
  req.body = std::move(*patch);
  req.content_type = std::string{k8s::content_type(k8s::patch_type::strategic)};
  req.timeout = heartbeat_timeout(st.cfg.kubelet);
  auto gen = st.register_gen;
  st.calls->request(std::move(req), [self, gen](api_response& res) {
    if (gen != self->state.register_gen)
      return;
    if (res.ok())
      registered(self, false);
    else
      registration_failed(self, res, "reconcile existing node");
  });
}

void on_created(self_ptr self, std::shared_ptr<const k8s::node> initial,
                api_response& r) {
  auto& st = self->state;
  if (r.ok()) {
    // The 201 is what counts: the server stored the Node. A body that is
    // not a Node means something in between mangled the answer; say so.
    if (auto node = k8s::decode_node(r.body); !node)
      log::warning("node registration answered 201 with a body that is not a Node",
                   {log::kv("node", st.cfg.node_name),
                    log::kv("err", describe(node.error())),
                    log::kv("body", net::excerpt(r.body))});
    registered(self, true);
    return;
  }
  if (r.status == 409 && r.reason == "AlreadyExists") {
    net::http_request req;
    req.path = node_path(st);
    req.timeout = heartbeat_timeout(st.cfg.kubelet);
    auto gen = st.register_gen;
    st.calls->request(std::move(req), [self, gen, initial](api_response& res) {
      if (gen == self->state.register_gen)
        on_existing(self, *initial, res);
    });
    return;
  }
  registration_failed(self, r, "create node");
}

void try_register(self_ptr self) {
  auto& st = self->state;
  ++st.register_gen;
  st.registered = false;
  st.cfg.stats->registered = false;
  auto node = std::make_shared<k8s::node>(
    build_node(st.settings, st.machine, current_inputs(self), st.cfg.clock()));
  st.current = node;
  log::info(0, "Attempting to register node", {{"node", st.cfg.node_name}});
  net::http_request req;
  req.method = net::http_method::post;
  req.path = "/api/v1/nodes";
  req.body = k8s::encode_node(*node);
  req.timeout = heartbeat_timeout(st.cfg.kubelet);
  auto gen = st.register_gen;
  st.calls->request(std::move(req), [self, gen, node](api_response& r) {
    if (gen == self->state.register_gen)
      on_created(self, node, r);
  });
}

void patch_done(self_ptr self) {
  auto& st = self->state;
  st.patching = false;
  st.patch_tries = 0;
  if (st.update_pending) {
    st.update_pending = false;
    update_status(self);
  }
}

void on_patched(self_ptr self, api_response& r) {
  auto& st = self->state;
  if (r.ok()) {
    st.last_sent = st.patch_status;
    st.last_report = self->clock().now();
    ++st.cfg.stats->status_patches;
    log::info(4, "node status updated",
              {{"node", st.cfg.node_name}, log::kv("full", st.patch_full)});
    patch_done(self);
    return;
  }
  note_failure(self, r);
  ++st.cfg.stats->patch_failures;
  if (r.status == 404 || is(r.error, errc::not_found)) {
    log::warning("the Node is gone from the API server; registering again",
                 {{"node", st.cfg.node_name}});
    st.patching = false;
    st.patch_tries = 0;
    st.update_pending = false;
    st.last_sent.reset();
    st.backoff->reset();
    try_register(self);
    return;
  }
  bool again = is_retryable(r.error)
               && st.patch_tries < node_status_update_retry;
  log::warning("Error updating node status, will retry",
               {{"node", st.cfg.node_name},
                {"err", describe(r.error)},
                log::kv("try", st.patch_tries),
                log::kv("retry", again)});
  if (!again) {
    log::error("Unable to update node status",
               {{"node", st.cfg.node_name}, {"err", describe(r.error)}});
    patch_done(self);
    return;
  }
  if (r.retry_after_ms > 0) {
    auto wait = std::min(milliseconds{r.retry_after_ms},
                         to_ms(st.cfg.kubelet.node_status_update_frequency));
    self->delayed_send(self, wait, patch_retry_atom::value, st.patch_gen);
  } else {
    send_patch(self);
  }
}

void send_patch(self_ptr self) {
  auto& st = self->state;
  st.patching = true;
  ++st.patch_tries;
  net::http_request req;
  req.method = net::http_method::patch;
  auto timeout = heartbeat_timeout(st.cfg.kubelet);
  req.path = node_path(st) + "/status?timeout=" + go_duration(timeout);
  req.body = k8s::encode_node_status_patch(st.patch_status, st.patch_full);
  req.content_type = std::string{k8s::content_type(k8s::patch_type::strategic)};
  req.timeout = timeout;
  auto gen = st.patch_gen;
  st.calls->request(std::move(req), [self, gen](api_response& r) {
    if (gen == self->state.patch_gen && self->state.registered)
      on_patched(self, r);
  });
}

void update_status(self_ptr self) {
  auto& st = self->state;
  if (!st.registered || !st.current)
    return;
  if (st.patching) {
    st.update_pending = true;
    return;
  }
  auto node = std::make_shared<k8s::node>(*st.current);
  node->status = build_node_status(st.settings, st.machine,
                                   current_inputs(self),
                                   st.current->status.conditions,
                                   st.cfg.clock());
  record(self, transition_event_reasons(&st.current->status, node->status));
  st.current = node;
  bool changed = !st.last_sent
                 || node_status_changed(*st.last_sent, node->status);
  bool due = self->clock().now() - st.last_report
             >= st.cfg.kubelet.node_status_report_frequency;
  if (!changed && !due)
    return;
  st.patch_status = node->status;
  st.patch_full = !st.last_sent
                  || node_details_changed(*st.last_sent, node->status);
  st.patch_tries = 0;
  ++st.patch_gen;
  send_patch(self);
}

node_settings make_settings(const node_status_config& cfg) {
  auto s = settings_from(cfg.kubelet);
  s.node_name = cfg.node_name;
  s.hostname = cfg.hostname.empty() ? cfg.node_name : cfg.hostname;
  s.node_labels = cfg.node_labels;
  s.node_ips = cfg.node_ips;
  s.kubelet_version = cfg.kubelet_version;
  s.container_runtime_version = cfg.container_runtime_version;
  return s;
}

} // namespace

node_status_config
make_node_status_config(const config::kubelet_configuration& kc,
                        const config::agent_options& opts,
                        std::string kubelet_version) {
  node_status_config cfg;
  cfg.node_name = opts.node_name;
  cfg.hostname = opts.node_name;
  cfg.kubelet = kc;
  cfg.node_labels = opts.node_labels;
  cfg.node_ips = opts.node_ips;
  cfg.kubelet_version = std::move(kubelet_version);
  cfg.paths.root_dir = opts.root_dir;
  return cfg;
}

caf::behavior node_status(caf::stateful_actor<node_status_state>* self,
                          std::shared_ptr<api::transport> transport,
                          node_status_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  if (!st.cfg.clock)
    st.cfg.clock = system_wall_clock();
  if (!st.cfg.stats)
    st.cfg.stats = std::make_shared<node_status_stats>();
  st.calls = std::make_unique<api::api_calls>(self, std::move(transport));
  st.backoff = st.cfg.seed != 0
                 ? std::make_unique<net::backoff>(st.cfg.register_backoff,
                                                  st.cfg.seed)
                 : std::make_unique<net::backoff>(st.cfg.register_backoff);
  st.machine = read_machine_info(st.cfg.paths);
  for (const auto& w : st.machine.warnings)
    log::warning("machine information incomplete",
                 {{"node", st.cfg.node_name}, {"problem", w}});
  st.settings = make_settings(st.cfg);
  if (st.settings.node_ips.empty()) {
    std::vector<std::string> warnings;
    auto ip = detect_node_ip(st.cfg.paths, st.settings.hostname, warnings,
                             st.cfg.resolve);
    for (const auto& w : warnings)
      log::warning(w, {{"node", st.cfg.node_name}});
    if (!ip.empty())
      st.settings.node_ips.push_back(std::move(ip));
  }
  auto period = to_ms(st.cfg.kubelet.node_status_update_frequency);
  self->delayed_send(self, period, tick_atom::value);
  try_register(self);
  return st.calls->handlers().or_else(caf::message_handler{
    [self, period](tick_atom) {
      self->delayed_send(self, period, tick_atom::value);
      update_status(self);
    },
    [self](register_retry_atom, uint64_t gen) {
      if (gen == self->state.register_gen && !self->state.registered)
        try_register(self);
    },
    [self](patch_retry_atom, uint64_t gen) {
      auto& st = self->state;
      if (gen == st.patch_gen && st.patching && st.registered)
        send_patch(self);
    },
    [self](readiness_update& x) {
      auto& st = self->state;
      auto i = st.components.find(x.component);
      if (i != st.components.end() && i->second.ready == x.ready
          && i->second.message == x.message)
        return;
      log::info(x.ready ? 2 : 0, "node readiness input changed",
                {{"node", st.cfg.node_name},
                 {"component", x.component},
                 log::kv("ready", x.ready),
                 {"message", x.message}});
      st.components[x.component] = component_readiness{x.ready, x.message};
      update_status(self);
    },
    [self](runtime_version_atom, std::string& version) {
      auto& st = self->state;
      if (st.settings.container_runtime_version == version)
        return;
      st.settings.container_runtime_version = std::move(version);
      update_status(self);
    },
    [self](caf::get_atom) -> k8s::node_ptr { return self->state.current; },
  });
}

} // namespace cafelet::actors
