#include "actors/pods/admission.hpp"
#include "pod_builders.hpp"

#include <doctest/doctest.h>

using namespace cafelet;
using namespace cafelet::actors::pods;
using cafelet::test::make_container;
using cafelet::test::make_pod;
using cafelet::test::shared_pod;

namespace {

admission_node small_node() {
  admission_node n;
  n.name = "edge-1";
  n.labels = {{"kubernetes.io/hostname", "edge-1"},
              {"kubernetes.io/os", "linux"},
              {"zone", "a"},
              {"cores", "8"}};
  n.allocatable = {{"cpu", "2"},
                   {"memory", "1Gi"},
                   {"ephemeral-storage", "10Gi"},
                   {"pods", "110"},
                   {"example.com/dongle", "2"}};
  n.max_pods = 110;
  return n;
}

k8s::pod pod_with(k8s::resource_list requests, k8s::resource_list limits = {}) {
  auto p = make_pod("new", "uid-new");
  p.spec.containers.push_back(
    make_container("app", std::move(requests), std::move(limits)));
  return p;
}

void check_rejected(const admission_result& r, const std::string& reason,
                    const std::string& message) {
  CHECK_FALSE(r.admitted);
  CHECK(r.reason == reason);
  CHECK(r.message == message);
}

} // namespace

TEST_SUITE("pods.admission") {
  TEST_CASE("a pod that fits is admitted") {
    auto r = admit(pod_with({{"cpu", "500m"}}), small_node(), {});
    CHECK(r.admitted);
    CHECK(r.reason.empty());
    CHECK(r.message.empty());
  }

  TEST_CASE("OutOfpods when maxPods is reached") {
    auto node = small_node();
    node.max_pods = 2;
    std::vector<k8s::pod_ptr> others{shared_pod("a", make_container("c")),
                                     shared_pod("b", make_container("c"))};
    check_rejected(admit(pod_with({}), node, others), "OutOfpods",
                   "Node didn't have enough resource: pods, requested: 1, "
                   "used: 2, capacity: 2");
    others.pop_back();
    CHECK(admit(pod_with({}), node, others).admitted);
  }

  TEST_CASE("OutOfcpu with upstream numbers") {
    std::vector<k8s::pod_ptr> others{
      shared_pod("a", make_container("c", {{"cpu", "1"}})),
      shared_pod("b", make_container("c", {{"cpu", "500m"}}))};
    check_rejected(admit(pod_with({{"cpu", "1"}}), small_node(), others),
                   "OutOfcpu",
                   "Node didn't have enough resource: cpu, requested: 1000, "
                   "used: 1500, capacity: 2000");
    CHECK(admit(pod_with({{"cpu", "500m"}}), small_node(), others).admitted);
  }

  TEST_CASE("OutOfmemory in bytes; limits count as requests") {
    std::vector<k8s::pod_ptr> others{
      shared_pod("a", make_container("c", {}, {{"memory", "512Mi"}}))};
    check_rejected(admit(pod_with({{"memory", "768Mi"}}), small_node(),
                         others),
                   "OutOfmemory",
                   "Node didn't have enough resource: memory, requested: "
                   "805306368, used: 536870912, capacity: 1073741824");
  }

  TEST_CASE("OutOfephemeral-storage") {
    check_rejected(admit(pod_with({{"ephemeral-storage", "11Gi"}}),
                         small_node(), {}),
                   "OutOfephemeral-storage",
                   "Node didn't have enough resource: ephemeral-storage, "
                   "requested: 11811160064, used: 0, capacity: 10737418240");
  }

  TEST_CASE("the pod count is reported before cpu") {
    auto node = small_node();
    node.max_pods = 1;
    std::vector<k8s::pod_ptr> others{
      shared_pod("a", make_container("c", {{"cpu", "2"}}))};
    CHECK(admit(pod_with({{"cpu", "1"}}), node, others).reason == "OutOfpods");
  }

  TEST_CASE("best-effort pods only need a pod slot") {
    std::vector<k8s::pod_ptr> others{
      shared_pod("a", make_container("c", {{"cpu", "2"}, {"memory", "1Gi"}}))};
    CHECK(admit(pod_with({}), small_node(), others).admitted);
  }

  TEST_CASE("an entry with the pod's own uid is ignored") {
    auto p = pod_with({{"cpu", "2"}});
    std::vector<k8s::pod_ptr> others{std::make_shared<const k8s::pod>(p),
                                     nullptr};
    CHECK(admit(p, small_node(), others).admitted);
  }

  TEST_CASE("effective requests: max(sum of apps, largest init) + overhead") {
    k8s::pod_spec spec;
    spec.init_containers.push_back(
      make_container("i1", {{"cpu", "2"}, {"memory", "1G"}}));
    spec.init_containers.push_back(
      make_container("i2", {{"cpu", "2"}, {"memory", "3G"}}));
    spec.containers.push_back(
      make_container("c1", {{"cpu", "2"}, {"memory", "1G"}}));
    spec.containers.push_back(
      make_container("c2", {{"cpu", "1"}, {"memory", "1G"}}));
    auto r = pod_requests(spec);
    CHECK(r.milli_cpu == 3000);
    CHECK(r.memory == 3'000'000'000);
    auto o = pod_requests(spec, {{"cpu", "250m"}, {"memory", "120Mi"}});
    CHECK(o.milli_cpu == 3250);
    CHECK(o.memory == 3'000'000'000 + 120 * 1024 * 1024);
  }

  TEST_CASE("sidecars add to the app sum and to later init containers") {
    k8s::pod_spec spec;
    auto sidecar = make_container("proxy", {{"cpu", "1"}});
    sidecar.restart_policy = "Always";
    spec.init_containers.push_back(sidecar);
    spec.init_containers.push_back(make_container("setup", {{"cpu", "2"}}));
    spec.containers.push_back(make_container("app", {{"cpu", "1"}}));
    // apps 1 + sidecar 1 = 2; setup runs next to the sidecar: 2 + 1 = 3.
    CHECK(pod_requests(spec).milli_cpu == 3000);
    spec.init_containers[1].resources.requests = {{"cpu", "500m"}};
    CHECK(pod_requests(spec).milli_cpu == 2000);
  }

  TEST_CASE("overhead counts in admission") {
    auto p = pod_with({{"cpu", "1900m"}});
    pod_extras extras;
    extras.overhead = {{"cpu", "200m"}};
    check_rejected(admit(p, small_node(), {}, extras), "OutOfcpu",
                   "Node didn't have enough resource: cpu, requested: 2100, "
                   "used: 0, capacity: 2000");
  }

  TEST_CASE("extended and hugepages resources") {
    SUBCASE("unknown extended resources are not checked") {
      CHECK(admit(pod_with({{"vendor.io/fpga", "3"}}), small_node(), {})
              .admitted);
    }
    SUBCASE("known extended resources are checked") {
      std::vector<k8s::pod_ptr> others{
        shared_pod("a", make_container("c", {{"example.com/dongle", "1"}}))};
      check_rejected(admit(pod_with({{"example.com/dongle", "2"}}),
                           small_node(), others),
                     "OutOfexample.com/dongle",
                     "Node didn't have enough resource: example.com/dongle, "
                     "requested: 2, used: 1, capacity: 2");
    }
    SUBCASE("hugepages the node lacks fail") {
      check_rejected(admit(pod_with({{"hugepages-2Mi", "4Mi"}}), small_node(),
                           {}),
                     "OutOfhugepages-2Mi",
                     "Node didn't have enough resource: hugepages-2Mi, "
                     "requested: 4194304, used: 0, capacity: 0");
    }
  }

  TEST_CASE("invalid quantities never crash and count as zero") {
    auto p = pod_with({{"cpu", "a lot"}, {"memory", "-"}});
    CHECK(admit(p, small_node(), {}).admitted);
    auto node = small_node();
    node.allocatable = {{"cpu", "??"}};
    check_rejected(admit(pod_with({{"cpu", "1m"}}), node, {}), "OutOfcpu",
                   "Node didn't have enough resource: cpu, requested: 1, "
                   "used: 0, capacity: 0");
  }

  TEST_CASE("nodeSelector mismatch is NodeAffinity") {
    auto p = pod_with({});
    p.spec.node_selector = {{"zone", "b"}};
    check_rejected(admit(p, small_node(), {}), "NodeAffinity",
                   "Predicate NodeAffinity failed: node(s) didn't match "
                   "Pod's node affinity/selector");
    p.spec.node_selector = {{"zone", "a"}};
    CHECK(admit(p, small_node(), {}).admitted);
  }

  TEST_CASE("required node affinity terms") {
    auto p = pod_with({});
    auto node = small_node();
    auto check = [&](node_selector_requirement r, bool want,
                     bool field = false) {
      node_selector_term t;
      (field ? t.match_fields : t.match_expressions).push_back(std::move(r));
      pod_extras e;
      e.required_node_affinity = std::vector<node_selector_term>{t};
      CHECK(matches_node_affinity(p.spec, e, node) == want);
    };
    check({"zone", "In", {"a", "b"}}, true);
    check({"zone", "In", {"b"}}, false);
    check({"zone", "NotIn", {"b"}}, true);
    check({"missing", "NotIn", {"b"}}, true);
    check({"zone", "NotIn", {"a"}}, false);
    check({"zone", "Exists", {}}, true);
    check({"missing", "Exists", {}}, false);
    check({"missing", "DoesNotExist", {}}, true);
    check({"cores", "Gt", {"4"}}, true);
    check({"cores", "Lt", {"4"}}, false);
    check({"cores", "Gt", {"four"}}, false);
    check({"zone", "Gt", {"1"}}, false);
    check({"zone", "Bogus", {"a"}}, false);
    check({"zone", "In", {}}, false);
    check({"metadata.name", "In", {"edge-1"}}, true, true);
    check({"metadata.name", "NotIn", {"edge-1"}}, false, true);
    check({"metadata.labels", "In", {"edge-1"}}, false, true);
    SUBCASE("terms are ORed; an empty term matches nothing") {
      pod_extras e;
      node_selector_term bad;
      bad.match_expressions.push_back({"zone", "In", {"x"}});
      node_selector_term good;
      good.match_expressions.push_back({"zone", "In", {"a"}});
      e.required_node_affinity = std::vector<node_selector_term>{bad, good};
      CHECK(matches_node_affinity(p.spec, e, node));
      e.required_node_affinity = std::vector<node_selector_term>{{}};
      CHECK_FALSE(matches_node_affinity(p.spec, e, node));
      e.required_node_affinity = std::vector<node_selector_term>{};
      CHECK_FALSE(matches_node_affinity(p.spec, e, node));
      CHECK(admit(p, node, {}, e).reason == "NodeAffinity");
    }
  }

  TEST_CASE("a pod bound to another node is NodeName") {
    auto p = pod_with({});
    p.spec.node_name = "edge-2";
    check_rejected(admit(p, small_node(), {}), "NodeName",
                   "Predicate NodeName failed: node(s) didn't match the "
                   "requested node name");
  }

  TEST_CASE("host port conflicts are NodePorts") {
    auto user = make_container("c");
    user.ports.push_back({"http", 80, 8080, "TCP", ""});
    std::vector<k8s::pod_ptr> others{shared_pod("a", user)};
    auto p = pod_with({});
    p.spec.containers[0].ports.push_back({"http", 80, 8080, "TCP", "10.0.0.1"});
    check_rejected(admit(p, small_node(), others), "NodePorts",
                   "Predicate NodePorts failed: node(s) didn't have free "
                   "ports for the requested pod ports");
    p.spec.containers[0].ports[0].protocol = "UDP";
    CHECK(admit(p, small_node(), others).admitted);
    p.spec.containers[0].ports[0].protocol = "TCP";
    p.spec.containers[0].ports[0].host_port = 8081;
    CHECK(admit(p, small_node(), others).admitted);
    SUBCASE("distinct specific IPs do not conflict") {
      auto specific = make_container("c");
      specific.ports.push_back({"", 80, 9000, "TCP", "10.0.0.1"});
      std::vector<k8s::pod_ptr> used{shared_pod("b", specific)};
      auto q = pod_with({});
      q.spec.containers[0].ports.push_back({"", 80, 9000, "TCP", "10.0.0.2"});
      CHECK(admit(q, small_node(), used).admitted);
      q.spec.containers[0].ports[0].host_ip = "";
      CHECK(admit(q, small_node(), used).reason == "NodePorts");
    }
  }

  TEST_CASE("NoExecute taints must be tolerated, NoSchedule ones need not") {
    auto node = small_node();
    node.taints.push_back({"dedicated", "gpu", "NoSchedule", {}});
    auto p = pod_with({});
    CHECK(admit(p, node, {}).admitted);
    node.taints.push_back({"maintenance", "", "NoExecute", {}});
    check_rejected(admit(p, node, {}), "TaintToleration",
                   "Predicate TaintToleration failed: node(s) had taints "
                   "that the pod didn't tolerate");
    SUBCASE("tolerated by key") {
      p.spec.tolerations.push_back({"maintenance", "Exists", "", "", {}});
      CHECK(admit(p, node, {}).admitted);
    }
    SUBCASE("tolerated by an empty key with Exists") {
      p.spec.tolerations.push_back({"", "Exists", "", "", {}});
      CHECK(admit(p, node, {}).admitted);
    }
    SUBCASE("wrong effect does not tolerate") {
      p.spec.tolerations.push_back({"maintenance", "Exists", "", "NoSchedule",
                                    {}});
      CHECK(admit(p, node, {}).reason == "TaintToleration");
    }
    SUBCASE("static pods skip the taint check") {
      p.metadata.annotations["kubernetes.io/config.source"] = "file";
      CHECK(is_static_pod(p));
      CHECK(admit(p, node, {}).admitted);
    }
  }

  TEST_CASE("toleration matching") {
    k8s::taint t{"k", "v", "NoExecute", {}};
    CHECK(tolerates({"k", "Equal", "v", "NoExecute", {}}, t));
    CHECK(tolerates({"k", "", "v", "", {}}, t));
    CHECK_FALSE(tolerates({"k", "Equal", "w", "", {}}, t));
    CHECK_FALSE(tolerates({"other", "Exists", "", "", {}}, t));
    CHECK_FALSE(tolerates({"k", "Bogus", "v", "", {}}, t));
  }

  TEST_CASE("a pod for another OS is rejected first") {
    auto p = pod_with({{"cpu", "100"}});
    p.metadata.labels["kubernetes.io/os"] = "windows";
    check_rejected(admit(p, small_node(), {}),
                   "PodOSSelectorNodeLabelDoesNotMatch",
                   "Failed to admit pod as the `kubernetes.io/os` label "
                   "doesn't match node label");
  }

  TEST_CASE("admission_node_of reads allocatable pods") {
    k8s::node n;
    n.metadata.name = "edge-1";
    n.status.allocatable = {{"cpu", "4"}, {"pods", "3"}};
    auto a = admission_node_of(n, 110);
    CHECK(a.max_pods == 3);
    CHECK(a.name == "edge-1");
    n.status.allocatable = {{"cpu", "4"}};
    CHECK(admission_node_of(n, 110).max_pods == 110);
  }

  TEST_CASE("rejected_status") {
    auto p = pod_with({});
    p.status.qos_class = "BestEffort";
    p.status.conditions.push_back({"PodScheduled", "True", {}, {}, {}, {}});
    p.status.conditions.push_back({"example.com/gate", "True", {}, {}, {}, {}});
    admission_result why{false, "OutOfcpu",
                         "Node didn't have enough resource: cpu, requested: "
                         "1000, used: 1500, capacity: 2000"};
    auto now = k8s::parse_time("2026-11-22T02:59:31Z").value();
    auto s = rejected_status(p, why, now);
    CHECK(s.phase == "Failed");
    CHECK(s.reason == "OutOfcpu");
    CHECK(s.message
          == "Pod was rejected: Node didn't have enough resource: cpu, "
             "requested: 1000, used: 1500, capacity: 2000");
    CHECK(s.qos_class == "BestEffort");
    CHECK(s.start_time == now);
    REQUIRE(s.conditions.size() == 1);
    CHECK(s.conditions[0].type == "example.com/gate");
  }
}
