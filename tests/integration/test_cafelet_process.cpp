// The cafelet executable as an operator runs it: start-up, endpoints,
// orderly shutdown on SIGTERM/SIGINT, and clear fatal errors on bad input.
#include "tests/support/http_get.hpp"
#include "tests/support/process.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace cafelet::testing;
using namespace std::chrono_literals;

namespace {

std::string cafelet_bin() {
  const char* p = std::getenv("CAFELET_BIN");
  REQUIRE(p != nullptr);
  return p;
}

/// A scratch directory for one cafelet (its root dir), removed with
/// everything in it when the test ends. Declare it before the process.
struct scratch_dir {
  std::string path;

  scratch_dir() {
    char tmpl[] = "/tmp/cafelet-it.XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }

  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }

  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
};

std::vector<std::string> base_args(int port, const std::string& root) {
  return {cafelet_bin(), "--hostname-override=it-node", "--root-dir=" + root,
          "--healthz-port=" + std::to_string(port), "-v", "2"};
}

} // namespace

TEST_CASE("cafelet serves healthz and stops in order on SIGTERM") {
  auto port = free_port();
  scratch_dir dir;
  child_process p{base_args(port, dir.path)};
  REQUIRE(p.pid() > 0);
  auto url = "http://127.0.0.1:" + std::to_string(port);
  CHECK(eventually([&] { return http_get(url + "/healthz").status == 200; }));
  auto tree = http_get(url + "/debug/actors");
  CHECK(tree.body.find("\"path\":\"root/watchdog\"") != std::string::npos);
  CHECK(tree.body.find("\"path\":\"root/node\"") != std::string::npos);
  p.signal(SIGTERM);
  auto rc = p.wait_exit(10s);
  INFO(p.output());
  REQUIRE(rc);
  CHECK(*rc == 0);
  CHECK(p.output().find("received signal") != std::string::npos);
  CHECK(p.output().find("msg=\"cafelet stopped\"") != std::string::npos);
}

TEST_CASE("cafelet stops on SIGINT too") {
  auto port = free_port();
  scratch_dir dir;
  child_process p{base_args(port, dir.path)};
  auto url = "http://127.0.0.1:" + std::to_string(port) + "/healthz";
  CHECK(eventually([&] { return http_get(url).status == 200; }));
  p.signal(SIGINT);
  auto rc = p.wait_exit(10s);
  REQUIRE(rc);
  CHECK(*rc == 0);
}

TEST_CASE("a taken healthz port is a fatal start-up error") {
  auto port = free_port();
  scratch_dir first_dir;
  scratch_dir second_dir;
  child_process first{base_args(port, first_dir.path)};
  auto url = "http://127.0.0.1:" + std::to_string(port) + "/healthz";
  REQUIRE(eventually([&] { return http_get(url).status == 200; }));
  child_process second{base_args(port, second_dir.path)};
  auto rc = second.wait_exit(10s);
  INFO(second.output());
  REQUIRE(rc);
  CHECK(*rc == 1);
  CHECK(second.output().find(std::to_string(port)) != std::string::npos);
  first.signal(SIGTERM);
  CHECK(first.wait_exit(10s) == 0);
}

TEST_CASE("a bad configuration file stops start-up with file, line and field") {
  scratch_dir scratch;
  const auto& dir = scratch.path;
  auto path = dir + "/kubelet.yaml";
  {
    std::ofstream out{path};
    out << "apiVersion: kubelet.config.k8s.io/v1beta1\n"
           "kind: KubeletConfiguration\n"
           "syncFrequency: 1m\n"
           "maxPods: ten\n";
  }
  auto args = base_args(free_port(), dir);
  args.push_back("--config=" + path);
  child_process p{args};
  auto rc = p.wait_exit(10s);
  auto out = p.output();
  INFO(out);
  REQUIRE(rc);
  CHECK(*rc == 1);
  CHECK(out.find("kubelet.yaml") != std::string::npos);
  CHECK(out.find(":4") != std::string::npos);
  CHECK(out.find("maxPods") != std::string::npos);
}

TEST_CASE("flags: --help and --version exit 0, an unknown flag exits 1") {
  {
    child_process p{{cafelet_bin(), "--help"}};
    REQUIRE(p.wait_exit(10s) == 0);
    CHECK(p.output().find("--kubeconfig") != std::string::npos);
  }
  {
    child_process p{{cafelet_bin(), "--version"}};
    REQUIRE(p.wait_exit(10s) == 0);
    CHECK(p.output().find("cafelet ") == 0);
  }
  {
    child_process p{{cafelet_bin(), "--no-such-flag"}};
    REQUIRE(p.wait_exit(10s) == 1);
    CHECK(p.output().find("--no-such-flag") != std::string::npos);
  }
}
