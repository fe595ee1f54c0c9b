// CPU shares and quota, OOM scores, cgroup parents and resource validation
// of the kuberuntime builders, against upstream's examples.

#include "runtime/kuberuntime/cgroups.hpp"
#include "runtime/kuberuntime/resources.hpp"

#include "tests/runtime/kuberuntime/fixtures.hpp"

#include "messages/errors.hpp"

#include <doctest/doctest.h>

using namespace cafelet;
using namespace cafelet::kuberuntime;

namespace {

k8s::container with_resources(k8s::resource_list requests,
                              k8s::resource_list limits) {
  k8s::container c;
  c.name = "c";
  c.image = "img";
  c.resources.requests = std::move(requests);
  c.resources.limits = std::move(limits);
  return c;
}

k8s::pod pod_of(k8s::container c) {
  auto p = test::simple_pod();
  p.spec.containers = {std::move(c)};
  return p;
}

} // namespace

TEST_CASE("kuberuntime: milliCPUToShares as upstream") {
  struct row {
    int64_t milli;
    int64_t shares;
  };
  for (auto [milli, shares] : {row{0, 2}, row{1, 2}, row{2, 2}, row{3, 3},
                               row{100, 102}, row{1000, 1024},
                               row{1500, 1536}, row{2000, 2048},
                               row{256000, 262144}, row{1000000, 262144},
                               row{INT64_MAX, 262144}, row{-5, 2}}) {
    CAPTURE(milli);
    CHECK(milli_cpu_to_shares(milli) == shares);
  }
}

TEST_CASE("kuberuntime: milliCPUToQuota as upstream") {
  struct row {
    int64_t milli;
    int64_t period;
    int64_t quota;
  };
  for (auto [milli, period, quota] :
       {row{0, 100000, 0}, row{5, 100000, 1000}, row{9, 100000, 1000},
        row{10, 100000, 1000}, row{200, 100000, 20000},
        row{500, 100000, 50000}, row{1000, 100000, 100000},
        row{1500, 100000, 150000}, row{5, 50000, 1000},
        row{200, 50000, 10000}, row{1500, 50000, 75000},
        row{1500, 200000, 300000}}) {
    CAPTURE(milli);
    CAPTURE(period);
    CHECK(milli_cpu_to_quota(milli, period) == quota);
  }
}

TEST_CASE("kuberuntime: linux resources from requests and limits") {
  auto s = test::test_settings();
  SUBCASE("request 1 cpu, limit 2 cpu, 128Mi") {
    auto c = with_resources({{"cpu", "1"}},
                            {{"cpu", "2"}, {"memory", "128Mi"}});
    auto r = container_linux_resources(pod_of(c), c, qos_class::burstable, s);
    REQUIRE(r);
    CHECK(r->cpu_shares() == 1024);
    CHECK(r->cpu_quota() == 200000);
    CHECK(r->cpu_period() == 100000);
    CHECK(r->memory_limit_in_bytes() == 134217728);
  }
  SUBCASE("a limit without request: shares from the limit") {
    auto c = with_resources({}, {{"cpu", "500m"}});
    auto r = container_linux_resources(pod_of(c), c, qos_class::burstable, s);
    REQUIRE(r);
    CHECK(r->cpu_shares() == 512);
    CHECK(r->cpu_quota() == 50000);
    CHECK(r->memory_limit_in_bytes() == 0);
  }
  SUBCASE("nothing: minimal shares, unlimited quota with the period set") {
    auto c = with_resources({}, {});
    auto r = container_linux_resources(pod_of(c), c, qos_class::best_effort,
                                       s);
    REQUIRE(r);
    CHECK(r->cpu_shares() == 2);
    CHECK(r->cpu_quota() == 0);
    CHECK(r->cpu_period() == 100000);
    CHECK(r->oom_score_adj() == 1000);
  }
  SUBCASE("cpuCFSQuota off: no quota or period") {
    s.cpu_cfs_quota = false;
    auto c = with_resources({}, {{"cpu", "2"}});
    auto r = container_linux_resources(pod_of(c), c, qos_class::burstable, s);
    REQUIRE(r);
    CHECK(r->cpu_quota() == 0);
    CHECK(r->cpu_period() == 0);
    CHECK(r->cpu_shares() == 2048);
  }
  SUBCASE("huge pages: machine sizes get a limit, 0 unless asked for") {
    s.hugepage_sizes = {"2MB", "1GB"};
    auto c = with_resources({}, {{"hugepages-2Mi", "100Mi"},
                                 {"memory", "200Mi"}});
    auto r = container_linux_resources(pod_of(c), c, qos_class::burstable, s);
    REQUIRE(r);
    REQUIRE(r->hugepage_limits_size() == 2);
    CHECK(r->hugepage_limits(0).page_size() == "2MB");
    CHECK(r->hugepage_limits(0).limit() == 104857600);
    CHECK(r->hugepage_limits(1).page_size() == "1GB");
    CHECK(r->hugepage_limits(1).limit() == 0);
  }
}

TEST_CASE("kuberuntime: huge page size names") {
  CHECK(hugepage_size_name(2097152) == "2MB");
  CHECK(hugepage_size_name(1073741824) == "1GB");
  CHECK(hugepage_size_name(65536) == "64KB");
  CHECK(hugepage_size_name(1000) == "1000B");
  CHECK_FALSE(hugepage_size_name(0));
  CHECK_FALSE(hugepage_size_name(1025 * 1024));
}

TEST_CASE("kuberuntime: OOM score adjustment by QoS class (upstream table)") {
  constexpr int64_t capacity = 8000000000;
  auto guaranteed = with_resources({{"cpu", "5m"}, {"memory", "10G"}},
                                   {{"cpu", "5m"}, {"memory", "10G"}});
  CHECK(oom_score_adj(pod_of(guaranteed), guaranteed, qos_class::guaranteed,
                      capacity)
        == -997);
  auto none = with_resources({}, {});
  CHECK(oom_score_adj(pod_of(none), none, qos_class::best_effort, capacity)
        == 1000);
  auto half = with_resources({{"memory", "4000000000"}, {"cpu", "5m"}},
                             {{"memory", "10G"}});
  CHECK(oom_score_adj(pod_of(half), half, qos_class::burstable, capacity)
        == 500);
  auto nearly_all = with_resources({{"memory", "7999999999"}}, {});
  CHECK(oom_score_adj(pod_of(nearly_all), nearly_all, qos_class::burstable,
                      capacity)
        == 3);
  auto cpu_only = with_resources({}, {{"cpu", "10"}});
  CHECK(oom_score_adj(pod_of(cpu_only), cpu_only, qos_class::burstable,
                      capacity)
        == 999);
  SUBCASE("the transcript pod on a 1 GiB node: 1000 - 1000*32Mi/1Gi") {
    auto p = test::web1();
    CHECK(oom_score_adj(p, p.spec.containers[0], qos_class::burstable,
                        1024 * 1024 * 1024)
          == 969);
    CHECK(oom_score_adj(p, p.spec.containers[1], qos_class::burstable,
                        1024 * 1024 * 1024)
          == 999);
  }
  SUBCASE("node-critical pods are protected like Guaranteed ones") {
    auto p = pod_of(none);
    p.spec.priority_class_name = "system-node-critical";
    p.spec.priority = 2000001000;
    CHECK(is_node_critical(p));
    CHECK(oom_score_adj(p, none, qos_class::best_effort, capacity) == -997);
    p.spec.priority = 0;
    CHECK_FALSE(is_node_critical(p));
    p.metadata.annotations["kubernetes.io/config.source"] = "file";
    CHECK(is_node_critical(p));
  }
  SUBCASE("a sidecar scores no higher than the smallest regular container") {
    auto regular = with_resources({{"memory", "4000000000"}}, {});
    auto p = pod_of(regular);
    auto sidecar = with_resources({}, {});
    sidecar.name = "side";
    sidecar.restart_policy = "Always";
    p.spec.init_containers.push_back(sidecar);
    CHECK(oom_score_adj(p, sidecar, qos_class::burstable, capacity) == 500);
  }
}

TEST_CASE("kuberuntime: sandbox resources aggregate the pod") {
  auto s = test::test_settings();
  auto p = pod_of(with_resources({{"cpu", "100m"}}, {{"memory", "64Mi"}}));
  auto second = with_resources({{"cpu", "200m"}},
                               {{"cpu", "1"}, {"memory", "64Mi"}});
  second.name = "d";
  p.spec.containers.push_back(second);
  auto init = with_resources({{"cpu", "500m"}}, {{"memory", "256Mi"}});
  init.name = "init";
  p.spec.init_containers.push_back(init);
  auto r = sandbox_linux_resources(p, s);
  REQUIRE(r);
  // requests: max(100m + 200m, 500m) = 500m; limits: memory max(128Mi,
  // 256Mi), cpu 1.
  CHECK(r->cpu_shares() == 512);
  CHECK(r->memory_limit_in_bytes() == 256 * 1024 * 1024);
  CHECK(r->cpu_quota() == 100000);
  CHECK(r->oom_score_adj() == 0);
}

TEST_CASE("kuberuntime: invalid resources name the container and field") {
  struct bad {
    k8s::container c;
    const char* field;
  };
  for (auto& [c, field] :
       {bad{with_resources({}, {{"cpu", "abc"}}), "resources.limits.cpu"},
        bad{with_resources({{"memory", "1 Mi"}}, {}),
            "resources.requests.memory"},
        bad{with_resources({{"cpu", "-1"}}, {}), "resources.requests.cpu"},
        bad{with_resources({{"memory", "2Gi"}}, {{"memory", "1Gi"}}),
            "resources.requests.memory"},
        bad{with_resources({}, {{"hugepages-1500", "1Mi"}}),
            "resources.limits.hugepages-1500"}}) {
    CAPTURE(std::string{field});
    auto r = parse_resources(c);
    REQUIRE_FALSE(r);
    CHECK(is(r.error(), errc::invalid));
    auto ctx = context_of(r.error());
    CHECK(ctx.find("container \"c\"") != std::string::npos);
    CHECK(ctx.find(field) != std::string::npos);
  }
  auto c = with_resources({}, {{"cpu", "abc"}});
  CHECK_FALSE(sandbox_linux_resources(pod_of(c), test::test_settings()));
}

TEST_CASE("kuberuntime: pod cgroup parents per QoS class (cgroupfs)") {
  settings s;
  CHECK(pod_cgroup_parent(s, qos_class::guaranteed, "u1")
        == "/kubepods/podu1");
  CHECK(pod_cgroup_parent(s, qos_class::burstable, "u1")
        == "/kubepods/burstable/podu1");
  CHECK(pod_cgroup_parent(s, qos_class::best_effort, "u1")
        == "/kubepods/besteffort/podu1");
  CHECK(to_cgroupfs(qos_cgroup_name(s, qos_class::burstable))
        == "/kubepods/burstable");
  s.cgroup_root = "/cafelet-lab/";
  CHECK(pod_cgroup_parent(s, qos_class::burstable, "u1")
        == "/cafelet-lab/kubepods/burstable/podu1");
  CHECK(pod_cgroup_parent(s, qos_class::guaranteed, "u1")
        == "/cafelet-lab/kubepods/podu1");
  s.cgroups_per_qos = false;
  CHECK(pod_cgroup_parent(s, qos_class::burstable, "u1") == "/cafelet-lab");
}

TEST_CASE("kuberuntime: systemd cgroup parents are expanded slices") {
  settings s;
  s.cgroup_driver = "systemd";
  CHECK(pod_cgroup_parent(s, qos_class::burstable, "12-34")
        == "/kubepods.slice/kubepods-burstable.slice/"
           "kubepods-burstable-pod12_34.slice");
  CHECK(pod_cgroup_parent(s, qos_class::guaranteed, "ab")
        == "/kubepods.slice/kubepods-podab.slice");
  CHECK(to_systemd({}) == "/");
  CHECK(parse_cgroupfs("//a//b/") == cgroup_name{"a", "b"});
}

TEST_CASE("kuberuntime: settings from the kubelet configuration") {
  config::kubelet_configuration cfg;
  cfg.cgroup_root = "/lab";
  cfg.cgroup_driver = "systemd";
  cfg.cgroups_per_qos = false;
  cfg.cluster_dns = {"10.96.0.10"};
  cfg.cluster_domain = "cluster.local";
  cfg.resolv_conf = "";
  config::agent_options opts;
  opts.root_dir = "/srv/kubelet";
  opts.node_ips = {"192.168.1.10"};
  auto s = from_config(cfg, opts);
  CHECK(s.cgroup_root == "/lab");
  CHECK(s.cgroup_driver == "systemd");
  CHECK_FALSE(s.cgroups_per_qos);
  CHECK(s.root_dir == "/srv/kubelet");
  CHECK(s.dns.cluster_dns == std::vector<std::string>{"10.96.0.10"});
  CHECK(s.dns.cluster_domain == "cluster.local");
  CHECK_FALSE(s.dns.has_resolv_conf);
  CHECK(s.dns.node_ips == std::vector<std::string>{"192.168.1.10"});
  CHECK(s.pod_logs_dir == "/var/log/pods");
  CHECK(s.cpu_cfs_quota);
  CHECK(s.cpu_cfs_quota_period_us == 100000);
}
