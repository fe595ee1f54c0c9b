// cafelet-test-apiserver: runs the test Kubernetes API server over HTTPS
// for demos and manual experiments.
//
//   cafelet-test-apiserver --port 6443 --cert-dir /tmp/kapi --nodes edge-1
//
// Generates a CA, a serving certificate and client certificates into
// --cert-dir, prints the kubeconfig paths (admin and one per node) and
// serves until SIGINT or SIGTERM.
//
// --request-log FILE appends one line per answered request:
//   <unix-ms> <user> <verb> <path-with-query> <status>
// (verb as the audit log names it: get, list, watch, create, update, patch,
// delete, deletecollection; the lowercase method for non-resource paths;
// user "-" for failed authentication; status 0 for a dropped request; the
// time is when the answer started, for a watch when its stream started).

#include "tests/apiserver/http_front.hpp"
#include "tests/apiserver/pki.hpp"
#include "tests/apiserver/request_info.hpp"
#include "tests/apiserver/server.hpp"

#include "messages/errors.hpp"
#include "net/server/query.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

namespace {

void usage() {
  std::fprintf(stderr,
               "usage: cafelet-test-apiserver [--port N] [--cert-dir DIR] "
               "[--nodes a,b,...] [--history N] [--request-log FILE]\n"
               "  --port      port on 127.0.0.1 (default 6443, 0 = any)\n"
               "  --cert-dir  where certificates and kubeconfigs are "
               "generated (default: a new directory under /tmp)\n"
               "  --nodes     node identities to issue kubeconfigs for "
               "(default edge-1)\n"
               "  --history   change events retained per resource "
               "(default 1000)\n"
               "  --request-log  append '<unix-ms> <user> <verb> "
               "<path-with-query> <status>' per request to FILE\n");
}

std::vector<std::string> split(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    auto comma = s.find(',');
    auto part = s.substr(0, comma);
    if (!part.empty())
      out.emplace_back(part);
    s = comma == std::string_view::npos ? std::string_view{} : s.substr(comma + 1);
  }
  return out;
}

/// Escapes what would break a log line's fields (space, controls,
/// non-ASCII, '%', '?', '#') in a decoded path.
std::string escape_path(std::string_view path) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (c <= 0x20 || c >= 0x7F || c == '%' || c == '?' || c == '#') {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 0x0F]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

/// Appends one line per answered request to a file.
class request_log {
public:
  /// Opens `path` for appending; nullptr on failure (errno set).
  static std::shared_ptr<request_log> open(const std::string& path) {
    auto* f = std::fopen(path.c_str(), "a");
    if (f == nullptr)
      return nullptr;
    return std::shared_ptr<request_log>{new request_log(f)};
  }

  ~request_log() {
    std::fclose(file_);
  }

  request_log(const request_log&) = delete;
  request_log& operator=(const request_log&) = delete;

  /// Writes the line for `req` answered with `status`.
  void write(const cafelet::apiserver::request& req, int status) {
    using namespace std::chrono;
    auto now = system_clock::now().time_since_epoch();
    auto ms = duration_cast<milliseconds>(now).count();
    auto target = escape_path(req.path);
    char sep = '?';
    for (const auto& [key, val] : req.query) {
      target += sep;
      target += cafelet::net::percent_encode(key);
      target += '=';
      target += cafelet::net::percent_encode(val);
      sep = '&';
    }
    auto info = cafelet::apiserver::classify(req);
    auto user = req.user ? escape_path(req.user->name) : std::string{"-"};
    std::lock_guard<std::mutex> guard{mtx_};
    std::fprintf(file_, "%lld %s %s %s %d\n", static_cast<long long>(ms),
                 user.c_str(), info.verb.c_str(), target.c_str(), status);
    std::fflush(file_);
  }

private:
  explicit request_log(std::FILE* f) : file_(f) {
  }

  std::mutex mtx_;
  std::FILE* file_;
};

} // namespace

int main(int argc, char** argv) {
  using namespace cafelet;
  uint16_t port = 6443;
  std::string cert_dir;
  std::vector<std::string> nodes{"edge-1"};
  size_t history = 1000;
  std::string request_log_path;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      auto eq = arg.find('=');
      if (eq != std::string_view::npos)
        return std::string{arg.substr(eq + 1)};
      if (i + 1 < argc)
        return argv[++i];
      usage();
      std::exit(2);
    };
    if (arg.starts_with("--port"))
      port = static_cast<uint16_t>(std::stoi(value()));
    else if (arg.starts_with("--cert-dir"))
      cert_dir = value();
    else if (arg.starts_with("--nodes"))
      nodes = split(value());
    else if (arg.starts_with("--history"))
      history = std::stoul(value());
    else if (arg.starts_with("--request-log"))
      request_log_path = value();
    else {
      usage();
      return arg == "--help" || arg == "-h" ? 0 : 2;
    }
  }
  if (cert_dir.empty()) {
    char tmpl[] = "/tmp/cafelet-apiserver-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    cert_dir = tmpl;
  }
  // Block the stop signals before any thread starts; wait for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  auto pki = apiserver::test_pki::generate(cert_dir);
  if (!pki) {
    std::fprintf(stderr, "%s\n", describe(pki.error()).c_str());
    return 1;
  }
  apiserver::server_options opts;
  opts.root_ca_pem = pki->ca_pem();
  opts.history_capacity = history;
  opts.advertise_address = "127.0.0.1:" + std::to_string(port);
  if (!request_log_path.empty()) {
    auto rlog = request_log::open(request_log_path);
    if (!rlog) {
      std::perror(request_log_path.c_str());
      return 1;
    }
    opts.on_reply = [rlog](const apiserver::request& req, int status) {
      rlog->write(req, status);
    };
  }
  apiserver::api_server srv{opts};
  auto front = apiserver::http_front::start(
    srv, {"127.0.0.1", port, pki->server().cert, pki->server().key,
          pki->ca().cert});
  if (!front) {
    std::fprintf(stderr, "%s\n", describe(front.error()).c_str());
    return 1;
  }
  auto url = (*front)->url();
  auto admin = pki->issue_client("admin", "kapi-admin", {"system:masters"});
  if (!admin) {
    std::fprintf(stderr, "%s\n", describe(admin.error()).c_str());
    return 1;
  }
  auto admin_cfg = pki->write_kubeconfig("admin", *admin, url, "admin");
  std::printf("cafelet-test-apiserver listening on %s\n", url.c_str());
  std::printf("admin kubeconfig: %s\n", admin_cfg ? admin_cfg->c_str() : "?");
  for (const auto& node : nodes) {
    auto cert = pki->issue_client(node, "system:node:" + node, {"system:nodes"});
    if (!cert) {
      std::fprintf(stderr, "%s\n", describe(cert.error()).c_str());
      return 1;
    }
    auto cfg = pki->write_kubeconfig(node, *cert, url, node);
    std::printf("node %s kubeconfig: %s\n", node.c_str(),
                cfg ? cfg->c_str() : "?");
  }
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::printf("stopping on signal %d\n", sig);
  (*front)->stop();
  return 0;
}
