// The static pod source under virtual time: a temporary manifest directory,
// reads inline (no I/O thread), no inotify (re-reads on `static_scan_atom`
// and the periodic tick).
#include "actors/pods/static_source.hpp"
#include "messages/json/json.hpp"
#include "tests/actors/test_fixture.hpp"

#include <doctest/doctest.h>

#include <caf/send.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <stdlib.h>
#include <unistd.h>

using namespace cafelet;
using namespace cafelet::actors::pods;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// A manifest of pod `name` with one container running `image`.
std::string manifest(const std::string& name, const std::string& image,
                     const std::string& comment = "") {
  return "# " + comment + "\napiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name
         + "\nspec:\n  containers:\n  - name: app\n    image: " + image
         + "\n    ports:\n    - containerPort: 8080\n";
}

/// Records every set it gets.
struct consumer_state {
  std::vector<static_pod_set_ptr> sets;
  static const char* name;
};
const char* consumer_state::name = "consumer";

caf::behavior consumer(caf::stateful_actor<consumer_state>* self) {
  return {
    [self](const static_pod_set_ptr& x) { self->state.sets.push_back(x); },
  };
}

/// Asks `source` for its set with `static_resync_atom`; records the answer.
caf::behavior asker(caf::stateful_actor<consumer_state>* self, caf::actor source) {
  self->send(source, static_resync_atom::value);
  return {
    [self](const static_pod_set_ptr& x) { self->state.sets.push_back(x); },
  };
}

const k8s::pod* find_pod(const static_pod_set& set, const std::string& name) {
  for (const auto& p : set.pods)
    if (p.pod->metadata.name == name)
      return p.pod.get();
  return nullptr;
}

struct fixture : cafelet::testing::deterministic_fixture {
  std::string dir;
  caf::actor rec = sys->spawn(consumer);
  caf::actor src;
  std::shared_ptr<pod_board> board = std::make_shared<pod_board>();
  /// Each reading of the clock is one second later: a pod parsed again
  /// would get another config.seen.
  std::shared_ptr<int> ticks = std::make_shared<int>(0);

  fixture() {
    auto tmpl = (fs::temp_directory_path() / "static-src-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
  }

  ~fixture() {
    if (src)
      caf::anon_send_exit(src, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(rec, caf::exit_reason::user_shutdown);
    run();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  void write(const std::string& name, const std::string& text) {
    std::ofstream out{dir + "/" + name, std::ios::binary | std::ios::trunc};
    out << text;
    REQUIRE(out.good());
  }

  void remove(const std::string& name) {
    REQUIRE(fs::remove(dir + "/" + name));
  }

  void start(std::string path = {}) {
    static_source_config cfg;
    cfg.path = path.empty() ? dir : path;
    cfg.node_name = "edge-1";
    cfg.watch = false;
    cfg.consumers = {rec};
    cfg.board = board;
    cfg.clock = [t = ticks] {
      using namespace std::chrono;
      return k8s::timestamp{sys_days{year{2026} / 11 / 22}.time_since_epoch()}
             + seconds{++*t};
    };
    src = sys->spawn(static_source, cfg);
    run();
  }

  void scan() {
    caf::anon_send(src, static_scan_atom::value);
    run();
  }

  std::vector<static_pod_set_ptr>& sets() {
    return state_of<consumer_state>(rec).sets;
  }

  static_pod_set_ptr last() {
    REQUIRE(!sets().empty());
    REQUIRE(sets().back() != nullptr);
    return sets().back();
  }
};

} // namespace

TEST_CASE_FIXTURE(fixture, "the first read sends one set with the pods of every manifest") {
  write("db.yaml", manifest("db", "localhost/db:1"));
  write("web.yaml", manifest("web", "localhost/web:1"));
  start();
  REQUIRE(sets().size() == 1);
  auto set = last();
  CHECK(set->generation == 1);
  REQUIRE(set->pods.size() == 2);
  // In file name order, named after the node, marked as file pods.
  CHECK(set->pods[0].pod->metadata.name == "db-edge-1");
  CHECK(set->pods[1].pod->metadata.name == "web-edge-1");
  CHECK(set->pods[0].file == dir + "/db.yaml");
  CHECK(set->pods[1].file == dir + "/web.yaml");
  for (const auto& p : set->pods) {
    const auto& m = p.pod->metadata;
    CHECK(m.namespace_ == "default");
    CHECK(p.pod->spec.node_name == "edge-1");
    CHECK(m.annotations.at("kubernetes.io/config.source") == "file");
    CHECK(m.annotations.at("kubernetes.io/config.hash") == m.uid);
    CHECK(m.annotations.count("kubernetes.io/config.seen") == 1);
    CHECK(!m.uid.empty());
    REQUIRE(p.json);
    auto doc = json::parse(*p.json);
    REQUIRE(doc);
    CHECK(doc->find_path({"metadata", "uid"})->as_string() == m.uid);
  }
  CHECK(set->pods[0].pod->metadata.uid != set->pods[1].pod->metadata.uid);
}

TEST_CASE_FIXTURE(fixture, "an unchanged re-read sends nothing and keeps the pod objects") {
  write("db.yaml", manifest("db", "localhost/db:1"));
  write("web.yaml", manifest("web", "localhost/web:1"));
  start();
  REQUIRE(sets().size() == 1);
  auto first = last();
  auto seen = first->pods[1].pod->metadata.annotations.at("kubernetes.io/config.seen");
  scan();
  scan();
  CHECK(sets().size() == 1);
  // Only the comment changed: same pod (same UID), nothing sent, the old
  // object with its config.seen stays.
  write("web.yaml", manifest("web", "localhost/web:1", "edited"));
  scan();
  CHECK(sets().size() == 1);
  // get_atom answers the current set: still the first one.
  static_pod_set_ptr current;
  sys->spawn([&, s = src](caf::event_based_actor* self) {
    self->request(s, caf::infinite, caf::get_atom::value)
      .then([&](const static_pod_set_ptr& x) { current = x; });
  });
  run();
  REQUIRE(current);
  CHECK(current == first);
  // A later change keeps the untouched objects (pointer-equal).
  write("db.yaml", manifest("db", "localhost/db:2"));
  scan();
  REQUIRE(sets().size() == 2);
  auto web = find_pod(*last(), "web-edge-1");
  REQUIRE(web);
  CHECK(web == first->pods[1].pod.get());
  CHECK(web->metadata.annotations.at("kubernetes.io/config.seen") == seen);
}

TEST_CASE_FIXTURE(fixture, "a modified manifest gives a new set with a new UID for its pod only") {
  write("db.yaml", manifest("db", "localhost/db:1"));
  write("web.yaml", manifest("web", "localhost/web:1"));
  start();
  auto first = last();
  write("web.yaml", manifest("web", "localhost/web:2"));
  scan();
  REQUIRE(sets().size() == 2);
  auto second = last();
  CHECK(second->generation == 2);
  REQUIRE(second->pods.size() == 2);
  CHECK(second->pods[0].pod == first->pods[0].pod); // db untouched
  CHECK(second->pods[1].pod->metadata.name == "web-edge-1");
  CHECK(second->pods[1].pod->metadata.uid != first->pods[1].pod->metadata.uid);
  CHECK(second->pods[1].pod->spec.containers.at(0).image == "localhost/web:2");
  // Back to the first content: the first UID again (content hash).
  write("web.yaml", manifest("web", "localhost/web:1"));
  scan();
  REQUIRE(sets().size() == 3);
  CHECK(last()->pods[1].pod->metadata.uid == first->pods[1].pod->metadata.uid);
}

TEST_CASE_FIXTURE(fixture, "a removed manifest gives a set without its pod") {
  write("db.yaml", manifest("db", "localhost/db:1"));
  write("web.yaml", manifest("web", "localhost/web:1"));
  start();
  auto first = last();
  remove("db.yaml");
  scan();
  REQUIRE(sets().size() == 2);
  REQUIRE(last()->pods.size() == 1);
  CHECK(last()->pods[0].pod == first->pods[1].pod);
  remove("web.yaml");
  scan();
  REQUIRE(sets().size() == 3);
  CHECK(last()->pods.empty());
  CHECK(last()->generation == 3);
}

TEST_CASE_FIXTURE(fixture, "an invalid manifest is skipped; the others are read") {
  write("a-bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  bogus: 1\n");
  write("b-empty.yaml", "");
  write("web.yaml", manifest("web", "localhost/web:1"));
  start();
  REQUIRE(sets().size() == 1);
  REQUIRE(last()->pods.size() == 1);
  CHECK(last()->pods[0].pod->metadata.name == "web-edge-1");
  // A valid manifest turning invalid takes its pod out of the set.
  write("web.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n");
  scan();
  REQUIRE(sets().size() == 2);
  CHECK(last()->pods.empty());
  // Fixed again: back.
  write("web.yaml", manifest("web", "localhost/web:1"));
  scan();
  REQUIRE(sets().size() == 3);
  CHECK(last()->pods.size() == 1);
}

TEST_CASE_FIXTURE(fixture, "hidden and editor temp files and subdirectories are ignored") {
  write("web.yaml", manifest("web", "localhost/web:1"));
  write(".hidden.yaml", manifest("hidden", "localhost/x:1"));
  write("web.yaml~", manifest("backup", "localhost/x:1"));
  write(".web.yaml.swp", manifest("swap", "localhost/x:1"));
  write("web.yaml.swp", manifest("swap2", "localhost/x:1"));
  write("new.tmp", manifest("tmp", "localhost/x:1"));
  write("4913", manifest("probe", "localhost/x:1"));
  fs::create_directory(dir + "/sub");
  write("sub/nested.yaml", manifest("nested", "localhost/x:1"));
  start();
  REQUIRE(sets().size() == 1);
  REQUIRE(last()->pods.size() == 1);
  CHECK(last()->pods[0].pod->metadata.name == "web-edge-1");
  auto files = read_manifest_files(dir);
  CHECK(files.exists);
  CHECK(files.error.empty());
  REQUIRE(files.files.size() == 1);
  CHECK(files.files[0].path == dir + "/web.yaml");
}

TEST_CASE_FIXTURE(fixture, "of two manifests naming the same pod the first file wins") {
  write("b.yaml", manifest("web", "localhost/web:b"));
  write("a.yaml", manifest("web", "localhost/web:a"));
  start();
  REQUIRE(sets().size() == 1);
  REQUIRE(last()->pods.size() == 1);
  CHECK(last()->pods[0].file == dir + "/a.yaml");
  CHECK(last()->pods[0].pod->spec.containers.at(0).image == "localhost/web:a");
  // The winner goes: the other file's pod takes the name.
  remove("a.yaml");
  scan();
  REQUIRE(sets().size() == 2);
  REQUIRE(last()->pods.size() == 1);
  CHECK(last()->pods[0].file == dir + "/b.yaml");
  CHECK(last()->pods[0].pod->spec.containers.at(0).image == "localhost/web:b");
}

TEST_CASE_FIXTURE(fixture, "a missing path is an empty set until it appears") {
  auto path = dir + "/manifests";
  start(path);
  REQUIRE(sets().size() == 1);
  CHECK(last()->pods.empty());
  CHECK(last()->generation == 1);
  scan();
  CHECK(sets().size() == 1); // still empty: nothing new
  fs::create_directory(path);
  write("manifests/web.yaml", manifest("web", "localhost/web:1"));
  scan();
  REQUIRE(sets().size() == 2);
  CHECK(last()->pods.size() == 1);
}

TEST_CASE_FIXTURE(fixture, "a single manifest file as the path") {
  write("web.yaml", manifest("web", "localhost/web:1"));
  start(dir + "/web.yaml");
  REQUIRE(sets().size() == 1);
  REQUIRE(last()->pods.size() == 1);
  CHECK(last()->pods[0].file == dir + "/web.yaml");
}

TEST_CASE_FIXTURE(fixture, "the periodic check re-reads the manifests") {
  write("web.yaml", manifest("web", "localhost/web:1"));
  start();
  write("db.yaml", manifest("db", "localhost/db:1"));
  advance(19999ms);
  CHECK(sets().size() == 1);
  advance(1ms);
  REQUIRE(sets().size() == 2);
  CHECK(last()->pods.size() == 2);
}

TEST_CASE_FIXTURE(fixture, "static_resync_atom answers the sender with the current set") {
  write("web.yaml", manifest("web", "localhost/web:1"));
  start();
  auto current = last();
  auto a = sys->spawn(asker, src);
  run();
  auto& got = state_of<consumer_state>(a).sets;
  REQUIRE(got.size() == 1);
  CHECK(got[0] == current);
  CHECK(sets().size() == 1); // the consumers get nothing new
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "the pod board gets the manifest JSON of the static pods") {
  write("web.yaml", manifest("web", "localhost/web:1"));
  start();
  auto pod = last()->pods.at(0).pod;
  auto status = std::make_shared<k8s::pod_status>();
  status->phase = "Running";
  board->put(pod, status);
  auto spec_of_first = [&] {
    auto doc = json::parse(board->pod_list_json());
    REQUIRE(doc);
    REQUIRE(doc->find("items")->size() == 1);
    return doc->find("items")->as_array()[0].find("spec")
      ? *doc->find("items")->as_array()[0].find("spec")
      : json::value{};
  };
  // The whole manifest spec (ports, the NoExecute toleration), not the
  // minimal one.
  auto spec = spec_of_first();
  CHECK(spec.find_path({"containers"})->as_array().at(0).find("ports") != nullptr);
  CHECK(spec.find("tolerations") != nullptr);
  // The manifest is removed: the board forgets its JSON.
  remove("web.yaml");
  scan();
  spec = spec_of_first();
  CHECK(spec.find("tolerations") == nullptr);
  CHECK(spec.find_path({"containers"})->as_array().at(0).find("ports") == nullptr);
}

// A path that exists but cannot be listed (stat fails with other than
// ENOENT/ENOTDIR, e.g. ELOOP) sends no update, as upstream's listConfig:
// the pods keep running.
TEST_CASE_FIXTURE(fixture, "a path that cannot be listed keeps the current set") {
  write("web.yaml", manifest("web", "localhost/web:1"));
  auto link = dir + "/link";
  fs::create_directory_symlink(dir, link);
  start(link);
  REQUIRE(sets().size() == 1);
  REQUIRE(last()->pods.size() == 1);
  // The path turns into a symlink loop: stat fails with ELOOP.
  fs::remove(link);
  fs::create_symlink("link", link);
  auto files = read_manifest_files(link);
  CHECK(files.exists);
  CHECK(!files.error.empty());
  scan();
  CHECK(sets().size() == 1);
  CHECK(last()->pods.size() == 1);
}

// A manifest that names its own metadata.uid keeps that UID when its
// content changes: the changed pod is published under the same UID.
TEST_CASE_FIXTURE(fixture, "a changed manifest with its own metadata.uid publishes the new pod") {
  auto with_uid = [](const std::string& image) {
    auto text = manifest("web", image);
    auto pos = text.find("  name: web\n");
    REQUIRE(pos != std::string::npos);
    text.insert(pos, "  uid: 0b1f6c2e-7d5a-4a8e-9c3b-111111111111\n");
    return text;
  };
  write("web.yaml", with_uid("localhost/web:1"));
  start();
  REQUIRE(sets().size() == 1);
  REQUIRE(last()->pods.size() == 1);
  CHECK(last()->pods[0].pod->metadata.uid == "0b1f6c2e-7d5a-4a8e-9c3b-111111111111");
  write("web.yaml", with_uid("localhost/web:2"));
  scan();
  CHECK(sets().size() == 2);
  CHECK(last()->pods.at(0).pod->spec.containers.at(0).image == "localhost/web:2");
}

TEST_CASE_FIXTURE(fixture, "of two manifests giving the same UID the first file wins") {
  auto with_uid = [](const std::string& name) {
    auto text = manifest(name, "localhost/web:1");
    auto pos = text.find("  name: " + name + "\n");
    REQUIRE(pos != std::string::npos);
    text.insert(pos, "  uid: shared-uid-1\n");
    return text;
  };
  write("a.yaml", with_uid("web"));
  write("b.yaml", with_uid("api"));
  start();
  REQUIRE(sets().size() == 1);
  REQUIRE(last()->pods.size() == 1);
  CHECK(last()->pods[0].file == dir + "/a.yaml");
  CHECK(last()->pods[0].pod->metadata.name == "web-edge-1");
  // The winner goes: the other file's pod takes the UID.
  remove("a.yaml");
  scan();
  REQUIRE(sets().size() == 2);
  REQUIRE(last()->pods.size() == 1);
  CHECK(last()->pods[0].pod->metadata.name == "api-edge-1");
}

TEST_CASE_FIXTURE(fixture, "manifests are parsed with the read, off the actor") {
  write("web.yaml", manifest("web", "localhost/web:1"));
  auto r = read_manifest_files(dir);
  REQUIRE(r.files.size() == 1);
  CHECK(!r.files[0].parsed);
  manifest_parse_context ctx;
  ctx.node_name = "edge-1";
  parse_manifest_files(r, ctx);
  REQUIRE(r.files[0].parsed);
  CHECK(std::holds_alternative<k8s::static_pod>(*r.files[0].parsed));
  // Content parsed before is not parsed again.
  auto again = read_manifest_files(dir);
  ctx.known.emplace(again.files[0].path, again.files[0].content);
  parse_manifest_files(again, ctx);
  CHECK(!again.files[0].parsed);
  // A file over the size limit is not read.
  write("big.yaml", std::string(max_manifest_bytes + 1, '#'));
  auto big = read_manifest_files(dir);
  REQUIRE(big.files.size() == 2);
  CHECK(big.files[0].path == dir + "/big.yaml");
  CHECK(big.files[0].error.find("larger than") != std::string::npos);
}
