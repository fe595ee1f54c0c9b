// What a container sees of its pod, end to end on the real runtime: the
// service-account token of the injected kube-api-access volume (JWT claims
// bound to the pod), ConfigMap and Secret volumes and env, updates reaching
// mounted files, tmpfs where secrets live, emptyDir shared by two
// containers, hostPath DirectoryOrCreate, a Memory emptyDir, a missing
// ConfigMap that appears later, a subPath escape refused, and nothing left
// on the node after deletion.
//
// Every wait is a bounded poll; fixed periods only observe that something
// does NOT change.

#include "net/client/base64.hpp"
#include "tests/integration/pod_e2e.hpp"

#include <filesystem>
#include <sys/mount.h>
#include <fstream>

using namespace cafelet;
using namespace cafelet::e2e;
using namespace cafelet::testing;
using namespace std::chrono_literals;
using std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

json::value parse_json(std::string_view text) {
  auto v = json::parse(text);
  REQUIRE_MESSAGE(static_cast<bool>(v), "bad JSON in the test: " << text);
  return std::move(*v);
}

std::string runtime_id(const json::value& pod) {
  auto id = container_id(pod);
  auto sep = id.find("://");
  return sep == std::string::npos ? id : id.substr(sep + 3);
}

/// The runtime ID of container `name` of `pod`.
std::string runtime_id_of(const json::value& pod, std::string_view name) {
  if (const auto* xs = pod.find("status") ? pod.find("status")->find("containerStatuses")
                                          : nullptr)
    for (const auto& c : xs->as_array())
      if (c.get_string("name") == name) {
        auto id = c.get_string("containerID");
        auto sep = id.find("://");
        return sep == std::string::npos ? id : id.substr(sep + 3);
      }
  return {};
}

bool all_ready(const json::value& p) {
  return is_running(p) && condition_status(p, "Ready") == "True";
}

/// The claims of a JWT (base64url payload).
json::value jwt_claims(const std::string& token) {
  auto first = token.find('.');
  auto second = token.find('.', first + 1);
  REQUIRE_MESSAGE((first != std::string::npos && second != std::string::npos),
                  "not a JWT: " << token);
  auto payload = token.substr(first + 1, second - first - 1);
  for (auto& ch : payload)
    ch = ch == '-' ? '+' : ch == '_' ? '/' : ch;
  auto bytes = net::base64_decode(payload, "jwt payload");
  REQUIRE(static_cast<bool>(bytes));
  return parse_json(*bytes);
}

std::string volumes_root_of(pod_e2e& e, const std::string& uid) {
  return e.node().root_dir() + "/pods/" + uid;
}

bool mounted_below(const std::string& prefix) {
  std::ifstream in{"/proc/self/mountinfo"};
  std::string line;
  while (std::getline(in, line))
    if (line.find(" " + prefix) != std::string::npos)
      return true;
  return false;
}

} // namespace

TEST_CASE("the service-account token: a JWT bound to the pod, with ca.crt and namespace") {
  pod_e2e e;
  INFO(e.dump());
  auto created = e.create({"tok", "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"});
  auto uid = str_at(created, {"metadata", "uid"});
  json::value pod;
  REQUIRE_MESSAGE(e.wait_pod("tok", all_ready, 45s, pod), "never Ready: " << json::dump(pod));
  auto cid = runtime_id(pod);
  const std::string dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  auto token = exec_out(cid, "cat " + dir + "/token");
  REQUIRE(token.has_value());
  auto claims = jwt_claims(*token);
  INFO("claims: " << json::dump(claims));
  CHECK(str_at(claims, {"kubernetes.io", "pod", "name"}) == "tok");
  CHECK(str_at(claims, {"kubernetes.io", "pod", "uid"}) == uid);
  CHECK(str_at(claims, {"kubernetes.io", "namespace"}) == "e2e");
  CHECK(str_at(claims, {"kubernetes.io", "serviceaccount", "name"}) == "default");
  CHECK(claims.find("aud") != nullptr);
  auto ns = exec_out(cid, "cat " + dir + "/namespace");
  CHECK(ns == std::optional<std::string>{"e2e"});
  auto ca = exec_out(cid, "head -1 " + dir + "/ca.crt");
  CHECK(ca == std::optional<std::string>{"-----BEGIN CERTIFICATE-----"});
  // The API server's Service variables, as every container gets them.
  CHECK(exec_out(cid, "echo $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT:$KUBERNETES_PORT")
        == std::optional<std::string>{"10.96.0.1:443:tcp://10.96.0.1:443"});
  // cafelet's /etc/hosts: the pod IP with the pod's hostname.
  auto hosts = exec_out(cid, "cat /etc/hosts");
  REQUIRE(hosts.has_value());
  CHECK(hosts->find("# Kubernetes-managed hosts file.") == 0);
  CHECK(hosts->find(str_at(pod, {"status", "podIP"}) + "\ttok") != std::string::npos);
  // The token lives on tmpfs, read-only in the container.
  auto fstype = exec_out(cid, "awk '$2 == \"" + dir + "\" {print $3, substr($4,1,2)}' /proc/mounts");
  CHECK(fstype == std::optional<std::string>{"tmpfs ro"});
}

TEST_CASE("ConfigMap and Secret volumes and env; updates reach the file; emptyDir, hostPath") {
  pod_e2e e;
  INFO(e.dump());
  auto admin = [&](const std::string& path, const std::string& body) {
    auto res = e.cluster().admin().post(path, body);
    REQUIRE_MESSAGE(res.status == 201, path << ": " << res.body);
  };
  admin("/api/v1/namespaces/e2e/configmaps",
        R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"app-config"},
            "data":{"mode":"edge","app.conf":"version=1"}})");
  admin("/api/v1/namespaces/e2e/secrets",
        R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"app-secret"},
            "data":{"password":"aHVudGVyMg=="}})");
  char tmpl[] = "/tmp/cafelet-e2e-hostpath-XXXXXX";
  std::string host_base = ::mkdtemp(tmpl);
  auto host_dir = host_base + "/made/by/kubelet";
  pod_spec spec{"vols", "trap 'exit 0' TERM; echo shared > /shared/from-app; "
                        "while true; do sleep 1 & wait $!; done"};
  spec.spec_extra = parse_json(R"({"volumes": [
      {"name": "cfg", "configMap": {"name": "app-config"}},
      {"name": "creds", "secret": {"secretName": "app-secret", "defaultMode": 256}},
      {"name": "shared", "emptyDir": {}},
      {"name": "cache", "emptyDir": {"medium": "Memory", "sizeLimit": "16Mi"}},
      {"name": "host", "hostPath": {"path": ")" + host_dir + R"(", "type": "DirectoryOrCreate"}}]})");
  spec.container_extra = parse_json(R"({
      "env": [{"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "app-config", "key": "mode"}}},
              {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "app-secret", "key": "password"}}}],
      "volumeMounts": [{"name": "cfg", "mountPath": "/etc/app"},
                       {"name": "creds", "mountPath": "/etc/creds"},
                       {"name": "shared", "mountPath": "/shared"},
                       {"name": "cache", "mountPath": "/cache"},
                       {"name": "host", "mountPath": "/host"}]})");
  spec.more_containers.push_back(parse_json(R"({"name": "side", "image": "localhost/busybox:ci",
      "imagePullPolicy": "Never",
      "command": ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"],
      "volumeMounts": [{"name": "shared", "mountPath": "/data"}]})"));
  auto uid = str_at(e.create(spec), {"metadata", "uid"});
  json::value pod;
  REQUIRE_MESSAGE(e.wait_pod("vols", all_ready, 45s, pod), "never Ready: " << json::dump(pod));
  auto app = runtime_id_of(pod, "app");
  auto side = runtime_id_of(pod, "side");
  CHECK(exec_out(app, "cat /etc/app/app.conf") == std::optional<std::string>{"version=1"});
  CHECK(exec_out(app, "echo $MODE $PASSWORD") == std::optional<std::string>{"edge hunter2"});
  CHECK(exec_out(app, "cat /etc/creds/password") == std::optional<std::string>{"hunter2"});
  CHECK(exec_out(app, "stat -L -c %a /etc/creds/password") == std::optional<std::string>{"400"});
  CHECK(exec_out(app, "awk '$2 == \"/etc/creds\" {print $3}' /proc/mounts")
        == std::optional<std::string>{"tmpfs"});
  CHECK(exec_out(app, "awk '$2 == \"/cache\" {print $3}' /proc/mounts")
        == std::optional<std::string>{"tmpfs"});
  CHECK(exec_out(side, "cat /data/from-app") == std::optional<std::string>{"shared"});
  CHECK(fs::is_directory(host_dir));

  // An update reaches the mounted file within 10 s, never half-written.
  auto res = e.cluster().admin().patch(
    "/api/v1/namespaces/e2e/configmaps/app-config",
    R"({"data":{"app.conf":"version=2"}})", "application/merge-patch+json");
  REQUIRE_MESSAGE(res.status == 200, res.body);
  auto t0 = steady_clock::now();
  std::optional<std::string> seen;
  bool updated = eventually(
    [&] {
      seen = exec_out(app, "cat /etc/app/app.conf");
      REQUIRE_MESSAGE((seen == std::optional<std::string>{"version=1"}
                       || seen == std::optional<std::string>{"version=2"}),
                      "torn or missing: " << seen.value_or("<exec failed>"));
      return seen == std::optional<std::string>{"version=2"};
    },
    10s);
  CHECK_MESSAGE(updated, "still " << seen.value_or("<exec failed>") << " after 10 s");
  report("volumes: ConfigMap update visible in the container after ",
         std::chrono::duration<double>(steady_clock::now() - t0).count(), " s");

  // Deleted: no volume directory, no tmpfs left.
  auto pod_dir = volumes_root_of(e, uid);
  e.remove("vols");
  REQUIRE(e.wait_gone("vols", 30s));
  CHECK(eventually([&] { return !fs::exists(pod_dir); }, 10s));
  CHECK_FALSE(mounted_below(pod_dir));
  std::error_code ec;
  fs::remove_all(host_base, ec);
}

TEST_CASE("a missing ConfigMap: CreateContainerConfigError, then the pod starts once it exists") {
  pod_e2e e;
  INFO(e.dump());
  pod_spec spec{"late", "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"};
  spec.container_extra = parse_json(R"({"env": [{"name": "MODE",
      "valueFrom": {"configMapKeyRef": {"name": "late-config", "key": "mode"}}}]})");
  e.create(spec);
  json::value pod;
  REQUIRE_MESSAGE(e.wait_pod("late",
                             [](const json::value& p) {
                               return waiting_reason(p) == "CreateContainerConfigError";
                             },
                             30s, pod),
                  "no CreateContainerConfigError: " << json::dump(pod));
  CHECK(waiting_message(pod) == "configmap \"late-config\" not found");
  auto res = e.cluster().admin().post(
    "/api/v1/namespaces/e2e/configmaps",
    R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"late-config"},"data":{"mode":"x"}})");
  REQUIRE(res.status == 201);
  CHECK_MESSAGE(e.wait_pod("late", all_ready, 30s, pod), "never Ready: " << json::dump(pod));
}

TEST_CASE("a subPath escaping its volume through a symlink is refused") {
  pod_e2e e;
  INFO(e.dump());
  // An init container plants a symlink to / in the emptyDir; the app
  // container then mounts a subPath through it.
  pod_spec spec{"escape", "sleep 3600"};
  spec.spec_extra = parse_json(R"({"volumes": [{"name": "scratch", "emptyDir": {}}],
      "initContainers": [{"name": "plant", "image": "localhost/busybox:ci",
        "imagePullPolicy": "Never", "command": ["ln", "-s", "/", "/scratch/evil"],
        "volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}]}]})");
  spec.container_extra = parse_json(R"({"volumeMounts": [{"name": "scratch", "mountPath": "/x",
      "subPath": "evil/etc"}]})");
  auto uid = str_at(e.create(spec), {"metadata", "uid"});
  json::value pod;
  REQUIRE_MESSAGE(e.wait_pod("escape",
                             [](const json::value& p) {
                               const auto* xs = p.find("status")
                                                  ? p.find("status")->find("containerStatuses")
                                                  : nullptr;
                               if (xs == nullptr)
                                 return false;
                               for (const auto& c : xs->as_array())
                                 if (c.get_string("name") == "app"
                                     && str_at(c, {"state", "waiting", "reason"})
                                          == "CreateContainerConfigError")
                                   return true;
                               return false;
                             },
                             45s, pod),
                  "not refused: " << json::dump(pod));
  CHECK(waiting_message(pod).find("spec.containers[0].volumeMounts[0].subPath: ") == 0);
  CHECK_FALSE(fs::exists("/etc/cafelet-e2e-probe"));
  CHECK(e.node().running());
}

TEST_CASE("termination messages: the file, and the log tail under FallbackToLogsOnError") {
  pod_e2e e;
  INFO(e.dump());
  pod_spec file{"msg-file", "echo -n bye > /dev/termination-log; exit 3", "Never"};
  e.create(file);
  pod_spec logs{"msg-logs", "echo first; echo oops; exit 2", "Never"};
  logs.container_extra = parse_json(R"({"terminationMessagePolicy": "FallbackToLogsOnError"})");
  e.create(logs);
  json::value pod;
  REQUIRE_MESSAGE(e.wait_pod("msg-file", is_finished, 45s, pod), json::dump(pod));
  CHECK(str_at(app_status(pod), {"state", "terminated", "message"}) == "bye");
  CHECK(int_at(app_status(pod), {"state", "terminated", "exitCode"}) == 3);
  REQUIRE_MESSAGE(e.wait_pod("msg-logs", is_finished, 45s, pod), json::dump(pod));
  CHECK(str_at(app_status(pod), {"state", "terminated", "message"}) == "first\noops\n");
}

TEST_CASE("pod directories left behind are removed at start-up, mounts included") {
  pod_e2e e;
  INFO(e.dump());
  REQUIRE(e.node().kill_hard() == 128 + SIGKILL);
  auto orphan = e.node().root_dir() + "/pods/0badcafe-0000-4000-8000-000000000001";
  auto secret_dir = orphan + "/volumes/kubernetes.io~secret/creds";
  fs::create_directories(secret_dir);
  REQUIRE(::mount("tmpfs", secret_dir.c_str(), "tmpfs", 0, "size=1m") == 0);
  std::ofstream{secret_dir + "/password"} << "left over";
  e.node().restart();
  CHECK_MESSAGE(eventually([&] { return !fs::exists(orphan); }, 20s),
                "still there: " << orphan);
  CHECK_FALSE(mounted_below(orphan));
  CHECK(e.node().lines_with({"removed an orphaned pod directory"}).size() == 1);
}
