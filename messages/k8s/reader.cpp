#include "messages/k8s/reader.hpp"

#include "messages/errors.hpp"

#include <charconv>
#include <limits>

namespace cafelet::k8s::detail {

namespace {

constexpr size_t max_quoted = 40;

std::string_view type_name(od::json_type t) {
  switch (t) {
    case od::json_type::array:
      return "array";
    case od::json_type::object:
      return "object";
    case od::json_type::number:
      return "number";
    case od::json_type::string:
      return "string";
    case od::json_type::boolean:
      return "boolean";
    case od::json_type::null:
      return "null";
  }
  return "unknown";
}

/// Reads an integer in [lo, hi]; `what` names the expected type.
error_code read_integer(reader& r, od::value& v, int64_t lo, int64_t hi,
                        int64_t& out) {
  int64_t x = 0;
  auto ec = v.get_int64().get(x);
  if (ec == simdjson::SUCCESS) {
    if (x < lo || x > hi)
      return r.fail(simdjson::NUMBER_OUT_OF_RANGE,
                    "integer " + std::to_string(x) + " out of range");
    out = x;
    return simdjson::SUCCESS;
  }
  if (ec == simdjson::NUMBER_OUT_OF_RANGE)
    return r.fail(ec, "integer out of range");
  if (ec == simdjson::INCORRECT_TYPE || ec == simdjson::NUMBER_ERROR) {
    od::json_type t;
    if (v.type().get(t) == simdjson::SUCCESS && t == od::json_type::number) {
      std::string_view raw = v.raw_json_token();
      std::string what = "expected integer, got number";
      if (!raw.empty()) {
        what += ' ';
        what.append(raw.substr(0, max_quoted));
        while (!what.empty() && (what.back() == ' ' || what.back() == '\n'
                                 || what.back() == '\r' || what.back() == '\t'
                                 || what.back() == ','))
          what.pop_back();
      }
      return r.fail(simdjson::INCORRECT_TYPE, what);
    }
    return r.type_error(v, "integer");
  }
  return r.syntax(ec);
}

} // namespace

reader::reader(od::document& doc, std::string_view text, const char* base)
  : doc_(&doc), text_(text), base_(base) {
  path_.reserve(16);
}

error_code reader::fail(error_code code, std::string_view what) {
  if (message_.empty()) {
    message_ = path();
    if (!message_.empty())
      message_ += ": ";
    message_ += what;
  }
  return code;
}

error_code reader::type_error(od::value& v, std::string_view expected) {
  std::string what = "expected ";
  what += expected;
  od::json_type t;
  if (v.type().get(t) == simdjson::SUCCESS) {
    what += ", got ";
    what += type_name(t);
  }
  return fail(simdjson::INCORRECT_TYPE, what);
}

error_code reader::syntax(error_code code) {
  return fail(code, json::syntax_message(
                      code, text_, json::offset_of(*doc_, base_, text_.size())));
}

error_code reader::get_error(od::value& v, error_code code,
                             std::string_view expected) {
  if (code == simdjson::INCORRECT_TYPE)
    return type_error(v, expected);
  return syntax(code);
}

error_code reader::check_kind(std::string_view kind) {
  if (path_.size() != kind_depth_ || expected_kind_.empty() || kind.empty()
      || kind == expected_kind_)
    return simdjson::SUCCESS;
  std::string what = "expected ";
  what += expected_kind_;
  what += ", got ";
  json::append_quoted(what, kind.substr(0, max_quoted));
  return fail(simdjson::INCORRECT_TYPE, what);
}

std::string reader::path() const {
  std::string out;
  for (const auto& seg : path_) {
    if (seg.index != no_index) {
      out += '[';
      out += std::to_string(seg.index);
      out += ']';
    } else {
      if (!out.empty())
        out += '.';
      out += seg.key;
    }
  }
  return out;
}

caf::error reader::make_error(std::string_view kind, error_code code) const {
  std::string msg{kind};
  msg += ": ";
  if (!message_.empty())
    msg += message_;
  else
    msg += json::reason(code);
  return cafelet::make_error(errc::bad_response, std::move(msg));
}

caf::error envelope_error(std::string_view kind, std::string what) {
  std::string msg{kind};
  msg += ": ";
  msg += what;
  return cafelet::make_error(errc::bad_response, std::move(msg));
}

caf::error root_object(od::document& doc, std::string_view kind,
                       std::string_view text, const char* base,
                       od::value& out) {
  od::json_type t;
  if (auto ec = doc.type().get(t))
    return envelope_error(kind, json::syntax_message(
                                  ec, text, json::offset_of(doc, base,
                                                            text.size())));
  if (t != od::json_type::object) {
    std::string what = "expected a JSON object, got ";
    what += type_name(t);
    return envelope_error(kind, std::move(what));
  }
  if (auto ec = doc.get_value().get(out))
    return envelope_error(kind, json::syntax_message(ec, text, 0));
  return caf::none;
}

error_code check_null(reader& r, od::value& v, bool& is_null) {
  // The document root cannot be null here (a scalar root never becomes a
  // value) and simdjson's non-root null check must not run on it.
  if (v.current_depth() <= 1) {
    is_null = false;
    return simdjson::SUCCESS;
  }
  if (auto ec = v.is_null().get(is_null))
    return r.syntax(ec);
  return simdjson::SUCCESS;
}

error_code read(reader& r, od::value v, std::string& out) {
  bool is_null = false;
  if (auto ec = check_null(r, v, is_null); ec || is_null)
    return ec;
  std::string_view s;
  if (auto ec = v.get_string().get(s))
    return r.get_error(v, ec, "string");
  out.assign(s);
  return simdjson::SUCCESS;
}

error_code read(reader& r, od::value v, bool& out) {
  bool is_null = false;
  if (auto ec = check_null(r, v, is_null); ec || is_null)
    return ec;
  if (auto ec = v.get_bool().get(out))
    return r.get_error(v, ec, "boolean");
  return simdjson::SUCCESS;
}

error_code read(reader& r, od::value v, int32_t& out) {
  bool is_null = false;
  if (auto ec = check_null(r, v, is_null); ec || is_null)
    return ec;
  int64_t x = 0;
  if (auto ec = read_integer(r, v, std::numeric_limits<int32_t>::min(),
                             std::numeric_limits<int32_t>::max(), x))
    return ec;
  out = static_cast<int32_t>(x);
  return simdjson::SUCCESS;
}

error_code read(reader& r, od::value v, int64_t& out) {
  bool is_null = false;
  if (auto ec = check_null(r, v, is_null); ec || is_null)
    return ec;
  return read_integer(r, v, std::numeric_limits<int64_t>::min(),
                      std::numeric_limits<int64_t>::max(), out);
}

error_code read(reader& r, od::value v, timestamp& out) {
  std::string text;
  if (auto ec = read(r, v, text))
    return ec;
  auto t = parse_time(text);
  if (!t)
    return r.fail(simdjson::INCORRECT_TYPE, context_of(t.error()));
  out = *t;
  return simdjson::SUCCESS;
}

error_code read(reader& r, od::value v, int_or_string& out) {
  bool is_null = false;
  if (auto ec = check_null(r, v, is_null); ec || is_null)
    return ec;
  od::json_type t;
  if (auto ec = v.type().get(t))
    return r.syntax(ec);
  if (t == od::json_type::string) {
    out.is_string = true;
    return read(r, v, out.string_value);
  }
  if (t != od::json_type::number)
    return r.type_error(v, "integer or string");
  out.is_string = false;
  return read(r, v, out.int_value);
}

error_code read(reader& r, od::value v, string_map& out) {
  out.clear();
  return read_object(r, v, [&](std::string_view key, od::value val) {
    std::string x;
    auto ec = read(r, val, x);
    out.insert_or_assign(std::string{key}, std::move(x));
    return ec;
  });
}

error_code read(reader& r, od::value v, resource_list& out) {
  out.clear();
  return read_object(r, v, [&](std::string_view key, od::value val) {
    od::json_type t;
    if (auto ec = val.type().get(t))
      return r.syntax(ec);
    std::string x;
    if (t == od::json_type::number) {
      // resource.Quantity also accepts a bare JSON number.
      std::string_view raw = val.raw_json_token();
      auto end = raw.find_first_of(" \t\r\n,}");
      x.assign(raw.substr(0, end));
      double ignored = 0;
      if (auto ec = val.get_double().get(ignored))
        return r.syntax(ec);
    } else if (auto ec = read(r, val, x)) {
      return ec;
    }
    out.emplace_back(std::string{key}, std::move(x));
    return simdjson::SUCCESS;
  });
}

bool read_type_meta(reader& r, std::string_view key, od::value v,
                    type_meta& out, error_code& ec) {
  if (key == "apiVersion") {
    ec = read(r, v, out.api_version);
    return true;
  }
  if (key == "kind") {
    ec = read(r, v, out.kind);
    if (!ec)
      ec = r.check_kind(out.kind);
    return true;
  }
  return false;
}

error_code read(reader& r, od::value v, owner_reference& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "apiVersion")
      return read(r, val, out.api_version);
    if (key == "kind")
      return read(r, val, out.kind);
    if (key == "name")
      return read(r, val, out.name);
    if (key == "uid")
      return read(r, val, out.uid);
    if (key == "controller")
      return read(r, val, out.controller);
    if (key == "blockOwnerDeletion")
      return read(r, val, out.block_owner_deletion);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, object_meta& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "name")
      return read(r, val, out.name);
    if (key == "generateName")
      return read(r, val, out.generate_name);
    if (key == "namespace")
      return read(r, val, out.namespace_);
    if (key == "uid")
      return read(r, val, out.uid);
    if (key == "resourceVersion")
      return read(r, val, out.resource_version);
    if (key == "generation")
      return read(r, val, out.generation);
    if (key == "creationTimestamp")
      return read(r, val, out.creation_timestamp);
    if (key == "deletionTimestamp")
      return read(r, val, out.deletion_timestamp);
    if (key == "deletionGracePeriodSeconds")
      return read(r, val, out.deletion_grace_period_seconds);
    if (key == "labels")
      return read(r, val, out.labels);
    if (key == "annotations")
      return read(r, val, out.annotations);
    if (key == "ownerReferences")
      return read(r, val, out.owner_references);
    if (key == "finalizers")
      return read(r, val, out.finalizers);
    return simdjson::SUCCESS; // managedFields and others are skipped
  });
}

error_code read(reader& r, od::value v, list_meta& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "resourceVersion")
      return read(r, val, out.resource_version);
    if (key == "continue")
      return read(r, val, out.continue_);
    if (key == "remainingItemCount")
      return read(r, val, out.remaining_item_count);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, object_reference& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "kind")
      return read(r, val, out.kind);
    if (key == "namespace")
      return read(r, val, out.namespace_);
    if (key == "name")
      return read(r, val, out.name);
    if (key == "uid")
      return read(r, val, out.uid);
    if (key == "apiVersion")
      return read(r, val, out.api_version);
    if (key == "resourceVersion")
      return read(r, val, out.resource_version);
    if (key == "fieldPath")
      return read(r, val, out.field_path);
    return simdjson::SUCCESS;
  });
}

error_code read_keyed_strings(reader& r, od::value v, std::string_view key,
                              std::vector<std::string>& out) {
  out.clear();
  return read_array(r, v, [&](od::value& ev) {
    std::string x;
    auto ec = read_object(r, ev, [&](std::string_view k, od::value val) {
      if (k == key)
        return read(r, val, x);
      return simdjson::SUCCESS;
    });
    out.push_back(std::move(x));
    return ec;
  });
}

} // namespace cafelet::k8s::detail

namespace cafelet::k8s {

const std::string* find(const resource_list& xs, std::string_view name) {
  for (const auto& [k, v] : xs)
    if (k == name)
      return &v;
  return nullptr;
}

} // namespace cafelet::k8s
