#include "net/server/connection.hpp"

#include "messages/log.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <ctime>

namespace cafelet::net::detail {

namespace {

/// Largest plaintext handed to SSL_write at once (one TLS record).
constexpr size_t tls_write_slice = 16 * 1024;

/// How long a closing connection keeps draining input after its response.
constexpr auto linger_time = std::chrono::seconds{2};

/// Consumes a SIGPIPE raised by a write on a dead socket; the loop thread
/// blocks SIGPIPE, so the signal stays pending instead of killing us.
void discard_sigpipe() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  timespec zero{0, 0};
  while (sigtimedwait(&set, nullptr, &zero) > 0) {
  }
}

bool is_framing_header(std::string_view name) {
  return iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding")
         || iequals(name, "Connection");
}

/// Runs the plain socket call `op` (recv or send) until it is not
/// interrupted; on success stores its byte count in `done`.
template <class Status, class Op>
Status plain_io(Op op, size_t& done) {
  for (;;) {
    auto n = op();
    if (n >= 0) {
      done = static_cast<size_t>(n);
      return Status::ok;
    }
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return Status::would_block;
    return Status::error;
  }
}

/// Runs the TLS call `op` (SSL_read_ex or SSL_write_ex). A failure because
/// it must wait for the socket is `would_block`; waiting for the direction
/// other than `own_want` (SSL_ERROR_WANT_READ for reads) also sets
/// `wants_other`. Other failures are `error`, with SSL's code in `ssl_err`.
template <class Status, class Op>
Status tls_io(ssl_st* ssl, Op op, int own_want, bool& wants_other,
              int& ssl_err) {
  ERR_clear_error();
  wants_other = false;
  if (op() == 1)
    return Status::ok;
  ssl_err = SSL_get_error(ssl, 0);
  if (ssl_err != SSL_ERROR_WANT_READ && ssl_err != SSL_ERROR_WANT_WRITE)
    return Status::error;
  wants_other = ssl_err != own_want;
  return Status::would_block;
}

void append_status_line(std::string& out, int status) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "HTTP/1.1 %d ", status);
  out += buf;
  out += reason_phrase(status);
  out += "\r\n";
}

void append_headers(std::string& out, const server_headers& hs) {
  bool has_date = false;
  for (const auto& h : hs) {
    if (is_framing_header(h.name))
      continue;
    has_date = has_date || iequals(h.name, "Date");
    out += h.name;
    out += ": ";
    // Never let a CR or LF from a handler split the header block.
    for (char c : h.value)
      out.push_back(c == '\r' || c == '\n' ? ' ' : c);
    out += "\r\n";
  }
  if (!has_date) {
    out += "Date: ";
    out += http_date_now();
    out += "\r\n";
  }
}

} // namespace

connection::connection(loop_state& st, uint64_t id, int fd, std::string remote,
                       ssl_st* ssl)
  : st_(st),
    id_(id),
    fd_(fd),
    remote_(std::move(remote)),
    ssl_(ssl),
    parser_(parser_limits{st.opts.max_header_bytes, st.opts.max_body_bytes}) {
  last_activity_ = last_write_ = loop_clock::now();
  st_.connection_count.fetch_add(1);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.u64 = id_;
  if (::epoll_ctl(st_.epoll_fd, EPOLL_CTL_ADD, fd_, &ev) != 0) {
    log::warning("cannot watch connection", {log::kv("server", st_.opts.name),
                                              log::kv("errno", errno)});
    close(stream_end::closed);
    return;
  }
  interest_ = ev.events;
}

connection::~connection() {
  close(stream_end::server_stopped);
}

// -- I/O primitives -----------------------------------------------------------

connection::io_status connection::read_some(char* buf, size_t cap,
                                            size_t& got) {
  got = 0;
  if (ssl_ == nullptr || lingering_) {
    auto res = plain_io<io_status>([&] { return ::recv(fd_, buf, cap, 0); },
                                   got);
    return res == io_status::ok && got == 0 ? io_status::eof : res;
  }
  int ssl_err = 0;
  auto res = tls_io<io_status>(
    ssl_, [&] { return SSL_read_ex(ssl_, buf, cap, &got); },
    SSL_ERROR_WANT_READ, read_wants_write_, ssl_err);
  if (res != io_status::error)
    return res;
  switch (ssl_err) {
    case SSL_ERROR_ZERO_RETURN:
      return io_status::eof;
    case SSL_ERROR_SYSCALL:
      ERR_clear_error();
      return errno == 0 ? io_status::eof : io_status::error;
    default: {
      auto why = openssl_errors();
      if (!SSL_is_init_finished(ssl_))
        log::info(1, "TLS handshake failed",
                  {log::kv("server", st_.opts.name), log::kv("remote", remote_),
                   log::kv("error", why)});
      return io_status::error;
    }
  }
}

connection::io_status connection::write_some(const char* buf, size_t len,
                                             size_t& put) {
  put = 0;
  if (ssl_ == nullptr)
    return plain_io<io_status>(
      [&] { return ::send(fd_, buf, len, MSG_NOSIGNAL); }, put);
  int ssl_err = 0;
  auto res = tls_io<io_status>(
    ssl_, [&] { return SSL_write_ex(ssl_, buf, len, &put); },
    SSL_ERROR_WANT_WRITE, write_wants_read_, ssl_err);
  if (res == io_status::error) {
    if (errno == EPIPE)
      discard_sigpipe();
    ERR_clear_error();
  }
  return res;
}

// -- event handling -----------------------------------------------------------

void connection::on_event(uint32_t events) {
  if (dead())
    return;
  bool readable = (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
  if (readable) {
    if (write_wants_read_)
      do_write();
    if (!dead() && !read_closed_) {
      if (read_paused() && !lingering_) {
        if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
          on_peer_eof();
      } else {
        do_read();
      }
    }
  }
  if (dead())
    return;
  if (events & (EPOLLHUP | EPOLLERR)) {
    // Reset or fully shut down: nothing can be delivered any more.
    close(stream_end::peer_gone);
    return;
  }
  if (events & EPOLLOUT) {
    if (read_wants_write_)
      do_read();
    if (!dead())
      do_write();
  }
  after_progress();
}

void connection::do_read() {
  char buf[16 * 1024];
  while (!dead()) {
    if (!lingering_ && read_paused())
      break;
    size_t got = 0;
    auto status = read_some(buf, sizeof(buf), got);
    if (status == io_status::ok) {
      last_activity_ = loop_clock::now();
      if (lingering_)
        continue;
      parser_.feed(std::string_view{buf, got});
      process_input();
    } else if (status == io_status::would_block) {
      break;
    } else if (status == io_status::eof) {
      on_peer_eof();
      break;
    } else {
      close(stream_end::peer_gone);
      break;
    }
  }
}

void connection::do_write() {
  while (!dead() && out_pos_ < out_.size()) {
    auto len = out_.size() - out_pos_;
    if (ssl_ != nullptr)
      len = std::min(len, tls_write_slice);
    size_t put = 0;
    auto status = write_some(out_.data() + out_pos_, len, put);
    if (status == io_status::ok) {
      out_pos_ += put;
      last_write_ = last_activity_ = loop_clock::now();
    } else if (status == io_status::would_block) {
      break;
    } else {
      close(stream_end::peer_gone);
      return;
    }
  }
  if (out_pos_ == out_.size()) {
    out_.clear();
    out_pos_ = 0;
  } else if (out_pos_ >= 1024 * 1024) {
    out_.erase(0, out_pos_);
    out_pos_ = 0;
  }
  publish_buffered();
}

void connection::after_progress() {
  if (dead())
    return;
  do_write();
  if (dead())
    return;
  if (out_.empty() && !lingering_ && !current_
      && (close_after_write_ || read_closed_)) {
    start_linger();
    if (dead())
      return;
  }
  update_interest();
}

void connection::start_linger() {
  if (read_closed_) {
    close(stream_end::closed);
    return;
  }
  if (ssl_ != nullptr) {
    ERR_clear_error();
    SSL_shutdown(ssl_); // best effort close_notify
    ERR_clear_error();
  }
  ::shutdown(fd_, SHUT_WR);
  close_after_write_ = true;
  lingering_ = true;
  linger_deadline_ = loop_clock::now() + linger_time;
}

void connection::on_peer_eof() {
  read_closed_ = true;
  if (lingering_ || streaming_) {
    close(stream_end::peer_gone);
    return;
  }
  // Half-closed: pending answers are still delivered; `after_progress`
  // closes once nothing is in flight and the output is flushed.
  if (current_)
    current_->peer_gone.store(true);
}

bool connection::read_paused() const noexcept {
  return read_closed_ || close_after_write_
         || (current_ && parser_.buffered() >= st_.opts.max_header_bytes);
}

void connection::update_interest() {
  if (dead())
    return;
  uint32_t want = 0;
  if (!read_closed_) {
    want |= EPOLLRDHUP;
    if (lingering_ || !read_paused())
      want |= EPOLLIN;
  }
  if (write_wants_read_)
    want |= EPOLLIN;
  if ((out_pos_ < out_.size() && !write_wants_read_) || read_wants_write_)
    want |= EPOLLOUT;
  if (want == interest_)
    return;
  epoll_event ev{};
  ev.events = want;
  ev.data.u64 = id_;
  if (::epoll_ctl(st_.epoll_fd, EPOLL_CTL_MOD, fd_, &ev) == 0)
    interest_ = want;
}

void connection::publish_buffered() {
  if (current_ && streaming_)
    current_->buffered_bytes.store(out_.size() - out_pos_);
}

void connection::append_out(std::string_view bytes) {
  if (out_pos_ == out_.size())
    last_write_ = loop_clock::now();
  out_.append(bytes);
}

// -- requests -----------------------------------------------------------------

void connection::process_input() {
  while (!dead() && !current_ && !close_after_write_ && !lingering_) {
    server_request req;
    switch (parser_.next(req)) {
      case request_parser::state::incomplete:
        return;
      case request_parser::state::expect_continue:
        append_out("HTTP/1.1 100 Continue\r\n\r\n");
        break;
      case request_parser::state::error:
        send_error(parser_.error_status(), parser_.error_reason());
        return;
      case request_parser::state::complete:
        dispatch(std::move(req));
        break;
    }
  }
}

void connection::dispatch(server_request req) {
  if (ssl_ != nullptr && !identity_known_) {
    identity_ = read_peer_identity(ssl_);
    identity_known_ = true;
  }
  req.remote_address = remote_;
  req.tls = ssl_ != nullptr;
  req.peer = identity_;
  keep_alive_ = req.keep_alive();
  head_ = req.method == "HEAD";
  minor_ = req.version_minor;
  auto ex = std::make_shared<exchange>();
  ex->core = st_.core;
  ex->conn_id = id_;
  current_ = ex;
  try {
    st_.handler(std::move(req), responder{ex});
  } catch (const std::exception& e) {
    log::error("request handler threw", {log::kv("server", st_.opts.name),
                                          log::kv("what", e.what())});
  } catch (...) {
    log::error("request handler threw", {log::kv("server", st_.opts.name)});
  }
}

void connection::send_error(int status, std::string_view reason) {
  log::info(2, "rejecting request",
            {log::kv("server", st_.opts.name), log::kv("remote", remote_),
             log::kv("status", status), log::kv("reason", reason)});
  std::string body{reason_phrase(status)};
  body += ": ";
  body += reason;
  body += '\n';
  head_ = false;
  queue_response(server_response::text(status, std::move(body)), false, true);
}

void connection::queue_response(const server_response& res, bool head,
                                bool close) {
  int status = res.status;
  if (status < 200 || status > 599) {
    log::error("handler answered with an invalid status",
               {log::kv("server", st_.opts.name), log::kv("status", status)});
    status = 500;
  }
  close = close || has_header_token(res.headers, "Connection", "close");
  std::string msg;
  msg.reserve(256 + (head ? 0 : res.body.size()));
  append_status_line(msg, status);
  append_headers(msg, res.headers);
  bool no_body = status == 204 || status == 304;
  if (!no_body) {
    msg += "Content-Length: ";
    msg += std::to_string(res.body.size());
    msg += "\r\n";
  }
  if (close)
    msg += "Connection: close\r\n";
  else if (minor_ == 0)
    msg += "Connection: keep-alive\r\n";
  msg += "\r\n";
  if (!head && !no_body)
    msg += res.body;
  append_out(msg);
  if (close)
    close_after_write_ = true;
}

void connection::queue_stream_head(const server_response& head) {
  int status = head.status;
  if (status < 200 || status > 599 || status == 204 || status == 304)
    status = 500;
  chunked_ = minor_ >= 1;
  if (!chunked_ || has_header_token(head.headers, "Connection", "close"))
    keep_alive_ = false;
  std::string msg;
  append_status_line(msg, status);
  append_headers(msg, head.headers);
  if (chunked_)
    msg += "Transfer-Encoding: chunked\r\n";
  if (!keep_alive_)
    msg += "Connection: close\r\n";
  msg += "\r\n";
  append_out(msg);
}

void connection::end_exchange(stream_end why) {
  auto ex = std::move(current_);
  current_.reset();
  if (streaming_) {
    streaming_ = false;
    st_.stream_count.fetch_sub(1);
  }
  if (ex) {
    ex->buffered_bytes.store(0);
    ex->finish(why);
  }
}

// -- commands -----------------------------------------------------------------

void connection::apply(command& cmd) {
  if (cmd.kind == command_kind::write)
    cmd.ex->queued_bytes.fetch_sub(cmd.data.size());
  if (dead() || !current_ || cmd.ex != current_)
    return; // the exchange already ended
  switch (cmd.kind) {
    case command_kind::respond:
    case command_kind::abandon:
      if (streaming_)
        return;
      if (cmd.kind == command_kind::respond)
        queue_response(cmd.response, head_, !keep_alive_);
      else
        queue_response(
          server_response::text(500, "the request handler gave no answer\n"),
          head_, !keep_alive_);
      end_exchange(stream_end::closed);
      process_input();
      break;
    case command_kind::start_stream:
      if (streaming_)
        return;
      queue_stream_head(cmd.response);
      if (head_) {
        if (!keep_alive_)
          close_after_write_ = true;
        end_exchange(stream_end::closed);
        process_input();
        break;
      }
      streaming_ = true;
      st_.stream_count.fetch_add(1);
      break;
    case command_kind::write:
      if (!streaming_)
        return;
      if (chunked_) {
        char size[24];
        std::snprintf(size, sizeof(size), "%zx\r\n", cmd.data.size());
        append_out(size);
        append_out(cmd.data);
        append_out("\r\n");
      } else {
        append_out(cmd.data);
      }
      if (out_.size() - out_pos_ > st_.opts.max_stream_buffer) {
        log::warning("aborting stream: client does not read",
                     {log::kv("server", st_.opts.name),
                      log::kv("remote", remote_),
                      log::kv("buffered", out_.size() - out_pos_)});
        close(stream_end::aborted);
        return;
      }
      break;
    case command_kind::close_stream:
      if (!streaming_)
        return;
      if (chunked_)
        append_out("0\r\n\r\n");
      if (!chunked_ || !keep_alive_)
        close_after_write_ = true;
      end_exchange(stream_end::closed);
      process_input();
      break;
    case command_kind::abort_stream:
      close(stream_end::aborted);
      return;
    case command_kind::abort_all_streams:
      return;
  }
  if (!dead() && !current_ && ssl_ != nullptr && SSL_has_pending(ssl_)
      && !read_paused())
    do_read(); // decrypted bytes wait inside OpenSSL; epoll will not tell
  after_progress();
}

void connection::abort_stream() {
  if (streaming_)
    close(stream_end::aborted);
}

void connection::close(stream_end why) {
  if (dead())
    return;
  if (current_)
    end_exchange(why);
  ::epoll_ctl(st_.epoll_fd, EPOLL_CTL_DEL, fd_, nullptr);
  if (ssl_ != nullptr) {
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  ::close(fd_);
  fd_ = -1;
  st_.connection_count.fetch_sub(1);
}

void connection::check_timeouts(loop_clock::time_point now) {
  if (dead())
    return;
  if (lingering_) {
    if (now >= linger_deadline_)
      close(stream_end::closed);
    return;
  }
  auto limit = st_.opts.idle_timeout;
  if (out_pos_ < out_.size()) {
    if (now - last_write_ > limit) {
      log::info(1, "closing connection: client stopped reading",
                {log::kv("server", st_.opts.name), log::kv("remote", remote_)});
      close(stream_end::peer_gone);
    }
    return;
  }
  if (!current_ && now - last_activity_ > limit)
    close(stream_end::closed);
}

} // namespace cafelet::net::detail
