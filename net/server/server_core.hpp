#pragma once
/// @file
/// Internals shared by the server's loop thread and the responder handles:
/// the command queue that wakes the loop, and the per-request exchange.

#include "net/server/http_message.hpp"
#include "net/server/responder.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace cafelet::net::detail {

/// What a command asks the loop to do.
enum class command_kind : uint8_t {
  respond,
  abandon,
  start_stream,
  write,
  close_stream,
  abort_stream,
  abort_all_streams,
};

/// One request from any thread to the loop thread.
struct command {
  /// The operation.
  command_kind kind;
  /// The exchange it applies to (null for server-wide commands).
  std::shared_ptr<exchange> ex;
  /// Response (respond) or head (start_stream; body unused).
  server_response response;
  /// Chunk payload (write).
  std::string data;
};

/// The mailbox of a loop thread. Outlives the server while handles exist.
class server_core {
public:
  /// Creates the eventfd; `valid()` tells whether that worked.
  server_core();
  ~server_core();

  server_core(const server_core&) = delete;
  server_core& operator=(const server_core&) = delete;

  /// True if the eventfd exists.
  bool valid() const noexcept {
    return wake_fd_ >= 0;
  }

  /// The eventfd the loop polls.
  int wake_fd() const noexcept {
    return wake_fd_;
  }

  /// Queues `cmd` and wakes the loop. Returns false after `close()`.
  bool post(command cmd);

  /// Takes all queued commands (loop thread; also resets the eventfd).
  std::vector<command> take();

  /// Rejects all further posts and drops queued commands.
  void close();

  /// Records the loop thread so it skips waking itself.
  void set_loop_thread(std::thread::id id) noexcept {
    loop_thread_ = id;
  }

  /// The loop thread's id.
  std::thread::id loop_thread() const noexcept {
    return loop_thread_;
  }

private:
  int wake_fd_ = -1;
  std::mutex mtx_;
  std::vector<command> queue_;
  bool closed_ = false;
  bool wake_pending_ = false;
  std::atomic<std::thread::id> loop_thread_{};
};

/// Phases of an exchange as seen by the handles.
enum class answer : int { none, responded, streaming };

/// One request/response exchange, shared by the connection and the handles.
struct exchange : std::enable_shared_from_this<exchange> {
  /// Where to post commands.
  std::weak_ptr<server_core> core;
  /// Id of the connection the exchange belongs to.
  uint64_t conn_id = 0;
  /// Set by the first `respond`/`start_stream`.
  std::atomic<int> answered{static_cast<int>(answer::none)};
  /// Set by the first `close`/`abort` of a stream.
  std::atomic<bool> close_requested{false};
  /// Set by the loop when the exchange is over.
  std::atomic<bool> ended{false};
  /// Set by the loop when the client went away first.
  std::atomic<bool> peer_gone{false};
  /// Bytes posted by `write` but not applied by the loop yet.
  std::atomic<size_t> queued_bytes{0};
  /// Bytes in the connection's output buffer (updated by the loop).
  std::atomic<size_t> buffered_bytes{0};

  /// Registers the end callback (see `response_stream::on_end`).
  void set_on_end(std::function<void(stream_end)> fn);

  /// Marks the exchange ended and runs the callback once (loop thread).
  void finish(stream_end why);

  /// Posts a command for this exchange; false if the server is gone.
  bool post(command_kind kind, server_response res = {}, std::string data = {});

private:
  std::mutex mtx_;
  std::function<void(stream_end)> on_end_;
  std::optional<stream_end> end_reason_;
};

/// Owned by `responder` copies: sends 500 if none of them answered.
struct responder_token {
  /// Binds the token to `e`.
  explicit responder_token(std::shared_ptr<exchange> e) : ex(std::move(e)) {
  }
  responder_token(const responder_token&) = delete;
  responder_token& operator=(const responder_token&) = delete;
  /// The exchange answered through this token.
  std::shared_ptr<exchange> ex;
  ~responder_token();
};

/// Owned by `response_stream` copies: closes the stream when the last
/// copy goes away.
struct stream_token {
  /// Binds the token to `e`.
  explicit stream_token(std::shared_ptr<exchange> e) : ex(std::move(e)) {
  }
  stream_token(const stream_token&) = delete;
  stream_token& operator=(const stream_token&) = delete;
  /// The exchange streamed through this token.
  std::shared_ptr<exchange> ex;
  ~stream_token();
};

} // namespace cafelet::net::detail
