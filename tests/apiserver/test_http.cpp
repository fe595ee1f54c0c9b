// The server over real TLS with client certificates: kubectl get and the
// Python Kubernetes client against it, certificate authentication (401),
// chunked watch framing, and refusing connections during a hang.

#include "tests/apiserver/http_front.hpp"
#include "tests/apiserver/pki.hpp"
#include "tests/apiserver/server.hpp"
#include "tests/apiserver/test_data.hpp"
#include "tests/apiserver/test_support.hpp"
#include "tests/support/process.hpp"

#include "messages/errors.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>

using namespace cafelet;
using namespace cafelet::apiserver;
using namespace cafelet::apiserver::testing;
using namespace std::chrono_literals;

namespace {

std::string python3() {
  const char* p = std::getenv("PYTHON3");
  return p != nullptr ? p : "/usr/bin/python3";
}

/// Runs a program to completion; returns (exit code, output).
std::pair<int, std::string> run(const std::vector<std::string>& argv) {
  cafelet::testing::child_process child{argv};
  REQUIRE(child.pid() > 0);
  auto code = child.wait_exit(60s);
  REQUIRE_MESSAGE(code.has_value(), "timed out: " << argv[0]);
  return {*code, child.output()};
}

/// A Python snippet that sends one HTTPS request with an optional client
/// certificate and prints the status line and the body.
constexpr std::string_view probe = R"py(
import http.client, ssl, sys
url_host, port, ca, cert, key, method, path = sys.argv[1:8]
ctx = ssl.create_default_context(cafile=ca)
if cert:
    ctx.load_cert_chain(cert, key)
conn = http.client.HTTPSConnection(url_host, int(port), context=ctx, timeout=30)
conn.request(method, path, headers={"Accept": "application/json"})
res = conn.getresponse()
print(res.status)
print(res.getheader("Transfer-Encoding") or "-")
while True:
    line = res.readline()
    if not line:
        break
    sys.stdout.write(line.decode())
    sys.stdout.flush()
print("<end>")
)py";

/// A server on HTTPS with a generated PKI.
struct tls_cluster {
  std::string dir;
  test_pki pki;
  std::unique_ptr<api_server> srv;
  std::unique_ptr<http_front> front;
  cert_pair admin_cert;
  cert_pair node_cert;
  std::string admin_config;
  std::string node_config;

  tls_cluster() {
    char tmpl[] = "/tmp/cafelet-apiserver-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    auto generated = test_pki::generate(dir);
    REQUIRE_MESSAGE(static_cast<bool>(generated),
                    describe(generated.error()));
    pki = std::move(*generated);
    server_options opts;
    opts.root_ca_pem = pki.ca_pem();
    srv = std::make_unique<api_server>(opts);
    auto started = http_front::start(*srv, {"127.0.0.1", 0, pki.server().cert,
                                            pki.server().key, pki.ca().cert});
    REQUIRE_MESSAGE(static_cast<bool>(started), describe(started.error()));
    front = std::move(*started);
    auto a = pki.issue_client("admin", "kapi-admin", {"system:masters"});
    auto n = pki.issue_client("edge-1", "system:node:edge-1", {"system:nodes"});
    REQUIRE((a && n));
    admin_cert = *a;
    node_cert = *n;
    admin_config = *pki.write_kubeconfig("admin", admin_cert, front->url(), "admin");
    node_config = *pki.write_kubeconfig("edge-1", node_cert, front->url(), "edge-1");
  }

  ~tls_cluster() {
    front.reset();
    srv.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  std::pair<int, std::string> get(const std::string& path,
                                  const cert_pair* cert) {
    return run({python3(), "-c", std::string{probe}, "127.0.0.1",
                std::to_string(front->port()), pki.ca().cert,
                cert ? cert->cert : "", cert ? cert->key : "", "GET", path});
  }

  /// Creates node edge-1 and a running pod on it through the core.
  void populate() {
    client node{*srv, node_user("edge-1")};
    client adm{*srv, admin()};
    REQUIRE(node.post("/api/v1/nodes", std::string{node_body}).status == 201);
    REQUIRE(node.patch("/api/v1/nodes/edge-1/status",
                       R"({"status":{"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady"}]}})")
              .status
            == 200);
    REQUIRE(adm.post("/api/v1/namespaces/default/pods", std::string{pod_body}).status == 201);
    REQUIRE(node.patch("/api/v1/namespaces/default/pods/web-1/status",
                       R"({"status":{"phase":"Running","podIP":"10.88.0.17","containerStatuses":[{"name":"app","ready":true,"restartCount":0,"image":"localhost/busybox:ci","imageID":"","state":{"running":{"startedAt":"2026-11-22T02:57:42Z"}}},{"name":"sidecar","ready":true,"restartCount":2,"image":"localhost/busybox:ci","imageID":"","state":{"running":{"startedAt":"2026-11-22T02:57:42Z"}}}]}})",
                       "application/merge-patch+json")
              .status
            == 200);
  }
};

bool contains_line(const std::string& out, std::vector<std::string_view> words) {
  size_t start = 0;
  while (start < out.size()) {
    auto end = out.find('\n', start);
    auto line = std::string_view{out}.substr(start, end == std::string::npos
                                                      ? std::string::npos
                                                      : end - start);
    bool all = true;
    size_t pos = 0;
    for (auto w : words) {
      auto found = line.find(w, pos);
      if (found == std::string_view::npos) {
        all = false;
        break;
      }
      pos = found + w.size();
    }
    if (all)
      return true;
    if (end == std::string::npos)
      break;
    start = end + 1;
  }
  return false;
}

} // namespace

TEST_CASE("kubectl get nodes and get pods -o wide work over TLS") {
  tls_cluster k;
  k.populate();
  auto [code, out] = run({"/usr/bin/kubectl", "--kubeconfig", k.admin_config,
                          "get", "nodes"});
  CAPTURE(out);
  CHECK(code == 0);
  CHECK(contains_line(out, {"NAME", "STATUS", "ROLES", "AGE", "VERSION"}));
  CHECK(contains_line(out, {"edge-1", "Ready", "<none>", "v1.32.13"}));
  auto [wcode, wide] = run({"/usr/bin/kubectl", "--kubeconfig", k.admin_config,
                            "get", "pods", "-o", "wide"});
  CAPTURE(wide);
  CHECK(wcode == 0);
  CHECK(contains_line(wide, {"NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP",
                             "NODE", "NOMINATED NODE", "READINESS GATES"}));
  CHECK(contains_line(wide, {"web-1", "2/2", "Running", "2", "10.88.0.17",
                             "edge-1", "<none>", "<none>"}));
  auto [nscode, ns] = run({"/usr/bin/kubectl", "--kubeconfig", k.admin_config,
                           "get", "namespaces"});
  CAPTURE(ns);
  CHECK(nscode == 0);
  CHECK(contains_line(ns, {"NAME", "STATUS", "AGE"}));
  CHECK(contains_line(ns, {"kube-node-lease", "Active"}));
  // The node identity is held to its own objects by kubectl too.
  auto [ncode, nout] = run({"/usr/bin/kubectl", "--kubeconfig", k.node_config,
                            "get", "pods", "-A"});
  CHECK(ncode != 0);
  CHECK(nout.find("can only list/watch pods with spec.nodeName field selector")
        != std::string::npos);
  auto [scode, sout] = run({"/usr/bin/kubectl", "--kubeconfig", k.node_config,
                            "get", "pods", "-A", "--field-selector",
                            "spec.nodeName=edge-1"});
  CAPTURE(sout);
  CHECK(scode == 0);
  CHECK(contains_line(sout, {"default", "web-1", "2/2", "Running"}));
}

TEST_CASE("the Python Kubernetes client lists and watches pods") {
  tls_cluster k;
  auto rv_before = k.srv->resource_version();
  k.populate();
  auto script = R"py(
import sys
from kubernetes import client, config, watch
config.load_kube_config(sys.argv[1])
v1 = client.CoreV1Api()
pods = v1.list_pod_for_all_namespaces()
for p in pods.items:
    print("POD", p.metadata.namespace, p.metadata.name, p.spec.node_name, p.status.phase, p.status.pod_ip)
node = v1.read_node("edge-1")
print("NODE", node.metadata.name, [c.type + "=" + c.status for c in node.status.conditions])
w = watch.Watch()
for ev in w.stream(v1.list_namespaced_pod, "default", resource_version=sys.argv[2], timeout_seconds=1):
    print("EVENT", ev["type"], ev["object"].metadata.name, ev["object"].status.phase)
print("DONE")
)py";
  auto [code, out] = run({python3(), "-c", script, k.admin_config,
                          std::to_string(rv_before)});
  CAPTURE(out);
  CHECK(code == 0);
  CHECK(out.find("POD default web-1 edge-1 Running 10.88.0.17") != std::string::npos);
  CHECK(out.find("NODE edge-1 ['MemoryPressure=False', 'DiskPressure=False', 'PIDPressure=False', 'Ready=True']")
        != std::string::npos);
  CHECK(out.find("EVENT ADDED web-1 Pending\nEVENT MODIFIED web-1 Running\nDONE")
        != std::string::npos);
}

TEST_CASE("client certificates: verified, expired, untrusted and absent") {
  tls_cluster k;
  k.populate();
  auto expired = k.pki.issue_client("expired", "system:node:edge-1", {"system:nodes"}, -1);
  auto rogue = k.pki.self_signed_client("untrusted", "system:node:edge-1");
  REQUIRE((expired && rogue));
  auto [c1, ok] = k.get("/api/v1/namespaces/default/configmaps/kube-root-ca.crt", &k.node_cert);
  CAPTURE(ok);
  CHECK(ok.starts_with("200\n"));
  CHECK(ok.find("-----BEGIN CERTIFICATE-----\\n") != std::string::npos);
  for (const auto* cert : {&*expired, &*rogue}) {
    auto [code, out] = k.get("/api/v1/namespaces/default/configmaps/app-config", cert);
    CAPTURE(out);
    CHECK(out.starts_with("401\n"));
    CHECK(out.find(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401})")
          != std::string::npos);
  }
  auto [c3, anon] = k.get("/api/v1/namespaces/default/configmaps/app-config", nullptr);
  CHECK(anon.starts_with("403\n"));
  CHECK(anon.find("User \\\"system:anonymous\\\" cannot get resource") != std::string::npos);
  auto [c4, ready] = k.get("/readyz", nullptr);
  CHECK(ready.starts_with("200\n"));
  CHECK(ready.find("ok") != std::string::npos);
}

TEST_CASE("watch streams are chunked JSON lines ended by the timeout") {
  tls_cluster k;
  auto rv = k.srv->resource_version();
  k.populate();
  auto [code, out] = k.get("/api/v1/pods?fieldSelector=spec.nodeName%3Dedge-1&watch=true&timeoutSeconds=1&resourceVersion="
                             + std::to_string(rv),
                           &k.node_cert);
  CAPTURE(out);
  CHECK(out.starts_with("200\nchunked\n{\"type\":\"ADDED\",\"object\":{\"kind\":\"Pod\""));
  CHECK(out.find("\n{\"type\":\"MODIFIED\",\"object\":{\"kind\":\"Pod\"") != std::string::npos);
  CHECK(out.ends_with("}\n<end>\n"));
}

TEST_CASE("a hang in refuse mode closes the port until resumed") {
  tls_cluster k;
  k.srv->hang(0ms, hang_mode::refuse);
  auto [code, out] = k.get("/readyz", nullptr);
  CHECK(code != 0);
  CHECK(out.find("ConnectionRefusedError") != std::string::npos);
  k.srv->resume();
  auto [code2, out2] = k.get("/readyz", nullptr);
  CHECK(code2 == 0);
  CHECK(out2.starts_with("200\n"));
}
