// The pod worker under virtual time against a scripted runtime: start-up
// pipeline, restarts with CrashLoopBackOff, completion per restart policy,
// graceful termination and clean-up, failures reported with upstream reasons.
#include "tests/actors/pods/pod_worker_fixture.hpp"

using namespace cafelet;
using namespace cafelet::actors;
using namespace cafelet::test;
using namespace std::chrono_literals;

TEST_CASE_FIXTURE(fixture, "a pod starts: sandbox, image, create, start; status Running") {
  start(pod_with("Always"));
  CHECK(rt->calls == std::vector<std::string>{"find_pod", "run_sandbox 0",
                                              "image_status app", "create app 0",
                                              "start c1"});
  auto& s = seen().last();
  CHECK(s.phase == "Running");
  CHECK(s.pod_ip == "10.88.0.7");
  CHECK(s.host_ip == "192.0.2.2");
  CHECK(app().container_id == "containerd://c1");
  CHECK(app().state.running.has_value());
  CHECK(app().ready);
  CHECK(seen().has_event("Created"));
  CHECK(seen().has_event("Started"));
}

TEST_CASE_FIXTURE(fixture, "restartPolicy Always restarts with a growing CrashLoopBackOff") {
  start(pod_with("Always"));
  // As upstream: the first crash restarts at once, and starts the backoff.
  died("c1", 3);
  CHECK(rt->called("create app 1"));
  CHECK(app().restart_count == 1);
  CHECK(app().last_state.terminated.has_value());
  CHECK(app().last_state.terminated->exit_code == 3);
  // The second crash within the backoff waits 10 s in CrashLoopBackOff.
  died("c2", 3);
  REQUIRE(app().state.waiting.has_value());
  CHECK(app().state.waiting->reason == "CrashLoopBackOff");
  CHECK(app().state.waiting->message.find("back-off 10s") == 0);
  CHECK(seen().has_event("BackOff"));
  advance(9s);
  CHECK(!rt->called("create app 2"));
  advance(1s);
  CHECK(rt->called("create app 2"));
  CHECK(app().restart_count == 2);
  CHECK(app().state.running.has_value());
  // The next one waits 20 s.
  died("c3", 3);
  CHECK(app().state.waiting->message.find("back-off 20s") == 0);
  advance(19s);
  CHECK(!rt->called("create app 3"));
  advance(1s);
  CHECK(rt->called("create app 3"));
  // One dead container is kept per name; older ones are removed.
  CHECK(rt->called("remove c1"));
  CHECK(rt->called("remove c2"));
  CHECK(!rt->called("remove c3"));
  // Deleting the pod removes the current and the kept dead container.
  caf::anon_send(worker, pod_removed_atom::value, std::string{"uid-1"});
  run();
  CHECK(rt->called("remove c3"));
  CHECK(rt->called("remove c4"));
}

TEST_CASE_FIXTURE(fixture, "restartPolicy Never: exit 0 is Succeeded, and never restarted") {
  start(pod_with("Never"));
  died("c1", 0, "Completed");
  CHECK(seen().last().phase == "Succeeded");
  CHECK(seen().statuses.back().final);
  CHECK(app().state.terminated->reason == "Completed");
  advance(60s);
  CHECK(!rt->called("create app 1"));
}

TEST_CASE_FIXTURE(fixture, "restartPolicy OnFailure: exit 3 restarts, exit 0 completes") {
  start(pod_with("OnFailure"));
  died("c1", 3, "Error");
  CHECK(rt->called("create app 1"));
  died("c2", 0, "Completed");
  CHECK(seen().last().phase == "Succeeded");
}

TEST_CASE_FIXTURE(fixture, "graceful deletion stops with the grace period, cleans up, reports done") {
  auto pod = pod_with("Always");
  start(pod);
  caf::anon_send(worker, pod_update_atom::value, deleting(pod, 5));
  run();
  CHECK(seen().has_event("Killing"));
  CHECK(rt->called("stop c1 5"));
  CHECK(rt->called("remove c1"));
  CHECK(rt->called("stop_sandbox sb1"));
  CHECK(rt->called("remove_sandbox sb1"));
  REQUIRE(seen().done.size() == 1);
  CHECK(seen().statuses.back().final);
}

TEST_CASE_FIXTURE(fixture, "a pod removed while its image is being retried terminates at once") {
  rt->fail_pulls = 100;
  rt->image_present = false;
  start(pod_with("Always"));
  REQUIRE(app().state.waiting.has_value());
  CHECK(app().state.waiting->reason == "ErrImagePull");
  CHECK(seen().has_event("Failed"));
  advance(1s);
  CHECK(app().state.waiting->reason == "ImagePullBackOff");
  CHECK(seen().has_event("BackOff"));
  // Pulled again after 10 s, then after 20 s.
  advance(8s);
  CHECK(std::count(rt->calls.begin(), rt->calls.end(), "pull app") == 1);
  advance(1s);
  CHECK(std::count(rt->calls.begin(), rt->calls.end(), "pull app") == 2);
  advance(19s);
  CHECK(std::count(rt->calls.begin(), rt->calls.end(), "pull app") == 2);
  advance(1s);
  CHECK(std::count(rt->calls.begin(), rt->calls.end(), "pull app") == 3);
  caf::anon_send(worker, pod_removed_atom::value, std::string{"uid-1"});
  run();
  CHECK(rt->called("remove_sandbox sb1"));
  REQUIRE(seen().done.size() == 1);
}

TEST_CASE_FIXTURE(fixture, "sandbox failures are reported and retried") {
  rt->fail_sandbox = 1;
  start(pod_with("Always"));
  CHECK(seen().has_event("FailedCreatePodSandBox"));
  CHECK(!rt->called("run_sandbox 1"));
  advance(10s);
  CHECK(rt->called("run_sandbox 1"));
  CHECK(rt->called("start c1"));
}

TEST_CASE_FIXTURE(fixture, "specs the runtime cannot honour end in clear reasons") {
  SUBCASE("Never pull without the image") {
    rt->image_present = false;
    auto p = *pod_with("Always");
    p.spec.containers[0].image_pull_policy = "Never";
    start(std::make_shared<const k8s::pod>(std::move(p)));
    CHECK(app().state.waiting->reason == "ErrImageNeverPull");
    CHECK(app().state.waiting->message
          == "Container image \"localhost/busybox:ci\" is not present with pull "
             "policy of Never");
    CHECK(seen().has_event("ErrImageNeverPull"));
    CHECK(!rt->called("pull app"));
  }
  SUBCASE("an invalid security context") {
    rt->invalid_spec = true;
    start(pod_with("Always"));
    CHECK(app().state.waiting->reason == "CreateContainerConfigError");
    CHECK(app().state.waiting->message.find("runAsNonRoot") != std::string::npos);
  }
}

TEST_CASE_FIXTURE(fixture, "init containers run in order before the app container") {
  start(pod_with("Always", {"init-a", "init-b"}));
  CHECK(rt->calls.back() == "start c1");
  CHECK(!rt->called("create app 0"));
  died("c1", 0, "Completed");
  CHECK(rt->calls.back() == "start c2");
  CHECK(!rt->called("create app 0"));
  died("c2", 0, "Completed");
  CHECK(rt->called("create app 0"));
  CHECK(seen().last().phase == "Running");
}

TEST_CASE_FIXTURE(fixture, "after a restart a running pod is adopted, not started again") {
  pods::existing_pod found;
  found.sandbox = pods::sandbox_info{"sb-old", {"10.88.0.9"}};
  found.sandbox_attempt = 0;
  found.containers.push_back({"app", "old1", true, 0, "", 2, "sha256:abc"});
  rt->existing = found;
  start(pod_with("Always"));
  CHECK(rt->calls == std::vector<std::string>{"find_pod"});
  CHECK(seen().last().phase == "Running");
  CHECK(seen().last().pod_ip == "10.88.0.9");
  CHECK(app().container_id == "containerd://old1");
  CHECK(app().restart_count == 2);
  CHECK(app().state.running.has_value());
  // It is managed as its own: a crash restarts it with the next count.
  died("old1", 1);
  CHECK(rt->called("create app 3"));
  // Deleting stops the adopted sandbox too.
  caf::anon_send(worker, pod_removed_atom::value, std::string{"uid-1"});
  run();
  CHECK(rt->called("stop_sandbox sb-old"));
  CHECK(rt->called("remove c1"));
}

TEST_CASE_FIXTURE(fixture, "an adopted exited container follows the restart policy") {
  pods::existing_pod found;
  found.sandbox = pods::sandbox_info{"sb-old", {"10.88.0.9"}};
  SUBCASE("Never: the pod completes with the recorded exit code") {
    found.containers.push_back({"app", "old1", false, 3, "Error", 0, ""});
    rt->existing = found;
    start(pod_with("Never"));
    CHECK(!rt->called("create app 0"));
    CHECK(seen().last().phase == "Failed");
    CHECK(app().state.terminated->exit_code == 3);
  }
  SUBCASE("Always: restarted with the next restart count") {
    found.containers.push_back({"app", "old1", false, 3, "Error", 4, ""});
    rt->existing = found;
    start(pod_with("Always"));
    CHECK(rt->called("create app 5"));
    CHECK(app().restart_count == 5);
  }
}

TEST_CASE_FIXTURE(fixture, "activeDeadlineSeconds stops the pod: Failed, DeadlineExceeded") {
  auto p = *pod_with("Always");
  p.spec.active_deadline_seconds = 30;
  start(std::make_shared<const k8s::pod>(std::move(p)));
  CHECK(seen().last().phase == "Running");
  advance(29s);
  CHECK(!rt->called("stop c1 30"));
  advance(1s);
  CHECK(rt->called("stop c1 30"));
  CHECK(seen().has_event("DeadlineExceeded"));
  CHECK(seen().last().phase == "Failed");
  CHECK(seen().last().reason == "DeadlineExceeded");
  CHECK(seen().statuses.back().final);
  REQUIRE(seen().done.size() == 1);
}

TEST_CASE_FIXTURE(fixture, "a pod deleted while looking for existing containers removes what was found") {
  pods::existing_pod found;
  found.sandbox = pods::sandbox_info{"sb-orphan", {}};
  found.containers.push_back({"app", "old1", true, 0, "", 0, ""});
  rt->existing = found;
  // The manager already knows the pod is gone: its hello is answered and a
  // removal follows before the runtime's answer is processed.
  auto pod = pod_with("Always");
  seen().pod = pod;
  pod_worker_config cfg;
  cfg.runtime = rt;
  cfg.manager = w;
  cfg.status_manager = w;
  cfg.events = w;
  worker = sys->spawn(pod_worker, cfg, pod);
  caf::anon_send(worker, pod_removed_atom::value, std::string{"uid-1"});
  run();
  CHECK(!rt->called("run_sandbox 0"));
  CHECK(rt->called("stop old1 30"));
  CHECK(rt->called("remove old1"));
  CHECK(rt->called("stop_sandbox sb-orphan"));
  CHECK(rt->called("remove_sandbox sb-orphan"));
  REQUIRE(seen().done.size() == 1);
}

TEST_CASE_FIXTURE(fixture, "image pulls follow the pull policy, with Pulling and Pulled events") {
  SUBCASE("IfNotPresent with the image present: no pull") {
    start(pod_with("Always"));
    CHECK(!rt->called("pull app"));
    CHECK(!seen().has_event("Pulling"));
    REQUIRE(seen().event("Pulled") != nullptr);
    CHECK(seen().event("Pulled")->message
          == "Container image \"localhost/busybox:ci\" already present on machine");
  }
  SUBCASE("IfNotPresent without the image: pulled once, timed, sized") {
    rt->image_present = false;
    start(pod_with("Always"));
    CHECK(rt->called("pull app"));
    REQUIRE(seen().event("Pulling") != nullptr);
    CHECK(seen().event("Pulling")->message == "Pulling image \"localhost/busybox:ci\"");
    CHECK(seen().event("Pulling")->involved.field_path == "spec.containers{app}");
    REQUIRE(seen().event("Pulled") != nullptr);
    CHECK(seen().event("Pulled")->message
          == "Successfully pulled image \"localhost/busybox:ci\" in 0s (0s including "
             "waiting). Image size: 5678 bytes.");
    CHECK(app().image_id == "sha256:abc");
  }
  SUBCASE("Always pulls even when present") {
    auto p = *pod_with("Always");
    p.spec.containers[0].image_pull_policy = "Always";
    start(std::make_shared<const k8s::pod>(std::move(p)));
    CHECK(rt->called("pull app"));
    CHECK(seen().has_event("Pulling"));
  }
  SUBCASE("an unset policy on a :latest image means Always") {
    auto p = *pod_with("Always");
    p.spec.containers[0].image = "localhost/busybox:latest";
    start(std::make_shared<const k8s::pod>(std::move(p)));
    CHECK(rt->called("pull app"));
  }
}

TEST_CASE("the pull policy defaults as the API server's") {
  auto policy = [](std::string image, std::string set = {}) {
    k8s::container c;
    c.image = std::move(image);
    c.image_pull_policy = std::move(set);
    return pods::effective_pull_policy(c);
  };
  CHECK(policy("busybox") == "Always");
  CHECK(policy("busybox:latest") == "Always");
  CHECK(policy("localhost:5000/busybox") == "Always");
  CHECK(policy("localhost:5000/busybox:1.36") == "IfNotPresent");
  CHECK(policy("busybox@sha256:0123") == "IfNotPresent");
  CHECK(policy("busybox:latest", "Never") == "Never");
  CHECK(pods::image_tag("registry:5000/a/b:v1") == "v1");
  CHECK(pods::image_tag("registry:5000/a/b").empty());
}

TEST_CASE_FIXTURE(fixture, "a lost sandbox is replaced and the containers restart in it") {
  start(pod_with("Always", {"init-a"}));
  died("c1", 0, "Completed"); // init-a
  REQUIRE(rt->called("start c2"));
  REQUIRE(seen().last().phase == "Running");
  // Another sandbox's event changes nothing.
  caf::anon_send(worker, container_event{"uid-1", container_event_type::sandbox_changed,
                                         "sb-other", "", 0, "", 0, ""});
  run();
  CHECK(!seen().has_event("SandboxChanged"));
  caf::anon_send(worker, container_event{"uid-1", container_event_type::sandbox_changed,
                                         "sb1", "", 0, "", 0, ""});
  run();
  REQUIRE(seen().event("SandboxChanged") != nullptr);
  CHECK(seen().event("SandboxChanged")->message
        == "Pod sandbox changed, it will be killed and re-created.");
  CHECK(rt->called("stop c2 30"));
  CHECK(rt->called("stop_sandbox sb1"));
  CHECK(rt->called("remove_sandbox sb1"));
  CHECK(rt->called("run_sandbox 1"));
  // Init containers run again, then the app container, each counted.
  CHECK(rt->called("create init-a 1"));
  died("c3", 0, "Completed");
  CHECK(rt->called("create app 1"));
  CHECK(seen().last().phase == "Running");
  CHECK(seen().last().pod_ip == "10.88.0.8");
  CHECK(app().restart_count == 1);
  CHECK(app().container_id == "containerd://c4");
  REQUIRE(app().last_state.terminated.has_value());
  CHECK(app().last_state.terminated->container_id == "containerd://c2");
  // The new sandbox is the one deletion removes.
  caf::anon_send(worker, pod_removed_atom::value, std::string{"uid-1"});
  run();
  CHECK(rt->called("remove_sandbox sb2"));
  CHECK(seen().done.size() == 1);
}

TEST_CASE_FIXTURE(fixture, "restartPolicy Never: a lost sandbox ends the pod, not replaced") {
  start(pod_with("Never"));
  caf::anon_send(worker, container_event{"uid-1", container_event_type::sandbox_changed,
                                         "sb1", "", 0, "", 0, ""});
  run();
  REQUIRE(seen().event("SandboxChanged") != nullptr);
  CHECK(seen().event("SandboxChanged")->message == "Pod sandbox changed, it will be killed.");
  CHECK(rt->called("stop c1 30"));
  CHECK(!rt->called("run_sandbox 1"));
  died("c1", 143, "Error");
  CHECK(seen().last().phase == "Failed");
  CHECK(seen().statuses.back().final);
  advance(60s);
  CHECK(!rt->called("run_sandbox 1"));
  CHECK(!rt->called("create app 1"));
}

TEST_CASE_FIXTURE(fixture, "at start-up a dead sandbox is replaced and stale ones removed") {
  pods::existing_pod found;
  found.sandbox = pods::sandbox_info{"sb-dead", {}};
  found.sandbox_ready = false;
  found.sandbox_attempt = 1;
  found.stale_sandboxes = {"sb-older"};
  found.containers.push_back({"app", "old1", false, 2, "Error", 4, ""});
  rt->existing = found;
  start(pod_with("Always"));
  CHECK(rt->called("stop_sandbox sb-older"));
  CHECK(rt->called("remove_sandbox sb-older"));
  CHECK(rt->called("stop_sandbox sb-dead"));
  CHECK(rt->called("remove_sandbox sb-dead"));
  CHECK(rt->called("run_sandbox 2"));
  CHECK(rt->called("create app 5"));
  CHECK(seen().has_event("SandboxChanged"));
  CHECK(seen().last().phase == "Running");
  CHECK(app().restart_count == 5);
  REQUIRE(app().last_state.terminated.has_value());
  CHECK(app().last_state.terminated->exit_code == 2);
}

TEST_CASE_FIXTURE(fixture, "at start-up under Never a dead sandbox ends the pod") {
  pods::existing_pod found;
  found.sandbox = pods::sandbox_info{"sb-dead", {}};
  found.sandbox_ready = false;
  found.containers.push_back({"app", "old1", true, 0, "", 0, ""});
  rt->existing = found;
  start(pod_with("Never"));
  CHECK(!rt->called("run_sandbox 1"));
  CHECK(rt->called("stop old1 30"));
  died("old1", 137, "Error");
  CHECK(seen().last().phase == "Failed");
  CHECK(seen().statuses.back().final);
  // Deletion removes the dead sandbox.
  caf::anon_send(worker, pod_removed_atom::value, std::string{"uid-1"});
  run();
  CHECK(rt->called("remove_sandbox sb-dead"));
}
