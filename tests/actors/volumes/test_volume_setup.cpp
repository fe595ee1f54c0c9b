// A pod's volumes as a whole: set-up of every kind under a temporary root
// (tmpfs for secret and projected volumes), the CRI mounts of a container
// (read-only for kubelet-managed volumes, subPath resolved, unknown volume
// refused), updates rewriting payloads, and tear-down leaving nothing.
#include "actors/volumes/volume_dirs.hpp"
#include "actors/volumes/etc_hosts.hpp"
#include "actors/volumes/io_thread.hpp"
#include "actors/volumes/volume_setup.hpp"
#include "messages/errors.hpp"
#include "tests/actors/pods/pod_builders.hpp"

#include <doctest/doctest.h>

#include <sys/mount.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

using namespace cafelet;
using namespace cafelet::actors;
using namespace cafelet::actors::volumes;
namespace fs = std::filesystem;

namespace {

/// A temporary kubelet root, unmounted and removed at the end.
struct temp_root {
  std::string path;
  temp_root() {
    char tmpl[] = "/tmp/cafelet-volsetup-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~temp_root() {
    for (const auto& uid : pod_dirs(path))
      remove_pod_dir(path, uid);
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string read_file(const std::string& p) {
  std::ifstream in{p};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string fstype_of(const std::string& path) {
  std::ifstream in{"/proc/self/mountinfo"};
  std::string line, result;
  while (std::getline(in, line)) {
    std::istringstream words{line};
    std::vector<std::string> f;
    for (std::string w; words >> w;)
      f.push_back(w);
    auto sep = std::find(f.begin(), f.end(), "-");
    if (f.size() > 4 && f[4] == path && sep != f.end() && sep + 1 != f.end())
      result = *(sep + 1);
  }
  return result;
}

k8s::pod full_pod() {
  auto p = test::make_pod("web", "uid-vol-1");
  p.metadata.labels = {{"app", "web"}};
  k8s::volume scratch;
  scratch.name = "scratch";
  scratch.empty_dir = k8s::empty_dir_volume{};
  k8s::volume cfg;
  cfg.name = "cfg";
  cfg.config_map = k8s::config_map_volume{};
  cfg.config_map->name = "app-config";
  k8s::volume creds;
  creds.name = "creds";
  creds.secret = k8s::secret_volume{};
  creds.secret->secret_name = "app-secret";
  creds.secret->default_mode = 0400;
  k8s::volume info;
  info.name = "info";
  info.downward_api = k8s::downward_api_volume{};
  k8s::downward_api_file labels;
  labels.path = "labels";
  labels.field_ref = k8s::object_field_selector{"v1", "metadata.labels"};
  info.downward_api->items.push_back(labels);
  k8s::volume access;
  access.name = "kube-api-access";
  access.projected = k8s::projected_volume{};
  k8s::volume_projection token;
  token.service_account_token = k8s::service_account_token_projection{"", 3607, "token"};
  access.projected->sources.push_back(token);
  p.spec.volumes = {scratch, cfg, creds, info, access};
  auto c = test::make_container("app");
  c.volume_mounts = {{"scratch", "/scratch", "", "", false, "", ""},
                     {"cfg", "/etc/app", "", "", false, "", ""},
                     {"scratch", "/data", "sub/dir", "", false, "", ""}};
  p.spec.containers.push_back(c);
  return p;
}

volume_inputs inputs(std::string value = "v1") {
  volume_inputs in;
  auto cm = std::make_shared<k8s::config_map>();
  cm->data = {{"setting", value}};
  in.config_maps["app-config"] = cm;
  auto s = std::make_shared<k8s::secret>();
  s->data = {{"password", "aHVudGVyMg=="}}; // hunter2
  in.secrets["app-secret"] = s;
  in.tokens[{"kube-api-access", 0}] = "header.payload.signature";
  return in;
}

} // namespace

TEST_CASE("every volume kind is set up under the pod's directory") {
  temp_root root;
  auto pod = full_pod();
  auto vols = setup_pod_volumes(root.path, pod, inputs());
  REQUIRE_MESSAGE(vols, describe(vols.error()));
  REQUIRE(vols->size() == 5);
  auto base = root.path + "/pods/uid-vol-1/volumes/";
  CHECK((*vols)[0].host_path == base + "kubernetes.io~empty-dir/scratch");
  CHECK_FALSE((*vols)[0].kubelet_managed);
  CHECK(read_file(base + "kubernetes.io~configmap/cfg/setting") == "v1");
  CHECK(read_file(base + "kubernetes.io~secret/creds/password") == "hunter2");
  CHECK(fstype_of(base + "kubernetes.io~secret/creds") == "tmpfs");
  struct stat st{};
  REQUIRE(::stat((base + "kubernetes.io~secret/creds/password").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0400);
  CHECK(read_file(base + "kubernetes.io~downward-api/info/labels") == "app=\"web\"");
  CHECK(read_file(base + "kubernetes.io~projected/kube-api-access/token")
        == "header.payload.signature");
  CHECK(fstype_of(base + "kubernetes.io~projected/kube-api-access") == "tmpfs");
  CHECK(fstype_of(base + "kubernetes.io~configmap/cfg").empty()); // on disk

  // An update rewrites the payload atomically; a second set-up mounts nothing twice.
  auto again = setup_pod_volumes(root.path, pod, inputs("v2"));
  REQUIRE(again);
  CHECK(read_file(base + "kubernetes.io~configmap/cfg/setting") == "v2");

  // Tear-down leaves nothing (the tmpfs mounts included).
  CHECK_FALSE(teardown_pod_volumes(root.path, "uid-vol-1"));
  CHECK_FALSE(fs::exists(root.path + "/pods/uid-vol-1"));
  CHECK(fstype_of(base + "kubernetes.io~secret/creds").empty());
}

TEST_CASE("a missing object names the volume and keeps its code") {
  temp_root root;
  auto pod = full_pod();
  auto in = inputs();
  in.config_maps.clear();
  auto vols = setup_pod_volumes(root.path, pod, in);
  REQUIRE_FALSE(vols);
  CHECK(is(vols.error(), errc::not_found));
  CHECK(context_of(vols.error()) == "volume \"cfg\": configmap \"app-config\" not found");
}

TEST_CASE("container mounts: volume paths, read-only for kubelet-managed, subPath inside") {
  temp_root root;
  auto pod = full_pod();
  auto vols = setup_pod_volumes(root.path, pod, inputs());
  REQUIRE(vols);
  auto mounts = container_mounts(pod.spec.containers[0], "spec.containers[0]", *vols, {});
  REQUIRE_MESSAGE(mounts, describe(mounts.error()));
  REQUIRE(mounts->size() == 3);
  CHECK((*mounts)[0].container_path == "/scratch");
  CHECK_FALSE((*mounts)[0].read_only);
  CHECK((*mounts)[1].read_only); // configMap: kubelet-managed
  CHECK((*mounts)[2].host_path
        == root.path + "/pods/uid-vol-1/volumes/kubernetes.io~empty-dir/scratch/sub/dir");
  CHECK(fs::is_directory((*mounts)[2].host_path));

  auto c = pod.spec.containers[0];
  c.volume_mounts.push_back({"nope", "/x", "", "", false, "", ""});
  auto bad = container_mounts(c, "spec.containers[0]", *vols, {});
  REQUIRE_FALSE(bad);
  CHECK(context_of(bad.error()) == "spec.containers[0].volumeMounts[3].name: Not found: \"nope\"");

  // A subPath through a symlink out of the volume is refused; /etc untouched.
  auto scratch = (*vols)[0].host_path;
  fs::create_directory_symlink("/etc", scratch + "/escape");
  c = pod.spec.containers[0];
  c.volume_mounts = {{"scratch", "/x", "escape/cafelet-probe", "", false, "", ""}};
  auto escaped = container_mounts(c, "spec.containers[0]", *vols, {});
  REQUIRE_FALSE(escaped);
  CHECK(context_of(escaped.error()).find("spec.containers[0].volumeMounts[0].subPath: ") == 0);
  CHECK_FALSE(fs::exists("/etc/cafelet-probe"));

  // subPathExpr expands against the container's environment.
  c.volume_mounts = {{"scratch", "/x", "", "$(POD)/logs", false, "", ""}};
  auto expanded = container_mounts(c, "spec.containers[0]", *vols, {{"POD", "web"}});
  REQUIRE(expanded);
  CHECK((*expanded)[0].host_path == scratch + "/web/logs");
}

TEST_CASE("the I/O thread runs tasks in order, off the caller's thread, and drains on exit") {
  std::vector<int> order;
  std::thread::id ran_on;
  std::promise<void> gate;
  auto opened = gate.get_future().share();
  {
    io_thread io{"test-io"};
    // The first task holds the thread until the test has queued the rest.
    io.post([opened, &ran_on] {
      ran_on = std::this_thread::get_id();
      opened.wait();
    });
    for (int i = 0; i < 5; ++i)
      io.post([i, &order] { order.push_back(i); });
    CHECK(io.pending() == 6);
    gate.set_value();
  } // the destructor runs what is queued, then joins
  CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
  CHECK(ran_on != std::this_thread::get_id());
}

TEST_CASE("the managed /etc/hosts: pod IPs with hostname and FQDN, host aliases, host network") {
  auto pod = test::make_pod("web", "uid-h");
  pod.metadata.namespace_ = "shop";
  pod.spec.host_aliases = {{"10.1.2.3", {"db.local", "cache.local"}}};
  const std::string head = "# Kubernetes-managed hosts file.\n"
                           "127.0.0.1\tlocalhost\n"
                           "::1\tlocalhost ip6-localhost ip6-loopback\n"
                           "fe00::0\tip6-localnet\n"
                           "fe00::0\tip6-mcastprefix\n"
                           "fe00::1\tip6-allnodes\n"
                           "fe00::2\tip6-allrouters\n";
  const std::string aliases = "\n# Entries added by HostAliases.\n10.1.2.3\tdb.local\tcache.local\n";
  CHECK(managed_hosts_content(pod, {"10.88.0.5"}, "cluster.local", "")
        == head + "10.88.0.5\tweb\n" + aliases);
  pod.spec.hostname = "front";
  pod.spec.subdomain = "svc-a";
  CHECK(managed_hosts_content(pod, {"10.88.0.5", "fd00::5"}, "cluster.local", "")
        == head + "10.88.0.5\tfront.svc-a.shop.svc.cluster.local\tfront\n"
             + "fd00::5\tfront.svc-a.shop.svc.cluster.local\tfront\n" + aliases);
  pod.spec.host_network = true;
  CHECK(managed_hosts_content(pod, {}, "cluster.local", "127.0.0.1 localhost\n10.0.0.1 node")
        == "# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n10.0.0.1 node\n"
             + aliases);
  pod.spec.hostname = std::string(70, 'a') + "-x";
  CHECK(pod_hostname(pod) == std::string(63, 'a'));
  auto c = test::make_container("app");
  CHECK_FALSE(mounts_etc_hosts(c));
  c.volume_mounts = {{"hosts", "/etc/hosts", "", "", false, "", ""}};
  CHECK(mounts_etc_hosts(c));
}

TEST_CASE("set-up writes the pod's hosts file next to its volumes") {
  temp_root root;
  auto pod = full_pod();
  auto in = inputs();
  in.pod_ips = {"10.88.0.9"};
  REQUIRE(setup_pod_volumes(root.path, pod, in));
  auto hosts = read_file(etc_hosts_path(root.path, "uid-vol-1"));
  CHECK(hosts.find("10.88.0.9\tweb\n") != std::string::npos);
  CHECK(etc_hosts_path(root.path, "uid-vol-1") == root.path + "/pods/uid-vol-1/etc-hosts");
}
