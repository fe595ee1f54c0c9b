#include "net/server/router.hpp"

namespace cafelet::net {

router& router::on(std::string method, std::string path, request_handler fn) {
  routes_.push_back(route{std::move(method), std::move(path), false,
                          std::move(fn)});
  return *this;
}

router& router::on_prefix(std::string method, std::string prefix,
                          request_handler fn) {
  routes_.push_back(route{std::move(method), std::move(prefix), true,
                          std::move(fn)});
  return *this;
}

request_handler router::handler() const {
  auto routes = std::make_shared<const std::vector<route>>(routes_);
  return [routes](server_request req, responder res) {
    dispatch(*routes, std::move(req), std::move(res));
  };
}

void router::dispatch(const std::vector<route>& routes, server_request req,
                      responder res) {
  std::string allowed;
  auto path_matches = [&](const route& r) {
    return r.prefix ? req.path.starts_with(r.path) : req.path == r.path;
  };
  for (int pass = 0; pass < 2; ++pass) {
    // Pass 0 matches the method exactly, pass 1 lets HEAD use GET routes.
    if (pass == 1 && req.method != "HEAD")
      break;
    std::string_view want = pass == 0 ? std::string_view{req.method}
                                      : std::string_view{"GET"};
    for (const auto& r : routes) {
      if (!path_matches(r))
        continue;
      if (r.method.empty() || r.method == want) {
        r.fn(std::move(req), std::move(res));
        return;
      }
      if (pass == 0 && allowed.find(r.method) == std::string::npos)
        allowed += allowed.empty() ? r.method : ", " + r.method;
    }
  }
  if (allowed.empty()) {
    res.respond(404, "404 page not found\n");
    return;
  }
  auto reply = server_response::text(405, "method not allowed\n");
  reply.set_header("Allow", allowed);
  res.respond(std::move(reply));
}

} // namespace cafelet::net
