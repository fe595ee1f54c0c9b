#include "actors/supervisor.hpp"

#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/log.hpp"

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scheduled_actor.hpp>

#include <algorithm>

namespace cafelet::actors {

const char* supervisor_state::name = "supervisor";

std::chrono::milliseconds restart_delay(const supervisor_options& opts,
                                        uint32_t n) {
  auto base = std::max<int64_t>(opts.base_backoff.count(), 0);
  auto cap = std::max<int64_t>(opts.max_backoff.count(), base);
  int64_t delay = base;
  for (uint32_t i = 0; i < n && delay < cap; ++i)
    delay *= 2;
  return std::chrono::milliseconds{std::min(delay, cap)};
}

void note_mailbox(caf::local_actor* self, actor_directory& dir,
                  const std::string& kind) {
  if (auto sched = dynamic_cast<caf::scheduled_actor*>(self))
    dir.note_mailbox(kind, sched->mailbox().size());
}

namespace {

using self_ptr = caf::stateful_actor<supervisor_state>*;

/// Normal exits for the purpose of transient children (OTP: normal, shutdown).
bool is_normal_exit(const caf::error& reason) {
  return !reason || reason == caf::exit_reason::user_shutdown;
}

supervised_child* find_child(self_ptr self, const std::string& name) {
  for (auto& c : self->state.children)
    if (c.spec.name == name)
      return &c;
  return nullptr;
}

supervised_child* find_child(self_ptr self, const caf::actor_addr& addr) {
  for (auto& c : self->state.children)
    if (c.handle && c.handle.address() == addr)
      return &c;
  return nullptr;
}

std::string child_path(self_ptr self, const std::string& name) {
  return self->state.path + "/" + name;
}

/// Spawns a new incarnation of `c`; returns false if the kind is unknown.
bool launch(self_ptr self, supervised_child& c) {
  auto& st = self->state;
  auto i = st.spec.factories.find(c.spec.kind);
  if (i == st.spec.factories.end()) {
    log::error("no factory for child kind",
               {log::kv("supervisor", st.path), log::kv("kind", c.spec.kind),
                log::kv("child", c.spec.name)});
    return false;
  }
  auto path = child_path(self, c.spec.name);
  c.handle = i->second(self, path, c.spec.args);
  if (!c.handle) {
    log::error("child factory returned no actor",
               {log::kv("supervisor", st.path), log::kv("child", c.spec.name)});
    return false;
  }
  self->monitor(c.handle);
  self->link_to(c.handle);
  st.directory->started(path, c.spec.kind, c.spec.name, c.handle.id());
  log::info(2, "started child",
            {log::kv("supervisor", st.path), log::kv("child", c.spec.name),
             log::kv("kind", c.spec.kind), log::kv("restarts", c.restarts)});
  return true;
}

void forget(self_ptr self, const std::string& name) {
  auto& cs = self->state.children;
  cs.erase(std::remove_if(cs.begin(), cs.end(),
                          [&](const supervised_child& c) {
                            return c.spec.name == name;
                          }),
           cs.end());
}

caf::actor add_child(self_ptr self, start_child spec) {
  if (auto existing = find_child(self, spec.name)) {
    if (existing->handle && existing->stopping) {
      // Stopped and started again (e.g. a pod put back under its UID): the
      // new incarnation starts once the old one is down, never beside it.
      existing->start_after_stop = std::move(spec);
      return nullptr;
    }
    if (existing->handle)
      return existing->handle;
    existing->stopping = false;
    return nullptr; // restart already scheduled
  }
  self->state.children.push_back(supervised_child{std::move(spec), nullptr, 0,
                                                  {}, {}, false, std::nullopt});
  auto& c = self->state.children.back();
  if (!launch(self, c)) {
    auto name = c.spec.name;
    forget(self, name);
    return nullptr;
  }
  return c.handle;
}

void on_child_down(self_ptr self, supervised_child& c, const caf::error& reason) {
  auto& st = self->state;
  auto path = child_path(self, c.spec.name);
  auto rendered = self->system().render(reason);
  c.handle = nullptr;
  c.last_exit = rendered;
  if (c.stopping) {
    st.directory->remove(path);
    if (c.start_after_stop) {
      auto next = std::move(*c.start_after_stop);
      forget(self, c.spec.name);
      add_child(self, std::move(next));
      return;
    }
    forget(self, c.spec.name);
    return;
  }
  bool restart = false;
  switch (c.spec.policy) {
    case restart_policy::permanent: restart = true; break;
    case restart_policy::transient: restart = !is_normal_exit(reason); break;
    case restart_policy::temporary: restart = false; break;
  }
  if (!restart) {
    if (is_normal_exit(reason))
      log::info(2, "child finished", {log::kv("supervisor", st.path),
                                      log::kv("child", c.spec.name)});
    else
      log::warning("child failed, not restarted (policy)",
                   {log::kv("supervisor", st.path),
                    log::kv("child", c.spec.name),
                    log::kv("policy", to_string(c.spec.policy)),
                    log::kv("reason", rendered)});
    st.directory->remove(path);
    forget(self, c.spec.name);
    return;
  }
  auto now = self->clock().now();
  while (!c.recent.empty() && now - c.recent.front() > st.spec.options.window)
    c.recent.pop_front();
  if (c.recent.size() >= st.spec.options.max_restarts) {
    log::error("restart budget exhausted",
               {log::kv("supervisor", st.path), log::kv("child", c.spec.name),
                log::kv("kind", c.spec.kind),
                log::kv("max_restarts", st.spec.options.max_restarts),
                log::kv("reason", rendered),
                log::kv("escalate", st.spec.options.escalate)});
    if (st.spec.options.escalate) {
      st.directory->ended(path, rendered, false);
      self->quit(make_error(errc::restart_budget_exhausted,
                            "child " + path + " failed "
                              + std::to_string(c.recent.size() + 1)
                              + " times: " + rendered));
      return;
    }
    st.directory->remove(path);
    forget(self, c.spec.name);
    return;
  }
  auto delay = restart_delay(st.spec.options,
                             static_cast<uint32_t>(c.recent.size()));
  auto jitter = std::clamp(st.spec.options.jitter, 0.0, 1.0);
  if (jitter > 0.0) {
    std::uniform_real_distribution<double> u{0.0, 1.0};
    auto factor = 1.0 - jitter * u(st.rng);
    delay = std::chrono::milliseconds{
      static_cast<int64_t>(static_cast<double>(delay.count()) * factor)};
  }
  c.recent.push_back(now);
  st.directory->ended(path, rendered, true);
  log::warning("child exited, restarting",
               {log::kv("supervisor", st.path), log::kv("child", c.spec.name),
                log::kv("kind", c.spec.kind), log::kv("reason", rendered),
                log::kv("restart_in_ms", delay.count()),
                log::kv("restarts", c.restarts)});
  self->delayed_send(self, delay, restart_atom::value, c.spec.name);
}

} // namespace

caf::behavior supervisor(caf::stateful_actor<supervisor_state>* self,
                         std::string path, supervisor_spec spec,
                         std::shared_ptr<actor_directory> directory) {
  auto& st = self->state;
  st.path = std::move(path);
  st.spec = std::move(spec);
  st.directory = std::move(directory);
  st.rng.seed(st.spec.options.seed);
  self->set_exit_handler([self](caf::exit_msg& msg) {
    // Exits of linked children are handled by the down handler; any other
    // exit (our parent, main on shutdown) ends us and, via links, our tree.
    if (find_child(self, msg.source))
      return;
    self->quit(msg.reason);
  });
  self->set_down_handler([self](caf::down_msg& msg) {
    if (auto c = find_child(self, msg.source))
      on_child_down(self, *c, msg.reason);
  });
  self->attach_functor([dir = st.directory, p = st.path](const caf::error&) {
    dir->remove_below(p);
  });
  auto initial = std::move(st.spec.children);
  for (auto& c : initial)
    add_child(self, std::move(c));
  return {
    [self](restart_atom, const std::string& name) {
      note_mailbox(self, *self->state.directory, self->state.spec.kind);
      auto c = find_child(self, name);
      if (!c || c->handle || c->stopping)
        return;
      ++c->restarts;
      if (!launch(self, *c)) {
        self->state.directory->remove(child_path(self, name));
        forget(self, name);
        return;
      }
      self->state.directory->count_restart(child_path(self, name));
    },
    [self](start_child& spec) -> caf::result<caf::actor> {
      note_mailbox(self, *self->state.directory, self->state.spec.kind);
      if (!self->state.spec.factories.count(spec.kind))
        return make_error(errc::internal, "unknown child kind " + spec.kind);
      return add_child(self, std::move(spec));
    },
    [self](const stop_child& req) {
      note_mailbox(self, *self->state.directory, self->state.spec.kind);
      auto c = find_child(self, req.name);
      if (!c)
        return;
      if (c->handle) {
        c->stopping = true;
        c->start_after_stop.reset(); // the latest request wins
        self->send_exit(c->handle, caf::exit_reason::user_shutdown);
      } else { // waiting for a restart: drop it
        self->state.directory->remove(child_path(self, req.name));
        forget(self, req.name);
      }
    },
    [self](children_atom) {
      auto& st = self->state;
      children_snapshot out;
      out.supervisor = st.path;
      for (const auto& c : st.children)
        out.children.push_back(child_status{
          c.spec.kind, c.spec.name, c.handle ? c.handle.id() : 0, c.restarts,
          static_cast<bool>(c.handle), c.last_exit});
      return out;
    },
    [self](caf::get_atom, const std::string& name) -> caf::result<caf::actor> {
      auto c = find_child(self, name);
      if (!c || !c->handle)
        return make_error(errc::not_ready, "child " + name + " is not running");
      return c->handle;
    },
  };
}

caf::actor spawn_supervisor(caf::local_actor* parent, const std::string& path,
                            supervisor_spec spec,
                            std::shared_ptr<actor_directory> directory) {
  return parent->spawn(supervisor, path, std::move(spec), std::move(directory));
}

} // namespace cafelet::actors
