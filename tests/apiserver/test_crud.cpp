// Create/get/update/list/delete against the core, with bodies compared to
// what a real kube-apiserver v1.32 answered to the same requests.

#include "tests/apiserver/server.hpp"
#include "tests/apiserver/test_data.hpp"
#include "tests/apiserver/test_support.hpp"

#include <doctest/doctest.h>

using namespace cafelet;
using namespace cafelet::apiserver;
using namespace cafelet::apiserver::testing;

namespace {


/// The real server's 201 body for `node_body` (managedFields left out,
/// volatile values replaced by placeholders).
constexpr std::string_view node_created
  = R"~({"kind":"Node","apiVersion":"v1","metadata":{"name":"edge-1","uid":"<uid>","resourceVersion":"<rv>","creationTimestamp":"<ts>","labels":{"beta.kubernetes.io/arch":"amd64","beta.kubernetes.io/os":"linux","kubernetes.io/arch":"amd64","kubernetes.io/hostname":"edge-1","kubernetes.io/os":"linux"},"annotations":{"volumes.kubernetes.io/controller-managed-attach-detach":"true"}},"spec":{"taints":[{"key":"node.kubernetes.io/not-ready","effect":"NoSchedule"}]},"status":{"capacity":{"cpu":"2","ephemeral-storage":"40901312Ki","hugepages-1Gi":"0","hugepages-2Mi":"0","memory":"24568028Ki","pods":"110"},"allocatable":{"cpu":"2","ephemeral-storage":"37694649077","hugepages-1Gi":"0","hugepages-2Mi":"0","memory":"24465628Ki","pods":"110"},"conditions":[{"type":"MemoryPressure","status":"False","lastHeartbeatTime":"2026-11-22T02:56:08Z","lastTransitionTime":"2026-11-22T02:56:08Z","reason":"KubeletHasSufficientMemory","message":"kubelet has sufficient memory available"},{"type":"DiskPressure","status":"False","lastHeartbeatTime":"2026-11-22T02:56:08Z","lastTransitionTime":"2026-11-22T02:56:08Z","reason":"KubeletHasNoDiskPressure","message":"kubelet has no disk pressure"},{"type":"PIDPressure","status":"False","lastHeartbeatTime":"2026-11-22T02:56:08Z","lastTransitionTime":"2026-11-22T02:56:08Z","reason":"KubeletHasSufficientPID","message":"kubelet has sufficient PID available"},{"type":"Ready","status":"False","lastHeartbeatTime":"2026-11-22T02:56:08Z","lastTransitionTime":"2026-11-22T02:56:08Z","reason":"KubeletNotReady","message":"container runtime status check may not have completed yet"}],"addresses":[{"type":"InternalIP","address":"10.88.0.1"},{"type":"Hostname","address":"edge-1"}],"daemonEndpoints":{"kubeletEndpoint":{"Port":10250}},"nodeInfo":{"machineID":"5f0c3e6f2b8e4c39a1b2c3d4e5f60718","systemUUID":"8a1b2c3d-4e5f-6789-abcd-ef0123456789","bootID":"0d5e2a1c-7b3f-4f0e-9a8d-1c2b3a4d5e6f","kernelVersion":"6.1.0-27-amd64","osImage":"Debian GNU/Linux 12 (bookworm)","containerRuntimeVersion":"containerd://1.6.20","kubeletVersion":"v1.32.13","kubeProxyVersion":"v1.32.13","operatingSystem":"linux","architecture":"amd64"},"images":[{"names":["localhost/busybox:ci"],"sizeBytes":1187840},{"names":["localhost/pause:ci"],"sizeBytes":1187840}]}})~";


constexpr std::string_view lease_created
  = R"({"kind":"Lease","apiVersion":"coordination.k8s.io/v1","metadata":{"name":"edge-1","namespace":"kube-node-lease","uid":"<uid>","resourceVersion":"<rv>","creationTimestamp":"<ts>","ownerReferences":[{"apiVersion":"v1","kind":"Node","name":"edge-1","uid":"d3aa4733-e593-41e0-991b-52a3c7bc5a00"}]},"spec":{"holderIdentity":"edge-1","leaseDurationSeconds":40,"renewTime":"2026-11-22T02:56:08.723759Z"}})";


/// The real 201 body for `pod_body`, without managedFields and without the
/// configMap source only an OpenShift build adds to the token volume.
constexpr std::string_view pod_created
  = R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-1","namespace":"default","uid":"<uid>","resourceVersion":"<rv>","creationTimestamp":"<ts>","labels":{"app":"web"}},"spec":{"volumes":[{"name":"config","configMap":{"name":"app-config","defaultMode":420}},{"name":"<token-volume>","projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},{"downwardAPI":{"items":[{"path":"namespace","fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}]}}],"defaultMode":420}}],"containers":[{"name":"app","image":"localhost/busybox:ci","command":["sh","-c","httpd -f -p 8080 -h /etc/app"],"ports":[{"name":"http","containerPort":8080,"protocol":"TCP"}],"env":[{"name":"MODE","value":"edge"},{"name":"DB_PASSWORD","valueFrom":{"secretKeyRef":{"name":"app-secret","key":"password"}}}],"resources":{"limits":{"memory":"64Mi"},"requests":{"cpu":"50m","memory":"32Mi"}},"volumeMounts":[{"name":"config","readOnly":true,"mountPath":"/etc/app"},{"name":"<token-volume>","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],"livenessProbe":{"tcpSocket":{"port":8080},"initialDelaySeconds":5,"timeoutSeconds":1,"periodSeconds":10,"successThreshold":1,"failureThreshold":3},"readinessProbe":{"httpGet":{"path":"/app.conf","port":"http","scheme":"HTTP"},"timeoutSeconds":1,"periodSeconds":5,"successThreshold":1,"failureThreshold":3},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"Never"},{"name":"sidecar","image":"localhost/busybox:ci","command":["sleep","3600"],"resources":{},"volumeMounts":[{"name":"<token-volume>","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],"livenessProbe":{"exec":{"command":["true"]},"timeoutSeconds":1,"periodSeconds":10,"successThreshold":1,"failureThreshold":3},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"Never"}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"default","serviceAccount":"default","nodeName":"edge-1","securityContext":{},"schedulerName":"default-scheduler","tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300},{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],"priority":0,"enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"},"status":{"phase":"Pending","qosClass":"Burstable"}})";

struct cluster {
  api_server srv;
  client admin_client{srv, admin()};
  client edge1{srv, node_user("edge-1")};
};

} // namespace

TEST_CASE("node registration answers 201 with the not-ready taint, then 409") {
  cluster k;
  auto created = k.edge1.post("/api/v1/nodes", std::string{node_body});
  REQUIRE(created.status == 201);
  CHECK(created.content_type == "application/json");
  CHECK(canonical(body_of(created)) == node_created);
  auto again = k.edge1.post("/api/v1/nodes", std::string{node_body});
  CHECK(again.status == 409);
  CHECK(body_of(again) == parse_json(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"nodes \"edge-1\" already exists","reason":"AlreadyExists","details":{"name":"edge-1","kind":"nodes"},"code":409})"));
  auto got = k.edge1.get("/api/v1/nodes/edge-1");
  CHECK(got.status == 200);
  CHECK(body_of(got) == body_of(created));
  auto cached = k.edge1.get("/api/v1/nodes/edge-1?resourceVersion=0");
  CHECK(body_of(cached) == body_of(created));
}

TEST_CASE("every write increments the global resourceVersion by one") {
  cluster k;
  auto rv0 = k.srv.resource_version();
  auto a = k.admin_client.post("/api/v1/namespaces/default/configmaps",
                               R"({"metadata":{"name":"a"},"data":{"x":"1"}})");
  REQUIRE(a.status == 201);
  CHECK(body_of(a).find_path({"metadata", "resourceVersion"})->as_string()
        == std::to_string(rv0 + 1));
  auto b = k.admin_client.post("/api/v1/namespaces/default/secrets",
                               R"({"metadata":{"name":"b"},"stringData":{"password":"s3cr3t"}})");
  REQUIRE(b.status == 201);
  CHECK(body_of(b).find_path({"metadata", "resourceVersion"})->as_string()
        == std::to_string(rv0 + 2));
  // stringData is write-only: merged into data, type defaulted.
  CHECK(body_of(b).find_path({"data", "password"})->as_string() == "czNjcjN0");
  CHECK(body_of(b).get_string("type") == "Opaque");
  CHECK(body_of(b).find("stringData") == nullptr);
  CHECK(k.srv.resource_version() == rv0 + 2);
  auto missing = k.admin_client.get("/api/v1/namespaces/default/configmaps/nope");
  CHECK(missing.status == 404);
  CHECK(body_of(missing) == parse_json(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \"nope\" not found","reason":"NotFound","details":{"name":"nope","kind":"configmaps"},"code":404})"));
}

TEST_CASE("leases: create, renew, stale renew 409, unconditional renew 422") {
  cluster k;
  auto created = k.edge1.post(
    "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
    std::string{lease_body});
  REQUIRE(created.status == 201);
  CHECK(canonical(body_of(created)) == lease_created);
  auto lease = body_of(created);
  auto rv = lease.find_path({"metadata", "resourceVersion"})->as_string();
  lease["spec"]["renewTime"] = "2026-11-22T02:56:09.742923Z";
  auto renewed = k.edge1.put(
    "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/edge-1",
    json::dump(lease));
  REQUIRE(renewed.status == 200);
  CHECK(std::stoull(body_of(renewed).find_path({"metadata", "resourceVersion"})->as_string())
        == std::stoull(rv) + 1);
  CHECK(body_of(renewed).find_path({"spec", "renewTime"})->as_string()
        == "2026-11-22T02:56:09.742923Z");
  auto stale = k.edge1.put(
    "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/edge-1",
    json::dump(lease));
  CHECK(stale.status == 409);
  CHECK(body_of(stale) == parse_json(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on leases.coordination.k8s.io \"edge-1\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"edge-1","group":"coordination.k8s.io","kind":"leases"},"code":409})"));
  lease["metadata"].erase("resourceVersion");
  auto unconditional = k.edge1.put(
    "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/edge-1",
    json::dump(lease));
  CHECK(unconditional.status == 422);
  CHECK(body_of(unconditional) == parse_json(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"leases.coordination.k8s.io \"edge-1\" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update","reason":"Invalid","details":{"name":"edge-1","group":"coordination.k8s.io","kind":"leases","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: 0x0: must be specified for an update","field":"metadata.resourceVersion"}]},"code":422})"));
}

TEST_CASE("pods get the API defaults and the service account token volume") {
  cluster k;
  auto created = k.admin_client.post("/api/v1/namespaces/default/pods",
                                     std::string{pod_body});
  REQUIRE(created.status == 201);
  CHECK(canonical(body_of(created)) == pod_created);
  auto name = body_of(created).find_path({"spec", "volumes"})->as_array()[1].get_string("name");
  CHECK(name.size() == std::string_view{"kube-api-access-8gscg"}.size());
}

TEST_CASE("events: create, strategic and merge patches, 404, namespace mismatch") {
  cluster k;
  auto ev = R"({"kind":"Event","apiVersion":"v1","metadata":{"name":"edge-1.187a1b2c3d4e5f60","namespace":"default"},"involvedObject":{"kind":"Node","name":"edge-1","uid":"edge-1","apiVersion":"v1"},"reason":"NodeHasSufficientMemory","message":"Node edge-1 status is now: NodeHasSufficientMemory","source":{"component":"kubelet","host":"edge-1"},"firstTimestamp":"2026-11-22T02:58:29Z","lastTimestamp":"2026-11-22T02:58:29Z","count":1,"type":"Normal","eventTime":null,"reportingComponent":"kubelet","reportingInstance":"edge-1"})";
  auto created = k.edge1.post("/api/v1/namespaces/default/events", ev);
  REQUIRE(created.status == 201);
  CHECK(canonical(body_of(created)) == R"({"kind":"Event","apiVersion":"v1","metadata":{"name":"edge-1.187a1b2c3d4e5f60","namespace":"default","uid":"<uid>","resourceVersion":"<rv>","creationTimestamp":"<ts>"},"involvedObject":{"kind":"Node","name":"edge-1","uid":"edge-1","apiVersion":"v1"},"reason":"NodeHasSufficientMemory","message":"Node edge-1 status is now: NodeHasSufficientMemory","source":{"component":"kubelet","host":"edge-1"},"firstTimestamp":"2026-11-22T02:58:29Z","lastTimestamp":"2026-11-22T02:58:29Z","count":1,"type":"Normal","eventTime":null,"reportingComponent":"kubelet","reportingInstance":"edge-1"})");
  auto smp = k.edge1.patch("/api/v1/namespaces/default/events/edge-1.187a1b2c3d4e5f60",
                           R"({"count":2,"lastTimestamp":"2026-11-22T02:58:31Z","message":"Node edge-1 status is now: NodeHasSufficientMemory"})");
  REQUIRE(smp.status == 200);
  CHECK(body_of(smp).get_int("count") == 2);
  auto merge = k.edge1.patch("/api/v1/namespaces/default/events/edge-1.187a1b2c3d4e5f60",
                             R"({"count":3,"lastTimestamp":"2026-11-22T02:58:31Z"})",
                             "application/merge-patch+json");
  REQUIRE(merge.status == 200);
  CHECK(body_of(merge).get_int("count") == 3);
  CHECK(body_of(merge).get_string("lastTimestamp") == "2026-11-22T02:58:31Z");
  auto missing = k.edge1.patch("/api/v1/namespaces/default/events/does-not-exist.1",
                               R"({"count":2})");
  CHECK(missing.status == 404);
  CHECK(body_of(missing) == parse_json(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"events \"does-not-exist.1\" not found","reason":"NotFound","details":{"name":"does-not-exist.1","kind":"events"},"code":404})"));
  auto mismatch = k.edge1.post("/api/v1/namespaces/kube-system/events",
                               R"({"kind":"Event","apiVersion":"v1","metadata":{"name":"edge-1.x","namespace":"default"},"involvedObject":{"kind":"Node","name":"edge-1","uid":"edge-1","apiVersion":"v1"},"reason":"R","count":1})");
  CHECK(mismatch.status == 400);
  CHECK(body_of(mismatch) == parse_json(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the namespace of the provided object does not match the namespace sent on the request","reason":"BadRequest","code":400})"));
}

TEST_CASE("malformed bodies get the real server's 400 and 415 answers") {
  cluster k;
  REQUIRE(k.edge1.post("/api/v1/nodes", std::string{node_body}).status == 201);
  REQUIRE(k.edge1.post("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
                       std::string{lease_body}).status == 201);
  auto truncated = k.edge1.post("/api/v1/namespaces/default/events",
                                R"({"apiVersion":"v1","kind":"Event","metadata":{"name":"x")");
  CHECK(truncated.status == 400);
  CHECK(body_of(truncated) == parse_json(R"~({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the object provided is unrecognized (must be of type Event): couldn't get version/kind; json parse error: unexpected end of JSON input ({\"apiVersion\":\"v1\",\"kind\":\"Eve ...)","reason":"BadRequest","code":400})~"));
  auto bad_smp = k.edge1.patch("/api/v1/nodes/edge-1/status",
                               R"({"status":{"conditions":[{"type":"Ready",}]}})");
  CHECK(bad_smp.status == 400);
  CHECK(body_of(bad_smp) == parse_json(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"invalid character '}' looking for beginning of object key string","reason":"BadRequest","code":400})"));
  auto wrong_type = k.edge1.put(
    "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/edge-1",
    R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"edge-1"},"spec":{"leaseDurationSeconds":"forty"}})");
  CHECK(wrong_type.status == 400);
  CHECK(body_of(wrong_type) == parse_json(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Lease in version \"v1\" cannot be handled as a Lease: json: cannot unmarshal string into Go struct field LeaseSpec.spec.leaseDurationSeconds of type int32","reason":"BadRequest","code":400})"));
  auto json_patch = k.edge1.patch("/api/v1/nodes/edge-1/status", R"({"status":{}})",
                                  "application/json");
  CHECK(json_patch.status == 415);
  CHECK(body_of(json_patch) == parse_json(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"415: Unsupported Media Type","reason":"UnsupportedMediaType","details":{},"code":415})"));
}

TEST_CASE("an empty patch changes nothing and keeps the resourceVersion") {
  cluster k;
  REQUIRE(k.edge1.post("/api/v1/nodes", std::string{node_body}).status == 201);
  auto rv = k.srv.resource_version();
  auto res = k.edge1.patch("/api/v1/nodes/edge-1/status", "{}");
  CHECK(res.status == 200);
  CHECK(k.srv.resource_version() == rv);
  CHECK(body_of(res).find_path({"metadata", "resourceVersion"})->as_string()
        == std::to_string(rv));
}

TEST_CASE("lists page with limit/continue at one consistent resourceVersion") {
  cluster k;
  for (int i = 0; i < 5; ++i)
    REQUIRE(k.admin_client
              .post("/api/v1/namespaces/default/configmaps",
                    R"({"metadata":{"name":"cm-)" + std::to_string(i)
                      + R"(","labels":{"n":")" + std::to_string(i) + R"("}}})")
              .status
            == 201);
  auto first = body_of(k.admin_client.get("/api/v1/namespaces/default/configmaps?limit=2"));
  CHECK(first.get_string("kind") == "ConfigMapList");
  CHECK(first.get_string("apiVersion") == "v1");
  auto items = first["items"].as_array();
  REQUIRE(items.size() == 2);
  // Items are in key order and carry no kind/apiVersion.
  CHECK(items[0].find_path({"metadata", "name"})->as_string() == "cm-0");
  CHECK(items[0].find("kind") == nullptr);
  auto rv = first.find_path({"metadata", "resourceVersion"})->as_string();
  auto token = first.find_path({"metadata", "continue"})->as_string();
  // 5 configmaps + kube-root-ca.crt, 2 returned.
  CHECK(first.find_path({"metadata", "remainingItemCount"})->as_int() == 4);
  // Changes after the first page do not show up in later pages.
  REQUIRE(k.admin_client.del("/api/v1/namespaces/default/configmaps/cm-3").status == 200);
  REQUIRE(k.admin_client.post("/api/v1/namespaces/default/configmaps",
                              R"({"metadata":{"name":"cm-2a"}})").status == 201);
  std::vector<std::string> names;
  while (!token.empty()) {
    auto page = body_of(k.admin_client.get(
      "/api/v1/namespaces/default/configmaps?limit=2&continue=" + token));
    CHECK(page.find_path({"metadata", "resourceVersion"})->as_string() == rv);
    for (const auto& item : page["items"].as_array())
      names.push_back(item.find_path({"metadata", "name"})->as_string());
    const auto* next = page.find_path({"metadata", "continue"});
    token = next ? next->as_string() : "";
  }
  CHECK(names == std::vector<std::string>{"cm-2", "cm-3", "cm-4", "kube-root-ca.crt"});
  // A label selector filters; a selector page has no remainingItemCount.
  auto sel = body_of(k.admin_client.get(
    "/api/v1/namespaces/default/configmaps?labelSelector=n%20in%20(1,4)"));
  REQUIRE(sel["items"].size() == 2);
  CHECK(sel["items"].as_array()[1].find_path({"metadata", "name"})->as_string() == "cm-4");
  // An expired history makes an old continue token fail with 410.
  auto again = body_of(k.admin_client.get("/api/v1/namespaces/default/configmaps?limit=1"));
  auto old_token = again.find_path({"metadata", "continue"})->as_string();
  REQUIRE(k.admin_client.post("/api/v1/namespaces/default/configmaps",
                              R"({"metadata":{"name":"cm-9"}})").status == 201);
  k.srv.expire_history();
  auto gone = k.admin_client.get("/api/v1/namespaces/default/configmaps?limit=1&continue=" + old_token);
  CHECK(gone.status == 410);
  CHECK(body_of(gone).get_string("reason") == "Expired");
}

TEST_CASE("unknown fields are dropped and timestamps re-rendered as Go does") {
  cluster k;
  REQUIRE(k.edge1.post("/api/v1/nodes", std::string{node_body}).status == 201);
  auto res = k.edge1.patch("/api/v1/nodes/edge-1/status",
                           R"({"status":{"bogus":1,"conditions":[{"type":"Ready","lastHeartbeatTime":"2026-11-22T03:00:00.123456+01:00"}]}})");
  REQUIRE(res.status == 200);
  auto node = body_of(res);
  CHECK(node.find_path({"status", "bogus"}) == nullptr);
  const auto& conds = node.find_path({"status", "conditions"})->as_array();
  REQUIRE(conds.size() == 4);
  CHECK(conds[3].get_string("lastHeartbeatTime") == "2026-11-22T02:00:00Z");
}
