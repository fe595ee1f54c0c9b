#pragma once
/// @file
/// How actors reach the API server. A `transport` sends HTTP calls and
/// delivers their outcomes to the calling actor as messages:
///
///   request: one `api_response{call = tag}` when done;
///   stream:  `stream_chunk{call = tag}` per piece of a 2xx body, then one
///            `api_response{call = tag}` when the stream ends.
///
/// Receivers are held weakly: a call whose actor died is cancelled, never
/// keeps the actor alive. All member functions are thread-safe.
///
/// cafelet runs two transports over two independent HTTP clients: one for
/// heartbeats (Lease, node status) and one for everything else, so list and
/// watch traffic never delays a renewal. Tests use `scripted_transport`
/// (tests/actors/api) to answer calls by hand under virtual time.

#include "messages/api.hpp"
#include "net/client/http_client.hpp"
#include "net/client/token_bucket.hpp"

#include <caf/actor.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace cafelet::api {

/// Sends API calls on behalf of actors.
class transport {
public:
  virtual ~transport();

  /// Sends `req`; the outcome reaches `receiver` as `api_response` with
  /// `call == tag`. Returns a key for `cancel`.
  virtual uint64_t request(net::http_request req, caf::actor receiver,
                           uint64_t tag)
    = 0;

  /// Opens a stream; chunks and the final outcome reach `receiver` tagged
  /// with `tag`. Returns a key for `cancel`.
  virtual uint64_t stream(net::http_request req, caf::actor receiver,
                          uint64_t tag)
    = 0;

  /// Stops a call; its `api_response` (if not yet sent) reports
  /// `cancelled`. Unknown or finished keys are ignored.
  virtual void cancel(uint64_t key) = 0;

  /// Names the transport in logs and metrics ("heartbeat", "api").
  virtual std::string_view name() const noexcept = 0;
};

/// Converts an HTTP client result into the message an actor receives.
api_response to_api_response(uint64_t tag, net::http_result&& result);

/// A transport over a `net::http_client` (one event thread, its own
/// connections).
class http_transport final : public transport {
public:
  /// Takes ownership of `client`.
  explicit http_transport(std::unique_ptr<net::http_client> client);
  ~http_transport() override;

  uint64_t request(net::http_request req, caf::actor receiver,
                   uint64_t tag) override;
  uint64_t stream(net::http_request req, caf::actor receiver,
                  uint64_t tag) override;
  void cancel(uint64_t key) override;
  std::string_view name() const noexcept override;

  /// The underlying client.
  net::http_client& client() noexcept {
    return *client_;
  }

private:
  struct calls;
  uint64_t submit(bool streaming, net::http_request req, caf::actor receiver,
                  uint64_t tag);

  std::shared_ptr<calls> calls_;
  std::unique_ptr<net::http_client> client_;
};

/// A token bucket shared by the actors of one transport (kubeAPIQPS /
/// kubeAPIBurst); thread-safe. Heartbeats do not go through it.
class rate_limiter {
public:
  /// See `net::token_bucket`.
  rate_limiter(double qps, int burst, net::token_bucket::clock_fn clock = {});

  /// Takes a token; returns how long the caller must wait before using it.
  std::chrono::nanoseconds reserve();

private:
  std::mutex mtx_;
  net::token_bucket bucket_;
};

} // namespace cafelet::api
