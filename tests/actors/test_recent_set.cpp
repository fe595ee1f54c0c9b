// recent_set: bounded, oldest first, erase and re-insert.
#include "actors/recent_set.hpp"

#include <doctest/doctest.h>

using cafelet::actors::recent_set;

TEST_CASE("recent_set forgets the oldest key beyond its capacity") {
  recent_set xs{2};
  CHECK(xs.insert("a"));
  CHECK(xs.insert("b"));
  CHECK_FALSE(xs.insert("a")); // already in: keeps its age
  CHECK(xs.insert("c"));
  CHECK_FALSE(xs.contains("a"));
  CHECK(xs.contains("b"));
  CHECK(xs.contains("c"));
  CHECK(xs.size() == 2);
}

TEST_CASE("recent_set: an erased and re-inserted key is new") {
  recent_set xs{2};
  xs.insert("a");
  xs.insert("b");
  xs.erase("a");
  CHECK_FALSE(xs.contains("a"));
  CHECK(xs.insert("a")); // now the newest
  CHECK(xs.insert("c")); // evicts b, not the re-inserted a
  CHECK(xs.contains("a"));
  CHECK_FALSE(xs.contains("b"));
  CHECK(xs.contains("c"));
}

TEST_CASE("recent_set with capacity zero remembers nothing") {
  recent_set xs{0};
  CHECK_FALSE(xs.insert("a"));
  CHECK_FALSE(xs.contains("a"));
}
