#pragma once
/// @file
/// A transport whose calls the test answers by hand: it records every
/// request and delivers replies as the real transport would (anon_send to
/// the receiver), so actors under CAF's test coordinator see the same
/// messages in a deterministic order.

#include "actors/api/transport.hpp"
#include "net/client/classify.hpp"

#include <caf/send.hpp>

#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace cafelet::testing {

/// One recorded call.
struct scripted_call {
  uint64_t key = 0;
  uint64_t tag = 0;
  net::http_request req;
  caf::actor receiver;
  bool streaming = false;
  bool cancelled = false;
  bool finished = false;

  /// "GET /api/v1/nodes/edge-1" (path without the query).
  std::string summary() const {
    auto p = req.path.substr(0, req.path.find('?'));
    return std::string{net::to_string(req.method)} + " " + p;
  }
};

/// Answers calls under test control. Thread-safe.
class scripted_transport : public api::transport {
public:
  uint64_t request(net::http_request req, caf::actor receiver,
                   uint64_t tag) override {
    return add(std::move(req), std::move(receiver), tag, false);
  }

  uint64_t stream(net::http_request req, caf::actor receiver,
                  uint64_t tag) override {
    return add(std::move(req), std::move(receiver), tag, true);
  }

  void cancel(uint64_t key) override {
    std::lock_guard<std::mutex> guard{mtx_};
    for (auto& c : calls_)
      if (c.key == key && !c.finished) {
        c.cancelled = true;
        c.finished = true;
      }
  }

  std::string_view name() const noexcept override {
    return "scripted";
  }

  /// Calls not yet answered or cancelled, oldest first.
  std::vector<scripted_call> open() const {
    std::lock_guard<std::mutex> guard{mtx_};
    std::vector<scripted_call> out;
    for (auto& c : calls_)
      if (!c.finished)
        out.push_back(c);
    return out;
  }

  /// Every call ever made.
  std::vector<scripted_call> all() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return {calls_.begin(), calls_.end()};
  }

  /// The oldest open call, if any.
  std::optional<scripted_call> next() const {
    auto xs = open();
    if (xs.empty())
      return std::nullopt;
    return xs.front();
  }

  /// Answers call `key` with an HTTP status and body, classified as the
  /// real client does. For streams this ends the stream.
  void reply(uint64_t key, int status, std::string body = "{}",
             std::string_view content_type = "application/json") {
    auto c = finish(key);
    if (!c)
      return;
    auto cls = net::classify_response(status, content_type, "", body);
    api_response res;
    res.call = c->tag;
    res.status = status;
    res.error = cls.error;
    if (cls.retry_after)
      res.retry_after_ms = cls.retry_after->count() * 1000;
    if (cls.status)
      res.reason = cls.status->reason;
    res.body = (status >= 200 && status < 300 && c->streaming) ? std::string{}
                                                               : std::move(body);
    caf::anon_send(c->receiver, std::move(res));
  }

  /// Fails call `key` without an HTTP answer (connection refused, ...).
  void fail(uint64_t key, caf::error err) {
    auto c = finish(key);
    if (!c)
      return;
    api_response res;
    res.call = c->tag;
    res.error = std::move(err);
    caf::anon_send(c->receiver, std::move(res));
  }

  /// Delivers stream data for open stream `key`.
  void chunk(uint64_t key, std::string data) {
    std::optional<scripted_call> c;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      for (auto& x : calls_)
        if (x.key == key && !x.finished)
          c = x;
    }
    if (c)
      caf::anon_send(c->receiver, stream_chunk{c->tag, std::move(data)});
  }

private:
  uint64_t add(net::http_request req, caf::actor receiver, uint64_t tag,
               bool streaming) {
    std::lock_guard<std::mutex> guard{mtx_};
    scripted_call c;
    c.key = next_key_++;
    c.tag = tag;
    c.req = std::move(req);
    c.receiver = std::move(receiver);
    c.streaming = streaming;
    calls_.push_back(std::move(c));
    return calls_.back().key;
  }

  std::optional<scripted_call> finish(uint64_t key) {
    std::lock_guard<std::mutex> guard{mtx_};
    for (auto& c : calls_)
      if (c.key == key && !c.finished) {
        c.finished = true;
        return c;
      }
    return std::nullopt;
  }

  mutable std::mutex mtx_;
  std::deque<scripted_call> calls_;
  uint64_t next_key_ = 1;
};

} // namespace cafelet::testing
