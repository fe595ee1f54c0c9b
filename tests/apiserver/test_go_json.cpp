// Go compatibility: encoding/json syntax errors, indentation, and decoding
// into the modelled Go types (type errors, omitempty, zero values).

#include "tests/apiserver/go_json.hpp"
#include "tests/apiserver/schema.hpp"
#include "tests/apiserver/test_support.hpp"

#include <doctest/doctest.h>

using namespace cafelet;
using namespace cafelet::apiserver;
using namespace cafelet::apiserver::testing;

TEST_CASE("syntax errors carry Go's messages") {
  CHECK(go_syntax_error(R"({"a":1})") == std::nullopt);
  CHECK(go_syntax_error("") == "unexpected end of JSON input");
  CHECK(go_syntax_error(R"({"apiVersion":"v1","kind":"Event","metadata":{"name":"x")")
        == "unexpected end of JSON input");
  CHECK(go_syntax_error(R"({"status":{"conditions":[{"type":"Ready",}]}})")
        == "invalid character '}' looking for beginning of object key string");
  CHECK(go_syntax_error(R"({"a" 1})") == "invalid character '1' after object key");
  CHECK(go_syntax_error(R"({"a":1 "b":2})")
        == "invalid character '\"' after object key:value pair");
  CHECK(go_syntax_error("[1 2]") == "invalid character '2' after array element");
  CHECK(go_syntax_error("{\"a\":tru}") == "invalid character '}' in literal true (expecting 'e')");
  CHECK(go_syntax_error("{\"a\":-}") == "invalid character '}' in numeric literal");
  CHECK(go_syntax_error("{\"a\":1.}") == "invalid character '}' after decimal point in numeric literal");
  CHECK(go_syntax_error("{\"a\":\"\\q\"}") == "invalid character 'q' in string escape code");
  CHECK(go_syntax_error("{\"a\":\"\x01\"}") == "invalid character '\\x01' in string literal");
  CHECK(go_syntax_error("{} x") == "invalid character 'x' after top-level value");
  CHECK(go_syntax_error("'a'") == "invalid character '\\'' looking for beginning of value");
}

TEST_CASE("indented output matches Go's json.Indent") {
  auto v = parse_json(R"({"a":{},"b":[],"c":[1,{"d":null}]})");
  CHECK(dump_indented(v) == "{\n  \"a\": {},\n  \"b\": [],\n  \"c\": [\n    1,\n    {\n      \"d\": null\n    }\n  ]\n}");
}

TEST_CASE("decoding reports type mismatches as Go does") {
  auto decode = [](std::string_view kind, std::string_view text) {
    auto v = parse_json(text);
    return decode_as(*schema_for(kind), v).error.value_or("");
  };
  CHECK(decode("Lease", R"({"spec":{"leaseDurationSeconds":"forty"}})")
        == "json: cannot unmarshal string into Go struct field LeaseSpec.spec.leaseDurationSeconds of type int32");
  CHECK(decode("Pod", R"({"status":{"containerStatuses":[{"name":"a","restartCount":1.5}]}})")
        == "json: cannot unmarshal number 1.5 into Go struct field ContainerStatus.status.containerStatuses.restartCount of type int32");
  CHECK(decode("Pod", R"({"metadata":{"labels":{"a":1}}})")
        == "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string");
  CHECK(decode("Node", R"({"spec":[]})")
        == "json: cannot unmarshal array into Go struct field Node.spec of type v1.NodeSpec");
  CHECK(decode("Secret", R"({"data":{"a":"!!!"}})") == "illegal base64 data at input byte 0");
  CHECK(decode("Lease", R"({"spec":{"leaseDurationSeconds":40,"renewTime":null}})") == "");
}

TEST_CASE("decoded objects render like Go marshals them") {
  auto render = [](std::string_view kind, std::string_view text) {
    auto v = parse_json(text);
    auto res = decode_as(*schema_for(kind), v);
    REQUIRE_FALSE(res.error);
    return json::dump(v);
  };
  // Non-omitempty fields appear, empty omitempty ones go, maps are sorted,
  // unknown fields of modelled structs are dropped.
  CHECK(render("Pod", R"({"status":{"conditions":[{"type":"Ready","status":"True","reason":""}],"containerStatuses":[{"name":"a","bogus":1}]},"metadata":{"labels":{"b":"2","a":"1"}},"kind":"Pod"})")
        == R"({"kind":"Pod","metadata":{"creationTimestamp":null,"labels":{"a":"1","b":"2"}},"spec":{"containers":null},"status":{"conditions":[{"type":"Ready","status":"True","lastProbeTime":null,"lastTransitionTime":null}],"containerStatuses":[{"name":"a","state":{},"lastState":{},"ready":false,"restartCount":0,"image":"","imageID":""}]}})");
  // Times are re-rendered in UTC with their precision.
  CHECK(render("Lease", R"({"spec":{"renewTime":"2026-11-22T03:56:08.5+01:00","acquireTime":"2026-11-22T02:56:08Z"}})")
        == R"({"metadata":{"creationTimestamp":null},"spec":{"acquireTime":"2026-11-22T02:56:08.000000Z","renewTime":"2026-11-22T02:56:08.500000Z"}})");
  CHECK(json::dump(zero_value(*schema_for("Pod"))) == R"({"metadata":{"creationTimestamp":null},"spec":{"containers":null},"status":{}})");
}
