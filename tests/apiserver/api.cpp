#include "tests/apiserver/api.hpp"

#include <algorithm>
#include <cctype>

namespace cafelet::apiserver {

namespace {

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size()
         && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
              return std::tolower(static_cast<unsigned char>(x))
                     == std::tolower(static_cast<unsigned char>(y));
            });
}

} // namespace

bool user_info::in_group(std::string_view group) const {
  return std::find(groups.begin(), groups.end(), group) != groups.end();
}

std::string user_info::node_name() const {
  constexpr std::string_view prefix = "system:node:";
  if (!name.starts_with(prefix) || !in_group("system:nodes"))
    return {};
  return name.substr(prefix.size());
}

user_info user_info::anonymous() {
  return user_info{"system:anonymous", {"system:unauthenticated"}};
}

user_info user_info::from_certificate(std::string common_name,
                                      std::vector<std::string> organizations) {
  user_info out{std::move(common_name), std::move(organizations)};
  if (!out.in_group("system:authenticated"))
    out.groups.emplace_back("system:authenticated");
  return out;
}

std::optional<std::string_view> request::param(std::string_view key) const {
  for (const auto& [k, v] : query)
    if (k == key)
      return std::string_view{v};
  return std::nullopt;
}

std::optional<std::string_view>
request::header_value(std::string_view name) const {
  for (const auto& h : headers)
    if (iequal(h.name, name))
      return std::string_view{h.value};
  return std::nullopt;
}

} // namespace cafelet::apiserver
