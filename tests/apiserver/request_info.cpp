#include "tests/apiserver/request_info.hpp"

#include "tests/apiserver/selectors.hpp"

#include <vector>

namespace cafelet::apiserver {

namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/')
      ++i;
    size_t j = i;
    while (j < path.size() && path[j] != '/')
      ++j;
    if (j > i)
      out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return s;
}

/// strconv.ParseBool's true values.
bool is_true(std::optional<std::string_view> v) {
  return v
         && (*v == "1" || *v == "t" || *v == "T" || *v == "true"
             || *v == "TRUE" || *v == "True");
}

} // namespace

request_info classify(const request& req) {
  request_info info;
  auto parts = split_path(req.path);
  info.verb = lower(req.method);
  if (parts.empty() || (parts[0] != "api" && parts[0] != "apis"))
    return info;
  info.prefix = parts[0];
  size_t i = 1;
  if (info.prefix == "apis") {
    if (parts.size() < 3)
      return info; // discovery: /apis or /apis/<group>
    info.group = parts[1];
    info.version = parts[2];
    i = 3;
  } else {
    if (parts.size() < 2)
      return info; // /api
    info.version = parts[1];
    i = 2;
  }
  if (i >= parts.size())
    return info; // /api/v1, /apis/g/v
  info.is_resource = true;
  bool watch_prefix = false;
  if (parts[i] == "watch") {
    watch_prefix = true;
    ++i;
  }
  // namespaces/<ns>/<resource>/... (but "namespaces/<ns>" itself is the
  // namespace object and "namespaces/<ns>/status" its subresource).
  std::vector<std::string> rest(parts.begin() + static_cast<long>(i),
                                parts.end());
  if (rest.size() >= 3 && rest[0] == "namespaces"
      && rest[2] != "status" && rest[2] != "finalize") {
    info.ns = rest[1];
    rest.erase(rest.begin(), rest.begin() + 2);
  }
  if (rest.empty()) {
    info.malformed = true;
    return info;
  }
  info.resource = rest[0];
  if (rest.size() >= 2) {
    info.name = rest[1];
    info.name_in_path = true;
  }
  if (rest.size() >= 3)
    info.subresource = rest[2];
  if (rest.size() > 3)
    info.malformed = true;
  // Verb.
  if (req.method == "GET" || req.method == "HEAD") {
    if (info.name.empty())
      info.verb = watch_prefix || is_true(req.param("watch")) ? "watch" : "list";
    else
      info.verb = watch_prefix ? "watch" : "get";
  } else if (req.method == "POST") {
    info.verb = "create";
  } else if (req.method == "PUT") {
    info.verb = "update";
  } else if (req.method == "PATCH") {
    info.verb = "patch";
  } else if (req.method == "DELETE") {
    info.verb = info.name.empty() ? "deletecollection" : "delete";
  }
  // A list/watch restricted to one name counts as a request for that name.
  if ((info.verb == "list" || info.verb == "watch") && info.name.empty()) {
    if (auto fs = req.param("fieldSelector")) {
      auto parsed = field_selector::parse(*fs);
      if (auto* sel = std::get_if<field_selector>(&parsed))
        if (auto n = sel->exact("metadata.name"))
          info.name = *n;
    }
  }
  return info;
}

} // namespace cafelet::apiserver
