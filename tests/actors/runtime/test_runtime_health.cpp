// The runtime health actor under virtual time with a scripted probe.
#include "actors/node/node_status.hpp"
#include "actors/runtime/runtime_health.hpp"
#include "messages/api.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "tests/actors/test_fixture.hpp"

#include <doctest/doctest.h>

#include <deque>
#include <mutex>
#include <string>
#include <vector>

using namespace cafelet;
using namespace cafelet::actors;
using namespace std::chrono_literals;

namespace {

/// Answers status queries from a script; records how often it was asked.
class scripted_probe : public runtime_probe {
public:
  std::deque<caf::expected<cri::runtime_status>> statuses;
  caf::expected<cri::version_info> version_answer = cri::version_info{};
  int status_calls = 0;
  int version_calls = 0;

  void status(std::function<void(caf::expected<cri::runtime_status>)> cb) override {
    ++status_calls;
    if (statuses.empty()) {
      cb(make_error(errc::connection_failed, "no script"));
      return;
    }
    auto x = statuses.front();
    if (statuses.size() > 1)
      statuses.pop_front();
    cb(std::move(x));
  }

  void version(std::function<void(caf::expected<cri::version_info>)> cb) override {
    ++version_calls;
    cb(version_answer);
  }
};

cri::runtime_status ready(bool runtime, bool network) {
  cri::runtime_status x;
  x.runtime_ready = runtime;
  x.network_ready = network;
  x.conditions.push_back({"RuntimeReady", runtime, "", ""});
  x.conditions.push_back({"NetworkReady", network, network ? "" : "NetworkPluginNotReady",
                          network ? "" : "Network plugin returns error: cni plugin not initialized"});
  return x;
}

/// Collects what the actor sends to the node status actor.
struct sink_state {
  std::vector<readiness_update> updates;
  std::vector<std::string> versions;
  static const char* name;
};
const char* sink_state::name = "sink";

caf::behavior sink(caf::stateful_actor<sink_state>* self) {
  return {
    [self](const readiness_update& x) { self->state.updates.push_back(x); },
    [self](runtime_version_atom, const std::string& v) {
      self->state.versions.push_back(v);
    },
  };
}

struct fixture : cafelet::testing::deterministic_fixture {
  std::shared_ptr<scripted_probe> probe = std::make_shared<scripted_probe>();
  caf::actor node = sys->spawn(sink);
  caf::actor health;

  fixture() {
    cri::version_info v;
    v.runtime_name = "containerd";
    v.runtime_version = "1.6.20";
    probe->version_answer = v;
  }

  void start() {
    health = sys->spawn(runtime_health, probe, runtime_health_config{5s, node});
    run();
  }

  sink_state& seen() {
    return state_of<sink_state>(node);
  }

  ~fixture() {
    caf::anon_send_exit(health, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
    run();
  }
};

} // namespace

TEST_CASE_FIXTURE(fixture, "a ready runtime is reported with its version, once") {
  probe->statuses.push_back(ready(true, true));
  start();
  REQUIRE(seen().updates.size() == 2);
  CHECK(seen().updates[0].component == "runtime");
  CHECK(seen().updates[0].ready);
  CHECK(seen().updates[1].component == "network");
  CHECK(seen().updates[1].ready);
  REQUIRE(seen().versions.size() == 1);
  CHECK(seen().versions[0] == "containerd://1.6.20");
  // Unchanged status: queried every 5 s and repeated (a restarted node
  // status actor learns it), the version asked only once.
  advance(5s);
  advance(5s);
  CHECK(probe->status_calls == 3);
  CHECK(seen().updates.size() == 6);
  CHECK(probe->version_calls == 1);
  CHECK(seen().versions.size() == 3);
}

TEST_CASE_FIXTURE(fixture, "network not ready carries the runtime's own words") {
  probe->statuses.push_back(ready(true, false));
  start();
  REQUIRE(seen().updates.size() == 2);
  auto& net = seen().updates[1];
  CHECK(net.component == "network");
  CHECK(!net.ready);
  CHECK(net.message
        == "container runtime network not ready: NetworkReady=false "
           "reason:NetworkPluginNotReady message:Network plugin returns error: "
           "cni plugin not initialized");
}

TEST_CASE_FIXTURE(fixture, "a runtime that goes away and returns is reported both ways") {
  probe->statuses.push_back(ready(true, true));
  start();
  probe->statuses.clear();
  probe->statuses.push_back(make_error(errc::connection_failed, "connection refused"));
  advance(5s);
  REQUIRE(seen().updates.size() == 3);
  CHECK(seen().updates[2].component == "runtime");
  CHECK(!seen().updates[2].ready);
  CHECK(seen().updates[2].message == "container runtime is down");
  // Repeated failures with other details: the same fixed message.
  probe->statuses.clear();
  probe->statuses.push_back(make_error(errc::timeout, "deadline exceeded"));
  advance(5s);
  REQUIRE(seen().updates.size() == 4);
  CHECK(seen().updates[3].message == "container runtime is down");
  // Back: ready again, version asked again after the reconnect.
  probe->statuses.clear();
  probe->statuses.push_back(ready(true, true));
  advance(5s);
  REQUIRE(seen().updates.size() == 6);
  CHECK(seen().updates[4].ready);
  CHECK(seen().updates[5].ready);
  CHECK(probe->version_calls == 2);
  CHECK(seen().versions.size() == 2);
}
