#pragma once
/// @file
/// The API calls one actor has in flight. Lives in the actor's state; pairs
/// each `api_response` / `stream_chunk` with the continuation given when
/// the call was made, applies the shared rate limiter (by re-sending itself
/// `api_send_atom` after the limiter's delay, never by sleeping) and cancels
/// everything still open when the actor goes away.
///
///   struct state { std::unique_ptr<api::api_calls> calls; };
///   ...
///   st.calls->request(get_lease_request(), [=](api_response& r) { ... });
///   return st.calls->handlers().or_else(my_behavior);

#include "actors/api/transport.hpp"
#include "messages/api.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/message_handler.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string_view>

namespace cafelet::api {

/// Continuation of a call; receives its outcome exactly once.
using done_fn = std::function<void(api_response&)>;

/// Receives stream data (chunk boundaries fall anywhere).
using chunk_fn = std::function<void(std::string_view)>;

/// Calls in flight of one actor.
class api_calls {
public:
  /// `limiter` may be null (no client-side rate limit, e.g. heartbeats).
  api_calls(caf::event_based_actor* self, std::shared_ptr<transport> t,
            std::shared_ptr<rate_limiter> limiter = nullptr);

  /// Cancels all open calls.
  ~api_calls();

  api_calls(const api_calls&) = delete;
  api_calls& operator=(const api_calls&) = delete;

  /// Sends `req`; `done` runs in the actor when the answer arrives.
  /// Returns a token for `cancel`.
  uint64_t request(net::http_request req, done_fn done);

  /// Opens a stream; `on_chunk` runs for every piece of the 2xx body,
  /// `done` when it ends. Returns a token for `cancel`.
  uint64_t stream(net::http_request req, chunk_fn on_chunk, done_fn done);

  /// Cancels a call; its continuation never runs. Unknown tokens are
  /// ignored.
  void cancel(uint64_t token);

  /// Cancels every open call; no continuation runs afterwards.
  void cancel_all();

  /// Calls made and not yet answered (including those waiting for the
  /// rate limiter).
  size_t pending() const noexcept {
    return open_.size();
  }

  /// Handlers for `api_response`, `stream_chunk` and `api_send_atom`, to be
  /// combined with the actor's own behavior via `or_else`.
  caf::message_handler handlers();

  /// The transport in use.
  transport& link() noexcept {
    return *transport_;
  }

private:
  struct call {
    net::http_request req;
    bool streaming = false;
    bool submitted = false;
    uint64_t key = 0;
    chunk_fn on_chunk;
    done_fn done;
  };

  uint64_t add(net::http_request req, bool streaming, chunk_fn on_chunk,
               done_fn done);
  void submit(uint64_t token);
  void on_response(api_response& res);
  void on_chunk(const stream_chunk& x);

  caf::event_based_actor* self_;
  std::shared_ptr<transport> transport_;
  std::shared_ptr<rate_limiter> limiter_;
  std::map<uint64_t, call> open_;
  uint64_t next_token_ = 1;
};

} // namespace cafelet::api
