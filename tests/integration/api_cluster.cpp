#include "tests/integration/api_cluster.hpp"

#include "tests/apiserver/http_front.hpp"
#include "tests/apiserver/pki.hpp"
#include "tests/support/http_get.hpp"

#include "messages/errors.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>
#include <sys/mount.h>
#include <algorithm>
#include <vector>

namespace cafelet::testing {

namespace {

std::string make_temp_dir(const char* stem) {
  std::string tmpl = std::string{"/tmp/"} + stem + ".XXXXXX";
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  return tmpl;
}

void remove_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

} // namespace

// -- api_cluster ----------------------------------------------------------------

struct api_cluster::parts {
  std::optional<apiserver::test_pki> pki;
  std::unique_ptr<apiserver::http_front> front;
};

api_cluster::api_cluster() : parts_(std::make_unique<parts>()) {
  dir_ = make_temp_dir("cafelet-apilink");
  auto pki = apiserver::test_pki::generate(dir_);
  REQUIRE_MESSAGE(static_cast<bool>(pki), "test PKI: " << describe(pki.error()));
  parts_->pki = std::move(*pki);
  apiserver::server_options opts;
  opts.root_ca_pem = parts_->pki->ca_pem();
  srv_ = std::make_unique<apiserver::api_server>(opts);
  const auto& p = *parts_->pki;
  auto front = apiserver::http_front::start(
    *srv_, {"127.0.0.1", 0, p.server().cert, p.server().key, p.ca().cert});
  REQUIRE_MESSAGE(static_cast<bool>(front),
                  "API server front: " << describe(front.error()));
  parts_->front = std::move(*front);
  admin_ = std::make_unique<apiserver::testing::client>(
    *srv_, apiserver::testing::admin());
}

api_cluster::~api_cluster() {
  admin_.reset();
  parts_->front.reset();
  srv_.reset();
  remove_dir(dir_);
}

std::string api_cluster::node_kubeconfig(const std::string& node) {
  const auto& p = *parts_->pki;
  auto cert = p.issue_client(node, "system:node:" + node, {"system:nodes"});
  REQUIRE_MESSAGE(static_cast<bool>(cert),
                  "node certificate: " << describe(cert.error()));
  auto cfg = p.write_kubeconfig(node, *cert, parts_->front->url(), node);
  REQUIRE_MESSAGE(static_cast<bool>(cfg), "kubeconfig: " << describe(cfg.error()));
  return *cfg;
}

api_object api_cluster::get(std::string_view target) {
  auto res = admin_->get(target);
  api_object out;
  out.status = res.status;
  if (auto parsed = json::parse(res.body))
    out.body = std::move(*parsed);
  return out;
}

// -- cafelet_process --------------------------------------------------------------

cafelet_process::cafelet_process(const cafelet_options& opts) {
  const char* bin = std::getenv("CAFELET_BIN");
  REQUIRE_MESSAGE(bin != nullptr, "CAFELET_BIN is not set");
  root_ = make_temp_dir("cafelet-apilink-root");
  auto config = root_ + "/kubelet.yaml";
  {
    std::ofstream out{config};
    out << opts.config;
    // Pod cgroups under the lab's prefix, so that the lab's stop removes
    // them (scripts/with-containerd-lab.sh exports it).
    if (const char* prefix = std::getenv("CAFELET_CGROUP_PREFIX");
        prefix != nullptr && *prefix != '\0'
        && opts.config.find("cgroupRoot") == std::string::npos)
      out << "\ncgroupRoot: /" << prefix << "\n";
    REQUIRE(out.good());
  }
  port_ = free_port();
  std::vector<std::string> args{
    bin, "--kubeconfig", opts.kubeconfig, "--hostname-override=" + opts.hostname,
    "--root-dir", root_, "--healthz-port", std::to_string(port_), "--config",
    config, "-v", "2"};
  // The container runtime: the private containerd lab the test runs in
  // (scripts/with-containerd-lab.sh exports its endpoint).
  if (const char* cri = std::getenv("CAFELET_CRI_ENDPOINT"); cri && *cri)
    args.push_back(std::string{"--container-runtime-endpoint="} + cri);
  args.insert(args.end(), opts.extra_args.begin(), opts.extra_args.end());
  args_ = std::move(args);
  proc_ = std::make_unique<child_process>(args_);
  REQUIRE(proc_->pid() > 0);
}

namespace {

/// Lazily unmounts every mount point below `dir`, deepest first (volume
/// tmpfs mounts a killed cafelet could not tear down).
void unmount_below(const std::string& dir) {
  std::vector<std::string> points;
  std::ifstream in{"/proc/self/mountinfo"};
  for (std::string line; std::getline(in, line);) {
    std::istringstream words{line};
    std::string field;
    for (int i = 0; i < 5 && words >> field; ++i) {
    }
    if (field.rfind(dir + "/", 0) == 0)
      points.push_back(field);
  }
  std::sort(points.begin(), points.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const auto& p : points)
    ::umount2(p.c_str(), MNT_DETACH);
}

} // namespace

cafelet_process::~cafelet_process() {
  proc_.reset(); // kills a child that still runs
  unmount_below(root_);
  remove_dir(root_);
}

bool cafelet_process::running() {
  return !proc_->wait_exit(std::chrono::milliseconds{0}).has_value();
}

std::string cafelet_process::url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string{path};
}

long cafelet_process::healthz() const {
  return http_get(url("/healthz")).status;
}

std::optional<double> cafelet_process::metric(std::string_view name) const {
  auto res = http_get(url("/metrics"));
  if (res.status != 200)
    return std::nullopt;
  std::string_view text = res.body;
  size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    auto line = text.substr(start, end == std::string_view::npos
                                     ? std::string_view::npos
                                     : end - start);
    if (line.size() > name.size() && line.starts_with(name)
        && line[name.size()] == ' ') {
      std::string value{line.substr(name.size() + 1)};
      char* stop = nullptr;
      double x = std::strtod(value.c_str(), &stop);
      if (stop != value.c_str())
        return x;
      return std::nullopt;
    }
    if (end == std::string_view::npos)
      break;
    start = end + 1;
  }
  return std::nullopt;
}

double cafelet_process::metric_or(std::string_view name, double fallback) const {
  return metric(name).value_or(fallback);
}

std::string cafelet_process::output() const {
  return earlier_output_ + proc_->output();
}

std::string cafelet_process::tail(size_t n) const {
  auto out = output();
  size_t pos = out.size();
  for (size_t lines = 0; pos > 0 && lines <= n;) {
    --pos;
    if (out[pos] == '\n')
      ++lines;
  }
  if (pos > 0)
    return "[...]\n" + out.substr(pos + 1);
  return out;
}

std::vector<std::string>
cafelet_process::lines_with(std::initializer_list<std::string_view> words) const {
  std::vector<std::string> found;
  auto out = output();
  size_t start = 0;
  while (start < out.size()) {
    auto end = out.find('\n', start);
    auto line = std::string_view{out}.substr(
      start, end == std::string::npos ? std::string::npos : end - start);
    bool all = true;
    for (auto w : words)
      all = all && line.find(w) != std::string_view::npos;
    if (all)
      found.emplace_back(line);
    if (end == std::string::npos)
      break;
    start = end + 1;
  }
  return found;
}

std::optional<int> cafelet_process::stop(std::chrono::milliseconds limit) {
  proc_->signal(SIGTERM);
  return proc_->wait_exit(limit);
}

std::optional<int> cafelet_process::kill_hard(std::chrono::milliseconds limit) {
  proc_->signal(SIGKILL);
  return proc_->wait_exit(limit);
}

void cafelet_process::restart() {
  REQUIRE_MESSAGE(!running(), "cafelet_process::restart while cafelet runs");
  earlier_output_ += proc_->output();
  if (!earlier_output_.empty() && earlier_output_.back() != '\n')
    earlier_output_ += '\n';
  earlier_output_ += "--- cafelet restarted ---\n";
  proc_ = std::make_unique<child_process>(args_);
  REQUIRE(proc_->pid() > 0);
}

// -- helpers ------------------------------------------------------------------------

k8s::timestamp wall_now() {
  return std::chrono::time_point_cast<std::chrono::microseconds>(
    std::chrono::system_clock::now());
}

std::optional<k8s::timestamp>
time_at(const json::value& obj, std::initializer_list<std::string_view> path) {
  const auto* v = obj.find_path(path);
  if (v == nullptr || !v->is_string())
    return std::nullopt;
  auto t = k8s::parse_time(v->as_string());
  if (!t)
    return std::nullopt;
  return *t;
}

const json::value* node_condition(const json::value& node, std::string_view type) {
  const auto* conds = node.find_path({"status", "conditions"});
  if (conds == nullptr)
    return nullptr;
  for (const auto& c : conds->as_array())
    if (c.get_string("type") == type)
      return &c;
  return nullptr;
}

double seconds_between(k8s::timestamp a, k8s::timestamp b) {
  return std::chrono::duration<double>(b - a).count();
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t)
    .count();
}

std::string pod_manifest(std::string_view name, std::string_view node) {
  std::string out = R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")";
  out += name;
  out += R"(","namespace":"default"},"spec":{"nodeName":")";
  out += node;
  out += R"(","containers":[{"name":"app","image":"localhost/busybox:ci",)"
         R"("imagePullPolicy":"Never","command":["sleep","3600"]}]}})";
  return out;
}

} // namespace cafelet::testing
