#pragma once
/// @file
/// The HTTP GET and TCP connect container probers, as upstream's
/// pkg/probe/http and pkg/probe/tcp (v1.32), driven without blocking by ONE
/// libcurl multi event-loop thread ("<name>-loop") shared by all probes of
/// the node. Attempts may be submitted from any thread; a submission wakes
/// the loop (curl_multi_wakeup). Every attempt is bounded by its timeout, so
/// a hanging server costs that attempt its timeout and nothing else.
///
/// Each attempt's callback runs exactly once, on the loop thread (except
/// for an attempt submitted while the loop is being destroyed, whose
/// callback runs at once on the submitting thread). Callbacks must be quick
/// and must not block: the prober actors just `caf::anon_send` the outcome.
/// They may submit further attempts but must not destroy the loop.
///
/// HTTP (like upstream's prober): a fresh connection per attempt
/// ("Connection: close"), no proxy, no compression, HTTPS without
/// certificate verification, redirects followed (at most 10) only while the
/// target's hostname equals the original one, at most `max_probe_output`
/// bytes of body read. Outcomes:
/// - 200..299: success, output = body;
/// - 300..399 not followed (e.g. to another host): warning, output =
///   "Probe terminated redirects, Response body: <body>";
/// - other status: failure, "HTTP probe failed with statuscode: <code>";
/// - transport errors: failure with Go's text, e.g. `Get "<url>": dial tcp
///   127.0.0.1:8080: connect: connection refused` or `Get "<url>": context
///   deadline exceeded (Client.Timeout exceeded while awaiting headers)`;
/// - an error while reading the body: unknown (upstream discards the result).
///
/// TCP: connect within the timeout, then close (with RST, as upstream's
/// probe dialer). Success has an empty output; failures read e.g.
/// `dial tcp 127.0.0.1:9: connect: connection refused` or
/// `dial tcp 10.255.255.1:80: i/o timeout`.

#include "net/probe/probe_outcome.hpp"

#include <caf/expected.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace cafelet::net::probe {

namespace detail {
class loop_core;
} // namespace detail

/// One HTTP GET probe attempt (a container's `httpGet` handler, resolved).
struct http_probe_request {
  /// "HTTP" or "HTTPS" (as in the pod spec; case-insensitive).
  std::string scheme = "HTTP";
  /// IP or DNS name; an IPv6 literal comes without brackets.
  std::string host;
  /// Target port.
  uint16_t port = 0;
  /// As in the spec; empty means "/", a missing leading "/" is added.
  std::string path;
  /// The spec's httpHeaders, in order. A `Host` entry sets the request's
  /// Host; `User-Agent` and `Accept` replace the defaults (an empty Accept
  /// sends none).
  std::vector<std::pair<std::string, std::string>> headers;
  /// Limit of the whole attempt, redirects included (<= 0: one second).
  std::chrono::milliseconds timeout{1000};
  /// Default User-Agent.
  std::string user_agent = "kube-probe/1.32";
};

/// One TCP connect probe attempt (a container's `tcpSocket` handler).
struct tcp_probe_request {
  /// IP or DNS name; an IPv6 literal comes without brackets.
  std::string host;
  /// Target port.
  uint16_t port = 0;
  /// Limit of resolving and connecting (<= 0: one second).
  std::chrono::milliseconds timeout{1000};
};

/// Receives the outcome of one attempt, exactly once, on the loop thread.
using probe_callback = std::function<void(probe_outcome)>;

/// Tuning of a probe loop.
struct probe_loop_options {
  /// Names the loop in logs and its thread ("<name>-loop", e.g. "probe-loop").
  std::string name = "probe";
  /// Upper bound of open connections (further attempts queue inside curl
  /// while their timeouts run); 0: unlimited.
  size_t max_connections = 0;
};

/// The node's HTTP/TCP prober: one event-loop thread for all attempts.
class probe_loop {
public:
  /// Initialises libcurl and starts the loop thread.
  static caf::expected<std::unique_ptr<probe_loop>>
  make(probe_loop_options opts = {});

  /// Stops the thread. Callbacks of attempts still running run once (on the
  /// loop thread, before this returns) with unknown / "cancelled".
  ~probe_loop();

  probe_loop(const probe_loop&) = delete;
  probe_loop& operator=(const probe_loop&) = delete;

  /// Starts an HTTP GET attempt. Thread-safe, never blocks.
  void http_get(http_probe_request req, probe_callback cb);

  /// Starts a TCP connect attempt. Thread-safe, never blocks.
  void tcp_connect(tcp_probe_request req, probe_callback cb);

  /// Attempts submitted whose callbacks have not started yet.
  size_t in_flight() const noexcept;

private:
  explicit probe_loop(std::shared_ptr<detail::loop_core> core);

  std::shared_ptr<detail::loop_core> core_;
};

} // namespace cafelet::net::probe
