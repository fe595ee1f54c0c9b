// The pod watch stream under virtual time with a scripted transport: list
// paging, watch parameters, event order, chunking, malformed lines,
// re-watch and relist rules, the bounded relist rate, bookmarks.

#include "actors/watch/watch_stream.hpp"
#include "messages/errors.hpp"
#include "tests/actors/api/scripted_transport.hpp"
#include "tests/actors/test_fixture.hpp"
#include "watch_test_support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <set>

using namespace cafelet;
using namespace cafelet::actors;
using namespace cafelet::testing;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view node_selector = "spec.nodeName%3Dedge-1";

struct watch_fixture : deterministic_fixture {
  std::shared_ptr<scripted_transport> tr
    = std::make_shared<scripted_transport>();
  std::shared_ptr<watch_stats> stats = std::make_shared<watch_stats>();
  std::shared_ptr<recorded> rec = std::make_shared<recorded>();
  log_capture logs;
  caf::actor consumer;
  caf::actor stream;

  watch_fixture() {
    consumer = sys->spawn(recorder, rec);
  }

  ~watch_fixture() {
    if (stream)
      caf::anon_send_exit(stream, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(consumer, caf::exit_reason::user_shutdown);
    run();
  }

  watch_stream_config config() {
    watch_stream_config cfg;
    cfg.path = "/api/v1/pods";
    cfg.field_selector = "spec.nodeName=edge-1";
    cfg.seed = 42;
    cfg.consumer = consumer;
    cfg.stats = stats;
    cfg.log.name = "pods";
    return cfg;
  }

  void start(watch_stream_config cfg) {
    stream = sys->spawn(watch_stream<k8s::pod>, tr,
                        std::shared_ptr<api::rate_limiter>{}, std::move(cfg));
    run();
  }

  void start() {
    start(config());
  }

  /// The only open call; fails the test if there is none or several.
  scripted_call open_call() {
    auto xs = tr->open();
    REQUIRE(xs.size() == 1);
    return xs.front();
  }

  /// Answers the open list call with `body` after checking it is a list.
  scripted_call answer_list(const std::string& body) {
    auto c = open_call();
    REQUIRE_FALSE(c.streaming);
    REQUIRE(c.summary() == "GET /api/v1/pods");
    tr->reply(c.key, 200, body);
    run();
    return c;
  }

  /// Checks the open call is a watch and returns it.
  scripted_call open_watch() {
    auto c = open_call();
    REQUIRE(c.streaming);
    REQUIRE(param(c.req.path, "watch") == "true");
    return c;
  }

  void chunk(const scripted_call& c, std::string data) {
    tr->chunk(c.key, std::move(data));
    run();
  }

  /// Starts and answers the first list with `items` at `rv`; returns the
  /// watch that follows.
  scripted_call start_synced(std::string_view rv,
                             const std::vector<std::string>& items = {}) {
    start();
    answer_list(list_json(rv, items));
    return open_watch();
  }

  /// Asks the stream for (known objects, last resourceVersion).
  std::pair<uint64_t, std::string> query() {
    auto out = std::make_shared<std::pair<uint64_t, std::string>>(999, "?");
    auto s = stream;
    sys->spawn([out, s](caf::event_based_actor* self) {
      self->request(s, caf::infinite, caf::get_atom::value)
        .then([out](uint64_t n, std::string rv) { *out = {n, rv}; });
    });
    run();
    return *out;
  }

  /// Advances virtual time in 10 ms steps until a call is open; returns
  /// the time waited (or `limit` if none came).
  std::chrono::milliseconds wait_for_call(std::chrono::milliseconds limit) {
    std::chrono::milliseconds waited{0};
    while (tr->open().empty() && waited < limit) {
      advance(10ms);
      waited += 10ms;
    }
    return waited;
  }
};

std::vector<std::string> lines(std::initializer_list<std::string> xs) {
  return xs;
}

} // namespace

TEST_CASE("query values are escaped as Go's url.QueryEscape") {
  CHECK(query_escape("spec.nodeName=edge-1") == "spec.nodeName%3Dedge-1");
  CHECK(query_escape("app in (web, db),tier!=x")
        == "app+in+%28web%2C+db%29%2Ctier%21%3Dx");
  CHECK(query_escape("a/b:c~d_e-f.g") == "a%2Fb%3Ac~d_e-f.g");
  CHECK(query_escape("\xC3\xBC&?") == "%C3%BC%26%3F");
}

TEST_CASE("list and watch paths match client-go's") {
  watch_stream_config cfg;
  cfg.path = "/api/v1/pods";
  cfg.field_selector = "spec.nodeName=edge-1";
  // Recorded from the real kubelet (21-real-kubelet-audit.txt, 12-*.txt).
  CHECK(list_path(cfg, "0", 500, "")
        == "/api/v1/pods?fieldSelector=spec.nodeName%3Dedge-1&limit=500"
           "&resourceVersion=0");
  CHECK(watch_path(cfg, "252", 10)
        == "/api/v1/pods?allowWatchBookmarks=true&fieldSelector="
           "spec.nodeName%3Dedge-1&resourceVersion=252&timeoutSeconds=10"
           "&watch=true");
  // Continuation pages carry no resourceVersion.
  CHECK(list_path(cfg, "0", 500, "tok/1=")
        == "/api/v1/pods?continue=tok%2F1%3D&fieldSelector="
           "spec.nodeName%3Dedge-1&limit=500");
  cfg.label_selector = "app=web";
  CHECK(list_path(cfg, "", 0, "")
        == "/api/v1/pods?fieldSelector=spec.nodeName%3Dedge-1"
           "&labelSelector=app%3Dweb");
}

TEST_CASE_FIXTURE(watch_fixture, "list with paging, then a watch from the list's version") {
  auto cfg = config();
  cfg.page_size = 2;
  start(cfg);
  auto first = open_call();
  CHECK(first.req.path
        == "/api/v1/pods?fieldSelector=spec.nodeName%3Dedge-1&limit=2"
           "&resourceVersion=0");
  tr->reply(first.key, 200,
            list_json("100", {pod_json("a", "90", {}, false),
                              pod_json("b", "91", {}, false)},
                      "tok-1"));
  run();
  auto second = open_call();
  CHECK(second.req.path
        == "/api/v1/pods?continue=tok-1&fieldSelector=spec.nodeName%3Dedge-1"
           "&limit=2");
  CHECK(rec->lines.empty()); // nothing before the list is complete
  tr->reply(second.key, 200,
            list_json("100", {pod_json("c", "95", {}, false)}));
  run();
  CHECK(rec->take()
        == lines({"ADDED default/a 90", "ADDED default/b 91",
                  "ADDED default/c 95",
                  "SYNCED rv=100 items=3 +0 ~0 -0 gen=1"}));
  auto w = open_watch();
  auto q = query_of(w.req.path);
  REQUIRE(q.size() == 5);
  CHECK(q[0] == std::pair<std::string, std::string>{"allowWatchBookmarks", "true"});
  CHECK(q[1].first == "fieldSelector");
  CHECK(q[1].second == node_selector);
  CHECK(q[2] == std::pair<std::string, std::string>{"resourceVersion", "100"});
  CHECK(q[3].first == "timeoutSeconds");
  auto timeout = std::stoi(q[3].second);
  CHECK(timeout >= 300);
  CHECK(timeout < 600);
  CHECK(q[4] == std::pair<std::string, std::string>{"watch", "true"});
  CHECK(query() == std::pair<uint64_t, std::string>{3, "100"});
  CHECK(stats->objects == 3);
  CHECK(stats->lists == 1);
  CHECK(stats->relists == 0);
}

TEST_CASE_FIXTURE(watch_fixture, "watch timeouts are drawn from [min, 2 min)") {
  auto cfg = config();
  cfg.min_watch_timeout = 10s;
  start(cfg);
  answer_list(list_json("10", {}));
  std::set<int> seen;
  for (int i = 0; i < 40; ++i) {
    auto w = open_watch();
    auto t = std::stoi(param(w.req.path, "timeoutSeconds"));
    CHECK(t >= 10);
    CHECK(t < 20);
    seen.insert(t);
    chunk(w, bookmark_line(std::to_string(11 + i)));
    tr->reply(w.key, 200);
    run();
  }
  CHECK(seen.size() > 3); // actually random
}

TEST_CASE_FIXTURE(watch_fixture, "watch events are forwarded in order and update the known set") {
  auto w = start_synced("10");
  rec->take();
  chunk(w, event_line("ADDED", pod_json("a", "11"))
             + event_line("MODIFIED", pod_json("a", "12"))
             + event_line("ADDED", pod_json("b", "13")));
  chunk(w, event_line("DELETED", pod_json("a", "14")));
  CHECK(rec->take()
        == lines({"ADDED default/a 11", "MODIFIED default/a 12",
                  "ADDED default/b 13", "DELETED default/a 14"}));
  CHECK(query() == std::pair<uint64_t, std::string>{1, "14"});
  CHECK(stats->added == 2);
  CHECK(stats->modified == 1);
  CHECK(stats->deleted == 1);
  CHECK(stats->objects == 1);
  // The consumer receives the decoded objects themselves.
  REQUIRE(rec->events.size() == 4);
  CHECK(rec->events[2].object->spec.node_name == "edge-1");
}

TEST_CASE_FIXTURE(watch_fixture, "a watch stream delivered one byte at a time") {
  auto w = start_synced("10");
  rec->take();
  std::string body = event_line("ADDED", pod_json("a", "11"))
                     + event_line("ADDED", pod_json("b", "12"))
                     + bookmark_line("13")
                     + event_line("MODIFIED", pod_json("a", "14"))
                     + event_line("DELETED", pod_json("b", "15"));
  for (char c : body)
    tr->chunk(w.key, std::string(1, c));
  run();
  CHECK(rec->take()
        == lines({"ADDED default/a 11", "ADDED default/b 12", "BOOKMARK 13",
                  "MODIFIED default/a 14", "DELETED default/b 15"}));
  CHECK(stats->decode_errors == 0);
  CHECK(stats->bytes >= body.size());
  CHECK(query() == std::pair<uint64_t, std::string>{1, "15"});
}

TEST_CASE_FIXTURE(watch_fixture, "a malformed line is logged, counted and skipped") {
  auto w = start_synced("10");
  rec->take();
  chunk(w, event_line("ADDED", pod_json("a", "11")) + "{\"type\":\"ADDED\",\"obj\n"
             + R"({"type":"ADDED","object":{"kind":"Pod","metadata":{"name":5}}})"
               "\n"
             + R"({"type":"EXPLODED","object":{}})"
               "\n");
  chunk(w, event_line("ADDED", pod_json("b", "12")));
  CHECK(rec->take() == lines({"ADDED default/a 11", "ADDED default/b 12"}));
  CHECK(stats->decode_errors == 3);
  CHECK(logs.count({"level=warning", "malformed watch event", "excerpt="}) == 3);
  CHECK(logs.count({"metadata.name"}) >= 1); // the decoder names the field
  // The stream stays open.
  CHECK(open_call().key == w.key);
}

TEST_CASE_FIXTURE(watch_fixture, "an overlong line is skipped and the stream resyncs") {
  auto cfg = config();
  cfg.max_line_bytes = 400;
  start(cfg);
  answer_list(list_json("10", {}));
  auto w = open_watch();
  std::string huge = event_line("ADDED", pod_json(std::string(600, 'x'), "11"));
  chunk(w, huge.substr(0, 300));
  chunk(w, huge.substr(300) + event_line("ADDED", pod_json("b", "12")));
  CHECK(rec->take()
        == lines({"SYNCED rv=10 items=0 +0 ~0 -0 gen=1", "ADDED default/b 12"}));
  CHECK(stats->decode_errors == 1);
  CHECK(logs.count({"overlong watch event"}) == 1);
}

TEST_CASE_FIXTURE(watch_fixture, "a cleanly ended watch is re-opened at once from the last version") {
  auto w = start_synced("10", {pod_json("a", "5", {}, false)});
  chunk(w, event_line("MODIFIED", pod_json("a", "12")));
  tr->reply(w.key, 200); // timeoutSeconds reached
  run();
  auto next = open_watch();
  CHECK(next.key != w.key);
  CHECK(param(next.req.path, "resourceVersion") == "12");
  CHECK(stats->lists == 1);
  CHECK(stats->relists == 0);
  CHECK(stats->watches == 2);
  CHECK(stats->reconnects == 0);
  for (auto& c : tr->all())
    CHECK_FALSE(c.cancelled);
}

TEST_CASE_FIXTURE(watch_fixture, "a watch that ends at once without events backs off") {
  auto w = start_synced("10");
  tr->reply(w.key, 200);
  run();
  CHECK(tr->open().empty());
  auto waited = wait_for_call(5s);
  CHECK(waited >= 640ms); // 800 ms minus up to 20 % jitter
  CHECK(waited <= 800ms);
  CHECK(param(open_watch().req.path, "resourceVersion") == "10");
  CHECK(stats->lists == 1);
}

TEST_CASE_FIXTURE(watch_fixture, "a cut watch is re-opened from the last version after a backoff") {
  auto w = start_synced("10");
  chunk(w, event_line("ADDED", pod_json("a", "11")));
  tr->fail(w.key, make_error(errc::connection_failed,
                             "GET /api/v1/pods: connection reset"));
  run();
  CHECK(tr->open().empty());
  auto waited = wait_for_call(5s);
  CHECK(waited >= 640ms);
  CHECK(waited <= 800ms);
  auto w2 = open_watch();
  CHECK(param(w2.req.path, "resourceVersion") == "11");
  CHECK(stats->reconnects == 1);
  CHECK(logs.count({"level=warning", "watch failed", "connection_failed"}) == 1);
  // A failure without events doubles the delay (1.6 s minus jitter).
  tr->reply(w2.key, 503,
            R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"unavailable","reason":"ServiceUnavailable","code":503})");
  run();
  waited = wait_for_call(5s);
  CHECK(waited >= 1280ms);
  CHECK(waited <= 1600ms);
  auto w3 = open_watch();
  CHECK(param(w3.req.path, "resourceVersion") == "11");
  // Events reset the backoff.
  chunk(w3, bookmark_line("20"));
  tr->fail(w3.key, make_error(errc::timeout, "idle"));
  run();
  waited = wait_for_call(5s);
  CHECK(waited <= 800ms);
  CHECK(param(open_watch().req.path, "resourceVersion") == "20");
  CHECK(stats->reconnects == 3);
  CHECK(stats->lists == 1);
}

TEST_CASE_FIXTURE(watch_fixture, "ERROR 410 relists and emits the differences") {
  auto w = start_synced("10", {pod_json("a", "5", {}, false),
                               pod_json("b", "6", {}, false),
                               pod_json("c", "7", {}, false),
                               pod_json("e", "8", "uid-e1", false)});
  rec->take();
  auto c_before = rec->events[2].object;
  REQUIRE(c_before->metadata.name == "c");
  chunk(w, event_line("ERROR", expired_status()) + event_line("ADDED", pod_json("z", "99")));
  CHECK(stats->error_events == 1);
  CHECK(rec->take().empty()); // nothing after the ERROR is used
  auto calls = tr->all();
  CHECK(calls.back().cancelled); // the watch was closed by the stream
  CHECK(tr->open().empty());
  wait_for_call(5s);
  auto relist = open_call();
  REQUIRE_FALSE(relist.streaming);
  // As client-go: relist at the last seen version, unpaged.
  CHECK(relist.req.path
        == "/api/v1/pods?fieldSelector=spec.nodeName%3Dedge-1&resourceVersion=10");
  tr->reply(relist.key, 200,
            list_json("30", {pod_json("a", "5", {}, false),
                             pod_json("b", "20", {}, false),
                             pod_json("d", "21", {}, false),
                             pod_json("e", "22", "uid-e2", false)}));
  run();
  CHECK(rec->take()
        == lines({"MODIFIED default/b 20", "ADDED default/d 21",
                  "DELETED default/e 8", "ADDED default/e 22",
                  "DELETED default/c 7",
                  "SYNCED rv=30 items=4 +2 ~1 -2 gen=2"}));
  // DELETED carries the last known object itself (shared, not copied).
  auto gone = std::find_if(rec->events.begin(), rec->events.end(),
                           [](const k8s::pod_watch_event& ev) {
                             return ev.type == k8s::watch_event_type::deleted
                                    && ev.object->metadata.name == "c";
                           });
  REQUIRE(gone != rec->events.end());
  CHECK(gone->object == c_before);
  CHECK(query() == std::pair<uint64_t, std::string>{4, "30"});
  CHECK(stats->relists == 1);
  CHECK(logs.count({"relisted", "added=2", "modified=1", "deleted=2"}) == 1);
  CHECK(param(open_watch().req.path, "resourceVersion") == "30");
}

TEST_CASE_FIXTURE(watch_fixture, "HTTP 410 on the watch request relists") {
  auto w = start_synced("10");
  tr->reply(w.key, 410, expired_status());
  run();
  wait_for_call(5s);
  auto relist = open_call();
  REQUIRE_FALSE(relist.streaming);
  CHECK(param(relist.req.path, "resourceVersion") == "10");
  // The server says 10 is gone for lists, too: a consistent list follows
  // at once, paged again.
  tr->reply(relist.key, 410, expired_status());
  run();
  auto consistent = open_call();
  CHECK(consistent.req.path
        == "/api/v1/pods?fieldSelector=spec.nodeName%3Dedge-1&limit=500");
  tr->reply(consistent.key, 200, list_json("40", {pod_json("a", "39", {}, false)}));
  run();
  CHECK(rec->take()
        == lines({"SYNCED rv=10 items=0 +0 ~0 -0 gen=1", "ADDED default/a 39",
                  "SYNCED rv=40 items=1 +1 ~0 -0 gen=2"}));
  CHECK(param(open_watch().req.path, "resourceVersion") == "40");
}

TEST_CASE_FIXTURE(watch_fixture, "an expired continue token restarts the list whole") {
  auto cfg = config();
  cfg.page_size = 1;
  start(cfg);
  auto p1 = open_call();
  tr->reply(p1.key, 200, list_json("50", {pod_json("a", "41", {}, false)}, "tok"));
  run();
  auto p2 = open_call();
  CHECK(param(p2.req.path, "continue") == "tok");
  tr->reply(p2.key, 410,
            R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"The provided continue parameter is too old","reason":"Expired","code":410})");
  run();
  auto full = open_call();
  CHECK(full.req.path
        == "/api/v1/pods?fieldSelector=spec.nodeName%3Dedge-1&resourceVersion=0");
  tr->reply(full.key, 200, list_json("60", {pod_json("a", "41", {}, false),
                                            pod_json("b", "55", {}, false)}));
  run();
  // Each object once: the first page's items were dropped.
  CHECK(rec->take()
        == lines({"ADDED default/a 41", "ADDED default/b 55",
                  "SYNCED rv=60 items=2 +0 ~0 -0 gen=1"}));
  CHECK(param(open_watch().req.path, "resourceVersion") == "60");
}

TEST_CASE_FIXTURE(watch_fixture, "a failed list is retried with backoff") {
  start();
  auto l = open_call();
  tr->fail(l.key, make_error(errc::connection_failed, "refused"));
  run();
  CHECK(tr->open().empty());
  auto waited = wait_for_call(5s);
  CHECK(waited >= 640ms);
  CHECK(waited <= 800ms);
  auto l2 = open_call();
  CHECK(param(l2.req.path, "resourceVersion") == "0");
  tr->reply(l2.key, 200, "{\"kind\":\"PodList\",\"items\":[{");
  run();
  CHECK(stats->decode_errors == 1);
  waited = wait_for_call(5s);
  CHECK(waited >= 1280ms);
  answer_list(list_json("7", {}));
  CHECK(rec->take() == lines({"SYNCED rv=7 items=0 +0 ~0 -0 gen=1"}));
}

TEST_CASE_FIXTURE(watch_fixture, "403 is logged as an error and retried at the capped backoff") {
  auto w = start_synced("10");
  tr->reply(w.key, 403,
            R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods is forbidden","reason":"Forbidden","code":403})");
  run();
  CHECK(logs.count({"level=error", "not authorized", "status=403"}) == 1);
  auto waited = wait_for_call(60s);
  CHECK(waited >= 24s);
  CHECK(waited <= 30s);
  CHECK(param(open_watch().req.path, "resourceVersion") == "10");
  CHECK(stats->lists == 1);
}

TEST_CASE_FIXTURE(watch_fixture, "a bookmark moves the version the next watch starts from") {
  auto w = start_synced("10", {pod_json("a", "9", {}, false)});
  rec->take();
  chunk(w, bookmark_line("50"));
  CHECK(rec->take() == lines({"BOOKMARK 50"}));
  CHECK(stats->bookmarks == 1);
  CHECK(query() == std::pair<uint64_t, std::string>{1, "50"});
  tr->reply(w.key, 200);
  run();
  CHECK(param(open_watch().req.path, "resourceVersion") == "50");
}

TEST_CASE_FIXTURE(watch_fixture, "relists are rate-bounded when every watch gets 410") {
  // The server answers every watch with an ERROR 410 event, or with HTTP
  // 410; each relist succeeds. Over 10 simulated minutes the stream must
  // relist at most about once per backoff cap, not in a hot loop.
  for (bool http : {false, true}) {
    CAPTURE(http);
    auto s = std::make_shared<watch_stats>();
    stats = s;
    start();
    uint64_t rv = 100;
    for (auto t = 0ms; t < 10min; t += 100ms) {
      for (auto& c : tr->open()) {
        if (!c.streaming) {
          tr->reply(c.key, 200, list_json(std::to_string(++rv), {}));
        } else if (http) {
          tr->reply(c.key, 410, expired_status());
        } else {
          tr->chunk(c.key, event_line("ERROR", expired_status()));
        }
      }
      advance(100ms);
    }
    auto relists = s->relists.load();
    CHECK(relists >= 15);
    CHECK(relists <= 35);
    CHECK(s->watches.load() == s->lists.load());
    caf::anon_send_exit(stream, caf::exit_reason::user_shutdown);
    stream = nullptr;
    run();
  }
}

TEST_CASE_FIXTURE(watch_fixture, "a healthy watch resets the relist backoff") {
  auto w = start_synced("10");
  // Two quick 410s grow the relist delay ...
  for (int i = 0; i < 2; ++i) {
    chunk(w, event_line("ERROR", expired_status()));
    wait_for_call(10s);
    answer_list(list_json(std::to_string(20 + i), {}));
    w = open_watch();
  }
  // ... a watch with events resets it.
  chunk(w, event_line("ADDED", pod_json("a", "30")));
  chunk(w, event_line("ERROR", expired_status()));
  auto waited = wait_for_call(10s);
  CHECK(waited <= 800ms);
}
