// The pod worker with volumes: it subscribes to the objects and tokens its
// pod refers to, sets the volumes up on the I/O thread before the first
// container is created, reports a missing object as FailedMount (the
// container waits in ContainerCreating), starts once the object appears,
// rewrites payloads on updates and removes the volumes after clean-up.
#include "actors/volumes/volume_dirs.hpp"
#include "tests/actors/pods/pod_worker_fixture.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

using namespace cafelet;
using namespace cafelet::actors;
using namespace cafelet::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::string read_file(const std::string& p) {
  std::ifstream in{p};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct volume_fixture : fixture {
  std::string root;

  volume_fixture() {
    char tmpl[] = "/tmp/cafelet-worker-vol-XXXXXX";
    root = ::mkdtemp(tmpl);
    root_dir = root;
    io = std::make_shared<volumes::io_thread>("test-io");
  }

  ~volume_fixture() {
    settle();
    for (const auto& uid : volumes::pod_dirs(root))
      volumes::remove_pod_dir(root, uid);
    std::error_code ec;
    fs::remove_all(root, ec);
  }

  /// Runs until the I/O thread is idle and no message is left.
  void settle() {
    for (int i = 0; i < 100; ++i) {
      run();
      while (io->pending() > 0)
        std::this_thread::yield();
      run();
      if (io->pending() == 0)
        return;
    }
  }

  k8s::pod_ptr pod_with_volumes() {
    auto p = *pod_with("Always");
    k8s::volume cfg;
    cfg.name = "cfg";
    cfg.config_map = k8s::config_map_volume{};
    cfg.config_map->name = "app-config";
    k8s::volume access;
    access.name = "kube-api-access-x";
    access.projected = k8s::projected_volume{};
    k8s::volume_projection token;
    token.service_account_token = k8s::service_account_token_projection{"", 3607, "token"};
    access.projected->sources.push_back(token);
    p.spec.volumes = {cfg, access};
    p.spec.containers[0].volume_mounts = {{"cfg", "/etc/app", "", "", false, "", ""}};
    return std::make_shared<const k8s::pod>(std::move(p));
  }

  void config_map(std::optional<std::string> value) {
    object_update up;
    up.key = object_key{object_kind::config_map, "default", "app-config"};
    if (value) {
      auto cm = std::make_shared<k8s::config_map>();
      cm->data = {{"setting", *value}};
      up.config_map = cm;
    }
    caf::anon_send(worker, up);
    settle();
  }

  void token(std::string text) {
    REQUIRE(!seen().token_subscriptions.empty());
    token_update up;
    up.key = seen().token_subscriptions.front();
    up.token = std::move(text);
    caf::anon_send(worker, up);
    settle();
  }

  std::string volume_file(const std::string& plugin, const std::string& name,
                          const std::string& file) {
    return root + "/pods/uid-1/volumes/kubernetes.io~" + plugin + "/" + name + "/" + file;
  }
};

} // namespace

TEST_CASE_FIXTURE(volume_fixture, "volumes are set up before the first container") {
  start(pod_with_volumes());
  settle();
  // Subscribed to exactly what the pod refers to.
  REQUIRE(seen().object_subscriptions.size() == 1);
  CHECK(seen().object_subscriptions[0].name == "app-config");
  CHECK(seen().object_subscriptions[0].namespace_ == "default");
  REQUIRE(seen().token_subscriptions.size() == 1);
  const auto& tk = seen().token_subscriptions[0];
  CHECK(tk.service_account == "default");
  CHECK(tk.pod_uid == "uid-1");
  CHECK(tk.expiration_seconds == 3607);
  // Nothing is created until every input answered.
  CHECK(rt->called("run_sandbox 0"));
  CHECK(!rt->called("create app 0"));
  CHECK(app().state.waiting->reason == "ContainerCreating");
  config_map("v1");
  CHECK(!rt->called("create app 0"));
  token("jwt-1");
  CHECK(rt->called("create app 0"));
  CHECK(read_file(volume_file("configmap", "cfg", "setting")) == "v1");
  CHECK(read_file(volume_file("projected", "kube-api-access-x", "token")) == "jwt-1");
  // An update rewrites the file; the container keeps running.
  config_map("v2");
  token("jwt-2");
  CHECK(read_file(volume_file("configmap", "cfg", "setting")) == "v2");
  CHECK(read_file(volume_file("projected", "kube-api-access-x", "token")) == "jwt-2");
  CHECK(!rt->called("create app 1"));
  // Deleting the pod removes its volumes.
  caf::anon_send(worker, pod_removed_atom::value, std::string{"uid-1"});
  settle();
  REQUIRE(seen().done.size() == 1);
  CHECK_FALSE(fs::exists(root + "/pods/uid-1"));
}

TEST_CASE_FIXTURE(volume_fixture, "a missing ConfigMap is a FailedMount until it appears") {
  start(pod_with_volumes());
  settle();
  token("jwt-1");
  config_map(std::nullopt);
  REQUIRE(seen().event("FailedMount") != nullptr);
  CHECK(seen().event("FailedMount")->message
        == "MountVolume.SetUp failed for volume \"cfg\" : configmap \"app-config\" not found");
  CHECK(!rt->called("create app 0"));
  CHECK(app().state.waiting->reason == "ContainerCreating");
  config_map("here");
  CHECK(rt->called("create app 0"));
  CHECK(read_file(volume_file("configmap", "cfg", "setting")) == "here");
}

TEST_CASE_FIXTURE(volume_fixture, "a restarted manager gets the subscriptions again") {
  start(pod_with_volumes());
  settle();
  REQUIRE(seen().object_subscriptions.size() == 1);
  REQUIRE(seen().token_subscriptions.size() == 1);
  auto first = seen().incarnation;
  REQUIRE(first);
  // The incarnation that answered dies (its subscriptions with it).
  seen().incarnation = nullptr;
  caf::anon_send_exit(first, caf::exit_reason::kill);
  run();
  advance(500ms);
  settle();
  // Both kinds are asked again (the stand-in answers both).
  CHECK(seen().object_subscriptions.size() == 2);
  CHECK(seen().token_subscriptions.size() == 2);
}
