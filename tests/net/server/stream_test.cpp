// Streaming (chunked) responses written from other threads.

#include "messages/errors.hpp"
#include "net/server/http_server.hpp"
#include "tests/net/server/test_support.hpp"

#include <doctest/doctest.h>

#include <thread>
#include <vector>

using namespace cafelet;
using namespace cafelet::net;
using namespace std::chrono_literals;
using test::raw_client;

namespace {

/// A server whose handler starts a stream and hands it to the test.
struct stream_fixture {
  test::signal<response_stream> started;
  test::signal<stream_end> ended;
  std::unique_ptr<http_server> srv;

  explicit stream_fixture(server_options opts = {}) {
    auto s = http_server::start(opts, [this](server_request req, responder res) {
      if (req.path != "/watch") {
        res.respond(200, "plain " + req.path);
        return;
      }
      auto st = res.start_stream(200, {{"Content-Type", "application/json"}});
      st.on_end([this](stream_end why) { ended.set(why); });
      started.set(st);
    });
    REQUIRE_MESSAGE(s, describe(s.error()));
    srv = std::move(*s);
  }

  raw_client open_watch() {
    auto c = raw_client::connect(srv->address(), srv->port());
    REQUIRE(c);
    REQUIRE(c->send("GET /watch HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto head = c->read_head();
    REQUIRE(head);
    CHECK(head->status == 200);
    CHECK(has_header_token(head->headers, "Transfer-Encoding", "chunked"));
    CHECK(find_header(head->headers, "Content-Type")
          == std::optional<std::string_view>{"application/json"});
    CHECK_FALSE(find_header(head->headers, "Content-Length").has_value());
    return std::move(*c);
  }

  response_stream stream() {
    auto st = started.wait();
    REQUIRE(st);
    return *st;
  }
};

} // namespace

TEST_CASE("stream: chunks written from another thread arrive in order") {
  stream_fixture fx;
  auto c = fx.open_watch();
  auto st = fx.stream();
  CHECK(fx.srv->stream_count() == 1);
  std::vector<std::string> sent;
  for (int i = 0; i < 50; ++i)
    sent.push_back("{\"type\":\"MODIFIED\",\"n\":" + std::to_string(i) + "}\n"
                   + std::string(static_cast<size_t>(i) * 37, 'p'));
  std::thread writer{[st, &sent] {
    for (const auto& s : sent)
      CHECK(st.write(s));
    CHECK(st.write("")); // skipped, must not end the stream
    CHECK(st.close());
    CHECK_FALSE(st.close());
  }};
  std::vector<std::string> got;
  for (;;) {
    auto chunk = c.read_chunk();
    REQUIRE(chunk);
    if (chunk->empty())
      break;
    got.push_back(*chunk);
  }
  writer.join();
  CHECK(got == sent); // one HTTP chunk per write, in order
  CHECK(fx.ended.wait() == stream_end::closed);
  CHECK(st.ended());
  CHECK_FALSE(st.write("late"));
  // The connection is reusable after the stream ended.
  REQUIRE(c.send("GET /after HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->body == "plain /after");
  CHECK(fx.srv->stream_count() == 0);
}

TEST_CASE("stream: a chunk becomes visible before the stream ends") {
  stream_fixture fx;
  auto c = fx.open_watch();
  auto st = fx.stream();
  for (int i = 0; i < 3; ++i) {
    auto msg = "event-" + std::to_string(i);
    REQUIRE(st.write(msg));
    CHECK(c.read_chunk() == std::optional<std::string>{msg});
  }
  CHECK_FALSE(st.ended());
  CHECK(st.pending_bytes() < 1024);
}

TEST_CASE("stream: the stream notices when the client goes away") {
  stream_fixture fx;
  response_stream st;
  {
    auto c = fx.open_watch();
    st = fx.stream();
    REQUIRE(st.write("hello"));
    CHECK(c.read_chunk() == std::optional<std::string>{"hello"});
  } // closes the socket
  CHECK(fx.ended.wait() == stream_end::peer_gone);
  CHECK(st.ended());
  CHECK_FALSE(st.write("into the void"));
  // Registering after the end calls back at once.
  test::signal<stream_end> late;
  st.on_end([&](stream_end why) { late.set(why); });
  CHECK(late.wait(0ms) == stream_end::peer_gone);
}

TEST_CASE("stream: abort cuts the connection without the final chunk") {
  stream_fixture fx;
  auto c = fx.open_watch();
  auto st = fx.stream();
  REQUIRE(st.write("partial"));
  CHECK(c.read_chunk() == std::optional<std::string>{"partial"});
  std::thread{[st] { st.abort(); }}.join();
  CHECK(fx.ended.wait() == stream_end::aborted);
  CHECK_FALSE(c.read_chunk().has_value()); // EOF, no zero-size chunk
  CHECK(c.wait_closed());
}

TEST_CASE("stream: the server aborts all streams") {
  stream_fixture fx;
  auto c1 = fx.open_watch();
  auto st1 = fx.stream();
  test::signal<stream_end> second_end;
  fx.started.reset();
  // A second watch on another connection.
  auto c2 = raw_client::connect(fx.srv->address(), fx.srv->port());
  REQUIRE(c2);
  REQUIRE(c2->send("GET /watch HTTP/1.1\r\nHost: x\r\n\r\n"));
  REQUIRE(c2->read_head());
  auto st2 = fx.stream();
  st2.on_end([&](stream_end why) { second_end.set(why); });
  // A plain keep-alive connection must survive.
  auto c3 = raw_client::connect(fx.srv->address(), fx.srv->port());
  REQUIRE(c3);
  REQUIRE(c3->send("GET /p HTTP/1.1\r\nHost: x\r\n\r\n"));
  REQUIRE(c3->read_response());
  fx.srv->abort_streams();
  CHECK(fx.ended.wait() == stream_end::aborted);
  CHECK(second_end.wait() == stream_end::aborted);
  CHECK(c1.wait_closed());
  CHECK(c2->wait_closed());
  REQUIRE(c3->send("GET /q HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto res = c3->read_response();
  REQUIRE(res);
  CHECK(res->body == "plain /q");
}

TEST_CASE("stream: dropping the last handle closes the stream gracefully") {
  stream_fixture fx;
  auto c = fx.open_watch();
  {
    auto st = fx.stream();
    REQUIRE(st.write("only"));
    fx.started.reset();
  }
  CHECK(c.read_chunk() == std::optional<std::string>{"only"});
  CHECK(c.read_chunk() == std::optional<std::string>{""});
  CHECK(fx.ended.wait() == stream_end::closed);
}

TEST_CASE("stream: stopping the server ends streams") {
  stream_fixture fx;
  auto c = fx.open_watch();
  auto st = fx.stream();
  fx.srv->stop();
  CHECK(fx.ended.wait() == stream_end::server_stopped);
  CHECK(st.ended());
  CHECK_FALSE(st.write("x"));
  CHECK(c.wait_closed());
}

TEST_CASE("stream: HTTP/1.0 clients get a raw body ended by close") {
  stream_fixture fx;
  auto c = raw_client::connect(fx.srv->address(), fx.srv->port());
  REQUIRE(c);
  REQUIRE(c->send("GET /watch HTTP/1.0\r\n\r\n"));
  auto head = c->read_head();
  REQUIRE(head);
  CHECK_FALSE(find_header(head->headers, "Transfer-Encoding").has_value());
  auto st = fx.stream();
  REQUIRE(st.write("abc"));
  REQUIRE(st.write("def"));
  REQUIRE(st.close());
  CHECK(c->wait_closed());
  CHECK(c->pending() == "abcdef");
}

TEST_CASE("stream: a client that stops reading gets aborted") {
  server_options opts;
  opts.max_stream_buffer = 256 * 1024;
  stream_fixture fx{opts};
  auto c = fx.open_watch(); // never reads the body
  auto st = fx.stream();
  std::string blob(64 * 1024, 'z');
  // Kernel buffers absorb some megabytes at most; the limit then trips.
  for (int i = 0; i < 512 && !st.ended(); ++i)
    st.write(blob);
  CHECK(fx.ended.wait() == stream_end::aborted);
}
