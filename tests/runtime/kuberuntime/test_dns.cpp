// Pod DNS configuration per dnsPolicy, resolv.conf parsing, resolver limits
// and pod hostnames.

#include "runtime/kuberuntime/dns.hpp"

#include "tests/runtime/kuberuntime/fixtures.hpp"

#include "messages/errors.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace cafelet;
using namespace cafelet::kuberuntime;

namespace {

using strings = std::vector<std::string>;

strings to_strings(const google::protobuf::RepeatedPtrField<std::string>& xs) {
  return {xs.begin(), xs.end()};
}

struct dns_view {
  strings servers;
  strings searches;
  strings options;
  std::vector<build_warning> warnings;
};

dns_view dns_of(const k8s::pod& p, const dns_settings& dns) {
  auto r = make_dns_config(p, dns);
  REQUIRE(r);
  return {to_strings(r->config.servers()), to_strings(r->config.searches()),
          to_strings(r->config.options()), r->warnings};
}

} // namespace

TEST_CASE("kuberuntime: resolv.conf parsing as upstream") {
  auto r = parse_resolv_conf("# generated\n"
                             "nameserver 10.0.0.1\n"
                             "  nameserver\t10.0.0.2 # second\n"
                             "search a.example. b.example\n"
                             "domain ignored.example\n"
                             "search c.example. . d.example\n"
                             "options ndots:2 timeout:1\n"
                             "options ndots:3 rotate\n");
  REQUIRE(r);
  CHECK(r->servers == strings{"10.0.0.1", "10.0.0.2"});
  CHECK(r->searches == strings{"c.example", "d.example"});
  CHECK(r->options == strings{"ndots:3", "timeout:1", "rotate"});
  auto empty = parse_resolv_conf("");
  REQUIRE(empty);
  CHECK(empty->servers.empty());
  auto bad = parse_resolv_conf("nameserver\n");
  REQUIRE_FALSE(bad);
  CHECK(is(bad.error(), errc::invalid));
  CHECK(context_of(bad.error()).find("nameserver") != std::string::npos);
}

TEST_CASE("kuberuntime: ClusterFirst uses the cluster DNS and search path") {
  auto s = test::test_settings();
  auto v = dns_of(test::web1(), s.dns);
  CHECK(v.servers == strings{"10.96.0.10"});
  CHECK(v.searches
        == strings{"default.svc.cluster.local", "svc.cluster.local",
                   "cluster.local", "lab.example"});
  CHECK(v.options == strings{"ndots:5"});
  CHECK(v.warnings.empty());
  SUBCASE("without a cluster domain the node's searches stay") {
    s.dns.cluster_domain.clear();
    auto w = dns_of(test::web1(), s.dns);
    CHECK(w.servers == strings{"10.96.0.10"});
    CHECK(w.searches == strings{"lab.example"});
  }
  SUBCASE("duplicate search domains are omitted") {
    s.dns.host.searches = {"cluster.local", "x.example"};
    auto w = dns_of(test::web1(), s.dns);
    CHECK(w.searches
          == strings{"default.svc.cluster.local", "svc.cluster.local",
                     "cluster.local", "x.example"});
  }
}

TEST_CASE("kuberuntime: Default and hostNetwork ClusterFirst use the node's") {
  auto s = test::test_settings();
  auto p = test::web1();
  p.spec.dns_policy = "Default";
  auto v = dns_of(p, s.dns);
  CHECK(v.servers == strings{"192.168.1.1"});
  CHECK(v.searches == strings{"lab.example"});
  CHECK(v.options == strings{"edns0"});
  p.spec.dns_policy = "ClusterFirst";
  p.spec.host_network = true;
  CHECK(dns_of(p, s.dns).servers == strings{"192.168.1.1"});
  p.spec.dns_policy = "ClusterFirstWithHostNet";
  CHECK(dns_of(p, s.dns).servers == strings{"10.96.0.10"});
}

TEST_CASE("kuberuntime: resolvConf \"\" gives the loopback resolver") {
  auto s = test::test_settings();
  s.dns.has_resolv_conf = false;
  s.dns.host = {};
  s.dns.node_ips = {"192.168.1.10", "fd00::10"};
  auto p = test::web1();
  p.spec.dns_policy = "Default";
  auto v = dns_of(p, s.dns);
  CHECK(v.servers == strings{"127.0.0.1", "::1"});
  CHECK(v.searches == strings{"."});
  s.dns.node_ips.clear();
  CHECK(dns_of(p, s.dns).servers == strings{"127.0.0.1"});
}

TEST_CASE("kuberuntime: ClusterFirst without clusterDNS falls back") {
  auto s = test::test_settings();
  s.dns.cluster_dns.clear();
  auto v = dns_of(test::web1(), s.dns);
  CHECK(v.servers == strings{"192.168.1.1"});
  CHECK(v.searches == strings{"lab.example"});
  REQUIRE(v.warnings.size() == 1);
  CHECK(v.warnings[0].reason == "MissingClusterDNS");
  CHECK(v.warnings[0].message
        == "pod: \"web-1_default(a43dfde4-248f-4ffa-aa9d-98e0cedcbcd0)\". "
           "kubelet does not have ClusterDNS IP configured and cannot create "
           "Pod using \"ClusterFirst\" policy. Falling back to \"Default\" "
           "policy.");
}

TEST_CASE("kuberuntime: None takes only the pod's dnsConfig") {
  auto s = test::test_settings();
  auto p = test::web1();
  p.spec.dns_policy = "None";
  CHECK(dns_of(p, s.dns).servers.empty());
  k8s::pod_dns_config cfg;
  cfg.nameservers = {"1.2.3.4"};
  cfg.searches = {"ns1.svc.cluster-domain.example", "my.dns.search.suffix"};
  cfg.options = {{"ndots", std::string{"2"}}, {"edns0", std::nullopt}};
  p.spec.dns_config = cfg;
  auto v = dns_of(p, s.dns);
  CHECK(v.servers == strings{"1.2.3.4"});
  CHECK(v.searches
        == strings{"ns1.svc.cluster-domain.example", "my.dns.search.suffix"});
  CHECK(v.options == strings{"ndots:2", "edns0"});
}

TEST_CASE("kuberuntime: the pod's dnsConfig merges into ClusterFirst") {
  auto s = test::test_settings();
  auto p = test::web1();
  k8s::pod_dns_config cfg;
  cfg.nameservers = {"10.96.0.10", "8.8.8.8"};
  cfg.searches = {"svc.cluster.local", "extra.example"};
  cfg.options = {{"ndots", std::string{"1"}}, {"single-request", {}}};
  p.spec.dns_config = cfg;
  auto v = dns_of(p, s.dns);
  CHECK(v.servers == strings{"10.96.0.10", "8.8.8.8"});
  CHECK(v.searches
        == strings{"default.svc.cluster.local", "svc.cluster.local",
                   "cluster.local", "lab.example", "extra.example"});
  CHECK(v.options == strings{"ndots:1", "single-request"});
}

TEST_CASE("kuberuntime: resolver limits cut the configuration with a warning") {
  auto s = test::test_settings();
  auto p = test::web1();
  p.spec.dns_policy = "None";
  k8s::pod_dns_config cfg;
  cfg.nameservers = {"1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4"};
  for (int i = 0; i < 40; ++i)
    cfg.searches.push_back("d" + std::to_string(i) + ".example");
  cfg.searches.insert(cfg.searches.begin() + 1, std::string(254, 'x'));
  p.spec.dns_config = cfg;
  auto v = dns_of(p, s.dns);
  CHECK(v.servers == strings{"1.1.1.1", "2.2.2.2", "3.3.3.3"});
  REQUIRE(v.searches.size() == 31);
  CHECK(v.searches.front() == "d0.example");
  CHECK(v.searches.back() == "d30.example");
  REQUIRE(v.warnings.size() == 2);
  CHECK(v.warnings[0].reason == "DNSConfigForming");
  CHECK(v.warnings[0].message
        == "Nameserver limits were exceeded, some nameservers have been "
           "omitted, the applied nameserver line is: 1.1.1.1 2.2.2.2 3.3.3.3");
  CHECK(v.warnings[1].reason == "DNSConfigForming");
  CHECK(v.warnings[1].message.find("Search Line limits were exceeded")
        == 0);
  SUBCASE("a search line over 2048 characters loses domains at the end") {
    cfg.nameservers = {"1.1.1.1"};
    cfg.searches.clear();
    for (int i = 0; i < 10; ++i)
      cfg.searches.push_back(std::string(250, static_cast<char>('a' + i)));
    p.spec.dns_config = cfg;
    auto w = dns_of(p, s.dns);
    CHECK(w.searches.size() == 8);
    REQUIRE(w.warnings.size() == 1);
  }
}

TEST_CASE("kuberuntime: an unknown dnsPolicy fails") {
  auto p = test::web1();
  p.spec.dns_policy = "Sometimes";
  auto r = make_dns_config(p, test::test_settings().dns);
  REQUIRE_FALSE(r);
  CHECK(is(r.error(), errc::invalid));
  CHECK(context_of(r.error()).find("spec.dnsPolicy") != std::string::npos);
}

TEST_CASE("kuberuntime: pod hostnames") {
  auto p = test::web1();
  CHECK(sandbox_hostname(p, "cluster.local") == std::string{"web-1"});
  p.spec.hostname = "web";
  CHECK(sandbox_hostname(p, "cluster.local") == std::string{"web"});
  SUBCASE("hostNetwork pods get none") {
    p.spec.host_network = true;
    CHECK(sandbox_hostname(p, "cluster.local") == std::string{});
  }
  SUBCASE("subdomain and setHostnameAsFQDN") {
    p.spec.subdomain = "sub";
    auto names = make_pod_hostname(p, "cluster.local");
    REQUIRE(names);
    CHECK(names->domain == "sub.default.svc.cluster.local");
    CHECK(sandbox_hostname(p, "cluster.local") == std::string{"web"});
    p.spec.set_hostname_as_fqdn = true;
    CHECK(sandbox_hostname(p, "cluster.local")
          == std::string{"web.sub.default.svc.cluster.local"});
    p.spec.hostname = std::string(40, 'h');
    auto r = sandbox_hostname(p, "cluster.local");
    REQUIRE_FALSE(r);
    CHECK(context_of(r.error()).find("too long") != std::string::npos);
  }
  SUBCASE("long pod names are cut to 63 characters without a trailing -") {
    p.spec.hostname.clear();
    p.metadata.name = std::string(62, 'a') + "-bcd";
    CHECK(sandbox_hostname(p, "cluster.local")
          == std::string(62, 'a'));
  }
  SUBCASE("invalid hostname or subdomain") {
    p.spec.hostname = "Web_1";
    auto r = sandbox_hostname(p, "cluster.local");
    REQUIRE_FALSE(r);
    CHECK(is(r.error(), errc::invalid));
    CHECK(context_of(r.error()).find("spec.hostname") != std::string::npos);
    p.spec.hostname.clear();
    p.spec.subdomain = "-sub";
    r = sandbox_hostname(p, "cluster.local");
    REQUIRE_FALSE(r);
    CHECK(context_of(r.error()).find("spec.subdomain") != std::string::npos);
  }
  CHECK(is_dns1123_label("a-1"));
  CHECK_FALSE(is_dns1123_label("a-"));
  CHECK_FALSE(is_dns1123_label(std::string(64, 'a')));
}
