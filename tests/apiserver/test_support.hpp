#pragma once
/// @file
/// Test helpers: in-memory reply channels that record answers and watch
/// streams, and a small client that calls an api_server directly as a
/// given user.

#include "tests/apiserver/api.hpp"
#include "tests/apiserver/server.hpp"

#include "messages/json/json.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cafelet::apiserver::testing {

/// How long helpers wait for an answer before giving up (a failure guard,
/// not a synchronization device: every wait ends as soon as the awaited
/// answer arrives).
inline constexpr std::chrono::seconds answer_timeout{20};

/// A watch stream recorded in memory.
class recording_stream : public stream_sink {
public:
  bool write(std::string chunk) override;
  void close() override;
  void abort() override;
  bool ended() const override;
  void on_end(std::function<void()> fn) override;

  /// Simulates the client going away.
  void disconnect();

  /// Waits until at least `n` complete lines arrived; false on timeout.
  bool wait_lines(size_t n,
                  std::chrono::milliseconds timeout = answer_timeout) const;

  /// Waits until the stream ended; false on timeout.
  bool wait_ended(std::chrono::milliseconds timeout = answer_timeout) const;

  /// The complete lines received so far, each parsed as JSON.
  std::vector<json::value> events() const;

  /// True if the stream was closed gracefully (not aborted).
  bool closed_gracefully() const;

private:
  void finish(bool graceful);

  mutable std::mutex mtx_;
  mutable std::condition_variable cv_;
  std::string data_;
  bool ended_ = false;
  bool graceful_ = false;
  std::function<void()> on_end_;
};

/// A reply channel that records the response or the started stream.
class recording_reply : public reply_channel {
public:
  void respond(response res) override;
  std::shared_ptr<stream_sink> stream(int status,
                                      std::vector<header> headers) override;
  void drop() override;

  /// Waits for a response or a stream; false on timeout.
  bool wait(std::chrono::milliseconds timeout = answer_timeout) const;

  /// True once answered in any way.
  bool answered() const;

  /// The response (valid after `wait` if not streamed).
  response result() const;

  /// The stream (valid after `wait` if streamed).
  std::shared_ptr<recording_stream> watch_stream() const;

  /// Status code of the stream head.
  int stream_status() const;

private:
  mutable std::mutex mtx_;
  mutable std::condition_variable cv_;
  std::optional<response> res_;
  std::shared_ptr<recording_stream> stream_;
  int stream_status_ = 0;
  bool dropped_ = false;
};

/// The cluster admin (O=system:masters).
user_info admin();

/// The node identity system:node:<name> in group system:nodes.
user_info node_user(std::string name);

/// Builds a request for `target` ("/path?query"), decoding the query.
request make_request(std::string method, std::string_view target,
                     std::string body = {},
                     std::string content_type = "application/json");

/// Calls an api_server as one user.
class client {
public:
  /// A client of `srv` acting as `user` (nullopt: failed authentication).
  client(api_server& srv, std::optional<user_info> user)
    : srv_(srv), user_(std::move(user)) {
  }

  /// Sends `req` (its user replaced by this client's) and waits.
  response send(request req);

  /// GET.
  response get(std::string_view target);

  /// POST with a JSON body.
  response post(std::string_view target, std::string body);

  /// PUT with a JSON body.
  response put(std::string_view target, std::string body);

  /// PATCH with `content_type`.
  response patch(std::string_view target, std::string body,
                 std::string content_type
                 = "application/strategic-merge-patch+json");

  /// DELETE with an optional DeleteOptions body.
  response del(std::string_view target, std::string body = {});

  /// Starts a watch; returns the reply (its stream once started).
  std::shared_ptr<recording_reply> watch(std::string_view target);

private:
  api_server& srv_;
  std::optional<user_info> user_;
};

/// Replaces metadata.uid, resourceVersion and creationTimestamp and the
/// generated token volume name by placeholders ("<uid>", "<rv>", "<ts>",
/// "<token-volume>") and renders compactly, keeping member order.
std::string canonical(json::value v);

/// Parses a response body (fails the test if it is not JSON).
json::value body_of(const response& res);

/// Parses JSON text (fails the test if invalid).
json::value parse_json(std::string_view text);

} // namespace cafelet::apiserver::testing
