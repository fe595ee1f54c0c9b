#include "actors/pods/expansion.hpp"
#include "messages/errors.hpp"
#include "pod_builders.hpp"

#include <doctest/doctest.h>

#include <map>

using namespace cafelet;
using namespace cafelet::actors::pods;
using cafelet::test::make_container;
using cafelet::test::make_pod;

namespace {

env_list ctx() {
  return {{"VAR_A", "A"},       {"VAR_B", "B"},         {"VAR_C", "C"},
          {"VAR_REF", "$(VAR_A)"}, {"VAR_EMPTY", ""}, {"ÀÀÀ", "unicode"}};
}

k8s::env_var literal(std::string name, std::string value) {
  return {std::move(name), std::move(value), std::nullopt};
}

k8s::env_var from(std::string name, k8s::env_var_source src) {
  return {std::move(name), {}, std::move(src)};
}

std::string value_of(const env_list& xs, std::string_view name) {
  for (const auto& [k, v] : xs)
    if (k == name)
      return v;
  FAIL("missing ", name);
  return {};
}

/// ConfigMaps and Secrets for the tests.
struct store {
  std::map<std::string, k8s::string_map, std::less<>> config_maps{
    {"app-config",
     {{"LOG_LEVEL", "debug"}, {"1BAD", "x"}, {"mode", "fast"}}},
    {"more", {{"LOG_LEVEL", "info"}}}};
  std::map<std::string, k8s::string_map, std::less<>> secrets{
    {"creds", {{"password", "hunter2"}}}};

  env_inputs inputs() {
    env_inputs in;
    in.config_map = [this](std::string_view n) -> const k8s::string_map* {
      auto i = config_maps.find(n);
      return i == config_maps.end() ? nullptr : &i->second;
    };
    in.secret = [this](std::string_view n) -> const k8s::string_map* {
      auto i = secrets.find(n);
      return i == secrets.end() ? nullptr : &i->second;
    };
    in.pod_ips = {"10.88.0.7", "fd00::7"};
    in.host_ips = {"192.0.2.2"};
    in.node_allocatable = {{"cpu", "4"}, {"memory", "8Gi"}};
    return in;
  }
};

} // namespace

TEST_SUITE("pods.expansion") {
  TEST_CASE("upstream expansion examples") {
    auto env = ctx();
    std::vector<std::pair<std::string, std::string>> cases{
      {"$(VAR_A)", "A"},
      {"___$(VAR_B)___", "___B___"},
      {"$(VAR_A)-$(VAR_A)", "A-A"},
      {"$(VAR_A)$(VAR_B)$(VAR_C)", "ABC"},
      {"foo\\$(VAR_C)bar", "foo\\Cbar"},
      {"f000-$$VAR_A", "f000-$VAR_A"},
      {"$(VAR_REF)", "$(VAR_A)"},
      {"$(VAR_DNE)", "$(VAR_DNE)"},
      {"$(VAR_EMPTY)", ""},
      {"$$(VAR_B)_$(VAR_A)", "$(VAR_B)_A"},
      {"$$$(VAR_A)", "$A"},
      {"$$$$(VAR_A)", "$$(VAR_A)"},
      {"$$$$$$(BIG_MONEY)", "$$$(BIG_MONEY)"},
      {"$(VAR_A", "$(VAR_A"},
      {"$(VAR_A$(VAR_B)", "$(VAR_A$(VAR_B)"},
      {"$(VAR_A)$", "A$"},
      {"$(VAR_A)$$", "A$"},
      {"$VAR_A", "$VAR_A"},
      {"$()", "$()"},
      {"$(", "$("},
      {"$", "$"},
      {"$$", "$"},
      {"$$$", "$$"},
      {"", ""},
      {"no refs", "no refs"},
      {"$(ÀÀÀ)", "unicode"},
      {"$(ÀÀÀ", "$(ÀÀÀ"},
      {"$(VAR_A)$(VAR_A)$", "AA$"},
    };
    for (const auto& [in, want] : cases) {
      CAPTURE(in);
      CHECK(expand(in, env) == want);
    }
  }

  TEST_CASE("expansion never crashes and uses the last definition") {
    env_list env{{"X", "1"}, {"X", "2"}};
    CHECK(expand("$(X)", env) == "2");
    CHECK(expand("$(X)", var_lookup{}) == "$(X)");
    std::string junk;
    for (int i = 0; i < 256; ++i)
      junk += static_cast<char>(i);
    junk += "$($$($)(";
    CHECK_FALSE(expand(junk, env).empty());
  }

  TEST_CASE("env: order, references to earlier vars and services") {
    store s;
    auto in = s.inputs();
    in.service_env = {{"DB_SERVICE_HOST", "10.0.0.9"}, {"FIRST", "service"}};
    auto pod = make_pod();
    auto c = make_container("app");
    c.env = {literal("FIRST", "one"),
             literal("SECOND", "$(FIRST)-two"),
             literal("LATER_REF", "$(THIRD)"),
             literal("THIRD", "three"),
             literal("DB", "$(DB_SERVICE_HOST):5432"),
             literal("ESC", "$$(FIRST)"),
             literal("FIRST", "uno")};
    auto e = make_environment(pod, c, in);
    REQUIRE(e);
    CHECK(value_of(e->vars, "FIRST") == "uno");
    CHECK(value_of(e->vars, "SECOND") == "one-two");
    CHECK(value_of(e->vars, "LATER_REF") == "$(THIRD)");
    CHECK(value_of(e->vars, "DB") == "10.0.0.9:5432");
    CHECK(value_of(e->vars, "ESC") == "$(FIRST)");
    CHECK(value_of(e->vars, "DB_SERVICE_HOST") == "10.0.0.9");
    // Positions: first definition order, service variables last, no dupes.
    REQUIRE(e->vars.size() == 7);
    CHECK(e->vars.front().first == "FIRST");
    CHECK(e->vars.back().first == "DB_SERVICE_HOST");
  }

  TEST_CASE("envFrom: prefix, later sources win, env wins over envFrom") {
    store s;
    auto pod = make_pod();
    auto c = make_container("app");
    k8s::env_from_source a;
    a.config_map_ref = k8s::env_source_ref{"app-config", std::nullopt};
    k8s::env_from_source b;
    b.config_map_ref = k8s::env_source_ref{"more", std::nullopt};
    k8s::env_from_source p;
    p.prefix = "CFG_";
    p.config_map_ref = k8s::env_source_ref{"app-config", std::nullopt};
    k8s::env_from_source sec;
    sec.secret_ref = k8s::env_source_ref{"creds", std::nullopt};
    c.env_from = {a, b, p, sec};
    c.env = {literal("mode", "$(LOG_LEVEL)/slow")};
    auto e = make_environment(pod, c, s.inputs());
    REQUIRE(e);
    CHECK(value_of(e->vars, "LOG_LEVEL") == "info");
    CHECK(value_of(e->vars, "CFG_LOG_LEVEL") == "debug");
    CHECK(value_of(e->vars, "CFG_1BAD") == "x");
    CHECK(value_of(e->vars, "password") == "hunter2");
    CHECK(value_of(e->vars, "mode") == "info/slow");
    REQUIRE(e->warnings.size() == 1);
    CHECK(e->warnings[0]
          == "Keys [1BAD] from the EnvFrom configMap default/app-config were "
             "skipped since they are considered invalid environment "
             "variable names.");
  }

  TEST_CASE("missing sources: optional ones define nothing, others fail") {
    store s;
    auto pod = make_pod();
    auto c = make_container("app");
    k8s::env_var_source cm;
    cm.config_map_key_ref = k8s::key_selector{"absent", "k", true};
    k8s::env_var_source key;
    key.config_map_key_ref = k8s::key_selector{"app-config", "nokey", true};
    k8s::env_from_source ef;
    ef.secret_ref = k8s::env_source_ref{"nothere", true};
    c.env = {from("A", cm), from("B", key)};
    c.env_from = {ef};
    auto e = make_environment(pod, c, s.inputs());
    REQUIRE(e);
    CHECK(e->vars.empty());
    auto fails = [&](k8s::container x, const std::string& msg) {
      auto r = make_environment(pod, x, s.inputs());
      REQUIRE_FALSE(r);
      CHECK(is(r.error(), errc::invalid));
      CHECK(context_of(r.error()) == msg);
    };
    cm.config_map_key_ref->optional = false;
    c.env = {from("A", cm)};
    c.env_from.clear();
    fails(c, "configmap \"absent\" not found");
    key.config_map_key_ref->optional.reset();
    c.env = {from("B", key)};
    fails(c, "couldn't find key nokey in ConfigMap default/app-config");
    k8s::env_var_source sk;
    sk.secret_key_ref = k8s::key_selector{"creds", "user", std::nullopt};
    c.env = {from("U", sk)};
    fails(c, "couldn't find key user in Secret default/creds");
    sk.secret_key_ref = k8s::key_selector{"creds", "password", std::nullopt};
    c.env = {from("U", sk)};
    CHECK(value_of(make_environment(pod, c, s.inputs())->vars, "U")
          == "hunter2");
    ef.secret_ref->optional = false;
    c.env.clear();
    c.env_from = {ef};
    fails(c, "secret \"nothere\" not found");
    SUBCASE("no lookups at all") {
      k8s::env_from_source x;
      x.config_map_ref = k8s::env_source_ref{"app-config", std::nullopt};
      c.env_from = {x};
      auto r = make_environment(pod, c, env_inputs{});
      REQUIRE_FALSE(r);
    }
  }

  TEST_CASE("fieldRef values") {
    auto pod = make_pod("web", "uid-9");
    pod.metadata.labels = {{"app", "web"}, {"tier", "front\"end"}};
    pod.metadata.annotations = {{"note", "a\nb"}};
    pod.spec.service_account_name = "default";
    std::vector<std::string> ips{"10.88.0.7", "fd00::7"};
    std::vector<std::string> hosts{"192.0.2.2"};
    auto get = [&](std::string path) {
      return field_ref_value(pod, {"v1", std::move(path)}, ips, hosts);
    };
    CHECK(*get("metadata.name") == "web");
    CHECK(*get("metadata.namespace") == "default");
    CHECK(*get("metadata.uid") == "uid-9");
    CHECK(*get("metadata.labels['app']") == "web");
    CHECK(*get("metadata.labels['nope']") == "");
    CHECK(*get("metadata.annotations['note']") == "a\nb");
    CHECK(*get("metadata.labels") == "app=\"web\"\ntier=\"front\\\"end\"");
    CHECK(*get("metadata.annotations") == "note=\"a\\nb\"");
    CHECK(*get("spec.nodeName") == "edge-1");
    CHECK(*get("spec.serviceAccountName") == "default");
    CHECK(*get("status.podIP") == "10.88.0.7");
    CHECK(*get("status.podIPs") == "10.88.0.7,fd00::7");
    CHECK(*get("status.hostIP") == "192.0.2.2");
    CHECK(*get("status.hostIPs") == "192.0.2.2");
    CHECK_FALSE(get("spec.containers"));
    CHECK_FALSE(get("spec.nodeName['x']"));
    CHECK_FALSE(field_ref_value(pod, {"v2", "metadata.name"}, ips, hosts));
    CHECK(*field_ref_value(pod, {"", "metadata.name"}, {}, {}) == "web");
    CHECK(*field_ref_value(pod, {"", "status.podIP"}, {}, {}) == "");
  }

  TEST_CASE("resourceFieldRef values (rounded up, limits default to node)") {
    auto c = make_container("app", {{"memory", "64Mi"}},
                            {{"cpu", "250m"}, {"hugepages-2Mi", "4Mi"}});
    k8s::resource_list alloc{{"cpu", "4"}, {"memory", "8Gi"}};
    auto get = [&](std::string res, std::string divisor = {}) {
      return resource_field_value(c, {"", std::move(res), std::move(divisor)},
                                  alloc);
    };
    CHECK(*get("limits.cpu") == "1");
    CHECK(*get("limits.cpu", "1m") == "250");
    CHECK(*get("requests.cpu", "1m") == "250"); // defaulted from the limit
    CHECK(*get("limits.memory") == "8589934592");
    CHECK(*get("limits.memory", "1Gi") == "8");
    CHECK(*get("requests.memory", "1Mi") == "64");
    CHECK(*get("requests.memory", "1G") == "1");
    CHECK(*get("requests.ephemeral-storage") == "0");
    CHECK(*get("limits.hugepages-2Mi", "1Mi") == "4");
    CHECK(*get("limits.cpu", "0") == "1");
    CHECK_FALSE(get("limits.gpu"));
    CHECK_FALSE(get("cpu"));
    CHECK_FALSE(get("limits.cpu", "lots"));
  }

  TEST_CASE("env resourceFieldRef and fieldRef through make_environment") {
    store s;
    auto pod = make_pod();
    auto c = make_container("app", {}, {{"memory", "1Gi"}});
    pod.spec.containers.push_back(make_container("other", {}, {{"cpu", "2"}}));
    k8s::env_var_source mem;
    mem.resource_field_ref = k8s::resource_field_selector{"", "limits.memory",
                                                          "1Mi"};
    k8s::env_var_source other;
    other.resource_field_ref = k8s::resource_field_selector{"other",
                                                            "limits.cpu", ""};
    k8s::env_var_source ip;
    ip.field_ref = k8s::object_field_selector{"v1", "status.podIP"};
    k8s::env_var_source bad;
    bad.field_ref = k8s::object_field_selector{"v1", "spec.bogus"};
    c.env = {from("MEM", mem), from("OTHER_CPU", other), from("IP", ip),
             literal("URL", "http://$(IP):80"), from("EMPTY", {})};
    auto e = make_environment(pod, c, s.inputs());
    REQUIRE(e);
    CHECK(value_of(e->vars, "MEM") == "1024");
    CHECK(value_of(e->vars, "OTHER_CPU") == "2");
    CHECK(value_of(e->vars, "URL") == "http://10.88.0.7:80");
    CHECK(value_of(e->vars, "EMPTY") == "");
    c.env = {from("BAD", bad)};
    auto r = make_environment(pod, c, s.inputs());
    REQUIRE_FALSE(r);
    CHECK(context_of(r.error()) == "unsupported fieldPath: spec.bogus");
  }

  TEST_CASE("command and args expand against the final environment") {
    auto c = make_container("app");
    c.command = {"/bin/sh", "-c", "echo $(GREETING) $$(NOT) $(MISSING)"};
    c.args = {"$(GREETING)", "$$HOME"};
    env_list env{{"GREETING", "hello"}};
    auto cl = expand_command(c, env);
    CHECK(cl.command
          == std::vector<std::string>{"/bin/sh", "-c",
                                      "echo hello $(NOT) $(MISSING)"});
    CHECK(cl.args == std::vector<std::string>{"hello", "$HOME"});
  }

  TEST_CASE("subPathExpr") {
    env_list env{{"POD_NAME", "web-1"}, {"EMPTY", ""}};
    CHECK(*expand_sub_path("logs/$(POD_NAME)", env) == "logs/web-1");
    auto r = expand_sub_path("$(NOPE)/$(EMPTY)/$(POD_NAME)", env);
    REQUIRE_FALSE(r);
    CHECK(context_of(r.error()) == "missing value for EMPTY, NOPE");
  }

  TEST_CASE("environment variable names") {
    CHECK(is_env_var_name("PATH"));
    CHECK(is_env_var_name("my.var-1_x"));
    CHECK(is_env_var_name("_"));
    CHECK_FALSE(is_env_var_name(""));
    CHECK_FALSE(is_env_var_name("1ABC"));
    CHECK_FALSE(is_env_var_name("A=B"));
    CHECK_FALSE(is_env_var_name("A B"));
  }
}
