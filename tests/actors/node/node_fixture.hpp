#pragma once
// The node status actor's test fixture: a fake host, a scripted transport,
// an event sink, captured log lines and helpers to answer calls.

#include "actors/node/node_status.hpp"
#include "messages/json/json.hpp"
#include "messages/log.hpp"
#include "tests/actors/api/scripted_calls.hpp"
#include "tests/actors/node/fake_host.hpp"
#include "tests/actors/test_fixture.hpp"

#include <caf/event_based_actor.hpp>

#include <doctest/doctest.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cafelet::testing {

using namespace cafelet::actors;
using namespace std::chrono_literals;

/// Summary of a status patch call.
inline constexpr auto status_path = "PATCH /api/v1/nodes/edge-1/status";

/// Collects `record_event` messages.
inline caf::behavior event_sink(caf::event_based_actor*,
                                std::vector<record_event>* out) {
  return {[out](record_event& ev) { out->push_back(std::move(ev)); }};
}

/// Parses JSON text (fails the test if invalid).
inline json::value parse(std::string_view text) {
  auto v = json::parse(text);
  REQUIRE_MESSAGE(v, "not JSON: " << text);
  return *v;
}

/// The condition `type` of a Node or status-patch body.
inline json::value condition(const json::value& body, std::string_view type) {
  const auto* conds = body.find_path({"status", "conditions"});
  REQUIRE(conds != nullptr);
  for (const auto& c : conds->as_array())
    if (c.get_string("type") == type)
      return c;
  FAIL("no condition " << type);
  return {};
}

/// A node status actor on the test coordinator, its scripted API, recorded
/// events and log lines.
struct node_fixture : deterministic_fixture, scripted_calls<node_fixture> {
  fake_host host;
  std::shared_ptr<scripted_transport> api
    = std::make_shared<scripted_transport>();
  std::shared_ptr<node_status_stats> stats
    = std::make_shared<node_status_stats>();
  std::vector<record_event> events;
  std::vector<std::string> logs;
  caf::actor sink;
  caf::actor node;

  node_fixture() {
    log::set_sink([this](std::string_view line) { logs.emplace_back(line); });
    sink = sys->spawn(event_sink, &events);
  }

  ~node_fixture() {
    if (node)
      caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
    run();
    log::set_sink(nullptr);
  }

  node_status_config config() {
    node_status_config cfg;
    cfg.node_name = "edge-1";
    cfg.node_ips = {"192.0.2.2"};
    cfg.kubelet_version = "v1.32.13";
    cfg.container_runtime_version = "containerd://1.6.20";
    cfg.paths = host.paths;
    cfg.clock = actor_wall_clock(*sys, *k8s::parse_time("2026-11-22T02:59:17Z"));
    cfg.events = sink;
    cfg.stats = stats;
    cfg.seed = 7;
    return cfg;
  }

  void start(node_status_config cfg) {
    node = sys->spawn(node_status, api, std::move(cfg));
    run();
  }

  void start() {
    start(config());
  }

  /// POST answered with 201 (echoing the body, as the server would).
  json::value register_ok() {
    auto c = expect("POST /api/v1/nodes");
    api->reply(c.key, 201, c.req.body);
    run();
    REQUIRE(stats->registered);
    return parse(c.req.body);
  }

  std::vector<std::string> event_reasons() const {
    std::vector<std::string> out;
    for (const auto& ev : events)
      out.push_back(ev.reason);
    return out;
  }

  bool logged(std::initializer_list<std::string_view> parts) const {
    for (const auto& line : logs) {
      bool all = true;
      for (auto p : parts)
        all = all && line.find(p) != std::string::npos;
      if (all)
        return true;
    }
    return false;
  }

  node_status_state& st() {
    return state_of<node_status_state>(node);
  }
};

/// Events recorded when a healthy node registers.
inline const std::vector<std::string> initial_reasons
  = {"NodeHasSufficientMemory", "NodeHasNoDiskPressure", "NodeHasSufficientPID",
     "NodeReady"};

} // namespace cafelet::testing
