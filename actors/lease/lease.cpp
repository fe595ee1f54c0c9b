#include "actors/lease/lease.hpp"

#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/k8s/decode.hpp"
#include "messages/k8s/encode.hpp"
#include "messages/log.hpp"

#include <algorithm>

namespace cafelet::actors {

const char* lease_state::name = "lease";

// -- lease_stats --------------------------------------------------------------

namespace {

constexpr size_t max_samples = 65536;

} // namespace

void lease_stats::observe_lateness(double seconds) {
  if (lateness_histogram != nullptr)
    lateness_histogram->observe(seconds);
  std::lock_guard<std::mutex> guard{mtx_};
  if (samples_.size() < max_samples) {
    samples_.push_back(seconds);
  } else {
    samples_[next_] = seconds;
    next_ = (next_ + 1) % max_samples;
  }
}

std::vector<double> lease_stats::lateness_samples() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<double> out;
  out.reserve(samples_.size());
  out.insert(out.end(), samples_.begin() + static_cast<ptrdiff_t>(next_),
             samples_.end());
  out.insert(out.end(), samples_.begin(),
             samples_.begin() + static_cast<ptrdiff_t>(next_));
  return out;
}

// -- the actor ------------------------------------------------------------------

namespace {

using self_ptr = caf::stateful_actor<lease_state>*;
using namespace std::chrono;

constexpr std::string_view lease_ns = "kube-node-lease";
/// Consecutive conflicts answered by an immediate re-read before backing
/// off (upstream: 5 update tries).
constexpr uint32_t max_immediate_conflicts = 5;

std::string timeout_query(milliseconds t) {
  auto s = std::max<int64_t>(1, duration_cast<seconds>(t).count());
  return "timeout=" + std::to_string(s) + "s";
}

std::string leases_path(const lease_config&) {
  return "/apis/coordination.k8s.io/v1/namespaces/" + std::string{lease_ns}
         + "/leases";
}

std::string lease_path(const lease_config& cfg) {
  return leases_path(cfg) + "/" + cfg.node_name;
}

net::http_request make_request(const lease_config& cfg, net::http_method m,
                               std::string path, std::string body = {}) {
  net::http_request req;
  req.method = m;
  path += path.find('?') == std::string::npos ? '?' : '&';
  path += timeout_query(cfg.request_timeout);
  req.path = std::move(path);
  req.body = std::move(body);
  req.timeout = cfg.request_timeout;
  return req;
}

milliseconds renew_interval(const lease_config& cfg) {
  if (cfg.renew_interval.count() > 0)
    return cfg.renew_interval;
  return milliseconds{cfg.duration_seconds * 1000 / 4};
}

void sync(self_ptr self);
void ensure(self_ptr self, uint32_t conflicts);

void schedule(self_ptr self, milliseconds delay) {
  auto& st = self->state;
  ++st.timer_gen;
  self->delayed_send(self, delay, tick_atom::value, st.timer_gen);
}

void succeed(self_ptr self, k8s::lease_ptr lease, bool created) {
  auto& st = self->state;
  auto now = self->clock().now();
  auto late = duration_cast<duration<double>>(now - st.due).count();
  st.latest = std::move(lease);
  st.busy = false;
  ++st.renewals;
  if (st.failures_in_row > 0)
    log::info(0, "node lease renewed again",
              {{"node", st.cfg.node_name},
               {"failed_attempts", std::to_string(st.failures_in_row)}});
  st.failures_in_row = 0;
  st.retry->reset();
  if (st.cfg.stats) {
    ++st.cfg.stats->renewals;
    if (created)
      ++st.cfg.stats->creations;
    st.cfg.stats->observe_lateness(std::max(0.0, late));
  }
  log::info(4, created ? "node lease created" : "node lease renewed",
            {{"node", st.cfg.node_name},
             {"resourceVersion", st.latest->metadata.resource_version},
             {"late_ms", std::to_string(static_cast<int64_t>(late * 1000))}});
  auto interval = renew_interval(st.cfg);
  st.due = now + interval;
  schedule(self, interval);
}

void fail(self_ptr self, std::string_view what, const caf::error& err,
          int64_t retry_after_ms = 0) {
  auto& st = self->state;
  st.busy = false;
  ++st.failures_in_row;
  if (st.cfg.stats)
    ++st.cfg.stats->failures;
  // A server that asks for patience (429/503 Retry-After) gets it, but
  // never more than the backoff cap: the Lease must not lapse.
  auto delay = std::max(st.retry->next(),
                        std::min(milliseconds{retry_after_ms}, st.cfg.retry.cap));
  if (is(err, errc::forbidden) || is(err, errc::unauthorized))
    log::error("the API server refused this node identity access to its "
               "lease; the client certificate must be system:node:"
                 + st.cfg.node_name,
               {{"node", st.cfg.node_name},
                log::kv("step", what),
                {"err", describe(err)},
                {"retry_in_ms", std::to_string(delay.count())}});
  else
    log::warning("node lease update failed",
                 {{"node", st.cfg.node_name},
                  log::kv("step", what),
                  {"attempt", std::to_string(st.failures_in_row)},
                  {"err", describe(err)},
                  {"retry_in_ms", std::to_string(delay.count())}});
  schedule(self, delay);
}

/// Builds the Lease to write: the last one read with a fresh renewTime.
k8s::lease next_lease(self_ptr self) {
  auto& st = self->state;
  k8s::lease x;
  if (st.latest) {
    x = *st.latest;
  } else {
    x.type.api_version = "coordination.k8s.io/v1";
    x.type.kind = "Lease";
    x.metadata.name = st.cfg.node_name;
    x.metadata.namespace_ = std::string{lease_ns};
  }
  x.spec.holder_identity = st.cfg.node_name;
  x.spec.lease_duration_seconds = st.cfg.duration_seconds;
  x.spec.renew_time = st.cfg.clock ? st.cfg.clock() : k8s::now();
  if (x.metadata.owner_references.empty() && !st.node_uid.empty()) {
    k8s::owner_reference ref;
    ref.api_version = "v1";
    ref.kind = "Node";
    ref.name = st.cfg.node_name;
    ref.uid = st.node_uid;
    x.metadata.owner_references.push_back(std::move(ref));
  }
  return x;
}

caf::expected<k8s::lease_ptr> decode(const api_response& res) {
  auto x = k8s::decode_lease(res.body);
  if (!x)
    return x.error();
  return std::move(*x);
}

void update(self_ptr self, uint32_t conflicts) {
  auto& st = self->state;
  auto body = k8s::encode_lease(next_lease(self));
  st.calls->request(
    make_request(st.cfg, net::http_method::put, lease_path(st.cfg),
                 std::move(body)),
    [self, conflicts](api_response& res) {
      auto& st = self->state;
      if (res.ok()) {
        if (auto x = decode(res))
          succeed(self, std::move(*x), false);
        else
          fail(self, "renew", x.error());
        return;
      }
      if (is(res.error, errc::conflict)) {
        if (st.cfg.stats)
          ++st.cfg.stats->conflicts;
        log::info(1, "node lease changed on the server; re-reading",
                  {{"node", st.cfg.node_name}});
        st.latest = nullptr;
        if (conflicts + 1 < max_immediate_conflicts)
          ensure(self, conflicts + 1);
        else
          fail(self, "renew", res.error, res.retry_after_ms);
        return;
      }
      if (is(res.error, errc::not_found)) {
        st.latest = nullptr;
        ensure(self, conflicts);
        return;
      }
      fail(self, "renew", res.error, res.retry_after_ms);
    });
}

void create(self_ptr self, uint32_t conflicts) {
  auto& st = self->state;
  auto body = k8s::encode_lease(next_lease(self));
  st.calls->request(
    make_request(st.cfg, net::http_method::post, leases_path(st.cfg),
                 std::move(body)),
    [self, conflicts](api_response& res) {
      if (res.ok()) {
        if (auto x = decode(res))
          succeed(self, std::move(*x), true);
        else
          fail(self, "create", x.error());
        return;
      }
      // Someone created it meanwhile: read it and renew.
      if (is(res.error, errc::conflict) && conflicts + 1 < max_immediate_conflicts) {
        ensure(self, conflicts + 1);
        return;
      }
      fail(self, "create", res.error, res.retry_after_ms);
    });
}

/// Learns the Node's uid (for the ownerReference), then continues with `k`.
/// A failure only means the Lease goes without owner for now.
void with_node_uid(self_ptr self, std::function<void()> k) {
  auto& st = self->state;
  if (!st.node_uid.empty()) {
    k();
    return;
  }
  st.calls->request(
    make_request(st.cfg, net::http_method::get, "/api/v1/nodes/" + st.cfg.node_name),
    [self, k = std::move(k)](api_response& res) {
      if (res.ok()) {
        if (auto node = k8s::decode_node(res.body))
          self->state.node_uid = (*node)->metadata.uid;
      }
      k();
    });
}

void ensure(self_ptr self, uint32_t conflicts) {
  auto& st = self->state;
  st.calls->request(
    make_request(st.cfg, net::http_method::get, lease_path(st.cfg)),
    [self, conflicts](api_response& res) {
      auto& st = self->state;
      if (res.ok()) {
        if (auto x = decode(res)) {
          st.latest = std::move(*x);
          if (st.latest->metadata.owner_references.empty())
            with_node_uid(self, [self, conflicts] { update(self, conflicts); });
          else
            update(self, conflicts);
        } else {
          fail(self, "read", x.error());
        }
        return;
      }
      if (is(res.error, errc::not_found)) {
        with_node_uid(self, [self, conflicts] { create(self, conflicts); });
        return;
      }
      fail(self, "read", res.error, res.retry_after_ms);
    });
}

void sync(self_ptr self) {
  auto& st = self->state;
  if (st.busy)
    return;
  st.busy = true;
  if (st.latest && st.latest->metadata.owner_references.empty())
    // As upstream: while the Lease has no owner, look for the Node on each
    // renewal (it may have been registered since).
    with_node_uid(self, [self] { update(self, 0); });
  else if (st.latest)
    update(self, 0);
  else
    ensure(self, 0);
}

} // namespace

caf::behavior lease_actor(caf::stateful_actor<lease_state>* self,
                          std::shared_ptr<api::transport> heartbeat,
                          lease_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  if (!st.cfg.clock)
    st.cfg.clock = system_wall_clock();
  st.calls = std::make_unique<api::api_calls>(self, std::move(heartbeat));
  st.retry = std::make_unique<net::backoff>(st.cfg.retry, st.cfg.seed);
  // A fresh incarnation renews at once: it cannot know when the last
  // renewal happened.
  st.due = self->clock().now();
  sync(self);
  return st.calls->handlers().or_else(caf::behavior{
    [self](tick_atom, uint64_t gen) {
      if (gen == self->state.timer_gen)
        sync(self);
    },
    [self](caf::get_atom) {
      auto& st = self->state;
      return lease_snapshot{st.latest, st.renewals, st.failures_in_row};
    },
    [self](crash_atom) {
      // Fault injection (tests, chaos lab): fail loudly.
      self->quit(make_error(errc::internal, "lease actor: injected crash"));
    },
  });
}

} // namespace cafelet::actors
