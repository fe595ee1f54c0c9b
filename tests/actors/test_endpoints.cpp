// The healthz endpoints served from the actor directory and the metrics
// registry, checked over real HTTP; /metrics is parsed with the reference
// Prometheus parser (python3-prometheus-client).
#include "actors/endpoints.hpp"
#include "messages/errors.hpp"
#include "tests/support/http_get.hpp"
#include "tests/support/process.hpp"

#include <doctest/doctest.h>


using namespace cafelet;
using namespace cafelet::actors;
using cafelet::testing::http_get;

namespace {

struct endpoints_fixture {
  std::shared_ptr<actor_directory> dir = std::make_shared<actor_directory>();
  std::shared_ptr<net::metrics::registry> reg
    = std::make_shared<net::metrics::registry>();
  std::unique_ptr<endpoints> http;
  std::string base;

  endpoints_fixture() {
    REQUIRE(!register_actor_metrics(*reg, dir));
    endpoints_options opts;
    opts.port = 0;
    opts.max_heartbeat_age = std::chrono::milliseconds{200};
    auto started = endpoints::start(opts, dir, reg);
    REQUIRE(started);
    http = std::move(*started);
    base = "http://127.0.0.1:" + std::to_string(http->port());
  }
};

constexpr const char* parse_metrics_py = R"(
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(sys.stdin.read())}
def samples(name):
    return {tuple(sorted(s.labels.items())): s.value for s in fams[name].samples}
assert fams['cafelet_actor_restarts'].type == 'counter', fams['cafelet_actor_restarts'].type
assert samples('cafelet_actor_restarts')[(('kind', 'lease'),)] == 2.0
assert fams['cafelet_actors_live'].type == 'gauge'
live = samples('cafelet_actors_live')
assert live[(('kind', 'supervisor'),)] == 1.0, live
assert live[(('kind', 'lease'),)] == 1.0, live
assert samples('cafelet_actor_mailbox_high_water')[(('kind', 'lease'),)] == 7.0
assert samples('process_resident_memory_bytes')[()] > 1e6
assert fams['process_cpu_seconds'].type == 'counter'
bi = fams['cafelet_build_info'].samples[0]
assert bi.labels['version'] and bi.value == 1.0, bi
print('ok', len(fams))
)";

} // namespace

TEST_CASE_FIXTURE(endpoints_fixture, "healthz follows the actor tree") {
  auto r = http_get(base + "/healthz");
  CHECK(r.status == 500); // nothing started yet
  CHECK(r.body.find("not started") != std::string::npos);
  dir->started("root", "supervisor", "root", 1);
  dir->started("root/lease", "lease", "lease", 2);
  r = http_get(base + "/healthz");
  CHECK(r.status == 200);
  CHECK(r.body == "ok");
  dir->ended("root/lease", "exit.kill", true); // restarting is still healthy
  CHECK(http_get(base + "/healthz").status == 200);
  dir->ended("root/lease", "budget spent", false);
  r = http_get(base + "/healthz");
  CHECK(r.status == 500);
  CHECK(r.body.find("root/lease failed") != std::string::npos);
}

TEST_CASE_FIXTURE(endpoints_fixture, "healthz fails when the scheduler heartbeat stops") {
  dir->started("root", "supervisor", "root", 1);
  dir->heartbeat();
  CHECK(http_get(base + "/healthz").status == 200);
  // The heartbeat ages past its 200 ms limit.
  CHECK(cafelet::testing::eventually(
    [&] { return http_get(base + "/healthz").status == 500; }));
  dir->heartbeat();
  CHECK(http_get(base + "/healthz").status == 200);
}

TEST_CASE_FIXTURE(endpoints_fixture, "metrics parse with the Prometheus parser") {
  dir->started("root", "supervisor", "root", 1);
  dir->started("root/lease", "lease", "lease", 2);
  dir->count_restart("root/lease");
  dir->count_restart("root/lease");
  dir->note_mailbox("lease", 7);
  dir->note_mailbox("lease", 3);
  auto r = http_get(base + "/metrics");
  REQUIRE(r.status == 200);
  std::string out;
  auto rc = cafelet::testing::run_python(parse_metrics_py, r.body, out);
  INFO(out);
  INFO(r.body);
  CHECK(rc == 0);
  CHECK(out.rfind("ok", 0) == 0);
}

TEST_CASE_FIXTURE(endpoints_fixture, "debug/actors nests the supervision tree") {
  dir->started("root", "supervisor", "root", 1);
  dir->started("root/node", "supervisor", "node", 2);
  dir->started("root/node/lease", "lease", "lease", 3);
  dir->started("root/pods", "supervisor", "pods", 4);
  auto r = http_get(base + "/debug/actors");
  REQUIRE(r.status == 200);
  std::string out;
  auto rc = cafelet::testing::run_python(R"(
import json, sys
tree = json.load(sys.stdin)['actors']
assert len(tree) == 1 and tree[0]['path'] == 'root', tree
kids = [c['path'] for c in tree[0]['children']]
assert kids == ['root/node', 'root/pods'], kids
lease = tree[0]['children'][0]['children'][0]
assert lease['kind'] == 'lease' and lease['restarts'] == 0 and lease['state'] == 'running'
assert lease['uptimeSeconds'] >= 0
print('ok')
)", r.body, out);
  INFO(out);
  INFO(r.body);
  CHECK(rc == 0);
}

TEST_CASE_FIXTURE(endpoints_fixture, "unknown paths get 404 and a busy port is a clear error") {
  CHECK(http_get(base + "/nope").status == 404);
  endpoints_options opts;
  opts.port = http->port();
  auto second = endpoints::start(opts, dir, reg);
  REQUIRE(!second);
  CHECK(context_of(second.error()).find(std::to_string(http->port()))
        != std::string::npos);
}
