// The pod status manager under virtual time, answered by a scripted
// transport. Expected bodies follow transcripts 09, 11 and 21.
#include "actors/pods/status_manager.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/json/json.hpp"
#include "messages/k8s/time.hpp"
#include "tests/actors/api/scripted_calls.hpp"
#include "tests/actors/pods/pod_builders.hpp"
#include "tests/actors/test_fixture.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace cafelet;
using namespace cafelet::actors::pods;
using namespace std::chrono_literals;
using cafelet::testing::scripted_call;
using cafelet::testing::scripted_transport;

namespace {

constexpr auto uid1 = "73ad0760-0098-4379-b902-ae9e8275eee7";
constexpr auto status_url = "PATCH /api/v1/namespaces/default/pods/web-1/status";
constexpr auto delete_url = "DELETE /api/v1/namespaces/default/pods/web-1";

const std::string server_error
  = R"~({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"etcd timeout","reason":"InternalError","code":500})~";
const std::string not_found
  = R"~({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"web-1\" not found","reason":"NotFound","details":{"name":"web-1","kind":"pods"},"code":404})~";
// Transcript 09, exchange 4.
const std::string uid_mismatch
  = R"~({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Pod \"web-1\" is invalid: metadata.uid: Invalid value: \"00000000-0000-0000-0000-000000000000\": field is immutable","reason":"Invalid","details":{"name":"web-1","kind":"Pod","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: \"00000000-0000-0000-0000-000000000000\": field is immutable","field":"metadata.uid"}]},"code":422})~";
// Transcript 10, exchange 1.
const std::string invalid_ip
  = R"~({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Pod \"web-1\" is invalid: status.podIPs[0]: Invalid value: \"10.88.0.300\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)","reason":"Invalid","details":{"name":"web-1","kind":"Pod","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: \"10.88.0.300\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)","field":"status.podIPs[0]"}]},"code":422})~";
// Transcript 11, exchange 3.
const std::string delete_conflict
  = R"~({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on Pod \"web-1\": the UID in the precondition (00000000-0000-0000-0000-000000000000) does not match the UID in record (a43dfde4-248f-4ffa-aa9d-98e0cedcbcd0). The object might have been deleted and then recreated","reason":"Conflict","details":{"name":"web-1","kind":"Pod"},"code":409})~";

k8s::timestamp ts(std::string_view text) {
  auto t = k8s::parse_time(text);
  REQUIRE(t);
  return *t;
}

json::value parse(std::string_view text) {
  auto v = json::parse(text);
  REQUIRE_MESSAGE(v, "not JSON: " << text);
  return *v;
}

k8s::pod_condition cond(std::string type, bool ok, std::string reason = {},
                        std::string message = {}) {
  k8s::pod_condition c;
  c.type = std::move(type);
  c.status = ok ? "True" : "False";
  c.last_transition_time = ts("2026-11-22T02:59:31Z");
  c.reason = std::move(reason);
  c.message = std::move(message);
  return c;
}

/// A status of pod web-1 (one container "app") as a pod actor computes it.
/// `restarts` makes successive statuses differ.
k8s::pod_status running(bool ready, int32_t restarts = 0) {
  k8s::pod_status s;
  s.phase = "Running";
  const char* why = ready ? "" : "ContainersNotReady";
  const char* msg = ready ? "" : "containers with unready status: [app]";
  s.conditions = {cond("PodReadyToStartContainers", true),
                  cond("Initialized", true), cond("Ready", ready, why, msg),
                  cond("ContainersReady", ready, why, msg),
                  cond("PodScheduled", true)};
  s.host_ip = "192.0.2.2";
  s.host_ips = {"192.0.2.2"};
  s.pod_ip = "10.88.0.2";
  s.pod_ips = {"10.88.0.2"};
  s.start_time = ts("2026-11-22T02:59:31Z");
  s.qos_class = "BestEffort";
  k8s::container_status c;
  c.name = "app";
  c.state.running = k8s::container_state_running{ts("2026-11-22T02:59:32Z")};
  c.ready = ready;
  c.started = true;
  c.restart_count = restarts;
  c.image = "localhost/busybox:ci";
  c.image_id = "sha256:b0c19d8da68236862b950d0dd16e8a6a0d762bec471a8591e14e117dc8be5bb3";
  c.container_id = "containerd://8eafa1296749971d97f8fe41519eba92bfb4907f5331d9ac39e5ca65973cd368";
  s.container_statuses.push_back(std::move(c));
  return s;
}

/// The final status after the container was killed (transcript 21).
k8s::pod_status failed() {
  auto s = running(false);
  s.phase = "Failed";
  s.conditions[0].status = "False";
  s.conditions[2].reason = s.conditions[3].reason = "PodFailed";
  s.conditions[2].message = s.conditions[3].message = "";
  auto& c = s.container_statuses[0];
  k8s::container_state_terminated t;
  t.exit_code = 137;
  t.reason = "Error";
  t.started_at = ts("2026-11-22T02:59:32Z");
  t.finished_at = ts("2026-11-22T02:59:59Z");
  t.container_id = c.container_id;
  c.state = {};
  c.state.terminated = t;
  c.started = false;
  return s;
}

/// Pod web-1 as the API server has it: `server` is its status there.
k8s::pod_ptr make_web(k8s::pod_status server = {}, bool deleting = false,
                      std::string uid = uid1,
                      std::string restart_policy = "Always") {
  auto p = test::make_pod("web-1", std::move(uid));
  p.spec.containers.push_back(test::make_container("app"));
  p.spec.restart_policy = std::move(restart_policy);
  p.status = std::move(server);
  if (deleting) {
    p.metadata.deletion_timestamp = ts("2026-11-22T02:59:57Z");
    p.metadata.deletion_grace_period_seconds = 30;
  }
  return std::make_shared<const k8s::pod>(std::move(p));
}

pod_status_update update(k8s::pod_ptr pod, k8s::pod_status s,
                         bool final = false) {
  return {std::move(pod), std::make_shared<const k8s::pod_status>(std::move(s)),
          final};
}

struct fixture : cafelet::testing::deterministic_fixture,
                 cafelet::testing::scripted_calls<fixture> {
  std::shared_ptr<scripted_transport> api = std::make_shared<scripted_transport>();
  std::shared_ptr<status_manager_stats> stats
    = std::make_shared<status_manager_stats>();
  std::shared_ptr<final_status_journal> finals
    = std::make_shared<final_status_journal>();
  std::shared_ptr<api::rate_limiter> limiter;
  caf::actor mgr;

  status_manager_config config() {
    status_manager_config cfg;
    cfg.seed = 42;
    cfg.stats = stats;
    cfg.finals = finals;
    return cfg;
  }

  void start(status_manager_config cfg) {
    mgr = sys->spawn(status_manager, api, limiter, std::move(cfg));
    run();
  }

  void start() {
    start(config());
  }

  ~fixture() {
    if (mgr)
      caf::anon_send_exit(mgr, caf::exit_reason::user_shutdown);
    run();
  }

  void send(pod_status_update x) {
    caf::anon_send(mgr, std::move(x));
    run();
  }

  status_manager_snapshot snapshot() {
    auto seen = ask<status_manager_snapshot>(mgr, caf::get_atom::value);
    REQUIRE(seen);
    return *seen;
  }

  /// restartCount of the first container status in a patch body.
  static int64_t restarts_in(const scripted_call& c) {
    auto body = parse(c.req.body);
    const auto* xs = body.find_path({"status", "containerStatuses"});
    REQUIRE(xs != nullptr);
    REQUIRE(xs->size() == 1);
    return xs->as_array()[0].get_int("restartCount", -1);
  }
};

} // namespace

TEST_CASE_FIXTURE(fixture, "a status is patched as the kubelet does") {
  start();
  send(update(make_web(), running(true)));
  auto c = expect(status_url);
  CHECK(c.req.content_type == "application/strategic-merge-patch+json");
  CHECK(c.req.path == "/api/v1/namespaces/default/pods/web-1/status");
  auto body = parse(c.req.body);
  CHECK(body.find_path({"metadata", "uid"})->as_string() == uid1);
  CHECK(*body.find_path({"status", "$setElementOrder/conditions"})
        == parse(R"([{"type":"PodReadyToStartContainers"},{"type":"Initialized"},{"type":"Ready"},{"type":"ContainersReady"},{"type":"PodScheduled"}])"));
  CHECK(body.find_path({"status", "phase"})->as_string() == "Running");
  CHECK(body.find_path({"status", "podIP"})->as_string() == "10.88.0.2");
  // Ready True clears a stale reason/message with null (transcript 21).
  const auto* conds = body.find_path({"status", "conditions"});
  REQUIRE(conds != nullptr);
  bool saw_ready = false;
  for (const auto& x : conds->as_array())
    if (x.get_string("type") == "Ready") {
      saw_ready = true;
      CHECK(x.get_string("status") == "True");
      REQUIRE(x.find("reason") != nullptr);
      CHECK(x.find("reason")->is_null());
    }
  CHECK(saw_ready);
  auto cs = body.find_path({"status", "containerStatuses"})->as_array().at(0);
  CHECK(cs.get_string("containerID")
        == "containerd://8eafa1296749971d97f8fe41519eba92bfb4907f5331d9ac39e5ca65973cd368");
  CHECK(cs.find_path({"state", "running", "startedAt"})->as_string()
        == "2026-11-22T02:59:32Z");
  CHECK(snapshot().pending == 1);
  api->reply(c.key, 200);
  run();
  CHECK(api->open().empty());
  CHECK(stats->patches_accepted == 1);
  auto s = snapshot();
  CHECK(s.pods == 1);
  CHECK(s.pending == 0);
  CHECK(s.patches_sent == 1);
  CHECK(s.patch_failures == 0);
}

TEST_CASE_FIXTURE(fixture, "10 updates while a patch is in flight become one patch with the newest") {
  start();
  send(update(make_web(), running(false, 0)));
  auto first = expect(status_url);
  for (int i = 1; i <= 10; ++i)
    send(update(make_web(), running(false, i)));
  CHECK(api->open().size() == 1); // still only the first
  api->reply(first.key, 200);
  run();
  auto second = expect(status_url);
  CHECK(restarts_in(second) == 10);
  api->reply(second.key, 200);
  run();
  CHECK(api->open().empty());
  CHECK(stats->patches_sent == 2);
  CHECK(stats->coalesced == 9);
  CHECK(snapshot().pending == 0);
}

TEST_CASE_FIXTURE(fixture, "a burst of updates is sent once, with the newest status") {
  start();
  auto pod = make_web();
  for (int i = 0; i < 10; ++i)
    caf::anon_send(mgr, update(pod, running(false, i)));
  run();
  REQUIRE(api->open().size() == 1);
  CHECK(restarts_in(expect(status_url)) == 9);
  CHECK(stats->updates == 10);
}

TEST_CASE_FIXTURE(fixture, "an unchanged status is not sent again") {
  start();
  // Equal to what the API server has: nothing to send.
  send(update(make_web(running(true)), running(true)));
  CHECK(api->open().empty());
  CHECK(stats->unchanged == 1);
  send(update(make_web(running(true)), running(false)));
  answer(status_url, 200);
  // Same content again, with different condition times only: not sent.
  auto same = running(false);
  for (auto& c : same.conditions)
    c.last_transition_time = ts("2026-11-22T03:10:00Z");
  send(update(make_web(running(true)), same));
  CHECK(api->open().empty());
  CHECK(stats->unchanged == 2);
  CHECK(stats->patches_sent == 1);
  // A real change is sent.
  send(update(make_web(running(true)), running(true)));
  CHECK(expect(status_url).req.body.find(R"("ready":true)") != std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "500s and connection failures are retried with a capped jittered backoff") {
  start();
  send(update(make_web(), running(true)));
  // Nominal delays 500 ms doubling to the 10 s cap; jitter draws each
  // from (0.8 d, d].
  std::vector<int> nominal{500, 1000, 2000, 4000, 8000, 10000, 10000};
  bool use_500 = true;
  std::string body;
  for (auto d : nominal) {
    auto c = expect(status_url);
    if (body.empty())
      body = c.req.body;
    CHECK(c.req.body == body); // the same status, not lost
    if (use_500)
      api->reply(c.key, 500, server_error);
    else
      api->fail(c.key, make_error(errc::connection_failed, "connection refused"));
    use_500 = !use_500;
    run();
    auto lo = std::chrono::milliseconds{d * 8 / 10};
    advance(lo - 1ms);
    CHECK_MESSAGE(api->open().empty(), "retry came before " << lo.count() << " ms");
    advance(std::chrono::milliseconds{d} - lo + 1ms);
    CHECK_MESSAGE(api->open().size() == 1, "no retry within " << d << " ms");
  }
  answer(status_url, 200);
  CHECK(stats->patch_failures == nominal.size());
  CHECK(stats->patches_accepted == 1);
  CHECK(snapshot().pending == 0);
  // Success resets the backoff: the next failure retries after ~500 ms.
  send(update(make_web(), running(false)));
  answer(status_url, 503, server_error);
  advance(501ms);
  CHECK(api->open().size() == 1);
}

TEST_CASE_FIXTURE(fixture, "a newer status during backoff waits for the retry and replaces the old one") {
  start();
  send(update(make_web(), running(false, 0)));
  answer(status_url, 500, server_error);
  send(update(make_web(), running(false, 5)));
  CHECK(api->open().empty()); // backoff still running
  advance(501ms);
  CHECK(restarts_in(expect(status_url)) == 5);
}

TEST_CASE_FIXTURE(fixture, "non-retryable errors are retried at the slow pace of the periodic sync") {
  start();
  send(update(make_web(), running(true)));
  answer(status_url, 403,
         R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"forbidden","reason":"Forbidden","code":403})");
  advance(9999ms);
  CHECK(api->open().empty());
  advance(1ms);
  answer(status_url, 422, invalid_ip); // validation error: kept, not dropped
  CHECK(stats->last_http_status == 422);
  CHECK(snapshot().pods == 1);
  advance(10s);
  answer(status_url, 200);
  CHECK(snapshot().pending == 0);
}

TEST_CASE_FIXTURE(fixture, "429 Retry-After is honoured") {
  start();
  send(update(make_web(), running(true)));
  answer(status_url, 429,
         R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"too many requests","reason":"TooManyRequests","details":{"retryAfterSeconds":3},"code":429})");
  advance(2999ms);
  CHECK(api->open().empty());
  advance(1ms);
  CHECK(api->open().size() == 1);
}

TEST_CASE_FIXTURE(fixture, "404 drops the pod and its later updates") {
  start();
  send(update(make_web(), running(true)));
  answer(status_url, 404, not_found);
  auto s = snapshot();
  CHECK(s.pods == 0);
  CHECK(s.gone == 1);
  send(update(make_web(), running(false)));
  CHECK(api->open().empty());
  CHECK(stats->dropped == 2);
  // Another pod is not affected.
  send(update(make_web({}, false, "other-uid"), running(true)));
  CHECK(expect(status_url).req.body.find("other-uid") != std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "422 on the uid precondition (pod replaced) drops that uid") {
  start();
  send(update(make_web(), running(true)));
  answer(status_url, 422, uid_mismatch);
  CHECK(snapshot().pods == 0);
  // Even a final status of the replaced pod is not sent.
  send(update(make_web({}, true), failed(), true));
  CHECK(api->open().empty());
  CHECK(finals->size() == 0);
  advance(30s);
  CHECK(api->open().empty());
}

TEST_CASE_FIXTURE(fixture, "409 on a status patch drops that uid as well") {
  start();
  send(update(make_web(), running(true)));
  answer(status_url, 409, delete_conflict);
  CHECK(snapshot().pods == 0);
  CHECK(snapshot().gone == 1);
}

TEST_CASE_FIXTURE(fixture, "a final status is retried until accepted, then the pod is deleted with gracePeriodSeconds=0 and its uid") {
  start();
  send(update(make_web(running(true), true), failed(), true));
  CHECK(finals->size() == 1);
  auto c = expect(status_url);
  CHECK(parse(c.req.body).find_path({"status", "phase"})->as_string() == "Failed");
  api->reply(c.key, 500, server_error);
  run();
  advance(600ms);
  auto c2 = expect(status_url);
  api->fail(c2.key, make_error(errc::timeout, "request timed out"));
  run();
  advance(1100ms);
  answer(status_url, 200);
  // Now the final DELETE, as the real kubelet sends it (transcripts 11, 21).
  auto del = expect(delete_url);
  auto opts = parse(del.req.body);
  CHECK(opts.get_string("kind") == "DeleteOptions");
  CHECK(opts.find("gracePeriodSeconds")->as_int() == 0);
  CHECK(opts.find_path({"preconditions", "uid"})->as_string() == uid1);
  CHECK(del.req.path == "/api/v1/namespaces/default/pods/web-1");
  // A failed DELETE is retried too.
  api->reply(del.key, 500, server_error);
  run();
  advance(600ms);
  answer(delete_url, 200, "{}");
  CHECK(api->open().empty());
  CHECK(stats->deletes_sent == 2);
  CHECK(stats->deletes_done == 1);
  CHECK(stats->delete_failures == 1);
  // Forgotten after the final status: no memory kept, late updates ignored.
  auto s = snapshot();
  CHECK(s.pods == 0);
  CHECK(s.pending == 0);
  CHECK(finals->size() == 0);
  send(update(make_web(running(true), true), failed(), true));
  CHECK(api->open().empty());
}

TEST_CASE_FIXTURE(fixture, "a 409 or 404 answer to the final DELETE counts as done") {
  start();
  send(update(make_web(running(true), true), failed(), true));
  answer(status_url, 200);
  answer(delete_url, 409, delete_conflict);
  CHECK(stats->deletes_done == 1);
  CHECK(snapshot().pods == 0);
  send(update(make_web(running(true), true, "uid-2"), failed(), true));
  answer(status_url, 200);
  answer(delete_url, 404, not_found);
  CHECK(stats->deletes_done == 2);
  CHECK(snapshot().pods == 0);
}

TEST_CASE_FIXTURE(fixture, "a final status of a pod not being deleted is forgotten once accepted") {
  start();
  send(update(make_web(running(true)), failed(), true));
  answer(status_url, 200);
  CHECK(api->open().empty()); // no DELETE
  CHECK(snapshot().pods == 0);
  CHECK(finals->size() == 0);
  // Deleted later: the pod actor sends the final status again with the
  // deleting pod, whose server status already is final: only the DELETE.
  send(update(make_web(failed(), true), failed(), true));
  answer(delete_url, 200);
  CHECK(stats->patches_sent == 1);
  CHECK(stats->deletes_done == 1);
}

TEST_CASE_FIXTURE(fixture, "the patched pod returned by the server tells that it is being deleted") {
  start();
  send(update(make_web(running(true)), failed(), true));
  auto c = expect(status_url);
  api->reply(c.key, 200,
             std::string{R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-1","namespace":"default","uid":")"}
               + uid1
               + R"(","resourceVersion":"323","deletionTimestamp":"2026-11-22T02:59:57Z","deletionGracePeriodSeconds":30},"spec":{"containers":[{"name":"app","image":"localhost/busybox:ci"}]},"status":{"phase":"Failed"}})");
  run();
  answer(delete_url, 200);
  CHECK(stats->deletes_done == 1);
}

TEST_CASE_FIXTURE(fixture, "mirror pods are never deleted") {
  start();
  auto p = test::make_pod("web-1", uid1);
  p.metadata.annotations["kubernetes.io/config.mirror"] = "abc";
  p.metadata.deletion_timestamp = ts("2026-11-22T02:59:57Z");
  send(update(std::make_shared<const k8s::pod>(p), failed(), true));
  answer(status_url, 200);
  CHECK(api->open().empty());
  CHECK(snapshot().pods == 0);
}

TEST_CASE_FIXTURE(fixture, "a non-final status after the final one is ignored") {
  start();
  send(update(make_web(running(true), true), failed(), true));
  auto c = expect(status_url);
  send(update(make_web(running(true), true), running(true, 3)));
  api->reply(c.key, 200);
  run();
  answer(delete_url, 200); // the final status stays; no patch for the late one
  CHECK(stats->patches_sent == 1);
}

TEST_CASE_FIXTURE(fixture, "forget drops the entry and cancels its call") {
  start();
  send(update(make_web(), running(true)));
  auto c = expect(status_url);
  caf::anon_send(mgr, status_forget_atom::value, std::string{uid1});
  run();
  CHECK(api->open().empty());
  CHECK(api->all().back().cancelled);
  auto s = snapshot();
  CHECK(s.pods == 0);
  CHECK(s.in_flight == 0);
  CHECK(stats->forgotten == 1);
  // A late update of the dying pod actor causes no call.
  send(update(make_web(), running(false)));
  CHECK(api->open().empty());
}

TEST_CASE_FIXTURE(fixture, "forget keeps a pending final status until it is published") {
  start();
  send(update(make_web(running(true), true), failed(), true));
  auto c = expect(status_url);
  // The pod manager forgets the pod as soon as its worker is done.
  caf::anon_send(mgr, status_forget_atom::value, std::string{uid1});
  run();
  CHECK(api->open().size() == 1); // not cancelled
  send(update(make_web(running(true), true), running(true, 7))); // ignored
  api->reply(c.key, 200);
  run();
  answer(delete_url, 200);
  CHECK(api->open().empty());
  CHECK(stats->patches_sent == 1);
  CHECK(snapshot().pods == 0);
  CHECK(finals->size() == 0);
}

TEST_CASE_FIXTURE(fixture, "a forgotten final status ends at the first non-retryable answer") {
  start();
  send(update(make_web(running(true), true), failed(), true));
  caf::anon_send(mgr, status_forget_atom::value, std::string{uid1});
  run();
  answer(status_url, 503, server_error); // retryable: tried again
  advance(600ms);
  // Once the pod is deleted the node authorizer answers 403 (transcript 11).
  answer(status_url, 403,
         R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"forbidden","reason":"Forbidden","code":403})");
  CHECK(snapshot().pods == 0);
  CHECK(finals->size() == 0);
  advance(30s);
  CHECK(api->open().empty());
}

TEST_CASE_FIXTURE(fixture, "memory stays bounded: forgotten uids are remembered up to a cap") {
  auto cfg = config();
  cfg.gone_capacity = 8;
  start(cfg);
  for (int i = 0; i < 100; ++i)
    caf::anon_send(mgr, status_forget_atom::value, "uid-" + std::to_string(i));
  run();
  CHECK(snapshot().gone == 8);
}

TEST_CASE_FIXTURE(fixture, "a restarted status manager resumes a pending final status") {
  start();
  send(update(make_web(running(true), true), failed(), true));
  answer(status_url, 500, server_error);
  caf::anon_send(mgr, crash_atom::value);
  run();
  CHECK(finals->size() == 1);
  // The supervisor spawns a new incarnation with the same shared state.
  start();
  auto c = expect(status_url);
  CHECK(parse(c.req.body).find_path({"status", "phase"})->as_string() == "Failed");
  api->reply(c.key, 200);
  run();
  answer(delete_url, 200);
  CHECK(finals->size() == 0);
  CHECK(stats->patches_sent == 2); // counters survive the restart
}

TEST_CASE_FIXTURE(fixture, "an illegal container transition is refused") {
  start();
  auto done = failed();
  done.phase = "Failed";
  auto pod = make_web(done, false, uid1, "Never");
  send(update(pod, running(true)));
  CHECK(api->open().empty());
  CHECK(stats->dropped == 1);
  CHECK(snapshot().pods == 0);
}

TEST_CASE_FIXTURE(fixture, "malformed updates are ignored") {
  start();
  send(pod_status_update{});
  send(pod_status_update{make_web(), nullptr, true});
  auto p = test::make_pod("web/../x", uid1);
  send(update(std::make_shared<const k8s::pod>(p), running(true)));
  auto q = test::make_pod("web-1", "");
  send(update(std::make_shared<const k8s::pod>(q), running(true)));
  CHECK(api->open().empty());
  CHECK(stats->dropped == 4);
  CHECK(snapshot().pods == 0);
  // Still working.
  send(update(make_web(), running(true)));
  expect(status_url);
}

TEST_CASE_FIXTURE(fixture, "patches go through the shared rate limiter") {
  limiter = std::make_shared<api::rate_limiter>(
    1.0, 1, [this] { return sys->clock().now(); });
  start();
  send(update(make_web(), running(true)));
  send(update(make_web({}, false, "uid-2"), running(true)));
  CHECK(api->open().size() == 1); // the second waits for a token
  advance(999ms);
  CHECK(api->open().size() == 1);
  advance(1ms);
  CHECK(api->open().size() == 2);
}

// -- static pods: statuses go to their mirror pods ----------------------------

namespace {

/// Static pod web-1 (from a file; its UID is `uid1`).
k8s::pod_ptr make_static_web() {
  auto p = test::make_pod("web-1", uid1);
  p.spec.containers.push_back(test::make_container("app"));
  p.spec.restart_policy = "Always";
  p.metadata.annotations["kubernetes.io/config.source"] = "file";
  p.metadata.annotations["kubernetes.io/config.hash"] = uid1;
  p.status.phase = "Pending";
  return std::make_shared<const k8s::pod>(std::move(p));
}

/// The mirror pod of static pod web-1 with uid `mirror_uid`.
k8s::pod_ptr make_mirror(std::string mirror_uid, k8s::pod_status server = {}) {
  auto p = test::make_pod("web-1", std::move(mirror_uid));
  p.spec.containers.push_back(test::make_container("app"));
  p.spec.restart_policy = "Always";
  p.metadata.annotations["kubernetes.io/config.source"] = "file";
  p.metadata.annotations["kubernetes.io/config.hash"] = uid1;
  p.metadata.annotations["kubernetes.io/config.mirror"] = uid1;
  p.status = std::move(server);
  return std::make_shared<const k8s::pod>(std::move(p));
}

/// metadata.uid (the precondition) of a patch.
std::string precondition_of(const scripted_call& c) {
  auto body = parse(c.req.body);
  const auto* uid = body.find_path({"metadata", "uid"});
  REQUIRE(uid != nullptr);
  return uid->as_string();
}

std::string phase_of(const scripted_call& c) {
  auto body = parse(c.req.body);
  const auto* phase = body.find_path({"status", "phase"});
  REQUIRE(phase != nullptr);
  return phase->as_string();
}

struct static_fixture : fixture {
  void mirror(k8s::pod_ptr m) {
    caf::anon_send(mgr, mirror_pod_atom::value, std::string{uid1}, std::move(m));
    run();
  }
};

} // namespace

TEST_CASE_FIXTURE(static_fixture, "a static pod's status waits for its mirror pod and then goes to it") {
  start();
  send(update(make_static_web(), running(true)));
  CHECK(api->open().empty());
  CHECK(snapshot().pending == 1);
  advance(30s); // periodic syncs: still no mirror
  CHECK(api->open().empty());
  mirror(make_mirror("mirror-1"));
  auto c = expect(status_url);
  CHECK(precondition_of(c) == "mirror-1");
  api->reply(c.key, 200);
  run();
  CHECK(api->open().empty());
  CHECK(snapshot().pending == 0);
  // The same mirror again (a newer version of it): nothing to re-send.
  mirror(make_mirror("mirror-1", running(true)));
  CHECK(api->open().empty());
  // Later statuses go to the mirror as well.
  send(update(make_static_web(), running(false)));
  CHECK(precondition_of(expect(status_url)) == "mirror-1");
}

TEST_CASE_FIXTURE(static_fixture, "a static pod whose mirror is known is patched at once; an unchanged mirror status is not") {
  start();
  mirror(make_mirror("mirror-1", running(true)));
  send(update(make_static_web(), running(true)));
  CHECK(api->open().empty()); // the mirror already shows it
  CHECK(stats->unchanged == 1);
  send(update(make_static_web(), running(false)));
  CHECK(precondition_of(expect(status_url)) == "mirror-1");
}

TEST_CASE_FIXTURE(static_fixture, "a gone mirror pod makes the status retry; a new mirror gets the newest final status") {
  start();
  mirror(make_mirror("mirror-1"));
  send(update(make_static_web(), running(true)));
  answer(status_url, 404, not_found);
  // Not dropped: it retries until the mirror manager names a new mirror.
  auto s = snapshot();
  CHECK(s.pods == 1);
  CHECK(s.gone == 0);
  CHECK(api->open().empty());
  advance(10s); // (404 is not retryable: the backoff's cap)
  CHECK(precondition_of(expect(status_url)) == "mirror-1");
  answer(status_url, 404, not_found);
  send(update(make_static_web(), failed(), true));
  CHECK(finals->size() == 1);
  mirror(make_mirror("mirror-2"));
  auto c = expect(status_url);
  CHECK(precondition_of(c) == "mirror-2");
  CHECK(phase_of(c) == "Failed");
  api->reply(c.key, 200);
  run();
  // No DELETE for a static pod; it stays for the next mirror.
  advance(30s);
  CHECK(api->open().empty());
  CHECK(snapshot().pods == 1);
  // The mirror was replaced: the new one gets the final status again.
  mirror(make_mirror("mirror-3"));
  auto c3 = expect(status_url);
  CHECK(precondition_of(c3) == "mirror-3");
  CHECK(phase_of(c3) == "Failed");
  // 409 (mirror replaced meanwhile): retried likewise.
  api->reply(c3.key, 409, delete_conflict);
  run();
  CHECK(api->open().empty());
  advance(10s);
  answer(status_url, 200);
  CHECK(snapshot().pods == 1);
  // The pod manager forgets the pod (its worker is done): the entry goes.
  caf::anon_send(mgr, status_forget_atom::value, std::string{uid1});
  run();
  CHECK(snapshot().pods == 0);
  CHECK(finals->size() == 0);
  mirror(make_mirror("mirror-4"));
  CHECK(api->open().empty());
}

TEST_CASE_FIXTURE(static_fixture, "no mirror announced: patches stop until the next mirror") {
  start();
  mirror(make_mirror("mirror-1"));
  send(update(make_static_web(), running(true)));
  answer(status_url, 200);
  mirror(nullptr);
  send(update(make_static_web(), running(false, 1)));
  send(update(make_static_web(), running(false, 2)));
  advance(30s);
  CHECK(api->open().empty());
  mirror(make_mirror("mirror-2"));
  auto c = expect(status_url);
  CHECK(precondition_of(c) == "mirror-2");
  CHECK(restarts_in(c) == 2);
}

TEST_CASE_FIXTURE(static_fixture, "a new mirror while a patch is in flight cancels it and patches the new one") {
  start();
  mirror(make_mirror("mirror-1"));
  send(update(make_static_web(), running(true)));
  expect(status_url);
  mirror(make_mirror("mirror-2"));
  CHECK(api->all().at(0).cancelled);
  CHECK(precondition_of(expect(status_url)) == "mirror-2");
}

TEST_CASE_FIXTURE(static_fixture, "local mode: no transport, the pod board gets the newest status") {
  auto board = std::make_shared<pod_board>();
  auto cfg = config();
  cfg.board = board;
  mgr = sys->spawn(status_manager, std::shared_ptr<cafelet::api::transport>{}, limiter, cfg);
  run();
  send(update(make_web({}, false, "uid-api"), running(false, 1)));
  send(update(make_web({}, false, "uid-api"), running(false, 4)));
  send(update(make_static_web(), running(true)));
  mirror(make_mirror("mirror-1")); // harmless without a transport
  send(update(make_static_web(), failed(), true));
  advance(30s);
  auto s = snapshot();
  CHECK(s.patches_sent == 0);
  CHECK(s.in_flight == 0);
  CHECK(s.deletes_sent == 0);
  CHECK(api->all().empty());
  REQUIRE(board->size() == 2);
  auto items = parse(board->pod_list_json()).find("items")->as_array();
  REQUIRE(items.size() == 2);
  for (const auto& x : items) {
    auto uid = x.find_path({"metadata", "uid"})->as_string();
    if (uid == uid1) {
      CHECK(x.find_path({"status", "phase"})->as_string() == "Failed");
    } else {
      CHECK(uid == "uid-api");
      CHECK(x.find_path({"status", "containerStatuses"})->as_array().at(0).get_int(
              "restartCount")
            == 4);
    }
  }
  // Forgetting the entry works without a transport too, final or not.
  caf::anon_send(mgr, status_forget_atom::value, std::string{uid1});
  run();
  CHECK(snapshot().pods == 1);
  CHECK(finals->size() == 0);
  CHECK(api->all().empty());
}

// A static pod's UID is a hash of its manifest: a manifest removed and put
// back gives the same UID. Once forgotten, the UID is dropped: late statuses
// of the old worker change nothing; the pod manager's revive takes it back,
// and the new worker's statuses reach the new mirror.
TEST_CASE_FIXTURE(static_fixture, "a static pod added back with the same UID gets its statuses published again") {
  start();
  mirror(make_mirror("mirror-1"));
  send(update(make_static_web(), running(true)));
  answer(status_url, 200);
  // The manifest is removed: the pod stops and is forgotten.
  mirror(nullptr);
  caf::anon_send(mgr, status_forget_atom::value, std::string{uid1});
  run();
  // The old worker's late final status is ignored, even with a new mirror.
  mirror(make_mirror("mirror-2"));
  send(update(make_static_web(), failed(), true));
  CHECK(api->open().empty());
  CHECK(finals->size() == 0);
  // The same manifest is back: same UID, revived, new statuses.
  caf::anon_send(mgr, status_revive_atom::value, std::string{uid1});
  run();
  send(update(make_static_web(), running(false)));
  auto c = api->next();
  REQUIRE(c.has_value());
  CHECK(precondition_of(*c) == "mirror-2");
  CHECK(phase_of(*c) == "Running");
}
