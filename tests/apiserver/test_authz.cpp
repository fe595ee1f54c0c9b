// Authentication and authorization: the Node authorizer and NodeRestriction
// as a node identity meets them, with every 403 the real server sent in the
// recorded exchanges, plus 401 and anonymous access.

#include "tests/apiserver/server.hpp"
#include "tests/apiserver/test_data.hpp"
#include "tests/apiserver/test_support.hpp"

#include <doctest/doctest.h>

using namespace cafelet;
using namespace cafelet::apiserver;
using namespace cafelet::apiserver::testing;

namespace {

/// A cluster with node edge-1, pod default/web-1 bound to it, and a
/// referenced and an unreferenced configmap and secret.
struct cluster {
  api_server srv;
  client admin_client{srv, admin()};
  client edge1{srv, node_user("edge-1")};

  cluster() {
    REQUIRE(edge1.post("/api/v1/nodes", std::string{node_body}).status == 201);
    for (auto [path, body] :
         {std::pair{"configmaps", R"({"metadata":{"name":"app-config"},"data":{"mode":"edge"}})"},
          std::pair{"secrets", R"({"metadata":{"name":"app-secret"},"stringData":{"password":"s3cr3t"}})"},
          std::pair{"configmaps", R"({"metadata":{"name":"other-config"},"data":{"x":"1"}})"},
          std::pair{"secrets", R"({"metadata":{"name":"other-secret"},"data":{"token":"aGVsbG8="}})"},
          std::pair{"pods", pod_body.data()}})
      REQUIRE(admin_client.post(std::string{"/api/v1/namespaces/default/"} + path, body).status
              == 201);
  }
};

void check_forbidden(const response& res, std::string_view expected) {
  CHECK(res.status == 403);
  CHECK(body_of(res) == parse_json(expected));
  bool nosniff = false;
  for (const auto& h : res.headers)
    nosniff = nosniff || (h.name == "X-Content-Type-Options" && h.value == "nosniff");
  CHECK(nosniff);
}

} // namespace

TEST_CASE("a node may read only its own Node object") {
  cluster k;
  check_forbidden(k.edge1.get("/api/v1/nodes/edge-2"),
                  R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"nodes \"edge-2\" is forbidden: User \"system:node:edge-1\" cannot get resource \"nodes\" in API group \"\" at the cluster scope: node 'edge-1' cannot read 'edge-2', only its own Node object","reason":"Forbidden","details":{"name":"edge-2","kind":"nodes"},"code":403})");
  CHECK(k.edge1.get("/api/v1/nodes?fieldSelector=metadata.name%3Dedge-1").status == 200);
  CHECK(k.edge1.get("/api/v1/nodes").status == 403);
  CHECK(body_of(k.edge1.get("/api/v1/nodes")).get_string("message").ends_with(
    "node 'edge-1' cannot read all nodes, only its own Node object"));
  // Reading its own Node works before it exists (404, not 403).
  client edge3{k.srv, node_user("edge-3")};
  CHECK(edge3.get("/api/v1/nodes/edge-3").status == 404);
  // Registering another node is refused by NodeRestriction.
  auto other = edge3.post("/api/v1/nodes", std::string{node_body});
  CHECK(other.status == 403);
  CHECK(body_of(other).get_string("message")
        == "nodes \"edge-1\" is forbidden: node \"edge-3\" is not allowed to modify node \"edge-1\"");
}

TEST_CASE("NodeRestriction: node-role labels and taints are off limits") {
  cluster k;
  check_forbidden(k.edge1.patch("/api/v1/nodes/edge-1",
                                R"({"metadata":{"labels":{"node-role.kubernetes.io/edge":""}}})"),
                  R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"nodes \"edge-1\" is forbidden: is not allowed to modify labels: node-role.kubernetes.io/edge","reason":"Forbidden","details":{"name":"edge-1","kind":"nodes"},"code":403})");
  auto allowed = k.edge1.patch("/api/v1/nodes/edge-1",
                               R"({"metadata":{"labels":{"topology.kubernetes.io/zone":"z1","example.com/x":"y"}}})");
  REQUIRE(allowed.status == 200);
  auto node = body_of(allowed);
  auto labels = node.find_path({"metadata", "labels"});
  REQUIRE(labels != nullptr);
  // Go renders maps with sorted keys.
  std::vector<std::string> keys;
  for (const auto& [key, value] : labels->as_object())
    keys.push_back(key);
  CHECK(keys == std::vector<std::string>{"beta.kubernetes.io/arch", "beta.kubernetes.io/os", "example.com/x", "kubernetes.io/arch", "kubernetes.io/hostname", "kubernetes.io/os", "topology.kubernetes.io/zone"});
  auto taints = k.edge1.patch("/api/v1/nodes/edge-1", R"({"spec":{"taints":null}})");
  CHECK(taints.status == 403);
  CHECK(body_of(taints).get_string("message")
        == "nodes \"edge-1\" is forbidden: node \"edge-1\" is not allowed to modify taints");
  // The admin may do both.
  CHECK(k.admin_client.patch("/api/v1/nodes/edge-1", R"({"spec":{"taints":null}})").status == 200);
}

TEST_CASE("a node may use only its own Lease and may not watch leases") {
  cluster k;
  check_forbidden(k.edge1.post("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
                               R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"edge-2"},"spec":{"holderIdentity":"edge-2","leaseDurationSeconds":40}})"),
                  R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"leases.coordination.k8s.io \"edge-2\" is forbidden: can only access node lease with the same name as the requesting node","reason":"Forbidden","details":{"name":"edge-2","group":"coordination.k8s.io","kind":"leases"},"code":403})");
  check_forbidden(k.edge1.get("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases?fieldSelector=metadata.name%3Dedge-1&resourceVersion=1&watch=true&timeoutSeconds=5"),
                  R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"leases.coordination.k8s.io \"edge-1\" is forbidden: User \"system:node:edge-1\" cannot watch resource \"leases\" in API group \"coordination.k8s.io\" in the namespace \"kube-node-lease\": can only get, create, update, patch, or delete a node lease","reason":"Forbidden","details":{"name":"edge-1","group":"coordination.k8s.io","kind":"leases"},"code":403})");
  CHECK(k.edge1.get("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/edge-1").status == 404);
  CHECK(k.edge1.get("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/edge-2").status == 403);
}

TEST_CASE("a node lists and watches pods only with its spec.nodeName selector") {
  cluster k;
  auto mine = k.edge1.get("/api/v1/pods?fieldSelector=spec.nodeName%3Dedge-1&limit=500&resourceVersion=0");
  CHECK(mine.status == 200);
  CHECK(body_of(mine)["items"].size() == 1);
  auto forbidden = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods is forbidden: User \"system:node:edge-1\" cannot list resource \"pods\" in API group \"\" at the cluster scope: can only list/watch pods with spec.nodeName field selector","reason":"Forbidden","details":{"kind":"pods"},"code":403})";
  check_forbidden(k.edge1.get("/api/v1/pods"), forbidden);
  check_forbidden(k.edge1.get("/api/v1/pods?fieldSelector=spec.nodeName%3Dedge-2"), forbidden);
  CHECK(k.edge1.get("/api/v1/namespaces/default/pods/web-1").status == 200);
  check_forbidden(k.edge1.patch("/api/v1/namespaces/default/pods/web-1",
                                R"({"metadata":{"labels":{"hacked":"true"}}})"),
                  R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"web-1\" is forbidden: User \"system:node:edge-1\" cannot patch resource \"pods\" in API group \"\" in the namespace \"default\"","reason":"Forbidden","details":{"name":"web-1","kind":"pods"},"code":403})");
  // Status of pods bound elsewhere and label changes through status.
  REQUIRE(k.admin_client.post("/api/v1/namespaces/default/pods",
                              R"({"metadata":{"name":"elsewhere"},"spec":{"nodeName":"edge-2","containers":[{"name":"c","image":"busybox"}]}})").status == 201);
  auto other = k.edge1.patch("/api/v1/namespaces/default/pods/elsewhere/status",
                             R"({"status":{"phase":"Running"}})");
  CHECK(other.status == 403);
  CHECK(body_of(other).get_string("message").ends_with("no relationship found between node 'edge-1' and this object") == false);
  CHECK(body_of(other).get_string("message")
        == "pods \"elsewhere\" is forbidden: node \"edge-1\" can only update pod status for pods with spec.nodeName set to itself");
  auto labels = k.edge1.patch("/api/v1/namespaces/default/pods/web-1/status",
                              R"({"metadata":{"labels":{"x":"y"}}})");
  CHECK(labels.status == 403);
  CHECK(body_of(labels).get_string("message")
        == "pods \"web-1\" is forbidden: node \"edge-1\" cannot update labels through pod status");
  CHECK(k.edge1.get("/api/v1/namespaces/default/pods/elsewhere").status == 403);
  auto del = k.edge1.del("/api/v1/namespaces/default/pods/elsewhere");
  CHECK(del.status == 403);
  CHECK(body_of(del).get_string("message")
        == "pods \"elsewhere\" is forbidden: node \"edge-1\" can only delete pods with spec.nodeName set to itself");
  // Nodes create only mirror pods.
  auto create = k.edge1.post("/api/v1/namespaces/default/pods",
                             R"({"metadata":{"name":"x"},"spec":{"nodeName":"edge-1","containers":[{"name":"c","image":"busybox"}]}})");
  CHECK(create.status == 403);
  CHECK(body_of(create).get_string("message")
        == "pods \"x\" is forbidden: pod does not have \"kubernetes.io/config.mirror\" annotation, node \"edge-1\" can only create mirror pods");
}

TEST_CASE("a node reads only configmaps and secrets its pods reference") {
  cluster k;
  CHECK(k.edge1.get("/api/v1/namespaces/default/configmaps/app-config").status == 200);
  CHECK(k.edge1.get("/api/v1/namespaces/default/secrets/app-secret").status == 200);
  CHECK(k.edge1.get("/api/v1/namespaces/default/configmaps/kube-root-ca.crt").status == 200);
  check_forbidden(k.edge1.get("/api/v1/namespaces/default/configmaps/other-config"),
                  R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \"other-config\" is forbidden: User \"system:node:edge-1\" cannot get resource \"configmaps\" in API group \"\" in the namespace \"default\": no relationship found between node 'edge-1' and this object","reason":"Forbidden","details":{"name":"other-config","kind":"configmaps"},"code":403})");
  check_forbidden(k.edge1.get("/api/v1/namespaces/default/secrets/other-secret"),
                  R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"secrets \"other-secret\" is forbidden: User \"system:node:edge-1\" cannot get resource \"secrets\" in API group \"\" in the namespace \"default\": no relationship found between node 'edge-1' and this object","reason":"Forbidden","details":{"name":"other-secret","kind":"secrets"},"code":403})");
  auto list = k.edge1.get("/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Dapp-config");
  CHECK(list.status == 200);
  CHECK(body_of(list)["items"].size() == 1);
  CHECK(k.edge1.get("/api/v1/namespaces/default/configmaps").status == 403);
  auto watch = k.edge1.watch("/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Dapp-config&watch=true&timeoutSeconds=1");
  CHECK(watch->stream_status() == 200);
  // Service accounts: only tokens for pods on this node, never reads.
  CHECK(k.edge1.get("/api/v1/namespaces/default/serviceaccounts/default").status == 403);
  auto pod = body_of(k.edge1.get("/api/v1/namespaces/default/pods/web-1"));
  auto uid = pod.find_path({"metadata", "uid"})->as_string();
  auto token = k.edge1.post("/api/v1/namespaces/default/serviceaccounts/default/token",
                            R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"audiences":["https://kubernetes.default.svc.cluster.local"],"expirationSeconds":3607,"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"web-1","uid":")"
                              + uid + R"("}}})");
  REQUIRE(token.status == 201);
  auto tr = body_of(token);
  CHECK(tr.get_string("kind") == "TokenRequest");
  CHECK(tr.find_path({"status", "token"})->as_string().size() > 100);
  CHECK(tr.find_path({"spec", "expirationSeconds"})->as_int() == 3607);
  auto unbound = k.edge1.post("/api/v1/namespaces/default/serviceaccounts/default/token",
                              R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{}})");
  CHECK(unbound.status == 403);
  CHECK(body_of(unbound).get_string("message")
        == "serviceaccounts \"default\" is forbidden: node requested token not bound to a pod");
}

TEST_CASE("after the final delete a node gets 403 for its pod, not 404") {
  cluster k;
  auto pod = body_of(k.edge1.get("/api/v1/namespaces/default/pods/web-1"));
  auto uid = pod.find_path({"metadata", "uid"})->as_string();
  REQUIRE(k.edge1.del("/api/v1/namespaces/default/pods/web-1",
                      R"({"kind":"DeleteOptions","apiVersion":"v1","gracePeriodSeconds":0,"preconditions":{"uid":")"
                        + uid + R"("}})").status == 200);
  check_forbidden(k.edge1.get("/api/v1/namespaces/default/pods/web-1"),
                  R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"web-1\" is forbidden: User \"system:node:edge-1\" cannot get resource \"pods\" in API group \"\" in the namespace \"default\": no relationship found between node 'edge-1' and this object","reason":"Forbidden","details":{"name":"web-1","kind":"pods"},"code":403})");
  // With the pod gone, its configmap is no longer readable either.
  CHECK(k.edge1.get("/api/v1/namespaces/default/configmaps/app-config").status == 403);
}

TEST_CASE("bad credentials get 401, no credentials are system:anonymous") {
  cluster k;
  client bad{k.srv, std::nullopt};
  auto res = bad.get("/api/v1/namespaces/default/configmaps/app-config");
  CHECK(res.status == 401);
  CHECK(res.body == R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401})");
  client anonymous{k.srv, user_info::anonymous()};
  auto req = make_request("GET", "/api/v1/namespaces/default/configmaps/app-config");
  req.headers.push_back({"User-Agent", "curl/7.88.1"});
  auto anon = anonymous.send(req);
  CHECK(anon.status == 403);
  // curl gets indented JSON, as from the real server (360 bytes).
  CHECK(anon.body.size() == 360);
  CHECK(anon.body.starts_with("{\n  \"kind\": \"Status\",\n"));
  CHECK(body_of(anon) == parse_json(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \"app-config\" is forbidden: User \"system:anonymous\" cannot get resource \"configmaps\" in API group \"\" in the namespace \"default\"","reason":"Forbidden","details":{"name":"app-config","kind":"configmaps"},"code":403})"));
  auto ready = anonymous.get("/readyz");
  CHECK(ready.status == 200);
  CHECK(ready.body == "ok");
  CHECK(ready.content_type == "text/plain; charset=utf-8");
  CHECK(anonymous.get("/api").status == 403);
  CHECK(k.edge1.get("/api").status == 200);
  auto version = k.edge1.get("/version");
  CHECK(version.body.size() == 264);
}

TEST_CASE("grants extend authorization, e.g. CSRs for bootstrap identities") {
  cluster k;
  client bootstrap{k.srv, user_info::from_certificate("system:bootstrap:abcdef",
                                                      {"system:bootstrappers"})};
  auto csr = R"({"apiVersion":"certificates.k8s.io/v1","kind":"CertificateSigningRequest","metadata":{"name":"node-csr-edge-9"},"spec":{"request":"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0K","signerName":"kubernetes.io/kube-apiserver-client-kubelet","usages":["digital signature","client auth"],"expirationSeconds":86400}})";
  CHECK(bootstrap.post("/apis/certificates.k8s.io/v1/certificatesigningrequests", csr).status == 403);
  k.srv.grant({{"system:bootstrappers"}, {"create", "get", "list", "watch"},
               {"certificates.k8s.io"}, {"certificatesigningrequests"}});
  auto created = bootstrap.post("/apis/certificates.k8s.io/v1/certificatesigningrequests", csr);
  REQUIRE(created.status == 201);
  auto obj = body_of(created);
  CHECK(obj.find_path({"spec", "username"})->as_string() == "system:bootstrap:abcdef");
  CHECK(json::dump(*obj.find_path({"spec", "groups"})) == R"(["system:bootstrappers","system:authenticated"])");
  CHECK(json::dump(*obj.find("status")) == "{}");
  obj["status"] = parse_json(R"({"conditions":[{"type":"Approved","status":"True","reason":"SelfApprove","message":"nope"}]})");
  auto self_approve = bootstrap.put("/apis/certificates.k8s.io/v1/certificatesigningrequests/node-csr-edge-9/approval",
                                    json::dump(obj));
  check_forbidden(self_approve, R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"certificatesigningrequests.certificates.k8s.io \"node-csr-edge-9\" is forbidden: User \"system:bootstrap:abcdef\" cannot update resource \"certificatesigningrequests/approval\" in API group \"certificates.k8s.io\" at the cluster scope","reason":"Forbidden","details":{"name":"node-csr-edge-9","group":"certificates.k8s.io","kind":"certificatesigningrequests"},"code":403})");
  auto approved = k.admin_client.put("/apis/certificates.k8s.io/v1/certificatesigningrequests/node-csr-edge-9/approval",
                                     json::dump(obj));
  REQUIRE(approved.status == 200);
  auto cond = body_of(approved).find_path({"status", "conditions"})->as_array()[0];
  CHECK(cond.get_string("type") == "Approved");
  CHECK(!cond.get_string("lastUpdateTime").empty());
  CHECK(body_of(approved).find_path({"status", "certificate"}) == nullptr);
}
