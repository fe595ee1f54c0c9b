// Structured log lines: logfmt quoting, escaping, valid UTF-8 output,
// verbosity filtering.
#include "messages/log.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace cafelet;

namespace {

/// The part of a line after the timestamp.
std::string tail(const std::string& line) {
  return line.substr(line.find(' ') + 1);
}

} // namespace

TEST_CASE("lines are logfmt with quoting where needed") {
  auto line = log::format(log::severity::info, 2, "pod started",
                          {log::pod_field("default", "web-1"),
                           log::kv("uid", "1234"), log::kv("empty", "")});
  CHECK(line.rfind("ts=", 0) == 0);
  CHECK(tail(line)
        == R"(level=info v=2 msg="pod started" pod=default/web-1 uid=1234 empty="")");
}

TEST_CASE("special characters are escaped") {
  auto line = log::format(log::severity::warning, 0, "x",
                          {log::kv("v", "a \"b\" c\\d\ne\tf=g\x01")});
  CHECK(tail(line) == R"(level=warning msg=x v="a \"b\" c\\d\ne\tf=g\x01")");
}

TEST_CASE("well-formed UTF-8 passes, ill-formed bytes are escaped") {
  // é (2 bytes), € (3), 😀 (4) pass through unchanged.
  auto ok = log::format(log::severity::error, 0, "m", {log::kv("v", "é€😀")});
  CHECK(tail(ok) == "level=error msg=m v=\"é€😀\"");
  // A lone continuation byte, a truncated sequence, an overlong encoding of
  // '/', a UTF-16 surrogate and a byte that never occurs in UTF-8.
  auto bad = log::format(log::severity::error, 0, "m",
                         {log::kv("v", std::string{"a\x80" "b\xe2\x82" "c\xc0\xaf"
                                                   "d\xed\xa0\x80" "e\xff"})});
  CHECK(tail(bad)
        == R"(level=error msg=m v="a\x80b\xe2\x82c\xc0\xafd\xed\xa0\x80e\xff")");
}

TEST_CASE("info lines are filtered by verbosity, warnings and errors never") {
  std::vector<std::string> lines;
  log::set_sink([&](std::string_view l) { lines.emplace_back(l); });
  log::set_verbosity(1);
  log::info(1, "shown");
  log::info(2, "hidden");
  log::warning("warned");
  log::error("failed");
  log::set_sink(nullptr);
  log::set_verbosity(0);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].find("msg=shown") != std::string::npos);
  CHECK(lines[1].find("level=warning") != std::string::npos);
  CHECK(lines[2].find("level=error") != std::string::npos);
}
