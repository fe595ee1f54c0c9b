#include "net/server/http_server.hpp"

#include "messages/errors.hpp"
#include "messages/log.hpp"
#include "net/server/connection.hpp"

#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <pthread.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

namespace cafelet::net {

namespace {

constexpr uint64_t listener_tag = 0;
constexpr uint64_t wake_tag = 1;

/// Renders a socket address as "host:port" ("[v6]:port").
std::string render_address(const sockaddr_storage& ss, std::string* host_only,
                           uint16_t* port_only) {
  char buf[INET6_ADDRSTRLEN] = {0};
  uint16_t port = 0;
  bool v6 = false;
  if (ss.ss_family == AF_INET) {
    const auto& sin = reinterpret_cast<const sockaddr_in&>(ss);
    ::inet_ntop(AF_INET, &sin.sin_addr, buf, sizeof(buf));
    port = ntohs(sin.sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(ss);
    ::inet_ntop(AF_INET6, &sin6.sin6_addr, buf, sizeof(buf));
    port = ntohs(sin6.sin6_port);
    v6 = true;
  }
  if (host_only != nullptr)
    *host_only = buf;
  if (port_only != nullptr)
    *port_only = port;
  std::string out = v6 ? "[" + std::string{buf} + "]" : std::string{buf};
  return out + ":" + std::to_string(port);
}

/// Creates a listening socket for `host:port`.
caf::expected<int> listen_on(const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  auto service = std::to_string(port);
  int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(),
                         service.c_str(), &hints, &res);
  if (rc != 0)
    return make_error(errc::invalid_config,
                      "cannot resolve listen address " + host + ": "
                        + ::gai_strerror(rc));
  std::string last_error = "no usable address";
  int fd = -1;
  for (auto* ai = res; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                  ai->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ai->ai_family == AF_INET6)
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0
        || ::listen(fd, SOMAXCONN) != 0) {
      last_error = std::strerror(errno);
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(res);
  if (fd < 0)
    return make_error(errc::io_error, "cannot listen on " + host + ":"
                                        + service + ": " + last_error);
  return fd;
}

void accept_all(detail::loop_state& st) {
  for (;;) {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    int fd = ::accept4(st.listen_fd, reinterpret_cast<sockaddr*>(&ss), &len,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS
          || errno == ENOMEM) {
        // The listener stays readable: stop watching it until the next
        // timeout sweep instead of spinning.
        log::warning("accept failed, pausing", {log::kv("server", st.opts.name),
                                                log::kv("error", std::strerror(errno))});
        ::epoll_ctl(st.epoll_fd, EPOLL_CTL_DEL, st.listen_fd, nullptr);
        st.accept_paused = true;
      } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
        log::warning("accept failed", {log::kv("server", st.opts.name),
                                       log::kv("error", std::strerror(errno))});
      }
      return;
    }
    if (st.conns.size() >= st.opts.max_connections) {
      log::warning("too many connections, refusing one",
                   {log::kv("server", st.opts.name)});
      ::close(fd);
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    SSL* ssl = nullptr;
    if (st.tls) {
      ssl = SSL_new(st.tls->native());
      if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1) {
        log::error("cannot set up TLS for a connection",
                   {log::kv("server", st.opts.name),
                    log::kv("error", openssl_errors())});
        SSL_free(ssl);
        ::close(fd);
        continue;
      }
      SSL_set_accept_state(ssl);
    }
    auto id = st.next_id++;
    auto conn = std::make_unique<detail::connection>(
      st, id, fd, render_address(ss, nullptr, nullptr), ssl);
    if (!conn->dead())
      st.conns.emplace(id, std::move(conn));
  }
}

void apply_command(detail::loop_state& st, detail::command& cmd) {
  if (cmd.kind == detail::command_kind::abort_all_streams) {
    for (auto& [id, conn] : st.conns)
      conn->abort_stream();
    return;
  }
  auto i = st.conns.find(cmd.ex->conn_id);
  if (i == st.conns.end()) {
    if (cmd.kind == detail::command_kind::write)
      cmd.ex->queued_bytes.fetch_sub(cmd.data.size());
    return;
  }
  i->second->apply(cmd);
}

void drain_commands(detail::loop_state& st) {
  for (;;) {
    auto cmds = st.core->take();
    if (cmds.empty())
      return;
    for (auto& cmd : cmds)
      apply_command(st, cmd);
  }
}

void reap(detail::loop_state& st) {
  std::erase_if(st.conns, [](const auto& kv) { return kv.second->dead(); });
}

} // namespace

caf::expected<std::unique_ptr<http_server>>
http_server::start(server_options opts, request_handler handler) {
  if (!handler)
    return make_error(errc::invalid_config, "http_server needs a handler");
  auto st = std::make_unique<detail::loop_state>();
  if (opts.tls) {
    auto ctx = tls_context::make(*opts.tls);
    if (!ctx)
      return std::move(ctx.error());
    st->tls = std::move(*ctx);
  }
  st->core = std::make_shared<detail::server_core>();
  if (!st->core->valid())
    return make_error(errc::io_error, "eventfd failed");
  auto fd = listen_on(opts.host, opts.port);
  if (!fd)
    return std::move(fd.error());
  st->listen_fd = *fd;
  std::unique_ptr<http_server> srv{new http_server};
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  ::getsockname(st->listen_fd, reinterpret_cast<sockaddr*>(&ss), &len);
  render_address(ss, &srv->address_, &srv->port_);
  st->epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (st->epoll_fd < 0) {
    ::close(st->listen_fd);
    return make_error(errc::io_error, "epoll_create1 failed");
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = listener_tag;
  ::epoll_ctl(st->epoll_fd, EPOLL_CTL_ADD, st->listen_fd, &ev);
  ev.data.u64 = wake_tag;
  ::epoll_ctl(st->epoll_fd, EPOLL_CTL_ADD, st->core->wake_fd(), &ev);
  st->opts = std::move(opts);
  st->handler = std::move(handler);
  srv->core_ = st->core;
  srv->tls_ = st->tls != nullptr;
  srv->state_ = std::move(st);
  log::info(1, "http server listening",
            {log::kv("server", srv->state_->opts.name),
             log::kv("url", srv->url())});
  auto* raw = srv.get();
  srv->thread_ = std::thread{[raw] { raw->run(); }};
  srv->core_->set_loop_thread(srv->thread_.get_id());
  return srv;
}

http_server::~http_server() {
  if (std::this_thread::get_id() == core_->loop_thread()) {
    log::error("http_server destroyed by its own handler");
    std::abort();
  }
  stop();
}

std::string http_server::url() const {
  std::string host = address_.find(':') != std::string::npos
                       ? "[" + address_ + "]"
                       : address_;
  return (tls_ ? "https://" : "http://") + host + ":" + std::to_string(port_);
}

void http_server::abort_streams() {
  core_->post(detail::command{detail::command_kind::abort_all_streams, nullptr,
                              {}, {}});
}

size_t http_server::connection_count() const noexcept {
  return state_->connection_count.load();
}

size_t http_server::stream_count() const noexcept {
  return state_->stream_count.load();
}

void http_server::stop() {
  auto request_stop = [this] {
    stopping_.store(true);
    uint64_t one = 1;
    while (::write(core_->wake_fd(), &one, sizeof(one)) < 0 && errno == EINTR) {
    }
  };
  if (std::this_thread::get_id() == core_->loop_thread()) {
    request_stop(); // from a handler: cannot join itself
    return;
  }
  std::lock_guard<std::mutex> guard{stop_mtx_};
  if (!thread_.joinable())
    return;
  request_stop();
  thread_.join();
}

void http_server::run() {
  auto& st = *state_;
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &block, nullptr);
  core_->set_loop_thread(std::this_thread::get_id());
  using namespace std::chrono;
  auto interval = std::clamp(duration_cast<milliseconds>(st.opts.idle_timeout) / 4,
                             milliseconds{10}, milliseconds{1000});
  auto next_sweep = detail::loop_clock::now() + interval;
  epoll_event events[64];
  while (!stopping_.load()) {
    auto wait_ms = duration_cast<milliseconds>(next_sweep
                                               - detail::loop_clock::now());
    int n = ::epoll_wait(st.epoll_fd, events, 64,
                         static_cast<int>(std::max<int64_t>(0, wait_ms.count())));
    if (n < 0 && errno != EINTR) {
      log::error("epoll_wait failed", {log::kv("server", st.opts.name),
                                       log::kv("error", std::strerror(errno))});
      break;
    }
    for (int i = 0; i < n; ++i) {
      auto tag = events[i].data.u64;
      if (tag == listener_tag) {
        accept_all(st);
      } else if (tag != wake_tag) {
        if (auto c = st.conns.find(tag); c != st.conns.end())
          c->second->on_event(events[i].events);
      }
    }
    auto now = detail::loop_clock::now();
    if (now >= next_sweep) {
      for (auto& [id, conn] : st.conns)
        conn->check_timeouts(now);
      next_sweep = now + interval;
      if (st.accept_paused) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = listener_tag;
        if (::epoll_ctl(st.epoll_fd, EPOLL_CTL_ADD, st.listen_fd, &ev) == 0)
          st.accept_paused = false;
      }
    }
    drain_commands(st);
    reap(st);
  }
  core_->close();
  for (auto& [id, conn] : st.conns)
    conn->close(stream_end::server_stopped);
  st.conns.clear();
  ::close(st.listen_fd);
  ::close(st.epoll_fd);
  log::info(1, "http server stopped", {log::kv("server", st.opts.name)});
}

} // namespace cafelet::net
