#include "tests/apiserver/selectors.hpp"

#include <doctest/doctest.h>

#include <map>

using namespace cafelet::apiserver;

namespace {

value_lookup lookup(std::map<std::string, std::string> m) {
  return [m = std::move(m)](std::string_view key) -> std::optional<std::string> {
    auto i = m.find(std::string{key});
    if (i == m.end())
      return std::nullopt;
    return i->second;
  };
}

label_selector labels(std::string_view text) {
  auto res = label_selector::parse(text);
  REQUIRE_MESSAGE(std::holds_alternative<label_selector>(res), text);
  return std::get<label_selector>(res);
}

} // namespace

TEST_CASE("label selectors support equality, sets and existence") {
  auto web = lookup({{"app", "web"}, {"tier", "front"}, {"rank", "7"}});
  auto db = lookup({{"app", "db"}});
  CHECK(labels("").matches(web));
  CHECK(labels("app=web").matches(web));
  CHECK(labels("app==web").matches(web));
  CHECK_FALSE(labels("app=web").matches(db));
  CHECK(labels("app!=web").matches(db));
  CHECK(labels("app!=web").matches(lookup({})));
  CHECK(labels("app in (web, db)").matches(db));
  CHECK_FALSE(labels("app notin (web,db)").matches(db));
  CHECK(labels("app notin (web)").matches(lookup({})));
  CHECK(labels("tier").matches(web));
  CHECK_FALSE(labels("tier").matches(db));
  CHECK(labels("!tier").matches(db));
  CHECK(labels("app=web,tier=front").matches(web));
  CHECK_FALSE(labels("app=web,tier=back").matches(web));
  CHECK(labels("rank>5").matches(web));
  CHECK_FALSE(labels("rank<5").matches(web));
  CHECK(labels("app=").matches(lookup({{"app", ""}})));
}

TEST_CASE("label selector syntax errors are reported") {
  CHECK(std::holds_alternative<std::string>(label_selector::parse("app in web")));
  CHECK(std::holds_alternative<std::string>(label_selector::parse("=x")));
  CHECK(std::holds_alternative<std::string>(label_selector::parse("a b")));
  CHECK(std::holds_alternative<std::string>(label_selector::parse("a in ()")));
}

TEST_CASE("field selectors support =, == and != with escapes") {
  auto pod = lookup({{"spec.nodeName", "edge-1"}, {"metadata.name", "a,b"}});
  auto parse = [](std::string_view t) {
    auto res = field_selector::parse(t);
    REQUIRE(std::holds_alternative<field_selector>(res));
    return std::get<field_selector>(res);
  };
  CHECK(parse("spec.nodeName=edge-1").matches(pod));
  CHECK(parse("spec.nodeName==edge-1").matches(pod));
  CHECK_FALSE(parse("spec.nodeName!=edge-1").matches(pod));
  CHECK(parse("metadata.name=a\\,b").matches(pod));
  CHECK(parse("spec.nodeName=").matches(lookup({})));
  CHECK_FALSE(parse("spec.nodeName=").matches(pod));
  CHECK(parse("spec.nodeName=edge-1,metadata.name!=x").matches(pod));
  CHECK(parse("spec.nodeName=edge-1").exact("spec.nodeName") == "edge-1");
  auto bad = field_selector::parse("nonsense");
  REQUIRE(std::holds_alternative<std::string>(bad));
  CHECK(std::get<std::string>(bad)
        == "invalid selector: 'nonsense'; can't understand 'nonsense'");
}
