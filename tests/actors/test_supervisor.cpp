#include "actors/supervisor.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/log.hpp"
#include "test_fixture.hpp"

#include <caf/event_based_actor.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <map>

using namespace cafelet;
using namespace cafelet::actors;
using namespace std::chrono_literals;

namespace {

/// A child that fails on crash_atom and finishes normally on stop_atom.
caf::behavior test_worker(caf::event_based_actor* self) {
  return {
    [self](crash_atom) { self->quit(make_error(errc::internal, "injected")); },
    [self](stop_atom) { self->quit(); },
  };
}

child_factory worker_factory(std::map<std::string, int>* spawned = nullptr) {
  return [spawned](caf::local_actor* parent, const std::string& path,
                   const caf::message&) {
    if (spawned)
      ++(*spawned)[path];
    return parent->spawn(test_worker);
  };
}

supervisor_options no_jitter() {
  supervisor_options o;
  o.jitter = 0.0;
  o.base_backoff = 100ms;
  o.max_backoff = 1000ms;
  o.max_restarts = 3;
  o.window = 10s;
  return o;
}

struct sup_fixture : testing::deterministic_fixture {
  std::shared_ptr<actor_directory> dir = std::make_shared<actor_directory>();
  std::map<std::string, int> spawned;

  sup_fixture() {
    log::set_sink([](std::string_view) {}); // keep test output readable
  }
  ~sup_fixture() {
    log::set_sink(nullptr);
  }

  caf::actor spawn_sup(supervisor_options opts,
                       std::vector<start_child> children) {
    supervisor_spec spec;
    spec.options = opts;
    spec.factories["worker"] = worker_factory(&spawned);
    spec.children = std::move(children);
    auto sup = sys->spawn(supervisor, std::string{"root"}, std::move(spec), dir);
    dir->started("root", "supervisor", "root", sup.id());
    run();
    return sup;
  }

  supervisor_state& st(const caf::actor& sup) {
    return state_of<supervisor_state>(sup);
  }

  caf::actor child(const caf::actor& sup, const std::string& name) {
    for (auto& c : st(sup).children)
      if (c.spec.name == name)
        return c.handle;
    return nullptr;
  }

  void crash(const caf::actor& a) {
    REQUIRE(a);
    caf::anon_send(a, crash_atom::value);
    run();
  }

  void shutdown(const caf::actor& sup) {
    caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
    run();
  }
};

start_child worker(std::string name,
                   restart_policy p = restart_policy::permanent) {
  return start_child{"worker", std::move(name), p, caf::message{}};
}

} // namespace

TEST_CASE_FIXTURE(sup_fixture, "crashed child restarts after the backoff") {
  auto sup = spawn_sup(no_jitter(), {worker("w")});
  auto first = child(sup, "w");
  REQUIRE(first);
  CHECK(spawned["root/w"] == 1);
  crash(first);
  CHECK(!child(sup, "w"));
  auto entries = dir->entries();
  REQUIRE(entries.size() == 2);
  CHECK(entries[1].path == "root/w");
  CHECK(entries[1].state == entry_state::restarting);
  CHECK(entries[1].last_exit.find("injected") != std::string::npos);
  advance(99ms);
  CHECK(!child(sup, "w"));
  advance(1ms);
  auto second = child(sup, "w");
  REQUIRE(second);
  CHECK(second != first);
  CHECK(spawned["root/w"] == 2);
  CHECK(st(sup).children[0].restarts == 1);
  CHECK(dir->restarts_by_kind()["worker"] == 1);
  CHECK(dir->entries()[1].state == entry_state::running);
  shutdown(sup);
}

TEST_CASE_FIXTURE(sup_fixture, "backoff doubles per restart and is capped") {
  CHECK(restart_delay(no_jitter(), 0) == 100ms);
  CHECK(restart_delay(no_jitter(), 1) == 200ms);
  CHECK(restart_delay(no_jitter(), 3) == 800ms);
  CHECK(restart_delay(no_jitter(), 4) == 1000ms);
  CHECK(restart_delay(no_jitter(), 60) == 1000ms);
  auto opts = no_jitter();
  opts.max_restarts = 10;
  auto sup = spawn_sup(opts, {worker("w")});
  std::chrono::milliseconds expected[] = {100ms, 200ms, 400ms, 800ms, 1000ms};
  for (auto d : expected) {
    crash(child(sup, "w"));
    advance(d - 1ms);
    CHECK_MESSAGE(!child(sup, "w"), "restarted before " << d.count() << "ms");
    advance(1ms);
    CHECK_MESSAGE(child(sup, "w"), "not restarted after " << d.count() << "ms");
  }
  shutdown(sup);
}

TEST_CASE_FIXTURE(sup_fixture, "jitter shortens delays reproducibly by seed") {
  auto delays_for = [&](uint64_t seed) {
    auto opts = no_jitter();
    opts.jitter = 0.5;
    opts.seed = seed;
    opts.max_restarts = 10;
    auto sup = spawn_sup(opts, {worker("w")});
    std::vector<int> out;
    for (uint32_t n = 0; n < 4; ++n) {
      crash(child(sup, "w"));
      int waited = 0;
      while (!child(sup, "w") && waited < 5000) {
        advance(1ms);
        ++waited;
      }
      auto full = static_cast<int>(restart_delay(opts, n).count());
      CHECK(waited <= full);
      CHECK(waited >= full / 2);
      out.push_back(waited);
    }
    shutdown(sup);
    return out;
  };
  auto a = delays_for(7);
  auto b = delays_for(7);
  auto c = delays_for(8);
  CHECK(a == b);
  CHECK(a != c);
}

TEST_CASE_FIXTURE(sup_fixture, "exhausted budget escalates with a typed error") {
  auto sup = spawn_sup(no_jitter(), {worker("w")});
  caf::error exit_reason;
  bool down = false;
  auto watcher = sys->spawn([&](caf::event_based_actor* self) -> caf::behavior {
    self->monitor(sup);
    self->set_down_handler([&, self](caf::down_msg& msg) {
      down = true;
      exit_reason = msg.reason;
      self->quit();
    });
    return {[](int) {}};
  });
  run();
  for (auto d : {100ms, 200ms, 400ms}) {
    crash(child(sup, "w"));
    advance(d);
  }
  CHECK(spawned["root/w"] == 4);
  CHECK(!down);
  crash(child(sup, "w")); // fourth failure within the window
  CHECK(down);
  CHECK(is(exit_reason, errc::restart_budget_exhausted));
  CHECK(context_of(exit_reason).find("root/w") != std::string::npos);
  CHECK(spawned["root/w"] == 4);
}

TEST_CASE_FIXTURE(sup_fixture, "failures spread beyond the window never exhaust it") {
  auto opts = no_jitter();
  opts.window = 1s;
  opts.max_restarts = 2;
  auto sup = spawn_sup(opts, {worker("w")});
  for (int i = 0; i < 6; ++i) {
    crash(child(sup, "w"));
    advance(1100ms);
    REQUIRE(child(sup, "w"));
  }
  CHECK(st(sup).children[0].restarts == 6);
  shutdown(sup);
}

TEST_CASE_FIXTURE(sup_fixture, "restart policies") {
  auto sup = spawn_sup(no_jitter(),
                       {worker("perm", restart_policy::permanent),
                        worker("trans", restart_policy::transient),
                        worker("temp", restart_policy::temporary),
                        worker("trans2", restart_policy::transient)});
  caf::anon_send(child(sup, "perm"), stop_atom::value);   // normal exit
  caf::anon_send(child(sup, "trans"), stop_atom::value);  // normal exit
  caf::anon_send(child(sup, "temp"), crash_atom::value);  // failure
  caf::anon_send(child(sup, "trans2"), crash_atom::value); // failure
  run();
  advance(100ms);
  CHECK(child(sup, "perm"));   // permanent: restarted even after normal exit
  CHECK(child(sup, "trans2")); // transient: restarted after failure
  CHECK(st(sup).children.size() == 2); // trans and temp are gone
  std::vector<std::string> paths;
  for (auto& e : dir->entries())
    paths.push_back(e.path);
  CHECK(paths == std::vector<std::string>{"root", "root/perm", "root/trans2"});
  shutdown(sup);
}

TEST_CASE_FIXTURE(sup_fixture, "dynamic start and stop of children") {
  auto sup = spawn_sup(no_jitter(), {});
  caf::anon_send(sup, start_child{"worker", "p1", restart_policy::permanent, {}});
  caf::anon_send(sup, start_child{"worker", "p1", restart_policy::permanent, {}});
  caf::anon_send(sup, start_child{"nope", "x", restart_policy::permanent, {}});
  run();
  CHECK(spawned["root/p1"] == 1); // the duplicate start is ignored
  CHECK(st(sup).children.size() == 1);
  caf::anon_send(sup, stop_child{"p1"});
  run();
  advance(5s);
  CHECK(st(sup).children.empty());
  CHECK(spawned["root/p1"] == 1); // a stopped child is not restarted
  CHECK(dir->entries().size() == 1);
  shutdown(sup);
}

TEST_CASE_FIXTURE(sup_fixture, "nested supervisor restarts an escalating subtree") {
  auto inner_opts = no_jitter();
  inner_opts.max_restarts = 1;
  supervisor_spec outer;
  outer.options = no_jitter();
  outer.factories["sub"] = [this, inner_opts](caf::local_actor* parent,
                                              const std::string& path,
                                              const caf::message&) {
    supervisor_spec inner;
    inner.options = inner_opts;
    inner.factories["worker"] = worker_factory(&spawned);
    inner.children = {worker("a"), worker("b")};
    return spawn_supervisor(parent, path, std::move(inner), dir);
  };
  outer.children = {start_child{"sub", "node", restart_policy::permanent, {}}};
  auto root = sys->spawn(supervisor, std::string{"root"}, std::move(outer), dir);
  dir->started("root", "supervisor", "root", root.id());
  run();
  auto node = child(root, "node");
  REQUIRE(node);
  CHECK(spawned["root/node/a"] == 1);
  CHECK(spawned["root/node/b"] == 1);
  crash(child(node, "a"));
  advance(100ms);
  crash(child(node, "a")); // budget of 1 spent: node escalates
  CHECK(!child(root, "node"));
  auto states = dir->entries();
  REQUIRE(states.size() == 2); // children of the dead node are gone
  CHECK(states[1].path == "root/node");
  CHECK(states[1].state == entry_state::restarting);
  CHECK(states[1].last_exit.find("restart_budget_exhausted") != std::string::npos);
  advance(100ms);
  auto node2 = child(root, "node");
  REQUIRE(node2);
  CHECK(node2 != node);
  CHECK(spawned["root/node/a"] == 3);
  CHECK(spawned["root/node/b"] == 2); // the whole subtree was restarted
  CHECK(dir->restarts_by_kind()["sub"] == 1);
  shutdown(root);
  CHECK(dir->live_by_kind().count("worker") == 0);
}

TEST_CASE_FIXTURE(sup_fixture, "shutting a supervisor down ends its children") {
  auto sup = spawn_sup(no_jitter(), {worker("a"), worker("b")});
  auto a = child(sup, "a");
  bool a_down = false;
  // Keep a handle: an actor nobody references ends as "unreachable".
  auto watcher = sys->spawn([&](caf::event_based_actor* self) -> caf::behavior {
    self->monitor(a);
    self->set_down_handler([&, self](caf::down_msg&) {
      a_down = true;
      self->quit();
    });
    return {[](int) {}};
  });
  run();
  shutdown(sup);
  CHECK(a_down);
  CHECK(spawned["root/a"] == 1); // no restart during shutdown
}

TEST_CASE_FIXTURE(sup_fixture, "children snapshot and lookup by name") {
  auto sup = spawn_sup(no_jitter(), {worker("a"), worker("b")});
  crash(child(sup, "b"));
  auto& s = st(sup);
  REQUIRE(s.children.size() == 2);
  CHECK(s.children[0].handle);
  CHECK(!s.children[1].handle);
  CHECK(s.children[1].last_exit.find("injected") != std::string::npos);
  std::string json = dir->to_json();
  CHECK(json.find("\"path\":\"root/b\"") != std::string::npos);
  CHECK(json.find("\"state\":\"restarting\"") != std::string::npos);
  shutdown(sup);
}

// -- a child stopped and started again under its name ------------------------

namespace {

/// Incarnations of "worker" children: the int argument of each start and
/// how many are alive, checked at every spawn.
struct incarnations {
  std::vector<int> args;
  int alive = 0;
  int max_alive_at_spawn = 0;
};

struct restart_fixture : sup_fixture {
  std::shared_ptr<incarnations> seen = std::make_shared<incarnations>();

  caf::actor spawn_counting_sup(std::vector<start_child> children) {
    supervisor_spec spec;
    spec.options = no_jitter();
    spec.factories["worker"] = [seen = seen](caf::local_actor* parent, const std::string&,
                                             const caf::message& args) {
      seen->max_alive_at_spawn = std::max(seen->max_alive_at_spawn, seen->alive);
      seen->args.push_back(args.match_elements<int>() ? args.get_as<int>(0) : -1);
      auto h = parent->spawn(test_worker);
      ++seen->alive;
      caf::actor_cast<caf::abstract_actor*>(h)->attach_functor(
        [seen](const caf::error&) { --seen->alive; });
      return h;
    };
    spec.children = std::move(children);
    auto sup = sys->spawn(supervisor, std::string{"root"}, std::move(spec), dir);
    dir->started("root", "supervisor", "root", sup.id());
    run();
    return sup;
  }
};

start_child numbered(std::string name, int n) {
  return start_child{"worker", std::move(name), restart_policy::permanent,
                     caf::make_message(n)};
}

} // namespace

TEST_CASE_FIXTURE(restart_fixture, "stop then start of one name: the new incarnation follows the old one") {
  auto sup = spawn_counting_sup({numbered("w", 1)});
  auto old = child(sup, "w");
  REQUIRE(old);
  REQUIRE(seen->alive == 1);
  // Both requests are queued before the supervisor runs: the start arrives
  // while the old incarnation is still stopping.
  caf::anon_send(sup, stop_child{"w"});
  caf::anon_send(sup, numbered("w", 2));
  run();
  CHECK(seen->args == std::vector<int>{1, 2});
  CHECK(seen->max_alive_at_spawn == 0); // never two at once
  CHECK(seen->alive == 1);
  auto now = child(sup, "w");
  REQUIRE(now);
  CHECK(now != old);
  REQUIRE(st(sup).children.size() == 1);
  CHECK(st(sup).children[0].restarts == 0);
  CHECK(!st(sup).children[0].stopping);
  CHECK(!st(sup).children[0].start_after_stop);
  auto entries = dir->entries();
  REQUIRE(entries.size() == 2);
  CHECK(entries[1].path == "root/w");
  CHECK(entries[1].state == entry_state::running);
  // Nothing else follows.
  advance(5s);
  CHECK(seen->args.size() == 2);
  CHECK(child(sup, "w") == now);
  // The new incarnation is an ordinary child with the new arguments: a
  // crash restarts it with them.
  crash(now);
  advance(100ms);
  CHECK(seen->args == std::vector<int>{1, 2, 2});
  CHECK(seen->max_alive_at_spawn == 0);
  CHECK(seen->alive == 1);
  shutdown(sup);
  CHECK(seen->alive == 0);
}

TEST_CASE_FIXTURE(restart_fixture, "stop, start, stop of one name: nothing is started again") {
  auto sup = spawn_counting_sup({numbered("w", 1)});
  REQUIRE(child(sup, "w"));
  caf::anon_send(sup, stop_child{"w"});
  caf::anon_send(sup, numbered("w", 2));
  caf::anon_send(sup, stop_child{"w"}); // cancels the pending start
  run();
  CHECK(seen->args == std::vector<int>{1});
  CHECK(seen->alive == 0);
  CHECK(st(sup).children.empty());
  CHECK(dir->entries().size() == 1);
  advance(5s);
  CHECK(seen->args == std::vector<int>{1});
  CHECK(seen->alive == 0);
  // A later start of the name works as usual.
  caf::anon_send(sup, numbered("w", 3));
  run();
  CHECK(seen->args == std::vector<int>{1, 3});
  CHECK(seen->alive == 1);
  shutdown(sup);
}

TEST_CASE_FIXTURE(restart_fixture, "a start while stopping, then the old incarnation crashes: one new incarnation") {
  // The old one ends with an error instead of the shutdown (it failed on
  // its own meanwhile): still exactly one new incarnation, no restart of
  // the old spec.
  auto sup = spawn_counting_sup({numbered("w", 1)});
  auto old = child(sup, "w");
  REQUIRE(old);
  caf::anon_send(old, crash_atom::value);
  caf::anon_send(sup, stop_child{"w"});
  caf::anon_send(sup, numbered("w", 2));
  run();
  advance(5s);
  CHECK(seen->max_alive_at_spawn == 0);
  CHECK(seen->alive == 1);
  REQUIRE(!seen->args.empty());
  CHECK(seen->args.back() == 2);
  CHECK(seen->args.size() == 2);
  shutdown(sup);
}
