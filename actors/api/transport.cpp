#include "actors/api/transport.hpp"

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>
#include <caf/weak_intrusive_ptr.hpp>

#include <utility>

namespace cafelet::api {

transport::~transport() = default;

api_response to_api_response(uint64_t tag, net::http_result&& result) {
  api_response out;
  out.call = tag;
  out.status = static_cast<int32_t>(result.response.status);
  out.body = std::move(result.response.body);
  out.error = std::move(result.error);
  if (result.response.retry_after)
    out.retry_after_ms = result.response.retry_after->count() * 1000;
  if (result.status)
    out.reason = result.status->reason;
  out.cancelled = result.cancelled;
  return out;
}

// -- http_transport -----------------------------------------------------------

/// Open calls by key, shared with the callbacks (which may outlive a call's
/// bookkeeping but never the client).
struct http_transport::calls {
  std::mutex mtx;
  std::unordered_map<uint64_t, net::call_handle> open;
  /// Keys whose completion ran before `submit` could record their handle.
  std::unordered_set<uint64_t> finished_early;
  std::atomic<uint64_t> next_key{1};

  void finished(uint64_t key) {
    std::lock_guard<std::mutex> guard{mtx};
    if (open.erase(key) == 0)
      finished_early.insert(key);
  }
};

namespace {

/// Resolves a weakly held receiver; null if it is gone.
caf::actor lock(const caf::weak_actor_ptr& weak) {
  auto strong = weak.lock();
  if (!strong)
    return {};
  return caf::actor_cast<caf::actor>(std::move(strong));
}

} // namespace

http_transport::http_transport(std::unique_ptr<net::http_client> client)
  : calls_(std::make_shared<calls>()), client_(std::move(client)) {
}

http_transport::~http_transport() {
  // The client's destructor completes open calls with `cancelled`; their
  // callbacks only touch `calls_`, which they co-own.
  client_.reset();
}

uint64_t http_transport::request(net::http_request req, caf::actor receiver,
                                 uint64_t tag) {
  return submit(false, std::move(req), std::move(receiver), tag);
}

uint64_t http_transport::stream(net::http_request req, caf::actor receiver,
                                uint64_t tag) {
  return submit(true, std::move(req), std::move(receiver), tag);
}

uint64_t http_transport::submit(bool streaming, net::http_request req,
                                caf::actor receiver, uint64_t tag) {
  auto key = calls_->next_key.fetch_add(1);
  caf::weak_actor_ptr weak{caf::actor_cast<caf::strong_actor_ptr>(receiver).get()};
  auto book = calls_;
  auto done = [book, weak, key, tag](net::http_result result) {
    book->finished(key);
    if (auto hdl = lock(weak))
      caf::anon_send(hdl, to_api_response(tag, std::move(result)));
  };
  net::call_handle handle;
  if (streaming) {
    // The handle is needed inside on_data to cancel when the receiver is
    // gone; it is published through this shared slot.
    struct slot {
      std::mutex mtx;
      net::call_handle handle;
    };
    auto self_handle = std::make_shared<slot>();
    auto on_data = [weak, tag, self_handle](std::string_view chunk) {
      if (auto hdl = lock(weak)) {
        caf::anon_send(hdl, stream_chunk{tag, std::string{chunk}});
        return;
      }
      std::lock_guard<std::mutex> guard{self_handle->mtx};
      self_handle->handle.cancel();
    };
    handle = client_->stream(std::move(req), std::move(on_data), std::move(done));
    std::lock_guard<std::mutex> guard{self_handle->mtx};
    self_handle->handle = handle;
  } else {
    handle = client_->request(std::move(req), std::move(done));
  }
  std::lock_guard<std::mutex> guard{calls_->mtx};
  if (calls_->finished_early.erase(key) == 0)
    calls_->open.emplace(key, std::move(handle));
  return key;
}

void http_transport::cancel(uint64_t key) {
  net::call_handle handle;
  {
    std::lock_guard<std::mutex> guard{calls_->mtx};
    auto i = calls_->open.find(key);
    if (i == calls_->open.end())
      return;
    handle = i->second;
  }
  handle.cancel();
}

std::string_view http_transport::name() const noexcept {
  return client_->options().name;
}

// -- rate_limiter -------------------------------------------------------------

rate_limiter::rate_limiter(double qps, int burst,
                           net::token_bucket::clock_fn clock)
  : bucket_(qps, burst, std::move(clock)) {
}

std::chrono::nanoseconds rate_limiter::reserve() {
  std::lock_guard<std::mutex> guard{mtx_};
  return bucket_.reserve();
}

} // namespace cafelet::api
