// Unit tests of the request parser, query helpers and header lookup.

#include "messages/errors.hpp"
#include "net/server/http_message.hpp"
#include "net/server/query.hpp"
#include "net/server/request_parser.hpp"

#include <doctest/doctest.h>

using namespace cafelet;
using namespace cafelet::net;
using state = request_parser::state;

TEST_CASE("parser: a GET request with query and headers") {
  request_parser p;
  p.feed("GET /api/v1/pods?watch=true&fieldSelector=spec.nodeName%3Dedge-1 "
         "HTTP/1.1\r\nHost: x\r\nX-Thing:  padded value \t\r\n\r\n");
  server_request req;
  REQUIRE(p.next(req) == state::complete);
  CHECK(req.method == "GET");
  CHECK(req.path == "/api/v1/pods");
  CHECK(req.query == "watch=true&fieldSelector=spec.nodeName%3Dedge-1");
  CHECK(req.version_minor == 1);
  CHECK(req.header("x-thing") == std::optional<std::string_view>{"padded value"});
  CHECK(req.header("HOST") == std::optional<std::string_view>{"x"});
  CHECK_FALSE(req.header("missing").has_value());
  CHECK(req.keep_alive());
  CHECK(p.next(req) == state::incomplete);
}

TEST_CASE("parser: bytes arriving one at a time") {
  std::string msg = "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello";
  request_parser p;
  server_request req;
  for (size_t i = 0; i + 1 < msg.size(); ++i) {
    p.feed(msg.substr(i, 1));
    REQUIRE(p.next(req) == state::incomplete);
  }
  p.feed(msg.substr(msg.size() - 1));
  REQUIRE(p.next(req) == state::complete);
  CHECK(req.body == "hello");
}

TEST_CASE("parser: pipelined requests come out one by one") {
  request_parser p;
  p.feed("GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
         "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
         "GET /c HTTP/1.0\r\n\r\n");
  server_request a, b, c;
  REQUIRE(p.next(a) == state::complete);
  REQUIRE(p.next(b) == state::complete);
  REQUIRE(p.next(c) == state::complete);
  CHECK(a.path == "/a");
  CHECK(b.body == "abc");
  CHECK(c.path == "/c");
  CHECK(c.version_minor == 0);
  CHECK_FALSE(c.keep_alive());
  CHECK(p.buffered() == 0);
}

TEST_CASE("parser: chunked body with extensions and trailers") {
  request_parser p;
  p.feed("POST /u HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
         "5;name=val\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\n"
         "X-Trailer: t\r\n\r\n");
  server_request req;
  REQUIRE(p.next(req) == state::complete);
  CHECK(req.body == "hello 0123456789");
  CHECK_FALSE(req.header("X-Trailer").has_value());
}

TEST_CASE("parser: Expect 100-continue is reported before the body") {
  request_parser p;
  p.feed("PUT /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
         "Content-Length: 2\r\n\r\n");
  server_request req;
  REQUIRE(p.next(req) == state::expect_continue);
  CHECK(p.next(req) == state::incomplete);
  p.feed("ok");
  REQUIRE(p.next(req) == state::complete);
  CHECK(req.body == "ok");
}

TEST_CASE("parser: malformed input is rejected with the right status") {
  auto status_of = [](std::string msg, parser_limits lim = {}) {
    request_parser p{lim};
    p.feed(msg);
    server_request req;
    auto st = p.next(req);
    return st == state::error ? p.error_status() : 0;
  };
  CHECK(status_of("GARBAGE\r\n\r\n") == 400);
  CHECK(status_of("GET  /x HTTP/1.1\r\nHost: h\r\n\r\n") == 400);
  CHECK(status_of("GET x HTTP/1.1\r\nHost: h\r\n\r\n") == 400);
  CHECK(status_of("GET /x HTTP/1.1\r\n\r\n") == 400); // no Host
  CHECK(status_of("GET /x HTTP/2.0\r\nHost: h\r\n\r\n") == 505);
  CHECK(status_of("GET /x FTP/1.1\r\nHost: h\r\n\r\n") == 400);
  CHECK(status_of("GET /x HTTP/1.1\r\nHost: h\r\nBad Name: v\r\n\r\n") == 400);
  CHECK(status_of("GET /x HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n") == 400);
  CHECK(status_of("GET /x HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n") == 400);
  CHECK(status_of("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\n\r\n")
        == 400);
  CHECK(status_of("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n"
                  "Content-Length: 2\r\n\r\n")
        == 400);
  CHECK(status_of("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n")
        == 400);
  CHECK(status_of("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n")
        == 501);
  CHECK(status_of("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked"
                  "\r\n\r\nzz\r\n")
        == 400);
  CHECK(status_of("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked"
                  "\r\n\r\n2\r\nabX\r\n")
        == 400);
  CHECK(status_of("PUT /x HTTP/1.1\r\nHost: h\r\nExpect: magic\r\n\r\n") == 417);
  parser_limits small{256, 10};
  CHECK(status_of("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n",
                  small)
        == 413);
  CHECK(status_of("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked"
                  "\r\n\r\n6\r\nabcdef\r\n6\r\n",
                  small)
        == 413);
  CHECK(status_of("GET /x HTTP/1.1\r\nHost: h\r\nX: " + std::string(300, 'a')
                    + "\r\n\r\n",
                  small)
        == 431);
  CHECK(status_of("GET /" + std::string(300, 'a'), small) == 414);
}

TEST_CASE("parser: absolute-form targets yield the path") {
  request_parser p;
  p.feed("GET http://example.com:80/a/b?c=d HTTP/1.1\r\nHost: h\r\n\r\n");
  server_request req;
  REQUIRE(p.next(req) == state::complete);
  CHECK(req.path == "/a/b");
  CHECK(req.query == "c=d");
}

TEST_CASE("query: percent decoding") {
  CHECK(percent_decode("a%20b%2Fc").value() == "a b/c");
  CHECK(percent_decode("a+b").value() == "a+b");
  CHECK(percent_decode("a+b", true).value() == "a b");
  CHECK(percent_decode("%e2%9c%93").value() == "\xe2\x9c\x93");
  CHECK(is(percent_decode("%4").error(), errc::invalid));
  CHECK(is(percent_decode("%zz").error(), errc::invalid));
  CHECK(percent_encode("a b/c~") == "a%20b%2Fc~");
  CHECK(percent_decode(percent_encode("k=v&x\n")).value() == "k=v&x\n");
}

TEST_CASE("query: parameters") {
  auto q = query_params::parse(
    "watch=true&fieldSelector=spec.nodeName%3Dedge-1&&flag&label=a&label=b+c");
  REQUIRE(q);
  CHECK(q->get("watch") == std::optional<std::string_view>{"true"});
  CHECK(q->get("fieldSelector")
        == std::optional<std::string_view>{"spec.nodeName=edge-1"});
  CHECK(q->has("flag"));
  CHECK(q->get("flag") == std::optional<std::string_view>{""});
  CHECK_FALSE(q->has("nope"));
  auto labels = q->get_all("label");
  REQUIRE(labels.size() == 2);
  CHECK(labels[0] == "a");
  CHECK(labels[1] == "b c");
  CHECK(q->items().size() == 5);
  CHECK_FALSE(query_params::parse("a=%G0"));
}

TEST_CASE("headers: case-insensitive lookup and tokens") {
  server_headers hs{{"Connection", "keep-alive, Upgrade"}, {"X-A", "1"}};
  CHECK(iequals("Content-Type", "content-TYPE"));
  CHECK_FALSE(iequals("abc", "abd"));
  CHECK(find_header(hs, "x-a") == std::optional<std::string_view>{"1"});
  CHECK(has_header_token(hs, "connection", "upgrade"));
  CHECK_FALSE(has_header_token(hs, "connection", "close"));
  server_response res;
  res.set_header("X-A", "1").set_header("x-a", "2");
  CHECK(res.headers.size() == 1);
  CHECK(res.header("X-A") == std::optional<std::string_view>{"2"});
  CHECK(reason_phrase(413) == "Content Too Large");
  CHECK(http_date_now().ends_with(" GMT"));
}
