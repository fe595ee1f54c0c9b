#pragma once
/// @file
/// A small request router: maps method + path (exact or prefix) to
/// handlers and answers 404 / 405 itself.

#include "net/server/responder.hpp"

#include <memory>
#include <string>
#include <vector>

namespace cafelet::net {

/// Routes requests by method and path. Build it, then pass `handler()` to
/// `http_server::start`. Routes are tried in registration order; HEAD falls
/// back to GET routes.
class router {
public:
  /// Routes `method` (empty = any) on exactly `path` to `fn`.
  router& on(std::string method, std::string path, request_handler fn);

  /// Routes `method` (empty = any) on every path starting with `prefix`.
  router& on_prefix(std::string method, std::string prefix,
                    request_handler fn);

  /// Returns a handler dispatching over a snapshot of the current routes.
  request_handler handler() const;

private:
  struct route {
    std::string method;
    std::string path;
    bool prefix;
    request_handler fn;
  };

  static void dispatch(const std::vector<route>& routes, server_request req,
                       responder res);

  std::vector<route> routes_;
};

} // namespace cafelet::net
