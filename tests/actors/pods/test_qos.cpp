#include "actors/pods/qos.hpp"
#include "pod_builders.hpp"

#include <doctest/doctest.h>

using namespace cafelet;
using namespace cafelet::actors::pods;
using cafelet::test::make_container;
using cafelet::test::make_pod;

namespace {

k8s::resource_list cpu_mem(std::string cpu, std::string mem) {
  return {{"cpu", std::move(cpu)}, {"memory", std::move(mem)}};
}

} // namespace

TEST_SUITE("pods.qos") {
  TEST_CASE("no requests or limits is BestEffort") {
    auto p = make_pod();
    p.spec.containers.push_back(make_container("a"));
    p.spec.containers.push_back(make_container("b"));
    CHECK(qos_of(p) == qos_class::best_effort);
    CHECK(to_string(qos_of(p)) == "BestEffort");
  }

  TEST_CASE("zero quantities and non-compute resources do not count") {
    auto p = make_pod();
    p.spec.containers.push_back(
      make_container("a", {{"cpu", "0"}, {"memory", "0"}},
                     {{"nvidia.com/gpu", "1"}, {"ephemeral-storage", "1Gi"}}));
    CHECK(qos_of(p) == qos_class::best_effort);
  }

  TEST_CASE("equal cpu and memory limits and requests are Guaranteed") {
    auto p = make_pod();
    p.spec.containers.push_back(
      make_container("a", cpu_mem("100m", "100Mi"), cpu_mem("100m", "100Mi")));
    p.spec.containers.push_back(
      make_container("b", cpu_mem("0.5", "1Gi"), cpu_mem("500m", "1024Mi")));
    CHECK(qos_of(p) == qos_class::guaranteed);
    CHECK(to_string(qos_of(p)) == "Guaranteed");
  }

  TEST_CASE("limits only: requests default to limits, Guaranteed") {
    auto p = make_pod();
    p.spec.containers.push_back(make_container("a", {}, cpu_mem("1", "1Gi")));
    CHECK(qos_of(p) == qos_class::guaranteed);
    auto r = effective_requests(p.spec.containers[0].resources);
    REQUIRE(r.size() == 2);
    CHECK(*k8s::find(r, "cpu") == "1");
  }

  TEST_CASE("a missing request defaults to the limit, explicit ones stay") {
    auto p = make_pod();
    p.spec.containers.push_back(
      make_container("a", {{"cpu", "100m"}}, cpu_mem("200m", "1Gi")));
    CHECK(qos_of(p) == qos_class::burstable);
  }

  TEST_CASE("requests below limits, requests only, one limit: Burstable") {
    auto p = make_pod();
    p.spec.containers.push_back(
      make_container("a", cpu_mem("100m", "100Mi"), cpu_mem("200m", "100Mi")));
    CHECK(qos_of(p) == qos_class::burstable);
    auto q = make_pod();
    q.spec.containers.push_back(make_container("a", {{"memory", "1Mi"}}));
    CHECK(qos_of(q) == qos_class::burstable);
    auto r = make_pod();
    r.spec.containers.push_back(make_container("a", {}, {{"cpu", "1"}}));
    CHECK(qos_of(r) == qos_class::burstable);
    CHECK(to_string(qos_of(r)) == "Burstable");
  }

  TEST_CASE("one Guaranteed and one BestEffort container is Burstable") {
    auto p = make_pod();
    p.spec.containers.push_back(
      make_container("a", cpu_mem("1", "1Gi"), cpu_mem("1", "1Gi")));
    p.spec.containers.push_back(make_container("b"));
    CHECK(qos_of(p) == qos_class::burstable);
  }

  TEST_CASE("init containers count") {
    auto p = make_pod();
    p.spec.containers.push_back(
      make_container("a", cpu_mem("1", "1Gi"), cpu_mem("1", "1Gi")));
    SUBCASE("best-effort init container makes it Burstable") {
      p.spec.init_containers.push_back(make_container("init"));
      CHECK(qos_of(p) == qos_class::burstable);
    }
    SUBCASE("guaranteed init container keeps it Guaranteed") {
      p.spec.init_containers.push_back(
        make_container("init", cpu_mem("2", "2Gi"), cpu_mem("2", "2Gi")));
      CHECK(qos_of(p) == qos_class::guaranteed);
    }
    SUBCASE("burstable init container makes it Burstable") {
      p.spec.init_containers.push_back(
        make_container("init", cpu_mem("1", "1Gi"), cpu_mem("2", "1Gi")));
      CHECK(qos_of(p) == qos_class::burstable);
    }
    SUBCASE("a best-effort app container with a limited init container") {
      auto q = make_pod();
      q.spec.containers.push_back(make_container("a"));
      q.spec.init_containers.push_back(
        make_container("init", {}, {{"memory", "1Gi"}}));
      CHECK(qos_of(q) == qos_class::burstable);
    }
  }

  TEST_CASE("invalid quantities count as absent") {
    auto p = make_pod();
    p.spec.containers.push_back(
      make_container("a", cpu_mem("lots", "1.5.5"), cpu_mem("x", "")));
    CHECK(qos_of(p) == qos_class::best_effort);
  }
}
