#include "actors/objects/service_env.hpp"

#include "messages/api.hpp"
#include "messages/k8s/decode.hpp"
#include "messages/log.hpp"
#include "messages/text.hpp"

#include <algorithm>
#include <cctype>

namespace cafelet::actors {

namespace {

std::string upper_name(std::string_view x) {
  std::string out;
  for (char ch : x)
    out += ch == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

std::string lower(std::string_view x) {
  std::string out;
  for (char ch : x)
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

} // namespace

pods::env_list service_env_vars(const k8s::service& svc) {
  pods::env_list out;
  if (svc.cluster_ip.empty() || svc.cluster_ip == "None" || svc.ports.empty())
    return out;
  auto name = upper_name(svc.metadata.name);
  out.emplace_back(name + "_SERVICE_HOST", svc.cluster_ip);
  out.emplace_back(name + "_SERVICE_PORT", std::to_string(svc.ports[0].port));
  for (const auto& p : svc.ports)
    if (!p.name.empty())
      out.emplace_back(name + "_SERVICE_PORT_" + upper_name(p.name), std::to_string(p.port));
  for (size_t i = 0; i < svc.ports.size(); ++i) {
    const auto& p = svc.ports[i];
    auto proto = lower(p.protocol.empty() ? "TCP" : p.protocol);
    auto url = proto + "://" + text::join_host_port(svc.cluster_ip, static_cast<uint32_t>(p.port));
    if (i == 0)
      out.emplace_back(name + "_PORT", url);
    auto prefix = name + "_PORT_" + std::to_string(p.port) + "_" + upper_name(proto);
    out.emplace_back(prefix, url);
    out.emplace_back(prefix + "_PROTO", proto);
    out.emplace_back(prefix + "_PORT", std::to_string(p.port));
    out.emplace_back(prefix + "_ADDR", svc.cluster_ip);
  }
  return out;
}

std::shared_ptr<const pods::env_list> service_env_cache::get() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return vars_;
}

void service_env_cache::set(pods::env_list vars) {
  auto next = std::make_shared<const pods::env_list>(std::move(vars));
  std::lock_guard<std::mutex> guard{mtx_};
  vars_ = std::move(next);
}

caf::behavior service_env(caf::event_based_actor* self,
                          std::shared_ptr<api::transport> transport,
                          std::shared_ptr<api::rate_limiter> limiter,
                          std::shared_ptr<service_env_cache> cache, uint64_t seed) {
  watch_stream_config cfg;
  cfg.path = "/api/v1/namespaces/default/services";
  cfg.field_selector = "metadata.name=kubernetes";
  cfg.seed = seed;
  cfg.consumer = caf::actor_cast<caf::actor>(self);
  cfg.log.name = "kubernetes-service";
  // The handle keeps the stream alive (a link is no reference: an
  // unreferenced stream waiting for an answer would be collected).
  auto stream = self->spawn<caf::linked>(watch_stream<k8s::service>, std::move(transport),
                                         std::move(limiter), std::move(cfg));
  auto apply = [cache](const k8s::service_ptr& svc) {
    auto vars = svc ? service_env_vars(*svc) : pods::env_list{};
    if (*cache->get() != vars) {
      log::info(1, "kubernetes service environment changed",
                {log::kv("host", svc ? svc->cluster_ip : std::string{})});
      cache->set(std::move(vars));
    }
  };
  return {
    [apply](const k8s::watch_event<k8s::service>& ev) {
      switch (ev.type) {
        case k8s::watch_event_type::added:
        case k8s::watch_event_type::modified:
          apply(ev.object);
          break;
        case k8s::watch_event_type::deleted:
          apply(nullptr);
          break;
        default:
          break;
      }
    },
    [stream](const watch_synced&) {},
  };
}

} // namespace cafelet::actors
