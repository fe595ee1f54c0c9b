// The CRI client against an in-process fake runtime on a unix socket:
// calls and callbacks, deadlines, status mapping, reconnecting after a
// runtime restart, cancellation and destroying the client mid-call.

#include "tests/runtime/fake_runtime.hpp"
#include "tests/runtime/results.hpp"

#include "runtime/cri/client.hpp"
#include "runtime/cri/status.hpp"

#include <doctest/doctest.h>
#include <grpcpp/channel.h>

#include <chrono>
#include <future>

using namespace cafelet;
using namespace cafelet::cri;
using namespace cafelet::test;
using namespace std::chrono_literals;

namespace {

struct fixture {
  temp_dir dir;
  std::string socket = dir.path() + "/cri.sock";
  fake_runtime fake{socket};

  std::unique_ptr<client> make_client(client_options opts = {}) {
    opts.endpoint = fake.endpoint();
    auto c = client::make(std::move(opts));
    REQUIRE(c);
    return std::move(*c);
  }
};

std::chrono::milliseconds since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
    std::chrono::steady_clock::now() - t0);
}

} // namespace

TEST_CASE("cri client: a malformed endpoint is rejected at construction") {
  client_options opts;
  opts.endpoint = "tcp://localhost:10000";
  auto c = client::make(opts);
  REQUIRE_FALSE(c);
  CHECK(is(c.error(), errc::invalid_flag));
}

TEST_CASE_FIXTURE(fixture, "cri client: calls complete through callbacks") {
  auto c = make_client();
  CHECK(c->target().path == socket);

  results<version_info> versions;
  c->runtime_version(versions.callback());
  REQUIRE(versions.wait(1));
  auto v = versions.at(0);
  REQUIRE(v);
  CHECK(v->container_runtime_version() == "fakerd://1.2.3");
  CHECK(v->runtime_api_version == "v1");
  CHECK(fake.last_version_request() == "0.1.0");
  CHECK(fake.last_user_agent().rfind("cafelet/", 0) == 0);

  fake.set_network_ready(false, "NetworkPluginNotReady", "cni not ready");
  results<runtime_status> statuses;
  c->runtime_status(statuses.callback());
  REQUIRE(statuses.wait(1));
  auto st = statuses.at(0);
  REQUIRE(st);
  CHECK(st->runtime_ready);
  CHECK_FALSE(st->network_ready);
  REQUIRE(st->messages.size() == 1);
  CHECK(st->messages[0]
        == "container runtime network not ready: NetworkReady=false "
           "reason:NetworkPluginNotReady message:cni not ready");

  pb::ListPodSandboxRequest list;
  list.mutable_filter()->set_id("sb-7");
  (*list.mutable_filter()->mutable_label_selector())["io.kubernetes.pod.uid"]
    = "u1";
  results<pb::ListPodSandboxResponse> lists;
  c->list_pod_sandbox(std::move(list), lists.callback());
  REQUIRE(lists.wait(1));
  auto items = lists.at(0);
  REQUIRE(items);
  REQUIRE(items->items_size() == 1);
  CHECK(items->items(0).id() == "sb-7");
  CHECK(items->items(0).labels().at("io.kubernetes.pod.uid") == "u1");

  pb::RunPodSandboxRequest run;
  run.mutable_config()->mutable_metadata()->set_uid("uid-1");
  results<pb::RunPodSandboxResponse> runs;
  c->run_pod_sandbox(std::move(run), runs.callback());
  results<pb::ListImagesResponse> images;
  c->list_images({}, images.callback());
  results<pb::ImageStatusResponse> missing;
  pb::ImageStatusRequest img;
  img.mutable_image()->set_image("localhost/nothere:1");
  c->image_status(std::move(img), missing.callback());
  REQUIRE(runs.wait(1));
  REQUIRE(images.wait(1));
  REQUIRE(missing.wait(1));
  REQUIRE(runs.at(0));
  CHECK(runs.at(0)->pod_sandbox_id() == "sb-uid-1");
  REQUIRE(images.at(0));
  CHECK(images.at(0)->images_size() == 2);
  REQUIRE(missing.at(0));
  CHECK_FALSE(missing.at(0)->has_image());
}

TEST_CASE_FIXTURE(fixture, "cri client: many concurrent calls all complete") {
  auto c = make_client();
  constexpr int n = 200;
  results<version_info> versions;
  for (int i = 0; i < n; ++i)
    c->runtime_version(versions.callback());
  REQUIRE(versions.wait(n));
  for (size_t i = 0; i < n; ++i)
    CHECK(versions.at(i));
  CHECK(fake.calls("Version") == n);
}

TEST_CASE_FIXTURE(fixture, "cri client: each call kind carries its deadline") {
  client_options opts;
  opts.request_timeout = 60s;
  opts.query_timeout = 5s;
  auto c = make_client(opts);

  results<pb::VersionResponse> v;
  c->version({}, v.callback());
  results<pb::RunPodSandboxResponse> run;
  c->run_pod_sandbox({}, run.callback());
  results<pb::StopContainerResponse> stop;
  pb::StopContainerRequest stop_req;
  stop_req.set_container_id("c1");
  stop_req.set_timeout(30);
  c->stop_container(std::move(stop_req), stop.callback());
  results<pb::PullImageResponse> pull;
  c->pull_image({}, pull.callback());
  REQUIRE(v.wait(1));
  REQUIRE(run.wait(1));
  REQUIRE(stop.wait(1));
  REQUIRE(pull.wait(1));

  auto within = [](std::optional<std::chrono::milliseconds> d,
                   std::chrono::milliseconds expected) {
    // gRPC sends the timeout rounded up to its wire units.
    REQUIRE(d.has_value());
    CHECK(*d <= expected + 1s);
    CHECK(*d > expected - 3s);
  };
  within(fake.last_deadline("Version"), 5s);
  within(fake.last_deadline("RunPodSandbox"), 60s);
  within(fake.last_deadline("StopContainer"), 90s);
  CHECK(fake.calls("PullImage") == 1);
  CHECK_FALSE(fake.last_deadline("PullImage").has_value());

  // The query deadline never exceeds runtimeRequestTimeout.
  client_options small;
  small.request_timeout = 2s;
  small.query_timeout = 10s;
  auto c2 = make_client(small);
  results<pb::VersionResponse> v2;
  c2->version({}, v2.callback());
  REQUIRE(v2.wait(1));
  within(fake.last_deadline("Version"), 2s);
}

TEST_CASE_FIXTURE(fixture, "cri client: a call past its deadline times out") {
  client_options opts;
  opts.query_timeout = 200ms;
  auto c = make_client(opts);
  fake.hold("Version");
  auto t0 = std::chrono::steady_clock::now();
  results<version_info> versions;
  c->runtime_version(versions.callback());
  REQUIRE(versions.wait(1));
  auto elapsed = since(t0);
  auto r = versions.at(0);
  REQUIRE_FALSE(r);
  CHECK(is(r.error(), errc::timeout));
  CHECK(rpc_code_of(r.error()) == rpc_code::deadline_exceeded);
  CHECK(is_retryable(r.error()));
  CHECK(elapsed >= 150ms);
  CHECK(elapsed < 5s);
  fake.release();
  // The next call is unaffected.
  c->runtime_version(versions.callback());
  REQUIRE(versions.wait(2));
  CHECK(versions.at(1));
}

TEST_CASE_FIXTURE(fixture, "cri client: server status codes become errors") {
  auto c = make_client();
  struct map_case {
    grpc::StatusCode code;
    errc expected;
  };
  for (auto [code, expected] : {
         map_case{grpc::StatusCode::UNAVAILABLE, errc::connection_failed},
         map_case{grpc::StatusCode::NOT_FOUND, errc::not_found},
         map_case{grpc::StatusCode::ALREADY_EXISTS, errc::conflict},
         map_case{grpc::StatusCode::INVALID_ARGUMENT, errc::invalid},
         map_case{grpc::StatusCode::DEADLINE_EXCEEDED, errc::timeout},
         map_case{grpc::StatusCode::UNKNOWN, errc::runtime_error},
         map_case{grpc::StatusCode::FAILED_PRECONDITION, errc::runtime_error},
       }) {
    CAPTURE(static_cast<int>(code));
    fake.fail("RunPodSandbox", code, "sandbox trouble");
    results<pb::RunPodSandboxResponse> run;
    c->run_pod_sandbox({}, run.callback());
    REQUIRE(run.wait(1));
    auto r = run.at(0);
    REQUIRE_FALSE(r);
    CHECK(code_of(r.error()) == expected);
    CHECK(static_cast<int>(rpc_code_of(r.error())) == static_cast<int>(code));
    CHECK(rpc_message_of(r.error()) == "sandbox trouble");
  }
  fake.fail("RunPodSandbox", grpc::StatusCode::UNKNOWN,
            "failed to reserve container name");
  results<pb::RunPodSandboxResponse> run;
  c->run_pod_sandbox({}, run.callback());
  REQUIRE(run.wait(1));
  REQUIRE_FALSE(run.at(0));
  CHECK(context_of(run.at(0).error())
        == "rpc error: code = Unknown desc = failed to reserve container name");
}

TEST_CASE_FIXTURE(fixture, "cri client: an unimplemented method is final") {
  auto c = make_client();
  results<pb::RuntimeConfigResponse> cfg;
  c->runtime_config({}, cfg.callback());
  results<pb::ImageFsInfoResponse> fs;
  c->image_fs_info({}, fs.callback());
  REQUIRE(cfg.wait(1));
  REQUIRE(fs.wait(1));
  REQUIRE_FALSE(cfg.at(0));
  REQUIRE_FALSE(fs.at(0));
  for (const auto& err : {cfg.at(0).error(), fs.at(0).error()}) {
    CHECK(is_unimplemented(err));
    CHECK(is(err, errc::invalid));
    CHECK_FALSE(is_retryable(err));
  }
}

TEST_CASE("cri client: an absent runtime fails fast as retryable") {
  temp_dir dir;
  client_options opts;
  opts.endpoint = "unix://" + dir.path() + "/nobody.sock";
  auto c = client::make(opts);
  REQUIRE(c);
  auto t0 = std::chrono::steady_clock::now();
  results<version_info> versions;
  (*c)->runtime_version(versions.callback());
  REQUIRE(versions.wait(1));
  auto r = versions.at(0);
  REQUIRE_FALSE(r);
  CHECK(is(r.error(), errc::connection_failed));
  CHECK(is_retryable(r.error()));
  CHECK(since(t0) < 5s);
}

TEST_CASE_FIXTURE(fixture, "cri client: reconnects after the runtime "
                           "restarts") {
  auto c = make_client();
  results<version_info> versions;
  c->runtime_version(versions.callback());
  REQUIRE(versions.wait(1));
  REQUIRE(versions.at(0));
  CHECK(c->channel_state() == "ready");

  // The runtime goes away: calls fail fast with a retryable error.
  fake.stop();
  c->runtime_version(versions.callback());
  REQUIRE(versions.wait(2));
  REQUIRE_FALSE(versions.at(1));
  CHECK(is(versions.at(1).error(), errc::connection_failed));

  // It comes back on the same socket: the channel reconnects by itself
  // within the reconnect backoff (waiting here is fine: a test thread, not
  // an actor) and the next call succeeds.
  fake.start();
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE(c->channel()->WaitForConnected(std::chrono::system_clock::now()
                                         + 10s));
  MESSAGE("reconnected " << since(t0).count() << " ms after the restart");
  c->runtime_version(versions.callback());
  REQUIRE(versions.wait(3));
  CHECK(versions.at(2));
  CHECK(fake.calls("Version") == 2);
}

TEST_CASE_FIXTURE(fixture, "cri client: a call started after a restart "
                           "without a failed call in between succeeds") {
  auto c = make_client();
  results<version_info> versions;
  c->runtime_version(versions.callback());
  REQUIRE(versions.wait(1));
  REQUIRE(versions.at(0));
  fake.stop();
  fake.start();
  c->runtime_version(versions.callback());
  REQUIRE(versions.wait(2));
  CHECK(versions.at(1));
}

TEST_CASE_FIXTURE(fixture, "cri client: cancelling a call through its "
                           "handle") {
  auto c = make_client();
  fake.hold("PullImage");
  results<pb::PullImageResponse> pulls;
  pb::PullImageRequest req;
  req.mutable_image()->set_image("localhost/big:1");
  auto handle = c->pull_image(std::move(req), pulls.callback());
  CHECK(handle.pending());
  REQUIRE(fake.wait_held("PullImage", 1, 10s));
  handle.cancel();
  REQUIRE(pulls.wait(1));
  REQUIRE_FALSE(pulls.at(0));
  CHECK(is_cancelled(pulls.at(0).error()));
  // Cancelling again, or a default handle, does nothing.
  handle.cancel();
  call_handle{}.cancel();
  CHECK_FALSE(call_handle{}.pending());
  fake.release();
  CHECK(pulls.size() == 1);
}

TEST_CASE_FIXTURE(fixture, "cri client: destroying the client with calls in "
                           "flight") {
  auto c = make_client();
  fake.hold("ListImages");
  constexpr size_t n = 5;
  results<pb::ListImagesResponse> lists;
  for (size_t i = 0; i < n; ++i)
    c->list_images({}, lists.callback());
  REQUIRE(fake.wait_held("ListImages", static_cast<int>(n), 10s));
  CHECK(lists.size() == 0);
  c.reset();
  // Every callback runs exactly once, with a cancelled error.
  REQUIRE(lists.wait(n));
  for (size_t i = 0; i < n; ++i) {
    REQUIRE_FALSE(lists.at(i));
    CHECK(is_cancelled(lists.at(i).error()));
  }
  fake.release();
  CHECK(lists.size() == n);
}

TEST_CASE_FIXTURE(fixture, "cri client: calls after shutdown fail at once") {
  auto c = make_client();
  c->shutdown();
  c->shutdown();
  results<version_info> versions;
  auto handle = c->runtime_version(versions.callback());
  REQUIRE(versions.size() == 1);
  CHECK_FALSE(handle.pending());
  REQUIRE_FALSE(versions.at(0));
  CHECK(is_cancelled(versions.at(0).error()));
  CHECK(fake.calls("Version") == 0);
}

TEST_CASE_FIXTURE(fixture, "cri client: destroying the client while a "
                           "callback runs") {
  // The call's state, which references the channel, is released on the
  // gRPC thread after the callback returns. Destroy the client while the
  // callback still runs: the channel must not be released on that thread.
  auto c = make_client();
  std::promise<void> destroyed;
  auto destroyed_future = destroyed.get_future();
  results<version_info> versions;
  auto record = versions.callback();
  c->runtime_version([&, record](caf::expected<version_info> r) {
    record(std::move(r));
    destroyed_future.wait_for(10s);
  });
  REQUIRE(versions.wait(1));
  c.reset();
  destroyed.set_value();
  CHECK(versions.at(0));
  // A later client still works (gRPC's callback threads survived).
  auto c2 = make_client();
  c2->runtime_version(versions.callback());
  REQUIRE(versions.wait(2));
  CHECK(versions.at(1));
}
