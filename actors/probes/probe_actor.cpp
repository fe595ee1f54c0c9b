#include "actors/probes/probe_actor.hpp"

#include "messages/api.hpp"
#include "messages/atoms.hpp"
#include "messages/log.hpp"
#include "net/metrics/metric.hpp"

#include <caf/send.hpp>

namespace cafelet::actors {

const char* probe_actor_state::name = "probe";

namespace {

using self_ptr = caf::stateful_actor<probe_actor_state>*;
using namespace std::chrono;
using net::probe::probe_outcome;
using net::probe::probe_result;

/// An attempt that outlived its guard.
using probe_guard_atom = caf::atom_constant<caf::atom("prb_guard")>;

void event(self_ptr self, const char* reason, std::string message) {
  auto& cfg = self->state.cfg;
  if (!cfg.events || !cfg.pod)
    return;
  record_event ev;
  const auto& m = cfg.pod->metadata;
  ev.involved.kind = "Pod";
  ev.involved.api_version = "v1";
  ev.involved.namespace_ = m.namespace_;
  ev.involved.name = m.name;
  ev.involved.uid = m.uid;
  ev.involved.field_path = cfg.field_path;
  ev.type = "Warning";
  ev.reason = reason;
  ev.message = std::move(message);
  caf::anon_send(cfg.events, std::move(ev));
}

log::field pod_kv(self_ptr self) {
  const auto& pod = self->state.cfg.pod;
  return pod ? log::pod_field(pod->metadata.namespace_, pod->metadata.name)
             : log::pod_field("", "");
}

std::string pod_uid(self_ptr self) {
  const auto& pod = self->state.cfg.pod;
  return pod ? pod->metadata.uid : std::string{};
}

void schedule(self_ptr self, milliseconds d) {
  auto gen = ++self->state.tick_gen;
  self->delayed_send(self, d, tick_atom::value, gen);
}

void count(self_ptr self, probe_result r, double seconds) {
  auto& stats = self->state.cfg.stats;
  if (!stats)
    return;
  auto kind = static_cast<size_t>(self->state.cfg.plan.kind);
  size_t slot = r == probe_result::unknown ? 2
                : (r == probe_result::failure ? 1 : 0);
  if (auto* c = stats->totals[kind][slot])
    c->inc();
  if (auto* h = stats->durations[kind])
    h->observe(seconds);
}

void finish_attempt(self_ptr self, const probe_outcome& out) {
  auto& st = self->state;
  auto kind = st.cfg.plan.kind;
  auto took = duration<double>(self->clock().now() - st.attempt_started).count();
  st.attempt = 0;
  count(self, out.result, took);
  switch (out.result) {
    case probe_result::failure:
      event(self, "Unhealthy", probes::unhealthy_message(kind, out.output));
      log::info(1, "probe failed",
                {pod_kv(self), log::kv("podUID", pod_uid(self)),
                 log::kv("container", st.cfg.container),
                 log::kv("probeType", probes::to_string(kind)),
                 log::kv("output", out.output)});
      break;
    case probe_result::unknown:
      event(self, "Unhealthy",
            std::string{probes::to_string(kind)}
              + " probe errored and resulted in unknown state: " + out.output);
      break;
    case probe_result::warning:
      event(self, "ProbeWarning",
            std::string{probes::to_string(kind)} + " probe warning: " + out.output);
      break;
    case probe_result::success:
      break;
  }
  auto changed = st.counter->observe(out.result);
  if (!changed)
    return;
  caf::anon_send(st.cfg.parent, probe_update{st.cfg.container_id, kind, *changed});
  // A failed liveness or startup probe means a restart: stop probing this
  // instance (upstream's onHold). A passed startup probe is done.
  if ((!*changed && kind != probe_kind::readiness)
      || (*changed && kind == probe_kind::startup))
    st.on_hold = true;
}

void attempt(self_ptr self) {
  auto& st = self->state;
  if (st.on_hold)
    return;
  schedule(self, st.cfg.plan.period);
  if (st.attempt != 0)
    return; // the previous one still runs
  st.attempt = ++st.attempts;
  st.attempt_started = self->clock().now();
  if (st.cfg.stats)
    ++st.cfg.stats->attempts;
  probes::probe_request req;
  req.target = st.cfg.plan.target;
  req.container_id = st.cfg.container_id;
  req.pod_ip = st.cfg.pod_ip;
  req.timeout = st.cfg.plan.timeout;
  auto exec = st.cfg.executor;
  auto n = st.attempt;
  st.attempt_op = st.ops->run<probe_outcome>(
    [exec, req](auto cb) { exec->run(req, std::move(cb)); },
    [self, n](probe_outcome& out) {
      if (self->state.attempt == n)
        finish_attempt(self, out);
    });
  self->delayed_send(self, st.cfg.plan.timeout + seconds{2}, probe_guard_atom::value, n);
}

} // namespace

caf::behavior probe_actor(caf::stateful_actor<probe_actor_state>* self,
                          probe_actor_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.ops = std::make_unique<async_ops>(self);
  st.counter.emplace(st.cfg.plan);
  // Dies with its pod worker, whatever way that ends.
  if (st.cfg.parent) {
    self->monitor(st.cfg.parent);
    self->set_down_handler([self](caf::down_msg& dm) {
      if (dm.source == self->state.cfg.parent.address())
        self->quit();
    });
  }
  if (st.cfg.stats) {
    ++st.cfg.stats->actors;
    auto stats = st.cfg.stats;
    self->attach_functor([stats] { --stats->actors; });
  }
  // First attempt after the initial delay plus a jitter below one period
  // (at most a second), so that probes of many containers spread out.
  std::mt19937_64 rng{st.cfg.seed};
  auto spread = std::min<milliseconds>(st.cfg.plan.period, seconds{1});
  auto jitter = milliseconds{
    spread.count() > 0 ? static_cast<int64_t>(rng() % static_cast<uint64_t>(spread.count()))
                       : 0};
  schedule(self, duration_cast<milliseconds>(st.cfg.plan.initial_delay) + jitter);
  return st.ops->handlers().or_else(caf::behavior{
    [self](tick_atom, uint64_t gen) {
      if (gen == self->state.tick_gen)
        attempt(self);
    },
    [self](probe_guard_atom, uint64_t n) {
      auto& st = self->state;
      if (st.attempt != n)
        return;
      st.ops->cancel(st.attempt_op); // a late answer finds nothing
      log::warning("probe attempt did not complete in time; counting it as unknown",
                   {pod_kv(self), log::kv("container", st.cfg.container),
                    log::kv("probeType", probes::to_string(st.cfg.plan.kind))});
      finish_attempt(self, probe_outcome{probe_result::unknown, "probe did not complete"});
    },
  });
}

} // namespace cafelet::actors
