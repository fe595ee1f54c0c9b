// Round trips of every registered message type through CAF's binary
// serializer, both as a bare value and type-erased inside a caf::message
// (which only works for types registered with the actor system).
#include "messages/api.hpp"
#include "messages/errors.hpp"
#include "messages/pods.hpp"
#include "messages/register.hpp"
#include "messages/supervision.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deep_to_string.hpp>

#include <doctest/doctest.h>

#include <vector>

using namespace cafelet;

namespace {

struct system_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  system_fixture() {
    register_message_types(cfg);
    cfg.set("scheduler.max-threads", 1);
    sys = std::make_unique<caf::actor_system>(cfg);
  }
};

template <class T>
T round_trip(caf::actor_system& sys, T x) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  REQUIRE(!sink(x));
  T y;
  caf::binary_deserializer source{sys, buf};
  REQUIRE(!source(y));
  return y;
}

template <class T>
T message_round_trip(caf::actor_system& sys, const T& x) {
  auto msg = caf::make_message(x);
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  REQUIRE(!sink(msg));
  caf::message restored;
  caf::binary_deserializer source{sys, buf};
  REQUIRE(!source(restored));
  REQUIRE(restored.match_elements<T>());
  return restored.get_as<T>(0);
}

bool same(const child_status& a, const child_status& b) {
  return a.kind == b.kind && a.name == b.name && a.actor_id == b.actor_id
         && a.restarts == b.restarts && a.alive == b.alive
         && a.last_exit == b.last_exit;
}

} // namespace

TEST_CASE_FIXTURE(system_fixture, "start_child round-trips with its args") {
  start_child x{"pod", "default/web-1", restart_policy::transient,
                caf::make_message(std::string{"uid-1"}, int32_t{3})};
  for (auto y : {round_trip(*sys, x), message_round_trip(*sys, x)}) {
    CHECK(y.kind == "pod");
    CHECK(y.name == "default/web-1");
    CHECK(y.policy == restart_policy::transient);
    REQUIRE(y.args.match_elements<std::string, int32_t>());
    CHECK(y.args.get_as<std::string>(0) == "uid-1");
    CHECK(y.args.get_as<int32_t>(1) == 3);
  }
}

TEST_CASE_FIXTURE(system_fixture, "stop_child round-trips") {
  CHECK(round_trip(*sys, stop_child{"lease"}).name == "lease");
  CHECK(message_round_trip(*sys, stop_child{"lease"}).name == "lease");
}

TEST_CASE_FIXTURE(system_fixture, "children_snapshot round-trips") {
  children_snapshot x{"root/node",
                      {{"lease", "lease", 42, 3, true, ""},
                       {"status", "node-status", 0, 1, false, "exit.kill"}}};
  for (auto y : {round_trip(*sys, x), message_round_trip(*sys, x)}) {
    CHECK(y.supervisor == "root/node");
    REQUIRE(y.children.size() == 2);
    CHECK(same(y.children[0], x.children[0]));
    CHECK(same(y.children[1], x.children[1]));
  }
}

TEST_CASE_FIXTURE(system_fixture, "health_report round-trips") {
  health_report x{"runtime", false, "containerd socket missing"};
  auto y = message_round_trip(*sys, x);
  CHECK(y.component == "runtime");
  CHECK(!y.healthy);
  CHECK(y.reason == "containerd socket missing");
}

TEST_CASE_FIXTURE(system_fixture, "message types render with their names") {
  auto s = caf::deep_to_string(stop_child{"lease"});
  CHECK(s.find("stop_child") != std::string::npos);
  CHECK(s.find("lease") != std::string::npos);
}

TEST_CASE_FIXTURE(system_fixture, "cafelet errors round-trip and render") {
  auto err = make_error(errc::conflict, "leases \"edge-1\": modified");
  auto back = round_trip(*sys, err);
  CHECK(back == err);
  CHECK(is(back, errc::conflict));
  CHECK(context_of(back) == "leases \"edge-1\": modified");
  CHECK(sys->render(back) == "cafelet.conflict: leases \"edge-1\": modified");
  CHECK(describe(back) == "cafelet.conflict: leases \"edge-1\": modified");
}

TEST_CASE("errors are classified as retryable or not") {
  CHECK(is_retryable(errc::conflict));
  CHECK(is_retryable(errc::server_error));
  CHECK(is_retryable(errc::too_many_requests));
  CHECK(is_retryable(errc::connection_failed));
  CHECK(!is_retryable(errc::forbidden));
  CHECK(!is_retryable(errc::invalid));
  CHECK(!is_retryable(errc::invalid_config));
  CHECK(!is_retryable(caf::error{}));
  CHECK(code_of(caf::make_error(caf::sec::invalid_argument)) == errc::internal);
}

TEST_CASE_FIXTURE(system_fixture, "api_response round-trips with its error") {
  api_response x{7, 409, R"({"kind":"Status"})",
                 make_error(errc::conflict, "PUT /x: 409 Conflict"), 1500,
                 "Conflict", false};
  for (auto y : {round_trip(*sys, x), message_round_trip(*sys, x)}) {
    CHECK(y.call == 7);
    CHECK(y.status == 409);
    CHECK(y.body == x.body);
    CHECK(is(y.error, errc::conflict));
    CHECK(context_of(y.error) == "PUT /x: 409 Conflict");
    CHECK(y.retry_after_ms == 1500);
    CHECK(y.reason == "Conflict");
    CHECK(!y.ok());
  }
  CHECK(message_round_trip(*sys, api_response{1, 200, "{}", {}, 0, "", false})
          .ok());
}

TEST_CASE_FIXTURE(system_fixture, "stream_chunk round-trips binary data") {
  std::string data{"{\"type\":\"ADDED\"\0\xc3", 16};
  auto y = message_round_trip(*sys, stream_chunk{3, data});
  CHECK(y.call == 3);
  CHECK(y.data == data);
}

TEST_CASE_FIXTURE(system_fixture, "record_event round-trips") {
  record_event x;
  x.involved.kind = "Node";
  x.involved.name = "edge-1";
  x.involved.uid = "edge-1";
  x.type = "Normal";
  x.reason = "NodeReady";
  x.message = "Node edge-1 status is now: NodeReady";
  for (auto y : {round_trip(*sys, x), message_round_trip(*sys, x)}) {
    CHECK(y.involved.kind == "Node");
    CHECK(y.involved.name == "edge-1");
    CHECK(y.involved.uid == "edge-1");
    CHECK(y.type == "Normal");
    CHECK(y.reason == "NodeReady");
    CHECK(y.message == x.message);
  }
}

TEST_CASE_FIXTURE(system_fixture, "readiness_update and watch_synced round-trip") {
  auto r = message_round_trip(*sys, readiness_update{"runtime", false,
                                                     "container runtime is down"});
  CHECK(r.component == "runtime");
  CHECK(!r.ready);
  CHECK(r.message == "container runtime is down");
  auto w = message_round_trip(*sys, watch_synced{"/api/v1/pods", "123", 10, 1,
                                                 2, 3, 2});
  CHECK(w.resource == "/api/v1/pods");
  CHECK(w.resource_version == "123");
  CHECK(w.items == 10);
  CHECK(w.added == 1);
  CHECK(w.modified == 2);
  CHECK(w.deleted == 3);
  CHECK(w.generation == 2);
}

TEST_CASE_FIXTURE(system_fixture, "container_event round-trips") {
  container_event x{"uid-1", container_event_type::died, "abc123", "app", 137,
                    "OOMKilled", 1700000000123456789, "hello"};
  for (auto y : {round_trip(*sys, x), message_round_trip(*sys, x)}) {
    CHECK(y.pod_uid == "uid-1");
    CHECK(y.type == container_event_type::died);
    CHECK(y.id == "abc123");
    CHECK(y.name == "app");
    CHECK(y.exit_code == 137);
    CHECK(y.reason == "OOMKilled");
    CHECK(y.finished_at_ns == 1700000000123456789);
    CHECK(y.message == "hello");
  }
  CHECK(std::string{to_string(container_event_type::sandbox_changed)}
        == "sandbox_changed");
}
