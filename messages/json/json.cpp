#include "messages/json/json.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <ostream>
#include <unordered_set>

namespace cafelet::json {

namespace {

const std::string empty_string;
const array empty_array;
const object empty_object;

} // namespace

value::value(object x) {
  // Enforce unique keys: the first occurrence wins. Views point into `tmp`,
  // which never reallocates (reserved up front).
  object tmp;
  tmp.reserve(x.size());
  std::unordered_set<std::string_view> seen;
  for (auto& [k, v] : x) {
    bool dup;
    if (x.size() <= 16)
      dup = std::any_of(tmp.begin(), tmp.end(),
                        [&k](const auto& kv) { return kv.first == k; });
    else
      dup = seen.count(k) > 0;
    if (dup)
      continue;
    tmp.emplace_back(std::move(k), std::move(v));
    if (x.size() > 16)
      seen.insert(tmp.back().first);
  }
  data_ = std::move(tmp);
}

bool value::as_bool() const noexcept {
  if (auto x = std::get_if<bool>(&data_))
    return *x;
  return false;
}

int64_t value::as_int() const noexcept {
  if (auto x = std::get_if<int64_t>(&data_))
    return *x;
  if (auto x = std::get_if<double>(&data_)) {
    if (std::isnan(*x))
      return 0;
    if (*x >= 9223372036854775807.0)
      return std::numeric_limits<int64_t>::max();
    if (*x <= -9223372036854775808.0)
      return std::numeric_limits<int64_t>::min();
    return static_cast<int64_t>(*x);
  }
  return 0;
}

double value::as_double() const noexcept {
  if (auto x = std::get_if<double>(&data_))
    return *x;
  if (auto x = std::get_if<int64_t>(&data_))
    return static_cast<double>(*x);
  return 0.0;
}

const std::string& value::as_string() const noexcept {
  if (auto x = std::get_if<std::string>(&data_))
    return *x;
  return empty_string;
}

std::string& value::as_string() {
  if (!is_string())
    data_ = std::string{};
  return std::get<std::string>(data_);
}

const array& value::as_array() const noexcept {
  if (auto x = std::get_if<array>(&data_))
    return *x;
  return empty_array;
}

array& value::as_array() {
  if (!is_array())
    data_ = array{};
  return std::get<array>(data_);
}

const object& value::as_object() const noexcept {
  if (auto x = std::get_if<object>(&data_))
    return *x;
  return empty_object;
}

object& value::as_object() {
  if (!is_object())
    data_ = object{};
  return std::get<object>(data_);
}

const value* value::find(std::string_view key) const noexcept {
  if (auto obj = std::get_if<object>(&data_))
    for (auto& [k, v] : *obj)
      if (k == key)
        return &v;
  return nullptr;
}

value* value::find(std::string_view key) noexcept {
  if (auto obj = std::get_if<object>(&data_))
    for (auto& [k, v] : *obj)
      if (k == key)
        return &v;
  return nullptr;
}

value& value::operator[](std::string_view key) {
  auto& obj = as_object();
  for (auto& [k, v] : obj)
    if (k == key)
      return v;
  obj.emplace_back(std::string{key}, value{});
  return obj.back().second;
}

bool value::erase(std::string_view key) {
  auto obj = std::get_if<object>(&data_);
  if (!obj)
    return false;
  auto i = std::find_if(obj->begin(), obj->end(),
                        [key](const auto& kv) { return kv.first == key; });
  if (i == obj->end())
    return false;
  obj->erase(i);
  return true;
}

const value*
value::find_path(std::initializer_list<std::string_view> keys) const noexcept {
  const value* cur = this;
  for (auto key : keys) {
    cur = cur->find(key);
    if (!cur)
      return nullptr;
  }
  return cur;
}

std::string value::get_string(std::string_view key,
                              std::string_view fallback) const {
  if (auto x = find(key); x && x->is_string())
    return x->as_string();
  return std::string{fallback};
}

int64_t value::get_int(std::string_view key, int64_t fallback) const noexcept {
  if (auto x = find(key); x && x->is_int())
    return x->as_int();
  return fallback;
}

bool value::get_bool(std::string_view key, bool fallback) const noexcept {
  if (auto x = find(key); x && x->is_bool())
    return x->as_bool();
  return fallback;
}

value& value::push_back(value x) {
  auto& arr = as_array();
  arr.push_back(std::move(x));
  return arr.back();
}

size_t value::size() const noexcept {
  if (auto x = std::get_if<array>(&data_))
    return x->size();
  if (auto x = std::get_if<object>(&data_))
    return x->size();
  return 0;
}

bool operator==(const value& x, const value& y) noexcept {
  if (x.is_number() && y.is_number() && x.kind() != y.kind()) {
    // Mixed integer/double: equal only if the double is exactly the integer.
    const auto& i = x.is_int() ? x : y;
    const auto& d = x.is_int() ? y : x;
    auto dv = d.as_double();
    if (!(dv >= -9223372036854775808.0 && dv < 9223372036854775808.0))
      return false;
    return static_cast<int64_t>(dv) == i.as_int()
           && static_cast<double>(static_cast<int64_t>(dv)) == dv;
  }
  if (x.kind() != y.kind())
    return false;
  switch (x.kind()) {
    case value::type::null:
      return true;
    case value::type::boolean:
      return x.as_bool() == y.as_bool();
    case value::type::integer:
      return x.as_int() == y.as_int();
    case value::type::number:
      return x.as_double() == y.as_double();
    case value::type::string:
      return x.as_string() == y.as_string();
    case value::type::array:
      return x.as_array() == y.as_array();
    case value::type::object: {
      const auto& xs = x.as_object();
      const auto& ys = y.as_object();
      if (xs.size() != ys.size())
        return false;
      for (const auto& [k, v] : xs) {
        auto other = y.find(k);
        if (!other || !(v == *other))
          return false;
      }
      return true;
    }
  }
  return false;
}

std::string to_string(const value& v) {
  return dump(v);
}

std::ostream& operator<<(std::ostream& os, const value& v) {
  return os << dump(v);
}

} // namespace cafelet::json
