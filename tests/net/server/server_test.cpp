// HTTP server over plain TCP: request handling, keep-alive, limits, errors.

#include "messages/errors.hpp"
#include "net/server/http_server.hpp"
#include "net/server/query.hpp"
#include "net/server/router.hpp"
#include "tests/net/server/test_support.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

using namespace cafelet;
using namespace cafelet::net;
using namespace std::chrono_literals;
using test::raw_client;

namespace {

std::unique_ptr<http_server> start_server(request_handler h,
                                          server_options opts = {}) {
  auto srv = http_server::start(std::move(opts), std::move(h));
  REQUIRE_MESSAGE(srv, describe(srv.error()));
  return std::move(*srv);
}

raw_client connect_to(const http_server& srv) {
  auto c = raw_client::connect(srv.address(), srv.port());
  REQUIRE(c);
  return std::move(*c);
}

/// Echoes method, path, decoded query parameter `q` and body.
void echo(server_request req, responder res) {
  auto params = query_params::parse(req.query);
  if (!params) {
    res.respond(400, "bad query\n");
    return;
  }
  std::string body = req.method + " " + req.path + " q="
                     + std::string{params->get("q").value_or("-")}
                     + " body=" + req.body;
  auto reply = server_response::text(200, std::move(body));
  reply.set_header("X-Agent",
                   std::string{req.header("user-agent").value_or("none")});
  res.respond(std::move(reply));
}

} // namespace

TEST_CASE("server: plain GET on an ephemeral port") {
  auto srv = start_server(echo);
  CHECK(srv->port() != 0);
  CHECK(srv->url() == "http://127.0.0.1:" + std::to_string(srv->port()));
  auto c = connect_to(*srv);
  REQUIRE(c.send("GET /hello?q=a%20b HTTP/1.1\r\nHost: x\r\n"
                 "User-Agent: raw-test\r\n\r\n"));
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body == "GET /hello q=a b body=");
  CHECK(find_header(res->headers, "x-agent") == std::optional<std::string_view>{"raw-test"});
  CHECK(find_header(res->headers, "Date").has_value());
  CHECK(find_header(res->headers, "Content-Type")
        == std::optional<std::string_view>{"text/plain; charset=utf-8"});
}

TEST_CASE("server: keep-alive serves two requests on one connection") {
  std::atomic<int> calls{0};
  std::set<std::string> remotes;
  std::mutex mtx;
  auto srv = start_server([&](server_request req, responder res) {
    ++calls;
    {
      std::lock_guard<std::mutex> guard{mtx};
      remotes.insert(req.remote_address);
    }
    echo(std::move(req), std::move(res));
  });
  auto c = connect_to(*srv);
  REQUIRE(c.send("GET /one HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto a = c.read_response();
  REQUIRE(a);
  CHECK(a->body == "GET /one q=- body=");
  CHECK_FALSE(find_header(a->headers, "Connection").has_value());
  REQUIRE(c.send("POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\ndata"));
  auto b = c.read_response();
  REQUIRE(b);
  CHECK(b->body == "POST /two q=- body=data");
  CHECK(calls == 2);
  CHECK(remotes.size() == 1); // same connection, same client port
  CHECK(srv->connection_count() == 1);
}

TEST_CASE("server: pipelined requests are answered in order") {
  // The first request is answered late from another thread; the second
  // must not overtake it.
  test::signal<responder> first;
  auto srv = start_server([&](server_request req, responder res) {
    if (req.path == "/slow")
      first.set(res);
    else
      res.respond(200, "fast");
  });
  auto c = connect_to(*srv);
  REQUIRE(c.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
                 "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto slow = first.wait();
  REQUIRE(slow);
  std::thread other{[r = *slow] { r.respond(200, "slow"); }};
  other.join();
  auto a = c.read_response();
  auto b = c.read_response();
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->body == "slow");
  CHECK(b->body == "fast");
}

TEST_CASE("server: Connection: close and HTTP/1.0 close after the answer") {
  auto srv = start_server(echo);
  {
    auto c = connect_to(*srv);
    REQUIRE(c.send("GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    auto res = c.read_response();
    REQUIRE(res);
    CHECK(find_header(res->headers, "Connection")
          == std::optional<std::string_view>{"close"});
    CHECK(c.wait_closed());
  }
  {
    auto c = connect_to(*srv);
    REQUIRE(c.send("GET /y HTTP/1.0\r\n\r\n"));
    auto res = c.read_response();
    REQUIRE(res);
    CHECK(res->body == "GET /y q=- body=");
    CHECK(c.wait_closed());
  }
}

TEST_CASE("server: HEAD gets headers without a body") {
  auto srv = start_server(echo);
  auto c = connect_to(*srv);
  REQUIRE(c.send("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto res = c.read_response(true);
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(find_header(res->headers, "Content-Length")
        == std::optional<std::string_view>{"17"});
  // The next response must start right away: no body bytes in between.
  REQUIRE(c.send("GET /g HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto next = c.read_response();
  REQUIRE(next);
  CHECK(next->body == "GET /g q=- body=");
}

TEST_CASE("server: malformed request gets 400 and the connection closes") {
  std::atomic<int> calls{0};
  auto srv = start_server([&](server_request, responder res) {
    ++calls;
    res.respond(200, "unexpected");
  });
  auto c = connect_to(*srv);
  REQUIRE(c.send("THIS IS NOT HTTP\r\n\r\n"));
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->status == 400);
  CHECK(find_header(res->headers, "Connection")
        == std::optional<std::string_view>{"close"});
  CHECK(c.wait_closed());
  CHECK(calls == 0);
}

TEST_CASE("server: oversized bodies get 413") {
  server_options opts;
  opts.max_body_bytes = 1024;
  std::atomic<int> calls{0};
  auto srv = start_server(
    [&](server_request req, responder res) {
      ++calls;
      res.respond(200, std::to_string(req.body.size()));
    },
    opts);
  SUBCASE("Content-Length over the limit, rejected before the body") {
    auto c = connect_to(*srv);
    REQUIRE(c.send("POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 1025\r\n\r\n"));
    auto res = c.read_response();
    REQUIRE(res);
    CHECK(res->status == 413);
    CHECK(c.wait_closed());
  }
  SUBCASE("chunked body growing over the limit") {
    auto c = connect_to(*srv);
    std::string chunk(600, 'x');
    REQUIRE(c.send("POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "258\r\n" + chunk + "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n"));
    auto res = c.read_response();
    REQUIRE(res);
    CHECK(res->status == 413);
    CHECK(c.wait_closed());
  }
  SUBCASE("a body at the limit is fine") {
    auto c = connect_to(*srv);
    REQUIRE(c.send("POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 1024\r\n\r\n"
                   + std::string(1024, 'y')));
    auto res = c.read_response();
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == "1024");
  }
  CHECK(calls <= 1);
}

TEST_CASE("server: header block over 64 KiB gets 431") {
  auto srv = start_server(echo);
  auto c = connect_to(*srv);
  std::string big = "GET /x HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 100; ++i)
    big += "X-Filler-" + std::to_string(i) + ": " + std::string(1000, 'f') + "\r\n";
  big += "\r\n";
  c.send(big); // the server may close before reading everything
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->status == 431);
}

TEST_CASE("server: chunked request bodies and Expect: 100-continue") {
  auto srv = start_server(echo);
  auto c = connect_to(*srv);
  REQUIRE(c.send("PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                 "Expect: 100-continue\r\n\r\n"));
  auto interim = c.read_head();
  REQUIRE(interim);
  CHECK(interim->status == 100);
  REQUIRE(c.send("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->body == "PUT /c q=- body=abcde");
}

TEST_CASE("server: answers from another thread, and abandoned requests") {
  test::signal<responder> parked;
  auto srv = start_server([&](server_request req, responder res) {
    if (req.path == "/later")
      parked.set(res);
    // "/drop": the responder goes away unanswered.
  });
  auto c = connect_to(*srv);
  REQUIRE(c.send("GET /later HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = parked.wait();
  REQUIRE(r);
  std::thread other{[r = *r] {
    auto res = server_response::text(202, "done later");
    CHECK(r.respond(std::move(res)));
    CHECK_FALSE(r.respond(200, "twice"));
    CHECK(r.answered());
  }};
  other.join();
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->status == 202);
  CHECK(res->body == "done later");
  REQUIRE(c.send("GET /drop HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto dropped = c.read_response();
  REQUIRE(dropped);
  CHECK(dropped->status == 500);
}

TEST_CASE("server: a handler that throws yields 500") {
  auto srv = start_server([](server_request, responder) {
    throw std::runtime_error("boom");
  });
  auto c = connect_to(*srv);
  REQUIRE(c.send("GET /t HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->status == 500);
}

TEST_CASE("server: router dispatches and answers 404/405") {
  router r;
  r.on("GET", "/healthz", [](server_request, responder res) { res.respond(200, "ok"); })
    .on_prefix("", "/debug/", [](server_request req, responder res) {
      res.respond(200, "debug " + req.path);
    });
  auto srv = start_server(r.handler());
  auto c = connect_to(*srv);
  auto ask = [&](std::string line) {
    REQUIRE(c.send(line + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto res = c.read_response(line.starts_with("HEAD"));
    REQUIRE(res);
    return *res;
  };
  CHECK(ask("GET /healthz").body == "ok");
  CHECK(ask("HEAD /healthz").status == 200);
  auto post = ask("POST /healthz");
  CHECK(post.status == 405);
  CHECK(find_header(post.headers, "Allow") == std::optional<std::string_view>{"GET"});
  CHECK(ask("GET /nope").status == 404);
  CHECK(ask("DELETE /debug/actors").body == "debug /debug/actors");
}

TEST_CASE("server: idle connections are closed") {
  server_options opts;
  opts.idle_timeout = 200ms;
  auto srv = start_server(echo, opts);
  auto c = connect_to(*srv);
  REQUIRE(c.send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n"));
  REQUIRE(c.read_response());
  auto before = std::chrono::steady_clock::now();
  CHECK(c.wait_closed(5s));
  CHECK(std::chrono::steady_clock::now() - before >= 150ms);
}

TEST_CASE("server: IPv6 loopback") {
  server_options opts;
  opts.host = "::1";
  auto srv = http_server::start(opts, echo);
  if (!srv) {
    MESSAGE("IPv6 loopback unavailable: " << describe(srv.error()));
    return;
  }
  CHECK((*srv)->address() == "::1");
  CHECK((*srv)->url() == "http://[::1]:" + std::to_string((*srv)->port()));
  auto c = raw_client::connect("::1", (*srv)->port());
  REQUIRE(c);
  REQUIRE(c->send("GET /six HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto res = c->read_response();
  REQUIRE(res);
  CHECK(res->body == "GET /six q=- body=");
}

TEST_CASE("server: start errors") {
  auto a = start_server(echo);
  server_options same;
  same.port = a->port();
  auto b = http_server::start(same, echo);
  REQUIRE_FALSE(b);
  CHECK(is(b.error(), errc::io_error));
  server_options bad;
  bad.host = "no.such.host.invalid";
  auto d = http_server::start(bad, echo);
  REQUIRE_FALSE(d);
  CHECK(is(d.error(), errc::invalid_config));
  CHECK_FALSE(http_server::start({}, nullptr));
  server_options tls;
  tls.tls = tls_options{"/nonexistent.crt", "/nonexistent.key", "", client_auth::none};
  auto e = http_server::start(tls, echo);
  REQUIRE_FALSE(e);
  CHECK(is(e.error(), errc::invalid_config));
}

TEST_CASE("server: stop is idempotent and closes connections") {
  auto srv = start_server(echo);
  auto c = connect_to(*srv);
  REQUIRE(c.send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n"));
  REQUIRE(c.read_response());
  srv->stop();
  srv->stop();
  CHECK(c.wait_closed());
  CHECK(srv->connection_count() == 0);
}
