#pragma once
/// @file
/// Assertions on the calls of a `scripted_transport`, shared by the actor
/// fixtures that answer API calls by hand. A fixture derives from
/// `scripted_calls<fixture>` and has a member `api`
/// (`std::shared_ptr<scripted_transport>`) and a `run()` that lets the
/// actors process what is queued.

#include "tests/actors/api/scripted_transport.hpp"

#include <doctest/doctest.h>

#include <string>

namespace cafelet::testing {

template <class Fixture>
struct scripted_calls {
  /// The oldest open call; fails the test if there is none or it is not
  /// `expected` ("METHOD /path").
  scripted_call expect(const std::string& expected) {
    auto c = self().api->next();
    REQUIRE_MESSAGE(c.has_value(), "no open call, expected " << expected);
    CHECK(c->summary() == expected);
    return *c;
  }

  /// Answers the oldest open call (which must be `expected`) with `status`
  /// and `body`, then runs the actors.
  scripted_call answer(const std::string& expected, int status, std::string body = "{}") {
    auto c = expect(expected);
    self().api->reply(c.key, status, std::move(body));
    self().run();
    return c;
  }

private:
  Fixture& self() {
    return static_cast<Fixture&>(*this);
  }
};

} // namespace cafelet::testing
