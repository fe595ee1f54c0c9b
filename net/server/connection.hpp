#pragma once
/// @file
/// One accepted connection of `http_server`, owned and driven by the loop
/// thread: socket (or TLS) I/O, request parsing, response framing.

#include "net/server/http_server.hpp"
#include "net/server/request_parser.hpp"
#include "net/server/server_core.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

namespace cafelet::net::detail {

class connection;

/// Clock used for timeouts.
using loop_clock = std::chrono::steady_clock;

/// State of a server shared by its loop and connections (loop thread only,
/// except the atomics).
struct loop_state {
  /// The server's settings.
  server_options opts;
  /// The request handler.
  request_handler handler;
  /// TLS context, or null for plain HTTP.
  std::shared_ptr<tls_context> tls;
  /// Mailbox of the loop.
  std::shared_ptr<server_core> core;
  /// The epoll instance.
  int epoll_fd = -1;
  /// The listening socket.
  int listen_fd = -1;
  /// Open connections by id.
  std::unordered_map<uint64_t, std::unique_ptr<connection>> conns;
  /// Next connection id (0 and 1 tag the listener and the eventfd).
  uint64_t next_id = 2;
  /// Number of open connections.
  std::atomic<size_t> connection_count{0};
  /// Number of active streams.
  std::atomic<size_t> stream_count{0};
  /// True while the listener is out of epoll (no file descriptors left).
  bool accept_paused = false;
};

/// One client connection.
class connection {
public:
  /// Takes ownership of `fd` (and `ssl` when not null).
  connection(loop_state& st, uint64_t id, int fd, std::string remote,
             struct ssl_st* ssl);
  ~connection();

  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Handles epoll `events` on the socket.
  void on_event(uint32_t events);

  /// Applies a command posted for this connection's exchange.
  void apply(command& cmd);

  /// Aborts an active stream (server-wide abort).
  void abort_stream();

  /// Closes at once, ending any exchange with `why`.
  void close(stream_end why);

  /// Closes the connection if a timeout passed.
  void check_timeouts(loop_clock::time_point now);

  /// True once closed; the loop then destroys it.
  bool dead() const noexcept {
    return fd_ < 0;
  }

  /// The exchange in flight, if any.
  const std::shared_ptr<exchange>& current() const noexcept {
    return current_;
  }

private:
  enum class io_status { ok, would_block, eof, error };

  io_status read_some(char* buf, size_t cap, size_t& got);
  io_status write_some(const char* buf, size_t len, size_t& put);
  void do_read();
  void do_write();
  void process_input();
  void dispatch(server_request req);
  void send_error(int status, std::string_view reason);
  void queue_response(const server_response& res, bool head, bool close);
  void queue_stream_head(const server_response& head);
  void end_exchange(stream_end why);
  void after_progress();
  void start_linger();
  void on_peer_eof();
  bool read_paused() const noexcept;
  void update_interest();
  void publish_buffered();
  void append_out(std::string_view bytes);

  loop_state& st_;
  uint64_t id_;
  int fd_;
  std::string remote_;
  struct ssl_st* ssl_;
  request_parser parser_;
  std::string out_;
  size_t out_pos_ = 0;
  std::shared_ptr<exchange> current_;
  bool streaming_ = false;
  bool chunked_ = false;
  bool keep_alive_ = true;
  bool head_ = false;
  int minor_ = 1;
  bool close_after_write_ = false;
  bool read_closed_ = false;
  bool lingering_ = false;
  bool read_wants_write_ = false;
  bool write_wants_read_ = false;
  bool identity_known_ = false;
  peer_identity identity_;
  uint32_t interest_ = 0;
  loop_clock::time_point last_activity_;
  loop_clock::time_point last_write_;
  loop_clock::time_point linger_deadline_;
};

} // namespace cafelet::net::detail
