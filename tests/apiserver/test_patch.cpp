// Patch semantics without the server: RFC 7386 merge patches and strategic
// merge patches with merge keys and directives.

#include "tests/apiserver/patch.hpp"
#include "tests/apiserver/test_support.hpp"

#include <doctest/doctest.h>

using namespace cafelet;
using namespace cafelet::apiserver;
using namespace cafelet::apiserver::testing;

namespace {

std::string merge(std::string_view target, std::string_view patch) {
  return json::dump(apply_merge_patch(parse_json(target), parse_json(patch)));
}

std::string smp(std::string_view target, std::string_view patch,
                std::string_view kind = "Pod") {
  auto res = apply_strategic_merge_patch(parse_json(target), parse_json(patch), kind);
  if (!res.error.empty())
    return std::to_string(res.code) + ": " + res.error;
  return json::dump(res.object);
}

} // namespace

TEST_CASE("JSON merge patches follow RFC 7386") {
  CHECK(merge(R"({"a":"b"})", R"({"a":"c"})") == R"({"a":"c"})");
  CHECK(merge(R"({"a":"b"})", R"({"b":"c"})") == R"({"a":"b","b":"c"})");
  CHECK(merge(R"({"a":"b"})", R"({"a":null})") == R"({})");
  CHECK(merge(R"({"a":"b","b":"c"})", R"({"a":null})") == R"({"b":"c"})");
  CHECK(merge(R"({"a":["b"]})", R"({"a":"c"})") == R"({"a":"c"})");
  CHECK(merge(R"({"a":"c"})", R"({"a":["b"]})") == R"({"a":["b"]})");
  CHECK(merge(R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})") == R"({"a":{"b":"d"}})");
  CHECK(merge(R"({"a":[{"b":"c"}]})", R"({"a":[1]})") == R"({"a":[1]})");
  CHECK(merge(R"({"e":null})", R"({"a":1})") == R"({"e":null,"a":1})");
  CHECK(merge(R"([1,2])", R"({"a":"b","c":null})") == R"({"a":"b"})");
  CHECK(merge(R"({})", R"({"a":{"bb":{"ccc":null}}})") == R"({"a":{"bb":{}}})");
}

TEST_CASE("strategic merge patches merge lists by their merge keys") {
  auto pod = R"({"status":{"conditions":[{"type":"A","status":"False"},{"type":"B","status":"False","reason":"x"}]}})";
  CHECK(smp(pod, R"({"status":{"conditions":[{"type":"B","status":"True","reason":null}]}})")
        == R"({"status":{"conditions":[{"type":"A","status":"False"},{"type":"B","status":"True"}]}})");
  // New items join in patch order, interleaved with server-only ones.
  CHECK(smp(pod, R"({"status":{"conditions":[{"type":"C","status":"True"},{"type":"A","status":"True"}]}})")
        == R"({"status":{"conditions":[{"type":"C","status":"True"},{"type":"A","status":"True"},{"type":"B","status":"False","reason":"x"}]}})");
  // $setElementOrder decides the order of patched items.
  CHECK(smp(pod, R"({"status":{"$setElementOrder/conditions":[{"type":"B"},{"type":"A"}],"conditions":[{"type":"A","status":"True"}]}})")
        == R"({"status":{"conditions":[{"type":"A","status":"True"},{"type":"B","status":"False","reason":"x"}]}})");
  CHECK(smp(pod, R"({"status":{"$setElementOrder/conditions":[{"type":"B"},{"type":"A"}],"conditions":[{"type":"A","status":"True"},{"type":"B","status":"True"}]}})")
        == R"({"status":{"conditions":[{"type":"B","status":"True","reason":"x"},{"type":"A","status":"True"}]}})");
  // $patch: delete removes one item, $patch: replace the whole list.
  CHECK(smp(pod, R"({"status":{"conditions":[{"type":"A","$patch":"delete"}]}})")
        == R"({"status":{"conditions":[{"type":"B","status":"False","reason":"x"}]}})");
  CHECK(smp(pod, R"({"status":{"conditions":[{"type":"Z","status":"True"},{"$patch":"replace"}]}})")
        == R"({"status":{"conditions":[{"type":"Z","status":"True"}]}})");
  // Lists without a strategy are replaced; so is everything in merge patches.
  CHECK(smp(R"({"status":{"containerStatuses":[{"name":"a"},{"name":"b"}]}})",
            R"({"status":{"containerStatuses":[{"name":"b","ready":true}]}})")
        == R"({"status":{"containerStatuses":[{"name":"b","ready":true}]}})");
  // An item without its merge key is an internal error, as on the server.
  CHECK(smp(pod, R"({"status":{"conditions":[{"status":"True"}]}})")
        == "500: map: map[status:True] does not contain declared merge key: type");
}

TEST_CASE("strategic merge patches of nodes, containers and metadata") {
  auto node = R"({"status":{"addresses":[{"type":"InternalIP","address":"10.0.0.1"},{"type":"Hostname","address":"n"}]},"spec":{"taints":[{"key":"a","effect":"NoSchedule"}]}})";
  CHECK(smp(node, R"({"status":{"addresses":[{"type":"InternalIP","address":"10.0.0.2"}]}})", "Node")
        == R"({"status":{"addresses":[{"type":"InternalIP","address":"10.0.0.2"},{"type":"Hostname","address":"n"}]},"spec":{"taints":[{"key":"a","effect":"NoSchedule"}]}})");
  CHECK(smp(node, R"({"spec":{"taints":[{"key":"b","effect":"NoExecute"}]}})", "Node")
        == R"({"status":{"addresses":[{"type":"InternalIP","address":"10.0.0.1"},{"type":"Hostname","address":"n"}]},"spec":{"taints":[{"key":"b","effect":"NoExecute"}]}})");
  auto pod = R"({"metadata":{"finalizers":["a"],"ownerReferences":[{"uid":"1","name":"x"}]},"spec":{"containers":[{"name":"c","image":"v1","env":[{"name":"A","value":"1"}]}]}})";
  // Items the server does not have yet come first, as in apimachinery.
  CHECK(smp(pod, R"({"metadata":{"finalizers":["b"],"ownerReferences":[{"uid":"2","name":"y"}]},"spec":{"containers":[{"name":"c","image":"v2","env":[{"name":"B","value":"2"}]}]}})")
        == R"({"metadata":{"finalizers":["a","b"],"ownerReferences":[{"uid":"2","name":"y"},{"uid":"1","name":"x"}]},"spec":{"containers":[{"name":"c","image":"v2","env":[{"name":"B","value":"2"},{"name":"A","value":"1"}]}]}})");
  CHECK(smp(pod, R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}})")
        == R"({"metadata":{"finalizers":[],"ownerReferences":[{"uid":"1","name":"x"}]},"spec":{"containers":[{"name":"c","image":"v1","env":[{"name":"A","value":"1"}]}]}})");
  CHECK(smp(R"({"metadata":{"labels":{"a":"1","b":"2"}}})", R"({"metadata":{"labels":{"$patch":"replace","c":"3"}}})")
        == R"({"metadata":{"labels":{"c":"3"}}})");
  CHECK(smp(R"({"metadata":{"labels":{"a":"1"}},"x":1})", R"({"metadata":{"$patch":"delete"}})")
        == R"({"x":1})");
  CHECK(smp(R"({"spec":{"volumes":[{"name":"v","configMap":{"name":"c"}}]}})",
            R"({"spec":{"volumes":[{"name":"v","emptyDir":{},"$retainKeys":["name","emptyDir"]}]}})")
        == R"({"spec":{"volumes":[{"name":"v","emptyDir":{}}]}})");
}

TEST_CASE("JSON patches apply RFC 6902 operations") {
  auto doc = parse_json(R"({"metadata":{"labels":{"a":"1"}},"spec":{"list":[1,2]}})");
  auto res = apply_json_patch(doc, parse_json(R"([{"op":"add","path":"/metadata/labels/b~1c","value":"2"},{"op":"remove","path":"/metadata/labels/a"},{"op":"add","path":"/spec/list/-","value":3},{"op":"replace","path":"/spec/list/0","value":0},{"op":"copy","from":"/spec/list","path":"/spec/copy"},{"op":"move","from":"/spec/copy","path":"/spec/moved"},{"op":"test","path":"/spec/moved/2","value":3}])"));
  REQUIRE(std::holds_alternative<json::value>(res));
  CHECK(json::dump(std::get<json::value>(res)) == R"({"metadata":{"labels":{"b/c":"2"}},"spec":{"list":[0,2,3],"moved":[0,2,3]}})");
  auto failed = apply_json_patch(doc, parse_json(R"([{"op":"test","path":"/spec/list/0","value":9}])"));
  REQUIRE(std::holds_alternative<std::string>(failed));
  CHECK(std::get<std::string>(failed) == "testing value /spec/list/0 failed: test failed");
  auto missing = apply_json_patch(doc, parse_json(R"([{"op":"replace","path":"/nope","value":1}])"));
  CHECK(std::get<std::string>(missing) == "replace operation does not apply: doc is missing path: /nope: missing value");
}
