#include "actors/api/link.hpp"

#include "net/client/kubeconfig.hpp"

namespace cafelet::api {

using namespace std::chrono_literals;

caf::expected<api_link> connect_api(const config::resolved_configuration& cfg) {
  auto rest = net::load_kubeconfig(cfg.agent.kubeconfig);
  if (!rest)
    return rest.error();
  // Heartbeats: a request that takes longer than 10 s is as good as lost
  // (the upstream lease client uses the same limit); a connection that
  // stalls is dropped and replaced by the next request.
  net::client_options hb;
  hb.name = "heartbeat";
  hb.connect_timeout = 5s;
  hb.request_timeout = 10s;
  hb.idle_timeout = 10s;
  hb.max_connections = 2;
  // Lists and watches: watches live for minutes; the server sends a
  // bookmark every minute, so 150 s of silence means a dead connection.
  net::client_options main;
  main.name = "api";
  main.request_timeout = 60s;
  main.stream_idle_timeout = 150s;
  // Over HTTP/1.1 a burst (a hundred pods starting) opens a connection per
  // concurrent request; keep only a few idle ones afterwards (each TLS
  // connection holds ~8 KB of OpenSSL state plus buffers). Watches are
  // transfers in use, not idle connections: they are not limited.
  main.max_idle_connections = 8;
  auto hb_client = net::http_client::make(*rest, hb);
  if (!hb_client)
    return hb_client.error();
  auto main_client = net::http_client::make(*rest, main);
  if (!main_client)
    return main_client.error();
  api_link out;
  out.heartbeat = std::make_shared<http_transport>(std::move(*hb_client));
  out.main = std::make_shared<http_transport>(std::move(*main_client));
  out.limiter = std::make_shared<rate_limiter>(cfg.kubelet.kube_api_qps,
                                               cfg.kubelet.kube_api_burst);
  out.rest = std::move(*rest);
  return out;
}

} // namespace cafelet::api
