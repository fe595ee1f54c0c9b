#pragma once
// Fixture of the API link end-to-end tests: the test API server in process
// over HTTPS with a generated PKI, and the cafelet binary run as a node
// against it, observed through its /metrics and its log.

#include "tests/apiserver/server.hpp"
#include "tests/apiserver/test_support.hpp"
#include "tests/support/process.hpp"

#include "messages/json/json.hpp"
#include "messages/k8s/time.hpp"

#include <chrono>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cafelet::testing {

/// A KubeletConfiguration with short intervals: Lease renewed every 1 s
/// (0.25 x 4 s), status computed every 1 s and reported every 5 s.
inline constexpr std::string_view fast_kubelet_config
  = "apiVersion: kubelet.config.k8s.io/v1beta1\n"
    "kind: KubeletConfiguration\n"
    "nodeLeaseDurationSeconds: 4\n"
    "nodeStatusUpdateFrequency: 1s\n"
    "nodeStatusReportFrequency: 5s\n";

/// An object read from the API server.
struct api_object {
  /// HTTP status of the GET.
  int status = 0;
  /// The body (null unless it was JSON).
  json::value body;
};

/// The test API server on https://127.0.0.1:<port> with a fresh CA,
/// serving certificate and admin identity. Setup failures fail the test.
class api_cluster {
public:
  api_cluster();

  ~api_cluster();

  api_cluster(const api_cluster&) = delete;
  api_cluster& operator=(const api_cluster&) = delete;

  /// The server core (fault controls).
  apiserver::api_server& server() {
    return *srv_;
  }

  /// Issues a node certificate (CN system:node:<node>, O system:nodes) and
  /// writes its kubeconfig; returns the kubeconfig's path.
  std::string node_kubeconfig(const std::string& node);

  /// GET `target` as the cluster admin (in process; never while the server
  /// hangs, as the call would wait for the hang to end).
  api_object get(std::string_view target);

  /// The in-process admin client.
  apiserver::testing::client& admin() {
    return *admin_;
  }

  /// Where the PKI and kubeconfigs are.
  const std::string& dir() const noexcept {
    return dir_;
  }

private:
  struct parts;
  std::string dir_;
  std::unique_ptr<parts> parts_;
  std::unique_ptr<apiserver::api_server> srv_;
  std::unique_ptr<apiserver::testing::client> admin_;
};

/// How to start cafelet.
struct cafelet_options {
  /// --kubeconfig.
  std::string kubeconfig;
  /// --hostname-override (the node name).
  std::string hostname = "edge-1";
  /// Contents of the --config file.
  std::string config = std::string{fast_kubelet_config};
  /// More flags, after the others (a repeated flag overrides, e.g. "-v").
  std::vector<std::string> extra_args = {};
};

/// The cafelet binary ($CAFELET_BIN) run as a child process with its own
/// root directory and healthz port.
class cafelet_process {
public:
  /// Starts cafelet; fails the test if it cannot be started.
  explicit cafelet_process(const cafelet_options& opts);

  ~cafelet_process();

  cafelet_process(const cafelet_process&) = delete;
  cafelet_process& operator=(const cafelet_process&) = delete;

  /// The child process.
  child_process& proc() {
    return *proc_;
  }

  /// True while the process has not exited.
  bool running();

  /// http://127.0.0.1:<healthz port><path>.
  std::string url(std::string_view path) const;

  /// The process's --root-dir.
  const std::string& root_dir() const noexcept {
    return root_;
  }

  /// HTTP status of /healthz (0: no answer).
  long healthz() const;

  /// The value of an unlabelled series on /metrics; nullopt if the scrape
  /// failed or the series is missing.
  std::optional<double> metric(std::string_view name) const;

  /// `metric(name)`, or -1 if unavailable (for comparisons in waits).
  double metric_or(std::string_view name, double fallback = -1) const;

  /// Everything cafelet printed.
  std::string output() const;

  /// The last `n` lines cafelet printed (for failure messages).
  std::string tail(size_t n = 150) const;

  /// Lines of the output that contain every one of `words`.
  std::vector<std::string>
  lines_with(std::initializer_list<std::string_view> words) const;

  /// Sends SIGTERM and waits up to `limit`; returns the exit code.
  std::optional<int> stop(std::chrono::milliseconds limit = std::chrono::seconds{15});

  /// Sends SIGKILL and waits up to `limit`; returns the exit code (137).
  std::optional<int> kill_hard(std::chrono::milliseconds limit = std::chrono::seconds{5});

  /// Starts cafelet again, after it exited, with the same arguments: the
  /// same root directory, config and healthz port. output() keeps what the
  /// earlier process printed, followed by a "--- cafelet restarted ---" line.
  void restart();

private:
  int port_ = 0;
  std::string root_;
  std::vector<std::string> args_;
  std::string earlier_output_;
  std::unique_ptr<child_process> proc_;
};

/// The wall-clock time now with microsecond precision.
k8s::timestamp wall_now();

/// Parses an RFC 3339 timestamp at `path` inside `obj`; nullopt if absent
/// or invalid.
std::optional<k8s::timestamp> time_at(const json::value& obj,
                                      std::initializer_list<std::string_view> path);

/// The condition of `type` in a Node's status.conditions (null if absent).
const json::value* node_condition(const json::value& node, std::string_view type);

/// Seconds between two timestamps (b - a).
double seconds_between(k8s::timestamp a, k8s::timestamp b);

/// Seconds elapsed on the steady clock since `t`.
double seconds_since(std::chrono::steady_clock::time_point t);

/// A minimal Pod in namespace default bound to `node`.
std::string pod_manifest(std::string_view name, std::string_view node);

} // namespace cafelet::testing
