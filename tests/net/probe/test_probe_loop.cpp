// Tests of the HTTP GET and TCP connect probers (net/probe/probe_loop.hpp)
// against servers on loopback: a small HTTP/1.1 server (optionally TLS with
// a self-signed certificate made here with OpenSSL), a server that accepts
// and never answers, and closed ports.

#include "net/probe/probe_loop.hpp"

#include "messages/log.hpp"

#include <doctest/doctest.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace cafelet::net::probe;
using namespace std::chrono_literals;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace {

// -- sockets ------------------------------------------------------------------

/// A listening TCP socket on 127.0.0.1 (or ::1) with an ephemeral port.
class listener {
public:
  explicit listener(bool ipv6 = false) {
    fd_ = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    int rc = -1;
    if (ipv6) {
      sockaddr_in6 sa{};
      sa.sin6_family = AF_INET6;
      sa.sin6_addr = in6addr_loopback;
      rc = ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
    } else {
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      rc = ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
    }
    if (rc != 0 || ::listen(fd_, 1024) != 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
    port_ = ntohs(ipv6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                       : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  }

  ~listener() {
    if (fd_ >= 0)
      ::close(fd_);
  }

  listener(const listener&) = delete;
  listener& operator=(const listener&) = delete;

  bool ok() const {
    return fd_ >= 0;
  }

  int fd() const {
    return fd_;
  }

  uint16_t port() const {
    return port_;
  }

private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

/// A port on 127.0.0.1 that nobody listens on.
uint16_t closed_port() {
  listener l;
  return l.port(); // closed when `l` goes away
}

size_t open_fds() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator{"/proc/self/fd"})
    ++n;
  return n;
}

/// Runs a function on its own thread for each accepted connection, one at a
/// time, until destroyed (an eventfd wakes the accept loop).
class accept_loop {
public:
  using handler = std::function<void(int fd)>;

  accept_loop(const listener& l, handler h)
    : listen_fd_(l.fd()), handler_(std::move(h)) {
    stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
    thread_ = std::thread{[this] { run(); }};
  }

  ~accept_loop() {
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(stop_fd_, &one, sizeof(one));
    thread_.join();
    ::close(stop_fd_);
  }

  accept_loop(const accept_loop&) = delete;
  accept_loop& operator=(const accept_loop&) = delete;

private:
  void run() {
    for (;;) {
      pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0)
        continue;
      if (fds[1].revents != 0)
        return;
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0)
        handler_(fd);
    }
  }

  int listen_fd_;
  int stop_fd_ = -1;
  handler handler_;
  std::thread thread_;
};

/// A listener on 127.0.0.1 whose accept queue is full: the kernel drops
/// further SYNs, so connecting to it hangs until the client gives up.
class full_listener {
public:
  full_listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0
        || ::listen(fd_, 0) != 0)
      return;
    socklen_t len = sizeof(sa);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
    // backlog 0 holds one connection; this one fills the queue
    filler_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ok_ = ::connect(filler_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0;
  }

  ~full_listener() {
    if (filler_ >= 0)
      ::close(filler_);
    ::close(fd_);
  }

  full_listener(const full_listener&) = delete;
  full_listener& operator=(const full_listener&) = delete;

  bool ok() const {
    return ok_;
  }

  uint16_t port() const {
    return port_;
  }

private:
  int fd_ = -1;
  int filler_ = -1;
  bool ok_ = false;
  uint16_t port_ = 0;
};

// -- TLS ----------------------------------------------------------------------

/// A server TLS context with a fresh self-signed P-256 certificate.
struct tls_context {
  SSL_CTX* ctx = nullptr;

  tls_context() {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(
                                 "probe-test"),
                               -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_sign(cert, key, EVP_sha256());
    ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(ctx, cert);
    SSL_CTX_use_PrivateKey(ctx, key);
    X509_free(cert);
    EVP_PKEY_free(key);
  }

  ~tls_context() {
    SSL_CTX_free(ctx);
  }

  tls_context(const tls_context&) = delete;
  tls_context& operator=(const tls_context&) = delete;
};

// -- HTTP server --------------------------------------------------------------

/// Builds an HTTP/1.1 response that closes the connection.
std::string response(int code, const std::string& body,
                     const std::string& extra_headers = {}) {
  return "HTTP/1.1 " + std::to_string(code) + " Whatever\r\nContent-Length: "
         + std::to_string(body.size())
         + "\r\nContent-Type: text/plain\r\nConnection: close\r\n"
         + extra_headers + "\r\n" + body;
}

/// A sequential HTTP/1.1 server (TLS if given a context): reads a request
/// head, records it, answers with what the handler returns, closes.
class http_server {
public:
  using handler = std::function<std::string(const std::string& path)>;

  explicit http_server(handler h, SSL_CTX* tls = nullptr)
    : handler_(std::move(h)), tls_(tls),
      loop_(listener_, [this](int fd) { serve(fd); }) {
    std::signal(SIGPIPE, SIG_IGN);
  }

  uint16_t port() const {
    return listener_.port();
  }

  std::vector<std::string> requests() const {
    std::lock_guard guard{mtx_};
    return requests_;
  }

private:
  void serve(int fd) {
    timeval tv{5, 0}; // a stuck client must not stall the test for long
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    SSL* ssl = nullptr;
    if (tls_ != nullptr) {
      ssl = SSL_new(tls_);
      SSL_set_fd(ssl, fd);
      if (SSL_accept(ssl) != 1) {
        SSL_free(ssl);
        ::close(fd);
        return;
      }
    }
    auto recv_some = [&](char* buf, int len) {
      return ssl != nullptr ? SSL_read(ssl, buf, len)
                            : static_cast<int>(::recv(fd, buf, len, 0));
    };
    std::string req;
    char buf[4096];
    while (req.find("\r\n\r\n") == std::string::npos) {
      int n = recv_some(buf, sizeof(buf));
      if (n <= 0)
        break;
      req.append(buf, static_cast<size_t>(n));
    }
    if (req.find("\r\n\r\n") != std::string::npos) {
      {
        std::lock_guard guard{mtx_};
        requests_.push_back(req);
      }
      auto sp1 = req.find(' ');
      auto sp2 = req.find(' ', sp1 + 1);
      auto rsp = handler_(req.substr(sp1 + 1, sp2 - sp1 - 1));
      size_t off = 0;
      while (off < rsp.size()) {
        auto left = rsp.size() - off;
        int n = ssl != nullptr
                  ? SSL_write(ssl, rsp.data() + off, static_cast<int>(left))
                  : static_cast<int>(::send(fd, rsp.data() + off, left,
                                            MSG_NOSIGNAL));
        if (n <= 0)
          break; // the prober stopped reading (body over 10 KiB)
        off += static_cast<size_t>(n);
      }
    }
    if (ssl != nullptr) {
      SSL_shutdown(ssl);
      SSL_free(ssl);
    }
    ::close(fd);
  }

  handler handler_;
  SSL_CTX* tls_;
  mutable std::mutex mtx_;
  std::vector<std::string> requests_;
  listener listener_;
  accept_loop loop_; // last: stops before the members above go away
};

/// Returns the values of header `name` (exact case) in a request head.
std::vector<std::string> header_values(const std::string& req,
                                       const std::string& name) {
  std::vector<std::string> out;
  auto key = "\r\n" + name + ": ";
  for (auto pos = req.find(key); pos != std::string::npos;
       pos = req.find(key, pos + 1)) {
    auto start = pos + key.size();
    out.push_back(req.substr(start, req.find("\r\n", start) - start));
  }
  return out;
}

/// Accepts connections and never answers; counts them.
class silent_server {
public:
  silent_server() {
    loop_ = std::make_unique<accept_loop>(listener_, [this](int fd) {
      std::lock_guard guard{mtx_};
      fds_.push_back(fd);
      cv_.notify_all();
    });
  }

  ~silent_server() {
    loop_.reset(); // no more accepts
    std::lock_guard guard{mtx_};
    for (int fd : fds_)
      ::close(fd);
  }

  uint16_t port() const {
    return listener_.port();
  }

  bool wait_accepted(size_t n) {
    std::unique_lock guard{mtx_};
    return cv_.wait_for(guard, 10s, [&] { return fds_.size() >= n; });
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<int> fds_;
  listener listener_;
  std::unique_ptr<accept_loop> loop_;
};

// -- probe helpers ------------------------------------------------------------

std::unique_ptr<probe_loop> make_loop() {
  auto loop = probe_loop::make();
  REQUIRE(loop);
  return std::move(*loop);
}

/// Receives one outcome; `wait` gives up after a generous bound.
struct outcome_slot {
  std::shared_ptr<std::promise<probe_outcome>> promise
    = std::make_shared<std::promise<probe_outcome>>();
  std::future<probe_outcome> future = promise->get_future();

  probe_callback callback() {
    return [p = promise](probe_outcome out) { p->set_value(std::move(out)); };
  }

  probe_outcome wait() {
    REQUIRE(future.wait_for(15s) == std::future_status::ready);
    return future.get();
  }
};

http_probe_request get(uint16_t port, std::string path) {
  http_probe_request req;
  req.host = "127.0.0.1";
  req.port = port;
  req.path = std::move(path);
  req.timeout = 5s;
  return req;
}

probe_outcome run(probe_loop& loop, http_probe_request req) {
  outcome_slot slot;
  loop.http_get(std::move(req), slot.callback());
  return slot.wait();
}

probe_outcome run(probe_loop& loop, tcp_probe_request req) {
  outcome_slot slot;
  loop.tcp_connect(std::move(req), slot.callback());
  return slot.wait();
}

std::string url(uint16_t port, const std::string& path) {
  return "http://127.0.0.1:" + std::to_string(port) + path;
}

} // namespace

// -- HTTP ---------------------------------------------------------------------

TEST_CASE("HTTP 200 is a success with the body as output") {
  http_server srv{[](const std::string&) { return response(200, "ok body"); }};
  auto loop = make_loop();
  auto out = run(*loop, get(srv.port(), "/healthz"));
  CHECK(out.result == probe_result::success);
  CHECK(out.output == "ok body");
  REQUIRE(srv.requests().size() == 1);
  CHECK(srv.requests()[0].starts_with("GET /healthz HTTP/1.1\r\n"));
  CHECK(loop->in_flight() == 0);
}

TEST_CASE("an empty path requests / and a missing leading slash is added") {
  http_server srv{[](const std::string& path) { return response(200, path); }};
  auto loop = make_loop();
  CHECK(run(*loop, get(srv.port(), "")).output == "/");
  CHECK(run(*loop, get(srv.port(), "ready?full=1")).output == "/ready?full=1");
}

TEST_CASE("HTTP 500 is a failure with upstream's text and without the body") {
  http_server srv{[](const std::string&) { return response(500, "secret"); }};
  auto loop = make_loop();
  auto out = run(*loop, get(srv.port(), "/healthz"));
  CHECK(out.result == probe_result::failure);
  CHECK(out.output == "HTTP probe failed with statuscode: 500");
}

TEST_CASE("a redirect to the same host is followed") {
  http_server srv{[](const std::string& path) {
    if (path == "/start")
      return response(302, "moving", "Location: /final\r\n");
    return response(200, "arrived at " + path);
  }};
  auto loop = make_loop();
  auto out = run(*loop, get(srv.port(), "/start"));
  CHECK(out.result == probe_result::success);
  CHECK(out.output == "arrived at /final");
  auto reqs = srv.requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[1].starts_with("GET /final HTTP/1.1\r\n"));
  CHECK(header_values(reqs[1], "Referer")
        == std::vector<std::string>{url(srv.port(), "/start")});
  CHECK(header_values(reqs[1], "User-Agent")
        == std::vector<std::string>{"kube-probe/1.32"});
}

TEST_CASE("a redirect to another host is not followed: warning with the body") {
  uint16_t port = 0;
  http_server srv{[&port](const std::string&) {
    return response(301, "gone elsewhere",
                    "Location: http://localhost:" + std::to_string(port)
                      + "/x\r\n");
  }};
  port = srv.port();
  auto loop = make_loop();
  auto out = run(*loop, get(srv.port(), "/healthz"));
  CHECK(out.result == probe_result::warning);
  CHECK(out.output
        == "Probe terminated redirects, Response body: gone elsewhere");
  CHECK(srv.requests().size() == 1);
}

TEST_CASE("a 3xx without Location is a warning") {
  http_server srv{[](const std::string&) { return response(304, ""); }};
  auto loop = make_loop();
  auto out = run(*loop, get(srv.port(), "/"));
  CHECK(out.result == probe_result::warning);
  CHECK(out.output == "Probe terminated redirects, Response body: ");
}

TEST_CASE("a redirect loop fails after 10 requests") {
  http_server srv{[](const std::string&) {
    return response(302, "", "Location: /loop\r\n");
  }};
  auto loop = make_loop();
  auto out = run(*loop, get(srv.port(), "/healthz"));
  CHECK(out.result == probe_result::failure);
  CHECK(out.output == "Get \"/loop\": stopped after 10 redirects");
  CHECK(srv.requests().size() == 10);
}

TEST_CASE("custom headers and the Host override reach the server") {
  http_server srv{[](const std::string&) { return response(200, "ok"); }};
  auto loop = make_loop();
  auto req = get(srv.port(), "/healthz");
  req.headers = {{"x-custom", "one"},
                 {"X-Custom", "two"},
                 {"Host", "example.test"},
                 {"user-agent", "my-agent/2"},
                 {"Accept", "application/json"},
                 {"X-Empty", ""}};
  CHECK(run(*loop, req).result == probe_result::success);
  REQUIRE(srv.requests().size() == 1);
  auto head = srv.requests()[0];
  using strings = std::vector<std::string>;
  CHECK(header_values(head, "Host") == strings{"example.test"});
  CHECK(header_values(head, "X-Custom") == strings{"one", "two"});
  CHECK(header_values(head, "User-Agent")
        == std::vector<std::string>{"my-agent/2"});
  CHECK(header_values(head, "Accept")
        == std::vector<std::string>{"application/json"});
  CHECK(head.find("\r\nX-Empty:") != std::string::npos);
  CHECK(head.find("kube-probe") == std::string::npos);
}

TEST_CASE("default User-Agent and Accept, no keep-alive, no compression") {
  http_server srv{[](const std::string&) { return response(200, "ok"); }};
  auto loop = make_loop();
  auto out = run(*loop, get(srv.port(), "/healthz"));
  CHECK(out.result == probe_result::success);
  REQUIRE(srv.requests().size() == 1);
  auto head = srv.requests()[0];
  CHECK(header_values(head, "Host")
        == std::vector<std::string>{"127.0.0.1:" + std::to_string(srv.port())});
  CHECK(header_values(head, "User-Agent")
        == std::vector<std::string>{"kube-probe/1.32"});
  CHECK(header_values(head, "Accept") == std::vector<std::string>{"*/*"});
  CHECK(header_values(head, "Connection") == std::vector<std::string>{"close"});
  CHECK(head.find("Accept-Encoding") == std::string::npos);
}

TEST_CASE("an empty Accept header sends none") {
  http_server srv{[](const std::string&) { return response(200, "ok"); }};
  auto loop = make_loop();
  auto req = get(srv.port(), "/");
  req.headers = {{"Accept", ""}};
  CHECK(run(*loop, req).result == probe_result::success);
  REQUIRE(srv.requests().size() == 1);
  CHECK(srv.requests()[0].find("Accept") == std::string::npos);
}

TEST_CASE("a body over 10 KiB is truncated and still a success") {
  std::string big(30 * 1024, 'x');
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>('a' + i % 26);
  http_server srv{[&big](const std::string&) { return response(200, big); }};
  auto loop = make_loop();
  auto out = run(*loop, get(srv.port(), "/big"));
  CHECK(out.result == probe_result::success);
  CHECK(out.output.size() == max_probe_output);
  CHECK(out.output == big.substr(0, max_probe_output));
}

TEST_CASE("a server that never answers costs the attempt its timeout") {
  silent_server srv;
  auto loop = make_loop();
  auto req = get(srv.port(), "/healthz");
  req.timeout = 300ms;
  auto t0 = steady_clock::now();
  auto out = run(*loop, req);
  auto took = steady_clock::now() - t0;
  CHECK(out.result == probe_result::failure);
  CHECK(out.output
        == "Get \"" + url(srv.port(), "/healthz")
             + "\": context deadline exceeded (Client.Timeout exceeded while "
               "awaiting headers)");
  CHECK(took >= 300ms);
  CHECK(took < 1300ms);
}

TEST_CASE("a connect that gets no answer costs the attempt its timeout") {
  full_listener full;
  REQUIRE(full.ok());
  auto loop = make_loop();
  auto req = get(full.port(), "/healthz");
  req.timeout = 300ms;
  auto t0 = steady_clock::now();
  auto out = run(*loop, req);
  auto took = steady_clock::now() - t0;
  CHECK(out.result == probe_result::failure);
  CHECK(out.output
        == "Get \"" + url(full.port(), "/healthz")
             + "\": context deadline exceeded (Client.Timeout exceeded while "
               "awaiting headers)");
  CHECK(took >= 300ms);
  CHECK(took < 1300ms);
}

TEST_CASE("hanging servers delay no other attempt") {
  silent_server hang;
  http_server srv{[](const std::string&) { return response(200, "quick"); }};
  auto loop = make_loop();
  constexpr size_t n = 100;
  std::atomic<size_t> hung_done{0};
  for (size_t i = 0; i < n; ++i) {
    auto req = get(hang.port(), "/hang");
    req.timeout = 10s;
    loop->http_get(req, [&hung_done](probe_outcome) { ++hung_done; });
  }
  REQUIRE(hang.wait_accepted(n)); // all of them wait for an answer
  auto out = run(*loop, get(srv.port(), "/"));
  CHECK(out.result == probe_result::success);
  CHECK(hung_done.load() == 0);
  CHECK(loop->in_flight() == n);
  loop.reset(); // cancels the hung ones
  CHECK(hung_done.load() == n);
}

TEST_CASE("an error while reading the body makes the outcome unknown") {
  http_server srv{[](const std::string&) {
    return std::string{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"};
  }};
  auto loop = make_loop();
  auto out = run(*loop, get(srv.port(), "/"));
  CHECK(out.result == probe_result::unknown);
  CHECK(out.output == "unexpected EOF");
}

TEST_CASE("connection refused is a failure in Go's words") {
  auto port = closed_port();
  auto loop = make_loop();
  auto out = run(*loop, get(port, "/healthz"));
  CHECK(out.result == probe_result::failure);
  CHECK(out.output
        == "Get \"" + url(port, "/healthz") + "\": dial tcp 127.0.0.1:"
             + std::to_string(port) + ": connect: connection refused");
}

TEST_CASE("HTTPS against a self-signed server succeeds without verification") {
  tls_context tls;
  http_server srv{[](const std::string&) { return response(200, "secure ok"); },
                  tls.ctx};
  auto loop = make_loop();
  auto req = get(srv.port(), "/healthz");
  req.scheme = "HTTPS";
  auto out = run(*loop, req);
  CHECK(out.result == probe_result::success);
  CHECK(out.output == "secure ok");
  CHECK(srv.requests().size() == 1);
}

TEST_CASE("HTTPS against a plain HTTP server is a failure") {
  listener l;
  accept_loop plain{l, [](int fd) { // answers in plain text at once
    auto rsp = response(400, "not TLS");
    [[maybe_unused]] auto n = ::send(fd, rsp.data(), rsp.size(), MSG_NOSIGNAL);
    ::close(fd);
  }};
  auto loop = make_loop();
  auto req = get(l.port(), "/healthz");
  req.scheme = "https";
  auto t0 = steady_clock::now();
  auto out = run(*loop, req);
  CHECK(steady_clock::now() - t0 < 2s); // not a timeout
  CHECK(out.result == probe_result::failure);
  CHECK(out.output.starts_with("Get \"https://127.0.0.1:"
                               + std::to_string(l.port()) + "/healthz\": "));
  CHECK(out.output.find("deadline") == std::string::npos);
}

TEST_CASE("IPv6 literals are bracketed") {
  listener probe6{true};
  if (!probe6.ok()) {
    MESSAGE("no IPv6 loopback here; skipped");
    return;
  }
  auto port = probe6.port();
  auto loop = make_loop();
  auto req = get(port, "/healthz");
  req.host = "::1";
  req.timeout = 2s;
  // the listener never accepts, but the kernel completes the handshake
  auto tcp = run(*loop, tcp_probe_request{"::1", port, 2s});
  CHECK(tcp.result == probe_result::success);
  auto refused = closed_port();
  req.port = refused;
  auto out = run(*loop, req);
  CHECK(out.result == probe_result::failure);
  CHECK(out.output.starts_with("Get \"http://[::1]:" + std::to_string(refused)
                               + "/healthz\": dial tcp [::1]:"));
}

TEST_CASE("invalid requests fail without being sent") {
  http_server srv{[](const std::string&) { return response(200, "ok"); }};
  auto loop = make_loop();
  auto req = get(srv.port(), "/healthz");
  req.scheme = "ftp";
  auto out = run(*loop, req);
  CHECK(out.result == probe_result::failure);
  CHECK(out.output
        == "Get \"ftp://127.0.0.1:" + std::to_string(srv.port())
             + "/healthz\": unsupported protocol scheme \"ftp\"");
  req = get(srv.port(), "/healthz");
  req.headers = {{"X-Bad", "a\r\nInjected: yes"}};
  out = run(*loop, req);
  CHECK(out.result == probe_result::failure);
  CHECK(out.output.ends_with(
    "net/http: invalid header field value for \"X-Bad\""));
  req.headers = {{"Bad Name", "x"}};
  out = run(*loop, req);
  CHECK(out.result == probe_result::failure);
  CHECK(out.output.ends_with(
    "net/http: invalid header field name \"Bad Name\""));
  CHECK(srv.requests().empty());
}

// -- TCP ----------------------------------------------------------------------

TEST_CASE("TCP connect to a listener succeeds with an empty output") {
  silent_server srv;
  auto loop = make_loop();
  auto out = run(*loop, tcp_probe_request{"127.0.0.1", srv.port(), 2s});
  CHECK(out.result == probe_result::success);
  CHECK(out.output.empty());
  CHECK(srv.wait_accepted(1));
}

TEST_CASE("TCP connect refused is a failure in Go's words") {
  auto port = closed_port();
  auto loop = make_loop();
  auto out = run(*loop, tcp_probe_request{"127.0.0.1", port, 2s});
  CHECK(out.result == probe_result::failure);
  CHECK(out.output
        == "dial tcp 127.0.0.1:" + std::to_string(port)
             + ": connect: connection refused");
}

TEST_CASE("TCP connect that gets no answer is an i/o timeout") {
  // A listener whose accept queue is full drops further SYNs: the connect
  // hangs as towards an unroutable address.
  full_listener full;
  REQUIRE(full.ok());
  auto loop = make_loop();
  auto t0 = steady_clock::now();
  auto out = run(*loop, tcp_probe_request{"127.0.0.1", full.port(), 300ms});
  auto took = steady_clock::now() - t0;
  CHECK(out.result == probe_result::failure);
  CHECK(out.output
        == "dial tcp 127.0.0.1:" + std::to_string(full.port())
             + ": i/o timeout");
  CHECK(took >= 300ms);
  CHECK(took < 1300ms);
}

TEST_CASE("TCP connect to a non-routable address ends within its timeout") {
  auto loop = make_loop();
  auto t0 = steady_clock::now();
  auto out = run(*loop, tcp_probe_request{"10.255.255.1", 80, 300ms});
  auto took = steady_clock::now() - t0;
  CHECK(took < 1300ms);
  if (out.result == probe_result::success) {
    MESSAGE("this sandbox accepts every outbound connection");
    return;
  }
  CHECK(out.result == probe_result::failure);
  CHECK(out.output.starts_with("dial tcp "));
  if (took >= 300ms)
    CHECK(out.output == "dial tcp 10.255.255.1:80: i/o timeout");
  else
    MESSAGE("no route in this sandbox: " << out.output);
}

// -- the loop -----------------------------------------------------------------

TEST_CASE("200 concurrent attempts against one server all complete") {
  auto loop = make_loop();
  auto fds_before = open_fds();
  {
    http_server srv{
      [](const std::string& path) { return response(200, path); }};
    silent_server tcp_srv;
    constexpr int n = 200;
    std::mutex mtx;
    std::condition_variable cv;
    int done = 0;
    int good = 0;
    std::atomic<bool> off_thread{true};
    auto main_id = std::this_thread::get_id();
    for (int i = 0; i < n; ++i) {
      auto path = "/p" + std::to_string(i);
      auto cb = [&, path](probe_outcome out) {
        if (std::this_thread::get_id() == main_id)
          off_thread = false;
        std::lock_guard guard{mtx};
        if (out.result == probe_result::success
            && (out.output == path || out.output.empty()))
          ++good;
        ++done;
        cv.notify_all();
      };
      if (i % 4 == 3)
        loop->tcp_connect(tcp_probe_request{"127.0.0.1", tcp_srv.port(), 10s},
                          cb);
      else
        loop->http_get(get(srv.port(), path), cb);
    }
    std::unique_lock guard{mtx};
    REQUIRE(cv.wait_for(guard, 30s, [&] { return done == n; }));
    CHECK(good == n);
    CHECK(off_thread.load());
    CHECK(loop->in_flight() == 0);
    CHECK(srv.requests().size() == 150);
  }
  CHECK(open_fds() == fds_before); // every probe connection is closed
}

TEST_CASE("callbacks run on the loop thread, named after the loop") {
  http_server srv{[](const std::string&) { return response(200, "ok"); }};
  auto loop = make_loop();
  std::promise<std::string> name;
  loop->http_get(get(srv.port(), "/"), [&name](probe_outcome) {
    char buf[16] = {};
    pthread_getname_np(pthread_self(), buf, sizeof(buf));
    name.set_value(buf);
  });
  auto f = name.get_future();
  REQUIRE(f.wait_for(15s) == std::future_status::ready);
  CHECK(f.get() == "probe-loop");
}

TEST_CASE("destroying the loop runs each pending callback once as cancelled") {
  silent_server srv;
  auto loop = make_loop();
  constexpr int n = 5;
  std::mutex mtx;
  std::vector<probe_outcome> outcomes;
  std::atomic<int> calls{0};
  for (int i = 0; i < n; ++i) {
    auto req = get(srv.port(), "/hang");
    req.timeout = 30s;
    loop->http_get(req, [&](probe_outcome out) {
      ++calls;
      std::lock_guard guard{mtx};
      outcomes.push_back(std::move(out));
    });
  }
  REQUIRE(srv.wait_accepted(n)); // all attempts are on the wire
  CHECK(loop->in_flight() == n);
  auto t0 = steady_clock::now();
  loop.reset();
  CHECK(steady_clock::now() - t0 < 5s);
  CHECK(calls.load() == n);
  for (const auto& out : outcomes) {
    CHECK(out.result == probe_result::unknown);
    CHECK(out.output == "cancelled");
  }
}

TEST_CASE("a throwing callback is logged and does not break the loop") {
  std::mutex mtx;
  std::string logged;
  cafelet::log::set_sink([&](std::string_view line) {
    std::lock_guard guard{mtx};
    logged += line;
  });
  http_server srv{[](const std::string&) { return response(200, "ok"); }};
  auto loop = make_loop();
  outcome_slot first;
  auto cb = first.callback();
  loop->http_get(get(srv.port(), "/"), [cb](probe_outcome out) {
    cb(std::move(out));
    throw std::runtime_error{"boom"};
  });
  CHECK(first.wait().result == probe_result::success);
  CHECK(run(*loop, get(srv.port(), "/")).result == probe_result::success);
  loop.reset();
  cafelet::log::set_sink(nullptr);
  std::lock_guard guard{mtx};
  CHECK(logged.find("probe callback threw") != std::string::npos);
  CHECK(logged.find("boom") != std::string::npos);
}

TEST_CASE("attempts queue behind max_connections and all complete") {
  http_server srv{[](const std::string& path) { return response(200, path); }};
  probe_loop_options opts;
  opts.max_connections = 2;
  auto made = probe_loop::make(opts);
  REQUIRE(made);
  auto& loop = *made;
  std::vector<outcome_slot> slots(10);
  for (size_t i = 0; i < slots.size(); ++i)
    loop->http_get(get(srv.port(), "/q" + std::to_string(i)),
                   slots[i].callback());
  for (size_t i = 0; i < slots.size(); ++i) {
    auto out = slots[i].wait();
    CHECK(out.result == probe_result::success);
    CHECK(out.output == "/q" + std::to_string(i));
  }
}
