// The JSON document model: escaping, strict parsing with useful errors,
// number round trips, key-order-insensitive equality and real API bodies.
#include "messages/errors.hpp"
#include "messages/json/json.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

using namespace cafelet;
using json::value;

namespace {

std::string quoted(std::string_view s) {
  std::string out;
  json::append_quoted(out, s);
  return out;
}

/// Parses `text` and expects failure; returns the error context.
std::string parse_error(std::string_view text) {
  auto res = json::parse(text);
  REQUIRE_MESSAGE(!res, "unexpectedly parsed: ", std::string{text.substr(0, 80)});
  CHECK(is(res.error(), errc::bad_response));
  return context_of(res.error());
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

} // namespace

TEST_CASE("append_quoted escapes quotes, backslashes and control chars") {
  CHECK(quoted("") == R"("")");
  CHECK(quoted("plain") == R"("plain")");
  CHECK(quoted(R"(say "hi")") == R"("say \"hi\"")");
  CHECK(quoted(R"(C:\path)") == R"("C:\\path")");
  CHECK(quoted("a\nb\tc\rd\be\ff") == R"("a\nb\tc\rd\be\ff")");
  CHECK(quoted(std::string_view{"\x00\x01\x1f", 3}) == R"("\u0000\u0001\u001f")");
  CHECK(quoted("\x7f") == "\"\x7f\""); // DEL needs no escape
  CHECK(quoted("/") == R"("/")");
}

TEST_CASE("append_quoted passes valid UTF-8 and replaces invalid bytes") {
  // 2-, 3- and 4-byte sequences pass through untouched.
  CHECK(quoted("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80") ==
        "\"h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  const std::string fffd = "\xEF\xBF\xBD";
  CHECK(quoted("a\xFF" "b") == "\"a" + fffd + "b\"");
  // Lone continuation byte, truncated sequence at the end.
  CHECK(quoted("\x80") == "\"" + fffd + "\"");
  CHECK(quoted("x\xE2\x82") == "\"x" + fffd + fffd + "\"");
  // Overlong encoding of '/', an encoded UTF-16 surrogate, > U+10FFFF.
  CHECK(quoted("\xC0\xAF") == "\"" + fffd + fffd + "\"");
  CHECK(quoted("\xED\xA0\x80") == "\"" + fffd + fffd + fffd + "\"");
  CHECK(quoted("\xF4\x90\x80\x80") == "\"" + fffd + fffd + fffd + fffd + "\"");
  // The output is always valid JSON that parses back.
  auto res = json::parse(quoted("bad\xFF\xFE" "bytes\n"));
  REQUIRE(res);
  CHECK(res->as_string() == "bad" + fffd + fffd + "bytes\n");
}

TEST_CASE("find_invalid_utf8 reports the first bad offset") {
  CHECK(json::find_invalid_utf8("abc") == 3);
  CHECK(json::find_invalid_utf8("ab\xC3\xA9" "c") == 5);
  CHECK(json::find_invalid_utf8("ab\xC3" "c") == 2);
  CHECK(json::find_invalid_utf8("\xF0\x9F\x98") == 0);
}

TEST_CASE("parse builds the expected values") {
  auto res = json::parse(
    R"( {"s":"x\u00e9\ud83d\ude00\n","i":-42,"big":9223372036854775807,)"
    R"("u":18446744073709551615,"d":1.5,"e":1e3,"t":true,"f":false,)"
    R"("n":null,"a":[1,[2],{}],"o":{"k":"v"}} )");
  REQUIRE(res);
  const auto& v = *res;
  REQUIRE(v.is_object());
  CHECK(v.size() == 11);
  CHECK(v.get_string("s") == "x\xC3\xA9\xF0\x9F\x98\x80\n");
  CHECK(v.find("i")->is_int());
  CHECK(v.get_int("i") == -42);
  CHECK(v.get_int("big") == std::numeric_limits<int64_t>::max());
  // Too large for int64: becomes a double.
  CHECK(v.find("u")->kind() == value::type::number);
  CHECK(v.find("u")->as_double() == doctest::Approx(1.8446744073709552e19));
  CHECK(v.find("d")->as_double() == 1.5);
  CHECK(v.find("e")->kind() == value::type::number);
  CHECK(v.find("e")->as_double() == 1000.0);
  CHECK(v.find("t")->as_bool());
  CHECK(v.find("f")->is_bool());
  CHECK(!v.find("f")->as_bool());
  CHECK(v.find("n")->is_null());
  CHECK(v.find("a")->as_array().size() == 3);
  CHECK(v.find("a")->as_array()[1].as_array()[0].as_int() == 2);
  CHECK(v.find_path({"o", "k"})->as_string() == "v");
  CHECK(v.find_path({"o", "missing"}) == nullptr);
  CHECK(v.find_path({"s", "k"}) == nullptr);
  CHECK(v.get_string("i", "fb") == "fb");
  CHECK(v.get_int("s", 7) == 7);
  // Insertion order is kept.
  CHECK(v.as_object().front().first == "s");
  CHECK(v.as_object().back().first == "o");
}

TEST_CASE("parse accepts scalar documents") {
  CHECK(json::parse("null")->is_null());
  CHECK(json::parse(" true ")->as_bool());
  CHECK(json::parse("12")->as_int() == 12);
  CHECK(json::parse("-0.25")->as_double() == -0.25);
  CHECK(json::parse(R"("s")")->as_string() == "s");
  CHECK(json::parse("[]")->as_array().empty());
}

TEST_CASE("duplicate keys keep one member, the last value") {
  auto res = json::parse(R"({"a":1,"b":2,"a":3})");
  REQUIRE(res);
  CHECK(res->size() == 2);
  CHECK(res->get_int("a") == 3);
  // Also for objects large enough to use the hash index.
  std::string text = "{";
  for (int i = 0; i < 40; ++i)
    text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  text += R"("k5":"dup"})";
  auto big = json::parse(text);
  REQUIRE(big);
  CHECK(big->size() == 40);
  CHECK(big->get_string("k5") == "dup");
}

TEST_CASE("parse errors name the reason and byte offset") {
  SUBCASE("truncated") {
    auto msg = parse_error(R"({"apiVersion":"v1","kind":"Eve)");
    CHECK(contains(msg, "unterminated string"));
    msg = parse_error(R"({"a":[1,2)");
    CHECK(contains(msg, "JSON"));
    parse_error(R"({"a":)");
    parse_error(R"({"a")");
    parse_error("[");
    parse_error("tru");
    parse_error("-");
  }
  SUBCASE("empty") {
    CHECK(contains(parse_error(""), "empty"));
    CHECK(contains(parse_error("   \n"), "empty"));
  }
  SUBCASE("trailing garbage") {
    auto msg = parse_error(R"({"a":1} x)");
    CHECK(contains(msg, "trailing"));
    CHECK(contains(msg, "at byte 8"));
    CHECK(contains(parse_error("1 2"), "trailing"));
    parse_error("[] []");
    parse_error("{}}");
    parse_error(R"("a" "b")");
  }
  SUBCASE("syntax") {
    parse_error(R"({"status":{"conditions":[{"type":"Ready",}]}})");
    parse_error("[1,]");
    parse_error("[1 2]");
    parse_error(R"({"a" 1})");
    parse_error(R"({a:1})");
    parse_error("[01]");
    parse_error("[1.]");
    parse_error("[.5]");
    parse_error("[+1]");
    parse_error("[nul]");
    parse_error("[True]");
    parse_error("[NaN]");
    parse_error(R"(["\x"])");
    parse_error(R"(["\u12"])");
    parse_error("[\"tab\there\"]");
    parse_error("{'a':1}");
  }
  SUBCASE("invalid UTF-8 names its offset") {
    auto msg = parse_error("{\"name\":\"ab\xFF\"}");
    CHECK(contains(msg, "invalid UTF-8"));
    CHECK(contains(msg, "at byte 11"));
    parse_error("[\"\xC0\xAF\"]");
    parse_error("[\"\xED\xA0\x80\"]");
  }
  SUBCASE("HTML error page") {
    auto msg = parse_error("<html><head><title>502 Bad Gateway</title></head>"
                           "<body>nginx</body></html>\n");
    CHECK(contains(msg, "at byte 0"));
    CHECK(contains(msg, "<html>"));
  }
  SUBCASE("deep nesting") {
    std::string ok(json::max_depth, '[');
    ok += std::string(json::max_depth, ']');
    CHECK(json::parse(ok));
    std::string deep(json::max_depth + 1, '[');
    deep += std::string(json::max_depth + 1, ']');
    CHECK(contains(parse_error(deep), "nesting deeper than 512"));
    std::string objs;
    for (size_t i = 0; i < 100000; ++i)
      objs += R"({"a":)";
    CHECK(contains(parse_error(objs), "JSON"));
  }
}

TEST_CASE("dump is compact and numbers round-trip") {
  value v;
  v["kind"] = "Pod";
  v["n"] = 3;
  v["pi"] = 3.141592653589793;
  v["one"] = 1.0;
  v["tiny"] = 5e-324;
  v["big"] = 1.7976931348623157e308;
  v["neg"] = int64_t{-9223372036854775807 - 1};
  v["list"] = json::array{value{}, true, "x"};
  v["inf"] = std::numeric_limits<double>::infinity();
  CHECK(json::dump(v) ==
        R"({"kind":"Pod","n":3,"pi":3.141592653589793,"one":1.0,)"
        R"("tiny":5e-324,"big":1.7976931348623157e+308,)"
        R"("neg":-9223372036854775808,"list":[null,true,"x"],"inf":null})");
  auto back = json::parse(json::dump(v));
  REQUIRE(back);
  CHECK(back->find("one")->kind() == value::type::number);
  CHECK(back->find("pi")->as_double() == 3.141592653589793);
  CHECK(back->find("tiny")->as_double() == 5e-324);
  CHECK(back->find("big")->as_double() == 1.7976931348623157e308);
  CHECK(back->get_int("neg") == std::numeric_limits<int64_t>::min());
  for (double d : {0.1, 1e21, 123456.789, -2.5e-8, 0.0}) {
    std::string s;
    json::append_double(s, d);
    auto p = json::parse(s);
    REQUIRE(p);
    CHECK(p->as_double() == d);
  }
}

TEST_CASE("equality is deep and ignores object key order") {
  auto a = json::parse(R"({"a":1,"b":{"x":[1,2],"y":null},"c":"s"})");
  auto b = json::parse(R"({"c":"s","b":{"y":null,"x":[1,2]},"a":1})");
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a == *b);
  auto c = json::parse(R"({"c":"s","b":{"y":null,"x":[2,1]},"a":1})");
  REQUIRE(c);
  CHECK(!(*a == *c)); // array order matters
  auto d = json::parse(R"({"a":1,"b":{"x":[1,2],"y":null}})");
  REQUIRE(d);
  CHECK(!(*a == *d));
  CHECK(value{1} == value{1.0});
  CHECK(!(value{1} == value{1.5}));
  CHECK(!(value{1} == value{"1"}));
  CHECK(!(value{} == value{false}));
  CHECK(value{json::object{}} == json::parse("{}").value());
}

TEST_CASE("mutation helpers") {
  value v;
  CHECK(v.is_null());
  v["metadata"]["name"] = "edge-1";
  v["metadata"]["labels"]["a"] = "b";
  CHECK(v.find_path({"metadata", "labels", "a"})->as_string() == "b");
  CHECK(v.erase("metadata"));
  CHECK(!v.erase("metadata"));
  CHECK(v.is_object());
  CHECK(v.size() == 0);
  value list;
  list.push_back(1);
  list.push_back("two");
  CHECK(json::dump(list) == R"([1,"two"])");
  // Wrong-kind const accessors are harmless.
  const value s{"str"};
  CHECK(s.as_int() == 0);
  CHECK(s.as_array().empty());
  CHECK(s.find("x") == nullptr);
  CHECK(value{size_t{5}}.as_int() == 5);
  CHECK(value{uint64_t{1} << 63}.kind() == value::type::number);
  CHECK(value{2.9}.as_int() == 2);
  // Constructing an object with duplicate keys keeps the first.
  value o{json::object{{"k", 1}, {"k", 2}}};
  CHECK(o.size() == 1);
  CHECK(o.get_int("k") == 1);
  json::object many;
  for (int i = 0; i < 40; ++i)
    many.emplace_back("k" + std::to_string(i % 20), i);
  value m{std::move(many)};
  CHECK(m.size() == 20);
  CHECK(m.get_int("k3") == 3);
  CHECK(m.as_object().back().first == "k19");
}

TEST_CASE("real API server bodies round-trip") {
  const char* bodies[] = {
    // Watch ERROR event for a too-old resourceVersion.
    R"({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},)"
    R"j("status":"Failure","message":"too old resource version: 1 (215)",)j"
    R"("reason":"Expired","code":410}})",
    // Empty pod list.
    R"({"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[]})",
    // A 403 Status with details.
    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)"
    R"("message":"leases.coordination.k8s.io \"edge-2\" is forbidden: User )"
    R"(\"system:node:edge-1\" cannot get resource \"leases\"","reason":"Forbidden",)"
    R"("details":{"name":"edge-2","group":"coordination.k8s.io","kind":"leases"},"code":403})",
    // Lease as returned after create, with managedFields keys full of escapes.
    R"({"kind":"Lease","apiVersion":"coordination.k8s.io/v1","metadata":{"name":"edge-1",)"
    R"("namespace":"kube-node-lease","uid":"41721602-234f-4783-81ee-79a4a8034e16",)"
    R"("resourceVersion":"227","creationTimestamp":"2026-11-22T02:56:08Z",)"
    R"("ownerReferences":[{"apiVersion":"v1","kind":"Node","name":"edge-1",)"
    R"("uid":"d3aa4733-e593-41e0-991b-52a3c7bc5a00"}],"managedFields":[{"manager":"kubelet",)"
    R"("operation":"Update","apiVersion":"coordination.k8s.io/v1","time":"2026-11-22T02:56:08Z",)"
    R"("fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:ownerReferences":{".":{},)"
    R"("k:{\"uid\":\"d3aa4733-e593-41e0-991b-52a3c7bc5a00\"}":{}}},"f:spec":)"
    R"({"f:holderIdentity":{},"f:leaseDurationSeconds":{},"f:renewTime":{}}}}]},)"
    R"("spec":{"holderIdentity":"edge-1","leaseDurationSeconds":40,)"
    R"("renewTime":"2026-11-22T02:56:08.723759Z"}})",
    // ConfigMap data with an embedded newline.
    R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"app-config",)"
    R"("namespace":"default"},"data":{"app.conf":"listen=8080\n","mode":"edge"}})",
    // Node status patch with the strategic-merge directive.
    R"({"status":{"$setElementOrder/conditions":[{"type":"MemoryPressure"},)"
    R"({"type":"DiskPressure"},{"type":"PIDPressure"},{"type":"Ready"}],)"
    R"("conditions":[{"lastHeartbeatTime":"2026-11-22T02:56:40Z","type":"Ready"}]}})",
  };
  for (auto body : bodies) {
    CAPTURE(body);
    auto v = json::parse(body);
    REQUIRE(v);
    // Compact input with unique keys dumps back byte for byte.
    CHECK(json::dump(*v) == body);
    auto again = json::parse(json::dump(*v));
    REQUIRE(again);
    CHECK(*again == *v);
  }
  auto lease = json::parse(bodies[3]).value();
  const auto* fields = lease.find("metadata")->find("managedFields");
  REQUIRE(fields);
  const auto& f = fields->as_array()[0].find_path({"fieldsV1", "f:metadata",
                                                   "f:ownerReferences"});
  REQUIRE(f);
  CHECK(f->find(R"(k:{"uid":"d3aa4733-e593-41e0-991b-52a3c7bc5a00"})"));
  CHECK(lease.find_path({"spec", "leaseDurationSeconds"})->as_int() == 40);
}

TEST_CASE("pretty-printed input parses to the same value as compact input") {
  auto pretty = json::parse(R"({
  "kind": "Status",
  "apiVersion": "v1",
  "metadata": {},
  "status": "Failure",
  "code": 404
}
)");
  auto compact = json::parse(
    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","code":404})");
  REQUIRE(pretty);
  REQUIRE(compact);
  CHECK(*pretty == *compact);
  CHECK(json::dump(*pretty) == json::dump(*compact));
}
