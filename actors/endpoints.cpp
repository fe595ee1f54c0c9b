#include "actors/endpoints.hpp"

#include "cafelet_build_info.hpp"
#include "messages/errors.hpp"
#include "net/metrics/process_metrics.hpp"
#include "net/server/router.hpp"

namespace cafelet::actors {

namespace {

/// Turns a map of kind -> count into collector samples.
std::vector<net::metrics::sample>
by_kind(const std::map<std::string, uint64_t>& xs) {
  std::vector<net::metrics::sample> out;
  out.reserve(xs.size());
  for (const auto& [kind, n] : xs)
    out.push_back(net::metrics::sample{{kind}, static_cast<double>(n)});
  return out;
}

} // namespace

caf::error register_actor_metrics(net::metrics::registry& reg,
                                  std::shared_ptr<actor_directory> dir) {
  using net::metrics::metric_type;
  if (auto err = reg.add_collector(
        "cafelet_actor_restarts_total",
        "Restarts of supervised actors by actor kind.", metric_type::counter,
        {"kind"}, [dir] { return by_kind(dir->restarts_by_kind()); }))
    return err;
  if (auto err = reg.add_collector(
        "cafelet_actors_live", "Running supervised actors by actor kind.",
        metric_type::gauge, {"kind"},
        [dir] { return by_kind(dir->live_by_kind()); }))
    return err;
  if (auto err = reg.add_collector(
        "cafelet_actor_mailbox_high_water",
        "Highest mailbox depth observed by actor kind.", metric_type::gauge,
        {"kind"}, [dir] { return by_kind(dir->mailbox_high_water()); }))
    return err;
  if (auto err = net::metrics::register_process_metrics(reg))
    return err;
  return net::metrics::register_build_info(reg, "cafelet", CAFELET_VERSION,
                                           CAFELET_GIT_COMMIT);
}

caf::expected<std::unique_ptr<endpoints>>
endpoints::start(endpoints_options opts, std::shared_ptr<actor_directory> dir,
                 std::shared_ptr<net::metrics::registry> reg,
                 std::shared_ptr<pods::pod_board> board) {
  net::router routes;
  auto max_age = opts.max_heartbeat_age;
  routes.on("GET", "/healthz", [dir, max_age](net::server_request, net::responder res) {
    std::string why;
    if (dir->healthy(max_age, &why))
      res.respond(200, "ok");
    else
      res.respond(500, "unhealthy: " + why + "\n");
  });
  routes.on("GET", "/metrics", [reg](net::server_request, net::responder res) {
    res.respond(200, reg->render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  routes.on("GET", "/debug/actors", [dir](net::server_request, net::responder res) {
    res.respond(200, dir->to_json(), "application/json");
  });
  if (board)
    routes.on("GET", "/pods", [board](net::server_request, net::responder res) {
      res.respond(200, board->pod_list_json(), "application/json");
    });
  net::server_options sopts;
  sopts.host = opts.bind_address;
  sopts.port = opts.port;
  sopts.name = "healthz";
  sopts.max_body_bytes = 64 * 1024;
  auto srv = net::http_server::start(std::move(sopts), routes.handler());
  if (!srv)
    return make_error(errc::io_error,
                      "cannot serve healthz on " + opts.bind_address + ":"
                        + std::to_string(opts.port) + ": "
                        + context_of(srv.error()));
  std::unique_ptr<endpoints> out{new endpoints};
  out->server_ = std::move(*srv);
  return out;
}

} // namespace cafelet::actors
