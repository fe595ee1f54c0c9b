#include "actors/runtime/runtime_health.hpp"

#include "actors/node/node_status.hpp"
#include "messages/api.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/log.hpp"
#include "messages/text.hpp"
#include "runtime/cri/client.hpp"

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

namespace cafelet::actors {

const char* runtime_health_state::name = "runtime-health";

runtime_probe::~runtime_probe() = default;

namespace {

using status_atom = caf::atom_constant<caf::atom("rt_status")>;
using version_atom = caf::atom_constant<caf::atom("rt_version")>;
using self_ptr = caf::stateful_actor<runtime_health_state>*;

class cri_probe final : public runtime_probe {
public:
  explicit cri_probe(std::shared_ptr<cri::client> client)
    : client_(std::move(client)) {
  }

  void status(std::function<void(caf::expected<cri::runtime_status>)> cb) override {
    client_->runtime_status(std::move(cb));
  }

  void version(std::function<void(caf::expected<cri::version_info>)> cb) override {
    client_->runtime_version(std::move(cb));
  }

private:
  std::shared_ptr<cri::client> client_;
};
void report(self_ptr self, const char* component, bool ready,
            const std::string& message, std::optional<bool>& last_ready,
            std::string& last_message) {
  auto& st = self->state;
  if (last_ready != ready || last_message != message) {
    last_ready = ready;
    last_message = message;
    if (ready)
      log::info(1, "container runtime component ready",
                {log::kv("component", component)});
    else
      log::warning("container runtime component not ready",
                   {log::kv("component", component), log::kv("message", message)});
  }
  // Sent on every answer, not only on changes: a restarted node status
  // actor learns the state within one period (it ignores repeats).
  if (st.cfg.node_status)
    caf::anon_send(st.cfg.node_status, readiness_update{component, ready, message});
}

void query(self_ptr self) {
  auto& st = self->state;
  if (st.querying)
    return;
  st.querying = true;
  auto me = caf::actor_cast<caf::actor>(self);
  st.probe->status([me](caf::expected<cri::runtime_status> x) {
    if (x)
      caf::anon_send(me, status_atom::value, std::move(*x));
    else
      caf::anon_send(me, status_atom::value, std::move(x.error()));
  });
}

void ask_version(self_ptr self) {
  auto me = caf::actor_cast<caf::actor>(self);
  self->state.probe->version([me](caf::expected<cri::version_info> x) {
    if (x)
      caf::anon_send(me, version_atom::value, std::move(*x));
    else
      caf::anon_send(me, version_atom::value, std::move(x.error()));
  });
}

} // namespace

std::shared_ptr<runtime_probe> make_cri_probe(std::shared_ptr<cri::client> client) {
  return std::make_shared<cri_probe>(std::move(client));
}

caf::behavior runtime_health(caf::stateful_actor<runtime_health_state>* self,
                             std::shared_ptr<runtime_probe> probe,
                             runtime_health_config cfg) {
  auto& st = self->state;
  st.probe = std::move(probe);
  st.cfg = std::move(cfg);
  query(self);
  self->delayed_send(self, st.cfg.period, tick_atom::value);
  return {
    [self](tick_atom) {
      query(self);
      self->delayed_send(self, self->state.cfg.period, tick_atom::value);
    },
    [self](status_atom, cri::runtime_status& x) {
      auto& st = self->state;
      st.querying = false;
      // Upstream's wording: the runtime's own condition messages.
      std::string runtime_msg;
      std::string network_msg;
      for (const auto& c : x.conditions) {
        if (c.type == "RuntimeReady" && !c.status)
          runtime_msg = "container runtime status check may not have completed yet: "
                        + cri::to_string(c);
        if (c.type == "NetworkReady" && !c.status)
          network_msg = "container runtime network not ready: " + cri::to_string(c);
      }
      if (!x.runtime_ready && runtime_msg.empty())
        runtime_msg = x.messages.empty() ? "container runtime is not ready"
                                         : text::join(x.messages, ", ");
      if (!x.network_ready && network_msg.empty())
        network_msg = "container runtime network not ready";
      report(self, "runtime", x.runtime_ready, runtime_msg, st.runtime_ready,
             st.runtime_message);
      report(self, "network", x.network_ready, network_msg, st.network_ready,
             st.network_message);
      if (!st.version_known)
        ask_version(self);
      else if (st.cfg.node_status)
        caf::anon_send(st.cfg.node_status, runtime_version_atom::value, st.version);
      st.last = std::move(x);
    },
    [self](status_atom, const caf::error& err) {
      auto& st = self->state;
      st.querying = false;
      st.version_known = false; // ask again after it comes back
      log::info(2, "container runtime status query failed",
                {log::kv("err", describe(err))});
      // A fixed message (upstream's words): the error detail varies from
      // try to try and would turn every query into a node status change.
      report(self, "runtime", false, "container runtime is down",
             st.runtime_ready, st.runtime_message);
    },
    [self](version_atom, const cri::version_info& v) {
      auto& st = self->state;
      st.version_known = true;
      auto version = v.container_runtime_version();
      st.version = version;
      log::info(1, "container runtime version", {log::kv("version", version)});
      if (st.cfg.node_status)
        caf::anon_send(st.cfg.node_status, runtime_version_atom::value, version);
    },
    [](version_atom, const caf::error& err) {
      log::warning("container runtime version query failed",
                   {log::kv("err", describe(err))});
    },
    [self](caf::get_atom) {
      return self->state.last.value_or(cri::runtime_status{});
    },
  };
}

} // namespace cafelet::actors
