#include "actors/volumes/projection.hpp"

#include "messages/errors.hpp"
#include "net/client/base64.hpp"

#include <doctest/doctest.h>

using namespace cafelet;
using namespace cafelet::actors::volumes;
using cafelet::net::base64_encode;

namespace {

k8s::config_map make_config_map() {
  k8s::config_map cm;
  cm.metadata.name = "app";
  cm.data = {{"app.conf", "level=debug\n"}, {"greeting", "hello"}};
  cm.binary_data = {{"blob", base64_encode(std::string{"\x00\xff\xfe", 3})}};
  return cm;
}

k8s::secret make_secret() {
  k8s::secret s;
  s.metadata.name = "creds";
  s.data = {{"password", base64_encode("hunter2")},
            {"raw", base64_encode(std::string{"\xc3\x28\x00\x80", 4})}};
  return s;
}

k8s::key_to_path item(std::string key, std::string path,
                      std::optional<int32_t> mode = std::nullopt) {
  return {std::move(key), std::move(path), mode};
}

/// Asserts `r` failed with `code` and exactly `text`.
template <class T>
void check_error(const caf::expected<T>& r, errc code, const std::string& text) {
  REQUIRE_FALSE(r);
  CHECK_EQ(code_of(r.error()), code);
  CHECK_EQ(context_of(r.error()), text);
}

k8s::pod make_pod() {
  k8s::pod pod;
  pod.metadata.name = "web-0";
  pod.metadata.namespace_ = "shop";
  pod.metadata.uid = "6f1c1c2e-0000-4000-8000-000000000001";
  pod.metadata.labels = {{"tier", "frontend"}, {"app", "web"}};
  pod.metadata.annotations = {{"note", "say \"hi\"\nbye"},
                              {"city", "Zürich 東京"},
                              {"path", "C:\\tmp\t1"}};
  k8s::container c;
  c.name = "main";
  c.resources.limits = {{"cpu", "250m"}, {"memory", "128Mi"}};
  c.resources.requests = {{"cpu", "100m"}};
  pod.spec.containers.push_back(c);
  k8s::container side;
  side.name = "side"; // no limits: node allocatable
  pod.spec.containers.push_back(side);
  return pod;
}

k8s::downward_api_file field_file(std::string path, std::string field,
                                  std::optional<int32_t> mode = std::nullopt) {
  k8s::downward_api_file f;
  f.path = std::move(path);
  f.field_ref = k8s::object_field_selector{"v1", std::move(field)};
  f.mode = mode;
  return f;
}

k8s::downward_api_file resource_file(std::string path, std::string container,
                                     std::string resource,
                                     std::string divisor = {}) {
  k8s::downward_api_file f;
  f.path = std::move(path);
  f.resource_field_ref = k8s::resource_field_selector{
    std::move(container), std::move(resource), std::move(divisor)};
  return f;
}

downward_inputs node_inputs() {
  return {{{"cpu", "4"}, {"memory", "8Gi"}, {"ephemeral-storage", "100Gi"}}};
}

} // namespace

TEST_CASE("configMap volume: all keys of data and binaryData") {
  auto cm = make_config_map();
  k8s::config_map_volume v;
  v.name = "app";
  auto r = config_map_payload(v, &cm);
  REQUIRE(r);
  REQUIRE_EQ(r->size(), 3u);
  CHECK_EQ(r->at("app.conf").data, "level=debug\n");
  CHECK_EQ(r->at("greeting").data, "hello");
  CHECK_EQ(r->at("blob").data, std::string("\x00\xff\xfe", 3));
  for (const auto& [path, file] : *r)
    CHECK_EQ(file.mode, 0644u);
  v.default_mode = 0400;
  r = config_map_payload(v, &cm);
  REQUIRE(r);
  CHECK_EQ(r->at("greeting").mode, 0400u);
  CHECK_EQ(r->at("blob").mode, 0400u);
}

TEST_CASE("configMap volume: items select keys, item mode beats defaultMode") {
  auto cm = make_config_map();
  k8s::config_map_volume v;
  v.name = "app";
  v.items = {item("greeting", "etc/hello.txt", 0600), item("blob", "bin/b")};
  auto r = config_map_payload(v, &cm);
  REQUIRE(r);
  REQUIRE_EQ(r->size(), 2u);
  CHECK_EQ(r->at("etc/hello.txt").data, "hello");
  CHECK_EQ(r->at("etc/hello.txt").mode, 0600u);
  CHECK_EQ(r->at("bin/b").data, std::string("\x00\xff\xfe", 3));
  CHECK_EQ(r->at("bin/b").mode, 0644u);
  v.default_mode = 0440;
  r = config_map_payload(v, &cm);
  REQUIRE(r);
  CHECK_EQ(r->at("etc/hello.txt").mode, 0600u);
  CHECK_EQ(r->at("bin/b").mode, 0440u);
}

TEST_CASE("configMap volume: missing object and key") {
  k8s::config_map_volume v;
  v.name = "absent";
  check_error(config_map_payload(v, nullptr), errc::not_found,
              "configmap \"absent\" not found");
  v.optional = true;
  auto r = config_map_payload(v, nullptr);
  REQUIRE(r);
  CHECK(r->empty());
  auto cm = make_config_map();
  v.name = "app";
  v.optional = false;
  v.items = {item("greeting", "g"), item("nope", "n")};
  check_error(config_map_payload(v, &cm), errc::invalid,
              "configmap references non-existent config key: nope");
  v.optional = true;
  r = config_map_payload(v, &cm);
  REQUIRE(r);
  REQUIRE_EQ(r->size(), 1u);
  CHECK_EQ(r->at("g").data, "hello");
}

TEST_CASE("configMap volume: bad binaryData and bad modes fail") {
  auto cm = make_config_map();
  cm.binary_data["broken"] = "!!not base64!!";
  k8s::config_map_volume v;
  v.name = "app";
  check_error(config_map_payload(v, &cm), errc::bad_response,
              "configmap \"app\": key \"broken\" is not valid base64");
  cm = make_config_map();
  v.default_mode = 01000;
  check_error(config_map_payload(v, &cm), errc::invalid,
              "invalid file mode 512: must be a number between 0 and 0777 "
              "(octal), both inclusive");
  v.default_mode = std::nullopt;
  v.items = {item("greeting", "g", -1)};
  CHECK_FALSE(config_map_payload(v, &cm));
}

TEST_CASE("secret volume: decoded bytes, items, modes") {
  auto s = make_secret();
  k8s::secret_volume v;
  v.secret_name = "creds";
  auto r = secret_payload(v, &s);
  REQUIRE(r);
  REQUIRE_EQ(r->size(), 2u);
  CHECK_EQ(r->at("password").data, "hunter2");
  CHECK_EQ(r->at("raw").data, std::string("\xc3\x28\x00\x80", 4));
  CHECK_EQ(r->at("raw").mode, 0644u);
  v.default_mode = 0400;
  v.items = {item("raw", "keys/raw.bin"), item("password", "pw", 0440)};
  r = secret_payload(v, &s);
  REQUIRE(r);
  REQUIRE_EQ(r->size(), 2u);
  CHECK_EQ(r->at("keys/raw.bin").mode, 0400u);
  CHECK_EQ(r->at("keys/raw.bin").data.size(), 4u);
  CHECK_EQ(r->at("pw").mode, 0440u);
}

TEST_CASE("secret volume: missing object and key") {
  k8s::secret_volume v;
  v.secret_name = "gone";
  check_error(secret_payload(v, nullptr), errc::not_found,
              "secret \"gone\" not found");
  v.optional = true;
  auto r = secret_payload(v, nullptr);
  REQUIRE(r);
  CHECK(r->empty());
  auto s = make_secret();
  v.secret_name = "creds";
  v.optional = std::nullopt;
  v.items = {item("token", "t")};
  check_error(secret_payload(v, &s), errc::invalid,
              "secret references non-existent secret key: token");
  v.optional = true;
  r = secret_payload(v, &s);
  REQUIRE(r);
  CHECK(r->empty());
}

TEST_CASE("downwardAPI volume: metadata fields and map formatting") {
  auto pod = make_pod();
  k8s::downward_api_volume v;
  v.items = {field_file("labels", "metadata.labels"),
             field_file("annotations", "metadata.annotations", 0400),
             field_file("name", "metadata.name"),
             field_file("ns", "metadata.namespace"),
             field_file("uid", "metadata.uid"),
             field_file("sub/./tier", "metadata.labels['tier']"),
             field_file("none", "metadata.labels['missing']"),
             field_file("note", "metadata.annotations['note']")};
  auto r = downward_payload(v, pod, node_inputs());
  REQUIRE(r);
  REQUIRE_EQ(r->size(), 8u);
  CHECK_EQ(r->at("labels").data, "app=\"web\"\ntier=\"frontend\"");
  CHECK_EQ(r->at("annotations").data,
           "city=\"Zürich 東京\"\nnote=\"say \\\"hi\\\"\\nbye\"\n"
           "path=\"C:\\\\tmp\\t1\"");
  CHECK_EQ(r->at("annotations").mode, 0400u);
  CHECK_EQ(r->at("labels").mode, 0644u);
  CHECK_EQ(r->at("name").data, "web-0");
  CHECK_EQ(r->at("ns").data, "shop");
  CHECK_EQ(r->at("uid").data, "6f1c1c2e-0000-4000-8000-000000000001");
  CHECK_EQ(r->at("sub/tier").data, "frontend"); // path cleaned
  CHECK_EQ(r->at("none").data, "");
  CHECK_EQ(r->at("note").data, "say \"hi\"\nbye"); // single value: raw
  v.default_mode = 0440;
  r = downward_payload(v, pod, node_inputs());
  REQUIRE(r);
  CHECK_EQ(r->at("labels").mode, 0440u);
  CHECK_EQ(r->at("annotations").mode, 0400u);
  pod.metadata.labels.clear();
  v.items = {field_file("labels", "metadata.labels")};
  r = downward_payload(v, pod, node_inputs());
  REQUIRE(r);
  CHECK_EQ(r->at("labels").data, "");
}

TEST_CASE("downwardAPI volume: resourceFieldRef with divisors and defaults") {
  auto pod = make_pod();
  k8s::downward_api_volume v;
  v.items = {resource_file("cpu_m", "main", "limits.cpu", "1m"),
             resource_file("cpu", "main", "limits.cpu", "1"),
             resource_file("cpu_nodiv", "main", "limits.cpu"),
             resource_file("mem_mi", "main", "limits.memory", "1Mi"),
             resource_file("mem", "main", "limits.memory"),
             resource_file("req_cpu", "main", "requests.cpu", "1m"),
             resource_file("req_mem", "main", "requests.memory", "1Mi"),
             resource_file("side_cpu", "side", "limits.cpu", "1m"),
             resource_file("side_mem", "side", "limits.memory", "1Gi"),
             resource_file("side_eph", "side", "limits.ephemeral-storage",
                           "1Gi")};
  auto r = downward_payload(v, pod, node_inputs());
  REQUIRE(r);
  CHECK_EQ(r->at("cpu_m").data, "250");
  CHECK_EQ(r->at("cpu").data, "1"); // 0.25 cores rounded up
  CHECK_EQ(r->at("cpu_nodiv").data, "1");
  CHECK_EQ(r->at("mem_mi").data, "128");
  CHECK_EQ(r->at("mem").data, "134217728");
  CHECK_EQ(r->at("req_cpu").data, "100");
  CHECK_EQ(r->at("req_mem").data, "128"); // request defaults to the limit
  CHECK_EQ(r->at("side_cpu").data, "4000");
  CHECK_EQ(r->at("side_mem").data, "8");
  CHECK_EQ(r->at("side_eph").data, "100");
  CHECK_EQ(r->at("cpu_m").mode, 0644u);
}

TEST_CASE("downwardAPI volume: unsupported fields and containers fail") {
  auto pod = make_pod();
  k8s::downward_api_volume v;
  v.items = {field_file("node", "spec.nodeName")};
  check_error(downward_payload(v, pod, node_inputs()), errc::invalid,
              "downwardAPI item \"node\": unsupported fieldPath: "
              "spec.nodeName");
  v.items = {field_file("name", "metadata.name"),
             field_file("x", "metadata.bogus"),
             resource_file("c", "nobody", "limits.cpu")};
  check_error(downward_payload(v, pod, node_inputs()), errc::invalid,
              "[downwardAPI item \"x\": unsupported fieldPath: metadata.bogus, "
              "downwardAPI item \"c\": container nobody not found]");
  v.items = {resource_file("gpu", "main", "limits.nvidia.com/gpu")};
  auto r = downward_payload(v, pod, node_inputs());
  REQUIRE_FALSE(r);
  CHECK(context_of(r.error()).starts_with("downwardAPI item \"gpu\": "));
}

TEST_CASE("projected volume: sources merged in order with defaultMode") {
  auto pod = make_pod();
  auto cm = make_config_map();
  auto s = make_secret();
  k8s::projected_volume v;
  v.default_mode = 0440;
  k8s::volume_projection p1;
  p1.config_map = k8s::object_projection{"app", {item("greeting", "hello")},
                                         std::nullopt};
  k8s::volume_projection p2;
  p2.secret = k8s::object_projection{
    "creds", {item("password", "pw", 0400), item("raw", "hello")},
    std::nullopt};
  k8s::volume_projection p3;
  p3.downward_api = k8s::downward_api_volume{
    {field_file("labels", "metadata.labels"),
     resource_file("cpu", "main", "limits.cpu", "1m")},
    0777}; // a projection's own defaultMode does not exist upstream: ignored
  k8s::volume_projection p4;
  p4.service_account_token = k8s::service_account_token_projection{
    "vault", 3600, "token"};
  v.sources = {p1, p2, p3, p4};
  projected_inputs in;
  in.config_maps = {{"app", &cm}};
  in.secrets = {{"creds", &s}};
  in.tokens = {{3, "eyJhbGciOi.token"}};
  in.downward = node_inputs();
  auto r = projected_payload(v, pod, in);
  REQUIRE(r);
  REQUIRE_EQ(r->size(), 5u);
  // The secret (later) replaced the configMap's file at the same path.
  CHECK_EQ(r->at("hello").data, std::string("\xc3\x28\x00\x80", 4));
  CHECK_EQ(r->at("hello").mode, 0440u);
  CHECK_EQ(r->at("pw").data, "hunter2");
  CHECK_EQ(r->at("pw").mode, 0400u);
  CHECK_EQ(r->at("labels").data, "app=\"web\"\ntier=\"frontend\"");
  CHECK_EQ(r->at("labels").mode, 0440u);
  CHECK_EQ(r->at("cpu").data, "250");
  CHECK_EQ(r->at("token").data, "eyJhbGciOi.token");
  CHECK_EQ(r->at("token").mode, 0440u);
  SUBCASE("no defaultMode: 0644") {
    v.default_mode = std::nullopt;
    r = projected_payload(v, pod, in);
    REQUIRE(r);
    CHECK_EQ(r->at("labels").mode, 0644u);
    CHECK_EQ(r->at("token").mode, 0644u);
  }
  SUBCASE("fsGroup makes the token 0600") {
    pod.spec.security_context = k8s::pod_security_context{};
    pod.spec.security_context->fs_group = 2000;
    r = projected_payload(v, pod, in);
    REQUIRE(r);
    CHECK_EQ(r->at("token").mode, 0600u);
    CHECK_EQ(r->at("labels").mode, 0440u);
  }
  SUBCASE("one user for all containers makes the token 0600") {
    pod.spec.security_context = k8s::pod_security_context{};
    pod.spec.security_context->run_as_user = 1000;
    r = projected_payload(v, pod, in);
    REQUIRE(r);
    CHECK_EQ(r->at("token").mode, 0600u);
    pod.spec.containers[1].security_context = k8s::security_context{};
    pod.spec.containers[1].security_context->run_as_user = 1001;
    r = projected_payload(v, pod, in);
    REQUIRE(r);
    CHECK_EQ(r->at("token").mode, 0440u);
  }
  SUBCASE("a missing token fails") {
    in.tokens.clear();
    check_error(projected_payload(v, pod, in), errc::not_ready,
                "no service account token for projected source 3");
  }
}

TEST_CASE("projected volume: missing objects follow each optional flag") {
  auto pod = make_pod();
  k8s::projected_volume v;
  k8s::volume_projection a;
  a.config_map = k8s::object_projection{"cm-opt", {}, true};
  k8s::volume_projection b;
  b.secret = k8s::object_projection{"sec-opt", {item("k", "k")}, true};
  v.sources = {a, b};
  projected_inputs in;
  in.secrets = {{"sec-opt", nullptr}};
  auto r = projected_payload(v, pod, in);
  REQUIRE(r);
  CHECK(r->empty());
  k8s::volume_projection c;
  c.config_map = k8s::object_projection{"cm", {}, std::nullopt};
  v.sources.push_back(c);
  check_error(projected_payload(v, pod, in), errc::not_found,
              "configmap \"cm\" not found");
  k8s::volume_projection d;
  d.secret = k8s::object_projection{"sec", {}, false};
  v.sources.push_back(d);
  check_error(projected_payload(v, pod, in), errc::not_found,
              "[configmap \"cm\" not found, secret \"sec\" not found]");
}

TEST_CASE("projected volume: unsupported source kinds fail") {
  auto pod = make_pod();
  k8s::projected_volume v;
  k8s::volume_projection p;
  p.unsupported = "clusterTrustBundle";
  v.sources = {p};
  check_error(projected_payload(v, pod, {}), errc::invalid,
              "projected volume source \"clusterTrustBundle\" is not "
              "supported");
  v.sources = {k8s::volume_projection{}}; // nothing set: skipped
  auto r = projected_payload(v, pod, {});
  REQUIRE(r);
  CHECK(r->empty());
}

TEST_CASE("references_of: volumes, env, envFrom, init containers, pull "
          "secrets") {
  k8s::pod pod;
  pod.spec.image_pull_secrets = {"registry"};
  k8s::container init;
  init.name = "init";
  init.env_from = {{"", k8s::env_source_ref{"init-cm", std::nullopt},
                    std::nullopt},
                   {"S_", std::nullopt, k8s::env_source_ref{"init-sec", true}}};
  pod.spec.init_containers.push_back(init);
  k8s::container app;
  app.name = "app";
  k8s::env_var_source cm_ref;
  cm_ref.config_map_key_ref = k8s::key_selector{"env-cm", "k", std::nullopt};
  k8s::env_var_source sec_ref;
  sec_ref.secret_key_ref = k8s::key_selector{"env-sec", "k", std::nullopt};
  k8s::env_var_source field;
  field.field_ref = k8s::object_field_selector{"v1", "metadata.name"};
  app.env = {{"A", {}, cm_ref}, {"B", {}, sec_ref}, {"C", {}, field},
             {"D", "literal", std::nullopt}};
  pod.spec.containers.push_back(app);
  k8s::volume v1;
  v1.name = "cm";
  v1.config_map = k8s::config_map_volume{};
  v1.config_map->name = "vol-cm";
  k8s::volume v2;
  v2.name = "sec";
  v2.secret = k8s::secret_volume{};
  v2.secret->secret_name = "vol-sec";
  k8s::volume v3;
  v3.name = "proj";
  v3.projected = k8s::projected_volume{};
  k8s::volume_projection pc, ps;
  pc.config_map = k8s::object_projection{"proj-cm", {}, std::nullopt};
  ps.secret = k8s::object_projection{"proj-sec", {}, std::nullopt};
  v3.projected->sources = {pc, ps};
  k8s::volume v4;
  v4.name = "scratch";
  v4.empty_dir = k8s::empty_dir_volume{};
  pod.spec.volumes = {v1, v2, v3, v4};
  auto refs = references_of(pod);
  CHECK_EQ(refs.config_maps,
           std::set<std::string>{"env-cm", "init-cm", "proj-cm", "vol-cm"});
  CHECK_EQ(refs.secrets,
           std::set<std::string>{"env-sec", "init-sec", "proj-sec", "registry",
                                 "vol-sec"});
  CHECK_FALSE(refs.service_account_token);
  k8s::volume_projection pt;
  pt.service_account_token = k8s::service_account_token_projection{
    "", std::nullopt, "token"};
  pod.spec.volumes[2].projected->sources.push_back(pt);
  CHECK(references_of(pod).service_account_token);
  CHECK(references_of(k8s::pod{}).config_maps.empty());
}
