// Static pod manifests: YAML/JSON parsing with line numbers, the v1 Pod
// schema, validation and the node identity of upstream's applyDefaults.
#include "messages/json/json.hpp"
#include "messages/k8s/manifest.hpp"
#include "messages/k8s/pod_schema.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace cafelet;
using namespace std::chrono;

namespace {

constexpr std::string_view web_yaml = R"(# A static web server.
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
  - name: nginx
    image: nginx:1.27
    ports:
    - containerPort: 80
)";

/// The same pod as JSON, keys in another order.
constexpr std::string_view web_json = R"({
  "kind": "Pod",
  "apiVersion": "v1",
  "spec": {"containers": [{"image": "nginx:1.27", "ports": [{"containerPort": 80}],
                           "name": "nginx"}]},
  "metadata": {"labels": {"app": "web"}, "name": "web"}
})";

k8s::static_pod_origin origin(std::string file = "/etc/kubernetes/manifests/"
                                                 "web.yaml",
                              std::string node = "Edge-1") {
  auto seen = k8s::timestamp{sys_days{year{2026} / 11 / 22}.time_since_epoch()
                             + hours{4} + minutes{35} + milliseconds{120}};
  return k8s::static_pod_origin{std::move(file), std::move(node), seen};
}

/// Reads `text`, requiring success.
k8s::static_pod read_ok(std::string_view text,
                        const k8s::static_pod_origin& o = origin()) {
  auto res = k8s::read_static_pod(text, o);
  if (auto* p = std::get_if<k8s::manifest_problem>(&res))
    FAIL("unexpected problem: ", k8s::to_string(*p, o.file));
  auto& sp = std::get<k8s::static_pod>(res);
  REQUIRE(sp.pod);
  REQUIRE(sp.json);
  return sp;
}

/// Reads `text`, requiring a problem.
k8s::manifest_problem read_bad(std::string_view text) {
  auto res = k8s::read_static_pod(text, origin());
  if (auto* sp = std::get_if<k8s::static_pod>(&res))
    FAIL("unexpectedly read: ", *sp->json);
  return std::get<k8s::manifest_problem>(res);
}

/// `web_yaml` with `from` replaced by `to`.
std::string web_with(std::string_view from, std::string_view to) {
  std::string text{web_yaml};
  auto pos = text.find(from);
  REQUIRE_MESSAGE(pos != std::string::npos, "missing: ", std::string{from});
  text.replace(pos, from.size(), to);
  return text;
}

json::value parse_json(const std::string& text) {
  auto v = json::parse(text);
  REQUIRE(v);
  return std::move(*v);
}

} // namespace

TEST_CASE("a YAML manifest becomes a static pod with the node identity") {
  auto sp = read_ok(web_yaml);
  const auto& p = *sp.pod;
  // UID: MD5 of the key-sorted JSON, then "host:<node>" and "file:<path>".
  CHECK(p.metadata.uid == "65910452881b46c1af7631a116790fb7");
  CHECK(p.metadata.name == "web-edge-1");
  CHECK(p.metadata.namespace_ == "default");
  CHECK(p.metadata.labels.at("app") == "web");
  CHECK(p.metadata.annotations.at("kubernetes.io/config.hash")
        == p.metadata.uid);
  CHECK(p.metadata.annotations.at("kubernetes.io/config.source") == "file");
  CHECK(p.metadata.annotations.at("kubernetes.io/config.seen")
        == "2026-11-22T04:35:00.12Z");
  CHECK(p.spec.node_name == "Edge-1");
  REQUIRE(p.spec.tolerations.size() == 1);
  CHECK(p.spec.tolerations[0].key.empty());
  CHECK(p.spec.tolerations[0].operator_ == "Exists");
  CHECK(p.spec.tolerations[0].effect == "NoExecute");
  CHECK(!p.spec.tolerations[0].toleration_seconds);
  CHECK(p.status.phase == "Pending");
  REQUIRE(p.spec.containers.size() == 1);
  CHECK(p.spec.containers[0].image == "nginx:1.27");
  CHECK(p.spec.containers[0].ports[0].container_port == 80);
  // The JSON is the same pod.
  auto j = parse_json(*sp.json);
  CHECK(j.find_path({"metadata", "name"})->as_string() == "web-edge-1");
  CHECK(j.find_path({"metadata", "uid"})->as_string() == p.metadata.uid);
  CHECK(j.find_path({"spec", "nodeName"})->as_string() == "Edge-1");
  CHECK(j.find_path({"status", "phase"})->as_string() == "Pending");
  CHECK(j.get_string("kind") == "Pod");
}

TEST_CASE("the UID ignores formatting, comments and key order") {
  auto uid = read_ok(web_yaml).pod->metadata.uid;
  CHECK(read_ok(web_json).pod->metadata.uid == uid);
  auto reformatted = R"(
kind: "Pod"     # kind first
apiVersion: 'v1'
spec: {containers: [{name: nginx, ports: [{containerPort: 0x50}],
                     image: "nginx:1.27"}]}
metadata:
    labels: {app: web}
    name: web
)";
  CHECK(read_ok(reformatted).pod->metadata.uid == uid);
}

TEST_CASE("the UID changes with content, node name and file path") {
  auto uid = read_ok(web_yaml).pod->metadata.uid;
  CHECK(read_ok(web_with("nginx:1.27", "nginx:1.28")).pod->metadata.uid
        != uid);
  CHECK(read_ok(web_yaml, origin("/etc/kubernetes/manifests/web.yaml",
                                 "edge-2"))
          .pod->metadata.uid
        != uid);
  CHECK(read_ok(web_yaml, origin("/etc/kubernetes/manifests/web2.yaml"))
          .pod->metadata.uid
        != uid);
  // The node name is hashed as given, although the pod name lower-cases it.
  CHECK(read_ok(web_yaml, origin("/etc/kubernetes/manifests/web.yaml",
                                 "edge-1"))
          .pod->metadata.uid
        != uid);
}

TEST_CASE("a UID in the manifest is kept") {
  auto sp = read_ok(web_with("  name: web\n", "  name: web\n  uid: fixed-1\n"));
  CHECK(sp.pod->metadata.uid == "fixed-1");
  CHECK(sp.pod->metadata.annotations.at("kubernetes.io/config.hash")
        == "fixed-1");
}

TEST_CASE("identity keeps the namespace, annotations and tolerations given") {
  auto text = web_with("  labels:\n", R"(  namespace: kube-system
  annotations:
    note: hello
  labels:
)");
  text += R"(  tolerations:
  - key: dedicated
    operator: Equal
    value: infra
    effect: NoSchedule
  - operator: Exists
    effect: NoExecute
    tolerationSeconds: 30
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions:
          - {key: role, operator: In, values: [edge]}
)";
  auto sp = read_ok(text);
  const auto& p = *sp.pod;
  CHECK(p.metadata.namespace_ == "kube-system");
  CHECK(p.metadata.annotations.at("note") == "hello");
  CHECK(p.metadata.annotations.size() == 4);
  // The matching toleration is replaced (no tolerationSeconds), the other
  // one kept.
  REQUIRE(p.spec.tolerations.size() == 2);
  CHECK(p.spec.tolerations[0].key == "dedicated");
  CHECK(p.spec.tolerations[1].operator_ == "Exists");
  CHECK(p.spec.tolerations[1].effect == "NoExecute");
  CHECK(!p.spec.tolerations[1].toleration_seconds);
  // Fields the typed model does not carry stay in the JSON.
  auto j = parse_json(*sp.json);
  const auto* terms = j.find_path({"spec", "affinity", "nodeAffinity",
                                   "requiredDuringSchedulingIgnoredDuringExecution",
                                   "nodeSelectorTerms"});
  REQUIRE(terms != nullptr);
  CHECK(json::dump(*terms)
        == R"([{"matchExpressions":[{"key":"role","operator":"In","values":["edge"]}]}])");
}

TEST_CASE("an exact NoExecute toleration is not added twice") {
  auto sp = read_ok(std::string{web_yaml}
                    + "  tolerations:\n  - operator: Exists\n"
                      "    effect: NoExecute\n");
  CHECK(sp.pod->spec.tolerations.size() == 1);
}

TEST_CASE("plain scalars resolve as YAML 1.1 (go-yaml v2)") {
  // spec.overhead is a free-form map the typed model does not decode, so the
  // converted values show in the JSON as they are.
  auto sp = read_ok(std::string{web_yaml} + R"(  overhead:
    hex: 0x1F
    octal: 017
    octal2: 0o17
    under: 1_000
    yes1: yes
    off1: Off
    y1: y
    tilde: ~
    nul: NULL
    empty:
    float: 1.5
    whole: 2.0
    exp: 1e3
    dot: .5
    eight: 08
    neghex: -0x10
    quoted: "yes"
    single: '017'
    text: 12abc
    tagged: !!str 5
    true: 1
    80: 2
)");
  auto j = parse_json(*sp.json);
  const auto* o = j.find_path({"spec", "overhead"});
  REQUIRE(o != nullptr);
  auto expected = json::parse(R"({"hex":31,"octal":15,"octal2":15,"under":1000,
    "yes1":true,"off1":false,"y1":true,"tilde":null,"nul":null,"empty":null,
    "float":1.5,"whole":2,"exp":1000,"dot":0.5,"eight":8,"neghex":-16,
    "quoted":"yes","single":"017","text":"12abc","tagged":"5","true":1,
    "80":2})");
  REQUIRE(expected);
  CHECK(*o == *expected);
  CHECK(o->find("whole")->is_int());
}

TEST_CASE("merge keys and anchors work as in go-yaml") {
  auto sp = read_ok(web_with("  labels:\n    app: web\n",
                             "  labels: &l\n    app: web\n  annotations:\n"
                             "    <<: *l\n    note: hi\n"));
  CHECK(sp.pod->metadata.annotations.at("app") == "web");
  CHECK(sp.pod->metadata.annotations.at("note") == "hi");
}

TEST_CASE("bad YAML names the line") {
  auto p = read_bad(R"(apiVersion: v1
kind: Pod
metadata:
  name: web
   labels: x
spec: {}
)");
  CHECK(p.line == 5);
  CHECK(p.field.empty());
  CHECK(p.message.starts_with("invalid YAML: "));
  auto q = read_bad("apiVersion: v1\nkind: Pod\nspec: {containers: [\n");
  CHECK(q.line == 4);
  CHECK(q.message.starts_with("invalid YAML: "));
}

TEST_CASE("a manifest holds exactly one document") {
  auto p = read_bad(std::string{web_yaml} + "---\n" + std::string{web_yaml});
  CHECK(p.line == 16);
  CHECK(p.message.starts_with("multiple YAML documents"));
  // Empty documents around the pod do not count.
  read_ok("---\n" + std::string{web_yaml} + "---\n");
  CHECK(read_bad("").message.starts_with("empty manifest"));
  CHECK(read_bad("  \n# nothing here\n").message.starts_with("empty "
                                                             "manifest"));
  auto list = read_bad("- a\n- b\n");
  CHECK(list.line == 1);
  CHECK(list.message.find("got a list") != std::string::npos);
}

TEST_CASE("kind and apiVersion must be Pod and v1") {
  auto p = read_bad(web_with("kind: Pod", "kind: Deployment"));
  CHECK(p.line == 3);
  CHECK(p.field == "kind");
  CHECK(p.message == R"(Unsupported value: "Deployment": supported values: "Pod")");
  auto q = read_bad(web_with("apiVersion: v1", "apiVersion: apps/v1"));
  CHECK(q.line == 2);
  CHECK(q.field == "apiVersion");
  CHECK(q.message == R"(Unsupported value: "apps/v1": supported values: "v1")");
  auto r = read_bad(web_with("kind: Pod\n", ""));
  CHECK(r.field == "kind");
  CHECK(r.message.starts_with("Required value"));
}

TEST_CASE("unknown fields are rejected with path and line") {
  auto p = read_bad(web_with("    image: nginx:1.27\n",
                             "    image: nginx:1.27\n"
                             "    imagePullPolicyy: Always\n"));
  CHECK(p.line == 12);
  CHECK(p.field == "spec.containers[0].imagePullPolicyy");
  CHECK(p.message == "unknown field");
  CHECK(k8s::to_string(p, "/m/web.yaml")
        == "/m/web.yaml:12: spec.containers[0].imagePullPolicyy: unknown field");
  // Deep inside a probe of the second container.
  auto q = read_bad(std::string{web_yaml} + R"(  - name: side
    image: busybox
    livenessProbe:
      httpGet:
        path: /healthz
        porrt: 8080
)");
  CHECK(q.line == 19);
  CHECK(q.field == "spec.containers[1].livenessProbe.httpGet.porrt");
  // At the top and in JSON manifests.
  auto r = read_bad(std::string{web_yaml} + "extra: 1\n");
  CHECK(r.field == "extra");
  CHECK(r.line == 14);
  auto s = read_bad(R"({"apiVersion": "v1", "kind": "Pod",
  "metadata": {"name": "web"},
  "spec": {"containers": [{"name": "a", "image": "b",
    "securityContext": {"privileged": true, "runAsUserr": 0}}]}})");
  CHECK(s.line == 4);
  CHECK(s.field == "spec.containers[0].securityContext.runAsUserr");
}

TEST_CASE("values of the wrong shape or type are rejected") {
  auto p = read_bad(web_with("containerPort: 80", "containerPort: \"eighty\""));
  CHECK(p.line == 13);
  CHECK(p.field == "spec.containers[0].ports[0].containerPort");
  CHECK(p.message.find("expected") != std::string::npos);
  CHECK(p.message.find("string") != std::string::npos);
  // A list where a scalar belongs, a string where a list belongs.
  auto q = read_bad(web_with("    image: nginx:1.27\n",
                             "    image: nginx:1.27\n    command: sleep 10\n"));
  CHECK(q.line == 12);
  CHECK(q.field == "spec.containers[0].command");
  CHECK(q.message == "expected array, got string");
  auto r = read_bad(web_with("  name: web\n", "  name: [web]\n"));
  CHECK(r.field == "metadata.name");
  CHECK(r.line == 5);
  // Maps the typed model does not read must still be maps.
  auto m = read_bad(std::string{web_yaml} + "  overhead: [1, 2]\n");
  CHECK(m.line == 14);
  CHECK(m.field == "spec.overhead");
  CHECK(m.message == "expected object, got array");
}

TEST_CASE("YAML 1.1 booleans are not strings") {
  auto p = read_bad(web_with("    image: nginx:1.27\n",
                             "    image: nginx:1.27\n    env:\n"
                             "    - name: DEBUG\n      value: yes\n"));
  CHECK(p.line == 14);
  CHECK(p.field == "spec.containers[0].env[0].value");
  CHECK(p.message.find("boolean") != std::string::npos);
  auto q = read_bad(web_with("    app: web", "    enabled: on"));
  CHECK(q.line == 7);
  CHECK(q.field == "metadata.labels.enabled");
  // Quoted, they are strings.
  read_ok(web_with("    app: web", "    enabled: \"on\""));
}

TEST_CASE("non-JSON values and duplicate keys are rejected") {
  auto p = read_bad(std::string{web_yaml} + "  overhead:\n    cpu: .inf\n");
  CHECK(p.line == 15);
  CHECK(p.field == "spec.overhead.cpu");
  auto q = read_bad(web_with("  name: web\n", "  name: web\n  name: web2\n"));
  CHECK(q.line == 6);
  CHECK(q.field == "metadata.name");
  CHECK(q.message == "duplicate field");
}

TEST_CASE("metadata is validated") {
  auto missing = read_bad(web_with("  name: web\n", ""));
  CHECK(missing.field == "metadata.name");
  CHECK(missing.line == 4);
  CHECK(missing.message.starts_with("Required value"));
  auto p = read_bad(web_with("name: web", "name: Web_1"));
  CHECK(p.line == 5);
  CHECK(p.field == "metadata.name");
  CHECK(p.message.starts_with(R"(Invalid value: "Web_1": a lowercase RFC 1123 subdomain)"));
  // The name with the node suffix must stay within 253 characters.
  read_ok(web_with("name: web", "name: " + std::string(246, 'a')));
  auto long_name = read_bad(web_with("name: web",
                                     "name: " + std::string(247, 'a')));
  CHECK(long_name.field == "metadata.name");
  CHECK(long_name.message.find("must be no more than 253 characters")
        != std::string::npos);
  auto ns = read_bad(web_with("  name: web\n", "  name: web\n  namespace: a.b\n"));
  CHECK(ns.line == 6);
  CHECK(ns.field == "metadata.namespace");
  CHECK(ns.message.find("RFC 1123 label") != std::string::npos);
}

TEST_CASE("a UID given in the manifest must be safe as a directory name") {
  read_ok(web_with("  name: web\n", "  name: web\n  uid: 0b1f6c2e-7d5a_4a8e.1\n"));
  for (auto bad : {"../../etc", "a/b", ".hidden", "-x", "sp ace"}) {
    CAPTURE(bad);
    auto p = read_bad(web_with("  name: web\n", "  name: web\n  uid: \"" + std::string{bad}
                                                 + "\"\n"));
    CHECK(p.field == "metadata.uid");
    CHECK(p.line == 6);
    CHECK(p.message.starts_with("Invalid value"));
  }
  auto long_uid = read_bad(web_with("  name: web\n",
                                    "  name: web\n  uid: " + std::string(129, 'a') + "\n"));
  CHECK(long_uid.field == "metadata.uid");
}

TEST_CASE("a manifest cannot describe a pod being deleted") {
  auto p = read_bad(web_with("  name: web\n",
                             "  name: web\n  deletionTimestamp: \"2026-11-30T10:00:00Z\"\n"));
  CHECK(p.field == "metadata.deletionTimestamp");
  CHECK(p.message.starts_with("Forbidden"));
}

TEST_CASE("containers are validated") {
  auto none = read_bad(web_with("  containers:\n  - name: nginx\n"
                                "    image: nginx:1.27\n    ports:\n"
                                "    - containerPort: 80\n",
                                "  containers: []\n"));
  CHECK(none.line == 9);
  CHECK(none.field == "spec.containers");
  CHECK(none.message == "Required value");
  auto dup = read_bad(web_with("  containers:\n", "  initContainers:\n"
                                                  "  - name: nginx\n"
                                                  "    image: busybox\n"
                                                  "  containers:\n"));
  CHECK(dup.line == 13);
  CHECK(dup.field == "spec.containers[0].name");
  CHECK(dup.message == R"(Duplicate value: "nginx")");
  auto bad_name = read_bad(web_with("- name: nginx", "- name: Nginx"));
  CHECK(bad_name.line == 10);
  CHECK(bad_name.field == "spec.containers[0].name");
  auto no_image = read_bad(web_with("    image: nginx:1.27\n", ""));
  CHECK(no_image.field == "spec.containers[0].image");
  CHECK(no_image.message == "Required value");
  auto port = read_bad(web_with("containerPort: 80", "containerPort: 70000"));
  CHECK(port.line == 13);
  CHECK(port.field == "spec.containers[0].ports[0].containerPort");
  CHECK(port.message
        == "Invalid value: 70000: must be between 1 and 65535, inclusive");
  auto proto = read_bad(web_with("containerPort: 80",
                                 "containerPort: 80\n      protocol: ICMP"));
  CHECK(proto.line == 14);
  CHECK(proto.field == "spec.containers[0].ports[0].protocol");
  auto pull = read_bad(web_with("    image: nginx:1.27\n",
                                "    image: nginx:1.27\n"
                                "    imagePullPolicy: Sometimes\n"));
  CHECK(pull.line == 12);
  CHECK(pull.message == R"(Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never")");
  auto restart = read_bad(std::string{web_yaml} + "  restartPolicy: Sometimes\n");
  CHECK(restart.line == 14);
  CHECK(restart.field == "spec.restartPolicy");
}

TEST_CASE("volumes and mounts are validated") {
  auto mount = read_bad(web_with("    ports:\n", "    volumeMounts:\n"
                                                "    - name: data\n"
                                                "      mountPath: /data\n"
                                                "    ports:\n"));
  CHECK(mount.line == 13);
  CHECK(mount.field == "spec.containers[0].volumeMounts[0].name");
  CHECK(mount.message == R"(Not found: "data")");
  auto volumes = std::string{"  volumes:\n  - name: data\n    emptyDir: {}\n"
                             "  - name: data\n    hostPath: {path: /srv}\n"};
  auto dup = read_bad(std::string{web_yaml} + volumes);
  CHECK(dup.line == 17);
  CHECK(dup.field == "spec.volumes[1].name");
  CHECK(dup.message == R"(Duplicate value: "data")");
  read_ok(web_with("    ports:\n", "    volumeMounts:\n"
                                   "    - name: data\n"
                                   "      mountPath: /data\n"
                                   "    ports:\n")
          + "  volumes:\n  - name: data\n    emptyDir: {}\n");
}

TEST_CASE("hostile input yields problems, not crashes") {
  // An alias bomb, a recursive alias, deep nesting and bad keys.
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    bomb += c;
    bomb += ": &";
    bomb += c;
    bomb += " [";
    for (int i = 0; i < 10; ++i) {
      bomb += i ? ", *" : "*";
      bomb += static_cast<char>(c - 1);
    }
    bomb += "]\n";
  }
  CHECK(read_bad(bomb).message.find("too many values") != std::string::npos);
  CHECK(!read_bad("a: &x [*x]\n").message.empty());
  CHECK(!read_bad(std::string(5000, '[')).message.empty());
  CHECK(read_bad("? [1, 2]\n: x\n").message.find("mapping key") != std::string::npos);
  CHECK(read_bad("~: x\n").message.find("null") != std::string::npos);
  CHECK(read_bad("\"\\xff\": [\n").message.starts_with("invalid YAML"));
}

TEST_CASE("problems render as file:line: field: message") {
  CHECK(k8s::to_string({3, "spec", "boom"}, "f.yaml") == "f.yaml:3: spec: boom");
  CHECK(k8s::to_string({0, "spec", "boom"}, "f.yaml") == "f.yaml: spec: boom");
  CHECK(k8s::to_string({3, "", "boom"}, "f.yaml") == "f.yaml:3: boom");
  CHECK(k8s::to_string({0, "", "boom"}, "") == "boom");
  CHECK(k8s::to_string({7, "spec", "boom"}, "") == "line 7: spec: boom");
}

TEST_CASE("config.seen is RFC3339Nano") {
  auto t = k8s::timestamp{sys_days{year{2026} / 1 / 2}.time_since_epoch()
                          + hours{3}};
  CHECK(k8s::format_rfc3339_nano(t) == "2026-01-02T03:00:00Z");
  CHECK(k8s::format_rfc3339_nano(t + microseconds{1})
        == "2026-01-02T03:00:00.000001Z");
  CHECK(k8s::format_rfc3339_nano(t + microseconds{500000})
        == "2026-01-02T03:00:00.5Z");
}

TEST_CASE("editor temporaries and hidden files are ignored") {
  for (auto name : {".web.yaml", ".web.yaml.swp", "web.yaml~", "web.yaml.swp",
                    "web.yaml.swo", "web.yaml.swx", "web.tmp", "#web.yaml#",
                    "4913", ""})
    CHECK_MESSAGE(k8s::ignored_manifest_name(name), name);
  for (auto name : {"web.yaml", "web.json", "web", "kube-apiserver.manifest",
                    "49130", "web#"})
    CHECK_MESSAGE(!k8s::ignored_manifest_name(name), name);
}

TEST_CASE("the Pod schema table is complete and consistent") {
  CHECK(k8s::pod_schema_error().empty());
  const auto* pod = k8s::pod_schema();
  REQUIRE(pod != nullptr);
  CHECK(pod->name == "Pod");
  const auto* spec = pod->child("spec");
  REQUIRE(spec != nullptr);
  CHECK(spec->fields.size() == 40);
  const auto* container = spec->child("containers")->element();
  REQUIRE(container != nullptr);
  CHECK(container->name == "Container");
  CHECK(container->child("imagePullPolicy") != nullptr);
  CHECK(container->child("imagePullPolicyy") == nullptr);
  // Embedded structs: EphemeralContainer embeds Container, Volume embeds
  // VolumeSource, Probe embeds ProbeHandler.
  const auto* ephemeral = spec->child("ephemeralContainers")->element();
  CHECK(ephemeral->child("targetContainerName") != nullptr);
  CHECK(ephemeral->child("image") != nullptr);
  const auto* volume = spec->child("volumes")->element();
  CHECK(volume->child("name") != nullptr);
  CHECK(volume->child("csi")->child("volumeAttributes")->kind
        == k8s::schema_node::shape::map);
  CHECK(container->child("livenessProbe")->child("grpc") != nullptr);
  // Maps accept any key, and anything below it.
  const auto* labels = pod->child("metadata")->child("labels");
  const auto* value = labels->child("anything");
  REQUIRE(value != nullptr);
  CHECK(value->kind == k8s::schema_node::shape::any);
  CHECK(value->child("deeper") == value);
  CHECK(value->element() == value);
  CHECK(pod->child("status")->child("containerStatuses")->element()
          ->child("state")->child("terminated")->child("exitCode")
        != nullptr);
}
