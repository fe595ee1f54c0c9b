// net::line_splitter: lines from arbitrarily chunked watch bodies.

#include "net/watch/line_splitter.hpp"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

using cafelet::net::line_splitter;

namespace {

/// Feeds `body` in pieces whose sizes come from `sizes` (cycled) and
/// returns the lines in order.
std::vector<std::string> split(line_splitter& s, std::string_view body,
                               const std::vector<size_t>& sizes) {
  std::vector<std::string> out;
  size_t pos = 0;
  size_t i = 0;
  while (pos < body.size()) {
    auto n = std::min(sizes[i++ % sizes.size()], body.size() - pos);
    s.feed(body.substr(pos, n),
           [&](std::string_view line) { out.emplace_back(line); });
    pos += n;
  }
  return out;
}

std::string sample_body() {
  std::string body;
  body += R"({"type":"ADDED","object":{"metadata":{"name":"web-1"}}})"
          "\n";
  body += R"({"type":"MODIFIED","object":{"metadata":{"name":"wëb-1","annotations":{"note":"日本語 ✓ 🚀"}}}})"
          "\r\n";
  body += "\n"; // empty line: ignored
  body += R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"300"}}})"
          "\n";
  body += "\r\n"; // empty after stripping '\r': ignored
  body += R"({"type":"DELETED","object":{"metadata":{"name":"web-1"}}})"
          "\n";
  return body;
}

std::vector<std::string> sample_lines() {
  return {
    R"({"type":"ADDED","object":{"metadata":{"name":"web-1"}}})",
    R"({"type":"MODIFIED","object":{"metadata":{"name":"wëb-1","annotations":{"note":"日本語 ✓ 🚀"}}}})",
    R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"300"}}})",
    R"({"type":"DELETED","object":{"metadata":{"name":"web-1"}}})",
  };
}

} // namespace

TEST_CASE("line_splitter: whole body in one chunk") {
  line_splitter s;
  auto lines = split(s, sample_body(), {sample_body().size()});
  CHECK(lines == sample_lines());
  CHECK(s.buffered() == 0);
  CHECK(s.lines() == 4);
  CHECK(s.overlong() == 0);
}

TEST_CASE("line_splitter: one byte at a time") {
  line_splitter s;
  auto body = sample_body();
  std::vector<std::string> lines;
  size_t max_buffered = 0;
  for (char c : body) {
    s.feed(std::string_view{&c, 1},
           [&](std::string_view line) { lines.emplace_back(line); });
    max_buffered = std::max(max_buffered, s.buffered());
  }
  CHECK(lines == sample_lines());
  CHECK(s.buffered() == 0);
  // The buffer holds at most one line (plus its '\r').
  CHECK(max_buffered <= sample_lines()[1].size() + 1);
}

TEST_CASE("line_splitter: random chunkings (seeded)") {
  auto body = sample_body();
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    std::mt19937_64 rng{seed};
    std::uniform_int_distribution<size_t> dist{1, 40};
    std::vector<size_t> sizes;
    for (int i = 0; i < 64; ++i)
      sizes.push_back(dist(rng));
    line_splitter s;
    auto lines = split(s, body, sizes);
    INFO("seed " << seed);
    REQUIRE(lines == sample_lines());
    CHECK(s.buffered() == 0);
  }
}

TEST_CASE("line_splitter: multi-byte UTF-8 split across chunks") {
  // "ü" is C3 BC, "🚀" is F0 9F 9A 80: cut inside both.
  std::string line = "{\"n\":\"\xC3\xBC\xF0\x9F\x9A\x80\"}";
  std::string body = line + "\n";
  auto cut1 = line.find('\xC3') + 1; // between C3 and BC
  auto cut2 = line.find('\xF0') + 2; // between 9F and 9A
  line_splitter s;
  std::vector<std::string> out;
  auto collect = [&](std::string_view l) { out.emplace_back(l); };
  s.feed(std::string_view{body}.substr(0, cut1), collect);
  CHECK(s.buffered() == cut1);
  s.feed(std::string_view{body}.substr(cut1, cut2 - cut1), collect);
  CHECK(out.empty());
  s.feed(std::string_view{body}.substr(cut2), collect);
  REQUIRE(out.size() == 1);
  CHECK(out[0] == line);
}

TEST_CASE("line_splitter: lines inside one chunk are not copied") {
  line_splitter s;
  std::string chunk = "a\nbb\ncc";
  std::vector<const char*> starts;
  s.feed(chunk, [&](std::string_view l) { starts.push_back(l.data()); });
  REQUIRE(starts.size() == 2);
  CHECK(starts[0] == chunk.data());
  CHECK(starts[1] == chunk.data() + 2);
  CHECK(s.buffered() == 2); // "cc"
}

TEST_CASE("line_splitter: overlong lines are skipped and the stream resyncs") {
  line_splitter s{16};
  std::vector<std::string> out;
  auto collect = [&](std::string_view l) { out.emplace_back(l); };
  SUBCASE("overlong line inside one chunk") {
    s.feed("short\n0123456789abcdefXYZ\nafter\n", collect);
    CHECK(out == std::vector<std::string>{"short", "after"});
    CHECK(s.overlong() == 1);
  }
  SUBCASE("overlong line over many chunks is not buffered") {
    s.feed("first\n0123456789", collect);
    s.feed("abcdefghij", collect); // exceeds 16 without '\n'
    CHECK(s.skipping());
    CHECK(s.buffered() == 0);
    s.feed("klmnopqrstuvwxyz", collect);
    CHECK(s.buffered() == 0);
    s.feed("end\nnext", collect);
    CHECK_FALSE(s.skipping());
    s.feed("\n", collect);
    CHECK(out == std::vector<std::string>{"first", "next"});
    CHECK(s.overlong() == 1);
  }
  SUBCASE("exactly max_line bytes is accepted") {
    s.feed("0123456789abcde", collect); // 15
    s.feed("f", collect);               // 16
    s.feed("\n", collect);
    CHECK(out == std::vector<std::string>{"0123456789abcdef"});
    CHECK(s.overlong() == 0);
  }
  SUBCASE("one byte at a time") {
    std::string body = "ok\n0123456789abcdefghij\nok2\n";
    for (char c : body)
      s.feed(std::string_view{&c, 1}, collect);
    CHECK(out == std::vector<std::string>{"ok", "ok2"});
    CHECK(s.overlong() == 1);
  }
}

TEST_CASE("line_splitter: reset drops the tail and a skip in progress") {
  line_splitter s{8};
  std::vector<std::string> out;
  auto collect = [&](std::string_view l) { out.emplace_back(l); };
  s.feed("{\"partial", collect);
  CHECK(s.skipping());
  s.reset();
  CHECK_FALSE(s.skipping());
  s.feed("abc", collect);
  CHECK(s.buffered() == 3);
  s.reset();
  CHECK(s.buffered() == 0);
  s.feed("new\n", collect);
  CHECK(out == std::vector<std::string>{"new"});
}

TEST_CASE("line_splitter: reset from the callback drops the rest of the chunk") {
  line_splitter s;
  std::vector<std::string> out;
  auto n = s.feed("a\nstop\nb\nc", [&](std::string_view l) {
    out.emplace_back(l);
    if (l == "stop")
      s.reset();
  });
  CHECK(n == 2);
  CHECK(out == std::vector<std::string>{"a", "stop"});
  CHECK(s.buffered() == 0);
}

TEST_CASE("line_splitter: finish delivers a last line without newline") {
  line_splitter s;
  std::vector<std::string> out;
  auto collect = [&](std::string_view l) { out.emplace_back(l); };
  s.feed("x\ny", collect);
  CHECK(s.finish(collect) == 1);
  CHECK(out == std::vector<std::string>{"x", "y"});
  CHECK(s.finish(collect) == 0);
}

TEST_CASE("line_splitter: large bodies are scanned in linear time") {
  // 20000 lines of 1 KiB fed in 7-byte chunks: a quadratic splitter would
  // rescan its buffer on every feed (~20 MB * 150 scans per line).
  std::string line(1023, 'x');
  std::string body;
  for (int i = 0; i < 20000; ++i) {
    body += line;
    body += '\n';
  }
  line_splitter s;
  size_t count = 0;
  size_t bytes = 0;
  for (size_t pos = 0; pos < body.size(); pos += 7)
    s.feed(std::string_view{body}.substr(pos, 7), [&](std::string_view l) {
      ++count;
      bytes += l.size();
    });
  CHECK(count == 20000);
  CHECK(bytes == 20000 * 1023);
}
