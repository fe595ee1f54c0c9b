#pragma once
/// @file
/// Internals of `http_client`: the event loop that drives curl_multi on its
/// own thread. Not part of the public API.

#include "net/client/http_client.hpp"

#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace cafelet::net::detail {

/// State a `call_handle` shares with the event loop.
struct call_state {
  /// Unique per client.
  uint64_t id = 0;
  /// Set by cancel(); checked by the loop and the write callback.
  std::atomic<bool> cancel_requested{false};
  /// The owning client, if still alive.
  std::weak_ptr<client_core> core;
};

/// Where requests go: the server URL split for libcurl.
struct endpoint {
  /// Scheme, authority and path prefix to put before request paths; the
  /// host is replaced by tls-server-name if one is set.
  std::string base_url;
  /// CURLOPT_CONNECT_TO entry when tls-server-name is set, else empty.
  std::string connect_to;
  /// "Host:" header when tls-server-name is set, else empty.
  std::string host_header;
  /// True for https.
  bool https = true;
};

/// Splits `cfg.server` (and tls-server-name) into an endpoint.
caf::expected<endpoint> make_endpoint(const rest_config& cfg);

/// One call in flight; owned by the event loop.
struct transfer {
  /// Shared with the caller's handle.
  std::shared_ptr<call_state> state;
  /// The request as submitted.
  http_request req;
  /// Stream consumer; empty for plain requests.
  data_fn on_data;
  /// Completion callback.
  completion_fn done;
  /// True for stream().
  bool streaming = false;
  /// libcurl handle, created on the loop thread.
  CURL* easy = nullptr;
  /// Request headers.
  curl_slist* headers = nullptr;
  /// CURLOPT_CONNECT_TO list.
  curl_slist* connect_to = nullptr;
  /// Response under construction.
  http_response rsp;
  /// Body size limit.
  size_t max_body = 0;
  /// The body limit was hit.
  bool too_large = false;
  /// on_data threw.
  bool callback_failed = false;
  /// Full URL.
  std::string url;
  /// When the loop started it.
  std::chrono::steady_clock::time_point started;
  /// libcurl's error text.
  char errbuf[CURL_ERROR_SIZE] = {};

  ~transfer();
};

/// Configures `t.easy` for `t.req`.
caf::error setup_transfer(transfer& t, const endpoint& ep,
                          const rest_config& cfg, const client_options& opts,
                          const std::string& user_agent,
                          const std::string& token, CURLSH* share);

/// The event loop and connection pool behind an `http_client`.
class client_core : public std::enable_shared_from_this<client_core> {
public:
  /// Stores the configuration; `start` does the work.
  client_core(rest_config cfg, client_options opts, endpoint ep);

  ~client_core();

  /// Creates the curl handles and the event thread.
  caf::error start();

  /// Stops and joins the event thread (detaches it if called from it).
  void stop();

  /// Queues a call for the event thread.
  call_handle submit(http_request req, data_fn on_data, completion_fn done,
                     bool streaming);

  /// Asks the event thread to drop the call `st`.
  void request_cancel(const std::shared_ptr<call_state>& st);

  /// The configuration.
  const rest_config& config() const noexcept {
    return cfg_;
  }

  /// The options.
  const client_options& options() const noexcept {
    return opts_;
  }

  /// Calls submitted and not completed.
  size_t in_flight() const noexcept {
    return in_flight_.load();
  }

private:
  void run();
  bool drain_commands();
  void start_transfer(std::unique_ptr<transfer> t);
  void collect_done();
  void finish(std::unique_ptr<transfer> t, int curl_code);
  void complete(std::unique_ptr<transfer> t, http_result res);
  void abort_all(std::string_view why);
  const std::string& current_token();

  rest_config cfg_;
  client_options opts_;
  endpoint ep_;
  std::string user_agent_;
  CURLM* multi_ = nullptr;
  CURLSH* share_ = nullptr;
  std::thread thread_;
  std::atomic<uint64_t> next_id_{1};
  std::atomic<size_t> in_flight_{0};

  // -- shared with submitters, guarded by mtx_ ------------------------------
  std::mutex mtx_;
  bool stopping_ = false;
  std::vector<std::unique_ptr<transfer>> pending_;
  std::vector<std::shared_ptr<call_state>> cancels_;

  // -- event thread only ----------------------------------------------------
  std::unordered_map<uint64_t, std::unique_ptr<transfer>> active_;
  std::string token_;
  std::chrono::steady_clock::time_point token_read_{};
};

} // namespace cafelet::net::detail
