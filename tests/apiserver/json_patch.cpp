#include "tests/apiserver/patch.hpp"

#include <charconv>
#include <optional>
#include <string>
#include <vector>

namespace cafelet::apiserver {

namespace {

/// Splits an RFC 6901 pointer into unescaped reference tokens.
std::optional<std::vector<std::string>> tokens_of(std::string_view pointer) {
  std::vector<std::string> out;
  if (pointer.empty())
    return out;
  if (pointer.front() != '/')
    return std::nullopt;
  pointer.remove_prefix(1);
  for (;;) {
    auto slash = pointer.find('/');
    auto raw = pointer.substr(0, slash);
    std::string token;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '~' && i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
        token += raw[i + 1] == '0' ? '~' : '/';
        ++i;
      } else {
        token += raw[i];
      }
    }
    out.push_back(std::move(token));
    if (slash == std::string_view::npos)
      break;
    pointer.remove_prefix(slash + 1);
  }
  return out;
}

std::optional<size_t> array_index(const std::string& token, size_t size,
                                  bool allow_end) {
  if (allow_end && token == "-")
    return size;
  size_t idx = 0;
  auto res = std::from_chars(token.data(), token.data() + token.size(), idx);
  if (res.ec != std::errc{} || res.ptr != token.data() + token.size()
      || token.empty() || (token.size() > 1 && token[0] == '0'))
    return std::nullopt;
  if (idx > size || (!allow_end && idx == size))
    return std::nullopt;
  return idx;
}

/// The value at `tokens`, or nullptr.
json::value* resolve(json::value& doc, const std::vector<std::string>& tokens) {
  json::value* cur = &doc;
  for (const auto& t : tokens) {
    if (cur->is_object()) {
      cur = cur->find(t);
    } else if (cur->is_array()) {
      auto idx = array_index(t, cur->as_array().size(), false);
      cur = idx ? &cur->as_array()[*idx] : nullptr;
    } else {
      cur = nullptr;
    }
    if (cur == nullptr)
      return nullptr;
  }
  return cur;
}

bool add_at(json::value& doc, const std::vector<std::string>& tokens,
            json::value v) {
  if (tokens.empty()) {
    doc = std::move(v);
    return true;
  }
  std::vector<std::string> parent_path(tokens.begin(), tokens.end() - 1);
  auto* parent = resolve(doc, parent_path);
  if (parent == nullptr)
    return false;
  const auto& last = tokens.back();
  if (parent->is_object()) {
    (*parent)[last] = std::move(v);
    return true;
  }
  if (parent->is_array()) {
    auto& arr = parent->as_array();
    auto idx = array_index(last, arr.size(), true);
    if (!idx)
      return false;
    arr.insert(arr.begin() + static_cast<long>(*idx), std::move(v));
    return true;
  }
  return false;
}

bool remove_at(json::value& doc, const std::vector<std::string>& tokens) {
  if (tokens.empty())
    return false;
  std::vector<std::string> parent_path(tokens.begin(), tokens.end() - 1);
  auto* parent = resolve(doc, parent_path);
  if (parent == nullptr)
    return false;
  if (parent->is_object())
    return parent->erase(tokens.back());
  if (parent->is_array()) {
    auto& arr = parent->as_array();
    auto idx = array_index(tokens.back(), arr.size(), false);
    if (!idx)
      return false;
    arr.erase(arr.begin() + static_cast<long>(*idx));
    return true;
  }
  return false;
}

} // namespace

std::variant<json::value, std::string>
apply_json_patch(json::value target, const json::value& patch) {
  if (!patch.is_array())
    return std::string{"json: cannot unmarshal object into Go value of type "
                       "jsonpatch.Patch"};
  for (const auto& op : patch.as_array()) {
    auto name = op.get_string("op");
    auto path_text = op.get_string("path");
    auto path = tokens_of(path_text);
    if (!path)
      return "invalid path: " + path_text;
    auto missing = [&](std::string_view what) {
      return std::string{what} + " operation does not apply: doc is missing "
                                 "path: " + path_text + ": missing value";
    };
    if (name == "add") {
      const auto* v = op.find("value");
      if (v == nullptr)
        return std::string{"add operation missing value"};
      if (!add_at(target, *path, *v))
        return missing("add");
    } else if (name == "remove") {
      if (!remove_at(target, *path))
        return missing("remove");
    } else if (name == "replace") {
      const auto* v = op.find("value");
      auto* cur = resolve(target, *path);
      if (v == nullptr || cur == nullptr)
        return missing("replace");
      *cur = *v;
    } else if (name == "move" || name == "copy") {
      auto from_text = op.get_string("from");
      auto from = tokens_of(from_text);
      auto* src = from ? resolve(target, *from) : nullptr;
      if (src == nullptr)
        return name + " operation does not apply: doc is missing from path: "
               + from_text + ": missing value";
      json::value v = *src;
      if (name == "move" && !remove_at(target, *from))
        return missing("move");
      if (!add_at(target, *path, std::move(v)))
        return missing(name);
    } else if (name == "test") {
      const auto* v = op.find("value");
      auto* cur = resolve(target, *path);
      if (v == nullptr || cur == nullptr || !(*cur == *v))
        return "testing value " + path_text + " failed: test failed";
    } else {
      return "Unexpected kind: " + name;
    }
  }
  return target;
}

} // namespace cafelet::apiserver
