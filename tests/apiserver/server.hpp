#pragma once
/// @file
/// The test Kubernetes API server core: serves requests from any transport
/// (an HTTP front end or tests calling `handle` directly) and offers a
/// thread-safe control API for fault injection.
///
///   apiserver::api_server srv;
///   srv.handle(req, reply);           // reply: a reply_channel
///   srv.fail_requests({.method = "PATCH", .path = "/api/v1/nodes/*",
///                      .status = 500, .times = 2});
///   srv.cut_watches();

#include "tests/apiserver/api.hpp"
#include "tests/apiserver/authz.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cafelet::apiserver {

/// Settings of an api_server.
struct server_options {
  /// Change events each resource retains for watches and paged lists from
  /// older resourceVersions (the watch cache window).
  size_t history_capacity = 1000;
  /// Cadence of BOOKMARK events on watches with allowWatchBookmarks.
  std::chrono::milliseconds bookmark_interval{std::chrono::minutes{1}};
  /// A last bookmark is sent this long before a watch's timeout.
  std::chrono::milliseconds bookmark_before_timeout{std::chrono::seconds{2}};
  /// Watches without timeoutSeconds end after a random time between this
  /// and twice this (kube-apiserver's --min-request-timeout).
  std::chrono::seconds min_request_timeout{1800};
  /// How long a watch or list for a future resourceVersion waits before
  /// failing with "Too large resource version".
  std::chrono::milliseconds future_rv_wait{std::chrono::seconds{3}};
  /// PEM of the cluster CA, published in each namespace as configmap
  /// kube-root-ca.crt (data key ca.crt).
  std::string root_ca_pem;
  /// host:port in /api's serverAddressByClientCIDRs.
  std::string advertise_address = "127.0.0.1:6443";
  /// Audiences of tokens requested without audiences.
  std::vector<std::string> api_audiences
    = {"https://kubernetes.default.svc.cluster.local"};
  /// Namespaces created at start-up (each with a "default" service account
  /// and the kube-root-ca.crt configmap).
  std::vector<std::string> initial_namespaces
    = {"default", "kube-system", "kube-public", "kube-node-lease"};
  /// If true, what the controllers of a full cluster do for namespaces is
  /// simulated: new namespaces get a "default" service account and the
  /// kube-root-ca.crt configmap, deleted ones are emptied and removed.
  /// Otherwise (as with no controller-manager) none of this happens and a
  /// deleted namespace stays Terminating.
  bool run_controllers = true;
  /// Observer of answers (e.g. a request log), or empty. Called once per
  /// request right after its answer started: with the request as received
  /// (without its body) and the status sent; for a watch the status its
  /// stream started with, 0 for a request dropped unanswered. Runs on the
  /// answering thread, possibly with the server's lock held: it must be
  /// thread-safe and must not call into the server.
  std::function<void(const request& req, int status)> on_reply;
};

/// Makes matching requests fail (fault injection).
struct failure_rule {
  /// Method to match ("*" for any).
  std::string method = "*";
  /// Path glob ('*' matches any characters, including '/').
  std::string path = "*";
  /// HTTP status to answer with (with the Status body the real server
  /// sends for it; 429 as API Priority and Fairness does).
  int status = 500;
  /// How many requests fail; negative: until cleared.
  int times = -1;
  /// Message for the Status body; a default per status if empty.
  std::string message;
};

/// Delays matching requests.
struct latency_rule {
  /// Method to match ("*" for any).
  std::string method = "*";
  /// Path glob.
  std::string path = "*";
  /// Delay before the request is processed.
  std::chrono::milliseconds delay{0};
};

/// How the server stops answering during a hang.
enum class hang_mode {
  /// Accept requests but do not answer (they are answered when the hang
  /// ends); open watches deliver nothing meanwhile.
  accept,
  /// Refuse new connections (needs a transport that supports it).
  refuse,
};

/// The API server. All member functions are thread-safe.
class api_server {
public:
  /// Creates the server and its initial namespaces.
  explicit api_server(server_options opts = {});

  ~api_server();

  api_server(const api_server&) = delete;
  api_server& operator=(const api_server&) = delete;

  /// Serves one request; answers through `reply` now or later (watches
  /// stream until they end).
  void handle(request req, reply_ptr reply);

  /// The current resourceVersion.
  uint64_t resource_version() const;

  /// Number of open watch streams.
  size_t watch_count() const;

  /// Number of open watch streams whose request path matches `path_glob`
  /// (as `cut_watches`).
  size_t watch_count(std::string_view path_glob) const;

  /// Grants `rule` in addition to the built-in authorization.
  void grant(access_rule rule);

  // -- fault controls ---------------------------------------------------------

  /// Makes matching requests fail; returns an id for `clear_failure`.
  uint64_t fail_requests(failure_rule rule);

  /// Removes one failure rule.
  void clear_failure(uint64_t id);

  /// Removes all failure rules.
  void clear_failures();

  /// Delays matching requests; returns an id for `clear_latency`.
  uint64_t add_latency(latency_rule rule);

  /// Removes one latency rule (0: all of them).
  void clear_latency(uint64_t id = 0);

  /// Ends open watch streams whose request path matches `path_glob`:
  /// gracefully (terminating chunk) or `abrupt`ly (connection cut).
  /// Returns how many were ended.
  size_t cut_watches(std::string_view path_glob = "*", bool abrupt = false);

  /// Forgets the change history: the next watch or paged list from an
  /// older resourceVersion gets 410 Gone.
  void expire_history();

  /// Sets how many change events each resource retains.
  void set_history_capacity(size_t n);

  /// Stops answering for `duration` (zero: until `resume`).
  void hang(std::chrono::milliseconds duration, hang_mode mode = hang_mode::accept);

  /// Ends a hang: parked requests are served, watches deliver again.
  void resume();

  /// Registers the transport's switch for refusing connections
  /// (`hang_mode::refuse`): called with false to stop accepting, true to
  /// accept again.
  void set_listener_control(std::function<void(bool accepting)> fn);

  /// The implementation (defined in server_impl.hpp).
  class impl;

private:
  std::shared_ptr<impl> impl_;
};

} // namespace cafelet::apiserver
