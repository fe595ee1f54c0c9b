#include "tests/net/server/test_support.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace cafelet::net::test {

namespace {

using clock_type = std::chrono::steady_clock;

} // namespace

// -- raw_client ---------------------------------------------------------------

std::optional<raw_client> raw_client::connect(const std::string& host,
                                              uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res)
      != 0)
    return std::nullopt;
  int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && ::connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(res);
  if (fd < 0)
    return std::nullopt;
  return raw_client{fd};
}

raw_client::raw_client(raw_client&& other) noexcept
  : fd_(other.fd_), buf_(std::move(other.buf_)), eof_(other.eof_) {
  other.fd_ = -1;
}

raw_client::~raw_client() {
  if (fd_ >= 0)
    ::close(fd_);
}

bool raw_client::send(std::string_view bytes) {
  while (!bytes.empty()) {
    auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void raw_client::shutdown_write() {
  ::shutdown(fd_, SHUT_WR);
}

bool raw_client::fill() {
  if (eof_)
    return false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline_ - clock_type::now());
    if (left.count() <= 0)
      return false;
    pollfd p{fd_, POLLIN, 0};
    int rc = ::poll(&p, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR)
      continue;
    if (rc <= 0)
      return false;
    char tmp[16384];
    auto n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
}

std::optional<std::string> raw_client::line() {
  for (;;) {
    auto nl = buf_.find("\r\n");
    if (nl != std::string::npos) {
      auto out = buf_.substr(0, nl);
      buf_.erase(0, nl + 2);
      return out;
    }
    if (!fill())
      return std::nullopt;
  }
}

std::optional<response_head> raw_client::read_head() {
  deadline_ = clock_type::now() + wait_limit;
  auto status_line = line();
  if (!status_line || !status_line->starts_with("HTTP/1.1 ")
      || status_line->size() < 12)
    return std::nullopt;
  response_head head;
  head.status = std::atoi(status_line->substr(9, 3).c_str());
  for (;;) {
    auto l = line();
    if (!l)
      return std::nullopt;
    if (l->empty())
      break;
    auto colon = l->find(':');
    if (colon == std::string::npos)
      return std::nullopt;
    auto value = l->substr(colon + 1);
    while (!value.empty() && value.front() == ' ')
      value.erase(0, 1);
    head.headers.push_back(server_header{l->substr(0, colon), value});
  }
  return head;
}

std::optional<std::string> raw_client::read_exact(size_t n) {
  deadline_ = clock_type::now() + wait_limit;
  while (buf_.size() < n)
    if (!fill())
      return std::nullopt;
  auto out = buf_.substr(0, n);
  buf_.erase(0, n);
  return out;
}

std::optional<std::string> raw_client::read_chunk() {
  deadline_ = clock_type::now() + wait_limit;
  auto size_line = line();
  if (!size_line || size_line->empty())
    return std::nullopt;
  char* end = nullptr;
  auto size = std::strtoul(size_line->c_str(), &end, 16);
  if (end == size_line->c_str())
    return std::nullopt;
  if (size == 0) {
    auto trailer_end = line(); // no trailers expected
    if (!trailer_end || !trailer_end->empty())
      return std::nullopt;
    return std::string{};
  }
  auto data = read_exact(size);
  if (!data)
    return std::nullopt;
  deadline_ = clock_type::now() + wait_limit;
  auto crlf = line();
  if (!crlf || !crlf->empty())
    return std::nullopt;
  return data;
}

std::optional<raw_response> raw_client::read_response(bool head_only) {
  auto head = read_head();
  if (!head)
    return std::nullopt;
  raw_response res{head->status, head->headers, {}};
  if (head_only)
    return res;
  if (has_header_token(res.headers, "Transfer-Encoding", "chunked")) {
    for (;;) {
      auto chunk = read_chunk();
      if (!chunk)
        return std::nullopt;
      if (chunk->empty())
        break;
      res.body += *chunk;
    }
  } else if (auto len = find_header(res.headers, "Content-Length")) {
    auto body = read_exact(std::stoul(std::string{*len}));
    if (!body)
      return std::nullopt;
    res.body = std::move(*body);
  }
  return res;
}

bool raw_client::wait_closed(std::chrono::milliseconds timeout) {
  deadline_ = clock_type::now() + timeout;
  while (fill()) {
  }
  return eof_;
}

// -- test_pki -----------------------------------------------------------------

namespace {

bool run(const std::string& cmd) {
  return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0;
}

bool write_file(const std::string& path, std::string_view text) {
  std::ofstream out{path};
  out << text;
  return static_cast<bool>(out);
}

std::string new_key_cmd(const std::string& key, const std::string& out,
                        const std::string& subject) {
  return "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
         " -keyout '"
         + key + "' -out '" + out + "' -subj '" + subject + "'";
}

bool make_ca(const std::string& dir, const std::string& name) {
  return run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
             " -nodes -days 2 -keyout '"
             + dir + "/" + name + ".key' -out '" + dir + "/" + name
             + ".crt' -subj '/CN=" + name
             + "' -addext basicConstraints=critical,CA:TRUE"
               " -addext keyUsage=critical,keyCertSign,cRLSign");
}

bool make_leaf(const std::string& dir, const std::string& ca,
               const std::string& name, const std::string& subject,
               const std::string& ext_file) {
  auto base = dir + "/" + name;
  return run(new_key_cmd(base + ".key", base + ".csr", subject))
         && run("openssl x509 -req -days 2 -in '" + base + ".csr' -CA '" + dir
                + "/" + ca + ".crt' -CAkey '" + dir + "/" + ca
                + ".key' -CAcreateserial -out '" + base + ".crt' -extfile '"
                + ext_file + "'");
}

} // namespace

test_pki::test_pki() {
  char tmpl[] = "/tmp/cafelet-pki-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr)
    return;
  dir = tmpl;
  auto server_ext = dir + "/server.ext";
  auto client_ext = dir + "/client.ext";
  if (!write_file(server_ext, "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n"
                              "extendedKeyUsage=serverAuth\n")
      || !write_file(client_ext, "extendedKeyUsage=clientAuth\n"))
    return;
  ok = make_ca(dir, "ca") && make_ca(dir, "rogue-ca")
       && make_leaf(dir, "ca", "server", "/CN=localhost", server_ext)
       && make_leaf(dir, "ca", "client",
                    "/O=system:nodes/CN=system:node:edge-1", client_ext)
       && make_leaf(dir, "ca", "multi",
                    "/O=system:nodes/O=cafelet:testers/CN=system:node:edge-2",
                    client_ext)
       && make_leaf(dir, "rogue-ca", "rogue",
                    "/O=system:nodes/CN=system:node:edge-1", client_ext);
  ca_crt = dir + "/ca.crt";
  server_crt = dir + "/server.crt";
  server_key = dir + "/server.key";
  client_crt = dir + "/client.crt";
  client_key = dir + "/client.key";
  multi_crt = dir + "/multi.crt";
  multi_key = dir + "/multi.key";
  rogue_crt = dir + "/rogue.crt";
  rogue_key = dir + "/rogue.key";
}

test_pki::~test_pki() {
  if (!dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
}

} // namespace cafelet::net::test
