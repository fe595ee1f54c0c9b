// The pod watch stream end to end: the test API server over HTTPS, the
// node's client certificate from a kubeconfig, the libcurl transport and
// real time. Every wait ends as soon as its condition holds.

#include "actors/api/transport.hpp"
#include "actors/watch/watch_stream.hpp"
#include "messages/errors.hpp"
#include "messages/register.hpp"
#include "net/client/http_client.hpp"
#include "net/client/kubeconfig.hpp"
#include "tests/apiserver/http_front.hpp"
#include "tests/apiserver/pki.hpp"
#include "tests/apiserver/server.hpp"
#include "watch_test_support.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <future>

using namespace cafelet;
using namespace cafelet::actors;
using namespace std::chrono_literals;

namespace {

/// The API server on HTTPS with a node kubeconfig for edge-1.
struct tls_cluster {
  std::string dir;
  apiserver::test_pki pki;
  std::unique_ptr<apiserver::api_server> srv;
  std::unique_ptr<apiserver::http_front> front;
  std::string node_config;
  std::unique_ptr<net::http_client> admin;

  tls_cluster() {
    char tmpl[] = "/tmp/cafelet-watch-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    auto generated = apiserver::test_pki::generate(dir);
    REQUIRE_MESSAGE(static_cast<bool>(generated), describe(generated.error()));
    pki = std::move(*generated);
    apiserver::server_options opts;
    opts.root_ca_pem = pki.ca_pem();
    srv = std::make_unique<apiserver::api_server>(opts);
    auto started = apiserver::http_front::start(
      *srv, {"127.0.0.1", 0, pki.server().cert, pki.server().key,
             pki.ca().cert});
    REQUIRE_MESSAGE(static_cast<bool>(started), describe(started.error()));
    front = std::move(*started);
    auto node = pki.issue_client("edge-1", "system:node:edge-1",
                                 {"system:nodes"});
    REQUIRE(node);
    auto cfg = pki.write_kubeconfig("edge-1", *node, front->url(), "edge-1");
    REQUIRE(cfg);
    node_config = *cfg;
    auto adm = pki.issue_client("admin", "watch-admin", {"system:masters"});
    REQUIRE(adm);
    auto adm_cfg = pki.write_kubeconfig("admin", *adm, front->url(), "admin");
    REQUIRE(adm_cfg);
    auto rest = net::load_kubeconfig(*adm_cfg);
    REQUIRE_MESSAGE(static_cast<bool>(rest), describe(rest.error()));
    net::client_options copts;
    copts.name = "admin";
    auto client = net::http_client::make(*rest, copts);
    REQUIRE_MESSAGE(static_cast<bool>(client), describe(client.error()));
    admin = std::move(*client);
  }

  /// Sends one request as the cluster admin and waits for the status.
  long call(net::http_method method, std::string path, std::string body,
            std::string content_type = "application/json") {
    net::http_request req;
    req.method = method;
    req.path = std::move(path);
    req.body = std::move(body);
    req.content_type = std::move(content_type);
    auto done = std::make_shared<std::promise<net::http_result>>();
    auto result = done->get_future();
    admin->request(std::move(req),
                   [done](net::http_result r) { done->set_value(std::move(r)); });
    if (result.wait_for(20s) != std::future_status::ready)
      return -1;
    auto r = result.get();
    if (!r.ok())
      MESSAGE(describe(r.error));
    return r.response.status;
  }

  long create_pod(const std::string& body) {
    return call(net::http_method::post, "/api/v1/namespaces/default/pods", body);
  }

  long label_pod(std::string_view name, std::string_view tier) {
    std::string patch = R"({"metadata":{"labels":{"tier":")";
    patch += tier;
    patch += R"("}}})";
    return call(net::http_method::patch,
                "/api/v1/namespaces/default/pods/" + std::string{name}, patch,
                "application/merge-patch+json");
  }

  long delete_pod(std::string_view name) {
    return call(net::http_method::del,
                "/api/v1/namespaces/default/pods/" + std::string{name},
                R"({"gracePeriodSeconds":0})");
  }

  ~tls_cluster() {
    admin.reset();
    front.reset();
    srv.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

std::string pod_body(std::string_view name, std::string_view node = "edge-1") {
  std::string out = R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")";
  out += name;
  out += R"(","namespace":"default","labels":{"app":"web"}},"spec":{"nodeName":")";
  out += node;
  out += R"(","containers":[{"name":"app","image":"localhost/busybox:ci"}]}})";
  return out;
}

/// True if some recorded line starts with `prefix` (lock held).
bool seen(const testing::recorded& rec, std::string_view prefix) {
  for (auto& l : rec.lines)
    if (l.compare(0, prefix.size(), prefix) == 0)
      return true;
  return false;
}

} // namespace

TEST_CASE("end to end: pods of one node over HTTPS, cuts and 410") {
  testing::log_capture logs{2};
  tls_cluster k;
  REQUIRE(k.create_pod(pod_body("p1")) == 201);
  REQUIRE(k.create_pod(pod_body("p2")) == 201);
  REQUIRE(k.create_pod(pod_body("other", "edge-2")) == 201);

  auto rest = net::load_kubeconfig(k.node_config);
  REQUIRE_MESSAGE(static_cast<bool>(rest), describe(rest.error()));
  net::client_options copts;
  copts.name = "watch-e2e";
  auto client = net::http_client::make(*rest, copts);
  REQUIRE_MESSAGE(static_cast<bool>(client), describe(client.error()));
  auto transport = std::make_shared<api::http_transport>(std::move(*client));

  caf::actor_system_config cfg;
  register_message_types(cfg);
  cfg.set("scheduler.max-threads", 2);
  caf::actor_system sys{cfg};
  auto rec = std::make_shared<testing::recorded>();
  auto stats = std::make_shared<watch_stats>();
  auto consumer = sys.spawn(testing::recorder, rec);
  watch_stream_config wc;
  wc.path = "/api/v1/pods";
  wc.field_selector = "spec.nodeName=edge-1";
  wc.seed = 7;
  wc.backoff = {50ms, 500ms, 2.0, 0.2};
  wc.consumer = consumer;
  wc.stats = stats;
  wc.log.name = "pods";
  auto stream = sys.spawn(watch_stream<k8s::pod>, transport,
                          std::shared_ptr<api::rate_limiter>{}, wc);
  // Stops both actors however the test ends (the system waits for them).
  struct stopper {
    std::vector<caf::actor> actors;
    ~stopper() {
      for (auto& a : actors)
        caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    }
  } stop{{stream, consumer}};

  // Initial list: only edge-1's pods.
  REQUIRE(rec->wait_for([&] { return !rec->synced.empty(); }));
  {
    std::lock_guard<std::mutex> guard{rec->mtx};
    REQUIRE(rec->lines.size() == 3);
    CHECK(seen(*rec, "ADDED default/p1 "));
    CHECK(seen(*rec, "ADDED default/p2 "));
    CHECK(rec->synced[0].items == 2);
    CHECK(rec->synced[0].generation == 1);
    CHECK_FALSE(seen(*rec, "ADDED default/other"));
  }

  // A new pod arrives through the watch.
  REQUIRE(k.create_pod(pod_body("p3")) == 201);
  REQUIRE(rec->wait_for([&] { return seen(*rec, "ADDED default/p3 "); }));

  // Connection cut: re-watch from the last version, nothing lost.
  CHECK(k.srv->cut_watches("/api/v1/pods", true) == 1);
  REQUIRE(k.create_pod(pod_body("p4")) == 201);
  REQUIRE(rec->wait_for([&] { return seen(*rec, "ADDED default/p4 "); }));
  CHECK(stats->reconnects >= 1);
  CHECK(stats->lists == 1);

  // Graceful end (as a timeout): immediate re-watch, no reconnect counted.
  auto reconnects = stats->reconnects.load();
  auto watches = stats->watches.load();
  CHECK(k.srv->cut_watches("/api/v1/pods") == 1);
  REQUIRE(k.label_pod("p1", "front") == 200);
  REQUIRE(rec->wait_for([&] { return seen(*rec, "MODIFIED default/p1 "); }));
  CHECK(stats->watches > watches);
  CHECK(stats->reconnects == reconnects);

  // An outage during which the history expires: the next watch gets an
  // ERROR 410 event; the relist emits exactly the differences.
  rec->take();
  auto rule = k.srv->fail_requests({"GET", "/api/v1/pods", 503, -1, ""});
  CHECK(k.srv->cut_watches("/api/v1/pods", true) == 1);
  REQUIRE(k.delete_pod("p2") == 200);
  REQUIRE(k.create_pod(pod_body("p5")) == 201);
  REQUIRE(k.label_pod("p3", "back") == 200);
  k.srv->expire_history();
  k.srv->clear_failure(rule);
  REQUIRE(rec->wait_for([&] { return rec->synced.size() == 2; }));
  {
    std::lock_guard<std::mutex> guard{rec->mtx};
    CHECK(seen(*rec, "DELETED default/p2 "));
    CHECK(seen(*rec, "ADDED default/p5 "));
    CHECK(seen(*rec, "MODIFIED default/p3 "));
    CHECK(rec->lines.size() == 4);
    const auto& s = rec->synced[1];
    CHECK(s.generation == 2);
    CHECK(s.items == 4);
    CHECK(s.added == 1);
    CHECK(s.modified == 1);
    CHECK(s.deleted == 1);
  }
  CHECK(stats->relists == 1);
  CHECK(stats->error_events >= 1);
  CHECK(stats->decode_errors == 0);
  CHECK(logs.count({"relisted", "added=1", "modified=1", "deleted=1"}) == 1);

  // Still watching after the relist.
  REQUIRE(k.create_pod(pod_body("p6")) == 201);
  REQUIRE(rec->wait_for([&] { return seen(*rec, "ADDED default/p6 "); }));
  {
    caf::scoped_actor self{sys};
    self->request(stream, 10s, caf::get_atom::value)
      .receive([](uint64_t n, const std::string& rv) {
                 CHECK(n == 5);
                 CHECK_FALSE(rv.empty());
               },
               [](caf::error& err) { FAIL(describe(err)); });
  }

}
