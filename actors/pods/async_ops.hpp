#pragma once
/// @file
/// Asynchronous operations of one actor whose completions arrive on other
/// threads (container runtime calls). A completion is packaged with its
/// continuation and sent to the actor, so the continuation runs in the
/// actor's context; operations cancelled meanwhile are ignored. The actor is
/// held weakly: a completion for an actor that died is dropped.

#include <caf/actor_cast.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message_handler.hpp>
#include <caf/send.hpp>
#include <caf/weak_intrusive_ptr.hpp>

#include <cstdint>
#include <functional>
#include <unordered_set>
#include <utility>

namespace cafelet::actors {

/// A continuation ready to run in its actor.
struct deferred_step {
  std::function<void()> fn;
};

/// An operation completed; carries its continuation.
using async_done_atom = caf::atom_constant<caf::atom("async_done")>;

/// The operations in flight of one actor.
class async_ops {
public:
  explicit async_ops(caf::event_based_actor* self) : self_(self) {
  }

  /// Starts an operation. `start` receives a thread-safe completion
  /// function taking a `Result`; `k(result)` then runs in the actor.
  template <class Result, class Start, class K>
  uint64_t run(Start start, K k) {
    auto id = next_++;
    live_.insert(id);
    caf::weak_actor_ptr weak{caf::actor_cast<caf::strong_actor_ptr>(self_).get()};
    start([weak, id, k = std::move(k)](Result r) mutable {
      auto strong = weak.lock();
      if (!strong)
        return;
      deferred_step step{[k = std::move(k), r = std::move(r)]() mutable { k(r); }};
      caf::anon_send(caf::actor_cast<caf::actor>(strong), async_done_atom::value,
                     id, std::move(step));
    });
    return id;
  }

  /// Forgets operation `id`: its continuation will not run.
  void cancel(uint64_t id) {
    live_.erase(id);
  }

  /// Forgets every operation in flight.
  void cancel_all() {
    live_.clear();
  }

  /// Operations in flight.
  size_t pending() const noexcept {
    return live_.size();
  }

  /// The handler to combine with the actor's behavior.
  caf::message_handler handlers() {
    return {[this](async_done_atom, uint64_t id, deferred_step& step) {
      if (live_.erase(id) > 0 && step.fn)
        step.fn();
    }};
  }

private:
  caf::event_based_actor* self_;
  std::unordered_set<uint64_t> live_;
  uint64_t next_ = 1;
};

} // namespace cafelet::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafelet::actors::deferred_step)
