// Static pods end to end on a real runtime: cafelet with --pod-manifest-path
// on a private containerd lab (run inside scripts/with-containerd-lab.sh,
// which exports CAFELET_CRI_ENDPOINT), standalone (no --kubeconfig; the pods
// are read from the node's /pods endpoint) and against the test API server
// (mirror pods).
//
// Covered: two manifests running with their node identity (name-<node>,
// namespace default, config.* annotations, UID-labelled sandboxes); a
// changed manifest replacing its pod (old one gone before the new one's
// sandbox, the other pod untouched); a removed file terminating its pod
// with SIGTERM; invalid manifests (unknown field, two documents) skipped
// with a warning naming file, line and field, and started once fixed;
// hidden, editor temp and subdirectory files ignored; a change no inotify
// event reports read by the periodic re-read; mirror pods with
// their annotations, Node owner and status, recreated after an admin's
// graceful or forced deletion while the static pod keeps running, replaced
// when the manifest changes and deleted with it.
//
// Every wait is a bounded poll of /pods, the API server or the runtime;
// fixed periods are never used to synchronise.

#include "tests/integration/pod_e2e.hpp"
#include "tests/support/http_get.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fcntl.h>
#include <unistd.h>

using namespace cafelet;
using namespace cafelet::e2e;
using namespace cafelet::testing;
using namespace std::chrono_literals;
using std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

/// "-<node>": what the node appends to a static pod's name.
const std::string suffix = "-" + std::string{node_name};

const std::string mirrors_path = "/api/v1/namespaces/default/pods";

// -- manifests ----------------------------------------------------------------------

/// A temporary --pod-manifest-path directory, removed with its files.
class manifest_dir {
public:
  manifest_dir() {
    char tmpl[] = "/tmp/cafelet-static-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
  }

  ~manifest_dir() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  manifest_dir(const manifest_dir&) = delete;
  manifest_dir& operator=(const manifest_dir&) = delete;

  const std::string& path() const noexcept {
    return dir_;
  }

  std::string path(std::string_view file) const {
    return dir_ + "/" + std::string{file};
  }

  /// Writes `file` in place (the watch sees it closed after writing).
  void write(std::string_view file, std::string_view text) const {
    std::ofstream out{path(file), std::ios::trunc};
    out << text;
    out.close();
    REQUIRE_MESSAGE(out.good(), "writing " << path(file));
  }

  /// Writes `file` under a hidden name and moves it in (the watch sees a
  /// move; the hidden name is never read).
  void move_in(std::string_view file, std::string_view text) const {
    auto hidden = "." + std::string{file} + ".new";
    write(hidden, text);
    REQUIRE(std::rename(path(hidden).c_str(), path(file).c_str()) == 0);
  }

  void remove(std::string_view file) const {
    REQUIRE_MESSAGE(fs::remove(path(file)), "removing " << path(file));
  }

  /// Removes every file and subdirectory (every static pod goes).
  void clear() const {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator{dir_, ec})
      fs::remove_all(entry.path(), ec);
  }

private:
  std::string dir_;
};

/// A long runner trapping TERM: `on_term` runs, then it exits 0. Its env
/// COLOR is `color`; with `marker_dir`, that host directory is /marker.
std::string runner_yaml(std::string_view color, std::string_view on_term = "true",
                        std::string_view marker_dir = {}) {
  std::string out = "apiVersion: v1\n"
                    "kind: Pod\n"
                    "metadata:\n"
                    "  name: runner\n"
                    "  labels:\n"
                    "    app: runner\n"
                    "spec:\n"
                    "  terminationGracePeriodSeconds: 30\n"
                    "  containers:\n"
                    "  - name: app\n"
                    "    image: localhost/busybox:ci\n"
                    "    imagePullPolicy: Never\n"
                    "    env:\n"
                    "    - name: COLOR\n"
                    "      value: ";
  out += color;
  out += "\n"
         "    command:\n"
         "    - sh\n"
         "    - -c\n"
         "    - |\n"
         "      trap '";
  out += on_term;
  out += "; exit 0' TERM\n"
         "      while true; do sleep 1 & wait $!; done\n";
  if (!marker_dir.empty()) {
    out += "    volumeMounts:\n"
           "    - name: marker\n"
           "      mountPath: /marker\n"
           "  volumes:\n"
           "  - name: marker\n"
           "    hostPath:\n"
           "      path: ";
    out += marker_dir;
    out += "\n"
           "      type: Directory\n";
  }
  return out;
}

/// A busybox httpd on 8080 with an httpGet readiness probe (JSON, to read
/// both formats).
std::string web_json() {
  return R"({
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
  "spec": {
    "terminationGracePeriodSeconds": 5,
    "containers": [{
      "name": "httpd",
      "image": "localhost/busybox:ci",
      "imagePullPolicy": "Never",
      "ports": [{"name": "http", "containerPort": 8080}],
      "command": ["sh", "-c", "mkdir -p /www; echo hello > /www/index.html; httpd -f -p 8080 -h /www & trap \"kill $!; exit 0\" TERM; wait"],
      "readinessProbe": {"httpGet": {"path": "/index.html", "port": 8080},
                         "periodSeconds": 1}
    }]
  }
})";
}

/// A pod with an unknown container field `imagee` on line 11.
constexpr std::string_view broken_yaml = "apiVersion: v1\n"                  // 1
                                         "kind: Pod\n"                       // 2
                                         "metadata:\n"                       // 3
                                         "  name: broken\n"                  // 4
                                         "spec:\n"                           // 5
                                         "  terminationGracePeriodSeconds: 2\n" // 6
                                         "  containers:\n"                   // 7
                                         "  - name: app\n"                   // 8
                                         "    image: localhost/busybox:ci\n" // 9
                                         "    imagePullPolicy: Never\n"      // 10
                                         "    imagee: localhost/busybox:ci\n" // 11
                                         "    command: [sh, -c, \"trap 'exit 0' TERM; "
                                         "while true; do sleep 1 & wait $!; done\"]\n";

/// Two Pods in one file; the second document starts on line 11.
constexpr std::string_view multi_yaml = "apiVersion: v1\n"                  // 1
                                        "kind: Pod\n"                       // 2
                                        "metadata:\n"                       // 3
                                        "  name: multi\n"                   // 4
                                        "spec:\n"                           // 5
                                        "  containers:\n"                   // 6
                                        "  - name: app\n"                   // 7
                                        "    image: localhost/busybox:ci\n" // 8
                                        "    imagePullPolicy: Never\n"      // 9
                                        "---\n"                             // 10
                                        "apiVersion: v1\n"                  // 11
                                        "kind: Pod\n"
                                        "metadata:\n"
                                        "  name: multi-two\n"
                                        "spec:\n"
                                        "  containers:\n"
                                        "  - name: app\n"
                                        "    image: localhost/busybox:ci\n"
                                        "    imagePullPolicy: Never\n";

/// A valid manifest of pod `name` (for files that must be ignored).
std::string sleeper_yaml(std::string_view name) {
  return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + std::string{name}
         + "\nspec:\n  terminationGracePeriodSeconds: 1\n  containers:\n"
           "  - name: app\n    image: localhost/busybox:ci\n"
           "    imagePullPolicy: Never\n    command: [sleep, \"3600\"]\n";
}

// -- /pods ----------------------------------------------------------------------------

/// GET /pods of `node` parsed (null if it failed or is not JSON).
json::value pod_list(const cafelet_process& node) {
  auto res = http_get(node.url("/pods"));
  if (res.status != 200)
    return {};
  auto v = json::parse(res.body);
  return v ? std::move(*v) : json::value{};
}

/// The item of `list` whose metadata.`key` is `value` (null if none).
const json::value* item_with(const json::value& list, std::string_view key,
                             std::string_view value) {
  const auto* items = list.find("items");
  if (items == nullptr || !items->is_array())
    return nullptr;
  for (const auto& p : items->as_array())
    if (str_at(p, {"metadata", key}) == value)
      return &p;
  return nullptr;
}

const json::value* named(const json::value& list, std::string_view name) {
  return item_with(list, "name", name);
}

const json::value* with_uid(const json::value& list, std::string_view uid) {
  return item_with(list, "uid", uid);
}

size_t item_count(const json::value& list) {
  const auto* items = list.find("items");
  return items != nullptr && items->is_array() ? items->size() : 0;
}

/// Polls /pods until `pred(list)` holds; `last` keeps the last list read.
template <class Pred>
bool wait_list(const cafelet_process& node, Pred pred, std::chrono::milliseconds limit,
               json::value& last) {
  return eventually(
    [&] {
      auto l = pod_list(node);
      if (l.is_null())
        return false;
      last = std::move(l);
      return pred(last);
    },
    limit);
}

bool running_named(const json::value& list, std::string_view name) {
  const auto* p = named(list, name);
  return p != nullptr && is_running(*p) && !container_id(*p).empty();
}

bool ready_named(const json::value& list, std::string_view name) {
  const auto* p = named(list, name);
  return p != nullptr && is_running(*p) && condition_status(*p, "Ready") == "True";
}

std::string uid_of(const json::value& pod) {
  return str_at(pod, {"metadata", "uid"});
}

std::string annotation(const json::value& pod, std::string_view key) {
  return str_at(pod, {"metadata", "annotations", key});
}

bool is_md5_hex(const std::string& s) {
  return s.size() == 32 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

/// The runtime's ID of the first container of `pod` (no "containerd://").
std::string runtime_id(const json::value& pod) {
  auto id = container_id(pod);
  auto sep = id.find("://");
  return sep == std::string::npos ? id : id.substr(sep + 3);
}

/// Sandbox IDs the runtime holds for pod name `name` in namespace default.
std::optional<std::vector<std::string>> sandboxes_named(const std::string& name) {
  return ctr("containers ls -q 'labels.\"io.kubernetes.pod.name\"==" + name
             + ",labels.\"io.kubernetes.pod.namespace\"==default"
               ",labels.\"io.cri-containerd.kind\"==sandbox'");
}

std::vector<std::string> sorted_runtime(const std::string& uid) {
  auto ids = runtime_containers(uid);
  REQUIRE_MESSAGE(ids.has_value(), "ctr failed");
  std::sort(ids->begin(), ids->end());
  return *ids;
}

/// Checks the node identity of static pod `pod` (from /pods or a mirror).
void check_identity(const json::value& pod, std::string_view stem) {
  CAPTURE(json::dump(pod));
  CHECK(str_at(pod, {"metadata", "name"}) == std::string{stem} + suffix);
  CHECK(str_at(pod, {"metadata", "namespace"}) == "default");
  CHECK(str_at(pod, {"spec", "nodeName"}) == node_name);
  CHECK(annotation(pod, "kubernetes.io/config.source") == "file");
  auto hash = annotation(pod, "kubernetes.io/config.hash");
  CHECK(is_md5_hex(hash));
  CHECK_MESSAGE(k8s::parse_time(annotation(pod, "kubernetes.io/config.seen")),
                "config.seen is not RFC 3339: "
                  << annotation(pod, "kubernetes.io/config.seen"));
}

/// Removes every manifest and waits until the node runs no pod any more
/// and the runtime holds nothing for the pods it ran.
void drain(const manifest_dir& dir, const cafelet_process& node) {
  auto before = pod_list(node);
  std::vector<std::string> uids;
  if (const auto* items = before.find("items"))
    for (const auto& p : items->as_array())
      uids.push_back(uid_of(p));
  dir.clear();
  json::value last;
  bool empty = wait_list(node, [](const json::value& l) { return item_count(l) == 0; },
                         30s, last);
  CHECK_MESSAGE(empty, "pods still on the node after their manifests were removed: "
                         << json::dump(last));
  bool clean = eventually(
    [&] {
      for (const auto& uid : uids) {
        auto ids = runtime_containers(uid);
        if (!ids || !ids->empty())
          return false;
      }
      return true;
    },
    15s);
  CHECK_MESSAGE(clean, "runtime objects left for " << joined(uids));
}

/// Fails the test if an actor of the node was restarted (a crash).
void check_no_restarts(const cafelet_process& node) {
  auto restarts = node.lines_with({"child exited, restarting"});
  CHECK_MESSAGE(restarts.empty(), "actors restarted during the test: "
                                    << restarts.size() << "; first: "
                                    << (restarts.empty() ? "" : restarts.front()));
}

/// A standalone cafelet (no --kubeconfig) reading manifests from `dir`.
/// At the end every manifest is removed and the pods must go.
class standalone {
public:
  explicit standalone(const manifest_dir& dir, std::vector<std::string> extra = {})
    : dir_(dir) {
    cafelet_options opts{""}; // no kubeconfig
    opts.extra_args = {"--pod-manifest-path=" + dir.path()};
    opts.extra_args.insert(opts.extra_args.end(), extra.begin(), extra.end());
    node_ = std::make_unique<cafelet_process>(opts);
    bool up = eventually([&] { return node_->healthz() == 200; }, 15s);
    REQUIRE_MESSAGE(up, "healthz never answered 200; cafelet output:\n" << node_->tail());
  }

  ~standalone() {
    check_no_restarts(*node_);
    if (node_->running())
      drain(dir_, *node_);
  }

  standalone(const standalone&) = delete;
  standalone& operator=(const standalone&) = delete;

  cafelet_process& node() {
    return *node_;
  }

  /// /pods and the log tail (for failure messages).
  std::string dump() const {
    return "/pods: " + json::dump(pod_list(*node_)) + "\ncafelet output (tail):\n"
           + node_->tail(200);
  }

private:
  const manifest_dir& dir_;
  std::unique_ptr<cafelet_process> node_;
};

/// Waits until /pods shows runner and web Running (web Ready); returns the
/// list. Fails the test otherwise.
json::value wait_both_running(const cafelet_process& node, std::chrono::milliseconds limit) {
  json::value list;
  bool up = wait_list(node,
                      [](const json::value& l) {
                        return running_named(l, "runner" + suffix)
                               && ready_named(l, "web" + suffix);
                      },
                      limit, list);
  REQUIRE_MESSAGE(up, "runner and web never both Running and web Ready; last /pods: "
                        << json::dump(list));
  return list;
}

} // namespace

TEST_CASE("standalone: two manifests run with their node identity, sandboxes "
          "labelled with the pod UID") {
  manifest_dir dir;
  dir.write("runner.yaml", runner_yaml("blue"));
  dir.write("web.json", web_json());
  auto t0 = steady_clock::now();
  standalone s{dir};
  INFO(s.dump());
  CHECK(s.node().lines_with({"no --kubeconfig: running standalone"}).size() == 1);
  auto list = wait_both_running(s.node(), 30s);
  report("standalone: both static pods Running and web Ready after ",
         seconds_since(t0), " s");
  CHECK(list.get_string("kind") == "PodList");
  CHECK(list.get_string("apiVersion") == "v1");
  CHECK(item_count(list) == 2);

  const auto& runner = *named(list, "runner" + suffix);
  const auto& web = *named(list, "web" + suffix);
  check_identity(runner, "runner");
  check_identity(web, "web");
  auto runner_uid = uid_of(runner);
  auto web_uid = uid_of(web);
  CHECK(is_md5_hex(runner_uid));
  CHECK(runner_uid != web_uid);
  CHECK(annotation(runner, "kubernetes.io/config.hash") == runner_uid);
  CHECK(annotation(web, "kubernetes.io/config.hash") == web_uid);
  // The manifest's spec and labels as written; the status the node computed.
  CHECK(str_at(runner, {"metadata", "labels", "app"}) == "runner");
  const auto* containers = runner.find_path({"spec", "containers"});
  REQUIRE(containers != nullptr);
  CHECK(json::dump(containers->as_array()[0]).find(R"({"name":"COLOR","value":"blue"})")
        != std::string::npos);
  CHECK(int_at(web, {"spec", "terminationGracePeriodSeconds"}) == 5);
  CHECK(condition_status(web, "Ready") == "True");
  CHECK(condition_status(web, "ContainersReady") == "True");
  CHECK(app_status(web).get_string("name") == "httpd");
  CHECK(app_status(web).get_bool("ready"));
  CHECK(restart_count(runner) == 0);
  CHECK(restart_count(web) == 0);
  for (const auto* p : {&runner, &web}) {
    auto ip = str_at(*p, {"status", "podIP"});
    CHECK_MESSAGE(ip.starts_with(subnet_prefix()), "podIP " << ip);
    CHECK(container_id(*p).starts_with("containerd://"));
  }

  // One sandbox per pod in the runtime, labelled with UID, name, namespace.
  for (const auto& [uid, name] :
       {std::pair{runner_uid, "runner" + suffix}, std::pair{web_uid, "web" + suffix}}) {
    auto by_uid = runtime_sandboxes(uid);
    REQUIRE(by_uid.has_value());
    CHECK_MESSAGE(by_uid->size() == 1, name << " sandboxes: " << joined(*by_uid));
    auto by_name = sandboxes_named(name);
    REQUIRE(by_name.has_value());
    CHECK(*by_name == *by_uid);
    auto all = runtime_containers(uid);
    REQUIRE(all.has_value());
    CHECK_MESSAGE(all->size() == 2, name << " in the runtime: " << joined(*all));
  }
  // The container runs the manifest's env.
  CHECK(exec_out(runtime_id(runner), "echo $COLOR") == std::optional<std::string>{"blue"});
}

TEST_CASE("standalone: a changed manifest replaces its pod (the old one gone "
          "first); the other pod is untouched") {
  manifest_dir dir;
  // The old runner takes ~2 s to exit on TERM: a window in which a new pod
  // of the same name must not start.
  dir.write("runner.yaml", runner_yaml("blue", "sleep 2"));
  dir.write("web.json", web_json());
  standalone s{dir};
  INFO(s.dump());
  auto list = wait_both_running(s.node(), 30s);
  auto old_uid = uid_of(*named(list, "runner" + suffix));
  const auto& web = *named(list, "web" + suffix);
  auto web_uid = uid_of(web);
  auto web_cid = container_id(web);
  auto web_runtime = sorted_runtime(web_uid);
  auto old_sandbox = runtime_sandboxes(old_uid);
  REQUIRE(old_sandbox.has_value());
  REQUIRE(old_sandbox->size() == 1);

  // Change runner's env; rewrite web with the same content.
  auto t0 = steady_clock::now();
  dir.write("runner.yaml", runner_yaml("green", "sleep 2"));
  dir.write("web.json", web_json());
  std::string overlap;
  std::string new_uid;
  double old_gone_s = -1;
  bool replaced = eventually(
    [&] {
      auto named_sandboxes = sandboxes_named("runner" + suffix);
      if (named_sandboxes && named_sandboxes->size() > 1 && overlap.empty())
        overlap = joined(*named_sandboxes) + " after "
                  + std::to_string(seconds_since(t0)) + " s";
      auto old_ids = runtime_containers(old_uid);
      if (old_gone_s < 0 && old_ids && old_ids->empty())
        old_gone_s = seconds_since(t0);
      auto l = pod_list(s.node());
      const auto* p = named(l, "runner" + suffix);
      if (p == nullptr || uid_of(*p) == old_uid || !running_named(l, "runner" + suffix)
          || with_uid(l, old_uid) != nullptr || old_gone_s < 0)
        return false;
      new_uid = uid_of(*p);
      list = std::move(l);
      return true;
    },
    30s);
  REQUIRE_MESSAGE(replaced, "runner not replaced; old UID " << old_uid << ", last /pods: "
                                                            << json::dump(pod_list(s.node())));
  report("changed manifest: old pod gone after ", old_gone_s, " s, new pod Running after ",
         seconds_since(t0), " s");
  CHECK_MESSAGE(overlap.empty(), "two sandboxes of runner" << suffix << " at once: " << overlap);
  CHECK(new_uid != old_uid);
  CHECK(is_md5_hex(new_uid));
  const auto& runner = *named(list, "runner" + suffix);
  CHECK(annotation(runner, "kubernetes.io/config.hash") == new_uid);
  CHECK(restart_count(runner) == 0);
  CHECK(exec_out(runtime_id(runner), "echo $COLOR") == std::optional<std::string>{"green"});
  auto new_sandbox = runtime_sandboxes(new_uid);
  REQUIRE(new_sandbox.has_value());
  CHECK(new_sandbox->size() == 1);
  CHECK(*new_sandbox != *old_sandbox);
  CHECK(runtime_leftovers({old_uid}, 1s).empty());
  CHECK(s.node()
          .lines_with({"static pod waits for its predecessor to terminate",
                       "podUID=" + new_uid, "waitingFor=" + old_uid})
          .size()
        == 1);

  // web, rewritten unchanged: same UID, container, restarts, runtime.
  const auto* web_now = named(list, "web" + suffix);
  REQUIRE(web_now != nullptr);
  CHECK(uid_of(*web_now) == web_uid);
  CHECK(container_id(*web_now) == web_cid);
  CHECK(restart_count(*web_now) == 0);
  CHECK(condition_status(*web_now, "Ready") == "True");
  CHECK(sorted_runtime(web_uid) == web_runtime);
  CHECK(item_count(list) == 2);
}

TEST_CASE("standalone: a removed file terminates its pod with SIGTERM; invalid "
          "and ignored files are skipped, a fixed one starts") {
  manifest_dir dir;
  char tmpl[] = "/tmp/cafelet-static-marker-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  std::string marker_dir = tmpl;
  struct cleanup {
    std::string dir;
    ~cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } marker_cleanup{marker_dir};
  dir.write("runner.yaml", runner_yaml("blue", "echo TERM > /marker/got-term", marker_dir));
  dir.write("web.json", web_json());
  dir.write("broken.yaml", broken_yaml);
  dir.write("multi.yaml", multi_yaml);
  // Files the source must never read.
  dir.write(".hidden.yaml", sleeper_yaml("ghost-hidden"));
  dir.write("backup.yaml~", sleeper_yaml("ghost-backup"));
  dir.write("swap.swp", sleeper_yaml("ghost-swap"));
  dir.write("temp.tmp", sleeper_yaml("ghost-temp"));
  dir.write("#emacs#", sleeper_yaml("ghost-emacs"));
  fs::create_directory(dir.path("sub"));
  dir.write("sub/nested.yaml", sleeper_yaml("ghost-nested"));
  standalone s{dir};
  INFO(s.dump());
  auto list = wait_both_running(s.node(), 30s);
  CHECK(item_count(list) == 2);
  auto runner_uid = uid_of(*named(list, "runner" + suffix));
  const auto& web = *named(list, "web" + suffix);
  auto web_uid = uid_of(web);
  auto web_cid = container_id(web);

  // The invalid files: one warning each, naming file, line and field.
  auto broken = dir.path("broken.yaml");
  auto multi = dir.path("multi.yaml");
  auto broken_lines
    = s.node().lines_with({"invalid static pod manifest; skipped", "file=" + broken + " "});
  REQUIRE_MESSAGE(broken_lines.size() == 1, "warnings about broken.yaml: "
                                              << joined(broken_lines));
  const auto& bl = broken_lines.front();
  CHECK(bl.find("level=warning") != std::string::npos);
  CHECK(bl.find(" line=11 ") != std::string::npos);
  CHECK(bl.find(" field=spec.containers[0].imagee ") != std::string::npos);
  CHECK(bl.find("err=\"" + broken + ":11: spec.containers[0].imagee: ") != std::string::npos);
  auto multi_lines
    = s.node().lines_with({"invalid static pod manifest; skipped", "file=" + multi + " "});
  REQUIRE_MESSAGE(multi_lines.size() == 1, "warnings about multi.yaml: " << joined(multi_lines));
  const auto& ml = multi_lines.front();
  CHECK(ml.find(" line=11 ") != std::string::npos);
  CHECK(ml.find("err=\"" + multi + ":11: ") != std::string::npos);
  CHECK(ml.find("multiple YAML documents") != std::string::npos);
  // Nothing else was considered a manifest.
  auto warnings = s.node().lines_with({"level=warning", "manifest"});
  CHECK_MESSAGE(warnings.size() == 2, "manifest warnings: " << joined(warnings));

  // Removing runner.yaml: its container gets TERM (the marker), the sandbox
  // goes, well within the 30 s grace period.
  auto t0 = steady_clock::now();
  dir.remove("runner.yaml");
  bool gone = wait_list(s.node(),
                        [&](const json::value& l) {
                          if (with_uid(l, runner_uid) != nullptr)
                            return false;
                          auto ids = runtime_containers(runner_uid);
                          return ids && ids->empty();
                        },
                        20s, list);
  REQUIRE_MESSAGE(gone, "runner still there after its file was removed; /pods: "
                          << json::dump(list) << "; runtime: "
                          << joined(runtime_containers(runner_uid).value_or(
                               std::vector<std::string>{"ctr failed"})));
  auto terminated_s = seconds_since(t0);
  report("removed file: pod and sandbox gone after ", terminated_s, " s");
  CHECK(terminated_s < 15);
  std::ifstream marker{marker_dir + "/got-term"};
  std::string got;
  std::getline(marker, got);
  CHECK_MESSAGE(got == "TERM", "the container did not see SIGTERM (marker: '" << got << "')");
  CHECK(runtime_leftovers({runner_uid}, 1s).empty());

  // Fixing broken.yaml starts its pod; web keeps running as it was.
  t0 = steady_clock::now();
  std::string fixed{broken_yaml};
  auto bad = fixed.find("    imagee: localhost/busybox:ci\n");
  REQUIRE(bad != std::string::npos);
  fixed.erase(bad, std::string_view{"    imagee: localhost/busybox:ci\n"}.size());
  dir.move_in("broken.yaml", fixed);
  bool fixed_runs = wait_list(
    s.node(), [](const json::value& l) { return running_named(l, "broken" + suffix); }, 30s,
    list);
  REQUIRE_MESSAGE(fixed_runs, "fixed manifest never Running; /pods: " << json::dump(list));
  report("fixed manifest: Running after ", seconds_since(t0), " s");
  check_identity(*named(list, "broken" + suffix), "broken");
  const auto* web_now = named(list, "web" + suffix);
  REQUIRE(web_now != nullptr);
  CHECK(uid_of(*web_now) == web_uid);
  CHECK(container_id(*web_now) == web_cid);
  CHECK(restart_count(*web_now) == 0);
  CHECK(is_running(*web_now));
  // Still only web and broken: no ghost, no multi.
  CHECK_MESSAGE(item_count(list) == 2, json::dump(list));
  // The re-reads after each change did not log the unchanged invalid
  // files again.
  CHECK(s.node().lines_with({"invalid static pod manifest", "file=" + multi + " "}).size()
        == 1);
  CHECK(s.node().lines_with({"invalid static pod manifest", "file=" + broken + " "}).size()
        == 1);
}

TEST_CASE("standalone: a change no watched event reports is read within "
          "fileCheckFrequency") {
  manifest_dir dir;
  dir.write("runner.yaml", runner_yaml("blue1"));
  standalone s{dir, {"--file-check-frequency=1s"}};
  INFO(s.dump());
  json::value list;
  REQUIRE_MESSAGE(wait_list(
                    s.node(),
                    [](const json::value& l) { return running_named(l, "runner" + suffix); },
                    30s, list),
                  "runner never Running; /pods: " << json::dump(list));
  auto old_uid = uid_of(*named(list, "runner" + suffix));
  // Overwritten in place through a descriptor kept open: a modification
  // only (no close-write, create, move or attribute event), which only the
  // periodic re-read sees.
  auto next = runner_yaml("blue2");
  REQUIRE(next.size() == runner_yaml("blue1").size());
  int fd = ::open(dir.path("runner.yaml").c_str(), O_WRONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  struct closer {
    int fd;
    ~closer() {
      ::close(fd);
    }
  } close_later{fd};
  auto t0 = steady_clock::now();
  REQUIRE(::pwrite(fd, next.data(), next.size(), 0) == static_cast<ssize_t>(next.size()));
  bool replaced = wait_list(s.node(),
                            [&](const json::value& l) {
                              const auto* p = named(l, "runner" + suffix);
                              return p != nullptr && uid_of(*p) != old_uid
                                     && running_named(l, "runner" + suffix)
                                     && with_uid(l, old_uid) == nullptr;
                            },
                            15s, list);
  REQUIRE_MESSAGE(replaced, "the rewritten manifest was not read; /pods: " << json::dump(list));
  report("periodic re-read: new pod Running after ", seconds_since(t0), " s");
  const auto& runner = *named(list, "runner" + suffix);
  CHECK(exec_out(runtime_id(runner), "echo $COLOR") == std::optional<std::string>{"blue2"});
}

namespace {

/// A cafelet node on the test API server with static pods from `dir`; at
/// the end every manifest is removed and the pods must go.
struct mirrored {
  const manifest_dir& dir;
  pod_e2e e;

  explicit mirrored(const manifest_dir& d)
    : dir(d), e(std::vector<std::string>{"--pod-manifest-path=" + d.path()}) {
  }

  ~mirrored() {
    if (e.node().running())
      drain(dir, e.node());
  }

  api_object mirror(std::string_view stem) {
    return e.cluster().get(mirrors_path + "/" + std::string{stem} + suffix);
  }

  std::string dump() {
    std::string out = "mirror pods:\n";
    auto l = e.cluster().get(mirrors_path);
    if (const auto* items = l.body.find("items"))
      for (const auto& p : items->as_array())
        out += json::dump(p) + "\n";
    out += "/pods: " + json::dump(pod_list(e.node())) + "\n";
    return out + e.dump();
  }
};

/// Waits until the mirror of `stem` satisfies `pred`; `last` keeps it.
template <class Pred>
bool wait_mirror(mirrored& m, std::string_view stem, Pred pred,
                 std::chrono::milliseconds limit, json::value& last) {
  return eventually(
    [&] {
      auto r = m.mirror(stem);
      if (r.status != 200)
        return false;
      last = std::move(r.body);
      return pred(last);
    },
    limit);
}

/// A mirror of static pod `static_uid` not being deleted.
bool mirrors(const json::value& mirror, const std::string& static_uid) {
  return annotation(mirror, "kubernetes.io/config.mirror") == static_uid
         && mirror.find_path({"metadata", "deletionTimestamp"}) == nullptr;
}

} // namespace

TEST_CASE("mirror pods: annotations, Node owner and status; recreated after an "
          "admin's deletion; replaced with a changed manifest") {
  manifest_dir dir;
  dir.write("runner.yaml", runner_yaml("blue"));
  dir.write("web.json", web_json());
  auto t0 = steady_clock::now();
  mirrored m{dir};
  INFO(m.dump());
  auto node_uid = str_at(m.e.node_json(), {"metadata", "uid"});
  REQUIRE(!node_uid.empty());
  auto list = wait_both_running(m.e.node(), 30s);
  auto runner_uid = uid_of(*named(list, "runner" + suffix));
  auto web_uid = uid_of(*named(list, "web" + suffix));

  // Both mirrors: the static pod's identity, the Node as controller owner,
  // the node's status (web Running and Ready).
  json::value web_mirror;
  bool web_ok = wait_mirror(
    m, "web",
    [&](const json::value& p) {
      return mirrors(p, web_uid) && is_running(p) && condition_status(p, "Ready") == "True";
    },
    30s, web_mirror);
  REQUIRE_MESSAGE(web_ok, "web mirror never Running and Ready: " << json::dump(web_mirror));
  json::value runner_mirror;
  REQUIRE_MESSAGE(wait_mirror(
                    m, "runner",
                    [&](const json::value& p) { return mirrors(p, runner_uid) && is_running(p); },
                    20s, runner_mirror),
                  "runner mirror never Running: " << json::dump(runner_mirror));
  report("mirror pods: both Running (web Ready) on the API server after ", seconds_since(t0),
         " s");
  list = pod_list(m.e.node());
  for (const auto& [stem, mirror, uid] :
       {std::tuple{"runner", &runner_mirror, runner_uid},
        std::tuple{"web", &web_mirror, web_uid}}) {
    CAPTURE(json::dump(*mirror));
    check_identity(*mirror, stem);
    CHECK(annotation(*mirror, "kubernetes.io/config.hash") == uid);
    CHECK(annotation(*mirror, "kubernetes.io/config.mirror") == uid);
    CHECK(uid_of(*mirror) != uid); // the API server's own UID
    const auto* owners = mirror->find_path({"metadata", "ownerReferences"});
    REQUIRE(owners != nullptr);
    REQUIRE(owners->is_array());
    REQUIRE(owners->size() == 1);
    const auto& owner = owners->as_array()[0];
    CHECK(owner.get_string("apiVersion") == "v1");
    CHECK(owner.get_string("kind") == "Node");
    CHECK(owner.get_string("name") == node_name);
    CHECK(owner.get_string("uid") == node_uid);
    CHECK(owner.get_bool("controller"));
    // The status is the node's.
    const auto* local = with_uid(list, uid);
    REQUIRE(local != nullptr);
    CHECK(str_at(*mirror, {"status", "podIP"}) == str_at(*local, {"status", "podIP"}));
    CHECK(container_id(*mirror) == container_id(*local));
  }
  CHECK(condition_status(web_mirror, "ContainersReady") == "True");

  // What must survive the mirrors' deletions.
  const auto* runner_local = with_uid(list, runner_uid);
  const auto* web_local = with_uid(list, web_uid);
  REQUIRE(runner_local != nullptr);
  REQUIRE(web_local != nullptr);
  auto runner_cid = container_id(*runner_local);
  auto web_cid = container_id(*web_local);
  auto runner_runtime = sorted_runtime(runner_uid);
  auto web_runtime = sorted_runtime(web_uid);

  // A graceful DELETE of runner's mirror: deleted for good and recreated
  // with a new UID, the status patched onto it.
  auto old_runner_mirror = uid_of(runner_mirror);
  t0 = steady_clock::now();
  auto res = m.e.cluster().admin().del(mirrors_path + "/runner" + suffix);
  REQUIRE_MESSAGE(res.status == 200, res.body);
  bool recreated = wait_mirror(
    m, "runner",
    [&](const json::value& p) {
      return uid_of(p) != old_runner_mirror && mirrors(p, runner_uid) && is_running(p)
             && container_id(p) == runner_cid;
    },
    20s, runner_mirror);
  REQUIRE_MESSAGE(recreated, "runner mirror not recreated: " << json::dump(runner_mirror));
  report("mirror deleted gracefully: recreated with status after ", seconds_since(t0), " s");
  check_identity(runner_mirror, "runner");

  // A forced deletion (grace 0) of web's mirror: recreated too.
  auto old_web_mirror = uid_of(web_mirror);
  t0 = steady_clock::now();
  res = m.e.cluster().admin().del(mirrors_path + "/web" + suffix + "?gracePeriodSeconds=0");
  REQUIRE_MESSAGE(res.status == 200, res.body);
  recreated = wait_mirror(
    m, "web",
    [&](const json::value& p) {
      return uid_of(p) != old_web_mirror && mirrors(p, web_uid)
             && condition_status(p, "Ready") == "True" && container_id(p) == web_cid;
    },
    20s, web_mirror);
  REQUIRE_MESSAGE(recreated, "web mirror not recreated: " << json::dump(web_mirror));
  report("mirror force-deleted: recreated with status after ", seconds_since(t0), " s");

  // The static pods ran on, untouched.
  list = pod_list(m.e.node());
  for (const auto& [uid, cid, runtime] :
       {std::tuple{runner_uid, runner_cid, runner_runtime},
        std::tuple{web_uid, web_cid, web_runtime}}) {
    const auto* p = with_uid(list, uid);
    REQUIRE_MESSAGE(p != nullptr, "static pod " << uid << " gone: " << json::dump(list));
    CHECK(is_running(*p));
    CHECK(container_id(*p) == cid);
    CHECK(restart_count(*p) == 0);
    CHECK(sorted_runtime(uid) == runtime);
  }
  CHECK(restart_count(runner_mirror) == 0);
  CHECK(restart_count(web_mirror) == 0);

  // A changed manifest: a new static pod, its mirror replacing the old one.
  auto previous_mirror = uid_of(runner_mirror);
  t0 = steady_clock::now();
  dir.write("runner.yaml", runner_yaml("green"));
  std::string new_uid;
  bool new_pod = wait_list(m.e.node(),
                           [&](const json::value& l) {
                             const auto* p = named(l, "runner" + suffix);
                             if (p == nullptr || uid_of(*p) == runner_uid
                                 || !running_named(l, "runner" + suffix))
                               return false;
                             new_uid = uid_of(*p);
                             return true;
                           },
                           30s, list);
  REQUIRE_MESSAGE(new_pod, "runner not replaced: " << json::dump(list));
  auto new_cid = container_id(*named(list, "runner" + suffix));
  bool replaced = wait_mirror(
    m, "runner",
    [&](const json::value& p) {
      return mirrors(p, new_uid) && is_running(p) && container_id(p) == new_cid;
    },
    20s, runner_mirror);
  REQUIRE_MESSAGE(replaced, "runner mirror not replaced (static pod "
                              << new_uid << "): " << json::dump(runner_mirror));
  report("changed manifest: new mirror with the new pod's status after ", seconds_since(t0),
         " s");
  CHECK(uid_of(runner_mirror) != previous_mirror);
  CHECK(annotation(runner_mirror, "kubernetes.io/config.hash") == new_uid);
  const auto* owners = runner_mirror.find_path({"metadata", "ownerReferences"});
  REQUIRE(owners != nullptr);
  REQUIRE(owners->size() == 1);
  CHECK(owners->as_array()[0].get_string("uid") == node_uid);
  CHECK(json::dump(*runner_mirror.find_path({"spec", "containers"})).find(R"("value":"green")")
        != std::string::npos);
  // web's mirror was not touched.
  auto web_now = m.mirror("web");
  REQUIRE(web_now.status == 200);
  CHECK(uid_of(web_now.body) == uid_of(web_mirror));

  // Without manifests, no static pods and no mirrors.
  drain(dir, m.e.node());
  bool mirrors_gone = eventually(
    [&] { return m.mirror("runner").status == 404 && m.mirror("web").status == 404; }, 20s);
  CHECK_MESSAGE(mirrors_gone, "mirror pods left after their manifests were removed");
}
