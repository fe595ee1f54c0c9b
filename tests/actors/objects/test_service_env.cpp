// The API server Service's variables, in upstream's names and order, from
// a decoded Service.
#include "actors/objects/service_env.hpp"
#include "messages/k8s/decode.hpp"

#include <doctest/doctest.h>

using namespace cafelet;
using namespace cafelet::actors;

TEST_CASE("the kubernetes Service gives the upstream variables in order") {
  auto list = k8s::decode_list<k8s::service>(
    R"({"kind":"ServiceList","apiVersion":"v1","metadata":{"resourceVersion":"7"},"items":[
        {"metadata":{"name":"kubernetes","namespace":"default"},
         "spec":{"clusterIP":"10.96.0.1","ports":[{"name":"https","protocol":"TCP",
                 "port":443,"targetPort":6443}],"type":"ClusterIP"}}]})");
  REQUIRE_MESSAGE(list, describe(list.error()));
  REQUIRE((*list)->items.size() == 1);
  auto vars = service_env_vars(*(*list)->items[0]);
  pods::env_list expected{
    {"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
    {"KUBERNETES_SERVICE_PORT", "443"},
    {"KUBERNETES_SERVICE_PORT_HTTPS", "443"},
    {"KUBERNETES_PORT", "tcp://10.96.0.1:443"},
    {"KUBERNETES_PORT_443_TCP", "tcp://10.96.0.1:443"},
    {"KUBERNETES_PORT_443_TCP_PROTO", "tcp"},
    {"KUBERNETES_PORT_443_TCP_PORT", "443"},
    {"KUBERNETES_PORT_443_TCP_ADDR", "10.96.0.1"},
  };
  CHECK(vars == expected);
}

TEST_CASE("service variables: dashes, several ports, IPv6, headless") {
  k8s::service svc;
  svc.metadata.name = "my-db";
  svc.cluster_ip = "fd00::10";
  svc.ports = {{"", "TCP", 5432}, {"metrics", "UDP", 9187}};
  auto vars = service_env_vars(svc);
  REQUIRE(vars.size() == 12);
  CHECK(vars[0] == std::pair<std::string, std::string>{"MY_DB_SERVICE_HOST", "fd00::10"});
  CHECK(vars[2] == std::pair<std::string, std::string>{"MY_DB_SERVICE_PORT_METRICS", "9187"});
  CHECK(vars[3] == std::pair<std::string, std::string>{"MY_DB_PORT", "tcp://[fd00::10]:5432"});
  CHECK(vars[8] == std::pair<std::string, std::string>{"MY_DB_PORT_9187_UDP", "udp://[fd00::10]:9187"});
  svc.cluster_ip = "None";
  CHECK(service_env_vars(svc).empty());
  service_env_cache cache;
  CHECK(cache.get()->empty());
  cache.set({{"A", "1"}});
  CHECK(cache.get()->size() == 1);
}
