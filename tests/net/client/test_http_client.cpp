#include "tests/support/process.hpp"
#include "net/client/http_client.hpp"

#include "messages/errors.hpp"
#include "tests/net/client/test_support.hpp"

#include <doctest/doctest.h>
#include <simdjson.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>
#include <condition_variable>
#include <mutex>

using namespace cafelet;
using namespace cafelet::net;
using namespace cafelet::net::test;
using namespace std::chrono_literals;

namespace {

bool has(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

/// Reads a string or number at a JSON pointer of the echo server's reply.
std::string field(const std::string& body, const char* pointer) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body).get(doc))
    return "<not json: " + body + ">";
  simdjson::dom::element el;
  if (doc.at_pointer(pointer).get(el))
    return "<missing>";
  if (el.is_string())
    return std::string{el.get_string().value()};
  if (el.is_int64())
    return std::to_string(el.get_int64().value());
  return "<other>";
}

/// Default options changed by `f`.
template <class F>
client_options with(F f) {
  client_options opts;
  f(opts);
  return opts;
}

http_request get(std::string path) {
  http_request req;
  req.path = std::move(path);
  return req;
}

std::string unique_key() {
  static std::atomic<int> n{0};
  return std::to_string(getpid()) + "-" + std::to_string(n.fetch_add(1));
}

/// Unblocks /hang requests waiting for `key`.
void release(const std::string& key) {
  auto helper = make_client(good_config(), with([](client_options& o) { o.name = "release"; }));
  auto res = run(*helper, get("/release?key=" + key));
  CHECK_MESSAGE(res.ok(), describe(res.error));
}

/// Collects stream data for the test thread.
struct stream_sink {
  std::mutex mtx;
  std::condition_variable cv;
  std::string data;
  size_t chunks = 0;

  data_fn callback() {
    return [this](std::string_view chunk) {
      std::lock_guard guard{mtx};
      data.append(chunk);
      ++chunks;
      cv.notify_all();
    };
  }

  size_t lines() {
    return static_cast<size_t>(std::count(data.begin(), data.end(), '\n'));
  }

  /// Waits until `n` complete lines arrived; false on timeout.
  bool wait_lines(size_t n, std::chrono::seconds limit = 20s) {
    std::unique_lock guard{mtx};
    return cv.wait_for(guard, limit, [&] { return lines() >= n; });
  }

  size_t chunk_count() {
    std::lock_guard guard{mtx};
    return chunks;
  }
};

} // namespace

TEST_CASE("GET over TLS with client certificate, token and kubelet headers") {
  client_options opts;
  opts.user_agent = "cafelet/v0.1.0 (linux/amd64) kubernetes/abc123";
  auto client = make_client(good_config(), opts);
  auto res = run(*client, get("/api/v1/nodes/edge-1"));
  REQUIRE_MESSAGE(res.ok(), describe(res.error));
  CHECK(res.response.status == 200);
  CHECK(res.response.http_version == 1); // the test server offers http/1.1
  CHECK(res.response.header("Content-Type") == "application/json");
  const auto& body = res.response.body;
  CHECK(field(body, "/method") == "GET");
  CHECK(field(body, "/path") == "/api/v1/nodes/edge-1");
  CHECK(field(body, "/client_cn") == "system:node:edge-1");
  CHECK(field(body, "/headers/user-agent") == opts.user_agent);
  CHECK(field(body, "/headers/authorization") == "Bearer test-token");
  CHECK(field(body, "/headers/accept") == "application/json");
  CHECK(client->in_flight() == 0);
}

TEST_CASE("default user agent looks like the kubelet's") {
  auto ua = default_user_agent();
  CHECK(ua.starts_with("cafelet/v0.1.0 (linux/"));
  CHECK(has(ua, ") kubernetes/"));
  auto client = make_client(good_config());
  auto res = run(*client, get("/echo"));
  REQUIRE(res.ok());
  CHECK(field(res.response.body, "/headers/user-agent") == ua);
}

TEST_CASE("POST, PUT, PATCH and DELETE send bodies and content types") {
  auto client = make_client(good_config());
  http_request post;
  post.method = http_method::post;
  post.path = "/api/v1/nodes";
  post.body = R"({"kind":"Node","metadata":{"name":"edge-1"}})";
  auto r1 = run(*client, post);
  REQUIRE_MESSAGE(r1.ok(), describe(r1.error));
  CHECK(field(r1.response.body, "/method") == "POST");
  CHECK(field(r1.response.body, "/body") == post.body);
  CHECK(field(r1.response.body, "/headers/content-type") == "application/json");
  http_request patch;
  patch.method = http_method::patch;
  patch.path = "/api/v1/nodes/edge-1/status";
  patch.body = R"({"status":{"conditions":[]}})";
  patch.content_type = "application/strategic-merge-patch+json";
  auto r2 = run(*client, patch);
  REQUIRE_MESSAGE(r2.ok(), describe(r2.error));
  CHECK(field(r2.response.body, "/method") == "PATCH");
  CHECK(field(r2.response.body, "/body") == patch.body);
  CHECK(field(r2.response.body, "/headers/content-type")
        == "application/strategic-merge-patch+json");
  http_request put = post;
  put.method = http_method::put;
  auto r3 = run(*client, put);
  REQUIRE(r3.ok());
  CHECK(field(r3.response.body, "/method") == "PUT");
  http_request del;
  del.method = http_method::del;
  del.path = "/api/v1/namespaces/default/pods/web-0";
  del.headers.push_back({"X-Test", "yes"});
  auto r4 = run(*client, del);
  REQUIRE(r4.ok());
  CHECK(field(r4.response.body, "/method") == "DELETE");
  CHECK(field(r4.response.body, "/headers/x-test") == "yes");
  CHECK(field(r4.response.body, "/body").empty());
}

TEST_CASE("connections are kept alive and reused") {
  auto client = make_client(good_config());
  auto a = run(*client, get("/echo"));
  auto b = run(*client, get("/echo"));
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK_FALSE(a.response.connection_reused);
  CHECK(b.response.connection_reused);
  CHECK(field(a.response.body, "/peer_port") == field(b.response.body, "/peer_port"));
  auto other = make_client(good_config());
  auto c = run(*other, get("/echo"));
  REQUIRE(c.ok());
  CHECK(field(c.response.body, "/peer_port") != field(a.response.body, "/peer_port"));
}

TEST_CASE("HTTP errors are classified with the server's message") {
  auto client = make_client(good_config());
  SUBCASE("409 Conflict") {
    auto res = run(*client, get("/status/409"));
    CHECK(is(res.error, errc::conflict));
    CHECK(res.response.status == 409);
    auto ctx = context_of(res.error);
    CHECK_MESSAGE(ctx.starts_with("GET /status/409: 409 Conflict: Operation cannot be "
                                  "fulfilled on leases.coordination.k8s.io \"edge-1\""),
                  ctx);
    REQUIRE(res.status);
    CHECK(res.status->reason == "Conflict");
  }
  SUBCASE("409 AlreadyExists is told apart by the Status reason") {
    auto res = run(*client, get("/already-exists"));
    CHECK(is(res.error, errc::conflict));
    REQUIRE(res.status);
    CHECK(res.status->reason == "AlreadyExists");
    CHECK(res.status->details_name == "edge-1");
  }
  SUBCASE("403 Forbidden") {
    auto res = run(*client, get("/status/403"));
    CHECK(is(res.error, errc::forbidden));
    CHECK_MESSAGE(has(describe(res.error),
                      "cafelet.forbidden: GET /status/403: 403 Forbidden: nodes "
                      "\"edge-2\" is forbidden: node \"edge-1\" cannot modify node "
                      "\"edge-2\""),
                  describe(res.error));
  }
  SUBCASE("401, 404, 410, 422, 500") {
    CHECK(is(run(*client, get("/status/401")).error, errc::unauthorized));
    CHECK(is(run(*client, get("/status/404")).error, errc::not_found));
    auto gone = run(*client, get("/status/410"));
    CHECK(is(gone.error, errc::gone));
    CHECK(has(context_of(gone.error), "too old resource version"));
    CHECK(is(run(*client, get("/status/422")).error, errc::invalid));
    CHECK(is(run(*client, get("/status/500")).error, errc::server_error));
  }
  SUBCASE("429 with Retry-After header") {
    auto res = run(*client, get("/throttle"));
    CHECK(is(res.error, errc::too_many_requests));
    CHECK(res.response.retry_after == 7s);
    CHECK(has(context_of(res.error), "(retry after 7s)"));
    CHECK(is_retryable(res.error));
  }
  SUBCASE("429 with retryAfterSeconds in the body only") {
    auto res = run(*client, get("/throttle-body"));
    CHECK(is(res.error, errc::too_many_requests));
    CHECK(res.response.retry_after == 3s);
  }
  SUBCASE("HTML 502 from a proxy") {
    auto res = run(*client, get("/html502"));
    CHECK(is(res.error, errc::server_error));
    CHECK_FALSE(res.status);
    auto ctx = context_of(res.error);
    CHECK_MESSAGE(has(ctx, "502 Bad Gateway: unexpected non-JSON response body "
                           "(text/html): <html> <head><title>502 Bad Gateway"),
                  ctx);
    CHECK(has(ctx, "..."));
    CHECK(ctx.size() < 300);
  }
  SUBCASE("HTML page with 200 is a bad response") {
    auto res = run(*client, get("/html200"));
    CHECK(is(res.error, errc::bad_response));
    CHECK(has(context_of(res.error), "Welcome to the login portal"));
  }
}

TEST_CASE("redirects") {
  SUBCASE("are followed") {
    auto client = make_client(good_config());
    auto res = run(*client, get("/redirect"));
    REQUIRE_MESSAGE(res.ok(), describe(res.error));
    CHECK(field(res.response.body, "/path") == "/echo");
    CHECK(field(res.response.body, "/query/redirected") == "1");
  }
  SUBCASE("loops end") {
    auto client = make_client(good_config(), with([](client_options& o) { o.max_redirects = 3; }));
    auto res = run(*client, get("/redirect-loop"));
    CHECK(is(res.error, errc::bad_response));
    CHECK(has(context_of(res.error), "too many redirects"));
  }
  SUBCASE("are reported when not followed") {
    auto client = make_client(good_config(), with([](client_options& o) { o.max_redirects = 0; }));
    auto res = run(*client, get("/redirect"));
    CHECK(is(res.error, errc::bad_response));
    CHECK(res.response.status == 302);
    CHECK(res.response.header("location") == "/echo?redirected=1");
  }
}

TEST_CASE("responses above max_response_bytes are refused") {
  auto client = make_client(good_config(), with([](client_options& o) { o.max_response_bytes = 1000; }));
  auto small = run(*client, get("/big?n=100"));
  CHECK(small.ok());
  auto big = run(*client, get("/big?n=5000"));
  CHECK(is(big.error, errc::bad_response));
  // Content-Length announced: refused up front
  CHECK_MESSAGE(has(context_of(big.error), "larger than allowed"),
                context_of(big.error));
  // chunked, no length: refused once the collected body passes the limit
  auto chunked = run(*client, get("/stream?n=100&interval_ms=0"));
  CHECK(is(chunked.error, errc::bad_response));
  CHECK_MESSAGE(has(context_of(chunked.error), "exceeds 1000 bytes"),
                context_of(chunked.error));
  CHECK(chunked.response.body.size() <= 1000);
}

TEST_CASE("server certificate verification failures are explained") {
  SUBCASE("wrong CA") {
    auto cfg = good_config();
    cfg.ca_pem = pki::get().pem("other-ca.crt");
    auto client = make_client(cfg);
    auto res = run(*client, get("/echo"));
    CHECK(is(res.error, errc::connection_failed));
    CHECK_MESSAGE(has(context_of(res.error),
                      "TLS verification failed: the server certificate did not "
                      "verify: it is signed by an unknown authority"),
                  describe(res.error));
    CHECK(res.response.status == 0);
  }
  SUBCASE("expired certificate") {
    auto cfg = good_config();
    cfg.server = "https://127.0.0.1:" + std::to_string(tls_server::get().expired_port());
    auto client = make_client(cfg);
    auto res = run(*client, get("/echo"));
    CHECK(is(res.error, errc::connection_failed));
    CHECK_MESSAGE(has(context_of(res.error), "the server certificate has expired"),
                  describe(res.error));
  }
  SUBCASE("name mismatch") {
    auto cfg = good_config();
    cfg.tls_server_name = "wrong.example";
    auto client = make_client(cfg);
    auto res = run(*client, get("/echo"));
    CHECK(is(res.error, errc::connection_failed));
    CHECK_MESSAGE(has(context_of(res.error), "name mismatch"), describe(res.error));
  }
  SUBCASE("insecure-skip-tls-verify accepts any certificate") {
    auto cfg = good_config();
    cfg.ca_pem.clear();
    cfg.insecure_skip_tls_verify = true;
    cfg.server = "https://127.0.0.1:" + std::to_string(tls_server::get().expired_port());
    auto client = make_client(cfg);
    auto res = run(*client, get("/echo"));
    CHECK_MESSAGE(res.ok(), describe(res.error));
  }
}

TEST_CASE("tls-server-name verifies against another name than the URL host") {
  auto cfg = good_config();
  cfg.tls_server_name = "apiserver.internal";
  auto client = make_client(cfg);
  auto res = run(*client, get("/echo"));
  REQUIRE_MESSAGE(res.ok(), describe(res.error));
  auto port = std::to_string(tls_server::get().good_port());
  CHECK(field(res.response.body, "/headers/host") == "127.0.0.1:" + port);
  auto by_name = good_config();
  by_name.server = "https://localhost:" + port;
  auto c2 = make_client(by_name);
  CHECK(run(*c2, get("/echo")).ok());
}

TEST_CASE("client certificate problems and unreachable servers") {
  SUBCASE("a certificate from another CA is refused by the server") {
    auto cfg = good_config();
    cfg.client_cert_pem = pki::get().pem("rogue-client.crt");
    cfg.client_key_pem = pki::get().pem("rogue-client.key");
    auto client = make_client(cfg);
    auto res = run(*client, get("/echo"));
    CHECK_MESSAGE(is(res.error, errc::unauthorized), describe(res.error));
    CHECK(has(context_of(res.error), "rejected our client certificate"));
  }
  SUBCASE("no client certificate") {
    auto cfg = good_config();
    cfg.client_cert_pem.clear();
    cfg.client_key_pem.clear();
    auto client = make_client(cfg);
    auto res = run(*client, get("/echo"));
    CHECK_MESSAGE(is(res.error, errc::unauthorized), describe(res.error));
  }
  SUBCASE("connection refused") {
    auto cfg = good_config();
    cfg.server = "https://127.0.0.1:" + std::to_string(cafelet::testing::free_port());
    auto client = make_client(cfg);
    auto res = run(*client, get("/echo"));
    CHECK(is(res.error, errc::connection_failed));
    CHECK_MESSAGE(has(context_of(res.error), "connection refused"), describe(res.error));
    CHECK(is_retryable(res.error));
  }
  SUBCASE("a server that never completes the handshake hits the connect timeout") {
    auto cfg = good_config();
    cfg.server = "https://127.0.0.1:" + std::to_string(tls_server::get().blackhole_port());
    auto client = make_client(cfg, with([](client_options& o) { o.connect_timeout = 300ms; }));
    auto res = run(*client, get("/echo"));
    CHECK(is(res.error, errc::timeout));
    CHECK_MESSAGE(has(context_of(res.error), "timed out"), describe(res.error));
  }
  SUBCASE("the connection breaks mid-response") {
    auto client = make_client(good_config());
    auto res = run(*client, get("/truncated"));
    CHECK_MESSAGE(is(res.error, errc::connection_failed), describe(res.error));
  }
}

TEST_CASE("invalid configurations are rejected by make") {
  auto cfg = good_config();
  cfg.server = "ftp://127.0.0.1:1";
  auto bad_scheme = http_client::make(cfg);
  REQUIRE_FALSE(bad_scheme);
  CHECK(is(bad_scheme.error(), errc::invalid_config));
  cfg = good_config();
  cfg.client_key_pem = pki::get().pem("rogue-client.key");
  auto mismatch = http_client::make(cfg);
  REQUIRE_FALSE(mismatch);
  CHECK(has(describe(mismatch.error()), "does not match"));
  cfg = good_config();
  cfg.tls_server_name = "bad:name";
  CHECK_FALSE(http_client::make(cfg));
  cfg = good_config();
  cfg.server.clear();
  CHECK_FALSE(http_client::make(cfg));
  auto client = make_client(good_config());
  auto res = run(*client, get("no-slash"));
  CHECK(is(res.error, errc::invalid));
}

TEST_CASE("a server that stops answering hits the timeouts") {
  auto client = make_client(good_config());
  SUBCASE("total request timeout") {
    auto key = unique_key();
    auto req = get("/hang?key=" + key);
    req.timeout = 300ms;
    auto res = run(*client, req);
    CHECK(is(res.error, errc::timeout));
    CHECK_MESSAGE(has(context_of(res.error), "request timed out"), describe(res.error));
    CHECK(has(context_of(res.error), "GET /hang: "));
    release(key);
  }
  SUBCASE("idle (low-speed) timeout on a stalled body") {
    auto req = get("/stall");
    req.idle_timeout = 1s;
    auto res = run(*client, req);
    CHECK(is(res.error, errc::timeout));
    CHECK_MESSAGE(has(context_of(res.error), "stalled"), describe(res.error));
  }
}

TEST_CASE("streams deliver chunks as they come and cancel() stops them") {
  auto client = make_client(good_config());
  stream_sink sink;
  result_waiter done;
  auto handle = client->stream(get("/stream?interval_ms=20"), sink.callback(),
                               done.callback());
  REQUIRE(handle.valid());
  // the server never ends this stream: lines arriving before the end prove
  // incremental delivery
  REQUIRE(sink.wait_lines(3));
  CHECK_FALSE(done.ready());
  CHECK(client->in_flight() == 1);
  handle.cancel();
  auto res = done.get();
  CHECK(res.cancelled);
  CHECK_FALSE(res.ok());
  CHECK(has(describe(res.error), "GET /stream: cancelled"));
  CHECK(res.response.body.empty());
  auto frozen = sink.chunk_count();
  // the same event loop keeps serving; no chunk arrived after the completion
  CHECK(run(*client, get("/echo")).ok());
  CHECK(sink.chunk_count() == frozen);
  CHECK(client->in_flight() == 0);
  handle.cancel(); // idempotent
  {
    std::lock_guard guard{sink.mtx};
    CHECK(sink.data.starts_with(
      R"({"type": "ADDED", "object": {"kind": "Pod", "metadata": {"name": "p-0"}}})"
      "\n"));
  }
}

TEST_CASE("finite streams complete with their status") {
  auto client = make_client(good_config());
  SUBCASE("2xx stream ends normally") {
    stream_sink sink;
    result_waiter done;
    client->stream(get("/stream?n=5&interval_ms=1"), sink.callback(), done.callback());
    auto res = done.get();
    REQUIRE_MESSAGE(res.ok(), describe(res.error));
    CHECK(res.response.status == 200);
    CHECK(res.response.body.empty());
    std::lock_guard guard{sink.mtx};
    CHECK(sink.lines() == 5);
    CHECK(has(sink.data, R"("name": "p-4")"));
  }
  SUBCASE("an error status is classified and no data is delivered") {
    stream_sink sink;
    result_waiter done;
    client->stream(get("/stream-status/410"), sink.callback(), done.callback());
    auto res = done.get();
    CHECK(is(res.error, errc::gone));
    CHECK(has(context_of(res.error), "too old resource version"));
    CHECK(sink.chunk_count() == 0);
  }
  SUBCASE("cancel from inside on_data") {
    result_waiter done;
    auto handle = std::make_shared<call_handle>();
    std::mutex mtx;
    std::atomic<int> calls{0};
    std::unique_lock guard{mtx}; // the handle is stored before data is seen
    *handle = client->stream(get("/stream?interval_ms=5"),
                             [&, handle](std::string_view) {
                               std::lock_guard inner{mtx};
                               ++calls;
                               handle->cancel();
                             },
                             done.callback());
    guard.unlock();
    auto res = done.get();
    CHECK(res.cancelled);
    CHECK(calls.load() == 1);
  }
}

TEST_CASE("cancelling and shutting down complete pending requests") {
  SUBCASE("cancel a hanging request") {
    auto client = make_client(good_config());
    auto key = unique_key();
    result_waiter w;
    auto h = client->request(get("/hang?key=" + key), w.callback());
    h.cancel();
    auto res = w.get();
    CHECK(res.cancelled);
    CHECK(has(describe(res.error), "cancelled"));
    release(key);
  }
  SUBCASE("destroying the client completes in-flight calls first") {
    auto key = unique_key();
    result_waiter w;
    call_handle h;
    {
      auto client = make_client(good_config());
      h = client->request(get("/hang?key=" + key), w.callback());
    }
    CHECK(w.ready());
    auto res = w.get(0ms);
    CHECK(res.cancelled);
    CHECK(has(describe(res.error), "shut down"));
    h.cancel(); // harmless after the client is gone
    release(key);
  }
}

TEST_CASE("two clients are independent: one stuck does not delay the other") {
  // client A allows one connection, like a pool saturated by a stuck list
  auto a = make_client(good_config(), with([](client_options& o) {
    o.name = "bulk";
    o.max_connections = 1;
  }));
  auto b = make_client(good_config(), with([](client_options& o) { o.name = "heartbeat"; }));
  auto key = unique_key();
  result_waiter stuck;
  result_waiter queued;
  a->request(get("/hang?key=" + key), stuck.callback());
  a->request(get("/echo"), queued.callback());
  auto beat = run(*b, get("/echo"));
  CHECK(beat.ok());
  CHECK_FALSE(stuck.ready());
  CHECK_FALSE(queued.ready()); // A's second request waits behind the stuck one
  auto rel = run(*b, get("/release?key=" + key));
  CHECK(rel.ok());
  CHECK(stuck.get().ok());
  CHECK(queued.get().ok());
}

TEST_CASE("the token file is re-read") {
  temp_dir dir;
  write_file(dir.file("token"), "first\n");
  auto cfg = good_config();
  cfg.token = "ignored";
  cfg.token_file = dir.file("token");
  auto client = make_client(cfg, with([](client_options& o) { o.token_reload_period = 0s; }));
  auto r1 = run(*client, get("/echo"));
  REQUIRE(r1.ok());
  CHECK(field(r1.response.body, "/headers/authorization") == "Bearer first");
  write_file(dir.file("token"), "second");
  auto r2 = run(*client, get("/echo"));
  CHECK(field(r2.response.body, "/headers/authorization") == "Bearer second");
}

namespace {

/// Established TCP connections of this machine towards 127.0.0.1:`port`
/// (client ends, from /proc/net/tcp).
size_t connections_to(int port) {
  std::ifstream in{"/proc/net/tcp"};
  std::string line;
  std::getline(in, line); // header
  size_t n = 0;
  char want[8];
  std::snprintf(want, sizeof(want), "%04X", port);
  while (std::getline(in, line)) {
    std::istringstream fields{line};
    std::string sl, local, remote, state;
    fields >> sl >> local >> remote >> state;
    if (state == "01" && remote.size() > 5 && remote.substr(remote.size() - 4) == want)
      ++n;
  }
  return n;
}

/// Sends six /hang requests at once (six connections over HTTP/1.1),
/// releases them, and returns how many connections stay open afterwards.
size_t idle_after_burst(long max_idle) {
  auto client = make_client(good_config(), with([&](client_options& o) {
    o.name = "burst";
    o.http2 = false;
    o.max_idle_connections = max_idle;
  }));
  auto port = tls_server::get().good_port();
  // Connections of earlier clients close asynchronously: start from none.
  REQUIRE(cafelet::testing::eventually([&] { return connections_to(port) == 0; }));
  size_t before = 0;
  auto key = unique_key();
  std::vector<std::unique_ptr<result_waiter>> ws;
  for (int i = 0; i < 6; ++i) {
    ws.push_back(std::make_unique<result_waiter>());
    client->request(get("/hang?key=" + key), ws.back()->callback());
  }
  CHECK(cafelet::testing::eventually([&] { return connections_to(port) >= before + 6; }));
  release(key);
  for (auto& w : ws)
    CHECK(w->get().ok());
  // (The release helper's own connection closes with its client.)
  size_t left = 0;
  cafelet::testing::eventually([&] {
    auto now = connections_to(port);
    left = now > before ? now - before : 0;
    return left <= static_cast<size_t>(max_idle > 0 ? max_idle : 6);
  });
  return left;
}

} // namespace

TEST_CASE("max_idle_connections closes what a burst leaves beyond the limit") {
  CHECK(idle_after_burst(2) == 2);
  // libcurl's default keeps (nearly) all of them: more than the limit.
  CHECK(idle_after_burst(0) > 2);
}
