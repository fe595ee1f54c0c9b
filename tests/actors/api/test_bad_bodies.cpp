// Robustness of the API-facing actors against bodies a real API server
// never sends but a broken proxy, a truncating network or a buggy server
// may: truncated JSON, wrong JSON types, 10 MB string values, invalid
// UTF-8, HTML error pages (200 and 502), empty bodies and JSON arrays.
// Each goes to the lease actor (GET/PUT answers), the node status actor
// (POST/GET answers), the pod watch stream (list answers and watch lines)
// and the event recorder (POST answers), under virtual time with a
// scripted transport. Every case must be logged as a warning or error,
// counted where the actor has a counter, leave the actor alive (it still
// answers get_atom), and a following valid answer must be processed
// normally. Bodies that are valid JSON (10 MB values) must simply be
// processed.

#include "actors/events/event_recorder.hpp"
#include "actors/lease/lease.hpp"
#include "actors/node/node_status.hpp"
#include "actors/watch/watch_stream.hpp"
#include "messages/errors.hpp"
#include "messages/json/json.hpp"
#include "messages/log.hpp"
#include "tests/actors/api/scripted_transport.hpp"
#include "tests/actors/node/node_fixture.hpp"
#include "tests/actors/test_fixture.hpp"
#include "tests/actors/watch/watch_test_support.hpp"

#include <doctest/doctest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

using namespace cafelet;
using namespace cafelet::actors;
using namespace cafelet::testing;
using namespace std::chrono_literals;

namespace {

// -- the bad bodies -----------------------------------------------------------

/// How a bad body reaches the actor.
enum class body_kind {
  /// A JSON-ish body with a success status.
  json,
  /// An HTML error page (Content-Type text/html).
  html,
  /// No bytes at all.
  empty,
};

/// One bad answer.
struct bad_body {
  std::string name;
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  body_kind kind = body_kind::json;
  /// Valid JSON of the right shape (the 10 MB values): must be processed.
  bool decodable = false;
};

/// Where the variants of a valid body put their changes.
struct body_shape {
  /// A valid body (a JSON object).
  std::string valid;
  /// Status of a successful answer (200, 201).
  int status = 200;
  /// The object whose metadata the wrong-type cases change (the root, or
  /// a watch event's object).
  std::function<json::value&(json::value&)> target = [](json::value& v)
    -> json::value& { return v; };
  /// Puts `s` into a string field the decoder reads.
  std::function<void(json::value&, const std::string&)> set_read;
  /// True for lists (adds "items as an object").
  bool list = false;
};

const std::string& ten_megabytes() {
  static const std::string s(size_t{10} << 20, 'x');
  return s;
}

json::value parse_or_fail(std::string_view text) {
  auto v = json::parse(text);
  REQUIRE_MESSAGE(static_cast<bool>(v), "not JSON: " << text);
  return std::move(*v);
}

std::string html_page(int status) {
  auto code = std::to_string(status);
  return "<html>\r\n<head><title>" + code + " Bad Gateway</title></head>\r\n"
         "<body>\r\n<center><h1>" + code + " Bad Gateway</h1></center>\r\n"
         "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
}

/// The bad answers derived from `shape`.
std::vector<bad_body> bad_bodies(const body_shape& shape) {
  std::vector<bad_body> out;
  auto add = [&](std::string name, std::string body, bool decodable = false) {
    bad_body b;
    b.name = std::move(name);
    b.status = shape.status;
    b.body = std::move(body);
    b.decodable = decodable;
    out.push_back(std::move(b));
  };
  auto mutate = [&](const std::function<void(json::value&)>& f) {
    auto v = parse_or_fail(shape.valid);
    f(v);
    return json::dump(v);
  };
  add("truncated JSON", shape.valid.substr(0, shape.valid.size() / 2));
  add("metadata as a string", mutate([&](json::value& v) {
        shape.target(v)["metadata"] = "edge-1";
      }));
  add("resourceVersion as a number", mutate([&](json::value& v) {
        shape.target(v)["metadata"]["resourceVersion"] = 12345;
      }));
  if (shape.list)
    add("items as an object", mutate([](json::value& v) {
          v["items"] = json::value{json::object{}};
        }));
  add("10 MB string in a field that is read",
      mutate([&](json::value& v) { shape.set_read(v, ten_megabytes()); }), true);
  add("10 MB string in an ignored field", mutate([&](json::value& v) {
        json::value entry{json::object{}};
        entry["manager"] = ten_megabytes();
        json::value fields{json::array{}};
        fields.push_back(std::move(entry));
        shape.target(v)["metadata"]["managedFields"] = std::move(fields);
      }),
      true);
  {
    // Invalid UTF-8 (a stray continuation byte and an 0xFF) inside the
    // first "name" string.
    auto s = shape.valid;
    auto pos = s.find("\"name\":\"");
    REQUIRE(pos != std::string::npos);
    s.insert(pos + 8, "\x80\xff");
    add("invalid UTF-8 inside a string", std::move(s));
  }
  for (int status : {200, 502}) {
    bad_body b;
    b.name = "HTML page with status " + std::to_string(status);
    b.status = status;
    b.body = html_page(status);
    b.content_type = "text/html";
    b.kind = body_kind::html;
    out.push_back(std::move(b));
  }
  {
    bad_body b;
    b.name = "empty body";
    b.status = shape.status;
    b.kind = body_kind::empty;
    out.push_back(std::move(b));
  }
  add("JSON array instead of an object", "[" + shape.valid + "]");
  return out;
}

/// True if a warning or error line was logged.
bool warned(const std::vector<std::string>& lines) {
  for (const auto& l : lines)
    if (l.find("level=warning") != std::string::npos
        || l.find("level=error") != std::string::npos)
      return true;
  return false;
}

/// True if every log line is valid UTF-8 (log shippers reject others).
bool clean_utf8(const std::vector<std::string>& lines) {
  for (const auto& l : lines)
    if (json::find_invalid_utf8(l) != l.size())
      return false;
  return true;
}

/// Collects log lines (warnings and errors always; info up to -v0).
struct log_lines {
  std::shared_ptr<std::vector<std::string>> lines
    = std::make_shared<std::vector<std::string>>();

  log_lines() {
    auto ls = lines;
    log::set_sink([ls](std::string_view line) { ls->emplace_back(line); });
  }

  ~log_lines() {
    log::set_sink(nullptr);
  }

  void clear() {
    lines->clear();
  }

  bool warned() const {
    return ::warned(*lines);
  }

  bool clean() const {
    return clean_utf8(*lines);
  }
};

/// True if `h` answers `get_atom` with a reply of types `Ts...`.
template <class... Ts>
bool answers_get(deterministic_fixture& f, const caf::actor& h) {
  auto ok = std::make_shared<bool>(false);
  f.sys->spawn([ok, h](caf::event_based_actor* self) {
    self->request(h, caf::infinite, caf::get_atom::value)
      .then([ok](Ts...) { *ok = true; }, [](caf::error&) {});
  });
  f.run();
  return *ok;
}

/// Answers `c` with `b`.
void reply_with(scripted_transport& api, const scripted_call& c,
                const bad_body& b) {
  api.reply(c.key, b.status, b.body, b.content_type);
}

/// Advances virtual time in 10 ms steps until `api` has an open call, at
/// most `limit`; true if one came.
bool wait_call(deterministic_fixture& f, scripted_transport& api,
               std::chrono::milliseconds limit) {
  for (std::chrono::milliseconds waited{0}; api.open().empty(); waited += 10ms) {
    if (waited >= limit)
      return false;
    f.advance(10ms);
  }
  return true;
}

// -- the lease ------------------------------------------------------------------

constexpr auto lease_url
  = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/edge-1";
constexpr auto leases_url
  = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases";

std::string lease_json(int rv) {
  return R"({"kind":"Lease","apiVersion":"coordination.k8s.io/v1",)"
         R"("metadata":{"name":"edge-1","namespace":"kube-node-lease",)"
         R"("uid":"e4daaacd","resourceVersion":")"
         + std::to_string(rv)
         + R"(","ownerReferences":[{"apiVersion":"v1","kind":"Node",)"
           R"("name":"edge-1","uid":"node-uid-1"}]},"spec":{"holderIdentity":)"
           R"("edge-1","leaseDurationSeconds":40,)"
           R"("renewTime":"2026-11-22T02:59:27.676563Z"}})";
}

const std::string lease_node_json
  = R"({"kind":"Node","apiVersion":"v1","metadata":{"name":"edge-1","uid":"node-uid-1","resourceVersion":"5"}})";

std::vector<bad_body> lease_bodies() {
  body_shape shape;
  shape.valid = lease_json(10);
  shape.set_read = [](json::value& v, const std::string& s) {
    v["spec"]["holderIdentity"] = s;
  };
  return bad_bodies(shape);
}

struct lease_fixture : deterministic_fixture {
  std::shared_ptr<scripted_transport> api = std::make_shared<scripted_transport>();
  std::shared_ptr<lease_stats> stats = std::make_shared<lease_stats>();
  log_lines logs;
  caf::actor lease;
  int rv = 100;

  lease_fixture() {
    lease_config cfg;
    cfg.node_name = "edge-1";
    cfg.seed = 42;
    cfg.clock = actor_wall_clock(*sys, k8s::timestamp{} + 1'700'000'000'000'000us);
    cfg.stats = stats;
    lease = sys->spawn(lease_actor, api, cfg);
    run();
  }

  ~lease_fixture() {
    caf::anon_send_exit(lease, caf::exit_reason::user_shutdown);
    run();
  }

  scripted_call expect(const std::string& summary) {
    auto c = api->next();
    REQUIRE_MESSAGE(c.has_value(), "no open call, expected " << summary);
    REQUIRE(c->summary() == summary);
    return *c;
  }

  /// Answers whatever the lease asks validly until it has renewed
  /// `renewals` times in all.
  bool renew_until(uint64_t renewals) {
    for (int step = 0; step < 20 && stats->renewals < renewals; ++step) {
      if (!wait_call(*this, *api, 15s))
        return false;
      auto c = *api->next();
      auto s = c.summary();
      if (s == std::string{"GET "} + lease_url)
        api->reply(c.key, 200, lease_json(++rv));
      else if (s == "GET /api/v1/nodes/edge-1")
        api->reply(c.key, 200, lease_node_json);
      else if (s == std::string{"PUT "} + lease_url)
        api->reply(c.key, 200, lease_json(++rv));
      else if (s == std::string{"POST "} + leases_url)
        api->reply(c.key, 201, lease_json(++rv));
      else
        FAIL("unexpected call " << s);
      run();
    }
    return stats->renewals >= renewals;
  }

  bool alive() {
    return answers_get<lease_snapshot>(*this, lease);
  }

  bool clean() const {
    return logs.clean();
  }
};

// -- the node status ------------------------------------------------------------

const std::string already_exists
  = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"nodes \"edge-1\" already exists","reason":"AlreadyExists","details":{"name":"edge-1","kind":"nodes"},"code":409})";

/// The Node the actor posts, as the server would return it.
std::string stored_node(const std::string& posted) {
  auto v = parse_or_fail(posted);
  v["metadata"]["uid"] = "f74aa255-c2dd-4f1f-8dad-db8332daf6e2";
  v["metadata"]["resourceVersion"] = "292";
  v["metadata"]["creationTimestamp"] = "2026-11-22T02:56:08Z";
  return json::dump(v);
}

std::vector<bad_body> node_bodies(const std::string& posted, int status) {
  body_shape shape;
  shape.valid = stored_node(posted);
  shape.status = status;
  shape.set_read = [](json::value& v, const std::string& s) {
    v["metadata"]["uid"] = s;
  };
  return bad_bodies(shape);
}

struct node_case_fixture : node_fixture {
  node_case_fixture() {
    start();
  }

  /// Answers validly until the node is registered (POST 201 echoing the
  /// body, GET with the stored Node, PATCH 200).
  bool register_until_done() {
    for (int step = 0; step < 20 && !stats->registered; ++step) {
      if (!wait_call(*this, *api, 15s))
        return false;
      auto c = *api->next();
      auto s = c.summary();
      if (s == "POST /api/v1/nodes") {
        api->reply(c.key, 201, c.req.body);
      } else if (s == "GET /api/v1/nodes/edge-1") {
        std::string posted;
        for (auto& x : api->all())
          if (x.summary() == "POST /api/v1/nodes")
            posted = x.req.body;
        api->reply(c.key, 200, stored_node(posted));
      } else if (s == status_path) {
        api->reply(c.key, 200, "{}");
      } else {
        FAIL("unexpected call " << s);
      }
      run();
    }
    return stats->registered;
  }

  bool alive() {
    return answers_get<k8s::node_ptr>(*this, node);
  }

  bool warned() const {
    return ::warned(logs);
  }

  bool clean() const {
    return clean_utf8(logs);
  }
};

/// The POST body of a fresh node status actor (the bodies derive from it).
std::string first_post_body() {
  node_fixture f;
  f.start();
  auto c = f.api->next();
  REQUIRE(c.has_value());
  return c->req.body;
}

// -- the watch stream -------------------------------------------------------------

struct watch_case_fixture : deterministic_fixture {
  std::shared_ptr<scripted_transport> tr = std::make_shared<scripted_transport>();
  std::shared_ptr<watch_stats> stats = std::make_shared<watch_stats>();
  std::shared_ptr<recorded> rec = std::make_shared<recorded>();
  log_lines logs;
  caf::actor consumer;
  caf::actor stream;

  watch_case_fixture() {
    consumer = sys->spawn(recorder, rec);
    watch_stream_config cfg;
    cfg.path = "/api/v1/pods";
    cfg.field_selector = "spec.nodeName=edge-1";
    cfg.seed = 42;
    cfg.consumer = consumer;
    cfg.stats = stats;
    cfg.log.name = "pods";
    stream = sys->spawn(watch_stream<k8s::pod>, tr,
                        std::shared_ptr<api::rate_limiter>{}, std::move(cfg));
    run();
  }

  ~watch_case_fixture() {
    caf::anon_send_exit(stream, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(consumer, caf::exit_reason::user_shutdown);
    run();
  }

  scripted_call open_call() {
    auto xs = tr->open();
    REQUIRE(xs.size() == 1);
    return xs.front();
  }

  /// Answers the open list validly (pod a at 10), checks the watch opens.
  scripted_call answer_list_ok() {
    auto c = open_call();
    REQUIRE_FALSE(c.streaming);
    tr->reply(c.key, 200, list_json("10", {pod_json("a", "10")}));
    run();
    auto w = open_call();
    REQUIRE(w.streaming);
    return w;
  }

  /// Sends `data` on stream `c` in pieces of 64 KiB (as libcurl would).
  void feed(const scripted_call& c, const std::string& data) {
    constexpr size_t piece = size_t{64} << 10;
    for (size_t pos = 0; pos < data.size(); pos += piece)
      tr->chunk(c.key, data.substr(pos, piece));
    run();
  }

  bool has_line(std::string_view x) const {
    std::lock_guard<std::mutex> guard{rec->mtx};
    return rec->has(x);
  }

  size_t synced() const {
    std::lock_guard<std::mutex> guard{rec->mtx};
    return rec->synced.size();
  }

  /// Sends a valid MODIFIED of pod a at `rv` on `c`; true if it arrived.
  bool delivers(const scripted_call& c, std::string_view rv) {
    feed(c, event_line("MODIFIED", pod_json("a", rv)));
    return has_line("MODIFIED default/a " + std::string{rv});
  }

  bool alive() {
    return answers_get<uint64_t, std::string>(*this, stream);
  }

  bool clean() const {
    return logs.clean();
  }
};

std::vector<bad_body> list_bodies() {
  body_shape shape;
  shape.valid = list_json("10", {pod_json("a", "10"), pod_json("b", "10")});
  shape.list = true;
  shape.set_read = [](json::value& v, const std::string& s) {
    v["items"].as_array()[0]["spec"]["nodeName"] = s;
  };
  return bad_bodies(shape);
}

std::vector<bad_body> line_bodies() {
  body_shape shape;
  auto line = event_line("MODIFIED", pod_json("b", "11"));
  line.pop_back(); // the '\n'
  shape.valid = line;
  shape.target = [](json::value& v) -> json::value& { return v["object"]; };
  shape.set_read = [](json::value& v, const std::string& s) {
    v["object"]["spec"]["nodeName"] = s;
  };
  std::vector<bad_body> out;
  for (auto& b : bad_bodies(shape))
    if (b.kind == body_kind::json)
      out.push_back(std::move(b));
  return out;
}

// -- the event recorder -------------------------------------------------------------

constexpr auto events_url = "/api/v1/namespaces/default/events";

record_event node_event(std::string reason) {
  record_event x;
  x.involved.kind = "Node";
  x.involved.name = "edge-1";
  x.type = "Normal";
  x.reason = std::move(reason);
  x.message = "Node edge-1 status is now: " + x.reason;
  return x;
}

struct events_fixture : deterministic_fixture {
  std::shared_ptr<scripted_transport> api = std::make_shared<scripted_transport>();
  std::shared_ptr<event_stats> stats = std::make_shared<event_stats>();
  log_lines logs;
  caf::actor rec;

  events_fixture() {
    event_recorder_config cfg;
    cfg.node_name = "edge-1";
    cfg.seed = 7;
    cfg.clock = actor_wall_clock(*sys, *k8s::parse_time("2026-11-22T02:58:29.123456Z"));
    rec = sys->spawn(event_recorder, api, cfg, stats);
    run();
  }

  ~events_fixture() {
    caf::anon_send_exit(rec, caf::exit_reason::user_shutdown);
    run();
  }

  /// Records an event and returns its POST.
  scripted_call post(std::string reason) {
    caf::anon_send(rec, node_event(std::move(reason)));
    run();
    auto c = api->next();
    REQUIRE_MESSAGE(c.has_value(), "no POST for the event");
    REQUIRE(c->summary() == std::string{"POST "} + events_url);
    return *c;
  }

  /// Answers every call validly (201 echoing the body) until nothing is
  /// queued, in flight or backing off, or `limit` passed.
  void settle(std::chrono::milliseconds limit = 30s) {
    for (std::chrono::milliseconds waited{0}; waited < limit; waited += 10ms) {
      while (auto c = api->next()) {
        api->reply(c->key, c->req.method == net::http_method::post ? 201 : 200,
                   c->req.body);
        run();
      }
      auto s = snapshot_of(state_of<event_recorder_state>(rec));
      if (s.queued == 0 && s.in_flight == 0 && s.backing_off == 0)
        return;
      advance(10ms);
    }
  }

  bool alive() {
    return answers_get<event_recorder_snapshot>(*this, rec);
  }

  bool clean() const {
    return logs.clean();
  }
};

/// A valid Event as the server returns it for a POST.
std::string event_answer(const std::string& posted) {
  auto v = parse_or_fail(posted);
  v["metadata"]["uid"] = "0b4c1a52-5e0f-4b9c-9d8e-5a4f3c2b1a09";
  v["metadata"]["resourceVersion"] = "301";
  v["metadata"]["creationTimestamp"] = "2026-11-22T02:58:29Z";
  return json::dump(v);
}

std::vector<bad_body> event_bodies(const std::string& posted) {
  body_shape shape;
  shape.valid = event_answer(posted);
  shape.status = 201;
  shape.set_read = [](json::value& v, const std::string& s) {
    v["message"] = s;
  };
  return bad_bodies(shape);
}

/// The POST body of a fresh recorder for `reason`.
std::string first_event_body() {
  events_fixture f;
  auto c = f.post("NodeHasSufficientMemory");
  return c.req.body;
}

} // namespace

// -- lease ------------------------------------------------------------------------

TEST_CASE("lease: bad answers to the GET are logged, counted and survived") {
  for (const auto& b : lease_bodies()) {
    INFO("case: " << b.name);
    lease_fixture f;
    auto get = f.expect(std::string{"GET "} + lease_url);
    reply_with(*f.api, get, b);
    f.run();
    CHECK(f.alive());
    CHECK(f.clean());
    if (b.decodable) {
      // Valid JSON: the lease is read and renewed at once.
      CHECK(f.stats->failures == 0);
      REQUIRE(f.renew_until(1));
      CHECK(f.stats->renewals == 1);
      continue;
    }
    CHECK(f.logs.warned());
    CHECK(f.stats->failures == 1);
    CHECK(f.stats->renewals == 0);
    CHECK(f.api->open().empty()); // backing off, not hammering
    CHECK(f.renew_until(1));
  }
}

TEST_CASE("lease: bad answers to the renewal PUT are logged, counted and survived") {
  for (const auto& b : lease_bodies()) {
    INFO("case: " << b.name);
    lease_fixture f;
    REQUIRE(f.renew_until(1));
    f.logs.clear();
    f.advance(10s);
    auto put = f.expect(std::string{"PUT "} + lease_url);
    reply_with(*f.api, put, b);
    f.run();
    CHECK(f.alive());
    CHECK(f.clean());
    if (b.decodable) {
      CHECK(f.stats->failures == 0);
      CHECK(f.stats->renewals == 2);
      // The next renewal is normal: our holder, no 10 MB echo.
      f.advance(10s);
      auto next = f.expect(std::string{"PUT "} + lease_url);
      CHECK(next.req.body.size() < 4096);
      CHECK(next.req.body.find(R"("holderIdentity":"edge-1")") != std::string::npos);
      f.api->reply(next.key, 200, lease_json(++f.rv));
      f.run();
      CHECK(f.stats->renewals == 3);
      continue;
    }
    CHECK(f.logs.warned());
    CHECK(f.stats->failures == 1);
    CHECK(f.stats->renewals == 1);
    CHECK(f.renew_until(2));
    // The lateness of the recovered renewal is the retry delay, not more
    // than the 7 s cap.
    auto late = f.stats->lateness_samples();
    REQUIRE(late.size() == 2);
    CHECK(late.back() < 7.0);
  }
}

// -- node status ----------------------------------------------------------------------

TEST_CASE("node status: bad answers to the GET after 409 are logged, counted and survived") {
  auto posted = first_post_body();
  for (const auto& b : node_bodies(posted, 200)) {
    INFO("case: " << b.name);
    node_case_fixture f;
    f.answer("POST /api/v1/nodes", 409, already_exists);
    auto get = f.expect("GET /api/v1/nodes/edge-1");
    f.logs.clear();
    reply_with(*f.api, get, b);
    f.run();
    CHECK(f.alive());
    CHECK(f.clean());
    if (b.decodable) {
      CHECK(f.stats->register_failures == 0);
      CHECK(f.register_until_done());
      continue;
    }
    CHECK(f.warned());
    CHECK(f.logged({"Unable to register node"}));
    CHECK(f.stats->register_failures == 1);
    CHECK_FALSE(f.stats->registered);
    CHECK(f.api->open().empty());
    CHECK(f.register_until_done());
    CHECK(f.stats->registrations == 1);
  }
}

TEST_CASE("node status: HTML error pages and empty error answers to the POST are logged, counted and survived") {
  auto posted = first_post_body();
  for (const auto& b : node_bodies(posted, 201)) {
    if (b.kind != body_kind::html)
      continue;
    INFO("case: " << b.name);
    node_case_fixture f;
    auto post = f.expect("POST /api/v1/nodes");
    f.logs.clear();
    reply_with(*f.api, post, b);
    f.run();
    CHECK(f.alive());
    CHECK(f.clean());
    CHECK(f.warned());
    CHECK(f.logged({"Unable to register node"}));
    CHECK(f.stats->register_failures == 1);
    CHECK_FALSE(f.stats->registered);
    CHECK(f.register_until_done());
  }
  // A 502 without a body.
  node_case_fixture f;
  auto post = f.expect("POST /api/v1/nodes");
  f.api->reply(post.key, 502, "", "text/html");
  f.run();
  CHECK(f.warned());
  CHECK(f.stats->register_failures == 1);
  CHECK(f.register_until_done());
}

// Fails while the node status actor ignores the body of a 2xx answer to
// its POST: a 201 whose body is not a Node is taken as a registration
// without any log line (upstream client-go fails the Create with a decode
// error, logs "Unable to register node with API server" and retries).
TEST_CASE("node status: a 201 answer to the POST whose body is not a Node is logged") {
  auto posted = first_post_body();
  for (const auto& b : node_bodies(posted, 201)) {
    if (b.kind == body_kind::html)
      continue;
    INFO("case: " << b.name);
    node_case_fixture f;
    auto post = f.expect("POST /api/v1/nodes");
    f.logs.clear();
    reply_with(*f.api, post, b);
    f.run();
    CHECK(f.alive());
    CHECK(f.clean());
    if (b.decodable)
      CHECK_FALSE(f.warned());
    else
      CHECK(f.warned());
    // Either taken as registered (the server said Created) or retried:
    // the node ends up registered.
    CHECK(f.register_until_done());
    CHECK(f.stats->registrations == 1);
  }
}

// -- watch stream -----------------------------------------------------------------------

TEST_CASE("watch: bad list answers are logged, counted and survived") {
  for (const auto& b : list_bodies()) {
    INFO("case: " << b.name);
    watch_case_fixture f;
    auto list = f.open_call();
    REQUIRE_FALSE(list.streaming);
    reply_with(*f.tr, list, b);
    f.run();
    CHECK(f.alive());
    CHECK(f.clean());
    if (b.decodable) {
      CHECK(f.stats->decode_errors == 0);
      CHECK(f.has_line("ADDED default/a 10"));
      CHECK(f.has_line("ADDED default/b 10"));
      CHECK(f.synced() == 1);
      auto w = f.open_call();
      REQUIRE(w.streaming);
      CHECK(f.delivers(w, "12"));
      continue;
    }
    CHECK(f.logs.warned());
    CHECK(f.synced() == 0);
    if (b.kind != body_kind::html)
      CHECK(f.stats->decode_errors == 1); // JSON-ish 2xx bodies are decoded
    CHECK(f.tr->open().empty());        // backing off
    REQUIRE(wait_call(f, *f.tr, 60s));
    auto w = f.answer_list_ok();
    CHECK(f.has_line("ADDED default/a 10"));
    CHECK(f.synced() == 1);
    CHECK(f.delivers(w, "12"));
  }
}

TEST_CASE("watch: bad watch event lines are logged, counted and skipped") {
  for (const auto& b : line_bodies()) {
    INFO("case: " << b.name);
    watch_case_fixture f;
    REQUIRE(wait_call(f, *f.tr, 1s));
    auto w = f.answer_list_ok();
    f.logs.clear();
    f.feed(w, b.body + "\n");
    CHECK(f.alive());
    CHECK(f.clean());
    if (b.decodable) {
      CHECK(f.stats->decode_errors == 0);
      CHECK(f.has_line("MODIFIED default/b 11"));
    } else {
      CHECK(f.logs.warned());
      CHECK(f.stats->decode_errors == 1);
      CHECK_FALSE(f.has_line("MODIFIED default/b 11"));
    }
    // The same watch goes on.
    CHECK(f.tr->open().size() == 1);
    CHECK(f.delivers(w, "12"));
  }
}

TEST_CASE("watch: an HTML page as watch answer is logged and the watch re-opened") {
  for (int status : {200, 502}) {
    INFO("status " << status);
    watch_case_fixture f;
    auto w = f.answer_list_ok();
    f.logs.clear();
    if (status == 200) {
      // A proxy answered the watch with a page: its lines arrive as body.
      f.feed(w, html_page(status));
      CHECK(f.stats->decode_errors > 0);
      f.tr->reply(w.key, 200, "", "text/html");
    } else {
      f.tr->reply(w.key, status, html_page(status), "text/html");
    }
    f.run();
    CHECK(f.alive());
    CHECK(f.clean());
    CHECK(f.logs.warned());
    REQUIRE(wait_call(f, *f.tr, 60s));
    auto again = f.open_call();
    REQUIRE(again.streaming);
    CHECK(f.delivers(again, "12"));
  }
}

// Fails while a watch that ends at once without a byte is logged at info
// level only ("very short watch, backing off" at -v2); client-go's
// reflector logs it as a warning ("watch of *v1.Pod ended with: very short
// watch ... Unexpected watch close").
TEST_CASE("watch: an empty watch answer is logged and the watch re-opened") {
  watch_case_fixture f;
  auto w = f.answer_list_ok();
  f.logs.clear();
  f.tr->reply(w.key, 200, "");
  f.run();
  CHECK(f.alive());
  CHECK(f.clean());
  CHECK(f.logs.warned());
  CHECK(f.tr->open().empty()); // backing off
  REQUIRE(wait_call(f, *f.tr, 60s));
  auto again = f.open_call();
  REQUIRE(again.streaming);
  CHECK(f.delivers(again, "12"));
}

// -- event recorder ----------------------------------------------------------------------

TEST_CASE("events: an HTML page with status 200 is logged, counted and survived") {
  auto posted = first_event_body();
  for (const auto& b : event_bodies(posted)) {
    if (b.kind != body_kind::html || b.status != 200)
      continue;
    INFO("case: " << b.name);
    events_fixture f;
    auto post = f.post("NodeHasSufficientMemory");
    reply_with(*f.api, post, b);
    f.run();
    CHECK(f.alive());
    CHECK(f.clean());
    CHECK(f.logs.warned());
    CHECK(f.stats->posted == 0);
    // Dropped (not retryable) or retried: counted either way.
    CHECK(f.stats->failed + f.stats->retried == 1);
    f.settle();
    // The next event is posted normally.
    auto next = f.post("NodeReady");
    f.api->reply(next.key, 201, event_answer(next.req.body));
    f.run();
    CHECK(f.stats->posted == 1);
  }
}

// Fails while a retryable failure of an event POST (502) is logged at info
// level only ("unable to write event, will retry" at -v2) until the
// retries run out.
TEST_CASE("events: an HTML page with status 502 is logged and the event retried") {
  events_fixture f;
  auto post = f.post("NodeHasSufficientMemory");
  f.api->reply(post.key, 502, html_page(502), "text/html");
  f.run();
  CHECK(f.alive());
  CHECK(f.clean());
  CHECK(f.logs.warned());
  CHECK(f.stats->posted == 0);
  // Retried and then created.
  f.settle();
  CHECK(f.stats->posted == 1);
  CHECK(f.stats->retried == 1);
}

// Fails while the event recorder ignores the body of a 2xx answer: a 201
// whose body is not an Event counts as posted without a log line.
TEST_CASE("events: a 201 answer whose body is not an Event is logged") {
  auto posted = first_event_body();
  for (const auto& b : event_bodies(posted)) {
    if (b.kind == body_kind::html)
      continue;
    INFO("case: " << b.name);
    events_fixture f;
    auto post = f.post("NodeHasSufficientMemory");
    reply_with(*f.api, post, b);
    f.run();
    CHECK(f.alive());
    CHECK(f.clean());
    if (b.decodable)
      CHECK_FALSE(f.logs.warned());
    else
      CHECK(f.logs.warned());
    f.settle();
    // Either counted as posted (the server said Created) or retried and
    // posted: the event is not lost, and the next one is posted normally.
    CHECK(f.stats->posted == 1);
    auto next = f.post("NodeReady");
    f.api->reply(next.key, 201, event_answer(next.req.body));
    f.run();
    CHECK(f.stats->posted == 2);
  }
}
