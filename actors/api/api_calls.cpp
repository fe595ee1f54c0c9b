#include "actors/api/api_calls.hpp"

#include <caf/actor_cast.hpp>

#include <utility>

namespace cafelet::api {

api_calls::api_calls(caf::event_based_actor* self, std::shared_ptr<transport> t,
                     std::shared_ptr<rate_limiter> limiter)
  : self_(self), transport_(std::move(t)), limiter_(std::move(limiter)) {
}

api_calls::~api_calls() {
  cancel_all();
}

uint64_t api_calls::request(net::http_request req, done_fn done) {
  return add(std::move(req), false, nullptr, std::move(done));
}

uint64_t api_calls::stream(net::http_request req, chunk_fn on_chunk,
                           done_fn done) {
  return add(std::move(req), true, std::move(on_chunk), std::move(done));
}

uint64_t api_calls::add(net::http_request req, bool streaming,
                        chunk_fn on_chunk, done_fn done) {
  auto token = next_token_++;
  auto& c = open_[token];
  c.req = std::move(req);
  c.streaming = streaming;
  c.on_chunk = std::move(on_chunk);
  c.done = std::move(done);
  auto delay = limiter_ ? limiter_->reserve() : std::chrono::nanoseconds{0};
  if (delay > std::chrono::nanoseconds{0})
    self_->delayed_send(self_, delay, api_send_atom::value, token);
  else
    submit(token);
  return token;
}

void api_calls::submit(uint64_t token) {
  auto i = open_.find(token);
  if (i == open_.end() || i->second.submitted)
    return;
  auto& c = i->second;
  c.submitted = true;
  auto me = caf::actor_cast<caf::actor>(self_);
  // The request stays in `c.req` only until submitted.
  auto req = std::move(c.req);
  c.key = c.streaming ? transport_->stream(std::move(req), me, token)
                      : transport_->request(std::move(req), me, token);
}

void api_calls::cancel(uint64_t token) {
  auto i = open_.find(token);
  if (i == open_.end())
    return;
  if (i->second.submitted)
    transport_->cancel(i->second.key);
  open_.erase(i);
}

void api_calls::cancel_all() {
  for (auto& [token, c] : open_)
    if (c.submitted)
      transport_->cancel(c.key);
  open_.clear();
}

void api_calls::on_response(api_response& res) {
  auto i = open_.find(res.call);
  if (i == open_.end())
    return; // cancelled meanwhile
  auto done = std::move(i->second.done);
  open_.erase(i);
  if (done)
    done(res);
}

void api_calls::on_chunk(const stream_chunk& x) {
  auto i = open_.find(x.call);
  if (i == open_.end() || !i->second.on_chunk)
    return;
  // Copy: the callback may cancel (erase) its own call.
  auto fn = i->second.on_chunk;
  fn(x.data);
}

caf::message_handler api_calls::handlers() {
  return {
    [this](api_response& res) { on_response(res); },
    [this](const stream_chunk& x) { on_chunk(x); },
    [this](api_send_atom, uint64_t token) { submit(token); },
  };
}

} // namespace cafelet::api
