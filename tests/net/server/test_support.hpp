#pragma once
/// @file
/// Helpers for the HTTP server tests: a tiny blocking socket client that
/// sees raw bytes (so chunk boundaries are visible), a one-shot signal to
/// wait on with a deadline, and test certificates made with the openssl CLI.

#include "net/server/http_message.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace cafelet::net::test {

/// Default deadline for anything a test waits for.
inline constexpr std::chrono::seconds wait_limit{10};

/// A value that one thread sets and another waits for.
template <class T>
class signal {
public:
  /// Stores `value` (first one wins) and wakes waiters.
  void set(T value) {
    std::lock_guard<std::mutex> guard{mtx_};
    if (!value_)
      value_ = std::move(value);
    cv_.notify_all();
  }

  /// Forgets the value so the signal can be set again.
  void reset() {
    std::lock_guard<std::mutex> guard{mtx_};
    value_.reset();
  }

  /// Waits until set or `timeout` passes.
  std::optional<T> wait(std::chrono::milliseconds timeout = wait_limit) {
    std::unique_lock<std::mutex> guard{mtx_};
    cv_.wait_for(guard, timeout, [this] { return value_.has_value(); });
    return value_;
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  std::optional<T> value_;
};

/// Status line and header fields of a response.
struct response_head {
  /// Status code.
  int status = 0;
  /// Header fields.
  server_headers headers;
};

/// A complete response as read by `raw_client::read_response`.
struct raw_response {
  /// Status code.
  int status = 0;
  /// Header fields.
  server_headers headers;
  /// Body (de-chunked).
  std::string body;
};

/// A blocking TCP client reading raw bytes with deadlines.
class raw_client {
public:
  /// Connects to `host:port` (numeric IPv4 or IPv6).
  static std::optional<raw_client> connect(const std::string& host,
                                           uint16_t port);

  raw_client(raw_client&& other) noexcept;
  raw_client& operator=(raw_client&&) = delete;
  ~raw_client();

  /// Sends all of `bytes`.
  bool send(std::string_view bytes);

  /// Shuts down the sending side (the server sees EOF).
  void shutdown_write();

  /// Reads the status line and headers.
  std::optional<response_head> read_head();

  /// Reads the next chunk of a chunked body: its data, "" for the final
  /// zero-size chunk, nothing on EOF, malformed framing or timeout.
  std::optional<std::string> read_chunk();

  /// Reads exactly `n` body bytes.
  std::optional<std::string> read_exact(size_t n);

  /// Reads a whole response (Content-Length or chunked). With `head_only`,
  /// no body is expected (answer to HEAD).
  std::optional<raw_response> read_response(bool head_only = false);

  /// True if the server closes the connection before the deadline
  /// (bytes arriving meanwhile are kept).
  bool wait_closed(std::chrono::milliseconds timeout = wait_limit);

  /// Bytes received but not consumed yet.
  const std::string& pending() const noexcept {
    return buf_;
  }

private:
  explicit raw_client(int fd) : fd_(fd) {
  }

  bool fill();
  std::optional<std::string> line();

  int fd_ = -1;
  std::string buf_;
  bool eof_ = false;
  std::chrono::steady_clock::time_point deadline_;
};

/// Files of a test PKI in a temporary directory (removed by the destructor).
struct test_pki {
  /// The temporary directory.
  std::string dir;
  /// CA certificate that signed server.crt and client.crt.
  std::string ca_crt;
  /// Server certificate (SAN 127.0.0.1, ::1, localhost) and key.
  std::string server_crt, server_key;
  /// Client certificate CN=system:node:edge-1, O=system:nodes, and key.
  std::string client_crt, client_key;
  /// Client certificate with two O values (system:nodes, cafelet:testers).
  std::string multi_crt, multi_key;
  /// Client certificate CN=system:node:edge-1 signed by another CA.
  std::string rogue_crt, rogue_key;

  /// Generates everything; `ok` tells whether it worked.
  test_pki();
  ~test_pki();

  /// True if all files were generated.
  bool ok = false;
};

} // namespace cafelet::net::test
