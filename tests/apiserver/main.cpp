// cafelet-test-apiserver: runs the test Kubernetes API server over HTTPS
// for demos and manual experiments.
//
//   cafelet-test-apiserver --port 6443 --cert-dir /tmp/kapi --nodes edge-1
//
// Generates a CA, a serving certificate and client certificates into
// --cert-dir, prints the kubeconfig paths (admin and one per node) and
// serves until SIGINT or SIGTERM.

#include "tests/apiserver/http_front.hpp"
#include "tests/apiserver/pki.hpp"
#include "tests/apiserver/server.hpp"

#include "messages/errors.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

namespace {

void usage() {
  std::fprintf(stderr,
               "usage: cafelet-test-apiserver [--port N] [--cert-dir DIR] "
               "[--nodes a,b,...] [--history N]\n"
               "  --port      port on 127.0.0.1 (default 6443, 0 = any)\n"
               "  --cert-dir  where certificates and kubeconfigs are "
               "generated (default: a new directory under /tmp)\n"
               "  --nodes     node identities to issue kubeconfigs for "
               "(default edge-1)\n"
               "  --history   change events retained per resource "
               "(default 1000)\n");
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

} // namespace

int main(int argc, char** argv) {
  using namespace cafelet;
  uint16_t port = 6443;
  std::string cert_dir;
  std::vector<std::string> nodes{"edge-1"};
  size_t history = 1000;
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
